//! The event loop without a terminal: what the screen and background work
//! send goes through `App::update`, and what it asks for is run, until it
//! asks to quit or launch.

use std::collections::VecDeque;
use std::io;

use ratatui::crossterm::event::KeyEvent;

use super::app::{App, Cmd, Msg};
use super::keys;

/// How the screen ended: what the command line does next.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Quit,
    /// Launch Claude Code with this profile, passing claude these
    /// arguments (`--resume ID`), as `ccswitch run PROFILE -- ARGS` would.
    Launch(String, Vec<String>),
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

/// Every command `update` returns is run, in order, until one ends the
/// screen.
pub fn drive(
    app: &mut App,
    first: impl IntoIterator<Item = Cmd>,
    ui: &mut impl Ui,
    runner: &mut impl Runner,
) -> io::Result<Outcome> {
    let mut queue: VecDeque<Cmd> = first.into_iter().collect();
    loop {
        while let Some(cmd) = queue.pop_front() {
            match cmd {
                Cmd::Quit => return Ok(Outcome::Quit),
                Cmd::Launch(name, args) => return Ok(Outcome::Launch(name, args)),
                cmd => {
                    for msg in runner.run(cmd) {
                        queue.extend(app.update(msg));
                    }
                }
            }
        }
        ui.draw(app)?;
        let turn = ui.wait()?;
        for msg in turn.arrived {
            queue.extend(app.update(msg));
        }
        let msg = match turn.input {
            Input::Key(key) => keys::to_msg(&app.screen, key),
            Input::Other => None,
            Input::Tick => Some(Msg::Tick),
        };
        if let Some(msg) = msg {
            queue.extend(app.update(msg));
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::crossterm::event::{KeyCode, KeyModifiers};

    use super::*;
    use crate::config::testing::mk_config;
    use crate::config::{Config, Presets};

    const CONFIG: &str = r#"
[providers.ds]
preset = "deepseek"
[profiles.deepseek]
provider = "ds"
main = "deepseek-v4-pro"
[profiles.kimi]
provider = "ds"
main = "deepseek-v4-flash"
"#;

    fn cfg() -> Config {
        mk_config(CONFIG)
    }

    /// Turns played in order; the loop fails when they run out.
    struct Script(VecDeque<Turn>);

    impl Ui for Script {
        fn draw(&mut self, _: &App) -> io::Result<()> {
            Ok(())
        }

        fn wait(&mut self) -> io::Result<Turn> {
            self.0
                .pop_front()
                .ok_or_else(|| io::Error::other("the script ran out"))
        }
    }

    /// Records the commands; nothing answers at once.
    #[derive(Default)]
    struct Ran(Vec<Cmd>);

    impl Runner for Ran {
        fn run(&mut self, cmd: Cmd) -> Vec<Msg> {
            self.0.push(cmd);
            Vec::new()
        }
    }

    fn key(code: KeyCode, modifiers: KeyModifiers) -> Turn {
        Turn {
            arrived: Vec::new(),
            input: Input::Key(KeyEvent::new(code, modifiers)),
        }
    }

    #[test]
    fn enter_in_the_same_turn_as_a_save_result_still_launches() {
        let (mut app, first) = App::new(&cfg(), &Presets::builtin());
        let saved = Msg::Saved {
            config: Box::new(cfg()),
            done: "saved".into(),
            select: Some("deepseek".into()),
        };
        let mut script = Script(VecDeque::from([
            key(KeyCode::Char('e'), KeyModifiers::NONE),
            key(KeyCode::Char('s'), KeyModifiers::CONTROL),
            // The save's answer (whose key check is a command) and Enter
            // on the list it went back to, within one wait.
            Turn {
                arrived: vec![saved],
                ..key(KeyCode::Enter, KeyModifiers::NONE)
            },
        ]));
        let mut ran = Ran::default();
        let outcome = drive(&mut app, first, &mut script, &mut ran);
        assert_eq!(
            outcome.map_err(|e| e.to_string()),
            Ok(Outcome::Launch("deepseek".into(), Vec::new()))
        );
        let checks = Cmd::CheckKeys(vec!["ds".into()]);
        assert_eq!(ran.0.len(), 3, "{:?}", ran.0);
        assert_eq!(ran.0[0], checks);
        assert!(matches!(ran.0[1], Cmd::Save(_)), "{:?}", ran.0[1]);
        assert_eq!(ran.0[2], checks, "the key check after the save ran too");
    }

    /// Answers a save at once, with the config it wrote (a copy of
    /// `deepseek` added after the others).
    struct Saves;

    impl Runner for Saves {
        fn run(&mut self, cmd: Cmd) -> Vec<Msg> {
            let Cmd::Save(plan) = cmd else {
                return Vec::new();
            };
            let cfg = mk_config(&format!(
                "{CONFIG}[profiles.deepseek-copy]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n"
            ));
            vec![Msg::Saved {
                config: Box::new(cfg),
                done: "saved".into(),
                select: Some(plan.name),
            }]
        }
    }

    /// The report: "Ctrl-T, Ctrl-S, Enter launches the wrong profile".
    /// Copy, test, back, save, Enter: the copy just saved launches.
    #[test]
    fn enter_after_saving_a_new_profile_launches_it() {
        let (mut app, first) = App::new(&cfg(), &Presets::builtin());
        let none = KeyModifiers::NONE;
        let ctrl = KeyModifiers::CONTROL;
        let mut script = Script(VecDeque::from([
            key(KeyCode::Char('d'), none),
            key(KeyCode::Char('t'), ctrl),
            key(KeyCode::Esc, none),
            key(KeyCode::Char('s'), ctrl),
            key(KeyCode::Enter, none),
        ]));
        let outcome = drive(&mut app, first, &mut script, &mut Saves);
        assert_eq!(
            outcome.map_err(|e| e.to_string()),
            Ok(Outcome::Launch("deepseek-copy".into(), Vec::new()))
        );
    }

    #[test]
    fn a_minute_of_ticks_reads_last_used_and_the_week_again() {
        let (mut app, _) = App::new(&cfg(), &Presets::builtin());
        let tick = || Turn {
            arrived: Vec::new(),
            input: Input::Tick,
        };
        let mut turns: VecDeque<Turn> = (0..600).map(|_| tick()).collect();
        turns.push_back(key(KeyCode::Char('q'), KeyModifiers::NONE));
        let mut ran = Ran::default();
        let outcome = drive(&mut app, None, &mut Script(turns), &mut ran);
        assert_eq!(outcome.map_err(|e| e.to_string()), Ok(Outcome::Quit));
        assert_eq!(ran.0, [Cmd::ReadRecent]);
    }
}
