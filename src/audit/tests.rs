use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::*;
use bytes::Bytes;

use crate::usage::prices::Tokens;
use crate::usage::record::Record;

fn none() -> Redactor {
    Redactor::default()
}

fn mk_audit(level: AuditLevel, max_bytes: u64, keep: u32) -> Audit {
    Audit {
        level,
        max_bytes,
        keep,
    }
}

type Logs = Arc<Mutex<Vec<String>>>;

fn mk_log(dir: &Path, audit: Audit, lock_wait: Duration) -> (AuditLog, Logs) {
    crate::i18n::set_lang(crate::i18n::Lang::En);
    let logs: Logs = Arc::default();
    let sink = logs.clone();
    let log = AuditLog::start_with(
        dir,
        audit,
        Arc::new(none()),
        Box::new(|_, _| None),
        Arc::new(move |l: &str| sink.lock().expect("logs").push(l.to_string())),
        lock_wait,
    )
    .expect("on");
    (log, logs)
}

fn lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("whole lines"))
        .collect()
}

/// Drops `log` on another thread: whether it stopped within `limit`.
fn stops_within(log: AuditLog, limit: Duration) -> bool {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(log);
        let _ = tx.send(());
    });
    rx.recv_timeout(limit).is_ok()
}

fn entry(request: &str, response: Option<&str>) -> AuditEntry {
    AuditEntry {
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
        &none(),
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
fn lines_say_who_asked_and_for_which_project_only_where_known() {
    let mut e = entry(REQ, None);
    let plain: Value =
        serde_json::from_str(&line(&e, AuditLevel::Metadata, None, &none())).expect("json");
    for name in ["member", "team", "key_prefix", "project"] {
        assert!(plain.get(name).is_none(), "{name}");
    }
    e.record.who = crate::usage::Attribution {
        member: Some("ann".into()),
        team: Some("core".into()),
        key_prefix: Some("ccsk_ab12".into()),
        project: Some("web".into()),
    };
    let v: Value =
        serde_json::from_str(&line(&e, AuditLevel::Metadata, None, &none())).expect("json");
    assert_eq!(
        [&v["member"], &v["team"], &v["key_prefix"], &v["project"]],
        [
            &json!("ann"),
            &json!("core"),
            &json!("ccsk_ab12"),
            &json!("web")
        ]
    );
}

#[test]
fn full_keeps_bodies_with_secrets_redacted() {
    let secrets = Redactor::new(["secret-session-token-xyz"]);
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
fn files_rotate_by_size_and_keep_a_few() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = mk_audit(AuditLevel::Metadata, 2000, 2);
    let (log, _) = mk_log(dir.path(), audit, LOCK_WAIT);
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
            Arc::new(none()),
            Box::new(|_, _| None),
            Arc::new(|_: &str| {})
        )
        .is_none()
    );
}

fn mk_search(query: &str) -> AuditSearch {
    AuditSearch {
        at_ms: 1_794_312_000_000,
        request_id: "req_2".into(),
        session: "s1".into(),
        cc_session: None,
        profile: "p".into(),
        backend: "searxng",
        query: query.into(),
        results: Some(3),
        error: None,
        duration_ms: 12,
    }
}

#[test]
fn searches_get_a_line_with_the_query_only_at_full() {
    let s = mk_search("tokio sk-abcdefghijklmnop1234 news");
    let v: Value =
        serde_json::from_str(&search_line(&s, AuditLevel::Metadata, &none())).expect("json");
    assert_eq!(v["kind"], "web_search");
    assert_eq!(v["backend"], "searxng");
    assert_eq!(v["query_chars"], 34);
    assert_eq!(v["results"], 3);
    assert_eq!(v["duration_ms"], 12);
    assert!(v.get("query").is_none(), "{v}");
    let v: Value = serde_json::from_str(&search_line(&s, AuditLevel::Full, &none())).expect("json");
    assert_eq!(v["query"], "tokio sk-[redacted] news");
}

/// Another session holds the lock and never lets go: before, the writer
/// waited on it forever, and so did the proxy's exit.
#[test]
fn a_held_lock_costs_lines_not_the_writer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = mk_audit(AuditLevel::Metadata, 1 << 20, 1);
    let holder = std::fs::File::create(dir.path().join("audit.lock")).expect("lock file");
    holder.lock().expect("lock");
    let (log, logs) = mk_log(dir.path(), audit, Duration::from_millis(200));
    let sink = log.sink().expect("sink");
    for _ in 0..3 {
        sink.send(entry(REQ, None));
    }
    assert!(stops_within(log, Duration::from_secs(20)), "writer stuck");
    let said = logs.lock().expect("logs").join("\n");
    assert!(said.contains("audit.lock held"), "{said}");
    assert!(said.contains("entries not written: 3"), "{said}");
    // The next session writes once the lock is free.
    holder.unlock().expect("unlock");
    let (log, _) = mk_log(dir.path(), audit, Duration::from_millis(200));
    log.sink().expect("sink").send(entry(REQ, None));
    drop(log);
    let written = lines(&dir.path().join("audit.jsonl"));
    assert_eq!(written.len(), 1);
}

#[test]
fn a_full_queue_drops_and_counts_them_in_the_next_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let audit = mk_audit(AuditLevel::Metadata, 1 << 30, 1);
    let holder = std::fs::File::create(dir.path().join("audit.lock")).expect("lock file");
    holder.lock().expect("lock");
    // The writer waits on the first entry's lock while the rest queue up.
    let (log, logs) = mk_log(dir.path(), audit, Duration::from_secs(30));
    let sink = log.sink().expect("sink");
    sink.send(entry(REQ, None));
    std::thread::sleep(Duration::from_millis(100));
    // Bytes count: a third 30 MiB body does not fit beside two.
    let big = Bytes::from(vec![b' '; 30 << 20]);
    for _ in 0..3 {
        let mut e = entry(REQ, None);
        e.request = big.clone();
        sink.send(e);
    }
    // And entries: the queue holds QUEUE_ENTRIES.
    let extra = 10;
    for _ in 0..QUEUE_ENTRIES - 2 + extra {
        sink.send(entry(REQ, None));
    }
    holder.unlock().expect("unlock");
    assert!(stops_within(log, Duration::from_secs(60)), "writer stuck");
    let written = lines(&dir.path().join("audit.jsonl"));
    // Each count where its entries went missing: after the two big ones
    // that fit, and after the last entry the queue held.
    assert_eq!(
        written.len(),
        3 + 1 + QUEUE_ENTRIES - 2 + 1,
        "{}",
        written.len()
    );
    assert_eq!(written[3]["kind"], "dropped");
    assert_eq!(written[3]["dropped"], 1);
    assert_eq!(written[3 + 1 + QUEUE_ENTRIES - 2]["dropped"], json!(extra));
    assert!(written[4].get("kind").is_none());
    let said = logs.lock().expect("logs").join("\n");
    assert!(said.contains("entries not written: 1"), "{said}");
    assert!(
        said.contains(&format!("entries not written: {extra}")),
        "{said}"
    );
}
