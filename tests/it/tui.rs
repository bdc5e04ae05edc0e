//! The TUI rendered headless (ratatui TestBackend) and compared with
//! reviewed snapshots, at 80x24 and a wide size; and the real binary in
//! tmux.

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use ccswitch::config::{self, Presets};
use ccswitch::i18n::{Lang, set_lang};
use ccswitch::launch::probe::Step;
use ccswitch::tui::app::{App, Cmd, KeyState, Msg};
use ccswitch::tui::view::{Theme, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CONFIG: &str = r#"
default = "kimi"
[providers.ds]
preset = "deepseek"
[providers.moon]
preset = "moonshot"
key = { env = "MOONSHOT_API_KEY" }
[providers.local]
preset = "ollama"
[profiles.deepseek]
provider = "ds"
description = "daily driver"
main = "deepseek-v4-pro"
fast = "deepseek-v4-flash"
[profiles.kimi]
provider = "moon"
main = "kimi-k3"
[profiles.mixed]
provider = "ds"
main = "deepseek-v4-pro"
fast = { provider = "local", model = "qwen3-coder" }
"#;

fn mk_app(src: &str) -> App {
    set_lang(Lang::En);
    let cfg = config::parse(Path::new("c.toml"), src, &Presets::builtin()).unwrap();
    let (mut app, _) = App::new(&cfg, &Presets::builtin());
    send(
        &mut app,
        Msg::KeyChecked("ds".into(), KeyState::Found("keyring".into())),
    );
    send(
        &mut app,
        Msg::KeyChecked(
            "moon".into(),
            KeyState::Missing("env MOONSHOT_API_KEY, keyring".into()),
        ),
    );
    // A fixed clock: "last used" reads the same on every run.
    let now = UNIX_EPOCH + Duration::from_secs(1_790_000_000);
    send(
        &mut app,
        Msg::LastUsed(
            [("deepseek".to_string(), now - Duration::from_secs(2 * 3600))].into(),
            now,
        ),
    );
    app
}

/// Send a message that asks the run loop for nothing.
#[track_caller]
fn send(app: &mut App, msg: Msg) {
    assert_eq!(app.update(msg), None);
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        send(app, Msg::Char(c));
    }
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| draw(f, app, Theme { color: false })).unwrap();
    t.backend().to_string()
}

fn snap(name: &str, app: &App) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(app, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x32"), render(app, 120, 32));
}

#[test]
fn empty() {
    snap("empty", &mk_app(""));
}

#[test]
fn populated_list() {
    snap("populated", &mk_app(CONFIG));
}

#[test]
fn selected_profile_with_a_slot_on_another_provider() {
    let mut app = mk_app(CONFIG);
    send(&mut app, Msg::End);
    snap("mixed_selected", &app);
}

#[test]
fn missing_key() {
    let mut app = mk_app(CONFIG);
    send(&mut app, Msg::Down);
    snap("missing_key", &app);
}

#[test]
fn filter_active() {
    let mut app = mk_app(CONFIG);
    send(&mut app, Msg::Filter);
    for c in "deep".chars() {
        send(&mut app, Msg::Char(c));
    }
    snap("filter", &app);
}

#[test]
fn help() {
    let mut app = mk_app(CONFIG);
    send(&mut app, Msg::Help);
    snap("help", &app);
}

#[test]
fn confirm_delete() {
    let mut app = mk_app(CONFIG);
    send(&mut app, Msg::Delete);
    snap("confirm_delete", &app);
}

#[test]
fn provider_picker() {
    let mut app = mk_app(CONFIG);
    send(&mut app, Msg::New);
    snap("picker_provider", &app);
    typed(&mut app, "kimi");
    snap("picker_provider_filtered", &app);
}

/// A new profile from the DeepSeek preset, with the key typed.
fn new_deepseek() -> App {
    let mut app = mk_app(CONFIG);
    send(&mut app, Msg::New);
    typed(&mut app, "deepseek");
    send(&mut app, Msg::Down);
    send(&mut app, Msg::Activate);
    typed(&mut app, "sk-secret");
    app
}

#[test]
fn form_new_from_preset() {
    let app = new_deepseek();
    let screen = render(&app, 120, 32);
    assert!(!screen.contains("sk-secret"), "the key is masked");
    snap("form_new", &app);
}

#[test]
fn form_with_validation_errors() {
    let mut app = new_deepseek();
    send(&mut app, Msg::Clear); // the key
    for _ in 0..3 {
        send(&mut app, Msg::Prev);
    }
    send(&mut app, Msg::Clear);
    typed(&mut app, "ftp://nowhere");
    send(&mut app, Msg::Prev);
    send(&mut app, Msg::Prev);
    send(&mut app, Msg::Clear);
    typed(&mut app, "kimi");
    send(&mut app, Msg::Save);
    snap("form_errors", &app);
}

#[test]
fn form_edit_with_more_options() {
    let mut app = mk_app(CONFIG);
    send(&mut app, Msg::End);
    send(&mut app, Msg::Edit);
    for _ in 0..8 {
        send(&mut app, Msg::Next);
    }
    send(&mut app, Msg::Activate);
    assert!(app.screen.form().unwrap().more);
    snap("form_edit_more", &app);
}

fn model_picker() -> (App, u64) {
    let mut app = mk_app(CONFIG);
    send(&mut app, Msg::Edit);
    for _ in 0..5 {
        send(&mut app, Msg::Next);
    }
    let Some(Cmd::FetchModels(seq, _)) = app.update(Msg::Activate) else {
        panic!("the model picker fetches")
    };
    (app, seq)
}

#[test]
fn model_picker_loading_loaded_failed() {
    let (app, _) = model_picker();
    snap("picker_model_loading", &app);
    let (mut app, seq) = model_picker();
    send(
        &mut app,
        Msg::Models(
            seq,
            Ok(vec!["deepseek-chat".into(), "deepseek-reasoner".into()]),
        ),
    );
    snap("picker_model_loaded", &app);
    let (mut app, seq) = model_picker();
    send(
        &mut app,
        Msg::Models(
            seq,
            Err("HTTP 401: Authentication Fails (no such user)".into()),
        ),
    );
    typed(&mut app, "deepseek-v9");
    snap("picker_model_failed", &app);
}

#[test]
fn connection_test_screen() {
    let mut app = mk_app(CONFIG);
    let Some(Cmd::TestProfile(seq, _)) = app.update(Msg::Test) else {
        panic!("t tests")
    };
    snap("test_running", &app);
    let step = |id, ok, detail: &str, ms| Step {
        id,
        ok,
        detail: detail.into(),
        ms,
    };
    send(
        &mut app,
        Msg::Tested(
            seq,
            Ok(vec![
                step("reach", true, "", None),
                step("auth", true, "", None),
                step("model", true, "deepseek-v4-pro", None),
                step("stream", true, "\"pong\" in 840 ms", Some(610)),
                step("tool", true, "echo_number {\"n\":42}", None),
                step("tool_result", true, "42", None),
            ]),
        ),
    );
    snap("test_passed", &app);
    send(&mut app, Msg::Cancel);
    let Some(Cmd::TestProfile(seq, _)) = app.update(Msg::Test) else {
        panic!("t tests")
    };
    send(
        &mut app,
        Msg::Tested(
            seq,
            Ok(vec![
                step("reach", true, "", None),
                step(
                    "auth",
                    false,
                    "the provider rejected the key: check `ccswitch key status` (Authentication Fails)",
                    None,
                ),
            ]),
        ),
    );
    snap("test_failed", &app);
}

#[test]
fn form_help_and_discard() {
    let mut app = new_deepseek();
    send(&mut app, Msg::Help);
    snap("form_help", &app);
    send(&mut app, Msg::Cancel);
    send(&mut app, Msg::Cancel);
    snap("form_discard", &app);
}

#[test]
fn not_a_terminal_exits_2_with_a_pointer() {
    let home = crate::support::Home::new();
    let r = home.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ccswitch run PROFILE"), "{}", r.stderr);
}
