//! The release's SHA256SUMS, Homebrew formula and Scoop manifest, checked
//! against a local dry run: every URL names an archive the script made and
//! every sum is that archive's (hashed here, not by the script's tool).
//! The formula is read with a small parser of its `do`/`end` blocks, enough
//! for what scripts/package writes; no Ruby is needed.

use std::collections::BTreeMap;
use std::process::Command;

use crate::support::BIN;

use super::{DOCS, DryRun, NAME, REPO, VERSION, archive_name, exe, stem};

/// A `do … end` block (or `class`, `def`) of the formula: its opening
/// line, its one-line statements (`url "…"` → ("url", "\"…\"")), and the
/// blocks inside it.
#[derive(Debug, Default)]
struct Block {
    head: String,
    lines: Vec<(String, String)>,
    blocks: Vec<Block>,
}

impl Block {
    fn child(&self, head: &str) -> &Block {
        let found: Vec<&Block> = self.blocks.iter().filter(|b| b.head == head).collect();
        assert_eq!(found.len(), 1, "want one `{head}` block in `{}`", self.head);
        found[0]
    }

    /// The string argument of the one statement `key "value"`.
    fn string(&self, key: &str) -> String {
        let found: Vec<&String> = self
            .lines
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(found.len(), 1, "want one `{key}` in `{}`", self.head);
        let v = found[0];
        let inner = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or_else(|| panic!("`{key} {v}` is not one string"));
        assert!(!inner.contains('"'), "`{key} {v}` is not one string");
        inner.to_string()
    }

    fn has_line(&self, line: &str) -> bool {
        self.lines
            .iter()
            .any(|(k, v)| format!("{k} {v}").trim_end() == line)
    }
}

fn opens(line: &str) -> bool {
    line.ends_with(" do") || line.starts_with("class ") || line.starts_with("def ")
}

fn parse_formula(text: &str) -> Block {
    let mut stack = vec![Block::default()];
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "end" {
            assert!(stack.len() > 1, "line {}: `end` closes nothing", n + 1);
            let done = stack.pop().unwrap();
            stack.last_mut().unwrap().blocks.push(done);
        } else if opens(line) {
            let head = line.trim_end_matches(" do").to_string();
            stack.push(Block {
                head,
                ..Block::default()
            });
        } else {
            let (key, rest) = line.split_once(' ').unwrap_or((line, ""));
            let top = stack.last_mut().unwrap();
            top.lines.push((key.to_string(), rest.trim().to_string()));
        }
    }
    assert_eq!(
        stack.len(),
        1,
        "unclosed block: {:?}",
        stack.last().unwrap().head
    );
    stack.pop().unwrap()
}

/// SHA256SUMS lists every archive with the sum of its bytes.
#[test]
fn sha256sums_lists_each_archive_with_its_hash() {
    let dry = DryRun::new();
    let listed: BTreeMap<String, String> = dry
        .read("SHA256SUMS")
        .lines()
        .map(|l| {
            let (sum, file) = l
                .split_once("  ")
                .unwrap_or_else(|| panic!("not `SUM  FILE`: {l}"));
            (file.to_string(), sum.to_string())
        })
        .collect();
    let want: BTreeMap<String, String> = dry
        .targets
        .iter()
        .map(|t| (archive_name(t), dry.sum(t)))
        .collect();
    assert_eq!(listed, want);
}

/// The formula installs the right archive on each platform the workflow
/// builds for, with its sum, and installs what the archive holds.
#[test]
fn homebrew_formula_names_each_platforms_archive_and_sum() {
    let dry = DryRun::new();
    let top = parse_formula(&dry.read("ccswitch.rb"));
    let class = top.child("class Ccswitch < Formula");
    assert_eq!(class.string("version"), VERSION);
    assert_eq!(class.string("homepage"), env!("CARGO_PKG_HOMEPAGE"));
    assert!(class.has_line(r#"license any_of: ["MIT", "Apache-2.0"]"#));
    assert_eq!(env!("CARGO_PKG_LICENSE"), "MIT OR Apache-2.0");
    let mut covered = Vec::new();
    for (os, arch, target) in [
        ("on_macos", "on_arm", "aarch64-apple-darwin"),
        ("on_macos", "on_intel", "x86_64-apple-darwin"),
        ("on_linux", "on_arm", "aarch64-unknown-linux-musl"),
        ("on_linux", "on_intel", "x86_64-unknown-linux-musl"),
    ] {
        let platform = class.child(os).child(arch);
        assert_eq!(platform.string("url"), dry.url(target), "{os} {arch}");
        assert_eq!(platform.string("sha256"), dry.sum(target), "{os} {arch}");
        covered.push(target.to_string());
    }
    // Every target but Windows (Scoop's) has its platform.
    let mut unix: Vec<String> = dry
        .targets
        .iter()
        .filter(|t| !t.contains("windows"))
        .cloned()
        .collect();
    unix.sort();
    covered.sort();
    assert_eq!(covered, unix);

    // What `install` takes is in the archive (Homebrew unpacks into the
    // archive's one folder).
    let install = class.child("def install");
    assert!(install.has_line(&format!(r#"bin.install "{NAME}""#)));
    assert!(install.has_line(&format!(r#"man1.install "{NAME}.1""#)));
    let inside = dry
        .unpacked
        .join("aarch64-apple-darwin")
        .join(stem("aarch64-apple-darwin"));
    assert!(inside.join(NAME).is_file() && inside.join(format!("{NAME}.1")).is_file());
    // Completions come from `ccswitch completions SHELL`, for shells clap
    // knows by those names (Homebrew's default list adds pwsh, which is
    // clap's `powershell`).
    assert!(install.has_line(&format!(
        r#"generate_completions_from_executable(bin/"{NAME}", "completions", shells: [:bash, :zsh, :fish])"#
    )));
    for shell in ["bash", "zsh", "fish"] {
        super::run(Command::new(BIN).args(["completions", shell]));
    }
    // The formula's test: `ccswitch --version` names the version.
    assert!(class.child("test").has_line(&format!(
        r##"assert_match version.to_s, shell_output("#{{bin}}/{NAME} --version")"##
    )));
    assert!(super::run(Command::new(BIN).arg("--version")).contains(VERSION));
}

/// The Scoop manifest installs the Windows zip with its sum, and its
/// autoupdate template gives the same URL back for this version.
#[test]
fn scoop_manifest_names_the_windows_zip_and_its_hash() {
    let dry = DryRun::new();
    let win = "x86_64-pc-windows-msvc";
    assert!(dry.targets.iter().any(|t| t == win));
    let m: serde_json::Value = serde_json::from_str(&dry.read("ccswitch.json")).unwrap();
    assert_eq!(m["version"], VERSION);
    assert_eq!(m["homepage"], env!("CARGO_PKG_HOMEPAGE"));
    assert_eq!(m["license"], "MIT|Apache-2.0");
    let x64 = &m["architecture"]["64bit"];
    assert_eq!(x64["url"], dry.url(win));
    assert_eq!(x64["hash"], dry.sum(win));
    assert_eq!(x64["extract_dir"], stem(win));
    assert_eq!(m["bin"], exe(win));
    let inside = dry.unpacked.join(win).join(stem(win));
    assert!(inside.join(exe(win)).is_file());
    for doc in DOCS {
        assert!(inside.join(doc).is_file(), "{doc}");
    }

    assert_eq!(m["checkver"]["github"], REPO);
    let auto = &m["autoupdate"];
    let templ = |v: &serde_json::Value| v.as_str().unwrap().replace("$version", VERSION);
    assert_eq!(templ(&auto["architecture"]["64bit"]["url"]), dry.url(win));
    assert_eq!(
        templ(&auto["architecture"]["64bit"]["extract_dir"]),
        stem(win)
    );
    // $baseurl is the release's folder, where SHA256SUMS is published.
    assert_eq!(auto["hash"]["url"], "$baseurl/SHA256SUMS");
}

/// The parser itself: nesting, statements and a stray `end`.
#[test]
fn the_formula_parser_reads_blocks_and_refuses_a_stray_end() {
    let top = parse_formula("class A < Formula\n  on_linux do\n    url \"u\"\n  end\nend\n");
    let class = top.child("class A < Formula");
    assert_eq!(class.child("on_linux").string("url"), "u");
    let stray = std::panic::catch_unwind(|| parse_formula("end\n"));
    assert!(stray.is_err());
    let open = std::panic::catch_unwind(|| parse_formula("class A < Formula\n"));
    assert!(open.is_err());
}
