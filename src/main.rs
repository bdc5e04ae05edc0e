use std::process::ExitCode;

// The proxy allocates small, short-lived buffers per request and per
// stream event; mimalloc serves those markedly faster than glibc malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ccswitch::cli::Cli::parse();
    let result = ccswitch::ctx::Ctx::system()
        .map_err(ccswitch::cli::CliError::from)
        .and_then(|ctx| ccswitch::cli::run(cli, &ctx, &mut std::io::stdout().lock()));
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("ccswitch: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
