//! `ccswitch serve PROFILE`: the proxy in the foreground for other
//! Anthropic clients (IDE extensions, SDK scripts).

use std::io::Write;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use crate::config;
use crate::launch::env::serve_vars;
use crate::launch::shell::export;
use crate::proxy::{self, ProxyConfig};
use crate::t;

use super::args::ServeArgs;
use super::error::CliError;
use crate::ctx::{Ctx, hms};

pub fn run(args: ServeArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let name = match args.profile.or_else(|| cfg.default.clone()) {
        Some(n) => n,
        None => {
            let names: Vec<_> = cfg.profiles.keys().cloned().collect();
            return Err(CliError::Usage(t!(
                "serve.no_profile",
                names = names.join(", ")
            )));
        }
    };
    if !args.host.is_loopback() && !args.allow_remote {
        return Err(CliError::Usage(t!(
            "serve.remote_refused",
            host = args.host
        )));
    }
    let token = match &args.token_env {
        Some(var) => match (ctx.env)(var).filter(|v| !v.trim().is_empty()) {
            Some(v) if strong(v.trim()) => SecretString::from(v.trim().to_string()),
            Some(_) => return Err(CliError::Usage(t!("serve.token_weak", var = var))),
            None => return Err(CliError::Usage(t!("serve.token_env_unset", var = var))),
        },
        None => proxy::new_token(),
    };
    if !args.host.is_loopback() {
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
    let mut pcfg =
        ProxyConfig::for_profile(&cfg, &name, &ctx.secrets, &*ctx.env, token.clone(), log)
            .map_err(|e| CliError::Failed(e.to_string()))?;
    pcfg.log_notes = true;
    let audit = crate::usage::start_audit(&ctx.paths, &cfg, pcfg.redactor.clone(), &pcfg.log);
    pcfg.audit = audit.as_ref().and_then(crate::usage::audit::AuditLog::sink);
    let ledger = crate::usage::start(&ctx.paths, &cfg, &pcfg.log, (ctx.now)());
    pcfg.usage = ledger.as_ref().and_then(crate::usage::Ledger::sink);
    pcfg.circuits = Some(ctx.paths.circuits_file.clone());
    if args.ignore_budget {
        (pcfg.log)(&t!("budget.ignored"));
    } else {
        let profile = pcfg.profile.clone();
        pcfg.budget = crate::usage::checker(&ctx.paths, &cfg, &profile, ledger.as_ref(), &pcfg.log);
    }
    let profile = pcfg.profile.clone();
    let rt = proxy::runtime().map_err(|e| CliError::Failed(e.to_string()))?;
    let log = pcfg.log.clone();
    let served = rt.block_on(async {
        let handle = proxy::start(SocketAddr::new(args.host, args.port), pcfg)
            .await
            .map_err(|e| CliError::Failed(e.to_string()))?;
        let host = match handle.addr.ip() {
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        let base = format!("http://{host}:{}", handle.addr.port());
        let mut printed = Ok(());
        for (k, v) in serve_vars(&cfg, &profile, &base, token.expose_secret()) {
            printed = printed.and_then(|()| writeln!(out, "{}", export(args.shell, k, &v)));
        }
        // A reader that took the lines it wanted and left (`| head -2`)
        // must not end the server: it keeps serving, and says so on stderr.
        match printed.and_then(|()| out.flush()) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => return Err(e.into()),
            _ => {}
        }
        log(&t!("serve.listening", addr = base, profile = profile.name));
        wait_for_signal().await;
        let stats = handle.stats.clone();
        handle.shutdown().await;
        drop(ledger);
        drop(audit);
        let total = stats.total();
        log(&t!(
            "serve.stopped",
            requests = total.requests,
            errors = total.errors,
            input = total.input_tokens,
            output = total.output_tokens
        ));
        Ok(())
    });
    writer.close();
    served
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
