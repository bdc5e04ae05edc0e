//! Shell completion: clap_complete's dynamic completions. The script
//! `ccswitch completions SHELL` prints calls back into ccswitch at each
//! TAB (`COMPLETE=SHELL ccswitch -- WORDS`), so profile names come from
//! the config as it is then, not as it was when the script was made.

use std::ffi::OsStr;
use std::io::Write;

use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

/// The variable the registration scripts set when they call back (the
/// answer is `parse::answer_completion_if_asked`).
pub const VAR: &str = "COMPLETE";

/// What `ccswitch completions SHELL` prints: the script that registers
/// ccswitch's completions with that shell.
pub fn registration(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    let completer: &dyn EnvCompleter = match shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Zsh => &Zsh,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::PowerShell => &Powershell,
        _ => &Elvish,
    };
    // Written to memory first: a closed pipe fails our write, not theirs.
    let mut script = Vec::new();
    completer.write_registration(VAR, "ccswitch", "ccswitch", "ccswitch", &mut script)?;
    out.write_all(&script)
}

/// A profile argument completes to the config's profile names.
pub fn profiles() -> ArgValueCompleter {
    ArgValueCompleter::new(profile_names)
}

fn profile_names(current: &OsStr) -> Vec<CompletionCandidate> {
    let Some(current) = current.to_str() else {
        return Vec::new();
    };
    // A TAB must never fail loudly: no config, no candidates.
    let Ok(ctx) = crate::ctx::Ctx::system() else {
        return Vec::new();
    };
    let Ok((cfg, _)) = crate::config::load(&ctx.paths) else {
        return Vec::new();
    };
    cfg.profiles
        .values()
        .filter(|p| p.name.starts_with(current))
        .map(|p| {
            let c = CompletionCandidate::new(&p.name);
            match &p.description {
                Some(d) => c.help(Some(d.clone().into())),
                None => c,
            }
        })
        .collect()
}
