//! What the measuring tools (`proxy-load`, `proxy-soak`) share: reading
//! their arguments, finding the binary under test, starting `ccswitch
//! serve`, and reading a process's memory, descriptors and CPU from /proc.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The value after `name` on the command line.
pub fn text_arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

/// A number after `name`, or `default`.
pub fn num<T: std::str::FromStr>(name: &str, default: T) -> T {
    text_arg(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `--bin PATH`, else the release `ccswitch` beside this example.
pub fn binary_under_test() -> PathBuf {
    let bin = text_arg("--bin").map_or_else(
        || {
            std::env::current_exe()
                .unwrap()
                .parent()
                .and_then(Path::parent)
                .map(|d| d.join("ccswitch"))
                .unwrap()
        },
        PathBuf::from,
    );
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release` first",
        bin.display()
    );
    bin
}

/// `ccswitch serve PROFILE` with the session token `token` and the
/// provider key in `KEY_VAR`; its stderr goes to `stderr`. Returns the
/// process and the base URL it printed.
pub fn serve(
    bin: &Path,
    home: &Path,
    profile: &str,
    token: &str,
    key_var: &str,
    stderr: Stdio,
) -> (Child, String) {
    serve_with(bin, home, &[profile], token, key_var, stderr)
}

/// [`serve`] with more arguments after `serve` (the profile among them).
pub fn serve_with(
    bin: &Path,
    home: &Path,
    args: &[&str],
    token: &str,
    key_var: &str,
    stderr: Stdio,
) -> (Child, String) {
    let mut child = Command::new(bin)
        .arg("serve")
        .args(args)
        .args(["--token-env", "MEASURE_TOKEN"])
        .env("CCSWITCH_HOME", home)
        .env("MEASURE_TOKEN", token)
        .env(key_var, "k")
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut r = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("export ANTHROPIC_BASE_URL=")
        .expect("serve prints the base URL first")
        .to_string();
    // Keep reading its stdout so it never blocks (or dies of EPIPE).
    std::thread::spawn(move || std::io::copy(&mut r, &mut std::io::sink()));
    (child, url)
}

/// A running process, read through /proc (Linux).
pub struct Proc(pub u32);

impl Proc {
    /// A `/proc/PID/status` field in KiB (`VmRSS:`, `VmHWM:`).
    pub fn status(&self, field: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.0)).unwrap_or_default();
        s.lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }

    /// CPU seconds (user + system) so far.
    pub fn cpu(&self) -> f64 {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.0)).unwrap_or_default();
        let after = s.rsplit_once(") ").map_or("", |x| x.1);
        let f: Vec<u64> = after
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        // Fields 14 and 15 of stat (utime, stime), counted after the name.
        let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
        ticks as f64 / 100.0
    }

    /// Open file descriptors.
    pub fn fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.0)).map_or(0, Iterator::count)
    }
}
