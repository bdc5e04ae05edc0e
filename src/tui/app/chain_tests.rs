//! The fallback chain editor through `App::update`, and what a save
//! writes.

use super::flow_tests::{saved, typed};
use super::tests::{app_with, picker_ids, send, three_providers};
use super::*;
use crate::config::{self, Target};
use crate::tui::form::FieldId;
use crate::tui::picker::PickFor;

/// The three providers, and a profile whose main slot falls back to
/// Moonshot.
const CHAINED: &str = concat!(
    three_providers!(),
    r#"[profiles.deepseek]
provider = "ds"
main = [
  "deepseek-v4-pro",   # first
  { provider = "moon", model = "kimi-k3" },
]
fast = "deepseek-v4-flash"
"#
);

fn app() -> App {
    app_with(CHAINED)
}

fn chain(app: &App, f: FieldId) -> Vec<String> {
    let form = app.screen.form().unwrap();
    std::iter::once(format!("_/{}", form.text(f)))
        .chain(
            form.fallbacks(f)
                .iter()
                .map(|t| format!("{}/{}", t.provider, t.model)),
        )
        .collect()
}

fn targets(cfg: &config::Config, slot: &str) -> Vec<String> {
    let p = cfg.profile("deepseek").unwrap();
    let (_, s) = p.slots().into_iter().find(|(n, _)| *n == slot).unwrap();
    s.targets().map(|(p, m)| format!("{p}/{m}")).collect()
}

#[test]
fn a_saved_chain_is_on_the_form_and_survives_an_unrelated_edit() {
    let mut app = app();
    send(&mut app, Msg::Edit);
    assert_eq!(
        chain(&app, FieldId::Main),
        ["_/deepseek-v4-pro", "moon/kimi-k3"]
    );
    app.screen.form_mut().unwrap().focus = FieldId::Description;
    typed(&mut app, "daily");
    let (cfg, text) = saved(CHAINED, app.update(Msg::Save));
    assert_eq!(
        targets(&cfg, "main"),
        ["ds/deepseek-v4-pro", "moon/kimi-k3"]
    );
    assert!(text.contains("# first"), "the hand-laid chain is untouched");
}

#[test]
fn add_reorder_and_remove_targets_then_save() {
    let mut app = app();
    send(&mut app, Msg::Edit);
    app.screen.form_mut().unwrap().focus = FieldId::Fast;
    send(&mut app, Msg::Fallbacks);
    assert!(app.screen.form().unwrap().chain.is_some());
    // Add: the provider (this profile's first), then its model.
    send(&mut app, Msg::Char('a'));
    let ids = picker_ids(&app);
    assert_eq!(
        ids,
        ["ds", "moon", "local"],
        "own first, then as in the file"
    );
    typed(&mut app, "local");
    let cmd = app.update(Msg::Activate);
    assert!(
        matches!(&cmd, Some(Cmd::FetchModels(_, p)) if p.name == "local"),
        "the target's provider lists its models: {cmd:?}"
    );
    let picker = app.screen.picker().unwrap();
    assert_eq!(
        picker.purpose,
        PickFor::FallbackModel {
            provider: "local".into(),
            index: None
        }
    );
    typed(&mut app, "qwen3-coder");
    send(&mut app, Msg::Next);
    // A second one on the profile's own provider.
    send(&mut app, Msg::Char('a'));
    assert!(app.update(Msg::Activate).is_some(), "fetches ds's list");
    typed(&mut app, "deepseek-v4-pro");
    send(&mut app, Msg::Next);
    assert_eq!(
        chain(&app, FieldId::Fast),
        [
            "_/deepseek-v4-flash",
            "local/qwen3-coder",
            "ds/deepseek-v4-pro"
        ]
    );
    // Up to second place, then up again: swapped with the field's model.
    send(&mut app, Msg::MoveUp);
    send(&mut app, Msg::MoveUp);
    assert_eq!(
        chain(&app, FieldId::Fast),
        [
            "_/deepseek-v4-pro",
            "ds/deepseek-v4-flash",
            "local/qwen3-coder"
        ]
    );
    // Enter changes the selected target's model.
    send(&mut app, Msg::Down);
    assert!(app.update(Msg::Activate).is_some(), "fetches local's list");
    typed(&mut app, "llama4");
    send(&mut app, Msg::Next);
    assert_eq!(
        chain(&app, FieldId::Fast),
        ["_/deepseek-v4-pro", "ds/deepseek-v4-flash", "local/llama4"]
    );
    // And the main chain loses its fallback.
    send(&mut app, Msg::Cancel);
    assert!(app.screen.form().unwrap().chain.is_none());
    app.screen.form_mut().unwrap().focus = FieldId::Main;
    send(&mut app, Msg::Fallbacks);
    send(&mut app, Msg::Delete);
    let (cfg, text) = saved(CHAINED, app.update(Msg::Save));
    assert_eq!(
        targets(&cfg, "fast"),
        ["ds/deepseek-v4-pro", "ds/deepseek-v4-flash", "local/llama4"]
    );
    assert_eq!(targets(&cfg, "main"), ["ds/deepseek-v4-pro"]);
    assert!(text.contains("main = \"deepseek-v4-pro\""), "{text}");
    assert!(
        text.contains(
            r#"fast = ["deepseek-v4-pro", "deepseek-v4-flash", { provider = "local", model = "llama4" }]"#
        ),
        "own-provider targets are plain ids: {text}"
    );
}

#[test]
fn a_chain_needs_a_first_model_and_the_proxy() {
    let mut app = app();
    send(&mut app, Msg::Edit);
    let form = app.screen.form_mut().unwrap();
    form.focus = FieldId::Fast;
    assert!(form.open_chain(&app.config));
    form.chain_add(Target {
        provider: "moon".into(),
        model: "kimi-k3".into(),
    });
    form.chain = None;
    send(&mut app, Msg::Clear);
    assert_eq!(app.update(Msg::Save), None, "not saved");
    assert!(
        app.status.as_deref().unwrap().contains("first model"),
        "{:?}",
        app.status
    );
    // Ctrl-F away from a model field says where it works.
    app.screen.form_mut().unwrap().focus = FieldId::Description;
    send(&mut app, Msg::Fallbacks);
    assert!(app.screen.form().unwrap().chain.is_none());
    assert!(app.status.as_deref().unwrap().contains("model field"));
}

#[test]
fn a_slot_that_inherits_the_main_chain_keeps_it_when_saved() {
    // `fast` is not in the file: it is main, chain and all. The form shows
    // it filled in, and saving writes it; its chain must come along.
    let src = CHAINED.replace("fast = \"deepseek-v4-flash\"\n", "");
    let mut app = app_with(&src);
    send(&mut app, Msg::Edit);
    app.screen.form_mut().unwrap().focus = FieldId::Description;
    typed(&mut app, "daily");
    let (cfg, _) = saved(&src, app.update(Msg::Save));
    assert_eq!(
        targets(&cfg, "fast"),
        ["ds/deepseek-v4-pro", "moon/kimi-k3"]
    );
}
