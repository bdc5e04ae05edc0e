//! What `ccswitch run` leaves behind and passes on when things go wrong:
//! no key in any file, nothing left when ccswitch is killed, a user's
//! broken `--settings` refused, claude's death by signal passed on.

use std::path::{Path, PathBuf};
use std::process::Stdio;
// Only the Linux-only test below polls processes.
use std::time::Duration;
#[cfg(target_os = "linux")]
use std::time::Instant;

use crate::support::claude::claude_bin;
use crate::support::mock::{self, End, Mock};
use crate::support::{Home, Run, fake_claude, output_within};
use serde_json::{Value, json};

const KEY: &str = "sk-ant-direct-key-for-the-test";

/// A direct-mode profile (official API shape) at `base`.
fn direct_config(base: &str) -> String {
    format!(
        "default = \"d\"\n[providers.an]\napi = \"anthropic\"\nbase_url = \"{base}\"\nauth = \"x-api-key\"\nkey = {{ env = \"AN_KEY\" }}\n\
         [profiles.d]\nprovider = \"an\"\nmain = \"claude-opus-5\"\ndirect = true\n"
    )
}

/// Every file under `dir` whose bytes contain `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<PathBuf> {
    let mut hits = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return hits;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            hits.extend(files_containing(&p, needle));
        } else if std::fs::read(&p).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)) {
            hits.push(p);
        }
    }
    hits
}

#[test]
fn a_direct_key_reaches_claude_through_its_helper_and_no_file() {
    let home = Home::new();
    home.write_config(&direct_config("https://api.example.invalid"));
    let tmp = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    // The fake claude shows what it got: its settings file, whether the
    // key is anywhere under TMPDIR while it runs, and its helper's answer.
    let claude = fake_claude(
        work.path(),
        r#"while [ "$1" != "--settings" ]; do shift; done
echo "SETTINGS=$(cat "$2")"
echo "IN_TMP=$(grep -rl "$KEY_TO_FIND" "$TMPDIR" | wc -l)"
echo "API_KEY=${ANTHROPIC_API_KEY-unset}"
helper=$(sed -n 's/.*"apiKeyHelper":"\([^"]*\)".*/\1/p' "$2")
echo "HELPER=$(sh -c "$helper")""#,
    );
    let out = home
        .cmd(&["run", "--claude", claude.to_str().unwrap(), "-q", "d"])
        .env("AN_KEY", KEY)
        .env("KEY_TO_FIND", KEY)
        .env("TMPDIR", tmp.path())
        .env("ANTHROPIC_API_KEY", "sk-inherited-stale")
        .output()
        .unwrap();
    let r = Run::from(out);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let line = |k: &str| {
        r.stdout
            .lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .unwrap_or_else(|| panic!("no {k} in {}", r.stdout))
            .to_string()
    };
    let settings: Value = serde_json::from_str(&line("SETTINGS")).unwrap();
    assert!(!line("SETTINGS").contains(KEY), "{settings}");
    // Blank in the file: a stale key in ~/.claude/settings.json loses.
    assert_eq!(settings["env"]["ANTHROPIC_API_KEY"], "");
    assert_eq!(settings["env"]["ANTHROPIC_AUTH_TOKEN"], "");
    assert!(
        settings["apiKeyHelper"]
            .as_str()
            .unwrap()
            .ends_with("__key-helper")
    );
    assert_eq!(line("IN_TMP"), "0");
    assert_eq!(line("API_KEY"), "unset");
    assert_eq!(line("HELPER"), KEY);
    // Nothing is left once the session is over.
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "left in TMPDIR"
    );
    // Outside a session the helper has nothing to give.
    let r = home.run(&["__key-helper"]);
    assert_eq!(r.code, 2);
    assert!(r.stdout.is_empty());
}

/// Direct mode with the real Claude Code: the key gets there by the helper,
/// past a stale key in the user's own settings.
#[tokio::test]
async fn real_claude_in_direct_mode_sends_the_key_from_the_helper() {
    let an = Mock::start().await;
    let home = Home::new();
    home.write_config(&direct_config(&an.url("/anthropic")));
    an.push(mock::sse_raw(
        &[include_str!(
            "../fixtures/claude-code/responses/stream-text.sse"
        )],
        End::Close,
    ));
    let chome = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(chome.path().join(".claude")).unwrap();
    std::fs::write(
        chome.path().join(".claude/settings.json"),
        json!({"env": {"ANTHROPIC_API_KEY": "sk-stale-from-settings"}}).to_string(),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = home.cmd(&[
        "run",
        "--claude",
        claude_bin().to_str().unwrap(),
        "-q",
        "d",
        "-p",
        "say hi",
        "--output-format",
        "json",
    ]);
    cmd.current_dir(chome.path())
        .env("HOME", chome.path())
        .env("AN_KEY", KEY)
        .env("TMPDIR", tmp.path())
        .env("CLAUDE_CODE_MAX_RETRIES", "1");
    let r = output_within(cmd, Duration::from_secs(90)).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let seen = an.last();
    assert_eq!(seen.header("x-api-key"), Some(KEY));
    assert!(files_containing(chome.path(), KEY).is_empty());
    // Claude Code keeps files of its own in TMPDIR; none holds the key, and
    // ccswitch's session folder is gone.
    assert!(files_containing(tmp.path(), KEY).is_empty());
    let ours = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("ccswitch-"))
        .count();
    assert_eq!(ours, 0);
}

#[test]
fn a_broken_user_settings_file_stops_the_launch() {
    let home = Home::new();
    home.write_config(&direct_config("https://api.example.invalid"));
    let work = tempfile::tempdir().unwrap();
    let marker = work.path().join("started");
    let claude = fake_claude(work.path(), &format!("touch {}", marker.display()));
    let s = work.path().join("mine.json");
    std::fs::write(&s, "{\n  \"permissions\": {\"deny\": [\"Bash\"]},\n}\n").unwrap();
    let r = home.run_claude(
        &claude,
        &["d", "--settings", s.to_str().unwrap()],
        &[("AN_KEY", KEY)],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("mine.json") && r.stderr.contains("line 3"),
        "{}",
        r.stderr
    );
    assert!(!marker.exists(), "claude was started anyway");
}

/// ccswitch killed outright (SIGKILL, OOM): claude goes too, and the next
/// session sweeps the folder the dead one left.
#[cfg(target_os = "linux")]
#[test]
fn claude_dies_with_ccswitch_and_the_next_run_sweeps_up() {
    let home = Home::new();
    home.write_config(&direct_config("https://api.example.invalid"));
    let tmp = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let pidfile = work.path().join("pid");
    let claude = fake_claude(
        work.path(),
        &format!("echo $$ > {}\nexec sleep 60", pidfile.display()),
    );
    let mut child = home
        .cmd(&["run", "--claude", claude.to_str().unwrap(), "d"])
        .env("AN_KEY", KEY)
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t0 = Instant::now();
    while !pidfile.exists() || std::fs::read_to_string(&pidfile).unwrap().trim().is_empty() {
        assert!(
            t0.elapsed() < Duration::from_secs(10),
            "claude never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let pid: i32 = std::fs::read_to_string(&pidfile)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    let alive = |pid: i32| Path::new(&format!("/proc/{pid}")).exists() && !zombie(pid);
    let t0 = Instant::now();
    while alive(pid) && t0.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!alive(pid), "claude outlived ccswitch");
    let left: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().flatten().collect();
    assert_eq!(left.len(), 1, "the killed session's folder");
    // Make it older than the grace period, as a real leftover would be.
    let old = std::time::SystemTime::now() - Duration::from_secs(3600);
    let dir = left[0].path();
    std::fs::File::open(&dir)
        .unwrap()
        .set_modified(old)
        .unwrap();
    let quick = fake_claude(work.path(), "exit 0");
    let r = home
        .cmd(&["run", "--claude", quick.to_str().unwrap(), "-q", "d"])
        .env("AN_KEY", KEY)
        .env("TMPDIR", tmp.path())
        .output()
        .unwrap();
    assert!(r.status.success());
    assert!(!dir.exists(), "the dead session's folder was not swept");
}

#[cfg(target_os = "linux")]
fn zombie(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
        s.rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z')
    })
}

/// claude killed by a signal: ccswitch dies of the same signal, so a shell
/// loop around it stops on Ctrl-C.
#[cfg(unix)]
#[test]
fn a_signal_that_kills_claude_kills_ccswitch_the_same_way() {
    use std::os::unix::process::ExitStatusExt;
    let home = Home::new();
    home.write_config(&direct_config("https://api.example.invalid"));
    let work = tempfile::tempdir().unwrap();
    for (sig, name) in [(2, "INT"), (15, "TERM")] {
        let claude = fake_claude(work.path(), &format!("kill -{name} $$"));
        let status = home
            .cmd(&["run", "--claude", claude.to_str().unwrap(), "-q", "d"])
            .env("AN_KEY", KEY)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .unwrap();
        assert_eq!(status.signal(), Some(sig), "{status:?}");
    }
    let claude = fake_claude(work.path(), "exit 3");
    let status = home
        .cmd(&["run", "--claude", claude.to_str().unwrap(), "-q", "d"])
        .env("AN_KEY", KEY)
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(3));
}
