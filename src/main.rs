use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ccswitch::cli::Cli::parse();
    let result = ccswitch::cli::Ctx::system()
        .and_then(|ctx| ccswitch::cli::run(cli, &ctx, &mut std::io::stdout().lock()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ccswitch: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
