//! `MemoryStore`: keys held only in this process, for tests and for a key tried before it is saved.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use secrecy::{ExposeSecret, SecretString};

use super::error::SecretError;
use super::store::SecretStore;

/// An in-process store: tests, and a key typed into the TUI form that is
/// tried out before it is saved anywhere.
#[derive(Default)]
pub struct MemoryStore {
    keys: Mutex<HashMap<String, String>>,
}

impl MemoryStore {
    pub fn with(entries: &[(&str, &str)]) -> MemoryStore {
        let store = MemoryStore::default();
        for (k, v) in entries {
            store.keys().insert(k.to_string(), v.to_string());
        }
        store
    }

    /// The map, even after a panic elsewhere held the lock: it is a plain
    /// map, never left half-changed.
    fn keys(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SecretStore for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }
    fn get(&self, account: &str) -> Result<Option<SecretString>, SecretError> {
        let keys = self.keys();
        Ok(keys.get(account).map(|v| SecretString::from(v.clone())))
    }
    fn set(&self, account: &str, secret: &SecretString) -> Result<(), SecretError> {
        let mut keys = self.keys();
        keys.insert(account.to_string(), secret.expose_secret().to_string());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<bool, SecretError> {
        Ok(self.keys().remove(account).is_some())
    }
}
