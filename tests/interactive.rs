//! `ccswitch run` in a real terminal (tmux): Claude Code's interactive UI
//! renders, Ctrl-C reaches claude (not ccswitch), claude exits, ccswitch
//! prints its summary and exits with claude's code, and the terminal is left
//! in its normal mode.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use support::Home;
use support::claude::claude_bin;
use support::mock::Mock;

struct Tmux {
    socket: String,
}

// The scripts echo `CCSWITCH""_EXIT=$?`, so the typed command line itself
// never matches the `CCSWITCH_EXIT=` that the shell prints afterwards.
impl Tmux {
    /// A detached session `t` of `w`×`h` running a plain bash.
    fn start(name: &str, w: u16, h: u16) -> Tmux {
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

    fn cmd(&self, args: &[&str]) -> std::process::Output {
        Command::new(support::require_program("tmux", "tmux"))
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux")
    }

    fn capture(&self) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", "t"]).stdout).into_owned()
    }

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "t"];
        args.extend(keys);
        self.cmd(&args);
    }

    fn wait_gone(&self, what: &str, limit: Duration) {
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

    fn wait_for(&self, what: &str, limit: Duration) -> String {
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
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

#[tokio::test]
async fn interactive_session_renders_and_leaves_the_terminal_sane() {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&format!(
        "[providers.up]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n[profiles.p]\nprovider = \"up\"\nmain = \"up-main\"\n",
        up.url("/v1")
    ));
    let chome = tempfile::tempdir().unwrap();
    let cwd = chome.path().join("work");
    std::fs::create_dir_all(&cwd).unwrap();
    // Skip first-run dialogs (theme, trust) as a returning user would.
    let seeded = serde_json::json!({
        "hasCompletedOnboarding": true,
        "theme": "dark",
        "projects": { cwd.display().to_string(): { "hasTrustDialogAccepted": true } }
    });
    std::fs::write(chome.path().join(".claude.json"), seeded.to_string()).unwrap();

    let script = format!(
        "cd {cwd} && env HOME={home} CCSWITCH_HOME={ch} CCSWITCH_LANG=en UP_KEY=sk-x {bin} run --claude {claude} p; echo CCSWITCH\"\"_EXIT=$?; stty -a",
        cwd = cwd.display(),
        home = chome.path().display(),
        ch = home.path().display(),
        bin = support::BIN,
        claude = claude_bin().display(),
    );
    let tmux = Tmux::start("claude", 120, 40);
    tmux.send(&[&script, "Enter"]);
    // Claude Code's header names the model; then its input prompt is up.
    tmux.wait_for("up-main", Duration::from_secs(60));
    tmux.wait_for("\u{276f}", Duration::from_secs(60));
    // Ctrl-C twice is claude's way out; ccswitch must survive the first.
    tmux.send(&["C-c"]);
    std::thread::sleep(Duration::from_millis(400));
    tmux.send(&["C-c"]);
    let screen = tmux.wait_for("CCSWITCH_EXIT=", Duration::from_secs(30));
    assert!(screen.contains("CCSWITCH_EXIT=0"), "{screen}");
    assert!(
        screen.contains("ccswitch: p: 0 requests"),
        "summary missing:\n{screen}"
    );
    assert!(
        !screen.contains("about $"),
        "no cost without usage:\n{screen}"
    );
    // Terminal mode restored: canonical input and echo are on.
    let screen = tmux.wait_for("speed", Duration::from_secs(10));
    let modes = screen.split_whitespace().collect::<Vec<_>>();
    assert!(
        modes.contains(&"icanon") && modes.contains(&"echo"),
        "terminal left raw:\n{screen}"
    );
}

#[test]
fn the_tui_runs_in_a_real_terminal_saves_and_restores_the_terminal() {
    let home = Home::new();
    home.write_config(
        "[providers.ds]\npreset = \"deepseek\"\nkey = { env = \"DS_KEY\" }\n\
         [profiles.alpha]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n\
         [profiles.beta]\nprovider = \"ds\"\nmain = \"deepseek-v4-flash\"\n",
    );
    let script = format!(
        "env CCSWITCH_HOME={} CCSWITCH_LANG=en DS_KEY=sk-x {}; echo CCSWITCH\"\"_EXIT=$?; stty -a",
        home.path().display(),
        support::BIN
    );
    let tmux = Tmux::start("tui", 80, 24);
    tmux.send(&[&script, "Enter"]);
    tmux.wait_for("Profiles (2/2)", Duration::from_secs(20));
    // The key check runs in the background and lands on screen.
    tmux.wait_for("found (env DS_KEY)", Duration::from_secs(20));
    tmux.send(&["Down"]);
    tmux.send(&["*"]);
    tmux.wait_for("* beta", Duration::from_secs(10));
    assert!(
        home.read_config().contains("default = \"beta\""),
        "{}",
        home.read_config()
    );
    tmux.send(&["?"]);
    tmux.wait_for("this help", Duration::from_secs(10));
    tmux.send(&["Escape"]);
    // An Escape and a `q` arriving in one read are one Alt-q key to the
    // terminal parser; wait for the help to close before quitting.
    tmux.wait_gone("this help", Duration::from_secs(10));
    tmux.send(&["q"]);
    let screen = tmux.wait_for("CCSWITCH_EXIT=", Duration::from_secs(10));
    assert!(screen.contains("CCSWITCH_EXIT=0"), "{screen}");
    // Off the alternate screen, back in cooked mode.
    assert!(!screen.contains("Profiles (2/2)"), "{screen}");
    let screen = tmux.wait_for("speed", Duration::from_secs(10));
    let modes = screen.split_whitespace().collect::<Vec<_>>();
    assert!(
        modes.contains(&"icanon") && modes.contains(&"echo"),
        "terminal left raw:\n{screen}"
    );
}
