//! The audit log, when turned on: one JSON line per request in
//! `audit/audit.jsonl` under the data folder, written by a thread of its
//! own (never on the request path), rotated by size.
//!
//! `metadata` keeps what the ledger keeps plus the request id, the tools
//! offered and the sizes; `full` also keeps the request and response
//! bodies, with keys and tokens redacted. Sessions share the files: each
//! write and rotation happens under a lock file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread::JoinHandle;

use bytes::Bytes;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value, json};

use super::record::Record;
use super::writer::{LogFn, Pricer};
use crate::config::{Audit, AuditLevel};
use crate::t;

/// What is kept of one request besides its record.
pub struct Entry {
    pub record: Record,
    pub request_id: String,
    /// The request body as Claude Code sent it.
    pub request: Bytes,
    /// What Claude Code received (SSE text or JSON), up to the capture cap;
    /// only kept at the `full` level.
    pub response: Option<Vec<u8>>,
    pub response_bytes: u64,
}

/// Response bodies are kept up to this much per request.
pub const RESPONSE_CAP: usize = 4 * 1024 * 1024;

/// Where the proxy sends finished requests for the audit log.
#[derive(Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<Option<Box<Entry>>>,
    pub level: AuditLevel,
}

impl AuditSink {
    pub fn send(&self, e: Entry) {
        let _ = self.tx.send(Some(Box::new(e)));
    }
}

/// The running audit writer; dropping it writes what is queued and stops.
pub struct AuditLog {
    sink: Option<AuditSink>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for AuditLog {
    fn drop(&mut self) {
        if let Some(s) = self.sink.take() {
            let _ = s.tx.send(None);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl AuditLog {
    /// `None` when auditing is off.
    pub fn start(
        dir: &Path,
        audit: Audit,
        secrets: Vec<String>,
        pricer: Pricer,
        log: LogFn,
    ) -> Option<AuditLog> {
        if audit.level == AuditLevel::Off {
            return None;
        }
        let (tx, rx) = mpsc::channel::<Option<Box<Entry>>>();
        let dir = dir.to_path_buf();
        let level = audit.level;
        let thread = std::thread::Builder::new()
            .name("ccswitch-audit".into())
            .spawn(move || {
                let mut files = Files { dir, audit };
                let mut failed = false;
                while let Ok(Some(e)) = rx.recv() {
                    let cost = pricer(&e.record.provider, &e.record.model)
                        .map(|p| p.cost(&e.record.tokens));
                    let text = line(&e, level, cost, &secrets);
                    match files.append(&text) {
                        Ok(()) => failed = false,
                        Err(err) if !failed => {
                            failed = true;
                            log(&format!("warning: {}", t!("audit.failed", error = err)));
                        }
                        Err(_) => {}
                    }
                }
            })
            .ok()?;
        Some(AuditLog {
            sink: Some(AuditSink { tx, level }),
            thread: Some(thread),
        })
    }

    pub fn sink(&self) -> Option<AuditSink> {
        self.sink.clone()
    }
}

/// The live file and its rotated siblings.
struct Files {
    dir: PathBuf,
    audit: Audit,
}

impl Files {
    fn live(&self) -> PathBuf {
        self.dir.join("audit.jsonl")
    }

    fn rotated(&self, n: u32) -> PathBuf {
        self.dir.join(format!("audit.{n}.jsonl"))
    }

    /// Append one line (one write, so sessions' lines never interleave),
    /// rotating first when the file is full.
    fn append(&mut self, text: &str) -> std::io::Result<()> {
        crate::fsutil::create_private_dir(&self.dir)?;
        let lock = File::create(self.dir.join("audit.lock"))?;
        lock.lock()?;
        let live = self.live();
        let size = std::fs::metadata(&live).map_or(0, |m| m.len());
        if size > 0 && size + text.len() as u64 > self.audit.max_bytes {
            self.rotate()?;
        }
        let mut opts = OpenOptions::new();
        opts.create(true).append(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        opts.open(&live)?.write_all(text.as_bytes())
    }

    /// audit.jsonl → audit.1.jsonl → … → audit.KEEP.jsonl; the oldest goes.
    fn rotate(&self) -> std::io::Result<()> {
        let keep = self.audit.keep;
        if keep == 0 {
            return std::fs::remove_file(self.live());
        }
        let _ = std::fs::remove_file(self.rotated(keep));
        for n in (1..keep).rev() {
            let from = self.rotated(n);
            if from.exists() {
                std::fs::rename(&from, self.rotated(n + 1))?;
            }
        }
        std::fs::rename(self.live(), self.rotated(1))
    }
}

/// What the audit line says of a request body: how many messages, which
/// tools were offered. Nothing else of it is read.
#[derive(Deserialize, Default)]
struct Shape {
    #[serde(default)]
    messages: Vec<IgnoredAny>,
    #[serde(default)]
    tools: Vec<ToolName>,
}

#[derive(Deserialize)]
struct ToolName {
    #[serde(default)]
    name: Option<String>,
}

/// One JSON line for an entry.
pub fn line(e: &Entry, level: AuditLevel, cost: Option<f64>, secrets: &[String]) -> String {
    let r = &e.record;
    let shape: Shape = serde_json::from_slice(&e.request).unwrap_or_default();
    let tools: Vec<String> = shape.tools.into_iter().filter_map(|t| t.name).collect();
    let time = std::time::UNIX_EPOCH
        + std::time::Duration::from_millis(u64::try_from(r.at_ms).unwrap_or(0));
    let mut v = json!({
        "time": humantime::format_rfc3339_millis(time).to_string(),
        "request_id": e.request_id,
        "session": &*r.session,
        "cc_session": r.cc_session,
        "profile": &*r.profile,
        "slot": r.slot,
        "provider": r.provider,
        "requested_model": r.requested,
        "model": r.model,
        "subagent": r.subagent,
        "status": r.status,
        "error": r.error.map(super::record::ErrorClass::as_str),
        "ttft_ms": r.ttft_ms,
        "duration_ms": r.duration_ms,
        "input_tokens": r.tokens.input,
        "output_tokens": r.tokens.output,
        "cache_read_tokens": r.tokens.cache_read,
        "cache_write_tokens": r.tokens.cache_write,
        "reasoning_tokens": r.tokens.reasoning,
        "estimated": r.estimated,
        "cost_usd": cost,
        "request_bytes": e.request.len(),
        "response_bytes": e.response_bytes,
        "messages": shape.messages.len(),
        "tools": tools,
    });
    if level == AuditLevel::Full
        && let Some(obj) = v.as_object_mut()
    {
        full(obj, e, secrets);
    }
    let mut text = v.to_string();
    text.push('\n');
    text
}

fn full(obj: &mut Map<String, Value>, e: &Entry, secrets: &[String]) {
    let request = redact(&String::from_utf8_lossy(&e.request), secrets);
    let request = serde_json::from_str::<Value>(&request).unwrap_or(Value::String(request));
    obj.insert("request".into(), request);
    if let Some(body) = &e.response {
        let text = redact(&String::from_utf8_lossy(body), secrets);
        obj.insert(
            "response_truncated".into(),
            json!(e.response_bytes > body.len() as u64),
        );
        obj.insert("response".into(), Value::String(text));
    }
}

/// Prefixes of well-known key formats: what follows them (16 or more key
/// characters) is replaced, whoever's key it is.
const KEY_PREFIXES: &[&str] = &[
    "sk-", "ccsw-", "AKIA", "AIza", "ghp_", "gho_", "xoxb-", "xoxp-",
];

/// Text with the known secrets (this session's keys and token) and anything
/// shaped like a well-known key replaced by `[redacted]`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets.iter().filter(|s| s.len() >= 8) {
        if out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "[redacted]");
        }
    }
    let key_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    for prefix in KEY_PREFIXES {
        let mut from = 0;
        while let Some(i) = out[from..].find(prefix).map(|i| i + from) {
            let start = i + prefix.len();
            let len = out[start..]
                .find(|c: char| !key_char(c))
                .unwrap_or(out.len() - start);
            // A word that merely contains the prefix ("task-list") is not
            // a key: the prefix must start a token.
            let starts_token = out[..i].chars().next_back().is_none_or(|c| !key_char(c));
            if len >= 16 && starts_token {
                out.replace_range(start..start + len, "[redacted]");
            }
            from = start;
        }
    }
    out
}

#[cfg(test)]
mod tests;
