//! `SecretError`: each way finding or storing a key fails, in the user's words, never with the key.

use std::path::PathBuf;

use crate::t;

/// Errors at the secret-store boundary. None of them ever carries a key.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// No usable OS keyring (no session bus, no Secret Service, locked).
    #[error("{}", t!("secret.unavailable", cause = cause))]
    Unavailable { cause: String },
    /// The keyring did not answer in time (a locked keyring waiting on a prompt).
    #[error("{}", t!("secret.timeout", secs = secs))]
    Timeout { secs: u64 },
    /// The store answered with an error.
    #[error("{}", t!("secret.backend", store = store, cause = cause))]
    Backend { store: &'static str, cause: String },
    /// The plaintext file is readable by others: refuse to use it.
    #[error("{}", t!("secret.insecure_file", path = path.display(), mode = format!("{mode:o}")))]
    InsecureFile { path: PathBuf, mode: u32 },
    #[error("{}", t!("secret.file_io", path = path.display(), error = source))]
    FileIo {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", t!("secret.file_parse", path = path.display(), error = message))]
    FileParse { path: PathBuf, message: String },
    /// A `key = { command = ... }` failed.
    #[error("{}", t!("secret.command", provider = provider, cause = cause))]
    Command { provider: String, cause: String },
    /// No configured source had a key.
    #[error("{}", t!("secret.missing", provider = provider, tried = tried))]
    Missing { provider: String, tried: String },
}
