//! The interactive screen (`ccswitch` with no arguments): model / update /
//! view. Terminal state is always restored, on quit, on launch and on panic
//! (ratatui's init installs a hook that restores it before the panic
//! message prints).

pub mod app;
mod driver;
pub mod form;
mod keys;
pub mod picker;
pub mod plan;
pub mod view;
mod work;

use std::io::IsTerminal;
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use ratatui::crossterm::event::{self, Event};

use crate::config::{self, ConfigError};
use crate::ctx::Ctx;
use crate::t;
use app::{App, Cmd, Msg};
pub use driver::Outcome;
use driver::{Input, Turn, Ui};

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
    run_at(ctx, None)
}

/// [`run`] with the cursor on profile `at` (back from a launch).
pub fn run_at(ctx: &Ctx, at: Option<String>) -> Result<Outcome, TuiError> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        return Err(TuiError::NotATerminal);
    }
    // A broken config is reported like any command's error, before the
    // screen changes.
    let (cfg, presets) = config::load(&ctx.paths)?;
    let (mut app, first) = App::at(&cfg, &presets, at);
    let first = first.into_iter().chain([Cmd::ReadRecent]);
    let (tx, rx) = mpsc::channel::<Msg>();
    let mut tty = Tty {
        terminal: ratatui::try_init()?,
        theme: view::Theme::from_env(&*ctx.env),
        rx,
    };
    let outcome = driver::drive(&mut app, first, &mut tty, &mut work::Worker { ctx, tx });
    ratatui::restore();
    Ok(outcome?)
}

/// The real terminal, and the channel background work answers on.
struct Tty {
    terminal: ratatui::DefaultTerminal,
    theme: view::Theme,
    rx: Receiver<Msg>,
}

impl Ui for Tty {
    fn draw(&mut self, app: &App) -> std::io::Result<()> {
        let theme = self.theme;
        self.terminal.draw(|f| view::draw(f, app, theme))?;
        Ok(())
    }

    fn wait(&mut self) -> std::io::Result<Turn> {
        let arrived = self.rx.try_iter().collect();
        let input = if event::poll(Duration::from_millis(100))? {
            match event::read()? {
                Event::Key(key) => Input::Key(key),
                _ => Input::Other,
            }
        } else {
            Input::Tick
        };
        Ok(Turn { arrived, input })
    }
}
