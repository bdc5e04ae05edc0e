//! Reading a secret from the person at the terminal, or from stdin when
//! piped (shared by `key set` and `search set`), and the question after a
//! session launched from the TUI.

use std::io::{IsTerminal, Read};

use secrecy::SecretString;

use super::error::CliError;
use crate::t;

/// A key, hidden as it is typed; never empty, never with whitespace inside.
pub(super) fn read_key(provider: &str) -> Result<SecretString, CliError> {
    let stdin = std::io::stdin();
    let text = if stdin.is_terminal() {
        rpassword::prompt_password(t!("key.prompt", provider = provider))?
    } else {
        let mut s = String::new();
        stdin.lock().read_to_string(&mut s)?;
        s
    };
    let key = text.trim();
    if key.is_empty() {
        return Err(CliError::Usage(t!("key.empty")));
    }
    if key.contains(char::is_whitespace) {
        return Err(CliError::Usage(t!("key.whitespace")));
    }
    Ok(SecretString::from(key.to_string()))
}

/// After a session launched from the TUI: back to the list? Enter (or any
/// answer but `q`) says yes; `q` or the end of input says no.
pub(super) fn back_to_list() -> Result<bool, CliError> {
    use std::io::{BufRead, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Ok(false);
    }
    eprint!("{} ", t!("tui.back_to_list"));
    std::io::stderr().flush()?;
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line)?;
    let answer = line.trim();
    Ok(read > 0 && !answer.eq_ignore_ascii_case("q"))
}
