//! The profile form's model menu editor: drawn headless (ratatui
//! TestBackend) in English and Chinese, and the real binary in tmux adding
//! a model from a mock provider's live list.

use std::time::Duration;

use ccswitch::i18n::{Lang, with_lang};
use ccswitch::tui::app::{App, Cmd, Msg};
use ccswitch::tui::form::FieldId;

use crate::support::Home;
use crate::support::mock::{self, Mock};
use crate::support::tmux::{ECHO_EXIT, Tmux, ccswitch};
use crate::tui::{mk_app, render, render_cells, send, snap, typed};

/// A profile whose menu has a plain id, a labelled model of another
/// provider with a fallback, and a whole provider.
const MENUED: &str = r#"
[providers.ds]
preset = "deepseek"
[providers.moon]
preset = "moonshot"
[providers.local]
preset = "ollama"
[profiles.deepseek]
provider = "ds"
main = "deepseek-v4-pro"
fast = "deepseek-v4-flash"
menu = [
  "deepseek-v4-flash",
  { provider = "moon", model = "kimi-k3", label = "Kimi K3", fallbacks = [{ provider = "ds", model = "deepseek-v4-pro" }] },
  { provider = "local", models = "all" },
]
"#;

/// The profile's form with the menu editor open on its second model.
fn menu_editor() -> App {
    let mut app = mk_app(MENUED);
    send(&mut app, Msg::Edit);
    app.screen.form_mut().unwrap().focus = FieldId::Menu;
    send(&mut app, Msg::Activate);
    send(&mut app, Msg::Down);
    app
}

#[test]
fn menu_editor_en() {
    let mut app = mk_app(MENUED);
    send(&mut app, Msg::Edit);
    app.screen.form_mut().unwrap().focus = FieldId::Menu;
    let form = render(&app, 120, 32);
    assert!(
        form.contains("Model menu     deepseek-v4-flash (ds), Kimi K3 (moon), all models (local)"),
        "{form}"
    );
    let mut app = menu_editor();
    snap("menu_editor", &app);
    // Adding: the provider, then its models, the whole provider first.
    send(&mut app, Msg::Char('a'));
    typed(&mut app, "moon");
    let Some(Cmd::FetchModels(seq, _)) = app.update(Msg::Activate) else {
        panic!("the model picker fetches")
    };
    send(&mut app, Msg::Models(seq, Ok(vec!["kimi-k3-live".into()])));
    snap("menu_picker", &app);
}

#[test]
fn menu_editor_zh() {
    with_lang(Lang::ZhCn, || {
        let mut app = menu_editor();
        let screen = render_cells(&app, 80, 24);
        assert!(screen.contains("模型菜单（/model）"), "{screen}");
        insta::assert_snapshot!("menu_editor_zh_80x24", screen);
        send(&mut app, Msg::Char('l'));
        typed(&mut app, " 快");
        let screen = render_cells(&app, 80, 24);
        assert!(screen.contains("名称：Kimi K3 快▏"), "{screen}");
        insta::assert_snapshot!("menu_label_zh_80x24", screen);
    });
}

/// The list's detail pane: the menu after the slots, its count, then an
/// entry a line.
#[test]
fn the_detail_pane_lists_the_menu() {
    let screen = render(&mk_app(MENUED), 120, 32);
    let lines: Vec<&str> = screen.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.contains("│menu      3 entries"))
        .unwrap();
    assert!(
        lines[at - 1].contains("│fast      deepseek-v4-flash"),
        "{screen}"
    );
    for (i, entry) in [
        "ds/deepseek-v4-flash",
        "Kimi K3 (moon/kimi-k3) → ds/deepseek-v4-pro",
        "local/* (all models)",
    ]
    .iter()
    .enumerate()
    {
        assert!(
            lines[at + 1 + i].contains(&format!("│          {entry}")),
            "{screen}"
        );
    }
}

/// The real binary: a model from a mock provider's live list goes into
/// the menu of a profile on another provider, gets a label, and is saved.
/// The mock answers on threads of its own while this test waits on tmux.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_adds_a_menu_model_from_a_live_list_in_a_real_terminal() {
    let up = Mock::start().await;
    up.push(mock::json(
        200,
        r#"{"object":"list","data":[{"id":"mock-model-a"},{"id":"mock-model-b"}]}"#,
    ));
    let home = Home::new();
    home.write_config(&format!(
        "{}[providers.ds]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n\
         key = {{ env = \"UP_KEY\" }}\n\
         [profiles.alpha]\nprovider = \"ds\"\nmain = \"m1\"\n",
        mock::openai_provider("up", &up)
    ));
    let script = ccswitch(&home, "UP_KEY=sk-x", "") + ECHO_EXIT;
    let tmux = Tmux::run("menu", 100, 30, &script);
    tmux.wait_for("Profiles (1/1)", Duration::from_secs(20));
    tmux.send(&["e"]);
    tmux.wait_for("edit profile alpha", Duration::from_secs(10));
    tmux.down_to("> More");
    tmux.send(&["Enter"]);
    tmux.down_to("> Model menu");
    tmux.send(&["Enter"]);
    tmux.wait_for("No models: press a", Duration::from_secs(10));
    tmux.send(&["a"]);
    tmux.wait_for("Add a model of which provider?", Duration::from_secs(10));
    tmux.type_text("up");
    tmux.send(&["Enter"]);
    tmux.wait_for("Which model of up for the menu?", Duration::from_secs(10));
    tmux.wait_for("mock-model-b", Duration::from_secs(20));
    tmux.type_text("model-b");
    tmux.wait_for("filter: model-b", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    tmux.wait_for("1. up · mock-model-b", Duration::from_secs(10));
    tmux.send(&["l"]);
    tmux.type_text("Mock B");
    tmux.send(&["Enter"]);
    tmux.wait_for("label: Mock B", Duration::from_secs(10));
    tmux.send(&["Escape"]);
    tmux.wait_for("Model menu     Mock B (up)", Duration::from_secs(10));
    tmux.send(&["C-s"]);
    tmux.wait_for("Profiles (1/1)", Duration::from_secs(10));
    // The detail pane lists it.
    tmux.wait_for("Mock B (up/mock-model-b)", Duration::from_secs(10));
    let config = home.read_config();
    assert!(
        config.contains(
            "menu = [\n  { provider = \"up\", model = \"mock-model-b\", label = \"Mock B\" },\n]"
        ),
        "{config}"
    );
    assert_eq!(up.seen()[0].path, "/v1/models", "the live list");
    tmux.send(&["q"]);
    tmux.exited(0, Duration::from_secs(10));
}
