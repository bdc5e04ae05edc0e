//! The floor under any local proxy: a forwarder that does nothing but pass
//! each request's bytes to the mock and the reply's bytes back (hyper server
//! and client on one thread, as ccswitch runs), in a process of its own.
//! What it adds over calling the mock directly is the cost of the extra
//! loopback hop itself, which no amount of work in the proxy can remove.

use std::convert::Infallible;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};

/// Serve on an ephemeral loopback port, forwarding everything to `upstream`
/// under `path`; prints `http://ADDR` on stdout, then runs until killed.
pub fn run(upstream: &str, path: &str) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("http://{}", listener.local_addr().unwrap());
        let mut c = HttpConnector::new();
        c.set_nodelay(true);
        let client: Client<HttpConnector, Full<Bytes>> =
            Client::builder(TokioExecutor::new()).build(c);
        let url: hyper::Uri = format!("http://{upstream}{path}").parse().unwrap();
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let _ = stream.set_nodelay(true);
            let (client, url) = (client.clone(), url.clone());
            let svc =
                hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let (client, url) = (client.clone(), url.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let mut up = hyper::Request::new(Full::new(body));
                        *up.method_mut() = parts.method;
                        *up.uri_mut() = url;
                        if let Some(ct) = parts.headers.get("content-type") {
                            up.headers_mut().insert("content-type", ct.clone());
                        }
                        let resp = client.request(up).await.unwrap();
                        let (parts, body) = resp.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        Ok::<_, Infallible>(hyper::Response::from_parts(parts, Full::new(body)))
                    }
                });
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
}
