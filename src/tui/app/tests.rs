use super::*;
use crate::config::Presets;
use crate::config::testing::mk_config;

/// DeepSeek (`ds`), Moonshot (`moon`) and a local Ollama (`local`), each
/// from its preset: the providers of [`THREE`] and of the chain tests.
macro_rules! three_providers {
    () => {
        r#"
[providers.ds]
preset = "deepseek"
[providers.moon]
preset = "moonshot"
[providers.local]
preset = "ollama"
"#
    };
}
pub(super) use three_providers;

/// Three profiles over three providers; one with a slot on another
/// provider, one with a field the form does not show, and a comment.
pub(super) const THREE: &str = concat!(
    "\ndefault = \"kimi\"",
    three_providers!(),
    r#"[profiles.deepseek]
provider = "ds"
# the daily driver
main = "deepseek-v4-pro"
fast = "deepseek-v4-flash"
max_output_tokens = 16000
[profiles.kimi]
provider = "moon"
main = "kimi-k3"
[profiles.mixed]
provider = "ds"
main = "deepseek-v4-pro"
fast = { provider = "local", model = "qwen3-coder" }
"#
);

/// The app over the config `src` describes, its first command dropped,
/// the cursor on the first profile: tests count rows from there (it
/// starts on the default, see `the_cursor_starts_on_the_default_...`).
pub(super) fn app_with(src: &str) -> App {
    let mut app = App::new(&mk_config(src), &Presets::builtin()).0;
    send(&mut app, Msg::Home);
    app
}

/// The ids the open picker shows, in order.
#[track_caller]
pub(super) fn picker_ids(app: &App) -> Vec<String> {
    let picker = app.screen.picker().expect("a picker is open");
    picker.visible().iter().map(|i| i.id.clone()).collect()
}

/// What the run loop answers a change with: the config after it, the
/// status line, and the profile the change was about.
pub(super) fn mk_saved(cfg: crate::config::Config, done: &str, select: Option<&str>) -> Msg {
    Msg::Saved {
        config: Box::new(cfg),
        done: done.into(),
        select: select.map(str::to_string),
    }
}

/// Send a message that asks the run loop for nothing.
#[track_caller]
pub(super) fn send(app: &mut App, msg: Msg) {
    assert_eq!(app.update(msg), None);
}

fn mk_app() -> App {
    let (mut app, cmd) = App::new(&mk_config(THREE), &Presets::builtin());
    assert_eq!(cmd, Some(Cmd::CheckKeys(vec!["ds".into(), "moon".into()])));
    send(&mut app, Msg::Home);
    app
}

#[test]
fn moving_and_launching() {
    let mut app = mk_app();
    assert_eq!(app.current().unwrap().name, "deepseek");
    send(&mut app, Msg::Down);
    send(&mut app, Msg::Down);
    send(&mut app, Msg::Down);
    assert_eq!(app.current().unwrap().name, "mixed", "stops at the end");
    send(&mut app, Msg::Home);
    assert_eq!(
        app.update(Msg::Activate),
        Some(Cmd::Launch("deepseek".into(), Vec::new()))
    );
    send(&mut app, Msg::End);
    assert_eq!(
        app.update(Msg::SetDefault),
        Some(Cmd::SetDefault("mixed".into()))
    );
    assert_eq!(app.update(Msg::Quit), Some(Cmd::Quit));
}

#[test]
fn delete_asks_first() {
    let mut app = mk_app();
    send(&mut app, Msg::Down);
    assert_eq!(app.update(Msg::Delete), None);
    assert_eq!(
        app.screen.overlay(),
        Some(&Overlay::ConfirmDelete("kimi".into()))
    );
    // Anything but yes keeps it.
    assert_eq!(app.update(Msg::Char('n')), None);
    assert_eq!(app.screen.overlay(), None);
    send(&mut app, Msg::Delete);
    assert_eq!(app.update(Msg::Char('y')), Some(Cmd::Delete("kimi".into())));
    assert_eq!(app.screen.overlay(), None);
}

#[test]
fn filter_narrows_and_clears() {
    let mut app = mk_app();
    send(&mut app, Msg::Filter);
    for c in "qwen".chars() {
        send(&mut app, Msg::Char(c));
    }
    let names: Vec<_> = app.visible().iter().map(|r| r.name.clone()).collect();
    assert_eq!(names, ["mixed"], "matches the fast slot's model");
    // While filtering, letters are text, not commands.
    assert_eq!(app.update(Msg::Char('q')), None);
    assert_eq!(app.filter, "qwenq");
    assert!(app.visible().is_empty());
    assert_eq!(app.update(Msg::Activate), None, "Enter keeps the filter");
    assert!(matches!(app.screen, Screen::Home { filtering: false }));
    assert_eq!(
        app.update(Msg::Activate),
        None,
        "nothing selected, nothing launched"
    );
    assert_eq!(app.update(Msg::Cancel), None, "Esc clears the filter first");
    assert_eq!(app.visible().len(), 3);
    assert_eq!(app.update(Msg::Cancel), Some(Cmd::Quit));
}

#[test]
fn help_overlay_and_results_arriving_under_it() {
    let mut app = mk_app();
    send(&mut app, Msg::Help);
    assert_eq!(app.screen.overlay(), Some(&Overlay::Help));
    send(
        &mut app,
        Msg::KeyChecked("ds".into(), KeyState::Found("keyring".into())),
    );
    assert_eq!(app.key_state("ds"), KeyState::Found("keyring".into()));
    assert_eq!(
        app.screen.overlay(),
        Some(&Overlay::Help),
        "a background result does not close the help"
    );
    send(&mut app, Msg::Down);
    assert_eq!(app.screen.overlay(), None, "any key closes it");
    assert_eq!(
        app.current().unwrap().name,
        "deepseek",
        "that key did nothing else"
    );
}

#[test]
fn reload_keeps_the_selection_and_reports_failures() {
    let mut app = mk_app();
    send(&mut app, Msg::Down);
    let cfg = mk_config(&THREE.replace("[profiles.deepseek]", "[profiles.aaa]"));
    let checks = Some(Cmd::CheckKeys(vec!["ds".into(), "moon".into()]));
    let cmd = app.update(Msg::Loaded(Box::new(cfg), Box::new(Presets::builtin())));
    assert_eq!(cmd, checks, "the keys are checked again");
    assert_eq!(app.current().unwrap().name, "kimi");
    let cfg = mk_config(&THREE.replace("default = \"kimi\"", "default = \"mixed\""));
    let done = "`mixed` is now the default profile.";
    let cmd = app.update(mk_saved(cfg, done, Some("mixed")));
    assert_eq!(cmd, checks);
    assert_eq!(app.default.as_deref(), Some("mixed"));
    assert_eq!(
        app.status.as_deref(),
        Some("`mixed` is now the default profile.")
    );
    send(&mut app, Msg::Failed("disk full".into()));
    assert_eq!(app.status.as_deref(), Some("disk full"));
}

#[test]
fn empty_config() {
    let (mut app, cmd) = App::new(&mk_config(""), &Presets::builtin());
    assert_eq!(cmd, Some(Cmd::FindImport), "a first run looks for a setup");
    assert!(app.current().is_none());
    assert_eq!(app.update(Msg::Delete), None);
    assert_eq!(app.screen.overlay(), None);
    // Enter on the empty list starts a new profile at the provider list.
    assert_eq!(app.update(Msg::Activate), None);
    assert!(app.screen.form().is_some() && app.screen.picker().is_some());
}

#[test]
fn a_first_run_offers_to_import_what_it_found() {
    let (mut app, _) = App::new(&mk_config(""), &Presets::builtin());
    // Nothing found: `i` does nothing.
    send(&mut app, Msg::ImportFound(None));
    send(&mut app, Msg::Char('i'));
    assert_eq!(app.screen.overlay(), None);
    let lines = vec!["From the environment:".to_string()];
    send(&mut app, Msg::ImportFound(Some(lines.clone())));
    send(&mut app, Msg::Char('i'));
    assert_eq!(app.screen.overlay(), Some(&Overlay::ConfirmImport(lines)));
    // Any other key: not now.
    send(&mut app, Msg::Char('n'));
    assert_eq!(app.screen.overlay(), None);
    send(&mut app, Msg::Char('i'));
    assert_eq!(app.update(Msg::Char('y')), Some(Cmd::Import));
    // Once there are profiles, no more offer.
    let cfg = mk_config(THREE);
    let _ = app.update(mk_saved(cfg, "Imported.", None));
    assert_eq!(app.import_offer, None);
}

/// `THREE` with a profile added after the others, as a save writes it.
fn with_copy() -> crate::config::Config {
    mk_config(&format!(
        "{THREE}[profiles.deepseek-copy]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n"
    ))
}

#[test]
fn the_cursor_starts_on_the_default_profile_else_the_first() {
    let start = |src: &str| {
        let (app, _) = App::new(&mk_config(src), &Presets::builtin());
        app.current().map(|r| r.name.clone())
    };
    assert_eq!(start(THREE).as_deref(), Some("kimi"), "the default");
    let none = THREE.replace("default = \"kimi\"", "");
    assert_eq!(start(&none).as_deref(), Some("deepseek"), "no default");
}

/// Ctrl-S on a new profile, then Enter: the profile just saved launches,
/// not the one the cursor was on before the form opened.
#[test]
fn a_saved_profile_gets_the_cursor() {
    let mut app = mk_app();
    send(&mut app, Msg::Duplicate);
    let Some(Cmd::Save(plan)) = app.update(Msg::Save) else {
        panic!("Ctrl-S saves")
    };
    assert_eq!(plan.name, "deepseek-copy");
    let _ = app.update(mk_saved(with_copy(), "saved", Some(&plan.name)));
    assert_eq!(app.current().unwrap().name, "deepseek-copy");
    assert_eq!(
        app.update(Msg::Activate),
        Some(Cmd::Launch("deepseek-copy".into(), Vec::new()))
    );
}

/// A rename the filter no longer matches: the filter is cleared, since
/// Enter must launch the profile just saved and the list must show it.
#[test]
fn a_filter_that_hides_the_saved_profile_is_cleared() {
    let mut app = mk_app();
    send(&mut app, Msg::Filter);
    for c in "mixed".chars() {
        send(&mut app, Msg::Char(c));
    }
    send(&mut app, Msg::Activate);
    send(&mut app, Msg::Edit);
    send(&mut app, Msg::Clear);
    for c in "hybrid".chars() {
        send(&mut app, Msg::Char(c));
    }
    let Some(Cmd::Save(plan)) = app.update(Msg::Save) else {
        panic!("Ctrl-S saves")
    };
    assert_eq!(plan.renamed_from(), Some("mixed"));
    let renamed = mk_config(&THREE.replace("[profiles.mixed]", "[profiles.hybrid]"));
    let _ = app.update(mk_saved(renamed, "saved", Some(&plan.name)));
    assert_eq!(app.filter, "", "`mixed` would hide it");
    assert_eq!(app.current().unwrap().name, "hybrid");
}

/// `*` and a reload keep the cursor where it was; so does deleting the
/// profile above it.
#[test]
fn set_default_and_delete_keep_the_cursor_in_place() {
    let mut app = mk_app();
    send(&mut app, Msg::End);
    assert_eq!(
        app.update(Msg::SetDefault),
        Some(Cmd::SetDefault("mixed".into()))
    );
    let cfg = THREE.replace("default = \"kimi\"", "default = \"mixed\"");
    let _ = app.update(mk_saved(mk_config(&cfg), "default", Some("mixed")));
    assert_eq!(app.current().unwrap().name, "mixed");
    let without_kimi = cfg.replace(
        "[profiles.kimi]\nprovider = \"moon\"\nmain = \"kimi-k3\"\n",
        "",
    );
    let _ = app.update(mk_saved(mk_config(&without_kimi), "deleted", None));
    assert_eq!(app.current().unwrap().name, "mixed");
}

/// The first run's import: the cursor lands on the default it brought in.
#[test]
fn after_an_import_the_cursor_is_on_the_default() {
    let (mut app, _) = App::new(&mk_config(""), &Presets::builtin());
    let _ = app.update(mk_saved(mk_config(THREE), "Imported.", None));
    assert_eq!(app.current().unwrap().name, "kimi");
}
