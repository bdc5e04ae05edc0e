//! Tool-call tracking for the streaming translator: matching fragments to
//! calls, holding calls back until they can start, and knowing when a call's
//! arguments are complete.
//!
//! Pure: no I/O, no clock, no randomness.

use serde_json::Value;

use crate::proxy::translate::anthropic::{Event, OutBlock};
use crate::proxy::translate::common::fallback_tool_id;
use crate::proxy::translate::openai::ToolCallDelta;

use super::{Open, StreamTranslator, json_delta};

/// Arguments buffered for a waiting tool call before it is started anyway.
const MAX_PENDING_ARGS: usize = 1 << 20;

#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) enum ToolState {
    /// Waiting for a name or for the open call to finish; args buffered.
    #[default]
    Pending,
    Open(usize),
    Closed,
}

#[derive(Debug, Default)]
pub(super) struct ToolCall {
    key: Option<u64>,
    upstream_id: Option<String>,
    name: String,
    /// Buffered arguments while pending.
    pending: String,
    pub(super) json: JsonProgress,
    pub(super) state: ToolState,
}

impl StreamTranslator {
    /// Which call a fragment continues: by id, else by index, else the most
    /// recent call (providers that send neither after the first fragment).
    fn find_tool(&self, index: Option<u64>, id: Option<&str>) -> Option<usize> {
        let tools = &self.tools;
        let by_id = |id| {
            tools
                .iter()
                .rposition(|t| t.upstream_id.as_deref() == Some(id))
        };
        let by_key = |i| tools.iter().rposition(|t| t.key == Some(i));
        let idless = |p: &usize| tools[*p].upstream_id.is_none();
        match (id, index) {
            // An id arriving after id-less fragments of its index joins them.
            (Some(id), i) => by_id(id).or_else(|| i.and_then(by_key).filter(idless)),
            (None, Some(i)) => by_key(i),
            (None, None) => self.tools.len().checked_sub(1),
        }
    }

    pub(super) fn tool_fragment(&mut self, t: &ToolCallDelta, out: &mut Vec<Event>) {
        let id = t.id.as_deref().filter(|s| !s.is_empty());
        let slot = match self.find_tool(t.index, id) {
            Some(slot) => slot,
            None => {
                let key = t.index;
                self.tools.push(ToolCall {
                    key,
                    ..ToolCall::default()
                });
                self.tools.len() - 1
            }
        };
        let call = &mut self.tools[slot];
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
            return;
        }
        match call.state {
            ToolState::Pending => {
                call.pending.push_str(args);
                self.out_bytes += args.len();
            }
            ToolState::Open(index) => {
                call.json.feed(args);
                self.out_bytes += args.len();
                out.push(json_delta(index, args));
            }
            ToolState::Closed => {}
        }
    }

    /// Start waiting calls once nothing blocks them: no tool is open, or the
    /// open tool's JSON is complete (so no more fragments belong to it).
    pub(super) fn advance_tools(&mut self, out: &mut Vec<Event>) {
        while let Some(next) = self.next_pending() {
            if let Open::Tool(open) = self.open
                && !self.tools[open].json.complete()
                && self.tools[next].pending.len() <= MAX_PENDING_ARGS
            {
                return;
            }
            self.start_tool(next, out);
        }
    }

    pub(super) fn next_pending(&self) -> Option<usize> {
        let waiting = |t: &ToolCall| t.state == ToolState::Pending && !t.name.is_empty();
        self.tools.iter().position(waiting)
    }

    pub(super) fn start_tool(&mut self, slot: usize, out: &mut Vec<Event>) {
        let ordinal = self.tools_started;
        self.tools_started += 1;
        let call = &self.tools[slot];
        let fallback = || fallback_tool_id(&self.cfg.message_id, ordinal);
        let id = call.upstream_id.as_deref().map_or_else(fallback, |id| {
            crate::proxy::translate::tool_ids::to_client(id).into_owned()
        });
        let block = OutBlock::ToolUse {
            id,
            name: super::super::tool_names::original(&call.name, &self.cfg.renamed_tools)
                .to_string(),
            input: Value::Object(serde_json::Map::new()),
        };
        let index = self.open_block(out, block);
        self.open = Open::Tool(slot);
        self.held_blank = None;
        let call = &mut self.tools[slot];
        call.state = ToolState::Open(index);
        // The real API opens every tool's input with an empty fragment.
        out.push(json_delta(index, ""));
        let pending = std::mem::take(&mut call.pending);
        if !pending.is_empty() {
            call.json.feed(&pending);
            out.push(json_delta(index, &pending));
        }
    }
}

/// Tracks whether streamed arguments form a complete JSON object, without
/// keeping them: depth of brackets outside strings.
#[derive(Debug, Default)]
pub(super) struct JsonProgress {
    pub(super) fed: bool,
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
