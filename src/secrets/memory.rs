//! `MemoryStore`: keys held only in this process, for tests and for a key tried before it is saved.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use secrecy::{ExposeSecret, SecretString};

use super::error::SecretError;
use super::store::SecretStore;

/// An in-process store: tests, and a key typed into the TUI form that is
/// tried out before it is saved anywhere.
#[derive(Default)]
pub struct MemoryStore {
    keys: Mutex<HashMap<String, String>>,
    /// Where accounts this store does not hold are read from (see
    /// [`MemoryStore::over`]).
    below: Option<Arc<dyn SecretStore>>,
}

impl MemoryStore {
    pub fn with(entries: &[(&str, &str)]) -> MemoryStore {
        let store = MemoryStore::default();
        for (k, v) in entries {
            store.keys().insert(k.to_string(), v.to_string());
        }
        store
    }

    /// `account`'s key held here, in front of `below`: every other account
    /// is read from `below`, as if this store were not there. A key typed
    /// for one provider must not hide the stored keys of the others (a
    /// fallback on another provider is tested with its own key). Writes
    /// stay in memory: trying a key out never saves anything.
    pub fn over(below: Arc<dyn SecretStore>, account: &str, key: &SecretString) -> MemoryStore {
        let store = MemoryStore {
            below: Some(below),
            ..MemoryStore::default()
        };
        store
            .keys()
            .insert(account.to_string(), key.expose_secret().to_string());
        store
    }

    /// The map, even after a panic elsewhere held the lock: it is a plain
    /// map, never left half-changed.
    fn keys(&self) -> MutexGuard<'_, HashMap<String, String>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl SecretStore for MemoryStore {
    /// The store below's name when there is one: a key it lacks is reported
    /// as missing from there ("tried: keyring"), as a launch would say.
    fn name(&self) -> &'static str {
        self.below.as_ref().map_or("memory", |b| b.name())
    }
    fn get(&self, account: &str) -> Result<Option<SecretString>, SecretError> {
        if let Some(v) = self.keys().get(account) {
            return Ok(Some(SecretString::from(v.clone())));
        }
        match &self.below {
            Some(below) => below.get(account),
            None => Ok(None),
        }
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
