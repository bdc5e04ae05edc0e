//! The message catalogs: every key used in the code exists in English, and
//! the Chinese catalog has exactly the same keys and placeholders.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use ccswitch::i18n::{EN_SOURCE, ZH_SOURCE, parse_catalog};

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
