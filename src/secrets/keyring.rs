//! The OS keyring through the `keyring` crate (Secret Service on Linux,
//! Keychain on macOS, Credential Manager on Windows).

use std::sync::mpsc;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::error::SecretError;
use super::store::{SERVICE, SecretStore};

pub struct KeyringStore {
    timeout: Duration,
}

impl KeyringStore {
    pub fn new(timeout: Duration) -> KeyringStore {
        KeyringStore { timeout }
    }

    /// Run a keyring call on its own thread with a deadline: a locked
    /// collection with a GUI prompter can block forever, and the caller
    /// must get an answer. A call that times out is abandoned.
    fn call<T: Send + 'static>(
        &self,
        account: &str,
        op: impl FnOnce(&keyring::Entry) -> keyring::Result<T> + Send + 'static,
    ) -> Result<T, SecretError> {
        let account = account.to_string();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let result = keyring::Entry::new(SERVICE, &account).and_then(|e| op(&e));
            let _ = tx.send(result);
        });
        match rx.recv_timeout(self.timeout) {
            Ok(result) => result.map_err(map_error),
            Err(_) => Err(SecretError::Timeout {
                secs: self.timeout.as_secs(),
            }),
        }
    }
}

fn map_error(e: keyring::Error) -> SecretError {
    use keyring::Error as E;
    match e {
        E::NoDefaultStore => SecretError::Unavailable {
            cause: match keyring::Entry::store_status() {
                Err(cause) => cause.to_string(),
                Ok(()) => "no default credential store".to_string(),
            },
        },
        // No session bus, no Secret Service, a locked collection: for the
        // user all of these mean "the keyring cannot be used here".
        E::NoStorageAccess(cause) | E::PlatformFailure(cause) => SecretError::Unavailable {
            cause: cause.to_string(),
        },
        other => SecretError::Backend {
            store: "keyring",
            cause: other.to_string(),
        },
    }
}

impl SecretStore for KeyringStore {
    fn name(&self) -> &'static str {
        "keyring"
    }

    fn get(&self, account: &str) -> Result<Option<SecretString>, SecretError> {
        let got = self.call(account, |e| match e.get_password() {
            Ok(p) => Ok(Some(p)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(other) => Err(other),
        })?;
        Ok(got.map(SecretString::from))
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<(), SecretError> {
        let value = secret.expose_secret().to_string();
        self.call(account, move |e| e.set_password(&value))
    }

    fn delete(&self, account: &str) -> Result<bool, SecretError> {
        self.call(account, |e| match e.delete_credential() {
            Ok(()) => Ok(true),
            Err(keyring::Error::NoEntry) => Ok(false),
            Err(other) => Err(other),
        })
    }
}
