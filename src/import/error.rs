//! Why an import did not happen. Nothing was written then: a source that
//! cannot be read stops it before anything is stored, and a failed save
//! takes back the keys already stored.

use crate::config::ConfigError;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The config could not be saved (or read back).
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A source could not be read, or the keyring refused its keys.
    #[error("{0}")]
    Failed(String),
}

impl ImportError {
    pub fn exit_code(&self) -> u8 {
        match self {
            ImportError::Config(e) => e.exit_code(),
            ImportError::Failed(_) => 1,
        }
    }
}
