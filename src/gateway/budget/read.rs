//! What a budget check reads: this replica's running sums of what it
//! settled, an owner's entries of them noted before a store read, and a
//! read done ahead of the check.

use std::collections::HashMap;
use std::time::Instant;

use crate::gateway::auth::Principal;
use crate::gateway::store::spend::{Owner, OwnerSpent, month_start};

/// What this replica settled, summed by scope, id and UTC day.
pub(super) type Tally = HashMap<(&'static str, i64, i64), f64>;

/// An owner's tally entries for one month, as a check found them before
/// it read the store.
pub(super) type Snap = Vec<((&'static str, i64, i64), f64)>;

/// `owner`'s tally entries for `day`'s month.
pub(super) fn snapshot(tally: &Tally, owner: Owner, day: i64) -> Snap {
    let mut out = Snap::new();
    for (scope, id) in owner.rows() {
        for d in month_start(day)..=day {
            if let Some(v) = tally.get(&(scope, id, d)) {
                out.push(((scope, id, d), *v));
            }
        }
    }
    out
}

/// What the store said a request's key, member and team spent, read
/// before its first attempt: [`Budgeter::reserve`] takes it instead of
/// reading again.
pub struct Ahead {
    pub(super) day: i64,
    pub(super) spent: OwnerSpent,
    pub(super) snap: Snap,
}

/// Whether any of `p`'s key, member or team has a budget.
pub(super) fn budgeted(p: &Principal) -> bool {
    !(p.budgets.is_empty() && p.member_budgets.is_empty() && p.team_budgets.is_empty())
}

/// What the store last said about an owner, and what this replica sent
/// upstream since without waiting for it.
pub(super) struct Known {
    pub(super) at: Instant,
    pub(super) day: i64,
    /// The admission the answer was for: an older one's answer, arriving
    /// late, does not replace it.
    pub(super) seq: u64,
    /// The key's minute, this request counted.
    pub(super) requests: u64,
    pub(super) tokens: u64,
    pub(super) spent: Option<(OwnerSpent, Snap)>,
    /// Speculated after `seq` (their seq, tokens): not in the answer.
    pub(super) since: Vec<(u64, u64)>,
}

pub(super) type KnownMap = HashMap<Owner, Known>;
