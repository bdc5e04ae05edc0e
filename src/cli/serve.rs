//! `ccswitch serve PROFILE`: the proxy in the foreground for other
//! Anthropic clients (IDE extensions, SDK scripts).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::config;
use crate::launch::env::serve_vars;
use crate::launch::proxied::{Options, Proxied, Recording};
use crate::launch::shell::export;
use crate::proxy;
use crate::{t, tn};

use super::args::ServeArgs;
use super::error::CliError;
use crate::ctx::{Ctx, hms};

pub fn run(args: ServeArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    let workers = workers(&args)?;
    let (cfg, _) = config::load(&ctx.paths)?;
    let Some(name) = args.profile.as_deref().or(cfg.default.as_deref()) else {
        return Err(CliError::Usage(t!(
            "serve.no_profile",
            names = cfg.profile_names()
        )));
    };
    let tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(
            proxy::tls::acceptor(proxy::tls::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            })
            .map_err(|e| CliError::Usage(e.to_string()))?,
        ),
        _ => None,
    };
    // Plain HTTP beyond loopback only when the user says a TLS-terminating
    // proxy stands in front (`--allow-remote`).
    if !args.host.is_loopback() && tls.is_none() && !args.allow_remote {
        return Err(CliError::Usage(t!(
            "serve.remote_refused",
            host = args.host
        )));
    }
    let token = chosen_token(&args, ctx)?;
    let profile = cfg
        .profile(name)
        .map_err(|e| CliError::Failed(e.to_string()))?;
    if !args.host.is_loopback() && tls.is_none() {
        // There is no TLS here: say what that means before serving.
        eprintln!("{}", t!("serve.remote_cleartext", host = args.host));
    }
    // Written by a thread of its own: a stderr nobody reads must cost log
    // lines, not the proxy (a blocked write on the runtime's thread froze
    // every request). One write per line: eprintln! would issue a write for
    // every piece of the format string.
    let now = ctx.now;
    let (writer, log) = proxy::LogWriter::start(
        Box::new(std::io::stderr()),
        Arc::new(move |line: &str| format!("{} {line}\n", hms(now()))),
    );
    let rt = proxy::runtime_with(workers).map_err(|e| CliError::Failed(e.to_string()))?;
    if workers > 1 {
        eprintln!("{}", t!("serve.workers", n = workers));
    }
    let served = rt.block_on(async {
        let gateway = match &args.gateway {
            Some(store) => Some(open_gateway(ctx, store.as_deref()).await?),
            None => None,
        };
        let https = tls.is_some();
        let options = Options {
            tls,
            gateway,
            admit_first: args.admit_first,
            addr: SocketAddr::new(args.host, args.port),
            token: token.clone(),
            log: log.clone(),
            log_notes: true,
            record: Some(Recording {
                warn: log.clone(),
                ignore_budget: args.ignore_budget,
            }),
        };
        let proxied = Proxied::start(ctx, &cfg, profile, options)
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?;
        let base = base_url(proxied.addr(), https);
        let vars = serve_vars(&cfg, profile, &base, token.expose_secret());
        let lines = vars.iter().map(|(k, v)| export(args.shell, k, v));
        // A reader that took the lines it wanted and left (`| head -2`)
        // must not end the server: it keeps serving, and says so on stderr.
        match print_lines(out, lines) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        }
        log(&t!("serve.listening", addr = base, profile = profile.name));
        wait_for_signal().await;
        let total = proxied.close().await.total;
        log(&t!(
            "serve.stopped",
            requests = tn!("count.requests", n = total.requests),
            errors = tn!("count.errors", n = total.errors),
            input = total.input_tokens,
            output = total.output_tokens
        ));
        Ok(())
    });
    writer.close();
    served
}

/// How many threads serve: `--workers`, else one per CPU for a team
/// gateway (many members at once) and one for a single user (the lowest
/// latency and memory, see [`proxy::runtime`]).
fn workers(args: &ServeArgs) -> Result<usize, CliError> {
    match args.workers {
        Some(0) => Err(CliError::Usage(t!("serve.workers_zero"))),
        Some(n) => Ok(n),
        None if args.gateway.is_some() => {
            Ok(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
        }
        None => Ok(1),
    }
}

/// The token clients must send: the one the user chose (`--token-env`),
/// which must be strong, else a new one.
fn chosen_token(args: &ServeArgs, ctx: &Ctx) -> Result<SecretString, CliError> {
    let Some(var) = &args.token_env else {
        return Ok(proxy::new_token());
    };
    match (ctx.env)(var).filter(|v| !v.trim().is_empty()) {
        Some(v) if strong(v.trim()) => Ok(SecretString::from(v.trim().to_string())),
        Some(_) => Err(CliError::Usage(t!("serve.token_weak", var = var))),
        None => Err(CliError::Usage(t!("serve.token_env_unset", var = var))),
    }
}

/// The gateway's store (`--gateway [STORE]`, else `gateway.db` in the
/// data folder) and the members' key check over it.
async fn open_gateway(
    ctx: &Ctx,
    store: Option<&str>,
) -> Result<Arc<crate::gateway::auth::Authenticator>, CliError> {
    use crate::gateway::store::{Store, StoreLocation};
    let location = match store {
        Some(s) => StoreLocation::parse(s).map_err(|e| CliError::Usage(e.to_string()))?,
        None => StoreLocation::Sqlite(ctx.paths.gateway_db.clone()),
    };
    let store = Store::open(&location, (ctx.now)())
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    eprintln!("{}", t!("serve.gateway_on", store = store.describe()));
    Ok(Arc::new(crate::gateway::auth::Authenticator::new(store)))
}

/// `http://HOST:PORT` (`https` with TLS), with an IPv6 host in brackets.
fn base_url(addr: SocketAddr, https: bool) -> String {
    let host = match addr.ip() {
        IpAddr::V6(ip) => format!("[{ip}]"),
        IpAddr::V4(ip) => ip.to_string(),
    };
    let scheme = if https { "https" } else { "http" };
    format!("{scheme}://{host}:{}", addr.port())
}

/// Each line, then a flush; the first failure stops it.
fn print_lines(out: &mut dyn Write, lines: impl Iterator<Item = String>) -> std::io::Result<()> {
    for line in lines {
        writeln!(out, "{line}")?;
    }
    out.flush()
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// A token someone chose must resist guessing as well as a generated one
/// does: at least 32 characters, and not one or two repeated.
fn strong(token: &str) -> bool {
    let mut distinct: Vec<char> = token.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    token.chars().count() >= 32 && distinct.len() >= 8
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    #[test]
    fn chosen_tokens_must_be_strong() {
        assert!(!super::strong("x"));
        assert!(!super::strong(&"ab".repeat(20)));
        assert!(!super::strong("0123456789abcdef0123456789abcde"));
        assert!(super::strong("0123456789abcdef0123456789abcdef"));
        assert!(super::strong(crate::proxy::new_token().expose_secret()));
    }
}
