//! What the commands and the screen need from the outside world: where
//! files live, the key stores, the environment and the clock. Injectable,
//! so tests never touch the process's own.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::paths::Paths;
use crate::secrets::Secrets;
use crate::t;

/// Reads an environment variable. Shared and thread-safe, so a context can
/// be cloned into the threads that do slow work (the TUI's).
pub type EnvLookup = Arc<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Cheap to clone (the key stores and the lookup are shared), and
/// `Send + Sync`: background threads take a clone rather than building
/// their own view of the machine.
#[derive(Clone)]
pub struct Ctx {
    pub paths: Paths,
    pub secrets: Secrets,
    pub env: EnvLookup,
    /// The clock: "last used" stamps and log times read it.
    pub now: fn() -> SystemTime,
}

/// There is nowhere to keep ccswitch's files.
#[derive(Debug, thiserror::Error)]
#[error("{}", t!("cli.no_home"))]
pub struct NoHome;

impl Ctx {
    /// The real machine: platform dirs (or `CCSWITCH_HOME`), the OS keyring,
    /// the process environment, the system clock. With `i18n`, the only
    /// place that reads the process environment (`tests/it/architecture.rs`
    /// holds everything else to `ctx.env`).
    pub fn system() -> Result<Ctx, NoHome> {
        let env: EnvLookup = Arc::new(|k| std::env::var(k).ok());
        // As an OS string, as before: a `CCSWITCH_HOME` that is not UTF-8
        // is still a folder to use, not a reason to fall back silently.
        let ccswitch_home = std::env::var_os(crate::paths::HOME_ENV);
        let paths = Paths::from_env(ccswitch_home.as_deref(), &*env).ok_or(NoHome)?;
        Ok(Ctx {
            secrets: Secrets::system(&paths.credentials_file),
            paths,
            env,
            now: SystemTime::now,
        })
    }
}

/// The variables that send HTTP requests through a proxy (reqwest and
/// Claude Code both read them), and those that exempt hosts from it: named
/// once, for doctor's check and the man page.
pub const PROXY_VARS: &[&str] = &[
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];
pub const NO_PROXY_VARS: &[&str] = &["NO_PROXY", "no_proxy"];

/// `HH:MM:SS` in UTC, for log lines.
pub fn hms(t: SystemTime) -> String {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02}",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The TUI's background threads each take a clone.
    #[test]
    fn a_context_can_be_shared_with_threads() {
        fn shareable<T: Send + Sync + Clone + 'static>() {}
        shareable::<Ctx>();
    }

    #[test]
    fn log_times_are_utc_clock_times() {
        let t = UNIX_EPOCH + Duration::from_secs(86_400 * 3 + 3600 * 13 + 60 * 5 + 9);
        assert_eq!(hms(t), "13:05:09");
        assert_eq!(hms(UNIX_EPOCH), "00:00:00");
    }
}
