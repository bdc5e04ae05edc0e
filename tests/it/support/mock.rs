//! A scripted upstream on 127.0.0.1 for proxy tests: answers each request
//! with the next scripted reply (JSON, SSE chunks with delays, a stall, a
//! cut connection) and records what it received.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};

#[derive(Clone, Debug)]
pub enum Reply {
    /// A whole response.
    Json {
        status: u16,
        body: String,
        headers: Vec<(String, String)>,
    },
    /// An SSE response: each chunk is sent after its delay.
    Sse {
        chunks: Vec<(Duration, String)>,
        then: End,
    },
    /// Headers, then `chunk` over and over until the client goes away (or
    /// `limit` bytes, announced as the length when `announce`).
    Endless {
        status: u16,
        content_type: &'static str,
        chunk: Bytes,
        limit: Option<u64>,
        announce: bool,
    },
    /// A reply made from the request it answers and every request the mock
    /// saw before it (a provider's prompt cache, say).
    Computed(Compute),
}

/// Makes a reply from the request and the ones before it.
pub type ComputeFn = dyn Fn(&Recorded, &[Recorded]) -> Reply + Send + Sync;

/// What a [`Reply::Computed`] runs.
#[derive(Clone)]
pub struct Compute(pub Arc<ComputeFn>);

impl std::fmt::Debug for Compute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Compute(..)")
    }
}

/// A reply computed when its request arrives.
pub fn computed(f: impl Fn(&Recorded, &[Recorded]) -> Reply + Send + Sync + 'static) -> Reply {
    Reply::Computed(Compute(Arc::new(f)))
}

impl Reply {
    /// The same JSON reply with one more header (`Retry-After`, say).
    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Json {
                status,
                body,
                mut headers,
            } => {
                headers.push((name.to_string(), value.to_string()));
                Reply::Json {
                    status,
                    body,
                    headers,
                }
            }
            other => panic!("headers are scripted on JSON replies only: {other:?}"),
        }
    }
}

/// `status` with a body that never ends: `chunk` repeated.
pub fn endless(status: u16, content_type: &'static str, chunk: &[u8]) -> Reply {
    Reply::Endless {
        status,
        content_type,
        chunk: Bytes::copy_from_slice(chunk),
        limit: None,
        announce: false,
    }
}

/// Headers with this content type, then nothing at all.
pub fn stall(status: u16, content_type: &'static str) -> Reply {
    Reply::Endless {
        status,
        content_type,
        chunk: Bytes::new(),
        limit: None,
        announce: false,
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Finish the body normally.
    Close,
    /// Keep the connection open and send nothing more.
    Hang,
    /// Abort the connection without finishing the body.
    Reset,
}

#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

#[derive(Default)]
struct Inner {
    replies: VecDeque<Reply>,
    seen: Vec<Recorded>,
    /// When a streamed reply last noticed its client had gone.
    client_gone_at: Option<Instant>,
    /// How many streamed replies noticed their client had gone.
    clients_gone: usize,
    /// Bytes of endless bodies sent so far.
    endless_sent: u64,
}

#[derive(Clone)]
pub struct Mock {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
}

pub fn json(status: u16, body: &str) -> Reply {
    Reply::Json {
        status,
        body: body.to_string(),
        headers: vec![],
    }
}

/// SSE from `data:` payloads, sent back to back.
pub fn sse(payloads: &[&str]) -> Reply {
    Reply::Sse {
        chunks: payloads
            .iter()
            .map(|p| (Duration::ZERO, format!("data: {p}\n\n")))
            .collect(),
        then: End::Close,
    }
}

/// An OpenAI-kind streamed answer of one text delta, then stop.
pub fn openai_text(t: &str) -> Reply {
    let c = serde_json::json!({"choices": [{"index": 0, "delta": {"content": t}}]}).to_string();
    let f = serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        .to_string();
    sse(&[&c, &f, "[DONE]"])
}

/// An OpenAI-kind streamed tool call: one function call with `args`, then
/// `finish_reason: tool_calls`.
pub fn openai_call(name: &str, id: &str, args: &serde_json::Value) -> Reply {
    let call = serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0,
        "id": id, "type": "function",
        "function": {"name": name, "arguments": args.to_string()}}]}}]})
    .to_string();
    let f =
        serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})
            .to_string();
    sse(&[&call, &f, "[DONE]"])
}

/// Claude Code 2.1.332 defers its rarer tools (WebSearch, WebFetch): the
/// model loads `tool` with ToolSearch, then calls it. Two OpenAI-kind turns.
pub fn push_deferred_call(up: &Mock, tool: &str, id: &str, args: &serde_json::Value) {
    up.push(openai_call(
        "ToolSearch",
        "call_ts",
        &serde_json::json!({"query": format!("select:{tool}"), "max_results": 1}),
    ));
    up.push(openai_call(tool, id, args));
}

/// An Anthropic-kind streamed message with these content blocks (`text`,
/// `thinking` or `tool_use`), as the Messages API sends it.
pub fn anthropic_stream(blocks: &[serde_json::Value], stop: &str) -> Reply {
    use serde_json::json;
    let ev = |name: &str, data: serde_json::Value| format!("event: {name}\ndata: {data}\n\n");
    let mut out = vec![ev(
        "message_start",
        json!({"type": "message_start", "message": {"id": "msg_mock", "type": "message",
            "role": "assistant", "model": "m", "content": [], "stop_reason": null,
            "stop_sequence": null, "usage": {"input_tokens": 10, "output_tokens": 1}}}),
    )];
    for (i, b) in blocks.iter().enumerate() {
        let (start, deltas) = match b["type"].as_str() {
            Some("tool_use") => (
                json!({"type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}),
                vec![json!({"type": "input_json_delta", "partial_json": b["input"].to_string()})],
            ),
            Some("thinking") => (
                json!({"type": "thinking", "thinking": "", "signature": ""}),
                vec![
                    json!({"type": "thinking_delta", "thinking": b["thinking"]}),
                    json!({"type": "signature_delta", "signature": b["signature"]}),
                ],
            ),
            _ => (
                json!({"type": "text", "text": ""}),
                vec![json!({"type": "text_delta", "text": b["text"]})],
            ),
        };
        out.push(ev(
            "content_block_start",
            json!({"type": "content_block_start", "index": i, "content_block": start}),
        ));
        for delta in deltas {
            out.push(ev(
                "content_block_delta",
                json!({"type": "content_block_delta", "index": i, "delta": delta}),
            ));
        }
        out.push(ev(
            "content_block_stop",
            json!({"type": "content_block_stop", "index": i}),
        ));
    }
    out.push(ev(
        "message_delta",
        json!({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": null},
            "usage": {"output_tokens": 5}}),
    ));
    out.push(ev("message_stop", json!({"type": "message_stop"})));
    Reply::Sse {
        chunks: out.into_iter().map(|c| (Duration::ZERO, c)).collect(),
        then: End::Close,
    }
}

/// An Anthropic-kind streamed tool call.
pub fn anthropic_call(name: &str, id: &str, args: &serde_json::Value) -> Reply {
    anthropic_stream(
        &[serde_json::json!({"type": "tool_use", "id": id, "name": name, "input": args})],
        "tool_use",
    )
}

/// An Anthropic-kind streamed text answer.
pub fn anthropic_text(t: &str) -> Reply {
    anthropic_stream(
        &[serde_json::json!({"type": "text", "text": t})],
        "end_turn",
    )
}

/// An OpenAI-kind streamed answer of one text delta that reports this
/// usage, then stop.
pub fn openai_text_usage(t: &str, prompt_tokens: u64, completion_tokens: u64) -> Reply {
    let c = serde_json::json!({"choices": [{"index": 0, "delta": {"content": t}}]}).to_string();
    let f = serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}})
    .to_string();
    sse(&[&c, &f, "[DONE]"])
}

/// A whole (not streamed) OpenAI-kind chat completion of `message`: the
/// web search loop's inner calls.
pub fn chat_completion(message: serde_json::Value, finish: &str) -> Reply {
    json(
        200,
        &serde_json::json!({"id": "chatcmpl-ws", "object": "chat.completion", "model": "m",
                "choices": [{"index": 0, "message": message, "finish_reason": finish}],
                "usage": {"prompt_tokens": 120, "completion_tokens": 9}})
        .to_string(),
    )
}

/// The config table of an OpenAI-kind provider `name` on `up`, keyed by
/// `UP_KEY`.
pub fn openai_provider(name: &str, up: &Mock) -> String {
    format!(
        "[providers.{name}]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n",
        up.url("/v1")
    )
}

/// A config with profile `p` on `up`: provider `oa`, OpenAI-kind and
/// keyed by `UP_KEY`, main model `m-main`.
pub fn oa_config(up: &Mock) -> String {
    format!(
        "{}[profiles.p]\nprovider = \"oa\"\nmain = \"m-main\"\n",
        openai_provider("oa", up)
    )
}

/// A config with profile `p` on `up` as DeepSeek's OpenAI endpoint (the
/// preset's quirks), keyed by `UP_KEY`, main model `deepseek-v4-pro`.
pub fn deepseek_config(up: &Mock) -> String {
    format!(
        "[providers.ds]\npreset = \"deepseek\"\napi = \"openai\"\nbase_url = \"{}\"\n\
         key = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n",
        up.url("/v1")
    )
}

/// A config with profile `p` on two OpenAI-kind mocks: `main = "m"` on
/// `up`, `fast = "f"` on `fast`, both keyed by `UP_KEY`; `extra` follows
/// (more profile lines, or other tables).
pub fn two_upstreams_config(up: &Mock, fast: &Mock, extra: &str) -> String {
    format!(
        "[providers.up]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [providers.f]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"up\"\nmain = \"m\"\nfast = {{ provider = \"f\", model = \"f\" }}\n\
         {extra}",
        up.url("/v1"),
        fast.url("/v1"),
    )
}

/// SSE from raw text chunks.
pub fn sse_raw(chunks: &[&str], then: End) -> Reply {
    Reply::Sse {
        chunks: chunks
            .iter()
            .map(|c| (Duration::ZERO, c.to_string()))
            .collect(),
        then,
    }
}

impl Mock {
    /// Start on a free port, on the current tokio runtime.
    pub async fn start() -> Mock {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let inner = Arc::new(Mutex::new(Inner::default()));
        let mock = Mock {
            addr,
            inner: inner.clone(),
        };
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let inner = inner.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(move |req| handle(inner.clone(), req));
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        mock
    }

    /// `N` mocks, each started as `start` does.
    pub async fn start_n<const N: usize>() -> [Mock; N] {
        let mut mocks = Vec::with_capacity(N);
        for _ in 0..N {
            mocks.push(Mock::start().await);
        }
        mocks
            .try_into()
            .unwrap_or_else(|_| unreachable!("{N} mocks started"))
    }

    /// A mock that answers `n` Chat Completions requests with `text`
    /// (120 prompt and 9 completion tokens each).
    pub async fn answering(n: usize, text: &str) -> Mock {
        let up = Mock::start().await;
        for _ in 0..n {
            up.push(chat_completion(
                serde_json::json!({"role": "assistant", "content": text}),
                "stop",
            ));
        }
        up
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The three answers a passing `ccswitch test` needs from an
    /// OpenAI-kind upstream: text ("pong"), the forced `echo_number` call
    /// with n = 42, and text after its result.
    pub fn push_passing_probe(&self) {
        self.push(openai_text("pong"));
        let call = serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "id": "call_1", "type": "function",
            "function": {"name": "echo_number", "arguments": "{\"n\": 42}"}}]}, "finish_reason": "tool_calls"}]})
        .to_string();
        self.push(sse(&[&call, "[DONE]"]));
        self.push(openai_text("The number is 42."));
    }

    pub fn push(&self, r: Reply) {
        self.inner.lock().unwrap().replies.push_back(r);
    }

    pub fn seen(&self) -> Vec<Recorded> {
        self.inner.lock().unwrap().seen.clone()
    }

    pub fn last(&self) -> Recorded {
        self.seen().last().cloned().expect("the mock saw a request")
    }

    pub fn client_gone_at(&self) -> Option<Instant> {
        self.inner.lock().unwrap().client_gone_at
    }

    /// How many streamed replies saw their client go: a proxy that
    /// stopped reading and dropped the connection, observed.
    pub fn clients_gone(&self) -> usize {
        self.inner.lock().unwrap().clients_gone
    }

    /// How much of its endless bodies the mock got to send.
    pub fn endless_sent(&self) -> u64 {
        self.inner.lock().unwrap().endless_sent
    }
}

/// A streamed reply's client went away (its connection closed).
fn client_gone(inner: &Mutex<Inner>) {
    let mut g = inner.lock().unwrap();
    g.client_gone_at = Some(Instant::now());
    g.clients_gone += 1;
}

type MockBody = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;

async fn handle(
    inner: Arc<Mutex<Inner>>,
    req: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<MockBody>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = body
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let reply = {
        let mut g = inner.lock().unwrap();
        g.seen.push(Recorded {
            method: parts.method.to_string(),
            path: parts.uri.to_string(),
            headers: parts
                .headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
                .collect(),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        match g.replies.pop_front() {
            Some(Reply::Computed(Compute(f))) => {
                let (this, earlier) = g.seen.split_last().expect("just recorded");
                Some(f(this, earlier))
            }
            other => other,
        }
    };
    let reply =
        reply.unwrap_or_else(|| json(500, r#"{"error":{"message":"mock has no scripted reply"}}"#));
    Ok(match reply {
        Reply::Json {
            status,
            body,
            headers,
        } => {
            let mut r = http::Response::new(
                http_body_util::Full::new(Bytes::from(body))
                    .map_err(|e: Infallible| match e {})
                    .boxed_unsync(),
            );
            *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
            r.headers_mut()
                .insert("content-type", "application/json".parse().unwrap());
            for (k, v) in headers {
                r.headers_mut().insert(
                    http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    v.parse().unwrap(),
                );
            }
            r
        }
        Reply::Sse { chunks, then } => {
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(4);
            tokio::spawn(async move {
                for (delay, chunk) in chunks {
                    tokio::time::sleep(delay).await;
                    if tx.send(Ok(Frame::data(Bytes::from(chunk)))).await.is_err() {
                        client_gone(&inner);
                        return;
                    }
                }
                match then {
                    End::Close => {}
                    End::Hang => {
                        tx.closed().await;
                        client_gone(&inner);
                    }
                    End::Reset => {
                        // Let what was sent reach the client first.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        let _ = tx.send(Err(std::io::Error::other("reset"))).await;
                    }
                }
            });
            let stream = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|x| (x, rx))
            });
            let mut r = http::Response::new(StreamBody::new(stream).boxed_unsync());
            r.headers_mut()
                .insert("content-type", "text/event-stream".parse().unwrap());
            r
        }
        Reply::Computed(_) => panic!("a computed reply computed another"),
        Reply::Endless {
            status,
            content_type,
            chunk,
            limit,
            announce,
        } => {
            let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(2);
            tokio::spawn(async move {
                if chunk.is_empty() {
                    tx.closed().await;
                    client_gone(&inner);
                    return;
                }
                let mut sent = 0u64;
                while limit.is_none_or(|l| sent < l) {
                    if tx.send(Ok(Frame::data(chunk.clone()))).await.is_err() {
                        client_gone(&inner);
                        return;
                    }
                    sent += chunk.len() as u64;
                    inner.lock().unwrap().endless_sent += chunk.len() as u64;
                }
            });
            let stream = futures_util::stream::unfold(rx, |mut rx| async move {
                rx.recv().await.map(|x| (x, rx))
            });
            let mut r = http::Response::new(StreamBody::new(stream).boxed_unsync());
            *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
            r.headers_mut()
                .insert("content-type", content_type.parse().unwrap());
            if let (true, Some(l)) = (announce, limit) {
                r.headers_mut()
                    .insert("content-length", l.to_string().parse().unwrap());
            }
            r
        }
    })
}
