//! A gateway member's budgets: what their key, they and their team may
//! spend a UTC day and month. Shares its rule with the single-user budget
//! (`usage::budget::checker`): a request may go while what each scope has
//! spent, plus what requests in flight hold, is under every limit; it then
//! holds its estimate until it ends, when the hold becomes its real cost.
//! So requests sent together cannot all pass one check.
//!
//! Spent comes from the store, which every replica writes: replicas share
//! spending, while each knows only its own requests in flight. A shared
//! budget therefore overshoots by at most the holds in flight on the other
//! replicas (and, on this one, the last request let through).
//!
//! No check waits for another: this replica's running sums of what it
//! settled are noted, the store is read, and what those sums grew by since
//! is added with the holds under one short lock. A cost settled after the
//! read began may be counted twice (in the store and here), never zero
//! times; and a check costs the same however many requests came before.

mod ahead;
mod read;
pub mod reservation;
pub mod speculate;

pub use read::Ahead;
use read::{Snap, Tally, snapshot};

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use super::auth::Principal;
use super::store::spend::{Owner, OwnerSpent, ScopeSpent, month_start, utc_day};
use super::store::{Budgets, Store, StoreError};
use crate::t;
use crate::usage::prices::Price;
use crate::usage::writer::{PriceCache, Pricer};

/// How long a store's answer stands in for reading it again, where this
/// gateway is the store's only writer: a read per request cost a busy
/// gateway most of its throughput.
const REMEMBER: Duration = Duration::from_secs(10);

/// Why a request may not go.
#[derive(Debug, thiserror::Error)]
pub enum Refused {
    /// A limit is used up: the message says which (402 for the client).
    #[error("{0}")]
    Over(String),
    /// The store could not say what was spent: a budget that cannot be
    /// checked is not passed (503, which clients retry).
    #[error("{}", t!("gateway.budget_unchecked"))]
    Unavailable(#[source] StoreError),
}

struct Held {
    id: u64,
    owner: Owner,
    usd: f64,
}

struct Book {
    next_id: u64,
    held: Vec<Held>,
    tally: Tally,
    /// Costs the store did not take: counted from memory for the rest of
    /// their month.
    lost: Vec<(Owner, i64, f64)>,
    prices: PriceCache,
}

impl Book {
    fn price(&mut self, provider: &str, model: &str) -> Option<Price> {
        self.prices.price(provider, model)
    }
}

/// One per gateway, around its store.
pub struct Budgeter {
    store: Store,
    book: Mutex<Book>,
    /// The store's answers by owner: (day, spent, tally before, when).
    read: Mutex<HashMap<Owner, (i64, OwnerSpent, Snap, Instant)>>,
    /// The shared store's last admission answers, by owner: `speculate`.
    known: Mutex<read::KnownMap>,
    /// The next admission's number.
    seq: AtomicU64,
    /// Requests upstream before their admission answered.
    flying: Arc<std::sync::atomic::AtomicUsize>,
    /// Whether a request well within its limits may go before the shared
    /// store admits it (off: `serve --admit-first`).
    speculate: bool,
    log: Arc<dyn Fn(&str) + Send + Sync>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Which of an owner's sums a limit reads.
type Sum = fn(&OwnerSpent) -> ScopeSpent;

/// The limits of one principal, by scope: (scope name for messages,
/// budgets, which of the owner's sums).
fn limits(p: &Principal) -> [(String, Budgets, Sum); 3] {
    [
        (
            t!("gateway.scope_key", prefix = p.key_prefix),
            p.budgets,
            |s| s.key,
        ),
        (
            t!("gateway.scope_member", name = p.member),
            p.member_budgets,
            |s| s.member,
        ),
        (
            t!("gateway.scope_team", name = p.team),
            p.team_budgets,
            |s| s.team,
        ),
    ]
}

impl Budgeter {
    pub fn new(store: Store, pricer: Pricer, log: Arc<dyn Fn(&str) + Send + Sync>) -> Budgeter {
        Budgeter {
            store,
            book: Mutex::new(Book {
                next_id: 0,
                held: Vec::new(),
                tally: HashMap::new(),
                lost: Vec::new(),
                prices: PriceCache::new(pricer),
            }),
            read: Mutex::new(HashMap::new()),
            known: Mutex::new(HashMap::new()),
            seq: AtomicU64::new(1),
            flying: Arc::default(),
            speculate: true,
            log,
        }
    }

    /// Every request waits for the shared store's admission before it goes
    /// upstream: none is refused after it reached the provider.
    #[must_use]
    pub fn admit_first(mut self, on: bool) -> Budgeter {
        self.speculate = !on;
        self
    }

    /// Each limit against the store's sums, this replica's recent settled
    /// costs the read may have missed, and the holds in flight but hold
    /// `except`'s. `room`: the share of each limit that may be used.
    fn check(
        p: &Principal,
        book: &Book,
        mut spent: OwnerSpent,
        snap: &Snap,
        day: i64,
        except: u64,
        room: f64,
    ) -> Result<(), Refused> {
        let month = month_start(day);
        for (scope, id) in p.owner.rows() {
            let Some(s) = spent.of_mut(scope) else {
                continue;
            };
            let mine = |o: &Owner| o.rows().contains(&(scope, id));
            for d in month..=day {
                let key = (scope, id, d);
                let Some(now) = book.tally.get(&key) else {
                    continue;
                };
                let then = snap
                    .iter()
                    .find(|(k, _)| *k == key)
                    .map_or(0.0, |(_, v)| *v);
                let grown = now - then;
                s.month_usd += grown;
                if d == day {
                    s.day_usd += grown;
                }
            }
            for (_, d, usd) in book.lost.iter().filter(|(o, d, _)| mine(o) && *d >= month) {
                s.month_usd += usd;
                if *d == day {
                    s.day_usd += usd;
                }
            }
            for h in book
                .held
                .iter()
                .filter(|h| mine(&h.owner) && h.id != except)
            {
                s.day_usd += h.usd;
                s.month_usd += h.usd;
            }
        }
        for (scope, budgets, of) in limits(p) {
            let s = of(&spent);
            for (period, limit, used) in [
                (t!("budget.daily"), budgets.daily_usd, s.day_usd),
                (t!("budget.monthly"), budgets.monthly_usd, s.month_usd),
            ] {
                // Used up: what is spent and held leaves nothing. A
                // request is let through while any room is left, so one
                // larger than the room can still go once.
                if let Some(limit) = limit.filter(|l| used >= *l * room) {
                    return Err(Refused::Over(t!(
                        "gateway.budget_over",
                        period = period,
                        scope = scope,
                        limit = format!("${limit:.2}"),
                        spent = format!("${used:.2}")
                    )));
                }
            }
        }
        Ok(())
    }

    /// What the store said `owner` spent on `day`, and the tally as it was
    /// before that read, while they may stand in for reading it again:
    /// only where this gateway is the store's one writer (SQLite: nobody
    /// else's spending can be missed), for at most [`REMEMBER`].
    /// What `owner` spent by the store (or its answer remembered), with
    /// this replica's tally as it was before the read.
    async fn read_spent(&self, owner: Owner, day: i64) -> Result<(OwnerSpent, Snap), Refused> {
        if let Some(known) = self.remembered(owner, day) {
            return Ok(known);
        }
        let before = snapshot(&lock(&self.book).tally, owner, day);
        let read = self
            .store
            .spent(owner, day)
            .await
            .map_err(Refused::Unavailable)?;
        self.remember(owner, day, read, &before);
        Ok((read, before))
    }

    fn remembered(&self, owner: Owner, day: i64) -> Option<(OwnerSpent, Snap)> {
        if self.store.shares_rates() {
            return None;
        }
        let cache = lock(&self.read);
        let (d, spent, snap, at) = cache.get(&owner)?;
        (*d == day && at.elapsed() < REMEMBER).then(|| (*spent, snap.clone()))
    }

    fn remember(&self, owner: Owner, day: i64, spent: OwnerSpent, snap: &Snap) {
        if self.store.shares_rates() {
            return;
        }
        let mut cache = lock(&self.read);
        // Owners that sent nothing for a while go; the map stays small.
        cache.retain(|_, (_, _, _, at)| at.elapsed() < REMEMBER);
        cache.insert(owner, (day, spent, snap.clone(), Instant::now()));
    }

    fn release(&self, id: u64) -> Option<Held> {
        let mut book = lock(&self.book);
        let i = book.held.iter().position(|h| h.id == id)?;
        Some(book.held.swap_remove(i))
    }

    /// What `owner`'s scopes spent today and this month, by the store.
    pub async fn spent(&self, owner: Owner, now: SystemTime) -> Result<OwnerSpent, StoreError> {
        self.store.spent(owner, utc_day(now)).await
    }
}

#[cfg(test)]
mod testkit;
#[cfg(test)]
mod tests;
