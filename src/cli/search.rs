//! `ccswitch search set|show|off|test`: the web search backend that Claude
//! Code's WebSearch uses on providers that cannot search themselves.

use std::io::Write;

use clap::{Args, Subcommand};
use serde_json::json;

use super::error::CliError;
use crate::config::edit::{SearchChange, remove_search, set_search};
use crate::config::redact::masked;
use crate::config::{self, SearchKind, store};
use crate::ctx::Ctx;
use crate::i18n::text;
use crate::proxy::setup::SearchSetup;
use crate::{t, tn};

#[derive(Debug, Subcommand)]
pub enum SearchCmd {
    #[command(about = text("help.search_set"))]
    Set(SetArgs),
    #[command(about = text("help.search_show"))]
    Show {
        #[arg(help = text("help.arg.search_show_json"), long)]
        json: bool,
    },
    #[command(about = text("help.search_off"))]
    Off,
    #[command(about = text("help.search_test"))]
    Test(SearchTestArgs),
}

#[derive(Debug, Args)]
pub struct SetArgs {
    #[arg(help = text("help.arg.search_backend"))]
    pub backend: String,
    #[arg(help = text("help.arg.search_url"), long)]
    pub url: Option<String>,
    #[arg(help = text("help.arg.key_env"), long, conflicts_with = "key_command")]
    pub key_env: Option<String>,
    #[arg(help = text("help.arg.search_key_command"), long)]
    pub key_command: Option<String>,
    #[arg(help = text("help.arg.search_max_results"), long)]
    pub max_results: Option<u32>,
}

#[derive(Debug, Args)]
pub struct SearchTestArgs {
    #[arg(help = text("help.arg.search_test_query"), default_value = "Claude Code")]
    pub query: String,
}

pub fn run(cmd: SearchCmd, ctx: &Ctx, out: &mut dyn Write) -> Result<u8, CliError> {
    match cmd {
        SearchCmd::Set(a) => set(&a, ctx, out)?,
        SearchCmd::Show { json } => show(json, ctx, out)?,
        SearchCmd::Off => {
            let removed =
                store::update(&ctx.paths, |doc, _| Ok::<_, CliError>(remove_search(doc)))?;
            let key = if removed {
                "search.off"
            } else {
                "search.was_off"
            };
            writeln!(out, "{}", crate::i18n::text(key))?;
        }
        SearchCmd::Test(a) => return test(&a.query, ctx, out),
    }
    Ok(0)
}

fn set(a: &SetArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    let kind = SearchKind::parse(&a.backend)
        .ok_or_else(|| CliError::Usage(t!("search.unknown_backend", name = a.backend)))?;
    if kind == SearchKind::Searxng && a.url.is_none() {
        return Err(CliError::Usage(t!("search.needs_url")));
    }
    let keyless = !kind.needs_key();
    if keyless && (a.key_env.is_some() || a.key_command.is_some()) {
        return Err(CliError::Usage(t!("search.no_key_needed")));
    }
    let change = SearchChange {
        kind: Some(kind),
        url: a.url.clone(),
        key_env: a.key_env.clone(),
        key_command: a.key_command.clone(),
        max_results: a.max_results,
    };
    // Checked as a whole (the URL, the key source, the limit) before a key
    // is asked for, so a typo does not cost the user a paste.
    let mut probe = toml_edit::DocumentMut::new();
    set_search(&mut probe, &change);
    // Named as what it is: the new table alone, not the user's file.
    config::parse(
        std::path::Path::new("[search]"),
        &probe.to_string(),
        &config::Presets::builtin(),
    )?;
    if !keyless && a.key_env.is_none() && a.key_command.is_none() {
        let key = super::prompt::read_key(&kind.keyring_entry())?;
        ctx.secrets.keyring.set(&kind.keyring_entry(), &key)?;
    }
    store::update(&ctx.paths, |doc, _| {
        set_search(doc, &change);
        Ok::<_, CliError>(())
    })?;
    writeln!(out, "{}", t!("search.set", backend = kind.name()))?;
    Ok(())
}

fn show(as_json: bool, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let Some(s) = &cfg.search else {
        if as_json {
            writeln!(out, "null")?;
        } else {
            writeln!(out, "{}", crate::i18n::text("search.none"))?;
        }
        return Ok(());
    };
    let key = if !s.kind.needs_key() {
        "-".to_string()
    } else if let Some(env) = &s.key.env {
        format!("env {env}")
    } else if s.key.command.is_some() {
        "command".to_string()
    } else {
        format!("keyring {}", s.kind.keyring_entry())
    };
    // A SearXNG behind basic auth has its password in the address.
    let url = masked(&s.url);
    if as_json {
        let v =
            json!({"backend": s.kind.name(), "url": url, "key": key, "max_results": s.max_results});
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&v).unwrap_or_default()
        )?;
    } else {
        writeln!(
            out,
            "{}",
            t!(
                "search.show",
                backend = s.kind.name(),
                url = url,
                key = key,
                n = s.max_results
            )
        )?;
    }
    Ok(())
}

fn test(query: &str, ctx: &Ctx, out: &mut dyn Write) -> Result<u8, CliError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let backend = match SearchSetup::new(&cfg, &ctx.secrets, &*ctx.env) {
        SearchSetup::Ready(b) => b,
        SearchSetup::Off => return Err(CliError::Usage(t!("proxy.search_off"))),
        SearchSetup::Broken(why) => {
            return Err(CliError::Failed(t!("proxy.search_broken", error = why)));
        }
    };
    let rt = crate::proxy::setup::runtime()?;
    match rt.block_on(backend.search(query)) {
        Ok(hits) => {
            writeln!(out, "{}", tn!("search.results", n = hits.len()))?;
            for h in &hits {
                writeln!(out, "- {}\n  {}", h.title, h.url)?;
            }
            Ok(0)
        }
        Err(e) => {
            writeln!(out, "{}", t!("search.test_failed", error = e))?;
            Ok(1)
        }
    }
}
