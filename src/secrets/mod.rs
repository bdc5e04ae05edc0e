//! Provider keys: where they are stored and how a provider's key is found.
//!
//! Resolution order for a provider's `key` sources: environment variable (if
//! set) → command (no shell, with a timeout) → OS keyring (service
//! `ccswitch`, account = provider name) → the explicit plaintext file.
//! Keys never appear in `Debug` output, errors or logs: they travel as
//! [`SecretString`], and text that may hold one (an upstream's error, a
//! failing command's stderr, an audited body) goes through a
//! [`Redactor`] built from every key known.

mod command;
mod error;
mod file;
mod keyring;
mod memory;
mod redact;
mod store;

pub use secrecy::{ExposeSecret, SecretString};

pub use command::run_key_command;
pub use error::SecretError;
pub use file::{FileStore, parse_credentials};
pub use keyring::KeyringStore;
pub use memory::MemoryStore;
pub use redact::{MASK, Redactor};
pub use store::{COMMAND_TIMEOUT, KEYRING_TIMEOUT, SERVICE, SecretStore};

use std::sync::Arc;

use crate::config::Provider;

/// Where a resolved key came from.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", content = "detail", rename_all = "lowercase")]
pub enum KeySource {
    Env(String),
    Command,
    Keyring,
    File,
}

impl std::fmt::Display for KeySource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            KeySource::Env(name) => write!(f, "env {name}"),
            KeySource::Command => f.write_str("command"),
            KeySource::Keyring => f.write_str("keyring"),
            KeySource::File => f.write_str("file"),
        }
    }
}

pub struct ResolvedKey {
    pub secret: SecretString,
    pub source: KeySource,
}

/// The stores a resolution can read from, injected so tests can use memory.
/// Shared, so a clone (a context handed to a thread) reads and writes the
/// same stores; `SecretStore` is `Send + Sync`.
#[derive(Clone)]
pub struct Secrets {
    pub keyring: Arc<dyn SecretStore>,
    pub file: Arc<dyn SecretStore>,
}

impl Secrets {
    /// The real stores for a config dir.
    pub fn system(credentials_file: &std::path::Path) -> Secrets {
        Secrets {
            keyring: Arc::new(KeyringStore::new(KEYRING_TIMEOUT)),
            file: Arc::new(FileStore::new(credentials_file)),
        }
    }

    /// Find a provider's key. `Ok(None)` means the provider needs none.
    pub fn resolve(
        &self,
        provider: &Provider,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<ResolvedKey>, SecretError> {
        self.resolve_spec(&provider.name, &provider.key, env)
    }

    /// Find the key `spec` names; `name` is its keyring entry (a provider's
    /// name, or `search:brave`) and what errors call it.
    pub fn resolve_spec(
        &self,
        name: &str,
        spec: &crate::config::KeySpec,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<ResolvedKey>, SecretError> {
        if spec.is_none() {
            return Ok(None);
        }
        let mut tried = Vec::new();
        if let Some(var) = &spec.env {
            if let Some(v) = env(var).filter(|v| !v.trim().is_empty()) {
                return Ok(Some(ResolvedKey {
                    secret: SecretString::from(v.trim().to_string()),
                    source: KeySource::Env(var.clone()),
                }));
            }
            tried.push(format!("env {var}"));
        }
        if let Some(cmd) = &spec.command {
            let secret = run_key_command(name, cmd, COMMAND_TIMEOUT)?;
            return Ok(Some(ResolvedKey {
                secret,
                source: KeySource::Command,
            }));
        }
        let mut unavailable = None;
        let stores = [
            (spec.keyring, &self.keyring, KeySource::Keyring),
            (spec.file, &self.file, KeySource::File),
        ];
        for (enabled, store, source) in stores {
            if !enabled {
                continue;
            }
            match store.get(name) {
                Ok(Some(secret)) => return Ok(Some(ResolvedKey { secret, source })),
                Ok(None) => tried.push(store.name().to_string()),
                // Another configured source may still have the key; report
                // the store failure only if none does.
                Err(e) => {
                    tried.push(store.name().to_string());
                    unavailable.get_or_insert(e);
                }
            }
        }
        Err(unavailable.unwrap_or(SecretError::Missing {
            provider: name.to_string(),
            tried: tried.join(", "),
        }))
    }

    /// A provider's pool keys after its own, in order (`extra_keys`).
    pub fn resolve_extra(
        &self,
        provider: &Provider,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Vec<SecretString>, SecretError> {
        use crate::config::ExtraKey;
        let missing = |tried: String| SecretError::Missing {
            provider: provider.name.clone(),
            tried,
        };
        provider
            .extra_keys
            .iter()
            .map(|k| match k {
                ExtraKey::Env(var) => env(var)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| SecretString::from(v.trim().to_string()))
                    .ok_or_else(|| missing(format!("env {var}"))),
                ExtraKey::Command(cmd) => run_key_command(&provider.name, cmd, COMMAND_TIMEOUT),
                ExtraKey::Keyring(label) => self
                    .keyring
                    .get(&pool_entry(&provider.name, label))?
                    .ok_or_else(|| missing(format!("keyring {label}"))),
            })
            .collect()
    }
}

/// The keyring entry of a pool key: `PROVIDER:LABEL` (provider names
/// cannot hold a colon, so it never clashes with a provider's own entry).
pub fn pool_entry(provider: &str, label: &str) -> String {
    format!("{provider}:{label}")
}

#[cfg(test)]
mod tests;
