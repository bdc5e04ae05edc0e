//! Release packaging, run locally: `scripts/package release` packs dummy
//! binaries exactly as the release workflow packs the real ones, and these
//! tests read what it made: the archives' names and contents, the binstall
//! templates in Cargo.toml, the checksums, the Homebrew formula and the
//! Scoop manifest (`formula.rs`), and what `cargo package` ships
//! (`crate_files.rs`). A tool the script needs that is missing fails the
//! test, named.

mod crate_files;
mod formula;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use crate::support::BIN;

const NAME: &str = env!("CARGO_PKG_NAME");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const REPO: &str = env!("CARGO_PKG_REPOSITORY");
/// What every archive holds besides the binary and the man page.
const DOCS: &[&str] = &["README.md", "CHANGELOG.md", "LICENSE-MIT", "LICENSE-APACHE"];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Fails the test, naming the tool, when it is not on PATH.
fn need(tool: &str) {
    if which::which(tool).is_err() {
        panic!(
            "the packaging tests need `{tool}` on PATH (Debian/Ubuntu: apt-get install {tool}; \
             scripts/test installs it)"
        );
    }
}

fn run(cmd: &mut Command) -> String {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn script(args: &[&str]) -> String {
    need("bash");
    run(Command::new("bash")
        .arg(root().join("scripts/package"))
        .args(args))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::new(), |mut s, b| {
            write!(s, "{b:02x}").unwrap();
            s
        })
}

fn is_windows(target: &str) -> bool {
    target.contains("windows")
}

fn exe(target: &str) -> String {
    if is_windows(target) {
        format!("{NAME}.exe")
    } else {
        NAME.to_string()
    }
}

/// A local run of the release packaging on dummy binaries.
struct DryRun {
    _dir: tempfile::TempDir,
    dist: PathBuf,
    /// Unpacked archives, one folder a target.
    unpacked: PathBuf,
    targets: Vec<String>,
    man: Vec<u8>,
}

impl DryRun {
    fn new() -> DryRun {
        for tool in ["tar", "gzip", "zip", "unzip", "sha256sum"] {
            need(tool);
        }
        let dir = tempfile::tempdir().unwrap();
        let targets: Vec<String> = script(&["targets"]).lines().map(str::to_string).collect();
        for target in &targets {
            let bin = dir.path().join("bins").join(target);
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join(exe(target)), dummy_binary(target)).unwrap();
        }
        // The man page as the workflow makes it: from the binary itself.
        let man = run(Command::new(BIN).arg("man")).into_bytes();
        let man_path = dir.path().join("ccswitch.1");
        std::fs::write(&man_path, &man).unwrap();
        let dist = dir.path().join("dist");
        let p = |p: &Path| p.to_str().unwrap().to_string();
        // No repository argument: the default is Cargo.toml's, as binstall's.
        script(&[
            "release",
            &format!("v{VERSION}"),
            &p(&dir.path().join("bins")),
            &p(&man_path),
            &p(&dist),
        ]);
        let unpacked = dir.path().join("unpacked");
        for target in &targets {
            let to = unpacked.join(target);
            std::fs::create_dir_all(&to).unwrap();
            let archive = dist.join(archive_name(target));
            if is_windows(target) {
                run(Command::new("unzip")
                    .arg("-q")
                    .arg(&archive)
                    .arg("-d")
                    .arg(&to));
            } else {
                run(Command::new("tar")
                    .arg("-xzf")
                    .arg(&archive)
                    .arg("-C")
                    .arg(&to));
            }
        }
        DryRun {
            _dir: dir,
            dist,
            unpacked,
            targets,
            man,
        }
    }

    fn read(&self, file: &str) -> String {
        std::fs::read_to_string(self.dist.join(file)).unwrap()
    }

    fn sum(&self, target: &str) -> String {
        sha256_hex(&std::fs::read(self.dist.join(archive_name(target))).unwrap())
    }

    fn url(&self, target: &str) -> String {
        format!(
            "{REPO}/releases/download/v{VERSION}/{}",
            archive_name(target)
        )
    }
}

fn dummy_binary(target: &str) -> Vec<u8> {
    format!("not really ccswitch, for {target}\n").into_bytes()
}

/// The name the release uses, and that binstall and the formula expect.
fn archive_name(target: &str) -> String {
    let ext = if is_windows(target) { "zip" } else { "tar.gz" };
    format!("{NAME}-v{VERSION}-{target}.{ext}")
}

fn stem(target: &str) -> String {
    format!("{NAME}-v{VERSION}-{target}")
}

/// Entries of an archive, folders with their trailing slash.
fn entries(archive: &Path) -> BTreeSet<String> {
    let listing = if archive.extension().is_some_and(|e| e == "zip") {
        run(Command::new("unzip").arg("-Z1").arg(archive))
    } else {
        run(Command::new("tar").arg("-tzf").arg(archive))
    };
    listing.lines().map(str::to_string).collect()
}

/// The workflow builds what the script packs, and packs with the script.
#[test]
fn the_workflow_builds_the_targets_the_script_packs() {
    let workflow = std::fs::read_to_string(root().join(".github/workflows/release.yml")).unwrap();
    let matrix: Vec<String> = workflow
        .lines()
        .filter_map(|l| l.split_once("{ target: "))
        .map(|(_, rest)| rest.split(',').next().unwrap().trim().to_string())
        .collect();
    let script_targets: Vec<String> = script(&["targets"]).lines().map(str::to_string).collect();
    assert_eq!(matrix, script_targets);
    assert!(
        workflow.contains("scripts/package release "),
        "the release workflow no longer packs with scripts/package"
    );
}

/// Each archive is one folder named like the archive, holding the binary
/// (executable), the man page, the README, the changelog and both licences.
#[test]
fn each_archive_holds_the_binary_man_page_readme_and_licences() {
    let dry = DryRun::new();
    let mut made: Vec<String> = std::fs::read_dir(&dry.dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    made.sort();
    let mut expected: Vec<String> = dry.targets.iter().map(|t| archive_name(t)).collect();
    expected.extend(["SHA256SUMS", "ccswitch.json", "ccswitch.rb"].map(String::from));
    expected.sort();
    assert_eq!(made, expected);

    for target in &dry.targets {
        let stem = stem(target);
        let files = [exe(target), format!("{NAME}.1")]
            .into_iter()
            .chain(DOCS.iter().map(ToString::to_string));
        let want: BTreeSet<String> = std::iter::once(format!("{stem}/"))
            .chain(files.map(|f| format!("{stem}/{f}")))
            .collect();
        assert_eq!(
            entries(&dry.dist.join(archive_name(target))),
            want,
            "{target}"
        );

        let inside = dry.unpacked.join(target).join(&stem);
        assert_eq!(
            std::fs::read(inside.join(exe(target))).unwrap(),
            dummy_binary(target)
        );
        assert_eq!(std::fs::read(inside.join("ccswitch.1")).unwrap(), dry.man);
        for doc in DOCS {
            let shipped = std::fs::read(inside.join(doc)).unwrap();
            assert_eq!(shipped, std::fs::read(root().join(doc)).unwrap(), "{doc}");
        }
        if !is_windows(target) {
            // Read from the listing, not the unpacked file, so the check
            // means the same wherever the test runs.
            let listing = run(Command::new("tar")
                .arg("-tvzf")
                .arg(dry.dist.join(archive_name(target))));
            let line = listing
                .lines()
                .find(|l| l.ends_with(&format!("/{NAME}")))
                .unwrap();
            assert!(line.starts_with("-rwxr-xr-x"), "{target}: {line}");
        }
    }
    assert!(
        String::from_utf8_lossy(&dry.man).contains(".TH ccswitch 1"),
        "the man page is not one"
    );
}

/// The same inputs make the same bytes (the checksums can be reproduced).
#[test]
fn archives_are_reproducible() {
    let first = DryRun::new();
    let second = DryRun::new();
    assert_eq!(first.read("SHA256SUMS"), second.read("SHA256SUMS"));
}

fn binstall_meta() -> toml::Value {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(root().join("Cargo.toml")).unwrap()).unwrap();
    manifest["package"]["metadata"]["binstall"].clone()
}

/// cargo-binstall's `{ var }` templates.
fn expand(template: &str, vars: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (name, value) in vars {
        out = out.replace(&format!("{{ {name} }}"), value);
    }
    assert!(!out.contains('{'), "unknown variable left in {out}");
    out
}

/// binstall's pkg-url, bin-dir and pkg-fmt (with each target's overrides)
/// name the archive the script made, the binary in it, and its format.
#[test]
fn binstall_metadata_names_the_archives_the_script_makes() {
    let dry = DryRun::new();
    let meta = binstall_meta();
    for target in &dry.targets {
        let field = |key: &str| {
            meta.get("overrides")
                .and_then(|o| o.get(target.as_str()))
                .and_then(|o| o.get(key))
                .or_else(|| meta.get(key))
                .and_then(toml::Value::as_str)
                .unwrap_or_else(|| panic!("no binstall {key} for {target}"))
                .to_string()
        };
        let binary_ext = if is_windows(target) { ".exe" } else { "" };
        let vars = [
            ("repo", REPO),
            ("name", NAME),
            ("version", VERSION),
            ("target", target.as_str()),
            ("bin", NAME),
            ("binary-ext", binary_ext),
        ];
        assert_eq!(
            expand(&field("pkg-url"), &vars),
            dry.url(target),
            "{target}"
        );
        let bin = dry
            .unpacked
            .join(target)
            .join(expand(&field("bin-dir"), &vars));
        assert_eq!(
            std::fs::read(&bin).unwrap(),
            dummy_binary(target),
            "{target}"
        );
        let fmt = field("pkg-fmt");
        let want = if is_windows(target) { "zip" } else { "tgz" };
        assert_eq!(fmt, want, "{target}");
    }
}
