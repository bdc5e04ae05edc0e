//! `ccswitch test PROFILE`: a real, tiny conversation through the same
//! proxy and translation `ccswitch run` uses, reported step by step in
//! user terms (reached, authenticated, model accepted, streamed text, tool
//! call, tool result round trip, latency).

use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Value, json};

use crate::ctx::Ctx;
use crate::launch::proxied::{Options, Proxied};
use crate::proxy::translate::anthropic::{Delta, Event, OutBlock};
use crate::proxy::translate::sse::SseDecoder;
use crate::t;

#[derive(Clone, Debug, Serialize)]
pub struct ProbeStep {
    /// Stable id for `--json` (`reach`, `auth`, `model`, `stream`, `tool`, `tool_result`).
    pub id: &'static str,
    pub ok: bool,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ms: Option<u64>,
}

pub(crate) fn step(id: &'static str, ok: bool, detail: String, ms: Option<u64>) -> ProbeStep {
    ProbeStep { id, ok, detail, ms }
}

/// What one streamed request gave back.
pub(crate) struct ProbeAnswer {
    pub(crate) text: String,
    tool: Option<(String, String, Value)>,
    pub(crate) first_token: Option<Duration>,
    total: Duration,
}

/// Send one streamed Messages request to the proxy and collect the answer,
/// or the error (status and message) it failed with.
async fn ask(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    body: Value,
) -> Result<ProbeAnswer, (u16, String)> {
    let t0 = Instant::now();
    let resp = http
        .post(format!("{base}/v1/messages"))
        .bearer_auth(token)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .map_err(|e| (0, e.to_string()))?;
    let status = resp.status().as_u16();
    if status != 200 {
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        let msg = v
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        return Err((status, msg));
    }
    let mut resp = resp;
    let mut dec = SseDecoder::new();
    let mut a = ProbeAnswer {
        text: String::new(),
        tool: None,
        first_token: None,
        total: Duration::ZERO,
    };
    let mut tool_json = String::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| (0, e.to_string()))? {
        for ev in dec.push(&chunk) {
            let Ok(ev) = serde_json::from_str::<Event>(&ev.data) else {
                continue;
            };
            match ev {
                Event::ContentBlockStart {
                    content_block: OutBlock::ToolUse { id, name, .. },
                    ..
                } => {
                    a.tool = Some((id, name, Value::Null));
                }
                Event::ContentBlockDelta { delta, .. } => {
                    a.first_token.get_or_insert(t0.elapsed());
                    match delta {
                        Delta::TextDelta { text } => a.text.push_str(&text),
                        Delta::InputJsonDelta { partial_json } => tool_json.push_str(&partial_json),
                        _ => {}
                    }
                }
                Event::Error { error } => return Err((200, error.message)),
                _ => {}
            }
        }
    }
    if let Some(tool) = a.tool.as_mut() {
        tool.2 = serde_json::from_str(&tool_json).unwrap_or(Value::Null);
    }
    a.total = t0.elapsed();
    Ok(a)
}

/// What the provider's own model list says about a model its messages
/// endpoint answered 404 for: the model is unknown, or the request went to
/// the wrong place (base URL, API kind), which a 404 alone cannot tell.
pub enum Listed {
    /// The model is listed: the messages URL or the API kind is wrong.
    Has,
    /// Not listed; the closest listed id, when one is close.
    Lacks(Option<String>),
    /// The list failed too; why.
    Failed(String),
}

/// `model` looked up in `provider`'s list, with the key a launch would
/// use; `None` where the API has no list (Bedrock, Vertex).
pub(crate) async fn listed(
    ctx: &Ctx,
    cfg: &crate::config::Config,
    provider: &str,
    model: &str,
) -> Option<Listed> {
    use crate::proxy::upstream::models::{check_supported, list_models_within};
    let p = cfg.provider(provider).ok()?.clone();
    check_supported(p.api, &p.name).ok()?;
    let key = ctx
        .secrets
        .resolve(&p, &*ctx.env)
        .ok()
        .flatten()
        .map(|k| k.secret);
    let up = crate::proxy::upstream::Upstream::new(p, key).ok()?;
    Some(
        match list_models_within(&up, Duration::from_secs(10)).await {
            Ok(ids) if ids.iter().any(|id| id == model) => Listed::Has,
            Ok(ids) => Listed::Lacks(
                crate::config::error::closest(model, ids.iter().map(String::as_str))
                    .map(str::to_string),
            ),
            Err(e) => Listed::Failed(e.to_string()),
        },
    )
}

/// Turn a failed first request into the steps it decides, in user terms;
/// `listed` is asked only for a 404.
async fn failure_steps(
    status: u16,
    message: &str,
    listed: impl AsyncFnOnce() -> Option<Listed>,
) -> Vec<ProbeStep> {
    let raw = if message.is_empty() {
        format!("HTTP {status}")
    } else {
        message.to_string()
    };
    let (reach, auth, model) = match status {
        0 | 502 | 504 => (Some(t!("probe.unreachable", raw = raw)), None, None),
        // 424: the proxy's word for the provider refusing the key.
        401 | 403 | 424 => (None, Some(t!("probe.bad_key", raw = raw)), None),
        402 => (None, Some(t!("probe.no_credit", raw = raw)), None),
        404 => {
            let why = match listed().await {
                Some(Listed::Has) => t!("probe.listed_but_404", raw = raw),
                Some(Listed::Lacks(Some(near))) => {
                    t!("probe.bad_model_near", near = near, raw = raw)
                }
                Some(Listed::Failed(list)) => t!("probe.wrong_place", list = list, raw = raw),
                Some(Listed::Lacks(None)) | None => t!("probe.bad_model", raw = raw),
            };
            (None, None, Some(why))
        }
        _ => (None, None, Some(t!("probe.other", raw = raw))),
    };
    let mut out = Vec::new();
    match reach {
        Some(why) => return vec![step("reach", false, why, None)],
        None => out.push(step("reach", true, String::new(), None)),
    }
    match auth {
        Some(why) => {
            out.push(step("auth", false, why, None));
            return out;
        }
        None => out.push(step("auth", true, String::new(), None)),
    }
    out.push(step("model", false, model.unwrap_or_default(), None));
    out
}

/// A client for the hop to ccswitch's own proxy. That hop is loopback: a
/// corporate HTTP_PROXY without loopback in NO_PROXY would get the session
/// token and the prompt, and the test would blame the provider.
pub(crate) fn local_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .map_err(|e| e.to_string())
}

/// The first and smallest request: one streamed word.
pub(crate) async fn pong(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    model: &str,
) -> Result<ProbeAnswer, (u16, String)> {
    let body = json!({
        "model": model, "max_tokens": 256, "stream": true,
        "messages": [{"role": "user", "content": "Reply with exactly one word: pong"}],
    });
    ask(http, base, token, body).await
}

/// Start the proxy for `profile` of `cfg` in-process, as `ccswitch run`
/// does but keeping no record (a probe is not usage, and must not trip or
/// note a breaker), run `f` against it (its base URL and token), and stop
/// it.
pub(crate) async fn with_proxy<T>(
    ctx: &Ctx,
    cfg: &crate::config::Config,
    profile: &str,
    f: impl AsyncFnOnce(&str, &str) -> T,
) -> Result<T, String> {
    use secrecy::ExposeSecret;
    let token = crate::proxy::new_token();
    let profile = cfg.profile(profile).map_err(|e| e.to_string())?;
    let options = Options {
        gateway: None,
        admit_first: false,
        tls: None,
        addr: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        token: token.clone(),
        log: std::sync::Arc::new(|_: &str| {}),
        log_notes: false,
        record: None,
    };
    let proxied = Proxied::start(ctx, cfg, profile, options)
        .await
        .map_err(|e| e.to_string())?;
    let base = format!("http://{}", proxied.addr());
    let out = f(&base, token.expose_secret()).await;
    proxied.close().await;
    Ok(out)
}

/// Run the probe against a running proxy; `listed` tells a 404's cause.
pub async fn probe(
    base: &str,
    token: &str,
    model: &str,
    listed: impl AsyncFnOnce() -> Option<Listed>,
) -> Vec<ProbeStep> {
    let http = match local_client() {
        Ok(h) => h,
        Err(e) => return failure_steps(0, &e, async || None).await,
    };
    let a = match pong(&http, base, token, model).await {
        Ok(a) => a,
        Err((status, msg)) => return failure_steps(status, &msg, listed).await,
    };
    let ms = |d: Option<Duration>| d.map(|d| d.as_millis() as u64);
    let mut steps = vec![
        step("reach", true, String::new(), None),
        step("auth", true, String::new(), None),
        step("model", true, model.to_string(), None),
        step(
            "stream",
            !a.text.trim().is_empty(),
            t!(
                "probe.streamed",
                text = a.text.trim().chars().take(60).collect::<String>(),
                total = a.total.as_millis()
            ),
            ms(a.first_token),
        ),
    ];
    let tool = json!({
        "name": "echo_number",
        "description": "Echo a number back to the user.",
        "input_schema": {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
    });
    let ask_tool = json!({
        "model": model, "max_tokens": 256, "stream": true, "tools": [tool.clone()],
        "tool_choice": {"type": "any"},
        "messages": [{"role": "user", "content": "Call echo_number with n = 42."}],
    });
    let call = match ask(&http, base, token, ask_tool).await {
        Ok(ProbeAnswer {
            tool: Some(call), ..
        }) => call,
        Ok(_) => {
            steps.push(step("tool", false, t!("probe.no_tool_call"), None));
            return steps;
        }
        Err((status, msg)) => {
            steps.push(step(
                "tool",
                false,
                t!("probe.other", raw = format!("HTTP {status}: {msg}")),
                None,
            ));
            return steps;
        }
    };
    let (id, name, input) = call;
    steps.push(step(
        "tool",
        input.get("n").and_then(Value::as_i64) == Some(42),
        format!("{name} {input}"),
        None,
    ));
    let follow = json!({
        "model": model, "max_tokens": 256, "stream": true, "tools": [tool],
        "messages": [
            {"role": "user", "content": "Call echo_number with n = 42."},
            {"role": "assistant", "content": [{"type": "tool_use", "id": id, "name": name, "input": input}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "content": "42"}]},
        ],
    });
    match ask(&http, base, token, follow).await {
        Ok(a) => steps.push(step(
            "tool_result",
            !a.text.trim().is_empty() || a.tool.is_some(),
            a.text.trim().chars().take(60).collect(),
            None,
        )),
        Err((status, msg)) => steps.push(step(
            "tool_result",
            false,
            t!("probe.other", raw = format!("HTTP {status}: {msg}")),
            None,
        )),
    }
    steps
}

/// The config with `profile` narrowed to one target in every slot: a check
/// of that target alone, with no fallback or route to hide its failure.
pub(crate) fn narrowed(
    cfg: &crate::config::Config,
    profile: &crate::config::Profile,
    provider: &str,
    model: &str,
) -> crate::config::Config {
    let mut one = cfg.clone();
    let mut p = profile.clone();
    p.provider = provider.to_string();
    p.main = crate::config::Slot::single(provider, model);
    p.fast = p.main.clone();
    (p.opus, p.sonnet, p.haiku) = (None, None, None);
    (p.subagent, p.vision, p.long_context, p.classifier) = (None, None, None, None);
    one.profiles.insert(p.name.clone(), p);
    one
}

/// Start the proxy for `profile` in-process (as `ccswitch run` does),
/// probe it, and stop it. Blocks; run it off any UI thread. Only the main
/// slot's first target is asked: a fallback answering for it would hide
/// its failure.
pub fn probe_profile(
    ctx: &Ctx,
    cfg: &crate::config::Config,
    profile: &str,
) -> Result<Vec<ProbeStep>, String> {
    let p = cfg.profile(profile).map_err(|e| e.to_string())?;
    let (provider, model) = (p.main.provider.clone(), p.main.model.clone());
    let cfg = &narrowed(cfg, p, &provider, &model);
    let rt = crate::proxy::runtime().map_err(|e| e.to_string())?;
    rt.block_on(with_proxy(ctx, cfg, profile, async |base, token| {
        probe(base, token, &model, async || {
            listed(ctx, cfg, &provider, &model).await
        })
        .await
    }))
}

/// What a step checks, in the user's language.
pub fn step_label(id: &str) -> &'static str {
    crate::i18n::text(match id {
        "target" => "probe.step_target",
        "serves" => "probe.step_serves",
        "breaker" => "probe.step_breaker",
        "reach" => "probe.step_reach",
        "auth" => "probe.step_auth",
        "model" => "probe.step_model",
        "stream" => "probe.step_stream",
        "tool" => "probe.step_tool",
        _ => "probe.step_tool_result",
    })
}

/// Human-readable lines for a probe result.
pub fn render(profile: &str, provider: &str, model: &str, steps: &[ProbeStep]) -> Vec<String> {
    let mut out = vec![t!(
        "probe.header",
        profile = profile,
        provider = provider,
        model = model
    )];
    for s in steps {
        let mark = if s.ok {
            t!("probe.ok")
        } else {
            t!("probe.fail")
        };
        let label = step_label(s.id);
        let mut line = format!("  {mark:<5} {label:<24} {}", s.detail);
        if let Some(ms) = s.ms {
            line.push_str(&t!("probe.first_token", ms = ms));
        }
        out.push(line.trim_end().to_string());
    }
    out
}
