//! Soak: the real `ccswitch serve` binary for a bounded time under mixed
//! load from a misbehaving upstream (resets, stalls, slow first bytes, 429s
//! and 5xx, huge and garbage bodies) and impatient clients (disconnects
//! mid-stream).
//!
//!     cargo build --release
//!     cargo run --release --example proxy-soak [-- --minutes 30 --clients 16 --seed 7] [--bin PATH]
//!         [--print-secs N]
//!
//! Prints requests served, outcomes by class, and the proxy's RSS, open file
//! descriptors and CPU over time. Passes (exit 0) when, after warm-up, RSS
//! and descriptors stay flat, every request was answered or cleanly failed
//! (none hung), and the proxy logged no panic. Linux (/proc); only
//! 127.0.0.1 is contacted.

// A measuring tool stops at the first failure, loudly.
#![allow(clippy::unwrap_used)]

mod faults;
#[path = "../support/mod.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use support::{Proc, binary_under_test, num, serve};

/// One process's RSS (KiB), open descriptors and CPU seconds.
fn sample(pid: u32) -> (u64, usize, f64) {
    let p = Proc(pid);
    (p.status("VmRSS:"), p.fds(), p.cpu())
}

const TOKEN: &str = "ccsw-soak-token-7d2e9b4c1a8f3e6d0b5c";

/// How one request ended, from the client's side.
fn classify(status: u16, body_end: Result<bool, String>) -> String {
    match (status, body_end) {
        (200, Ok(true)) => "ok".into(),
        (200, Ok(false)) => "200, stream ended with an error event".into(),
        (s, Ok(_)) => format!("{s} (Anthropic-shaped error)"),
        (s, Err(e)) => format!("{s}, then {e}"),
    }
}

async fn one(client: &reqwest::Client, base: &str, stream: bool, hang_up: bool) -> String {
    let body = serde_json::json!({
        "model": "m", "max_tokens": 256, "stream": stream,
        "messages": [{"role": "user", "content": "say something"}],
    });
    let sent = client
        .post(format!("{base}/v1/messages"))
        .bearer_auth(TOKEN)
        .header("anthropic-version", "2023-06-01")
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await;
    let resp = match sent {
        Ok(r) => r,
        Err(e) if e.is_timeout() => return "HUNG (no status)".into(),
        Err(e) => return format!("connection error: {e}"),
    };
    let status = resp.status().as_u16();
    let shaped = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_default();
    let mut body = resp.bytes_stream();
    let mut seen = Vec::new();
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(c) => {
                seen.extend_from_slice(&c);
                if hang_up && seen.len() > 200 {
                    return "client hung up mid-stream (on purpose)".into();
                }
            }
            Err(e) if e.is_timeout() => return format!("{status}, HUNG mid-body"),
            Err(e) => return classify(status, Err(format!("body error: {e}"))),
        }
    }
    let text = String::from_utf8_lossy(&seen);
    if status != 200 {
        let anthropic_error = serde_json::from_str::<serde_json::Value>(&text)
            .is_ok_and(|v| v["type"] == "error" && v["error"]["message"].is_string());
        return if anthropic_error {
            classify(status, Ok(true))
        } else {
            format!("{status} with a body that is not an Anthropic error ({shaped})")
        };
    }
    if stream {
        let ended = text.contains("event: message_stop");
        let errored = text.contains("event: error");
        return match (ended, errored) {
            (true, _) => classify(200, Ok(true)),
            (false, true) => classify(200, Ok(false)),
            (false, false) => "200, stream cut without an end or error event".into(),
        };
    }
    classify(
        200,
        Ok(serde_json::from_str::<serde_json::Value>(&text).is_ok()),
    )
}

fn main() {
    let bin = binary_under_test();
    let total = Duration::from_secs_f64(num("--minutes", 30.0) * 60.0);
    let clients = num("--clients", 16.0) as usize;
    let seed = num("--seed", 7.0) as u64;
    let every = Duration::from_secs_f64(num("--print-secs", (total.as_secs_f64() / 15.0).max(5.0)));

    let mock_rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // Slow first bytes come later than the provider's first-byte timeout.
    let mock = faults::start(&mock_rt, seed, Duration::from_secs(4));
    let dir = tempfile::tempdir().unwrap();
    let timeouts = "timeouts = { first_byte = 3, idle = 2 }";
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[providers.oa]\napi = \"openai\"\nbase_url = \"http://{mock}/v1\"\nkey = {{ env = \"SOAK_KEY\" }}\n{timeouts}\n\
             [providers.an]\napi = \"anthropic\"\nbase_url = \"http://{mock}/anthropic\"\nkey = {{ env = \"SOAK_KEY\" }}\n{timeouts}\n\
             [profiles.oa]\nprovider = \"oa\"\nmain = \"m\"\n[profiles.an]\nprovider = \"an\"\nmain = \"m\"\n"
        ),
    )
    .unwrap();
    let logs = [dir.path().join("oa.log"), dir.path().join("an.log")];
    let serve = |profile, log: &Path| {
        let stderr = std::fs::File::create(log).unwrap();
        serve(&bin, dir.path(), profile, TOKEN, "SOAK_KEY", stderr.into())
    };
    let (mut oa, oa_url) = serve("oa", &logs[0]);
    let (mut an, an_url) = serve("an", &logs[1]);
    let pids = [oa.id(), an.id()];
    std::thread::sleep(Duration::from_millis(300));
    let start_samples: Vec<_> = pids.iter().map(|p| sample(*p)).collect();

    let outcomes: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let deadline = started + total;
    let rng = Arc::new(faults::Rng::new(seed ^ 0x9e37_79b9));
    let bases = [oa_url.clone(), an_url.clone()];
    let workers: Vec<_> = (0..clients)
        .map(|_| {
            let (outcomes, rng, bases) = (outcomes.clone(), rng.clone(), bases.clone());
            rt.spawn(async move {
                // Longer than any timeout the proxy should apply (3 s first
                // byte, 2 s idle, a 100 MB body cut at 64 KiB): past it, a
                // request counts as hung.
                let client = reqwest::Client::builder()
                    .no_proxy()
                    .timeout(Duration::from_secs(30))
                    .build()
                    .unwrap();
                while Instant::now() < deadline {
                    let base = &bases[rng.below(2) as usize];
                    let stream = rng.below(100) < 70;
                    let hang_up = stream && rng.below(100) < 10;
                    let what = one(&client, base, stream, hang_up).await;
                    *outcomes.lock().unwrap().entry(what).or_default() += 1;
                }
            })
        })
        .collect();

    println!(
        "soak: {} for {:.0} min, {clients} clients, seed {seed}",
        bin.display(),
        total.as_secs_f64() / 60.0
    );
    println!(
        "{:>7}  {:>22}  {:>14}  {:>16}  {:>9}",
        "minute", "RSS MiB (oa / an)", "fds (oa / an)", "CPU s (oa / an)", "requests"
    );
    // RSS is sampled every second: huge replies are held up to their cap
    // while they are refused, so single samples swing with what is in
    // flight. A leak shows in the floor (the lowest sample of a stretch),
    // which transient spikes do not move.
    let mut series = Vec::new();
    let mut next_print = started + every;
    while Instant::now() < deadline {
        std::thread::sleep(
            Duration::from_secs(1).min(deadline.saturating_duration_since(Instant::now())),
        );
        let s: Vec<_> = pids.iter().map(|p| sample(*p)).collect();
        if Instant::now() >= next_print {
            next_print += every;
            let n: u64 = outcomes.lock().unwrap().values().sum();
            println!(
                "{:>7.1}  {:>10.1} / {:>9.1}  {:>6} / {:>5}  {:>7.1} / {:>6.1}  {:>9}",
                started.elapsed().as_secs_f64() / 60.0,
                s[0].0 as f64 / 1024.0,
                s[1].0 as f64 / 1024.0,
                s[0].1,
                s[1].1,
                s[0].2 - start_samples[0].2,
                s[1].2 - start_samples[1].2,
                n
            );
        }
        series.push(s);
    }
    for w in workers {
        let _ = rt.block_on(w);
    }
    // Let stalled upstream reads and idle client connections time out, then
    // look again: what is still open now was leaked.
    std::thread::sleep(Duration::from_secs(35));
    let end: Vec<_> = pids.iter().map(|p| sample(*p)).collect();
    let _ = (oa.kill(), an.kill(), oa.wait(), an.wait());

    let outcomes = outcomes.lock().unwrap();
    let served: u64 = outcomes.values().sum();
    println!(
        "\n{served} requests, {:.0}/s; outcomes:",
        served as f64 / total.as_secs_f64()
    );
    for (what, n) in outcomes.iter() {
        println!("  {n:>8}  {what}");
    }
    let mut failures = Vec::new();
    for (what, n) in outcomes.iter() {
        let clean = what == "ok"
            || what.contains("Anthropic-shaped error")
            || what.contains("ended with an error event")
            || what.contains("on purpose");
        if !clean {
            failures.push(format!("{n} request(s): {what}"));
        }
    }
    // Warm-up: the first fifth. Flat: the RSS floor of the last third is
    // no higher than that of the stretch after warm-up, and the idle RSS at
    // the end is back near that floor.
    let warm_at = series.len() / 5;
    let third = warm_at + (series.len() - warm_at) * 2 / 3;
    for (i, name) in ["oa", "an"].iter().enumerate() {
        let stat = |from: usize, to: usize, f: fn(u64, u64) -> u64| {
            series[from..to]
                .iter()
                .map(|s| s[i].0)
                .reduce(f)
                .unwrap_or(0)
        };
        let mib = |k: u64| k as f64 / 1024.0;
        let early_floor = stat(warm_at, third, u64::min);
        let late_floor = stat(third, series.len(), u64::min);
        let peak = stat(warm_at, series.len(), u64::max);
        println!(
            "{name}: RSS MiB start {:.1}; after warm-up floor {:.1} early / {:.1} late, peak {:.1}; idle at the end {:.1}. fds start {}, peak {}, idle at the end {}. CPU {:.1} s",
            mib(start_samples[i].0),
            mib(early_floor),
            mib(late_floor),
            mib(peak),
            mib(end[i].0),
            start_samples[i].1,
            series.iter().map(|s| s[i].1).max().unwrap_or(0),
            end[i].1,
            end[i].2 - start_samples[i].2
        );
        if series.len() >= 10 && late_floor > early_floor + 8 * 1024 {
            failures.push(format!("{name}: the RSS floor rose after warm-up"));
        }
        if end[i].0 > early_floor.max(start_samples[i].0) + 16 * 1024 {
            failures.push(format!("{name}: idle RSS at the end is above the floor"));
        }
        if end[i].1 > start_samples[i].1 + 4 {
            failures.push(format!(
                "{name}: {} descriptors open at the end, {} at the start",
                end[i].1, start_samples[i].1
            ));
        }
        let log = std::fs::read_to_string(&logs[i]).unwrap_or_default();
        if log.contains("panicked") {
            failures.push(format!("{name}: a panic in the log"));
        }
    }
    if failures.is_empty() {
        println!("PASS");
    } else {
        println!("FAIL:\n  {}", failures.join("\n  "));
        std::process::exit(1);
    }
}
