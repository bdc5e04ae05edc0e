//! `GET /v1/models`: the profile's slots, for Claude Code's gateway model
//! discovery (`CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY`, which `ccswitch
//! run` sets), so `/model` lists them under their real names.

use std::sync::Arc;

use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::proxy::body::{Body, json_response};
use crate::proxy::route::discovery_id;
use crate::proxy::state::State;
use crate::t;

/// Anthropic's list format; one entry per slot, then the menu's models,
/// the same model on the same provider listed once.
pub fn handle(state: &Arc<State>) -> Response<Body> {
    let profile = &state.cfg.profile;
    let mut seen: Vec<(&str, &str)> = Vec::new();
    let mut data: Vec<Value> = Vec::new();
    let provider_name = |p: &str| {
        state
            .cfg
            .upstreams
            .get(p)
            .map_or(p.to_string(), |u| u.provider.display_name.clone())
    };
    for (name, slot) in profile.slots() {
        if seen.contains(&(slot.provider.as_str(), slot.model.as_str())) {
            continue;
        }
        seen.push((&slot.provider, &slot.model));
        data.push(json!({
            "type": "model",
            "id": discovery_id(name, &slot.model),
            "display_name": format!("{} · {}", slot.model, provider_name(&slot.provider)),
            "description": t!("proxy.model_description", slot = name, profile = profile.name),
            "created_at": "2025-01-01T00:00:00Z",
        }));
    }
    for e in state.cfg.menu.entries() {
        if seen.contains(&(e.slot.provider.as_str(), e.slot.model.as_str())) {
            continue;
        }
        seen.push((&e.slot.provider, &e.slot.model));
        let shown = e.label.as_deref().unwrap_or(&e.slot.model);
        data.push(json!({
            "type": "model",
            "id": e.id,
            "display_name": format!("{shown} · {}", provider_name(&e.slot.provider)),
            "description": t!("proxy.menu_description", model = e.slot.model, profile = profile.name),
            "created_at": "2025-01-01T00:00:00Z",
        }));
    }
    let body = json!({
        "first_id": data.first().map(|m| m["id"].clone()),
        "last_id": data.last().map(|m| m["id"].clone()),
        "data": data,
        "has_more": false,
    });
    json_response(StatusCode::OK, body.to_string().into())
}
