//! Tool calls as content blocks: the translator's side of the tool
//! tracker, turning its decisions into events.
//!
//! Pure: no I/O, no clock, no randomness.

use serde_json::Value;

use super::tools::Fragment;
use super::{Open, StreamTranslator, json_delta};
use crate::proxy::translate::anthropic::{Event, OutBlock};
use crate::proxy::translate::common::fallback_tool_id;
use crate::proxy::translate::openai::ToolCallDelta;
use crate::proxy::translate::tool_ids::to_client;
use crate::proxy::translate::tool_names::original;

impl StreamTranslator {
    pub(super) fn tool_fragment(&mut self, t: &ToolCallDelta, out: &mut Vec<Event>) {
        match self.tools.fragment(t) {
            Fragment::Args { index, args } => {
                self.generated(args.as_bytes());
                out.push(json_delta(index, args));
            }
            Fragment::Held { bytes } => self.generated_held(bytes),
            Fragment::Nothing => {}
        }
    }

    /// Start waiting calls once nothing blocks them: no tool is open, or the
    /// open tool's JSON is complete (so no more fragments belong to it).
    pub(super) fn advance_tools(&mut self, out: &mut Vec<Event>) {
        while let Some(next) = self.tools.next_pending() {
            if let Open::Tool(open) = self.open
                && self.tools.blocks(open, next)
            {
                return;
            }
            self.start_tool(next, out);
        }
    }

    pub(super) fn start_tool(&mut self, slot: usize, out: &mut Vec<Event>) {
        let ordinal = self.tools.started();
        let index = self.next_index(out);
        let call = self.tools.start(slot, index);
        let id = call.upstream_id.as_deref().map_or_else(
            || fallback_tool_id(&self.cfg.message_id, ordinal),
            |id| to_client(id).into_owned(),
        );
        out.push(Event::ContentBlockStart {
            index,
            content_block: OutBlock::ToolUse {
                id,
                name: original(&call.name, &self.cfg.renamed_tools).to_string(),
                input: Value::Object(serde_json::Map::new()),
            },
        });
        self.open = Open::Tool(slot);
        self.held_blank = None;
        // The real API opens every tool's input with an empty fragment.
        out.push(json_delta(index, ""));
        if !call.pending.is_empty() {
            out.push(json_delta(index, &call.pending));
        }
    }
}
