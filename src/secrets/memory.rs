use std::collections::HashMap;
use std::sync::Mutex;

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
            store
                .keys
                .lock()
                .unwrap()
                .insert(k.to_string(), v.to_string());
        }
        store
    }
}

impl SecretStore for MemoryStore {
    fn name(&self) -> &'static str {
        "memory"
    }
    fn get(&self, account: &str) -> Result<Option<SecretString>, SecretError> {
        let keys = self.keys.lock().unwrap();
        Ok(keys.get(account).map(|v| SecretString::from(v.clone())))
    }
    fn set(&self, account: &str, secret: &SecretString) -> Result<(), SecretError> {
        let mut keys = self.keys.lock().unwrap();
        keys.insert(account.to_string(), secret.expose_secret().to_string());
        Ok(())
    }
    fn delete(&self, account: &str) -> Result<bool, SecretError> {
        Ok(self.keys.lock().unwrap().remove(account).is_some())
    }
}
