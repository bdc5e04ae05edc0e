//! `ccswitch usage`: tokens and cost from the ledger, as a table, JSON or
//! CSV. Reads only: the ledger is never created or changed from here.

use std::io::Write;
use std::time::{Duration, UNIX_EPOCH};

use rusqlite::Connection;
use serde::Serialize;

use super::args::UsageArgs;
use super::error::CliError;
use super::table::Table;
use crate::ctx::Ctx;
use crate::t;
use crate::usage::db::{self, LedgerError};
use crate::usage::format::{money, short};
use crate::usage::prices::table_date;
use crate::usage::query::{self, By, Filter, Sums, UsageGroup};

pub(super) fn failed(e: impl std::fmt::Display) -> CliError {
    CliError::Failed(e.to_string())
}

/// A failed read, named with the ledger's path (and, for a damaged file,
/// what to do about it).
fn reading(path: &std::path::Path) -> impl Fn(rusqlite::Error) -> CliError + '_ {
    move |e| failed(LedgerError::reading(path, e))
}

pub(super) fn rfc3339(ms: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_millis(u64::try_from(ms).unwrap_or(0));
    humantime::format_rfc3339_seconds(t).to_string()
}

#[derive(Serialize)]
struct Period {
    name: &'static str,
    since: String,
    until: String,
    #[serde(flatten)]
    sums: Sums,
}

/// The default report: fixed periods, then the last 30 days by model.
#[derive(Serialize)]
struct Overview {
    periods: Vec<Period>,
    by_model: Vec<UsageGroup>,
    prices_taken: &'static str,
}

/// A chosen range, grouped (or not).
#[derive(Serialize)]
pub(super) struct Report {
    pub(super) since: String,
    pub(super) until: String,
    pub(super) by: Option<By>,
    pub(super) profile: Option<String>,
    pub(super) groups: Vec<UsageGroup>,
    pub(super) total: Sums,
    pub(super) prices_taken: &'static str,
}

pub fn run(args: &UsageArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    let conn = match db::open_read(&ctx.paths.usage_db) {
        Ok(c) => c,
        Err(LedgerError::Missing { .. }) => db::empty().map_err(failed)?,
        Err(e) => return Err(failed(e)),
    };
    let now_ms = crate::usage::unix_ms((ctx.now)());
    let sql = reading(&ctx.paths.usage_db);
    let text = !args.json && !args.csv;
    // A table of `$0.00` rows reads like a bill; data formats keep their
    // zeros, which a script can count on.
    if text && !query::recorded(&conn, args.profile.as_deref()).map_err(&sql)? {
        let line = match &args.profile {
            Some(p) => t!("usage.none_yet_profile", profile = p),
            None => t!("usage.none_yet"),
        };
        writeln!(out, "{line}")?;
        return Ok(());
    }
    if args.since.is_none() && args.until.is_none() && args.by.is_none() {
        return overview(&conn, args, now_ms, &sql, out);
    }
    let bounds = query::bounds(&conn, now_ms / 1000).map_err(&sql)?;
    let since = match &args.since {
        Some(s) => when(&conn, s, now_ms, false, &sql)?,
        None => bounds.days30,
    };
    // Nothing is recorded after now: up to tomorrow's midnight is "until
    // now", and keeps the range in whole days.
    let until = match &args.until {
        Some(s) => when(&conn, s, now_ms, true, &sql)?,
        None => bounds.tomorrow,
    };
    if let (Some(s), Some(u)) = (&args.since, &args.until)
        && since > until
    {
        return Err(CliError::Usage(t!(
            "usage.since_after_until",
            since = s,
            until = u
        )));
    }
    let f = Filter {
        since_ms: since,
        until_ms: until.max(since),
        profile: args.profile.clone(),
    };
    let groups = match args.by {
        Some(by) => query::grouped(&conn, &f, by).map_err(&sql)?,
        None => Vec::new(),
    };
    let report = Report {
        since: rfc3339(f.since_ms),
        until: rfc3339(f.until_ms),
        by: args.by,
        profile: args.profile.clone(),
        total: query::total(&conn, &f).map_err(&sql)?,
        groups,
        prices_taken: table_date(),
    };
    let head = t!("usage.range", since = report.since, until = report.until);
    write_report(&report, &head, args, out)
}

/// A range's report as `--json`, `--csv` or a table under `head`.
pub(super) fn write_report(
    report: &Report,
    head: &str,
    args: &UsageArgs,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    if args.json {
        return json(out, report);
    }
    if args.csv {
        let mut rows: Vec<(&str, &Sums)> = report
            .groups
            .iter()
            .map(|g| (g.key.as_str(), &g.sums))
            .collect();
        rows.push(("total", &report.total));
        return csv(out, &rows);
    }
    writeln!(out, "{head}")?;
    if report.total.requests == 0 {
        writeln!(out, "{}", t!("usage.none_in_range"))?;
        return Ok(());
    }
    let mut table = Table::new(&columns(args.by.map_or(String::new(), by_name)));
    for g in &report.groups {
        table.row(cells(&g.key, &g.sums));
    }
    table.row(cells(&t!("usage.total"), &report.total));
    table.write(out)?;
    footer(out)
}

pub(super) fn by_name(by: By) -> String {
    match by {
        By::Day => t!("usage.col_day"),
        By::Profile => t!("usage.col_profile"),
        By::Provider => t!("usage.col_provider"),
        By::Model => t!("usage.col_model"),
        By::Session => t!("usage.col_session"),
        By::Member => t!("usage.col_member"),
        By::Team => t!("usage.col_team"),
        By::Project => t!("usage.col_project"),
    }
}

fn overview(
    conn: &Connection,
    args: &UsageArgs,
    now_ms: i64,
    sql: &dyn Fn(rusqlite::Error) -> CliError,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    let b = query::bounds(conn, now_ms / 1000).map_err(sql)?;
    let mut periods = Vec::new();
    for (name, since) in [
        ("today", b.today),
        ("last_7_days", b.week),
        ("last_30_days", b.days30),
        ("this_month", b.month),
    ] {
        let f = Filter {
            since_ms: since,
            until_ms: b.tomorrow,
            profile: args.profile.clone(),
        };
        let sums = query::total(conn, &f).map_err(sql)?;
        periods.push(Period {
            name,
            since: rfc3339(since),
            until: rfc3339(b.tomorrow),
            sums,
        });
    }
    let f = Filter {
        since_ms: b.days30,
        until_ms: b.tomorrow,
        profile: args.profile.clone(),
    };
    let by_model = query::grouped(conn, &f, By::Model).map_err(sql)?;
    let view = Overview {
        periods,
        by_model,
        prices_taken: table_date(),
    };
    if args.json {
        return json(out, &view);
    }
    if args.csv {
        let rows: Vec<(&str, &Sums)> = view.periods.iter().map(|p| (p.name, &p.sums)).collect();
        return csv(out, &rows);
    }
    let mut table = Table::new(&columns(String::new()));
    for p in &view.periods {
        table.row(cells(&period_name(p.name), &p.sums));
    }
    table.write(out)?;
    writeln!(out)?;
    writeln!(out, "{}", t!("usage.by_model_30"))?;
    let mut table = Table::new(&columns(by_name(By::Model)));
    for g in &view.by_model {
        table.row(cells(&g.key, &g.sums));
    }
    table.write(out)?;
    footer(out)
}

fn period_name(name: &str) -> String {
    match name {
        "today" => t!("usage.today"),
        "last_7_days" => t!("usage.last_7_days"),
        "last_30_days" => t!("usage.last_30_days"),
        _ => t!("usage.this_month"),
    }
}

/// The table's header: `first` names the rows (a period, or what the
/// range is grouped by).
pub(super) fn columns(first: String) -> [String; 7] {
    [
        first,
        t!("usage.col_requests"),
        t!("usage.col_input"),
        t!("usage.col_output"),
        t!("usage.col_cache_read"),
        t!("usage.col_cost"),
        t!("usage.col_cache_cost"),
    ]
}

pub(super) fn cells(key: &str, s: &Sums) -> Vec<String> {
    let errors = if s.errors > 0 {
        format!(" ({})", t!("usage.errors", n = s.errors))
    } else {
        String::new()
    };
    vec![
        key.to_string(),
        format!("{}{errors}", s.requests),
        short(s.all_input()),
        short(s.output_tokens),
        format!("{:.0}%", s.cache_share() * 100.0),
        money(s),
        format!("${:.2}", s.cache_read_cost_usd),
    ]
}

pub(super) fn footer(out: &mut dyn Write) -> Result<(), CliError> {
    writeln!(out)?;
    // The footer names two columns as the header does.
    let footer = t!(
        "usage.footer",
        input = t!("usage.col_input"),
        cache_read = t!("usage.col_cache_read"),
        date = table_date()
    );
    writeln!(out, "{footer}")?;
    Ok(())
}

pub(super) fn json(out: &mut dyn Write, v: &impl Serialize) -> Result<(), CliError> {
    serde_json::to_writer_pretty(&mut *out, v).map_err(failed)?;
    writeln!(out)?;
    Ok(())
}

pub(super) fn csv(out: &mut dyn Write, rows: &[(&str, &Sums)]) -> Result<(), CliError> {
    writeln!(
        out,
        "key,requests,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,reasoning_tokens,cost_usd,cache_read_cost_usd,unpriced_requests"
    )?;
    for (key, s) in rows {
        // Keys are dates, names and model ids; quote any that need it.
        let key = if key.contains([',', '"', '\n']) {
            format!("\"{}\"", key.replace('"', "\"\""))
        } else {
            (*key).to_string()
        };
        writeln!(
            out,
            "{key},{},{},{},{},{},{},{},{:.6},{:.6},{}",
            s.requests,
            s.errors,
            s.input_tokens,
            s.output_tokens,
            s.cache_read_tokens,
            s.cache_write_tokens,
            s.reasoning_tokens,
            s.cost_usd,
            s.cache_read_cost_usd,
            s.unpriced_requests
        )?;
    }
    Ok(())
}

/// `--since`/`--until`: a local date or time, or a span back from now.
pub(super) fn when(
    conn: &Connection,
    text: &str,
    now_ms: i64,
    end: bool,
    sql: &dyn Fn(rusqlite::Error) -> CliError,
) -> Result<i64, CliError> {
    if let Some(ms) = query::local_time(conn, text, end).map_err(sql)? {
        return Ok(ms);
    }
    let span = humantime::parse_duration(text)
        .map_err(|_| CliError::Usage(t!("usage.bad_when", value = text)))?;
    let out_of_range = || CliError::Usage(t!("usage.when_out_of_range", value = text));
    // Whole days count local calendar days, today included, as the
    // overview's "last 7 days" does; other spans count back from now.
    const DAY: u64 = 86_400;
    if span.as_secs() >= DAY && span.as_secs() % DAY == 0 && span.subsec_nanos() == 0 {
        let days = span.as_secs() / DAY;
        return query::days_back(conn, now_ms / 1000, days)
            .map_err(sql)?
            .ok_or_else(out_of_range);
    }
    i64::try_from(span.as_millis())
        .ok()
        .and_then(|ms| now_ms.checked_sub(ms))
        .ok_or_else(out_of_range)
}
