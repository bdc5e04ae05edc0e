//! A team gateway's budgets for keys, members and teams, through the real
//! binary: `gateway team budget` / `member budget`, and `serve --gateway`
//! refusing a used-up budget as Anthropic's billing error (402, which
//! Claude Code shows without asking the user to `/login`).

use serde_json::json;

use crate::gateway::{issue, mk_home};
use crate::support::Home;
use crate::support::mock::{self, Mock};
use crate::support::serve::Serve;

/// m-main at $1,000 per million input tokens: each answer (120 prompt
/// tokens) costs $0.12.
fn priced_config(up: &Mock) -> String {
    format!(
        "{}models = {{ m-main = {{ input_price = 1000.0, output_price = 0.0 }} }}\n\
         [profiles.p]\nprovider = \"oa\"\nmain = \"m-main\"\n",
        mock::openai_provider("oa", up)
    )
}

async fn serve(home: Home) -> (Serve, Home) {
    tokio::task::spawn_blocking(move || {
        let s = Serve::start_with(&home, &["serve", "p", "--gateway"], &[("UP_KEY", "sk-up")]);
        (s, home)
    })
    .await
    .unwrap()
}

#[test]
fn member_and_team_budgets_are_set_listed_and_checked() {
    let home = mk_home();
    let r = home.run(&["gateway", "team", "budget", "core", "--daily-usd", "5"]);
    r.ok();
    assert!(
        r.stdout.contains("core") && r.stdout.contains("$5/day"),
        "{}",
        r.stdout
    );
    home.run(&["gateway", "member", "budget", "ann", "--monthly-usd", "40"])
        .ok();
    let teams = home.run(&["gateway", "team", "list", "--json"]).ok().json();
    assert_eq!(teams[0]["daily_usd"], 5.0, "{teams}");
    assert_eq!(teams[0]["monthly_usd"], serde_json::Value::Null);
    let members = home.run(&["gateway", "member", "list"]).ok().stdout.clone();
    assert!(
        members.contains("BUDGETS") && members.contains("$40/month"),
        "{members}"
    );
    // Left out: no cap.
    home.run(&["gateway", "team", "budget", "core"]).ok();
    let teams = home.run(&["gateway", "team", "list", "--json"]).ok().json();
    assert_eq!(teams[0]["daily_usd"], serde_json::Value::Null);
    let bad = home.run(&["gateway", "member", "budget", "ann", "--daily-usd", "-2"]);
    assert_eq!(bad.code, 2, "{}", bad.stderr);
    assert!(bad.stderr.contains("--daily-usd"), "{}", bad.stderr);
    let unknown = home.run(&["gateway", "team", "budget", "nope", "--daily-usd", "1"]);
    assert!(unknown.stderr.contains("core"), "{}", unknown.stderr);
}

/// The team's $0.30 a day lets three $0.12 requests through; the fourth,
/// and the other member's, are refused with 402 `billing_error` naming the
/// team. Spend is counted per UTC day in the store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_up_team_budget_refuses_every_member_as_a_billing_error() {
    let up = Mock::answering(6, "ok").await;
    let home = mk_home();
    home.write_config(&priced_config(&up));
    home.run(&["gateway", "member", "add", "bob", "--team", "core"])
        .ok();
    home.run(&["gateway", "team", "budget", "core", "--daily-usd", "0.30"])
        .ok();
    let ann = issue(&home, &["--member", "ann"]);
    let bob = issue(&home, &["--member", "bob"]);
    let (serve, _home) = serve(home).await;
    let client = reqwest::Client::new();
    let ask = |key: &str| {
        client
            .post(format!("{}/v1/messages", serve.base))
            .header("x-api-key", key)
            .json(&json!({"model": "m-main", "max_tokens": 10,
                "messages": [{"role": "user", "content": "hi"}]}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(ask(&ann).await.unwrap().status(), 200);
        // Settled in the background: the store has it a moment later.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    for key in [&ann, &bob] {
        let r = ask(key).await.unwrap();
        assert_eq!(r.status(), 402);
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["type"], "billing_error", "{body}");
        let m = body["error"]["message"].as_str().unwrap();
        assert!(m.contains("core") && m.contains("$0.30"), "{m}");
        assert!(!m.to_lowercase().contains("login"), "{m}");
    }
    assert_eq!(up.seen().len(), 3, "refused requests never went upstream");
    // /metrics: the operator's, with team and member labels and the
    // refusals counted; a member's key may not read everyone's usage.
    let metrics = |key: &str| {
        client
            .get(format!("{}/metrics", serve.base))
            .header("x-api-key", key)
            .send()
    };
    assert_eq!(metrics(&ann).await.unwrap().status(), 403);
    let text = metrics(&serve.token).await.unwrap().text().await.unwrap();
    // The refusals are failed requests of their members (as in the
    // ledger), and counted by reason.
    for line in [
        "ccswitch_gateway_requests_total{team=\"core\",member=\"ann\"} 4",
        "ccswitch_gateway_errors_total{team=\"core\",member=\"ann\"} 1",
        "ccswitch_gateway_errors_total{team=\"core\",member=\"bob\"} 1",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    assert!(
        text.contains("ccswitch_gateway_cost_usd_total{team=\"core\",member=\"ann\"} 0.36"),
        "{text}"
    );
    assert!(
        text.contains("ccswitch_gateway_refusals_total{reason=\"budget\"} 2"),
        "{text}"
    );
    let promtool = crate::support::require_program("promtool", "prometheus");
    crate::metrics::promtool_accepts(&promtool, &text);
}

/// `GET /v1/ccswitch/me` says what each of the key's budgets has left;
/// a member's `ccswitch test` on the `ccswitch-gateway` preset shows the
/// least of them as its provider's balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_sees_what_their_key_has_left() {
    let up = Mock::answering(12, "ok").await;
    let admin = mk_home();
    admin.write_config(&priced_config(&up));
    admin
        .run(&["gateway", "member", "budget", "ann", "--monthly-usd", "10"])
        .ok();
    let key = issue(
        &admin,
        &["--member", "ann", "--daily-usd", "1", "--rpm", "100"],
    );
    let (serve, _admin) = serve(admin).await;
    let client = reqwest::Client::new();
    let r = client
        .post(format!("{}/v1/messages", serve.base))
        .header("x-api-key", &key)
        .json(&json!({"model": "m-main", "max_tokens": 10,
            "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let me: serde_json::Value = client
        .get(format!("{}/v1/ccswitch/me", serve.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (me["member"].as_str(), me["team"].as_str()),
        (Some("ann"), Some("core")),
        "{me}"
    );
    assert_eq!(me["key_prefix"], key[..13], "{me}");
    let budgets = me["budgets"].as_array().unwrap();
    assert_eq!(budgets.len(), 2, "{me}");
    let daily = &budgets[0];
    assert_eq!(
        (daily["scope"].as_str(), daily["period"].as_str()),
        (Some("key"), Some("daily"))
    );
    assert!(
        (daily["spent_usd"].as_f64().unwrap() - 0.12).abs() < 1e-9,
        "{me}"
    );
    assert!(
        (me["left_usd"].as_f64().unwrap() - 0.88).abs() < 1e-9,
        "{me}"
    );
    assert_eq!(me["rate_limits"]["rpm"], 100);
    // The operator's token has no budgets to tell.
    let op = client
        .get(format!("{}/v1/ccswitch/me", serve.base))
        .header("x-api-key", &serve.token)
        .send()
        .await
        .unwrap();
    assert_eq!(op.status(), 404);
    // The member's side.
    let member = Home::new();
    member.write_config(&format!(
        "[providers.team]\npreset = \"ccswitch-gateway\"\nbase_url = \"{}\"\n\
         key = {{ env = \"CCSWITCH_GATEWAY_KEY\" }}\n\
         [profiles.w]\nprovider = \"team\"\nmain = \"m-main\"\n",
        serve.base
    ));
    let key2 = key.clone();
    let r = tokio::task::spawn_blocking(move || {
        member.run_env(
            &["test", "w", "--json"],
            &[("CCSWITCH_GATEWAY_KEY", key2.as_str())],
        )
    })
    .await
    .unwrap();
    let report = r.json();
    let balance = report
        .as_array()
        .expect("an array of steps")
        .iter()
        .find(|s| s["id"] == "balance")
        .unwrap_or_else(|| panic!("no balance step: {report}"));
    assert_eq!(balance["ok"], true, "{balance}");
    assert_eq!(
        balance["balance"]["left"][0]["currency"], "USD",
        "{balance}"
    );
    let left = balance["balance"]["left"][0]["amount"].as_f64().unwrap();
    assert!(
        left < 0.88 && left > 0.5,
        "another test request was spent too: {balance}"
    );
}

/// `ccswitch usage --gateway --by member|project` reads the store's own
/// ledger: every member request is there with its member, team, project
/// and cost, and `--by session` is refused with what works instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_from_the_gateway_store_by_member_and_project() {
    let up = Mock::answering(3, "ok").await;
    let home = mk_home();
    home.write_config(&priced_config(&up));
    home.run(&["gateway", "member", "add", "bob", "--team", "core"])
        .ok();
    let ann = issue(&home, &["--member", "ann"]);
    let bob = issue(&home, &["--member", "bob"]);
    let (serve, home) = serve(home).await;
    let client = reqwest::Client::new();
    for (key, project) in [(&ann, "alpha"), (&ann, "beta"), (&bob, "alpha")] {
        let r = client
            .post(format!("{}/v1/messages", serve.base))
            .header("x-api-key", key)
            .header("x-ccswitch-project", project)
            .json(&json!({"model": "m-main", "max_tokens": 10,
                "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // The response ends once the store has the request.
        r.bytes().await.unwrap();
    }
    let by = |what: &str| {
        home.run(&["usage", "--gateway", "--by", what, "--json"])
            .ok()
            .json()
    };
    let members = by("member");
    let groups = members["groups"].as_array().unwrap();
    let got: Vec<_> = groups
        .iter()
        .map(|g| (g["key"].as_str().unwrap(), g["requests"].as_u64().unwrap()))
        .collect();
    assert_eq!(got, [("ann", 2), ("bob", 1)], "{members}");
    assert!((members["total"]["cost_usd"].as_f64().unwrap() - 0.36).abs() < 1e-9);
    let projects = by("project");
    assert_eq!(projects["groups"][0]["key"], "alpha", "{projects}");
    assert_eq!(projects["groups"][0]["requests"], 2, "{projects}");
    let table = home
        .run(&["usage", "--gateway", "--by", "team"])
        .ok()
        .stdout
        .clone();
    assert!(table.contains("core") && table.contains("UTC"), "{table}");
    let session = home.run(&["usage", "--gateway", "--by", "session"]);
    assert_eq!(session.code, 2, "{}", session.stderr);
    assert!(session.stderr.contains("--by member"), "{}", session.stderr);
}

/// Hostile credentials and names: a huge key header, a well-formed key of
/// another gateway (another tenant's store), and a key with characters no
/// key has are refused as authentication errors, and the gateway keeps
/// serving; a project label that looks like SQL is stored as a name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_keys_are_refused_and_sql_looking_labels_are_data() {
    let up = Mock::answering(2, "ok").await;
    let home = mk_home();
    home.write_config(&priced_config(&up));
    let key = issue(&home, &["--member", "ann"]);
    // Another tenant: its own store, its own key.
    let elsewhere = mk_home();
    let foreign = issue(&elsewhere, &["--member", "ann"]);
    let (serve, home) = serve(home).await;
    let client = reqwest::Client::new();
    let ask = |key: String, project: &'static str| {
        let (client, base) = (client.clone(), serve.base.clone());
        async move {
            let r = client
                .post(format!("{base}/v1/messages"))
                .header("x-api-key", key)
                .header("x-ccswitch-project", project)
                .json(&json!({"model": "m-main", "max_tokens": 10,
                    "messages": [{"role": "user", "content": "hi"}]}))
                .send()
                .await;
            match r {
                Ok(r) => {
                    let status = r.status().as_u16();
                    (
                        status,
                        r.json::<serde_json::Value>().await.unwrap_or_default(),
                    )
                }
                // A header past hyper's limit may end the connection.
                Err(_) => (0, serde_json::Value::Null),
            }
        }
    };
    let (status, body) = ask(foreign, "p").await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (401, Some("authentication_error")),
        "{body}"
    );
    let (status, _) = ask(format!("ccsk_{}", "z".repeat(48)), "p").await;
    assert_eq!(status, 401);
    let (status, _) = ask(format!("ccsk_{}", "a".repeat(200_000)), "p").await;
    assert!(matches!(status, 0 | 401 | 431), "{status}");
    let label = "x'); DROP TABLE requests;--";
    let (status, body) = ask(key, label).await;
    assert_eq!(status, 200, "{body}");
    let projects = home
        .run(&["usage", "--gateway", "--by", "project", "--json"])
        .ok()
        .json();
    assert_eq!(projects["groups"][0]["key"], label, "{projects}");
}
