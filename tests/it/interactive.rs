//! `ccswitch run` in a real terminal (tmux): Claude Code's interactive UI
//! renders, Ctrl-C reaches claude (not ccswitch), claude exits, ccswitch
//! prints its summary and exits with claude's code, and the terminal is left
//! in its normal mode.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use crate::support::mock::{self, Mock};
use crate::support::tmux::{ECHO_EXIT, STTY, Tmux, ccswitch, launch_line, temp_with};
use crate::support::{Home, SecretService};

#[tokio::test]
async fn interactive_session_renders_and_leaves_the_terminal_sane() {
    let (up, an) = (Mock::start().await, Mock::start().await);
    let home = Home::new();
    home.write_config(&format!(
        "{}[providers.an]\napi = \"anthropic\"\nbase_url = \"{}\"\nkey = {{ env = \"UP_KEY\" }}\n\
         [profiles.p]\nprovider = \"up\"\nmain = \"up-main\"\n\
         [profiles.a]\nprovider = \"an\"\nmain = \"an-main\"\n",
        mock::openai_provider("up", &up),
        an.url("")
    ));
    // An OpenAI-kind and an Anthropic-kind profile.
    for (profile, model) in [("p", "up-main"), ("a", "an-main")] {
        interactive(&home, profile, model);
    }
}

/// A used-up budget in Claude Code's own UI: the refusal shows as an API
/// error with ccswitch's message. A 401 or 403 would have Claude Code say
/// "Please run /login", which cannot help. The mock answers on threads of
/// its own while this test waits on tmux.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_up_budget_does_not_send_the_user_to_login() {
    let up = Mock::start().await;
    let home = Home::new();
    home.write_config(&format!(
        "{}[profiles.p]\nprovider = \"up\"\nmain = \"up-main\"\nbudget = {{ daily_tokens = 1000 }}\n",
        mock::openai_provider("up", &up)
    ));
    // Each answer alone uses more than the whole budget.
    for _ in 0..8 {
        up.push(mock::openai_text_usage("First answer.", 500_000, 0));
    }
    let (_chome, script) = launch_line(&home, "p", "");
    let tmux = Tmux::run("budget", 120, 40, &script);
    tmux.wait_for("\u{276f}", Duration::from_secs(60));
    tmux.type_text("say hi");
    tmux.send(&["Enter"]);
    tmux.wait_for("First answer.", Duration::from_secs(60));
    tmux.type_text("and again");
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("is used up", Duration::from_secs(60));
    assert!(screen.contains("API Error: 402"), "{screen}");
    assert!(!screen.contains("/login"), "{screen}");
    tmux.ctrl_c_twice();
    let screen = tmux.exited(0, Duration::from_secs(30));
    // Claude Code's own resume line names `ccswitch --resume ID`, not
    // `claude --settings <the session's file, gone by now> --resume ID`.
    assert!(screen.contains("ccswitch --resume "), "{screen}");
    assert!(!screen.contains("claude --settings"), "{screen}");
}

fn interactive(home: &Home, profile: &str, model: &str) {
    let (_chome, script) = launch_line(home, profile, &format!("; {STTY}"));
    let tmux = Tmux::run(&format!("claude-{profile}"), 120, 40, &script);
    // Claude Code's header names the model; then its input prompt is up.
    tmux.wait_for(model, Duration::from_secs(60));
    tmux.wait_for("\u{276f}", Duration::from_secs(60));
    // ccswitch's status line under the prompt: Claude Code ran
    // `ccswitch statusline` from the session's settings.
    let screen = tmux.wait_for(
        &format!("ccswitch {profile} \u{b7} {model}"),
        Duration::from_secs(30),
    );
    // Caching is left on: the proxy decides per upstream.
    assert!(!screen.contains("Prompt caching off"), "{screen}");
    tmux.ctrl_c_twice();
    let screen = tmux.exited(0, Duration::from_secs(30));
    assert!(
        screen.contains(&format!("ccswitch: {profile}: 0 requests")),
        "summary missing:\n{screen}"
    );
    assert!(
        !screen.contains("about $"),
        "no cost without usage:\n{screen}"
    );
    // Terminal mode restored. Wait for stty's local-modes line (it names
    // iexten, set or not): the first line alone arrives before the modes
    // this checks.
    tmux.left_sane("iexten", Duration::from_secs(10));
}

#[test]
fn the_tui_runs_in_a_real_terminal_saves_and_restores_the_terminal() {
    let home = Home::new();
    home.write_config(
        "[providers.ds]\npreset = \"deepseek\"\nkey = { env = \"DS_KEY\" }\n\
         [profiles.alpha]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n\
         [profiles.beta]\nprovider = \"ds\"\nmain = \"deepseek-v4-flash\"\n",
    );
    let script = format!("{}{ECHO_EXIT}; {STTY}", ccswitch(&home, "DS_KEY=sk-x", ""));
    let tmux = Tmux::run("tui", 80, 24, &script);
    tmux.wait_for("Profiles (2/2)", Duration::from_secs(20));
    // The key check runs in the background and lands on screen.
    tmux.wait_for("found (env DS_KEY)", Duration::from_secs(20));
    tmux.send(&["Down"]);
    tmux.send(&["*"]);
    tmux.wait_for("* beta", Duration::from_secs(10));
    assert!(
        home.read_config().contains("default = \"beta\""),
        "{}",
        home.read_config()
    );
    tmux.send(&["?"]);
    tmux.wait_for("this help", Duration::from_secs(10));
    tmux.send(&["Escape"]);
    // An Escape and a `q` arriving in one read are one Alt-q key to the
    // terminal parser; wait for the help to close before quitting.
    tmux.wait_gone("this help", Duration::from_secs(10));
    tmux.send(&["q"]);
    let screen = tmux.exited(0, Duration::from_secs(10));
    // Off the alternate screen, back in cooked mode.
    assert!(!screen.contains("Profiles (2/2)"), "{screen}");
    tmux.left_sane("STTY_DONE", Duration::from_secs(10));
}

/// The TUI in Chinese in a real 80x24 terminal: the list and its detail
/// pane (a long Chinese description wraps inside the pane, never over its
/// border), a launch, and the question after it, then `q` ends ccswitch
/// with claude's exit code.
#[test]
fn the_tui_speaks_chinese_in_a_real_terminal_and_comes_back_after_a_launch() {
    let home = Home::new();
    let work = tempfile::tempdir().unwrap();
    let fake = crate::support::fake_claude(work.path(), "exit 3");
    home.write_config(&format!(
        "claude_path = \"{}\"\n[providers.ds]\npreset = \"deepseek\"\nkey = {{ env = \"DS_KEY\" }}\n\
         [profiles.alpha]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n\
         description = \"日常使用的配置档，适合写代码、读代码和修复测试，也适合较长的重构任务和代码审查\"\n\
         [profiles.beta]\nprovider = \"ds\"\nmain = \"deepseek-v4-flash\"\n",
        fake.display()
    ));
    let script = format!(
        "env DS_KEY=sk-x CCSWITCH_HOME={} CCSWITCH_LANG=zh-CN {}{ECHO_EXIT}",
        home.path().display(),
        crate::support::BIN
    );
    let tmux = Tmux::run("tui-zh", 80, 24, &script);
    let screen = tmux.wait_for("配置档 (2/2)", Duration::from_secs(20));
    assert!(screen.contains("启动"), "{screen}");
    // Every row of the screen ends at the border: a wide character drawn
    // over it would push the line past 80 cells or replace the border.
    let screen = tmux.wait_for("修复测试", Duration::from_secs(10));
    for line in screen.lines().filter(|l| l.contains('│')) {
        let width = unicode_width::UnicodeWidthStr::width(line.trim_end());
        assert!(width <= 80, "{width} cells: {line}\n{screen}");
        assert!(
            line.trim_end().ends_with('│'),
            "over the border: {line}\n{screen}"
        );
    }
    tmux.send(&["Enter"]);
    tmux.wait_for("按 Enter 返回配置档列表", Duration::from_secs(20));
    tmux.send(&["Enter"]);
    tmux.wait_for("配置档 (2/2)", Duration::from_secs(20));
    tmux.send(&["Enter"]);
    tmux.wait_for("按 Enter 返回配置档列表", Duration::from_secs(20));
    tmux.send(&["q", "Enter"]);
    tmux.exited(3, Duration::from_secs(20));
}

/// The fallback chain editor in a real terminal: Ctrl-F, and Shift-↑ as
/// tmux sends it (`ESC [1;2A`), reach the editor; the chain is saved as a
/// list. Providers point at a closed local port: the model pickers' live
/// lists fail fast, and nothing leaves the machine.
#[test]
fn the_tui_edits_a_fallback_chain_in_a_real_terminal() {
    let home = Home::new();
    home.write_config(
        "[providers.ds]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n\
         key = { env = \"DS_KEY\" }\n\
         [providers.moon]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n\
         key = { env = \"DS_KEY\" }\n\
         [profiles.alpha]\nprovider = \"ds\"\nmain = \"m1\"\nfast = \"m1\"\n",
    );
    let script = ccswitch(&home, "DS_KEY=sk-x", "") + ECHO_EXIT;
    let tmux = Tmux::run("chain", 100, 30, &script);
    tmux.wait_for("Profiles (1/1)", Duration::from_secs(20));
    tmux.send(&["e"]);
    tmux.wait_for("edit profile alpha", Duration::from_secs(10));
    tmux.down_to("> Main model");
    tmux.send(&["C-f"]);
    tmux.wait_for("Fallbacks for the main model", Duration::from_secs(10));
    for (provider, model) in [("moon", "m2"), ("ds", "m3")] {
        tmux.send(&["a"]);
        tmux.wait_for("Fall back to which provider?", Duration::from_secs(10));
        tmux.type_text(provider);
        tmux.send(&["Enter"]);
        tmux.wait_for("Fall back to which model", Duration::from_secs(10));
        tmux.type_text(model);
        tmux.send(&["Tab"]);
        tmux.wait_for(&format!("{provider} · {model}"), Duration::from_secs(10));
    }
    tmux.send(&["S-Up"]);
    tmux.wait_for("2. ds · m3", Duration::from_secs(10));
    tmux.send(&["Escape"]);
    tmux.wait_for("→ ds/m3, moon/m2", Duration::from_secs(10));
    tmux.send(&["C-s"]);
    tmux.wait_for("Profiles (1/1)", Duration::from_secs(10));
    let config = home.read_config();
    assert!(
        config.contains(r#"main = ["m1", "m3", { provider = "moon", model = "m2" }]"#),
        "{config}"
    );
    tmux.send(&["q"]);
    tmux.exited(0, Duration::from_secs(10));
}

/// The whole first-run path a new user takes, in the real binary: pick a
/// preset, type the base URL and the key (masked), fetch the model list
/// from the provider, pick a model, save, test the connection, quit. The
/// key must end up in the (real) keyring and nowhere on screen or on disk.
#[tokio::test(flavor = "multi_thread")]
async fn the_tui_creates_a_profile_from_a_preset_with_a_keyring_key() {
    const KEY: &str = "sk-typed-1234567";
    let ss = SecretService::start();
    let up = Mock::start().await;
    up.push(mock::json(
        200,
        r#"{"object":"list","data":[{"id":"zeta-coder"},{"id":"mock-model-a","context_length":65536},{"id":"mock-model-b"}]}"#,
    ));
    let home = Home::new();
    let env: String = ss.env().iter().fold(String::new(), |mut s, (k, v)| {
        let _ = write!(s, "{k}={v} ");
        s
    });
    let script = format!("{}{ECHO_EXIT}; {STTY}", ccswitch(&home, env.trim_end(), ""));
    let tmux = Tmux::run("tui-new", 80, 24, &script);
    tmux.wait_for("No profiles yet", Duration::from_secs(20));
    tmux.send(&["n"]);
    tmux.wait_for("Choose a provider", Duration::from_secs(10));
    tmux.type_text("custom openai");
    tmux.wait_for("> Custom (OpenAI-compatible)", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    // Straight to the Base URL a custom provider needs, then its key,
    // which is masked as it is typed.
    tmux.wait_for("> Base URL", Duration::from_secs(10));
    tmux.type_text(&up.url("/v1"));
    tmux.send(&["Tab"]);
    tmux.send(&["Tab"]);
    tmux.wait_for("> Key", Duration::from_secs(10));
    tmux.type_text(KEY);
    tmux.wait_for(&"•".repeat(KEY.len()), Duration::from_secs(10));
    tmux.send(&["Tab"]);
    tmux.wait_for("> Main model", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("mock-model-b", Duration::from_secs(20));
    assert!(screen.contains("from the provider"), "{screen}");
    tmux.type_text("model-a");
    tmux.wait_for("filter: model-a", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    // The list's window for the model, filled in on the way past.
    let screen = tmux.wait_for("> Fast model", Duration::from_secs(10));
    assert!(screen.contains("Context window 65536"), "{screen}");
    tmux.send(&["C-s"]);
    tmux.wait_for("Saved profile `custom-openai`", Duration::from_secs(20));
    tmux.wait_for("found (keyring)", Duration::from_secs(20));

    // The connection test, from the list, through the in-process proxy.
    up.push_passing_probe();
    tmux.send(&["t"]);
    let screen = tmux.wait_for("All steps passed", Duration::from_secs(30));
    assert!(screen.contains("\"pong\""), "{screen}");
    tmux.send(&["Escape"]);
    tmux.wait_gone("All steps passed", Duration::from_secs(10));
    tmux.send(&["q"]);
    tmux.exited(0, Duration::from_secs(10));
    tmux.left_sane("STTY_DONE", Duration::from_secs(10));

    let config = home.read_config();
    assert!(
        !config.contains(KEY),
        "the key is not in config.toml:\n{config}"
    );
    let cfg: toml::Value = toml::from_str(&config).unwrap();
    assert_eq!(cfg["default"].as_str(), Some("custom-openai"), "{config}");
    let provider = &cfg["providers"]["custom-openai"];
    assert_eq!(provider["preset"].as_str(), Some("custom-openai"));
    assert_eq!(provider["base_url"].as_str(), Some(up.url("/v1").as_str()));
    assert_eq!(
        cfg["profiles"]["custom-openai"]["main"].as_str(),
        Some("mock-model-a")
    );
    // Recorded for the launch (CLAUDE_CODE_MAX_CONTEXT_TOKENS).
    assert_eq!(
        provider["models"]["mock-model-a"]["context"].as_integer(),
        Some(65536),
        "{config}"
    );
    // The model list was fetched with the typed key, before anything was
    // saved; the test after saving read the key back from the keyring.
    let seen = up.seen();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(seen[0].path, "/v1/models");
    for r in &seen {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {KEY}").as_str())
        );
    }
    assert_eq!(seen[1].json()["model"], "mock-model-a");
    let status = home.run_env(&["key", "status"], &ss.env());
    assert!(
        status.stdout.contains("keyring"),
        "{}{}",
        status.stdout,
        status.stderr
    );
}

/// Ctrl-T in the form of a saved profile whose main slot falls back to
/// another saved provider, with a new key typed for the profile's own
/// provider: the typed key goes to that provider only, and the fallback's
/// key comes from the keyring, as `ccswitch run` would find it. Before
/// the fix the fallback reported "No key for provider `custom-openai`
/// (tried: memory)" (issue 27, wart 1). Nothing is saved.
#[tokio::test(flavor = "multi_thread")]
async fn the_forms_connection_test_finds_other_providers_keys_as_a_launch_does() {
    const TYPED: &str = "sk-typed-up-1";
    const STORED: &str = "sk-stored-other-2";
    let ss = SecretService::start();
    let (up, other) = (Mock::start().await, Mock::start().await);
    let home = Home::new();
    let config = format!(
        "[providers.up]\napi = \"openai\"\nbase_url = \"{}\"\n\
         [providers.custom-openai]\npreset = \"custom-openai\"\nbase_url = \"{}\"\n\
         [profiles.p]\nprovider = \"up\"\n\
         main = [\"m1\", {{ provider = \"custom-openai\", model = \"m2\" }}]\n",
        up.url("/v1"),
        other.url("/v1")
    );
    home.write_config(&config);
    home.run_stdin(&["key", "set", "custom-openai"], STORED, &ss.env())
        .ok();
    let before = home.read_config();
    up.push_passing_probe();
    other.push(mock::openai_text("pong"));
    let env: String = ss.env().iter().fold(String::new(), |mut s, (k, v)| {
        let _ = write!(s, "{k}={v} ");
        s
    });
    let script = ccswitch(&home, env.trim_end(), "") + ECHO_EXIT;
    let tmux = Tmux::run("form-test", 100, 30, &script);
    tmux.wait_for("Profiles (1/1)", Duration::from_secs(20));
    tmux.send(&["e"]);
    tmux.wait_for("edit profile p", Duration::from_secs(10));
    let on_key = |s: &str| {
        s.lines()
            .any(|l| l.contains("> Key ") && !l.contains("> Key from"))
    };
    for _ in 0..20 {
        if on_key(&tmux.capture()) {
            break;
        }
        tmux.send(&["Down"]);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(on_key(&tmux.capture()), "{}", tmux.capture());
    tmux.type_text(TYPED);
    tmux.wait_for(&"•".repeat(TYPED.len()), Duration::from_secs(10));
    tmux.send(&["C-t"]);
    // The steps arrive together, the verdict under them.
    let screen = tmux.wait_for("would serve", Duration::from_secs(30));
    assert!(!screen.contains("tried: memory"), "{screen}");
    assert!(screen.contains("custom-openai/m2: pong"), "{screen}");
    assert!(screen.contains("All steps passed"), "{screen}");
    for r in up.seen() {
        assert_eq!(
            r.header("authorization"),
            Some(format!("Bearer {TYPED}").as_str())
        );
    }
    let seen = other.seen();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(
        seen[0].header("authorization"),
        Some(format!("Bearer {STORED}").as_str())
    );
    tmux.send(&["Escape"]);
    tmux.wait_gone("All steps passed", Duration::from_secs(10));
    tmux.send(&["Escape"]);
    tmux.wait_for("Drop the changes", Duration::from_secs(10));
    tmux.send(&["y"]);
    tmux.wait_for("Profiles (1/1)", Duration::from_secs(10));
    tmux.send(&["q"]);
    tmux.exited(0, Duration::from_secs(10));
    assert_eq!(home.read_config(), before, "the test saved nothing");
    assert_eq!(ss.lookup("up"), None, "the typed key stayed in memory");
}

/// claude killed while the terminal is raw (here, a stand-in that turns
/// raw mode on and then SIGKILLs itself): ccswitch puts the terminal back.
#[test]
fn a_claude_killed_in_raw_mode_leaves_the_terminal_sane() {
    let home = Home::new();
    home.write_config(
        "[providers.an]\napi = \"anthropic\"\nbase_url = \"https://api.example.invalid\"\nkey = { env = \"AN_KEY\" }\n\
         [profiles.d]\nprovider = \"an\"\nmain = \"claude-opus-5\"\ndirect = true\n",
    );
    let work = tempfile::tempdir().unwrap();
    let fake = crate::support::fake_claude(work.path(), "stty raw -echo -icanon\nkill -9 $$");
    let run = ccswitch(
        &home,
        "AN_KEY=k",
        &format!(" run -q --claude {} d", fake.display()),
    );
    // Under `sh -c`, so that bash (which resets the terminal after a job
    // killed by a signal) does not do ccswitch's work for it.
    let script = format!("sh -c '{run}{ECHO_EXIT}'; {STTY}");
    let tmux = Tmux::run("raw", 120, 40, &script);
    let screen = tmux.left_sane("STTY_DONE", Duration::from_secs(20));
    assert!(screen.contains("CCSWITCH_EXIT=137"), "{screen}");
}

/// Ctrl-Z in Claude Code: it stops itself with SIGTSTP (here, a stand-in
/// that does the same). ccswitch stops with it, so the shell gets its
/// terminal back; `fg` resumes both, and claude's exit code comes through.
#[test]
fn ctrl_z_suspends_the_session_and_fg_resumes_it() {
    let home = Home::new();
    home.write_config(
        "[providers.oa]\napi = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nkey = { env = \"OA_KEY\" }\n\
         [profiles.p]\nprovider = \"oa\"\nmain = \"m\"\n",
    );
    let work = tempfile::tempdir().unwrap();
    let fake = crate::support::fake_claude(
        work.path(),
        "echo CLAUDE_READY\nkill -TSTP $$\necho CLAUDE_RESUMED\nexit 7",
    );
    // Alone on its line: a stopped job lets bash go on to the rest of a
    // list, so the exit code is asked of `fg` below.
    let script = ccswitch(
        &home,
        "OA_KEY=k",
        &format!(" run -q --claude {} p", fake.display()),
    );
    let tmux = Tmux::run("tstp", 120, 40, &script);
    tmux.wait_for("CLAUDE_READY", Duration::from_secs(20));
    // The whole job stopped: bash says so and takes the terminal back.
    tmux.wait_for("Stopped", Duration::from_secs(10));
    tmux.send(&["echo SHELL\"\"_BACK", "Enter"]);
    tmux.wait_for("SHELL_BACK", Duration::from_secs(10));
    let screen = tmux.capture();
    assert!(!screen.contains("CLAUDE_RESUMED"), "{screen}");
    tmux.send(&[&format!("fg{ECHO_EXIT}"), "Enter"]);
    let screen = tmux.exited(7, Duration::from_secs(10));
    assert!(screen.contains("CLAUDE_RESUMED"), "{screen}");
    // The marker comes after all of stty's lines: waiting for its first
    // line alone raced the rest of them on a busy machine.
    tmux.send(&[STTY, "Enter"]);
    tmux.left_sane("STTY_DONE", Duration::from_secs(10));
}

/// A first run in a real terminal on a machine with claude-code-router set
/// up: the empty screen offers the import, `i` shows what it becomes, `y`
/// writes it, and the list has the imported profile.
#[test]
fn the_tui_offers_to_import_an_existing_setup_on_first_run() {
    let home = Home::new();
    let (user, ccr) = temp_with(".claude-code-router");
    std::fs::write(
        ccr.join("config.json"),
        r#"{"Providers": [{"name": "deepseek", "api_base_url": "https://api.deepseek.com/chat/completions",
            "api_key": "$DEEPSEEK_API_KEY", "models": ["deepseek-chat"]}],
            "Router": {"default": "deepseek,deepseek-chat"}}"#,
    )
    .unwrap();
    let vars = format!(
        "-u ANTHROPIC_BASE_URL -u ANTHROPIC_API_KEY -u ANTHROPIC_AUTH_TOKEN \
         HOME={} DEEPSEEK_API_KEY=sk-x",
        user.path().display()
    );
    let tmux = Tmux::run("import", 100, 30, &(ccswitch(&home, &vars, "") + ECHO_EXIT));
    tmux.wait_for("Press i to import it", Duration::from_secs(20));
    tmux.send(&["i"]);
    tmux.wait_for("y = import", Duration::from_secs(10));
    tmux.send(&["y"]);
    tmux.wait_for("Profiles (1/1)", Duration::from_secs(20));
    let screen = tmux.wait_for("Imported 1 provider and 1 profile", Duration::from_secs(10));
    assert!(screen.contains("ccr"), "{screen}");
    let config = home.read_config();
    assert!(config.contains("[profiles.ccr]"), "{config}");
    assert!(
        config.contains(r#"key = { env = "DEEPSEEK_API_KEY" }"#),
        "{config}"
    );
    tmux.send(&["q"]);
    tmux.exited(0, Duration::from_secs(10));
}

/// `r` on the list in a real terminal: the sessions Claude Code kept for
/// this folder are listed from its transcripts, and Enter launches the
/// profile with `--resume ID` (a stand-in claude writes its arguments
/// down). The profile is direct, so the ledger knows neither session.
#[test]
fn the_tui_resumes_a_session_of_this_folder() {
    let home = Home::new();
    let (work, cwd) = temp_with("shop");
    // Claude Code names a project's folder after the real path.
    let key: String = std::fs::canonicalize(&cwd)
        .unwrap()
        .to_string_lossy()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let claude_dir = work.path().join("claude-config");
    let project = claude_dir.join("projects").join(key);
    std::fs::create_dir_all(&project).unwrap();
    let old = "1111aaaa-0000-4000-8000-000000000001";
    let new = "2222bbbb-0000-4000-8000-000000000002";
    for (id, prompt, age) in [(old, "the first task", 3600), (new, "the second task", 60)] {
        let path = project.join(format!("{id}.jsonl"));
        let line = format!(r#"{{"type":"user","message":{{"role":"user","content":"{prompt}"}}}}"#);
        std::fs::write(&path, line + "\n").unwrap();
        let file = std::fs::File::options().write(true).open(&path).unwrap();
        file.set_modified(std::time::SystemTime::now() - Duration::from_secs(age))
            .unwrap();
    }
    let args = work.path().join("args");
    let fake = crate::support::fake_claude(
        work.path(),
        &format!("printf '%s\\n' \"$@\" > {}", args.display()),
    );
    home.write_config(&format!(
        "[providers.an]\napi = \"anthropic\"\nbase_url = \"https://api.example.invalid\"\nkey = {{ env = \"AN_KEY\" }}\n\
         [profiles.d]\nprovider = \"an\"\nmain = \"claude-opus-5\"\ndirect = true\nclaude_path = \"{}\"\n",
        fake.display()
    ));
    let vars = format!("CLAUDE_CONFIG_DIR={} AN_KEY=k", claude_dir.display());
    let script = format!(
        "cd {} && {}{ECHO_EXIT}",
        cwd.display(),
        ccswitch(&home, &vars, "")
    );
    let tmux = Tmux::run("resume", 100, 30, &script);
    tmux.wait_for("Profiles (1/1)", Duration::from_secs(20));
    tmux.send(&["r"]);
    let screen = tmux.wait_for("the first task", Duration::from_secs(10));
    let (first, second) = (
        screen.find("the second task").expect("both listed"),
        screen.find("the first task").expect("both listed"),
    );
    assert!(first < second, "newest first:\n{screen}");
    assert!(screen.contains("(direct or unknown)"), "{screen}");
    tmux.send(&["Down"]);
    tmux.wait_for(
        &format!("Enter resumes session {old}"),
        Duration::from_secs(10),
    );
    tmux.send(&["Enter"]);
    // Back from claude, Enter returns to the list (before: ccswitch ended
    // at the shell), with the cursor on the profile just used; q there
    // quits.
    tmux.wait_for(
        "Enter goes back to the profile list",
        Duration::from_secs(20),
    );
    let passed = std::fs::read_to_string(&args).unwrap();
    let passed: Vec<&str> = passed.lines().collect();
    assert!(
        passed.ends_with(&["--resume", old]),
        "claude got {passed:?}"
    );
    tmux.send(&["Enter"]);
    tmux.wait_for("Profiles (1/1)", Duration::from_secs(20));
    tmux.send(&["r"]);
    tmux.wait_for("the first task", Duration::from_secs(10));
    tmux.send(&["Enter"]);
    // `q` at the question ends ccswitch with claude's exit code.
    tmux.wait_for(
        "Enter goes back to the profile list",
        Duration::from_secs(20),
    );
    tmux.send(&["q", "Enter"]);
    tmux.exited(0, Duration::from_secs(20));
}

/// A fresh interactive session in Claude Code's default mode (auto): a
/// destructive command is checked by the classifier slot and runs, with no
/// dialog about the proxy (before: "Auto mode can't check actions in this
/// session … ask whoever runs 127.0.0.1:PORT to pass it through"). The
/// test thread blocks while it watches the screen, so the mocks get
/// threads of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_default_mode_checks_a_destructive_command_without_a_proxy_dialog() {
    let (up, cl) = (Mock::start().await, Mock::start().await);
    let home = Home::new();
    home.write_config(&format!(
        "{}{}[profiles.p]\nprovider = \"up\"\nmain = \"up-main\"\n\
         classifier = {{ provider = \"cl\", model = \"cl-model\" }}\n",
        mock::openai_provider("up", &up),
        mock::openai_provider("cl", &cl),
    ));
    let outside = tempfile::tempdir().unwrap();
    let target = outside.path().join("old-build");
    std::fs::create_dir_all(&target).unwrap();
    up.push(mock::openai_call(
        "Bash",
        "call_rm",
        &serde_json::json!({"command": format!("rm -rf {}", target.display()),
                            "description": "Delete the old build"}),
    ));
    up.push(mock::openai_text("Deleted it."));
    cl.push(mock::json(
        200,
        &serde_json::json!({"id": "c", "object": "chat.completion", "model": "cl-model",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "<block>no</block>"},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 35000, "completion_tokens": 4}})
        .to_string(),
    ));

    let (_chome, script) = launch_line(&home, "p", "");
    let tmux = Tmux::run("auto-mode", 120, 40, &script);
    tmux.wait_for("\u{276f}", Duration::from_secs(60));
    tmux.type_text(&format!("delete the folder {}", target.display()));
    std::thread::sleep(Duration::from_millis(500));
    tmux.send(&["Enter"]);
    let t0 = Instant::now();
    while target.exists() {
        let screen = tmux.capture();
        for dialog in [
            "can't check actions",
            "whoever runs",
            "isn't getting through",
        ] {
            assert!(!screen.contains(dialog), "a proxy dialog:\n{screen}");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the folder was not deleted; screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let screen = tmux.wait_for("Deleted it.", Duration::from_secs(30));
    for dialog in [
        "can't check actions",
        "whoever runs",
        "isn't getting through",
    ] {
        assert!(!screen.contains(dialog), "a proxy dialog:\n{screen}");
    }
    assert_eq!(cl.seen().len(), 1, "checked by the classifier slot");
    tmux.ctrl_c_twice();
    tmux.wait_for("CCSWITCH_EXIT=", Duration::from_secs(30));
}
