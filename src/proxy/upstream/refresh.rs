//! A command key that expires (`key = { command = "...", ttl = "15m" }`):
//! the command runs again once the key is older than its TTL, before the
//! request that finds it so, and at once when the provider answers 401,
//! as Claude Code's own `apiKeyHelper` does with its TTL. Requests that
//! arrive during a run wait for that one run instead of starting more.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use http::HeaderValue;
use secrecy::ExposeSecret;

use crate::config::AuthStyle;
use crate::secrets::{COMMAND_TIMEOUT, Redactor, run_key_command};
use crate::t;

/// After a failed run the old key is kept; the next try waits this long
/// (or the TTL, if shorter), so a broken command is not run per request.
const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(30);

pub struct Refresh {
    provider: String,
    command: String,
    ttl: Duration,
    /// `Bearer ` for Authorization, nothing for `x-api-key`/`api-key`.
    prefix: &'static str,
    state: Mutex<State>,
    /// One run at a time.
    gate: tokio::sync::Mutex<()>,
    /// Learns each new key, so logs and errors mask it too.
    pub redactor: Option<Arc<Redactor>>,
    pub log: Option<crate::usage::LogFn>,
}

struct State {
    header: HeaderValue,
    /// When the key in `header` was fetched, or when to try again.
    due: Instant,
    /// Bumped by each run that got a key, so a request can tell whether
    /// the key changed since it was sent.
    generation: u64,
}

impl Refresh {
    pub fn new(
        provider: &str,
        command: &str,
        ttl: Duration,
        prefix: &'static str,
        header: HeaderValue,
    ) -> Refresh {
        Refresh {
            provider: provider.to_string(),
            command: command.to_string(),
            ttl,
            prefix,
            state: Mutex::new(State {
                header,
                due: Instant::now() + ttl,
                generation: 0,
            }),
            gate: tokio::sync::Mutex::new(()),
            redactor: None,
            log: None,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The auth header to send, and its generation.
    pub fn current(&self) -> (HeaderValue, u64) {
        let s = self.state();
        (s.header.clone(), s.generation)
    }

    /// Run the command first if the key is past its TTL.
    pub async fn fresh(&self) {
        if Instant::now() >= self.state().due {
            self.run(None).await;
        }
    }

    /// The provider refused the key of generation `sent`: fetch another,
    /// unless a run already did since. Whether a new key is there to try.
    pub async fn refused(&self, sent: u64) -> bool {
        self.run(Some(sent)).await;
        self.state().generation != sent
    }

    /// `refused`: the generation the provider refused (run unless it has
    /// changed); `None`: run if still due.
    async fn run(&self, refused: Option<u64>) {
        let _one = self.gate.lock().await;
        {
            let s = self.state();
            let wanted = match refused {
                Some(g) => s.generation == g,
                None => Instant::now() >= s.due,
            };
            if !wanted {
                return;
            }
        }
        let (provider, command) = (self.provider.clone(), self.command.clone());
        // A process and a wait: off the proxy's thread.
        let got = tokio::task::spawn_blocking(move || {
            run_key_command(&provider, &command, COMMAND_TIMEOUT)
        })
        .await;
        let key = match got {
            Ok(Ok(key)) => key,
            Ok(Err(e)) => return self.failed(&e.to_string()),
            Err(e) => return self.failed(&e.to_string()),
        };
        let value = format!("{}{}", self.prefix, key.expose_secret());
        let Ok(mut header) = HeaderValue::from_str(&value) else {
            return self.failed(&t!("proxy.key_refresh_bad_value"));
        };
        header.set_sensitive(true);
        if let Some(r) = &self.redactor {
            r.learn(key.expose_secret());
        }
        let mut s = self.state();
        s.header = header;
        s.due = Instant::now() + self.ttl;
        s.generation += 1;
    }

    fn failed(&self, why: &str) {
        if let Some(log) = &self.log {
            log(&t!(
                "proxy.key_refresh_failed",
                provider = self.provider,
                error = why
            ));
        }
        self.state().due = Instant::now() + self.ttl.min(RETRY_AFTER_FAILURE);
    }
}

/// The header a key goes in for this auth style, and what precedes the key
/// in its value.
pub(super) fn auth_header(style: AuthStyle) -> Option<(&'static str, &'static str)> {
    match style {
        AuthStyle::Bearer => Some(("authorization", "Bearer ")),
        AuthStyle::XApiKey => Some(("x-api-key", "")),
        AuthStyle::ApiKey => Some(("api-key", "")),
        AuthStyle::None => None,
    }
}
