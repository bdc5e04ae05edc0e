//! Where a key comes from: named in the config, never the key itself.

use serde::Serialize;

/// Where the key comes from. Sources are tried in the order of the fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeySpec {
    pub env: Option<String>,
    pub command: Option<String>,
    pub keyring: bool,
    pub file: bool,
}

impl KeySpec {
    /// No key at all (local servers).
    pub fn is_none(&self) -> bool {
        *self == KeySpec::default()
    }
}
