//! `ccswitch usage --gateway [STORE]`: a team gateway's usage from its
//! store's ledger, which every replica writes (the local `usage.db` holds
//! only this machine's requests). Days are UTC, as the gateway's budgets
//! count them.

use std::io::Write;

use super::args::UsageArgs;
use super::error::CliError;
use super::usage::{Report, failed, rfc3339, when, write_report};
use crate::ctx::Ctx;
use crate::gateway::store::spend::{LedgerGroup, RowSums};
use crate::gateway::store::{Store, StoreLocation};
use crate::t;
use crate::usage::prices::table_date;
use crate::usage::query::{By, Sums, UsageGroup};

const DAY_MS: i64 = 86_400_000;

pub fn run(
    args: &UsageArgs,
    store: Option<&str>,
    ctx: &Ctx,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if args.profile.is_some() {
        return Err(CliError::Usage(t!("usage.gateway_no_profile")));
    }
    let group = match args.by {
        None => None,
        Some(By::Day) => Some(LedgerGroup::Day),
        Some(By::Profile) => Some(LedgerGroup::Profile),
        Some(By::Provider) => Some(LedgerGroup::Provider),
        Some(By::Model) => Some(LedgerGroup::Model),
        Some(By::Member) => Some(LedgerGroup::Member),
        Some(By::Team) => Some(LedgerGroup::Team),
        Some(By::Project) => Some(LedgerGroup::Project),
        Some(By::Session) => return Err(CliError::Usage(t!("usage.gateway_no_session"))),
    };
    let location = match store {
        Some(s) => StoreLocation::parse(s)?,
        None => StoreLocation::Sqlite(ctx.paths.gateway_db.clone()),
    };
    let now_ms = crate::usage::unix_ms((ctx.now)());
    // `--since`/`--until` read as for the local ledger; without them, the
    // last 30 UTC days, today included.
    let dates = crate::usage::db::empty().map_err(failed)?;
    let sql = |e: rusqlite::Error| failed(e);
    let today = now_ms.div_euclid(DAY_MS) * DAY_MS;
    let since = match &args.since {
        Some(s) => when(&dates, s, now_ms, false, &sql)?,
        None => today - 29 * DAY_MS,
    };
    let until = match &args.until {
        Some(s) => when(&dates, s, now_ms, true, &sql)?,
        None => today + DAY_MS,
    };
    if since > until {
        return Err(CliError::Usage(t!(
            "usage.since_after_until",
            since = args.since.as_deref().unwrap_or_default(),
            until = args.until.as_deref().unwrap_or_default()
        )));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (groups, total) = rt.block_on(async {
        let store = Store::open(&location, (ctx.now)()).await?;
        let groups = match group {
            Some(g) => store.usage(since, until, Some(g)).await?,
            None => Vec::new(),
        };
        let total = store.usage(since, until, None).await?;
        Ok::<_, CliError>((groups, total))
    })?;
    let report = Report {
        since: rfc3339(since),
        until: rfc3339(until),
        by: args.by,
        profile: None,
        groups: groups
            .into_iter()
            .map(|(key, s)| UsageGroup {
                key,
                sums: sums(&s),
            })
            .collect(),
        total: total.first().map(|(_, s)| sums(s)).unwrap_or_default(),
        prices_taken: table_date(),
    };
    let head = t!(
        "usage.gateway_range",
        since = report.since,
        until = report.until
    );
    write_report(&report, &head, args, out)
}

/// The store keeps no reasoning or cache-read cost apart: those read 0.
fn sums(s: &RowSums) -> Sums {
    Sums {
        requests: s.requests,
        errors: s.errors,
        input_tokens: s.input_tokens,
        output_tokens: s.output_tokens,
        cache_read_tokens: s.cache_read_tokens,
        cache_write_tokens: s.cache_write_tokens,
        cost_usd: s.cost_usd,
        ..Sums::default()
    }
}
