//! A real, throwaway PostgreSQL server for the tests: Debian's (or any)
//! `initdb` and `postgres`, a cluster in a temporary folder, listening on
//! 127.0.0.1 on a free port of its own (never the system cluster's 5432),
//! one fresh database per test. The library's tests and the integration
//! tests (`tests/it/support/postgres.rs` includes this file) share it;
//! it needs only std, tempfile and which.
//!
//! Missing server programs fail the test with what to install: never a
//! skip. PostgreSQL refuses to run as root, as CI does: then the cluster
//! belongs to, and the server runs as, the unprivileged `postgres` user.
//!
//! The server is started by a small shell that reads commands (`stop`,
//! `start`) from a pipe this process holds; when the pipe closes (the
//! guard dropped, or the test process gone, even killed) the shell stops
//! the server and removes its folder, so no server outlives the run.

// The test server runs under a Unix shell; CI runs the tests on Linux.
#![cfg(unix)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The superuser `initdb` creates; trusted, so no password is checked
/// (the URLs carry one anyway: it must never be shown).
pub const USER: &str = "ccswitch";
pub const PASSWORD: &str = "not-the-password";

/// How long a start may take before the test fails with the server's log.
const START_BOUND: Duration = Duration::from_secs(60);

/// Runs the server and obeys `stop` / `start` lines on stdin; EOF ends it
/// all. `$1` postgres binary, `$2` data dir, `$3` socket dir and root,
/// `$4` port, `$5` TLS: `on` to serve `$3/server.pem` with `$3/server.key`.
const SUPERVISOR: &str = r#"
run() {
  "$1" -D "$2" -k "$3" -p "$4" -c listen_addresses=127.0.0.1 \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
    -c ssl="$5" -c ssl_cert_file="$3/server.pem" -c ssl_key_file="$3/server.key" \
    -c max_connections=300 </dev/null >>"$3/server.log" 2>&1 &
  pid=$!
}
run "$@"
while read -r cmd; do
  case "$cmd" in
    stop) kill -INT "$pid" 2>/dev/null; wait "$pid" ;;
    start) run "$@" ;;
  esac
done
kill -INT "$pid" 2>/dev/null
wait "$pid"
rm -rf "$3"
"#;

pub struct PgServer {
    pub port: u16,
    root: PathBuf,
    bin: PathBuf,
    control: Mutex<Option<ChildStdin>>,
    supervisor: Mutex<Child>,
}

/// One server for the whole test process, started on first use.
pub fn shared() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(PgServer::start)
}

/// A new empty database on the shared server: its URL.
pub fn fresh_db() -> String {
    shared().fresh_db()
}

impl PgServer {
    /// A server of its own (for a test that stops and starts it).
    pub fn start() -> PgServer {
        PgServer::start_with(None)
    }

    /// A server of its own with `ssl = on`, serving `cert_pem` (its
    /// certificate, then any intermediates) with the key `key_pem`.
    pub fn start_tls(cert_pem: &str, key_pem: &str) -> PgServer {
        PgServer::start_with(Some((cert_pem, key_pem)))
    }

    fn start_with(tls: Option<(&str, &str)>) -> PgServer {
        let t0 = Instant::now();
        let bin = bin_dir().unwrap_or_else(|e| panic!("{e}"));
        let owner = owner();
        let root = tempfile::Builder::new()
            .prefix("ccswitch-pg-")
            .tempdir()
            .expect("a temporary folder for PostgreSQL")
            .keep();
        if let Some(user) = owner {
            run(Command::new("chown").arg(format!("{user}:")).arg(&root));
        }
        if let Some((cert, key)) = tls {
            write_tls(&root, owner, cert, key);
        }
        let data = root.join("data");
        run(as_owner(owner, &bin.join("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                USER,
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ])
            .arg("-D")
            .arg(&data));
        let port = free_port();
        let mut supervisor = as_owner(owner, Path::new("sh"))
            .args(["-c", SUPERVISOR, "sh"])
            .arg(bin.join("postgres"))
            .arg(&data)
            .arg(&root)
            .arg(port.to_string())
            .arg(if tls.is_some() { "on" } else { "off" })
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting PostgreSQL's supervising shell");
        let control = supervisor.stdin.take();
        let server = PgServer {
            port,
            root,
            bin,
            control: Mutex::new(control),
            supervisor: Mutex::new(supervisor),
        };
        server.wait_until(true);
        eprintln!(
            "testdb: PostgreSQL on 127.0.0.1:{port} ready in {:?}",
            t0.elapsed()
        );
        server
    }

    /// The URL of database `db`, with a password that must not be shown.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{db}", self.port)
    }

    /// A new empty database: its URL.
    pub fn fresh_db(&self) -> String {
        static N: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "t_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        self.sql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    /// Run `sql` in database `db` as the superuser; its rows, one a line,
    /// columns split by `|`.
    pub fn sql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-h", "127.0.0.1", "-U", USER, "-qAtX"])
            .args(["-v", "ON_ERROR_STOP=1"])
            .arg("-p")
            .arg(self.port.to_string())
            .args(["-d", db, "-c", sql])
            .output()
            .expect("running psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim_end().to_owned()
    }

    /// Stop the server (a fast shutdown, as a restart does: sessions are
    /// ended) and wait until it is gone.
    pub fn stop(&self) {
        self.tell("stop");
        self.wait_until(false);
    }

    /// Start it again, on the same port and data, and wait until it
    /// accepts connections.
    pub fn start_again(&self) {
        self.tell("start");
        self.wait_until(true);
    }

    fn tell(&self, cmd: &str) {
        let mut control = self
            .control
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let pipe = control.as_mut().expect("the server is running");
        writeln!(pipe, "{cmd}").expect("telling PostgreSQL's supervisor");
    }

    /// Wait until the server accepts connections (`up`) or answers none.
    fn wait_until(&self, up: bool) {
        let t0 = Instant::now();
        loop {
            // pg_isready: 0 accepting, 1 rejecting (starting or stopping),
            // 2 no response.
            let code = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-U", USER, "-d", "postgres", "-t", "1"])
                .arg("-p")
                .arg(self.port.to_string())
                .stdout(Stdio::null())
                .status()
                .expect("running pg_isready")
                .code();
            if (up && code == Some(0)) || (!up && code == Some(2)) {
                return;
            }
            let exited = self
                .supervisor
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .try_wait()
                .ok()
                .flatten();
            if exited.is_some() || t0.elapsed() > START_BOUND {
                panic!(
                    "PostgreSQL on port {} did not {} within {START_BOUND:?}; its log:\n{}",
                    self.port,
                    if up { "start" } else { "stop" },
                    std::fs::read_to_string(self.root.join("server.log")).unwrap_or_default()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // EOF: the supervisor stops the server and removes its folder.
        drop(
            self.control
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .take(),
        );
        let _ = self
            .supervisor
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .wait();
    }
}

/// The folder holding initdb, postgres, pg_isready and psql: the one of
/// the `initdb` on PATH, else Debian's newest `/usr/lib/postgresql/*/bin`.
fn bin_dir() -> Result<PathBuf, String> {
    const NEEDED: [&str; 4] = ["initdb", "postgres", "pg_isready", "psql"];
    // Through a symlink (Debian's /usr/local/bin/initdb here) to the
    // folder that holds the rest.
    let mut candidates: Vec<PathBuf> = which::which("initdb")
        .ok()
        .and_then(|p| p.canonicalize().ok())
        .and_then(|p| p.parent().map(Path::to_path_buf))
        .into_iter()
        .collect();
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .collect();
    // Newest first: 16 before 15 (numerically, 9.6 last).
    debian.sort_by_key(|p| {
        let v = p
            .parent()
            .and_then(|v| v.file_name())
            .map(|v| v.to_string_lossy().into_owned());
        std::cmp::Reverse(v.and_then(|v| v.split('.').next()?.parse::<u32>().ok()))
    });
    candidates.extend(debian);
    candidates
        .into_iter()
        .find(|dir| NEEDED.iter().all(|b| dir.join(b).is_file()))
        .ok_or_else(|| {
            format!(
                "The gateway's PostgreSQL tests need a real PostgreSQL server, and its programs \
                 ({}) were found neither on PATH nor in /usr/lib/postgresql/*/bin. Install \
                 Debian's `postgresql` package (apt-get install postgresql); scripts/test \
                 installs it.",
                NEEDED.join(", ")
            )
        })
}

/// Who must own the cluster: `postgres` when we are root (PostgreSQL
/// refuses to run as root), else nobody but us.
fn owner() -> Option<&'static str> {
    let uid = Command::new("id").arg("-u").output().ok()?;
    if String::from_utf8_lossy(&uid.stdout).trim() != "0" {
        return None;
    }
    let exists = Command::new("id")
        .args(["-u", "postgres"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        exists,
        "The gateway's PostgreSQL tests run as root here, and PostgreSQL refuses to run as \
         root: they run the server as the unprivileged `postgres` user, which does not exist. \
         Install Debian's `postgresql` package (it creates the user; scripts/test installs it), \
         or run the tests as another user."
    );
    Some("postgres")
}

/// `program`, run as `owner` when there is one.
fn as_owner(owner: Option<&str>, program: &Path) -> Command {
    match owner {
        Some(user) => {
            let mut c = Command::new("runuser");
            c.args(["-u", user, "--"]).arg(program);
            c
        }
        None => Command::new(program),
    }
}

/// The server's certificate and key into `root`, the key as PostgreSQL
/// insists: mode 0600 and the server's user's own.
fn write_tls(root: &Path, owner: Option<&str>, cert: &str, key: &str) {
    use std::os::unix::fs::PermissionsExt;
    let (cert_path, key_path) = (root.join("server.pem"), root.join("server.key"));
    std::fs::write(&cert_path, cert).expect("writing the test server's certificate");
    std::fs::write(&key_path, key).expect("writing the test server's key");
    std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600))
        .expect("making the test server's key private");
    if let Some(user) = owner {
        run(Command::new("chown")
            .arg(format!("{user}:"))
            .arg(&cert_path)
            .arg(&key_path));
    }
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A port nothing listens on now (the server takes it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}
