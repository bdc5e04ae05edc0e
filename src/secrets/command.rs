//! `key = { command = "pass show deepseek" }`: run a program (no shell) and
//! take its trimmed standard output as the key.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use wait_timeout::ChildExt;

use super::error::SecretError;
use crate::t;

pub fn run_key_command(
    provider: &str,
    command: &str,
    timeout: Duration,
) -> Result<SecretString, SecretError> {
    let fail = |cause: String| SecretError::Command {
        provider: provider.to_string(),
        cause,
    };
    let argv = shlex::split(command)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| fail(t!("secret.command_unparsable")))?;
    let mut cmd = Command::new(&argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Its own process group, so the timeout ends everything it started: a
    // background child holding stdout would otherwise keep us reading
    // long after the command itself was gone.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut child = cmd
        .spawn()
        .map_err(|e| fail(t!("secret.command_spawn", program = argv[0], error = e)))?;
    let group = Group(child.id());
    let started = Instant::now();
    // Read both pipes on threads so a chatty command cannot block on a full
    // pipe while we wait for it to exit.
    let out = reader(child.stdout.take());
    let err = reader(child.stderr.take());
    let timed_out = || fail(t!("secret.command_timeout", secs = timeout.as_secs()));
    let status = match child
        .wait_timeout(timeout)
        .map_err(|e| fail(e.to_string()))?
    {
        Some(status) => status,
        None => {
            group.kill();
            let _ = child.kill();
            let _ = child.wait();
            return Err(timed_out());
        }
    };
    // The pipes close when the last process holding them exits; whatever
    // is still running at the deadline is ended with the group.
    let left = timeout.saturating_sub(started.elapsed());
    let (stdout, stderr) = match (out.recv_timeout(left), err.recv_timeout(left)) {
        (Ok(o), Ok(e)) => (o, e),
        _ => {
            group.kill();
            return Err(timed_out());
        }
    };
    if !status.success() {
        // stderr is shown (first line, shortened) to explain the failure;
        // stdout never is, since it may hold the key, and neither is
        // anything stdout held or any key-shaped word stderr repeats.
        let printed = String::from_utf8_lossy(&stdout);
        let mask = super::redact::Redactor::new(printed.lines());
        let stderr = String::from_utf8_lossy(&stderr);
        let first = mask
            .redact(stderr.lines().next().unwrap_or(""))
            .chars()
            .take(200)
            .collect::<String>();
        return Err(fail(t!(
            "secret.command_status",
            status = status,
            stderr = first
        )));
    }
    let key = String::from_utf8(stdout).map_err(|_| fail(t!("secret.command_not_utf8")))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(fail(t!("secret.command_empty")));
    }
    Ok(SecretString::from(key.to_string()))
}

/// A pipe read to the end on a thread of its own.
fn reader(pipe: Option<impl Read + Send + 'static>) -> Receiver<Vec<u8>> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        let _ = tx.send(buf);
    });
    rx
}

/// The key command's process group (its own pid).
struct Group(u32);

impl Group {
    fn kill(&self) {
        #[cfg(unix)]
        if let Ok(pid) = i32::try_from(self.0) {
            use nix::sys::signal::{Signal, killpg};
            let _ = killpg(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        }
        // Windows has no process groups to kill; a Job Object would be the
        // equivalent (with the portability work). The reads are still
        // bounded by the timeout.
        #[cfg(not(unix))]
        let _ = self.0;
    }
}
