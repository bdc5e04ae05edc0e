//! `ccswitch gateway`: teams, members and virtual keys in the gateway's
//! store, through the real binary (issue 24, first increment).

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::support::Home;

/// A home with team `core` and member `ann` in it.
pub(crate) fn mk_home() -> Home {
    mk_home_on(None)
}

/// The same in the store `--store` names (`None`: the default file).
pub(crate) fn mk_home_on(store: Option<&str>) -> Home {
    let home = Home::new();
    let on = store_args(store);
    home.run(&[&["gateway", "team", "add", "core"], &on[..]].concat())
        .ok();
    home.run(
        &[
            &["gateway", "member", "add", "ann", "--team", "core"],
            &on[..],
        ]
        .concat(),
    )
    .ok();
    home
}

/// `--store STORE`, or nothing for the default store.
pub(crate) fn store_args(store: Option<&str>) -> Vec<&str> {
    store.map(|s| vec!["--store", s]).unwrap_or_default()
}

/// Issue a key with `args` after `key issue`; stdout is the key alone.
pub(crate) fn issue(home: &Home, args: &[&str]) -> String {
    let mut all = vec!["gateway", "key", "issue"];
    all.extend(args);
    let r = home.run(&all);
    r.ok();
    let key = r.stdout.trim_end().to_string();
    assert_eq!(r.stdout, format!("{key}\n"), "the key alone on stdout");
    assert!(key.starts_with("ccsk_") && key.len() == 53, "{key}");
    assert!(
        r.stderr.contains(&key[..13]) && !r.stderr.contains(&key),
        "{}",
        r.stderr
    );
    key
}

fn keys_json(home: &Home) -> Vec<serde_json::Value> {
    keys_of(home, &[])
}

/// `gateway key list --json` with `extra` arguments (`--store S`).
pub(crate) fn keys_of(home: &Home, extra: &[&str]) -> Vec<serde_json::Value> {
    let r = home.run(&[&["gateway", "key", "list", "--json"], extra].concat());
    r.ok().json().as_array().unwrap().clone()
}

/// A gateway (`serve p --gateway`) on a mock that answers `n` times with
/// `text`, with team `core`, member `ann` and a key issued for each of
/// `keys` (`key issue` arguments after `--member ann`): the mock, the
/// server, its home and the keys.
pub(crate) async fn gateway_with(
    text: &str,
    n: usize,
    keys: &[&[&str]],
) -> (
    crate::support::mock::Mock,
    crate::support::serve::Serve,
    Home,
    Vec<String>,
) {
    gateway_on(None, text, n, keys, &[]).await
}

/// [`gateway_with`], with `more` arguments after `serve p --gateway`.
pub(crate) async fn gateway_serving(
    text: &str,
    n: usize,
    keys: &[&[&str]],
    more: &[&str],
) -> (
    crate::support::mock::Mock,
    crate::support::serve::Serve,
    Home,
    Vec<String>,
) {
    gateway_on(None, text, n, keys, more).await
}

/// [`gateway_with`] on the store `store` names (`None`: the default file),
/// with `more` arguments after `serve p --gateway [STORE]`; its log goes
/// to `serve.log` in the home.
pub(crate) async fn gateway_on(
    store: Option<String>,
    text: &str,
    n: usize,
    keys: &[&[&str]],
    more: &[&str],
) -> (
    crate::support::mock::Mock,
    crate::support::serve::Serve,
    Home,
    Vec<String>,
) {
    use crate::support::mock::{self, Mock};
    use crate::support::serve::Serve;
    let up = Mock::answering(n, text).await;
    let home = mk_home_on(store.as_deref());
    home.write_config(&mock::oa_config(&up));
    let issued = keys
        .iter()
        .map(|args| {
            let mut all = vec!["--member", "ann"];
            all.extend_from_slice(args);
            all.extend(store_args(store.as_deref()));
            issue(&home, &all)
        })
        .collect();
    let mut args = vec!["serve".to_string(), "p".into(), "--gateway".into()];
    args.extend(store);
    args.extend(more.iter().map(ToString::to_string));
    let (serve, home) = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // Its log, for tests that read what it said.
        let log = std::fs::File::create(home.path().join("serve.log")).unwrap();
        let s = Serve::start_logged(&home, &args, &[("UP_KEY", "sk-up")], log);
        (s, home)
    })
    .await
    .unwrap();
    (up, serve, home, issued)
}

/// Every byte of the store's files (the database and any WAL beside it).
fn store_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("gateway.db") {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(!bytes.is_empty(), "no store in {}", dir.display());
    bytes
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn gateway_keys_are_issued_listed_by_prefix_revoked_and_rotated() {
    let home = mk_home();
    let key = issue(
        &home,
        &[
            "--member",
            "ann",
            "--profile",
            "work",
            "--daily-usd",
            "5",
            "--rpm",
            "60",
            "--expires",
            "30d",
        ],
    );
    let prefix = &key[..13];
    let list = home.run(&["gateway", "key", "list"]);
    let list = &list.ok().stdout;
    assert!(list.starts_with("PREFIX"), "{list}");
    assert!(list.contains(prefix) && !list.contains(&key), "{list}");
    assert!(
        list.contains("$5/day 60 rpm") && list.contains("active until"),
        "{list}"
    );
    let rows = keys_json(&home);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["prefix"], prefix);
    assert_eq!(rows[0]["state"], "active");
    assert_eq!(rows[0]["profiles"], serde_json::json!(["work"]));
    assert!(!serde_json::to_string(&rows).unwrap().contains(&key));

    // Rotate: the old key is revoked, a new one with the same settings
    // is printed once.
    let r = home.run(&["gateway", "key", "rotate", prefix]);
    let new = r.ok().stdout.trim_end().to_string();
    assert!(new.starts_with("ccsk_") && new != key, "{new}");
    let rows = keys_json(&home);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["state"], "revoked");
    assert_eq!(rows[1]["prefix"], &new[..13]);
    assert_eq!(rows[1]["state"], "active");
    assert_eq!(rows[1]["rotated_from"], prefix);
    for field in ["member", "team", "profiles", "daily_usd", "rpm"] {
        assert_eq!(rows[1][field], rows[0][field], "{field}");
    }
    // A revoked key is not rotated again.
    let again = home.run(&["gateway", "key", "rotate", prefix]);
    assert!(
        again.fails(2).stderr.contains("is revoked"),
        "{}",
        again.stderr
    );

    // Revoke the new one; a second revoke says when the first was.
    let r = home.run(&["gateway", "key", "revoke", &new[..13]]);
    assert!(r.ok().stdout.contains("revoked"), "{}", r.stdout);
    let r = home.run(&["gateway", "key", "revoke", &new[..13]]);
    assert!(r.ok().stdout.contains("revoked already"), "{}", r.stdout);
    let list = home.run(&["gateway", "key", "list"]).ok().stdout.clone();
    assert_eq!(list.matches("revoked 2").count(), 2, "{list}");
    let members = home.run(&["gateway", "member", "list"]).ok().stdout.clone();
    assert!(members.contains("ann     core  0"), "{members}");
}

/// The key itself is in no file: the store keeps its SHA-256 and prefix.
#[test]
fn the_gateway_store_never_holds_a_key() {
    let home = mk_home();
    let key = issue(&home, &["--member", "ann"]);
    let r = home.run(&["gateway", "key", "rotate", &key[..13]]);
    let rotated = r.ok().stdout.trim_end().to_string();
    let bytes = store_bytes(home.path());
    for k in [&key, &rotated] {
        assert!(!contains(&bytes, k.as_bytes()), "a key is in the store");
        assert!(
            !contains(&bytes, &k.as_bytes()[13..]),
            "a key's secret part is in the store"
        );
        assert!(
            contains(&bytes, &Sha256::digest(k.as_bytes())),
            "its hash is not"
        );
    }
    // A pasted key names its key, and is not echoed back.
    let r = home.run(&["gateway", "key", "revoke", &rotated]);
    assert!(r.ok().stdout.contains(&rotated[..13]), "{}", r.stdout);
    assert!(!r.stdout.contains(&rotated) && !r.stderr.contains(&rotated));
}

/// Issue 24, bad input: SQL-looking names are stored and shown as the
/// text they are, and the store still works afterwards.
#[test]
fn gateway_names_that_look_like_sql_are_plain_data() {
    let home = Home::new();
    let team = "t'); DROP TABLE keys;--";
    let member = "Robert'); DROP TABLE members;--";
    let profile = "x\" OR 1=1 --";
    home.run(&["gateway", "team", "add", team]).ok();
    home.run(&["gateway", "member", "add", member, "--team", team])
        .ok();
    issue(&home, &["--member", member, "--profile", profile]);
    let rows = keys_json(&home);
    assert_eq!(rows[0]["member"], member);
    assert_eq!(rows[0]["team"], team);
    assert_eq!(rows[0]["profiles"], serde_json::json!([profile]));
    let members = home.run(&["gateway", "member", "list", "--json"]);
    assert_eq!(members.ok().json()[0]["name"], member);
    let teams = home.run(&["gateway", "team", "list"]).ok().stdout.clone();
    assert!(teams.contains(team), "{teams}");
    // Names with control characters are refused: they could forge lines.
    let r = home.run(&["gateway", "team", "add", "a\nb"]);
    assert!(
        r.fails(2).stderr.contains("control characters"),
        "{}",
        r.stderr
    );
}

/// A name that does not exist is answered with those that do and the
/// command that would add it.
#[test]
fn gateway_unknown_names_say_what_exists_and_the_fix() {
    let home = mk_home();
    let r = home.run(&["gateway", "member", "add", "bo", "--team", "web team"]);
    assert!(
        r.fails(2)
            .stderr
            .contains("There is no team `web team`. Teams: core. Add it with `ccswitch gateway team add 'web team'`."),
        "{}",
        r.stderr
    );
    let r = home.run(&["gateway", "key", "issue", "--member", "bo"]);
    assert!(
        r.fails(2).stderr.contains("Members: ann.")
            && r.stderr
                .contains("ccswitch gateway member add bo --team TEAM"),
        "{}",
        r.stderr
    );
    let r = home.run(&["gateway", "key", "revoke", "ccsk_00000000"]);
    assert!(
        r.fails(2).stderr.contains("no key has been issued yet"),
        "{}",
        r.stderr
    );
    let key = issue(&home, &["--member", "ann"]);
    let r = home.run(&["gateway", "key", "revoke", "ccsk_00000000"]);
    assert!(
        r.fails(2)
            .stderr
            .contains(&format!("Keys: {}.", &key[..13])),
        "{}",
        r.stderr
    );
    let r = home.run(&["gateway", "team", "add", "core"]);
    assert!(r.fails(2).stderr.contains("exists already"), "{}", r.stderr);
    let r = home.run(&[
        "gateway",
        "key",
        "issue",
        "--member",
        "ann",
        "--daily-usd",
        "-3",
    ]);
    assert!(
        r.fails(2)
            .stderr
            .contains("--daily-usd must be a positive number"),
        "{}",
        r.stderr
    );
    let r = home.run(&[
        "gateway",
        "key",
        "issue",
        "--member",
        "ann",
        "--expires",
        "soon",
    ]);
    assert!(
        r.fails(2).stderr.contains("is not a length of time"),
        "{}",
        r.stderr
    );
}

/// `--store` puts the store elsewhere (`ccswitch paths` lists the default);
/// a URL of a database ccswitch does not know is refused without echoing
/// its password.
#[test]
fn gateway_store_is_in_the_data_folder_unless_named() {
    let home = Home::new();
    let paths = home.run(&["paths", "--json"]).ok().json();
    let default = home.path().join("gateway.db");
    assert_eq!(paths["gateway_db"], default.to_str().unwrap());
    let other = home.path().join("elsewhere/gw.db");
    let other = other.to_str().unwrap();
    home.run(&["gateway", "--store", other, "team", "add", "core"])
        .ok();
    home.run(&["gateway", "team", "list", "--store", other])
        .ok();
    assert!(Path::new(other).exists() && !default.exists());
    let r = home.run(&["gateway", "team", "list"]);
    assert!(r.ok().stdout.starts_with("No teams yet"), "{}", r.stdout);
    let r = home.run(&[
        "gateway",
        "--store",
        "mysql://gw:hunter2@db/gw",
        "team",
        "list",
    ]);
    assert!(
        r.fails(2)
            .stderr
            .contains("`mysql://…` stores are not supported"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("hunter2"), "{}", r.stderr);
    // Not a gateway store: refused, and left as it was.
    let notes = home.path().join("notes.txt");
    std::fs::write(&notes, "my notes, not a database at all").unwrap();
    let r = home.run(&[
        "gateway",
        "--store",
        notes.to_str().unwrap(),
        "team",
        "list",
    ]);
    assert!(
        r.fails(1)
            .stderr
            .contains("is not a ccswitch gateway store"),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(&notes).unwrap(),
        "my notes, not a database at all"
    );
}

/// `serve --gateway`: members come in with their keys; a wrong, revoked
/// or malformed key is refused in Anthropic's shape, a key for other
/// profiles gets 403, and the operator's session token still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_as_a_gateway_lets_members_in_by_their_keys_only() {
    let (_up, serve, home, keys) =
        gateway_with("hello member", 8, &[&[], &["--profile", "elsewhere"]]).await;
    let (key, other) = (keys[0].clone(), keys[1].clone());
    let client = reqwest::Client::new();
    let ask = |credential: String| {
        let (client, base) = (client.clone(), serve.base.clone());
        async move {
            let r = client
                .post(format!("{base}/v1/messages"))
                .header("x-api-key", credential)
                .json(&serde_json::json!({"model": "m-main", "max_tokens": 50,
                    "messages": [{"role": "user", "content": "hi"}]}))
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            (status, r.json::<serde_json::Value>().await.unwrap())
        }
    };
    let (status, body) = ask(key.clone()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["content"][0]["text"], "hello member");
    // The operator's token is still the way in for the operator.
    assert_eq!(ask(serve.token.clone()).await.0, 200);
    let (status, body) = ask(other).await;
    assert_eq!(
        (status, body["error"]["type"].as_str()),
        (403, Some("permission_error")),
        "{body}"
    );
    let (status, body) = ask("ccsk_nothing".into()).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (401, Some("error")),
        "{body}"
    );
    let (status, _) = ask(format!("{}x", &key[..52])).await;
    assert_eq!(status, 401);

    // Revoked from another process: refused within the cache's 5 s.
    home.run(&["gateway", "key", "revoke", &key[..13]]).ok();
    let t0 = std::time::Instant::now();
    loop {
        let (status, body) = ask(key.clone()).await;
        if status == 401 {
            assert_eq!(body["error"]["type"], "authentication_error", "{body}");
            break;
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(6),
            "still let in"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A key's requests a minute: past the limit, 429 `rate_limit_error` with
/// `retry-after` (what Claude Code and the SDKs wait out); other keys are
/// not held back by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_over_its_rate_limit_is_told_when_to_come_back() {
    let (_up, serve, _home, keys) = gateway_with("ok", 8, &[&["--rpm", "2"], &[]]).await;
    let (limited, free) = (&keys[0], &keys[1]);
    let client = reqwest::Client::new();
    let ask = |key: &str| {
        client
            .post(format!("{}/v1/messages", serve.base))
            .header("x-api-key", key)
            .json(&serde_json::json!({"model": "m-main", "max_tokens": 50,
                "messages": [{"role": "user", "content": "hi"}]}))
            .send()
    };
    for _ in 0..2 {
        assert_eq!(ask(limited).await.unwrap().status(), 200);
    }
    let r = ask(limited).await.unwrap();
    assert_eq!(r.status(), 429);
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "rate_limit_error", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&limited[..13]),
        "{body}"
    );
    assert_eq!(ask(free).await.unwrap().status(), 200);
}

/// Real Claude Code → a member's `ccswitch run` on the `ccswitch-gateway`
/// preset → `serve --gateway` → a scripted provider: a Bash round trip
/// works with the member's key, and the provider's key stays on the
/// gateway.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claude_code_reaches_the_provider_through_a_members_ccswitch_and_the_gateway() {
    use crate::support::claude::ccswitch_run_in;
    use crate::support::mock::{self, Mock};
    use crate::support::serve::Serve;
    let up = Mock::start().await;
    let args =
        serde_json::json!({"command": "echo gateway-marker-24", "description": "Print a marker"});
    up.push(mock::openai_call("Bash", "call_gw1", &args));
    up.push(mock::openai_text_usage("The marker was printed.", 40, 4));
    for _ in 0..6 {
        up.push(mock::openai_text_usage("ok", 10, 1));
    }
    let admin = mk_home();
    admin.write_config(&mock::oa_config(&up));
    let key = issue(&admin, &["--member", "ann"]);
    let (serve, _admin) = tokio::task::spawn_blocking(move || {
        let s = Serve::start_with(
            &admin,
            &["serve", "p", "--gateway"],
            &[("UP_KEY", "sk-provider-secret")],
        );
        (s, admin)
    })
    .await
    .unwrap();
    let member = Home::new();
    member.write_config(&format!(
        "[providers.team]\npreset = \"ccswitch-gateway\"\nbase_url = \"{}\"\nkey = {{ env = \"CCSWITCH_GATEWAY_KEY\" }}\n\
         [profiles.w]\nprovider = \"team\"\nmain = \"m-main\"\n",
        serve.base
    ));
    let chome = tempfile::tempdir().unwrap();
    let run_args = [
        "-p",
        "run the marker command",
        "--output-format",
        "json",
        "--allowedTools",
        "Bash",
        "--no-session-persistence",
    ];
    let env = [("CCSWITCH_GATEWAY_KEY", key.as_str())];
    let r = ccswitch_run_in(&member, "w", &run_args, chome.path(), &env).await;
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let result: serde_json::Value = serde_json::from_str(r.stdout.trim()).unwrap();
    assert_eq!(result["result"], "The marker was printed.", "{}", r.stdout);
    let seen = up.seen();
    assert!(
        seen.iter().any(|s| s.body.contains("gateway-marker-24")),
        "the tool result reached the provider"
    );
    assert!(
        seen.iter()
            .all(|s| s.header("authorization") == Some("Bearer sk-provider-secret")),
        "the provider sees the gateway's key, never the member's"
    );
}
