//! Streaming translator: OpenAI Chat Completions chunks in, Anthropic
//! Messages stream events out, as a state machine fed one `data:` payload at
//! a time.
//!
//! Pure: no I/O, no clock, no randomness.
//!
//! Block order is thinking, then text, then tool_use; one block is open at a
//! time and each switch of kind closes it. Late arrivals are handled so that
//! nothing user-visible is lost and the event grammar stays valid:
//! - reasoning after text or tools opens a later thinking block;
//! - text after a tool call opens a new text block after it;
//! - a tool call whose arguments arrive while another call's JSON is still
//!   incomplete (providers that send all headers first) is buffered and
//!   started once that JSON is complete, or at the end;
//! - a fragment for a tool block already stopped is dropped: Claude Code
//!   finalizes (and may start running) a tool at its `content_block_stop`, so
//!   a later delta cannot repair it and would break the grammar.

mod parse;
mod reasoning;
mod tool_blocks;
mod tools;

use self::parse::{api_error, parse_chunk};
use self::reasoning::{merge_details, reasoning_text};
use self::tools::ToolCalls;
use super::anthropic::{
    Delta, ErrorBody, Event, MessageDeltaBody, MessageResponse, OutBlock, StopReason, Usage,
};
use super::common::{TextCount, stop_reason, usage};
use super::openai::{ChatChunk, ChatUsage, ChunkDelta};
use super::provenance::reasoning_signature;
use super::think::{Piece, ThinkSplitter};
use crate::config::Quirks;
use crate::config::quirks::ReasoningField;

use std::sync::Arc;

use serde_json::Value;

#[derive(Clone, Debug)]
pub struct StreamConfig {
    /// Passed in (no randomness); also seeds fallback tool ids.
    pub message_id: String,
    /// The model name Claude Code asked for, reported back unchanged.
    pub model: String,
    /// Input tokens for `message_start`, which is sent before any upstream
    /// usage can be known.
    pub input_estimate: u64,
    /// The upstream's quirks (where reasoning arrives, inline tags).
    pub quirks: Arc<Quirks>,
    /// Tool names the request sent in a short form, as (sent, original).
    pub renamed_tools: Vec<(String, String)>,
    /// The provider named in thinking signatures (`Provenance::tag`):
    /// none for the untagged form a single-provider profile keeps.
    pub thinking_maker: Option<String>,
}

#[derive(Debug, PartialEq)]
enum Phase {
    Idle,
    Streaming,
    /// A finish_reason arrived; usage may still follow before `[DONE]`.
    Finishing(String),
    Done,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Open {
    Nothing,
    Thinking(usize),
    Text(usize),
    /// Index into `tools`.
    Tool(usize),
}

#[derive(Debug)]
pub struct StreamTranslator {
    cfg: StreamConfig,
    phase: Phase,
    open: Open,
    next_block: usize,
    tools: ToolCalls,
    splitter: ThinkSplitter,
    /// Whitespace-only thinking or text not yet worth a block.
    held_blank: Option<Piece>,
    upstream_usage: Option<ChatUsage>,
    /// Bytes of thinking, text and arguments: whether content went out.
    out_bytes: usize,
    /// The same, for an estimate of tokens.
    out_text: TextCount,
    /// The upstream finished the message (its usage is then final).
    completed: bool,
    /// `reasoning_details` parts of the open thinking block, kept to go
    /// back in its signature.
    details: Vec<Value>,
}

impl StreamTranslator {
    pub fn new(cfg: StreamConfig) -> Self {
        StreamTranslator {
            cfg,
            phase: Phase::Idle,
            open: Open::Nothing,
            next_block: 0,
            tools: ToolCalls::default(),
            splitter: ThinkSplitter::new(),
            held_blank: None,
            upstream_usage: None,
            out_bytes: 0,
            out_text: TextCount::default(),
            completed: false,
            details: Vec::new(),
        }
    }

    /// `message_start` and one `ping`, once. Output tokens start at 1 as in
    /// the real API; `message_delta` carries the real cumulative count.
    pub fn start(&mut self) -> Vec<Event> {
        if self.phase != Phase::Idle {
            return Vec::new();
        }
        self.phase = Phase::Streaming;
        let mut message = MessageResponse::new(&self.cfg.message_id, &self.cfg.model);
        message.usage = estimated(self.cfg.input_estimate, 1);
        vec![Event::MessageStart { message }, Event::Ping]
    }

    /// One upstream SSE `data:` payload (a JSON chunk or `[DONE]`).
    pub fn push_data(&mut self, data: &str) -> Vec<Event> {
        let mut out = self.start();
        if self.phase == Phase::Done {
            return out;
        }
        let data = data.trim();
        if data.is_empty() {
            return out;
        }
        if data == "[DONE]" {
            self.close(&mut out);
            return out;
        }
        match parse_chunk(data) {
            Ok(chunk) => self.chunk(chunk, &mut out),
            Err(error) => out.push(self.error(error)),
        }
        out
    }

    /// Upstream EOF: closes the message if the upstream finished, otherwise
    /// the stream was cut and Claude Code must not take it as complete.
    pub fn finish(&mut self) -> Vec<Event> {
        let mut out = self.start();
        match self.phase {
            Phase::Finishing(_) => self.close(&mut out),
            Phase::Done => {}
            _ => out.push(self.error(api_error(
                "the upstream closed the stream early (no finish_reason, no [DONE])",
            ))),
        }
        out
    }

    /// A failure outside the data (timeout, reset, error status mid-stream):
    /// one error event. After a finish_reason the answer is complete, so the
    /// message is closed normally instead: an error would make Claude Code
    /// redo the turn, and upstreams that hang after finish_reason without
    /// `[DONE]` would then fail every turn at the idle timeout.
    pub fn fail(&mut self, error: ErrorBody) -> Vec<Event> {
        let mut out = self.start();
        match self.phase {
            Phase::Finishing(_) => self.close(&mut out),
            Phase::Done => {}
            _ => out.push(self.error(error)),
        }
        out
    }

    /// Whether any content (thinking, text, tool input) has been emitted.
    pub fn content_started(&self) -> bool {
        self.out_bytes > 0
    }

    pub fn is_done(&self) -> bool {
        self.phase == Phase::Done
    }

    /// Usage as known so far: the upstream's numbers when it sent any,
    /// otherwise the input estimate and a count from the bytes emitted.
    pub fn usage(&self) -> Usage {
        match &self.upstream_usage {
            Some(u) => usage(u),
            None => estimated(self.cfg.input_estimate, self.out_text.tokens()),
        }
    }

    /// Usage for a stream that may not have finished: until the upstream's
    /// final report, the output is at least what was generated so far (an
    /// early usage chunk counts only the start).
    pub fn usage_so_far(&self) -> Usage {
        let mut u = self.usage();
        let streamed = self.out_text.tokens();
        if !self.completed && streamed > u.output_tokens {
            u.output_tokens = streamed;
            u.estimated = true;
        }
        u
    }

    /// Content generated by the upstream and sent.
    fn generated(&mut self, text: &[u8]) {
        self.out_bytes += text.len();
        self.out_text.add(text);
    }

    /// Arguments generated and held back for a call not started yet: only
    /// their size is at hand.
    fn generated_held(&mut self, bytes: usize) {
        self.out_bytes += bytes;
        self.out_text.add_bytes(bytes);
    }

    fn error(&mut self, error: ErrorBody) -> Event {
        self.phase = Phase::Done;
        Event::Error { error }
    }

    fn chunk(&mut self, chunk: ChatChunk, out: &mut Vec<Event>) {
        self.note_usage(chunk.usage);
        // We never ask for n > 1, so every choice is the one completion.
        for choice in chunk.choices {
            self.note_usage(choice.usage);
            self.delta(&choice.delta, out);
            if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty()) {
                self.phase = Phase::Finishing(reason);
            }
        }
    }

    /// Latest wins (some providers repeat cumulative usage on every chunk);
    /// all-zero placeholders some send mid-stream are ignored.
    fn note_usage(&mut self, u: Option<ChatUsage>) {
        if let Some(u) = u.filter(|u| u.prompt() > 0 || u.completion_tokens > 0) {
            self.upstream_usage = Some(u);
        }
    }

    fn delta(&mut self, d: &ChunkDelta, out: &mut Vec<Event>) {
        let field = self.cfg.quirks.reasoning_field;
        let keep = field == ReasoningField::ReasoningDetails && !d.reasoning_details.is_empty();
        let reasoning = reasoning_text(d, field);
        if keep {
            merge_details(&mut self.details, &d.reasoning_details);
            if reasoning.is_empty() && !matches!(self.open, Open::Thinking(_)) {
                // Encrypted reasoning has no text, but must still get a
                // block to ride back in.
                let index = self.open_block(out, empty_thinking());
                self.open = Open::Thinking(index);
            }
        }
        self.piece(Piece::Thinking(reasoning), out);
        if let Some(content) = d.content.as_deref().filter(|s| !s.is_empty()) {
            if self.cfg.quirks.think_tags {
                let pieces = self.splitter.push(content);
                self.pieces(pieces, out);
            } else {
                self.piece(Piece::Text(content.to_string()), out);
            }
        }
        self.piece(Piece::Text(d.refusal.clone().unwrap_or_default()), out);
        if !d.tool_calls.is_empty() {
            // Text held back as a possible tag start precedes the tools.
            let held = self.splitter.finish();
            self.pieces(held, out);
            for t in &d.tool_calls {
                self.tool_fragment(t, out);
            }
            self.advance_tools(out);
        }
    }

    fn pieces(&mut self, pieces: Vec<Piece>, out: &mut Vec<Event>) {
        for p in pieces {
            self.piece(p, out);
        }
    }

    /// Thinking or text: continues the open block of that kind or opens one.
    /// Whitespace alone opens nothing: models send "\n\n" around tool calls,
    /// and a blank text block shows as an empty line (and Anthropic rejects
    /// it on replay). It is held and prefixed to the next piece of its kind.
    fn piece(&mut self, mut piece: Piece, out: &mut Vec<Event>) {
        let thinking = matches!(piece, Piece::Thinking(_));
        let (Piece::Thinking(s) | Piece::Text(s)) = &mut piece;
        if s.is_empty() {
            return;
        }
        let index = match self.open {
            Open::Thinking(i) if thinking => Some(i),
            Open::Text(i) if !thinking => Some(i),
            _ => None,
        };
        if index.is_none() {
            match self.held_blank.take() {
                Some(Piece::Thinking(h)) if thinking => s.insert_str(0, &h),
                Some(Piece::Text(h)) if !thinking => s.insert_str(0, &h),
                _ => {}
            }
            if s.trim().is_empty() {
                self.held_blank = Some(piece);
                return;
            }
        }
        self.generated(s.as_bytes());
        let block = if thinking {
            empty_thinking()
        } else {
            empty_text()
        };
        let index = index.unwrap_or_else(|| self.open_block(out, block));
        let (open, delta) = match piece {
            Piece::Thinking(thinking) => (Open::Thinking(index), Delta::ThinkingDelta { thinking }),
            Piece::Text(text) => (Open::Text(index), Delta::TextDelta { text }),
        };
        self.open = open;
        out.push(Event::ContentBlockDelta { index, delta });
    }

    /// Closes the open block and starts a new one; returns its index.
    fn open_block(&mut self, out: &mut Vec<Event>, content_block: OutBlock) -> usize {
        let index = self.next_index(out);
        out.push(Event::ContentBlockStart {
            index,
            content_block,
        });
        index
    }

    /// Closes the open block and takes the next block index.
    fn next_index(&mut self, out: &mut Vec<Event>) -> usize {
        self.close_open(out);
        let index = self.next_block;
        self.next_block += 1;
        index
    }

    fn close_open(&mut self, out: &mut Vec<Event>) {
        match std::mem::replace(&mut self.open, Open::Nothing) {
            Open::Nothing => {}
            Open::Thinking(index) => {
                let details = std::mem::take(&mut self.details);
                let maker = self.cfg.thinking_maker.as_deref();
                let delta = Delta::SignatureDelta {
                    signature: reasoning_signature(maker, &details),
                };
                out.push(Event::ContentBlockDelta { index, delta });
                out.push(Event::ContentBlockStop { index });
            }
            Open::Text(index) => out.push(Event::ContentBlockStop { index }),
            Open::Tool(slot) => {
                if let Some((index, fed)) = self.tools.close(slot) {
                    // Arguments-free calls still get parseable input.
                    if !fed {
                        out.push(json_delta(index, "{}"));
                    }
                    out.push(Event::ContentBlockStop { index });
                }
            }
        }
    }

    /// The upstream finished: flush everything and end the message.
    fn close(&mut self, out: &mut Vec<Event>) {
        self.completed = true;
        let held = self.splitter.finish();
        self.pieces(held, out);
        while let Some(next) = self.tools.next_pending() {
            self.start_tool(next, out);
        }
        // Calls that never got a name are dropped: an empty name would make
        // the next request fail at the upstream.
        self.close_open(out);
        if self.next_block == 0 {
            // A message with no content blocks broke clients (CCR #639);
            // an empty text block is the smallest valid content.
            self.open_block(out, empty_text());
            out.push(Event::ContentBlockStop { index: 0 });
        }
        let saw_tools = self.tools.started() > 0;
        let reason = match &self.phase {
            Phase::Finishing(r) => Some(r.as_str()),
            _ => None,
        };
        let mut stop = stop_reason(reason, saw_tools);
        if stop == StopReason::ToolUse && !saw_tools {
            // "tool_calls" without a usable call: nothing for Claude Code to run.
            stop = StopReason::EndTurn;
        }
        let (stop_reason, stop_sequence, usage) = (Some(stop), None, self.usage());
        let delta = MessageDeltaBody {
            stop_reason,
            stop_sequence,
        };
        out.push(Event::MessageDelta { delta, usage });
        out.push(Event::MessageStop);
        self.phase = Phase::Done;
    }
}

fn estimated(input_tokens: u64, output_tokens: u64) -> Usage {
    let cache_read_input_tokens = Some(0);
    Usage {
        input_tokens,
        output_tokens,
        cache_read_input_tokens,
        estimated: true,
        ..Usage::default()
    }
}

fn empty_text() -> OutBlock {
    OutBlock::Text {
        text: String::new(),
    }
}

fn empty_thinking() -> OutBlock {
    OutBlock::Thinking {
        thinking: String::new(),
        signature: String::new(),
    }
}

fn json_delta(index: usize, partial_json: &str) -> Event {
    let delta = Delta::InputJsonDelta {
        partial_json: partial_json.to_string(),
    };
    Event::ContentBlockDelta { index, delta }
}
