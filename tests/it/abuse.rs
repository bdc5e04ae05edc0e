//! What a hostile or broken peer can do to the proxy, on either side:
//! endless and stalled upstream bodies, idle and slow client connections,
//! bodies at and over the cap, pathological JSON, and the token check.
//! Each must cost bounded time and memory and end in a clean error.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::support::mock::{self, Mock};
use crate::support::proxy::*;
use ccswitch::proxy::Limits;
use serde_json::Value;

const MIB: u64 = 1024 * 1024;

/// Authenticated `GET /v1/models` over a fresh connection, with a deadline.
async fn models_within(p: &Proxy, limit: Duration) -> Result<u16, String> {
    let req = p
        .http
        .get(format!("{}/v1/models", p.base))
        .bearer_auth(TOKEN)
        .send();
    match tokio::time::timeout(limit, req).await {
        Ok(Ok(r)) => Ok(r.status().as_u16()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err(format!("no answer within {limit:?}")),
    }
}

/// Whether the server closed `s` within `limit` (a read returns 0 or fails).
fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    s.set_read_timeout(Some(limit)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                );
            }
        }
    }
}

fn connect(p: &Proxy) -> TcpStream {
    TcpStream::connect(p.handle.addr).unwrap()
}

#[tokio::test]
async fn an_endless_error_body_is_cut_short() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    up.push(mock::endless(400, "application/json", &[b'x'; 64 * 1024]));
    let t0 = Instant::now();
    let r = p.post("/v1/messages", &ask(false)).await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    // The proxy stopped reading after the first 64 KiB; what the mock got
    // out is that plus the socket buffers, not the 10 s × line rate it
    // reached before the cap.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(up.endless_sent() < 16 * MIB, "{}", up.endless_sent());
}

#[tokio::test]
async fn a_whole_reply_over_the_cap_is_refused_without_being_held() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, ANTHROPIC).await;
    // Announced: refused before reading.
    up.push(mock::Reply::Endless {
        status: 200,
        content_type: "application/json",
        chunk: bytes::Bytes::from_static(&[b' '; 1024]),
        limit: Some(40 * MIB),
        announce: true,
    });
    let r = p.post("/v1/messages", &ask(false)).await;
    assert_eq!(r.status(), 502);
    let v: Value = r.json().await.unwrap();
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("larger than 32 MiB"), "{msg}");
    assert!(up.endless_sent() < 16 * MIB, "{}", up.endless_sent());
    // Not announced: read up to the cap, then refused.
    up.push(mock::endless(200, "application/json", &[b' '; 64 * 1024]));
    let r = p.post("/v1/messages", &ask(false)).await;
    assert_eq!(r.status(), 502);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = up.endless_sent();
    assert!(sent < 60 * MIB, "{sent}");
}

#[tokio::test]
async fn count_tokens_against_a_stalled_upstream_times_out() {
    let up = Mock::start().await;
    // idle = 1 s in the provider's timeouts.
    let p = mk_proxy(&up, ANTHROPIC).await;
    up.push(mock::stall(200, "application/json"));
    let t0 = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(10),
        p.post("/v1/messages/count_tokens", &ask(false)),
    )
    .await
    .expect("count_tokens answered");
    assert_eq!(r.status(), 504);
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
}

#[tokio::test]
async fn an_sse_line_of_100_mib_without_a_newline_ends_in_an_error_event() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    let mut line = b"data: {\"choices\":[{\"delta\":{\"content\":\"".to_vec();
    line.extend_from_slice(&[b'a'; 1024 * 1024]);
    up.push(mock::Reply::Endless {
        status: 200,
        content_type: "text/event-stream",
        chunk: bytes::Bytes::from(line),
        limit: Some(100 * MIB),
        announce: false,
    });
    let r = p.post("/v1/messages", &ask(true)).await;
    assert_eq!(r.status(), 200);
    let evs = tokio::time::timeout(Duration::from_secs(30), events(r))
        .await
        .expect("the stream ended");
    assert!(
        matches!(
            evs.last(),
            Some(ccswitch::proxy::translate::anthropic::Event::Error { .. })
        ),
        "{:?}",
        evs.last()
    );
}

#[tokio::test]
async fn silent_and_slow_connections_are_closed_and_never_crowd_out_a_client() {
    let up = Mock::start().await;
    let p = mk_proxy_with(&up, OPENAI, |c| {
        c.limits = Limits {
            first_byte: Duration::from_secs(2),
            headers: Duration::from_secs(1),
            connections: 4,
        };
    })
    .await;
    // Twice the cap of connections that never say a word.
    let mut silent: Vec<TcpStream> = (0..8).map(|_| connect(&p)).collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // A real client still gets through at once: a silent one makes room.
    // (Well before any silent one times out on its own.)
    let got = models_within(&p, Duration::from_secs(1)).await;
    assert_eq!(got, Ok(200));
    // Slowloris: headers a byte at a time, never finished.
    let mut slow = connect(&p);
    let slow_t0 = Instant::now();
    let dribble = std::thread::spawn(move || {
        for b in b"GET /v1/models HTTP/1.1\r\nHost: x\r\n" {
            if slow.write_all(&[*b]).is_err() {
                return (slow, true);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        (slow, false)
    });
    let mut closed = tokio::task::spawn_blocking(move || {
        silent
            .iter_mut()
            .all(|s| closed_within(s, Duration::from_secs(3)))
    })
    .await
    .unwrap();
    assert!(
        closed,
        "a silent connection outlived its first-byte timeout"
    );
    let (mut slow, cut) = tokio::task::spawn_blocking(move || dribble.join().unwrap())
        .await
        .unwrap();
    closed = cut || closed_within(&mut slow, Duration::from_secs(3));
    assert!(closed, "slowloris headers were not cut off");
    assert!(slow_t0.elapsed() < Duration::from_secs(4));
    assert!(up.seen().is_empty());
}

#[tokio::test]
async fn a_request_without_the_token_closes_its_connection() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    let mut s = connect(&p);
    // Blocking reads run off the runtime the proxy shares.
    let text = tokio::task::spawn_blocking(move || {
        s.write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nx-api-key: wrong\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        s.set_read_timeout(Some(Duration::from_secs(3))).unwrap();
        s.read_to_string(&mut text).unwrap();
        text
    })
    .await
    .unwrap();
    assert!(text.starts_with("HTTP/1.1 401"), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
}

#[tokio::test]
async fn the_token_is_taken_from_either_header_and_wrong_ones_fail_alike() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    let get = |h: &'static str, v: String| {
        p.http
            .get(format!("{}/v1/models", p.base))
            .header(h, v)
            .send()
    };
    assert_eq!(get("x-api-key", TOKEN.into()).await.unwrap().status(), 200);
    assert_eq!(
        get("authorization", format!("Bearer {TOKEN}"))
            .await
            .unwrap()
            .status(),
        200
    );
    // Wrong at the first byte, at the last, shorter, longer, in the other
    // scheme: all the same 401.
    let last = format!("{}x", &TOKEN[..TOKEN.len() - 1]);
    for wrong in [
        format!("x{}", &TOKEN[1..]),
        last.clone(),
        TOKEN[..10].to_string(),
        format!("{TOKEN}x"),
    ] {
        assert_eq!(get("x-api-key", wrong.clone()).await.unwrap().status(), 401);
        let bearer = format!("Bearer {wrong}");
        assert_eq!(get("authorization", bearer).await.unwrap().status(), 401);
    }
    let basic = format!("Basic {TOKEN}");
    assert_eq!(get("authorization", basic).await.unwrap().status(), 401);
}

#[tokio::test]
async fn bodies_at_and_over_the_cap() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, ANTHROPIC).await;
    let cap = 32 * 1024 * 1024;
    // Exactly at the cap: a valid request padded with spaces.
    let mut at = serde_json::to_vec(&ask(false)).unwrap();
    at.resize(cap, b' ');
    up.push(mock::json(
        200,
        r#"{"type":"message","content":[],"usage":{"input_tokens":1,"output_tokens":1}}"#,
    ));
    let r = p
        .http
        .post(format!("{}/v1/messages", p.base))
        .bearer_auth(TOKEN)
        .body(at)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let mut over = serde_json::to_vec(&ask(false)).unwrap();
    over.resize(cap + 1, b' ');
    let r = p
        .http
        .post(format!("{}/v1/messages", p.base))
        .bearer_auth(TOKEN)
        .body(over)
        .send()
        .await;
    if let Ok(r) = r {
        assert_eq!(r.status(), 413);
    }
    assert_eq!(up.seen().len(), 1);
}

#[tokio::test]
async fn deep_nesting_and_invalid_utf8_are_bad_requests() {
    let up = Mock::start().await;
    let deep = format!(
        "{{\"model\":\"up-main\",\"max_tokens\":1,\"messages\":[{{\"role\":\"user\",\"content\":{}1{}}}]}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let mut bad_utf8 =
        br#"{"model":"up-main","max_tokens":1,"messages":[{"role":"user","content":"a"#.to_vec();
    bad_utf8.extend_from_slice(&[0xff, 0xfe]);
    bad_utf8.extend_from_slice(br#""}]}"#);
    let send = |p: &Proxy, body: Vec<u8>| {
        p.http
            .post(format!("{}/v1/messages", p.base))
            .bearer_auth(TOKEN)
            .body(body)
            .send()
    };
    for kind in [OPENAI, ANTHROPIC] {
        let p = mk_proxy(&up, kind).await;
        let r = send(&p, bad_utf8.clone()).await.unwrap();
        assert_eq!(r.status(), 400, "{kind}");
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["error"]["type"], "invalid_request_error", "{v}");
    }
    // Translating parses every block: past serde's depth limit it is a 400.
    let p = mk_proxy(&up, OPENAI).await;
    let r = send(&p, deep.clone().into_bytes()).await.unwrap();
    assert_eq!(r.status(), 400);
    assert!(up.seen().is_empty());
    // Passing through skips over the messages without recursing (no stack
    // to exhaust), so the provider judges them, and its answer comes back.
    let p = mk_proxy(&up, ANTHROPIC).await;
    up.push(mock::json(
        400,
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"too deep"}}"#,
    ));
    let r = send(&p, deep.into_bytes()).await.unwrap();
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"].as_str().unwrap().contains("too deep"),
        "{v}"
    );
}

/// CPU seconds a process has used (user + system), from /proc.
#[cfg(target_os = "linux")]
fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    let ticks: f64 = f[11].parse::<f64>().unwrap() + f[12].parse::<f64>().unwrap();
    ticks / 100.0
}

/// The reproduction from the review: 100 idle connections to `ccswitch
/// serve` under `ulimit -n 64`. Before, the accept loop spun a core on
/// EMFILE and an authenticated request timed out.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn idle_connections_under_a_low_descriptor_limit_neither_spin_nor_starve() {
    use crate::support::{BIN, Home};
    use std::io::BufRead;
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&format!(
        "default = \"p\"\n[providers.up]\napi = \"openai\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"up\"\nmain = \"m-main\"\n",
        up.url("/v1")
    ));
    let mut cmd = home.cmd(&[]);
    let envs: Vec<(std::ffi::OsString, std::ffi::OsString)> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_owned(), v?.to_owned())))
        .collect();
    cmd = std::process::Command::new("sh");
    cmd.args(["-c", "ulimit -n 64 && exec \"$0\" serve", BIN])
        .envs(envs)
        .env("UP_KEY", "sk-k")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    // Read every export line: closing the pipe early would end `serve`
    // with EPIPE on its next line.
    let lines = tokio::task::spawn_blocking(move || {
        let r = std::io::BufReader::new(stdout);
        r.lines()
            .map_while(Result::ok)
            .take_while(|l| !l.contains("ANTHROPIC_SMALL_FAST_MODEL"))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let find = |k: &str| {
        lines
            .iter()
            .find_map(|l| l.trim().strip_prefix(&format!("export {k}=")))
            .unwrap_or_else(|| panic!("no {k} in {lines:?}"))
            .trim_matches('\'')
            .to_string()
    };
    let base = find("ANTHROPIC_BASE_URL");
    let token = find("ANTHROPIC_AUTH_TOKEN");
    let addr: std::net::SocketAddr = base.trim_start_matches("http://").parse().unwrap();
    let idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cpu0 = cpu_secs(child.id());
    let t0 = Instant::now();
    let r = tokio::time::timeout(
        Duration::from_secs(3),
        reqwest::Client::new()
            .get(format!("{base}/v1/models"))
            .bearer_auth(&token)
            .send(),
    )
    .await;
    let waited = t0.elapsed();
    tokio::time::sleep(Duration::from_secs(2).saturating_sub(waited)).await;
    let cpu = cpu_secs(child.id()) - cpu0;
    let _ = child.kill();
    let _ = child.wait();
    drop(idle);
    let status = r.expect("answered within 3 s").unwrap().status();
    assert_eq!(status, 200);
    assert!(
        cpu < 0.5,
        "the proxy used {cpu:.2} s of CPU in 2 s while idle"
    );
}
