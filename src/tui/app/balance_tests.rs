//! The list's balances kept current while the screen stays open, through
//! `App::update`: the clock is the screen's own (`LastUsed` brings it
//! once a minute), so every time here is given.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::tests::{app_with, send};
use super::*;
use crate::proxy::upstream::balance::cache::Entry;

/// DeepSeek and Moonshot publish balances; OpenRouter's key here is a
/// command's (it may prompt: never run for a balance), Ollama has none.
const CFG: &str = r#"
[providers.ds]
preset = "deepseek"
key = { env = "DS_KEY" }
[providers.moon]
preset = "moonshot"
key = { env = "MOON_KEY" }
[providers.or]
preset = "openrouter"
key = { command = "pass show openrouter" }
[providers.local]
preset = "ollama"
[profiles.a]
provider = "ds"
main = "deepseek-v4-pro"
[profiles.a2]
provider = "ds"
main = "deepseek-v4-flash"
[profiles.b]
provider = "moon"
main = "kimi-k3"
[profiles.c]
provider = "or"
main = "x"
[profiles.d]
provider = "local"
main = "qwen3-coder"
"#;

const T0: Duration = Duration::from_secs(1_800_000_000);

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + T0 + Duration::from_secs(secs)
}

/// The clock reading a minute's `ReadRecent` brings.
fn clock(app: &mut App, secs: u64) -> Option<Cmd> {
    app.update(Msg::LastUsed(HashMap::new(), at(secs)))
}

fn asks(providers: &[&str]) -> Option<Cmd> {
    Some(Cmd::RefreshBalances(
        providers.iter().map(ToString::to_string).collect(),
    ))
}

#[test]
fn the_list_asks_for_balances_at_most_once_a_minute_after_it_opened() {
    let mut app = app_with(CFG);
    // Opening shows what the cache holds and asks nothing.
    assert_eq!(clock(&mut app, 0), None);
    assert_eq!(clock(&mut app, 59), None);
    // A minute on: the selected profile's provider first, then the other
    // visible ones that publish a balance and need no command for a key.
    assert_eq!(clock(&mut app, 60), asks(&["ds", "moon"]));
    assert_eq!(clock(&mut app, 90), None, "asked within the minute");
    send(&mut app, Msg::Down);
    send(&mut app, Msg::Down);
    assert_eq!(clock(&mut app, 119), None);
    assert_eq!(clock(&mut app, 120), asks(&["moon", "ds"]));

    // A balance the cache holds fresh (the status line asked for it) is
    // not asked again.
    let fresh = Entry {
        checked: (T0 + Duration::from_secs(170)).as_secs(),
        ..Entry::default()
    };
    send(
        &mut app,
        Msg::Balances(BTreeMap::from([("moon".to_string(), fresh)])),
    );
    assert_eq!(clock(&mut app, 180), asks(&["ds"]));

    // Only what the filter leaves visible.
    for c in ['/', 'k', 'i', 'm'] {
        let _ = app.update(if c == '/' { Msg::Filter } else { Msg::Char(c) });
    }
    assert_eq!(app.visible().len(), 1);
    assert_eq!(clock(&mut app, 240), asks(&["moon"]));
    // A clock set back asks nothing.
    assert_eq!(clock(&mut app, 10), None);
}

#[test]
fn no_balance_is_asked_off_the_list_or_without_one_to_ask() {
    let mut app = app_with(CFG);
    assert_eq!(clock(&mut app, 0), None);
    send(&mut app, Msg::Help);
    assert_eq!(clock(&mut app, 60), None, "the list is not on screen");
    send(&mut app, Msg::Cancel);
    assert_eq!(clock(&mut app, 61), asks(&["ds", "moon"]));

    let mut app = app_with(
        "[providers.or]\npreset = \"openrouter\"\nkey = { command = \"k\" }\n\
         [providers.local]\npreset = \"ollama\"\n\
         [profiles.c]\nprovider = \"or\"\nmain = \"x\"\n\
         [profiles.d]\nprovider = \"local\"\nmain = \"y\"\n",
    );
    assert_eq!(clock(&mut app, 0), None);
    assert_eq!(clock(&mut app, 600), None);
}
