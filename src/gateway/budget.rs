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
//! No check waits for another: the store is read first, then this
//! replica's holds and recently settled costs are added under one short
//! lock. A cost settled after the read began may be counted twice (in the
//! store and here), never zero times.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use super::auth::Principal;
use super::store::spend::{Owner, OwnerSpent, ScopeSpent, month_start, utc_day};
use super::store::{Budgets, Store, StoreError};
use crate::t;
use crate::usage::prices::{Price, Tokens};
use crate::usage::writer::Pricer;

/// How long a settled cost is also counted from memory: longer than any
/// store read a check waits for (the pool's wait is bounded well below).
const RECENT: Duration = Duration::from_secs(30);

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

struct Settled {
    seq: u64,
    owner: Owner,
    day: i64,
    usd: f64,
    at: Instant,
    /// The store did not take it: counted from memory for the rest of
    /// its month.
    lost: bool,
}

struct Book {
    next_id: u64,
    next_seq: u64,
    held: Vec<Held>,
    settled: VecDeque<Settled>,
    pricer: Pricer,
    prices: Vec<((String, String), Option<Price>)>,
}

impl Book {
    fn price(&mut self, provider: &str, model: &str) -> Option<Price> {
        if let Some((_, p)) = self
            .prices
            .iter()
            .find(|((a, b), _)| a == provider && b == model)
        {
            return *p;
        }
        let p = (self.pricer)(provider, model);
        self.prices
            .push(((provider.to_string(), model.to_string()), p));
        p
    }
}

/// One per gateway, around its store.
pub struct Budgeter {
    store: Store,
    book: Mutex<Book>,
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
                next_seq: 0,
                held: Vec::new(),
                settled: VecDeque::new(),
                pricer,
                prices: Vec::new(),
            }),
            log,
        }
    }

    /// Whether `p`'s request to `provider`/`model`, which may use
    /// `estimate` (input, and output up to its `max_tokens`), may go; if
    /// so, what it holds until it ends. Every request gets a hold, budgets
    /// or not: its cost is counted when it settles.
    pub async fn reserve(
        self: &Arc<Self>,
        p: &Principal,
        provider: &str,
        model: &str,
        estimate: Tokens,
        now: SystemTime,
    ) -> Result<Reservation, Refused> {
        let day = utc_day(now);
        let budgeted = limits(p).iter().any(|(_, b, _)| !b.is_empty());
        let mut spent = OwnerSpent::default();
        let start = lock(&self.book).next_seq;
        if budgeted {
            spent = self
                .store
                .spent(p.owner, day)
                .await
                .map_err(Refused::Unavailable)?;
        }
        let mut book = lock(&self.book);
        let price = book.price(provider, model);
        let usd = price.map_or(0.0, |pr| pr.cost(&estimate));
        if budgeted {
            let cutoff = Instant::now().checked_sub(RECENT);
            let month = month_start(day);
            book.settled.retain(|s| {
                if s.lost {
                    s.day >= month
                } else {
                    cutoff.is_none_or(|c| s.at >= c)
                }
            });
            Self::check(p, &book, spent, start, day)?;
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
            owner: p.owner,
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
        start: u64,
        day: i64,
    ) -> Result<(), Refused> {
        let month = month_start(day);
        for (scope, id) in p.owner.rows() {
            let Some(s) = spent.of_mut(scope) else {
                continue;
            };
            let mine = |o: &Owner| o.rows().contains(&(scope, id));
            let missed = |r: &&Settled| (r.lost || r.seq >= start) && mine(&r.owner);
            for r in book.settled.iter().filter(missed) {
                if r.day == day {
                    s.day_usd += r.usd;
                }
                if r.day >= month {
                    s.month_usd += r.usd;
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
    owner: Owner,
    provider: String,
    model: String,
}

impl Reservation {
    /// The request ended having used `tokens`: its real cost goes to the
    /// store (in the background: the response is not held for it), and
    /// the hold is let go only once the store has it.
    pub fn settle(mut self, tokens: &Tokens, at: SystemTime) {
        let b = self.budgeter.clone();
        let usd = {
            let mut book = lock(&b.book);
            let usd = book
                .price(&self.provider, &self.model)
                .map_or(0.0, |p| p.cost(tokens));
            // Until the store has it, the hold is the real cost, not the
            // estimate: checks in between see what was spent.
            if let Some(h) = book.held.iter_mut().find(|h| h.id == self.id) {
                h.usd = usd;
            }
            usd
        };
        let (owner, total) = (self.owner, tokens.total());
        // The hold is freed below, once the store has the cost.
        let id = std::mem::take(&mut self.id);
        let day = utc_day(at);
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            b.release(id);
            return;
        };
        let write = async move {
            let stored = b.store.add_spend(owner, day, usd, total).await;
            if let Err(e) = &stored {
                (b.log)(&t!("gateway.spend_lost", error = e));
            }
            let mut book = lock(&b.book);
            if let Some(i) = book.held.iter().position(|h| h.id == id) {
                book.held.swap_remove(i);
            }
            book.next_seq += 1;
            let seq = book.next_seq - 1;
            book.settled.push_back(Settled {
                seq,
                owner,
                day,
                usd,
                at: Instant::now(),
                lost: stored.is_err(),
            });
        };
        runtime.spawn(write);
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
