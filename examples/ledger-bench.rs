//! The usage ledger's own figures: how many rows a second its writer
//! stores, and how long the real `ccswitch usage` and `ccswitch statusline`
//! take over a ledger of a million rows.
//!
//!     cargo build --release && cargo run --release --example ledger-bench -- \
//!         [--rows N] [--bin PATH]
//!
//! The million rows are 2,000 sessions of 500 requests (15 s apart, three
//! models, three profiles) started at random times in the last 30 days: the
//! worst case for a 30-day summary, where every row is in range.

// Measuring tools stop at the first failure, which is the answer.
#![allow(clippy::unwrap_used)]

#[path = "support/mod.rs"]
mod support;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ccswitch::usage::prices::{Price, Tokens};
use ccswitch::usage::{Ledger, Record, db};

const PER_SESSION: u64 = 500;

fn record(at_ms: i64, session: &Arc<str>, profile: &Arc<str>, n: u64) -> Record {
    let (slot, model) = match n % 10 {
        0 => ("fast", "m-fast"),
        1 | 2 => ("subagent", "m-sub"),
        _ => ("main", "m-main"),
    };
    Record {
        at_ms,
        session: session.clone(),
        cc_session: Some(format!("cc-{session}")),
        profile: profile.clone(),
        slot,
        provider: "up".into(),
        requested: "claude-sonnet-4-5".into(),
        model: model.into(),
        subagent: matches!(n % 10, 1 | 2),
        status: 200,
        error: None,
        ttft_ms: Some(300),
        duration_ms: 4000,
        tokens: Tokens {
            input: 2000 + n % 97,
            output: 300 + n % 31,
            cache_read: 40_000 + n % 1013,
            cache_write: n % 7 * 100,
            cache_write_1h: 0,
            reasoning: n % 5 * 10,
        },
        estimated: false,
        attempt: 0,
        who: ccswitch::usage::Attribution::default(),
    }
}

/// A small deterministic generator: the layout is the same on every run.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time_cmd(
    bin: &std::path::Path,
    home: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
    stdin: &str,
) -> Duration {
    let mut times = Vec::new();
    for _ in 0..11 {
        let t = Instant::now();
        let mut child = Command::new(bin)
            .args(args)
            .env("CCSWITCH_HOME", home)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run ccswitch");
        use std::io::Write;
        let _ = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes());
        assert!(child.wait().expect("wait").success(), "{args:?} failed");
        times.push(t.elapsed());
    }
    median(times)
}

fn main() {
    let rows: u64 = support::num("--rows", 1_000_000);
    let bin = support::binary_under_test();
    let home = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        home.path().join("config.toml"),
        "[providers.up]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n\
         models = { m-main = { input_price = 3, output_price = 15, cache_read_price = 0.3 }, \
         m-fast = { input_price = 1, output_price = 5 } }\n\
         [profiles.p0]\nprovider = \"up\"\nmain = \"m-main\"\nbudget = { daily_usd = 50, monthly_usd = 900 }\n\
         [profiles.p1]\nprovider = \"up\"\nmain = \"m-main\"\n[profiles.p2]\nprovider = \"up\"\nmain = \"m-main\"\n",
    )
    .expect("config");
    let path = home.path().join("usage.db");
    let opened = db::open(&path, 1).expect("open the ledger");
    let price = Price {
        input: 3.0,
        output: 15.0,
        cache_read: Some(0.3),
        cache_write: None,
        cache_write_1h: None,
    };
    let ledger = Ledger::start(
        opened.conn,
        Box::new(move |_, m| (m != "m-sub").then_some(price)),
        Arc::new(|line: &str| eprintln!("{line}")),
    );
    let sink = ledger.sink().expect("sink");
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let month_ms = 30 * 86_400_000_i64;
    let profiles: Vec<Arc<str>> = ["p0", "p1", "p2"].iter().map(|p| Arc::from(*p)).collect();
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let t = Instant::now();
    let sessions = rows.div_ceil(PER_SESSION);
    let mut sent = 0;
    let mut last_session = String::new();
    for s in 0..sessions {
        let start =
            now_ms - month_ms + (next(&mut seed) % (month_ms as u64 - 3 * 3_600_000)) as i64;
        let session: Arc<str> = Arc::from(format!("{:016x}", next(&mut seed)).as_str());
        let profile = &profiles[(s % 3) as usize];
        for n in 0..PER_SESSION.min(rows - sent) {
            sink.send(record(start + n as i64 * 15_000, &session, profile, n));
            sent += 1;
        }
        last_session = session.to_string();
    }
    drop(sink);
    ledger.close();
    let took = t.elapsed();
    let size = std::fs::metadata(&path).map_or(0, |m| m.len())
        + std::fs::metadata(home.path().join("usage.db-wal")).map_or(0, |m| m.len());
    let conn = db::open_read(&path).expect("read");
    let rollup: i64 = conn
        .query_row("SELECT count(*) FROM rollup", [], |r| r.get(0))
        .expect("rollup rows");
    drop(conn);
    println!(
        "ledger writer: {sent} rows in {:.2} s = {:.0} rows/s (one writer thread, group commit); \
         file {:.0} MiB; {rollup} rollup rows",
        took.as_secs_f64(),
        sent as f64 / took.as_secs_f64(),
        size as f64 / (1024.0 * 1024.0),
    );
    let status = r#"{"session_id":"x","model":{"id":"m-main","display_name":"m-main"}}"#;
    let cases: [(&str, Vec<&str>); 6] = [
        (
            "usage (today, 7 d, 30 d, month, 30 d by model)",
            vec!["usage"],
        ),
        ("usage --json", vec!["usage", "--json"]),
        ("usage --by day", vec!["usage", "--by", "day"]),
        (
            "usage --since 30d --by session",
            vec!["usage", "--since", "30d", "--by", "session"],
        ),
        (
            "usage --since 720h --by model (30 days, ragged ends)",
            vec!["usage", "--since", "720h", "--by", "model"],
        ),
        (
            "usage --profile p0 --by model",
            vec!["usage", "--profile", "p0", "--by", "model"],
        ),
    ];
    for (name, args) in cases {
        let d = time_cmd(&bin, home.path(), &args, &[], "");
        println!(
            "{name}: median {:.1} ms (whole process)",
            d.as_secs_f64() * 1e3
        );
    }
    let env = [
        ("CCSWITCH_PROFILE", "p0"),
        ("CCSWITCH_SESSION", last_session.as_str()),
    ];
    let d = time_cmd(&bin, home.path(), &["statusline"], &env, status);
    println!(
        "statusline (session sums, budget of p0): median {:.1} ms (whole process)",
        d.as_secs_f64() * 1e3
    );
    let d = time_cmd(&bin, home.path(), &["--version"], &[], "");
    println!(
        "for scale, `ccswitch --version`: median {:.1} ms",
        d.as_secs_f64() * 1e3
    );
    // `--keep DIR`: leave the ledger there to look at.
    if let Some(keep) = support::text_arg("--keep") {
        std::fs::create_dir_all(&keep).unwrap();
        for f in ["usage.db", "usage.db-wal", "config.toml"] {
            let _ = std::fs::copy(home.path().join(f), std::path::Path::new(&keep).join(f));
        }
    }
}
