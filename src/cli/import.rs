//! `ccswitch import`: find an existing setup (or read the file given), show
//! what it becomes, and add it (see `crate::import`).

use std::io::Write;

use super::args::ImportArgs;
use super::error::CliError;
use crate::config;
use crate::config::text::one_line;
use crate::ctx::Ctx;
use crate::import::{self, apply, merge, summary};
use crate::t;

pub fn run(a: &ImportArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    let (cfg, presets) = config::load(&ctx.paths)?;
    let sources = match &a.from {
        Some(path) => vec![import::from_file(path, &presets)?],
        None => import::detect(ctx, a.keep_env, &presets),
    };
    let (labels, all) = merge(ctx, sources, &cfg, &presets, &a.key_vars);
    if all.is_empty() && all.skipped.is_empty() && all.known.is_empty() {
        let home = crate::paths::home_dir(&*ctx.env).unwrap_or_default();
        let nothing = match &a.from {
            Some(path) => t!("import.nothing_in", path = path.display()),
            None => t!(
                "import.nothing",
                settings = import::settings_file(ctx, &home).display(),
                ccr = import::ccr_file(&home).display(),
                ccswitch = import::ccswitch_dir(ctx, &home).display()
            ),
        };
        writeln!(out, "{nothing}")?;
        return Ok(());
    }
    for line in summary(&labels, &all) {
        writeln!(out, "{line}")?;
    }
    if a.dry_run && all.is_empty() {
        // Everything found is there already: no empty "would add" block.
        writeln!(out, "{}", t!("import.nothing_new"))?;
        return Ok(());
    }
    if a.dry_run {
        // What would be written, but for passwords in URLs: the config
        // keeps them, the terminal (and its scrollback) does not get them.
        let mut doc = toml_edit::DocumentMut::new();
        all.without_passwords().write(&mut doc)?;
        let path = ctx.paths.config_file.display();
        let text: Vec<String> = doc.to_string().lines().map(one_line).collect();
        let text = text.join("\n");
        writeln!(
            out,
            "\n{}\n\n{}",
            t!("import.dry_run", path = path),
            text.trim_start()
        )?;
        return Ok(());
    }
    if all.is_empty() {
        writeln!(out, "{}", t!("import.nothing_new"))?;
    } else {
        writeln!(out, "{}", apply(ctx, &all)?)?;
    }
    Ok(())
}
