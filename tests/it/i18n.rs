//! The message catalogs: every key used in the code exists in English, and
//! the Chinese catalog has exactly the same keys and placeholders; and
//! output that has to follow the language does.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use ccswitch::i18n::{EN_SOURCE, ZH_SOURCE, parse_catalog};

use crate::support::Home;

const ZH: [(&str, &str); 1] = [("CCSWITCH_LANG", "zh_CN.UTF-8")];

fn placeholders(s: &str) -> BTreeSet<String> {
    s.split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}'))
        .map(|(n, _)| n.to_string())
        .collect()
}

/// String literals passed as the first argument of `t!(` or `text(`.
fn used_keys(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            used_keys(&path, out);
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        for marker in ["t!(", "text("] {
            for (i, _) in src.match_indices(marker) {
                let rest = src[i + marker.len()..].trim_start();
                if let Some(lit) = rest.strip_prefix('"') {
                    let key = &lit[..lit.find('"').unwrap()];
                    let is_key = key.contains('.')
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
                    if is_key {
                        out.insert(key.to_string());
                    }
                }
            }
        }
    }
}

#[test]
fn every_used_key_exists_in_english() {
    let en = parse_catalog(EN_SOURCE);
    let mut used = BTreeSet::new();
    used_keys(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut used,
    );
    assert!(used.len() > 100, "found only {} keys", used.len());
    let missing: Vec<_> = used.iter().filter(|k| !en.contains_key(*k)).collect();
    assert!(
        missing.is_empty(),
        "keys used in code but missing from en.toml: {missing:?}"
    );
}

#[test]
fn chinese_matches_english() {
    let en: HashMap<String, String> = parse_catalog(EN_SOURCE);
    let zh: HashMap<String, String> = parse_catalog(ZH_SOURCE);
    let en_keys: BTreeSet<_> = en.keys().collect();
    let zh_keys: BTreeSet<_> = zh.keys().collect();
    let missing: Vec<_> = en_keys.difference(&zh_keys).collect();
    let extra: Vec<_> = zh_keys.difference(&en_keys).collect();
    assert!(missing.is_empty(), "missing in zh-CN.toml: {missing:?}");
    assert!(extra.is_empty(), "only in zh-CN.toml: {extra:?}");
    for (k, v) in &en {
        assert_eq!(
            placeholders(v),
            placeholders(&zh[k]),
            "placeholders differ for {k}"
        );
    }
}

/// Issue 27, wart 13: `ccswitch usage` printed its column headings in
/// English whatever the language; the footer, which names two of them,
/// must name them as the header does.
#[test]
fn usage_tables_head_their_columns_in_chinese() {
    let home = Home::new();
    let overview = home.run_env(&["usage"], &ZH).ok().stdout.clone();
    let header = overview.lines().next().unwrap();
    for heading in ["请求", "输入", "输出", "缓存读取", "费用", "其中缓存"] {
        assert!(header.contains(heading), "{header}");
    }
    assert!(overview.contains("\n模型  "), "{overview}");
    assert!(
        overview.contains("输入含缓存读取与写入；缓存读取是"),
        "{overview}"
    );
    let by = home
        .run_env(&["usage", "--by", "provider"], &ZH)
        .ok()
        .stdout
        .clone();
    assert!(by.lines().nth(1).unwrap().starts_with("提供商  "), "{by}");
    for english in ["REQUESTS", "INPUT", "CACHE", "COST", "MODEL", "PROVIDER"] {
        assert!(!overview.contains(english), "{overview}");
        assert!(!by.contains(english), "{by}");
    }
    // English stays as it was.
    let en = home.run(&["usage"]).ok().stdout.clone();
    assert!(
        en.starts_with("              REQUESTS  INPUT  OUTPUT  CACHE READ  COST   OF IT CACHE\n"),
        "{en}"
    );
    assert!(
        en.contains("\nINPUT counts cache reads and writes; CACHE READ is"),
        "{en}"
    );
}

/// The other lists' column headings follow the language too; English
/// keeps its own.
#[test]
fn list_tables_head_their_columns_in_chinese() {
    let home = Home::new();
    home.write_config(
        "default = \"ds\"\n[providers.ds]\npreset = \"deepseek\"\nkey = { env = \"DS_TEST_KEY\" }\n\
         [profiles.ds]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n",
    );
    for (args, zh, en) in [
        (
            &["profile", "list"][..],
            "   配置档  提供商  主模型",
            "   PROFILE  PROVIDER  MAIN",
        ),
        (&["provider", "list"], "提供商  预设", "PROVIDER  PRESET"),
        (&["key", "status"], "提供商  来源", "PROVIDER  SOURCES"),
        (&["presets"], "预设", "PRESET"),
        (&["paths"], "项目", "WHAT"),
    ] {
        let out = home.run_env(args, &ZH).ok().stdout.clone();
        assert!(out.starts_with(zh), "{args:?}:\n{out}");
        let out = home.run(args).ok().stdout.clone();
        assert!(out.starts_with(en), "{args:?}:\n{out}");
    }
}

/// Every command and option `--help` lists says what it is for, in the
/// language asked for (issue 27, wart 13: help was English only). Chinese
/// text has at least one Chinese character; positional arguments that had
/// no help before (`NAME`) may still have none.
#[test]
fn help_texts_come_from_the_catalog_in_each_language() {
    use ccswitch::i18n::{Lang, with_lang};
    use clap::CommandFactory;
    fn walk(cmd: &clap::Command, path: &str, zh: bool, out: &mut Vec<String>) {
        let chinese = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        let said = |s: Option<&clap::builder::StyledStr>| {
            s.map(ToString::to_string)
                .filter(|s| !s.is_empty() && (!zh || chinese(s)))
        };
        if said(cmd.get_about()).is_none() {
            out.push(format!("{path}: about"));
        }
        for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
            if said(a.get_help()).is_none() && !a.is_positional() {
                out.push(format!("{path} --{}", a.get_id()));
            }
        }
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
            walk(sub, &format!("{path} {}", sub.get_name()), zh, out);
        }
    }
    for (lang, zh) in [(Lang::En, false), (Lang::ZhCn, true)] {
        let mut missing = Vec::new();
        with_lang(lang, || {
            walk(&ccswitch::cli::Cli::command(), "ccswitch", zh, &mut missing);
        });
        assert!(missing.is_empty(), "{lang:?}: no help for {missing:#?}");
    }
}
