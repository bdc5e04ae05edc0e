//! One request's log line and usage record, written once when it ends,
//! however it ends: answered, failed, or abandoned by the client.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use super::error::ProxyError;
use super::state::State;
use super::translate::anthropic::Usage;

/// Logs and records one request when it ends, however it ends.
pub struct Finisher {
    state: Arc<State>,
    line: String,
    provider: String,
    model: String,
    started: Instant,
    notes: Vec<String>,
    finished: bool,
}

impl Finisher {
    pub fn new(
        state: Arc<State>,
        requested: &str,
        slot: &str,
        provider: &str,
        model: &str,
        stream: bool,
        started: Instant,
    ) -> Finisher {
        let kind = if stream { "stream" } else { "json" };
        Finisher {
            state,
            line: format!("{requested} -> {slot} {provider}/{model} {kind}"),
            provider: provider.to_string(),
            model: model.to_string(),
            started,
            notes: Vec::new(),
            finished: false,
        }
    }

    /// What translation dropped or changed, for the log line.
    pub fn notes(&mut self, notes: Vec<String>) {
        self.notes.extend(notes);
    }

    pub fn done(&mut self, status: u16, usage: Option<&Usage>, error: Option<&str>) {
        self.finish(status, usage, error);
    }

    /// The request failed before any answer went out.
    pub fn failed(&mut self, e: &ProxyError) {
        self.finish(e.status().as_u16(), None, Some(&e.to_string()));
    }

    /// Hand the record over to a streamed body, which ends it when the
    /// stream ends; this one is then spent.
    pub fn take(&mut self) -> Finisher {
        let taken = Finisher {
            state: self.state.clone(),
            line: std::mem::take(&mut self.line),
            provider: std::mem::take(&mut self.provider),
            model: std::mem::take(&mut self.model),
            started: self.started,
            notes: std::mem::take(&mut self.notes),
            finished: self.finished,
        };
        self.finished = true;
        taken
    }

    fn finish(&mut self, status: u16, usage: Option<&Usage>, error: Option<&str>) {
        if self.finished {
            return;
        }
        self.finished = true;
        let failed = error.is_some() || status >= 400;
        self.state
            .stats
            .record(&self.provider, &self.model, usage, failed);
        let ms = self.started.elapsed().as_millis();
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
    }
}

impl Drop for Finisher {
    fn drop(&mut self) {
        // Dropped before done(): the client went away mid-stream.
        self.finish(499, None, Some("client disconnected"));
    }
}
