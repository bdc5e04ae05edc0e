//! The profile form's context window and budget fields, drawn headless in
//! English and Chinese (issue 27, wart 7).
//!
//! The language is fixed once per process, so the Chinese screens are
//! drawn by this test binary run again with `CCSWITCH_LANG=zh-CN` (only
//! [`drawn_in_the_child`] does anything there) and snapshotted here.

use ccswitch::i18n::{Lang, set_lang};
use ccswitch::proxy::models::ListedModel;
use ccswitch::tui::app::{App, Cmd, Msg};
use ccswitch::tui::form::FieldId;

use crate::tui::{mk_app, render, send, snap, typed};

/// A custom provider: no preset knows its models' windows.
const CUSTOM: &str = r#"
[providers.or]
api = "openai"
base_url = "http://127.0.0.1:9/api/v1"
key = { env = "OR_KEY" }
[profiles.coder]
provider = "or"
main = "qwen/qwen3-coder"
"#;

const CHILD: &str = "CCSWITCH_TEST_TUI_SIZE_CHILD";
const CUT: &str = "\n===8<===\n";

/// The form after picking the main model from the provider's list (which
/// gives its window), opening the optional fields and typing a budget the
/// config file would refuse.
fn form_with_a_listed_window() -> App {
    let mut app = mk_app(CUSTOM);
    send(&mut app, Msg::Edit);
    app.screen.form_mut().unwrap().focus = FieldId::Main;
    let Some(Cmd::FetchModels(seq, _)) = app.update(Msg::Activate) else {
        panic!("the model picker fetches")
    };
    let listed = vec![
        ListedModel {
            id: "moonshotai/kimi-k2".into(),
            context: Some(63000),
            max_output: Some(16384),
        },
        "qwen/qwen3-coder".into(),
    ];
    send(&mut app, Msg::Models(seq, Ok(listed)));
    typed(&mut app, "kimi");
    send(&mut app, Msg::Activate);
    app.screen.form_mut().unwrap().focus = FieldId::More;
    send(&mut app, Msg::Activate);
    app.screen.form_mut().unwrap().focus = FieldId::MonthlyUsd;
    typed(&mut app, "-5");
    app
}

#[test]
fn form_context_window_and_budget_en() {
    set_lang(Lang::En);
    let app = form_with_a_listed_window();
    let screen = render(&app, 80, 24);
    assert!(screen.contains("Context window 63000"), "{screen}");
    assert!(screen.contains("must be a positive number"), "{screen}");
    snap("form_size_en", &app);
}

#[test]
fn form_context_window_and_budget_zh() {
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args(["--exact", "tui_size::drawn_in_the_child", "--nocapture"])
        .args(["--test-threads", "1"])
        .env(CHILD, "1")
        .env("CCSWITCH_LANG", "zh-CN")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let parts: Vec<&str> = stdout.split(CUT).collect();
    assert_eq!(parts.len(), 4, "{stdout}");
    assert!(parts[1].contains("上下文窗口"), "{}", parts[1]);
    insta::assert_snapshot!("form_size_zh_80x24", parts[1]);
    insta::assert_snapshot!("form_size_zh_120x32", parts[2]);
}

/// Draws the form in the child process's language; a no-op elsewhere.
#[test]
fn drawn_in_the_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    set_lang(Lang::ZhCn);
    let app = form_with_a_listed_window();
    print!(
        "{CUT}{}{CUT}{}{CUT}",
        render(&app, 80, 24),
        render(&app, 120, 32)
    );
}
