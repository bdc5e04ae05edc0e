//! User-facing text lives in message catalogs (`assets/locales/*.toml`), not
//! in code, so every message exists in English and Simplified Chinese.
//!
//! The language comes from `CCSWITCH_LANG`, else `LC_ALL`/`LC_MESSAGES`/`LANG`
//! (anything starting with `zh` selects Chinese). Missing translations fall
//! back to English; a test keeps the catalogs in step.
//!
//! A message that counts things has a form per number: `key_one` and
//! `key_other` (`tn!`). English says "1 provider", "2 providers"; Chinese
//! has no plural, and its catalog says the same under both.

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Display;
use std::sync::OnceLock;

pub const EN_SOURCE: &str = include_str!("../assets/locales/en.toml");
pub const ZH_SOURCE: &str = include_str!("../assets/locales/zh-CN.toml");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    ZhCn,
}

impl Lang {
    /// Pick the language from environment variable values, first set wins.
    pub fn from_env_values<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> Lang {
        let chosen = values.into_iter().flatten().find(|v| !v.is_empty());
        match chosen {
            Some(v) if v.to_ascii_lowercase().starts_with("zh") => Lang::ZhCn,
            _ => Lang::En,
        }
    }
}

static LANG: OnceLock<Lang> = OnceLock::new();

thread_local! {
    /// This thread's language while [`with_lang`] runs, over the process's.
    static SCOPED: Cell<Option<Lang>> = const { Cell::new(None) };
}

fn lang_from_env() -> Lang {
    let vars = ["CCSWITCH_LANG", "LC_ALL", "LC_MESSAGES", "LANG"].map(|k| std::env::var(k).ok());
    Lang::from_env_values(vars.iter().map(|v| v.as_deref()))
}

/// Fix the language before any message is produced (tests use English).
/// Later calls, and calls after the first message, have no effect.
pub fn set_lang(lang: Lang) {
    let _ = LANG.set(lang);
}

/// Flatten a catalog's nested tables into `a.b.c` keys.
pub fn parse_catalog(src: &str) -> HashMap<String, String> {
    fn walk(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
        for (k, v) in table {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                toml::Value::Table(t) => walk(&key, t, out),
                _ => {}
            }
        }
    }
    let table: toml::Table = src.parse().expect("message catalog is valid TOML");
    let mut out = HashMap::new();
    walk("", &table, &mut out);
    out
}

// The catalogs as build.rs flattened them, sorted by key: looking a
// message up costs a binary search, and no run parses TOML for it.
mod generated {
    include!(concat!(env!("OUT_DIR"), "/catalogs_gen.rs"));
}

fn lookup(pairs: &'static [(&'static str, &'static str)], key: &str) -> Option<&'static str> {
    pairs
        .binary_search_by(|(k, _)| (*k).cmp(key))
        .ok()
        .map(|i| pairs[i].1)
}

pub fn lang() -> Lang {
    SCOPED
        .get()
        .unwrap_or_else(|| *LANG.get_or_init(lang_from_env))
}

/// Run `f` with this thread's messages in `lang`, whatever the process's
/// language is. The process's language is fixed once (`set_lang`), so this
/// is how a test draws a screen in Chinese beside tests that read English.
pub fn with_lang<R>(lang: Lang, f: impl FnOnce() -> R) -> R {
    /// Puts the thread's previous language back, also when `f` panics.
    struct Restore(Option<Lang>);
    impl Drop for Restore {
        fn drop(&mut self) {
            SCOPED.set(self.0);
        }
    }
    let _restore = Restore(SCOPED.replace(Some(lang)));
    f()
}

/// The template for `key` in the current language.
pub fn text(key: &str) -> &'static str {
    text_in(lang(), key)
}

/// The template for `key` in `lang`, whatever the current language: for
/// text that is always in one (the man page is English, as `--help` is).
pub fn text_in(lang: Lang, key: &str) -> &'static str {
    let catalog = match lang {
        Lang::ZhCn => generated::ZH_PAIRS,
        Lang::En => generated::EN_PAIRS,
    };
    lookup(catalog, key)
        .or_else(|| lookup(generated::EN_PAIRS, key))
        .unwrap_or("<missing message>")
}

/// The plural form `n` takes in `lang`: `one` or `other`.
pub fn plural_form(lang: Lang, n: u64) -> &'static str {
    match lang {
        Lang::En if n == 1 => "one",
        _ => "other",
    }
}

/// The template for `n` things: `{key}_one` or `{key}_other`.
pub fn text_n(key: &str, n: u64) -> &'static str {
    text(&format!("{key}_{}", plural_form(lang(), n)))
}

/// A number of things, whatever integer type counted them.
pub trait Count: Copy + Display {
    fn count(self) -> u64;
}

macro_rules! count_for {
    ($($t:ty),+) => {$(
        impl Count for $t {
            fn count(self) -> u64 {
                u64::try_from(self).unwrap_or(u64::MAX)
            }
        }
    )+};
}
count_for!(u8, u16, u32, u64, usize, i32, i64);

impl<T: Count> Count for &T {
    fn count(self) -> u64 {
        (*self).count()
    }
}

/// Replace `{name}` placeholders in a template.
pub fn fill(template: &str, args: &[(&str, &dyn Display)]) -> String {
    let mut out = String::with_capacity(template.len() + 32);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                match args.iter().find(|(n, _)| *n == name) {
                    Some((_, v)) => out.push_str(&v.to_string()),
                    None => {
                        out.push('{');
                        out.push_str(name);
                        out.push('}');
                    }
                }
                rest = &after[end + 1..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// `t!("key")` or `t!("key", name = value, ...)`: a catalog message.
#[macro_export]
macro_rules! t {
    ($key:literal) => {
        $crate::i18n::text($key).to_string()
    };
    ($key:literal, $($name:ident = $val:expr),+ $(,)?) => {
        $crate::i18n::fill(
            $crate::i18n::text($key),
            &[$((stringify!($name), &$val as &dyn ::std::fmt::Display)),+],
        )
    };
}

/// `tn!("key", n = count, name = value, ...)`: the catalog message for
/// that many things (`key_one` or `key_other`, chosen by the first
/// argument), filled like `t!`.
#[macro_export]
macro_rules! tn {
    ($key:literal, $count:ident = $n:expr $(, $name:ident = $val:expr)* $(,)?) => {{
        let count = $n;
        $crate::i18n::fill(
            $crate::i18n::text_n($key, $crate::i18n::Count::count(count)),
            &[
                (stringify!($count), &count as &dyn ::std::fmt::Display),
                $((stringify!($name), &$val as &dyn ::std::fmt::Display)),*
            ],
        )
    }};
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_named_placeholders() {
        let s = fill("{a} and {b}, {missing}", &[("a", &1), ("b", &"two")]);
        assert_eq!(s, "1 and two, {missing}");
    }

    #[test]
    fn lang_detection() {
        assert_eq!(
            Lang::from_env_values([None, Some("zh_CN.UTF-8")]),
            Lang::ZhCn
        );
        assert_eq!(
            Lang::from_env_values([Some("en"), Some("zh_CN.UTF-8")]),
            Lang::En
        );
        assert_eq!(Lang::from_env_values([Some(""), Some("C.UTF-8")]), Lang::En);
        assert_eq!(Lang::from_env_values([None, None]), Lang::En);
    }

    #[test]
    fn counted_messages_take_the_form_their_number_asks_for() {
        set_lang(Lang::En);
        assert_eq!(crate::tn!("count.providers", n = 1_usize), "1 provider");
        assert_eq!(crate::tn!("count.providers", n = 0_u64), "0 providers");
        assert_eq!(crate::tn!("count.requests", n = 2_u32), "2 requests");
        assert_eq!(
            crate::tn!("usage.rows_lost", n = 1_usize),
            "usage: 1 request was not recorded: the ledger could not be written \
             (budgets still count it in this session)"
        );
        with_lang(Lang::ZhCn, || {
            assert_eq!(crate::tn!("count.providers", n = 1_usize), "1 个提供商");
            assert_eq!(crate::tn!("count.providers", n = 3_usize), "3 个提供商");
        });
        assert_eq!(plural_form(Lang::ZhCn, 1), "other");
    }

    #[test]
    fn with_lang_switches_this_thread_only_and_back() {
        set_lang(Lang::En);
        let zh = with_lang(Lang::ZhCn, || {
            let other = std::thread::spawn(lang).join().unwrap();
            (lang(), other, with_lang(Lang::En, lang), lang())
        });
        assert_eq!(zh, (Lang::ZhCn, Lang::En, Lang::En, Lang::ZhCn));
        assert_eq!(lang(), Lang::En);
    }
}
