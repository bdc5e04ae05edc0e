//! What the gateway's store holds, as plain values every backend returns:
//! teams, members, keys and their settings; and the checks a name or a
//! setting passes before any backend sees it.

use std::time::{Duration, SystemTime};

use super::error::StoreError;

#[derive(Clone, Debug, PartialEq)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub created_at: SystemTime,
    /// What the whole team may spend, whichever of its keys spends it.
    pub budgets: Budgets,
}

/// A person (or a service) that holds keys; in exactly one team.
#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub team: String,
    pub created_at: SystemTime,
    /// What the member may spend, whichever of their keys spends it.
    pub budgets: Budgets,
}

/// Spending caps in US dollars; `None` is no cap.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Budgets {
    pub daily_usd: Option<f64>,
    pub monthly_usd: Option<f64>,
}

/// Requests and tokens a minute; `None` is no limit.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub rpm: Option<u32>,
    pub tpm: Option<u64>,
}

impl RateLimits {
    /// No limit at all: nothing to count.
    pub fn is_empty(&self) -> bool {
        self.rpm.is_none() && self.tpm.is_none()
    }
}

/// What a key may do: a rotated key's successor gets the same.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct KeySettings {
    /// The profiles it may use; empty: every profile.
    pub profiles: Vec<String>,
    pub budgets: Budgets,
    pub limits: RateLimits,
}

/// A key to store: its prefix and hash from `keys::mint`, never the key.
#[derive(Clone, Debug)]
pub struct NewKey {
    pub prefix: String,
    pub hash: crate::gateway::keys::KeyHash,
    pub member: String,
    pub settings: KeySettings,
    pub created_at: SystemTime,
    pub expires_at: Option<SystemTime>,
}

/// A stored key, with its member's name and team.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyRecord {
    pub id: i64,
    pub prefix: String,
    pub member: String,
    pub team: String,
    pub member_id: i64,
    pub team_id: i64,
    /// The member's and the team's own budgets, which every request on
    /// this key also counts against.
    pub member_budgets: Budgets,
    pub team_budgets: Budgets,
    pub settings: KeySettings,
    pub created_at: SystemTime,
    pub expires_at: Option<SystemTime>,
    pub revoked_at: Option<SystemTime>,
    /// The key this one replaced (`key rotate`), by prefix.
    pub rotated_from: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    Active,
    Revoked,
    Expired,
}

impl KeyRecord {
    /// Revoked wins over expired: it is the stronger statement, and the
    /// one an admin made.
    pub fn status(&self, now: SystemTime) -> KeyStatus {
        if self.revoked_at.is_some() {
            KeyStatus::Revoked
        } else if self.expires_at.is_some_and(|at| now >= at) {
            KeyStatus::Expired
        } else {
            KeyStatus::Active
        }
    }

    /// How long the key was issued for: what its successor gets on
    /// rotation.
    pub fn lifetime(&self) -> Option<Duration> {
        let at = self.expires_at?;
        Some(at.duration_since(self.created_at).unwrap_or_default())
    }
}

/// Longest team or member name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// A team, member or profile name the store accepts: any text (quotes,
/// semicolons and SQL keywords are plain data), but not empty, not padded
/// with spaces, no control characters, and short enough for a table.
pub fn check_name(name: &str) -> Result<(), StoreError> {
    let why = if name.trim().is_empty() {
        crate::t!("gateway.name_empty")
    } else if name.trim() != name {
        crate::t!("gateway.name_spaces")
    } else if name.chars().any(char::is_control) {
        crate::t!("gateway.name_control")
    } else if name.chars().count() > MAX_NAME_CHARS {
        crate::t!("gateway.name_long", max = MAX_NAME_CHARS)
    } else {
        return Ok(());
    };
    Err(StoreError::BadName {
        name: name.to_string(),
        why,
    })
}

impl Budgets {
    /// Amounts are positive and finite.
    pub fn check(&self) -> Result<(), StoreError> {
        for (what, usd) in [
            ("--daily-usd", self.daily_usd),
            ("--monthly-usd", self.monthly_usd),
        ] {
            if let Some(v) = usd.filter(|v| !(v.is_finite() && *v > 0.0)) {
                return Err(StoreError::BadSetting {
                    what,
                    value: v.to_string(),
                });
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.daily_usd.is_none() && self.monthly_usd.is_none()
    }
}

impl KeySettings {
    /// Budgets are positive amounts, limits positive counts, profile names
    /// names.
    pub fn check(&self) -> Result<(), StoreError> {
        for p in &self.profiles {
            check_name(p)?;
        }
        self.budgets.check()?;
        let zero = |what| StoreError::BadSetting {
            what,
            value: "0".into(),
        };
        if self.limits.rpm == Some(0) {
            return Err(zero("--rpm"));
        }
        if self.limits.tpm == Some(0) {
            return Err(zero("--tpm"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mk_key(expires: Option<u64>, revoked: bool) -> KeyRecord {
        let at = |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        KeyRecord {
            id: 1,
            prefix: "ccsk_00000000".into(),
            member: "ann".into(),
            team: "core".into(),
            member_id: 1,
            team_id: 1,
            member_budgets: Budgets::default(),
            team_budgets: Budgets::default(),
            settings: KeySettings::default(),
            created_at: at(100),
            expires_at: expires.map(at),
            revoked_at: revoked.then(|| at(150)),
            rotated_from: None,
        }
    }

    #[test]
    fn a_key_is_active_until_it_expires_or_is_revoked() {
        let now = |s| SystemTime::UNIX_EPOCH + Duration::from_secs(s);
        assert_eq!(mk_key(None, false).status(now(10_000)), KeyStatus::Active);
        assert_eq!(mk_key(Some(200), false).status(now(199)), KeyStatus::Active);
        assert_eq!(
            mk_key(Some(200), false).status(now(200)),
            KeyStatus::Expired
        );
        assert_eq!(mk_key(Some(200), true).status(now(300)), KeyStatus::Revoked);
        assert_eq!(mk_key(None, true).status(now(120)), KeyStatus::Revoked);
        assert_eq!(
            mk_key(Some(200), false).lifetime(),
            Some(Duration::from_secs(100))
        );
        assert_eq!(mk_key(None, false).lifetime(), None);
    }

    #[test]
    fn names_are_any_text_but_empty_padded_control_or_long() {
        for ok in [
            "ann",
            "Robert'); DROP TABLE members;--",
            "x\" OR 1=1 --",
            "张三",
            &"é".repeat(MAX_NAME_CHARS),
        ] {
            assert!(check_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "  ",
            " ann",
            "ann\n",
            "a\u{1b}[2J",
            &"a".repeat(MAX_NAME_CHARS + 1),
        ] {
            assert!(
                matches!(check_name(bad), Err(StoreError::BadName { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn budgets_and_limits_must_be_positive() {
        let mut s = KeySettings::default();
        assert!(s.check().is_ok());
        s.budgets.daily_usd = Some(2.5);
        s.limits.rpm = Some(60);
        assert!(s.check().is_ok());
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            let s = KeySettings {
                budgets: Budgets {
                    monthly_usd: Some(bad),
                    ..Budgets::default()
                },
                ..KeySettings::default()
            };
            assert!(s.check().is_err(), "{bad}");
        }
        let s = KeySettings {
            limits: RateLimits {
                tpm: Some(0),
                rpm: None,
            },
            ..KeySettings::default()
        };
        assert!(s.check().is_err());
    }
}
