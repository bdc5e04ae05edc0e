//! `ccswitch run`: start the proxy in-process (when the profile needs it),
//! hand the terminal to `claude` with the profile's environment, and exit
//! with claude's exit code. Nothing is written to the terminal while claude
//! runs; the proxy logs to a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::child::{self, Signals, Terminal};
use super::env::{Mode, plan};
use super::error::LaunchError;
use super::find::{find_claude, missing_explicit};
use super::resume;
use super::session::{self, SessionDir, settings_json, take_user_settings, user_settings};
use super::status_line;
use super::summary;
use crate::config::{self, Api, Config, Profile};
use crate::ctx::{Ctx, hms};
use crate::proxy::{self, LogFn, ProxyConfig};
use crate::t;

pub struct RunOptions {
    pub profile: Option<String>,
    pub claude_args: Vec<String>,
    pub claude: Option<PathBuf>,
    pub log_file: Option<PathBuf>,
    pub verbose: bool,
    pub quiet: bool,
    /// Do not check budgets this session.
    pub ignore_budget: bool,
}

/// The profile to use: the named one, else the default, else an error that
/// lists what exists.
pub fn pick_profile<'a>(cfg: &'a Config, name: Option<&str>) -> Result<&'a Profile, LaunchError> {
    cfg.profile_or_default(name)?
        .ok_or_else(|| LaunchError::NoProfile(cfg.profile_names()))
}

/// A log file (append, private) as the proxy's log sink, written by a
/// thread of its own (a slow disk must not hold the proxy).
fn file_log(
    path: &Path,
    profile: &str,
    now: fn() -> SystemTime,
) -> Result<(proxy::LogWriter, LogFn), LaunchError> {
    let fail =
        |e: std::io::Error| LaunchError::Failed(t!("launch.log", path = path.display(), error = e));
    if let Some(dir) = path.parent() {
        crate::fsutil::create_private_dir(dir).map_err(fail)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts.open(path).map_err(fail)?;
    let tag = format!("{} {profile}", std::process::id());
    Ok(proxy::LogWriter::start(
        Box::new(file),
        Arc::new(move |line: &str| format!("{} [{tag}] {line}\n", hms(now()))),
    ))
}

pub fn run(ctx: &Ctx, mut opts: RunOptions) -> Result<u8, LaunchError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let profile = pick_profile(&cfg, opts.profile.as_deref())?.clone();
    let explicit = [
        opts.claude.clone(),
        profile.claude_path.clone(),
        cfg.claude_path.clone(),
    ];
    let home = crate::paths::home_dir(&*ctx.env);
    let Some(claude) = find_claude(&explicit, &*ctx.env, home.as_deref()) else {
        let msg = match missing_explicit(&explicit) {
            Some(p) => format!(
                "{} {}",
                t!("launch.claude_path_missing", path = p.display()),
                t!("launch.claude_not_found")
            ),
            None => t!("launch.claude_not_found"),
        };
        return Err(LaunchError::ClaudeNotFound(msg));
    };
    let log_path = opts
        .log_file
        .clone()
        .unwrap_or_else(|| ctx.paths.log_dir.join("ccswitch.log"));
    let (writer, log): (Option<proxy::LogWriter>, LogFn) =
        match file_log(&log_path, &profile.name, ctx.now) {
            Ok((w, log)) => (Some(w), log),
            // A read-only data folder must not stop a session: it runs unlogged.
            Err(e) => {
                if !opts.quiet {
                    eprintln!("ccswitch: warning: {e}");
                }
                (None, Arc::new(|_: &str| {}))
            }
        };
    let main = cfg.provider(&profile.main.provider)?.clone();
    let key_for = |provider: &config::Provider| -> Result<_, LaunchError> {
        Ok(ctx.secrets.resolve(provider, &*ctx.env)?.map(|k| k.secret))
    };

    let rt = proxy::runtime().map_err(|e| LaunchError::Failed(e.to_string()))?;
    let started = Instant::now();
    // Transcripts written from here on belong to this run (a clock step
    // back could hide one; the hint then says `--continue`).
    let started_at = (ctx.now)();
    // Read before anything starts: a broken file stops the launch.
    let user_settings = match take_user_settings(&mut opts.claude_args) {
        Some(arg) => Some(user_settings(&arg)?),
        None => None,
    };
    // Warnings before claude starts go to the log and, unless quiet, to the
    // terminal too: they stay in its scrollback.
    let warn: LogFn = {
        let log = log.clone();
        let quiet = opts.quiet;
        Arc::new(move |line: &str| {
            log(line);
            if !quiet {
                eprintln!("ccswitch: {line}");
            }
        })
    };
    let mut ledger = None;
    let mut session_id = None;
    let mut audit = None;
    let status = rt.block_on(async {
        let signals = Signals::install().map_err(|e| LaunchError::Failed(e.to_string()))?;
        let tmp = std::env::temp_dir();
        let swept = session::sweep(&tmp, (ctx.now)());
        if swept > 0 {
            log(&t!("launch.swept", n = swept));
        }
        let (mode, handle) = if main.api.uses_base_url() && !profile.direct {
            let token = proxy::new_token();
            let proxy_log: LogFn = if opts.verbose {
                log.clone()
            } else {
                let l = log.clone();
                Arc::new(move |line: &str| {
                    if !line.starts_with("note: ") {
                        l(line);
                    }
                })
            };
            let mut pcfg = ProxyConfig::for_profile(
                &cfg,
                &profile.name,
                &ctx.secrets,
                &*ctx.env,
                token.clone(),
                proxy_log,
            )?;
            ledger = crate::usage::start(&ctx.paths, &cfg, &warn, (ctx.now)());
            pcfg.usage = ledger.as_ref().and_then(crate::usage::Ledger::sink);
            pcfg.circuits = Some(ctx.paths.circuits_file.clone());
            if opts.ignore_budget {
                log(&t!("budget.ignored"));
            } else {
                pcfg.budget =
                    crate::usage::checker(&ctx.paths, &cfg, &profile, ledger.as_ref(), &warn);
            }
            // An IPv4 literal, never `localhost`: some claude builds try ::1
            // first and would miss a server on 127.0.0.1.
            let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
            audit = crate::usage::start_audit(&ctx.paths, &cfg, pcfg.redactor.clone(), &log);
            pcfg.audit = audit.as_ref().and_then(crate::usage::audit::AuditLog::sink);
            session_id = Some(pcfg.session.clone());
            let handle = proxy::start(loopback, pcfg).await?;
            let base_url = format!("http://{}", handle.addr);
            (Mode::Proxy { base_url, token }, Some(handle))
        } else if main.api == Api::Anthropic {
            (
                Mode::Direct {
                    key: key_for(&main)?,
                },
                None,
            )
        } else {
            (
                Mode::Cloud {
                    key: if main.key.is_none() {
                        None
                    } else {
                        key_for(&main)?
                    },
                },
                None,
            )
        };
        // "Last used" is a convenience: failing to note it never stops a launch.
        if let Err(e) = config::state::record(&ctx.paths, &profile.name, (ctx.now)()) {
            log(&format!(
                "warning: {}",
                t!("history.record_failed", error = e)
            ));
        }
        let plan = plan(&cfg, &profile, &mode, &*ctx.env);
        for w in &plan.warnings {
            log(&format!("warning: {w}"));
        }
        if user_settings.is_some() {
            log(&t!("launch.user_settings_arg"));
        }
        let helper = plan.helper_key.as_ref().map(|_| session::helper_command());
        let passed = user_settings.unwrap_or_default();
        // The status line reads the ledger: only for proxied sessions, and
        // never over the user's own.
        let cwd = std::env::current_dir().unwrap_or_default();
        let files = status_line::settings_files(&*ctx.env, home.as_deref(), &cwd);
        let offer = session_id.is_some() && !status_line::user_has_one(&files, &passed);
        let mut body = settings_json(&plan, passed, helper.as_deref());
        if offer && let Some(obj) = body.as_object_mut() {
            let command = session::self_command("statusline");
            obj.insert("statusLine".into(), status_line::setting(&command));
        }
        // Private, and removed when dropped (a folder a killed session
        // leaves is swept by the next one): it holds the session token,
        // which must not appear in argv (world-readable in /proc).
        let session = SessionDir::create(&tmp, &body)
            .map_err(|e| LaunchError::Failed(t!("launch.settings", error = e)))?;

        let mut cmd = child::command(&claude);
        cmd.arg("--settings")
            .arg(session.settings())
            .args(&opts.claude_args);
        for k in &plan.unset {
            cmd.env_remove(k);
        }
        cmd.envs(&plan.set);
        if let Some(id) = &session_id {
            // For `ccswitch statusline`, run by claude.
            cmd.env(status_line::PROFILE_VAR, &profile.name)
                .env(status_line::SESSION_VAR, &**id);
        }
        if let Some(var) = &plan.helper_key {
            // Only the helper's variable carries the key.
            cmd.env_remove(var);
            cmd.env(session::HELPER_VAR, &plan.set[var]);
        }
        log(&format!(
            "starting {} for profile {}",
            claude.display(),
            profile.name
        ));
        let terminal = Terminal::save();
        let status = child::wait(cmd, &claude, signals).await?;
        log(&format!("claude exited: {status}"));
        if status.code().is_none() {
            terminal.restore();
        }
        drop(session);
        let usage = match handle {
            Some(h) => {
                let stats = h.stats.clone();
                h.shutdown().await;
                // Everything the proxy recorded is written before exit.
                drop(ledger.take());
                drop(audit.take());
                Some((stats.total(), stats.snapshot(), stats.last_session()))
            }
            None => None,
        };
        if !opts.quiet {
            let (talked, id) = match usage {
                Some((total, by_model, id)) => {
                    let cost = summary::cost(&cfg, &by_model);
                    eprintln!(
                        "{}",
                        summary::line(&profile.name, &total, started.elapsed(), cost)
                    );
                    (total.requests > 0, id)
                }
                None => (false, None),
            };
            let id = id.or_else(|| {
                let dir = resume::claude_dir(&*ctx.env, home.as_deref())?;
                resume::latest_session(&resume::project_dir(&dir, &cwd), started_at)
            });
            // Only after a conversation (`claude --version` has none) that
            // Claude Code kept.
            let kept = !opts
                .claude_args
                .iter()
                .any(|a| a == "--no-session-persistence");
            if kept && (talked || id.is_some()) {
                eprintln!("{}", resume::hint(&profile.name, id.as_deref()));
            }
        }
        Ok::<_, LaunchError>(status)
    })?;
    drop(rt);
    // Every line is in the file before this process ends, perhaps by the
    // signal that ended claude.
    if let Some(w) = writer {
        w.close();
    }
    child::die_like(status);
    Ok(child::code(status))
}

/// `ccswitch env PROFILE`: export lines for profiles that need no proxy.
pub fn env_lines(
    ctx: &Ctx,
    name: Option<&str>,
    shell: super::shell::Shell,
) -> Result<Vec<String>, LaunchError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let profile = pick_profile(&cfg, name)?;
    let main = cfg.provider(&profile.main.provider)?;
    if main.api.uses_base_url() && !profile.direct {
        return Err(LaunchError::Usage(t!(
            "launch.env_needs_proxy",
            profile = profile.name
        )));
    }
    let key = if main.key.is_none() {
        None
    } else {
        ctx.secrets.resolve(main, &*ctx.env)?.map(|k| k.secret)
    };
    let mode = if main.api == Api::Anthropic {
        Mode::Direct { key }
    } else {
        Mode::Cloud { key }
    };
    let plan = plan(&cfg, profile, &mode, &*ctx.env);
    let mut out: Vec<String> = plan
        .unset
        .iter()
        .map(|k| super::shell::unset(shell, k))
        .collect();
    out.extend(
        plan.set
            .iter()
            .map(|(k, v)| super::shell::export(shell, k, v)),
    );
    out.extend(plan.warnings.iter().map(|w| format!("# {w}")));
    Ok(out)
}
