//! Saving config.toml: comments survive, writes are atomic with a backup, a
//! file that does not parse is never written over, and concurrent saves from
//! separate processes all land.

use crate::support::Home;

const COMMENTED: &str = r#"# My providers. Do not lose this comment.
default = "ds"   # the usual one

[providers.deepseek]
preset = "deepseek"   # native endpoint
key = { env = "DEEPSEEK_API_KEY" }

# A profile for daily work
[profiles.ds]
provider = "deepseek"
main = "deepseek-v4-pro"   # the big one
fast = "deepseek-v4-flash"
"#;

#[test]
fn edits_keep_comments_order_and_write_a_backup() {
    let home = Home::new();
    home.write_config(COMMENTED);
    home.run(&[
        "profile",
        "add",
        "second",
        "--provider",
        "deepseek",
        "--main",
        "deepseek-v4-flash",
    ])
    .ok();
    home.run(&["profile", "edit", "ds", "--fast", "deepseek-v4-pro"])
        .ok();
    let after = home.read_config();
    for needle in [
        "# My providers. Do not lose this comment.",
        "default = \"ds\"   # the usual one",
        "preset = \"deepseek\"   # native endpoint",
        "# A profile for daily work",
        "main = \"deepseek-v4-pro\"   # the big one",
    ] {
        assert!(after.contains(needle), "lost `{needle}`:\n{after}");
    }
    assert!(after.contains("fast = \"deepseek-v4-pro\""), "{after}");
    // Order: the existing profile stays before the new one.
    assert!(after.find("[profiles.ds]").unwrap() < after.find("[profiles.second]").unwrap());
    // The backup holds the version before the last save.
    let bak = std::fs::read_to_string(home.path().join("config.toml.bak")).unwrap();
    assert!(
        bak.contains("[profiles.second]") && bak.contains("fast = \"deepseek-v4-flash\""),
        "{bak}"
    );
    // No temp files are left behind.
    let stray: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .filter_map(std::result::Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

#[test]
fn a_file_that_does_not_parse_is_never_written_over() {
    let home = Home::new();
    let broken = "[providers.deepseek]\npreset = \"deepseek\"\nmian = oops\n";
    home.write_config(broken);
    let r = home.run(&["provider", "add", "ollama"]);
    r.fails(2);
    assert!(r.stderr.contains("config.toml:3:"), "{}", r.stderr);
    assert_eq!(home.read_config(), broken);
    assert!(!home.path().join("config.toml.bak").exists());

    let unknown_key = "[providers.deepseek]\npreset = \"deepseek\"\nbse_url = \"x\"\n";
    home.write_config(unknown_key);
    let r = home.run(&["profile", "add", "p", "--provider", "deepseek"]);
    r.fails(2);
    assert!(r.stderr.contains("unknown field `bse_url`"), "{}", r.stderr);
    assert!(
        r.stderr.contains("Did you mean `base_url`?"),
        "{}",
        r.stderr
    );
    assert_eq!(home.read_config(), unknown_key);
}

#[test]
fn an_edit_that_would_break_the_file_is_not_saved() {
    let home = Home::new();
    home.write_config(COMMENTED);
    // `--via` names a provider that does not exist.
    let r = home.run(&["profile", "edit", "ds", "--fast", "x", "--via", "fast=nope"]);
    r.fails(2);
    assert!(r.stderr.contains("was not saved"), "{}", r.stderr);
    assert!(r.stderr.contains("provider `nope`"), "{}", r.stderr);
    assert_eq!(home.read_config(), COMMENTED);
}

#[test]
fn concurrent_saves_from_many_processes_all_land() {
    let home = Home::new();
    home.run(&["provider", "add", "deepseek"]).ok();
    let n = 12;
    let children: Vec<_> = (0..n)
        .map(|i| {
            home.cmd(&["profile", "add", &format!("p{i}"), "--provider", "deepseek"])
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let list = home.run(&["profile", "list", "--json"]).ok().json();
    let names: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap().to_string())
        .collect();
    for i in 0..n {
        assert!(names.contains(&format!("p{i}")), "p{i} lost: {names:?}");
    }
    assert_eq!(names.len(), n);
}

#[cfg(unix)]
#[test]
fn saving_is_atomic_and_private() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new();
    home.run(&["provider", "add", "deepseek"]).ok();
    let mode = std::fs::metadata(home.config())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    // A new file starts with the explanatory header.
    assert!(home.read_config().starts_with("# ccswitch configuration"));
}
