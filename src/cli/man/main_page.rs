//! ccswitch(1): clap's NAME, SYNOPSIS, OPTIONS and SUBCOMMANDS, and what
//! `--help` has no room for: the TUI's keys (the help pop-up's own text),
//! exit status, environment and files (their names from `Paths`). What
//! the code already holds is taken from it, so the page cannot drift.

use std::io;
use std::path::Path;

use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};

use super::reference;
use super::roff::{NO_HYPHEN, ascii, section, see_also_section, source};
use crate::i18n::Lang;
use crate::paths::Paths;

/// The pages SEE ALSO names (`tests/it/man.rs` checks each is written).
const SEE_ALSO: &[&str] = &[
    "ccswitch-run",
    "ccswitch-serve",
    "ccswitch-profile",
    "ccswitch-provider",
    "ccswitch-key",
    "ccswitch-usage",
    "ccswitch-doctor",
    "ccswitch-paths",
];

pub(super) fn render(cmd: &clap::Command) -> io::Result<String> {
    let man = Man::new(cmd.clone()).source(source());
    let mut page = String::new();
    section(&mut page, |w| man.render_title(w))?;
    section(&mut page, |w| man.render_name_section(w))?;
    section(&mut page, |w| man.render_synopsis_section(w))?;
    section(&mut page, |w| description().to_writer(w))?;
    section(&mut page, |w| man.render_options_section(w))?;
    section(&mut page, |w| man.render_subcommands_section(w))?;
    section(&mut page, |w| tui_keys().to_writer(w))?;
    section(&mut page, |w| exit_status().to_writer(w))?;
    section(&mut page, |w| environment().to_writer(w))?;
    section(&mut page, |w| files().to_writer(w))?;
    section(&mut page, |w| man.render_version_section(w))?;
    section(&mut page, |w| see_also_section(SEE_ALSO).to_writer(w))?;
    Ok(ascii(&page))
}

/// A tagged paragraph: `tag` in bold, then what it is.
fn entry(roff: &mut Roff, tag: &str, text: &str) {
    roff.control("TP", []);
    roff.text([bold(tag)]);
    roff.text([roman(text)]);
}

/// An entry for variables: their names as the tag, ragged-right
/// (`.na`) and never hyphenated, since `ANTHROPIC_MODEL` split as
/// `AN-THROPIC_MODEL` is no longer its name.
fn vars_entry(roff: &mut Roff, names: &[&str], text: &str) {
    let names: Vec<String> = names.iter().map(|n| format!("{NO_HYPHEN}{n}")).collect();
    roff.control("TP", []);
    roff.control("na", []);
    roff.text([bold(names.join(", "))]);
    roff.control("ad", []);
    roff.text([roman(text)]);
}

fn description() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["DESCRIPTION"]);
    roff.text([roman(
        "ccswitch runs Claude Code (claude) on the model provider a profile names. \
         A provider is a connection: the API it speaks, its address, its key and network \
         options. A profile is what Claude Code runs with: a provider and models for \
         Claude Code's roles, any of them on another provider. A preset is built-in \
         knowledge about a provider: endpoints, models, limits, prices and quirks.",
    )]);
    roff.control("PP", []);
    roff.text([roman(
        "Where the provider does not speak Anthropic's API as Claude Code needs it, an \
         embedded proxy translates, for that one session: nothing global changes, and \
         Claude Code's own settings are never edited. Keys stay in the OS keyring (or \
         where the provider's key setting says) and out of claude's environment.",
    )]);
    roff.control("PP", []);
    roff.text([
        roman("With no command, in a terminal, ccswitch opens its interactive screen (see "),
        bold("TUI KEYS"),
        roman("). Every command has "),
        bold("--help"),
        roman(" and a page of its own, "),
        bold("ccswitch-"),
        italic("command"),
        roman("(1), which "),
        bold("ccswitch man "),
        italic("command"),
        roman(" prints."),
    ]);
    roff
}

/// The help pop-up's text (`tui::view::help_text`), in English.
fn tui_keys() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["TUI KEYS"]);
    roff.text([roman(
        "Run ccswitch with no arguments in a terminal. ? (F1 in a form) shows these keys.",
    )]);
    roff.control("SS", ["In the profile list"]);
    help_lines(&mut roff, &crate::tui::view::help_text(false, Lang::En));
    roff.control("SS", ["In a profile form"]);
    help_lines(&mut roff, &crate::tui::view::help_text(true, Lang::En));
    roff
}

/// The pop-up's lines as a tagged list: `Enter        launch …` is a key
/// and what it does, split at the first two spaces; an indented line goes
/// on with the one before; a blank line starts a paragraph of plain text.
fn help_lines(roff: &mut Roff, help: &str) {
    let mut items: Vec<(Option<&str>, String)> = Vec::new();
    for line in help.lines() {
        let last = items.last_mut();
        match line.split_once("  ") {
            _ if line.trim().is_empty() => items.push((None, String::new())),
            Some(("", more)) => {
                if let Some((_, text)) = last {
                    text.push(' ');
                    text.push_str(more.trim());
                }
            }
            Some((key, what)) => items.push((Some(key.trim()), what.trim().to_string())),
            None => match last {
                Some((None, text)) if !text.is_empty() => {
                    text.push(' ');
                    text.push_str(line.trim());
                }
                _ => items.push((None, line.trim().to_string())),
            },
        }
    }
    for (key, text) in &items {
        match key {
            Some(key) => entry(roff, key, text),
            None if text.is_empty() => {
                roff.control("PP", []);
            }
            None => {
                roff.text([roman(text.as_str())]);
            }
        }
    }
}

fn exit_status() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (code, what) in [
        ("0", "Success."),
        (
            "1",
            "A failure other than a usage error: the keyring, a file, the network; \
             ccswitch test and ccswitch doctor when a check fails.",
        ),
        (
            "2",
            "A usage or configuration error: bad arguments, an invalid config.toml; \
             ccswitch with no command when standard input or output is not a terminal.",
        ),
        ("127", "claude was not found."),
    ] {
        entry(&mut roff, code, what);
    }
    roff.control("PP", []);
    roff.text([roman(
        "ccswitch run, and a launch from the interactive screen, exit with claude's own \
         status: 128+N when claude died of signal N.",
    )]);
    roff
}

/// Every variable ccswitch reads (`tests/it/man.rs` finds them in the
/// code), and the ones it gives claude that a user may meet.
fn environment() -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["ENVIRONMENT"]);
    roff.control("SS", ["Read by ccswitch"]);
    for (names, what) in reference::READ {
        vars_entry(&mut roff, names, what);
    }
    roff.control("PP", []);
    roff.text([roman(reference::USER_NAMED)]);
    roff.control("SS", ["Set for claude by ccswitch run"]);
    for (names, what) in reference::SET {
        vars_entry(&mut roff, names, what);
    }
    roff.control("PP", []);
    roff.text([roman(
        "The profile's env table is set last, as written. The README's \"What Claude \
         Code gets\" says why each variable is set.",
    )]);
    roff
}

fn files() -> Roff {
    const CONFIG: &str = "CONFIG";
    const DATA: &str = "DATA";
    let mut roff = Roff::new();
    roff.control("SH", ["FILES"]);
    roff.text([
        bold("ccswitch paths"),
        roman(" prints where they are on this machine. "),
        italic(CONFIG),
        roman(" and "),
        italic(DATA),
        roman(" are ccswitch's two folders:"),
    ]);
    for (platform, dirs) in [
        (
            "Linux",
            "CONFIG is ~/.config/ccswitch, DATA ~/.local/share/ccswitch \
             (under $XDG_CONFIG_HOME and $XDG_DATA_HOME when set).",
        ),
        ("macOS", "Both are ~/Library/Application Support/ccswitch."),
        (
            "Windows",
            "CONFIG is %APPDATA%\\ccswitch\\config, DATA %APPDATA%\\ccswitch\\data.",
        ),
        ("$CCSWITCH_HOME", "When set, both are that folder."),
    ] {
        entry(&mut roff, platform, dirs);
    }
    roff.control("PP", []);
    let p = Paths::split(Path::new(CONFIG), Path::new(DATA));
    for (tag, what) in reference::files(&p) {
        entry(&mut roff, &tag, &what);
    }
    for (tag, what) in reference::ELSEWHERE {
        entry(&mut roff, tag, what);
    }
    roff
}
