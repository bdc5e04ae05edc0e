//! Golden tests for the streaming translator: each folder under
//! `tests/fixtures/stream/` holds what an OpenAI-style upstream sent
//! (`upstream.sse`), optional `config.json` overrides, and the Anthropic SSE
//! ccswitch must send Claude Code (`expected.sse`).
//!
//! See `golden.rs` for blessing.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ccswitch::config::{Api, RawQuirks};
use serde::Deserialize;

use ccswitch::proxy::translate::anthropic::{ErrorBody, Event};
use ccswitch::proxy::translate::sse::{SseDecoder, SseEvent, encode};
use ccswitch::proxy::translate::stream::{StreamConfig, StreamTranslator};

use crate::golden::{case_dirs, check_text, diff, finish, fixtures, name_of};
use crate::translate_golden::case_quirks;

/// Cases the behaviour spec names; deleting one must fail loudly.
const REQUIRED: &[&str] = &[
    "plain-text",
    "reasoning-content-then-text",
    "reasoning-field-openrouter",
    "think-tags",
    "one-tool-call-many-chunks",
    "two-parallel-tool-calls",
    "tool-calls-without-index",
    "text-then-tool-call",
    "usage-in-separate-final-chunk",
    "usage-on-finish-chunk-with-cached-tokens",
    "no-usage-at-all",
    "finish-length",
    "empty-completion",
    "upstream-error-chunk",
    "cut-stream",
    "malformed-json",
    "comments-and-keepalives",
    "refusal-content-filter",
    "done-without-finish-reason",
];

fn cases() -> Vec<PathBuf> {
    case_dirs(&fixtures().join("stream"))
}

/// Optional `config.json` of a stream case; a field left out is as in
/// `Default`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct CaseConfig {
    message_id: String,
    model: String,
    input_estimate: u64,
    /// Preset whose OpenAI endpoint quirks to start from.
    preset: Option<String>,
    quirks: RawQuirks,
    /// (sent, original) tool names, as the request translation returned them.
    renamed_tools: Vec<(String, String)>,
    /// The provider named in thinking signatures (a profile spanning
    /// providers).
    thinking_maker: Option<String>,
}

impl Default for CaseConfig {
    fn default() -> Self {
        CaseConfig {
            message_id: "msg_test_0001".into(),
            model: "claude-test".into(),
            input_estimate: 100,
            preset: None,
            quirks: RawQuirks::default(),
            renamed_tools: Vec::new(),
            thinking_maker: None,
        }
    }
}

fn mk_config(dir: &Path) -> StreamConfig {
    mk_config_flipped(dir, None)
}

fn mk_config_flipped(dir: &Path, flip: Option<&RawQuirks>) -> StreamConfig {
    let c: CaseConfig = match fs::read_to_string(dir.join("config.json")) {
        Ok(text) => serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}/config.json: {e}", dir.display())),
        Err(_) => serde_json::from_str("{}").expect("defaults"),
    };
    StreamConfig {
        message_id: c.message_id,
        model: c.model,
        input_estimate: c.input_estimate,
        quirks: Arc::new(case_quirks(
            c.preset.as_deref(),
            Api::Openai,
            &c.quirks,
            flip,
        )),
        renamed_tools: c.renamed_tools,
        thinking_maker: c.thinking_maker,
    }
}

/// A stream case's translation, all at once.
pub fn run_stream_case(dir: &Path, flip: Option<&RawQuirks>) -> String {
    let upstream = fs::read(dir.join("upstream.sse")).expect("upstream.sse");
    translate(mk_config_flipped(dir, flip), &decode([upstream.as_slice()]))
}

fn decode<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Vec<SseEvent> {
    let mut d = SseDecoder::new();
    let mut out: Vec<SseEvent> = pieces.into_iter().flat_map(|p| d.push(p)).collect();
    out.extend(d.finish());
    assert!(!d.overflowed());
    out
}

/// The four ways the bytes may arrive; all must decode the same.
fn decodings(upstream: &[u8]) -> Vec<(&'static str, Vec<SseEvent>)> {
    let crlf = String::from_utf8_lossy(upstream)
        .replace('\n', "\r\n")
        .into_bytes();
    vec![
        ("all at once", decode([upstream])),
        ("byte by byte", decode(upstream.chunks(1))),
        ("7-byte chunks", decode(upstream.chunks(7))),
        ("CRLF", decode([crlf.as_slice()])),
    ]
}

fn translate(cfg: StreamConfig, events: &[SseEvent]) -> String {
    let mut t = StreamTranslator::new(cfg);
    let mut out = t.start();
    for e in events {
        out.extend(t.push_data(&e.data));
    }
    out.extend(t.finish());
    assert!(t.is_done(), "translator not done after finish()");
    render(&out)
}

fn render(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| String::from_utf8_lossy(&encode(e)).into_owned())
        .collect()
}

use ccswitch::proxy::translate::grammar::check_sse as check_grammar;

#[test]
fn golden_cases() {
    let mut failures = Vec::new();
    let all = cases();
    let names: HashSet<String> = all.iter().map(|d| name_of(d)).collect();
    for name in REQUIRED.iter().filter(|n| !names.contains(**n)) {
        failures.push(format!("{name}: required case is missing"));
    }
    for dir in &all {
        let name = name_of(dir);
        let upstream = fs::read(dir.join("upstream.sse")).expect("upstream.sse");
        let mut outputs = decodings(&upstream)
            .into_iter()
            .map(|(how, events)| (how, translate(mk_config(dir), &events)));
        let (_, got) = outputs.next().expect("four decodings");
        for (how, other) in outputs {
            if other != got {
                failures.push(format!(
                    "{name}: {how} differs from all at once\n{}",
                    diff(&got, &other)
                ));
            }
        }
        if let Err(e) = check_text(&dir.join("expected.sse"), &got) {
            failures.push(e);
        } else if let Err(e) = check_grammar(&got, true) {
            failures.push(format!("{name}: expected.sse breaks the grammar: {e}"));
        }
    }
    finish(&failures, "stream", all.len());
}

/// Whatever prefix of a stream arrives, and whatever byte is damaged, the
/// output is well formed: no panic, and it ends with message_stop or error.
/// (Cuts at every line end and every 5th byte keep this O(n²) sweep fast.)
#[test]
fn every_truncation_and_corruption_stays_well_formed() {
    for dir in cases() {
        let upstream = fs::read(dir.join("upstream.sse")).expect("upstream.sse");
        let cuts = (0..=upstream.len()).filter(|&i| i % 5 == 0 || upstream.get(i) == Some(&b'\n'));
        for cut in cuts {
            let sse = translate(mk_config(&dir), &decode([&upstream[..cut]]));
            check_grammar(&sse, false).unwrap_or_else(|e| panic!("{dir:?} cut at {cut}: {e}"));
        }
        for at in (0..upstream.len()).step_by(7) {
            for byte in [0xFF, b'{', b'"', b'\n'] {
                let mut bad = upstream.clone();
                bad[at] = byte;
                let sse = translate(mk_config(&dir), &decode([bad.as_slice()]));
                check_grammar(&sse, false)
                    .unwrap_or_else(|e| panic!("{dir:?} byte {at} = {byte}: {e}"));
            }
        }
    }
}

fn mk_translator() -> StreamTranslator {
    StreamTranslator::new(mk_config(Path::new("/nonexistent")))
}

const TEXT_CHUNK: &str = r#"{"choices":[{"index":0,"delta":{"content":"hi"}}]}"#;

#[test]
fn start_is_emitted_once_even_when_skipped() {
    let mut t = mk_translator();
    let first = t.push_data(TEXT_CHUNK);
    assert!(matches!(
        first[..],
        [Event::MessageStart { .. }, Event::Ping, ..]
    ));
    assert!(t.start().is_empty());
    let again = t.push_data(TEXT_CHUNK);
    assert!(
        !again
            .iter()
            .any(|e| matches!(e, Event::MessageStart { .. }))
    );
}

#[test]
fn nothing_after_done() {
    let mut t = mk_translator();
    t.start();
    t.push_data(TEXT_CHUNK);
    let closed = t.push_data("[DONE]");
    assert!(matches!(closed.last(), Some(Event::MessageStop)));
    assert!(t.is_done());
    assert!(t.push_data(TEXT_CHUNK).is_empty());
    assert!(t.push_data("[DONE]").is_empty());
    assert!(t.finish().is_empty());
    assert!(
        t.fail(ErrorBody {
            kind: "api_error".into(),
            message: "late".into()
        })
        .is_empty()
    );
}

#[test]
fn fail_mid_stream_is_one_error_event() {
    let mut t = mk_translator();
    t.start();
    t.push_data(TEXT_CHUNK);
    let body = ErrorBody {
        kind: "overloaded_error".into(),
        message: "upstream idle for 300 s".into(),
    };
    assert_eq!(t.fail(body.clone()), vec![Event::Error { error: body }]);
    assert!(t.is_done());
    assert!(t.finish().is_empty());
}

#[test]
fn fail_after_finish_reason_closes_normally() {
    let mut t = mk_translator();
    t.start();
    t.push_data(TEXT_CHUNK);
    t.push_data(r#"{"choices":[{"delta":{},"finish_reason":"stop"}]}"#);
    let body = ErrorBody {
        kind: "api_error".into(),
        message: "idle".into(),
    };
    let out = t.fail(body);
    assert!(
        matches!(
            out[..],
            [.., Event::MessageDelta { .. }, Event::MessageStop]
        ),
        "{out:?}"
    );
    assert!(t.is_done());
}

#[test]
fn fail_before_start_still_opens_the_message() {
    let mut t = mk_translator();
    let out = t.fail(ErrorBody {
        kind: "api_error".into(),
        message: "reset".into(),
    });
    check_grammar(&render(&out), true).expect("well formed");
}

#[test]
fn usage_is_estimated_until_the_upstream_reports_it() {
    let mut t = mk_translator();
    t.start();
    t.push_data(r#"{"choices":[{"delta":{"content":"12345678"}}]}"#);
    let u = t.usage();
    assert_eq!((u.input_tokens, u.output_tokens), (100, 2));
    t.push_data(r#"{"choices":[],"usage":{"prompt_tokens":50,"completion_tokens":9,"prompt_tokens_details":{"cached_tokens":20}}}"#);
    let u = t.usage();
    assert_eq!(
        (u.input_tokens, u.output_tokens, u.cache_read_input_tokens),
        (30, 9, Some(20))
    );
}

#[test]
fn error_types_follow_the_upstream_code() {
    let cases = [
        (
            r#"{"error":{"message":"slow down","code":429}}"#,
            "rate_limit_error",
            "slow down",
        ),
        (
            r#"{"error":{"message":"busy","type":"overloaded_error"}}"#,
            "overloaded_error",
            "busy",
        ),
        (
            r#"{"error":{"code":503,"status":"UNAVAILABLE"}}"#,
            "overloaded_error",
            "the upstream reported an error (503 UNAVAILABLE)",
        ),
        (
            r#"{"error":{"message":"quota","status":"RESOURCE_EXHAUSTED"}}"#,
            "rate_limit_error",
            "quota",
        ),
        (r#"{"error":"plain string"}"#, "api_error", "plain string"),
        (
            r#"{"error":{"message":"  "}}"#,
            "api_error",
            "the upstream reported an error",
        ),
        (
            r#"{"error":{"message":"bad","code":"generate_failed"}}"#,
            "api_error",
            "bad",
        ),
    ];
    for (data, kind, message) in cases {
        let mut t = mk_translator();
        t.start();
        let out = t.push_data(data);
        assert_eq!(
            out,
            vec![Event::Error {
                error: ErrorBody {
                    kind: kind.into(),
                    message: message.into()
                }
            }],
            "{data}"
        );
        assert!(t.is_done());
    }
}

#[test]
fn malformed_data_is_quoted_briefly() {
    let mut t = mk_translator();
    t.start();
    let junk = format!("{{\"choices\": [{}", "x".repeat(10_000));
    let out = t.push_data(&junk);
    let [Event::Error { error }] = &out[..] else {
        panic!("one error event, got {out:?}")
    };
    assert_eq!(error.kind, "api_error");
    assert!(
        error.message.contains("malformed") && error.message.len() < 200,
        "{}",
        error.message
    );
    // Shapes some providers send are tolerated.
    let mut t = mk_translator();
    t.start();
    let out = t.push_data(r#"{"choices":[{"delta":null,"finish_reason":"stop"}]}"#);
    assert!(out.is_empty(), "{out:?}");
    let out =
        t.push_data(r#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":null}]}}]}"#);
    assert!(out.is_empty(), "{out:?}");
    // Valid JSON of the wrong shape is reported, not ignored.
    let mut t = mk_translator();
    t.start();
    let out = t.push_data(r#"{"choices":[{"delta":{"content":42}}]}"#);
    assert!(matches!(&out[..], [Event::Error { .. }]), "{out:?}");
}
