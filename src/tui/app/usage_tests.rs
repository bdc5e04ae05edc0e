//! The usage screen through `App::update`: opening it asks for the numbers,
//! answers fill it (late ones are dropped), the keys toggle what it shows,
//! and leaving refreshes the list.

use super::tests::{THREE, app_with, send};
use super::*;
use crate::config::Presets;
use crate::config::testing::mk_config;
use crate::usage::query::Sums;

fn mk_app() -> App {
    app_with(THREE)
}

fn view(app: &App) -> &UsageView {
    match &app.screen {
        Screen::Usage(v) => v,
        other => panic!("not the usage screen: {other:?}"),
    }
}

fn mk_data(cost_usd: f64, unpriced_requests: u64) -> UsageData {
    let total = Sums {
        requests: 4,
        input_tokens: 1000,
        cost_usd,
        unpriced_requests,
        ..Sums::default()
    };
    UsageData {
        recorded: true,
        total,
        ..UsageData::default()
    }
}

/// `u` on the list: every profile's numbers, the selected one's budgets.
fn open(app: &mut App) -> u64 {
    let selected = app.current().map(|r| r.name.clone());
    let cmd = app.update(Msg::Usage);
    let query = UsageQuery {
        profile: None,
        budget_profile: selected,
    };
    assert_eq!(cmd, Some(Cmd::LoadUsage(0, Box::new(query))));
    let Some(Cmd::LoadUsage(seq, _)) = cmd else {
        unreachable!()
    };
    seq
}

#[test]
fn u_opens_the_screen_and_asks_for_every_profiles_numbers() {
    let mut app = mk_app();
    send(&mut app, Msg::Down);
    let seq = open(&mut app);
    let v = view(&app);
    assert_eq!(v.profile.as_deref(), Some("kimi"), "the selected profile");
    assert!(v.all && v.data.is_none(), "all profiles, loading");
    assert_eq!(v.seq, seq);
}

#[test]
fn the_answer_fills_the_screen_and_a_late_one_is_dropped() {
    let mut app = mk_app();
    let seq = open(&mut app);
    send(
        &mut app,
        Msg::UsageLoaded(seq + 7, Box::new(Ok(mk_data(9.0, 0)))),
    );
    assert!(view(&app).data.is_none(), "an answer to another load");
    send(
        &mut app,
        Msg::UsageLoaded(seq, Box::new(Ok(mk_data(1.5, 0)))),
    );
    assert_eq!(view(&app).data, Some(Ok(mk_data(1.5, 0))));
    send(
        &mut app,
        Msg::UsageLoaded(seq, Box::new(Err("locked".into()))),
    );
    assert_eq!(view(&app).data, Some(Err("locked".into())));
}

#[test]
fn cost_by_default_tokens_when_nothing_has_a_price_and_c_switches() {
    let mut app = mk_app();
    let seq = open(&mut app);
    send(
        &mut app,
        Msg::UsageLoaded(seq, Box::new(Ok(mk_data(1.5, 1)))),
    );
    assert_eq!(view(&app).metric(), Metric::Cost);
    send(&mut app, Msg::Char('c'));
    assert_eq!(view(&app).metric(), Metric::Tokens);
    send(&mut app, Msg::Char('c'));
    assert_eq!(view(&app).metric(), Metric::Cost);

    let mut app = mk_app();
    let seq = open(&mut app);
    send(
        &mut app,
        Msg::UsageLoaded(seq, Box::new(Ok(mk_data(0.0, 4)))),
    );
    assert_eq!(view(&app).metric(), Metric::Tokens, "nothing priced");
    send(&mut app, Msg::Char('c'));
    assert_eq!(view(&app).metric(), Metric::Cost);
}

#[test]
fn a_switches_between_every_profile_and_the_selected_one() {
    let mut app = mk_app();
    let first = open(&mut app);
    send(
        &mut app,
        Msg::UsageLoaded(first, Box::new(Ok(mk_data(1.0, 0)))),
    );
    let cmd = app.update(Msg::Char('a'));
    let query = UsageQuery {
        profile: Some("deepseek".into()),
        budget_profile: Some("deepseek".into()),
    };
    assert_eq!(cmd, Some(Cmd::LoadUsage(0, Box::new(query))));
    let v = view(&app);
    assert!(!v.all && v.data.is_none(), "loading the profile's numbers");
    assert_ne!(v.seq, first);
    send(
        &mut app,
        Msg::UsageLoaded(first, Box::new(Ok(mk_data(1.0, 0)))),
    );
    assert!(
        view(&app).data.is_none(),
        "the old scope's answer is dropped"
    );
    let back = app.update(Msg::Char('a'));
    assert!(matches!(back, Some(Cmd::LoadUsage(_, q)) if q.profile.is_none()));
}

#[test]
fn without_profiles_the_screen_opens_for_all_and_a_does_nothing() {
    let (mut app, _) = App::new(&mk_config(""), &Presets::builtin());
    let cmd = app.update(Msg::Usage);
    assert_eq!(cmd, Some(Cmd::LoadUsage(0, Box::default())));
    send(&mut app, Msg::Char('a'));
    assert!(view(&app).all);
}

#[test]
fn esc_or_q_goes_back_and_refreshes_the_list() {
    for key in [Msg::Cancel, Msg::Quit] {
        let mut app = mk_app();
        open(&mut app);
        assert_eq!(app.update(key), Some(Cmd::ReadRecent));
        assert!(matches!(app.screen, Screen::Home { filtering: false }));
    }
}

#[test]
fn a_minute_of_ticks_refreshes_what_is_on_screen() {
    let mut app = mk_app();
    let ticks = |app: &mut App| {
        (0..600)
            .filter_map(|_| app.update(Msg::Tick))
            .collect::<Vec<_>>()
    };
    assert_eq!(ticks(&mut app), [Cmd::ReadRecent]);
    let seq = open(&mut app);
    let reload = ticks(&mut app);
    assert!(
        matches!(&reload[..], [Cmd::LoadUsage(s, q)] if *s == seq && q.profile.is_none()),
        "{reload:?}"
    );
}

#[test]
fn the_week_arrives_for_the_detail_pane() {
    let mut app = mk_app();
    assert!(app.week.is_none());
    let sums = Sums {
        requests: 2,
        ..Sums::default()
    };
    send(&mut app, Msg::Week(Ok([("kimi".to_string(), sums)].into())));
    let week = app.week.as_ref().and_then(|w| w.as_ref().ok());
    assert_eq!(week.map(|w| w["kimi"].requests), Some(2));
}
