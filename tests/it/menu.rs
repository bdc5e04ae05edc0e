//! A profile's model menu through the proxy: discovery lists it, a listed
//! id reaches its provider, a whole provider is expanded from its live
//! list, a request over the picked model's window is refused the way
//! Claude Code compacts on, and `run --model` starts on a menu model.

use serde_json::{Value, json};

use crate::support::mock::{self, Mock};
use crate::support::proxy::{TOKEN, ask, mk_proxy_config};
use crate::support::serve::Serve;
use crate::support::{Home, fake_claude};

const KEY: &str = "sk-menu";

/// `key`: how each provider finds its key (a `key = ...` line, or none
/// for the keyring).
fn config(ds: &Mock, kimi: &Mock, gw: &Mock, key: &str) -> String {
    format!(
        "[providers.ds]\npreset = \"deepseek\"\napi = \"openai\"\nbase_url = \"{}\"\n{key}\n\
         [providers.kimi]\npreset = \"moonshot\"\napi = \"openai\"\nbase_url = \"{}\"\n{key}\n\
         [providers.kimi.models.kimi-k3]\ncontext = 2000\n\
         [providers.gw]\napi = \"anthropic\"\nbase_url = \"{}\"\n{key}\n\
         [profiles.p]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n\
         menu = [{{ provider = \"kimi\", model = \"kimi-k3\", label = \"Kimi K3\" }},\n\
                 {{ provider = \"gw\", models = \"all\" }}]\n",
        ds.url("/v1"),
        kimi.url("/v1"),
        gw.url(""),
    )
}

/// The proxy at `base`'s `GET /v1/models`.
async fn listed(base: &str, token: &str) -> Value {
    reqwest::Client::new()
        .get(format!("{base}/v1/models"))
        .header("x-api-key", token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

fn ids(list: &Value) -> Vec<(String, String)> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["id"].as_str().unwrap().to_string(),
                m["display_name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn discovery_lists_the_menu_and_an_id_reaches_its_provider_within_its_window() {
    let [ds, kimi, gw] = Mock::start_n::<3>().await;
    let keys = [("ds", KEY), ("kimi", KEY), ("gw", KEY)];
    let p = mk_proxy_config(&config(&ds, &kimi, &gw, ""), &keys, |_| {}).await;
    let list = listed(&p.base, TOKEN).await;
    // Without the proxy's start, `gw`'s whole list is not in: the slots
    // and the single model.
    assert_eq!(
        ids(&list),
        [
            (
                "claude-ccswitch-main".into(),
                "deepseek-v4-pro · DeepSeek".into()
            ),
            (
                "claude-ccswitch-kimi/kimi-k3".into(),
                "Kimi K3 · Moonshot Kimi".into()
            ),
        ],
        "{list}"
    );

    kimi.push(mock::chat_completion(
        json!({"role": "assistant", "content": "from kimi"}),
        "stop",
    ));
    let mut body = ask(false);
    body["model"] = json!("claude-ccswitch-kimi/kimi-k3");
    let r = p.post("/v1/messages", &body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(kimi.last().json()["model"], "kimi-k3");
    assert!(
        p.logs
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("menu kimi/kimi-k3")),
        "{:?}",
        p.logs.lock().unwrap()
    );

    // Over kimi-k3's 2,000-token window: refused as Anthropic refuses,
    // with the numbers Claude Code reads to compact.
    let before = kimi.seen().len();
    body["messages"] = json!([{"role": "user", "content": "word ".repeat(4000)}]);
    let r = p.post("/v1/messages", &body).await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("prompt is too long: ") && message.ends_with(" tokens > 2000 maximum"),
        "{v}"
    );
    assert_eq!(v["error"]["type"], "invalid_request_error");
    assert_eq!(kimi.seen().len(), before, "nothing went upstream");
}

#[tokio::test]
async fn a_whole_provider_is_listed_from_its_live_models_when_the_session_starts() {
    let [ds, kimi, gw] = Mock::start_n::<3>().await;
    gw.push(mock::json(
        200,
        &json!({"data": [{"type": "model", "id": "claude-sonnet-4-5"}, {"type": "model", "id": "glm-5"}],
                "has_more": false})
        .to_string(),
    ));
    let home = Home::new();
    home.write_config(&config(&ds, &kimi, &gw, "key = { env = \"UP_KEY\" }"));
    let s = tokio::task::spawn_blocking(move || {
        let s = Serve::start(&home, "p", KEY);
        (s, home)
    })
    .await
    .unwrap();
    let (serve, _home) = s;
    let list = listed(&serve.base, &serve.token).await;
    let listed: Vec<String> = ids(&list).into_iter().map(|(id, _)| id).collect();
    assert_eq!(
        listed,
        [
            "claude-ccswitch-main",
            "claude-ccswitch-kimi/kimi-k3",
            "claude-sonnet-4-5",
            "claude-ccswitch-gw/glm-5"
        ],
        "{list}"
    );
    assert!(
        gw.seen()[0].path.ends_with("/v1/models?limit=1000"),
        "{}",
        gw.seen()[0].path
    );
}

#[test]
fn run_model_starts_on_a_menu_model_and_names_the_menu_when_it_has_none_such() {
    let home = Home::new();
    home.write_config(
        "[providers.ds]\npreset = \"deepseek\"\nbase_url = \"http://127.0.0.1:9\"\nkey = { env = \"UP_KEY\" }\n\
         [providers.kimi]\npreset = \"moonshot\"\nbase_url = \"http://127.0.0.1:9/v1\"\nkey = { env = \"UP_KEY\" }\n\
         [profiles.p]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n\
         menu = [{ provider = \"kimi\", model = \"kimi-k3\", label = \"Kimi K3\" }]\n",
    );
    let bin = tempfile::tempdir().unwrap();
    let out = bin.path().join("model.txt");
    let claude = fake_claude(
        bin.path(),
        &format!(
            "printf '%s %s' \"$ANTHROPIC_MODEL\" \"$CLAUDE_CODE_MAX_CONTEXT_TOKENS\" > {}",
            out.display()
        ),
    );
    let r = home.run_claude(&claude, &["--model", "kimi k3", "p"], &[("UP_KEY", KEY)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let got = std::fs::read_to_string(&out).unwrap();
    assert!(got.starts_with("claude-ccswitch-kimi/kimi-k3 "), "{got}");

    let r = home.run_claude(&claude, &["--model", "gpt-9", "p"], &[("UP_KEY", KEY)]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("has no menu model `gpt-9`") && r.stderr.contains("kimi/kimi-k3"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_status_line_names_the_menu_model_and_provider_in_use() {
    let home = Home::new();
    home.write_config(
        "[providers.ds]\npreset = \"deepseek\"\nbase_url = \"http://127.0.0.1:9\"\nkey = { env = \"UP_KEY\" }\n\
         [providers.kimi]\npreset = \"moonshot\"\nbase_url = \"http://127.0.0.1:9/v1\"\nkey = { env = \"UP_KEY\" }\n\
         [providers.or]\npreset = \"openrouter\"\nbase_url = \"http://127.0.0.1:9/api/v1\"\nkey = { env = \"UP_KEY\" }\n\
         [profiles.p]\nprovider = \"ds\"\nmain = \"deepseek-v4-pro\"\n\
         menu = [{ provider = \"kimi\", model = \"kimi-k3\", label = \"Kimi K3\" }, { provider = \"or\", models = \"all\" }]\n",
    );
    // Local addresses: the line asks the providers for their balances.
    let env = [("CCSWITCH_PROFILE", "p"), ("CCSWITCH_SESSION", "none-yet")];
    let line = |id: &str| {
        let status =
            json!({"session_id": "s", "model": {"id": id, "display_name": id}}).to_string();
        let r = home.run_stdin(&["statusline"], &status, &env);
        r.ok();
        r.stdout.trim().to_string()
    };
    assert_eq!(
        line("claude-ccswitch-kimi/kimi-k3"),
        "ccswitch p · Kimi K3 @ Moonshot Kimi"
    );
    assert_eq!(
        line("claude-ccswitch-main"),
        "ccswitch p · deepseek-v4-pro @ DeepSeek"
    );
    // A model of a provider the menu takes whole is named by its id.
    assert_eq!(
        line("claude-ccswitch-or/qwen/qwen3-coder"),
        "ccswitch p · qwen/qwen3-coder @ OpenRouter"
    );
}
