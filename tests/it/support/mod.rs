//! Shared helpers for integration tests: a temp CCSWITCH_HOME, running the
//! real binary, and a private Secret Service (dbus + gnome-keyring).
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_ccswitch");

/// A temp folder used as CCSWITCH_HOME.
pub struct Home {
    pub dir: tempfile::TempDir,
}

impl Home {
    pub fn new() -> Home {
        Home {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.path().join("config.toml")
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(self.config(), text).unwrap();
    }

    pub fn read_config(&self) -> String {
        std::fs::read_to_string(self.config()).unwrap_or_default()
    }

    /// `ccswitch ARGS` with this home, English messages, no inherited keyring
    /// or key variables: a developer's own `UP_KEY` or `ANTHROPIC_API_KEY`
    /// must not make a test that expects a missing key start a server
    /// instead (and hang).
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        for (name, _) in std::env::vars_os() {
            let n = name.to_string_lossy();
            if inherited_key(&n) {
                c.env_remove(&name);
            }
        }
        c.args(args)
            .env("CCSWITCH_HOME", self.path())
            .env("CCSWITCH_LANG", "en")
            // Keep the developer's own session bus out of tests.
            .env(
                "DBUS_SESSION_BUS_ADDRESS",
                "unix:path=/nonexistent/ccswitch-test-bus",
            )
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Run {
        Run::from(self.cmd(args).output().expect("run ccswitch"))
    }

    pub fn run_stdin(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Run {
        let mut c = self.cmd(args);
        c.envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("spawn ccswitch");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        Run::from(child.wait_with_output().unwrap())
    }

    /// `ccswitch run --claude CLAUDE ARGS…` with `env`.
    pub fn run_claude(&self, claude: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut all = vec!["run", "--claude", claude.to_str().unwrap()];
        all.extend(args);
        self.run_env(&all, env)
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        Run::from(
            self.cmd(args)
                .envs(env.iter().copied())
                .output()
                .expect("run ccswitch"),
        )
    }
}

/// A variable that may hold a key, or point ccswitch or Claude Code at
/// one.
pub fn inherited_key(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    ["_KEY", "_TOKEN", "_SECRET"].iter().any(|s| n.ends_with(s)) || n.starts_with("ANTHROPIC_")
}

#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    #[track_caller]
    pub fn ok(&self) -> &Run {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    #[track_caller]
    pub fn fails(&self, code: i32) -> &Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}", self.stdout))
    }

    /// Claude Code's `--output-format stream-json` lines.
    pub fn lines(&self) -> impl Iterator<Item = serde_json::Value> + '_ {
        self.stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
    }

    /// Its final `result` line.
    #[track_caller]
    pub fn result(&self) -> serde_json::Value {
        self.lines()
            .find(|v| v["type"] == "result")
            .unwrap_or_else(|| {
                panic!(
                    "no result: code {}\n{}\n{}",
                    self.code, self.stdout, self.stderr
                )
            })
    }

    /// The first tool result (a `user` line) that mentions `needle`, as
    /// JSON text.
    #[track_caller]
    pub fn tool_result_with(&self, needle: &str) -> String {
        self.lines()
            .filter(|v| v["type"] == "user")
            .map(|v| v.to_string())
            .find(|v| v.contains(needle))
            .unwrap_or_else(|| panic!("no tool result with {needle}:\n{}", self.stdout))
    }
}

/// Find a program or fail the test with a message naming what is missing.
pub fn require_program(name: &str, package: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "`{name}` is not installed, so this test cannot run. \
             Install the Debian package `{package}` (scripts/test does this), then run the tests again."
        )
    })
}

/// A private D-Bus session with an unlocked gnome-keyring Secret Service.
/// Everything runs under temp dirs and stops when this is dropped.
pub struct SecretService {
    bus: Child,
    pub address: String,
    pub runtime_dir: tempfile::TempDir,
    pub home: tempfile::TempDir,
}

impl SecretService {
    pub fn start() -> SecretService {
        let dbus = require_program("dbus-daemon", "dbus-daemon");
        let gkd = require_program("gnome-keyring-daemon", "gnome-keyring");
        let runtime_dir = tempfile::tempdir().unwrap();
        let home = tempfile::tempdir().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(runtime_dir.path(), std::fs::Permissions::from_mode(0o700))
                .unwrap();
        }
        let mut bus = Command::new(dbus)
            .args(["--session", "--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dbus-daemon");
        let mut line = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let address = line.trim().to_string();
        assert!(!address.is_empty(), "dbus-daemon printed no address");
        let env = |c: &mut Command| {
            c.env("DBUS_SESSION_BUS_ADDRESS", &address)
                .env("XDG_RUNTIME_DIR", runtime_dir.path())
                .env("HOME", home.path())
                .env("XDG_DATA_HOME", home.path().join("data"))
                .stdout(Stdio::null())
                .stderr(Stdio::null());
        };
        // Unlock creates and unlocks the login collection; --start then makes
        // sure org.freedesktop.secrets is owned before a client asks (see
        // shared/docs/keyring.md: without it 2/620 runs raced).
        let mut unlock = Command::new(&gkd);
        unlock
            .args(["--unlock", "--components=secrets"])
            .stdin(Stdio::piped());
        env(&mut unlock);
        let mut child = unlock.spawn().expect("start gnome-keyring-daemon");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"ci-password")
            .unwrap();
        assert!(
            child.wait().unwrap().success(),
            "gnome-keyring-daemon --unlock failed"
        );
        let mut start = Command::new(&gkd);
        start.args(["--start", "--components=secrets"]);
        env(&mut start);
        assert!(
            start.status().unwrap().success(),
            "gnome-keyring-daemon --start failed"
        );
        SecretService {
            bus,
            address,
            runtime_dir,
            home,
        }
    }

    /// The secret stored for ccswitch's `account` (service `ccswitch`),
    /// read by a Secret Service client of the test's own, not through
    /// ccswitch: what another program would find there. `None` when there
    /// is no such entry; a panic when there are several.
    #[cfg(target_os = "linux")]
    pub fn lookup(&self, account: &str) -> Option<String> {
        use secret_service::EncryptionType;
        use secret_service::blocking::SecretService as Client;
        let bus = zbus::blocking::connection::Builder::address(self.address.as_str())
            .and_then(zbus::blocking::connection::Builder::build)
            .unwrap_or_else(|e| panic!("connect to the test's session bus: {e}"));
        let client = Client::connect_with_existing(EncryptionType::Plain, bus)
            .unwrap_or_else(|e| panic!("open a Secret Service session: {e}"));
        let attributes =
            std::collections::HashMap::from([("service", "ccswitch"), ("username", account)]);
        let found = client.search_items(attributes).unwrap();
        assert!(found.locked.is_empty(), "{account}: a locked entry");
        assert!(found.unlocked.len() <= 1, "{account}: several entries");
        let item = found.unlocked.first()?;
        Some(String::from_utf8(item.get_secret().unwrap()).unwrap())
    }

    #[cfg(not(target_os = "linux"))]
    pub fn lookup(&self, _account: &str) -> Option<String> {
        panic!("the tests run a private Secret Service on Linux only")
    }

    /// Environment for a process that should use this Secret Service.
    pub fn env(&self) -> Vec<(&'static str, &str)> {
        vec![
            ("DBUS_SESSION_BUS_ADDRESS", self.address.as_str()),
            ("XDG_RUNTIME_DIR", self.runtime_dir.path().to_str().unwrap()),
        ]
    }
}

/// The environment of a user whose home is `home`, importing: `env` (a
/// Secret Service's, say), `HOME`, and none of the Claude Code variables
/// of the machine running the test.
pub fn import_env<'a>(env: &[(&'a str, &'a str)], home: &'a Path) -> Vec<(&'a str, &'a str)> {
    let mut env = env.to_vec();
    env.push(("HOME", home.to_str().unwrap()));
    for var in [
        "ANTHROPIC_BASE_URL",
        "ANTHROPIC_AUTH_TOKEN",
        "ANTHROPIC_API_KEY",
        "ANTHROPIC_MODEL",
        "NODE_EXTRA_CA_CERTS",
        "HTTPS_PROXY",
        "https_proxy",
        "CLAUDE_CODE_USE_BEDROCK",
        "CLAUDE_CODE_USE_VERTEX",
        "CLAUDE_CONFIG_DIR",
        "CC_SWITCH_CONFIG_DIR",
    ] {
        env.push((var, ""));
    }
    env
}

impl Drop for SecretService {
    fn drop(&mut self) {
        // gnome-keyring-daemon exits when its session bus goes away.
        let _ = self.bus.kill();
        let _ = self.bus.wait();
    }
}
/// A stand-in for `claude`: a shell script running `body`, executable.
pub fn fake_claude(dir: &Path, body: &str) -> PathBuf {
    let path = dir.join("claude");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write the fake claude");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))
            .expect("make the fake claude executable");
    }
    path
}

/// Run `cmd` (stdout and stderr piped) off the async runtime, killing it
/// after `limit`: a hung claude fails the test, saying so, instead of
/// hanging it.
#[track_caller]
pub fn output_within(
    mut cmd: Command,
    limit: std::time::Duration,
) -> impl std::future::Future<Output = Run> {
    let caller = std::panic::Location::caller();
    let program = cmd.get_program().to_string_lossy().into_owned();
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    async move {
        let (run, hung) = tokio::task::spawn_blocking(move || {
            let mut child = cmd.spawn().unwrap();
            let t0 = std::time::Instant::now();
            let mut hung = false;
            while child.try_wait().unwrap().is_none() {
                if t0.elapsed() > limit {
                    let _ = child.kill();
                    hung = true;
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            (Run::from(child.wait_with_output().unwrap()), hung)
        })
        .await
        .unwrap();
        assert!(
            !hung,
            "{program} did not finish within {limit:?} and was killed ({caller})\n\
             stdout:\n{}\nstderr:\n{}",
            run.stdout, run.stderr
        );
        run
    }
}

pub mod bedrock;
pub mod claude;
pub mod clock;
pub mod mock;
/// A real, throwaway PostgreSQL server: the library's own test harness.
#[cfg(unix)]
#[allow(dead_code)]
#[path = "../../../src/gateway/store/postgres/testdb.rs"]
pub mod postgres;
pub mod prefix_cache;
pub mod proxy;
pub mod serve;
pub mod socks;
pub mod tls;
pub mod tmux;
pub mod vertex;

/// A ledger of `n` requests (one session each, in the daily sums) on the
/// day `day` (SQL) says: `date('now', 'localtime')`
/// is today, as `usage` counts days.
pub fn ledger_on(dir: &std::path::Path, n: usize, day: &str) {
    let path = dir.join("usage.db");
    let conn = ccswitch::usage::db::open(&path, 1).unwrap().conn;
    let mut insert = conn
        .prepare(&format!(
            "INSERT INTO daily VALUES ({day}, ?1, 'p', 'oa', 'm', '', '', '', 1, 0, 100, 10, 0,
             0, 0, 0.5, 0.0, 0)"
        ))
        .unwrap();
    for i in 0..n {
        insert
            .execute([format!("session-{i:06}-{}", "x".repeat(40))])
            .unwrap();
    }
    drop(insert);
    drop(conn);
    assert!(!dir.join("usage.db-wal").exists());
}
