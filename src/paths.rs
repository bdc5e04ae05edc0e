//! Where ccswitch keeps its files: the platform dirs from `directories`, or
//! everything under `$CCSWITCH_HOME` when set (tests, portable installs).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub const HOME_ENV: &str = "CCSWITCH_HOME";

#[derive(Clone, Debug, Serialize)]
pub struct Paths {
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    /// `config.toml`: providers and profiles.
    pub config_file: PathBuf,
    /// `presets.toml`: user additions and overrides to built-in presets.
    pub presets_file: PathBuf,
    /// `credentials.toml`: the explicit plaintext key store (0600).
    pub credentials_file: PathBuf,
    /// `state.toml`: what ccswitch notes for itself (when each profile was
    /// last used); never the user's config.
    pub state_file: PathBuf,
    /// Proxy and session logs.
    pub log_dir: PathBuf,
    /// `usage.db`: the usage ledger (SQLite).
    pub usage_db: PathBuf,
    /// The audit log's folder (when audit logging is on).
    pub audit_dir: PathBuf,
    /// `circuits.json`: fallback targets running sessions are skipping.
    pub circuits_file: PathBuf,
    /// `gateway.db`: the team gateway's teams, members and keys (SQLite),
    /// unless `ccswitch gateway --store` names another.
    pub gateway_db: PathBuf,
    /// The user's home folder, what `~` in a path in `config.toml` stands
    /// for (`None`: unknown, and `~` stays as written). Not one of
    /// ccswitch's files, so `ccswitch paths` does not list it.
    #[serde(skip)]
    pub home: Option<PathBuf>,
}

impl Paths {
    /// Resolve from the environment, which the caller reads (`Ctx::system`):
    /// `ccswitch_home` is `$CCSWITCH_HOME`, as an OS string so a path that
    /// is not UTF-8 still counts, and wins over the platform dirs when not
    /// empty; `env` finds the user's home (`HOME`, `USERPROFILE`).
    pub fn from_env(
        ccswitch_home: Option<&OsStr>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Option<Paths> {
        let paths = match ccswitch_home {
            Some(dir) if !dir.is_empty() => Paths::under(Path::new(dir)),
            _ => {
                let dirs = directories::ProjectDirs::from("", "", "ccswitch")?;
                Paths::split(dirs.config_dir(), dirs.data_dir())
            }
        };
        Some(Paths {
            home: home_dir(env),
            ..paths
        })
    }

    /// Everything under one folder; no user home (`~` is not expanded).
    pub fn under(home: &Path) -> Paths {
        Paths::split(home, home)
    }

    /// Each file in its folder: settings under `config_dir`, what
    /// ccswitch writes as it runs under `data_dir`. No user home.
    pub fn split(config_dir: &Path, data_dir: &Path) -> Paths {
        Paths {
            config_dir: config_dir.to_path_buf(),
            data_dir: data_dir.to_path_buf(),
            config_file: config_dir.join("config.toml"),
            presets_file: config_dir.join("presets.toml"),
            credentials_file: config_dir.join("credentials.toml"),
            state_file: data_dir.join("state.toml"),
            log_dir: data_dir.join("logs"),
            usage_db: data_dir.join("usage.db"),
            audit_dir: data_dir.join("audit"),
            circuits_file: data_dir.join("circuits.json"),
            gateway_db: data_dir.join("gateway.db"),
            home: None,
        }
    }
}

/// The user's home folder: `HOME`, else `USERPROFILE` (Windows sets only
/// that one).
pub fn home_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    ["HOME", "USERPROFILE"]
        .into_iter()
        .find_map(|k| env(k).filter(|v| !v.is_empty()))
        .map(PathBuf::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `CCSWITCH_HOME` holds every file; the user's home comes from the
    /// lookup the caller passes, `HOME` before `USERPROFILE`.
    #[test]
    fn the_environment_given_decides_where_files_live() {
        let env = |k: &str| match k {
            "HOME" => Some("/home/u".to_string()),
            "USERPROFILE" => Some("C:\\Users\\u".to_string()),
            _ => None,
        };
        let p = Paths::from_env(Some(OsStr::new("/tmp/cc")), &env).unwrap();
        assert_eq!(p.config_file, Path::new("/tmp/cc/config.toml"));
        assert_eq!(p.usage_db, Path::new("/tmp/cc/usage.db"));
        assert_eq!(p.home.as_deref(), Some(Path::new("/home/u")));
        let windows = |k: &str| (k == "USERPROFILE").then(|| "C:\\Users\\u".to_string());
        let p = Paths::from_env(Some(OsStr::new("/tmp/cc")), &windows).unwrap();
        assert_eq!(p.home.as_deref(), Some(Path::new("C:\\Users\\u")));
        assert_eq!(Paths::under(Path::new("/x")).home, None);
    }
}
