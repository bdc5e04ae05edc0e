//! Errors that end a command, with the exit code each maps to.

use crate::config::ConfigError;
use crate::ctx::NoHome;
use crate::gateway::store::StoreError;
use crate::import::ImportError;
use crate::launch::error::LaunchError;
use crate::secrets::SecretError;
use crate::tui::TuiError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Launch(#[from] LaunchError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error(transparent)]
    Tui(#[from] TuiError),
    #[error(transparent)]
    NoHome(#[from] NoHome),
    #[error(transparent)]
    Gateway(#[from] StoreError),
    /// Bad arguments: exit 2.
    #[error("{0}")]
    Usage(String),
    /// Anything else: exit 1.
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Config(e) => e.exit_code(),
            CliError::Launch(e) => e.exit_code(),
            CliError::Import(e) => e.exit_code(),
            CliError::Tui(e) => e.exit_code(),
            CliError::Gateway(e) => e.exit_code(),
            CliError::Usage(_) => 2,
            CliError::Secret(_) | CliError::NoHome(_) | CliError::Failed(_) => 1,
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Failed(e.to_string())
    }
}

impl CliError {
    /// `--unset FIELD` names a field the command can remove.
    pub(super) fn check_unset(unset: &[String], fields: &[&str]) -> Result<(), CliError> {
        match unset.iter().find(|u| !fields.contains(&u.as_str())) {
            Some(bad) => Err(CliError::Usage(crate::t!(
                "profile.bad_unset",
                field = bad,
                fields = fields.join(", ")
            ))),
            None => Ok(()),
        }
    }
}
