//! `ccswitch route explain PROFILE [FILE...]`: where each kind of Claude
//! Code request would go and why, decided by the same functions the proxy
//! uses, so the explanation cannot drift from what happens.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use super::args::ExplainArgs;
use super::error::CliError;
use super::table::{Table, json};
use crate::config::{Config, Profile};
use crate::ctx::Ctx;
use crate::proxy::menu::Menu;
use crate::proxy::route::{
    Fits, by_content, estimate_input, has_image_block, route, system_marks_subagent,
};
use crate::proxy::translate::common::estimate_tokens;
use crate::t;

/// A request as routing sees it.
struct Sample {
    label: String,
    model: String,
    subagent: bool,
    images: bool,
    /// Estimated input tokens.
    tokens: u64,
}

/// A typical captured main turn is about 20 KB (system prompt and tools).
const TURN_BYTES: usize = 20_000;

/// The kinds of request Claude Code sends, with the model names a
/// `ccswitch run` session makes it use.
fn kinds(cfg: &Config, p: &Profile, menu: &Menu) -> Vec<Sample> {
    let sample = |key: &str, model: &str, subagent, images, bytes| Sample {
        label: crate::i18n::text(key).to_string(),
        model: model.to_string(),
        subagent,
        images,
        tokens: estimate_tokens(bytes),
    };
    let sub_model = p.subagent.as_ref().unwrap_or(&p.main).model.as_str();
    let mut out = vec![
        sample("route.kind_main", &p.main.model, false, false, TURN_BYTES),
        sample("route.kind_fast", &p.fast.model, false, false, 3_000),
        sample(
            "route.kind_opus",
            "claude-opus-4-5",
            false,
            false,
            TURN_BYTES,
        ),
        sample(
            "route.kind_sonnet",
            "claude-sonnet-4-5",
            false,
            false,
            TURN_BYTES,
        ),
        sample(
            "route.kind_haiku",
            "claude-haiku-4-5",
            false,
            false,
            TURN_BYTES,
        ),
        sample("route.kind_subagent", sub_model, true, false, 12_000),
        sample(
            "route.kind_agent_haiku",
            "claude-haiku-4-5",
            true,
            false,
            12_000,
        ),
        sample("route.kind_image", &p.main.model, false, true, TURN_BYTES),
    ];
    for e in menu.entries() {
        let shown = e.label.as_deref().unwrap_or(&e.slot.model);
        out.push(Sample {
            label: t!("route.kind_menu", model = shown),
            ..sample("route.kind_main", &e.id, false, false, TURN_BYTES)
        });
    }
    let provider = cfg.providers.get(&p.main.provider);
    if let Some(context) = Fits::of(provider, &p.main.model, p).context {
        let bytes =
            usize::try_from(context.saturating_add(1).saturating_mul(4)).unwrap_or(usize::MAX);
        out.push(Sample {
            label: t!("route.kind_long", tokens = context),
            ..sample("route.kind_main", &p.main.model, false, false, bytes)
        });
    }
    out
}

/// A request from a file: a Messages body, or a captured request with its
/// headers (a list of `[name, value]` pairs or an object).
fn from_file(path: &std::path::Path) -> Result<Sample, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))?;
    let v: Value = serde_json::from_str(&text)
        .map_err(|e| CliError::Failed(format!("{}: {e}", path.display())))?;
    let (body, headers) = match v.get("body") {
        Some(b) if b.is_object() => (b, v.get("headers")),
        _ => (&v, None),
    };
    let header = |name: &str| match headers {
        Some(Value::Array(pairs)) => pairs.iter().any(|p| {
            p.get(0)
                .and_then(Value::as_str)
                .is_some_and(|k| k.eq_ignore_ascii_case(name))
        }),
        Some(Value::Object(m)) => m.keys().any(|k| k.eq_ignore_ascii_case(name)),
        _ => false,
    };
    let system = body.get("system").map(Value::to_string).unwrap_or_default();
    let messages = body
        .get("messages")
        .map(Value::to_string)
        .unwrap_or_default();
    Ok(Sample {
        label: path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        model: body
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        subagent: header("x-claude-code-agent-id") || system_marks_subagent(&system),
        images: has_image_block(&messages),
        tokens: estimate_input(&messages, body.to_string().len()),
    })
}

#[derive(Serialize)]
struct Decision {
    request: String,
    asks_for: String,
    slot: &'static str,
    /// In fallback order: `provider/model`.
    targets: Vec<String>,
    why: String,
}

fn decide(cfg: &Config, p: &Profile, menu: &Menu, s: &Sample) -> Decision {
    let chosen = route(p, menu, &s.model, s.subagent);
    let provider = cfg.providers.get(&chosen.1.provider);
    let fits = Fits::of(provider, &chosen.1.model, p);
    let estimate = s.tokens;
    let (slot, target) = by_content(p, chosen, &fits, || estimate, || s.images);
    let lower = s.model.to_ascii_lowercase();
    let why = match slot {
        "vision" => t!("route.why_vision", model = chosen.1.model),
        "long_context" => t!(
            "route.why_long",
            tokens = estimate,
            model = chosen.1.model,
            context = fits.context.unwrap_or(0)
        ),
        "subagent" if s.subagent => t!("route.why_subagent"),
        "menu" => t!("route.why_menu"),
        _ if p.slots().iter().any(|(_, x)| x.model == s.model) => t!("route.why_exact"),
        "main" => t!("route.why_main"),
        _ => {
            let family = ["haiku", "opus", "sonnet"]
                .into_iter()
                .find(|f| lower.contains(f))
                .unwrap_or("haiku");
            t!("route.why_alias", family = family)
        }
    };
    Decision {
        request: s.label.clone(),
        asks_for: s.model.clone(),
        slot,
        targets: target.targets().map(|(p, m)| format!("{p}/{m}")).collect(),
        why,
    }
}

pub fn explain(a: &ExplainArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, _) = crate::config::load(&ctx.paths)?;
    let p = cfg.profile(&a.profile)?;
    let menu = Menu::build(p, &std::collections::HashMap::new());
    let samples = if a.files.is_empty() {
        kinds(&cfg, p, &menu)
    } else {
        a.files
            .iter()
            .map(|f| from_file(f))
            .collect::<Result<_, _>>()?
    };
    let decisions: Vec<Decision> = samples.iter().map(|s| decide(&cfg, p, &menu, s)).collect();
    if a.json {
        return json(out, &decisions);
    }
    writeln!(out, "{}", t!("route.header", profile = p.name))?;
    let mut table = Table::new(&[
        crate::i18n::text("route.col_request"),
        crate::i18n::text("route.col_asks"),
        crate::i18n::text("route.col_slot"),
        crate::i18n::text("route.col_targets"),
        crate::i18n::text("route.col_why"),
    ]);
    for d in decisions {
        table.row(vec![
            d.request,
            d.asks_for,
            d.slot.to_string(),
            d.targets.join(" → "),
            d.why,
        ]);
    }
    table.write(out)?;
    Ok(())
}
