//! Speculative admission, where replicas share the store (PostgreSQL).
//!
//! Every gateway request is admitted by the store: counted against its
//! key's rate limits, and its budgets checked against what every replica
//! spent. That is a round trip before the request may go upstream. When
//! the store said a moment ago that this member has ample room left, the
//! request goes upstream at once, and the store's admission of it runs
//! alongside: it is still counted and checked, and its answer is waited
//! for before any byte reaches the client. A "no" then refuses the request
//! exactly as it would have been refused before it went.
//!
//! The price: a request refused that way may have reached the provider.
//! That needs the other replicas to spend half a limit within a second of
//! this one's last answer; such refusals are counted and logged, and
//! `serve --admit-first` turns speculation off.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use super::read::{Ahead, Known, Snap, budgeted};
use super::{Budgeter, Refused, lock};
use crate::gateway::auth::Principal;
use crate::gateway::store::StoreError;
use crate::gateway::store::rates::RateAnswer;
use crate::gateway::store::spend::{Owner, OwnerSpent, utc_day};

/// How long a store's answer about an owner may stand in for waiting.
const FRESH: Duration = Duration::from_secs(1);

/// The share of every limit that must be left (after this request) for a
/// request to go before the store's answer.
const ROOM: f64 = 0.5;

/// Past this many owners, those not heard of for [`FRESH`] are forgotten.
const KEEP: usize = 1024;

/// Most requests a replica has upstream before their admission: past it
/// (a slow database, a saturated gateway, where going first gains
/// little) requests wait for theirs. It also bounds how many requests a
/// replica can have to refuse late at once.
const FLYING: usize = 8;

/// How a request was admitted.
pub enum Admission {
    /// By the store's answer for it: `wait: Some(secs)` is over the rate
    /// limits.
    Decided {
        wait: Option<u64>,
        ahead: Option<Ahead>,
    },
    /// On what the store said a moment ago; its answer for this request
    /// is `pending`, and must be confirmed before the client hears back.
    Speculated {
        ahead: Option<Ahead>,
        pending: Pending,
    },
}

type Answer =
    Pin<Box<dyn Future<Output = Result<(Option<u64>, Option<Ahead>), StoreError>> + Send>>;

/// The store's admission of a request that went on without it. Its
/// statement leaves when it is first polled.
pub struct Pending {
    answer: Answer,
    budgeter: Arc<Budgeter>,
    member: Arc<Principal>,
    tokens: u64,
}

/// Why a request that went on without its admission is refused after all.
#[derive(Debug)]
pub enum Late {
    /// Over the key's rate limits: back in that many seconds.
    RateLimited(u64),
    /// A budget is used up (the message says which).
    Over(String),
    /// The store did not answer. `budgeted`: a budget could not be checked;
    /// `tokens`: the request's estimate, to count it by.
    Unchecked {
        error: StoreError,
        budgeted: bool,
        tokens: u64,
    },
}

impl Budgeter {
    /// Admit `p`'s request of `tokens`: by the store, or (its owner well
    /// within every limit a moment ago) on speculation.
    pub async fn admission(
        self: &Arc<Self>,
        p: &Arc<Principal>,
        tokens: u64,
        now: SystemTime,
    ) -> Result<Admission, StoreError> {
        let rated = !p.limits.is_empty();
        if !rated && !budgeted(p) {
            return Ok(Admission::Decided {
                wait: None,
                ahead: None,
            });
        }
        let seq = self.seq.fetch_add(1, Ordering::Relaxed);
        // A place among the flying first; a request that may not go
        // ahead gives it back.
        let ahead = Flying::take(&self.flying)
            .and_then(|f| Some((f, self.speculation(p, tokens, now, seq)?)));
        if let Some((flying, ahead)) = ahead {
            let (b, member) = (self.clone(), p.clone());
            let answer = Box::pin(async move {
                let _flying = flying;
                b.admit_and_read(&member, tokens, now, seq).await
            });
            let pending = Pending {
                answer,
                budgeter: self.clone(),
                member: p.clone(),
                tokens,
            };
            return Ok(Admission::Speculated { ahead, pending });
        }
        let (wait, ahead) = self.admit_and_read(p, tokens, now, seq).await?;
        Ok(Admission::Decided { wait, ahead })
    }

    /// Whether `p`'s request may go before its admission: `Some` with
    /// what its budgets spent, by the store's last answer.
    fn speculation(
        &self,
        p: &Principal,
        tokens: u64,
        now: SystemTime,
        seq: u64,
    ) -> Option<Option<Ahead>> {
        if !self.speculate || !self.store.shares_rates() {
            return None;
        }
        let day = utc_day(now);
        let mut known = lock(&self.known);
        let k = known
            .get_mut(&p.owner)
            .filter(|k| k.day == day && k.at.elapsed() < FRESH)?;
        let requests = k.requests + k.since.len() as u64 + 1;
        let used = k.since.iter().map(|(_, t)| t).sum::<u64>();
        let used = k.tokens.saturating_add(used).saturating_add(tokens);
        let roomy = |limit: u64, n: u64| n as f64 <= limit as f64 * ROOM;
        if p.limits.rpm.is_some_and(|l| !roomy(l.into(), requests))
            || p.limits.tpm.is_some_and(|l| !roomy(l, used))
        {
            return None;
        }
        let ahead = match (&k.spent, budgeted(p)) {
            (_, false) => None,
            (None, true) => return None,
            (Some((spent, snap)), true) => {
                let book = lock(&self.book);
                Self::check(p, &book, *spent, snap, day, 0, ROOM).ok()?;
                Some(Ahead {
                    day,
                    spent: *spent,
                    snap: snap.clone(),
                })
            }
        };
        k.since.push((seq, tokens));
        Some(ahead)
    }

    /// The store's answer to admission `seq`, kept for speculation.
    pub(super) fn keep(
        &self,
        owner: Owner,
        day: i64,
        tokens: u64,
        seq: u64,
        rate: RateAnswer,
        spent: Option<(OwnerSpent, Snap)>,
    ) {
        if !self.speculate || !self.store.shares_rates() {
            return;
        }
        let counted = rate.wait.is_none();
        let mut known = lock(&self.known);
        if known.len() >= KEEP {
            known.retain(|_, k| k.at.elapsed() < FRESH);
        }
        let mut since = match known.remove(&owner) {
            Some(old) if old.seq > seq => {
                known.insert(owner, old);
                return;
            }
            Some(old) => old.since,
            None => Vec::new(),
        };
        since.retain(|(s, _)| *s > seq);
        known.insert(
            owner,
            Known {
                at: Instant::now(),
                day,
                seq,
                requests: rate.requests + u64::from(counted),
                tokens: rate.tokens + if counted { tokens } else { 0 },
                spent,
                since,
            },
        );
    }
}

/// One request upstream before its admission answered, counted in the
/// budgeter's `flying` until its admission's future ends or is dropped.
struct Flying(Arc<AtomicUsize>);

impl Flying {
    /// A place among the [`FLYING`], if one is free.
    fn take(n: &Arc<AtomicUsize>) -> Option<Flying> {
        let add = |v: usize| (v < FLYING).then_some(v + 1);
        n.fetch_update(Ordering::Relaxed, Ordering::Relaxed, add)
            .ok()
            .map(|_| Flying(n.clone()))
    }
}

impl Drop for Flying {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Pending {
    /// The store's answer, judged as it would have been before the request
    /// went: the rate limits' verdict, and the budgets against what was
    /// spent by then. `hold`: the request's own reservation, which the
    /// budget check leaves out (as it did when it was taken).
    pub async fn confirm(self, hold: Option<u64>) -> Result<(), Late> {
        let budgeted = budgeted(&self.member);
        let tokens = self.tokens;
        let (wait, ahead) = self.answer.await.map_err(|error| Late::Unchecked {
            error,
            budgeted,
            tokens,
        })?;
        if let Some(secs) = wait {
            return Err(Late::RateLimited(secs));
        }
        let Some(a) = ahead else {
            return Ok(());
        };
        let book = lock(&self.budgeter.book);
        let except = hold.unwrap_or(0);
        match Budgeter::check(&self.member, &book, a.spent, &a.snap, a.day, except, 1.0) {
            Ok(()) => Ok(()),
            Err(Refused::Over(m)) => Err(Late::Over(m)),
            Err(Refused::Unavailable(error)) => Err(Late::Unchecked {
                error,
                budgeted,
                tokens,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
