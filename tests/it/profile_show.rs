//! `ccswitch profile show`: every slot's fallback chain and the budgets
//! over the profile's requests, in English and Chinese, and in `--json`.

use crate::support::Home;

/// A main slot that falls back twice (to another provider, then its own),
/// a fast slot that does not, and budgets on the profile and on the
/// fallback's provider.
const CONFIG: &str = r#"
default = "work"
[providers.ds]
preset = "deepseek"
[providers.moon]
preset = "moonshot"
budget = { monthly_tokens = 900_000_000 }
[profiles.work]
provider = "ds"
main = ["deepseek-v4-pro", { provider = "moon", model = "kimi-k3" }, "deepseek-v4-flash"]
fast = "deepseek-v4-flash"
budget = { daily_usd = 5, monthly_usd = 100.5 }
[profiles.plain]
provider = "ds"
main = "deepseek-v4-pro"
"#;

fn mk_home() -> Home {
    let home = Home::new();
    home.write_config(CONFIG);
    home
}

#[test]
fn show_lists_each_slots_fallbacks_and_the_budgets() {
    let home = mk_home();
    let out = home.run(&["profile", "show", "work"]).ok().stdout.clone();
    let chain = out.lines().position(|l| {
        l.starts_with("  fallbacks ") && l.ends_with(" moon/kimi-k3 → ds/deepseek-v4-flash")
    });
    let main = out.lines().position(|l| l.starts_with("main "));
    assert_eq!(chain, main.map(|m| m + 1), "under main:\n{out}");
    assert!(out.contains("$5 a day · $100.50 a month"), "{out}");
    assert!(
        out.contains("900.0M tokens a month (all profiles)"),
        "{out}"
    );
    // No chain, no budget: no lines for them.
    let plain = home.run(&["profile", "show", "plain"]).ok().stdout.clone();
    assert!(
        !plain.contains("fallbacks") && !plain.contains("budget"),
        "{plain}"
    );
    insta::assert_snapshot!("profile_show_en", out);
}

/// Chinese labels are two cells a character: the values still line up.
#[test]
fn show_in_chinese_lines_up_by_display_width() {
    let home = mk_home();
    let zh = [("CCSWITCH_LANG", "zh-CN")];
    let out = home
        .run_env(&["profile", "show", "work"], &zh)
        .ok()
        .stdout
        .clone();
    assert!(out.contains("备用链"), "{out}");
    assert!(out.contains("每日 $5 · 每月 $100.50"), "{out}");
    // Every value starts in the same column, counted in cells.
    let starts: Vec<usize> = out
        .lines()
        .map(|l| {
            let indent = l.len() - l.trim_start().len();
            let label = l.trim_start().split("  ").next().unwrap_or_default();
            let rest = &l[indent + label.len()..];
            indent + cells(label) + rest.len() - rest.trim_start().len()
        })
        .collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{starts:?}\n{out}");
    insta::assert_snapshot!("profile_show_zh", out);
}

/// Cells a string takes in a terminal: CJK characters take two.
fn cells(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if ('\u{2e80}'..='\u{9fff}').contains(&c) {
                2
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn show_json_has_the_chains_and_every_budget_that_applies() {
    let home = mk_home();
    let v = home.run(&["profile", "show", "work", "--json"]).ok().json();
    let chain = &v["main"]["fallbacks"];
    assert_eq!(chain[0]["provider"], "moon");
    assert_eq!(chain[0]["model"], "kimi-k3");
    assert_eq!(chain[1]["provider"], "ds");
    assert_eq!(chain[1]["model"], "deepseek-v4-flash");
    assert_eq!(v["budget"]["daily_usd"], 5.0);
    assert_eq!(v["budget"]["monthly_usd"], 100.5);
    assert_eq!(v["provider_budgets"]["moon"]["monthly_tokens"], 900_000_000);
    assert!(v["provider_budgets"].get("ds").is_none(), "{v}");
    let plain = home
        .run(&["profile", "show", "plain", "--json"])
        .ok()
        .json();
    assert_eq!(plain["provider_budgets"], serde_json::json!({}));
}

/// A profile with a model menu: a plain id, a labelled model of another
/// provider with a fallback, and a whole provider.
const MENUED: &str = r#"
[providers.ds]
preset = "deepseek"
[providers.moon]
preset = "moonshot"
[profiles.menued]
provider = "ds"
main = "deepseek-v4-pro"
menu = [
  "deepseek-v4-flash",
  { provider = "moon", model = "kimi-k3", label = "Kimi K3", fallbacks = ["deepseek-v4-pro"] },
  { provider = "moon", models = "all" },
]
"#;

#[test]
fn show_lists_the_menu_after_the_slots() {
    let home = Home::new();
    home.write_config(MENUED);
    let out = home.run(&["profile", "show", "menued"]).ok().stdout.clone();
    let lines: Vec<&str> = out.lines().collect();
    let at = lines.iter().position(|l| l.starts_with("menu ")).unwrap();
    assert!(lines[at].ends_with(" 3 entries"), "{out}");
    assert!(
        lines[at - 1].starts_with("fast "),
        "after the slots:\n{out}"
    );
    let entries: Vec<&str> = lines[at + 1..=at + 3].iter().map(|l| l.trim()).collect();
    assert_eq!(
        entries,
        [
            "ds/deepseek-v4-flash",
            "Kimi K3 (moon/kimi-k3) → ds/deepseek-v4-pro",
            "moon/* (all models)"
        ],
        "{out}"
    );
    let zh = home
        .run_env(
            &["profile", "show", "menued"],
            &[("CCSWITCH_LANG", "zh-CN")],
        )
        .ok()
        .stdout
        .clone();
    assert!(
        zh.contains("菜单") && zh.contains("3 项") && zh.contains("moon/* (全部模型)"),
        "{zh}"
    );
    let v = home
        .run(&["profile", "show", "menued", "--json"])
        .ok()
        .json();
    assert_eq!(
        v["menu"],
        serde_json::json!([
            { "provider": "ds", "model": "deepseek-v4-flash" },
            {
                "provider": "moon",
                "model": "kimi-k3",
                "label": "Kimi K3",
                "fallbacks": [{ "provider": "ds", "model": "deepseek-v4-pro" }]
            },
            { "provider": "moon", "models": "all" },
        ])
    );
}
