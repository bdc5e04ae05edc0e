//! The command line: clap definitions and dispatch. Output for people goes to
//! stdout as plain tables; `--json` gives data; errors go to stderr.

mod args;
mod context;
mod doctor;
mod error;
mod import;
mod info;
mod key;
mod launch;
mod man;
mod output;
mod profile;
mod prompt;
mod provider;
mod route;
mod search;
mod serve;
mod statusline;
mod table;
mod usage;

use std::io::Write;

pub use args::*;
pub use error::CliError;
pub use output::Output;

use crate::ctx::Ctx;
use crate::tui::Outcome;

/// Run a command; the result is the process exit code.
pub fn run(cli: Cli, ctx: &Ctx, out: &mut dyn Write) -> Result<u8, CliError> {
    let Some(command) = cli.command else {
        // The screen says what to do next; acting on it is the command line's job.
        return match crate::tui::run(ctx)? {
            Outcome::Quit => Ok(0),
            Outcome::Launch(name, args) => launch::run_profile(ctx, name, args),
        };
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
        Command::Env(a) => launch::env(a, ctx, out)?,
        Command::Usage(a) => usage::run(&a, ctx, out)?,
        Command::Route(RouteCmd::Explain(a)) => route::explain(&a, ctx, out)?,
        Command::Import(a) => import::run(&a, ctx, out)?,
        Command::Completions(a) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            // clap_complete panics when its writes fail (a closed pipe):
            // it writes to memory, and the write that can fail is ours.
            let mut script = Vec::new();
            clap_complete::generate(a.shell, &mut cmd, "ccswitch", &mut script);
            out.write_all(&script)?;
        }
        Command::Man(a) => man::run(&a, <Cli as clap::CommandFactory>::command(), out)?,
        Command::Statusline => statusline::run(ctx, &mut std::io::stdin().lock(), out)?,
        Command::Guard(a) => {
            return Ok(crate::launch::child::guard(a.parent, &a.program, &a.args));
        }
        Command::KeyHelper => return launch::key_helper(ctx, out),
    }
    Ok(0)
}
