//! The run loop's side effects on a temp config folder and in-memory key
//! stores: saving a form, and the keys a connection test reads.

use super::*;
use crate::config::Presets;
use crate::secrets::{FileStore, SecretError};
use crate::tui::app::{App, Cmd, Msg};

struct NoKeyring;
impl SecretStore for NoKeyring {
    fn name(&self) -> &'static str {
        "keyring"
    }
    fn get(&self, _: &str) -> Result<Option<secrecy::SecretString>, SecretError> {
        Ok(None)
    }
    fn set(&self, _: &str, _: &secrecy::SecretString) -> Result<(), SecretError> {
        Err(SecretError::Unavailable {
            cause: "no Secret Service on this bus".into(),
        })
    }
    fn delete(&self, _: &str) -> Result<bool, SecretError> {
        Ok(false)
    }
}

/// A key typed into the form stands in for the keyring on a clone of
/// the screen's context; the file store, the environment and the
/// screen's own keyring stay as they are.
#[test]
fn a_typed_key_takes_the_keyrings_place_on_a_clone() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = Ctx {
        paths: Paths::under(dir.path()),
        secrets: Secrets {
            keyring: Arc::new(MemoryStore::with(&[("ds", "saved")])),
            file: Arc::new(MemoryStore::default()),
        },
        env: Arc::new(|k| (k == "X").then(|| "1".to_string())),
        now: std::time::SystemTime::now,
    };
    let plan = |key: Option<&str>| ProviderPlan {
        name: "ds".into(),
        new: None,
        edit: None,
        key: key.map(secrecy::SecretString::from),
    };
    let get = |c: &Ctx| {
        use secrecy::ExposeSecret;
        let k = c.secrets.keyring.get("ds").unwrap().unwrap();
        k.expose_secret().to_string()
    };
    let typed = with_typed_key(&ctx, &plan(Some("typed")));
    assert_eq!(get(&typed), "typed");
    assert_eq!(get(&ctx), "saved");
    assert!(Arc::ptr_eq(&typed.secrets.file, &ctx.secrets.file));
    assert_eq!((typed.env)("X").as_deref(), Some("1"));
    let untouched = with_typed_key(&ctx, &plan(None));
    assert!(Arc::ptr_eq(
        &untouched.secrets.keyring,
        &ctx.secrets.keyring
    ));
}

/// The form's connection test reaches fallbacks on other providers: only
/// the provider the form edits takes the typed key; every other key, and
/// the edited provider's pool keys, are found as `ccswitch run` finds them
/// (issue 27, wart 1: "No key for provider `custom-openai` (tried:
/// memory)").
#[test]
fn a_typed_key_leaves_other_providers_keys_where_a_launch_finds_them() {
    use secrecy::ExposeSecret;
    let dir = tempfile::tempdir().unwrap();
    let ctx = Ctx {
        paths: Paths::under(dir.path()),
        secrets: Secrets {
            keyring: Arc::new(MemoryStore::with(&[
                ("ds", "saved"),
                ("ds:2", "pool"),
                ("custom-openai", "other"),
            ])),
            file: Arc::new(MemoryStore::default()),
        },
        env: Arc::new(|_| None),
        now: std::time::SystemTime::now,
    };
    let cfg = crate::config::testing::mk_config(
        "[providers.ds]\npreset = \"deepseek\"\nextra_keys = [{ keyring = \"2\" }]\n\
         [providers.custom-openai]\npreset = \"custom-openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n",
    );
    let typed = with_typed_key(
        &ctx,
        &ProviderPlan {
            name: "ds".into(),
            new: None,
            edit: None,
            key: Some(secrecy::SecretString::from("typed")),
        },
    );
    let key = |name: &str| {
        let found = typed
            .secrets
            .resolve(cfg.provider(name).unwrap(), &*typed.env);
        let found = found.unwrap_or_else(|e| panic!("{name}: {e}")).unwrap();
        (found.secret.expose_secret().to_string(), found.source)
    };
    assert_eq!(key("ds"), ("typed".into(), KeySource::Keyring));
    assert_eq!(key("custom-openai"), ("other".into(), KeySource::Keyring));
    let pool = typed
        .secrets
        .resolve_extra(cfg.provider("ds").unwrap(), &*typed.env)
        .unwrap();
    assert_eq!(pool.len(), 1);
    assert_eq!(pool[0].expose_secret(), "pool");
}

/// Send a message that asks the run loop for nothing.
#[track_caller]
fn send(app: &mut App, msg: Msg) {
    assert_eq!(app.update(msg), None);
}

#[test]
fn a_rename_takes_the_last_used_entry_along() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let src = "default = \"a\"\n[providers.ds]\npreset = \"deepseek\"\nkey = { env = \"DS_KEY\" }\n\
               [profiles.a]\nprovider = \"ds\"\nmain = \"deepseek-chat\"\n";
    std::fs::write(&paths.config_file, src).unwrap();
    let t = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    state::record(&paths, "a", t).unwrap();
    let cfg = config::parse(&paths.config_file, src, &Presets::builtin()).unwrap();
    let (mut app, _) = App::new(&cfg, &Presets::builtin());
    send(&mut app, Msg::Edit);
    send(&mut app, Msg::Clear);
    send(&mut app, Msg::Char('b'));
    let Some(Cmd::Save(plan)) = app.update(Msg::Save) else {
        panic!("save")
    };
    let secrets = Secrets {
        keyring: Arc::new(MemoryStore::default()),
        file: Arc::new(FileStore::new(&paths.credentials_file)),
    };
    save_plan(&paths, &secrets, &plan).unwrap();
    let used = state::load(&paths);
    assert_eq!(used.get("b"), Some(&t), "{used:?}");
    assert!(!used.contains_key("a"));
}

#[test]
fn without_a_keyring_nothing_is_saved_and_the_message_says_what_to_do() {
    crate::i18n::set_lang(crate::i18n::Lang::En);
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    let cfg = config::parse(&paths.config_file, "", &Presets::builtin()).unwrap();
    let (mut app, _) = App::new(&cfg, &Presets::builtin());
    send(&mut app, Msg::New);
    for c in "deepseek".chars() {
        send(&mut app, Msg::Char(c));
    }
    send(&mut app, Msg::Activate);
    for c in "sk-1".chars() {
        send(&mut app, Msg::Char(c));
    }
    let Some(Cmd::Save(plan)) = app.update(Msg::Save) else {
        panic!("save")
    };
    let secrets = Secrets {
        keyring: Arc::new(NoKeyring),
        file: Arc::new(FileStore::new(&paths.credentials_file)),
    };
    let err = save_plan(&paths, &secrets, &plan).unwrap_err();
    assert!(err.contains("environment variable"), "{err}");
    assert!(!paths.config_file.exists(), "nothing written");
    send(&mut app, Msg::Failed(err));
    assert!(
        app.screen.form().is_some(),
        "the form and what was typed stay"
    );
    assert_eq!(app.screen.form().unwrap().values.key, "sk-1");
}

/// A provider that exists only in the form is in no file: an error in it
/// names no config.toml line, whether the model picker, Ctrl-T or Ctrl-S
/// meets it (issue 27, wart 13: "config.toml:5:1: Provider
/// `custom-openai` needs a base_url" for a file that had four lines).
#[test]
fn a_form_only_providers_errors_name_no_place_in_the_file() {
    use crate::config::edit::{ProfileChange, ProviderChange, SlotValue};
    crate::i18n::set_lang(crate::i18n::Lang::En);
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    std::fs::write(
        &paths.config_file,
        "[providers.ds]\npreset = \"deepseek\"\nkey = { env = \"DS_KEY\" }\n\
         [profiles.a]\nprovider = \"ds\"\nmain = \"deepseek-chat\"\n",
    )
    .unwrap();
    let ctx = Ctx {
        paths: paths.clone(),
        secrets: Secrets {
            keyring: Arc::new(MemoryStore::default()),
            file: Arc::new(MemoryStore::default()),
        },
        env: Arc::new(|_| None),
        now: std::time::SystemTime::now,
    };
    // A custom provider whose base URL is not filled in yet.
    let provider = ProviderPlan {
        name: "custom-openai".into(),
        new: Some(ProviderChange {
            preset: Some("custom-openai".into()),
            key_keyring: true,
            ..ProviderChange::default()
        }),
        edit: None,
        key: Some(secrecy::SecretString::from("sk-typed")),
    };
    let plan = FormPlan {
        original: None,
        copy_from: None,
        name: "b".into(),
        provider: provider.clone(),
        profile: ProfileChange {
            provider: Some("custom-openai".into()),
            slots: vec![(
                "main",
                SlotValue {
                    provider: None,
                    model: "m".into(),
                },
            )],
            ..ProfileChange::default()
        },
        size: None,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    fetch_models(&ctx, 1, provider, tx.clone());
    test_plan(&ctx, 2, plan.clone(), tx);
    let timeout = std::time::Duration::from_secs(30);
    let mut errors = Vec::new();
    for _ in 0..2 {
        match rx.recv_timeout(timeout).unwrap() {
            Msg::Models(1, Err(e)) | Msg::Tested(2, Err(e)) => errors.push(e),
            other => panic!("{other:?}"),
        }
    }
    errors.push(save_plan(&paths, &ctx.secrets, &plan).unwrap_err());
    for e in &errors {
        assert!(e.contains("`custom-openai`"), "{e}");
        assert!(e.contains("needs a base_url"), "{e}");
        assert!(!e.contains("config.toml"), "{e}");
    }
}

/// The list's minute asks the providers it names (a key from a command
/// is never run for it) and sends what `balances.json` then holds.
#[test]
fn refreshing_balances_asks_the_providers_and_sends_the_cache() {
    use std::io::{Read, Write};
    let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let heard = seen.clone();
    std::thread::spawn(move || {
        let body = r#"{"is_available": true, "balance_infos": [{"currency": "CNY", "total_balance": "110.00", "granted_balance": "10.00", "topped_up_balance": "100.00"}]}"#;
        for mut sock in server.incoming().flatten() {
            let mut head = Vec::new();
            let mut b = [0u8; 1024];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match sock.read(&mut b) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&b[..n]),
                }
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            heard
                .lock()
                .unwrap()
                .push(head.lines().next().unwrap_or("").to_string());
            let _ = write!(
                sock,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::under(dir.path());
    std::fs::write(
        &paths.config_file,
        format!(
            "[providers.ds]\npreset = \"deepseek\"\nbase_url = \"http://{addr}/anthropic\"\nkey = {{ env = \"DS_KEY\" }}\n\
             [providers.cmd]\npreset = \"deepseek\"\nbase_url = \"http://{addr}/anthropic\"\nkey = {{ command = \"exit 1\" }}\n"
        ),
    )
    .unwrap();
    let ctx = Ctx {
        paths,
        secrets: Secrets {
            keyring: Arc::new(MemoryStore::default()),
            file: Arc::new(MemoryStore::default()),
        },
        env: Arc::new(|k| (k == "DS_KEY").then(|| "sk-ds".to_string())),
        now: std::time::SystemTime::now,
    };
    let (tx, rx) = std::sync::mpsc::channel();
    refresh_balances(&ctx, vec!["ds".into(), "cmd".into()], tx);
    let msg = rx.recv_timeout(std::time::Duration::from_secs(30)).unwrap();
    let Msg::Balances(all) = msg else {
        panic!("{msg:?}")
    };
    let left = all["ds"].balance.as_ref().map(|b| b.left[0].amount);
    assert_eq!(left, Some(110.0), "{all:?}");
    assert!(!all.contains_key("cmd"), "{all:?}");
    assert_eq!(*seen.lock().unwrap(), ["GET /user/balance HTTP/1.1"]);
}
