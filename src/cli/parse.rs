//! The command line parsed in the user's language. The help texts are
//! catalog entries already (`help.*`, read by the derive); this adds
//! clap's own words, which clap only has in English: the `Usage:`,
//! `Commands:`, `Arguments:` and `Options:` headings, `Print help` and
//! `Print version`, `[default: …]` and `[possible values: …]`, and its
//! parse errors (`parse_error`). In English nothing is changed, so the
//! output stays clap's, byte for byte.

use std::ffi::OsString;

use clap::builder::StyledStr;
use clap::{Arg, ArgAction, Command, CommandFactory, FromArgMatches};

use super::args::Cli;
use super::parse_error::{self, styled, usage_line};
use crate::i18n::{Lang, fill, lang, text};

/// This process's command line; a bad one ends the process, as clap's
/// `Cli::parse` does, after saying why in the user's language.
pub fn parse() -> Cli {
    parse_from(std::env::args_os())
}

/// `args` (the program name first) parsed, or the process ended.
pub fn parse_from<I, T>(args: I) -> Cli
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // `ccswitch --resume ID -- CLAUDE_ARGS`: claude's part is split off
    // here, not a positional of the top level, which would change every
    // other command's usage line and have clap suggest `-- --typo`.
    let mut claude_args = Vec::new();
    if args.get(1).is_some_and(|a| a == "--resume")
        && let Some(dash) = args.iter().position(|a| a == "--")
    {
        claude_args = args
            .split_off(dash)
            .into_iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
    }
    let parsed = definition()
        .try_get_matches_from(args)
        .and_then(|mut m| Cli::from_arg_matches_mut(&mut m));
    match parsed {
        Ok(mut cli) => {
            cli.claude_args = claude_args;
            cli
        }
        Err(e) if lang() == Lang::En || !parse_error::translated(e.kind()) => e.exit(),
        Err(e) => e.apply::<parse_error::Translated>().exit(),
    }
}

/// Answer a shell's completion request and exit, when this run is one
/// (the variable set by the script `ccswitch completions` prints);
/// otherwise return at once.
pub fn answer_completion_if_asked() {
    clap_complete::CompleteEnv::with_factory(definition)
        .var(super::complete::VAR)
        .complete();
}

/// The command line's definition, with clap's own words in the user's
/// language.
pub fn definition() -> Command {
    let mut cmd = Cli::command();
    if lang() != Lang::En {
        // Built, so the `--help`, `--version` and `help` that clap adds
        // are there to be given their words.
        cmd.build();
        localize(&mut cmd);
    }
    cmd
}

fn localize(cmd: &mut Command) {
    let mut c = std::mem::take(cmd).mut_args(localize_arg);
    if c.get_subcommands().any(|s| s.get_name() == "help") {
        c = c.mut_subcommand("help", |h| h.about(text("clap.help_command")));
    }
    let template = template(&c);
    *cmd = c.help_template(template);
    for sub in cmd.get_subcommands_mut() {
        localize(sub);
    }
}

/// Help for clap's own flags, and an argument's default and possible
/// values said in the help text instead of by clap.
fn localize_arg(a: Arg) -> Arg {
    match a.get_action() {
        ArgAction::Help | ArgAction::HelpShort | ArgAction::HelpLong => {
            return a.help(text("clap.help_flag"));
        }
        ArgAction::Version => return a.help(text("clap.version_flag")),
        _ => {}
    }
    let mut said: Vec<String> = a.get_help().map(ToString::to_string).into_iter().collect();
    let takes_values = a.get_action().takes_values();
    let defaults: Vec<String> = a
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if takes_values && !a.is_hide_default_value_set() && !defaults.is_empty() {
        said.push(fill(
            text("clap.default"),
            &[("value", &defaults.join(" "))],
        ));
    }
    let values: Vec<String> = a
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !a.is_hide_possible_values_set() && !values.is_empty() {
        said.push(fill(
            text("clap.possible_values"),
            &[("values", &values.join(", "))],
        ));
    }
    a.hide_default_value(true)
        .hide_possible_values(true)
        .help(said.join(" "))
}

/// clap's layout, with the catalog's headings: the usage line, then the
/// sections the command has, in clap's order.
fn template(cmd: &Command) -> StyledStr {
    let styles = cmd.get_styles();
    let heading = |key: &str| styled(styles.get_header(), text(key));
    let mut sections = Vec::new();
    // As clap decides: `help` alone is no reason for a Commands section.
    if cmd
        .get_subcommands()
        .any(|s| s.get_name() != "help" && !s.is_hide_set())
    {
        sections.push(format!("{}\n{{subcommands}}", heading("clap.commands")));
    }
    let shown = |a: &&Arg| !a.is_hide_set();
    if cmd.get_positionals().any(|a| shown(&a)) {
        sections.push(format!("{}\n{{positionals}}", heading("clap.arguments")));
    }
    if cmd
        .get_arguments()
        .filter(|a| !a.is_positional())
        .any(|a| shown(&a))
    {
        sections.push(format!("{}\n{{options}}", heading("clap.options")));
    }
    // `{usage}` is clap's tag for the usage itself.
    let mut t = format!(
        "{{before-help}}{{about-with-newline}}\n{}",
        usage_line(styles.get_usage(), "{usage}")
    );
    if !sections.is_empty() {
        t.push_str("\n\n");
        t.push_str(&sections.join("\n\n"));
    }
    t.push_str("{after-help}");
    StyledStr::from(t)
}
