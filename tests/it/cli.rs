//! The real binary against a temp CCSWITCH_HOME.

use crate::support::Home;

#[test]
fn profile_lifecycle() {
    let home = Home::new();
    home.run(&["profile", "list"]).ok();
    home.run(&["provider", "add", "deepseek"]).ok();
    home.run(&["provider", "add", "local", "--preset", "ollama"])
        .ok();
    // Without --main the preset's suggestions fill main and fast.
    home.run(&["profile", "add", "ds", "--provider", "deepseek"])
        .ok();
    let show = home.run(&["profile", "show", "ds", "--json"]).ok().json();
    assert_eq!(show["main"]["model"], "deepseek-v4-pro");
    assert_eq!(show["fast"]["model"], "deepseek-v4-flash");
    // The first profile becomes the default.
    assert_eq!(show["default"], true);

    home.run(&[
        "profile",
        "add",
        "mixed",
        "--provider",
        "deepseek",
        "--main",
        "deepseek-v4-pro",
        "--fast",
        "qwen3-coder:30b",
        "--via",
        "fast=local",
        "--description",
        "pro + local fast",
    ])
    .ok();
    let config = home.read_config();
    assert!(
        config.contains(r#"fast = { provider = "local", model = "qwen3-coder:30b" }"#),
        "{config}"
    );

    home.run(&["profile", "default", "mixed"]).ok();
    let list = home.run(&["profile", "list", "--json"]).ok().json();
    let default: Vec<_> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["default"] == true)
        .collect();
    assert_eq!(default.len(), 1);
    assert_eq!(default[0]["name"], "mixed");
    let table = home.run(&["profile", "list"]).ok().stdout.clone();
    assert!(table.contains("*  mixed"), "{table}");
    assert!(table.contains("qwen3-coder:30b (local)"), "{table}");

    home.run(&[
        "profile",
        "edit",
        "mixed",
        "--unset",
        "fast",
        "--opus",
        "deepseek-v4-pro",
    ])
    .ok();
    let show = home
        .run(&["profile", "show", "mixed", "--json"])
        .ok()
        .json();
    assert_eq!(
        show["fast"]["model"], "deepseek-v4-pro",
        "fast falls back to main"
    );
    assert_eq!(show["opus"]["model"], "deepseek-v4-pro");

    // Removing the default profile also removes the `default` line, and
    // its "last used" entry (a new profile by that name starts unused).
    let state = home.path().join("state.toml");
    std::fs::write(
        &state,
        "[last_used]\nmixed = \"2026-11-03T09:12:44Z\"\nother = \"2026-11-03T09:12:44Z\"\n",
    )
    .unwrap();
    home.run(&["profile", "rm", "mixed"]).ok();
    assert!(!home.read_config().contains("default ="));
    let left = std::fs::read_to_string(&state).unwrap();
    assert!(!left.contains("mixed") && left.contains("other"), "{left}");
    home.run(&["profile", "show", "mixed"]).fails(2);
}

#[test]
fn provider_commands() {
    let home = Home::new();
    let r = home.run(&["provider", "add", "deepseek"]);
    r.ok();
    assert!(
        r.stdout.contains("ccswitch key set deepseek"),
        "{}",
        r.stdout
    );
    home.run(&[
        "provider",
        "add",
        "corp",
        "--preset",
        "litellm",
        "--base-url",
        "https://llm.corp.example:4000",
        "--key-env",
        "LITELLM_KEY",
        "--proxy",
        "http://u:pw@proxy.example:8080",
    ])
    .ok();
    home.run(&[
        "provider",
        "add",
        "mine",
        "--api",
        "openai",
        "--base-url",
        "http://127.0.0.1:8000/v1",
    ])
    .ok();
    let list = home.run(&["provider", "list", "--json"]).ok().json();
    assert_eq!(list.as_array().unwrap().len(), 3);
    let corp = home
        .run(&["provider", "show", "corp", "--json"])
        .ok()
        .json();
    assert_eq!(corp["key"]["env"], "LITELLM_KEY");
    assert_eq!(corp["proxy"], "http://u:****@proxy.example:8080/");
    let shown = home.run(&["provider", "show", "corp"]).ok().stdout.clone();
    assert!(!shown.contains("pw@"), "proxy password shown: {shown}");
    // A gateway's basic auth in the base URL is hidden the same way, in
    // every view of the provider and of a profile on it.
    home.run(&[
        "provider",
        "add",
        "gw",
        "--api",
        "openai",
        "--base-url",
        "https://alice:s3cret@gw.example/v1",
    ])
    .ok();
    home.run(&["profile", "add", "g", "--provider", "gw", "--main", "m"])
        .ok();
    for args in [
        &["provider", "show", "gw"][..],
        &["provider", "show", "gw", "--json"],
        &["provider", "list"],
        &["provider", "list", "--json"],
        &["profile", "show", "g"],
        &["profile", "show", "g", "--json"],
    ] {
        let out = home.run(args).ok().stdout.clone();
        assert!(
            !out.contains("s3cret"),
            "{args:?} shows the password: {out}"
        );
        // (A profile's JSON names its provider, not the provider's URL.)
        if args[0] == "provider" || args.len() == 3 {
            assert!(out.contains("gw.example"), "{args:?}: {out}");
        }
    }

    // Unknown preset: exit 2 and the list of presets.
    let r = home.run(&["provider", "add", "x", "--preset", "nope"]);
    r.fails(2);
    assert!(
        r.stderr.contains("deepseek") && r.stderr.contains("openrouter"),
        "{}",
        r.stderr
    );
    // A name that is no preset, without --preset/--api.
    home.run(&["provider", "add", "whatever"]).fails(2);
    // Duplicate.
    home.run(&["provider", "add", "deepseek"]).fails(2);

    // Refuses to remove a provider in use, and names the profile.
    home.run(&[
        "profile",
        "add",
        "work",
        "--provider",
        "corp",
        "--main",
        "gpt-x",
    ])
    .ok();
    let r = home.run(&["provider", "rm", "corp"]);
    r.fails(2);
    assert!(r.stderr.contains("work"), "{}", r.stderr);
    home.run(&["provider", "rm", "mine"]).ok();
    home.run(&["provider", "show", "mine"]).fails(2);
}

#[test]
fn presets_and_paths() {
    let home = Home::new();
    let presets = home.run(&["presets", "--json"]).ok().json();
    let ids: Vec<&str> = presets
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    for required in [
        "anthropic",
        "deepseek",
        "moonshot",
        "zhipu",
        "zai",
        "qwen",
        "minimax",
        "siliconflow",
        "openrouter",
        "openai",
        "gemini",
        "groq",
        "xai",
        "mistral",
        "together",
        "fireworks",
        "volcengine",
        "ollama",
        "lm-studio",
        "vllm",
        "llama-cpp",
        "litellm",
        "azure-openai",
        "bedrock",
        "vertex",
        "custom-openai",
        "custom-anthropic",
    ] {
        assert!(ids.contains(&required), "missing preset {required}");
    }
    let table = home.run(&["presets"]).ok().stdout.clone();
    assert!(table.lines().count() > 27, "{table}");

    let paths = home.run(&["paths", "--json"]).ok().json();
    let root = home.path().display().to_string();
    assert_eq!(paths["config_file"], format!("{root}/config.toml"));
    assert_eq!(paths["data_dir"], root);
    assert_eq!(paths["state_file"], format!("{root}/state.toml"));
    home.run(&["paths"]).ok();
}

#[test]
fn user_presets_file_adds_presets() {
    let home = Home::new();
    std::fs::write(
        home.path().join("presets.toml"),
        "[presets.acme]\nname = \"ACME\"\napi = \"openai\"\nendpoints.openai = { base_url = \"https://acme.example/v1\" }\nsuggested = { main = \"big\" }\n",
    )
    .unwrap();
    home.run(&["provider", "add", "acme"]).ok();
    home.run(&["profile", "add", "a", "--provider", "acme"])
        .ok();
    let show = home.run(&["profile", "show", "a", "--json"]).ok().json();
    assert_eq!(show["main"]["model"], "big");
}

#[test]
fn usage_errors_exit_2_with_one_clear_line() {
    let home = Home::new();
    home.run(&["profile", "add"]).fails(2);
    home.run(&["frobnicate"]).fails(2);
    home.run(&["provider", "add", "deepseek"]).ok();
    let r = home.run(&[
        "profile",
        "add",
        "p",
        "--provider",
        "deepseek",
        "--via",
        "bogus",
    ]);
    r.fails(2);
    assert!(
        r.stderr
            .starts_with("ccswitch: `--via bogus` should look like SLOT=PROVIDER"),
        "{}",
        r.stderr
    );
    let r = home.run(&["profile", "show", "nope"]);
    r.fails(2);
    assert_eq!(
        r.stderr.trim(),
        "ccswitch: There is no profile named `nope`, and none is configured yet."
    );
    home.run(&["profile", "edit", "nope", "--main", "x"])
        .fails(2);
    let r = home.run(&["config", "check"]);
    r.ok();
    assert!(r.stdout.contains("1 provider, 0 profiles"), "{}", r.stdout);
    // Every command has --help.
    for cmd in [
        &["profile", "add", "--help"][..],
        &["key", "set", "--help"],
        &["provider", "--help"],
        &["presets", "--help"],
    ] {
        home.run(cmd).ok();
    }
}

#[test]
fn config_example_is_printed_and_valid() {
    let home = Home::new();
    let example = home.run(&["config", "example"]).ok().stdout.clone();
    home.write_config(&example);
    home.run(&["config", "check"]).ok();
}

#[test]
fn plaintext_file_keys_env_keys_and_command_keys() {
    let home = Home::new();
    home.run(&["provider", "add", "deepseek"]).ok();
    home.run(&[
        "provider",
        "add",
        "kimi",
        "--preset",
        "moonshot",
        "--key-env",
        "MY_KIMI_KEY",
    ])
    .ok();
    home.run(&[
        "provider",
        "add",
        "or",
        "--preset",
        "openrouter",
        "--key-command",
        "printf %s-%s sk-cmdpart1 part2",
    ])
    .ok();
    home.run(&["provider", "add", "local", "--preset", "ollama"])
        .ok();

    let r = home.run_stdin(
        &["key", "set", "deepseek", "--file"],
        "sk-file-secret-123\n",
        &[],
    );
    r.ok();
    assert!(
        r.stderr.contains("plaintext"),
        "warns about plaintext: {}",
        r.stderr
    );
    let cfg = home.read_config();
    assert!(cfg.contains("key = { file = true }"), "{cfg}");
    // A second --file store does not warn again.
    let r = home.run_stdin(
        &["key", "set", "deepseek", "--file"],
        "sk-file-secret-456\n",
        &[],
    );
    r.ok();
    assert!(!r.stderr.contains("plaintext"), "{}", r.stderr);

    let status = home
        .run_env(
            &["key", "status", "--json"],
            &[("MY_KIMI_KEY", "sk-env-secret")],
        )
        .ok()
        .json();
    let by = |n: &str| {
        status
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["provider"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(by("deepseek")["source"]["kind"], "file");
    assert_eq!(
        by("kimi")["source"],
        serde_json::json!({"kind": "env", "detail": "MY_KIMI_KEY"})
    );
    assert_eq!(by("or")["source"]["kind"], "command");
    assert_eq!(by("local")["needed"], false);
    // `--no-command`: the command is reported, not run.
    let skipped = home
        .run(&["key", "status", "--json", "--no-command"])
        .ok()
        .json();
    let or = skipped
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["provider"] == "or")
        .unwrap();
    assert_eq!(
        (or["found"].clone(), or["not_run"].clone()),
        (false.into(), true.into())
    );
    let r = home
        .run(&["key", "status", "--no-command"])
        .ok()
        .stdout
        .clone();
    assert!(r.contains("not run: --no-command"), "{r}");
    // Proof that it did not run: a command that leaves a file behind.
    let ran = home.path().join("ran");
    let touch = format!("touch {}", ran.display());
    home.run(&[
        "provider",
        "add",
        "mark",
        "--preset",
        "openrouter",
        "--key-command",
        &touch,
    ])
    .ok();
    home.run(&["key", "status", "--no-command"]).ok();
    assert!(!ran.exists(), "--no-command ran a key command");
    home.run(&["key", "status"]).ok();
    assert!(ran.exists(), "without it, the command runs");

    // Keys never appear in any output or in config.toml.
    let table = home
        .run_env(&["key", "status"], &[("MY_KIMI_KEY", "sk-env-secret")])
        .ok()
        .stdout
        .clone();
    let everything = format!("{table}{status}{}", home.read_config());
    for secret in ["sk-file-secret", "sk-env-secret", "sk-cmdpart1-part2"] {
        assert!(
            !everything.contains(secret),
            "{secret} leaked:\n{everything}"
        );
    }

    // Missing env var: named in the status, exit 0 for status itself.
    let r = home.run(&["key", "status"]);
    r.ok();
    assert!(r.stdout.contains("tried: env MY_KIMI_KEY"), "{}", r.stdout);

    let r = home.run(&["key", "rm", "deepseek"]);
    r.ok();
    assert!(r.stdout.contains("file"), "{}", r.stdout);
    let creds = std::fs::read_to_string(home.path().join("credentials.toml")).unwrap();
    assert!(!creds.contains("sk-file-secret"), "{creds}");
}

#[test]
fn key_set_refuses_unknown_providers_and_empty_keys() {
    let home = Home::new();
    let r = home.run_stdin(&["key", "set", "deepseek"], "sk-x\n", &[]);
    r.fails(2);
    assert!(
        r.stderr.contains("ccswitch provider add deepseek"),
        "{}",
        r.stderr
    );
    home.run(&["provider", "add", "deepseek"]).ok();
    home.run_stdin(&["key", "set", "deepseek", "--file"], "\n", &[])
        .fails(2);
    home.run_stdin(&["key", "set", "deepseek", "--file"], "two words\n", &[])
        .fails(2);
}

#[test]
fn no_keyring_gives_a_plain_error_naming_alternatives() {
    let home = Home::new();
    home.run(&["provider", "add", "deepseek"]).ok();
    // Home::cmd points DBUS_SESSION_BUS_ADDRESS at a bus that does not exist.
    let r = home.run_stdin(&["key", "set", "deepseek"], "sk-x\n", &[]);
    r.fails(1);
    assert!(r.stderr.contains("No usable OS keyring"), "{}", r.stderr);
    assert!(r.stderr.contains("key = { env = "), "{}", r.stderr);
    assert!(r.stderr.contains("--file"), "{}", r.stderr);
    assert!(!r.stderr.contains("sk-x"), "{}", r.stderr);
}

/// Completion scripts for every shell clap knows, and the bash one really
/// completing in bash; the man page names every visible command.
#[test]
fn completions_and_the_man_page() {
    let home = Home::new();
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let r = home.run(&["completions", shell]).ok().stdout.clone();
        assert!(r.contains("ccswitch"), "{shell}: {r}");
    }
    let script = home.run(&["completions", "bash"]).ok().stdout.clone();
    let tab = |words: &[&str]| crate::completions::bash_tab(&home, &script, words);
    assert_eq!(tab(&["ccswitch", "pro"]), ["profile", "provider"]);
    assert!(
        tab(&["ccswitch", "key", "status", "--"]).contains(&"--no-command".to_string()),
        "{:?}",
        tab(&["ccswitch", "key", "status", "--"])
    );
    let man = home.run(&["man"]).ok().stdout.clone();
    assert!(
        man.starts_with(".ie") || man.contains(".TH ccswitch 1"),
        "{man}"
    );
    for command in ["run", "serve", "usage", "completions"] {
        assert!(
            man.contains(&format!("ccswitch\\-{command}")),
            "{command}: {man}"
        );
    }
    assert!(!man.contains("__guard"), "hidden commands stay hidden");
}

/// A profile to share: its providers come along, nothing personal does,
/// and the result is a config a colleague can load.
/// Every string in a TOML value, keys included, with where it is.
fn strings(v: &toml::Value, at: &str, out: &mut Vec<(String, String)>) {
    match v {
        toml::Value::String(s) => out.push((at.to_string(), s.clone())),
        toml::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                strings(x, &format!("{at}[{i}]"), out);
            }
        }
        toml::Value::Table(t) => {
            for (k, x) in t {
                let at = format!("{at}.{k}");
                out.push((at.clone(), k.clone()));
                strings(x, &at, out);
            }
        }
        _ => {}
    }
}

#[test]
fn profile_export_leaves_keys_and_secrets_out() {
    // Each secret this config holds, wherever ccswitch's config can hold
    // one: key sources, a pool, header values, passwords in URLs, the profile's env, budgets, and comments.
    let secrets = [
        "hunter2",
        "b4se-pa55",
        "tok-secret-123",
        "op read",
        "GW_KEY_2",
        "MOONSHOT_API_KEY",
        "otel-bearer-secret",
        "ghp_planted_token",
        "comment-secret-1",
        "comment-secret-2",
        "comment-secret-3",
        "comment-secret-4",
        "budget",
        "daily_usd",
    ];
    let home = Home::new();
    home.write_config(
        "[providers.gw]\napi = \"openai\"\n\
         base_url = \"https://ana:b4se-pa55@llm.corp.example/v1\" # old: comment-secret-1\n\
         key = { command = \"op read op://vault/gw/key\" }\nextra_keys = [{ env = \"GW_KEY_2\" }]\n\
         proxy = \"http://ana:hunter2@proxy.corp:3128\"\n\
         headers = { \"X-Team-Token\" = \"tok-secret-123\" }\nbudget = { daily_usd = 5 }\n\
         [providers.gw.models]\n\"gpt-5\" = { context = 400000 } # comment-secret-3\n\
         [providers.moon]\npreset = \"moonshot\"\nkey = { env = \"MOONSHOT_API_KEY\" }\n\
         [providers.unused]\npreset = \"deepseek\"\n\
         [profiles.work]\nprovider = \"gw\"\n\
         main = [\"gpt-5\", # comment-secret-2\n  { provider = \"moon\", model = \"kimi-k3\" }]\n# comment-secret-4\nfast = \"gpt-5-mini\"\n\
         env = { OTEL_EXPORTER_OTLP_HEADERS = \"Authorization=Bearer otel-bearer-secret\", GITHUB_TOKEN = \"ghp_planted_token\" }\n\
         budget = { monthly_usd = 50 }\n",
    );
    home.run(&["config", "check"]).ok();
    let r = home.run(&["profile", "export", "work"]);
    r.ok();
    let out = r.stdout.clone();
    // Every value and key, as a colleague's ccswitch reads them (escapes
    // decoded), then the text itself for comments.
    let cfg: toml::Value = toml::from_str(&out).unwrap();
    let mut all = Vec::new();
    strings(&cfg, "", &mut all);
    for (at, text) in &all {
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} at {at} in:\n{out}");
        }
    }
    for secret in secrets {
        assert!(!out.contains(secret), "{secret} in:\n{out}");
    }
    // Names say what to set; values are the colleague's own.
    for name in ["X-Team-Token", "OTEL_EXPORTER_OTLP_HEADERS", "GITHUB_TOKEN"] {
        assert!(out.contains(name), "{name} is named in a note: {out}");
    }
    assert!(!out.contains("[providers.unused]"), "{out}");
    let colleague = Home::new();
    colleague.write_config(&out);
    colleague.run(&["config", "check"]).ok();
    assert_eq!(
        cfg["providers"]["gw"]["proxy"].as_str(),
        Some("http://ana@proxy.corp:3128")
    );
    assert_eq!(
        cfg["providers"]["gw"]["base_url"].as_str(),
        Some("https://ana@llm.corp.example/v1")
    );
    assert_eq!(
        cfg["providers"]["gw"]["models"]["gpt-5"]["context"].as_integer(),
        Some(400_000)
    );
    assert_eq!(
        cfg["profiles"]["work"]["main"][1]["provider"].as_str(),
        Some("moon")
    );
    let r = home.run(&["profile", "export", "nope"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

/// `ccswitch … | head`: the reader goes away before the output is
/// written. ccswitch stops quietly with 0, as `cat` does, whatever the
/// command: no "Broken pipe", no panic.
#[test]
fn output_into_a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::process::Stdio;
    let home = Home::new();
    home.write_config(
        "[providers.ds]\npreset = \"deepseek\"\n[profiles.p]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n",
    );
    for args in [
        &["completions", "bash"][..],
        &["completions", "zsh"],
        &["man"],
        &["presets"],
        &["presets", "--json"],
        &["usage"],
        &["usage", "--json", "--by", "day"],
        &["config", "example"],
        &["profile", "list"],
        &["profile", "export", "p"],
        &["paths"],
        &["search", "show"],
        &["--help"],
    ] {
        let mut child = home
            .cmd(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Closed before a byte is read: every write meets EPIPE.
        drop(child.stdout.take());
        let mut err = String::new();
        child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        let status = child.wait().unwrap();
        assert!(err.is_empty(), "{args:?}: {err:?}");
        assert_eq!(status.code(), Some(0), "{args:?}: {status:?}");
    }
}
