//! The environment variables ccswitch reads, found in its source rather
//! than listed by hand, for the man page test. A read is a call of an
//! environment lookup in shipped code: `(ctx.env)(…)`, a parameter typed
//! `&dyn Fn(&str) -> Option<String>`, a closure over one (`let var = |k|
//! env(k)…`), or `std::env::var` (in `ctx.rs` and `i18n.rs`, the only
//! files that may). Its names are the string literal or constant it is
//! given; for a variable (`env(k)`), the literals and constants of the
//! statement around the call (`["HOME", "USERPROFILE"]…find_map(|k|
//! env(k))`), widened block by block up to the function.

use std::collections::{BTreeMap, BTreeSet};

mod syntax;

use super::architecture::{code_only, is_ident, is_test_file, rel, rust_files, src, without_tests};
use syntax::{enclosing_open, has_word, literals, matching, statement, words};

/// Files whose reads take their names from the user (a provider's key
/// variable, `serve --token-env`) or are the lookup itself.
pub const USER_NAMED: &[&str] = &[
    "src/ctx.rs",
    "src/cli/key.rs",
    "src/cli/serve.rs",
    "src/secrets/mod.rs",
    "src/tui/work.rs",
];

pub struct Source {
    pub rel: String,
    pub text: String,
}

#[derive(Default)]
pub struct Reads {
    pub names: BTreeSet<String>,
    /// Reads whose names are not in the code: `(file, line, code)`.
    pub unnamed: Vec<(String, usize, String)>,
}

/// Every shipped file in `src/`.
pub fn shipped() -> Vec<Source> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .into_iter()
        .filter(|f| !is_test_file(f))
        .map(|f| Source {
            rel: rel(&f),
            text: std::fs::read_to_string(&f).unwrap(),
        })
        .collect()
}

/// A file as the scan sees it: its shipped code blanked (no comments,
/// strings or test items), and its string literals by offset.
struct Scanned<'a> {
    src: &'a Source,
    code: String,
    literals: Vec<(usize, String)>,
}

pub fn scan(sources: &[Source]) -> Reads {
    let files: Vec<Scanned> = sources
        .iter()
        .map(|src| Scanned {
            code: without_tests(&code_only(&src.text)),
            literals: literals(&src.text),
            src,
        })
        .collect();
    let mut consts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in &files {
        for (name, values) in constants(f) {
            consts.entry(name).or_default().extend(values);
        }
    }
    let mut reads = Reads::default();
    for f in &files {
        read_in(f, &consts, &mut reads);
    }
    reads
}

fn read_in(f: &Scanned, consts: &BTreeMap<String, Vec<String>>, reads: &mut Reads) {
    let code = f.code.as_str();
    let lookups = lookups(code);
    for (name_at, open) in calls(code, &lookups) {
        let close = matching(code, open);
        let arg = f.src.text[open + 1..close].trim();
        // `env("HOME")`: the literal's contents start past its quote.
        let lead = f.src.text[open + 1..].len() - f.src.text[open + 1..].trim_start().len();
        let quoted = open + 1 + lead + 1;
        if let Some((_, name)) = f.literals.iter().find(|(at, _)| *at == quoted) {
            reads.names.insert(name.clone());
            continue;
        }
        let mut found = names_in(f, consts, open, close);
        let last = arg.rsplit("::").next().unwrap_or(arg);
        if let Some(values) = consts.get(last) {
            found.extend(values.iter().filter(|v| env_shaped(v)).cloned());
        }
        if found.is_empty() && is_wrapper_body(code, name_at, &lookups) {
            continue;
        }
        let mut at = name_at;
        for _ in 0..4 {
            if !found.is_empty() {
                break;
            }
            let (start, end) = statement(code, at);
            if has_word(&code[start..end], "fn") {
                break;
            }
            found = names_in(f, consts, start, end);
            match enclosing_open(code, start) {
                Some(open) => at = open,
                None => break,
            }
        }
        if found.is_empty() {
            let line = code[..name_at].matches('\n').count() + 1;
            let shown = f.src.text.lines().nth(line - 1).unwrap_or("").trim();
            reads
                .unnamed
                .push((f.src.rel.clone(), line, shown.to_string()));
        }
        reads.names.extend(found);
    }
}

/// Whether the call at `at` is inside a `let W = |…| …;` wrapper.
fn is_wrapper_body(code: &str, at: usize, lookups: &[String]) -> bool {
    let mut at = at;
    for _ in 0..4 {
        let (start, _) = statement(code, at);
        let stmt = code[start..].trim_start();
        if lookups
            .iter()
            .any(|w| stmt.starts_with(&format!("let {w} =")))
        {
            return true;
        }
        match enclosing_open(code, start) {
            Some(open) => at = open,
            None => return false,
        }
    }
    false
}

/// Env-shaped literals and constants between `from` and `to`.
fn names_in(
    f: &Scanned,
    consts: &BTreeMap<String, Vec<String>>,
    from: usize,
    to: usize,
) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = f
        .literals
        .iter()
        .filter(|(at, v)| (from..to).contains(at) && env_shaped(v))
        .map(|(_, v)| v.clone())
        .collect();
    // Constants are named in capitals: `MANAGED`, `SLOTS`.
    let constant = |w: &&str| {
        w.len() > 1
            && w.bytes()
                .all(|c| c.is_ascii_uppercase() || c == b'_' || c.is_ascii_digit())
    };
    for word in words(&f.code[from..to]).filter(constant) {
        if let Some(values) = consts.get(word) {
            out.extend(values.iter().filter(|v| env_shaped(v)).cloned());
        }
    }
    out
}

/// `HOME`, `NO_PROXY`, `no_proxy`: what a variable's name looks like.
pub fn env_shaped(s: &str) -> bool {
    let b = s.as_bytes();
    let upper = b.len() > 1
        && b[0].is_ascii_uppercase()
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_');
    let lower = s.contains('_')
        && b[0].is_ascii_lowercase()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
    upper || lower
}

/// The names that read the environment in this file: parameters typed as
/// a lookup, and closures that call one, to a fixed point.
fn lookups(code: &str) -> Vec<String> {
    let mut names = Vec::new();
    for (at, _) in code.match_indices("Fn(&str) -> Option<String>") {
        let before = code[..at].trim_end();
        let before = before
            .strip_suffix("dyn")
            .or_else(|| before.strip_suffix("impl"))
            .unwrap_or(before)
            .trim_end();
        let before = before.strip_suffix('&').unwrap_or(before).trim_end();
        if let Some(before) = before.strip_suffix(':') {
            let before = before.trim_end();
            let start = before.trim_end_matches(|c: char| is_ident(c as u8)).len();
            let name = &before[start..];
            if !name.is_empty() && !names.iter().any(|n| n == name) {
                names.push(name.to_string());
            }
        }
    }
    loop {
        let known: Vec<String> = names.clone();
        for (at, _) in code.match_indices("let ") {
            if at > 0 && is_ident(code.as_bytes()[at - 1]) {
                continue;
            }
            let rest = &code[at + 4..];
            let len = rest.bytes().take_while(|c| is_ident(*c)).count();
            let name = &rest[..len];
            let after = rest[len..].trim_start();
            let Some(value) = after.strip_prefix('=') else {
                continue;
            };
            let value = value.trim_start();
            let value = value.strip_prefix("move").unwrap_or(value).trim_start();
            if !value.starts_with('|') || names.iter().any(|n| n == name) {
                continue;
            }
            let (_, end) = statement(code, at + 4);
            if !calls(&code[at..end], &known).is_empty() {
                names.push(name.to_string());
            }
        }
        if names.len() == known.len() {
            return names;
        }
    }
}

/// Calls of `lookups`, `(x.env)(…)` and `std::env::var(…)`: where each
/// callee starts, and its `(`.
fn calls(code: &str, lookups: &[String]) -> Vec<(usize, usize)> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    for name in lookups {
        for (at, _) in code.match_indices(name.as_str()) {
            let end = at + name.len();
            let word =
                (at == 0 || !is_ident(b[at - 1])) && b.get(end).is_some_and(|c| !is_ident(*c));
            let before = code[..at].trim_end();
            let path_or_field = before.ends_with('.') || before.ends_with("::");
            let defined = before.ends_with("fn") || before.ends_with("let");
            let open = end + (code[end..].len() - code[end..].trim_start().len());
            if word && !path_or_field && !defined && b.get(open) == Some(&b'(') {
                out.push((at, open));
            }
        }
    }
    for pat in [".env)(", "std::env::var(", "std::env::var_os("] {
        for (at, _) in code.match_indices(pat) {
            out.push((at, at + pat.len() - 1));
        }
    }
    out.sort_unstable();
    out
}

/// `const NAME: … = …;` items and the string literals in their values.
fn constants(f: &Scanned) -> Vec<(String, Vec<String>)> {
    let code = f.code.as_str();
    let mut out = Vec::new();
    for (at, _) in code.match_indices("const ") {
        if at > 0 && is_ident(code.as_bytes()[at - 1]) {
            continue;
        }
        let rest = &code[at + 6..];
        let len = rest.bytes().take_while(|c| is_ident(*c)).count();
        let Some(eq) = rest.find('=') else { continue };
        let (_, end) = statement(code, at + 6 + eq + 1);
        let values = f
            .literals
            .iter()
            .filter(|(p, _)| (at + 6 + eq..end).contains(p))
            .map(|(_, v)| v.clone())
            .collect();
        out.push((rest[..len].to_string(), values));
    }
    out
}

#[test]
fn the_scanner_sees_reads_in_all_their_forms() {
    let scan_one = |code: &str| {
        scan(&[Source {
            rel: "src/x.rs".into(),
            text: code.into(),
        }])
    };
    const LOOKUP: &str = "env: &dyn Fn(&str) -> Option<String>";
    for (code, want) in [
        (format!("fn f({LOOKUP}) {{ env(\"A_B\"); }}"), vec!["A_B"]),
        (
            format!("const V: &str = \"C_D\";\nfn f({LOOKUP}) {{ env(V); }}"),
            vec!["C_D"],
        ),
        (
            format!("fn f({LOOKUP}) {{ [\"HOME\", \"USERPROFILE\"].iter().find_map(|k| env(k)) }}"),
            vec!["HOME", "USERPROFILE"],
        ),
        (
            "fn f(get: &dyn Fn(&str) -> Option<String>) { let var = |k: &str| get(k); \
             let on = |k: &str| var(k).is_some(); on(\"X_Y\"); }"
                .to_string(),
            vec!["X_Y"],
        ),
        (
            format!(
                "const LIST: &[&str] = &[\"P_Q\", \"main\"];\n\
                 fn f({LOOKUP}) {{ for k in LIST {{ if env(k).is_some() {{ g(); }} }} }}"
            ),
            vec!["P_Q"],
        ),
        (
            "fn f(ctx: &Ctx) { (ctx.env)(\"NO_COLOR\"); }".to_string(),
            vec!["NO_COLOR"],
        ),
        (
            "fn f() { let v = std::env::var(\"LANG\"); }".to_string(),
            vec!["LANG"],
        ),
        (
            format!("fn f({LOOKUP}) {{ inherited(\"no_proxy\"); env(\"no_proxy\"); }}"),
            vec!["no_proxy"],
        ),
    ] {
        let r = scan_one(&code);
        assert_eq!(r.names.iter().collect::<Vec<_>>(), want, "{code}");
        assert!(r.unnamed.is_empty(), "{code}: {:?}", r.unnamed);
    }
    let quiet = format!(
        "fn f({LOOKUP}) {{ // env(\"COMMENTED\")\n let s = \"env(\\\"QUOTED\\\")\"; \
         let c = '\"'; }}\n#[cfg(test)]\nmod tests {{ fn t({LOOKUP}) {{ env(\"IN_TEST\"); }} }}"
    );
    let r = scan_one(&quiet);
    assert!(r.names.is_empty() && r.unnamed.is_empty(), "{:?}", r.names);
    let r = scan_one(&format!("fn f({LOOKUP}, name: &str) {{ env(name) }}"));
    assert_eq!(r.unnamed.len(), 1, "a read of a name from elsewhere");
}
