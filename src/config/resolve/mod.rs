//! Validation: raw file + presets → [`Config`]. Every error points at the
//! line it is about and says how to fix it. Providers (`provider`) and
//! profiles (`profile`) are checked in their own files; the rules the TUI
//! form shares are in `checks`.

mod checks;
mod cx;
mod profile;
mod provider;

use std::ops::Range;
use std::path::Path;

use indexmap::IndexMap;
use toml::Spanned;

pub use self::checks::{
    UrlProblem, check_base_url, proxy_url, valid_env_name, valid_key_command, valid_name,
};
pub use self::cx::expand_home;
use self::cx::{Ctx, hint_names};
use self::profile::resolve_profile;
use self::provider::resolve_provider;
use super::audit::Audit;
use super::error::ConfigError;
use super::model::{CONFIG_VERSION, Config};
use super::presets::Presets;
use super::raw::RawConfig;
use crate::t;

/// `home` is what `~` in the file's paths stands for (`None`: they stay as
/// written).
pub fn resolve(
    raw: RawConfig,
    presets: &Presets,
    file: &Path,
    src: &str,
    home: Option<&Path>,
) -> Result<Config, ConfigError> {
    let cx = Ctx { file, src, home };
    if let Some(v) = &raw.version
        && *v.get_ref() != i64::from(CONFIG_VERSION)
    {
        return Err(cx.invalid(
            v.span(),
            t!(
                "config.bad_version",
                version = v.get_ref(),
                supported = CONFIG_VERSION
            ),
            t!("config.hint_version"),
        ));
    }
    // Bedrock goes through the proxy by default only while the ledger is
    // on; the providers need to know before the profiles are checked.
    let ledger_on = raw.ledger.as_ref().is_none_or(|l| *l.get_ref());
    let providers = each_named(&cx, raw.providers, |name, span, p| {
        resolve_provider(&cx, name, span, p, presets, ledger_on)
    })?;
    let profiles = each_named(&cx, raw.profiles, |name, span, p| {
        resolve_profile(&cx, name, span, p, &providers)
    })?;
    let default = match raw.default {
        Some(d) if !profiles.contains_key(d.get_ref()) => {
            return Err(cx.invalid(
                d.span(),
                t!("config.default_missing", name = d.get_ref()),
                hint_names("config.hint_pick_profile", profiles.keys()),
            ));
        }
        d => d.map(Spanned::into_inner),
    };
    let audit = match raw.audit {
        None => Audit::default(),
        Some(a) => {
            let span = a.span();
            a.into_inner()
                .resolve()
                .map_err(|message| cx.invalid(span, message, t!("config.hint_audit")))?
        }
    };
    let ledger = match raw.ledger {
        Some(l) if !*l.get_ref() => {
            // Budgets are sums over the ledger: without it they could not
            // be kept, and a limit that silently does nothing is worse
            // than none.
            let budgeted = profiles.values().any(|p| p.budget.is_some())
                || providers.values().any(|p| p.budget.is_some());
            if budgeted {
                return Err(cx.invalid(
                    l.span(),
                    t!("config.ledger_budget"),
                    t!("config.hint_ledger_budget"),
                ));
            }
            false
        }
        _ => true,
    };
    let breaker = match raw.breaker {
        None => super::breaker::Breaker::default(),
        Some(b) => {
            let span = b.span();
            b.into_inner().resolve().map_err(|field| {
                cx.invalid(
                    span,
                    t!("config.bad_breaker", field = field),
                    t!("config.hint_breaker"),
                )
            })?
        }
    };
    let search = match raw.search {
        None => None,
        Some(s) => {
            let span = s.span();
            let bad = |message: &str, hint: &str| {
                cx.invalid(
                    span.clone(),
                    crate::i18n::text(message).to_string(),
                    crate::i18n::text(hint).to_string(),
                )
            };
            let s = s
                .into_inner()
                .resolve()
                .map_err(|p| bad(p.message, p.hint))?;
            // The checks providers' URLs and keys get, here where they live.
            if check_base_url(&s.url).is_err() {
                return Err(bad("config.search_bad_url", "config.hint_search_url"));
            }
            let bad_env = s.key.env.as_deref().is_some_and(|e| !valid_env_name(e));
            let bad_cmd = s
                .key
                .command
                .as_deref()
                .is_some_and(|c| !valid_key_command(c));
            if bad_env || bad_cmd {
                return Err(bad("config.search_bad_key", "config.hint_search_key"));
            }
            Some(s)
        }
    };
    Ok(Config {
        version: CONFIG_VERSION,
        default,
        claude_path: raw.claude_path.map(|p| expand_home(&p, home)),
        home: home.map(Path::to_path_buf),
        audit,
        ledger,
        breaker,
        search,
        providers,
        profiles,
    })
}

/// A table of named tables (`[providers.*]`, `[profiles.*]`), each
/// resolved in file order once its name is found valid; the first error
/// stops it.
fn each_named<R, T>(
    cx: &Ctx,
    tables: IndexMap<String, Spanned<R>>,
    mut resolve: impl FnMut(&str, Range<usize>, R) -> Result<T, ConfigError>,
) -> Result<IndexMap<String, T>, ConfigError> {
    let mut out = IndexMap::new();
    for (name, table) in tables {
        let span = table.span();
        if !valid_name(&name) {
            return Err(cx.invalid(
                span,
                t!("config.bad_name", name = name),
                t!("config.hint_name"),
            ));
        }
        let resolved = resolve(&name, span, table.into_inner())?;
        out.insert(name, resolved);
    }
    Ok(out)
}
