//! A profile's model slots as written: a model id, an inline
//! `{ provider, model }`, or a fallback chain (an array of either).

use toml_edit::{Array, InlineTable, Item, Table, Value, value};

/// A slot value given on the command line or in the TUI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlotValue {
    /// Another provider than the profile's own.
    pub provider: Option<String>,
    pub model: String,
}

/// One target: a plain id on the profile's own provider, else an inline
/// table naming the provider.
fn target(profile_provider: Option<&str>, slot: &SlotValue) -> Value {
    match &slot.provider {
        Some(p) if Some(p.as_str()) != profile_provider => {
            let mut t = InlineTable::new();
            t.insert("provider", p.as_str().into());
            t.insert("model", slot.model.as_str().into());
            Value::InlineTable(t)
        }
        _ => slot.model.as_str().into(),
    }
}

/// A written target as (provider, model), the profile's provider named.
fn read(provider: Option<&str>, v: &Value) -> (String, String) {
    match v {
        Value::InlineTable(t) => (
            t.get("provider")
                .and_then(Value::as_str)
                .or(provider)
                .unwrap_or_default()
                .to_string(),
            t.get("model")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
        ),
        v => (
            provider.unwrap_or_default().to_string(),
            v.as_str().unwrap_or_default().to_string(),
        ),
    }
}

/// Set the slots' first targets, then their fallbacks (see
/// `ProfileChange`).
pub(super) fn apply(
    table: &mut Table,
    provider: Option<&str>,
    slots: &[(&'static str, SlotValue)],
    fallbacks: &[(&'static str, Vec<SlotValue>)],
) {
    for (name, slot) in slots {
        let first = target(provider, slot);
        // A slot with a fallback chain keeps it: setting the slot's model
        // replaces the chain's first target only (peers drop a chain on a
        // manual switch, silently ending failover).
        if let Some(chain) = table.get_mut(name).and_then(Item::as_array_mut)
            && !chain.is_empty()
        {
            chain.replace(0, first);
            continue;
        }
        table.insert(name, value(first));
    }
    for (name, rest) in fallbacks {
        let (first, now) = match table.get(name) {
            Some(Item::Value(Value::Array(chain))) => {
                (chain.get(0).cloned(), chain.iter().collect())
            }
            Some(Item::Value(v)) => (Some(v.clone()), vec![v]),
            _ => (None, Vec::new()),
        };
        // A slot that is not set has no chain to give fallbacks to.
        let Some(mut first) = first else { continue };
        // Already so: the user's layout and comments stay.
        let wanted = rest
            .iter()
            .map(|t| Some(read(provider, &target(provider, t))));
        if now.len() == rest.len() + 1
            && now[1..].iter().map(|v| Some(read(provider, v))).eq(wanted)
        {
            continue;
        }
        first.decor_mut().clear();
        if rest.is_empty() {
            table.insert(name, value(first));
            continue;
        }
        let mut chain = Array::new();
        chain.push_formatted(first);
        for t in rest {
            chain.push(target(provider, t));
        }
        table.insert(name, value(chain));
    }
}
