use super::*;
use crate::usage::testing::{filled_ledger, ledger_path};

const DAY: i64 = 86_400_000;
/// 2026-11-10 12:00 UTC: the same local date in every zone within ±11 h.
const NOON: i64 = 1_794_312_000_000;
/// "Now": 2026-11-12 13:00 UTC.
const NOW_SECS: i64 = (NOON + 2 * DAY + 3_600_000) / 1000;

/// A real ledger: $1 per million input tokens except on `local`.
fn mk_ledger() -> (tempfile::TempDir, PathBuf) {
    filled_ledger(&[
        // 40 days ago: outside every range the screen reads.
        (NOON - 38 * DAY, "s", "work", "ds", "pro", 9_000_000, 0),
        (NOON, "s", "work", "ds", "pro", 1_000_000, 0),
        (NOON + DAY, "s", "home", "ds", "flash", 2_000_000, 0),
        (NOON + DAY, "s", "home", "local", "qwen", 500, 0),
        (NOON + 2 * DAY, "s", "work", "ds", "pro", 3_000_000, 0),
    ])
}

fn query(profile: Option<&str>) -> UsageQuery {
    UsageQuery {
        profile: profile.map(str::to_string),
        budget_profile: Some("work".into()),
    }
}

#[test]
fn thirty_days_every_day_in_order_with_models_and_budget_spend() {
    let (_dir, path) = mk_ledger();
    let d = load(&path, &query(None), NOW_SECS).expect("load");
    assert!(d.recorded);
    assert_eq!(d.days.len(), 30, "days without requests are there too");
    let keys: Vec<&str> = d.days.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys[29], "2026-11-12", "today last");
    assert_eq!(keys[0], "2026-10-14");
    let requests: Vec<u64> = d.days.iter().map(|(_, s)| s.requests).collect();
    assert_eq!(requests[27..], [1, 2, 1]);
    assert_eq!(requests[..27].iter().sum::<u64>(), 0, "40 days ago is out");
    assert_eq!(d.total.requests, 4);
    assert_eq!(d.total.unpriced_requests, 1, "the local model");
    assert!(
        (d.total.cost_usd - 6.000_06).abs() < 1e-9,
        "{}",
        d.total.cost_usd
    );
    let models: Vec<&str> = d.models.iter().map(|g| g.key.as_str()).collect();
    assert_eq!(models, ["ds/pro", "ds/flash", "local/qwen"], "by cost");
    // Budgets: the profile's today and this month, each provider's.
    assert_eq!(d.profile_spent.today.input_tokens, 3_000_000);
    assert_eq!(d.profile_spent.month.input_tokens, 4_000_000);
    let ds = d
        .provider_spent
        .iter()
        .find(|(p, _)| p == "ds")
        .expect("ds");
    assert_eq!(ds.1.today.requests, 1);
    assert_eq!(ds.1.month.requests, 3);
}

#[test]
fn one_profile_counts_only_its_requests() {
    let (_dir, path) = mk_ledger();
    let d = load(&path, &query(Some("home")), NOW_SECS).expect("load");
    assert_eq!(d.total.requests, 2);
    assert_eq!(d.days[28].1.requests, 2);
    assert_eq!(d.days[29].1.requests, 0);
    assert_eq!(
        d.profile_spent.today.requests, 1,
        "budgets stay the selected profile's"
    );
}

#[test]
fn the_week_per_profile() {
    let (_dir, path) = mk_ledger();
    let w = week(&path, NOW_SECS).expect("week");
    assert_eq!(w["work"].requests, 2);
    assert_eq!(w["home"].requests, 2);
    assert_eq!(w["home"].unpriced_requests, 1);
}

#[test]
fn no_ledger_yet_is_an_empty_screen_not_an_error() {
    let (_dir, path) = ledger_path();
    let d = load(&path, &query(None), NOW_SECS).expect("load");
    assert!(!d.recorded);
    assert_eq!(week(&path, NOW_SECS), Ok(HashMap::new()));
    assert!(!path.exists(), "reading creates nothing");
}

#[test]
fn a_file_that_is_not_a_ledger_is_an_error() {
    let (_dir, path) = ledger_path();
    std::fs::write(
        &path,
        "not sqlite at all, just some text that is long enough",
    )
    .expect("write");
    assert!(load(&path, &query(None), NOW_SECS).is_err());
    assert!(week(&path, NOW_SECS).is_err());
}
