//! The loop's state machine: which call or search comes next, and the
//! blocks of the message it builds.

use serde_json::{Map, Value, json};

use super::domains::{conflict, filter};
use super::history::unfold_history;
use super::spec::{Spec, TOOL_NAME, function, is_web_search, model_text, result_blocks};
use crate::hit::Hit;
use crate::proxy::translate::anthropic::{
    MessageResponse, OutBlock, ServerToolUsage, StopReason, Usage,
};

/// A search that gave no results, as the client's error block says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    /// `web_search_tool_result_error.error_code`.
    pub code: String,
    /// What the model reads, so it can tell the user.
    pub message: String,
}

/// What the caller does next.
#[derive(Debug, PartialEq)]
pub enum LoopStep {
    /// Send this Anthropic-shaped body upstream (not streamed) and pass the
    /// reply to [`Loop::reply`].
    Call(Value),
    /// Run this search and pass the outcome to [`Loop::searched`].
    Search(String),
    /// The message is complete: [`Loop::message`].
    Done,
}

#[derive(Debug, PartialEq)]
enum State {
    Call,
    Searching,
    Done,
}

/// One web-search call of the model that awaits its results.
struct Pending {
    model_id: String,
    server_id: String,
    query: String,
}

pub struct Loop {
    body: Map<String, Value>,
    spec: Spec,
    state: State,
    /// Searches run (or refused) so far, against `max_uses`.
    used: u32,
    /// Searches that returned results, for `usage.server_tool_use`.
    searched: u32,
    exceeded: bool,
    pending: Vec<Pending>,
    /// The model's reply being answered, for the conversation.
    turn: Vec<Value>,
    results: Vec<Value>,
    /// The reply's client tool calls: after its searches, the message ends
    /// with them so the client can run them.
    client_calls: Vec<OutBlock>,
    /// The blocks of the message so far, and how many were handed out.
    blocks: Vec<OutBlock>,
    drained: usize,
    usage: Usage,
    stop: Option<StopReason>,
}

impl Loop {
    /// The loop for a request body whose tools hold the web search tool.
    pub fn start(mut body: Map<String, Value>, spec: Spec) -> Loop {
        if let Some(Value::Array(tools)) = body.get_mut("tools") {
            for t in tools.iter_mut() {
                if is_web_search(t) {
                    *t = function(&spec);
                }
            }
        }
        Loop::native(body, spec)
    }

    /// The loop for an upstream whose own search runs the tool (quirk
    /// `native_search`): the tool stays in the body for the translator,
    /// and the reply brings its search blocks along.
    pub fn native(mut body: Map<String, Value>, spec: Spec) -> Loop {
        body.insert("stream".into(), Value::Bool(false));
        if let Some(Value::Array(messages)) = body.get_mut("messages") {
            unfold_history(messages);
        }
        Loop {
            body,
            spec,
            state: State::Call,
            used: 0,
            searched: 0,
            exceeded: false,
            pending: Vec::new(),
            turn: Vec::new(),
            results: Vec::new(),
            client_calls: Vec::new(),
            blocks: Vec::new(),
            drained: 0,
            usage: Usage::default(),
            stop: None,
        }
    }

    /// The next thing to do. Searches past `max_uses` are answered here,
    /// without the caller.
    pub fn step(&mut self) -> LoopStep {
        loop {
            match self.state {
                State::Done => return LoopStep::Done,
                State::Call => return LoopStep::Call(Value::Object(self.body.clone())),
                State::Searching => {
                    if !self.pending.is_empty() && conflict(&self.spec) {
                        self.answer(Err(Failure {
                            code: "invalid_tool_input".into(),
                            message: "the request gives both allowed_domains and blocked_domains; \
                                      only one of them may be given, so no search was run"
                                .into(),
                        }));
                        continue;
                    }
                    if let Some(p) = self.pending.first() {
                        if self.used < self.spec.max_uses {
                            return LoopStep::Search(p.query.clone());
                        }
                        self.exceeded = true;
                        self.answer(Err(Failure {
                            code: "max_uses_exceeded".into(),
                            message: format!(
                                "web search is limited to {} searches for this message; answer with the results you have",
                                self.spec.max_uses
                            ),
                        }));
                        continue;
                    }
                    self.end_turn();
                }
            }
        }
    }

    /// The upstream's reply to the last [`LoopStep::Call`], as Anthropic's
    /// message JSON. `new_id` names each search for the client
    /// (`srvtoolu_…`).
    pub fn reply(&mut self, reply: &Value, new_id: &mut dyn FnMut() -> String) {
        let message: MessageResponse = parse_reply(reply);
        add_usage(&mut self.usage, &message.usage);
        self.stop = message.stop_reason;
        self.turn.clear();
        self.results.clear();
        self.client_calls.clear();
        let wants_search = message
            .content
            .iter()
            .any(|b| matches!(b, OutBlock::ToolUse { name, .. } if name == TOOL_NAME));
        // A model that searches again after being told it may not is
        // stopped here: the loop must end.
        let searching = wants_search && !self.exceeded;
        for block in message.content {
            match block {
                OutBlock::ToolUse { id, name, input } if name == TOOL_NAME => {
                    if !searching {
                        continue;
                    }
                    let query = input
                        .get("query")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string();
                    let server_id = new_id();
                    self.turn.push(json!({
                        "type": "tool_use", "id": id, "name": TOOL_NAME, "input": input,
                    }));
                    self.blocks.push(OutBlock::ServerToolUse {
                        id: server_id.clone(),
                        name: TOOL_NAME.into(),
                        input: json!({ "query": query }),
                    });
                    self.pending.push(Pending {
                        model_id: id,
                        server_id,
                        query,
                    });
                }
                OutBlock::ToolUse { .. } => self.client_calls.push(block),
                // The upstream searched itself (`native`): one search, as
                // `usage.server_tool_use` and `max_uses` count them.
                OutBlock::WebSearchToolResult { .. } => {
                    self.used += 1;
                    self.searched += 1;
                    self.blocks.push(block);
                }
                other => {
                    if searching {
                        self.turn.push(to_value(&other));
                    }
                    self.blocks.push(other);
                }
            }
        }
        if searching {
            self.state = State::Searching;
        } else {
            self.blocks.append(&mut self.client_calls);
            if wants_search && self.stop == Some(StopReason::ToolUse) && !self.has_tool_use() {
                self.stop = Some(StopReason::EndTurn);
            }
            self.state = State::Done;
        }
    }

    /// The outcome of the last [`LoopStep::Search`]. Results outside the
    /// tool's domain lists are dropped here, before the client or the model
    /// sees them.
    pub fn searched(&mut self, outcome: Result<Vec<Hit>, Failure>) {
        self.used += 1;
        if outcome.is_ok() {
            self.searched += 1;
        }
        self.answer(outcome.map(|hits| filter(&self.spec, hits)));
    }

    /// Blocks finished since the last call, for a streaming client.
    pub fn drain(&mut self) -> &[OutBlock] {
        let from = self.drained;
        self.drained = self.blocks.len();
        &self.blocks[from..]
    }

    /// Index the next drained block will have in the message.
    pub fn drained(&self) -> usize {
        self.drained
    }

    /// Usage over every inner call so far.
    pub fn usage(&self) -> Usage {
        let mut u = self.usage;
        if self.searched > 0 {
            u.server_tool_use = Some(ServerToolUsage {
                web_search_requests: self.searched,
            });
        }
        u
    }

    pub fn stop_reason(&self) -> StopReason {
        self.stop.unwrap_or(StopReason::EndTurn)
    }

    /// The whole message.
    pub fn message(&self, id: &str, model: &str) -> MessageResponse {
        let mut m = MessageResponse::new(id, model);
        m.content.clone_from(&self.blocks);
        m.stop_reason = Some(self.stop_reason());
        m.usage = self.usage();
        m
    }

    fn has_tool_use(&self) -> bool {
        self.blocks
            .iter()
            .any(|b| matches!(b, OutBlock::ToolUse { .. }))
    }

    /// The first pending search answered: its result block for the client,
    /// its tool result for the model.
    fn answer(&mut self, outcome: Result<Vec<Hit>, Failure>) {
        if self.pending.is_empty() {
            return;
        }
        let p = self.pending.remove(0);
        let (content, text) = match outcome {
            Ok(hits) => (result_blocks(&hits), model_text(&p.query, &hits)),
            Err(f) => (
                json!({"type": "web_search_tool_result_error", "error_code": f.code}),
                format!("Web search failed ({}): {}", f.code, f.message),
            ),
        };
        self.blocks.push(OutBlock::WebSearchToolResult {
            tool_use_id: p.server_id,
            content,
        });
        self.results.push(json!({
            "type": "tool_result", "tool_use_id": p.model_id, "content": text,
        }));
    }

    /// Every search of the reply answered: the reply and its results join
    /// the conversation, and the model is asked again, unless the reply
    /// also called client tools, which only the client can run.
    fn end_turn(&mut self) {
        if !self.client_calls.is_empty() {
            self.blocks.append(&mut self.client_calls);
            self.stop = Some(StopReason::ToolUse);
            self.state = State::Done;
            return;
        }
        if let Some(Value::Array(messages)) = self.body.get_mut("messages") {
            messages.push(json!({"role": "assistant", "content": std::mem::take(&mut self.turn)}));
            messages.push(json!({"role": "user", "content": std::mem::take(&mut self.results)}));
        }
        self.state = State::Call;
    }
}

/// A reply as a message: blocks of kinds this loop does not know (an
/// Anthropic-kind upstream's extras) are left out rather than failing.
fn parse_reply(reply: &Value) -> MessageResponse {
    let mut m = MessageResponse::new(
        reply.get("id").and_then(Value::as_str).unwrap_or_default(),
        reply
            .get("model")
            .and_then(Value::as_str)
            .unwrap_or_default(),
    );
    if let Some(blocks) = reply.get("content").and_then(Value::as_array) {
        m.content = blocks
            .iter()
            .filter_map(|b| serde_json::from_value::<OutBlock>(b.clone()).ok())
            .filter(|b| !matches!(b, OutBlock::Text { text } if text.is_empty()))
            .collect();
    }
    m.stop_reason = reply
        .get("stop_reason")
        .and_then(|s| serde_json::from_value(s.clone()).ok());
    if let Some(u) = reply
        .get("usage")
        .and_then(|u| serde_json::from_value(u.clone()).ok())
    {
        m.usage = u;
    }
    m
}

fn to_value(block: &OutBlock) -> Value {
    serde_json::to_value(block).unwrap_or(Value::Null)
}

fn add_usage(sum: &mut Usage, u: &Usage) {
    sum.input_tokens += u.input_tokens;
    sum.output_tokens += u.output_tokens;
    let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
    };
    sum.cache_creation_input_tokens = add(
        sum.cache_creation_input_tokens,
        u.cache_creation_input_tokens,
    );
    sum.cache_read_input_tokens = add(sum.cache_read_input_tokens, u.cache_read_input_tokens);
    sum.reasoning_tokens += u.reasoning_tokens;
    sum.estimated |= u.estimated;
}
