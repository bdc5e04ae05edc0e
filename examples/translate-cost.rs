//! What the pure translation costs, without sockets: the long-conversation
//! request of `proxy-load` (about 416 KB) parsed, translated and encoded for
//! an OpenAI-kind upstream, and a 50-chunk OpenAI stream decoded, translated
//! and encoded for Claude Code. Prints the median time of each over many
//! rounds, so a change to the translators can be measured in seconds.
//! Also the Anthropic passthrough's rewrite of captured Claude Code
//! requests with tool search applied by the proxy (quirk `tool_search`
//! false) and left to the upstream (true): what applying it costs.
//! And history repair (issue 25): the same conversation with thinking on
//! every assistant turn, through the passthrough rewrite and the OpenAI
//! translation, made by the provider it goes to (single-provider profile,
//! and one spanning providers) and by another.
//!
//!     cargo run --release --example translate-cost [-- --rounds N]
//!
//! Each stage is a function of its own (`stage_*`), so an instruction count
//! under `valgrind --tool=callgrind` (steady even on a busy machine) can be
//! read per stage as well.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ccswitch::config::{Quirks, RawQuirks};
use ccswitch::proxy::translate::anthropic::MessagesRequest;
use ccswitch::proxy::translate::passthrough::{RawBody, encode_request, rewrite_request};
use ccswitch::proxy::translate::provenance::{Provenance, reasoning_signature, signed};
use ccswitch::proxy::translate::recall;
use ccswitch::proxy::translate::request::{UpstreamModel, to_openai};
use ccswitch::proxy::translate::sse::{SseDecoder, encode_into};
use ccswitch::proxy::translate::stream::{StreamConfig, StreamTranslator};

// The allocator the proxy runs with (`main.rs`): with glibc's, timings
// of the long bodies here followed where their buffers crossed its mmap
// threshold more than what the code did.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const CHUNKS: usize = 50;

/// The same conversation `proxy-load` sends: the fixture's request with
/// alternating text turns until it reaches about `bytes`.
fn long_conversation(bytes: usize) -> String {
    long_conversation_signed(bytes, None)
}

/// The same, each assistant turn led by a thinking block with this
/// signature (a session with thinking on, as history repair sees it).
fn long_conversation_signed(bytes: usize, signature: Option<&str>) -> String {
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../tests/fixtures/claude-code/main-turn-minimal.json"
    ))
    .expect("fixture");
    let mut body = fixture["body"].clone();
    body["model"] = "m".into();
    body["stream"] = false.into();
    let turn = "Here is the file you asked about, with the change applied and the \
                tests updated. The function now returns early when the input is empty, \
                and the caller handles the new error case. "
        .repeat(8);
    let mut messages = Vec::new();
    let mut i = 0;
    while body.to_string().len() + messages.len() * turn.len() < bytes {
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        let text = serde_json::json!({"type": "text", "text": format!("{i}: {turn}")});
        let content = match signature.filter(|_| role == "assistant") {
            Some(sig) => serde_json::json!([
                {"type": "thinking", "thinking": format!("{i}: the plan, step by step."), "signature": sig},
                text
            ]),
            None => serde_json::json!([text]),
        };
        messages.push(serde_json::json!({"role": role, "content": content}));
        i += 1;
    }
    messages.push(serde_json::json!({"role": "user", "content": "say hi"}));
    body["messages"] = messages.into();
    body.to_string()
}

fn openai_stream() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for i in 0..CHUNKS {
        let c = serde_json::json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": {"content": format!("tok{i} ")}, "finish_reason": null}]});
        out.push(format!("data: {c}\n\n").into_bytes());
    }
    out.push(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":50}}\n\n".to_vec());
    out.push(b"data: [DONE]\n\n".to_vec());
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn rounds(default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[inline(never)]
fn stage_parse(body: &str) -> MessagesRequest {
    serde_json::from_str(body).expect("parses")
}

#[inline(never)]
fn stage_translate(
    req: &MessagesRequest,
    target: &UpstreamModel,
) -> ccswitch::proxy::translate::request::Translated {
    to_openai(req, target)
}

#[inline(never)]
fn stage_encode(out: &ccswitch::proxy::translate::request::Translated) -> Vec<u8> {
    serde_json::to_vec(&out.request).expect("encodes")
}

#[inline(never)]
fn stage_stream(chunks: &[Vec<u8>], quirks: &Arc<Quirks>) -> usize {
    let mut dec = SseDecoder::new();
    let mut tr = StreamTranslator::new(StreamConfig {
        message_id: "msg_1".into(),
        model: "claude".into(),
        input_estimate: 100,
        quirks: quirks.clone(),
        renamed_tools: Vec::new(),
        thinking_maker: None,
    });
    let mut out = BytesMut::new();
    for e in tr.start() {
        encode_into(&e, &mut out);
    }
    for c in chunks {
        dec.feed(c, |_, data| {
            for e in tr.push_data(data) {
                encode_into(&e, &mut out);
            }
        });
    }
    for e in tr.finish() {
        encode_into(&e, &mut out);
    }
    out.len()
}

fn time(rounds: usize, mut f: impl FnMut()) -> Duration {
    for _ in 0..rounds / 10 {
        f();
    }
    median(
        (0..rounds)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed()
            })
            .collect(),
    )
}

/// A captured request's body, as Claude Code sent it.
fn captured(json: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(json).expect("fixture");
    v["body"].clone()
}

#[inline(never)]
fn stage_passthrough(body: &str, quirks: &Quirks, to: &Provenance) -> usize {
    let mut m: RawBody = serde_json::from_str(body).expect("parses");
    rewrite_request(&mut m, "up-model", quirks, Some(8192), to);
    encode_request(&m, to, body.len()).len()
}

fn passthrough(n: usize) {
    let main = captured(include_str!("../tests/fixtures/claude-code/main-turn.json"));
    let follow = captured(include_str!(
        "../tests/fixtures/claude-code/toolsearch-followup.json"
    ));
    // The follow-up's tools and ToolSearch turns after a long conversation.
    let mut big: serde_json::Value =
        serde_json::from_str(&long_conversation(400 * 1024)).expect("JSON");
    big["tools"] = follow["tools"].clone();
    let mut messages = big["messages"].as_array().cloned().unwrap_or_default();
    messages.pop();
    messages.extend(follow["messages"].as_array().cloned().unwrap_or_default());
    big["messages"] = messages.into();
    let applying = Quirks::default();
    let leaving = RawQuirks {
        tool_search: Some(true),
        ..RawQuirks::default()
    }
    .resolve();
    println!(
        "Anthropic passthrough rewrite, tool search applied vs left to the upstream (median of {n}):"
    );
    for (name, body) in [
        ("main turn, deferred placeholder", main.to_string()),
        ("ToolSearch follow-up", follow.to_string()),
        ("416 KB conversation + ToolSearch", big.to_string()),
    ] {
        let applied = time(n, || {
            std::hint::black_box(stage_passthrough(&body, &applying, &Provenance::default()));
        });
        let left = time(n, || {
            std::hint::black_box(stage_passthrough(&body, &leaving, &Provenance::default()));
        });
        println!(
            "  {name:<34} {:>4} KB  applied {:>7.1} µs  left {:>7.1} µs  added {:>6.1} µs",
            body.len() / 1024,
            applied.as_secs_f64() * 1e6,
            left.as_secs_f64() * 1e6,
            (applied.as_secs_f64() - left.as_secs_f64()) * 1e6
        );
    }
}

/// A signature shaped like Anthropic's (base64, a few hundred bytes).
fn anthropic_signature() -> String {
    "EqQBCkgIARABGAIiQL".repeat(20)
}

/// History with a thinking block on every assistant turn: what history
/// repair costs when the provider did not change since the last turn
/// (signatures the provider's own, untagged for a single-provider profile
/// and tagged for one spanning providers), and when it did.
fn history(n: usize) {
    let raw = anthropic_signature();
    let one = Provenance {
        provider: "p",
        spans_providers: false,
    };
    let many = Provenance {
        spans_providers: true,
        ..one
    };
    println!("416 KB conversation, thinking on every assistant turn (median of {n}):");
    let quirks = Quirks::default();
    for (name, sig, to) in [
        ("single provider, its own signatures", raw.clone(), one),
        ("spanning, own signatures tagged", signed("p", &raw), many),
        ("spanning, another provider's", signed("q", &raw), many),
    ] {
        let body = long_conversation_signed(400 * 1024, Some(&sig));
        let t = time(n, || {
            std::hint::black_box(stage_passthrough(&body, &quirks, &to));
        });
        println!(
            "  passthrough rewrite, {name:<36} {:>8.1} µs",
            t.as_secs_f64() * 1e6
        );
    }
    let echo = RawQuirks {
        reasoning_echo: Some(true),
        ..RawQuirks::default()
    }
    .resolve();
    for (name, sig, to) in [
        (
            "single provider, v1 thinking",
            reasoning_signature(None, &[]),
            one,
        ),
        (
            "spanning, own thinking tagged",
            reasoning_signature(Some("p"), &[]),
            many,
        ),
        (
            "spanning, another provider's",
            reasoning_signature(Some("q"), &[]),
            many,
        ),
    ] {
        let body = long_conversation_signed(400 * 1024, Some(&sig));
        let req = stage_parse(&body);
        let target = UpstreamModel {
            model: "m",
            quirks: &echo,
            max_output: Some(8192),
            stream: false,
            provenance: to,
        };
        let t = time(n, || {
            std::hint::black_box(stage_translate(&req, &target));
        });
        println!(
            "  OpenAI translate + echo, {name:<32} {:>8.1} µs",
            t.as_secs_f64() * 1e6
        );
    }
    // A spanning profile's proxy also keeps each tool-call turn's thinking
    // and puts back what Claude Code dropped: with the provider unchanged,
    // every turn is known and has its thinking, so this is two walks.
    let body = long_conversation_signed(400 * 1024, Some(&reasoning_signature(Some("p"), &[])));
    let mut req = stage_parse(&body);
    let t = time(n, || {
        let new = recall::keepable(&req, &|_| true);
        let back = recall::restore(&mut req, &|_| None);
        std::hint::black_box((new, back));
    });
    println!(
        "  recall keep + restore, spanning, unchanged     {:>8.1} µs",
        t.as_secs_f64() * 1e6
    );
}

fn main() {
    let n = rounds(300);
    history(n);
    passthrough(n);
    let body = long_conversation(400 * 1024);
    let quirks = Quirks::default();
    let target = UpstreamModel {
        model: "m",
        quirks: &quirks,
        max_output: Some(8192),
        stream: false,
        provenance: Provenance::default(),
    };
    let parse = time(n, || {
        std::hint::black_box(stage_parse(&body));
    });
    let req = stage_parse(&body);
    let translate = time(n, || {
        std::hint::black_box(stage_translate(&req, &target));
    });
    let out = stage_translate(&req, &target);
    let encode_req = time(n, || {
        std::hint::black_box(stage_encode(&out));
    });
    println!(
        "{} KB request for an OpenAI-kind upstream (median of {n}):",
        body.len() / 1024
    );
    println!("  parse      {:>8.3} ms", parse.as_secs_f64() * 1e3);
    println!("  translate  {:>8.3} ms", translate.as_secs_f64() * 1e3);
    println!("  encode     {:>8.3} ms", encode_req.as_secs_f64() * 1e3);
    println!(
        "  total      {:>8.3} ms",
        (parse + translate + encode_req).as_secs_f64() * 1e3
    );
    let chunks = openai_stream();
    let quirks = Arc::new(Quirks::default());
    let stream = time(n * 10, || {
        std::hint::black_box(stage_stream(&chunks, &quirks));
    });
    println!(
        "{CHUNKS}-chunk stream, decode + translate + encode (median of {}): {:.1} µs, {:.2} µs a chunk",
        n * 10,
        stream.as_secs_f64() * 1e6,
        stream.as_secs_f64() * 1e6 / CHUNKS as f64
    );
}
