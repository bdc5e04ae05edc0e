//! Bedrock's body rules, paths, error names and event stream.
use aws_smithy_eventstream::frame::write_message_to;
use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
use serde_json::{Value, json};

use super::*;

fn mk_body(v: &Value) -> RawBody {
    serde_json::from_str(&v.to_string()).unwrap()
}

fn mk_frame(headers: &[(&str, &str)], payload: &[u8]) -> Vec<u8> {
    let mut m = Message::new(payload.to_vec());
    for (k, v) in headers {
        m = m.add_header(Header::new(
            k.to_string(),
            HeaderValue::String(v.to_string().into()),
        ));
    }
    let mut out = Vec::new();
    write_message_to(&m, &mut out).unwrap();
    out
}

fn mk_chunk(event: &Value) -> Vec<u8> {
    let b64 = aws_smithy_types::base64::encode(event.to_string());
    mk_frame(
        &[
            (":message-type", "event"),
            (":event-type", "chunk"),
            (":content-type", "application/json"),
        ],
        json!({"bytes": b64}).to_string().as_bytes(),
    )
}

#[test]
fn body_loses_model_and_stream_and_gains_version_and_betas() {
    let mut b = mk_body(&json!({"model": "m", "stream": true, "max_tokens": 5, "messages": []}));
    invoke_body(&mut b, Some("a-1, b-2,,"));
    let v: Value = serde_json::from_str(&serde_json::to_string(&b).unwrap()).unwrap();
    assert_eq!(
        v,
        json!({"max_tokens": 5, "messages": [], "anthropic_version": "bedrock-2023-05-31", "anthropic_beta": ["a-1", "b-2"]})
    );
    let mut b = mk_body(&json!({"model": "m"}));
    invoke_body(&mut b, None);
    assert!(!b.contains_key("anthropic_beta"));
}

#[test]
fn paths_encode_the_model_id() {
    assert_eq!(
        invoke_path("us.anthropic.claude-haiku-4-5-20251001-v1:0", false),
        "/model/us.anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke"
    );
    assert_eq!(
        invoke_path("arn:aws:bedrock:us-east-1:1:inference-profile/x", true),
        "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A1%3Ainference-profile%2Fx/invoke-with-response-stream"
    );
    assert_eq!(
        base_model("global.anthropic.claude-opus-5"),
        "anthropic.claude-opus-5"
    );
    assert_eq!(base_model("apac.anthropic.x"), "anthropic.x");
    assert_eq!(base_model("anthropic.x"), "anthropic.x");
}

#[test]
fn error_names_become_statuses_claude_code_retries_right() {
    let s = |n| error_status(n, 418);
    assert_eq!(
        s("ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
        429
    );
    assert_eq!(s("ServiceUnavailableException"), 503);
    assert_eq!(s("ValidationException"), 400);
    assert_eq!(s("AccessDeniedException"), 403);
    assert_eq!(s("UnrecognizedClientException"), 403);
    assert_eq!(s("InvalidSignatureException"), 403);
    assert_eq!(s("com.amazon.coral.service#ExpiredTokenException"), 403);
    assert_eq!(s("SomethingNew"), 418);
    assert_eq!(stream_error_kind("throttlingException"), "rate_limit_error");
    assert_eq!(
        stream_error_kind("serviceUnavailableException"),
        "overloaded_error"
    );
    assert_eq!(stream_error_kind("modelStreamErrorException"), "api_error");
    assert_eq!(
        stream_error_kind("validationException"),
        "invalid_request_error"
    );
    assert!(is_clock_skew(
        "Signature expired: 20260101T000000Z is now earlier than 20260101T000500Z"
    ));
    assert_eq!(error_message(br#"{"Message":"no"}"#).as_deref(), Some("no"));
}

#[test]
fn frames_in_any_pieces_become_sse() {
    let start =
        json!({"type": "message_start", "message": {"id": "m", "usage": {"input_tokens": 3}}});
    let stop = json!({"type": "message_stop"});
    let mut wire = mk_chunk(&start);
    wire.extend(mk_chunk(&stop));
    let want =
        format!("event: message_start\ndata: {start}\n\nevent: message_stop\ndata: {stop}\n\n");
    for size in [1, 7, wire.len()] {
        let mut d = EventStreamSse::new();
        let mut out = Vec::new();
        for piece in wire.chunks(size) {
            d.push(piece, &mut out);
        }
        d.finish(&mut out);
        assert_eq!(String::from_utf8(out).unwrap(), want, "pieces of {size}");
    }
}

#[test]
fn exceptions_and_broken_frames_end_with_an_error_event() {
    let ex = mk_frame(
        &[
            (":message-type", "exception"),
            (":exception-type", "throttlingException"),
        ],
        br#"{"message":"Too many requests"}"#,
    );
    let mut d = EventStreamSse::new();
    let mut out = Vec::new();
    d.push(&ex, &mut out);
    d.push(&mk_chunk(&json!({"type": "ping"})), &mut out);
    let text = String::from_utf8(out).unwrap();
    assert!(text.starts_with("event: error\ndata: "), "{text}");
    assert!(
        text.contains("rate_limit_error") && text.contains("Too many requests"),
        "{text}"
    );
    assert!(!text.contains("ping"), "nothing after the error: {text}");

    let mut bad = mk_chunk(&json!({"type": "ping"}));
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    let mut d = EventStreamSse::new();
    let mut out = Vec::new();
    d.push(&bad, &mut out);
    assert!(d.is_done());
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("unreadable Bedrock event stream")
    );

    let half = mk_chunk(&json!({"type": "ping"}));
    let mut d = EventStreamSse::new();
    let mut out = Vec::new();
    d.push(&half[..10], &mut out);
    d.finish(&mut out);
    assert!(
        String::from_utf8(out)
            .unwrap()
            .contains("ended inside a frame")
    );
}
