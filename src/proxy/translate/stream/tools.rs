//! Tool-call tracking for the streaming translator: matching fragments to
//! calls, holding calls back until they can start, and knowing when a call's
//! arguments are complete. It decides; the translator emits the events.
//!
//! Pure: no I/O, no clock, no randomness.

use crate::proxy::translate::openai::ToolCallDelta;

/// Arguments buffered for a waiting tool call before it is started anyway.
const MAX_PENDING_ARGS: usize = 1 << 20;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
enum State {
    /// Waiting for a name or for the open call to finish; args buffered.
    #[default]
    Pending,
    /// Started as this content block.
    Open(usize),
    Closed,
}

#[derive(Debug, Default)]
struct Call {
    key: Option<u64>,
    upstream_id: Option<String>,
    name: String,
    /// Buffered arguments while pending.
    pending: String,
    json: JsonProgress,
    state: State,
}

/// What a fragment means for the output.
pub(super) enum Fragment<'a> {
    /// Arguments for a call already started as block `index`: emit them.
    Args { index: usize, args: &'a str },
    /// Kept for a call that has not started (`bytes` of arguments).
    Held { bytes: usize },
    /// Nothing to emit now.
    Nothing,
}

/// A call about to start: what its block needs.
pub(super) struct Starting {
    pub upstream_id: Option<String>,
    pub name: String,
    /// Arguments that arrived while it waited.
    pub pending: String,
}

/// Every tool call of one streamed message, by position.
#[derive(Debug, Default)]
pub(super) struct ToolCalls {
    calls: Vec<Call>,
    /// Calls started so far (numbers fallback ids).
    started: usize,
}

impl ToolCalls {
    pub(super) fn started(&self) -> usize {
        self.started
    }

    /// Which call a fragment continues: by id, else by index, else the most
    /// recent call (providers that send neither after the first fragment).
    fn find(&self, index: Option<u64>, id: Option<&str>) -> Option<usize> {
        let calls = &self.calls;
        let by_id = |id| {
            calls
                .iter()
                .rposition(|t| t.upstream_id.as_deref() == Some(id))
        };
        let by_key = |i| calls.iter().rposition(|t| t.key == Some(i));
        let idless = |p: &usize| calls[*p].upstream_id.is_none();
        match (id, index) {
            // An id arriving after id-less fragments of its index joins them.
            (Some(id), i) => by_id(id).or_else(|| i.and_then(by_key).filter(idless)),
            (None, Some(i)) => by_key(i),
            (None, None) => self.calls.len().checked_sub(1),
        }
    }

    /// Take in one streamed fragment.
    pub(super) fn fragment<'a>(&mut self, t: &'a ToolCallDelta) -> Fragment<'a> {
        let id = t.id.as_deref().filter(|s| !s.is_empty());
        let slot = match self.find(t.index, id) {
            Some(slot) => slot,
            None => {
                self.calls.push(Call {
                    key: t.index,
                    ..Call::default()
                });
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[slot];
        if call.upstream_id.is_none() {
            call.upstream_id = id.map(str::to_string);
        }
        if let Some(name) = t
            .function
            .name
            .as_deref()
            .filter(|n| !n.is_empty() && call.name.is_empty())
        {
            call.name = name.to_string();
        }
        let args = t.function.arguments.as_deref().unwrap_or("");
        if args.is_empty() {
            return Fragment::Nothing;
        }
        match call.state {
            // A call whose name never came can never start: past the cap,
            // its arguments are dropped instead of held without bound.
            State::Pending
                if call.name.is_empty() && call.pending.len() + args.len() > MAX_PENDING_ARGS =>
            {
                Fragment::Nothing
            }
            State::Pending => {
                call.pending.push_str(args);
                Fragment::Held { bytes: args.len() }
            }
            State::Open(index) => {
                call.json.feed(args);
                Fragment::Args { index, args }
            }
            // Claude Code may already be running a stopped tool: a late
            // fragment cannot repair it and would break the event grammar.
            State::Closed => Fragment::Nothing,
        }
    }

    /// The first call waiting that has a name (a call without one cannot
    /// start: an empty name would make the next request fail upstream).
    pub(super) fn next_pending(&self) -> Option<usize> {
        let waiting = |t: &Call| t.state == State::Pending && !t.name.is_empty();
        self.calls.iter().position(waiting)
    }

    /// Whether the open call `open` keeps `next` waiting: its JSON is not
    /// complete yet (more fragments may belong to it), unless `next` has
    /// buffered too much to wait longer.
    pub(super) fn blocks(&self, open: usize, next: usize) -> bool {
        !self.calls[open].json.complete() && self.calls[next].pending.len() <= MAX_PENDING_ARGS
    }

    /// Start call `slot` as content block `index`.
    pub(super) fn start(&mut self, slot: usize, index: usize) -> Starting {
        self.started += 1;
        let call = &mut self.calls[slot];
        call.state = State::Open(index);
        let pending = std::mem::take(&mut call.pending);
        call.json.feed(&pending);
        Starting {
            upstream_id: call.upstream_id.clone(),
            name: call.name.clone(),
            pending,
        }
    }

    /// Close call `slot`; returns its block and whether it got any
    /// arguments, when it was open.
    pub(super) fn close(&mut self, slot: usize) -> Option<(usize, bool)> {
        let call = &mut self.calls[slot];
        let open = match call.state {
            State::Open(index) => Some((index, call.json.fed)),
            _ => None,
        };
        call.state = State::Closed;
        open
    }
}

/// Tracks whether streamed arguments form a complete JSON object, without
/// keeping them: depth of brackets outside strings.
#[derive(Debug, Default)]
struct JsonProgress {
    fed: bool,
    started: bool,
    depth: u32,
    in_string: bool,
    escaped: bool,
}

impl JsonProgress {
    fn feed(&mut self, s: &str) {
        self.fed |= !s.is_empty();
        for b in s.bytes() {
            if self.in_string {
                match b {
                    _ if self.escaped => self.escaped = false,
                    b'\\' => self.escaped = true,
                    b'"' => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.started = true;
                    self.depth = self.depth.saturating_add(1);
                }
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
    }

    fn complete(&self) -> bool {
        self.started && self.depth == 0 && !self.in_string
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delta(index: u64, name: Option<&str>, args: &str) -> ToolCallDelta {
        serde_json::from_value(serde_json::json!({
            "index": index,
            "function": {"name": name, "arguments": args},
        }))
        .unwrap()
    }

    #[test]
    fn a_call_without_a_name_holds_no_more_than_the_cap() {
        let mut calls = ToolCalls::default();
        let piece = "x".repeat(64 * 1024);
        let mut held = 0;
        for _ in 0..64 {
            if let Fragment::Held { bytes } = calls.fragment(&delta(0, None, &piece)) {
                held += bytes;
            }
        }
        assert!(held <= MAX_PENDING_ARGS, "{held}");
        assert!(calls.calls[0].pending.len() <= MAX_PENDING_ARGS);
        // A named call waiting behind an open one is let through instead.
        let mut calls = ToolCalls::default();
        calls.fragment(&delta(1, Some("Read"), "{"));
        let big = "y".repeat(MAX_PENDING_ARGS + 1);
        assert!(matches!(
            calls.fragment(&delta(1, None, &big)),
            Fragment::Held { .. }
        ));
    }
}
