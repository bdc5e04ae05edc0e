//! The audit log's settings: how much of each request is kept, and how
//! big the log may grow.

use serde::{Deserialize, Serialize};

use crate::t;

/// Rotated files kept, at most: each may be `max_mb`, and a typo (5000
/// for 5) must not fill the disk.
pub const MAX_KEEP: u32 = 100;

/// How much of each request the audit log keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditLevel {
    #[default]
    Off,
    /// One JSON line per request: the ledger's fields, the request id, the
    /// tools offered and the sizes. No prompt text.
    Metadata,
    /// Also the request and response bodies, keys and tokens redacted.
    Full,
}

/// `audit = "metadata"`, or `[audit]` with `level`, `max_mb` and `keep`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Audit {
    pub level: AuditLevel,
    /// The live file is rotated when it grows past this.
    pub max_bytes: u64,
    /// Rotated files kept besides the live one.
    pub keep: u32,
}

impl Default for Audit {
    fn default() -> Self {
        Audit {
            level: AuditLevel::Off,
            max_bytes: 50 * 1024 * 1024,
            keep: 5,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum RawAudit {
    Level(AuditLevel),
    Table(AuditTable),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditTable {
    level: AuditLevel,
    max_mb: Option<u64>,
    keep: Option<u32>,
}

impl RawAudit {
    /// The settings, or what is wrong with them.
    pub fn resolve(self) -> Result<Audit, String> {
        let d = Audit::default();
        match self {
            RawAudit::Level(level) => Ok(Audit { level, ..d }),
            RawAudit::Table(t) => {
                let max_mb = t.max_mb.unwrap_or(d.max_bytes / (1024 * 1024));
                if max_mb == 0 {
                    return Err(t!("config.bad_audit", field = "max_mb"));
                }
                let keep = t.keep.unwrap_or(d.keep);
                if keep > MAX_KEEP {
                    return Err(t!("config.bad_audit_keep", max = MAX_KEEP));
                }
                Ok(Audit {
                    level: t.level,
                    max_bytes: max_mb.saturating_mul(1024 * 1024),
                    keep,
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Doc {
        audit: RawAudit,
    }

    fn parse(s: &str) -> Result<Audit, String> {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        toml::from_str::<Doc>(s).expect("parses").audit.resolve()
    }

    #[test]
    fn shorthand_and_table() {
        assert_eq!(
            parse("audit = \"metadata\"").map(|a| a.level),
            Ok(AuditLevel::Metadata)
        );
        let a = parse("audit = { level = \"full\", max_mb = 2, keep = 1 }").expect("ok");
        assert_eq!(
            (a.level, a.max_bytes, a.keep),
            (AuditLevel::Full, 2 * 1024 * 1024, 1)
        );
        assert!(
            parse("audit = { level = \"off\", max_mb = 0 }").is_err_and(|e| e.contains("`max_mb`"))
        );
        assert_eq!(
            parse("audit = { level = \"full\", keep = 100 }").map(|a| a.keep),
            Ok(100)
        );
        assert!(
            parse("audit = { level = \"full\", keep = 4294967295 }")
                .is_err_and(|e| e.contains("0 to 100")),
        );
        assert!(toml::from_str::<Doc>("audit = \"everything\"").is_err());
    }
}
