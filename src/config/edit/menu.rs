//! A profile's `menu` as written: one line per model, so a long menu stays
//! readable and a diff shows which model came or went.

use toml_edit::{Array, InlineTable, Table, Value, value};

use crate::config::menu::MenuItem;

/// One target of a menu model: always with its provider, since a menu is
/// about providers.
fn target(provider: &str, model: &str) -> InlineTable {
    let mut t = InlineTable::new();
    t.insert("provider", provider.into());
    t.insert("model", model.into());
    t
}

fn item(i: &MenuItem) -> Value {
    match i {
        MenuItem::One(e) => {
            let mut t = target(&e.slot.provider, &e.slot.model);
            if let Some(l) = &e.label {
                t.insert("label", l.as_str().into());
            }
            if !e.slot.fallbacks.is_empty() {
                let chain: Array = e
                    .slot
                    .fallbacks
                    .iter()
                    .map(|f| Value::InlineTable(target(&f.provider, &f.model)))
                    .collect();
                t.insert("fallbacks", Value::Array(chain));
            }
            Value::InlineTable(t)
        }
        MenuItem::All { provider } => {
            let mut t = InlineTable::new();
            t.insert("provider", provider.as_str().into());
            t.insert("models", "all".into());
            Value::InlineTable(t)
        }
    }
}

/// Replace the profile's menu; an empty one removes the key.
pub(super) fn apply(table: &mut Table, items: &[MenuItem]) {
    if items.is_empty() {
        table.remove("menu");
        return;
    }
    let mut array: Array = items.iter().map(item).collect();
    for v in array.iter_mut() {
        v.decor_mut().set_prefix("\n  ");
    }
    array.set_trailing("\n");
    array.set_trailing_comma(true);
    table.insert("menu", value(array));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::testing::parse_profile;

    /// A plain id, a labelled model with a chain, and a whole provider.
    fn sample() -> crate::config::Profile {
        parse_profile(
            r#"main = "m"
menu = ["a", { provider = "k", model = "b", label = "B", fallbacks = ["a"] }, { provider = "o", models = "all" }]"#,
            &["k", "o"],
        )
    }

    #[test]
    fn a_written_menu_reads_back_the_same() {
        let profile = sample();
        let mut table = Table::new();
        apply(&mut table, &profile.menu);
        let written = table.to_string();
        assert!(
            written.contains("menu = [\n  { provider = \"p\", model = \"a\" },\n"),
            "{written}"
        );
        let again = parse_profile(&format!("main = \"m\"\n{written}"), &["k", "o"]);
        assert_eq!(again.menu, profile.menu);
        apply(&mut table, &[]);
        assert!(!table.contains_key("menu"));
    }

    /// Lists and `profile show --json` say what the file says.
    #[test]
    fn items_show_label_target_and_chain() {
        let profile = sample();
        let shown: Vec<String> = profile.menu.iter().map(MenuItem::text).collect();
        assert_eq!(shown, ["p/a", "B (k/b) → p/a", "o/* (all models)"]);
        let json = serde_json::to_value(&profile.menu).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                { "provider": "p", "model": "a" },
                { "provider": "k", "model": "b", "label": "B", "fallbacks": [{ "provider": "p", "model": "a" }] },
                { "provider": "o", "models": "all" },
            ]),
            "as the file writes them"
        );
    }
}
