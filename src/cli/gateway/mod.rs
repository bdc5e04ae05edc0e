//! `ccswitch gateway …`: administer the team gateway's store (teams,
//! members, virtual keys). Serving members is `ccswitch serve`'s job; these
//! commands only read and write the store, which a running gateway may be
//! using at the same time.

mod args;
mod keys;
mod people;
mod show;

use std::io::Write;

pub use args::GatewayArgs;

use args::GatewayCmd;

use super::error::CliError;
use crate::ctx::Ctx;
use crate::gateway::store::{Store, StoreLocation};

pub fn run(args: GatewayArgs, ctx: &Ctx, out: &mut dyn Write) -> Result<(), CliError> {
    let location = match &args.store {
        Some(given) => StoreLocation::parse(given)?,
        None => StoreLocation::Sqlite(ctx.paths.gateway_db.clone()),
    };
    let now = (ctx.now)();
    // The store's API is async (a Postgres backend will need it); one
    // command needs no more than a thread.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let store = Store::open(&location, now).await?;
        match args.command {
            GatewayCmd::Team(cmd) => people::team(cmd, &store, now, out).await,
            GatewayCmd::Member(cmd) => people::member(cmd, &store, now, out).await,
            GatewayCmd::Key(cmd) => keys::run(cmd, &store, now, out).await,
        }
    })
}
