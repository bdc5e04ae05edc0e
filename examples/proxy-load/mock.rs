//! The fast local upstream both sides of every measurement talk to: OpenAI
//! Chat Completions under `/v1`, Anthropic Messages under `/anthropic`,
//! Bedrock's `InvokeModel` under `/model` (its stream as event-stream
//! frames; signatures are not checked).
//! Streams are written one event per frame, with a yield between, so each
//! event leaves in its own write as a real provider's tokens do (a stream
//! sent as one buffer would let the proxy handle fifty chunks in one read).

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};

pub const CHUNKS: usize = 50;

/// `--upstream-ms D`: how long the mock thinks before it answers, as a
/// real provider does (hundreds of ms to a first token). With it, 16
/// requests in flight are 16 waiting on the upstream, not 16 competing
/// for this machine's two cores: the proxy's added latency at that
/// concurrency without the load generator's own CPU in it.
pub static DELAY_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Wait `d`, to tens of microseconds. tokio's timer counts whole
/// milliseconds, so its sleeps end on the next tick: up to 1 ms late, and
/// by how much depends on when the request arrived, which is what a
/// proxy's added latency moves, so sub-millisecond differences between
/// direct and proxied requests were lost in the rounding. One thread
/// keeps the deadlines and wakes each waiter on time.
async fn precise_sleep(d: std::time::Duration) {
    use std::sync::{Mutex, OnceLock, mpsc};
    use std::time::Instant;
    type Entry = (Instant, tokio::sync::oneshot::Sender<()>);
    static TIMER: OnceLock<Mutex<mpsc::Sender<Entry>>> = OnceLock::new();
    let timer = TIMER.get_or_init(|| {
        let (tx, rx) = mpsc::channel::<Entry>();
        std::thread::spawn(move || {
            let mut due: Vec<Entry> = Vec::new();
            loop {
                let now = Instant::now();
                let mut i = 0;
                while i < due.len() {
                    if due[i].0 <= now {
                        let _ = due.swap_remove(i).1.send(());
                    } else {
                        i += 1;
                    }
                }
                let next = due.iter().map(|e| e.0).min();
                let got = match next {
                    Some(at) => rx.recv_timeout(at.saturating_duration_since(now)),
                    None => rx.recv().map_err(|_| mpsc::RecvTimeoutError::Disconnected),
                };
                match got {
                    Ok(e) => due.push(e),
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
        });
        Mutex::new(tx)
    });
    let (tx, rx) = tokio::sync::oneshot::channel();
    timer
        .lock()
        .unwrap()
        .send((Instant::now() + d, tx))
        .unwrap();
    let _ = rx.await;
}

type MockBody = http_body_util::combinators::BoxBody<Bytes, Infallible>;

fn openai_json() -> Bytes {
    Bytes::from(
        serde_json::json!({"id": "c", "model": "m", "choices": [{"index": 0, "finish_reason": "stop",
            "message": {"content": "Hello! How can I help you today?"}}],
            "usage": {"prompt_tokens": 40, "completion_tokens": 9}})
        .to_string(),
    )
}

fn openai_events() -> Vec<Bytes> {
    let mut out = Vec::new();
    for i in 0..CHUNKS {
        let c = serde_json::json!({"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "m",
            "choices": [{"index": 0, "delta": {"content": format!("tok{i} ")}, "finish_reason": null}]});
        out.push(Bytes::from(format!("data: {c}\n\n")));
    }
    out.push(Bytes::from_static(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":40,\"completion_tokens\":50}}\n\n",
    ));
    out.push(Bytes::from_static(b"data: [DONE]\n\n"));
    out
}

fn anthropic_json() -> Bytes {
    Bytes::from(
        serde_json::json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "m",
            "content": [{"type": "text", "text": "Hello! How can I help you today?"}],
            "stop_reason": "end_turn", "stop_sequence": null, "usage": {"input_tokens": 40, "output_tokens": 9}})
        .to_string(),
    )
}

fn anthropic_events() -> Vec<Bytes> {
    let mut out = vec![
        Bytes::from_static(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":40,\"output_tokens\":1}}}\n\n"),
        Bytes::from_static(b"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"),
    ];
    for i in 0..CHUNKS {
        out.push(Bytes::from(format!("event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"tok{i} \"}}}}\n\n")));
    }
    out.push(Bytes::from_static(b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":50}}\n\n"));
    out.push(Bytes::from_static(
        b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    ));
    out
}

/// The Anthropic events as Bedrock sends them: each in a `chunk` frame,
/// base64 in `{"bytes": …}`, with CRCs.
fn bedrock_frames() -> Vec<Bytes> {
    use aws_smithy_types::event_stream::{Header, HeaderValue, Message};
    anthropic_events()
        .iter()
        .flat_map(|sse| {
            let text = String::from_utf8_lossy(sse).into_owned();
            text.split("\n\n")
                .filter_map(|e| {
                    e.lines()
                        .find_map(|l| l.strip_prefix("data: "))
                        .map(str::to_string)
                })
                .collect::<Vec<_>>()
        })
        .map(|json| {
            let payload = serde_json::json!({"bytes": aws_smithy_types::base64::encode(json)});
            let mut m = Message::new(payload.to_string().into_bytes());
            for (k, v) in [
                (":message-type", "event"),
                (":event-type", "chunk"),
                (":content-type", "application/json"),
            ] {
                m = m.add_header(Header::new(k, HeaderValue::String(v.into())));
            }
            let mut out = Vec::new();
            aws_smithy_eventstream::frame::write_message_to(&m, &mut out).unwrap();
            Bytes::from(out)
        })
        .collect()
}

/// Events as frames, one write each.
fn event_stream(events: Vec<Bytes>) -> MockBody {
    let frames = futures_util::stream::unfold(events.into_iter(), |mut it| async move {
        let next = it.next()?;
        // Let the connection flush this frame before the next one exists.
        tokio::task::yield_now().await;
        Some((Ok::<_, Infallible>(Frame::data(next)), it))
    });
    StreamBody::new(frames).boxed()
}

async fn handle(
    req: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<MockBody>, Infallible> {
    let path = req.uri().path().to_string();
    let body = req
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    if path.starts_with("/model/") {
        let (body, ct) = if path.ends_with("/invoke-with-response-stream") {
            (
                event_stream(bedrock_frames()),
                "application/vnd.amazon.eventstream",
            )
        } else {
            (
                http_body_util::Full::new(anthropic_json()).boxed(),
                "application/json",
            )
        };
        let mut r = http::Response::new(body);
        r.headers_mut()
            .insert("content-type", ct.parse().expect("static header"));
        return Ok(r);
    }
    let stream = body.windows(13).any(|w| w == b"\"stream\":true");
    let delay = DELAY_MS.load(std::sync::atomic::Ordering::Relaxed);
    if delay > 0 {
        precise_sleep(std::time::Duration::from_millis(delay)).await;
    }
    let openai = path.ends_with("/chat/completions");
    let (body, ct) = match (openai, stream) {
        (true, false) => (
            http_body_util::Full::new(openai_json()).boxed(),
            "application/json",
        ),
        (true, true) => (event_stream(openai_events()), "text/event-stream"),
        (false, false) => (
            http_body_util::Full::new(anthropic_json()).boxed(),
            "application/json",
        ),
        (false, true) => (event_stream(anthropic_events()), "text/event-stream"),
    };
    let mut r = http::Response::new(body);
    r.headers_mut()
        .insert("content-type", ct.parse().expect("static header"));
    Ok(r)
}

/// Start the mock on its own runtime; returns its address.
pub fn start(rt: &tokio::runtime::Runtime) -> std::net::SocketAddr {
    rt.block_on(async {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = l.local_addr().expect("local addr");
        tokio::spawn(async move {
            loop {
                let Ok((s, _)) = l.accept().await else {
                    continue;
                };
                let _ = s.set_nodelay(true);
                tokio::spawn(async move {
                    let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                        .serve_connection(TokioIo::new(s), hyper::service::service_fn(handle))
                        .await;
                });
            }
        });
        addr
    })
}
