//! `--gateway`: the bench's home made a team gateway's store (or the
//! PostgreSQL database `--store URL` names), with a key every check runs
//! for and none refuses.

use std::path::Path;
use std::process::Command;

/// Far above anything a few seconds of load here can spend or send.
const BUDGET_USD: &str = "1000000";
const RPM: &str = "1000000000";
const TPM: &str = "1000000000000";

/// A team and a member with daily and monthly budgets, and a key with its
/// own budgets and rate limits, all far above any load here: every
/// request reads what its key, member and team spent from the store,
/// holds its estimate, and is counted by the limiter, and none is
/// refused. Returns the key. Without `budgets` (`--no-budgets`), the key
/// check and the rate limits alone: what the store's reads and writes
/// for budgets cost.
pub fn member_key(bin: &Path, home: &Path, budgets: bool, store: Option<&str>) -> String {
    let run = |args: &[&str]| {
        let out = Command::new(bin)
            .args(["gateway"])
            .args(store.map(|s| ["--store", s]).into_iter().flatten())
            .args(args)
            .env("CCSWITCH_HOME", home)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let budgets: &[&str] = if budgets {
        &["--daily-usd", BUDGET_USD, "--monthly-usd", BUDGET_USD]
    } else {
        &[]
    };
    run(&["team", "add", "bench"]);
    run(&["member", "add", "load", "--team", "bench"]);
    if !budgets.is_empty() {
        run(&[&["team", "budget", "bench"][..], budgets].concat());
        run(&[&["member", "budget", "load"][..], budgets].concat());
    }
    let key = [
        "key", "issue", "--member", "load", "--rpm", RPM, "--tpm", TPM,
    ];
    run(&[&key[..], budgets].concat())
}

/// Prices for the bench's model, so a budget check has a cost to hold
/// and settle (an unpriced model costs nothing and checks nothing).
pub fn priced(config: &str) -> String {
    config.replace(
        "key = { env = \"BENCH_KEY\" }\n",
        "key = { env = \"BENCH_KEY\" }\nmodels = { m = { input_price = 1.0, output_price = 1.0 } }\n",
    )
}
