//! A request's hold on its budgets while it runs: taken before it goes
//! upstream ([`Budgeter::reserve`]), and settled into the store, with its
//! ledger row, when it ends.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Waker};
use std::time::SystemTime;

use super::read::{Ahead, Snap, budgeted};
use super::{Budgeter, Held, Refused, lock};
use crate::gateway::auth::Principal;
use crate::gateway::store::spend::{OwnerSpent, RequestRow, month_start, utc_day};
use crate::t;
use crate::usage::Record;
use crate::usage::prices::Tokens;

impl Budgeter {
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
            Self::check(p, &book, spent, &snap, day, 0, 1.0)?;
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
    /// Which hold this is (see `speculate::Pending::confirm`).
    pub fn hold_id(&self) -> u64 {
        self.id
    }

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
