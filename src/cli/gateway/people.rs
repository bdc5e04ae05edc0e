//! `ccswitch gateway team …` and `gateway member …`.

use std::io::Write;
use std::time::SystemTime;

use serde_json::json;

use super::args::{MemberCmd, TeamCmd};
use super::show::{budgets, rfc3339};
use crate::cli::error::CliError;
use crate::cli::table::{Table, json};
use crate::gateway::store::{KeyStatus, Store};
use crate::t;

pub async fn team(
    cmd: TeamCmd,
    store: &Store,
    now: SystemTime,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match cmd {
        TeamCmd::Add { name } => {
            let team = store.add_team(&name, now).await?;
            writeln!(out, "{}", t!("gateway.team_added", name = team.name))?;
        }
        TeamCmd::List { json: as_json } => {
            let teams = store.teams().await?;
            let members = store.members().await?;
            let count = |team: &str| members.iter().filter(|m| m.team == team).count();
            if as_json {
                let rows: Vec<_> = teams
                    .iter()
                    .map(|t| {
                        json!({
                            "name": t.name,
                            "members": count(&t.name),
                            "daily_usd": t.budgets.daily_usd,
                            "monthly_usd": t.budgets.monthly_usd,
                            "created": rfc3339(t.created_at),
                        })
                    })
                    .collect();
                return json(out, &rows);
            }
            if teams.is_empty() {
                writeln!(out, "{}", t!("gateway.teams_none"))?;
                return Ok(());
            }
            let mut table = Table::new(&[
                t!("gateway.col_team"),
                t!("gateway.col_members"),
                t!("gateway.col_budgets"),
            ]);
            for t in &teams {
                table.row(vec![
                    t.name.clone(),
                    count(&t.name).to_string(),
                    budgets(t.budgets),
                ]);
            }
            table.write(out)?;
        }
        TeamCmd::Budget { name, budgets: b } => {
            let team = store.set_team_budgets(&name, b.budgets()).await?;
            writeln!(
                out,
                "{}",
                t!(
                    "gateway.team_budget",
                    name = team.name,
                    budgets = budgets(team.budgets)
                )
            )?;
        }
    }
    Ok(())
}

pub async fn member(
    cmd: MemberCmd,
    store: &Store,
    now: SystemTime,
    out: &mut dyn Write,
) -> Result<(), CliError> {
    match cmd {
        MemberCmd::Add { name, team } => {
            let m = store.add_member(&name, &team, now).await?;
            writeln!(
                out,
                "{}",
                t!("gateway.member_added", name = m.name, team = m.team)
            )?;
        }
        MemberCmd::List { json: as_json } => {
            let members = store.members().await?;
            let keys = store.keys().await?;
            let live = |member: &str| {
                keys.iter()
                    .filter(|k| k.member == member && k.status(now) == KeyStatus::Active)
                    .count()
            };
            if as_json {
                let rows: Vec<_> = members
                    .iter()
                    .map(|m| {
                        json!({
                            "name": m.name,
                            "team": m.team,
                            "live_keys": live(&m.name),
                            "daily_usd": m.budgets.daily_usd,
                            "monthly_usd": m.budgets.monthly_usd,
                            "created": rfc3339(m.created_at),
                        })
                    })
                    .collect();
                return json(out, &rows);
            }
            if members.is_empty() {
                writeln!(out, "{}", t!("gateway.members_none"))?;
                return Ok(());
            }
            let mut table = Table::new(&[
                t!("gateway.col_member"),
                t!("gateway.col_team"),
                t!("gateway.col_keys"),
                t!("gateway.col_budgets"),
            ]);
            for m in &members {
                table.row(vec![
                    m.name.clone(),
                    m.team.clone(),
                    live(&m.name).to_string(),
                    budgets(m.budgets),
                ]);
            }
            table.write(out)?;
        }
        MemberCmd::Budget { name, budgets: b } => {
            let m = store.set_member_budgets(&name, b.budgets()).await?;
            writeln!(
                out,
                "{}",
                t!(
                    "gateway.member_budget",
                    name = m.name,
                    budgets = budgets(m.budgets)
                )
            )?;
        }
    }
    Ok(())
}
