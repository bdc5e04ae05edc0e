//! `ccswitch run`: start the proxy in-process (when the profile needs it),
//! hand the terminal to `claude` with the profile's environment, and exit
//! with claude's exit code. Nothing is written to the terminal while claude
//! runs; the proxy logs to a file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use super::child::{self, Signals, Terminal};
use super::env::session::{Facts, SessionPlan, session_plan};
use super::env::{Reach, plan};
use super::error::LaunchError;
use super::proxied::{Options, Proxied, Recording, Totals};
use super::session::{self, SessionDir, take_user_settings, user_settings};
use super::summary;
use crate::claude::find::{find_claude, missing_explicit};
use crate::claude::resume;
use crate::claude::status_line;
use crate::config::{self, Api, Config, Profile};
use crate::ctx::{Ctx, hms};
use crate::proxy::menu::Menu;
use crate::proxy::{self, LogFn};
use crate::{t, tn};

pub struct RunOptions {
    pub profile: Option<String>,
    pub claude_args: Vec<String>,
    pub claude: Option<PathBuf>,
    pub log_file: Option<PathBuf>,
    pub verbose: bool,
    pub quiet: bool,
    /// Do not check budgets this session.
    pub ignore_budget: bool,
    /// The menu model to start on (`--model`).
    pub model: Option<String>,
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
    let home = crate::paths::home_dir(&*ctx.env);
    let claude = claude_binary(ctx, &cfg, &profile, &opts, home.as_deref())?;
    let start_on = opts
        .model
        .as_deref()
        .map(|m| menu_model(&profile, m))
        .transpose()?;
    let (writer, log) = session_log(ctx, &opts, &profile.name);
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
    let status = rt.block_on(async {
        let signals = Signals::install().map_err(|e| LaunchError::Failed(e.to_string()))?;
        let tmp = std::env::temp_dir();
        let swept = session::sweep(&tmp, (ctx.now)());
        if swept > 0 {
            log(&tn!("launch.swept", n = swept));
        }
        let (mode, proxied) = reach(ctx, &cfg, &profile, &opts, &log).await?;
        // "Last used" is a convenience: failing to note it never stops a launch.
        if let Err(e) = config::state::record(&ctx.paths, &profile.name, (ctx.now)()) {
            log(&format!(
                "warning: {}",
                t!("history.record_failed", error = e)
            ));
        }
        if user_settings.is_some() {
            log(&t!("launch.user_settings_arg"));
        }
        let cwd = std::env::current_dir().unwrap_or_default();
        let user_settings = user_settings.unwrap_or_default();
        let files = status_line::settings_files(&*ctx.env, home.as_deref(), &cwd);
        let me = session::me();
        let project = super::project::label(profile.project.as_deref(), &cwd);
        let facts = Facts {
            user_status_line: status_line::user_has_one(&files, &user_settings),
            user_settings,
            me: &me,
            session: proxied.as_ref().map(|p| &*p.session),
            ignore_budget: opts.ignore_budget,
            project: project.as_deref(),
        };
        let mut plan = session_plan(&cfg, &profile, &mode, &*ctx.env, facts);
        if let Some(id) = start_on {
            plan.set.insert("ANTHROPIC_MODEL".into(), id);
        }
        for w in &plan.warnings {
            log(&format!("warning: {w}"));
        }
        // Private, and removed when dropped (a folder a killed session
        // leaves is swept by the next one): it holds the session token,
        // which must not appear in argv (world-readable in /proc).
        let session = SessionDir::create(&tmp, &plan.settings)
            .map_err(|e| LaunchError::Failed(t!("launch.settings", error = e)))?;
        let cmd = claude_command(&claude, session.settings(), &opts.claude_args, &plan);
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
        let totals = match proxied {
            Some(p) => Some(p.close().await),
            None => None,
        };
        if !opts.quiet {
            let place = Place {
                home: home.as_deref(),
                cwd: &cwd,
                started_at,
            };
            after(ctx, &cfg, &profile.name, &opts, totals, started, &place);
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

/// The id of the menu model `wanted` names (see [`Menu::find`]); a model
/// of a provider the menu takes whole is named `provider/model`.
fn menu_model(profile: &Profile, wanted: &str) -> Result<String, LaunchError> {
    let menu = Menu::naming(profile, wanted);
    if let Some(e) = menu.find(wanted) {
        return Ok(e.id.clone());
    }
    let names: Vec<String> = menu
        .entries()
        .iter()
        .map(|e| format!("{}/{}", e.slot.provider, e.slot.model))
        .chain(
            Menu::whole_providers(profile)
                .iter()
                .map(|p| format!("{p}/*")),
        )
        .collect();
    Err(LaunchError::Usage(t!(
        "launch.menu_unknown",
        profile = profile.name,
        wanted = wanted,
        models = if names.is_empty() {
            "-".to_string()
        } else {
            names.join(", ")
        }
    )))
}

/// `claude` with the session's settings file, the user's arguments, and
/// the plan's environment.
fn claude_command(
    claude: &Path,
    settings: &Path,
    args: &[String],
    plan: &SessionPlan,
) -> tokio::process::Command {
    let mut cmd = child::command(claude);
    cmd.arg("--settings").arg(settings).args(args);
    for k in &plan.unset {
        cmd.env_remove(k);
    }
    cmd.envs(&plan.set);
    cmd
}

/// The `claude` to run: `--claude`, the profile's, the config's, else found
/// on the machine; an error that says where it looked.
fn claude_binary(
    ctx: &Ctx,
    cfg: &Config,
    profile: &Profile,
    opts: &RunOptions,
    home: Option<&Path>,
) -> Result<PathBuf, LaunchError> {
    let explicit = [
        opts.claude.clone(),
        profile.claude_path.clone(),
        cfg.claude_path.clone(),
    ];
    find_claude(&explicit, &*ctx.env, home).ok_or_else(|| {
        LaunchError::ClaudeNotFound(match missing_explicit(&explicit) {
            Some(p) => format!(
                "{} {}",
                t!("launch.claude_path_missing", path = p.display()),
                t!("launch.claude_not_found")
            ),
            None => t!("launch.claude_not_found"),
        })
    })
}

/// The session's log file, or (a read-only data folder must not stop a
/// session) no log, with a warning.
fn session_log(ctx: &Ctx, opts: &RunOptions, profile: &str) -> (Option<proxy::LogWriter>, LogFn) {
    let path = opts
        .log_file
        .clone()
        .unwrap_or_else(|| ctx.paths.log_dir.join("ccswitch.log"));
    match file_log(&path, profile, ctx.now) {
        Ok((w, log)) => (Some(w), log),
        Err(e) => {
            if !opts.quiet {
                eprintln!("ccswitch: warning: {e}");
            }
            (None, Arc::new(|_: &str| {}))
        }
    }
}

/// How claude reaches the model: through the proxy, started here, or
/// directly.
async fn reach(
    ctx: &Ctx,
    cfg: &Config,
    profile: &Profile,
    opts: &RunOptions,
    log: &LogFn,
) -> Result<(Reach, Option<Proxied>), LaunchError> {
    let main = cfg.provider(&profile.main.provider)?;
    if !needs_proxy(main, profile) {
        return Ok((unproxied(ctx, main)?, None));
    }
    // Warnings before claude starts go to the log and, unless quiet, to the
    // terminal too: they stay in its scrollback.
    let warn: LogFn = {
        let (log, quiet) = (log.clone(), opts.quiet);
        Arc::new(move |line: &str| {
            log(line);
            if !quiet {
                eprintln!("ccswitch: {line}");
            }
        })
    };
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
    let token = proxy::new_token();
    let options = Options {
        gateway: None,
        admit_first: false,
        tls: None,
        // An IPv4 literal, never `localhost`: some claude builds try ::1
        // first and would miss a server on 127.0.0.1.
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        token: token.clone(),
        log: proxy_log,
        log_notes: false,
        record: Some(Recording {
            warn,
            ignore_budget: opts.ignore_budget,
        }),
    };
    let proxied = Proxied::start(ctx, cfg, profile, options).await?;
    let base_url = format!("http://{}", proxied.addr());
    Ok((Reach::Proxy { base_url, token }, Some(proxied)))
}

/// Whether claude reaches the profile's main provider through the proxy:
/// every base-URL provider and Bedrock (unless it is `direct`), unless the
/// profile goes to Anthropic directly.
fn needs_proxy(main: &config::Provider, profile: &Profile) -> bool {
    main.proxied() && !profile.direct
}

/// A provider Claude Code talks to itself: Anthropic's API, or a cloud.
fn unproxied(ctx: &Ctx, main: &config::Provider) -> Result<Reach, LaunchError> {
    let key = ctx.secrets.resolve(main, &*ctx.env)?.map(|k| k.secret);
    Ok(if main.api == Api::Anthropic {
        Reach::Direct { key }
    } else {
        Reach::Cloud { key }
    })
}

/// Where the session ran, for finding its transcript afterwards.
struct Place<'a> {
    home: Option<&'a Path>,
    cwd: &'a Path,
    started_at: SystemTime,
}

/// After claude: the session's summary line and how to resume it.
fn after(
    ctx: &Ctx,
    cfg: &Config,
    profile: &str,
    opts: &RunOptions,
    totals: Option<Totals>,
    started: Instant,
    place: &Place<'_>,
) {
    let (talked, id) = match totals {
        Some(t) => {
            let cost = summary::cost(cfg, &t.by_model);
            let line = summary::line(profile, &t.total, t.recovered, started.elapsed(), cost);
            eprintln!("{line}");
            (t.total.requests > 0, t.claude_session)
        }
        None => (false, None),
    };
    let id = id.or_else(|| {
        let dir = resume::claude_dir(&*ctx.env, place.home)?;
        resume::latest_session(&resume::project_dir(&dir, place.cwd), place.started_at)
    });
    // Only after a conversation (`claude --version` has none) that Claude
    // Code kept.
    let kept = !opts
        .claude_args
        .iter()
        .any(|a| a == "--no-session-persistence");
    if kept && (talked || id.is_some()) {
        if let Some(id) = &id {
            // For `ccswitch --resume ID`, which Claude Code's own hint names;
            // a state file that cannot be written costs only that.
            let _ = crate::config::state::remember_session(&ctx.paths, id, profile);
        }
        eprintln!("{}", resume::hint(profile, id.as_deref()));
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
    if needs_proxy(main, profile) {
        return Err(LaunchError::Usage(t!(
            "launch.env_needs_proxy",
            profile = profile.name
        )));
    }
    let mode = unproxied(ctx, main)?;
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
