//! Who is asking: a presented virtual key checked against the store, and
//! what it may do ([`Principal`]), or why it is refused ([`Refusal`]).
//!
//! A key of the wrong shape is refused before the store is asked. The
//! store's answer is cached for at most [`CACHE_TTL`], timed from before
//! the lookup: a key revoked on one replica is refused by every replica
//! within that time, and a busy gateway asks the store about each key
//! about once per TTL, not once per request.

mod cache;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use super::keys::{self, KeyHash, Malformed};
use super::store::spend::Owner;
use super::store::{Budgets, KeyRecord, RateLimits, Store, StoreError};
use crate::t;
pub use cache::TtlCache;

/// How long a store answer is trusted.
pub const CACHE_TTL: Duration = Duration::from_secs(5);
/// Keys remembered at once (see [`TtlCache::put`] for what happens past it).
const CACHE_MAX: usize = 10_000;

/// A member's key, accepted: what the proxy needs to serve, limit and
/// attribute its requests.
#[derive(Clone, Debug, PartialEq)]
pub struct Principal {
    pub key_id: i64,
    pub key_prefix: String,
    pub member: String,
    pub team: String,
    /// Empty: every profile.
    pub allowed_profiles: Vec<String>,
    /// The key's own budgets; and its member's and team's, which every
    /// request on it also counts against.
    pub budgets: Budgets,
    pub member_budgets: Budgets,
    pub team_budgets: Budgets,
    /// Whose spending its requests are.
    pub owner: Owner,
    pub limits: RateLimits,
}

impl Principal {
    pub fn may_use(&self, profile: &str) -> bool {
        self.allowed_profiles.is_empty() || self.allowed_profiles.iter().any(|p| p == profile)
    }
}

/// Why a key is not accepted. Every variant but `Unavailable` is the key's
/// fault (401); `Unavailable` is the gateway's (503), and says nothing
/// about the key.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{}", t!("gateway.refused_malformed", why = .0))]
    Malformed(#[from] Malformed),
    #[error("{}", t!("gateway.refused_unknown"))]
    Unknown { prefix: String },
    #[error("{}", t!("gateway.refused_revoked", prefix = prefix))]
    Revoked { prefix: String },
    #[error("{}", t!("gateway.refused_expired", prefix = prefix))]
    Expired { prefix: String },
    /// The store did not answer; its error is the source, for the log
    /// (the message itself names no file or host).
    #[error("{}", t!("gateway.refused_unavailable"))]
    Unavailable(#[source] Arc<StoreError>),
}

impl Refusal {
    /// A short fixed name, for counting refusals by kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Refusal::Malformed(_) => "malformed",
            Refusal::Unknown { .. } => "unknown",
            Refusal::Revoked { .. } => "revoked",
            Refusal::Expired { .. } => "expired",
            Refusal::Unavailable(_) => "unavailable",
        }
    }
}

/// The store's answer about one key, as the cache keeps it: whether it is
/// expired depends on when it is asked, so that is decided on each use.
#[derive(Clone, Debug)]
enum Verdict {
    Known {
        principal: Box<Principal>,
        expires_at: Option<SystemTime>,
    },
    Revoked {
        prefix: String,
    },
    Unknown,
}

impl Verdict {
    fn of(record: Option<KeyRecord>) -> Verdict {
        match record {
            None => Verdict::Unknown,
            Some(k) if k.revoked_at.is_some() => Verdict::Revoked { prefix: k.prefix },
            Some(k) => Verdict::Known {
                expires_at: k.expires_at,
                principal: Box::new(Principal {
                    key_id: k.id,
                    key_prefix: k.prefix,
                    member: k.member,
                    team: k.team,
                    allowed_profiles: k.settings.profiles,
                    budgets: k.settings.budgets,
                    member_budgets: k.member_budgets,
                    team_budgets: k.team_budgets,
                    owner: Owner {
                        key_id: k.id,
                        member_id: k.member_id,
                        team_id: k.team_id,
                    },
                    limits: k.settings.limits,
                }),
            },
        }
    }

    fn judge(&self, presented_prefix: &str, now: SystemTime) -> Result<Principal, Refusal> {
        match self {
            Verdict::Unknown => Err(Refusal::Unknown {
                prefix: presented_prefix.to_owned(),
            }),
            Verdict::Revoked { prefix } => Err(Refusal::Revoked {
                prefix: prefix.clone(),
            }),
            Verdict::Known {
                principal,
                expires_at,
            } if expires_at.is_some_and(|at| now >= at) => Err(Refusal::Expired {
                prefix: principal.key_prefix.clone(),
            }),
            Verdict::Known { principal, .. } => Ok(principal.as_ref().clone()),
        }
    }
}

/// Check `presented` against the store, uncached.
pub async fn authenticate(
    store: &Store,
    presented: &str,
    now: SystemTime,
) -> Result<Principal, Refusal> {
    let p = keys::parse(presented)?;
    let record = store
        .key_by_hash(p.hash)
        .await
        .map_err(|e| Refusal::Unavailable(Arc::new(e)))?;
    Verdict::of(record).judge(&p.prefix, now)
}

/// [`authenticate`] with a cache of the store's answers, shared by every
/// request of a gateway.
pub struct Authenticator {
    store: Store,
    cache: Mutex<TtlCache<KeyHash, Verdict>>,
}

impl Authenticator {
    pub fn new(store: Store) -> Authenticator {
        Authenticator::with_ttl(store, CACHE_TTL)
    }

    /// With another TTL (tests; zero caches nothing).
    pub fn with_ttl(store: Store, ttl: Duration) -> Authenticator {
        Authenticator {
            store,
            cache: Mutex::new(TtlCache::new(ttl, CACHE_MAX)),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub async fn authenticate(
        &self,
        presented: &str,
        now: SystemTime,
    ) -> Result<Principal, Refusal> {
        let p = keys::parse(presented)?;
        let started = Instant::now();
        // The lock is never held across the lookup.
        let cached = self.cache().get(&p.hash, started).cloned();
        let verdict = match cached {
            Some(v) => v,
            None => {
                let record = self
                    .store
                    .key_by_hash(p.hash)
                    .await
                    .map_err(|e| Refusal::Unavailable(Arc::new(e)))?;
                let v = Verdict::of(record);
                self.cache().put(p.hash, v.clone(), started);
                v
            }
        };
        verdict.judge(&p.prefix, now)
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, TtlCache<KeyHash, Verdict>> {
        // The cache holds plain values: one a panicking thread left is
        // still usable.
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests;
