//! claude as ccswitch's child: the signals ccswitch takes while it runs,
//! dying with ccswitch, and passing its end on (exit code, or the signal
//! that killed it) with the terminal as it was.

use std::ffi::OsString;
use std::path::Path;
use std::process::ExitStatus;

use super::error::LaunchError;
use crate::t;

/// The hidden subcommand that becomes claude (see [`command`]).
pub const GUARD: &str = "__guard";

/// Signal handlers, installed before anything that must be cleaned up
/// exists (the proxy, the session folder): a SIGTERM in that window would
/// otherwise kill ccswitch without running any destructor.
pub struct Signals {
    #[cfg(unix)]
    streams: [tokio::signal::unix::Signal; 5],
    /// A console's Ctrl-C and Ctrl-Break reach every process attached to
    /// it: claude takes them (Ctrl-C interrupts a turn), ccswitch must not
    /// die of them with the proxy under a running session.
    #[cfg(windows)]
    console: (
        tokio::signal::windows::CtrlC,
        tokio::signal::windows::CtrlBreak,
    ),
}

impl Signals {
    pub fn install() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Signals {
                streams: [
                    signal(SignalKind::interrupt())?,
                    signal(SignalKind::quit())?,
                    signal(SignalKind::terminate())?,
                    signal(SignalKind::hangup())?,
                    // claude stopped (Ctrl-Z) or ended.
                    signal(SignalKind::child())?,
                ],
            })
        }
        #[cfg(windows)]
        {
            end_with_ccswitch();
            Ok(Signals {
                console: (
                    tokio::signal::windows::ctrl_c()?,
                    tokio::signal::windows::ctrl_break()?,
                ),
            })
        }
        #[cfg(not(any(unix, windows)))]
        Ok(Signals {})
    }
}

/// Windows: put ccswitch in a Job Object that kills every process in it
/// when its last handle closes, which is when ccswitch exits, however it
/// ends. claude and what it starts (`claude.cmd` is cmd.exe running node)
/// join the job when they start, so there is no window in which a child is
/// outside it. The handle is kept open on purpose: closing it is the kill.
/// Failing (an old Windows without nested jobs) only loses the guarantee.
#[cfg(windows)]
fn end_with_ccswitch() {
    let job = win32job::Job::create().and_then(|job| {
        let mut info = job.query_extended_limit_info()?;
        info.limit_kill_on_job_close();
        job.set_extended_limit_info(&info)?;
        job.assign_current_process()?;
        Ok(job)
    });
    if let Ok(job) = job {
        let _ = job.into_handle();
    }
}

/// The command that runs claude. On Linux it goes through ccswitch itself
/// ([`guard`]), which asks the kernel to end it when ccswitch dies (a
/// SIGKILL or an OOM kill runs no cleanup) and then becomes claude, same
/// pid. Elsewhere claude is started directly: macOS has no parent-death
/// signal, and on Windows the Job Object ccswitch puts itself in
/// ([`Signals::install`]) does the same job.
pub fn command(claude: &Path) -> tokio::process::Command {
    #[cfg(target_os = "linux")]
    if let Ok(me) = std::env::current_exe() {
        let mut cmd = tokio::process::Command::new(me);
        // `--` so that nothing of claude's arguments is read as ours.
        cmd.arg(GUARD)
            .arg(std::process::id().to_string())
            .arg(claude)
            .arg("--");
        return cmd;
    }
    tokio::process::Command::new(claude)
}

/// `ccswitch __guard PARENT PROGRAM ARGS...`: set the parent-death signal,
/// then exec PROGRAM. Only returns (with an exit code) when that fails.
///
/// The signal fires when the *thread* that spawned us exits; `run` spawns
/// from the thread that runs its `block_on`, the main thread, which lives
/// until ccswitch exits.
pub fn guard(parent: u32, program: &Path, args: &[OsString]) -> u8 {
    #[cfg(target_os = "linux")]
    {
        use nix::sys::signal::Signal;
        use std::os::unix::process::CommandExt;
        // SIGTERM, not SIGKILL: claude then restores the terminal itself.
        if nix::sys::prctl::set_pdeathsig(Signal::SIGTERM).is_err() {
            return 1;
        }
        // ccswitch may have died before the line above ran.
        if std::os::unix::process::parent_id() != parent {
            return 1;
        }
        let e = std::process::Command::new(program).args(args).exec();
        eprintln!(
            "ccswitch: {}",
            t!("launch.spawn", path = program.display(), error = e)
        );
        127
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = parent;
        match std::process::Command::new(program).args(args).status() {
            Ok(s) => code(s),
            Err(e) => {
                eprintln!(
                    "ccswitch: {}",
                    t!("launch.spawn", path = program.display(), error = e)
                );
                127
            }
        }
    }
}

/// Run claude to completion. Terminal signals reach it directly (same
/// process group), so ccswitch ignores SIGINT/SIGQUIT meanwhile; SIGTERM and
/// SIGHUP sent to ccswitch are passed on.
///
/// When claude stops (Ctrl-Z: Claude Code reads the key in raw mode and
/// stops itself with SIGTSTP), ccswitch stops too. A shell counts a job as
/// stopped only when all of it is, so otherwise it would keep waiting on
/// ccswitch with the terminal stuck. `fg` continues the whole process
/// group; ccswitch then continues claude as well, in case it alone got the
/// SIGCONT. Waiting is ccswitch's own `waitpid(WUNTRACED)` for that reason:
/// tokio's `wait` reports only the end.
pub async fn wait(
    cmd: tokio::process::Command,
    claude: &Path,
    signals: Signals,
) -> Result<ExitStatus, LaunchError> {
    let spawn_err = |e: std::io::Error| {
        LaunchError::Failed(t!("launch.spawn", path = claude.display(), error = e))
    };
    #[cfg(unix)]
    {
        use nix::errno::Errno;
        use nix::sys::signal::{Signal, kill, raise};
        use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
        use nix::unistd::Pid;
        use std::os::unix::process::ExitStatusExt;
        let [mut int, mut quit, mut term, mut hup, mut chld] = signals.streams;
        // A std child: nothing else reaps it behind this loop's back.
        let child = cmd.into_std().spawn().map_err(spawn_err)?;
        let pid = Pid::from_raw(i32::try_from(child.id()).unwrap_or(i32::MAX));
        // A SIGCHLD is not queued per child: look again now and then too.
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            match waitpid(pid, Some(WaitPidFlag::WUNTRACED | WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(_, code)) => {
                    return Ok(ExitStatus::from_raw((code & 0xff) << 8));
                }
                Ok(WaitStatus::Signaled(_, sig, core)) => {
                    return Ok(ExitStatus::from_raw(
                        sig as i32 | if core { 0x80 } else { 0 },
                    ));
                }
                Ok(WaitStatus::Stopped(..)) => {
                    let _ = raise(Signal::SIGSTOP);
                    // Continued (`fg`): claude goes on too.
                    let _ = kill(pid, Signal::SIGCONT);
                    continue;
                }
                Ok(_) | Err(Errno::EINTR) => {}
                Err(e) => return Err(spawn_err(e.into())),
            }
            tokio::select! {
                _ = chld.recv() => {}
                _ = tick.tick() => {}
                _ = int.recv() => {}
                _ = quit.recv() => {}
                _ = term.recv() => { let _ = kill(pid, Signal::SIGTERM); }
                _ = hup.recv() => { let _ = kill(pid, Signal::SIGHUP); }
            }
        }
    }
    #[cfg(windows)]
    {
        let (mut ctrl_c, mut ctrl_break) = signals.console;
        let mut cmd = cmd;
        let mut child = cmd.spawn().map_err(spawn_err)?;
        loop {
            tokio::select! {
                status = child.wait() => return status.map_err(spawn_err),
                _ = ctrl_c.recv() => {}
                _ = ctrl_break.recv() => {}
            }
        }
    }
    #[cfg(not(any(unix, windows)))]
    {
        let _ = signals;
        let mut cmd = cmd;
        let mut child = cmd.spawn().map_err(spawn_err)?;
        child.wait().await.map_err(spawn_err)
    }
}

/// claude's exit code; 128+N for a signal, as a shell reports it.
pub fn code(status: ExitStatus) -> u8 {
    if let Some(c) = status.code() {
        return u8::try_from(c).unwrap_or(1);
    }
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return u8::try_from(128 + sig).unwrap_or(1);
        }
    }
    1
}

/// The terminal's modes before claude took it over.
pub struct Terminal {
    #[cfg(unix)]
    saved: Option<nix::sys::termios::Termios>,
}

impl Terminal {
    pub fn save() -> Terminal {
        #[cfg(unix)]
        {
            Terminal {
                saved: nix::sys::termios::tcgetattr(std::io::stdin()).ok(),
            }
        }
        #[cfg(not(unix))]
        Terminal {}
    }

    /// After claude died from a signal: it may have left raw mode on and
    /// the cursor hidden, which would leave the shell unusable.
    pub fn restore(&self) {
        #[cfg(unix)]
        if let Some(t) = &self.saved {
            use nix::sys::termios::{SetArg, tcsetattr};
            let _ = tcsetattr(std::io::stdin(), SetArg::TCSANOW, t);
            use std::io::IsTerminal;
            if std::io::stderr().is_terminal() {
                // Show the cursor, leave the alternate screen, stop
                // bracketed paste: what a full-screen app turns on.
                eprint!("\x1b[?25h\x1b[?1049l\x1b[?2004l");
            }
        }
    }
}

/// Die the way claude died, so a shell loop sees the Ctrl-C (`128+N` from
/// a wrapper does not stop `while true; do ccswitch run ...; done`).
/// Returns when claude was not killed by a signal, or the signal did not
/// end ccswitch.
pub fn die_like(status: ExitStatus) {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            let _ = signal_hook::low_level::emulate_default_handler(sig);
        }
    }
    #[cfg(not(unix))]
    let _ = status;
}
