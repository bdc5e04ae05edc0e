//! The `ccswitch` binary: parses the command line, runs it in the system's
//! context, and turns the outcome into an exit code. It owns stdout: a
//! reader that leaves early (`| head`) ends the run quietly, as with `cat`.
//! Everything else lives in the library, where tests can reach it.

use std::process::ExitCode;

// The proxy allocates small, short-lived buffers per request and per
// stream event; mimalloc serves those markedly faster than glibc malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A shell asking for completions (TAB) gets them, and nothing else runs.
    ccswitch::cli::answer_completion_if_asked();
    // In the user's language: help, and why a command line is wrong.
    let cli = ccswitch::cli::parse();
    let mut out = ccswitch::cli::Output::new(std::io::stdout().lock());
    let result = ccswitch::ctx::Ctx::system()
        .map_err(ccswitch::cli::CliError::from)
        .and_then(|ctx| ccswitch::cli::run(cli, &ctx, &mut out));
    // The last line may still be buffered; a reader that left before it
    // is found here.
    let flushed = std::io::Write::flush(&mut out);
    let closed = out.closed();
    // A reader that went away (`| head`) is no failure: the error it caused
    // is not reported, as `cat` reports none.
    let result = match result.and_then(|code| match flushed {
        Err(e) if !closed => Err(e.into()),
        _ => Ok(code),
    }) {
        Err(_) if closed => Ok(0),
        other => other,
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("ccswitch: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
