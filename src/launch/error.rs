//! Why a launch (or `env`, or a connection test) could not go ahead, with
//! the exit code each maps to.

use crate::config::ConfigError;
use crate::proxy::StartError;
use crate::secrets::SecretError;
use crate::t;

#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Start(#[from] StartError),
    /// No profile was named and none is the default; the profiles there are.
    #[error("{}", t!("launch.no_profile", names = .0))]
    NoProfile(String),
    /// The profile cannot be used this way (`env` for a proxied profile).
    #[error("{0}")]
    Usage(String),
    /// `claude` is nowhere to be found.
    #[error("{0}")]
    ClaudeNotFound(String),
    /// Anything else: the log file, the settings file, spawning claude.
    #[error("{0}")]
    Failed(String),
}

impl LaunchError {
    /// 2 for what the user must change in the command or config, 127 for a
    /// missing `claude` (as a shell does), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            LaunchError::Config(e) => e.exit_code(),
            LaunchError::NoProfile(_) | LaunchError::Usage(_) => 2,
            LaunchError::ClaudeNotFound(_) => 127,
            LaunchError::Secret(_) | LaunchError::Start(_) | LaunchError::Failed(_) => 1,
        }
    }
}
