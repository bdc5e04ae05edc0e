//! Shell completion as a shell does it: the script `ccswitch completions
//! bash` prints, sourced into a real bash, asked for `ccswitch run w<TAB>`;
//! and fish's protocol. Profile names come from the config at TAB time.

use std::process::Command;

use crate::support::{BIN, Home};

const CONFIG: &str = "[providers.oa]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:9/v1\"\n\
    [profiles.work]\nprovider = \"oa\"\nmain = \"m\"\ndescription = \"daily driver\"\n\
    [profiles.wild]\nprovider = \"oa\"\nmain = \"m\"\n\
    [profiles.other]\nprovider = \"oa\"\nmain = \"m\"\n";

/// `bash`'s TAB on `line` (its last word being completed): COMPREPLY.
pub(crate) fn bash_tab(home: &Home, script: &str, words: &[&str]) -> Vec<String> {
    let dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cword = words.len() - 1;
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let drive = format!(
        "{script}\nCOMP_WORDS=({}); COMP_CWORD={cword}; COMP_TYPE=9\n\
         _clap_complete_ccswitch ccswitch '{}' '{}'\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        quoted.join(" "),
        words[cword],
        words[cword.saturating_sub(1)]
    );
    let out = Command::new(crate::support::require_program("bash", "bash"))
        .args(["--norc", "--noprofile", "-c", &drive])
        .env("PATH", path)
        .env("CCSWITCH_HOME", home.path())
        .output()
        .expect("bash runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn run_tab_completes_the_profile_names_of_the_config_as_it_is_now() {
    let home = Home::new();
    home.write_config(CONFIG);
    let script = home.run(&["completions", "bash"]).ok().stdout.clone();
    assert_eq!(
        bash_tab(&home, &script, &["ccswitch", "run", "w"]),
        ["work", "wild"]
    );
    // A profile added after the script was made completes too.
    home.write_config(&format!(
        "{CONFIG}[profiles.weekend]\nprovider = \"oa\"\nmain = \"m\"\n"
    ));
    let mut got = bash_tab(&home, &script, &["ccswitch", "test", "we"]);
    got.sort();
    assert_eq!(got, ["weekend"]);
    // Subcommands still complete as before.
    assert!(bash_tab(&home, &script, &["ccswitch", "ru"]).contains(&"run".to_string()));
    // fish's protocol names each profile's description.
    let out = Command::new(BIN)
        .args(["--", "ccswitch", "run", "w"])
        .env("COMPLETE", "fish")
        .env("CCSWITCH_HOME", home.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("work\tdaily driver") && text.contains("wild"),
        "{text}"
    );
    // A broken config completes nothing, and says nothing.
    std::fs::write(home.path().join("config.toml"), "[profiles.x\n").unwrap();
    assert!(bash_tab(&home, &script, &["ccswitch", "run", "w"]).is_empty());
}
