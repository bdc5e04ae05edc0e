//! How long masking takes over key-shaped text: bodies of N MiB made of
//! `sk-…` words back to back (the worst case for the old replace-in-a-loop
//! redaction, which was quadratic in them), and of plain prose.
//!
//!     cargo run --release --example redact-bench -- 2 32

// A measuring tool stops at the first failure, loudly.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::time::Instant;

use ccswitch::secrets::Redactor;

fn keys(mib: usize) -> String {
    let mut s = String::with_capacity(mib << 20);
    let mut i = 0u64;
    while s.len() < mib << 20 {
        let _ = write!(s, "sk-{i:024} ");
        i += 1;
    }
    s
}

fn prose(mib: usize) -> String {
    let line = "The quick brown fox jumps over the lazy dog; tokens: 1234, task-list. ";
    line.repeat((mib << 20) / line.len())
}

fn main() {
    let red = Redactor::new(["ccsw-session-token-0123456789", "my-own-upstream-key-0042"]);
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().unwrap())
        .collect();
    for mib in if sizes.is_empty() { vec![2, 32] } else { sizes } {
        for (kind, text) in [("key-shaped", keys(mib)), ("prose", prose(mib))] {
            let t = Instant::now();
            let out = red.redact(&text);
            let took = t.elapsed();
            println!(
                "{mib:>3} MiB {kind:<10} {took:>10.2?}  ({:.0} MiB/s, {} bytes out)",
                mib as f64 / took.as_secs_f64(),
                out.len()
            );
        }
    }
}
