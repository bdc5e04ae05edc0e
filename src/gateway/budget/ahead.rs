//! A budgeted request's store read done ahead, with its rate-limit count:
//! where replicas share the store (PostgreSQL) both are one round trip
//! before the request goes upstream, and its attempt does not read again.

use std::time::SystemTime;

use super::read::{Ahead, budgeted, snapshot};
use super::{Budgeter, lock};
use crate::gateway::auth::Principal;
use crate::gateway::store::StoreError;
use crate::gateway::store::spend::{unix_secs, utc_day};

impl Budgeter {
    /// Count `p`'s request of `tokens` against its key's shared rate
    /// limits and, when it has budgets, read what their scopes spent, in
    /// one store call. `Some(secs)`: over the limits, nothing counted.
    pub async fn admit_and_read(
        &self,
        p: &Principal,
        tokens: u64,
        now: SystemTime,
    ) -> Result<(Option<u64>, Option<Ahead>), StoreError> {
        let secs = unix_secs(now);
        if !budgeted(p) {
            let wait = self.store.rate_admit(p.key_id, p.limits, tokens, secs);
            return Ok((wait.await?, None));
        }
        let day = utc_day(now);
        // Noted before the read, as `reserve` does: what this replica
        // settles while the read runs is counted, perhaps twice, never
        // not at all.
        let snap = snapshot(&lock(&self.book).tally, p.owner, day);
        let (wait, spent) = self
            .store
            .admit_and_spent(p.owner, p.limits, tokens, secs, day)
            .await?;
        Ok((wait, wait.is_none().then_some(Ahead { day, spent, snap })))
    }
}
