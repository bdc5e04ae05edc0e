//! Where a key comes from: named in the config, never the key itself.

use serde::Serialize;

/// Where the key comes from. Sources are tried in the order of the fields.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct KeySpec {
    pub env: Option<String>,
    pub command: Option<String>,
    /// How long a command's key lasts: the proxy runs the command again
    /// after this, and at once on a 401 (short-lived tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
    pub keyring: bool,
    pub file: bool,
}

impl KeySpec {
    /// No key at all (local servers).
    pub fn is_none(&self) -> bool {
        *self == KeySpec::default()
    }
}
