//! The one golden-file harness: every translation case compares its output
//! with a reviewed file and, on a difference, prints a unified diff.
//!
//! `BLESS=1 cargo test --test it golden` rewrites the expected files from
//! what the code produces now; review them with `git diff` before
//! committing.

use std::path::{Path, PathBuf};

use serde_json::Value;

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn bless() -> bool {
    std::env::var_os("BLESS").is_some()
}

pub fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The case folders under `dir`, sorted.
pub fn case_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

pub fn name_of(dir: &Path) -> String {
    dir.file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned()
}

/// Compare `actual` with the file (or write it under BLESS). A failure is
/// returned, not raised, so every case of a run gets reported.
pub fn check_text(expected: &Path, actual: &str) -> Result<(), String> {
    if bless() {
        if let Some(dir) = expected.parent() {
            std::fs::create_dir_all(dir).expect("create fixture dir");
        }
        std::fs::write(expected, actual).expect("write expected file");
        return Ok(());
    }
    let Ok(want) = std::fs::read_to_string(expected) else {
        return Err(format!(
            "{}: missing (run with BLESS=1 to create it)",
            expected.display()
        ));
    };
    if want == actual {
        return Ok(());
    }
    Err(format!("{}:\n{}", expected.display(), diff(&want, actual)))
}

/// JSON compared as values (key order and spacing do not matter), shown
/// as a diff of the pretty forms.
pub fn check_json(expected: &Path, actual: &Value) -> Result<(), String> {
    let pretty = serde_json::to_string_pretty(actual).expect("serializable") + "\n";
    if bless() {
        return check_text(expected, &pretty);
    }
    let Ok(text) = std::fs::read_to_string(expected) else {
        return check_text(expected, &pretty);
    };
    let want: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", expected.display()))?;
    if want == *actual {
        return Ok(());
    }
    let want = serde_json::to_string_pretty(&want).expect("serializable") + "\n";
    Err(format!("{}:\n{}", expected.display(), diff(&want, &pretty)))
}

/// A unified diff, `-` expected and `+` actual, cut short when huge.
pub fn diff(want: &str, got: &str) -> String {
    const MAX_LINES: usize = 150;
    let text = similar::TextDiff::from_lines(want, got)
        .unified_diff()
        .context_radius(3)
        .header("expected", "actual")
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_LINES {
        return text;
    }
    format!(
        "{}\n... {} more diff lines",
        lines[..MAX_LINES].join("\n"),
        lines.len() - MAX_LINES
    )
}

/// Fail with every collected failure, or when no case ran at all.
/// Each case folder under `fixtures/SUB`: what `run` makes of it, against
/// its `expected.json`. `what` names the cases in the report.
pub fn check_json_cases(sub: &str, what: &str, run: impl Fn(&Path) -> Value) {
    let cases = case_dirs(&fixtures().join(sub));
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(e) = check_json(&case.join("expected.json"), &run(case)) {
            failures.push(e);
        }
    }
    finish(&failures, what, cases.len());
}

pub fn finish(failures: &[String], what: &str, count: usize) {
    assert!(count > 0, "no {what} cases found");
    assert!(
        failures.is_empty(),
        "{} of {count} {what} cases failed:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn diff_shows_the_changed_lines() {
    let d = diff("a\nb\nc\n", "a\nx\nc\n");
    assert!(
        d.contains("-b") && d.contains("+x") && d.contains(" a"),
        "{d}"
    );
}
