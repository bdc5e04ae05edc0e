//! Who may come in: the session token, or, on a team gateway (`serve
//! --gateway`), a member's virtual key, checked against the gateway's
//! store (answers cached for at most 5 s, so a revoked key is refused by
//! every replica within that).

use std::sync::Arc;
use std::time::SystemTime;

use http::HeaderMap;

use super::auth::{authorized, presented};
use super::error::ProxyError;
use super::state::State;
use crate::gateway::auth::{Principal, Refusal};
use crate::t;

/// `None`: the session token (the operator). `Some`: a member's key that
/// may use this profile.
pub async fn admit(
    state: &State,
    headers: &HeaderMap,
) -> Result<Option<Arc<Principal>>, ProxyError> {
    if authorized(&state.cfg.token, headers) {
        return Ok(None);
    }
    let (Some(gateway), Some(key)) = (&state.cfg.gateway, presented(headers).next()) else {
        return Err(ProxyError::Unauthorized(t!("proxy.bad_token")));
    };
    match gateway.authenticate(key, SystemTime::now()).await {
        Ok(p) if p.may_use(&state.cfg.profile.name) => Ok(Some(Arc::new(p))),
        Ok(p) => {
            state.gate_stats.refused("profile");
            state.log(&t!(
                "proxy.gateway_refused",
                kind = "profile",
                prefix = p.key_prefix
            ));
            Err(ProxyError::Forbidden(t!(
                "proxy.gateway_profile",
                prefix = p.key_prefix,
                profile = state.cfg.profile.name
            )))
        }
        Err(r) => {
            // The prefix only: the key itself never reaches a log.
            let prefix = crate::gateway::keys::prefix_named(key);
            state.gate_stats.refused(r.kind());
            state.log(&t!(
                "proxy.gateway_refused",
                kind = r.kind(),
                prefix = prefix
            ));
            Err(match r {
                Refusal::Unavailable(_) => ProxyError::Unavailable(r.to_string()),
                _ => ProxyError::Unauthorized(r.to_string()),
            })
        }
    }
}
