//! `ccswitch doctor`: the checks (in `checks::doctor`) as a list with
//! marks and fixes, or JSON. Exit 1 when one failed.

use std::io::Write;

use super::args::JsonFlag;
use super::error::CliError;
use super::table::json;
use crate::checks::doctor::{self, Status};
use crate::ctx::Ctx;
use crate::t;

pub fn run(a: &JsonFlag, ctx: &Ctx, out: &mut dyn Write) -> Result<u8, CliError> {
    let checks = doctor::run(ctx);
    let failed = checks.iter().any(|c| c.status == Status::Fail);
    if a.json {
        json(out, &checks)?;
        return Ok(u8::from(failed));
    }
    writeln!(out, "{}", t!("doctor.title"))?;
    for c in &checks {
        let mark = match c.status {
            Status::Ok => "✓",
            Status::Warn => "!",
            Status::Fail => "✗",
        };
        writeln!(out, "  {mark} {:<16} {}", c.id, c.detail)?;
        if let Some(fix) = &c.fix
            && c.status != Status::Ok
        {
            writeln!(out, "    {:<16} {} {fix}", "", t!("doctor.fix"))?;
        }
    }
    let verdict = if failed {
        t!("doctor.failed")
    } else if checks.iter().any(|c| c.status == Status::Warn) {
        t!("doctor.warned")
    } else {
        t!("doctor.passed")
    };
    writeln!(out, "{verdict}")?;
    Ok(u8::from(failed))
}
