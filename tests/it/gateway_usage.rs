//! A team gateway's ledger says who asked and for which project: its rows
//! carry member, team, project and key prefix, and `ccswitch usage --by
//! member|team|project` reports them (issue 24, usage by member, team and
//! project).

use crate::gateway::gateway_with;
use crate::support::mock::{self, Mock};
use crate::support::serve::Serve;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_request_lands_in_the_ledger_with_member_team_and_project() {
    let (_up, mut serve, home, keys) = gateway_with("hello member", 3, &[&[]]).await;
    let key = keys[0].clone();
    let client = reqwest::Client::new();
    let body = serde_json::json!({"model": "m-main", "max_tokens": 50,
        "messages": [{"role": "user", "content": "hi"}]});
    let r = client
        .post(format!("{}/v1/messages", serve.base))
        .header("x-api-key", &key)
        .header("x-ccswitch-project", "web")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    // The operator: no member, no project.
    let r = client
        .post(format!("{}/v1/messages", serve.base))
        .bearer_auth(&serve.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // A member's own ccswitch in front of the gateway passes its session's
    // label on (its provider's key is a virtual key).
    let member = crate::support::Home::new();
    member.write_config(&format!(
        "[providers.gw]\napi = \"anthropic\"\nbase_url = \"{}\"\nauth = \"x-api-key\"\n\
         key = {{ env = \"GW_KEY\" }}\n[profiles.m]\nprovider = \"gw\"\nmain = \"m-main\"\n",
        serve.base
    ));
    let (mine, member) = tokio::task::spawn_blocking(move || {
        let s = Serve::start_with(&member, &["serve", "m"], &[("GW_KEY", key.as_str())]);
        (s, (member, key))
    })
    .await
    .unwrap();
    let (_member_home, key) = member;
    let r = client
        .post(format!("{}/v1/messages", mine.base))
        .bearer_auth(&mine.token)
        .header("x-ccswitch-project", "api")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    drop(mine);
    // Stopped as a user stops it: what it recorded is written.
    serve.stop();

    let conn = ccswitch::usage::db::open_read(&home.path().join("usage.db")).unwrap();
    let row: (String, String, String, String) = conn
        .query_row(
            "SELECT member, team, project, key_prefix FROM requests WHERE project = 'web'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        row,
        (
            "ann".into(),
            "core".into(),
            "web".into(),
            key[..13].to_string()
        )
    );
    let groups = |by: &str| -> Vec<(String, u64)> {
        let v = home
            .run(&["usage", "--by", by, "--json", "--since", "1h"])
            .ok()
            .json();
        assert_eq!(v["by"], by);
        assert_eq!(v["total"]["requests"], 3);
        let mut g: Vec<(String, u64)> = v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| {
                (
                    g["key"].as_str().unwrap().to_string(),
                    g["requests"].as_u64().unwrap(),
                )
            })
            .collect();
        g.sort();
        g
    };
    let g = |k: &str, n: u64| (k.to_string(), n);
    assert_eq!(groups("member"), [g("-", 1), g("ann", 2)]);
    assert_eq!(groups("team"), [g("-", 1), g("core", 2)]);
    assert_eq!(groups("project"), [g("-", 1), g("api", 1), g("web", 1)]);
    // The table shows the same, with its column named.
    let text = home.run(&["usage", "--by", "member", "--since", "1h"]);
    text.ok();
    assert!(text.stdout.contains("MEMBER"), "{}", text.stdout);
    assert!(text.stdout.contains("ann"), "{}", text.stdout);
}

/// The project label goes on to an upstream only when its key is a team
/// gateway's virtual key: another Anthropic-kind provider never learns the
/// folder's name.
#[tokio::test]
async fn only_a_team_gateway_is_told_the_project() {
    let up = Mock::start().await;
    let home = crate::support::Home::new();
    home.write_config(&format!(
        "[providers.up]\napi = \"anthropic\"\nbase_url = \"{}\"\nauth = \"x-api-key\"\n\
         key = {{ env = \"UP_KEY\" }}\n[profiles.p]\nprovider = \"up\"\nmain = \"m-main\"\n",
        up.url("/anthropic")
    ));
    let gateway_key = format!("ccsk_{}", "ab".repeat(24));
    for (key, told) in [("sk-provider", false), (gateway_key.as_str(), true)] {
        up.push(mock::anthropic_text("hi"));
        let serve = Serve::start_with(&home, &["serve", "p"], &[("UP_KEY", key)]);
        let r = reqwest::Client::new()
            .post(format!("{}/v1/messages", serve.base))
            .bearer_auth(&serve.token)
            .header("x-ccswitch-project", "secret-plans")
            .json(&serde_json::json!({"model": "m-main", "max_tokens": 50,
                "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        let sent = up.last().header("x-ccswitch-project").map(str::to_string);
        assert_eq!(sent.is_some(), told, "{key}: {sent:?}");
    }
}
