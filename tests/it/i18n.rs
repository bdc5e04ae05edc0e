//! The message catalogs: every key used in the code exists in English, and
//! the Chinese catalog has exactly the same keys and placeholders; and
//! output that has to follow the language does.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use ccswitch::i18n::{EN_SOURCE, Lang, ZH_SOURCE, parse_catalog};

use crate::support::Home;

const ZH: [(&str, &str); 1] = [("CCSWITCH_LANG", "zh_CN.UTF-8")];

fn placeholders(s: &str) -> BTreeSet<String> {
    s.split('{')
        .skip(1)
        .filter_map(|p| p.split_once('}'))
        .map(|(n, _)| n.to_string())
        .collect()
}

/// String literals passed as the first argument of `t!(` or `text(`; for
/// `tn!(` (a counted message), its two forms, `_one` and `_other`.
fn used_keys(dir: &Path, out: &mut BTreeSet<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            used_keys(&path, out);
            continue;
        }
        let src = std::fs::read_to_string(&path).unwrap();
        for marker in ["t!(", "text(", "tn!("] {
            for (i, _) in src.match_indices(marker) {
                // `tn!(` also ends in `n!(`, not in `t!(`.
                if marker == "t!(" && src[..i].ends_with('t') {
                    continue;
                }
                let rest = src[i + marker.len()..].trim_start();
                if let Some(lit) = rest.strip_prefix('"') {
                    let key = &lit[..lit.find('"').unwrap()];
                    let is_key = key.contains('.')
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '_' || c == '.');
                    if is_key && marker == "tn!(" {
                        out.insert(format!("{key}_one"));
                        out.insert(format!("{key}_other"));
                    } else if is_key {
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
    // A request today: an empty ledger prints no table.
    crate::support::ledger_on(home.path(), 1, "date('now', 'localtime')");
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

/// `ccswitch` with this Chinese locale (and no CCSWITCH_LANG), as a user
/// with `LANG=zh_CN.UTF-8` runs it.
fn run_in_chinese_locale(home: &Home, args: &[&str]) -> crate::support::Run {
    let out = home
        .cmd(args)
        .env_remove("CCSWITCH_LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .unwrap();
    crate::support::Run::from(out)
}

/// Issue 27, wart 13: `--help` was English only. Under a Chinese locale
/// the help texts and clap's own words (headings, `Print help`,
/// `[default: …]`) are Chinese; English stays clap's, byte for byte.
#[test]
fn help_speaks_the_users_language() {
    let home = Home::new();
    let zh = run_in_chinese_locale(&home, &["--help"]);
    insta::assert_snapshot!("help_zh", zh.ok().stdout);
    let serve = run_in_chinese_locale(&home, &["serve", "--help"]);
    for said in [
        "用法：ccswitch serve [OPTIONS] [PROFILE]",
        "参数：\n  [PROFILE]  要提供服务的配置档",
        "选项：\n      --port <PORT>",
        "[默认：sh] [可选值：sh, fish, powershell, cmd]",
        "  -h, --help               显示帮助",
    ] {
        assert!(serve.stdout.contains(said), "{said}\n{}", serve.stdout);
    }
    let en = home.run(&["--help"]);
    insta::assert_snapshot!("help_en", en.ok().stdout);
    let serve = home.run(&["serve", "--help"]).ok().stdout.clone();
    assert!(
        serve.contains("--shell <SHELL>      Syntax of the printed environment lines [default: sh] [possible values: sh, fish, powershell, cmd]\n"),
        "{serve}"
    );
}

/// A wrong command line is answered in the user's language: clap's
/// message, its suggestions and hints, the usage line and the pointer to
/// `--help`, with clap's exit code. English is clap's own.
#[test]
fn argument_errors_speak_the_users_language() {
    let home = Home::new();
    for (args, zh, en) in [
        (
            &["--bogus"][..],
            "错误：无法识别的参数 '--bogus'\n\n用法：ccswitch [OPTIONS] [COMMAND]\n\n更多信息请运行 '--help'。\n",
            "error: unexpected argument '--bogus' found\n\nUsage: ccswitch [OPTIONS] [COMMAND]\n\nFor more information, try '--help'.\n",
        ),
        (
            &["profle"],
            "错误：无法识别的子命令 'profle'\n\n  提示：相似的子命令：'route', 'provider', 'profile'\n",
            "error: unrecognized subcommand 'profle'\n\n  tip: some similar subcommands exist: 'route', 'provider', 'profile'\n",
        ),
        (
            &["usage", "--by", "week"],
            "错误：'--by <BY>' 的值 'week' 无效\n  [可选值：day, profile, provider, model, session, member, team, project]\n",
            "error: invalid value 'week' for '--by <BY>'\n  [possible values: day, profile, provider, model, session, member, team, project]\n",
        ),
        (
            &["profile", "add"],
            "错误：缺少以下必需的参数：\n  <NAME>\n\n用法：ccswitch profile add <NAME>\n",
            "error: the following required arguments were not provided:\n  <NAME>\n\nUsage: ccswitch profile add <NAME>\n",
        ),
        (
            &["usage", "--json", "--csv"],
            "错误：参数 '--json' 不能与 '--csv' 同时使用\n",
            "error: the argument '--json' cannot be used with '--csv'\n",
        ),
        (
            &["run", "--bogus"],
            "  提示：要把 '--bogus' 当作值传入，请写成 '-- --bogus'\n",
            "  tip: to pass '--bogus' as a value, use '-- --bogus'\n",
        ),
        (
            &["serve", "--port", "x"],
            "错误：'--port <PORT>' 的值 'x' 无效：invalid digit found in string\n",
            "error: invalid value 'x' for '--port <PORT>': invalid digit found in string\n",
        ),
    ] {
        let r = run_in_chinese_locale(&home, args);
        r.fails(2);
        assert!(r.stderr.contains(zh), "{args:?}:\n{}", r.stderr);
        let r = home.run(args);
        r.fails(2);
        assert!(r.stderr.contains(en), "{args:?}:\n{}", r.stderr);
    }
}

/// The words of an English message that are prose: without code
/// (`` `ccswitch profile add` ``), quoted literals (`"Providers"`),
/// placeholders (`{profile}`), TOML tables (`[profiles.x]`) and the
/// shell's profile (`~/.bashrc`, PowerShell's `$PROFILE`). An upper-case
/// word among lower-case ones names a value to type (`SLOT=PROVIDER`), not
/// the thing; a message of upper-case words alone is a column heading.
fn prose_words(s: &str) -> Vec<String> {
    let mut kept = String::new();
    let mut until: Option<char> = None;
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        let after = &rest[c.len_utf8()..];
        match until {
            Some(end) if c == end => until = None,
            Some(_) => {}
            None => match c {
                '`' => until = Some('`'),
                '"' => until = Some('"'),
                '{' => until = Some('}'),
                '[' if after.split(']').next().is_some_and(|t| t.contains('.')) => {
                    until = Some(']');
                }
                _ => kept.push(c),
            },
        }
        rest = after;
    }
    let kept = kept.replace("shell profile", "").replace("$PROFILE", "");
    let words: Vec<&str> = kept
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| !w.is_empty())
        .collect();
    let heading = words
        .iter()
        .all(|w| w.chars().all(|c| c.is_ascii_uppercase()));
    words
        .into_iter()
        .filter(|w| heading || w.chars().any(|c| c.is_ascii_lowercase()))
        .map(str::to_ascii_lowercase)
        .collect()
}

#[test]
fn prose_words_leave_out_code_names_and_values() {
    let words = |s| prose_words(s).join(" ");
    assert_eq!(
        words("Profile `{profile}` has no provider."),
        "profile has no provider"
    );
    assert_eq!(
        words("run `ccswitch profile add` with \"Providers\""),
        "run with"
    );
    assert_eq!(
        words("add it to [profiles.{profile}] in config.toml"),
        "add it to in config toml"
    );
    assert_eq!(words("your shell profile ($PROFILE)"), "your");
    assert_eq!(
        words("like SLOT=PROVIDER, with SLOT one of"),
        "like with one of"
    );
    assert_eq!(words("LAST USED"), "last used");
}

/// Issue 27, wart 13: the Chinese catalog said 配置 and 配置档 for a
/// profile, and 服务商 and 提供商 for a provider. One word each now: a
/// message whose English speaks of profiles says 配置档, and only such a
/// message does (配置 alone is configuration, the config file); likewise
/// providers and 提供商; 服务商 is not used.
#[test]
fn chinese_says_one_word_for_profile_and_one_for_provider() {
    let en = parse_catalog(EN_SOURCE);
    let zh = parse_catalog(ZH_SOURCE);
    let mut wrong = Vec::new();
    for (key, english) in &en {
        let chinese = &zh[key];
        let words = prose_words(english);
        let says = |w: &str| words.iter().any(|x| x == w || *x == format!("{w}s"));
        for (word, term) in [("profile", "配置档"), ("provider", "提供商")] {
            if says(word) != chinese.contains(term) {
                wrong.push(format!("{key}: {english:?} | {chinese:?}"));
            }
        }
        if chinese.contains("服务商") {
            wrong.push(format!("{key}: 服务商 in {chinese:?}"));
        }
    }
    wrong.sort();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// Issue 27, wart 13: English said "1 providers", "1 requests",
/// "provider(s)". A counted message has a form for one and one for other
/// numbers, in both catalogs (Chinese says the same in both), and no
/// English message says "(s)".
#[test]
fn counted_messages_have_both_forms_and_english_no_s_in_brackets() {
    for (name, src) in [("en", EN_SOURCE), ("zh-CN", ZH_SOURCE)] {
        let catalog = parse_catalog(src);
        for key in catalog.keys() {
            for (this, other) in [("_one", "_other"), ("_other", "_one")] {
                if let Some(stem) = key.strip_suffix(this) {
                    let pair = format!("{stem}{other}");
                    assert!(catalog.contains_key(&pair), "{name}: {key} without {pair}");
                }
            }
        }
    }
    let en = parse_catalog(EN_SOURCE);
    let bracketed: Vec<_> = en
        .iter()
        // `clap.*` quotes clap's own English, which English output keeps.
        .filter(|(k, v)| v.contains("(s)") && !v.contains("http(s)") && !k.starts_with("clap."))
        .map(|(k, v)| format!("{k}: {v}"))
        .collect();
    assert!(bracketed.is_empty(), "{bracketed:#?}");
}

/// What users saw: `config check` with one provider, and `doctor`.
#[test]
fn one_of_a_thing_is_singular_in_english() {
    let home = Home::new();
    home.write_config(
        "[providers.ds]\npreset = \"deepseek\"\nkey = { env = \"DS_TEST_KEY\" }\n\
         [profiles.ds]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n\
         [profiles.ds2]\nprovider = \"ds\"\nmain = \"deepseek-v4-flash\"\n",
    );
    let r = home.run(&["config", "check"]);
    assert!(
        r.ok().stdout.contains("is valid: 1 provider, 2 profiles."),
        "{}",
        r.stdout
    );
    let r = home.run_env(&["config", "check"], &ZH);
    assert!(
        r.ok().stdout.contains("有效：1 个提供商，2 个配置档。"),
        "{}",
        r.stdout
    );
}

/// The tables build.rs compiles the catalogs into say what the catalogs
/// say, every message of both languages.
#[test]
fn the_compiled_catalogs_match_their_sources() {
    for (lang, src) in [(Lang::En, EN_SOURCE), (Lang::ZhCn, ZH_SOURCE)] {
        for (key, text) in parse_catalog(src) {
            assert_eq!(ccswitch::i18n::text_in(lang, &key), text, "{lang:?} {key}");
        }
    }
}
