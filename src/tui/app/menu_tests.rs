//! The model menu editor through `App::update`, and what a save writes.

use super::flow_tests::{saved, typed};
use super::tests::{app_with, picker_ids, send, three_providers};
use super::*;
use crate::config::{self, MenuItem};
use crate::tui::form::FieldId;
use crate::tui::picker::{Group, PickFor};

/// The three providers, and a profile with a menu laid out by hand: a
/// plain id, a comment and a labelled model of another provider.
const MENUED: &str = concat!(
    three_providers!(),
    r#"[profiles.deepseek]
provider = "ds"
main = "deepseek-v4-pro"
menu = [
  "deepseek-v4-flash",   # the cheap one
  { provider = "moon", model = "kimi-k3", label = "Kimi K3" },
]
[profiles.plain]
provider = "ds"
main = "deepseek-v4-pro"
"#
);

/// The form of profile `row` (0: deepseek, 1: plain) with its menu
/// editor open.
fn editing_menu(row: usize) -> App {
    let mut app = app_with(MENUED);
    for _ in 0..row {
        send(&mut app, Msg::Down);
    }
    send(&mut app, Msg::Edit);
    app.screen.form_mut().unwrap().focus = FieldId::Menu;
    send(&mut app, Msg::Activate);
    assert!(app.screen.form().unwrap().menu.is_some(), "Enter opens it");
    app
}

fn menu(app: &App) -> Vec<String> {
    let form = app.screen.form().unwrap();
    form.values.menu.iter().map(MenuItem::text).collect()
}

fn menu_of(cfg: &config::Config, profile: &str) -> Vec<String> {
    let p = cfg.profile(profile).unwrap();
    p.menu.iter().map(MenuItem::text).collect()
}

/// `a`, the provider typed into its picker and chosen: the model picker,
/// which asks for the provider's live list.
fn add_from(app: &mut App, provider: &str) -> u64 {
    send(app, Msg::Char('a'));
    typed(app, provider);
    let Some(Cmd::FetchModels(seq, plan)) = app.update(Msg::Activate) else {
        panic!("the model picker fetches the live list")
    };
    assert_eq!(plan.name, provider);
    seq
}

#[test]
fn add_models_and_a_whole_provider_reorder_label_then_save() {
    let mut app = editing_menu(1);
    assert!(menu(&app).is_empty());
    send(&mut app, Msg::Char('a'));
    assert_eq!(picker_ids(&app), ["ds", "moon", "local"], "own first");
    send(&mut app, Msg::Cancel);
    // A model from Moonshot's live list.
    let seq = add_from(&mut app, "moon");
    let picker = app.screen.picker().unwrap();
    assert_eq!(
        picker.purpose,
        PickFor::MenuModel {
            provider: "moon".into(),
            index: None
        }
    );
    assert_eq!(
        picker.items[0].group,
        Group::Whole,
        "the whole provider first"
    );
    send(&mut app, Msg::Models(seq, Ok(vec!["kimi-k3-live".into()])));
    assert!(picker_ids(&app).contains(&"kimi-k3-live".to_string()));
    typed(&mut app, "k3-live");
    send(&mut app, Msg::Activate);
    // Every model of the local provider: the picker's first item.
    add_from(&mut app, "local");
    send(&mut app, Msg::Activate);
    assert_eq!(menu(&app), ["moon/kimi-k3-live", "local/* (all models)"]);
    // A whole provider has no label; up it goes, then the model gets one.
    send(&mut app, Msg::Char('l'));
    assert!(app.status.as_deref().unwrap().contains("no label"));
    send(&mut app, Msg::MoveUp);
    send(&mut app, Msg::Down);
    send(&mut app, Msg::Char('l'));
    typed(&mut app, "Kimi live");
    send(&mut app, Msg::Activate);
    assert_eq!(
        menu(&app),
        ["local/* (all models)", "Kimi live (moon/kimi-k3-live)"]
    );
    send(&mut app, Msg::Cancel);
    assert!(app.screen.form().unwrap().menu.is_none(), "Esc closes it");
    let (cfg, text) = saved(MENUED, app.update(Msg::Save));
    assert_eq!(
        menu_of(&cfg, "plain"),
        ["local/* (all models)", "Kimi live (moon/kimi-k3-live)"]
    );
    assert!(
        text.contains(
            "menu = [\n  { provider = \"local\", models = \"all\" },\n  \
             { provider = \"moon\", model = \"kimi-k3-live\", label = \"Kimi live\" },\n]"
        ),
        "{text}"
    );
    assert!(text.contains("\"deepseek-v4-flash\",   # the cheap one"));
}

#[test]
fn an_unchanged_menu_is_saved_as_it_was_written() {
    let mut app = app_with(MENUED);
    send(&mut app, Msg::Edit);
    let form = app.screen.form().unwrap();
    assert!(form.more, "a menu opens the optional fields");
    assert_eq!(
        menu(&app),
        ["ds/deepseek-v4-flash", "Kimi K3 (moon/kimi-k3)"]
    );
    app.screen.form_mut().unwrap().focus = FieldId::Description;
    typed(&mut app, "daily");
    let (_, text) = saved(MENUED, app.update(Msg::Save));
    let menu_at = MENUED.find("menu = [").unwrap();
    let menu_text = &MENUED[menu_at..MENUED.find("]\n[profiles.plain]").unwrap()];
    assert!(text.contains(menu_text), "byte for byte:\n{text}");
}

#[test]
fn removing_every_model_removes_the_menu() {
    let mut app = editing_menu(0);
    send(&mut app, Msg::Delete);
    send(&mut app, Msg::Char('x'));
    assert!(menu(&app).is_empty());
    // Saving from inside the editor closes it and saves.
    let (cfg, text) = saved(MENUED, app.update(Msg::Save));
    assert!(cfg.profile("deepseek").unwrap().menu.is_empty());
    assert!(!text.contains("menu"), "{text}");
}

#[test]
fn enter_changes_a_models_model_and_keeps_its_label() {
    let mut app = editing_menu(0);
    send(&mut app, Msg::Down);
    let Some(Cmd::FetchModels(_, plan)) = app.update(Msg::Activate) else {
        panic!("the picker of the entry's provider")
    };
    assert_eq!(plan.name, "moon");
    let picker = app.screen.picker().unwrap();
    assert_eq!(picker.current().unwrap().id, "kimi-k3", "on its model");
    typed(&mut app, "kimi-k3-turbo");
    send(&mut app, Msg::Next);
    assert_eq!(
        menu(&app),
        ["ds/deepseek-v4-flash", "Kimi K3 (moon/kimi-k3-turbo)"]
    );
    // The same model twice is refused, the cursor put on the one there.
    add_from(&mut app, "ds");
    typed(&mut app, "deepseek-v4-flash");
    send(&mut app, Msg::Next);
    assert_eq!(menu(&app).len(), 2);
    assert_eq!(
        app.screen.form().unwrap().menu.as_ref().unwrap().selected,
        0
    );
    assert!(
        app.status
            .as_deref()
            .unwrap()
            .contains("in the menu already")
    );
}

#[test]
fn a_label_being_typed_takes_letters_and_is_saved_with_the_form() {
    let mut app = editing_menu(0);
    send(&mut app, Msg::Down);
    send(&mut app, Msg::Char('l'));
    // Letters that are keys elsewhere (x removes, q closes) are the label's.
    send(&mut app, Msg::Clear);
    typed(&mut app, "xq");
    send(&mut app, Msg::Backspace);
    assert_eq!(menu(&app).len(), 2, "nothing removed");
    let (cfg, _) = saved(MENUED, app.update(Msg::Save));
    assert_eq!(menu_of(&cfg, "deepseek")[1], "x (moon/kimi-k3)");
}
