#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ccswitch::fuzzing::import(data));
