//! Where ccswitch keeps its files: the platform dirs from `directories`, or
//! everything under `$CCSWITCH_HOME` when set (tests, portable installs).

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
}

impl Paths {
    /// Resolve from the environment: `CCSWITCH_HOME` wins over platform dirs.
    pub fn from_env() -> Option<Paths> {
        match std::env::var_os(HOME_ENV) {
            Some(home) if !home.is_empty() => Some(Paths::under(Path::new(&home))),
            _ => {
                let dirs = directories::ProjectDirs::from("", "", "ccswitch")?;
                Some(Paths::split(dirs.config_dir(), dirs.data_dir()))
            }
        }
    }

    /// Everything under one folder.
    pub fn under(home: &Path) -> Paths {
        Paths::split(home, home)
    }

    fn split(config_dir: &Path, data_dir: &Path) -> Paths {
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
