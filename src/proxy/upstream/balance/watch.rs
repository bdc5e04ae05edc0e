//! The key pool's balance watch: for each pool whose provider publishes a
//! balance, every key is asked at the proxy's start and then once per
//! [`FRESH`], off the request path, and a key reported empty rests (as a
//! 402 rests it) until the next check says otherwise. Requests never wait
//! for a balance.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::fetch::{TIMEOUT, fetch};
use super::model::{BalanceEndpoint, FRESH};
use crate::proxy::upstream::client::Upstream;
use crate::t;

/// A little past the next check, so an empty key does not come back for a
/// moment between two checks.
const REST: Duration = Duration::from_secs(FRESH.as_secs() + 15);

/// Start watching the pools among `upstreams` that have a balance API;
/// `None` when there is none to watch. Abort the task to stop it.
pub fn spawn(upstreams: Vec<Arc<Upstream>>) -> Option<tokio::task::JoinHandle<()>> {
    let pools: Vec<Arc<Upstream>> = upstreams
        .into_iter()
        .filter(|u| u.pool_size() > 1 && BalanceEndpoint::of(&u.provider).is_some())
        .collect();
    if pools.is_empty() {
        return None;
    }
    Some(tokio::spawn(async move {
        let mut empty: Vec<Vec<bool>> = pools.iter().map(|u| vec![false; u.pool_size()]).collect();
        loop {
            for (up, was) in pools.iter().zip(&mut empty) {
                check(up, was).await;
            }
            tokio::time::sleep(FRESH).await;
        }
    }))
}

/// Ask each key of one pool; rest the empty ones. A key that could not be
/// asked keeps its state: a balance API that is down says nothing about
/// the key. The log names keys by number, and only when one changes.
async fn check(up: &Upstream, was: &mut [bool]) {
    for (i, was) in was.iter_mut().enumerate() {
        let Ok(b) = fetch(up, i, TIMEOUT).await else {
            continue;
        };
        if b.empty {
            up.rest(i, Instant::now() + REST);
        }
        if b.empty != *was {
            *was = b.empty;
            if let Some(log) = &up.log {
                let (provider, key) = (&up.provider.name, i + 1);
                log(&if b.empty {
                    t!("proxy.key_empty", provider = provider, key = key)
                } else {
                    t!("proxy.key_refilled", provider = provider, key = key)
                });
            }
        }
    }
}
