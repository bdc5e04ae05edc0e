//! Editing a saved provider's connection through the profile form: its
//! API kind is a choice, as for a new one, with the checks a new one gets
//! (issue 27, wart 4).

use super::*;
use crate::config::Api;
use crate::tui::form::FieldId;

use super::flow_tests::saved;
use super::tests::{THREE, app_with, send};

/// The form over the saved profile `name` of `src`, focus on its API row.
fn edit_api(src: &str, name: &str) -> App {
    let mut app = app_with(src);
    while app.current().is_some_and(|r| r.name != name) {
        send(&mut app, Msg::Down);
    }
    send(&mut app, Msg::Edit);
    let form = app.screen.form_mut().expect("the form is open");
    assert!(
        form.fields(&app.config, &app.presets)
            .contains(&FieldId::Api),
        "the API row is on the form"
    );
    form.focus = FieldId::Api;
    app
}

#[test]
fn a_saved_providers_api_is_a_choice_and_its_url_follows() {
    let mut app = edit_api(THREE, "deepseek");
    assert_eq!(app.screen.form().unwrap().values.api, Api::Anthropic);
    send(&mut app, Msg::Right);
    let form = app.screen.form().unwrap();
    assert_eq!(form.values.api, Api::Openai);
    assert_eq!(form.values.base_url, "https://api.deepseek.com/v1");
    let (cfg, text) = saved(THREE, app.update(Msg::Save));
    let ds = cfg.provider("ds").unwrap();
    assert_eq!(ds.api, Api::Openai);
    assert_eq!(
        ds.base_url.as_ref().unwrap().as_str(),
        "https://api.deepseek.com/v1"
    );
    assert!(text.contains("api = \"openai\""), "{text}");
    // The provider is shared: its other profile goes along.
    assert_eq!(
        cfg.provider(&cfg.profile("mixed").unwrap().provider)
            .unwrap()
            .api,
        Api::Openai
    );
}

/// A provider without a preset may speak any API kind (as config.toml
/// allows); one whose kind needs no base URL drops the old one, and
/// coming back asks for it again.
#[test]
fn a_custom_providers_api_can_be_any_kind() {
    let src = "[providers.mine]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:8000/v1\"\n\
               [profiles.p]\nprovider = \"mine\"\nmain = \"m\"\n";
    let mut app = edit_api(src, "p");
    let mut seen = Vec::new();
    for _ in 0..4 {
        send(&mut app, Msg::Right);
        seen.push(app.screen.form().unwrap().values.api);
    }
    assert_eq!(
        seen,
        [Api::Bedrock, Api::Vertex, Api::Anthropic, Api::Openai]
    );
    send(&mut app, Msg::Left);
    let form = app.screen.form().unwrap();
    assert_eq!(form.values.api, Api::Anthropic);
    assert_eq!(
        form.values.base_url, "http://127.0.0.1:8000/v1",
        "a URL of one's own stays"
    );
    let (cfg, _) = saved(src, app.update(Msg::Save));
    assert_eq!(cfg.provider("mine").unwrap().api, Api::Anthropic);

    let mut app = edit_api(src, "p");
    send(&mut app, Msg::Right);
    let form = app.screen.form().unwrap();
    assert_eq!(form.values.api, Api::Bedrock);
    assert!(
        !form
            .fields(&app.config, &app.presets)
            .contains(&FieldId::BaseUrl)
    );
    let (cfg, text) = saved(src, app.update(Msg::Save));
    let mine = cfg.provider("mine").unwrap();
    assert_eq!(mine.api, Api::Bedrock);
    assert_eq!(
        mine.base_url, None,
        "an OpenAI URL is no Bedrock gateway:\n{text}"
    );
}

/// A preset with one endpoint has nothing to choose: no API row, as for a
/// new provider from it.
#[test]
fn a_single_endpoint_preset_has_no_api_row() {
    let src =
        "[providers.oa]\npreset = \"openai\"\n[profiles.p]\nprovider = \"oa\"\nmain = \"m\"\n";
    let mut app = app_with(src);
    send(&mut app, Msg::Edit);
    let form = app.screen.form().unwrap();
    assert!(
        !form
            .fields(&app.config, &app.presets)
            .contains(&FieldId::Api)
    );
}
