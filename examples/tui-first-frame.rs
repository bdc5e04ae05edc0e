//! How long `ccswitch` (the TUI) takes from process start to its first
//! frame on a real pseudo-terminal, with a config of 20 profiles.
//!
//!     cargo build --release && cargo run --release --example tui-first-frame [-- --runs 40]
//!
//! Each run spawns the release binary (debug if there is no release build)
//! on a fresh 80x24 pty, reads its output until the first frame's title
//! and list are drawn, then presses `q` and waits for it to exit. Prints
//! min / median / p95 / max. The keyring is not involved in the first
//! frame (key checks run in the background after it).

// A measuring tool stops at the first failure, loudly.
#![allow(clippy::unwrap_used)]

use std::fmt::Write as _;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use nix::pty::{Winsize, openpty};

fn binary() -> PathBuf {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let release = root.join("release/ccswitch");
    if release.exists() {
        release
    } else {
        eprintln!("note: no release build; timing the debug binary");
        root.join("debug/ccswitch")
    }
}

fn config() -> String {
    let mut s = String::from("[providers.ds]\npreset = \"deepseek\"\nkey = { env = \"DS_KEY\" }\n");
    for i in 0..20 {
        writeln!(
            s,
            "[profiles.p{i:02}]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\nfast = \"deepseek-v4-flash\""
        )
        .unwrap();
    }
    s
}

fn one(bin: &PathBuf, home: &std::path::Path) -> Duration {
    let size = Winsize {
        ws_row: 24,
        ws_col: 80,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    let pty = openpty(Some(&size), None).expect("openpty");
    let slave: OwnedFd = pty.slave;
    let t0 = Instant::now();
    let mut child = Command::new(bin)
        .env("CCSWITCH_HOME", home)
        .env("CCSWITCH_LANG", "en")
        .env("TERM", "xterm-256color")
        .stdin(Stdio::from(slave.try_clone().unwrap()))
        .stdout(Stdio::from(slave.try_clone().unwrap()))
        .stderr(Stdio::from(slave))
        .spawn()
        .expect("spawn ccswitch");
    let mut master = std::fs::File::from(pty.master);
    let mut seen = Vec::new();
    let mut buf = [0u8; 65536];
    let first = loop {
        let n = master.read(&mut buf).expect("read pty");
        assert!(n > 0, "ccswitch closed the terminal before drawing");
        seen.extend_from_slice(&buf[..n]);
        let text = String::from_utf8_lossy(&seen);
        // The title, the list and the footer: the whole first frame.
        if text.contains("profiles") && text.contains("p18") && text.contains("quit") {
            break t0.elapsed();
        }
    };
    master.write_all(b"q").unwrap();
    // Drain until it exits, so the next run starts clean.
    let waiter = std::thread::spawn(move || while master.read(&mut buf).is_ok_and(|n| n > 0) {});
    child.wait().unwrap();
    drop(waiter);
    first
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runs = args
        .iter()
        .position(|a| a == "--runs")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(30usize);
    let bin = binary();
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join("config.toml"), config()).unwrap();
    one(&bin, home.path()); // warm the page cache
    let mut times: Vec<Duration> = (0..runs).map(|_| one(&bin, home.path())).collect();
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "first frame over {runs} runs ({}): min {:.1} ms, median {:.1} ms, p95 {:.1} ms, max {:.1} ms",
        bin.display(),
        ms(times[0]),
        ms(times[runs / 2]),
        ms(times[(runs * 95 / 100).min(runs - 1)]),
        ms(times[runs - 1]),
    );
}
