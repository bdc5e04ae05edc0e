//! What the pure translation costs, without sockets: the long-conversation
//! request of `proxy-load` (about 416 KB) parsed, translated and encoded for
//! an OpenAI-kind upstream, and a 50-chunk OpenAI stream decoded, translated
//! and encoded for Claude Code. Prints the median time of each over many
//! rounds, so a change to the translators can be measured in seconds.
//!
//!     cargo run --release --example translate-cost [-- --rounds N]
//!
//! Each stage is a function of its own (`stage_*`), so an instruction count
//! under `valgrind --tool=callgrind` (steady even on a busy machine) can be
//! read per stage as well.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::BytesMut;
use ccswitch::config::Quirks;
use ccswitch::proxy::translate::anthropic::MessagesRequest;
use ccswitch::proxy::translate::request::{Target, to_openai};
use ccswitch::proxy::translate::sse::{SseDecoder, encode_into};
use ccswitch::proxy::translate::stream::{StreamConfig, StreamTranslator};

const CHUNKS: usize = 50;

/// The same conversation `proxy-load` sends: the fixture's request with
/// alternating text turns until it reaches about `bytes`.
fn long_conversation(bytes: usize) -> String {
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
        messages.push(serde_json::json!({"role": role, "content": [{"type": "text", "text": format!("{i}: {turn}")}]}));
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
    target: &Target,
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

fn main() {
    let n = rounds(300);
    let body = long_conversation(400 * 1024);
    let quirks = Quirks::default();
    let target = Target {
        model: "m",
        quirks: &quirks,
        max_output: Some(8192),
        stream: false,
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
