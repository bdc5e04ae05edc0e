//! `key = { command = "pass show deepseek" }`: run a program (no shell) and
//! take its trimmed standard output as the key.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

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
    let mut child = Command::new(&argv[0])
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(t!("secret.command_spawn", program = argv[0], error = e)))?;
    // Read both pipes on threads so a chatty command cannot block on a full
    // pipe while we wait for it to exit.
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let status = match child
        .wait_timeout(timeout)
        .map_err(|e| fail(e.to_string()))?
    {
        Some(status) => status,
        None => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(fail(t!("secret.command_timeout", secs = timeout.as_secs())));
        }
    };
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if !status.success() {
        // stderr is shown (first line, shortened) to explain the failure;
        // stdout never is, since it may hold the key.
        let first = String::from_utf8_lossy(&stderr)
            .lines()
            .next()
            .unwrap_or("")
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
