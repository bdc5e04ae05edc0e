//! `GET /v1/ccswitch/me` on a team gateway: who the presented key is, and
//! what is left of each budget it counts against today and this month. A
//! member's ccswitch reads it as its provider's balance, so the TUI,
//! `ccswitch test` and the status line show what the member has left.

use std::sync::Arc;
use std::time::SystemTime;

use http::{Request, Response};
use serde_json::{Value, json};

use crate::gateway::auth::Principal;
use crate::gateway::store::Budgets;
use crate::gateway::store::spend::{ScopeSpent, civil, utc_day};
use crate::proxy::body::{Body, json_response};
use crate::proxy::error::ProxyError;
use crate::proxy::state::State;
use crate::t;

pub async fn handle<B>(state: &Arc<State>, req: Request<B>) -> Result<Response<Body>, ProxyError> {
    let (Some(member), Some(budgeter)) = (
        req.extensions().get::<Arc<Principal>>(),
        &state.cfg.gate_budget,
    ) else {
        return Err(ProxyError::NotFound(t!("proxy.me_members_only")));
    };
    let now = SystemTime::now();
    let spent = budgeter.spent(member.owner, now).await.map_err(|e| {
        state.log(&format!("warning: {}: {e}", t!("gateway.budget_unchecked")));
        ProxyError::Unavailable(t!("gateway.budget_unchecked"))
    })?;
    let (y, m, d) = civil(utc_day(now));
    let mut budgets = Vec::new();
    let scopes = [
        ("key", &member.key_prefix, member.budgets, spent.key),
        (
            "member",
            &member.member,
            member.member_budgets,
            spent.member,
        ),
        ("team", &member.team, member.team_budgets, spent.team),
    ];
    for (scope, name, limits, used) in scopes {
        budgets.extend(lines(scope, name, limits, used));
    }
    let least = budgets
        .iter()
        .filter_map(|b| b["left_usd"].as_f64())
        .min_by(f64::total_cmp);
    let body = json!({
        "member": member.member,
        "team": member.team,
        "key_prefix": member.key_prefix,
        "profiles": member.allowed_profiles,
        "day": format!("{y:04}-{m:02}-{d:02}"),
        "budgets": budgets,
        "left_usd": least,
        "rate_limits": {"rpm": member.limits.rpm, "tpm": member.limits.tpm},
    });
    Ok(json_response(
        http::StatusCode::OK,
        bytes::Bytes::from(body.to_string()),
    ))
}

/// One entry per limit a scope has: its limit, spent and what is left
/// (never below zero).
fn lines(scope: &str, name: &str, limits: Budgets, used: ScopeSpent) -> Vec<Value> {
    [
        ("daily", limits.daily_usd, used.day_usd),
        ("monthly", limits.monthly_usd, used.month_usd),
    ]
    .into_iter()
    .filter_map(|(period, limit, spent)| {
        let limit = limit?;
        Some(json!({
            "scope": scope,
            "name": name,
            "period": period,
            "limit_usd": limit,
            "spent_usd": spent,
            "left_usd": (limit - spent).max(0.0),
        }))
    })
    .collect()
}
