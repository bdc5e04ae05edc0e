//! `--only bedrock`: what a Bedrock upstream costs on top of the Anthropic
//! passthrough. Both proxies serve the same Claude Code request against the
//! same mock; the Bedrock one signs every request with SigV4 (credentials
//! from the environment, cached) and decodes the event stream into SSE.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use bytes::Bytes;

use super::support::{Proc, serve_with};
use super::{TOKEN, Target, latency_pair, median, throughput};

fn serve_bedrock(bin: &Path, home: &Path) -> (Child, String) {
    let mut child = Command::new(bin)
        .args(["serve", "bd", "--token-env", "MEASURE_TOKEN"])
        .env("CCSWITCH_HOME", home)
        .env("MEASURE_TOKEN", TOKEN)
        .env("AWS_ACCESS_KEY_ID", "AKIDBENCH")
        .env("AWS_SECRET_ACCESS_KEY", "bench-secret")
        .env("AWS_CONFIG_FILE", home.join("none"))
        .env("AWS_SHARED_CREDENTIALS_FILE", home.join("none"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut r = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    let url = line
        .trim()
        .strip_prefix("export ANTHROPIC_BASE_URL=")
        .unwrap()
        .to_string();
    std::thread::spawn(move || std::io::copy(&mut r, &mut std::io::sink()));
    (child, url)
}

pub fn run(bin: &Path, mock: std::net::SocketAddr, anth: &serde_json::Value, n: u64, secs: u64) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!(
            "[providers.an]\napi = \"anthropic\"\nbase_url = \"http://{mock}/anthropic\"\nkey = {{ env = \"BENCH_KEY\" }}\n\
             [providers.bd]\npreset = \"bedrock\"\nregion = \"us-east-1\"\nbase_url = \"http://{mock}\"\n\
             models = {{ m = {{ input_price = 1.0, output_price = 1.0 }} }}\n\
             [profiles.an]\nprovider = \"an\"\nmain = \"m\"\n[profiles.bd]\nprovider = \"bd\"\nmain = \"m\"\n"
        ),
    )
    .unwrap();
    let (mut an, an_url) = serve_with(bin, dir.path(), &["an"], TOKEN, "BENCH_KEY", Stdio::null());
    let (mut bd, bd_url) = serve_bedrock(bin, dir.path());
    let procs = [Proc(an.id()), Proc(bd.id())];
    std::thread::sleep(std::time::Duration::from_millis(300));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "Bedrock (SigV4 + event stream) next to the Anthropic passthrough, same mock, {n} requests a row"
    );
    println!(
        "{:<34} {:>10} {:>10} {:>11} {:>14}",
        "", "added p50", "added p99", "added 1st", "CPU ms c16"
    );
    for stream in [false, true] {
        let mut body = anth.clone();
        body["stream"] = stream.into();
        let direct = Target {
            url: format!("http://{mock}/anthropic/v1/messages"),
            body: Bytes::from(body.to_string()),
            auth: false,
        };
        for (label, url, proc) in [
            ("anthropic passthrough", &an_url, &procs[0]),
            ("bedrock", &bd_url, &procs[1]),
        ] {
            let via = Target {
                url: format!("{url}/v1/messages"),
                body: Bytes::from(body.to_string()),
                auth: true,
            };
            let client = reqwest::Client::new();
            let [d, p] = rt.block_on(latency_pair(&client, &direct, &via, n));
            let mut cpus = Vec::new();
            for _ in 0..3 {
                let cpu0 = proc.cpu();
                let t0 = Instant::now();
                let (rate, _) = rt.block_on(throughput(&via, 16, secs));
                cpus.push((proc.cpu() - cpu0) / (rate * t0.elapsed().as_secs_f64()) * 1000.0);
            }
            let kind = if stream { "stream" } else { "json" };
            println!(
                "{:<34} {:>10.3} {:>10.3} {:>11.3} {:>14.3}",
                format!("{label} {kind}"),
                p.p50 - d.p50,
                p.p99 - d.p99,
                p.first_p50 - d.first_p50,
                median(cpus)
            );
        }
    }
    for c in [&mut an, &mut bd] {
        let _ = c.kill();
        let _ = c.wait();
    }
}
