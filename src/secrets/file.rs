//! The explicit plaintext key store: `credentials.toml`, mode 0600 in a
//! private directory. Only used when a provider says `key = { file = true }`
//! (`ccswitch key set NAME --file`), and refused when others can read it.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::error::SecretError;
use super::store::SecretStore;
use crate::fsutil::{create_private_dir, lock_exclusive, write_atomic};

pub struct FileStore {
    path: PathBuf,
}

#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    #[serde(default)]
    keys: IndexMap<String, String>,
}

const HEADER: &str = "\
# ccswitch plaintext key store, chosen explicitly with `ccswitch key set NAME --file`.
# Anyone who can read this file can use these keys. It must stay mode 0600.
";

impl FileStore {
    pub fn new(path: &Path) -> FileStore {
        FileStore {
            path: path.to_path_buf(),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn io(&self, source: std::io::Error) -> SecretError {
        SecretError::FileIo {
            path: self.path.clone(),
            source,
        }
    }

    fn read(&self) -> Result<Option<CredentialsFile>, SecretError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(self.io(e)),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&self.path)
                .map_err(|e| self.io(e))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(SecretError::InsecureFile {
                    path: self.path.clone(),
                    mode: mode & 0o777,
                });
            }
        }
        parse_credentials(&text)
            .map(|keys| Some(CredentialsFile { keys }))
            .map_err(|message| SecretError::FileParse {
                path: self.path.clone(),
                message,
            })
    }

    fn write(&self, file: &CredentialsFile) -> Result<(), SecretError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(|e| self.io(e))?;
        let body = toml::to_string(file).expect("credentials serialize");
        write_atomic(&self.path, format!("{HEADER}{body}").as_bytes()).map_err(|e| self.io(e))
    }

    /// Held across a read-modify-write, as `config.toml`'s saves are: two
    /// `ccswitch key set --file` at once must not lose one of the keys.
    fn lock(&self) -> Result<std::fs::File, SecretError> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        create_private_dir(dir).map_err(|e| self.io(e))?;
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(".lock");
        lock_exclusive(&dir.join(name)).map_err(|e| self.io(e))
    }

    /// Whether the file exists yet (the CLI warns when it first creates it).
    pub fn exists(&self) -> bool {
        self.path.exists()
    }
}

/// The keys in a `credentials.toml` text, by account. The error gives only
/// the position: a parser's message may quote a line, and with it a key.
pub fn parse_credentials(text: &str) -> Result<IndexMap<String, String>, String> {
    toml::from_str::<CredentialsFile>(text)
        .map(|f| f.keys)
        .map_err(|e| {
            e.span()
                .map_or_else(String::new, |s| format!("byte {}", s.start))
        })
}

impl SecretStore for FileStore {
    fn name(&self) -> &'static str {
        "file"
    }

    fn get(&self, account: &str) -> Result<Option<SecretString>, SecretError> {
        Ok(self
            .read()?
            .and_then(|f| f.keys.get(account).cloned())
            .map(SecretString::from))
    }

    fn set(&self, account: &str, secret: &SecretString) -> Result<(), SecretError> {
        let _lock = self.lock()?;
        let mut file = self.read()?.unwrap_or_default();
        file.keys
            .insert(account.to_string(), secret.expose_secret().to_string());
        self.write(&file)
    }

    fn delete(&self, account: &str) -> Result<bool, SecretError> {
        let _lock = self.lock()?;
        let Some(mut file) = self.read()? else {
            return Ok(false);
        };
        let removed = file.keys.shift_remove(account).is_some();
        if removed {
            self.write(&file)?;
        }
        Ok(removed)
    }
}
