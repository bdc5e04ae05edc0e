use super::session::{Facts, HELPER_VAR, session_plan, settings_json};
use super::*;
use crate::claude::status_line;
use crate::config::testing::mk_config;
use serde_json::Map;

fn proxy_mode() -> Reach {
    Reach::Proxy {
        base_url: "http://127.0.0.1:4242".into(),
        token: SecretString::from("ccsw-tok".to_string()),
    }
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// A shell where every variable that could hold a key holds one.
fn keys_everywhere(name: &str) -> Option<String> {
    let n = name.to_ascii_uppercase();
    (n.ends_with("_KEY") || n.ends_with("_TOKEN") || n.starts_with("ANTHROPIC_"))
        .then(|| format!("sk-planted-{name}"))
}

const DS: &str = r#"
[providers.ds]
preset = "deepseek"
api = "openai"
[providers.local]
preset = "ollama"
[profiles.p]
provider = "ds"
main = "deepseek-v4-pro"
fast = { provider = "local", model = "qwen3-coder" }
subagent = "deepseek-v4-flash"
api_timeout_ms = 900000
"#;

#[test]
fn proxy_profile_gets_endpoint_token_models_and_limits() {
    let cfg = mk_config(DS);
    let p = plan(&cfg, cfg.profile("p").unwrap(), &proxy_mode(), &no_env);
    let get = |k: &str| p.set.get(k).map(String::as_str);
    assert_eq!(get("ANTHROPIC_BASE_URL"), Some("http://127.0.0.1:4242"));
    assert_eq!(get("ANTHROPIC_AUTH_TOKEN"), Some("ccsw-tok"));
    assert_eq!(get("ANTHROPIC_MODEL"), Some("deepseek-v4-pro"));
    assert_eq!(get("ANTHROPIC_SMALL_FAST_MODEL"), Some("qwen3-coder"));
    assert_eq!(get("ANTHROPIC_DEFAULT_HAIKU_MODEL"), Some("qwen3-coder"));
    assert_eq!(get("ANTHROPIC_DEFAULT_OPUS_MODEL"), Some("deepseek-v4-pro"));
    assert_eq!(get("CLAUDE_CODE_SUBAGENT_MODEL"), Some("deepseek-v4-flash"));
    // The proxy strips cache_control for DeepSeek; Claude Code keeps
    // caching on (no warning, and other slots' upstreams may cache).
    assert_eq!(get("DISABLE_PROMPT_CACHING"), None);
    // 384K output allowed, but Claude Code's 32000 default is kept.
    assert_eq!(get("CLAUDE_CODE_MAX_OUTPUT_TOKENS"), Some("32000"));
    assert_eq!(get("CLAUDE_CODE_MAX_CONTEXT_TOKENS"), Some("1000000"));
    assert_eq!(get("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"), Some("1"));
    assert_eq!(get("API_TIMEOUT_MS"), Some("900000"));
    assert_eq!(get("NO_PROXY"), Some("127.0.0.1,localhost,::1"));
    assert_eq!(get("CLAUDE_CODE_ENABLE_GATEWAY_MODEL_DISCOVERY"), Some("1"));
    // `/model` labels: the model, then where it runs; thinking and effort
    // claimed only for a model the preset says thinks.
    assert_eq!(
        get("ANTHROPIC_DEFAULT_OPUS_MODEL_NAME"),
        Some("deepseek-v4-pro")
    );
    assert_eq!(
        get("ANTHROPIC_DEFAULT_OPUS_MODEL_DESCRIPTION"),
        Some("DeepSeek · ccswitch profile p (opus)")
    );
    assert_eq!(
        get("ANTHROPIC_DEFAULT_HAIKU_MODEL_NAME"),
        Some("qwen3-coder")
    );
    assert_eq!(
        get("ANTHROPIC_DEFAULT_OPUS_MODEL_SUPPORTED_CAPABILITIES"),
        Some("thinking,adaptive_thinking,interleaved_thinking,effort")
    );
    // The preset says nothing about qwen3-coder's thinking: no claim.
    assert_eq!(
        get("ANTHROPIC_DEFAULT_HAIKU_MODEL_SUPPORTED_CAPABILITIES"),
        None
    );
    // The provider key is not in the plan at all, even with every key
    // variable set in the shell, and the variables that may hold keys are
    // removed from claude's environment.
    let planted = plan(
        &cfg,
        cfg.profile("p").unwrap(),
        &proxy_mode(),
        &keys_everywhere,
    );
    assert!(
        !format!("{planted:?}").contains("sk-planted"),
        "{planted:?}"
    );
    assert_eq!(planted.set, p.set);
    assert!(
        p.unset.contains(&"DEEPSEEK_API_KEY".to_string()),
        "{:?}",
        p.unset
    );
    // The API key is removed from the process and blanked in settings.
    assert!(p.unset.contains(&"ANTHROPIC_API_KEY".to_string()));
    assert_eq!(
        p.settings_env.get("ANTHROPIC_API_KEY").map(String::as_str),
        Some("")
    );
    assert_eq!(
        p.settings_env
            .get("CLAUDE_CODE_USE_BEDROCK")
            .map(String::as_str),
        Some("")
    );
    assert_eq!(
        p.settings_env
            .get("ANTHROPIC_AUTH_TOKEN")
            .map(String::as_str),
        Some("ccsw-tok")
    );
}

#[test]
fn inherited_conflicts_are_removed_and_no_proxy_merged() {
    let cfg = mk_config(DS);
    let inherited = |k: &str| match k {
        "NO_PROXY" => Some("corp.example, 127.0.0.1".to_string()),
        "no_proxy" => Some("internal".to_string()),
        _ => None,
    };
    let p = plan(&cfg, cfg.profile("p").unwrap(), &proxy_mode(), &inherited);
    assert_eq!(
        p.set["NO_PROXY"],
        "corp.example,127.0.0.1,internal,localhost,::1"
    );
    assert_eq!(p.set["no_proxy"], p.set["NO_PROXY"]);
    for k in [
        "CLAUDE_CODE_USE_BEDROCK",
        "CLAUDE_CODE_USE_VERTEX",
        "ANTHROPIC_DEFAULT_MODEL",
        "ANTHROPIC_BEDROCK_BASE_URL",
    ] {
        assert!(p.unset.contains(&k.to_string()), "{k} not removed");
    }
    // What we set is never also removed.
    assert!(p.unset.iter().all(|k| !p.set.contains_key(k)));
    assert_eq!(merge_no_proxy(None, None), "127.0.0.1,localhost,::1");
}

#[test]
fn output_cap_is_clamped_to_the_model() {
    let cfg = mk_config(
        r#"
[providers.up]
api = "openai"
base_url = "http://127.0.0.1:9/v1"
quirks = { max_output_tokens = 16384 }
models = { small = { max_output = 8192, context = 65536 } }
[profiles.big]
provider = "up"
main = "small"
max_output_tokens = 64000
[profiles.unknown]
provider = "up"
main = "other"
[profiles.own]
provider = "up"
main = "other"
max_output_tokens = 4000
context_window = 200000
"#,
    );
    let run = |name: &str| plan(&cfg, cfg.profile(name).unwrap(), &proxy_mode(), &no_env).set;
    assert_eq!(run("big")["CLAUDE_CODE_MAX_OUTPUT_TOKENS"], "8192");
    assert_eq!(run("big")["CLAUDE_CODE_MAX_CONTEXT_TOKENS"], "65536");
    // Unknown model: only the provider-wide cap applies.
    assert_eq!(run("unknown")["CLAUDE_CODE_MAX_OUTPUT_TOKENS"], "16384");
    assert!(!run("unknown").contains_key("CLAUDE_CODE_MAX_CONTEXT_TOKENS"));
    assert_eq!(run("own")["CLAUDE_CODE_MAX_OUTPUT_TOKENS"], "4000");
    assert_eq!(run("own")["CLAUDE_CODE_MAX_CONTEXT_TOKENS"], "200000");
}

/// Anthropic's own API, directly and through the proxy.
const ANT: &str = r#"
[providers.a]
preset = "anthropic"
[profiles.d]
provider = "a"
main = "claude-sonnet-5"
direct = true
[profiles.viaproxy]
provider = "a"
main = "claude-sonnet-5"
"#;

#[test]
fn official_anthropic_direct_and_through_the_proxy() {
    let cfg = mk_config(ANT);
    let key = Some(SecretString::from("sk-ant-real".to_string()));
    let p = plan(
        &cfg,
        cfg.profile("d").unwrap(),
        &Reach::Direct { key },
        &no_env,
    );
    assert_eq!(p.set["ANTHROPIC_BASE_URL"], "https://api.anthropic.com");
    assert_eq!(p.set["ANTHROPIC_API_KEY"], "sk-ant-real");
    assert!(!p.set.contains_key("ANTHROPIC_AUTH_TOKEN"));
    assert!(!p.unset.contains(&"ANTHROPIC_API_KEY".to_string()));
    // Anthropic's own telemetry and prompt caching are left alone.
    assert!(
        !p.set
            .contains_key("CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC")
    );
    assert!(!p.set.contains_key("DISABLE_PROMPT_CACHING"));
    let p = plan(
        &cfg,
        cfg.profile("viaproxy").unwrap(),
        &proxy_mode(),
        &no_env,
    );
    assert!(!p.set.contains_key("DISABLE_PROMPT_CACHING"));
}

#[test]
fn bedrock_and_vertex() {
    let cfg = mk_config(
        r#"
[providers.aws]
preset = "bedrock"
region = "eu-central-1"
aws_profile = "work"
base_url = "https://bedrock-gw.corp.example"
proxy = "http://proxy.corp.example:3128"
ca_file = "/etc/ssl/corp.pem"
[providers.gcp]
preset = "vertex"
project = "proj-1"
[profiles.b]
provider = "aws"
main = "global.anthropic.claude-opus-5"
fast = "global.anthropic.claude-haiku-4-5"
[profiles.v]
provider = "gcp"
main = "claude-sonnet-5"
"#,
    );
    let key = Some(SecretString::from("bedrock-api-key".to_string()));
    let p = plan(
        &cfg,
        cfg.profile("b").unwrap(),
        &Reach::Cloud { key },
        &no_env,
    )
    .set;
    assert_eq!(p["CLAUDE_CODE_USE_BEDROCK"], "1");
    assert_eq!(p["AWS_REGION"], "eu-central-1");
    assert_eq!(p["AWS_PROFILE"], "work");
    assert_eq!(p["AWS_BEARER_TOKEN_BEDROCK"], "bedrock-api-key");
    assert_eq!(
        p["ANTHROPIC_BEDROCK_BASE_URL"],
        "https://bedrock-gw.corp.example"
    );
    assert_eq!(p["HTTPS_PROXY"], "http://proxy.corp.example:3128/");
    assert_eq!(p["NODE_EXTRA_CA_CERTS"], "/etc/ssl/corp.pem");
    assert_eq!(
        p["ANTHROPIC_SMALL_FAST_MODEL"],
        "global.anthropic.claude-haiku-4-5"
    );
    assert!(!p.contains_key("ANTHROPIC_BASE_URL"));
    let v = plan(
        &cfg,
        cfg.profile("v").unwrap(),
        &Reach::Cloud { key: None },
        &no_env,
    );
    assert_eq!(v.set["CLAUDE_CODE_USE_VERTEX"], "1");
    assert_eq!(v.set["CLOUD_ML_REGION"], "global");
    assert_eq!(v.set["ANTHROPIC_VERTEX_PROJECT_ID"], "proj-1");
    assert!(v.unset.contains(&"CLAUDE_CODE_USE_BEDROCK".to_string()));
}

#[test]
fn socks_in_direct_mode_is_a_warning_and_profile_env_wins() {
    let cfg = mk_config(
        r#"
[providers.a]
preset = "anthropic"
proxy = "socks5://127.0.0.1:1080"
[profiles.d]
provider = "a"
main = "claude-sonnet-5"
direct = true
nonessential_traffic = true
env = { CLAUDE_CODE_ATTRIBUTION_HEADER = "0", API_TIMEOUT_MS = "5" }
"#,
    );
    let p = plan(
        &cfg,
        cfg.profile("d").unwrap(),
        &Reach::Direct { key: None },
        &no_env,
    );
    assert!(!p.set.contains_key("HTTPS_PROXY"));
    assert_eq!(p.warnings.len(), 1);
    assert!(p.warnings[0].contains("SOCKS"), "{:?}", p.warnings);
    assert_eq!(p.set["CLAUDE_CODE_ATTRIBUTION_HEADER"], "0");
    assert_eq!(p.set["API_TIMEOUT_MS"], "5");
}

/// A team's OpenTelemetry exporter survives a launch: ccswitch neither
/// unsets nor overrides `OTEL_*` or `CLAUDE_CODE_ENABLE_TELEMETRY`, and a
/// profile can add resource attributes. (Claude Code 2.1.332 gates its
/// exporters on `CLAUDE_CODE_ENABLE_TELEMETRY`, not on the nonessential
/// traffic switch ccswitch sets.)
#[test]
fn telemetry_variables_pass_through() {
    let cfg = mk_config(&format!(
        "{DS}env = {{ OTEL_RESOURCE_ATTRIBUTES = \"team=platform\" }}\n"
    ));
    let inherited = |k: &str| {
        matches!(
            k,
            "CLAUDE_CODE_ENABLE_TELEMETRY"
                | "OTEL_METRICS_EXPORTER"
                | "OTEL_EXPORTER_OTLP_ENDPOINT"
        )
        .then(|| "1".to_string())
    };
    let p = plan(&cfg, cfg.profile("p").unwrap(), &proxy_mode(), &inherited);
    for k in [
        "CLAUDE_CODE_ENABLE_TELEMETRY",
        "OTEL_METRICS_EXPORTER",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
    ] {
        assert!(!p.unset.iter().any(|u| u == k), "{k} unset");
        assert!(!p.set.contains_key(k), "{k} overridden");
    }
    assert_eq!(p.set["OTEL_RESOURCE_ATTRIBUTES"], "team=platform");
}

/// Tool search is asked for wherever the proxy runs (it applies
/// `defer_loading` itself where the upstream cannot), unless the shell
/// already decides; the profile's `tool_search` always wins.
#[test]
fn tool_search_is_on_wherever_the_proxy_runs() {
    let on = |src: &str, inherited: &dyn Fn(&str) -> Option<String>| {
        let cfg = mk_config(src);
        let p = plan(&cfg, cfg.profile("p").unwrap(), &proxy_mode(), inherited);
        p.set.get("ENABLE_TOOL_SEARCH").cloned()
    };
    assert_eq!(on(DS, &no_env).as_deref(), Some("true"));
    let shell = |k: &str| (k == "ENABLE_TOOL_SEARCH").then(|| "false".to_string());
    assert_eq!(on(DS, &shell), None);
    let off = format!("{DS}tool_search = false\n");
    assert_eq!(on(&off, &shell).as_deref(), Some("false"));
    // An Anthropic-kind upstream too: the passthrough applies
    // `defer_loading` where its preset does not say the upstream does.
    let anthropic = "[providers.k]\npreset = \"kimi-coding\"\n[profiles.p]\nprovider = \"k\"\nmain = \"kimi-k2\"\n";
    assert_eq!(on(anthropic, &no_env).as_deref(), Some("true"));
}

// The whole session plan (`session.rs`): what `run` applies as it is.

fn facts<'a>(session: Option<&'a str>, theirs: bool) -> Facts<'a> {
    Facts {
        user_settings: Map::new(),
        me: "'/bin/ccswitch'",
        session,
        user_status_line: theirs,
        ignore_budget: false,
        project: None,
    }
}

#[test]
fn our_env_wins_in_merged_settings_and_theirs_is_kept() {
    let mut plan = EnvPlan::default();
    plan.settings_env
        .insert("ANTHROPIC_BASE_URL".into(), "http://127.0.0.1:1".into());
    let user = serde_json::from_str(
        r#"{"env":{"ANTHROPIC_BASE_URL":"x","FOO":"1"},"permissions":{"deny":["Bash"]}}"#,
    )
    .unwrap();
    let v = settings_json(&plan, user, Some("helper"));
    assert_eq!(v["env"]["ANTHROPIC_BASE_URL"], "http://127.0.0.1:1");
    assert_eq!(v["env"]["FOO"], "1");
    assert_eq!(v["permissions"]["deny"][0], "Bash");
    assert_eq!(v["apiKeyHelper"], "helper");
    let v = settings_json(&plan, Map::new(), None);
    assert!(v.get("apiKeyHelper").is_none());
    assert!(v.get("skipWebFetchPreflight").is_none());
    // `web_fetch_preflight = false` on the profile.
    plan.skip_web_fetch_preflight = true;
    let v = settings_json(&plan, Map::new(), None);
    assert_eq!(v["skipWebFetchPreflight"], true);
}

#[test]
fn a_direct_key_reaches_claude_through_the_helper_alone() {
    let cfg = mk_config(ANT);
    let key = SecretString::from("sk-ant-direct".to_string());
    let mode = Reach::Direct { key: Some(key) };
    let p = session_plan(
        &cfg,
        cfg.profile("d").unwrap(),
        &mode,
        &|_| None,
        facts(None, false),
    );
    assert_eq!(p.set[HELPER_VAR], "sk-ant-direct");
    assert!(!p.set.contains_key("ANTHROPIC_API_KEY"), "{:?}", p.set);
    assert!(p.unset.contains(&"ANTHROPIC_API_KEY".to_string()));
    assert_eq!(p.settings["apiKeyHelper"], "'/bin/ccswitch' __key-helper");
    assert_eq!(p.settings["env"]["ANTHROPIC_API_KEY"], "");
    assert!(!p.settings.to_string().contains("sk-ant-direct"));
    // No proxy, no ledger session: no status line of ours.
    assert!(p.settings.get("statusLine").is_none());
    assert!(!p.set.contains_key(status_line::SESSION_VAR));
}

#[test]
fn a_proxied_session_offers_its_status_line_unless_the_user_has_one() {
    let cfg = mk_config(DS);
    let mode = proxy_mode();
    let profile = cfg.profile("p").unwrap();
    let p = session_plan(&cfg, profile, &mode, &|_| None, facts(Some("ab12"), false));
    assert_eq!(
        p.settings["statusLine"]["command"],
        "'/bin/ccswitch' statusline"
    );
    assert_eq!(p.set[status_line::SESSION_VAR], "ab12");
    assert_eq!(p.set[status_line::PROFILE_VAR], "p");
    assert!(p.settings.get("apiKeyHelper").is_none());
    assert!(!p.set.contains_key(HELPER_VAR));
    let theirs = session_plan(&cfg, profile, &mode, &|_| None, facts(Some("ab12"), true));
    assert!(theirs.settings.get("statusLine").is_none());
    // `ccswitch statusline` still finds the session if theirs calls it.
    assert_eq!(theirs.set[status_line::SESSION_VAR], "ab12");
    // Budgets are checked: an outer session's "ignored" does not leak in.
    assert!(!p.set.contains_key(status_line::BUDGET_VAR));
    assert!(p.unset.contains(&status_line::BUDGET_VAR.to_string()));
    // `--ignore-budget`: the status line is told.
    let ignoring = Facts {
        ignore_budget: true,
        ..facts(Some("ab12"), false)
    };
    let p = session_plan(&cfg, profile, &mode, &|_| None, ignoring);
    assert_eq!(p.set[status_line::BUDGET_VAR], "ignored");
}

/// Issue 27, wart 7: a custom model's window, as its provider's list gives
/// it, is recorded under the provider and reaches Claude Code, so it no
/// longer assumes 1M tokens ("Model isn't recognized"). Inline `models`
/// tables take the entry inline; the output cap is recorded too.
#[test]
fn a_listed_context_window_reaches_claude_code() {
    use crate::config::edit::{ModelSize, set_model_size};
    let listing = br#"{"data":[{"id":"moonshotai/kimi-k2","context_length":131072,
        "top_provider":{"context_length":63000,"max_completion_tokens":16384}}]}"#;
    let listed = crate::proxy::upstream::models::parse_listing(listing).unwrap();
    let src = r#"
[providers.or]
api = "openai"
base_url = "http://127.0.0.1:9/api/v1"
[providers.inl]
api = "openai"
base_url = "http://127.0.0.1:9/v1"
models = { other = { context = 8192 } }
[profiles.p]
provider = "or"
main = "moonshotai/kimi-k2"
[profiles.q]
provider = "inl"
main = "moonshotai/kimi-k2"
"#;
    let cfg = mk_config(src);
    assert!(
        !plan(&cfg, cfg.profile("p").unwrap(), &proxy_mode(), &no_env)
            .set
            .contains_key("CLAUDE_CODE_MAX_CONTEXT_TOKENS")
    );
    let size = ModelSize {
        model: listed[0].id.clone(),
        context: listed[0].context,
        max_output: listed[0].max_output,
    };
    let mut doc: toml_edit::DocumentMut = src.parse().unwrap();
    set_model_size(&mut doc, &cfg, "or", &size).unwrap();
    set_model_size(&mut doc, &cfg, "inl", &size).unwrap();
    let text = doc.to_string();
    assert!(
        text.contains(
            "[providers.or.models.\"moonshotai/kimi-k2\"]\ncontext = 63000\nmax_output = 16384\n[providers.inl]"
        ),
        "{text}"
    );
    assert!(
        text.contains("\"moonshotai/kimi-k2\" = { context = 63000, max_output = 16384 } }"),
        "{text}"
    );
    let cfg = mk_config(&text);
    for name in ["p", "q"] {
        let set = plan(&cfg, cfg.profile(name).unwrap(), &proxy_mode(), &no_env).set;
        assert_eq!(set["CLAUDE_CODE_MAX_CONTEXT_TOKENS"], "63000", "{name}");
        assert_eq!(set["CLAUDE_CODE_MAX_OUTPUT_TOKENS"], "16384", "{name}");
    }
    // What the config already knows is not written again.
    let mut again: toml_edit::DocumentMut = text.parse().unwrap();
    set_model_size(&mut again, &cfg, "or", &size).unwrap();
    assert_eq!(again.to_string(), text);
}

/// Claude Code is told one window per session: with a menu, the smallest
/// known of `main` and the menu's models, since `/model` may move the
/// conversation to any of them; the profile's own `context_window` wins.
#[test]
fn a_menu_tells_claude_code_its_smallest_window() {
    let cfg = mk_config(
        r#"
[providers.up]
api = "openai"
base_url = "http://127.0.0.1:9/v1"
models = { big = { context = 1000000 }, small = { context = 65536 } }
[providers.other]
api = "openai"
base_url = "http://127.0.0.1:8/v1"
[profiles.mix]
provider = "up"
main = "big"
menu = [{ provider = "up", model = "small" }, { provider = "other", model = "unknown" }]
[profiles.own]
provider = "up"
main = "big"
context_window = 200000
menu = ["small"]
"#,
    );
    let run = |name: &str| plan(&cfg, cfg.profile(name).unwrap(), &proxy_mode(), &no_env).set;
    assert_eq!(run("mix")["CLAUDE_CODE_MAX_CONTEXT_TOKENS"], "65536");
    assert_eq!(run("own")["CLAUDE_CODE_MAX_CONTEXT_TOKENS"], "200000");
}

/// Issue 24: the project label goes out as a header through
/// `ANTHROPIC_CUSTOM_HEADERS`, merged with the user's own, and only
/// through the proxy.
#[test]
fn the_project_header_joins_the_users_headers_through_the_proxy_only() {
    let cfg = mk_config(DS);
    let profile = cfg.profile("p").unwrap();
    let with = |session, project| Facts {
        project,
        ..facts(session, false)
    };
    let var = "ANTHROPIC_CUSTOM_HEADERS";
    let p = session_plan(
        &cfg,
        profile,
        &proxy_mode(),
        &no_env,
        with(Some("s"), Some("web")),
    );
    assert_eq!(p.set[var], "x-ccswitch-project: web");
    // Not in the settings file: one in the user's settings.json stays theirs.
    assert!(p.settings["env"].get(var).is_none());
    let shell = |k: &str| (k == var).then(|| "X-Trace: 1".to_string());
    let p = session_plan(
        &cfg,
        profile,
        &proxy_mode(),
        &shell,
        with(Some("s"), Some("web")),
    );
    assert_eq!(p.set[var], "X-Trace: 1\nx-ccswitch-project: web");
    // The profile's `env` beats the shell, and is merged in the settings too.
    let own = format!("{DS}env = {{ ANTHROPIC_CUSTOM_HEADERS = \"X-Team: a\" }}\n");
    let cfg2 = mk_config(&own);
    let p = session_plan(
        &cfg2,
        cfg2.profile("p").unwrap(),
        &proxy_mode(),
        &shell,
        with(Some("s"), Some("web")),
    );
    assert_eq!(p.set[var], "X-Team: a\nx-ccswitch-project: web");
    assert_eq!(p.settings["env"][var], "X-Team: a\nx-ccswitch-project: web");
    // Their `--settings` too.
    let mut theirs = with(Some("s"), Some("web"));
    theirs.user_settings =
        serde_json::from_str(r#"{"env":{"ANTHROPIC_CUSTOM_HEADERS":"X-Mine: 2"}}"#).expect("json");
    let p = session_plan(&cfg, profile, &proxy_mode(), &shell, theirs);
    assert_eq!(p.settings["env"][var], "X-Mine: 2\nx-ccswitch-project: web");
    // Without the proxy (no ledger session) nothing is added.
    let p = session_plan(
        &cfg,
        profile,
        &proxy_mode(),
        &no_env,
        with(None, Some("web")),
    );
    assert!(!p.set.contains_key(var));
}
