//! A provider's balance as `ccswitch test` and `doctor` report it: from the
//! shared cache while a minute fresh, else asked with the key a launch
//! would use.

use std::time::Duration;

use serde::Serialize;

use crate::config::Provider;
use crate::ctx::Ctx;
use crate::proxy::Upstream;
use crate::proxy::upstream::balance::{Balance, BalanceEndpoint, cache};
use crate::t;

/// The provider's balance entry; `None` when it publishes none or no key
/// is found (the key checks say so already).
pub async fn entry(ctx: &Ctx, p: &Provider, limit: Duration) -> Option<cache::Entry> {
    BalanceEndpoint::of(p)?;
    let key = ctx.secrets.resolve(p, &*ctx.env).ok().flatten()?.secret;
    let up = Upstream::new(p.clone(), Some(key)).ok()?;
    let path = cache::path(&ctx.paths.data_dir);
    Some(cache::current(&path, &up, (ctx.now)(), limit).await)
}

/// Whether the provider's balance can be asked without anyone there to
/// answer a prompt: it publishes one, and its key is not a command's (a
/// password manager may prompt, as the status line and the TUI's timer
/// must not make it).
pub fn asked_unprompted(p: &Provider) -> bool {
    BalanceEndpoint::of(p).is_some() && p.key.command.is_none()
}

/// `ccswitch test`'s line after the steps.
pub fn test_line(p: &Provider, e: &cache::Entry) -> Option<String> {
    let provider = &p.display_name;
    match (e.balance.as_ref().and_then(Balance::shown), &e.error) {
        (Some(b), _) => Some(t!("probe.balance", provider = provider, balance = b)),
        (None, Some(err)) => Some(t!(
            "probe.balance_unknown",
            provider = provider,
            error = err
        )),
        (None, None) => None,
    }
}

/// `ccswitch test --json`'s step after the others: the line the text
/// prints, with the amounts as data.
#[derive(Clone, Debug, Serialize)]
pub struct BalanceStep {
    /// Always `balance`, beside the probe's step ids.
    pub id: &'static str,
    /// False only when the provider says the key cannot spend (its 402 has
    /// failed the auth step already): an unknown balance fails nothing.
    pub ok: bool,
    pub detail: String,
    /// The last balance had, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance: Option<Balance>,
    /// When that balance was had (RFC 3339): the last ask may have failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    /// Why the last ask failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The step for [`test_line`]'s line; `None` where it has no line.
pub fn test_step(p: &Provider, e: &cache::Entry) -> Option<BalanceStep> {
    let detail = test_line(p, e)?;
    Some(BalanceStep {
        id: "balance",
        ok: !e.balance.as_ref().is_some_and(|b| b.empty),
        detail,
        at: e
            .balance
            .as_ref()
            .map(|_| humantime::format_rfc3339_seconds(e.had()).to_string()),
        balance: e.balance.clone(),
        error: e.error.clone(),
    })
}
