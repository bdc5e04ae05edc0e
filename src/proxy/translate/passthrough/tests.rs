//! The rewrite on hand-made bodies and on every captured request.
use super::*;
use crate::proxy::translate::provenance::THINKING_SIGNATURE;

fn raw_body(v: &Value) -> RawBody {
    serde_json::from_str(&v.to_string()).unwrap()
}

#[test]
fn rewrites_model_limits_and_quirks() {
    let body = json!({
        "model": "claude-opus-5-5",
        "max_tokens": 32000,
        "metadata": {"user_id": "{\"device_id\":\"abc\"}"},
        "context_management": {"edits": []},
        "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}],
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "hi", "cache_control": {"type": "ephemeral"}},
                                          {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}}]},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": THINKING_SIGNATURE}]},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "real"}, {"type": "text", "text": "ok"}]}
        ]
    });
    let quirks = Quirks {
        prompt_caching: false,
        drop_fields: vec!["context_management".into()],
        images: false,
        max_output_tokens: Some(16000),
        ..Quirks::default()
    };
    let mut m = raw_body(&body);
    let notes = rewrite_request(
        &mut m,
        "deepseek-v4-pro",
        &quirks,
        Some(8192),
        &Provenance::default(),
    );
    assert_eq!(m["model"].get(), "\"deepseek-v4-pro\"");
    assert_eq!(m["max_tokens"].get(), "8192");
    assert!(!m.contains_key("metadata") && !m.contains_key("context_management"));
    let text = serde_json::to_string(&m).unwrap();
    let body: Value = serde_json::from_str(&text).unwrap();
    assert!(!text.contains("cache_control"), "{text}");
    assert!(text.contains("image omitted"), "{text}");
    assert!(!text.contains(THINKING_SIGNATURE), "{text}");
    assert!(text.contains("\"signature\":\"real\""), "{text}");
    assert_eq!(body["messages"].as_array().unwrap().len(), 2);
    assert_eq!(notes.len(), 4, "{notes:?}");
}

#[test]
fn leaves_what_it_need_not_touch() {
    let body = json!({"model": "m", "max_tokens": 100, "system": [{"type": "text", "text": "s", "cache_control": {"type": "ephemeral"}}], "messages": []});
    let mut m = raw_body(&body);
    let before = m["messages"].get().as_ptr();
    let notes = rewrite_request(
        &mut m,
        "up",
        &Quirks::default(),
        Some(8192),
        &Provenance::default(),
    );
    assert!(notes.is_empty());
    assert_eq!(m["max_tokens"].get(), "100");
    assert_eq!(m["messages"].get().as_ptr(), before, "not re-parsed");
    assert!(serde_json::to_string(&m).unwrap().contains("cache_control"));
}

#[test]
fn sniffs_usage_from_a_stream() {
    let sse = include_str!("../../../../tests/fixtures/claude-code/responses/stream-tool-use.sse");
    let mut s = UsageSniffer::default();
    for chunk in sse.as_bytes().chunks(5) {
        s.push(chunk);
    }
    assert!(s.stopped && !s.errored);
    assert_eq!((s.usage.input_tokens, s.usage.output_tokens), (44, 7));
}

/// Every captured Claude Code request, through every Anthropic-kind
/// preset's quirks: the model is replaced, the device id never leaves,
/// limits hold, cache markers go exactly where the preset says, and
/// every field the rewrite had no reason to touch is byte-for-byte the
/// client's.
#[test]
fn captured_requests_keep_their_invariants_for_every_preset() {
    use crate::config::{Api, Presets};
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/claude-code");
    let mut files: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .chain(std::fs::read_dir(root.join("v2.1.197")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let presets = Presets::builtin();
    let mut checked = 0;
    for file in &files {
        let capture: Value = serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
        let Some(body) = capture.get("body").filter(|b| b.get("messages").is_some()) else {
            continue;
        };
        let text = body.to_string();
        for preset in presets.iter() {
            let Some(ep) = preset.endpoint(Api::Anthropic) else {
                continue;
            };
            let q = &ep.quirks.resolve();
            let mut m: RawBody = serde_json::from_str(&text).unwrap();
            let before = m.clone();
            rewrite_request(&mut m, "up-model", q, Some(8192), &Provenance::default());
            let name = format!("{} via {}", file.display(), preset.id);
            let out: Value = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
            assert_eq!(out["model"], "up-model", "{name}");
            assert!(out.get("metadata").is_none(), "{name}");
            if let Some(n) = out["max_tokens"].as_u64() {
                assert!(n <= 8192, "{name}");
            }
            let cached = serde_json::to_string(&m)
                .unwrap()
                .contains("\"cache_control\"");
            if !q.prompt_caching {
                assert!(!cached, "{name}: cache_control left");
            }
            for field in &q.drop_fields {
                assert!(out.get(field).is_none(), "{name}: {field} left");
            }
            let touched = [
                "model",
                "max_tokens",
                "metadata",
                "system",
                "messages",
                "tools",
            ];
            for (k, v) in &before {
                if !touched.contains(&k.as_str()) && m.contains_key(k) {
                    assert_eq!(m[k].get(), v.get(), "{name}: {k} changed");
                }
            }
            // DeepSeek refused `thinking: disabled` with an effort
            // (deepseek-ai/DeepSeek-V3#1397): Claude Code never sends the
            // pair, and the rewrite must not make it.
            let off = out["thinking"]["type"] == "disabled";
            assert!(
                !(off && out.pointer("/output_config/effort").is_some()),
                "{name}"
            );
            let sent = serde_json::to_string(&m).unwrap();
            if !q.tool_search {
                // Tool search applied here: nothing of it goes up.
                assert!(!sent.contains("\"defer_loading\""), "{name}");
                assert!(!sent.contains("\"tool_reference\""), "{name}");
            }
            let referenced = before["messages"].get().contains("\"tool_reference\"");
            if q.prompt_caching && q.images && (q.tool_search || !referenced) {
                assert_eq!(m["messages"].get(), before["messages"].get(), "{name}");
            }
            checked += 1;
        }
    }
    assert!(
        checked > 100,
        "only {checked} request × preset pairs checked"
    );
}

/// Claude Code's compact blocks are replaced in the text; any other form
/// is parsed; both give the same body, and a string that only mentions a
/// block is left alone.
#[test]
fn tool_references_become_text_in_either_form() {
    let compact = r#"{"model":"m","tools":[{"name":"Read","input_schema":{}},{"name":"WebFetch","defer_loading":true,"input_schema":{}},{"name":"Other","defer_loading":true,"input_schema":{}}],"messages":[{"role":"user","content":"quote: {\"type\":\"tool_reference\",\"tool_name\":\"X\"}"},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"tool_reference","tool_name":"WebFetch"}]}]}]}"#;
    let spaced: Value = serde_json::from_str(compact).unwrap();
    let spaced = serde_json::to_string_pretty(&spaced).unwrap();
    let escaped = compact.replace(
        r#""tool_name":"WebFetch"}"#,
        r#""tool_name":"Web\u0046etch"}"#,
    );
    let quirks = Quirks::default();
    let mut outs = Vec::new();
    for text in [compact, spaced.as_str(), escaped.as_str()] {
        let mut m: RawBody = serde_json::from_str(text).unwrap();
        let notes = rewrite_request(&mut m, "up", &quirks, None, &Provenance::default());
        assert!(
            notes.iter().any(|n| n.contains("1 tool_reference")),
            "{notes:?}"
        );
        let out: Value = serde_json::from_str(&serde_json::to_string(&m).unwrap()).unwrap();
        outs.push(out);
    }
    assert_eq!(outs[0], outs[1]);
    assert_eq!(outs[0], outs[2]);
    let out = &outs[0];
    assert_eq!(
        out["messages"][1]["content"][0]["content"][0],
        json!({"type": "text", "text": "Tool WebFetch loaded"})
    );
    assert!(
        out["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("tool_reference")
    );
    let names: Vec<&str> = out["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Read", "WebFetch"], "Other was never loaded");
    assert!(!out.to_string().contains("defer_loading"));
}

#[test]
fn a_cut_stream_counts_what_it_streamed_until_the_final_report() {
    let delta = |d: &str| {
        format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{d}}}\n\n"
        )
    };
    let mut s = UsageSniffer::default();
    s.push(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\n");
    // 40 ASCII characters: 10 tokens; four CJK characters: 4 tokens; a
    // quote-colon-quote inside the text is escaped and changes nothing.
    s.push(
        delta(r#"{"type":"text_delta","text":"0123456789 abcdefghij 0123456789 klmnopq"}"#)
            .as_bytes(),
    );
    s.push(delta(r#"{"type":"thinking_delta","thinking":"用量账本"}"#).as_bytes());
    s.push(delta(r#"{"type":"input_json_delta","partial_json":"{\"a\":\"bcd\"}"}"#).as_bytes());
    s.push(delta(r#"{"type":"signature_delta","signature":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}"#).as_bytes());
    let u = s.usage_so_far();
    assert_eq!((u.input_tokens, u.output_tokens), (10, 18));
    assert!(u.estimated);
    // The final report wins, whatever the estimate said.
    s.push(b"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{},\"usage\":{\"output_tokens\":12}}\n\n");
    let u = s.usage_so_far();
    assert_eq!(u.output_tokens, 12);
    assert!(!u.estimated);
}

#[test]
fn hour_long_cache_writes_are_read_apart() {
    let mut s = UsageSniffer::default();
    s.push(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":10,\"cache_creation_input_tokens\":3000,\"cache_creation\":{\"ephemeral_5m_input_tokens\":2000,\"ephemeral_1h_input_tokens\":1000},\"output_tokens\":1}}}\n\n");
    let u = s.usage_so_far();
    assert_eq!(
        (u.cache_creation_input_tokens, u.cache_write_1h),
        (Some(3000), 1000)
    );
}

/// A profile spanning providers writes the body itself, to unwrap its
/// provider's signatures on the way: byte for byte what serde_json writes,
/// but for them.
#[test]
fn the_body_is_encoded_as_serde_json_would_but_for_own_signatures() {
    let own = crate::proxy::translate::provenance::signed("mm", "EqQB");
    let body = json!({"model": "m", "max_tokens": 100, "metadata\"odd": 1,
        "messages": [{"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": own}]}],
        "system": [{"type": "text", "text": "s"}]});
    let m = raw_body(&body);
    let spanning = Provenance {
        provider: "mm",
        spans_providers: true,
    };
    let plain = serde_json::to_vec(&m).unwrap();
    assert_eq!(encode_request(&m, &Provenance::default(), 0), plain);
    let sent = String::from_utf8(encode_request(&m, &spanning, 0)).unwrap();
    assert_eq!(
        sent,
        String::from_utf8(plain).unwrap().replace(&own, "EqQB")
    );
}
