//! The layering, checked from the source: every `crate::`, `super::`,
//! `self::` and child-module path in `src/` is resolved to the file it
//! names, and the test fails when a module reaches a layer above its own or
//! two files import each other. In the spirit of rust-analyzer's tidy
//! tests: the layers stay true without anyone drawing them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level modules from the bottom up. A module may use its own layer
/// and the ones below it, never one above.
const LAYERS: &[&[&str]] = &[
    // `hit`: web search results as plain data, for the backends and the
    // pure translation alike.
    &["i18n", "fsutil", "paths", "hit", "random"],
    &["config"],
    &["secrets"],
    &["ctx"],
    // Facts about the user's Claude Code install (binary, settings,
    // transcripts), and breaker state shared between processes: plain
    // reads and writes that the proxy, launcher, checks and TUI all use.
    &["claude", "circuits"],
    // The ledger: the proxy records into it, commands read it.
    &["usage"],
    // The team gateway's store and key checks: the proxy authenticates
    // members through it, commands administer it.
    &["gateway"],
    // The audit log: the proxy writes it, priced by the ledger's table.
    &["audit"],
    // Web search backends: the proxy's server-tool loop and the CLI use them.
    &["search"],
    &["proxy"],
    &["launch"],
    // Other tools' settings taken in; checks of the machine and of each
    // target, through the launcher's proxied session.
    &["import", "checks"],
    &["tui"],
    &["cli"],
    // Entry points for the fuzz targets; nothing in the crate uses them.
    &["fuzzing"],
];

pub(crate) fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

pub(crate) fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file: `src/a/b.rs` and `src/a/b/mod.rs` are `a::b`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|s| s.to_string_lossy().into_owned())
        .collect();
    let last = parts.pop().expect("a file name");
    let stem = last.trim_end_matches(".rs");
    if !matches!(stem, "mod" | "lib" | "main") {
        parts.push(stem.to_string());
    }
    parts
}

/// The file that defines a module, if it is a file of its own.
fn file_of(module: &[String]) -> Option<PathBuf> {
    if module.is_empty() {
        return Some(src().join("lib.rs"));
    }
    let base = src().join(module.join("/"));
    let flat = base.with_extension("rs");
    let nested = base.join("mod.rs");
    [flat, nested].into_iter().find(|p| p.exists())
}

/// Source with comments, strings and char literals blanked out (kept the
/// same length, so nothing else moves).
pub(crate) fn code_only(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = b.to_vec();
    let mut i = 0;
    let blank = |out: &mut Vec<u8>, from: usize, to: usize| {
        for c in &mut out[from..to.min(b.len())] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    };
    while i < b.len() {
        match b[i] {
            b'/' if b.get(i + 1) == Some(&b'/') => {
                let end = text[i..].find('\n').map_or(b.len(), |n| i + n);
                blank(&mut out, i, end);
                i = end;
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let mut depth = 0;
                let mut j = i;
                while j < b.len() {
                    if b[j..].starts_with(b"/*") {
                        depth += 1;
                        j += 2;
                    } else if b[j..].starts_with(b"*/") {
                        depth -= 1;
                        j += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        j += 1;
                    }
                }
                blank(&mut out, i, j);
                i = j;
            }
            // `r"…"`, `r#"…"#`, and the byte forms `br"…"`, `br#"…"#`.
            b'r' if matches!(b.get(i + 1), Some(b'"' | b'#'))
                && (i == 0
                    || !is_ident(b[i - 1])
                    || (b[i - 1] == b'b' && (i == 1 || !is_ident(b[i - 2])))) =>
            {
                let hashes = b[i + 1..].iter().take_while(|&&c| c == b'#').count();
                if b.get(i + 1 + hashes) != Some(&b'"') {
                    i += 1;
                    continue;
                }
                let close = format!("\"{}", "#".repeat(hashes));
                let start = i + 2 + hashes;
                let end = text[start..]
                    .find(&close)
                    .map_or(b.len(), |n| start + n + close.len());
                blank(&mut out, i, end);
                i = end;
            }
            b'"' => {
                let mut j = i + 1;
                while j < b.len() && b[j] != b'"' {
                    j += if b[j] == b'\\' { 2 } else { 1 };
                }
                blank(&mut out, i, j + 1);
                i = j + 1;
            }
            // A char literal ('x', '\n', '\u{1F600}'), not a lifetime.
            b'\'' => {
                let rest = &text[i + 1..];
                let len = if rest.starts_with('\\') {
                    rest.find('\'').map(|n| n + 1)
                } else {
                    rest.chars()
                        .next()
                        .filter(|c| rest[c.len_utf8()..].starts_with('\''))
                        .map(|c| c.len_utf8() + 1)
                };
                match len {
                    Some(n) => {
                        blank(&mut out, i, i + 1 + n);
                        i += 1 + n;
                    }
                    None => i += 1,
                }
            }
            _ => i += 1,
        }
    }
    String::from_utf8(out).expect("blanking keeps UTF-8")
}

pub(crate) fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `use` trees and paths: every full path a `{...}` group expands to,
/// starting at `at`, which is the first segment.
fn paths_at(code: &str, at: usize, prefix: &[String], out: &mut Vec<Vec<String>>) -> usize {
    let b = code.as_bytes();
    let mut segs = prefix.to_vec();
    let mut i = at;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i < b.len() && b[i] == b'{' {
            i += 1;
            loop {
                while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b',') {
                    i += 1;
                }
                if i >= b.len() || b[i] == b'}' {
                    return i + 1;
                }
                i = paths_at(code, i, &segs, out);
            }
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        if start == i {
            out.push(segs);
            return i;
        }
        segs.push(code[start..i].to_string());
        let mut j = i;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if code[j..].starts_with("::") {
            i = j + 2;
        } else {
            out.push(segs);
            return i;
        }
    }
}

struct Edge {
    to: PathBuf,
    line: usize,
    text: String,
}

/// Resolve a path used in `module` (inside `inline` levels of inline
/// `mod x { }` blocks) to the deepest module file it names.
fn resolve(
    module: &[String],
    inline: usize,
    path: &[String],
    children: &[String],
) -> Option<PathBuf> {
    let mut base: Vec<String>;
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            base = Vec::new();
            rest = &path[1..];
        }
        Some("self") if inline == 0 => {
            base = module.to_vec();
            rest = &path[1..];
        }
        Some("self") => return None,
        Some("super") => {
            let mut ups = 0usize;
            while rest.first().map(String::as_str) == Some("super") {
                ups += 1;
                rest = &rest[1..];
            }
            // `super` inside an inline module is this file's own module.
            let ups = ups.saturating_sub(inline);
            base = module.to_vec();
            for _ in 0..ups {
                base.pop()?;
            }
        }
        Some(first) if inline == 0 && children.iter().any(|c| c == first) => {
            base = module.to_vec();
        }
        _ => return None,
    }
    let mut found = file_of(&base);
    for seg in rest {
        base.push(seg.clone());
        match file_of(&base) {
            Some(f) => found = Some(f),
            None => break,
        }
    }
    found
}

fn edges(file: &Path) -> Vec<Edge> {
    let text = std::fs::read_to_string(file).expect("readable source");
    edges_in(file, &code_only(&text))
}

/// The paths in `code` (a file's [`code_only`] text, or part of it) that
/// resolve to another file.
fn edges_in(file: &Path, code: &str) -> Vec<Edge> {
    let module = module_of(file);
    let b = code.as_bytes();
    // Child modules declared as files (`mod x;`): `x::f()` reaches them.
    let mut children = Vec::new();
    for (i, _) in code.match_indices("mod ") {
        if i > 0 && is_ident(b[i - 1]) {
            continue;
        }
        let rest = &code[i + 4..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if rest[name.len()..].trim_start().starts_with(';') {
            children.push(name);
        }
    }
    // Inline module nesting at each byte: `mod x {` opens one.
    let mut inline_at = vec![0usize; b.len() + 1];
    let mut stack: Vec<(usize, bool)> = Vec::new();
    let mut depth = 0;
    let mut pending_mod = false;
    let mut i = 0;
    while i < b.len() {
        let inline = stack.iter().filter(|(_, m)| *m).count();
        inline_at[i] = inline;
        if code[i..].starts_with("mod ") && (i == 0 || !is_ident(b[i - 1])) {
            let rest = &code[i + 4..];
            let name_len = rest.bytes().take_while(|&c| is_ident(c)).count();
            if rest[name_len..].trim_start().starts_with('{') {
                pending_mod = true;
            }
        }
        match b[i] {
            b'{' => {
                depth += 1;
                stack.push((depth, std::mem::take(&mut pending_mod)));
            }
            b'}' => {
                stack.pop();
                depth -= 1;
            }
            _ => {}
        }
        i += 1;
    }
    let line_of = |at: usize| line_at(code, at);
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts = (i == 0 || !(is_ident(b[i - 1]) || b[i - 1] == b':'))
            && is_ident(b[i])
            && !b[i].is_ascii_digit();
        if !starts {
            i += 1;
            continue;
        }
        let end = i + code[i..].bytes().take_while(|&c| is_ident(c)).count();
        let word = &code[i..end];
        let is_path = code[end..].trim_start().starts_with("::")
            && (matches!(word, "crate" | "super" | "self") || children.iter().any(|c| c == word));
        if !is_path {
            i = end;
            continue;
        }
        let mut paths = Vec::new();
        let next = paths_at(code, i, &[], &mut paths);
        for p in paths {
            if let Some(to) = resolve(&module, inline_at[i], &p, &children)
                && to != file
                && !to.ends_with("src/lib.rs")
            {
                out.push(Edge {
                    to,
                    line: line_of(i),
                    text: p.join("::"),
                });
            }
        }
        i = next.max(end);
    }
    out
}

fn layer(file: &Path) -> Option<(usize, String)> {
    let top = module_of(file).into_iter().next()?;
    LAYERS
        .iter()
        .position(|l| l.contains(&top.as_str()))
        .map(|n| (n, top))
}

pub(crate) fn rel(p: &Path) -> String {
    p.strip_prefix(src().parent().expect("root"))
        .unwrap_or(p)
        .display()
        .to_string()
}

/// Every violation in the tree, one line each.
fn violations() -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut graph: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    let mut problems = Vec::new();
    for file in files
        .iter()
        .filter(|f| !f.ends_with("src/main.rs") && !f.ends_with("src/lib.rs"))
    {
        let Some((from_layer, from_top)) = layer(file) else {
            problems.push(format!(
                "{}: module in no layer (add it to LAYERS)",
                rel(file)
            ));
            continue;
        };
        for e in edges(file) {
            graph.entry(file.clone()).or_default().insert(e.to.clone());
            if let Some((to_layer, to_top)) = layer(&e.to)
                && to_layer > from_layer
            {
                problems.push(format!(
                    "{}:{}: {from_top} uses {to_top}, a layer above it ({})",
                    rel(file),
                    e.line,
                    e.text
                ));
            }
        }
    }
    for (a, outs) in &graph {
        for b in outs {
            if a < b && graph.get(b).is_some_and(|o| o.contains(a)) {
                problems.push(format!("{} and {} import each other", rel(a), rel(b)));
            }
        }
    }
    for cycle in longer_cycles(&graph) {
        let names: Vec<String> = cycle.iter().map(|p| rel(p)).collect();
        problems.push(format!("import circle: {}", names.join(" -> ")));
    }
    problems
}

/// Circles through three or more files (pairs are reported on their own):
/// the strongly connected components of the import graph (Tarjan).
fn longer_cycles(graph: &BTreeMap<PathBuf, BTreeSet<PathBuf>>) -> Vec<Vec<PathBuf>> {
    struct Tarjan<'g> {
        graph: &'g BTreeMap<PathBuf, BTreeSet<PathBuf>>,
        index: BTreeMap<&'g PathBuf, usize>,
        low: BTreeMap<&'g PathBuf, usize>,
        stack: Vec<&'g PathBuf>,
        out: Vec<Vec<PathBuf>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, v: &'g PathBuf) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(lw);
                } else if self.stack.contains(&w) {
                    let iw = self.index[w];
                    let lv = self.low.get_mut(v).expect("visited");
                    *lv = (*lv).min(iw);
                }
            }
            if self.low[v] == self.index[v] {
                let mut comp = Vec::new();
                while let Some(w) = self.stack.pop() {
                    comp.push(w.clone());
                    if w == v {
                        break;
                    }
                }
                if comp.len() > 2 {
                    comp.sort();
                    self.out.push(comp);
                }
            }
        }
    }
    let mut t = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !t.index.contains_key(v) {
            t.visit(v);
        }
    }
    t.out
}

#[test]
fn layers_only_point_down_and_no_two_files_import_each_other() {
    let problems = violations();
    assert!(
        problems.is_empty(),
        "{} architecture problem(s):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_checker_sees_paths_in_all_their_forms() {
    let code =
        "use crate::config::{self, edit::{Plan, X}, Api};\nfn f() { crate::launch::run::run(1); }";
    let mut paths = Vec::new();
    let at = code.find("crate").unwrap();
    paths_at(code, at, &[], &mut paths);
    let joined: Vec<String> = paths.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        joined,
        [
            "crate::config::self",
            "crate::config::edit::Plan",
            "crate::config::edit::X",
            "crate::config::Api"
        ]
    );
    let blanked = code_only("let s = \"crate::cli::X\"; // crate::tui\nlet c = 'x'; fn g<'a>() {}");
    assert!(!blanked.contains("crate::"), "{blanked}");
    assert!(blanked.contains("fn g<'a>()"), "{blanked}");
    // Byte raw strings too: their braces must not unbalance the count.
    let bytes = code_only(r##"let b = br#"{ crate::cli"#; fn h() {}"##);
    assert!(
        !bytes.contains("crate::") && bytes.matches('{').count() == 1,
        "{bytes}"
    );
}

/// Test code in `src/`: whole files named `tests.rs` or `*_tests.rs`, or
/// under a `tests/` folder. The tidy rules below are about the code that
/// ships; tests may name the clock, run long tables, and need no `//!`.
pub(crate) fn is_test_file(file: &Path) -> bool {
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
    let name = name.as_deref().unwrap_or("");
    name == "tests.rs"
        || name.ends_with("_tests.rs")
        || file
            .strip_prefix(src())
            .is_ok_and(|r| r.iter().any(|s| s == "tests"))
}

/// Where a block that opens at `open` (a `{`) closes, in [`code_only`]
/// text: the index of its matching `}` (or the end, if none).
fn closing_brace(code: &str, open: usize) -> usize {
    let mut depth = 0usize;
    for (i, c) in code.bytes().enumerate().skip(open) {
        match c {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// Where the item whose header starts at `from` ends: just past its first
/// `;` outside brackets (`mod tests;`, `use x;`, a body-less `fn`), or past
/// the `}` closing its first `{`; and whether it has that braced body.
fn item_end(code: &str, from: usize) -> (usize, bool) {
    let mut nest = 0usize;
    for (i, c) in code.bytes().enumerate().skip(from) {
        match c {
            b'(' | b'[' => nest += 1,
            b')' | b']' => nest = nest.saturating_sub(1),
            b';' if nest == 0 => return (i + 1, false),
            b'{' => return (closing_brace(code, i) + 1, true),
            _ => {}
        }
    }
    (code.len(), false)
}

/// [`code_only`] text with every `#[cfg(test)]` item blanked, still the
/// same length: inline `mod tests { … }` blocks, test-only helpers and
/// impls, `mod tests;` lines. More exact than cutting the file at its
/// first `#[cfg(test)]`, which would also drop shipped code after a
/// test-only helper.
pub(crate) fn without_tests(code: &str) -> String {
    const ATTR: &str = "#[cfg(test)]";
    let mut out = code.as_bytes().to_vec();
    for (at, _) in code.match_indices(ATTR) {
        let (end, _) = item_end(code, at + ATTR.len());
        for c in &mut out[at..end] {
            if *c != b'\n' {
                *c = b' ';
            }
        }
    }
    String::from_utf8(out).expect("blanking keeps UTF-8")
}

/// The shipped code of a non-test file in `src/`, as [`without_tests`]
/// gives it.
fn shipped_code(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    without_tests(&code_only(&text))
}

fn line_at(code: &str, at: usize) -> usize {
    code[..at].matches('\n').count() + 1
}

/// What `src/proxy/translate/` may not name: it is pure (its `mod.rs` says
/// so, and the golden tests rely on it): no runtime or HTTP stack, no
/// clock, no randomness. Matched as whole identifiers.
const IMPURE: &[&str] = &[
    "tokio",
    "hyper",
    "hyper_util",
    "reqwest",
    "getrandom",
    "rand",
    "chrono",
    "SystemTime",
    "Instant",
    "UNIX_EPOCH",
];

/// `std` modules that do I/O or reach outside the process's inputs.
const IMPURE_STD: &[&str] = &["fs", "net", "process", "env", "thread"];

/// Every impure name and every use of the search backend in translate's
/// shipped code, as `file:line: what`.
/// What translation may use of the crate: itself, the config's plain
/// values (quirks, models), search results as data, and the message
/// catalogs.
const TRANSLATE_MAY_USE: &[&str] = &["proxy/translate", "config", "hit.rs", "i18n.rs"];

fn translate_impurities() -> Vec<String> {
    let root = src().join("proxy/translate");
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    let mut found = Vec::new();
    for f in files.iter().filter(|f| !is_test_file(f)) {
        let code = shipped_code(f);
        let b = code.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let starts = (i == 0 || !is_ident(b[i - 1])) && is_ident(b[i]);
            if !starts {
                i += 1;
                continue;
            }
            let end = i + code[i..].bytes().take_while(|&c| is_ident(c)).count();
            let word = &code[i..end];
            if IMPURE.contains(&word) {
                found.push(format!("{}:{}: {word}", rel(f), line_at(&code, i)));
            } else if word == "std" && code[end..].trim_start().starts_with("::") {
                // `std::fs::read`, `use std::{fs, io}`: every path it expands to.
                let mut paths = Vec::new();
                paths_at(&code, i, &[], &mut paths);
                for p in paths {
                    if p.get(1).is_some_and(|m| IMPURE_STD.contains(&m.as_str())) {
                        found.push(format!(
                            "{}:{}: {}",
                            rel(f),
                            line_at(&code, i),
                            p.join("::")
                        ));
                    }
                }
            }
            i = end;
        }
        // The search backend in any spelling (`crate::search::Hit`,
        // `use crate::{search, …}`, `super::…::search`), resolved as the
        // layering check resolves paths; and, beyond it, anything of the
        // crate but translate itself and the plain data it reads: the
        // proxy's I/O side (server, handlers, exchange, upstream, streams),
        // the ledger, the key stores.
        for e in edges_in(f, &code) {
            let pure = TRANSLATE_MAY_USE
                .iter()
                .any(|allowed| e.to.starts_with(src().join(allowed)));
            if !pure {
                found.push(format!("{}:{}: {}", rel(f), e.line, e.text));
            }
        }
    }
    found
}

/// Translation is a function from bytes to bytes: the proxy's I/O side
/// (handlers, the server-tool loop's runner) does the searching, the
/// calling and the timing, and hands translate plain values. That keeps
/// it testable with golden files and free of the search backend's types.
#[test]
fn translate_does_no_io_and_does_not_use_the_search_backend() {
    let found = translate_impurities();
    assert!(
        found.is_empty(),
        "impure code in proxy::translate:\n{}",
        found.join("\n")
    );
}

/// Each file says what it owns in its first line, so a reader (or a
/// search over first lines) finds where a thing lives without reading
/// the code.
#[test]
fn every_shipped_file_opens_with_what_it_owns() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut found = Vec::new();
    for f in files.iter().filter(|f| !is_test_file(f)) {
        let text = std::fs::read_to_string(f).expect("read");
        let first = text.lines().next().unwrap_or("");
        let said = first.strip_prefix("//!").map(str::trim);
        if said.is_none_or(str::is_empty) {
            found.push(format!("{}:1: {first}", rel(f)));
        }
    }
    assert!(
        found.is_empty(),
        "files without a `//!` first line saying what they own:\n{}",
        found.join("\n")
    );
}

/// A function in shipped code: where its `fn` is and how many lines it
/// spans, from the `fn` line to its closing brace.
struct Func {
    name: String,
    line: usize,
    lines: usize,
}

/// The functions with bodies in [`code_only`] text, nested ones too (a
/// nested function counts in its own length and in its parent's). `fn`
/// pointer types, body-less trait items and `fn $name` in macros are not
/// functions here.
fn functions(code: &str) -> Vec<Func> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    for (at, _) in code.match_indices("fn") {
        let keyword =
            (at == 0 || !is_ident(b[at - 1])) && b.get(at + 2).is_some_and(u8::is_ascii_whitespace);
        if !keyword {
            continue;
        }
        let rest = code[at + 2..].trim_start();
        let name: String = rest
            .bytes()
            .take_while(|&c| is_ident(c))
            .map(char::from)
            .collect();
        if name.is_empty() {
            continue;
        }
        let from = code.len() - rest.len() + name.len();
        if let (end, true) = item_end(code, from) {
            let line = line_at(code, at);
            out.push(Func {
                name,
                line,
                lines: line_at(code, end - 1) - line + 1,
            });
        }
    }
    out
}

/// Functions are kept under this many lines: a longer one does several
/// things, and each deserves a name.
const MAX_FN_LINES: usize = 150;

/// Functions that were this long when the limit came, with their length
/// then. The list may only shrink: a function on it may not grow past its
/// count, and one that is back under the limit (or gone) must leave it.
const LONG_FNS: &[(&str, &str, usize)] = &[("src/launch/env.rs", "plan", 175)];

/// Function lengths in shipped code against [`MAX_FN_LINES`] and
/// [`LONG_FNS`], one line per problem.
fn long_functions() -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    // The longest function of each name in each file.
    let mut longest: BTreeMap<(String, String), (usize, usize)> = BTreeMap::new();
    for f in files.iter().filter(|f| !is_test_file(f)) {
        for func in functions(&shipped_code(f)) {
            let e = longest.entry((rel(f), func.name)).or_insert((0, 0));
            if func.lines > e.1 {
                *e = (func.line, func.lines);
            }
        }
    }
    let mut found = Vec::new();
    for ((file, name), (line, lines)) in &longest {
        let listed = LONG_FNS.iter().find(|(f, n, _)| f == file && n == name);
        match listed {
            None if *lines >= MAX_FN_LINES => found.push(format!(
                "{file}:{line}: fn {name} is {lines} lines (limit {MAX_FN_LINES}): split it"
            )),
            Some((_, _, was)) if lines > was => found.push(format!(
                "{file}:{line}: fn {name} grew to {lines} lines ({was} allowed in LONG_FNS): shorten it"
            )),
            Some(_) if *lines < MAX_FN_LINES => found.push(format!(
                "{file}:{line}: fn {name} is {lines} lines now: take it off LONG_FNS"
            )),
            _ => {}
        }
    }
    for (file, name, _) in LONG_FNS {
        if !longest.contains_key(&(file.to_string(), name.to_string())) {
            found.push(format!(
                "{file}: no fn {name} any more: take it off LONG_FNS"
            ));
        }
    }
    found
}

#[test]
fn functions_stay_under_the_line_limit() {
    let found = long_functions();
    assert!(found.is_empty(), "{}", found.join("\n"));
}

/// The tidy helpers on a small sample: test items are blanked, functions
/// are measured from `fn` to their brace, and signatures with `;` or
/// braces in strings do not confuse either.
#[test]
fn the_tidy_helpers_measure_what_they_should() {
    let sample = "fn a(x: [u8; 2]) {\n    let s = \"}\";\n}\n#[cfg(test)]\nfn helper() {}\nfn b();\n\
               fn c() {\n    fn d() {}\n    let f: fn() = d;\n}\n#[cfg(test)]\nmod tests {\n    fn t() {}\n}\n";
    let code = without_tests(&code_only(sample));
    assert!(
        !code.contains("helper") && !code.contains("mod tests"),
        "{code}"
    );
    let got: Vec<(String, usize, usize)> = functions(&code)
        .into_iter()
        .map(|f| (f.name, f.line, f.lines))
        .collect();
    assert_eq!(
        got,
        [("a".into(), 1, 3), ("c".into(), 7, 4), ("d".into(), 8, 1)]
    );
    assert!(is_test_file(&src().join("tui/app/flow_tests.rs")));
    assert!(is_test_file(&src().join("search/tests.rs")));
    assert!(!is_test_file(&src().join("search/mod.rs")));
}

/// Commands print through the `out` that `main` hands them, which turns a
/// closed pipe (`| head`) into a quiet exit. `println!` panics on a closed
/// pipe, and a second handle on stdout would be outside that.
#[test]
fn commands_print_only_through_the_output_main_gives_them() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut found = Vec::new();
    for f in files.iter().filter(|f| !f.ends_with("main.rs")) {
        let code = code_only(&std::fs::read_to_string(f).expect("read"));
        for (n, line) in code.lines().enumerate() {
            // A call of `name`, not of `eprintln!` or `shows_stdout()`.
            let calls = |name: &str| {
                line.match_indices(name)
                    .filter(|(i, _)| *i == 0 || !is_ident(line.as_bytes()[i - 1]))
                    .map(|(i, _)| &line[i..])
                    .collect::<Vec<_>>()
            };
            let print = !calls("println!").is_empty() || !calls("print!(").is_empty();
            // Asking whether stdout is a terminal writes nothing.
            let stdout = calls("stdout()")
                .iter()
                .any(|at| !at.starts_with("stdout().is_terminal()"));
            if print || stdout {
                found.push(format!("{}:{}: {}", rel(f), n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

/// The process environment is read in two places: `src/ctx.rs`, which
/// hands it to everything else as `ctx.env` (one lookup, which a test can
/// replace with its own map), and `src/i18n.rs`, whose language
/// (`CCSWITCH_LANG`, `LC_*`, `LANG`) is needed before anything else runs.
/// Everything else takes the lookup from its caller. Reading
/// variables is what this forbids: `std::env::current_dir`, `current_exe`,
/// `temp_dir` and `args` are not variables and stay allowed.
#[test]
fn only_ctx_and_i18n_read_environment_variables() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let allowed = [src().join("ctx.rs"), src().join("i18n.rs")];
    let mut found = Vec::new();
    for f in files.iter().filter(|f| !allowed.contains(f)) {
        let text = std::fs::read_to_string(f).expect("read");
        for at in env_reads(&code_only(&text)) {
            let line = text[..at].matches('\n').count();
            let shown = text.lines().nth(line).unwrap_or_default().trim();
            found.push(format!("{}:{}: {shown}", rel(f), line + 1));
        }
    }
    assert!(
        found.is_empty(),
        "environment variables read outside src/ctx.rs and src/i18n.rs \
         (take the lookup from `ctx.env` instead):\n{}",
        found.join("\n")
    );
}

#[test]
fn the_environment_rule_sees_reads_in_all_their_forms() {
    let reads = |code: &str| env_reads(&code_only(code)).len();
    for code in [
        "let h = std::env::var(\"HOME\");",
        "let h = ::std::env::var_os(\"HOME\");",
        "use std::env;\nfn f() { env::vars(); }",
        "use std::env::var;",
        "use std::env::{self, vars_os};",
        "use std::{env::var_os, fs};",
        "use std::env::*;",
        "use std::env as e;\nfn f() { e::var(\"X\"); }",
        "let v = std :: env :: var (\"X\");",
        "let f = std::env::var;",
        "let h = std::env::home_dir();",
        "let p = unsafe { libc::getenv(k) };",
    ] {
        assert!(reads(code) > 0, "missed: {code}");
    }
    for code in [
        "let d = std::env::current_dir(); let t = std::env::temp_dir();",
        "let e = std::env::current_exe(); let a = std::env::args();",
        "let v = (ctx.env)(\"HOME\"); let w = env(\"X\");",
        "let m = env!(\"CARGO_MANIFEST_DIR\"); let o = option_env!(\"X\");",
        "use crate::launch::env::vars; let p = crate::launch::env::var();",
        "// std::env::var(\"X\")\nlet s = \"std::env::var\";",
        "let environment = 1; let my_env = envvar::var();",
    ] {
        assert_eq!(reads(code), 0, "flagged: {code}");
    }
}

/// What reads a variable from `std::env` (`home_dir` reads `HOME`).
const ENV_READERS: &[&str] = &["var", "var_os", "vars", "vars_os", "home_dir"];

/// Byte offsets in blanked `code` where an environment variable is read:
/// a path through `std::env` (or `env` brought in by `use`, under its own
/// name or another) to one of [`ENV_READERS`], an import of one, a glob
/// import of `std::env`, or libc's `getenv`.
fn env_reads(code: &str) -> Vec<usize> {
    let b = code.as_bytes();
    let word_at = |i: usize, len: usize| {
        (i == 0 || !is_ident(b[i - 1])) && b.get(i + len).is_none_or(|&c| !is_ident(c))
    };
    let mut hits = Vec::new();
    // `env`, then whatever `use std::env as x;` named it.
    let mut names = vec!["env".to_string()];
    let mut n = 0;
    while n < names.len() {
        let name = names[n].clone();
        n += 1;
        for (i, _) in code.match_indices(name.as_str()) {
            if !word_at(i, name.len()) {
                continue;
            }
            // `std::env` and a bare `env` are std's; `crate::launch::env`
            // and `x.env` are not.
            let before = code[..i].trim_end();
            if before.ends_with('.') {
                continue;
            }
            if let Some(head) = before.strip_suffix("::") {
                let head = head.trim_end();
                let seg = &head[head.trim_end_matches(|c: char| is_ident(c as u8)).len()..];
                if seg != "std" || name != "env" {
                    continue;
                }
            }
            let mut paths = Vec::new();
            let end = paths_at(code, i, &[], &mut paths);
            let rest = code[end..].trim_start();
            let reads = paths
                .iter()
                .any(|p| p.get(1).is_some_and(|s| ENV_READERS.contains(&s.as_str())));
            let glob = paths.iter().any(|p| p.len() == 1) && rest.starts_with('*');
            if reads || glob {
                hits.push(i);
            }
            if let Some(alias) = rest.strip_prefix("as")
                && alias.starts_with(|c: char| c.is_whitespace())
                && paths.iter().any(|p| p.len() == 1)
            {
                let alias = alias.trim_start();
                let len = alias.bytes().take_while(|&c| is_ident(c)).count();
                if len > 0 && !names.iter().any(|x| x == &alias[..len]) {
                    names.push(alias[..len].to_string());
                }
            }
        }
    }
    for (i, _) in code.match_indices("getenv") {
        if word_at(i, "getenv".len()) {
            hits.push(i);
        }
    }
    hits.sort_unstable();
    hits.dedup();
    hits
}

/// Each public type's name says what it is, once: two `Plan`s or three
/// `Step`s in one crate make every `use` a guess about which one is meant.
#[test]
fn no_two_public_types_share_a_name() {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for f in files.iter().filter(|f| !is_test_file(f)) {
        let code = shipped_code(f);
        for line in code.lines() {
            let t = line.trim_start();
            let Some(rest) = t
                .strip_prefix("pub ")
                .or_else(|| t.strip_prefix("pub(crate) "))
            else {
                continue;
            };
            let Some(rest) = ["struct ", "enum ", "type ", "trait "]
                .iter()
                .find_map(|k| rest.strip_prefix(k))
            else {
                continue;
            };
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                seen.entry(name).or_default().push(rel(f));
            }
        }
    }
    let clashes: Vec<String> = seen
        .iter()
        .filter(|(_, at)| at.len() > 1)
        .map(|(name, at)| format!("{name}: {}", at.join(", ")))
        .collect();
    assert!(
        clashes.is_empty(),
        "public types that share a name:\n{}",
        clashes.join("\n")
    );
}
