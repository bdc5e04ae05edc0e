//! `export` lines for POSIX shells, fish and PowerShell, with quoting that
//! survives any value.

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Shell {
    Sh,
    Fish,
    Powershell,
}

pub fn export(shell: Shell, name: &str, value: &str) -> String {
    match shell {
        Shell::Sh => format!("export {name}={}", sh_quote(value)),
        Shell::Fish => format!("set -gx {name} {}", sh_quote(value)),
        Shell::Powershell => format!("$env:{name} = '{}'", value.replace('\'', "''")),
    }
}

pub fn unset(shell: Shell, name: &str) -> String {
    match shell {
        Shell::Sh => format!("unset {name}"),
        Shell::Fish => format!("set -e {name}"),
        Shell::Powershell => format!("Remove-Item Env:{name} -ErrorAction SilentlyContinue"),
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
    }
}
