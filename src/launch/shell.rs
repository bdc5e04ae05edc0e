//! `export` lines for POSIX shells, fish, PowerShell and cmd.exe, with
//! quoting that survives any value (cmd: see [`cmd_set`]).

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Sh,
    Fish,
    Powershell,
    Cmd,
}

pub fn export(shell: Shell, name: &str, value: &str) -> String {
    match shell {
        Shell::Sh => format!("export {name}={}", sh_quote(value)),
        Shell::Fish => format!("set -gx {name} {}", sh_quote(value)),
        Shell::Powershell => format!("$env:{name} = '{}'", value.replace('\'', "''")),
        Shell::Cmd => cmd_set(name, value),
    }
}

/// `set "NAME=value"`: inside the quotes `&`, `|`, `<`, `>` and `^` are
/// plain text, and cmd takes everything up to the line's last quote, so a
/// quote in the value survives too. `%` is doubled, which is how a `.bat`
/// file spells a literal one (typed at the prompt, `%NAME%` is expanded
/// only when NAME is a variable, which a URL or key rarely holds).
fn cmd_set(name: &str, value: &str) -> String {
    format!("set \"{name}={}\"", value.replace('%', "%%"))
}

pub fn unset(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Sh => format!("unset {name}"),
        Shell::Fish => format!("set -e {name}"),
        Shell::Powershell => format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue"),
        Shell::Cmd => format!("set \"{name}=\""),
    }
}

/// Single-quote unless the value is plainly safe.
fn sh_quote(v: &str) -> String {
    let safe = !v.is_empty()
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if safe {
        v.to_string()
    } else {
        format!("'{}'", v.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(
            export(Shell::Sh, "A", "http://127.0.0.1:5/x"),
            "export A=http://127.0.0.1:5/x"
        );
        assert_eq!(export(Shell::Sh, "A", ""), "export A=''");
        assert_eq!(export(Shell::Sh, "A", "it's"), "export A='it'\\''s'");
        assert_eq!(export(Shell::Fish, "A", "a b"), "set -gx A 'a b'");
        assert_eq!(export(Shell::Powershell, "A", "it's"), "$env:A = 'it''s'");
        assert_eq!(
            export(Shell::Cmd, "A", "http://u:p@h:1/x?a=1&b=2"),
            r#"set "A=http://u:p@h:1/x?a=1&b=2""#
        );
        assert_eq!(export(Shell::Cmd, "A", "50%"), r#"set "A=50%%""#);
        assert_eq!(unset(Shell::Cmd, "A"), r#"set "A=""#);
        assert_eq!(
            unset(Shell::Powershell, "A"),
            "Remove-Item Env:A -ErrorAction SilentlyContinue"
        );
    }
}
