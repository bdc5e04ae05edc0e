//! The settings claude gets for one session: the user's own `--settings`
//! (which must parse: its `permissions.deny` rules matter), our `env` on
//! top, and the folder that holds the file while the session lives.
//!
//! No key is ever in the file. In proxy mode it holds the session token,
//! which is worthless once ccswitch exits; a real key reaches claude only
//! through its environment, and `apiKeyHelper` hands it over so that the
//! file's blank `ANTHROPIC_API_KEY` (which beats a stale one in
//! `~/.claude/settings.json`) does not hide it.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde_json::{Map, Value};

use super::error::LaunchError;
use crate::t;

const PREFIX: &str = "ccswitch-session-";
const LOCK: &str = "lock";

/// A folder younger than this is never swept: its session may not have
/// taken its lock yet.
const GRACE: Duration = Duration::from_secs(60);

/// This ccswitch as the start of a command line for Claude Code, which
/// runs it through a shell: the path is quoted for one.
pub fn me() -> String {
    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("ccswitch"));
    let me = me.to_string_lossy();
    if cfg!(windows) {
        format!("\"{me}\"")
    } else {
        format!("'{}'", me.replace('\'', "'\\''"))
    }
}

/// Split a user's own `--settings X` out of claude's arguments, so it can be
/// merged into the session's settings file instead of fighting it.
pub fn take_user_settings(args: &mut Vec<String>) -> Option<String> {
    let i = args
        .iter()
        .position(|a| a == "--settings" || a.starts_with("--settings="))?;
    let a = args.remove(i);
    match a.strip_prefix("--settings=") {
        Some(v) => Some(v.to_string()),
        None if i < args.len() => Some(args.remove(i)),
        None => None,
    }
}

/// The user's `--settings` (a file or inline JSON) as an object. A file
/// that cannot be read or is not a JSON object stops the launch: dropping
/// it would drop its `permissions.deny` rules without a word.
pub fn user_settings(arg: &str) -> Result<Map<String, Value>, LaunchError> {
    let inline = arg.trim_start().starts_with('{');
    let source = if inline { "--settings" } else { arg };
    let text = if inline {
        arg.to_string()
    } else {
        std::fs::read_to_string(arg).map_err(|e| {
            LaunchError::Usage(t!("launch.user_settings_unreadable", path = arg, error = e))
        })?
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(LaunchError::Usage(t!(
            "launch.user_settings_not_object",
            path = source
        ))),
        Err(e) => Err(LaunchError::Usage(t!(
            "launch.user_settings_bad",
            path = source,
            line = e.line(),
            column = e.column(),
            error = e
        ))),
    }
}

/// One session's private folder (0700) with its settings file (0600). The
/// lock inside is held while the session runs, so [`sweep`] can tell a
/// live session from one whose ccswitch was killed.
pub struct SessionDir {
    dir: tempfile::TempDir,
    _lock: File,
    settings: PathBuf,
}

impl SessionDir {
    pub fn create(tmp: &Path, settings: &Value) -> std::io::Result<SessionDir> {
        let mut b = tempfile::Builder::new();
        b.prefix(PREFIX);
        // tempfile leaves the mode to the umask (0755, usually).
        #[cfg(unix)]
        b.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
        let dir = b.tempdir_in(tmp)?;
        let lock = File::create(dir.path().join(LOCK))?;
        lock.try_lock().map_err(std::io::Error::other)?;
        let path = dir.path().join("settings.json");
        let mut f = private_file(&path)?;
        f.write_all(settings.to_string().as_bytes())?;
        f.flush()?;
        Ok(SessionDir {
            dir,
            _lock: lock,
            settings: path,
        })
    }

    pub fn settings(&self) -> &Path {
        &self.settings
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }
}

fn private_file(path: &Path) -> std::io::Result<File> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)
}

/// Remove what killed sessions left in `tmp`: folders whose lock nobody
/// holds, and loose files from versions that wrote one file (they held the
/// key in direct mode) once a day old. Returns how many went.
pub fn sweep(tmp: &Path, now: SystemTime) -> usize {
    let Ok(entries) = std::fs::read_dir(tmp) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        if !e.file_name().to_string_lossy().starts_with(PREFIX) {
            continue;
        }
        let Ok(meta) = e.metadata() else { continue };
        let age = meta
            .modified()
            .ok()
            .and_then(|m| now.duration_since(m).ok())
            .unwrap_or_default();
        let path = e.path();
        let gone = if meta.is_dir() {
            age >= GRACE && abandoned(&path) && std::fs::remove_dir_all(&path).is_ok()
        } else {
            age >= Duration::from_secs(24 * 3600) && std::fs::remove_file(&path).is_ok()
        };
        removed += usize::from(gone);
    }
    removed
}

/// Nobody holds the folder's lock (or it never got one).
fn abandoned(dir: &Path) -> bool {
    match File::open(dir.join(LOCK)) {
        // Released at once: Windows cannot delete a file that is open.
        Ok(f) => f.try_lock().is_ok(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_settings_are_taken_out_of_the_args() {
        let mut a: Vec<String> = ["-p", "hi", "--settings", "s.json", "--model", "x"]
            .map(String::from)
            .to_vec();
        assert_eq!(take_user_settings(&mut a).as_deref(), Some("s.json"));
        assert_eq!(a, ["-p", "hi", "--model", "x"]);
        let mut a: Vec<String> = vec!["--settings={\"a\":1}".into()];
        assert_eq!(take_user_settings(&mut a).as_deref(), Some("{\"a\":1}"));
        let mut a: Vec<String> = vec!["-p".into()];
        assert_eq!(take_user_settings(&mut a), None);
    }

    #[test]
    fn bad_user_settings_stop_the_launch_with_where_and_why() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        std::fs::write(&path, "{\n  // mine\n  \"a\": 1\n}").unwrap();
        let e = user_settings(path.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("s.json") && e.contains("line 2"), "{e}");
        std::fs::write(&path, "{\"a\": 1,}").unwrap();
        let e = user_settings(path.to_str().unwrap())
            .unwrap_err()
            .to_string();
        assert!(e.contains("s.json") && e.contains("line 1"), "{e}");
        let e = user_settings(dir.path().join("none.json").to_str().unwrap()).unwrap_err();
        assert!(e.to_string().contains("none.json"), "{e}");
        let e = user_settings("[1]").unwrap_err().to_string();
        assert!(e.contains("[1]"), "{e}");
        assert!(user_settings("{\"a\": }").is_err());
    }

    #[test]
    fn sweep_takes_dead_sessions_and_spares_live_ones() {
        let tmp = tempfile::tempdir().unwrap();
        let v = Value::Object(Map::new());
        let live = SessionDir::create(tmp.path(), &v).unwrap();
        let dead = SessionDir::create(tmp.path(), &v).unwrap();
        let dead_path = dead.path().to_path_buf();
        // A killed ccswitch leaves the folder but not the lock.
        std::mem::forget(dead.dir);
        drop(dead._lock);
        let old = tmp.path().join("ccswitch-session-abc.json");
        std::fs::write(&old, "{}").unwrap();
        let other = tmp.path().join("unrelated");
        std::fs::write(&other, "").unwrap();

        // Too young to tell: nothing goes.
        assert_eq!(sweep(tmp.path(), SystemTime::now()), 0);
        let later = SystemTime::now() + Duration::from_secs(25 * 3600);
        assert_eq!(sweep(tmp.path(), later), 2);
        assert!(!dead_path.exists() && !old.exists());
        assert!(live.settings().exists() && other.exists());
        drop(live);
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_and_file_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let s = SessionDir::create(tmp.path(), &Value::Null).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(s.path()), 0o700);
        assert_eq!(mode(s.settings()), 0o600);
    }
}
