//! `ccswitch gateway …` as clap parses it.

use std::time::Duration;

use clap::{Args, Subcommand};

use crate::i18n::text;
use crate::t;

#[derive(Debug, Args)]
pub struct GatewayArgs {
    // A file path or a `postgres://` URL: `StoreLocation::parse` tells.
    #[arg(help = text("help.arg.gateway_store"), long, value_name = "STORE", global = true)]
    pub store: Option<String>,
    #[command(subcommand)]
    pub command: GatewayCmd,
}

#[derive(Debug, Subcommand)]
pub enum GatewayCmd {
    #[command(about = text("help.gateway_team"), subcommand)]
    Team(TeamCmd),
    #[command(about = text("help.gateway_member"), subcommand)]
    Member(MemberCmd),
    #[command(about = text("help.gateway_key"), subcommand)]
    Key(GatewayKeyCmd),
}

#[derive(Debug, Subcommand)]
pub enum TeamCmd {
    #[command(about = text("help.gateway_team_add"))]
    Add {
        #[arg(help = text("help.arg.gateway_team_name"))]
        name: String,
    },
    #[command(about = text("help.gateway_team_list"), alias = "ls")]
    List {
        #[arg(help = text("help.arg.json"), long)]
        json: bool,
    },
    #[command(about = text("help.gateway_team_budget"))]
    Budget {
        #[arg(help = text("help.arg.gateway_team_name"))]
        name: String,
        #[command(flatten)]
        budgets: BudgetArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCmd {
    #[command(about = text("help.gateway_member_add"))]
    Add {
        #[arg(help = text("help.arg.gateway_member_name"))]
        name: String,
        #[arg(help = text("help.arg.gateway_member_team"), long)]
        team: String,
    },
    #[command(about = text("help.gateway_member_list"), alias = "ls")]
    List {
        #[arg(help = text("help.arg.json"), long)]
        json: bool,
    },
    #[command(about = text("help.gateway_member_budget"))]
    Budget {
        #[arg(help = text("help.arg.gateway_member_name"))]
        name: String,
        #[command(flatten)]
        budgets: BudgetArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum GatewayKeyCmd {
    #[command(about = text("help.gateway_key_issue"))]
    Issue(IssueArgs),
    #[command(about = text("help.gateway_key_list"), alias = "ls")]
    List {
        #[arg(help = text("help.arg.json"), long)]
        json: bool,
    },
    #[command(about = text("help.gateway_key_revoke"))]
    Revoke {
        #[arg(help = text("help.arg.gateway_key_prefix"))]
        prefix: String,
    },
    #[command(about = text("help.gateway_key_rotate"))]
    Rotate {
        #[arg(help = text("help.arg.gateway_key_prefix"))]
        prefix: String,
    },
}

#[derive(Debug, Args)]
pub struct IssueArgs {
    #[arg(help = text("help.arg.gateway_key_member"), long)]
    pub member: String,
    #[arg(help = text("help.arg.gateway_key_profile"), long = "profile", value_name = "PROFILE")]
    pub profiles: Vec<String>,
    #[command(flatten)]
    pub budgets: BudgetArgs,
    #[arg(help = text("help.arg.gateway_key_rpm"), long, value_name = "N")]
    pub rpm: Option<u32>,
    #[arg(help = text("help.arg.gateway_key_tpm"), long, value_name = "N")]
    pub tpm: Option<u64>,
    #[arg(
        help = text("help.arg.gateway_key_expires"),
        long,
        value_name = "SPAN",
        value_parser = span
    )]
    pub expires: Option<Duration>,
}

/// A key's, member's or team's budgets; one left out is no cap.
#[derive(Debug, Args)]
pub struct BudgetArgs {
    // Negative amounts parse, so the store's check can say what is wrong
    // with them rather than clap taking `-3` for an option.
    #[arg(
        help = text("help.arg.gateway_key_daily"),
        long,
        value_name = "USD",
        allow_negative_numbers = true
    )]
    pub daily_usd: Option<f64>,
    #[arg(
        help = text("help.arg.gateway_key_monthly"),
        long,
        value_name = "USD",
        allow_negative_numbers = true
    )]
    pub monthly_usd: Option<f64>,
}

impl BudgetArgs {
    pub fn budgets(&self) -> crate::gateway::store::Budgets {
        crate::gateway::store::Budgets {
            daily_usd: self.daily_usd,
            monthly_usd: self.monthly_usd,
        }
    }
}

/// `--expires 30d`: a positive span.
fn span(given: &str) -> Result<Duration, String> {
    humantime::parse_duration(given)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| t!("gateway.bad_expires", value = given))
}
