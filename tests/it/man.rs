//! `ccswitch man`: ccswitch(1) with the sections a man page needs, a page
//! per command, every page a page names written, and what the page says
//! about the environment, files and TUI keys taken from the code.

use std::collections::BTreeSet;
use std::path::Path;

use ccswitch::i18n::Lang;
use clap::CommandFactory;

use super::env_reads::{USER_NAMED, scan, shipped};
use super::support::{Home, require_program};

/// The page as a reader sees its words: font changes and escapes gone.
fn plain(roff: &str) -> String {
    let mut out = roff
        .replace("\\fB", "")
        .replace("\\fI", "")
        .replace("\\fR", "")
        .replace("\\%", "")
        .replace("\\&", "")
        .replace("\\-", "-")
        .replace("\\*(Aq", "'");
    while let Some(at) = out.find("\\[u") {
        let end = at + out[at..].find(']').unwrap();
        let c = char::from_u32(u32::from_str_radix(&out[at + 3..end], 16).unwrap()).unwrap();
        out.replace_range(at..=end, &c.to_string());
    }
    out.replace("\\\\", "\\")
}

/// Each `.SH` section's name and raw lines, in order.
fn sections(roff: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in roff.lines() {
        if let Some(name) = line.strip_prefix(".SH ") {
            out.push((name.trim_matches('"').to_string(), String::new()));
        } else if let Some((_, body)) = out.last_mut() {
            body.push_str(line);
            body.push('\n');
        }
    }
    out
}

fn section(roff: &str, name: &str) -> String {
    let found = sections(roff).into_iter().find(|(n, _)| n == name);
    found
        .unwrap_or_else(|| panic!("no {name} section in:\n{roff}"))
        .1
}

/// `name(1)` references in `text` (plain).
fn refs(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in text.match_indices("(1)") {
        let head = &text[..at];
        let start = head
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .map_or(0, |i| i + 1);
        out.insert(head[start..].to_string());
    }
    out
}

/// Every visible command's page name, at any depth: what `--out` writes.
fn command_pages() -> BTreeSet<String> {
    fn walk(cmd: &clap::Command, name: &str, out: &mut BTreeSet<String>) {
        out.insert(name.to_string());
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, &format!("{name}-{}", sub.get_name()), out);
        }
    }
    let mut out = BTreeSet::new();
    walk(&ccswitch::cli::Cli::command(), "ccswitch", &mut out);
    out
}

fn main_page(home: &Home) -> String {
    home.run(&["man"]).ok().stdout.clone()
}

#[test]
fn the_main_page_has_every_section() {
    let page = main_page(&Home::new());
    let names: Vec<String> = sections(&page).into_iter().map(|(n, _)| n).collect();
    let want = [
        "NAME",
        "SYNOPSIS",
        "DESCRIPTION",
        "OPTIONS",
        "SUBCOMMANDS",
        "TUI KEYS",
        "EXIT STATUS",
        "ENVIRONMENT",
        "FILES",
        "SEE ALSO",
    ];
    let mut at = 0;
    for w in want {
        let found = names[at..].iter().position(|n| n == w);
        at += found.unwrap_or_else(|| panic!("{w} missing or out of order: {names:?}")) + 1;
        assert!(!section(&page, w).trim().is_empty(), "{w} is empty");
    }
    // One entry per visible command, its summary on one line.
    let subs = section(&page, "SUBCOMMANDS");
    let lines: Vec<&str> = subs.lines().collect();
    for cmd in ccswitch::cli::Cli::command().get_subcommands() {
        let tag = format!("ccswitch\\-{}(1)", cmd.get_name().replace('-', "\\-"));
        let n = lines.iter().filter(|l| **l == tag).count();
        assert_eq!(n, usize::from(!cmd.is_hide_set()), "{tag} in:\n{subs}");
    }
    assert!(
        !subs.contains("ccswitch\\-help(1)"),
        "no page for clap's help"
    );
    let entries = subs.split(".TP\n").skip(1);
    for e in entries {
        assert_eq!(e.lines().count(), 2, "one line each:\n{e}");
    }
    let exit = plain(&section(&page, "EXIT STATUS"));
    for code in ["0", "1", "2", "127"] {
        assert!(exit.lines().any(|l| l == code), "{code}:\n{exit}");
    }
    assert!(page.is_ascii(), "non-ASCII goes in as \\[uXXXX]");
}

/// `--out` writes one page per visible command and nothing else; printing
/// a page gives what was written; every page SUBCOMMANDS or SEE ALSO name
/// is among them.
#[test]
fn out_writes_every_page_the_pages_name() {
    let home = Home::new();
    let dir = home.path().join("man/man1");
    let printed = home
        .run(&["man", "--out", dir.to_str().unwrap()])
        .ok()
        .stdout
        .clone();
    let written: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    let want: BTreeSet<String> = command_pages().iter().map(|p| format!("{p}.1")).collect();
    assert_eq!(written, want);
    assert_eq!(printed.lines().count(), want.len(), "{printed}");
    for (args, file) in [
        (&["man"][..], "ccswitch.1"),
        (&["man", "run"], "ccswitch-run.1"),
        (&["man", "profile", "list"], "ccswitch-profile-list.1"),
        (&["man", "ccswitch-key-set"], "ccswitch-key-set.1"),
    ] {
        let page = std::fs::read_to_string(dir.join(file)).unwrap();
        assert_eq!(home.run(args).ok().stdout, page, "{args:?}");
    }
    for file in &written {
        let page = std::fs::read_to_string(dir.join(file)).unwrap();
        let see_also = refs(&plain(&section(&page, "SEE ALSO")));
        assert!(
            see_also.contains("ccswitch") || file == "ccswitch.1",
            "{file}"
        );
        let subs = sections(&page)
            .into_iter()
            .find(|(n, _)| n == "SUBCOMMANDS")
            .map(|(_, body)| refs(&plain(&body)))
            .unwrap_or_default();
        for name in see_also.iter().chain(&subs) {
            assert!(
                written.contains(&format!("{name}.1")),
                "{file} names {name}(1)"
            );
        }
    }
    let r = home.run(&["man", "no-such-command"]);
    r.fails(2);
    assert!(r.stderr.contains("no-such-command"), "{}", r.stderr);
}

/// Every variable a lookup in `src/` is called with, as `env_reads` finds
/// them, is in ENVIRONMENT.
#[test]
fn environment_names_every_variable_the_code_reads() {
    let reads = scan(&shipped());
    let stray: Vec<_> = reads
        .unnamed
        .iter()
        .filter(|(file, _, _)| !USER_NAMED.contains(&file.as_str()))
        .collect();
    assert!(
        stray.is_empty(),
        "reads whose variable the scan cannot name (use a literal or a const, \
         or add the file to USER_NAMED if the user names it): {stray:#?}"
    );
    // The scan finds reads in all their forms: a literal, a constant, a
    // list, a closure over the lookup, `std::env`.
    for name in [
        "CCSWITCH_HOME",
        "CCSWITCH_LANG",
        "USERPROFILE",
        "NO_COLOR",
        "ANTHROPIC_BASE_URL",
        "https_proxy",
        "CCSWITCH_SESSION_KEY",
        "CLAUDE_CODE_USE_BEDROCK",
        "ANTHROPIC_SMALL_FAST_MODEL",
    ] {
        assert!(reads.names.contains(name), "{name}: {:?}", reads.names);
    }
    let env = plain(&section(&main_page(&Home::new()), "ENVIRONMENT"));
    let word = |name: &str| {
        env.match_indices(name).any(|(at, _)| {
            let b = env.as_bytes();
            let edge = |c: u8| !(c.is_ascii_alphanumeric() || c == b'_');
            (at == 0 || edge(b[at - 1])) && b.get(at + name.len()).is_none_or(|&c| edge(c))
        })
    };
    let missing: Vec<&String> = reads.names.iter().filter(|n| !word(n)).collect();
    assert!(
        missing.is_empty(),
        "read but not in ENVIRONMENT: {missing:?}\n{env}"
    );
}

/// TUI KEYS is the help pop-up's text: every key and what it does.
#[test]
fn tui_keys_are_the_help_pop_ups() {
    let keys = plain(&section(&main_page(&Home::new()), "TUI KEYS"));
    let flat = keys.split_whitespace().collect::<Vec<_>>().join(" ");
    for on_form in [false, true] {
        let help = ccswitch::tui::view::help_text(on_form, Lang::En);
        for line in help.lines().filter(|l| !l.starts_with(' ')) {
            if let Some((key, what)) = line.split_once("  ") {
                assert!(
                    keys.lines().any(|l| l == key.trim()),
                    "key {key:?}:\n{keys}"
                );
                assert!(flat.contains(what.trim()), "{what:?}:\n{keys}");
            }
        }
    }
    assert!(keys.contains("resume a recent session"), "{keys}");
}

/// FILES has each file and folder `ccswitch paths` reports.
#[test]
fn files_names_everything_ccswitch_paths_reports() {
    let home = Home::new();
    let files = plain(&section(&main_page(&home), "FILES"));
    let paths: serde_json::Value =
        serde_json::from_str(&home.run(&["paths", "--json"]).ok().stdout).unwrap();
    for (what, path) in paths.as_object().unwrap() {
        let path = Path::new(path.as_str().unwrap());
        if path == home.path() {
            continue; // config_dir and data_dir: CONFIG and DATA
        }
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(
            files.contains(&format!("/{name}")),
            "{what} ({name}):\n{files}"
        );
    }
}

/// Every page renders without a groff warning (`-ww`: all of them).
#[test]
fn pages_render_without_warnings() {
    let groff = require_program("groff", "groff-base");
    let home = Home::new();
    let dir = home.path().join("man1");
    home.run(&["man", "--out", dir.to_str().unwrap()]).ok();
    for page in command_pages() {
        let file = dir.join(format!("{page}.1"));
        let out = std::process::Command::new(&groff)
            .args(["-man", "-Tutf8", "-ww", "-z"])
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && stderr.is_empty(),
            "{page}: {stderr}"
        );
    }
}
