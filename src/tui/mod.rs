//! The interactive screen (`ccswitch` with no arguments): model / update /
//! view. Terminal state is always restored, on quit, on launch and on panic
//! (ratatui's init installs a hook that restores it before the panic
//! message prints).

pub mod app;
pub mod form;
pub mod picker;
pub mod plan;
pub mod view;
mod work;

use std::io::IsTerminal;
use std::sync::mpsc;
use std::time::Duration;

use ratatui::crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::config::{self, ConfigError, KeySpec, ops};
use crate::ctx::Ctx;
use crate::secrets::{KeySource, SecretStore, Secrets};
use crate::t;
use app::{App, Cmd, KeyState, Msg};

/// Translate a key press into a message, given what is on screen.
pub fn key_to_msg(app: &App, key: KeyEvent) -> Option<Msg> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        return match key.code {
            // Ctrl-C quits from the list; on a form it asks first (Esc).
            KeyCode::Char('c') if app.form.is_some() => Some(Msg::Cancel),
            KeyCode::Char('c') => Some(Msg::Quit),
            KeyCode::Char('s') => Some(Msg::Save),
            KeyCode::Char('t') => Some(Msg::Test),
            KeyCode::Char('u') => Some(Msg::Clear),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Up => Msg::Up,
        KeyCode::Down => Msg::Down,
        KeyCode::Left => Msg::Left,
        KeyCode::Right => Msg::Right,
        KeyCode::Tab => Msg::Next,
        KeyCode::BackTab => Msg::Prev,
        KeyCode::Home => Msg::Home,
        KeyCode::End => Msg::End,
        KeyCode::Enter => Msg::Activate,
        KeyCode::Esc => Msg::Cancel,
        KeyCode::Backspace => Msg::Backspace,
        KeyCode::F(1) => Msg::Help,
        // Typing into a field, the filter or a dialog: letters are letters.
        KeyCode::Char(c) if app.typing() => Msg::Char(c),
        KeyCode::Char('k') => Msg::Up,
        KeyCode::Char('j') => Msg::Down,
        KeyCode::Char('g') => Msg::Home,
        KeyCode::Char('G') => Msg::End,
        KeyCode::Char('*') => Msg::SetDefault,
        KeyCode::Char('x') => Msg::Delete,
        KeyCode::Char('/') => Msg::Filter,
        KeyCode::Char('?') => Msg::Help,
        KeyCode::Char('q') => Msg::Quit,
        KeyCode::Char('n') => Msg::New,
        KeyCode::Char('e') => Msg::Edit,
        KeyCode::Char('d') => Msg::Duplicate,
        KeyCode::Char('t') => Msg::Test,
        KeyCode::Char(c) => Msg::Char(c),
        _ => return None,
    })
}

/// Where a provider's key would come from right now, without running key
/// commands (a `pass`/GPG prompt would fight the screen for the terminal).
pub fn check_key(
    spec: &KeySpec,
    name: &str,
    secrets: &Secrets,
    env: &dyn Fn(&str) -> Option<String>,
) -> KeyState {
    if spec.is_none() {
        return KeyState::NotNeeded;
    }
    if let Some(var) = spec
        .env
        .as_ref()
        .filter(|v| env(v).is_some_and(|x| !x.trim().is_empty()))
    {
        return KeyState::Found(KeySource::Env(var.clone()).to_string());
    }
    if spec.command.is_some() {
        return KeyState::Found(t!("tui.key_command"));
    }
    let stores: [(bool, &dyn SecretStore); 2] = [
        (spec.keyring, secrets.keyring.as_ref()),
        (spec.file, secrets.file.as_ref()),
    ];
    let mut why = Vec::new();
    for (on, store) in stores {
        if !on {
            continue;
        }
        match store.get(name) {
            Ok(Some(_)) => return KeyState::Found(store.name().to_string()),
            Ok(None) => why.push(store.name().to_string()),
            Err(e) => why.push(e.to_string().lines().next().unwrap_or_default().to_string()),
        }
    }
    if let Some(v) = &spec.env {
        why.insert(0, format!("env {v}"));
    }
    KeyState::Missing(why.join(", "))
}

/// How the screen ended: what the command line does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Quit,
    /// Launch Claude Code with this profile.
    Launch(String),
}

/// Why the screen could not run.
#[derive(Debug, thiserror::Error)]
pub enum TuiError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{}", t!("tui.not_a_tty"))]
    NotATerminal,
    #[error("{0}")]
    Terminal(#[from] std::io::Error),
}

impl TuiError {
    pub fn exit_code(&self) -> u8 {
        match self {
            TuiError::Config(e) => e.exit_code(),
            TuiError::NotATerminal => 2,
            TuiError::Terminal(_) => 1,
        }
    }
}

pub fn run(ctx: &Ctx) -> Result<Outcome, TuiError> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    // A broken config is reported like any command's error, before the
    // screen changes.
    let (cfg, presets) = config::load(&ctx.paths)?;
    let (mut app, first) = App::new(&cfg, &presets);
    app.update(last_used(ctx));
    let mut terminal = ratatui::try_init()?;
    let outcome = event_loop(&mut terminal, &mut app, first, ctx);
    ratatui::restore();
    outcome
}

fn last_used(ctx: &Ctx) -> Msg {
    work::last_used(&ctx.paths)
}

fn event_loop(
    terminal: &mut ratatui::DefaultTerminal,
    app: &mut App,
    first: Option<Cmd>,
    ctx: &Ctx,
) -> Result<Outcome, TuiError> {
    let theme = view::Theme::from_env();
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut pending = first;
    let mut ticks = 0u32;
    loop {
        if let Some(cmd) = pending.take() {
            match cmd {
                Cmd::Quit => return Ok(Outcome::Quit),
                Cmd::Launch(name) => return Ok(Outcome::Launch(name)),
                Cmd::SetDefault(name) => {
                    let saved = ops::set_default(&ctx.paths, &name);
                    pending = app.update(reload(ctx, saved, t!("tui.default_set", name = name)));
                }
                Cmd::Delete(name) => {
                    let saved = ops::remove_profile(&ctx.paths, &name);
                    if saved.is_ok() {
                        app.update(last_used(ctx));
                    }
                    pending = app.update(reload(ctx, saved, t!("tui.deleted", name = name)));
                }
                Cmd::Save(plan) => work::save(ctx, *plan, tx.clone()),
                Cmd::CheckKeys(providers) => spawn_key_checks(ctx, providers, tx.clone()),
                Cmd::FetchModels(seq, provider) => {
                    work::fetch_models(ctx, seq, *provider, tx.clone())
                }
                Cmd::TestProfile(seq, name) => work::test_profile(ctx, seq, name, tx.clone()),
                Cmd::TestPlan(seq, plan) => work::test_plan(ctx, seq, *plan, tx.clone()),
            }
            continue;
        }
        terminal.draw(|f| view::draw(f, app, theme))?;
        while let Ok(msg) = rx.try_recv() {
            pending = pending.or(app.update(msg));
        }
        // Poll briefly so background results and spinners show up without
        // a key press.
        if event::poll(Duration::from_millis(100))? {
            if let Event::Key(key) = event::read()?
                && let Some(msg) = key_to_msg(app, key)
            {
                pending = pending.or(app.update(msg));
            }
        } else {
            app.update(Msg::Tick);
            ticks += 1;
            // "5 min ago" moves on while the screen is open.
            if ticks.is_multiple_of(600) {
                app.update(last_used(ctx));
            }
        }
    }
}

/// Re-read the config after a save; the status line says what happened.
fn reload(ctx: &Ctx, saved: Result<(), ConfigError>, done: String) -> Msg {
    work::reloaded(&ctx.paths, saved.map_err(|e| e.to_string()), done)
}

/// Key checks touch the keyring, which can take seconds when locked: off
/// the UI thread, results come back as messages.
fn spawn_key_checks(ctx: &Ctx, providers: Vec<String>, tx: mpsc::Sender<Msg>) {
    let Ok((cfg, _)) = config::load(&ctx.paths) else {
        return;
    };
    let creds = ctx.paths.credentials_file.clone();
    let specs: Vec<(String, KeySpec)> = providers
        .into_iter()
        .filter_map(|p| cfg.providers.get(&p).map(|pr| (p, pr.key.clone())))
        .collect();
    std::thread::spawn(move || {
        let secrets = Secrets::system(&creds);
        let env = |k: &str| std::env::var(k).ok();
        for (name, spec) in specs {
            let state = check_key(&spec, &name, &secrets, &env);
            if tx.send(Msg::KeyChecked(name, state)).is_err() {
                return;
            }
        }
    });
}
