//! A local upstream that misbehaves on purpose: for each request it draws
//! (from a seeded generator) a normal answer or one of the faults real
//! providers and networks produce.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use hyper_util::rt::{TokioExecutor, TokioIo};

type Body = http_body_util::combinators::UnsyncBoxBody<Bytes, std::io::Error>;

/// What the upstream does with one request, and how often (per mille).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    Stream,
    Json,
    TooMany,
    ServerError,
    ResetMidStream,
    StallAfterHeaders,
    SlowFirstByte,
    HugeErrorBody,
    HugeReply,
    Garbage,
}

const WEIGHTS: &[(Fault, u64)] = &[
    (Fault::Stream, 400),
    (Fault::Json, 150),
    (Fault::TooMany, 80),
    (Fault::ServerError, 80),
    (Fault::ResetMidStream, 60),
    (Fault::StallAfterHeaders, 40),
    (Fault::SlowFirstByte, 30),
    (Fault::HugeErrorBody, 40),
    (Fault::HugeReply, 30),
    (Fault::Garbage, 90),
];

/// xorshift64*: deterministic for a seed, no dependency.
pub struct Rng(AtomicU64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(AtomicU64::new(seed.max(1)))
    }

    pub fn next(&self) -> u64 {
        let mut x = self.0.load(Ordering::Relaxed);
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0.store(x, Ordering::Relaxed);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub fn below(&self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn draw(rng: &Rng) -> Fault {
    let mut r = rng.below(1000);
    for (f, w) in WEIGHTS {
        if r < *w {
            return *f;
        }
        r -= w;
    }
    Fault::Stream
}

fn openai_events(n: usize) -> Vec<Bytes> {
    let mut v: Vec<Bytes> = (0..n)
        .map(|i| {
            Bytes::from(format!(
                "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"word{i} \"}}}}]}}\n\n"
            ))
        })
        .collect();
    v.push(Bytes::from_static(b"data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":20}}\n\ndata: [DONE]\n\n"));
    v
}

fn anthropic_events(n: usize) -> Vec<Bytes> {
    let mut v = vec![Bytes::from_static(
        b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":10,\"output_tokens\":1}}}\n\nevent: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
    )];
    v.extend((0..n).map(|i| {
        Bytes::from(format!(
            "event: content_block_delta\ndata: {{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{{\"type\":\"text_delta\",\"text\":\"word{i} \"}}}}\n\n"
        ))
    }));
    v.push(Bytes::from_static(b"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\nevent: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":20}}\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"));
    v
}

const OPENAI_JSON: &str = r#"{"id":"c","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":2}}"#;
const ANTHROPIC_JSON: &str = r#"{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"hello"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":2}}"#;

/// A body sent from a task: `chunks` one by one (with `gap` between), then
/// `end`: finish, fail (a reset), or hang until the reader leaves.
fn streamed(chunks: Vec<Bytes>, gap: Duration, end: End) -> Body {
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Frame<Bytes>, std::io::Error>>(2);
    tokio::spawn(async move {
        for c in chunks {
            if !gap.is_zero() {
                tokio::time::sleep(gap).await;
            }
            if tx.send(Ok(Frame::data(c))).await.is_err() {
                return;
            }
        }
        match end {
            End::Close => {}
            End::Reset => {
                let _ = tx.send(Err(std::io::Error::other("reset"))).await;
            }
            End::Hang => tx.closed().await,
        }
    });
    let s =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|x| (x, rx)) });
    StreamBody::new(s).boxed_unsync()
}

#[derive(Clone, Copy)]
enum End {
    Close,
    Reset,
    Hang,
}

fn response(status: u16, content_type: &str, body: Body) -> http::Response<Body> {
    let mut r = http::Response::new(body);
    *r.status_mut() = http::StatusCode::from_u16(status).unwrap();
    r.headers_mut()
        .insert("content-type", content_type.parse().unwrap());
    r
}

fn full(s: impl Into<Bytes>) -> Body {
    http_body_util::Full::new(s.into())
        .map_err(|e: Infallible| match e {})
        .boxed_unsync()
}

async fn handle(
    rng: Arc<Rng>,
    slow: Duration,
    req: http::Request<hyper::body::Incoming>,
) -> Result<http::Response<Body>, Infallible> {
    let anthropic = req.uri().path().starts_with("/anthropic");
    let body = req
        .into_body()
        .collect()
        .await
        .map(http_body_util::Collected::to_bytes)
        .unwrap_or_default();
    let stream = body.windows(13).any(|w| w == b"\"stream\":true");
    let events = |n| {
        if anthropic {
            anthropic_events(n)
        } else {
            openai_events(n)
        }
    };
    let gap = Duration::from_millis(rng.below(4));
    let fault = draw(&rng);
    let sse = "text/event-stream";
    let json = "application/json";
    Ok(match fault {
        Fault::Stream | Fault::Json if stream => {
            response(200, sse, streamed(events(20), gap, End::Close))
        }
        Fault::Stream | Fault::Json => response(
            200,
            json,
            full(if anthropic {
                ANTHROPIC_JSON
            } else {
                OPENAI_JSON
            }),
        ),
        Fault::TooMany => {
            let mut r = response(429, json, full(r#"{"error":{"message":"slow down"}}"#));
            r.headers_mut().insert("retry-after", "1".parse().unwrap());
            r
        }
        Fault::ServerError => {
            let status = [500, 502, 503, 529][rng.below(4) as usize];
            response(
                status,
                json,
                full(r#"{"error":{"message":"upstream trouble"}}"#),
            )
        }
        Fault::ResetMidStream if stream => response(200, sse, streamed(events(8), gap, End::Reset)),
        Fault::ResetMidStream => response(
            200,
            json,
            streamed(vec![Bytes::from_static(b"{\"id\":")], gap, End::Reset),
        ),
        Fault::StallAfterHeaders => response(
            200,
            if stream { sse } else { json },
            streamed(Vec::new(), gap, End::Hang),
        ),
        Fault::SlowFirstByte => {
            tokio::time::sleep(slow).await;
            response(200, json, full(OPENAI_JSON))
        }
        Fault::HugeErrorBody => {
            // 100 MB in 1 MB pieces, or until the proxy stops reading.
            let chunk = Bytes::from(vec![b'x'; 1 << 20]);
            response(
                400,
                json,
                streamed(vec![chunk; 100], Duration::ZERO, End::Close),
            )
        }
        Fault::HugeReply => {
            let chunk = Bytes::from(vec![b' '; 1 << 20]);
            response(
                200,
                json,
                streamed(vec![chunk; 48], Duration::ZERO, End::Close),
            )
        }
        Fault::Garbage => {
            let n = 1 + rng.below(64 * 1024) as usize;
            let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            response(200, if stream { sse } else { json }, full(bytes))
        }
    })
}

/// Start on a free port on `rt`; `slow` is how late a slow first byte is.
pub fn start(rt: &tokio::runtime::Runtime, seed: u64, slow: Duration) -> std::net::SocketAddr {
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let rng = Arc::new(Rng::new(seed));
    rt.spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let rng = rng.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| handle(rng.clone(), slow, req));
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}
