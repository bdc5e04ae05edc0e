//! `ccswitch man`: the manual pages, made from the clap definitions so they
//! cannot drift from `--help`. Every visible command at any depth gets a
//! page of its own (ccswitch-profile-list(1)), since the SUBCOMMANDS
//! sections name those; ccswitch(1) adds what `--help` has no room for
//! (`main_page.rs`). English, as `--help` is, whatever the message
//! language: a page mixing the two would serve neither reader.

mod main_page;
mod reference;
mod roff;

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use clap_mangen::Man;

use super::error::CliError;
use crate::t;
use roff::{ascii, section, see_also_section, source};

#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (`run`, `profile list`); without
    /// one, ccswitch's own page.
    #[arg(value_name = "COMMAND", conflicts_with = "out")]
    pub command: Vec<String>,
    #[arg(help = crate::i18n::text("help.arg.man_out"), long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// One page: its name (`ccswitch-profile-list`) and its roff source.
struct ManPage {
    name: String,
    roff: String,
}

/// `cli` is ccswitch's command line as clap defines it.
pub fn run(args: &ManArgs, cli: clap::Command, out: &mut dyn Write) -> Result<(), CliError> {
    let pages = pages(cli)?;
    if let Some(dir) = &args.out {
        return write_all(&pages, dir, out);
    }
    let wanted = page_name(&args.command);
    let page = pages
        .iter()
        .find(|p| p.name == wanted)
        .ok_or_else(|| CliError::Usage(t!("cli.man_unknown", name = args.command.join(" "))))?;
    out.write_all(page.roff.as_bytes())?;
    Ok(())
}

/// `run`, `profile list`, `profile-list` and `ccswitch-profile-list` all
/// name the page `ccswitch-profile-list`; nothing names `ccswitch`.
fn page_name(words: &[String]) -> String {
    let joined = words.join("-");
    if joined.is_empty() || joined == "ccswitch" || joined.starts_with("ccswitch-") {
        return if joined.is_empty() {
            "ccswitch".to_string()
        } else {
            joined
        };
    }
    format!("ccswitch-{joined}")
}

fn write_all(pages: &[ManPage], dir: &Path, out: &mut dyn Write) -> Result<(), CliError> {
    let failed = |path: &Path, e: io::Error| {
        CliError::Failed(t!("config.io", path = path.display(), error = e))
    };
    std::fs::create_dir_all(dir).map_err(|e| failed(dir, e))?;
    let mut written = Vec::new();
    for page in pages {
        let path = dir.join(format!("{}.1", page.name));
        std::fs::write(&path, &page.roff).map_err(|e| failed(&path, e))?;
        written.push(path);
    }
    // Printed once all are written: a reader that stops early (`| head`)
    // ends the printing, not the writing.
    for path in written {
        writeln!(out, "{}", path.display())?;
    }
    Ok(())
}

/// ccswitch(1) first, then each visible command's page, parents before
/// their children.
fn pages(cli: clap::Command) -> io::Result<Vec<ManPage>> {
    // clap's `help` command is no page of ours; `build` gives each command
    // its full name (`ccswitch profile list`) for its SYNOPSIS.
    let mut cmd = cli.disable_help_subcommand(true);
    cmd.build();
    let mut pages = vec![ManPage {
        name: "ccswitch".to_string(),
        roff: main_page::render(&cmd)?,
    }];
    for sub in visible(&cmd) {
        add_pages(sub, "ccswitch", &mut pages)?;
    }
    Ok(pages)
}

fn add_pages(cmd: &clap::Command, parent: &str, pages: &mut Vec<ManPage>) -> io::Result<()> {
    let name = format!("{parent}-{}", cmd.get_name());
    let man = Man::new(cmd.clone()).title(&name).source(source());
    let mut page = String::new();
    section(&mut page, |w| man.render(w))?;
    let mut see_also = vec!["ccswitch"];
    if parent != "ccswitch" {
        see_also.push(parent);
    }
    section(&mut page, |w| see_also_section(&see_also).to_writer(w))?;
    pages.push(ManPage {
        name: name.clone(),
        roff: ascii(&page),
    });
    for sub in visible(cmd) {
        add_pages(sub, &name, pages)?;
    }
    Ok(())
}

/// The commands that get pages: what `--help` lists.
fn visible(cmd: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    cmd.get_subcommands().filter(|s| !s.is_hide_set())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_words_name_pages() {
        let words = |w: &[&str]| page_name(&w.iter().map(ToString::to_string).collect::<Vec<_>>());
        assert_eq!(words(&[]), "ccswitch");
        assert_eq!(words(&["ccswitch"]), "ccswitch");
        assert_eq!(words(&["run"]), "ccswitch-run");
        assert_eq!(words(&["profile", "list"]), "ccswitch-profile-list");
        assert_eq!(words(&["profile-list"]), "ccswitch-profile-list");
        assert_eq!(words(&["ccswitch-profile-list"]), "ccswitch-profile-list");
    }
}
