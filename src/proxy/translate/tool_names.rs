//! Function names OpenAI-kind APIs accept: `^[a-zA-Z0-9_-]{1,64}$`. Claude
//! Code's MCP tools are named `mcp__<server>__<tool>`, which passes 64
//! characters with long server or tool names (and a server name may carry
//! a dot or a space), and the whole request is then refused with a 400.
//! Such names go upstream in a stable short form and come back under
//! their own name. Pure: the short form depends on the name only, so the
//! same tool gets the same name in every turn of the history.

use std::borrow::Cow;

use super::openai::ChatRequest;

const MAX: usize = 64;

fn valid(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// FNV-1a: tiny, stable across versions and platforms (unlike std's hasher).
fn fnv1a(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The name to send: itself when valid, else the readable part cleaned up
/// and cut, plus a hash of the whole name so two long names sharing a
/// prefix stay apart.
pub fn upstream_name(name: &str) -> Cow<'_, str> {
    if valid(name) {
        return Cow::Borrowed(name);
    }
    let clean: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let hash = format!("{:08x}", fnv1a(name) as u32);
    let keep = MAX - hash.len() - 1;
    if clean.len() <= keep && !clean.is_empty() && clean != name {
        // Cleaning alone may collide with a real tool's name: keep the hash.
        return Cow::Owned(format!("{clean}_{hash}"));
    }
    Cow::Owned(format!("{}_{hash}", &clean[..clean.len().min(keep)]))
}

/// Rename every function name in a translated request that the upstream
/// would refuse: tools, tool_choice and assistant tool calls in history.
/// Returns (sent, original) pairs for mapping names back in responses.
pub fn shorten(req: &mut ChatRequest) -> Vec<(String, String)> {
    let mut renamed: Vec<(String, String)> = Vec::new();
    let mut fix = |name: &mut String| {
        if let Cow::Owned(short) = upstream_name(name) {
            let original = std::mem::replace(name, short);
            if !renamed.iter().any(|(s, _)| s == name) {
                renamed.push((name.clone(), original));
            }
        }
    };
    for f in req
        .tools
        .iter_mut()
        .flatten()
        .filter_map(|t| t.function.as_mut())
    {
        fix(&mut f.name);
    }
    if let Some(name) = req
        .tool_choice
        .as_mut()
        .and_then(|c| c.pointer_mut("/function/name"))
        && let Some(s) = name.as_str()
    {
        let mut s = s.to_string();
        fix(&mut s);
        *name = s.into();
    }
    for m in &mut req.messages {
        for call in m.tool_calls.iter_mut().flatten() {
            fix(&mut call.function.name);
        }
    }
    renamed
}

/// The name Claude Code knows a returned tool call by.
pub fn original<'a>(sent: &'a str, renamed: &'a [(String, String)]) -> &'a str {
    renamed
        .iter()
        .find(|(s, _)| s == sent)
        .map_or(sent, |(_, o)| o.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names_pass_untouched() {
        for n in [
            "Bash",
            "mcp__github__create_issue",
            "a-b_c",
            &"x".repeat(64),
        ] {
            assert!(matches!(upstream_name(n), Cow::Borrowed(_)), "{n}");
        }
    }

    #[test]
    fn long_and_odd_names_get_a_stable_valid_short_form() {
        let long = format!(
            "mcp__{}__search_everything",
            "very_long_server_name".repeat(3)
        );
        let a = upstream_name(&long).into_owned();
        assert!(valid(&a), "{a}");
        assert_eq!(a.len(), 64);
        assert!(a.starts_with("mcp__very_long_server_name"), "{a}");
        assert_eq!(a, upstream_name(&long), "the same every turn");
        let other = long.replace("everything", "everything_else");
        assert_ne!(upstream_name(&other), a, "a shared prefix stays apart");
        let dotted = upstream_name("mcp__my.server__read file");
        assert!(
            valid(&dotted) && dotted.starts_with("mcp__my_server__read_file_"),
            "{dotted}"
        );
        assert!(valid(&upstream_name("")));
    }

    #[test]
    fn names_map_back() {
        let renamed = vec![("short_1234abcd".to_string(), "the.long.name".to_string())];
        assert_eq!(original("short_1234abcd", &renamed), "the.long.name");
        assert_eq!(original("Bash", &renamed), "Bash");
    }
}
