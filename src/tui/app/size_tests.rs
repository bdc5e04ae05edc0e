//! The form's context window and budget fields through `App::update`,
//! and what a save writes (issue 27, wart 7).

use super::flow_tests::{saved, typed};
use super::tests::{app_with, send};
use super::*;
use crate::proxy::models::ListedModel;
use crate::tui::form::FieldId;

/// A custom OpenAI-kind provider: no preset knows its models.
const CUSTOM: &str = r#"
[providers.or]
api = "openai"
base_url = "http://127.0.0.1:9/api/v1"
key = { env = "OR_KEY" }
[profiles.coder]
provider = "or"
main = "qwen/qwen3-coder"
"#;

fn focus(app: &mut App, f: FieldId) {
    app.screen.form_mut().expect("a form").focus = f;
}

/// Show the optional fields, as Enter on "More" does.
fn open_more(app: &mut App) {
    focus(app, FieldId::More);
    send(app, Msg::Activate);
    assert!(app.screen.form().unwrap().more);
}

/// The main model picked from the provider's list, as the worker hands
/// it over.
fn pick_main(app: &mut App, listed: Vec<ListedModel>, id: &str) {
    focus(app, FieldId::Main);
    let Some(Cmd::FetchModels(seq, _)) = app.update(Msg::Activate) else {
        panic!("the model picker fetches")
    };
    send(app, Msg::Models(seq, Ok(listed)));
    for c in id.chars() {
        send(app, Msg::Char(c));
    }
    send(app, Msg::Activate);
}

fn kimi_listed() -> Vec<ListedModel> {
    vec![
        ListedModel {
            id: "moonshotai/kimi-k2".into(),
            context: Some(63000),
            max_output: Some(16384),
        },
        "qwen/qwen3-coder".into(),
    ]
}

#[test]
fn picking_a_listed_model_fills_the_window_and_saving_records_it() {
    let mut app = app_with(CUSTOM);
    send(&mut app, Msg::Edit);
    assert_eq!(app.screen.form().unwrap().values.context, "", "unknown");
    pick_main(&mut app, kimi_listed(), "kimi-k2");
    let form = app.screen.form().unwrap();
    assert_eq!(form.values.main, "moonshotai/kimi-k2");
    assert_eq!(form.values.context, "63000", "from the list");
    assert_eq!(form.focus, FieldId::Fast, "past the filled-in window");
    let (cfg, text) = saved(CUSTOM, app.update(Msg::Save));
    assert!(
        text.contains(
            "[providers.or.models.\"moonshotai/kimi-k2\"]\ncontext = 63000\nmax_output = 16384"
        ),
        "{text}"
    );
    let info = cfg.provider("or").unwrap().model("moonshotai/kimi-k2");
    assert_eq!((info.context, info.max_output), (Some(63000), Some(16384)));
    assert_eq!(cfg.profile("coder").unwrap().context_window, None);

    // Picking a model the list says nothing about empties the field: the
    // old model's window would be wrong for it.
    let mut app = app_with(CUSTOM);
    send(&mut app, Msg::Edit);
    focus(&mut app, FieldId::Context);
    typed(&mut app, "131072");
    pick_main(&mut app, kimi_listed(), "qwen3");
    assert_eq!(
        app.screen.form().unwrap().values.context,
        "131072",
        "same model: kept"
    );
    let mut app = app_with(CUSTOM.replace("qwen/qwen3-coder", "x").as_str());
    send(&mut app, Msg::Edit);
    focus(&mut app, FieldId::Context);
    typed(&mut app, "131072");
    pick_main(&mut app, kimi_listed(), "qwen3");
    assert_eq!(app.screen.form().unwrap().values.context, "", "other model");
}

#[test]
fn a_typed_window_goes_to_the_provider_or_to_the_profile_that_has_one() {
    // Typed for a custom model: recorded under its provider.
    let mut app = app_with(CUSTOM);
    send(&mut app, Msg::Edit);
    focus(&mut app, FieldId::Context);
    typed(&mut app, "262144");
    let (cfg, _) = saved(CUSTOM, app.update(Msg::Save));
    let set = crate::launch::env::plan(
        &cfg,
        cfg.profile("coder").unwrap(),
        &crate::launch::env::Reach::Proxy {
            base_url: "http://127.0.0.1:4242".into(),
            token: secrecy::SecretString::from("tok".to_string()),
        },
        &|_| None,
    )
    .set;
    assert_eq!(set["CLAUDE_CODE_MAX_CONTEXT_TOKENS"], "262144");

    // A profile with its own `context_window` keeps it there.
    let src = format!("{CUSTOM}context_window = 100000\n");
    let mut app = app_with(&src);
    send(&mut app, Msg::Edit);
    assert_eq!(app.screen.form().unwrap().values.context, "100000");
    focus(&mut app, FieldId::Context);
    send(&mut app, Msg::Clear);
    typed(&mut app, "120000");
    let (cfg, text) = saved(&src, app.update(Msg::Save));
    assert_eq!(cfg.profile("coder").unwrap().context_window, Some(120000));
    assert!(!text.contains("models"), "{text}");

    // A preset's own number is shown, and not copied into the file.
    let mut app = app_with(super::tests::THREE);
    send(&mut app, Msg::Edit); // deepseek
    let form = app.screen.form().unwrap();
    let known = app.config.provider("ds").unwrap().model("deepseek-v4-pro");
    assert_eq!(form.values.context, known.context.unwrap().to_string());
    let (_, text) = saved(super::tests::THREE, app.update(Msg::Save));
    assert!(!text.contains("models"), "{text}");
}

#[test]
fn budget_fields_write_the_profiles_budget() {
    let mut app = app_with(CUSTOM);
    send(&mut app, Msg::Edit);
    open_more(&mut app);
    for (f, v) in [
        (FieldId::DailyUsd, "2.5"),
        (FieldId::MonthlyTokens, "5000000"),
    ] {
        focus(&mut app, f);
        typed(&mut app, v);
    }
    let (cfg, text) = saved(CUSTOM, app.update(Msg::Save));
    assert!(
        text.contains("budget = { daily_usd = 2.5, monthly_tokens = 5000000 }"),
        "{text}"
    );
    let b = cfg.profile("coder").unwrap().budget.unwrap();
    assert_eq!(
        (b.daily_usd, b.monthly_tokens),
        (Some(2.5), Some(5_000_000))
    );

    // Shown when editing; emptied, the budget goes.
    let mut app = app_with(&text);
    send(&mut app, Msg::Edit);
    let form = app.screen.form().unwrap();
    assert!(form.more, "a budget opens the optional fields");
    assert_eq!(
        (
            form.values.daily_usd.as_str(),
            form.values.monthly_tokens.as_str()
        ),
        ("2.5", "5000000")
    );
    for f in [FieldId::DailyUsd, FieldId::MonthlyTokens] {
        focus(&mut app, f);
        send(&mut app, Msg::Clear);
    }
    let (cfg, after) = saved(&text, app.update(Msg::Save));
    assert!(cfg.profile("coder").unwrap().budget.is_none());
    assert!(!after.contains("budget"), "{after}");
}

#[test]
fn broken_values_get_the_config_files_errors_inline() {
    let mut app = app_with(CUSTOM);
    send(&mut app, Msg::Edit);
    open_more(&mut app);
    let cases = [
        (FieldId::Context, "lots", "a whole number above 0"),
        (FieldId::Context, "0", "a whole number above 0"),
        (FieldId::DailyUsd, "five", "not a number"),
        (
            FieldId::MonthlyUsd,
            "-1",
            "Budget `monthly_usd` must be a positive number.",
        ),
        (
            FieldId::DailyTokens,
            "0",
            "Budget `daily_tokens` must be a positive number.",
        ),
        (FieldId::MonthlyTokens, "1.5", "not a number"),
    ];
    for (f, text, want) in cases {
        focus(&mut app, f);
        send(&mut app, Msg::Clear);
        typed(&mut app, text);
        let form = app.screen.form().unwrap();
        let e = form.error(f, &app.config, &app.presets);
        assert_eq!(e.as_deref(), Some(want), "{f:?} = {text}");
        assert!(app.update(Msg::Save).is_none(), "{f:?} = {text}: not saved");
        assert_eq!(app.screen.form().unwrap().focus, f, "the save points at it");
        send(&mut app, Msg::Clear);
    }
    // Every field fine again: the save goes through.
    assert!(matches!(app.update(Msg::Save), Some(Cmd::Save(_))));
}

#[test]
fn a_new_profile_from_a_preset_starts_with_its_suggestions_window() {
    let mut app = app_with(super::tests::THREE);
    send(&mut app, Msg::New);
    typed(&mut app, "deeps");
    send(&mut app, Msg::Down); // the preset, after the saved provider
    send(&mut app, Msg::Activate);
    let form = app.screen.form().unwrap();
    let preset = app.presets.get("deepseek").unwrap();
    let known = preset.models[form.values.main.as_str()].context.unwrap();
    assert_eq!(form.values.context, known.to_string());
    // Planned as it is; set_model_size writes nothing the preset knows.
    let cfg = app.config.clone();
    assert_eq!(form.plan(&cfg).size.and_then(|s| s.context), Some(known));
}

#[test]
fn typing_another_main_model_empties_a_window_filled_in_for_the_old_one() {
    let mut app = app_with(CUSTOM);
    send(&mut app, Msg::Edit);
    pick_main(&mut app, kimi_listed(), "kimi-k2");
    focus(&mut app, FieldId::Main);
    typed(&mut app, "-turbo");
    let form = app.screen.form().unwrap();
    assert_eq!(form.values.main, "moonshotai/kimi-k2-turbo");
    assert_eq!(form.values.context, "", "63000 was kimi-k2's");
    assert!(form.plan(&app.config).size.is_none(), "nothing to record");

    // A window the user typed is theirs, whatever the model.
    focus(&mut app, FieldId::Context);
    typed(&mut app, "32768");
    focus(&mut app, FieldId::Main);
    send(&mut app, Msg::Backspace);
    assert_eq!(app.screen.form().unwrap().values.context, "32768");
}
