//! `ccswitch presets`, `ccswitch paths`, `ccswitch config ...`

use std::io::Write;

use crate::config::{self, Presets};
use crate::{t, tn};

use super::args::ConfigCmd;
use super::error::CliError;
use super::table::{Table, json};
use crate::ctx::Ctx;

pub fn presets(ctx: &Ctx, as_json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let presets = Presets::load(&ctx.paths.presets_file)?;
    if as_json {
        let all: Vec<_> = presets
            .iter()
            .map(|p| {
                let mut v = serde_json::to_value(p).unwrap_or_default();
                v["id"] = p.id.clone().into();
                v
            })
            .collect();
        return json(out, &all);
    }
    let mut table = Table::new(&[
        t!("presets.col_preset"),
        t!("presets.col_name"),
        t!("presets.col_api"),
        t!("presets.col_other_apis"),
        t!("presets.col_local"),
        t!("presets.col_base_url"),
    ]);
    for p in presets.iter() {
        let others: Vec<String> = p
            .apis()
            .filter(|a| *a != p.api)
            .map(|a| a.to_string())
            .collect();
        let url = p
            .endpoint(p.api)
            .and_then(|e| {
                e.base_url
                    .clone()
                    .or_else(|| e.region.as_ref().map(|r| format!("region {r}")))
            })
            .unwrap_or_else(|| t!("presets.url_required"));
        table.row(vec![
            p.id.clone(),
            p.name.clone(),
            p.api.to_string(),
            if others.is_empty() {
                "-".into()
            } else {
                others.join(",")
            },
            if p.local {
                t!("word.yes")
            } else {
                String::new()
            },
            url,
        ]);
    }
    table.write(out)?;
    Ok(())
}

pub fn paths(ctx: &Ctx, as_json: bool, out: &mut dyn Write) -> Result<(), CliError> {
    let p = &ctx.paths;
    if as_json {
        return json(out, p);
    }
    let mut table = Table::new(&[t!("paths.col_what"), t!("paths.col_path")]);
    for (what, path) in [
        ("config", &p.config_file),
        ("presets", &p.presets_file),
        ("credentials", &p.credentials_file),
        ("state", &p.state_file),
        ("config dir", &p.config_dir),
        ("data dir", &p.data_dir),
        ("logs", &p.log_dir),
        ("usage", &p.usage_db),
        ("audit", &p.audit_dir),
        ("circuits", &p.circuits_file),
        ("gateway", &p.gateway_db),
    ] {
        table.row(vec![what.to_string(), path.display().to_string()]);
    }
    table.write(out)?;
    Ok(())
}

pub fn config(cmd: ConfigCmd, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    match cmd {
        ConfigCmd::Example => {
            out.write_all(config::EXAMPLE.as_bytes())?;
            Ok(())
        }
        ConfigCmd::Check => {
            let (cfg, _) = config::load(&ctx.paths)?;
            writeln!(
                out,
                "{}",
                t!(
                    "config.ok",
                    path = ctx.paths.config_file.display(),
                    providers = tn!("count.providers", n = cfg.providers.len()),
                    profiles = tn!("count.profiles", n = cfg.profiles.len())
                )
            )?;
            Ok(())
        }
    }
}
