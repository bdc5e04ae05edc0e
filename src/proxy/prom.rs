//! Prometheus text format 0.0.4 pieces shared by `/metrics`' families:
//! a family's header, a sample line, label escaping, float values.

use std::fmt::{self, Write as _};

/// `# HELP` and `# TYPE` for `ccswitch_<name>`; help texts are constants
/// without backslashes or newlines, so they need no escaping.
pub fn family(o: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(o, "# HELP ccswitch_{name} {help}");
    let _ = writeln!(o, "# TYPE ccswitch_{name} {kind}");
}

pub fn sample(o: &mut String, name: &str, labels: &str, extra: &str, value: u64) {
    let _ = writeln!(o, "ccswitch_{name}{{{labels}{extra}}} {value}");
}

/// A label value escaped as the format says: backslash, double quote and
/// line feed. Provider, model, team and member names are user data, so any
/// of them may appear.
pub struct Escaped<'a>(pub &'a str);

impl fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '\\' => f.write_str("\\\\")?,
                '"' => f.write_str("\\\"")?,
                '\n' => f.write_str("\\n")?,
                c => f.write_char(c)?,
            }
        }
        Ok(())
    }
}

/// A sample value: Rust writes infinity as `inf`, the format wants `+Inf`.
pub struct Float(pub f64);

impl fmt::Display for Float {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if v.is_nan() {
            f.write_str("NaN")
        } else if v.is_infinite() {
            f.write_str(if v > 0.0 { "+Inf" } else { "-Inf" })
        } else {
            write!(f, "{v}")
        }
    }
}
