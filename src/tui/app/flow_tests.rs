//! Every form flow through `App::update`, and what its save would write.

use std::path::Path;

use super::*;
use crate::checks::probe::ProbeStep;
use crate::config::{self, Api, Presets};
use crate::tui::form::{FieldId, KeyFrom, ProviderSel};
use crate::tui::picker::Fetch;
use crate::tui::plan;

use super::tests::{THREE, app_with, picker_ids, send};

pub(super) fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        send(app, Msg::Char(c));
    }
}

/// The config after applying a save command to `src`, and the new text.
pub(super) fn saved(src: &str, cmd: Option<Cmd>) -> (config::Config, String) {
    let Some(Cmd::Save(plan)) = cmd else {
        panic!("expected a save, got {cmd:?}");
    };
    let presets = Presets::builtin();
    let mut doc: toml_edit::DocumentMut = src.parse().unwrap();
    plan::apply(&mut doc, &presets, Path::new("c.toml"), &plan).unwrap();
    let text = doc.to_string();
    (
        config::parse(Path::new("c.toml"), &text, &presets).unwrap(),
        text,
    )
}

#[test]
fn new_profile_from_a_preset() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::New);
    assert!(
        app.screen.picker().is_some(),
        "a new profile starts at the provider list"
    );
    typed(&mut app, "deeps");
    let ids = picker_ids(&app);
    assert_eq!(
        ids,
        ["existing:ds", "preset:deepseek"],
        "saved providers first"
    );
    send(&mut app, Msg::Down);
    send(&mut app, Msg::Activate);
    let form = app.screen.form().unwrap();
    assert_eq!(
        form.values.provider,
        ProviderSel::New {
            preset: "deepseek".into(),
            name: "deepseek".into()
        }
    );
    assert_eq!(form.values.name, "deepseek-2", "the profile name is free");
    assert_eq!(form.values.base_url, "https://api.deepseek.com/anthropic");
    assert_eq!(form.values.main, "deepseek-v4-pro");
    assert_eq!(form.values.fast, "deepseek-v4-flash");
    assert_eq!(form.focus, FieldId::Key, "straight to the key");
    typed(&mut app, "sk-typed-key");
    let cmd = app.update(Msg::Save);
    let Some(Cmd::Save(plan)) = &cmd else {
        panic!("{cmd:?}")
    };
    use secrecy::ExposeSecret;
    assert_eq!(
        plan.provider.key.as_ref().unwrap().expose_secret(),
        "sk-typed-key"
    );
    let (cfg, text) = saved(THREE, cmd);
    assert!(
        !text.contains("sk-typed-key"),
        "the key never reaches the file"
    );
    let p = cfg.profile("deepseek-2").unwrap();
    assert_eq!(p.provider, "deepseek");
    assert_eq!(p.main.model, "deepseek-v4-pro");
    let provider = cfg.provider("deepseek").unwrap();
    assert_eq!(provider.preset.as_deref(), Some("deepseek"));
    assert!(provider.key.keyring);
    assert!(text.contains("# the daily driver"), "comments survive");
}

#[test]
fn the_key_source_and_the_api_are_choices() {
    let mut app = app_with("");
    send(&mut app, Msg::Activate);
    typed(&mut app, "deepseek");
    send(&mut app, Msg::Activate);
    let form = app.screen.form_mut().unwrap();
    form.focus = FieldId::KeyFrom;
    send(&mut app, Msg::Right);
    let form = app.screen.form().unwrap();
    assert_eq!(form.values.key_from, KeyFrom::Env);
    assert_eq!(form.values.key, "DEEPSEEK_API_KEY", "the preset's variable");
    app.screen.form_mut().unwrap().focus = FieldId::Api;
    send(&mut app, Msg::Right);
    let form = app.screen.form().unwrap();
    assert_eq!(form.values.api, Api::Openai);
    assert_eq!(
        form.values.base_url, "https://api.deepseek.com/v1",
        "URL follows"
    );
    let (cfg, text) = saved("", app.update(Msg::Save));
    assert_eq!(
        cfg.default.as_deref(),
        Some("deepseek"),
        "first profile is default"
    );
    assert!(
        text.contains(r#"key = { env = "DEEPSEEK_API_KEY" }"#),
        "{text}"
    );
    assert_eq!(cfg.provider("deepseek").unwrap().api, Api::Openai);
}

#[test]
fn inline_validation_and_saving_with_errors() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::New);
    typed(&mut app, "ollama");
    send(&mut app, Msg::Activate);
    let form = app.screen.form_mut().unwrap();
    assert_eq!(form.values.provider, ProviderSel::Existing("local".into()));
    assert_eq!(
        form.values.key_from,
        KeyFrom::None,
        "local servers need no key"
    );
    form.focus = FieldId::Name;
    send(&mut app, Msg::Clear);
    typed(&mut app, "bad name");
    let (cfg, presets) = (&app.config, &app.presets);
    let form = app.screen.form().unwrap();
    assert!(
        form.error(FieldId::Name, cfg, presets)
            .unwrap()
            .contains("letters")
    );
    send(&mut app, Msg::Clear);
    typed(&mut app, "kimi");
    let form = app.screen.form().unwrap();
    assert_eq!(
        form.error(FieldId::Name, &app.config, &app.presets)
            .as_deref(),
        Some("a profile has this name")
    );
    send(&mut app, Msg::Clear);
    typed(&mut app, "local-one");
    app.screen.form_mut().unwrap().focus = FieldId::Main;
    send(&mut app, Msg::Clear);
    assert_eq!(app.update(Msg::Save), None, "nothing saved with an error");
    let form = app.screen.form().unwrap();
    assert!(form.tried);
    assert_eq!(form.focus, FieldId::Main);
    assert!(app.status.as_deref().unwrap().contains("required"));
    typed(&mut app, "qwen3-coder");
    app.screen.form_mut().unwrap().more = true;
    app.screen.form_mut().unwrap().focus = FieldId::MaxOutput;
    typed(&mut app, "lots");
    assert_eq!(app.update(Msg::Save), None);
    assert_eq!(app.screen.form().unwrap().focus, FieldId::MaxOutput);
    send(&mut app, Msg::Clear);
    typed(&mut app, "8192");
    app.screen.form_mut().unwrap().focus = FieldId::Env;
    typed(&mut app, "DISABLE_TELEMETRY=1, FOO=bar baz");
    let (cfg, _) = saved(THREE, app.update(Msg::Save));
    let p = cfg.profile("local-one").unwrap();
    assert_eq!(p.max_output_tokens, Some(8192));
    assert_eq!(p.env.get("FOO").map(String::as_str), Some("bar baz"));
    assert_eq!(
        p.provider, "local",
        "the saved Ollama provider matched first"
    );
}

#[test]
fn edit_rename_keeps_default_and_unshown_fields() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::Down); // kimi
    send(&mut app, Msg::Edit);
    let form = app.screen.form().unwrap();
    assert!(app.screen.picker().is_none());
    assert_eq!(form.values.provider, ProviderSel::Existing("moon".into()));
    assert!(!form.dirty());
    send(&mut app, Msg::Clear);
    typed(&mut app, "kimi2");
    app.screen.form_mut().unwrap().focus = FieldId::Main;
    send(&mut app, Msg::Clear);
    typed(&mut app, "kimi-k3-turbo");
    let (cfg, text) = saved(THREE, app.update(Msg::Save));
    assert!(cfg.profiles.get("kimi").is_none());
    assert_eq!(cfg.profile("kimi2").unwrap().main.model, "kimi-k3-turbo");
    assert_eq!(cfg.default.as_deref(), Some("kimi2"));
    assert!(
        !text.contains("[providers.moon]\npreset = \"moonshot\"\nkey"),
        "provider untouched"
    );
}

#[test]
fn edit_keeps_a_slot_served_by_another_provider() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::End); // mixed
    send(&mut app, Msg::Edit);
    assert_eq!(app.screen.form().unwrap().values.fast, "");
    app.screen.form_mut().unwrap().focus = FieldId::Description;
    typed(&mut app, "two providers");
    let (cfg, _) = saved(THREE, app.update(Msg::Save));
    let p = cfg.profile("mixed").unwrap();
    assert_eq!(p.fast.provider, "local");
    assert_eq!(p.description.as_deref(), Some("two providers"));
}

#[test]
fn duplicate_copies_every_field() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::Duplicate); // deepseek
    let form = app.screen.form().unwrap();
    assert_eq!(form.values.name, "deepseek-copy");
    assert!(form.dirty(), "a copy is unsaved work");
    let (cfg, _) = saved(THREE, app.update(Msg::Save));
    let copy = cfg.profile("deepseek-copy").unwrap();
    assert_eq!(copy.main.model, "deepseek-v4-pro");
    assert_eq!(copy.max_output_tokens, Some(16000));
    assert!(cfg.profiles.contains_key("deepseek"));
}

#[test]
fn unsaved_changes_guard() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::Edit);
    send(&mut app, Msg::Cancel);
    assert!(
        app.screen.form().is_none(),
        "nothing changed: Esc just goes back"
    );
    send(&mut app, Msg::Edit);
    typed(&mut app, "x");
    send(&mut app, Msg::Cancel);
    assert_eq!(app.screen.overlay(), Some(&Overlay::ConfirmDiscard));
    send(&mut app, Msg::Char('n'));
    assert!(app.screen.overlay().is_none());
    assert_eq!(app.screen.form().unwrap().values.name, "deepseekx", "kept");
    send(&mut app, Msg::Cancel);
    send(&mut app, Msg::Char('y'));
    assert!(app.screen.form().is_none());
    assert_eq!(app.rows.len(), 3);
}

fn open_main_picker(app: &mut App) -> u64 {
    send(app, Msg::Edit); // deepseek
    app.screen.form_mut().unwrap().focus = FieldId::Main;
    let cmd = app.update(Msg::Activate);
    let Some(Cmd::FetchModels(seq, provider)) = cmd else {
        panic!("{cmd:?}")
    };
    assert_eq!(provider.name, "ds");
    assert_eq!(app.screen.picker().unwrap().fetch, Fetch::Loading(seq));
    seq
}

#[test]
fn model_picker_lists_fetched_models_after_suggestions() {
    let mut app = app_with(THREE);
    let seq = open_main_picker(&mut app);
    let p = app.screen.picker().unwrap();
    assert_eq!(
        p.current().unwrap().id,
        "deepseek-v4-pro",
        "starts at the current model"
    );
    send(&mut app, Msg::Models(seq + 7, Ok(vec!["stale".into()])));
    assert_eq!(app.screen.picker().unwrap().fetch, Fetch::Loading(seq));
    let ids = vec![
        "deepseek-chat".into(),
        "deepseek-v4-pro".into(),
        "deepseek-reasoner".into(),
    ];
    send(&mut app, Msg::Models(seq, Ok(ids)));
    let p = app.screen.picker().unwrap();
    assert_eq!(p.fetch, Fetch::Done(2), "known models are not repeated");
    assert_eq!(p.items.first().unwrap().id, "deepseek-v4-pro");
    typed(&mut app, "reason");
    send(&mut app, Msg::Activate);
    assert!(app.screen.picker().is_none());
    let form = app.screen.form().unwrap();
    assert_eq!(form.values.main, "deepseek-reasoner");
    assert_eq!(form.focus, FieldId::Fast, "on to the next model");
}

#[test]
fn model_picker_failure_falls_back_to_typing() {
    let mut app = app_with(THREE);
    let seq = open_main_picker(&mut app);
    send(&mut app, Msg::Models(seq, Err("HTTP 401: bad key".into())));
    assert_eq!(
        app.screen.picker().unwrap().fetch,
        Fetch::Failed("HTTP 401: bad key".into())
    );
    typed(&mut app, "my-own-model");
    assert!(app.screen.picker().unwrap().current().is_none());
    send(&mut app, Msg::Activate);
    assert_eq!(app.screen.form().unwrap().values.main, "my-own-model");
    // Tab takes the typed text even when it matches a listed model.
    app.screen.form_mut().unwrap().focus = FieldId::Fast;
    let cmd = app.update(Msg::Activate);
    assert!(matches!(cmd, Some(Cmd::FetchModels(..))), "{cmd:?}");
    typed(&mut app, "deepseek-v4");
    send(&mut app, Msg::Next);
    assert_eq!(app.screen.form().unwrap().values.fast, "deepseek-v4");
}

#[test]
fn connection_test_from_the_list_and_from_the_form() {
    let mut app = app_with(THREE);
    let cmd = app.update(Msg::Test);
    let Some(Cmd::TestProfile(seq, name)) = cmd else {
        panic!("{cmd:?}")
    };
    assert_eq!(name, "deepseek");
    assert!(app.screen.test().unwrap().result.is_none());
    let steps = vec![ProbeStep {
        id: "reach",
        ok: false,
        detail: "cannot reach it".into(),
        ms: None,
    }];
    send(&mut app, Msg::Tested(seq, Ok(steps)));
    assert!(matches!(app.screen.test().unwrap().result, Some(Ok(_))));
    let again = app.update(Msg::Test);
    assert!(
        matches!(again, Some(Cmd::TestProfile(s, _)) if s > seq),
        "{again:?}"
    );
    send(&mut app, Msg::Cancel);
    assert!(app.screen.test().is_none());
    send(&mut app, Msg::Edit);
    app.screen.form_mut().unwrap().focus = FieldId::Main;
    send(&mut app, Msg::Clear);
    typed(&mut app, "deepseek-v4-flash");
    let cmd = app.update(Msg::Test);
    assert!(matches!(cmd, Some(Cmd::TestPlan(..))), "{cmd:?}");
    assert_eq!(app.screen.test().unwrap().model, "deepseek-v4-flash");
    send(&mut app, Msg::Char('q'));
    assert!(
        app.screen.test().is_none() && app.screen.form().is_some(),
        "back to the form"
    );
}

#[test]
fn a_closed_first_picker_cancels_the_new_profile() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::New);
    send(&mut app, Msg::Cancel);
    assert!(app.screen.form().is_none() && app.screen.picker().is_none());
}

#[test]
fn a_second_ctrl_s_while_saving_does_not_save_twice() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::Edit);
    typed(&mut app, "z");
    assert!(matches!(app.update(Msg::Save), Some(Cmd::Save(_))));
    assert_eq!(app.update(Msg::Save), None);
    send(&mut app, Msg::Failed("disk full".into()));
    assert!(
        matches!(app.update(Msg::Save), Some(Cmd::Save(_))),
        "after a failure, again"
    );
}

/// A custom provider needs its Base URL: the form goes there first and
/// says so inline, instead of skipping to the key (issue 27, wart 13).
#[test]
fn a_custom_providers_empty_base_url_gets_the_focus_and_an_inline_error() {
    let mut app = app_with(THREE);
    send(&mut app, Msg::New);
    typed(&mut app, "custom openai");
    send(&mut app, Msg::Activate);
    let form = app.screen.form().unwrap();
    assert_eq!(form.focus, FieldId::BaseUrl);
    assert_eq!(
        form.error(FieldId::BaseUrl, &app.config, &app.presets)
            .as_deref(),
        Some("required")
    );
    typed(&mut app, "http://127.0.0.1:8000/v1");
    send(&mut app, Msg::Next);
    assert_eq!(app.screen.form().unwrap().focus, FieldId::KeyFrom);
}
