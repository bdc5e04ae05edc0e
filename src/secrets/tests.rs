use super::*;
use crate::config::testing::mk_config;
use crate::i18n::{Lang, set_lang};
use std::time::Duration;

fn mk_provider(key_line: &str) -> Provider {
    let src = format!("[providers.ds]\npreset = \"deepseek\"\n{key_line}\n");
    let cfg = mk_config(&src);
    cfg.providers["ds"].clone()
}

fn mk_secrets(keyring: &[(&str, &str)], file: &[(&str, &str)]) -> Secrets {
    Secrets {
        keyring: Arc::new(MemoryStore::with(keyring)),
        file: Arc::new(MemoryStore::with(file)),
    }
}

fn env_with(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    }
}

/// A store that always fails, like a keyring without a session bus.
struct Broken;
impl SecretStore for Broken {
    fn name(&self) -> &'static str {
        "keyring"
    }
    fn get(&self, _: &str) -> Result<Option<SecretString>, SecretError> {
        Err(SecretError::Unavailable {
            cause: "no bus".into(),
        })
    }
    fn set(&self, _: &str, _: &SecretString) -> Result<(), SecretError> {
        Err(SecretError::Unavailable {
            cause: "no bus".into(),
        })
    }
    fn delete(&self, _: &str) -> Result<bool, SecretError> {
        Err(SecretError::Unavailable {
            cause: "no bus".into(),
        })
    }
}

#[test]
fn env_wins_over_command_keyring_and_file() {
    let p =
        mk_provider(r#"key = { env = "DS_KEY", command = "false", keyring = true, file = true }"#);
    let s = mk_secrets(&[("ds", "from-keyring")], &[("ds", "from-file")]);
    let k = s
        .resolve(&p, &env_with(&[("DS_KEY", " from-env \n")]))
        .unwrap()
        .unwrap();
    assert_eq!(k.secret.expose_secret(), "from-env");
    assert_eq!(k.source, KeySource::Env("DS_KEY".into()));
}

#[test]
fn an_unset_or_empty_env_var_falls_through() {
    let p = mk_provider(r#"key = { env = "DS_KEY", keyring = true }"#);
    let s = mk_secrets(&[("ds", "from-keyring")], &[]);
    let k = s
        .resolve(&p, &env_with(&[("DS_KEY", "  ")]))
        .unwrap()
        .unwrap();
    assert_eq!(k.source, KeySource::Keyring);
    assert_eq!(k.secret.expose_secret(), "from-keyring");
}

#[test]
fn command_comes_before_the_keyring() {
    let p = mk_provider(r#"key = { command = "printf ' cmd-key\n'", keyring = true }"#);
    let s = mk_secrets(&[("ds", "from-keyring")], &[]);
    let k = s.resolve(&p, &env_with(&[])).unwrap().unwrap();
    assert_eq!(k.source, KeySource::Command);
    assert_eq!(k.secret.expose_secret(), "cmd-key");
}

#[test]
fn a_failing_command_is_an_error_that_never_shows_stdout() {
    let p = mk_provider(r#"key = { command = "sh -c 'echo sk-leak; echo locked >&2; exit 3'" }"#);
    let s = mk_secrets(&[], &[]);
    let err = s.resolve(&p, &env_with(&[])).err().unwrap().to_string();
    assert!(
        err.contains("exit status: 3") && err.contains("locked"),
        "{err}"
    );
    assert!(!err.contains("sk-leak"), "{err}");
}

#[test]
fn commands_time_out() {
    let t0 = std::time::Instant::now();
    let err = run_key_command("ds", "sleep 30", Duration::from_millis(200))
        .err()
        .unwrap();
    assert!(matches!(err, SecretError::Command { .. }));
    assert!(t0.elapsed() < Duration::from_secs(10));
}

/// A command that leaves a child holding stdout: before, the read waited
/// for that child (here 30 s) whatever the timeout said.
#[cfg(unix)]
#[test]
fn a_background_child_holding_stdout_cannot_outlast_the_timeout() {
    let t0 = std::time::Instant::now();
    let r = run_key_command(
        "ds",
        "sh -c 'sleep 30 & echo sk-key'",
        Duration::from_millis(500),
    );
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    assert!(matches!(r, Err(SecretError::Command { .. })));
}

#[test]
fn concurrent_file_writes_lose_no_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.toml");
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let path = path.clone();
            std::thread::spawn(move || {
                let store = super::file::FileStore::new(&path);
                for j in 0..5 {
                    let secret = SecretString::from(format!("sk-{i}-{j}"));
                    store.set(&format!("p{i}-{j}"), &secret).unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let store = super::file::FileStore::new(&path);
    for i in 0..8 {
        for j in 0..5 {
            assert!(
                store.get(&format!("p{i}-{j}")).unwrap().is_some(),
                "p{i}-{j} lost"
            );
        }
    }
}

#[test]
fn keyring_before_file_and_file_as_fallback() {
    let p = mk_provider(r#"key = { keyring = true, file = true }"#);
    let k = mk_secrets(&[("ds", "kr")], &[("ds", "f")])
        .resolve(&p, &env_with(&[]))
        .unwrap()
        .unwrap();
    assert_eq!(k.source, KeySource::Keyring);
    let k = mk_secrets(&[], &[("ds", "f")])
        .resolve(&p, &env_with(&[]))
        .unwrap()
        .unwrap();
    assert_eq!(k.source, KeySource::File);
    // A broken keyring does not hide a key in the file.
    let s = Secrets {
        keyring: Arc::new(Broken),
        file: Arc::new(MemoryStore::with(&[("ds", "f")])),
    };
    assert_eq!(
        s.resolve(&p, &env_with(&[])).unwrap().unwrap().source,
        KeySource::File
    );
}

#[test]
fn nothing_found_names_what_was_tried() {
    let p = mk_provider(r#"key = { env = "DS_KEY", keyring = true }"#);
    let err = mk_secrets(&[], &[])
        .resolve(&p, &env_with(&[]))
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("tried: env DS_KEY, memory"), "{err}");
    assert!(err.contains("ccswitch key set ds"), "{err}");
    // With only a broken keyring, the keyring's own problem is reported.
    let s = Secrets {
        keyring: Arc::new(Broken),
        file: Arc::new(MemoryStore::default()),
    };
    let err = s.resolve(&p, &env_with(&[])).err().unwrap().to_string();
    assert!(err.contains("No usable OS keyring (no bus)"), "{err}");
    assert!(err.contains("key = { env"), "{err}");
}

#[test]
fn providers_without_a_key_resolve_to_none() {
    let cfg = mk_config("[providers.o]\npreset = \"ollama\"\n");
    let s = mk_secrets(&[], &[]);
    assert!(
        s.resolve(&cfg.providers["o"], &env_with(&[]))
            .unwrap()
            .is_none()
    );
}

/// What ccswitch itself says when a key cannot be had never carries the
/// key: not a failing command's own words about it, not a file's line.
#[cfg(unix)]
#[test]
fn no_error_shows_the_key_it_was_about() {
    let key = "my-own-key-value-0042";
    let p = mk_provider(&format!(
        r#"key = {{ command = "sh -c 'echo {key}; echo rejected {key} and sk-abcdefghijklmnopqrst >&2; exit 2'" }}"#
    ));
    let err = mk_secrets(&[], &[])
        .resolve(&p, &env_with(&[]))
        .err()
        .unwrap();
    let shown = format!("{err}\n{err:?}");
    assert!(
        shown.contains("rejected [redacted] and sk-[redacted]"),
        "{shown}"
    );
    assert!(
        !shown.contains(key) && !shown.contains("abcdefghijklmnopqrst"),
        "{shown}"
    );

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("credentials.toml");
    std::fs::write(&path, format!("ds = \"{key}\nother = 1\n")).unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let err = FileStore::new(&path).get("ds").err().unwrap();
    let shown = format!("{err}\n{err:?}");
    assert!(matches!(err, SecretError::FileParse { .. }), "{shown}");
    assert!(!shown.contains(key), "{shown}");
}

/// Every key a provider resolves to, its own and its pool's, is one the
/// redactor built from them masks, wherever it appears.
#[test]
fn resolved_keys_are_masked_by_their_redactor() {
    set_lang(Lang::En);
    let src = "[providers.ds]\npreset = \"deepseek\"\nkey = { env = \"DS_KEY\" }\n\
               extra_keys = [{ env = \"DS_KEY2\" }, { keyring = \"spare\" }]\n";
    let cfg = mk_config(src);
    let p = &cfg.providers["ds"];
    let s = mk_secrets(&[("ds:spare", "third-key-from-the-keyring")], &[]);
    let env = env_with(&[
        ("DS_KEY", "first-key-from-env-01"),
        ("DS_KEY2", "second-key-from-env-02"),
    ]);
    let mut keys = vec![s.resolve(p, &env).unwrap().unwrap().secret];
    keys.extend(s.resolve_extra(p, &env).unwrap());
    let red = Redactor::new(keys.iter().map(ExposeSecret::expose_secret));
    assert_eq!(red.secrets(), 3);
    let text = "first-key-from-env-01/second-key-from-env-02 third-key-from-the-keyring";
    assert_eq!(red.redact(text), "[redacted]/[redacted] [redacted]");
}

#[cfg(unix)]
#[test]
fn the_file_store_round_trips_and_refuses_loose_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/credentials.toml");
    let store = FileStore::new(&path);
    assert!(store.get("ds").unwrap().is_none());
    store
        .set("ds", &SecretString::from("k1".to_string()))
        .unwrap();
    store
        .set("other", &SecretString::from("k2".to_string()))
        .unwrap();
    assert_eq!(store.get("ds").unwrap().unwrap().expose_secret(), "k1");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let dir_mode = std::fs::metadata(path.parent().unwrap())
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(dir_mode, 0o700);
    assert!(store.delete("ds").unwrap());
    assert!(!store.delete("ds").unwrap());
    assert_eq!(store.get("other").unwrap().unwrap().expose_secret(), "k2");

    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let err = store.get("other").err().unwrap();
    assert!(
        matches!(err, SecretError::InsecureFile { mode: 0o644, .. }),
        "{err:?}"
    );
}

/// A key tried out in front of the keyring: its own account answers from
/// memory, the others from the keyring (a broken one's error included),
/// under the keyring's name; nothing written reaches the keyring.
#[test]
fn a_typed_key_over_the_keyring_reads_through_and_writes_nothing_below() {
    use secrecy::ExposeSecret;
    let below: Arc<dyn SecretStore> = Arc::new(MemoryStore::with(&[("other", "o")]));
    let typed = MemoryStore::over(below.clone(), "ds", &SecretString::from("t"));
    let get = |account: &str| {
        typed
            .get(account)
            .unwrap()
            .map(|k| k.expose_secret().to_string())
    };
    assert_eq!(get("ds").as_deref(), Some("t"));
    assert_eq!(get("other").as_deref(), Some("o"));
    assert_eq!(get("none"), None);
    assert_eq!(typed.name(), "memory", "the store below is a memory store");
    typed.set("x", &SecretString::from("x")).unwrap();
    assert!(below.get("x").unwrap().is_none());
    let over_broken = MemoryStore::over(Arc::new(Broken), "ds", &SecretString::from("t"));
    assert_eq!(over_broken.name(), "keyring");
    assert!(over_broken.get("other").is_err());
    assert!(over_broken.get("ds").unwrap().is_some());
}
