//! The web search backend: set, and its key found (no search is run: the
//! doctor must not spend a paid search or reach out for a backend that may
//! be on another network).

use super::check::{Check, Status, check};
use crate::config::Config;
use crate::config::redact::masked;
use crate::ctx::Ctx;
use crate::proxy::setup::SearchSetup;
use crate::proxy::translate::web_search::searches_itself;
use crate::t;

/// `None` when no profile would need the proxy's search (every provider
/// runs web search itself, or there are no profiles).
pub fn search(ctx: &Ctx, cfg: &Config) -> Option<Check> {
    let needed = cfg.profiles.values().any(|p| {
        cfg.providers
            .get(&p.main.provider)
            .is_some_and(|pr| pr.proxied() && !searches_itself(pr.api, &pr.quirks))
    });
    let Some(s) = &cfg.search else {
        return needed.then(|| {
            check(
                "search",
                Status::Warn,
                t!("doctor.search_none"),
                Some(t!("doctor.search_none_fix")),
            )
        });
    };
    Some(match SearchSetup::new(cfg, &ctx.secrets, &*ctx.env) {
        SearchSetup::Ready(_) => check(
            "search",
            Status::Ok,
            t!(
                "doctor.search_ok",
                backend = s.kind.name(),
                url = masked(&s.url)
            ),
            None,
        ),
        SearchSetup::Broken(why) => check(
            "search",
            Status::Fail,
            t!("doctor.search_broken", backend = s.kind.name(), error = why),
            Some(t!("doctor.search_broken_fix", backend = s.kind.name())),
        ),
        SearchSetup::Off => return None,
    })
}
