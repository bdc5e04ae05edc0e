//! A proxy run's budget check, and what its requests in flight hold.
//!
//! A request may go while what each of its scopes has spent, plus what
//! requests in flight may still spend, is under every limit. It then holds
//! its own estimate (the input estimate at the input price, and
//! `max_tokens` at the output price) until it ends, when the hold becomes
//! its real cost. So requests sent together cannot all pass one check: the
//! last one let through overshoots a limit by at most its own estimate.
//!
//! No check waits for the ledger's writer. Spent is read from three places
//! that between them hold every finished request once or more, never zero
//! times: the ledger file (every session's stored rows), this run's
//! finished rows the writer has not settled yet (by their numbers, see
//! `writer::Progress`), and the sums of rows the writer gave up on. The
//! order of the reads below is what makes that hold.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::Connection;

use super::{Scope, Spent, Use, Verdict, spent, uses};
use crate::config::Budget;
use crate::usage::prices::{Price, Tokens};
use crate::usage::writer::{PriceCache, Pricer, Progress, Sink};

/// What a request may use, as known before it is sent.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Estimate {
    pub input_tokens: u64,
    pub max_tokens: u64,
}

/// A request in flight.
struct Held {
    id: u64,
    provider: String,
    usd: f64,
    tokens: u64,
}

/// A finished request the writer may not have settled yet.
struct Done {
    seq: u64,
    at_ms: i64,
    provider: String,
    usd: f64,
    tokens: u64,
}

/// Amounts this run knows of that the file may not have yet.
struct Book {
    next_id: u64,
    held: Vec<Held>,
    done: VecDeque<Done>,
    prices: PriceCache,
}

impl Book {
    fn price(&mut self, provider: &str, model: &str) -> Option<Price> {
        self.prices.price(provider, model)
    }
}

pub struct Checker {
    profile: String,
    scopes: Vec<(Scope, Budget)>,
    conn: Mutex<Connection>,
    progress: Arc<Progress>,
    book: Mutex<Book>,
    /// Warnings already given this session: by scope, field and period
    /// (the day, or the month), so a long session warns again on a new
    /// day or month.
    warned: Mutex<Vec<(Scope, &'static str, String)>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Checker {
    /// `profile`: whose requests this run sends (every request it holds
    /// or finishes belongs to it).
    pub fn new(
        profile: &str,
        scopes: Vec<(Scope, Budget)>,
        conn: Connection,
        sink: &Sink,
        pricer: Pricer,
    ) -> Checker {
        // A month of daily sums is small; this connection lives as long as
        // the proxy.
        let _ = conn.execute_batch("PRAGMA cache_size=-256");
        Checker {
            profile: profile.to_string(),
            scopes,
            conn: Mutex::new(conn),
            progress: sink.progress(),
            book: Mutex::new(Book {
                next_id: 0,
                held: Vec::new(),
                done: VecDeque::new(),
                prices: PriceCache::new(pricer),
            }),
            warned: Mutex::new(Vec::new()),
        }
    }

    /// Blocking (a SQLite read): call it off the async runtime. A request
    /// to `provider` may go when no budget of the profile or that provider
    /// is used up; it then holds `estimate` until its [`Hold`] is settled
    /// or dropped. If the ledger cannot be read, the file's part counts as
    /// nothing: a broken disk must not stop work.
    pub fn check(
        self: &Arc<Self>,
        provider: &str,
        model: &str,
        estimate: Estimate,
        now_ms: i64,
    ) -> (Verdict, Option<Hold>) {
        // One check at a time: two checks must not both see the room that
        // only one of them may take.
        let conn = lock(&self.conn);
        // Settled before the file is read: a row settled after this is
        // still in `done` below, so it is counted twice rather than never.
        let settled = self.progress.settled();
        let mut found = Vec::new();
        for (scope, budget) in &self.scopes {
            if matches!(scope, Scope::Provider(p) if p != provider) {
                continue;
            }
            let spent = spent(&conn, scope, now_ms).unwrap_or_else(|_| Spent {
                day_start_ms: i64::MAX,
                month_start_ms: i64::MAX,
                ..Spent::default()
            });
            found.push((scope, budget, spent));
        }
        let lost = self.progress.lost();
        let mut book = lock(&self.book);
        // Stored (or in `lost`) by now; requests may end out of order, so
        // not only from the front.
        book.done.retain(|d| d.seq > settled);
        let mut warnings = Vec::new();
        for (scope, budget, mut spent) in found {
            let held = self.add_memory(scope, &mut spent, &book, &lost);
            for mut u in uses(scope, budget, &spent) {
                u.held = if u.is_usd() { held.0 } else { held.1 as f64 };
                if u.share() >= 1.0 {
                    return (Verdict::Stop(u.over_message()), None);
                }
                if u.spent_share() >= 0.8 && self.first_warning(&u, &spent) {
                    warnings.push(u.warning());
                }
            }
        }
        let price = book.price(provider, model);
        let usd = price.map_or(0.0, |p| {
            p.cost(&Tokens {
                input: estimate.input_tokens,
                output: estimate.max_tokens,
                ..Tokens::default()
            })
        });
        book.next_id += 1;
        let id = book.next_id;
        book.held.push(Held {
            id,
            provider: provider.to_string(),
            usd,
            tokens: estimate.input_tokens.saturating_add(estimate.max_tokens),
        });
        let hold = Hold {
            checker: self.clone(),
            id,
            provider: provider.to_string(),
            model: model.to_string(),
        };
        let verdict = if warnings.is_empty() {
            Verdict::Go
        } else {
            Verdict::Warn(warnings)
        };
        (verdict, Some(hold))
    }

    /// Adds to `spent` what this run holds in memory for `scope`; returns
    /// the part held by requests in flight (USD, tokens).
    fn add_memory(
        &self,
        scope: &Scope,
        spent: &mut Spent,
        book: &Book,
        lost: &[crate::usage::writer::Lost],
    ) -> (f64, u64) {
        let mine = |provider: &str| match scope {
            Scope::Profile(p) => *p == self.profile,
            Scope::Provider(p) => p == provider,
        };
        let mut add = |at_ms: i64, usd: f64, tokens: u64| {
            if at_ms >= spent.day_start_ms {
                spent.day_usd += usd;
                spent.day_tokens = spent.day_tokens.saturating_add(tokens);
            }
            if at_ms >= spent.month_start_ms {
                spent.month_usd += usd;
                spent.month_tokens = spent.month_tokens.saturating_add(tokens);
            }
        };
        for d in book.done.iter().filter(|d| mine(&d.provider)) {
            add(d.at_ms, d.usd, d.tokens);
        }
        for l in lost {
            let whose = match scope {
                Scope::Profile(p) => **p == *l.profile,
                Scope::Provider(p) => *p == l.provider,
            };
            if whose {
                add(l.at_ms, l.usd, l.tokens);
            }
        }
        let mut held = (0.0, 0u64);
        for h in book.held.iter().filter(|h| mine(&h.provider)) {
            held.0 += h.usd;
            held.1 = held.1.saturating_add(h.tokens);
        }
        // In flight now: in today's and this month's sums whatever the
        // clock says.
        spent.day_usd += held.0;
        spent.month_usd += held.0;
        spent.day_tokens = spent.day_tokens.saturating_add(held.1);
        spent.month_tokens = spent.month_tokens.saturating_add(held.1);
        held
    }

    /// Whether this is the first 80 % warning for this limit this period.
    fn first_warning(&self, u: &Use, spent: &Spent) -> bool {
        let period = if u.field.starts_with("daily") {
            spent.today.clone()
        } else {
            spent.today.chars().take(7).collect()
        };
        let key = (u.scope.clone(), u.field, period);
        let mut warned = lock(&self.warned);
        if warned.contains(&key) {
            return false;
        }
        warned.push(key);
        true
    }

    fn release(&self, id: u64) {
        let mut book = lock(&self.book);
        if let Some(i) = book.held.iter().position(|h| h.id == id) {
            book.held.swap_remove(i);
        }
    }
}

/// What one request in flight holds of its budgets. Dropped unsettled (the
/// request was never sent, or is not recorded), it frees what it held.
pub struct Hold {
    checker: Arc<Checker>,
    id: u64,
    provider: String,
    model: String,
}

impl Hold {
    /// The request ended and its ledger row went to the writer as number
    /// `seq`: what it held becomes what it cost.
    pub fn settle(self, seq: u64, at_ms: i64, tokens: &Tokens) {
        // Moved from held to done under one lock: a check in between would
        // count it nowhere.
        let mut book = lock(&self.checker.book);
        let Some(i) = book.held.iter().position(|h| h.id == self.id) else {
            return;
        };
        let held = book.held.swap_remove(i);
        let usd = book
            .price(&self.provider, &self.model)
            .map_or(0.0, |p| p.cost(tokens));
        book.done.push_back(Done {
            seq,
            at_ms,
            provider: held.provider,
            usd,
            tokens: tokens.total(),
        });
    }
}

impl Drop for Hold {
    fn drop(&mut self) {
        // After settle there is nothing left to free.
        self.checker.release(self.id);
    }
}
