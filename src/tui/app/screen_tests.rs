//! What lies under what: a save or a late result reaching a screen that
//! is covered, or already closed.

use super::tests::{THREE, app_with, mk_saved, send};
use super::*;
use crate::checks::probe::ProbeStep;
use crate::tui::form::FieldId;
use crate::tui::picker::Fetch;

fn mk_app() -> App {
    app_with(THREE)
}

fn saved(app: &mut App) {
    let cfg = crate::config::testing::mk_config(THREE);
    let cmd = app.update(mk_saved(cfg, "saved", None));
    assert!(matches!(cmd, Some(Cmd::CheckKeys(_))), "{cmd:?}");
}

fn steps() -> Vec<ProbeStep> {
    vec![ProbeStep {
        id: "reach",
        ok: true,
        detail: String::new(),
        ms: None,
    }]
}

#[test]
fn a_save_under_the_test_screen_closes_the_form_and_the_test_goes_home() {
    let mut app = mk_app();
    send(&mut app, Msg::Edit);
    assert!(matches!(app.update(Msg::Save), Some(Cmd::Save(_))));
    let Some(Cmd::TestPlan(seq, _)) = app.update(Msg::Test) else {
        panic!("Ctrl-T tests the form")
    };
    saved(&mut app);
    assert!(app.screen.form().is_none(), "saved: the form is gone");
    send(&mut app, Msg::Tested(seq, Ok(steps())));
    assert!(
        matches!(app.screen.test().unwrap().result, Some(Ok(_))),
        "the test still shows its result"
    );
    send(&mut app, Msg::Cancel);
    assert!(matches!(app.screen, Screen::Home { filtering: false }));
    assert_eq!(app.status.as_deref(), Some("saved"));
}

#[test]
fn a_save_under_the_help_closes_the_form_and_the_help_becomes_the_lists() {
    let mut app = mk_app();
    send(&mut app, Msg::Edit);
    assert!(matches!(app.update(Msg::Save), Some(Cmd::Save(_))));
    send(&mut app, Msg::Help);
    assert_eq!(
        app.update(Msg::Quit),
        None,
        "q in the form's help only closes it"
    );
    send(&mut app, Msg::Help);
    saved(&mut app);
    assert_eq!(app.screen.overlay(), Some(&Overlay::Help));
    assert!(app.screen.form().is_none());
    assert_eq!(
        app.update(Msg::Quit),
        Some(Cmd::Quit),
        "the list's help quits on q"
    );
}

#[test]
fn a_save_under_the_discard_question_leaves_nothing_to_discard() {
    let mut app = mk_app();
    send(&mut app, Msg::Edit);
    send(&mut app, Msg::Char('x'));
    assert!(matches!(app.update(Msg::Save), Some(Cmd::Save(_))));
    send(&mut app, Msg::Cancel);
    assert_eq!(app.screen.overlay(), Some(&Overlay::ConfirmDiscard));
    saved(&mut app);
    send(&mut app, Msg::Char('n'));
    assert!(matches!(app.screen, Screen::Home { filtering: false }));
}

#[test]
fn results_for_closed_screens_are_dropped() {
    let mut app = mk_app();
    let Some(Cmd::TestProfile(seq, _)) = app.update(Msg::Test) else {
        panic!("t tests")
    };
    send(&mut app, Msg::Cancel);
    send(&mut app, Msg::Tested(seq, Ok(steps())));
    assert!(app.screen.test().is_none());
    send(&mut app, Msg::Edit);
    app.screen.form_mut().unwrap().focus = FieldId::Main;
    let Some(Cmd::FetchModels(old, _)) = app.update(Msg::Activate) else {
        panic!("the model picker fetches")
    };
    send(&mut app, Msg::Cancel);
    let Some(Cmd::FetchModels(new, _)) = app.update(Msg::Activate) else {
        panic!("the model picker fetches")
    };
    send(&mut app, Msg::Models(old, Ok(vec!["stale".into()])));
    assert_eq!(app.screen.picker().unwrap().fetch, Fetch::Loading(new));
    send(&mut app, Msg::Cancel);
    send(&mut app, Msg::Models(new, Ok(vec!["late".into()])));
    assert!(app.screen.picker().is_none());
    assert_eq!(app.screen.form().unwrap().values.main, "deepseek-v4-pro");
}

#[test]
fn a_test_from_the_filtered_list_goes_back_to_the_filter() {
    let mut app = mk_app();
    send(&mut app, Msg::Filter);
    send(&mut app, Msg::Char('k'));
    assert!(matches!(app.update(Msg::Test), Some(Cmd::TestProfile(..))));
    send(&mut app, Msg::Cancel);
    assert!(matches!(app.screen, Screen::Home { filtering: true }));
    assert_eq!(app.filter, "k");
}
