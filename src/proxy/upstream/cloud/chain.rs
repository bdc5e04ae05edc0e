//! A credential chain's error as one line, for both clouds' SDKs: each
//! wraps its causes, and some repeat their cause's text in their own.

/// An error with its causes, on one line; a cause whose text is already
/// there is not repeated.
pub(super) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !out.contains(&t) {
            out.push_str(": ");
            out.push_str(&t);
        }
        src = s.source();
    }
    out
}
