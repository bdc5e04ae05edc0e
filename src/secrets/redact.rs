//! Masking secrets in text the proxy passes on or keeps: one pass over the
//! text, whatever its size or how many key-shaped words it holds.
//!
//! A [`Redactor`] is built once per proxy run from every secret the run
//! knows (provider keys and pool keys, the session token, the search key,
//! credential-like header values) and the well-known key formats. One
//! Aho-Corasick automaton finds all of them at once; a format's match is
//! then extended over the key's characters. Nothing is ever rescanned, so
//! the time is linear in the text (the old replace-in-a-loop was quadratic:
//! 2 s for 2 MiB of key-shaped text).
//!
//! A key fetched again during a run (a command key with a `ttl`) is
//! [`Redactor::learn`]ed: the automaton is rebuilt with it and swapped in,
//! so readers never wait on a rebuild.
//!
//! JSON text may carry a secret with escapes (`\/`, `\u00xx`): each secret
//! is also looked for in those forms, and a long run of a secret's letters
//! and digits is masked wherever it appears together with the key
//! characters and escapes around it, so a key split by an escape cannot
//! leave a usable half behind.

use std::borrow::Cow;
use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use secrecy::{ExposeSecret, SecretString};

use aho_corasick::{AhoCorasick, Input, MatchKind};

mod scan;
#[cfg(test)]
use scan::WORK;
use scan::{
    back, extend, skip_separators, starts_word, token_char, trim_dots, wide_char, wide_end, work,
};

/// What a masked secret becomes.
pub const MASK: &str = "[redacted]";

/// Shorter secrets are not masked: they would mask ordinary words.
const MIN_SECRET: usize = 8;

/// Key characters a format's prefix must be followed by.
const MIN_TAIL: usize = 16;

/// A run of a secret's letters and digits this long is masked wherever it
/// appears; shorter runs ("proj", "live") are ordinary words.
const MIN_FRAGMENT: usize = 16;

/// Prefixes of well-known key formats: a word that starts with one and goes
/// on for [`MIN_TAIL`] key characters is masked after the prefix, whoever's
/// key it is.
const PREFIXES: &[&str] = &[
    "sk-",         // OpenAI, Anthropic, DeepSeek, OpenRouter, Moonshot, ...
    "ccsw-",       // ccswitch session tokens
    "AKIA",        // AWS access key ids
    "ASIA",        // AWS temporary access key ids
    "AIza",        // Google
    "ghp_",        // GitHub
    "gho_",        // GitHub OAuth
    "ghu_",        // GitHub user-to-server
    "ghs_",        // GitHub server-to-server
    "ghr_",        // GitHub refresh
    "github_pat_", // GitHub fine-grained
    "glpat-",      // GitLab
    "xoxb-",       // Slack
    "xoxp-",       // Slack
    "xapp-",       // Slack
    "xai-",        // xAI
    "gsk_",        // Groq
    "tvly-",       // Tavily
    "hf_",         // Hugging Face
    "pplx-",       // Perplexity
    "nvapi-",      // NVIDIA
    "r8_",         // Replicate
];

/// Words after which the next word is a credential whatever its shape (a
/// Zhipu `id.secret`, an AWS secret key, a JWT): masked when it has at
/// least [`MIN_TAIL`] characters.
const CONTEXTS: &[&str] = &[
    "Bearer ",
    "bearer ",
    "BEARER ",
    "aws_secret_access_key",
    "AWS_SECRET_ACCESS_KEY",
    "SecretAccessKey",
    "secretAccessKey",
    "secret_access_key",
    "api_key",
    "API_KEY",
    "api-key",
    "Api-Key",
    "apiKey",
    "x-api-key",
    "X-Api-Key",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rule {
    /// A secret, written out whole (plain or escaped).
    Whole,
    /// A long run of a secret's letters and digits: the key characters
    /// around it go too.
    Fragment,
    /// A key format's prefix.
    Prefix,
    /// A word that names a credential.
    Context,
}

/// Masks secrets and key-shaped words. Built once, used from any thread.
pub struct Redactor {
    built: RwLock<Arc<Built>>,
    /// The secrets `built` was made from, to rebuild it with one more.
    known: Mutex<Vec<SecretString>>,
    /// How many of `known` it was made with; the rest were learned.
    initial: usize,
}

/// One automaton and what each of its patterns means.
struct Built {
    ac: Option<AhoCorasick>,
    rules: Vec<Rule>,
    secrets: usize,
}

/// Keys learned during a run beyond those it started with: a short-lived
/// token fetched every few minutes must not grow the automaton for ever,
/// and an expired one is worth nothing.
const LEARNED_KEPT: usize = 8;

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor {{ secrets: {} }}", self.secrets())
    }
}

impl Default for Redactor {
    /// The well-known formats only.
    fn default() -> Self {
        Redactor::new(std::iter::empty::<&str>())
    }
}

impl Redactor {
    /// A redactor for these secrets and the well-known formats. Secrets
    /// shorter than 8 characters are left out; a `Bearer ` header value
    /// counts as its token.
    pub fn new<I, S>(secrets: I) -> Redactor
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let known: Vec<SecretString> = secrets
            .into_iter()
            .map(|s| SecretString::from(s.as_ref().to_string()))
            .collect();
        Redactor {
            built: RwLock::new(Arc::new(Built::new(&known))),
            initial: known.len(),
            known: Mutex::new(known),
        }
    }

    /// Mask `secret` too from now on (a key fetched again mid-run).
    pub fn learn(&self, secret: &str) {
        let mut known = self.known.lock().unwrap_or_else(PoisonError::into_inner);
        if known.iter().any(|k| k.expose_secret() == secret) {
            return;
        }
        known.push(SecretString::from(secret.to_string()));
        if known.len() - self.initial > LEARNED_KEPT {
            known.remove(self.initial);
        }
        let built = Arc::new(Built::new(&known));
        *self.built.write().unwrap_or_else(PoisonError::into_inner) = built;
    }

    fn current(&self) -> Arc<Built> {
        self.built
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Built {
    fn new(secrets: &[SecretString]) -> Built {
        let mut patterns: Vec<String> = Vec::new();
        let mut rules = Vec::new();
        let mut add = |p: String, r: Rule| {
            patterns.push(p);
            rules.push(r);
        };
        let mut n = 0;
        for s in secrets {
            let s = s.expose_secret().trim();
            let s = s.strip_prefix("Bearer ").unwrap_or(s).trim();
            if s.len() < MIN_SECRET {
                continue;
            }
            n += 1;
            for form in escaped_forms(s) {
                add(form, Rule::Whole);
            }
            if s.bytes().any(|b| !b.is_ascii_alphanumeric()) {
                for run in s.split(|c: char| !c.is_ascii_alphanumeric()) {
                    if run.len() >= MIN_FRAGMENT {
                        add(run.to_string(), Rule::Fragment);
                    }
                }
            }
        }
        for p in PREFIXES {
            add((*p).to_string(), Rule::Prefix);
        }
        for c in CONTEXTS {
            add((*c).to_string(), Rule::Context);
        }
        // Leftmost-longest: a secret that starts with a format's prefix is
        // matched whole, not as the prefix.
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .ok();
        Built {
            ac,
            rules,
            secrets: n,
        }
    }
}

impl Redactor {
    /// How many secrets it masks besides the formats.
    pub fn secrets(&self) -> usize {
        self.current().secrets
    }

    /// `text` with every secret and key-shaped word masked; borrowed when
    /// nothing was.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        match self.redact_bytes(text.as_bytes()) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            // Only whole matches of UTF-8 patterns and ASCII runs are
            // replaced, so this is UTF-8 again.
            Cow::Owned(v) => Cow::Owned(
                String::from_utf8(v)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            ),
        }
    }

    /// The same over bytes (an SSE chunk, a body).
    pub fn redact_bytes<'a>(&self, text: &'a [u8]) -> Cow<'a, [u8]> {
        self.current().redact_bytes(text)
    }
}

impl Built {
    fn redact_bytes<'a>(&self, text: &'a [u8]) -> Cow<'a, [u8]> {
        let Some(ac) = &self.ac else {
            // Never built (it cannot fail for these patterns): nothing
            // passes rather than everything.
            return if text.is_empty() {
                Cow::Borrowed(text)
            } else {
                Cow::Owned(MASK.as_bytes().to_vec())
            };
        };
        let mut out = Out::default();
        let mut at = 0;
        while at < text.len() {
            let Some(m) = ac.find(Input::new(text).range(at..)) else {
                break;
            };
            work(m.end() - at);
            let (s, e) = (m.start(), m.end());
            let span = match self.rules.get(m.pattern().as_usize()) {
                Some(Rule::Whole) => Some((s, e)),
                Some(Rule::Fragment) => Some((back(text, s, out.copied), wide_end(text, e))),
                Some(Rule::Prefix) if starts_word(text, s) => {
                    let (end, n) = extend(text, e, token_char);
                    (n >= MIN_TAIL).then_some((e, end))
                }
                Some(Rule::Context) => {
                    let from = skip_separators(text, e);
                    let (end, n) = extend(text, from, wide_char);
                    let end = trim_dots(text, from, end);
                    (n >= MIN_TAIL).then_some((from, end))
                }
                _ => None,
            };
            match span {
                Some((s, e)) => {
                    zhipu_keys(text, out.copied, s, &mut out);
                    out.mask(text, s, e);
                    at = e;
                }
                // Not a key after all ("task-list"): a pattern may still
                // start inside it.
                None => at = s + 1,
            }
        }
        zhipu_keys(text, out.copied, text.len(), &mut out);
        out.finish(text)
    }
}

/// The masked text, built only once something is masked.
#[derive(Default)]
struct Out {
    buf: Option<Vec<u8>>,
    /// `text[..copied]` is in `buf`.
    copied: usize,
}

impl Out {
    fn mask(&mut self, text: &[u8], start: usize, end: usize) {
        let buf = self
            .buf
            .get_or_insert_with(|| Vec::with_capacity(text.len()));
        buf.extend_from_slice(&text[self.copied..start]);
        buf.extend_from_slice(MASK.as_bytes());
        self.copied = end;
    }

    fn finish(self, text: &[u8]) -> Cow<'_, [u8]> {
        match self.buf {
            None => Cow::Borrowed(text),
            Some(mut buf) => {
                buf.extend_from_slice(&text[self.copied..]);
                Cow::Owned(buf)
            }
        }
    }
}

/// The secret as written in text: plain, with `/` escaped (as PHP and
/// others write JSON), and with every other character `\u00xx`-escaped
/// (both hex cases).
fn escaped_forms(s: &str) -> Vec<String> {
    let mut forms = vec![s.to_string()];
    if s.contains('/') {
        forms.push(s.replace('/', "\\/"));
    }
    if s.bytes()
        .any(|b| b.is_ascii() && !b.is_ascii_alphanumeric())
    {
        for upper in [false, true] {
            let mut f = String::with_capacity(s.len() * 3);
            for c in s.chars() {
                if c.is_ascii() && !c.is_ascii_alphanumeric() {
                    let n = u32::from(c);
                    let _ = if upper {
                        write!(f, "\\u{n:04X}")
                    } else {
                        write!(f, "\\u{n:04x}")
                    };
                } else {
                    f.push(c);
                }
            }
            forms.push(f);
        }
    }
    forms.dedup();
    forms
}

/// Zhipu's keys, `{32 hex}.{16 letters or digits}`, in `text[from..to]`:
/// no prefix to look for, so each `.` is looked at.
fn zhipu_keys(text: &[u8], from: usize, to: usize, out: &mut Out) {
    const ID: usize = 32;
    const SECRET: usize = 16;
    let mut i = from;
    while let Some(dot) = text[i..to].iter().position(|&b| b == b'.').map(|d| d + i) {
        work(dot + 1 - i);
        i = dot + 1;
        if dot < from + ID || dot + 1 + SECRET > to {
            continue;
        }
        let id = &text[dot - ID..dot];
        let secret = &text[dot + 1..dot + 1 + SECRET];
        let bounded = (dot == from + ID || !text[dot - ID - 1].is_ascii_alphanumeric())
            && text
                .get(dot + 1 + SECRET)
                .is_none_or(|b| !b.is_ascii_alphanumeric());
        if bounded
            && id
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
            && secret.iter().all(u8::is_ascii_alphanumeric)
        {
            out.mask(text, dot - ID, dot + 1 + SECRET);
            i = dot + 1 + SECRET;
        }
    }
}

#[cfg(test)]
mod tests;
