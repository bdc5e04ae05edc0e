//! A minimal SOCKS5 server on 127.0.0.1 for upstream-proxy tests: RFC 1928
//! greeting, RFC 1929 username/password when configured, CONNECT to an IPv4,
//! IPv6 or domain-name target, then bytes both ways. It records the
//! credentials and targets it saw, and refuses wrong credentials (status 1).
#![allow(dead_code)]

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The destination of a CONNECT, by the address type the client used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// ATYP 1.
    Ipv4(Ipv4Addr, u16),
    /// ATYP 3: the client left name resolution to the proxy.
    Domain(String, u16),
    /// ATYP 4.
    Ipv6(Ipv6Addr, u16),
}

impl Target {
    pub fn port(&self) -> u16 {
        match self {
            Target::Ipv4(_, p) | Target::Domain(_, p) | Target::Ipv6(_, p) => *p,
        }
    }
}

#[derive(Default)]
struct Seen {
    /// The methods offered in each greeting.
    methods: Vec<Vec<u8>>,
    /// Every username/password sub-negotiation, accepted or not.
    auths: Vec<(String, String)>,
    /// Every CONNECT request.
    connects: Vec<Target>,
}

#[derive(Clone)]
pub struct Socks {
    pub addr: SocketAddr,
    seen: Arc<Mutex<Seen>>,
}

impl Socks {
    /// Start on a free port, on the current tokio runtime. With `creds`,
    /// clients must authenticate with exactly that username and password;
    /// without, only "no authentication" is accepted.
    pub async fn start(creds: Option<(&str, &str)>) -> Socks {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let creds = creds.map(|(u, p)| (u.to_string(), p.to_string()));
        let s = seen.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                let seen = s.clone();
                let creds = creds.clone();
                tokio::spawn(async move {
                    // A client that stalls mid-handshake must not keep a
                    // task forever.
                    let shake = handshake(stream, creds.as_ref(), &seen);
                    if let Ok(Ok((mut client, mut target))) =
                        tokio::time::timeout(Duration::from_secs(5), shake).await
                    {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut target).await;
                    }
                });
            }
        });
        Socks { addr, seen }
    }

    /// `socks5://USER:PASS@127.0.0.1:PORT` (or another scheme).
    pub fn url(&self, scheme: &str, creds: Option<(&str, &str)>) -> String {
        match creds {
            Some((u, p)) => format!("{scheme}://{u}:{p}@{}", self.addr),
            None => format!("{scheme}://{}", self.addr),
        }
    }

    pub fn methods(&self) -> Vec<Vec<u8>> {
        self.seen.lock().unwrap().methods.clone()
    }

    pub fn auths(&self) -> Vec<(String, String)> {
        self.seen.lock().unwrap().auths.clone()
    }

    pub fn connects(&self) -> Vec<Target> {
        self.seen.lock().unwrap().connects.clone()
    }
}

const VER: u8 = 5;
const NO_AUTH: u8 = 0;
const USER_PASS: u8 = 2;
const NO_ACCEPTABLE: u8 = 0xff;

/// Everything up to a successful CONNECT reply; the two streams to join.
async fn handshake(
    mut c: TcpStream,
    creds: Option<&(String, String)>,
    seen: &Mutex<Seen>,
) -> std::io::Result<(TcpStream, TcpStream)> {
    // Greeting: VER NMETHODS METHODS...
    let mut head = [0u8; 2];
    c.read_exact(&mut head).await?;
    if head[0] != VER {
        return Err(bad("not SOCKS5"));
    }
    let mut methods = vec![0u8; head[1] as usize];
    c.read_exact(&mut methods).await?;
    seen.lock().unwrap().methods.push(methods.clone());
    let want = if creds.is_some() { USER_PASS } else { NO_AUTH };
    if !methods.contains(&want) {
        c.write_all(&[VER, NO_ACCEPTABLE]).await?;
        return Err(bad("no acceptable method"));
    }
    c.write_all(&[VER, want]).await?;

    if let Some((user, pass)) = creds {
        // RFC 1929: VER(1) ULEN UNAME PLEN PASSWD.
        let mut v = [0u8; 2];
        c.read_exact(&mut v).await?;
        if v[0] != 1 {
            return Err(bad("bad auth version"));
        }
        let mut u = vec![0u8; v[1] as usize];
        c.read_exact(&mut u).await?;
        let mut plen = [0u8; 1];
        c.read_exact(&mut plen).await?;
        let mut p = vec![0u8; plen[0] as usize];
        c.read_exact(&mut p).await?;
        let (u, p) = (
            String::from_utf8_lossy(&u).into_owned(),
            String::from_utf8_lossy(&p).into_owned(),
        );
        let ok = u == *user && p == *pass;
        seen.lock().unwrap().auths.push((u, p));
        if !ok {
            c.write_all(&[1, 1]).await?;
            return Err(bad("wrong credentials"));
        }
        c.write_all(&[1, 0]).await?;
    }

    // Request: VER CMD RSV ATYP DST.ADDR DST.PORT
    let mut req = [0u8; 4];
    c.read_exact(&mut req).await?;
    if req[0] != VER {
        return Err(bad("not SOCKS5"));
    }
    let target = match req[3] {
        1 => {
            let mut a = [0u8; 4];
            c.read_exact(&mut a).await?;
            Target::Ipv4(Ipv4Addr::from(a), c.read_u16().await?)
        }
        3 => {
            let len = c.read_u8().await?;
            let mut name = vec![0u8; len as usize];
            c.read_exact(&mut name).await?;
            Target::Domain(
                String::from_utf8_lossy(&name).into_owned(),
                c.read_u16().await?,
            )
        }
        4 => {
            let mut a = [0u8; 16];
            c.read_exact(&mut a).await?;
            Target::Ipv6(Ipv6Addr::from(a), c.read_u16().await?)
        }
        _ => {
            reply(&mut c, 8, None).await?;
            return Err(bad("address type not supported"));
        }
    };
    seen.lock().unwrap().connects.push(target.clone());
    if req[1] != 1 {
        reply(&mut c, 7, None).await?;
        return Err(bad("only CONNECT"));
    }
    let out = match &target {
        Target::Ipv4(ip, port) => TcpStream::connect((*ip, *port)).await,
        Target::Ipv6(ip, port) => TcpStream::connect((*ip, *port)).await,
        Target::Domain(name, port) => TcpStream::connect((name.as_str(), *port)).await,
    };
    match out {
        Ok(out) => {
            reply(&mut c, 0, out.local_addr().ok()).await?;
            Ok((c, out))
        }
        Err(e) => {
            // 5: connection refused.
            reply(&mut c, 5, None).await?;
            Err(e)
        }
    }
}

/// VER REP RSV ATYP BND.ADDR BND.PORT
async fn reply(c: &mut TcpStream, rep: u8, bound: Option<SocketAddr>) -> std::io::Result<()> {
    let mut r = vec![VER, rep, 0];
    match bound {
        Some(SocketAddr::V6(a)) => {
            r.push(4);
            r.extend_from_slice(&a.ip().octets());
            r.extend_from_slice(&a.port().to_be_bytes());
        }
        Some(SocketAddr::V4(a)) => {
            r.push(1);
            r.extend_from_slice(&a.ip().octets());
            r.extend_from_slice(&a.port().to_be_bytes());
        }
        None => r.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0]),
    }
    c.write_all(&r).await
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_string())
}
