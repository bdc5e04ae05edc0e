//! The resume screen through `App::update`: `r` asks for the selected
//! profile's sessions, the answer fills the screen (late ones are dropped),
//! Enter launches the profile with `--resume ID`, Esc goes back.

use std::time::{Duration, SystemTime};

use super::tests::{THREE, app_with, send};
use super::*;

fn view(app: &App) -> &ResumeView {
    match &app.screen {
        Screen::Resume(v) => v,
        other => panic!("not the resume screen: {other:?}"),
    }
}

/// `r` on the list: the sessions of `profile`, the ledger asked when `ledger`.
fn open(app: &mut App, profile: &str, ledger: bool) -> u64 {
    let cmd = app.update(Msg::Resume);
    assert_eq!(
        cmd,
        Some(Cmd::ListSessions(0, profile.to_string(), ledger)),
        "{cmd:?}"
    );
    let Some(Cmd::ListSessions(seq, ..)) = cmd else {
        unreachable!()
    };
    seq
}

fn mk_list(ids: &[&str]) -> SessionList {
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    let sessions = ids
        .iter()
        .enumerate()
        .map(|(i, id)| SessionRow {
            id: (*id).to_string(),
            modified: now - Duration::from_secs(60 * (i as u64 + 1)),
            title: Some(format!("prompt {i}")),
            unknown: i % 2 == 1,
        })
        .collect();
    SessionList {
        folder: "/w".into(),
        sessions,
        others: 0,
        now,
    }
}

#[test]
fn r_lists_the_selected_profiles_sessions() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::Down);
    let seq = open(&mut app, "kimi", true);
    let v = view(&app);
    assert_eq!(v.profile, "kimi");
    assert_eq!(v.seq, seq);
    assert!(v.list.is_none(), "listing");
    assert_eq!(v.current(), None);
    // Nothing to resume yet: Enter waits.
    send(&mut app, Msg::Activate);
    assert_eq!(view(&app).profile, "kimi");
}

#[test]
fn with_the_ledger_off_it_is_not_asked() {
    let mut app = app_with(&format!("ledger = false\n{THREE}"));
    open(&mut app, "deepseek", false);
}

#[test]
fn nothing_to_resume_without_profiles() {
    let mut app = app_with("");
    send(&mut app, Msg::Resume);
    assert!(matches!(app.screen, Screen::Home { .. }));
}

#[test]
fn the_answer_fills_the_screen_and_late_ones_are_dropped() {
    let mut app = app_with(THREE);
    let seq = open(&mut app, "deepseek", true);
    let stale = Box::new(Ok(mk_list(&["old"])));
    send(&mut app, Msg::Sessions(seq + 3, stale));
    assert!(view(&app).list.is_none(), "an answer to another listing");
    send(
        &mut app,
        Msg::Sessions(seq, Box::new(Ok(mk_list(&["a", "b"])))),
    );
    assert_eq!(view(&app).list, Some(Ok(mk_list(&["a", "b"]))));
    // Gone back to the list: a late answer changes nothing.
    send(&mut app, Msg::Cancel);
    assert!(matches!(app.screen, Screen::Home { filtering: false }));
    send(&mut app, Msg::Sessions(seq, Box::new(Ok(mk_list(&["c"])))));
    assert!(matches!(app.screen, Screen::Home { .. }));
    // A failed listing is shown as such.
    let seq = open(&mut app, "deepseek", true);
    send(
        &mut app,
        Msg::Sessions(seq, Box::new(Err("no HOME".into()))),
    );
    assert_eq!(view(&app).list, Some(Err("no HOME".into())));
    assert!(view(&app).sessions().is_empty());
}

#[test]
fn enter_resumes_the_selected_session_with_the_profile() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::End);
    let seq = open(&mut app, "mixed", true);
    send(
        &mut app,
        Msg::Sessions(seq, Box::new(Ok(mk_list(&["s1", "s2", "s3"])))),
    );
    send(&mut app, Msg::Up);
    assert_eq!(view(&app).selected, 0, "stays on the list");
    send(&mut app, Msg::End);
    assert_eq!(view(&app).current().unwrap().id, "s3");
    send(&mut app, Msg::Down);
    assert_eq!(view(&app).selected, 2);
    send(&mut app, Msg::Up);
    assert_eq!(
        app.update(Msg::Activate),
        Some(Cmd::Launch(
            "mixed".into(),
            vec!["--resume".into(), "s2".into()]
        ))
    );
    send(&mut app, Msg::Home);
    assert_eq!(view(&app).current().unwrap().id, "s1");
}

#[test]
fn an_empty_folder_launches_nothing_and_esc_or_q_go_back() {
    let mut app = app_with(THREE);
    for back in [Msg::Cancel, Msg::Quit, Msg::Resume] {
        let seq = open(&mut app, "deepseek", true);
        send(&mut app, Msg::Sessions(seq, Box::new(Ok(mk_list(&[])))));
        send(&mut app, Msg::Down);
        send(&mut app, Msg::Activate);
        assert!(view(&app).current().is_none());
        send(&mut app, back);
        assert!(matches!(app.screen, Screen::Home { filtering: false }));
    }
    // The list still launches plainly.
    assert_eq!(
        app.update(Msg::Activate),
        Some(Cmd::Launch("deepseek".into(), Vec::new()))
    );
}
