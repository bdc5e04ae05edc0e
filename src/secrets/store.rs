//! The interface every key store implements, and the limits they keep.

use std::time::Duration;

use secrecy::SecretString;

use super::error::SecretError;

/// Keyring service name; the account is the provider name.
pub const SERVICE: &str = "ccswitch";

/// How long a keyring call may take before we give up: a locked keyring
/// with a GUI prompter can otherwise hang forever.
pub const KEYRING_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a `key = { command = ... }` may run.
pub const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

/// A place keys can be stored. Implementations: the OS keyring, the
/// plaintext file, and an in-memory store for tests.
pub trait SecretStore: Send + Sync {
    /// Short name for messages (`keyring`, `file`, `memory`).
    fn name(&self) -> &'static str;
    fn get(&self, account: &str) -> Result<Option<SecretString>, SecretError>;
    fn set(&self, account: &str, secret: &SecretString) -> Result<(), SecretError>;
    /// Returns whether something was deleted.
    fn delete(&self, account: &str) -> Result<bool, SecretError>;
}
