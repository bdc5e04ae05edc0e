//! What a hostile or broken peer can do to the proxy, on either side:
//! endless and stalled upstream bodies, idle and slow client connections,
//! bodies at and over the cap, pathological JSON, and the token check.
//! Each must cost bounded time and memory and end in a clean error.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::support::clock::{Frozen, settle, until, within};
use crate::support::mock::{self, Mock};
use crate::support::proxy::*;
use ccswitch::proxy::Limits;
use serde_json::Value;

const MIB: u64 = 1024 * 1024;

/// A hang guard by the real clock: generous, since it measures nothing.
const GUARD: Duration = Duration::from_secs(60);

/// Authenticated `GET /v1/models`.
async fn models(p: &Proxy) -> Result<u16, String> {
    let req = p
        .http
        .get(format!("{}/v1/models", p.base))
        .bearer_auth(TOKEN)
        .send();
    req.await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
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
    // The proxy gives an error body 10 s; with its clock held still those
    // never run out, so an answer at all means the cap cut the body short.
    let _clock = Frozen::new();
    let r = within(GUARD, "the 400", p.post("/v1/messages", &ask(false))).await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "invalid_request_error");
    // The proxy stopped reading after the first 64 KiB and dropped the
    // connection; what the mock got out is that plus the socket buffers,
    // not the 10 s × line rate it reached before the cap.
    until(GUARD, "the mock to see the proxy hang up", || {
        up.clients_gone() == 1
    })
    .await;
    assert!(up.endless_sent() < 16 * MIB, "{}", up.endless_sent());
}

#[tokio::test]
async fn a_whole_reply_over_the_cap_is_refused_without_being_held() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, ANTHROPIC).await;
    // Held still: a slow moment of the machine cannot end a read by the
    // idle timeout (1 s) before the cap does.
    let _clock = Frozen::new();
    let gone = |n: usize| {
        let up = &up;
        until(GUARD, "the mock to see the proxy hang up", move || {
            up.clients_gone() == n
        })
    };
    // Announced: refused before reading.
    up.push(mock::Reply::Endless {
        status: 200,
        content_type: "application/json",
        chunk: bytes::Bytes::from_static(&[b' '; 1024]),
        limit: Some(40 * MIB),
        announce: true,
    });
    let r = within(GUARD, "the 502", p.post("/v1/messages", &ask(false))).await;
    assert_eq!(r.status(), 502);
    let v: Value = r.json().await.unwrap();
    let msg = v["error"]["message"].as_str().unwrap();
    assert!(msg.contains("larger than 32 MiB"), "{msg}");
    gone(1).await;
    assert!(up.endless_sent() < 16 * MIB, "{}", up.endless_sent());
    // Not announced: read up to the cap, then refused.
    up.push(mock::endless(200, "application/json", &[b' '; 64 * 1024]));
    let r = within(GUARD, "the 502", p.post("/v1/messages", &ask(false))).await;
    assert_eq!(r.status(), 502);
    gone(2).await;
    let sent = up.endless_sent();
    assert!(sent < 60 * MIB, "{sent}");
}

#[tokio::test]
async fn count_tokens_against_a_stalled_upstream_times_out() {
    let up = Mock::start().await;
    // idle = 1 s in the provider's timeouts.
    let p = mk_proxy(&up, ANTHROPIC).await;
    up.push(mock::stall(200, "application/json"));
    // The proxy's clock held still, moved a second at a time once the
    // upstream has the request, with a pause between steps for the proxy
    // to read the headers and arm its timer (at the held time, whenever
    // it gets there): the answer must come by 4 s on that clock, as
    // before by 5 s on the wall clock.
    let clock = Frozen::new();
    let mut answer = tokio::spawn(p.request("/v1/messages/count_tokens", &ask(false)).send());
    until(GUARD, "the upstream to get the request", || {
        up.seen().len() == 1
    })
    .await;
    let mut waited = Duration::ZERO;
    let r = loop {
        tokio::select! {
            r = &mut answer => break r.unwrap().unwrap(),
            () = settle(Duration::from_secs(2)) => {}
        }
        assert!(
            waited < Duration::from_secs(4),
            "count_tokens did not answer within {waited:?} of the proxy's clock"
        );
        clock.advance(Duration::from_secs(1)).await;
        waited += Duration::from_secs(1);
    };
    assert_eq!(r.status(), 504);
    assert!(
        waited >= Duration::from_secs(1),
        "answered before the idle timeout"
    );
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
    // The proxy's timeouts go by tokio's clock, held still here: nothing
    // times out until the test moves the clock, however slow the machine.
    let clock = Frozen::new();
    // Twice the cap of connections that never say a word.
    let mut silent: Vec<TcpStream> = (0..8).map(|_| connect(&p)).collect();
    // A real client still gets through with no time gone by at all, so not
    // because a silent one timed out: a silent one made room.
    let got = within(GUARD, "a client behind silent connections", models(&p)).await;
    assert_eq!(got, Ok(200));
    // Slowloris: headers a byte every 100 ms of the proxy's clock, never
    // finished. Headers must be in within 1 s, so the proxy cuts it off
    // well before the 36 bytes are out (3.6 s, as before within 4 s).
    let mut slow = connect(&p);
    let mut cut = false;
    for b in b"GET /v1/models HTTP/1.1\r\nHost: x\r\n" {
        cut = cut || slow.write_all(&[*b]).is_err();
        settle(Duration::from_millis(10)).await;
        clock.advance(Duration::from_millis(100)).await;
    }
    // The clock is past every silent connection's first-byte timeout too
    // (2 s), and moves no more: whatever is still open stays open.
    let closed = tokio::task::spawn_blocking(move || {
        silent
            .iter_mut()
            .all(|s| closed_within(s, Duration::from_secs(10)))
    })
    .await
    .unwrap();
    assert!(
        closed,
        "a silent connection outlived its first-byte timeout"
    );
    let closed = cut
        || tokio::task::spawn_blocking(move || closed_within(&mut slow, Duration::from_secs(10)))
            .await
            .unwrap();
    assert!(closed, "slowloris headers were not cut off");
    assert!(up.seen().is_empty());
}

#[tokio::test]
async fn a_request_without_the_token_closes_its_connection() {
    let up = Mock::start().await;
    let p = mk_proxy(&up, OPENAI).await;
    let mut s = connect(&p);
    // Held still, the proxy's own timeouts (headers, keep-alive) never
    // close the connection: if it closes, the 401 closed it.
    let _clock = Frozen::new();
    // Blocking reads run off the runtime the proxy shares.
    let text = tokio::task::spawn_blocking(move || {
        s.write_all(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nx-api-key: wrong\r\n\r\n")
            .unwrap();
        let mut text = String::new();
        s.set_read_timeout(Some(GUARD)).unwrap();
        s.read_to_string(&mut text)
            .unwrap_or_else(|e| panic!("the connection stayed open ({e}): {text}"));
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

/// Connections waiting in the accept queue of the listener on 127.0.0.1
/// `port`: a listening socket's `rx_queue` in /proc/net/tcp.
#[cfg(target_os = "linux")]
fn accept_queue(port: u16) -> Option<u32> {
    let table = std::fs::read_to_string("/proc/net/tcp").ok()?;
    table.lines().skip(1).find_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        let local = u16::from_str_radix(f.get(1)?.rsplit(':').next()?, 16).ok()?;
        let listening = *f.get(3)? == "0A";
        let queued = u32::from_str_radix(f.get(4)?.split(':').nth(1)?, 16).ok()?;
        (listening && local == port).then_some(queued)
    })
}

/// The reproduction from the review: 100 idle connections to `ccswitch
/// serve` under `ulimit -n 64`. Before, the accept loop spun a core on
/// EMFILE and an authenticated request timed out.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn idle_connections_under_a_low_descriptor_limit_neither_spin_nor_starve() {
    use crate::support::{BIN, Home};
    use std::io::BufRead;
    use std::time::Instant;
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
    // Read the export lines up to the token, then keep reading in the
    // background: a closed pipe ends `serve` on its next line, whatever
    // lines a later version prints after these.
    let lines = tokio::task::spawn_blocking(move || {
        let mut r = std::io::BufReader::new(stdout);
        let mut lines = Vec::new();
        let mut line = String::new();
        while r.read_line(&mut line).unwrap_or(0) > 0 {
            lines.push(std::mem::take(&mut line));
            let has = |k: &str| lines.iter().any(|l| l.contains(k));
            if has("ANTHROPIC_BASE_URL=") && has("ANTHROPIC_AUTH_TOKEN=") {
                break;
            }
        }
        std::thread::spawn(move || std::io::copy(&mut r, &mut std::io::sink()));
        lines
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
    // Measure once serve has taken every idle connection off its accept
    // queue, not after a fixed sleep; an accept loop stuck on EMFILE never
    // empties it, and fails here.
    let drained = Instant::now() + Duration::from_secs(30);
    loop {
        let queued = accept_queue(addr.port());
        if queued == Some(0) {
            break;
        }
        if Instant::now() > drained {
            let _ = child.kill();
            let _ = child.wait();
            panic!("serve left {queued:?} connections unaccepted for 30 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu0 = cpu_secs(child.id());
    let t0 = Instant::now();
    // Starved, a request would wait for a silent connection's first-byte
    // timeout (10 s) to free a slot, or forever: well under that, the
    // bound leaves a loaded machine seconds to spare.
    let r = tokio::time::timeout(
        Duration::from_secs(8),
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
    let status = r.expect("answered within 8 s").unwrap().status();
    assert_eq!(status, 200);
    assert!(
        cpu < 0.5,
        "the proxy used {cpu:.2} s of CPU in 2 s while idle"
    );
}
