//! Model listing against scripted answers.
use super::*;

fn ids(body: &str) -> Option<Vec<String>> {
    parse_models(body.as_bytes())
}

fn v(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(std::string::ToString::to_string).collect())
}

#[test]
fn openai_and_anthropic_data_lists() {
    assert_eq!(
        ids(r#"{"object":"list","data":[{"id":"gpt-5","object":"model"},{"id":"gpt-4.1"}]}"#),
        v(&["gpt-4.1", "gpt-5"])
    );
    assert_eq!(
        ids(
            r#"{"data":[{"type":"model","id":"claude-opus-5","display_name":"Claude Opus 5"}],"has_more":false,"first_id":"claude-opus-5","last_id":"claude-opus-5"}"#
        ),
        v(&["claude-opus-5"])
    );
}

#[test]
fn ollama_native_lists_use_name_or_model() {
    assert_eq!(
        ids(
            r#"{"models":[{"name":"qwen3-coder:latest","model":"qwen3-coder:latest"},{"model":"gpt-oss:20b"}]}"#
        ),
        v(&["gpt-oss:20b", "qwen3-coder:latest"])
    );
}

#[test]
fn bare_arrays_of_objects_or_strings() {
    assert_eq!(ids(r#"[{"id":"b"},{"id":"a"}]"#), v(&["a", "b"]));
    assert_eq!(ids(r#"["m1"]"#), v(&["m1"]));
    assert_eq!(ids("[]"), v(&[]));
}

#[test]
fn gemini_models_prefix_is_stripped() {
    assert_eq!(
        ids(r#"{"data":[{"id":"models/gemini-2.5-pro"},{"id":"models/gemini-2.5-flash"}]}"#),
        v(&["gemini-2.5-flash", "gemini-2.5-pro"])
    );
}

#[test]
fn duplicates_go_and_the_sort_ignores_case_stably() {
    assert_eq!(
        ids(
            r#"{"data":[{"id":"qwen3"},{"id":"MiniMax-M3"},{"id":"qwen3"},{"id":"deepseek"},{"id":"models/qwen3"}]}"#
        ),
        v(&["deepseek", "MiniMax-M3", "qwen3"])
    );
    // Equal ignoring case: the provider's order stays.
    assert_eq!(ids(r#"["b","a","A"]"#), v(&["a", "A", "b"]));
    assert_eq!(ids(r#"["b","A","a"]"#), v(&["A", "a", "b"]));
}

#[test]
fn entries_without_ids_are_skipped() {
    assert_eq!(
        ids(r#"{"data":[{"id":"x"},{"object":"model"},{"id":""},{"id":7}]}"#),
        v(&["x"])
    );
    assert_eq!(ids(r#"{"data":[]}"#), v(&[]));
}

#[test]
fn anything_else_is_not_a_list() {
    for body in [
        "",
        "<html>hi</html>",
        "null",
        "42",
        r#"{"error":{"message":"nope"}}"#,
        r#"{"data":{"id":"x"}}"#,
        r#"{"data":[1,2]}"#,
        r#"[{"name":"x"}]"#,
    ] {
        assert_eq!(ids(body), None, "{body}");
    }
}

#[test]
fn provider_messages_in_their_usual_places() {
    let m = |s: &str| provider_message(&serde_json::from_str(s).unwrap());
    assert_eq!(
        m(r#"{"error":{"message":"Invalid key","type":"auth"}}"#).as_deref(),
        Some("Invalid key")
    );
    assert_eq!(
        m(r#"{"error":"bad\n  token"}"#).as_deref(),
        Some("bad token")
    );
    assert_eq!(
        m(r#"{"message":"Forbidden"}"#).as_deref(),
        Some("Forbidden")
    );
    assert_eq!(m(r#"{"detail":"Not Found"}"#).as_deref(), Some("Not Found"));
    assert_eq!(m(r#"{"error":{"code":1}}"#), None);
    assert_eq!(m(r#"{"error":"  "}"#), None);
}

#[test]
fn plain_text_bodies_but_not_web_pages() {
    assert_eq!(
        plain_text(b"404 page not found\n").as_deref(),
        Some("404 page not found")
    );
    assert_eq!(plain_text(b"<!doctype html><p>x</p>"), None);
    assert_eq!(plain_text(b"  "), None);
    let long = one_line(&"x".repeat(1000));
    assert_eq!(long.chars().count(), MAX_MESSAGE + 1);
}

#[test]
fn anthropic_cursor() {
    let page: Vec<ListedModel> = ["a", "b"]
        .map(|id| ListedModel {
            id: id.into(),
            ..ListedModel::default()
        })
        .to_vec();
    let v = |s: &str| serde_json::from_str::<Value>(s).unwrap();
    assert_eq!(
        next_page(&v(r#"{"has_more":true,"last_id":"z"}"#), &page).as_deref(),
        Some("z")
    );
    assert_eq!(
        next_page(&v(r#"{"has_more":true}"#), &page).as_deref(),
        Some("b")
    );
    assert_eq!(
        next_page(&v(r#"{"has_more":false,"last_id":"z"}"#), &page),
        None
    );
    assert_eq!(next_page(&v(r#"{"last_id":"z"}"#), &page), None);
}

#[test]
fn urls_for_messages_hide_query_and_password() {
    assert_eq!(
        display_url("https://u:secret@example.com/v1/models?limit=1000"),
        "https://u:****@example.com/v1/models"
    );
}

fn upstream(toml: &str) -> Upstream {
    let cfg = crate::config::parse(
        std::path::Path::new("config.toml"),
        toml,
        &crate::config::Presets::builtin(),
    )
    .unwrap();
    Upstream::new(cfg.provider("up").unwrap().clone(), None).unwrap()
}

#[tokio::test]
async fn bedrock_and_vertex_are_not_listed() {
    let up = upstream("[providers.up]\napi = \"bedrock\"\nregion = \"us-east-1\"\n");
    let e = list_models(&up).await.unwrap_err();
    assert!(
        matches!(
            &e,
            ListError::Unsupported {
                api: Api::Bedrock,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(!e.to_string().contains('\n'));
}

#[tokio::test]
async fn a_silent_server_times_out_within_the_limit() {
    // Accepts, then never answers.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            open.push(s);
        }
    });
    let up = upstream(&format!(
        "[providers.up]\napi = \"openai\"\nbase_url = \"http://{addr}/v1\"\n"
    ));
    let t0 = std::time::Instant::now();
    let e = list_models_within(&up, Duration::from_millis(300))
        .await
        .unwrap_err();
    assert!(t0.elapsed() < Duration::from_secs(5));
    match &e {
        ListError::Timeout { host, .. } => assert_eq!(host, &addr.to_string()),
        other => panic!("{other:?}"),
    }
    hold.abort();
}

#[test]
fn ollama_show_gives_num_ctx_before_the_trained_length() {
    let ctx = |v: serde_json::Value| ollama::show_context(&v);
    let info = serde_json::json!({"general.architecture": "qwen3", "qwen3.context_length": 40960,
                                  "llama.context_length": 8192});
    assert_eq!(ctx(serde_json::json!({"model_info": info})), Some(40960));
    assert_eq!(
        ctx(
            serde_json::json!({"parameters": "stop \"<|im_end|>\"\nnum_ctx                        32768", "model_info": info})
        ),
        Some(32768)
    );
    // No architecture named: any `.context_length`; zero is no answer.
    assert_eq!(
        ctx(serde_json::json!({"model_info": {"bert.context_length": 512}})),
        Some(512)
    );
    assert_eq!(
        ctx(serde_json::json!({"parameters": "num_ctx 0", "model_info": {"x.context_length": 0}})),
        None
    );
    assert_eq!(ctx(serde_json::json!({"error": "model not found"})), None);
}

#[test]
fn ollama_show_is_asked_at_the_servers_root() {
    for (api, base) in [
        ("anthropic", "http://127.0.0.1:11434"),
        ("openai", "http://127.0.0.1:11434/v1/"),
    ] {
        let up = upstream(&format!(
            "[providers.up]\npreset = \"ollama\"\napi = \"{api}\"\nbase_url = \"{base}\"\n"
        ));
        assert!(ollama::is_ollama(&up));
        assert_eq!(
            ollama::show_url(&up).as_deref(),
            Some("http://127.0.0.1:11434/api/show"),
            "{api}"
        );
    }
}
