use super::*;

#[test]
fn searxng_results_become_hits() {
    let body = br#"{"query":"tokio","results":[
        {"url":"https://tokio.rs/","title":"Tokio","content":"An async runtime","publishedDate":"2026-11-01T00:00:00"},
        {"url":"https://tokio.rs/","title":"Tokio again","content":"dup"},
        {"url":"javascript:alert(1)","title":"bad"},
        {"url":"https://docs.rs/tokio","title":"","content":"a < b"}
    ]}"#;
    let hits = parse(SearchKind::Searxng, body, 5).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].title, "Tokio");
    assert_eq!(hits[0].page_age.as_deref(), Some("2026-11-01T00:00:00"));
    // An empty title falls back to the address; plain text keeps its `<`.
    assert_eq!(hits[1].title, "https://docs.rs/tokio");
    assert_eq!(hits[1].snippet, "a < b");
}

#[test]
fn brave_results_lose_their_markup_and_keep_their_age() {
    let body = br#"{"type":"search","web":{"results":[
        {"url":"https://a.example/","title":"<strong>Tokio</strong> 1.50","description":"The <strong>tokio</strong> runtime","age":"2 days ago"},
        {"url":"https://b.example/","title":"B","description":"b","page_age":"2026-11-20T00:00:00","age":"1 week ago"}
    ]}}"#;
    let hits = parse(SearchKind::Brave, body, 5).unwrap();
    assert_eq!(hits[0].title, "Tokio 1.50");
    assert_eq!(hits[0].snippet, "The tokio runtime");
    assert_eq!(hits[0].page_age.as_deref(), Some("2 days ago"));
    assert_eq!(hits[1].page_age.as_deref(), Some("2026-11-20T00:00:00"));
    // No `web` section (a query with only news results): no hits, no error.
    assert!(
        parse(SearchKind::Brave, br#"{"type":"search"}"#, 5)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn tavily_results_are_capped() {
    let body = br#"{"query":"q","results":[
        {"url":"https://1.example/","title":"1","content":"one","score":0.9},
        {"url":"https://2.example/","title":"2","content":"two","published_date":"Mon, 23 Nov 2026"},
        {"url":"https://3.example/","title":"3","content":"three"}
    ]}"#;
    let hits = parse(SearchKind::Tavily, body, 2).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].page_age.as_deref(), Some("Mon, 23 Nov 2026"));
}

#[test]
fn a_reply_that_is_not_json_names_the_backend() {
    let e = parse(SearchKind::Searxng, b"<html>403 Forbidden</html>", 5).unwrap_err();
    assert!(matches!(e, SearchError::BadReply("searxng", _)), "{e:?}");
    assert_eq!(e.code(), "unavailable");
    assert_eq!(SearchError::RateLimited.code(), "too_many_requests");
}

/// A one-shot HTTP server on loopback: answers each connection with what
/// `reply` returns for the request's head, and hands the heads back.
mod server {
    use std::sync::{Arc, Mutex};

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    pub struct Server {
        pub url: String,
        pub heads: Arc<Mutex<Vec<String>>>,
    }

    /// What to send: the head (status line and headers), then the body in
    /// chunks of `chunk` bytes, `chunks` times.
    pub struct Answer {
        pub head: String,
        pub chunk: Vec<u8>,
        pub chunks: usize,
    }

    pub async fn start(reply: impl Fn(&str) -> Answer + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let heads = Arc::new(Mutex::new(Vec::new()));
        let seen = heads.clone();
        let reply = Arc::new(reply);
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let seen = seen.clone();
                let reply = reply.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut b = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut b).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&b[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).into_owned();
                    seen.lock().unwrap().push(head.clone());
                    let a = reply(&head);
                    if sock.write_all(a.head.as_bytes()).await.is_err() {
                        return;
                    }
                    for _ in 0..a.chunks {
                        if sock.write_all(&a.chunk).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Server { url, heads }
    }

    /// A whole reply with its length announced.
    pub fn whole(status: &str, extra: &str, body: &[u8]) -> Answer {
        Answer {
            head: format!(
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\n{extra}connection: close\r\n\r\n",
                body.len()
            ),
            chunk: body.to_vec(),
            chunks: 1,
        }
    }
}

fn backend(kind: SearchKind, url: &str) -> Backend {
    Backend::new(
        Search {
            kind,
            url: url.to_string(),
            key: crate::config::KeySpec::default(),
            max_results: 5,
        },
        Some(SecretString::from("bk-subscription-secret".to_string())),
    )
    .unwrap()
}

#[tokio::test]
async fn a_reply_past_the_cap_is_refused_whether_announced_or_not() {
    // Valid JSON, padded past the cap: read whole, it would parse.
    let mut padded = br#"{"results":[{"url":"https://a.example/","title":"A"}]"#.to_vec();
    padded.resize(MAX_REPLY + 1024, b' ');
    padded.push(b'}');
    let body = padded.clone();
    let announced = server::start(move |_| server::whole("200 OK", "", &body)).await;
    let e = backend(SearchKind::Searxng, &announced.url)
        .search("q")
        .await
        .unwrap_err();
    assert_eq!(e, SearchError::TooLarge(MAX_REPLY / (1024 * 1024)));
    // No length announced (close-delimited), 1 MiB at a time, far more than
    // the cap: the read stops at the cap instead of holding it all.
    let endless = server::start(|_| server::Answer {
        head: "HTTP/1.1 200 OK\r\nconnection: close\r\n\r\n{\"results\":[".into(),
        chunk: vec![b' '; 1024 * 1024],
        chunks: 4096,
    })
    .await;
    let e = backend(SearchKind::Searxng, &endless.url)
        .search("q")
        .await
        .unwrap_err();
    assert_eq!(e, SearchError::TooLarge(MAX_REPLY / (1024 * 1024)));
    // A reply under the cap still reads.
    let small = server::start(|_| {
        server::whole(
            "200 OK",
            "",
            br#"{"results":[{"url":"https://a.example/","title":"A"}]}"#,
        )
    })
    .await;
    let hits = backend(SearchKind::Searxng, &small.url)
        .search("q")
        .await
        .unwrap();
    assert_eq!(hits.len(), 1);
}

#[tokio::test]
async fn a_redirect_is_not_followed_and_the_key_and_query_go_nowhere_else() {
    let elsewhere =
        server::start(|_| server::whole("200 OK", "", br#"{"web":{"results":[]}}"#)).await;
    let to = format!("{}/collect", elsewhere.url);
    let brave =
        server::start(move |_| server::whole("302 Found", &format!("location: {to}\r\n"), b""))
            .await;
    let e = backend(
        SearchKind::Brave,
        &format!("{}/res/v1/web/search", brave.url),
    )
    .search("my private question")
    .await
    .unwrap_err();
    let want = format!(
        "it redirects to {}/collect, which is not followed",
        elsewhere.url
    );
    assert!(
        matches!(&e, SearchError::Status { status: 302, message } if message.starts_with(&want)),
        "{e:?}"
    );
    assert!(
        elsewhere.heads.lock().unwrap().is_empty(),
        "followed the redirect: {:?}",
        elsewhere.heads.lock().unwrap()
    );
    assert_eq!(brave.heads.lock().unwrap().len(), 1);
}
