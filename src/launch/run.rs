//! `ccswitch run`: start the proxy in-process (when the profile needs it),
//! hand the terminal to `claude` with the profile's environment, and exit
//! with claude's exit code. Nothing is written to the terminal while claude
//! runs; the proxy logs to a file.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitStatus;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use serde_json::{Map, Value};

use super::env::{Mode, Plan, plan};
use super::error::LaunchError;
use super::find::{find_claude, missing_explicit};
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
}

/// The profile to use: the named one, else the default, else an error that
/// lists what exists.
pub fn pick_profile<'a>(cfg: &'a Config, name: Option<&str>) -> Result<&'a Profile, LaunchError> {
    cfg.profile_or_default(name)?
        .ok_or_else(|| LaunchError::NoProfile(cfg.profile_names()))
}

/// A log file (append, private) as the proxy's log sink.
fn file_log(path: &Path, profile: &str, now: fn() -> SystemTime) -> Result<LogFn, LaunchError> {
    let fail =
        |e: std::io::Error| LaunchError::Failed(t!("launch.log", path = path.display(), error = e));
    if let Some(dir) = path.parent() {
        crate::fsutil::create_private_dir(dir).map_err(fail)?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = Mutex::new(opts.open(path).map_err(fail)?);
    let tag = format!("{} {profile}", std::process::id());
    Ok(Arc::new(move |line: &str| {
        // One write per line, so concurrent sessions' lines never interleave.
        let text = format!("{} [{tag}] {line}\n", hms(now()));
        if let Ok(mut f) = file.lock() {
            let _ = f.write_all(text.as_bytes());
        }
    }))
}

/// Split a user's own `--settings X` out of claude's arguments, so it can be
/// merged into the session's settings file instead of fighting it.
fn take_user_settings(args: &mut Vec<String>) -> Option<String> {
    let i = args
        .iter()
        .position(|a| a == "--settings" || a.starts_with("--settings="))?;
    let a = args.remove(i);
    match a.strip_prefix("--settings=") {
        Some(v) => Some(v.to_string()),
        None if i < args.len() => Some(args.remove(i)),
        None => None,
    }
}

/// The session's settings: the user's own `--settings` (file or JSON), with
/// our `env` entries on top.
fn settings_json(plan: &Plan, user: Option<&str>) -> Value {
    let mut base: Map<String, Value> = user
        .and_then(|u| {
            let text = if u.trim_start().starts_with('{') {
                u.to_string()
            } else {
                std::fs::read_to_string(u).ok()?
            };
            serde_json::from_str::<Value>(&text).ok()
        })
        .and_then(|v| v.as_object().cloned())
        .unwrap_or_default();
    let mut env = base
        .remove("env")
        .and_then(|e| e.as_object().cloned())
        .unwrap_or_default();
    for (k, v) in &plan.settings_env {
        env.insert(k.clone(), Value::String(v.clone()));
    }
    base.insert("env".into(), Value::Object(env));
    Value::Object(base)
}

fn exit_code(status: ExitStatus) -> u8 {
    if let Some(c) = status.code() {
        return u8::try_from(c).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return u8::try_from(128 + sig).unwrap_or(1);
        }
    }
    1
}

pub fn run(ctx: &Ctx, mut opts: RunOptions) -> Result<u8, LaunchError> {
    let (cfg, _) = config::load(&ctx.paths)?;
    let profile = pick_profile(&cfg, opts.profile.as_deref())?.clone();
    let explicit = [
        opts.claude.clone(),
        profile.claude_path.clone(),
        cfg.claude_path.clone(),
    ];
    let home = (ctx.env)("HOME").map(PathBuf::from);
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
    let log = file_log(&log_path, &profile.name, ctx.now)?;
    let main = cfg.provider(&profile.main.provider)?.clone();
    let key_for = |provider: &config::Provider| -> Result<_, LaunchError> {
        Ok(ctx.secrets.resolve(provider, &*ctx.env)?.map(|k| k.secret))
    };

    let rt = proxy::runtime().map_err(|e| LaunchError::Failed(e.to_string()))?;
    let started = Instant::now();
    let user_settings = take_user_settings(&mut opts.claude_args);
    rt.block_on(async {
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
            let pcfg = ProxyConfig::for_profile(
                &cfg,
                &profile.name,
                &ctx.secrets,
                &*ctx.env,
                token.clone(),
                proxy_log,
            )?;
            // An IPv4 literal, never `localhost`: some claude builds try ::1
            // first and would miss a server on 127.0.0.1.
            let loopback = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
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
        // 0600 and removed when dropped: it holds the session token, which
        // must not appear in argv (world-readable in /proc).
        let mut settings = tempfile::Builder::new()
            .prefix("ccswitch-session-")
            .suffix(".json")
            .tempfile()
            .map_err(|e| LaunchError::Failed(t!("launch.settings", error = e)))?;
        let body = settings_json(&plan, user_settings.as_deref());
        settings
            .write_all(body.to_string().as_bytes())
            .and_then(|()| settings.flush())
            .map_err(|e| LaunchError::Failed(t!("launch.settings", error = e)))?;

        let mut cmd = tokio::process::Command::new(&claude);
        cmd.arg("--settings")
            .arg(settings.path())
            .args(&opts.claude_args);
        for k in &plan.unset {
            cmd.env_remove(k);
        }
        cmd.envs(&plan.set);
        log(&format!(
            "starting {} for profile {}",
            claude.display(),
            profile.name
        ));
        let status = wait_forwarding_signals(cmd, &claude).await?;
        log(&format!("claude exited: {status}"));
        drop(settings);
        let usage = match handle {
            Some(h) => {
                let stats = h.stats.clone();
                h.shutdown().await;
                Some((stats.total(), stats.snapshot()))
            }
            None => None,
        };
        if !opts.quiet
            && let Some((total, by_model)) = usage
        {
            let cost = summary::cost(&cfg, &by_model);
            eprintln!(
                "{}",
                summary::line(&profile.name, &total, started.elapsed(), cost)
            );
        }
        Ok(exit_code(status))
    })
}

/// Run claude to completion. Terminal signals reach it directly (same
/// process group), so ccswitch ignores SIGINT/SIGQUIT meanwhile; SIGTERM and
/// SIGHUP sent to ccswitch are passed on.
async fn wait_forwarding_signals(
    mut cmd: tokio::process::Command,
    claude: &Path,
) -> Result<ExitStatus, LaunchError> {
    let spawn_err = |e: std::io::Error| {
        LaunchError::Failed(t!("launch.spawn", path = claude.display(), error = e))
    };
    #[cfg(unix)]
    {
        use nix::sys::signal::{Signal, kill};
        use nix::unistd::Pid;
        use tokio::signal::unix::{SignalKind, signal};
        // Installing handlers before the spawn closes the window in which a
        // Ctrl-C would kill ccswitch and orphan claude.
        let mut int = signal(SignalKind::interrupt()).map_err(spawn_err)?;
        let mut quit = signal(SignalKind::quit()).map_err(spawn_err)?;
        let mut term = signal(SignalKind::terminate()).map_err(spawn_err)?;
        let mut hup = signal(SignalKind::hangup()).map_err(spawn_err)?;
        let mut child = cmd.spawn().map_err(spawn_err)?;
        let pid = child
            .id()
            .and_then(|p| i32::try_from(p).ok())
            .map(Pid::from_raw);
        let forward = |sig: Signal| {
            if let Some(pid) = pid {
                let _ = kill(pid, sig);
            }
        };
        loop {
            tokio::select! {
                status = child.wait() => return status.map_err(spawn_err),
                _ = int.recv() => {}
                _ = quit.recv() => {}
                _ = term.recv() => forward(Signal::SIGTERM),
                _ = hup.recv() => forward(Signal::SIGHUP),
            }
        }
    }
    #[cfg(not(unix))]
    {
        let mut child = cmd.spawn().map_err(spawn_err)?;
        child.wait().await.map_err(spawn_err)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn user_settings_are_taken_out_of_the_args() {
        let mut a: Vec<String> = ["-p", "hi", "--settings", "s.json", "--model", "x"]
            .map(String::from)
            .to_vec();
        assert_eq!(take_user_settings(&mut a).as_deref(), Some("s.json"));
        assert_eq!(a, ["-p", "hi", "--model", "x"]);
        let mut a: Vec<String> = vec!["--settings={\"a\":1}".into()];
        assert_eq!(take_user_settings(&mut a).as_deref(), Some("{\"a\":1}"));
        assert!(a.is_empty());
        let mut a: Vec<String> = vec!["-p".into()];
        assert_eq!(take_user_settings(&mut a), None);
    }

    #[test]
    fn our_env_wins_in_merged_settings() {
        let mut plan = Plan::default();
        plan.settings_env
            .insert("ANTHROPIC_BASE_URL".into(), "http://127.0.0.1:1".into());
        let v = settings_json(
            &plan,
            Some(
                r#"{"skipWebFetchPreflight": true, "env": {"ANTHROPIC_BASE_URL": "stale", "FOO": "1"}}"#,
            ),
        );
        assert_eq!(
            v,
            json!({"skipWebFetchPreflight": true, "env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:1", "FOO": "1"}})
        );
        assert_eq!(
            settings_json(&plan, None),
            json!({"env": {"ANTHROPIC_BASE_URL": "http://127.0.0.1:1"}})
        );
    }

    #[test]
    fn exit_codes() {
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(15)), 143);
    }
}
