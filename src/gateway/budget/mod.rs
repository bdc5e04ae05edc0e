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

pub use read::Ahead;
use read::{Snap, Tally, budgeted, snapshot};

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Waker};
use std::time::{Duration, Instant, SystemTime};

use super::auth::Principal;
use super::store::spend::{Owner, OwnerSpent, RequestRow, ScopeSpent, month_start, utc_day};
use super::store::{Budgets, Store, StoreError};
use crate::t;
use crate::usage::Record;
use crate::usage::prices::{Price, Tokens};
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
            log,
        }
    }

    /// Whether `p`'s request to `provider`/`model`, which may use
    /// `estimate` (input, and output up to its `max_tokens`), may go; if
    /// so, what it holds until it ends. Every request gets a hold, budgets
    /// or not: its cost is counted when it settles.
    pub async fn reserve(
        self: &Arc<Self>,
        p: &Arc<Principal>,
        provider: &str,
        model: &str,
        estimate: Tokens,
        now: SystemTime,
        ahead: Option<Ahead>,
    ) -> Result<Reservation, Refused> {
        let day = utc_day(now);
        let budgeted = budgeted(p);
        let mut spent = OwnerSpent::default();
        let mut snap = Snap::new();
        if budgeted {
            (spent, snap) = match ahead.filter(|a| a.day == day) {
                Some(a) => (a.spent, a.snap),
                None => self.read_spent(p.owner, day).await?,
            };
        }
        let mut book = lock(&self.book);
        let price = book.price(provider, model);
        let usd = price.map_or(0.0, |pr| pr.cost(&estimate));
        if budgeted {
            Self::check(p, &book, spent, &snap, day)?;
        }
        book.next_id += 1;
        let id = book.next_id;
        book.held.push(Held {
            id,
            owner: p.owner,
            usd,
        });
        Ok(Reservation {
            budgeter: self.clone(),
            id,
            member: p.clone(),
            provider: provider.to_string(),
            model: model.to_string(),
        })
    }

    /// Each limit against the store's sums, this replica's recent settled
    /// costs the read may have missed, the holds in flight, and `usd`.
    fn check(
        p: &Principal,
        book: &Book,
        mut spent: OwnerSpent,
        snap: &Snap,
        day: i64,
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
            for h in book.held.iter().filter(|h| mine(&h.owner)) {
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
                if let Some(limit) = limit.filter(|l| used >= *l) {
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

/// What one request in flight holds. Dropped unsettled (never sent, or
/// failed before any cost), it frees the hold.
pub struct Reservation {
    budgeter: Arc<Budgeter>,
    /// 0 once settled: nothing left for `drop` to free.
    id: u64,
    member: Arc<Principal>,
    provider: String,
    model: String,
}

/// Resolves once the store has a settled request (or gave up on it): a
/// response's last bytes wait for it, so a request its client saw end is
/// in the store even if this process is killed the next moment.
pub type Committed = tokio::sync::oneshot::Receiver<()>;

impl Reservation {
    /// The request ended as `record` says: it goes to the store's ledger
    /// with its real cost, and the hold is let go once the store has it.
    /// `None`: nothing to wait for (the store has it already).
    pub fn settle(mut self, record: &Record) -> Option<Committed> {
        let b = self.budgeter.clone();
        let usd = {
            let mut book = lock(&b.book);
            let usd = book
                .price(&self.provider, &self.model)
                .map_or(0.0, |p| p.cost(&record.tokens));
            // Until the store has it, the hold is the real cost, not the
            // estimate: checks in between see what was spent.
            if let Some(h) = book.held.iter_mut().find(|h| h.id == self.id) {
                h.usd = usd;
            }
            usd
        };
        let row = row(&self.member, record, usd);
        let owner = row.owner;
        // The hold is freed below, once the store has the cost.
        let id = std::mem::take(&mut self.id);
        let day = row.day();
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            b.release(id);
            return None;
        };
        let (done, committed) = tokio::sync::oneshot::channel();
        let write = async move {
            let stored = b.store.record_request(row).await;
            if let Err(e) = &stored {
                (b.log)(&t!("gateway.spend_lost", error = e));
            }
            let mut book = lock(&b.book);
            if let Some(i) = book.held.iter().position(|h| h.id == id) {
                book.held.swap_remove(i);
            }
            // Last month's sums are no check's business any more.
            let month = month_start(day);
            if stored.is_ok() {
                for (scope, id) in owner.rows() {
                    let key = (scope, id, day);
                    if !book.tally.contains_key(&key) {
                        book.tally.retain(|(_, _, d), _| *d >= month);
                    }
                    *book.tally.entry(key).or_default() += usd;
                }
            } else {
                book.lost.retain(|(_, d, _)| *d >= month);
                book.lost.push((owner, day, usd));
            }
            drop(book);
            let _ = done.send(());
        };
        // Polled here first: a write that needs no waiting (the SQLite
        // ledger's connection was free) is done before this returns, and
        // the response's end waits for nothing. Otherwise a task of its
        // own finishes it, so a client that goes away cannot cancel it.
        let mut write = Box::pin(write);
        let mut cx = Context::from_waker(Waker::noop());
        if write.as_mut().poll(&mut cx).is_ready() {
            return None;
        }
        runtime.spawn(write);
        Some(committed)
    }
}

/// The store's ledger row for a member's finished request.
fn row(p: &Principal, r: &Record, usd: f64) -> RequestRow {
    RequestRow {
        at_ms: r.at_ms,
        owner: p.owner,
        key_prefix: p.key_prefix.clone(),
        member: p.member.clone(),
        team: p.team.clone(),
        project: r.who.project.as_deref().map(str::to_string),
        profile: r.profile.to_string(),
        provider: r.provider.clone(),
        model: r.model.clone(),
        status: r.status,
        error: r.error.map(|e| e.as_str().to_string()),
        input_tokens: r.tokens.input,
        output_tokens: r.tokens.output,
        cache_read_tokens: r.tokens.cache_read,
        cache_write_tokens: r.tokens.cache_write,
        cost_usd: usd,
        duration_ms: r.duration_ms,
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.id != 0 {
            self.budgeter.release(self.id);
        }
    }
}

#[cfg(test)]
mod tests;
