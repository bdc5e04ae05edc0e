//! The fuzz corpora (`fuzz/corpus/`) and every failure the fuzzers found
//! (`fuzz/regressions/`), replayed through the same checks the fuzz targets
//! run (`ccswitch::fuzzing`). `scripts/fuzz` grows them; this keeps what
//! they found fixed.

use std::path::Path;

use ccswitch::fuzzing::TARGETS;

#[test]
fn every_corpus_and_regression_input_passes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut ran = 0;
    for (name, check) in TARGETS {
        let mut seen = 0;
        for kind in ["corpus", "regressions"] {
            let Ok(entries) = std::fs::read_dir(root.join(kind).join(name)) else {
                continue;
            };
            for e in entries.flatten() {
                let data = std::fs::read(e.path()).unwrap();
                let path = e.path();
                let outcome = std::panic::catch_unwind(|| check(&data));
                assert!(outcome.is_ok(), "{name}: {} fails", path.display());
                seen += 1;
            }
        }
        // An empty corpus would make this test pass for nothing.
        assert!(seen > 0, "fuzz/corpus/{name} is empty: run scripts/fuzz");
        ran += seen;
    }
    eprintln!("replayed {ran} fuzz inputs");
}
