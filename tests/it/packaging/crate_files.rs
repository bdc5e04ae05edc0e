//! What `cargo package` (and so `cargo publish`) ships: every source file,
//! every asset the build compiles in, whatever an `include_str!` or
//! `include_bytes!` of a shipped file reads, the licences, and nothing
//! of the fixtures, snapshots, fuzz corpora, scripts or CI files. Also the
//! manifest fields crates.io shows.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use super::{REPO, root, run};
use crate::architecture::code_only;

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// Files under `dir` (relative to the repository, `/`-separated).
fn files_under(dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    walk(&root().join(dir), &mut out);
    out.iter().map(|p| relative(p)).collect()
}

fn relative(p: &Path) -> String {
    let rel = p.strip_prefix(root()).unwrap();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// `a/b/../c` → `a/c`, without touching the disk.
fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// The files `include_str!("…")` and `include_bytes!("…")` in a source
/// file read, relative to the repository; in code only, not in comments or
/// strings (build.rs writes one into generated code). A non-literal
/// argument fails: this test could not tell what it needs.
fn includes(file: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(file)).unwrap();
    let code = code_only(&text);
    let mut out = Vec::new();
    for marker in ["include_str!(", "include_bytes!("] {
        for (at, _) in code.match_indices(marker) {
            let arg = text[at + marker.len()..].trim_start();
            let Some((lit, _)) = arg.strip_prefix('"').and_then(|a| a.split_once('"')) else {
                panic!("{file}: {marker} without a string literal");
            };
            let dir = root().join(file);
            let target = normalize(&dir.parent().unwrap().join(lit));
            out.push(relative(&target));
        }
    }
    out
}

fn package_list() -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    // --offline: the list needs no index; --allow-dirty: a work tree with
    // changes lists what it would ship all the same.
    let out = run(Command::new(cargo).current_dir(root()).args([
        "package",
        "--list",
        "--offline",
        "--allow-dirty",
    ]));
    out.lines().map(str::to_string).collect()
}

#[test]
fn the_crate_ships_sources_assets_and_licences_but_no_fixtures() {
    let listed = package_list();
    let mut want: Vec<String> = [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "README.md",
        "CHANGELOG.md",
        "LICENSE-MIT",
        "LICENSE-APACHE",
    ]
    .map(String::from)
    .to_vec();
    // build.rs compiles every preset in; the rest are include_str!'s.
    want.extend(files_under("assets"));
    want.extend(
        files_under("src")
            .into_iter()
            .filter(|f| f.ends_with(".rs")),
    );
    let missing: Vec<&String> = want.iter().filter(|f| !listed.contains(*f)).collect();
    assert!(missing.is_empty(), "not in the package: {missing:?}");

    // Whatever a shipped source includes is shipped too, so the package's
    // every target compiles.
    let mut included = BTreeSet::new();
    for file in listed.iter().filter(|f| f.ends_with(".rs")) {
        for inc in includes(file) {
            assert!(
                listed.contains(&inc),
                "{file} includes {inc}, not in the package"
            );
            included.insert(inc);
        }
    }
    assert!(included.contains("assets/locales/zh-CN.toml"));

    for file in &listed {
        let top = file.split('/').next().unwrap();
        let stays_out = matches!(top, "fuzz" | "scripts" | "docs" | "target" | ".github" | ".ci")
            || file.starts_with("tests/it/snapshots/")
            || file.starts_with("tests/sdk/")
            // Fixtures are data for the repository's own test runs; only
            // the few that sources include_str! ship.
            || (file.starts_with("tests/fixtures/") && !included.contains(file));
        assert!(!stays_out, "{file} should not be in the package");
    }
    // A guard against a large folder slipping in by a wider pattern.
    let bytes: u64 = listed
        .iter()
        .filter_map(|f| std::fs::metadata(root().join(f)).ok())
        .map(|m| m.len())
        .sum();
    assert!(bytes < 4 << 20, "the package holds {bytes} bytes");
}

/// What crates.io shows, and what `cargo publish` needs, is set; the
/// licence files are the ones the licence names; the README points at the
/// same repository.
#[test]
fn the_manifest_has_the_metadata_crates_io_shows() {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).unwrap()).unwrap();
    let pkg = &manifest["package"];
    for key in [
        "description",
        "license",
        "repository",
        "homepage",
        "readme",
        "rust-version",
    ] {
        let v = pkg.get(key).and_then(toml::Value::as_str).unwrap_or("");
        assert!(!v.is_empty(), "Cargo.toml has no package.{key}");
    }
    for key in ["keywords", "categories"] {
        let n = pkg
            .get(key)
            .and_then(toml::Value::as_array)
            .map_or(0, Vec::len);
        assert!(
            (1..=5).contains(&n),
            "package.{key}: 1 to 5 entries, has {n}"
        );
    }
    assert_eq!(pkg["license"].as_str(), Some("MIT OR Apache-2.0"));
    let apache = std::fs::read_to_string(root().join("LICENSE-APACHE")).unwrap();
    assert!(apache.contains("Apache License") && apache.contains("Version 2.0, January 2004"));
    let mit = std::fs::read_to_string(root().join("LICENSE-MIT")).unwrap();
    assert!(mit.contains("Permission is hereby granted, free of charge"));

    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    assert!(readme.contains(REPO), "README.md does not name {REPO}");
}
