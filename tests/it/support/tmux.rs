//! Real programs in a real terminal: a tmux session the tests type into
//! and read back.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use super::Home;
use super::claude::claude_bin;

pub struct Tmux {
    socket: String,
}

// The scripts echo `CCSWITCH""_EXIT=$?`, so the typed command line itself
// never matches the `CCSWITCH_EXIT=` that the shell prints afterwards.
impl Tmux {
    /// A detached session `t` of `w`×`h` running a plain bash.
    pub fn start(name: &str, w: u16, h: u16) -> Tmux {
        let tmux = Tmux {
            socket: format!("ccswitch-{name}-{}", std::process::id()),
        };
        let (w, h) = (w.to_string(), h.to_string());
        let args = [
            "new-session",
            "-d",
            "-s",
            "t",
            "-x",
            &w,
            "-y",
            &h,
            "bash",
            "--norc",
            "--noprofile",
        ];
        let out = tmux.cmd(&args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    pub fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new(crate::support::require_program("tmux", "tmux"))
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux")
    }

    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    pub fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend(keys);
        self.cmd(&args);
    }

    /// Text typed as-is (not key names).
    pub fn type_text(&self, text: &str) {
        self.cmd(&["send-keys", "-t", "t", "-l", text]);
    }

    pub fn wait_gone(&self, what: &str, limit: Duration) {
        let t0 = Instant::now();
        while self.capture().contains(what) {
            assert!(
                t0.elapsed() < limit,
                "`{what}` stayed on screen:\n{}",
                self.capture()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn wait_for(&self, what: &str, limit: Duration) -> String {
        let t0 = Instant::now();
        loop {
            let screen = self.capture();
            if screen.contains(what) {
                return screen;
            }
            assert!(
                t0.elapsed() < limit,
                "`{what}` did not appear; screen:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// A session `t` of `w`×`h` that runs the shell line `script`.
    pub fn run(name: &str, w: u16, h: u16, script: &str) -> Tmux {
        let tmux = Tmux::start(name, w, h);
        tmux.send(&[script, "Enter"]);
        tmux
    }

    /// Wait for the `CCSWITCH_EXIT=` the scripts echo, and check that
    /// ccswitch exited with `code`.
    pub fn exited(&self, code: i32, limit: Duration) -> String {
        let screen = self.wait_for("CCSWITCH_EXIT=", limit);
        assert!(
            screen.contains(&format!("CCSWITCH_EXIT={code}")),
            "{screen}"
        );
        screen
    }

    /// Wait for `marker`, which comes after `stty -a`'s modes, and check
    /// the terminal is in its normal mode: canonical input and echo on.
    pub fn left_sane(&self, marker: &str, limit: Duration) -> String {
        let screen = self.wait_for(marker, limit);
        let modes = screen.split_whitespace().collect::<Vec<_>>();
        assert!(
            modes.contains(&"icanon") && modes.contains(&"echo"),
            "terminal left raw:\n{screen}"
        );
        screen
    }

    /// Press Down until `what` is on screen (a list's row, say).
    pub fn down_to(&self, what: &str) {
        for _ in 0..30 {
            if self.capture().contains(what) {
                return;
            }
            self.send(&["Down"]);
            std::thread::sleep(Duration::from_millis(100));
        }
        self.wait_for(what, Duration::from_secs(5));
    }

    /// Ctrl-C twice, Claude Code's way out; ccswitch must survive the
    /// first.
    pub fn ctrl_c_twice(&self) {
        self.send(&["C-c"]);
        std::thread::sleep(Duration::from_millis(400));
        self.send(&["C-c"]);
    }
}

/// What the scripts echo after ccswitch: its exit code.
pub const ECHO_EXIT: &str = "; echo CCSWITCH\"\"_EXIT=$?";
/// What they may run next: the terminal's modes, then a marker.
pub const STTY: &str = "stty -a; echo STTY\"\"_DONE";

/// The shell command that runs `ccswitch ARGS` with `vars` (`NAME=value`
/// words, or `env`'s own options), this home and English messages.
pub fn ccswitch(home: &Home, vars: &str, args: &str) -> String {
    format!(
        "env {vars} CCSWITCH_HOME={} CCSWITCH_LANG=en {}{args}",
        home.path().display(),
        crate::support::BIN
    )
}

/// A temp folder with a folder `name` made in it: its guard, and the
/// folder.
pub fn temp_with(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let inner = dir.path().join(name);
    std::fs::create_dir_all(&inner).unwrap();
    (dir, inner)
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

/// The shell line that runs `ccswitch run PROFILE` with the real claude in
/// a fresh Claude home whose first-run dialogs (theme, trust) are already
/// answered, as a returning user's are; then `after`. The home is kept
/// alive by the returned guard.
pub fn launch_line(home: &Home, profile: &str, after: &str) -> (tempfile::TempDir, String) {
    let (chome, cwd) = temp_with("work");
    let seeded = serde_json::json!({
        "hasCompletedOnboarding": true,
        "theme": "dark",
        "projects": { cwd.display().to_string(): { "hasTrustDialogAccepted": true } }
    });
    std::fs::write(chome.path().join(".claude.json"), seeded.to_string()).unwrap();
    let run = ccswitch(
        home,
        &format!("HOME={} UP_KEY=sk-x", chome.path().display()),
        &format!(" run --claude {} {profile}", claude_bin().display()),
    );
    let script = format!("cd {} && {run}{ECHO_EXIT}{after}", cwd.display());
    (chome, script)
}
