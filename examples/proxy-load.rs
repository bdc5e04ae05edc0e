//! Load tool: how much the ccswitch proxy adds, measured side by side with
//! going straight to a fast local mock upstream, in one run.
//!
//!     cargo run --release --example proxy-load [-- --requests 2000 --seconds 3]
//!
//! The proxy under test is the real release binary, `ccswitch serve`, in its
//! own processes (one per profile), so memory and CPU are its own; build it
//! first with `cargo build --release`. Prints:
//! added latency p50/p99 (non-streaming, and streaming 50 chunks),
//! requests/s at concurrency 16 and 64, idle and peak RSS, and CPU seconds
//! per 1000 requests, for the OpenAI-translating and the Anthropic
//! passthrough paths. Only 127.0.0.1 is contacted.

use std::convert::Infallible;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper_util::rt::{TokioExecutor, TokioIo};

const TOKEN: &str = "ccsw-bench-token";
const CHUNKS: usize = 50;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

// ------------------------------------------------------------------ mock

fn openai_json() -> Bytes {
    Bytes::from(
        serde_json::json!({"id": "c", "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"content": "Hello! How can I help you today?"}}],
            "usage": {"prompt_tokens": 40, "completion_tokens": 9}})
        .to_string(),
    )
}

fn openai_sse() -> Bytes {
    let mut s = String::new();
    for i in 0..CHUNKS {
        let c = serde_json::json!({"choices": [{"index": 0, "delta": {"content": format!("tok{i} ")}}]});
        s.push_str(&format!("data: {c}\n\n"));
    }
    s.push_str("data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":50}}\n\ndata: [DONE]\n\n");
    Bytes::from(s)
}

fn anthropic_json() -> Bytes {
    Bytes::from(
        serde_json::json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
            "content": [{"type": "text", "text": "Hello! How can I help you today?"}],
            "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 40, "output_tokens": 9}})
        .to_string(),
    )
}

fn anthropic_sse() -> Bytes {
    let mut s = String::from(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":40,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
    );
    for i in 0..CHUNKS {
        s.push_str(&format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"tok{i} \"}}}}\n\n"));
    }
    s.push_str("event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":50}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
    Bytes::from(s)
}

async fn mock(
    req: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<http_body_util::Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_string();
    let body = req
        .into_body()
        .collect()
        .await
        .map(|c| c.to_bytes())
        .unwrap_or_default();
    let stream = body.windows(13).any(|w| w == b"\"stream\":true");
    let (bytes, ct) = match (path.ends_with("/chat/completions"), stream) {
        (true, false) => (openai_json(), "application/json"),
        (true, true) => (openai_sse(), "text/event-stream"),
        (false, false) => (anthropic_json(), "application/json"),
        (false, true) => (anthropic_sse(), "text/event-stream"),
    };
    let mut r = http::Response::new(http_body_util::Full::new(bytes));
    r.headers_mut().insert("content-type", ct.parse().unwrap());
    Ok(r)
}

fn start_mock(rt: &tokio::runtime::Runtime) -> std::net::SocketAddr {
    rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        tokio::spawn(async move {
            loop {
                let Ok((s, _)) = l.accept().await else {
                    continue;
                };
                let _ = s.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(s), hyper::service::service_fn(mock))
                        .await;
                });
            }
        });
        addr
    })
}

// --------------------------------------------------------------- measure

struct Proc(u32);

impl Proc {
    fn status(&self, field: &str) -> u64 {
        let s = std::fs::read_to_string(format!("/proc/{}/status", self.0)).unwrap_or_default();
        s.lines()
            .find_map(|l| l.strip_prefix(field))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    }
    /// CPU seconds (user + system) so far.
    fn cpu(&self) -> f64 {
        let s = std::fs::read_to_string(format!("/proc/{}/stat", self.0)).unwrap_or_default();
        let after = s.rsplit_once(") ").map_or("", |x| x.1);
        let f: Vec<u64> = after
            .split_whitespace()
            .map(|x| x.parse().unwrap_or(0))
            .collect();
        // Fields 14 and 15 of stat (utime, stime), counted after the name.
        let ticks = f.get(11).copied().unwrap_or(0) + f.get(12).copied().unwrap_or(0);
        ticks as f64 / 100.0
    }
}

#[derive(Clone)]
struct Target {
    url: String,
    body: Bytes,
    auth: bool,
}

async fn one(client: &reqwest::Client, t: &Target) -> Duration {
    let start = Instant::now();
    let mut rb = client
        .post(&t.url)
        .header("content-type", "application/json")
        .body(t.body.clone());
    if t.auth {
        rb = rb
            .header("authorization", format!("Bearer {TOKEN}"))
            .header("anthropic-version", "2023-06-01");
    }
    let r = rb.send().await.expect("request");
    assert!(r.status().is_success(), "{} {}", t.url, r.status());
    let _ = r.bytes().await.expect("body");
    start.elapsed()
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// p50/p99 of `a` and `b`, measured in alternating batches so that drift
/// in machine load (a shared 2-core box) hits both sides alike.
async fn latency_pair(client: &reqwest::Client, a: &Target, b: &Target, n: u64) -> [(f64, f64); 2] {
    for _ in 0..(n / 10).max(50) {
        one(client, a).await;
        one(client, b).await;
    }
    let (mut va, mut vb) = (
        Vec::with_capacity(n as usize),
        Vec::with_capacity(n as usize),
    );
    let batch = 100;
    while (va.len() as u64) < n {
        for _ in 0..batch {
            va.push(one(client, a).await);
        }
        for _ in 0..batch {
            vb.push(one(client, b).await);
        }
    }
    va.sort();
    vb.sort();
    [
        (pct(&va, 0.5), pct(&va, 0.99)),
        (pct(&vb, 0.5), pct(&vb, 0.99)),
    ]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

async fn throughput(t: &Target, conc: usize, secs: u64) -> f64 {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conc)
        .build()
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (client, t, done) = (client.clone(), t.clone(), done.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                one(&client, &t).await;
                done.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let start = Instant::now();
    for t in tasks {
        let _ = t.await;
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

/// `ccswitch serve PROFILE` from the release build; returns its process
/// and address.
fn serve(bin: &Path, home: &Path, profile: &str) -> (std::process::Child, String) {
    let mut child = Command::new(bin)
        .args(["serve", profile, "--token-env", "BENCH_TOKEN"])
        .env("CCSWITCH_HOME", home)
        .env("BENCH_TOKEN", TOKEN)
        .env("BENCH_KEY", "k")
        .stdout(Stdio::piped())
        // One log line per request still gets written, as in real use.
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
    let mut r = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("export ANTHROPIC_BASE_URL=")
        .expect("serve prints the base URL first")
        .to_string();
    // Keep reading its stdout so it never blocks.
    std::thread::spawn(move || std::io::copy(&mut r, &mut std::io::sink()));
    (child, url.trim_start_matches("http://").to_string())
}

/// The fixture's request with its conversation repeated (alternating user
/// and assistant text turns) until the body reaches about `bytes`.
fn long_conversation(base: &serde_json::Value, bytes: usize) -> serde_json::Value {
    let mut body = base.clone();
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
    body
}

fn main() {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("ccswitch"))
        .unwrap();
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build --release` first",
        bin.display()
    );
    let n = arg("--requests", 2000);
    let secs = arg("--seconds", 2);

    let mock_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mock_addr = start_mock(&mock_rt);
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[providers.oa]\napi = \"openai\"\nbase_url = \"http://{mock_addr}/v1\"\nkey = {{ env = \"BENCH_KEY\" }}\n\
         [providers.an]\napi = \"anthropic\"\nbase_url = \"http://{mock_addr}/anthropic\"\nkey = {{ env = \"BENCH_KEY\" }}\n\
         [profiles.oa]\nprovider = \"oa\"\nmain = \"m\"\n[profiles.an]\nprovider = \"an\"\nmain = \"m\"\n"
    );
    std::fs::write(dir.path().join("config.toml"), config).unwrap();
    let (mut oa_child, oa_addr) = serve(&bin, dir.path(), "oa");
    let (mut an_child, an_addr) = serve(&bin, dir.path(), "an");
    let addrs = [oa_addr.as_str(), an_addr.as_str()];
    let procs = [Proc(oa_child.id()), Proc(an_child.id())];
    std::thread::sleep(Duration::from_millis(300));
    let idle_rss: Vec<u64> = procs.iter().map(|p| p.status("VmRSS:")).collect();

    // A real, small Claude Code request (--bare --tools "" --system-prompt).
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../tests/fixtures/claude-code/main-turn-minimal.json"
    ))
    .unwrap();
    let mut anth = fixture["body"].clone();
    anth["model"] = "m".into();
    let mut openai = serde_json::json!({"model": "m", "max_tokens": 1000, "messages": [{"role": "user", "content": "say hi"}]});

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "proxy-load: {n} sequential requests per latency row (direct and proxied alternate in batches of 100), \
         throughput as the median of 3 alternating {secs} s rounds, {CHUNKS}-chunk streams"
    );
    println!(
        "request body: tests/fixtures/claude-code/main-turn-minimal.json ({} bytes)",
        anth.to_string().len()
    );
    println!();
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>10}",
        "", "p50 ms", "p99 ms", "added p50", "added p99"
    );
    let mut totals = Vec::new();
    // The same request straight to the mock (in its native API) and to the
    // proxy (always the Anthropic API, as Claude Code sends it).
    let targets = |openai: &serde_json::Value, anth: &serde_json::Value, idx: usize| {
        let (native, direct_path) = if idx == 0 {
            (openai, "/v1/chat/completions")
        } else {
            (anth, "/anthropic/v1/messages")
        };
        let direct = Target {
            url: format!("http://{mock_addr}{direct_path}"),
            body: Bytes::from(native.to_string()),
            auth: false,
        };
        let via = Target {
            url: format!("http://{}/v1/messages", addrs[idx]),
            body: Bytes::from(anth.to_string()),
            auth: true,
        };
        (direct, via)
    };
    for (label, idx) in [("openai (translated)", 0), ("anthropic (passthrough)", 1)] {
        for stream in [false, true] {
            anth["stream"] = stream.into();
            openai["stream"] = stream.into();
            let (direct, via) = targets(&openai, &anth, idx);
            let client = reqwest::Client::new();
            let [(d50, d99), (p50, p99)] = rt.block_on(latency_pair(&client, &direct, &via, n));
            let kind = if stream { "stream" } else { "json" };
            println!(
                "{:<34} {:>10.3} {:>10.3}",
                format!("{label} {kind}, direct"),
                d50,
                d99
            );
            println!(
                "{:<34} {:>10.3} {:>10.3} {:>10.3} {:>10.3}",
                format!("{label} {kind}, via proxy"),
                p50,
                p99,
                p50 - d50,
                p99 - d99
            );
        }
        anth["stream"] = false.into();
        openai["stream"] = false.into();
        let (direct, via) = targets(&openai, &anth, idx);
        for conc in [16, 64] {
            // Three alternating rounds each; the medians are reported.
            let proxy = &procs[idx];
            let (mut drs, mut vrs, mut cpus) = (Vec::new(), Vec::new(), Vec::new());
            for _ in 0..3 {
                drs.push(rt.block_on(throughput(&direct, conc, secs)));
                let cpu0 = proxy.cpu();
                let t0 = Instant::now();
                let vr = rt.block_on(throughput(&via, conc, secs));
                let reqs = vr * t0.elapsed().as_secs_f64();
                cpus.push((proxy.cpu() - cpu0) / reqs * 1000.0);
                vrs.push(vr);
            }
            totals.push((label, conc, median(drs), median(vrs), median(cpus)));
        }
    }
    // A long conversation, as late in a Claude Code session: the
    // passthrough should not pay for its size.
    let big = long_conversation(&fixture["body"], 400 * 1024);
    println!();
    println!(
        "long conversation, {} KB request, non-streaming ({} sequential requests)",
        big.to_string().len() / 1024,
        n / 10
    );
    for (label, idx) in [("openai (translated)", 0), ("anthropic (passthrough)", 1)] {
        let direct = Target {
            url: format!("http://{mock_addr}/anthropic/v1/messages"),
            body: Bytes::from(big.to_string()),
            auth: false,
        };
        let via = Target {
            url: format!("http://{}/v1/messages", addrs[idx]),
            body: Bytes::from(big.to_string()),
            auth: true,
        };
        let client = reqwest::Client::new();
        let [(d50, d99), (p50, p99)] = rt.block_on(latency_pair(&client, &direct, &via, n / 10));
        println!(
            "{:<34} {:>10.3} {:>10.3} {:>10.3} {:>10.3}",
            format!("{label}, via proxy"),
            p50,
            p99,
            p50 - d50,
            p99 - d99
        );
    }
    println!();
    println!(
        "{:<34} {:>12} {:>12} {:>8} {:>16}",
        "json, non-streaming", "direct req/s", "proxy req/s", "ratio", "CPU s/1000 req"
    );
    for (label, conc, dr, vr, cpu) in &totals {
        println!(
            "{:<34} {:>12.0} {:>12.0} {:>7.0}% {:>16.3}",
            format!("{label} c{conc}"),
            dr,
            vr,
            vr / dr * 100.0,
            cpu
        );
    }
    println!();
    for (i, label) in ["openai (translated)", "anthropic (passthrough)"]
        .iter()
        .enumerate()
    {
        println!(
            "proxy RSS, {label}: idle {:.1} MiB, peak {:.1} MiB",
            idle_rss[i] as f64 / 1024.0,
            procs[i].status("VmHWM:") as f64 / 1024.0
        );
    }
    for c in [&mut oa_child, &mut an_child] {
        let _ = c.kill();
        let _ = c.wait();
    }
}
