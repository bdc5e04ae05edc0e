//! The command line: clap definitions and dispatch. Output for people goes to
//! stdout as plain tables; `--json` gives data; errors go to stderr.

mod args;
mod complete;
mod context;
mod doctor;
mod error;
mod gateway;
mod import;
mod info;
mod key;
mod launch;
mod man;
mod output;
mod parse;
mod parse_error;
mod profile;
mod prompt;
mod provider;
mod route;
mod search;
mod serve;
mod statusline;
mod table;
mod usage;
mod usage_gateway;

use std::io::Write;

pub use args::*;
pub use error::CliError;
pub use output::Output;
pub use parse::{answer_completion_if_asked, definition, parse, parse_from};

use crate::ctx::Ctx;
use crate::t;
use crate::tui::Outcome;

/// Run a command; the result is the process exit code.
pub fn run(cli: Cli, ctx: &Ctx, out: &mut dyn Write) -> Result<u8, CliError> {
    if let Some(id) = cli.resume {
        if cli.command.is_some() {
            return Err(CliError::Usage(t!("cli.resume_alone")));
        }
        return launch::resume(ctx, id, cli.claude_args);
    }
    let Some(command) = cli.command else {
        return tui_loop(ctx);
    };
    match command {
        Command::Run(a) => return launch::run(a, ctx),
        Command::Test(a) => return launch::test(a, ctx, out),
        Command::Doctor(a) => return doctor::run(&a, ctx, out),
        Command::Search(cmd) => return search::run(cmd, ctx, out),
        Command::Profile(cmd) => profile::run(cmd, ctx, out)?,
        Command::Provider(cmd) => provider::run(cmd, ctx, out)?,
        Command::Key(cmd) => key::run(cmd, ctx, out)?,
        Command::Presets(a) => info::presets(ctx, a.json, out)?,
        Command::Paths(a) => info::paths(ctx, a.json, out)?,
        Command::Config(cmd) => info::config(cmd, ctx, out)?,
        Command::Serve(args) => serve::run(args, ctx, out)?,
        Command::Gateway(args) => gateway::run(args, ctx, out)?,
        Command::Env(a) => launch::env(a, ctx, out)?,
        Command::Usage(a) => match &a.gateway {
            Some(store) => usage_gateway::run(&a, store.as_deref(), ctx, out)?,
            None => usage::run(&a, ctx, out)?,
        },
        Command::Route(RouteCmd::Explain(a)) => route::explain(&a, ctx, out)?,
        Command::Import(a) => import::run(&a, ctx, out)?,
        Command::Completions(a) => complete::registration(a.shell, out)?,
        Command::Man(a) => man::run(&a, definition(), out)?,
        Command::Statusline => statusline::run(ctx, &mut std::io::stdin().lock(), out)?,
        Command::Guard(a) => {
            return Ok(crate::launch::child::guard(a.parent, &a.program, &a.args));
        }
        Command::KeyHelper => return launch::key_helper(ctx, out),
    }
    Ok(0)
}

/// The TUI, and the sessions launched from it. The screen says what to do
/// next; acting on it is the command line's job. After claude exits, Enter
/// goes back to the list (on the profile just used) and `q` ends ccswitch
/// with claude's exit code, as `ccswitch run` would.
fn tui_loop(ctx: &Ctx) -> Result<u8, CliError> {
    let mut at = None;
    loop {
        let (name, args) = match crate::tui::run_at(ctx, at.take())? {
            Outcome::Quit => return Ok(0),
            Outcome::Launch(name, args) => (name, args),
        };
        let code = launch::run_profile(ctx, name.clone(), args)?;
        if !prompt::back_to_list()? {
            return Ok(code);
        }
        at = Some(name);
    }
}
