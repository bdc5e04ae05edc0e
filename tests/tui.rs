//! The TUI rendered headless (ratatui TestBackend) and compared with
//! reviewed snapshots, at 80x24 and a wide size; and the real binary in
//! tmux.

mod support;

use std::path::Path;

use ccswitch::config::{self, Presets};
use ccswitch::i18n::{Lang, set_lang};
use ccswitch::tui::app::{App, KeyState, Msg};
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
    let (mut app, _) = App::new(&cfg);
    app.update(Msg::KeyChecked(
        "ds".into(),
        KeyState::Found("keyring".into()),
    ));
    app.update(Msg::KeyChecked(
        "moon".into(),
        KeyState::Missing("env MOONSHOT_API_KEY, keyring".into()),
    ));
    app
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
    app.update(Msg::End);
    snap("mixed_selected", &app);
}

#[test]
fn missing_key() {
    let mut app = mk_app(CONFIG);
    app.update(Msg::Down);
    snap("missing_key", &app);
}

#[test]
fn filter_active() {
    let mut app = mk_app(CONFIG);
    app.update(Msg::Filter);
    for c in "deep".chars() {
        app.update(Msg::Char(c));
    }
    snap("filter", &app);
}

#[test]
fn help() {
    let mut app = mk_app(CONFIG);
    app.update(Msg::Help);
    snap("help", &app);
}

#[test]
fn confirm_delete() {
    let mut app = mk_app(CONFIG);
    app.update(Msg::Delete);
    snap("confirm_delete", &app);
}

#[test]
fn not_a_terminal_exits_2_with_a_pointer() {
    let home = support::Home::new();
    let r = home.run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stderr.contains("ccswitch run PROFILE"), "{}", r.stderr);
}
