use std::sync::Arc;

use super::*;
use crate::usage::prices::Tokens;

fn entry(request: &str, response: Option<&str>) -> Entry {
    Entry {
        record: Record {
            at_ms: 1_794_312_000_000,
            session: "s1".into(),
            cc_session: Some("cc".into()),
            provider: "ds".into(),
            requested: "claude-x".into(),
            subagent: true,
            ttft_ms: Some(5),
            duration_ms: 9,
            tokens: Tokens {
                input: 3,
                output: 4,
                ..Tokens::default()
            },
            ..Record::sample()
        },
        request_id: "req_1".into(),
        request: Bytes::from(request.to_string()),
        response: response.map(|r| r.as_bytes().to_vec()),
        response_bytes: response.map_or(0, |r| r.len() as u64),
    }
}

const REQ: &str = r#"{"model":"claude-x","messages":[{"role":"user","content":"my key is sk-abcdefghijklmnop1234 and secret-session-token-xyz"}],"tools":[{"name":"Bash"},{"name":"Read"}]}"#;

#[test]
fn metadata_keeps_no_prompt_text() {
    let l = line(
        &entry(REQ, Some("data: hi\n\n")),
        AuditLevel::Metadata,
        Some(0.5),
        &[],
    );
    assert!(l.ends_with('\n'));
    let v: Value = serde_json::from_str(&l).expect("json");
    assert_eq!(v["tools"], json!(["Bash", "Read"]));
    assert_eq!(v["messages"], 1);
    assert_eq!(v["request_bytes"], REQ.len());
    assert_eq!(v["subagent"], true);
    assert_eq!(v["cost_usd"], 0.5);
    assert_eq!(v["time"], "2026-11-10T12:00:00.000Z");
    assert!(!l.contains("my key"), "{l}");
    assert!(v.get("request").is_none() && v.get("response").is_none());
}

#[test]
fn full_keeps_bodies_with_secrets_redacted() {
    let secrets = vec!["secret-session-token-xyz".to_string()];
    let l = line(
        &entry(
            REQ,
            Some("data: {\"text\":\"ccsw-0123456789abcdef0123\"}\n\n"),
        ),
        AuditLevel::Full,
        None,
        &secrets,
    );
    let v: Value = serde_json::from_str(&l).expect("json");
    let content = v["request"]["messages"][0]["content"]
        .as_str()
        .expect("text");
    assert_eq!(content, "my key is sk-[redacted] and [redacted]");
    assert_eq!(v["response"], "data: {\"text\":\"ccsw-[redacted]\"}\n\n");
    assert_eq!(v["response_truncated"], false);
    assert_eq!(v["cost_usd"], Value::Null);
}

#[test]
fn redaction_leaves_ordinary_words() {
    assert_eq!(
        redact("task-list and sk-short", &[]),
        "task-list and sk-short"
    );
    assert_eq!(
        redact("ask-abcdefghijklmnopqrst", &[]),
        "ask-abcdefghijklmnopqrst"
    );
    assert_eq!(redact("AKIAABCDEFGHIJKLMNOP!", &[]), "AKIA[redacted]!");
}

#[test]
fn files_rotate_by_size_and_keep_a_few() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = Audit {
        level: AuditLevel::Metadata,
        max_bytes: 2000,
        keep: 2,
    };
    let log = AuditLog::start(
        dir.path(),
        audit,
        Vec::new(),
        Box::new(|_, _| None),
        Arc::new(|_: &str| {}),
    )
    .expect("on");
    let sink = log.sink().expect("sink");
    for _ in 0..40 {
        sink.send(entry(REQ, None));
    }
    drop(log);
    let names: Vec<String> = {
        let mut n: Vec<String> = std::fs::read_dir(dir.path())
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(
        names,
        [
            "audit.1.jsonl",
            "audit.2.jsonl",
            "audit.jsonl",
            "audit.lock"
        ]
    );
    for n in ["audit.1.jsonl", "audit.2.jsonl", "audit.jsonl"] {
        let text = std::fs::read_to_string(dir.path().join(n)).expect("read");
        assert!(text.len() <= 2000, "{n}: {}", text.len());
        for l in text.lines() {
            serde_json::from_str::<Value>(l).expect("whole lines");
        }
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("audit.jsonl"))
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        AuditLog::start(
            dir.path(),
            Audit::default(),
            Vec::new(),
            Box::new(|_, _| None),
            Arc::new(|_: &str| {})
        )
        .is_none()
    );
}
