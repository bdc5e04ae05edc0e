//! `GET /v1/models`.

use std::sync::Arc;

use http::{Response, StatusCode};
use serde_json::{Value, json};

use crate::proxy::body::{Body, json_response};
use crate::proxy::state::State;

/// `GET /v1/models`: the profile's models in Anthropic's list format.
pub fn handle(state: &Arc<State>) -> Response<Body> {
    let mut seen = Vec::new();
    for (_, slot) in state.cfg.profile.slots() {
        if !seen.contains(&slot.model) {
            seen.push(slot.model.clone());
        }
    }
    let data: Vec<Value> = seen
        .iter()
        .map(|id| json!({"type": "model", "id": id, "display_name": id, "created_at": "2025-01-01T00:00:00Z"}))
        .collect();
    let body = json!({
        "data": data,
        "has_more": false,
        "first_id": seen.first(),
        "last_id": seen.last(),
    });
    json_response(StatusCode::OK, body.to_string().into())
}
