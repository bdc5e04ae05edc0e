//! One request's log line and usage record, written once when it ends,
//! however it ends: answered, failed, or abandoned by the client.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use super::error::ProxyError;
use super::state::State;
use super::translate::anthropic::Usage;
use bytes::Bytes;

use crate::audit::{AuditEntry, RESPONSE_CAP};
use crate::config::AuditLevel;
use crate::gateway::budget::reservation::{Committed, Reservation};
use crate::usage::budget::checker::Hold;
use crate::usage::prices::Tokens;
use crate::usage::{Attribution, ErrorClass, Record};

/// How long a response's end waits for the store to have its request: a
/// store that is down must not hold answers, only (briefly) their end.
const COMMIT_WAIT: Duration = Duration::from_secs(2);

/// Wait (at most [`COMMIT_WAIT`]) until the store has the request.
pub async fn committed(c: Option<Committed>) {
    if let Some(c) = c {
        let _ = tokio::time::timeout(COMMIT_WAIT, c).await;
    }
}

/// What is known of a request when it is routed.
pub struct RequestMeta<'a> {
    pub requested: &'a str,
    pub slot: &'static str,
    pub provider: &'a str,
    pub model: &'a str,
    pub stream: bool,
    /// Claude Code's session id header.
    pub cc_session: Option<String>,
    /// Claude Code's subagent marker header.
    pub subagent: bool,
    /// Which target of the slot's fallback chain (0: the first).
    pub attempt: u32,
    /// The gateway member and the project it was for, where known.
    pub who: Attribution,
}

/// Logs and records one request when it ends, however it ends.
pub struct Finisher {
    state: Arc<State>,
    line: String,
    provider: String,
    model: String,
    requested: String,
    slot: &'static str,
    cc_session: Option<String>,
    subagent: bool,
    attempt: u32,
    who: Attribution,
    started: Instant,
    at: SystemTime,
    first_token: Option<Duration>,
    notes: Vec<String>,
    finished: bool,
    audit: Option<Capture>,
    /// What the request holds of its budgets until it ends.
    hold: Option<Hold>,
    /// What it holds of its gateway member's budgets.
    spend: Option<Reservation>,
    /// The class when the status alone does not say it (a budget refusal).
    class: Option<ErrorClass>,
}

/// What the audit log keeps of a request while it runs.
struct Capture {
    request: Bytes,
    /// What went to the client, up to the cap (`full` level only).
    response: Option<Vec<u8>>,
    response_bytes: u64,
}

impl Finisher {
    pub fn new(state: Arc<State>, meta: RequestMeta<'_>, started: Instant) -> Finisher {
        let RequestMeta {
            requested,
            slot,
            provider,
            model,
            stream,
            cc_session,
            subagent,
            attempt,
            who,
        } = meta;
        let kind = if stream { "stream" } else { "json" };
        Finisher {
            state,
            line: format!("{requested} -> {slot} {provider}/{model} {kind}"),
            provider: provider.to_string(),
            model: model.to_string(),
            requested: requested.to_string(),
            slot,
            cc_session,
            subagent,
            attempt,
            who,
            started,
            at: SystemTime::now(),
            first_token: None,
            notes: Vec::new(),
            finished: false,
            audit: None,
            hold: None,
            spend: None,
            class: None,
        }
    }

    /// The request holds this of its budgets until it ends.
    pub fn hold(&mut self, hold: Option<Hold>) {
        self.hold = hold;
    }

    /// The request holds this of its gateway member's budgets until it
    /// ends, when its cost is counted against them.
    pub fn spend(&mut self, r: Reservation) {
        self.spend = Some(r);
    }

    /// Keep the request (and from now on what is sent back) for the audit
    /// log.
    pub fn audit(&mut self, request: Bytes) {
        let full = self
            .state
            .cfg
            .audit
            .as_ref()
            .is_some_and(|a| a.level == AuditLevel::Full);
        self.audit = Some(Capture {
            request,
            response: full.then(Vec::new),
            response_bytes: 0,
        });
    }

    /// Bytes that went to the client (counted, and kept for a full audit).
    pub fn sent(&mut self, bytes: &[u8]) {
        if let Some(c) = &mut self.audit {
            c.response_bytes += bytes.len() as u64;
            if let Some(r) = &mut c.response {
                let room = RESPONSE_CAP.saturating_sub(r.len());
                r.extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
        }
    }

    /// What masks secrets in the text this request passes on.
    pub fn redactor(&self) -> Arc<crate::secrets::Redactor> {
        self.state.cfg.redactor.clone()
    }

    /// The first content went out to the client (kept only the first time).
    pub fn first_token(&mut self) {
        if self.first_token.is_none() {
            self.first_token = Some(self.started.elapsed());
        }
    }

    /// What translation dropped or changed, for the log line.
    pub fn notes(&mut self, notes: Vec<String>) {
        self.notes.extend(notes);
    }

    /// The request ended. On a team gateway, what it returns resolves once
    /// the store has the request: the response's last bytes wait for it
    /// (see [`Committed`]).
    #[must_use = "a gateway's response must not end before the store has the request"]
    pub fn done(
        &mut self,
        status: u16,
        usage: Option<&Usage>,
        error: Option<&str>,
    ) -> Option<Committed> {
        self.finish(status, usage, error)
    }

    /// The request failed before any answer went out.
    pub fn failed(&mut self, e: &ProxyError) {
        self.class = Some(if matches!(e, ProxyError::Budget(_)) {
            ErrorClass::Budget
        } else {
            ErrorClass::of(e.cause_status(), true).unwrap_or(ErrorClass::Upstream)
        });
        // A failure is not waited for: nothing was answered to lose.
        let _ = self.finish(e.status().as_u16(), None, Some(&e.to_string()));
    }

    /// Hand the record over to a streamed body, which ends it when the
    /// stream ends; this one is then spent.
    pub fn take(&mut self) -> Finisher {
        let taken = Finisher {
            state: self.state.clone(),
            line: std::mem::take(&mut self.line),
            provider: std::mem::take(&mut self.provider),
            model: std::mem::take(&mut self.model),
            requested: std::mem::take(&mut self.requested),
            slot: self.slot,
            cc_session: self.cc_session.take(),
            subagent: self.subagent,
            attempt: self.attempt,
            who: std::mem::take(&mut self.who),
            started: self.started,
            at: self.at,
            first_token: self.first_token,
            notes: std::mem::take(&mut self.notes),
            finished: self.finished,
            audit: self.audit.take(),
            hold: self.hold.take(),
            spend: self.spend.take(),
            class: self.class,
        };
        self.finished = true;
        taken
    }

    fn finish(
        &mut self,
        status: u16,
        usage: Option<&Usage>,
        error: Option<&str>,
    ) -> Option<Committed> {
        if self.finished {
            return None;
        }
        self.finished = true;
        let failed = error.is_some() || status >= 400;
        let elapsed = self.started.elapsed();
        let record = self.record(status, usage, failed, elapsed);
        self.state.stats.record(&record);
        if self.state.cfg.gateway.is_some() {
            self.state.gate_stats.record(&record);
        }
        if let (Some(sink), Some(c)) = (&self.state.cfg.audit, self.audit.take()) {
            sink.send(AuditEntry {
                record: record.clone(),
                request_id: self.state.request_id(),
                request: c.request,
                response: c.response,
                response_bytes: c.response_bytes,
            });
        }
        let committed = self.spend.take().and_then(|r| r.settle(&record));
        if let Some(sink) = &self.state.cfg.usage {
            let (at_ms, tokens) = (record.at_ms, record.tokens);
            // Sent first, then settled: see `budget::Checker`.
            let seq = sink.send(record);
            if let Some(hold) = self.hold.take() {
                hold.settle(seq, at_ms, &tokens);
                // Other sessions sharing the budget read it from the file.
                sink.flush_soon();
            }
        }
        let ms = elapsed.as_millis();
        let mut line = format!("{} {status} {ms}ms", self.line);
        if let Some(u) = usage {
            let _ = write!(
                line,
                " in={} out={} cache_read={}",
                u.input_tokens,
                u.output_tokens,
                u.cache_read_input_tokens.unwrap_or(0)
            );
        }
        if let Some(e) = error {
            let _ = write!(line, " error: {e}");
        }
        if self.state.cfg.log_notes && !self.notes.is_empty() {
            line.push_str(" notes: ");
            line.push_str(&self.notes.join("; "));
        }
        self.state.log(&line);
        committed
    }
}

impl Finisher {
    /// What the request was, for the session's stats and the ledger.
    fn record(
        &mut self,
        status: u16,
        usage: Option<&Usage>,
        failed: bool,
        elapsed: Duration,
    ) -> Record {
        let u = usage.copied().unwrap_or_default();
        let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        let at_ms = crate::usage::unix_ms(self.at);
        Record {
            at_ms,
            session: self.state.cfg.session.clone(),
            cc_session: self.cc_session.take(),
            profile: self.state.profile.clone(),
            slot: self.slot,
            provider: std::mem::take(&mut self.provider),
            requested: std::mem::take(&mut self.requested),
            model: self.model.clone(),
            subagent: self.subagent,
            status,
            error: self.class.or_else(|| ErrorClass::of(status, failed)),
            ttft_ms: self.first_token.map(millis),
            duration_ms: millis(elapsed),
            tokens: Tokens {
                input: u.input_tokens,
                output: u.output_tokens,
                cache_read: u.cache_read_input_tokens.unwrap_or(0),
                cache_write: u.cache_creation_input_tokens.unwrap_or(0),
                cache_write_1h: u.cache_write_1h,
                reasoning: u.reasoning_tokens,
            },
            estimated: usage.is_some_and(|u| u.estimated),
            attempt: self.attempt,
            who: std::mem::take(&mut self.who),
        }
    }
}

impl Drop for Finisher {
    fn drop(&mut self) {
        // Dropped before done(): the client went away mid-stream.
        let _ = self.finish(499, None, Some("client disconnected"));
    }
}
