//! Message conversion for the request translator: system prompts, user and
//! assistant turns, tool calls and results, images and documents, keeping
//! OpenAI's rule that tool results directly follow their calls.
//!
//! Pure: no I/O, no clock, no randomness.

use serde_json::{Map, Value, json};

use super::echo::{Echo, joined_thinking, prefixed, reasoning_echo};
use crate::config::Quirks;
use crate::proxy::translate::anthropic::{
    Block, Content, MessagesRequest, Role, Source, System, ToolResultContent,
};
use crate::proxy::translate::notes::Notes;
use crate::proxy::translate::openai::{
    ChatContent, ChatMessage, FunctionCall, ImageUrl, Part, ToolCall,
};
use crate::proxy::translate::provenance::Provenance;
use crate::proxy::translate::text::{Text, TextBuf};
use crate::proxy::translate::tool_ids::upstream_tool_id;

/// Gemini accepts this in place of a thought signature; the real one is not
/// in the Anthropic history, and without any later turns fail.
const SKIP_THOUGHT_SIGNATURE: &str = "skip_thought_signature_validator";

/// Claude Code's first system block, `x-anthropic-billing-header:
/// cc_version=2.1.332.0b8; …`: its suffix changes with every conversation
/// (and for subagents), and it leads the prompt, so on a provider that
/// caches by prefix it would cost every new conversation, subagent and auto
/// mode check its whole prompt. Only Anthropic reads it (quirk
/// `billing_header`).
fn is_billing_line(raw_text: &str) -> bool {
    raw_text.starts_with("\"x-anthropic-billing-header:")
}

pub(crate) const BILLING_NOTE: &str =
    "dropped Claude Code's per-conversation billing line from the system prompt";

/// Walks the messages keeping OpenAI's pairing rule: every `tool` message
/// directly follows the assistant message that carries its call.
pub(super) struct Conv<'a> {
    q: &'a Quirks,
    /// Where the request goes: which thinking it gets back.
    to: Provenance<'a>,
    notes: &'a mut Notes,
    system: Vec<Text>,
    out: Vec<ChatMessage>,
    /// Upstream ids of the last assistant's calls not yet answered.
    open: Vec<String>,
}

impl<'a> Conv<'a> {
    pub(super) fn new(q: &'a Quirks, to: Provenance<'a>, notes: &'a mut Notes) -> Self {
        let (system, out, open) = (Vec::new(), Vec::new(), Vec::new());
        Conv {
            q,
            to,
            notes,
            system,
            out,
            open,
        }
    }

    /// The top-level system prompt and every role:"system" message (Claude
    /// Code puts one at index 1 on every turn, last on a first turn) become
    /// ONE leading system message: many OpenAI-compatible servers reject a
    /// system message after a user turn, and strict chat templates reject
    /// more than one. Its text is the same each turn, so the prefix stays
    /// cacheable.
    pub(super) fn run(mut self, req: &MessagesRequest) -> Vec<ChatMessage> {
        match &req.system {
            Some(System::Text(t)) => self.system.push(t.clone()),
            Some(System::Blocks(b)) => self.system_blocks(b),
            None => {}
        }
        for m in &req.messages {
            match m.role {
                Role::System => self.system_blocks(&m.content.blocks()),
                Role::User => self.user(&m.content),
                Role::Assistant => self.assistant(&m.content.blocks()),
                Role::Unknown => self.notes.add("dropped a message with an unknown role"),
            }
        }
        self.close_open();
        self.system.retain(|s| !s.is_empty());
        if !self.system.is_empty() {
            let text = Text::join(&self.system, "\n\n");
            self.out
                .insert(0, message("system", ChatContent::Text(text)));
        }
        self.out
    }

    fn system_blocks(&mut self, blocks: &[Block]) {
        for b in blocks {
            match b {
                Block::Text { text, .. }
                    if !self.q.billing_header && is_billing_line(text.raw()) =>
                {
                    self.notes.add(BILLING_NOTE);
                }
                Block::Text { text, .. } => self.system.push(text.clone()),
                _ => self
                    .notes
                    .add("dropped a non-text block from a system prompt"),
            }
        }
    }

    fn tool_message(&mut self, id: String, text: Text) {
        let mut m = message("tool", ChatContent::Text(text));
        m.tool_call_id = Some(id);
        self.out.push(m);
    }

    /// Calls left unanswered would make the upstream reject the request.
    fn close_open(&mut self) {
        for id in std::mem::take(&mut self.open) {
            self.notes
                .add("added an error result for a tool call that had none");
            self.tool_message(
                id,
                Text::new("Error: no result was recorded for this tool call."),
            );
        }
    }

    fn user(&mut self, content: &Content) {
        let blocks = content.blocks();
        // Tool messages go first whatever the block order: user text in the
        // same turn must not come between a call and its result. Images of
        // results follow in one user message, then the turn's own parts.
        let mut parts: Vec<Part> = Vec::new();
        let mut own: Vec<Part> = Vec::new();
        let mut answered = 0;
        for b in blocks.iter() {
            let Block::ToolResult {
                tool_use_id,
                content,
                is_error,
            } = b
            else {
                continue;
            };
            let id = upstream_tool_id(tool_use_id, self.q.tool_call_id);
            let (mut text, images) = self.tool_result(content.as_ref());
            if *is_error == Some(true) {
                // Tool messages have no error flag; the model must still know.
                text = prefixed("Error: ", &text);
            }
            let Some(at) = self.open.iter().position(|o| *o == id) else {
                // No matching call just before: a `tool` message would be
                // rejected, so the result travels as user text.
                self.notes
                    .add("sent a tool result without a matching tool call as user text");
                own.push(Part::Text {
                    text: prefixed(&format!("[Result of tool call {id}]\n"), &text),
                });
                own.extend(images);
                continue;
            };
            self.open.remove(at);
            if !images.is_empty() {
                let n = images.len();
                let notice =
                    format!("[{n} image(s) from this result follow in the next user message.]");
                let mut b = TextBuf::new();
                if !text.is_empty() {
                    b.push_text(&text).push_str("\n\n");
                }
                b.push_str(&notice);
                text = b.finish();
                parts.push(Part::Text {
                    text: Text::new(&format!("Image output of tool call {id}:")),
                });
                parts.extend(images);
            }
            self.tool_message(id, text);
            answered += 1;
        }
        self.close_open();
        for b in blocks
            .iter()
            .filter(|b| !matches!(b, Block::ToolResult { .. }))
        {
            own.extend(self.part(b));
        }
        parts.extend(own);
        // An empty turn still becomes a user message, keeping roles alternating.
        if !parts.is_empty() || answered == 0 {
            self.out.push(message("user", user_content(parts)));
        }
    }

    /// A user-side block as a part; `None` when it has no OpenAI form.
    fn part(&mut self, b: &Block) -> Option<Part> {
        match b {
            Block::Text { text, .. } if text.is_empty() => None,
            Block::Text { text, .. } => Some(Part::Text { text: text.clone() }),
            Block::Image { source } => self.image(source),
            Block::Document { source, title } => Some(self.document(source, title.as_deref())),
            Block::ToolReference { tool_name } => Some(Part::Text {
                text: Text::new(&format!("Tool {tool_name} loaded")),
            }),
            Block::ToolResult { .. } => None,
            Block::ToolUse { .. } | Block::Thinking { .. } | Block::RedactedThinking { .. } => {
                self.notes
                    .add("dropped an assistant-only block from a user turn");
                None
            }
            Block::Unknown => {
                self.notes
                    .add("dropped a content block of an unsupported type");
                None
            }
        }
    }

    /// Text and images of a tool result. Images come back separately to be
    /// sent as image parts, never stringified into the text.
    fn tool_result(&mut self, content: Option<&ToolResultContent>) -> (Text, Vec<Part>) {
        let blocks = match content {
            None => return (Text::default(), Vec::new()),
            Some(ToolResultContent::Text(t)) => return (t.clone(), Vec::new()),
            Some(ToolResultContent::Blocks(b)) => b,
        };
        let (mut texts, mut images) = (Vec::new(), Vec::new());
        for b in blocks {
            match self.part(b) {
                Some(Part::Text { text }) => texts.push(text),
                Some(image) => images.push(image),
                None => {}
            }
        }
        (Text::join(&texts, "\n\n"), images)
    }

    fn image(&mut self, source: &Source) -> Option<Part> {
        if !self.q.images {
            self.notes
                .add("replaced an image with a notice: the upstream accepts no images");
            let text = "[An image was attached here, but this provider cannot receive images.]";
            return Some(Part::Text {
                text: Text::new(text),
            });
        }
        let url = match source {
            Source::Base64 { media_type, data } => format!("data:{media_type};base64,{data}"),
            Source::Url { url } => url.clone(),
            _ => {
                self.notes
                    .add("dropped an image with an unsupported source");
                return None;
            }
        };
        Some(Part::ImageUrl {
            image_url: ImageUrl { url },
        })
    }

    /// Chat Completions has no portable document part: plain text is
    /// inlined, anything else becomes a notice so the model knows of it.
    fn document(&mut self, source: &Source, title: Option<&str>) -> Part {
        let text = match (source, title) {
            (Source::Text { data, .. }, Some(t)) => format!("Document \"{t}\":\n{data}"),
            (Source::Text { data, .. }, None) => data.clone(),
            (other, _) => {
                let what = match (other, title) {
                    (Source::Url { url }, _) => format!("document at {url}"),
                    (_, Some(t)) => format!("PDF document \"{t}\""),
                    _ => "PDF document".into(),
                };
                self.notes
                    .add("replaced a document with a notice: documents cannot be sent upstream");
                format!("[A {what} was attached here, but it cannot be sent to this provider.]")
            }
        };
        Part::Text {
            text: Text::new(&text),
        }
    }

    fn assistant(&mut self, blocks: &[Block]) {
        self.close_open();
        let (mut texts, mut thinking, mut calls) = (Vec::new(), Vec::new(), Vec::new());
        for b in blocks {
            match b {
                Block::Text { text, .. } if !text.is_empty() => texts.push(text),
                Block::ToolUse { id, name, input } => calls.push(ToolCall {
                    id: upstream_tool_id(id, self.q.tool_call_id),
                    kind: "function".into(),
                    function: FunctionCall {
                        name: name.clone(),
                        arguments: arguments(input),
                    },
                    extra: Map::new(),
                }),
                Block::Thinking {
                    thinking: t,
                    signature,
                } => {
                    if self.to.echoes(signature.as_deref()) {
                        thinking.push((t, signature.as_deref()));
                    } else if self.q.reasoning_echo {
                        self.notes.add(
                            "left out thinking another provider made (its reasoning means nothing to this one)",
                        );
                    }
                }
                // Redacted thinking is encrypted for Anthropic only.
                Block::Text { .. } | Block::RedactedThinking { .. } => {}
                _ => self
                    .notes
                    .add("dropped a non-text block from an assistant message"),
            }
        }
        let mut text = Text::join(texts, "\n\n");
        let mut echo = Echo::default();
        if self.q.reasoning_echo {
            let t = joined_thinking(&thinking);
            if self.q.think_tags {
                // Providers that emit <think> inline (MiniMax) want it back inline.
                if !t.is_empty() {
                    let mut b = TextBuf::new();
                    b.push_str("<think>\n").push_text(&t).push_str("\n</think>");
                    if !text.is_empty() {
                        b.push_str("\n\n").push_text(&text);
                    }
                    text = b.finish();
                }
            } else {
                echo = reasoning_echo(self.q.reasoning_field, t, &thinking);
            }
        }
        if self.q.thought_signatures
            && let Some(first) = calls.first_mut()
        {
            let sig = json!({"google": {"thought_signature": SKIP_THOUGHT_SIGNATURE}});
            first.extra.insert("extra_content".into(), sig);
        }
        self.open = calls.iter().map(|c| c.id.clone()).collect();
        // Content may be absent only beside tool calls: an assistant turn
        // whose blocks were all dropped keeps "" so roles still alternate.
        let mut m = message("assistant", ChatContent::Text(text));
        if !calls.is_empty() {
            if matches!(&m.content, Some(ChatContent::Text(t)) if t.is_empty()) {
                m.content = None;
            }
            m.tool_calls = Some(calls);
        }
        m.reasoning_content = echo.content;
        m.reasoning = echo.reasoning;
        m.reasoning_details = echo.details;
        self.out.push(m);
    }
}

fn message(role: &str, content: ChatContent) -> ChatMessage {
    ChatMessage {
        role: role.into(),
        content: Some(content),
        ..ChatMessage::default()
    }
}

/// Text-only content as one string: many OpenAI-compatible servers accept
/// nothing else for user messages.
fn user_content(parts: Vec<Part>) -> ChatContent {
    let texts: Option<Vec<&Text>> = parts
        .iter()
        .map(|p| {
            if let Part::Text { text } = p {
                Some(text)
            } else {
                None
            }
        })
        .collect();
    match texts {
        // One text moves as it is; several are joined.
        Some(t) if t.len() == 1 => match parts.into_iter().next() {
            Some(Part::Text { text }) => ChatContent::Text(text),
            _ => ChatContent::Text(Text::default()),
        },
        Some(t) => ChatContent::Text(Text::join(t, "\n\n")),
        None => ChatContent::Parts(parts),
    }
}

/// Compact JSON of a tool input; a missing input is an empty object.
fn arguments(input: &Value) -> String {
    match input {
        Value::Null => "{}".into(),
        v => v.to_string(),
    }
}
