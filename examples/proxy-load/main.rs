//! Load tool: how much the ccswitch proxy adds, measured side by side with
//! going straight to a fast local mock upstream, in one run.
//!
//!     cargo run --release --example proxy-load [-- --requests 2000 --seconds 3]
//!         [--bin PATH] [--only json|stream|big|ledger|fallback|start|floor|bedrock] [--budget]
//!         [--gateway [--no-budgets] [--store postgres://…] [--admit-first]] [--workers N]
//!         [--upstream-ms D] [--conc 16,64]
//!
//! The proxy under test is the real release binary, `ccswitch serve`, in its
//! own processes (one per profile), so memory and CPU are its own; build it
//! first with `cargo build --release`, or name another build with `--bin`
//! (to compare two versions against the same mock in one sitting). Prints,
//! for the OpenAI-translating and the Anthropic passthrough paths: added
//! latency p50/p99 (non-streaming, and 50-chunk streams, with time to the
//! first text), requests/s at concurrency 16 and 64 for both, CPU per
//! request and per stream, a 416 KB request, and idle and peak RSS. Only
//! 127.0.0.1 is contacted.
//!
//! `start` spawns `ccswitch serve` again and again and times it from the
//! spawn to its first HTTP answer (`GET /v1/models` with the token), with
//! its RSS right after: what a launch waits for before `claude` starts.
//!
//! `bedrock` serves the same request through a Bedrock provider (SigV4
//! signing, the event stream decoded) and the Anthropic passthrough, both
//! against the mock: what the cloud upstream adds (`bedrock.rs`).
//!
//! `floor` puts a forwarder that only passes bytes (`floor.rs`) where the
//! proxy would be, on the non-streaming OpenAI path: what the extra
//! loopback hop costs by itself, the floor under the proxy's added latency.
//!
//! `--gateway` makes both proxies team gateways (`serve --gateway`) and
//! sends a member's virtual key with every request, so the key check
//! (answers cached 5 s), the key's, member's and team's budgets (read
//! from the store, never reached) and the key's rate limits (never
//! reached) are on the path: compare its added latency with a run without
//! it (`--no-budgets`: without the budgets, whose store reads and writes
//! are most of a gateway's cost). `--workers N` is passed to `serve` (a gateway's default is one
//! worker thread per CPU; 1 is the single-threaded runtime).
//!
//! `--upstream-ms D` makes the mock wait D ms before each answer, as a
//! real provider does: then c16 is sixteen requests waiting on the
//! upstream rather than sixteen clients saturating this machine's cores
//! (which the load generator and the mock share with the proxy), and the
//! added latency at c16 is the proxy's own, store round trips and lock
//! waits included, instead of its share of a saturated CPU.
//!
//! `ledger` compares the same build with its usage ledger on and off
//! (`ledger = false`): the ledger's own cost, which the usage issue bounds
//! at +0.01 ms added p50 and -5 % c64 throughput; with `--budget` the
//! profiles under test also have a budget (never reached, priced models),
//! so every request is checked and holds its estimate: what budgets cost
//! on top of the ledger. `fallback` compares a
//! one-target slot with a chain whose first target is down (nothing
//! listens there) and skipped by its open breaker, which the routing issue
//! bounds at +0.05 ms.

// A measuring tool stops at the first failure, loudly.
#![allow(clippy::unwrap_used)]

mod bedrock;
mod floor;
mod gateway;
mod mock;
#[path = "../support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;

use mock::CHUNKS;
use support::{Proc, binary_under_test, num, serve, text_arg};

const TOKEN: &str = "ccsw-bench-token-5e1f0c9a7b3d4e2f8a6c";

/// What the latency and throughput rows send: the session token, or with
/// `--gateway` a member's virtual key.
static CREDENTIAL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn credential() -> &'static str {
    CREDENTIAL.get().map_or(TOKEN, String::as_str)
}

// --------------------------------------------------------------- measure

#[derive(Clone)]
struct Target {
    url: String,
    body: Bytes,
    auth: bool,
}

/// One timed exchange: the whole response, and when its first text
/// arrived (a streamed `text_delta` or OpenAI `content`; the whole body for
/// JSON).
#[derive(Clone, Copy)]
struct Timing {
    total: Duration,
    first_text: Duration,
}

async fn one(client: &reqwest::Client, t: &Target) -> Timing {
    const MARKERS: [&[u8]; 2] = [b"\"text_delta\"", b"\"content\":\"tok"];
    let start = Instant::now();
    let mut rb = client
        .post(&t.url)
        .header("content-type", "application/json")
        .body(t.body.clone());
    if t.auth {
        rb = rb
            .header("authorization", format!("Bearer {}", credential()))
            .header("anthropic-version", "2023-06-01");
    }
    let mut r = rb.send().await.expect("request");
    assert!(r.status().is_success(), "{} {}", t.url, r.status());
    let mut first_text = None;
    // The end of the previous chunk, so a marker cut in two is still seen.
    let mut tail: Vec<u8> = Vec::new();
    while let Some(chunk) = r.chunk().await.expect("body") {
        if first_text.is_none() {
            tail.extend_from_slice(&chunk);
            if MARKERS
                .iter()
                .any(|m| tail.windows(m.len()).any(|w| w == *m))
            {
                first_text = Some(start.elapsed());
            }
            let keep = tail.len().saturating_sub(16);
            tail.drain(..keep);
        }
    }
    let total = start.elapsed();
    Timing {
        total,
        first_text: first_text.unwrap_or(total),
    }
}

fn pct(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

/// p50 and p99 of the totals, and p50 of the time to first text.
struct Latency {
    p50: f64,
    p99: f64,
    first_p50: f64,
}

fn latency(v: &[Timing]) -> Latency {
    let mut totals: Vec<Duration> = v.iter().map(|t| t.total).collect();
    let mut firsts: Vec<Duration> = v.iter().map(|t| t.first_text).collect();
    totals.sort();
    firsts.sort();
    Latency {
        p50: pct(&totals, 0.5),
        p99: pct(&totals, 0.99),
        first_p50: pct(&firsts, 0.5),
    }
}

/// Latency of `a` and `b`, measured in alternating batches so that drift
/// in machine load (a shared 2-core box) hits both sides alike.
async fn latency_pair(client: &reqwest::Client, a: &Target, b: &Target, n: u64) -> [Latency; 2] {
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
    [latency(&va), latency(&vb)]
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// Requests/s with `conc` requests in flight for `secs`, and each
/// request's time (latency under load).
async fn throughput(t: &Target, conc: usize, secs: u64) -> (f64, Vec<Duration>) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(conc)
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    for _ in 0..conc {
        let (client, t) = (client.clone(), t.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while Instant::now() < deadline {
                times.push(one(&client, &t).await.total);
            }
            times
        }));
    }
    let start = Instant::now();
    let mut times = Vec::new();
    for t in tasks {
        times.extend(t.await.unwrap());
    }
    (times.len() as f64 / start.elapsed().as_secs_f64(), times)
}

/// p50, p99 and the slowest of request times, in ms (a rate far below
/// what p50 allows means a few requests stalled).
fn p50_p99(mut v: Vec<Duration>) -> (f64, f64, f64) {
    v.sort();
    (pct(&v, 0.5), pct(&v, 0.99), pct(&v, 1.0))
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

const PATHS: [(&str, usize); 2] = [("openai (translated)", 0), ("anthropic (passthrough)", 1)];

/// Where a request goes straight to the mock (in its native API) and
/// through the proxy (always the Anthropic API, as Claude Code sends it).
struct Bench {
    mock: std::net::SocketAddr,
    proxies: [String; 2],
    anth: serde_json::Value,
    openai: serde_json::Value,
}

impl Bench {
    fn targets(&self, idx: usize, stream: bool) -> (Target, Target) {
        let (mut anth, mut openai) = (self.anth.clone(), self.openai.clone());
        anth["stream"] = stream.into();
        openai["stream"] = stream.into();
        let (native, direct_path) = if idx == 0 {
            (&openai, "/v1/chat/completions")
        } else {
            (&anth, "/anthropic/v1/messages")
        };
        let direct = Target {
            url: format!("http://{}{direct_path}", self.mock),
            body: Bytes::from(native.to_string()),
            auth: false,
        };
        let via = Target {
            url: format!("http://{}/v1/messages", self.proxies[idx]),
            body: Bytes::from(anth.to_string()),
            auth: true,
        };
        (direct, via)
    }
}

fn main() {
    // This binary is also the floor's forwarder, in a process of its own.
    if let Some(upstream) = text_arg("--forwarder") {
        floor::run(&upstream, "/v1/chat/completions");
        return;
    }
    let bin = binary_under_test();
    let n: u64 = num("--requests", 2000);
    let secs: u64 = num("--seconds", 2);
    let only = text_arg("--only");
    let wants = |part: &str| only.as_deref().is_none_or(|o| o == part);
    let upstream_ms: u64 = num("--upstream-ms", 0);
    // `--conc 16`: only that concurrency's throughput rows.
    let concs: Vec<usize> = text_arg("--conc").map_or(vec![16, 64], |c| {
        c.split(',').map(|n| n.trim().parse().unwrap()).collect()
    });
    mock::DELAY_MS.store(upstream_ms, std::sync::atomic::Ordering::Relaxed);

    let mock_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let mock_addr = mock::start(&mock_rt);
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[providers.oa]\napi = \"openai\"\nbase_url = \"http://{mock_addr}/v1\"\nkey = {{ env = \"BENCH_KEY\" }}\n\
         [providers.an]\napi = \"anthropic\"\nbase_url = \"http://{mock_addr}/anthropic\"\nkey = {{ env = \"BENCH_KEY\" }}\n\
         [profiles.oa]\nprovider = \"oa\"\nmain = \"m\"\n[profiles.an]\nprovider = \"an\"\nmain = \"m\"\n"
    );
    // `--gateway`: both proxies are team gateways, and every request comes
    // with a member's key: its check (cached), budgets and rate limits on
    // the path.
    let gateway = std::env::args().any(|a| a == "--gateway");
    // `--budget`: checked on every request, never reached.
    let budgeted = std::env::args().any(|a| a == "--budget");
    let with_budget = if budgeted {
        config
            .replace(
                "key = { env = \"BENCH_KEY\" }\n",
                "key = { env = \"BENCH_KEY\" }\nmodels = { m = { input_price = 1.0, output_price = 1.0 } }\n",
            )
            .replace(
                "main = \"m\"\n",
                "main = \"m\"\nbudget = { daily_usd = 1000000.0 }\n",
            )
    } else if gateway {
        gateway::priced(&config)
    } else {
        config.clone()
    };
    std::fs::write(dir.path().join("config.toml"), &with_budget).unwrap();
    if only.as_deref() == Some("floor") {
        let me = std::env::current_exe().unwrap();
        let mut fwd = Command::new(me)
            .args(["--forwarder", &mock_addr.to_string()])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(fwd.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let body = Bytes::from(
            serde_json::json!({"model": "m", "max_tokens": 1000, "messages": [{"role": "user", "content": "say hi"}]})
                .to_string(),
        );
        let direct = Target {
            url: format!("http://{mock_addr}/v1/chat/completions"),
            body: body.clone(),
            auth: false,
        };
        let via = Target {
            url: format!("{}/v1/chat/completions", line.trim()),
            body,
            auth: false,
        };
        let client = reqwest::Client::new();
        let [d, f] = rt.block_on(latency_pair(&client, &direct, &via, n));
        println!(
            "floor (a forwarder that only passes bytes), non-streaming: direct p50 {:.3} ms, \
             via forwarder {:.3} ms, added p50 {:.3} ms, added p99 {:.3} ms",
            d.p50,
            f.p50,
            f.p50 - d.p50,
            f.p99 - d.p99
        );
        let _ = fwd.kill();
        let _ = fwd.wait();
        return;
    }
    if only.as_deref() == Some("start") {
        startup(&bin, dir.path(), n.min(40));
        return;
    }
    if only.as_deref() == Some("bedrock") {
        let fixture: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/fixtures/claude-code/main-turn-minimal.json"
        ))
        .unwrap();
        let mut body = fixture["body"].clone();
        body["model"] = "m".into();
        bedrock::run(&bin, mock_addr, &body, n, secs);
        return;
    }
    // `--store URL`: the gateway's store in that (empty) PostgreSQL
    // database instead of a file.
    let store = text_arg("--store");
    if gateway {
        let budgets = !std::env::args().any(|a| a == "--no-budgets");
        CREDENTIAL
            .set(gateway::member_key(
                &bin,
                dir.path(),
                budgets,
                store.as_deref(),
            ))
            .unwrap();
    }
    let workers = text_arg("--workers");
    let admit_first = std::env::args().any(|a| a == "--admit-first");
    // One log line per request still gets written, as in real use.
    let serve = |profile| {
        let mut args = vec![profile];
        if gateway {
            args.push("--gateway");
            args.extend(store.as_deref());
        }
        if let Some(n) = &workers {
            args.extend(["--workers", n.as_str()]);
        }
        if admit_first {
            args.push("--admit-first");
        }
        let (child, url) =
            support::serve_with(&bin, dir.path(), &args, TOKEN, "BENCH_KEY", Stdio::null());
        (child, url.trim_start_matches("http://").to_string())
    };
    let (mut oa_child, oa_addr) = serve("oa");
    let (mut an_child, an_addr) = serve("an");
    let procs = [Proc(oa_child.id()), Proc(an_child.id())];
    std::thread::sleep(Duration::from_millis(300));
    let idle_rss: Vec<u64> = procs.iter().map(|p| p.status("VmRSS:")).collect();

    // A real, small Claude Code request (--bare --tools "" --system-prompt).
    let fixture: serde_json::Value = serde_json::from_str(include_str!(
        "../../tests/fixtures/claude-code/main-turn-minimal.json"
    ))
    .unwrap();
    let mut anth = fixture["body"].clone();
    anth["model"] = "m".into();
    let openai = serde_json::json!({"model": "m", "max_tokens": 1000, "messages": [{"role": "user", "content": "say hi"}]});
    let bench = Bench {
        mock: mock_addr,
        proxies: [oa_addr, an_addr],
        anth,
        openai,
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    println!("proxy-load: {} ({})", bin.display(), version(&bin));
    if gateway {
        println!(
            "team gateways (key check, {}rate limits), workers: {}",
            if std::env::args().any(|a| a == "--no-budgets") {
                ""
            } else {
                "budgets, "
            },
            workers.as_deref().unwrap_or("default (one per CPU)")
        );
        if admit_first {
            println!("--admit-first: every request waits for the store's admission");
        }
    } else if let Some(n) = &workers {
        println!("workers: {n}");
    }
    println!(
        "{n} sequential requests per latency row (direct and proxied alternate in batches of 100), \
         throughput as the median of 3 alternating {secs} s rounds, {CHUNKS}-chunk streams sent \
         one event per write"
    );
    if upstream_ms > 0 {
        println!("the mock waits {upstream_ms} ms before each answer");
    }
    println!(
        "request body: tests/fixtures/claude-code/main-turn-minimal.json ({} bytes)",
        bench.anth.to_string().len()
    );
    println!();
    println!(
        "{:<40} {:>9} {:>9} {:>10} {:>10} {:>11} {:>11}",
        "", "p50 ms", "p99 ms", "added p50", "added p99", "1st text", "added 1st"
    );
    let mut totals = Vec::new();
    for (label, idx) in PATHS {
        for stream in [false, true] {
            let kind = if stream { "stream" } else { "json" };
            if !wants(kind) {
                continue;
            }
            let (direct, via) = bench.targets(idx, stream);
            let client = reqwest::Client::new();
            let [d, p] = rt.block_on(latency_pair(&client, &direct, &via, n));
            println!(
                "{:<40} {:>9.3} {:>9.3} {:>10} {:>10} {:>11.3}",
                format!("{label} {kind}, direct"),
                d.p50,
                d.p99,
                "",
                "",
                d.first_p50
            );
            println!(
                "{:<40} {:>9.3} {:>9.3} {:>10.3} {:>10.3} {:>11.3} {:>11.3}",
                format!("{label} {kind}, via proxy"),
                p.p50,
                p.p99,
                p.p50 - d.p50,
                p.p99 - d.p99,
                p.first_p50,
                p.first_p50 - d.first_p50
            );
        }
        for stream in [false, true] {
            let kind = if stream { "stream" } else { "json" };
            if !wants(kind) {
                continue;
            }
            let (direct, via) = bench.targets(idx, stream);
            for &conc in &concs {
                // Three alternating rounds each; the medians are reported.
                let proxy = &procs[idx];
                let (mut drs, mut vrs, mut cpus) = (Vec::new(), Vec::new(), Vec::new());
                let (mut dts, mut vts) = (Vec::new(), Vec::new());
                for _ in 0..3 {
                    let (dr, dt) = rt.block_on(throughput(&direct, conc, secs));
                    drs.push(dr);
                    dts.extend(dt);
                    let cpu0 = proxy.cpu();
                    let t0 = Instant::now();
                    let (vr, vt) = rt.block_on(throughput(&via, conc, secs));
                    let reqs = vr * t0.elapsed().as_secs_f64();
                    // CPU ms per request (per stream, for streams).
                    cpus.push((proxy.cpu() - cpu0) / reqs * 1000.0);
                    vrs.push(vr);
                    vts.extend(vt);
                }
                // Latency under load, over all three rounds' requests.
                let (d, v) = (p50_p99(dts), p50_p99(vts));
                let rates = (median(drs), median(vrs), median(cpus));
                totals.push((label, kind, conc, rates, d, v));
            }
        }
    }
    if wants("big") {
        // A long conversation, as late in a Claude Code session: the
        // passthrough should not pay for its size.
        let big = long_conversation(&fixture["body"], 400 * 1024);
        println!();
        println!(
            "long conversation, {} KB request, non-streaming ({} sequential requests)",
            big.to_string().len() / 1024,
            n / 10
        );
        for (label, idx) in PATHS {
            let direct = Target {
                url: format!("http://{mock_addr}/anthropic/v1/messages"),
                body: Bytes::from(big.to_string()),
                auth: false,
            };
            let via = Target {
                url: format!("http://{}/v1/messages", bench.proxies[idx]),
                body: Bytes::from(big.to_string()),
                auth: true,
            };
            let client = reqwest::Client::new();
            let cpu0 = procs[idx].cpu();
            let [d, p] = rt.block_on(latency_pair(&client, &direct, &via, n / 10));
            // The proxy is idle while the direct half runs; warm-up rounds
            // count too.
            let proxied = (n / 10) + (n / 100).max(50);
            let cpu_ms = (procs[idx].cpu() - cpu0) / proxied as f64 * 1000.0;
            println!(
                "{:<40} {:>9.3} {:>9.3} {:>10.3} {:>10.3}   CPU {:.3} ms/req",
                format!("{label}, via proxy"),
                p.p50,
                p.p99,
                p.p50 - d.p50,
                p.p99 - d.p99,
                cpu_ms
            );
        }
    }
    let mut ledger_off = Vec::new();
    if wants("ledger") {
        // The same build and config in a second home, with the ledger off.
        let off_dir = tempfile::tempdir().unwrap();
        std::fs::write(
            off_dir.path().join("config.toml"),
            format!("ledger = false\n{config}"),
        )
        .unwrap();
        println!();
        println!(
            "{:<40} {:>10} {:>10} {:>10} {:>12} {:>12} {:>8} {:>12} {:>12}",
            "ledger on vs off (same build)",
            "p50 on",
            "p50 off",
            "added p50",
            "c64 on",
            "c64 off",
            "ratio",
            "CPU µs on",
            "CPU µs off"
        );
        for (label, idx) in PATHS {
            let (child, url) = support::serve(
                &bin,
                off_dir.path(),
                ["oa", "an"][idx],
                TOKEN,
                "BENCH_KEY",
                Stdio::null(),
            );
            let (_, on) = bench.targets(idx, false);
            let off = Target {
                url: format!("{url}/v1/messages"),
                ..on.clone()
            };
            let client = reqwest::Client::new();
            let [lon, loff] = rt.block_on(latency_pair(&client, &on, &off, n));
            // Five alternating rounds each; the medians are reported.
            let (mut ons, mut offs) = (Vec::new(), Vec::new());
            let (mut on_cpu, mut off_cpu) = (Vec::new(), Vec::new());
            let off_proc = Proc(child.id());
            for _ in 0..5 {
                for (proc, rates, cpus, t) in [
                    (&procs[idx], &mut ons, &mut on_cpu, &on),
                    (&off_proc, &mut offs, &mut off_cpu, &off),
                ] {
                    let cpu0 = proc.cpu();
                    let t0 = Instant::now();
                    let (rate, _) = rt.block_on(throughput(t, 64, secs));
                    let reqs = rate * t0.elapsed().as_secs_f64();
                    // CPU µs per request, the ledger's thread included.
                    cpus.push((proc.cpu() - cpu0) / reqs * 1e6);
                    rates.push(rate);
                }
            }
            let (on_rate, off_rate) = (median(ons), median(offs));
            println!(
                "{:<40} {:>10.3} {:>10.3} {:>10.3} {:>12.0} {:>12.0} {:>7.1}% {:>12.1} {:>12.1}",
                format!("{label} json"),
                lon.p50,
                loff.p50,
                lon.p50 - loff.p50,
                on_rate,
                off_rate,
                (on_rate / off_rate - 1.0) * 100.0,
                median(on_cpu),
                median(off_cpu)
            );
            ledger_off.push(child);
        }
    }
    if wants("fallback") {
        // The passthrough profile's slot behind a first target nothing
        // listens on: its first three requests find it down and open its
        // breaker, after which it is skipped (one trial per cooldown).
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let dead_addr = dead.local_addr().unwrap();
        drop(dead);
        let fb_dir = tempfile::tempdir().unwrap();
        std::fs::write(
            fb_dir.path().join("config.toml"),
            format!(
                "{config}[providers.down]\napi = \"anthropic\"\nbase_url = \"http://{dead_addr}/anthropic\"\n\
                 key = {{ env = \"BENCH_KEY\" }}\n\
                 [profiles.fb]\nprovider = \"an\"\nmain = [{{ provider = \"down\", model = \"m\" }}, \"m\"]\n"
            ),
        )
        .unwrap();
        let (child, url) =
            support::serve(&bin, fb_dir.path(), "fb", TOKEN, "BENCH_KEY", Stdio::null());
        let (_, one) = bench.targets(1, false);
        let chain = Target {
            url: format!("{url}/v1/messages"),
            ..one.clone()
        };
        let client = reqwest::Client::new();
        let [lone, lchain] = rt.block_on(latency_pair(&client, &one, &chain, n));
        let (mut ones, mut chains) = (Vec::new(), Vec::new());
        for _ in 0..3 {
            ones.push(rt.block_on(throughput(&one, 64, secs)).0);
            chains.push(rt.block_on(throughput(&chain, 64, secs)).0);
        }
        println!();
        println!(
            "{:<40} {:>10} {:>10} {:>10} {:>10} {:>12} {:>12}",
            "first target down, breaker open",
            "p50 one",
            "p50 chain",
            "added p50",
            "added p99",
            "c64 one",
            "c64 chain"
        );
        println!(
            "{:<40} {:>10.3} {:>10.3} {:>10.3} {:>10.3} {:>12.0} {:>12.0}",
            "anthropic (passthrough) json",
            lone.p50,
            lchain.p50,
            lchain.p50 - lone.p50,
            lchain.p99 - lone.p99,
            median(ones),
            median(chains)
        );
        ledger_off.push(child);
    }
    if !totals.is_empty() {
        println!();
        println!(
            "{:<40} {:>12} {:>12} {:>8} {:>14} {:>10} {:>10}",
            "throughput",
            "direct req/s",
            "proxy req/s",
            "ratio",
            "CPU ms/req",
            "added p50",
            "added p99"
        );
    }
    for (label, kind, conc, (dr, vr, cpu), d, v) in &totals {
        println!(
            "{:<40} {:>12.0} {:>12.0} {:>7.0}% {:>14.4} {:>10.3} {:>10.3}",
            format!("{label} {kind} c{conc}"),
            dr,
            vr,
            vr / dr * 100.0,
            cpu,
            v.0 - d.0,
            v.1 - d.1
        );
    }
    for (label, kind, conc, _, d, v) in &totals {
        println!(
            "{:<40} direct p50/p99/max {:.3}/{:.3}/{:.1} ms, via proxy {:.3}/{:.3}/{:.1} ms",
            format!("{label} {kind} c{conc}"),
            d.0,
            d.1,
            d.2,
            v.0,
            v.1,
            v.2
        );
    }
    println!();
    for (i, (label, _)) in PATHS.iter().enumerate() {
        println!(
            "proxy RSS, {label}: idle {:.1} MiB, peak {:.1} MiB",
            idle_rss[i] as f64 / 1024.0,
            procs[i].status("VmHWM:") as f64 / 1024.0
        );
    }
    for c in [&mut oa_child, &mut an_child]
        .into_iter()
        .chain(ledger_off.iter_mut())
    {
        let _ = c.kill();
        let _ = c.wait();
    }
}

/// `--only start`: `runs` spawns per profile, each timed from the spawn to
/// the first HTTP answer, with the RSS then; medians and best.
fn startup(bin: &Path, home: &Path, runs: u64) {
    use std::io::{Read, Write};
    println!("proxy-load: {} ({})", bin.display(), version(bin));
    println!(
        "{runs} spawns per profile: spawn -> first HTTP answer (GET /v1/models), RSS after it"
    );
    for profile in ["oa", "an"] {
        let mut times = Vec::new();
        let mut rss = Vec::new();
        for _ in 0..runs {
            let t0 = Instant::now();
            let (mut child, url) = serve(bin, home, profile, TOKEN, "BENCH_KEY", Stdio::null());
            let addr = url.trim_start_matches("http://");
            let mut conn = std::net::TcpStream::connect(addr).unwrap();
            write!(
                conn,
                "GET /v1/models HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {TOKEN}\r\nConnection: close\r\n\r\n"
            )
            .unwrap();
            let mut answer = Vec::new();
            conn.read_to_end(&mut answer).unwrap();
            times.push(t0.elapsed().as_secs_f64() * 1000.0);
            assert!(
                answer.starts_with(b"HTTP/1.1 200"),
                "{}",
                String::from_utf8_lossy(&answer)
            );
            rss.push(Proc(child.id()).status("VmRSS:") as f64 / 1024.0);
            let _ = child.kill();
            let _ = child.wait();
        }
        let med = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            (v[v.len() / 2], v[0])
        };
        let ((t, t_min), (r, r_min)) = (med(&mut times), med(&mut rss));
        println!(
            "{profile}: first answer after {t:.1} ms (best {t_min:.1}), RSS then {r:.1} MiB (least {r_min:.1})"
        );
    }
}

fn version(bin: &Path) -> String {
    Command::new(bin)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}
