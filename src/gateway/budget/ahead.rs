//! A gateway request's admission where replicas share the store
//! (PostgreSQL): its rate-limit count and, when it has budgets, the read of
//! what they spent, in one round trip before the request goes upstream;
//! its attempt does not read again. Each answer is kept a moment, for
//! the next requests' speculation (`speculate`).

use std::time::SystemTime;

use super::read::{Ahead, budgeted, snapshot};
use super::{Budgeter, lock};
use crate::gateway::auth::Principal;
use crate::gateway::store::StoreError;
use crate::gateway::store::rates::RateAnswer;
use crate::gateway::store::spend::{unix_secs, utc_day};

impl Budgeter {
    /// Count `p`'s request of `tokens` against its key's shared rate
    /// limits and, when it has budgets, read what their scopes spent, in
    /// one store call. `Some(secs)`: over the limits, nothing counted.
    /// `seq`: when the admission was issued, among this replica's.
    pub(super) async fn admit_and_read(
        &self,
        p: &Principal,
        tokens: u64,
        now: SystemTime,
        seq: u64,
    ) -> Result<(Option<u64>, Option<Ahead>), StoreError> {
        let secs = unix_secs(now);
        let day = utc_day(now);
        let rated = !p.limits.is_empty();
        if !budgeted(p) {
            let rate = self.store.rate_admit(p.key_id, p.limits, tokens, secs);
            let rate = rate.await?;
            self.keep(p.owner, day, tokens, seq, rate, None);
            return Ok((rate.wait, None));
        }
        // Noted before the read, as `reserve` does: what this replica
        // settles while the read runs is counted, perhaps twice, never
        // not at all.
        let snap = snapshot(&lock(&self.book).tally, p.owner, day);
        let (rate, spent) = if rated {
            let both = self
                .store
                .admit_and_spent(p.owner, p.limits, tokens, secs, day);
            both.await?
        } else {
            (RateAnswer::default(), self.store.spent(p.owner, day).await?)
        };
        self.keep(p.owner, day, tokens, seq, rate, Some((spent, snap.clone())));
        Ok((
            rate.wait,
            rate.wait.is_none().then_some(Ahead { day, spent, snap }),
        ))
    }
}
