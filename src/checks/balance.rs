//! A provider's balance as `ccswitch test` and `doctor` report it: from the
//! shared cache while a minute fresh, else asked with the key a launch
//! would use.

use std::time::Duration;

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
