//! The event loop without a terminal: what the screen and background work
//! send goes through `App::update`, and what it asks for is run, until it
//! asks to quit or launch.

use std::io;

use ratatui::crossterm::event::KeyEvent;

use super::app::{App, Cmd, Msg};
use super::keys;

/// How the screen ended: what the command line does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Quit,
    /// Launch Claude Code with this profile.
    Launch(String),
}

/// What the user did while the loop waited.
#[derive(Debug)]
pub enum Input {
    Key(KeyEvent),
    /// Anything else (a resize, a focus change): only redraw.
    Other,
    /// Time passed without input.
    Tick,
}

/// One wait: results of background work that arrived, then the input.
#[derive(Debug)]
pub struct Turn {
    pub arrived: Vec<Msg>,
    pub input: Input,
}

/// The terminal's side of the loop.
pub trait Ui {
    fn draw(&mut self, app: &App) -> io::Result<()>;
    /// Wait briefly for input, so background results and spinners show up
    /// without a key press.
    fn wait(&mut self) -> io::Result<Turn>;
}

/// Carries out commands other than quitting and launching (the loop ends
/// on those). Slow work answers later, through `Ui::wait`; quick work
/// answers at once.
pub trait Runner {
    fn run(&mut self, cmd: Cmd) -> Vec<Msg>;
}

pub fn drive(
    app: &mut App,
    first: Option<Cmd>,
    ui: &mut impl Ui,
    runner: &mut impl Runner,
) -> io::Result<Outcome> {
    let mut pending = first;
    loop {
        if let Some(cmd) = pending.take() {
            match cmd {
                Cmd::Quit => return Ok(Outcome::Quit),
                Cmd::Launch(name) => return Ok(Outcome::Launch(name)),
                cmd => {
                    for msg in runner.run(cmd) {
                        pending = pending.or(app.update(msg));
                    }
                }
            }
            continue;
        }
        ui.draw(app)?;
        let turn = ui.wait()?;
        for msg in turn.arrived {
            pending = pending.or(app.update(msg));
        }
        let msg = match turn.input {
            Input::Key(key) => keys::to_msg(app, key),
            Input::Other => None,
            Input::Tick => Some(Msg::Tick),
        };
        if let Some(msg) = msg {
            pending = pending.or(app.update(msg));
        }
    }
}
