use super::*;

fn r(text: &str, secrets: &[&str]) -> String {
    Redactor::new(secrets).redact(text).into_owned()
}

/// The bytes the last redaction looked at.
fn counted(red: &Redactor, text: &str) -> usize {
    WORK.with(|w| w.set(0));
    let _ = red.redact(text);
    WORK.with(std::cell::Cell::get)
}

#[test]
fn every_key_format_is_masked_after_its_prefix() {
    let keys = [
        "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx",
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWx",
        "ccsw-0123456789abcdef0123456789abcdef",
        "AKIAIOSFODNN7EXAMPLE",
        "AIzaSyAbCdEfGhIjKlMnOpQrStUvWxYz012345",
        "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "glpat-AbCdEfGhIjKlMnOpQrSt",
        "xai-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "gsk_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "tvly-dev-AbCdEfGhIjKlMnOpQrStUvWx",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567",
        "xoxb-123456789012-AbCdEfGhIjKl",
    ];
    for k in keys {
        let out = r(&format!("key {k}, end"), &[]);
        assert!(out.ends_with("[redacted], end"), "{k}: {out}");
        assert!(!out.contains(&k[k.len() - 8..]), "{k}: {out}");
    }
}

#[test]
fn ordinary_words_stay() {
    for text in [
        "task-list and sk-short",
        "ask-abcdefghijklmnopqrst",
        "the_hf_model_name and a risk-assessment-of-the-whole-thing",
        "Bearer token missing",
        "api_key parameter is required",
        "a.b.c and 0123456789abcdef.short",
    ] {
        assert_eq!(r(text, &[]), text);
    }
    assert_eq!(r("AKIAABCDEFGHIJKLMNOP!", &[]), "AKIA[redacted]!");
}

#[test]
fn keys_without_a_prefix_are_found_by_what_names_them() {
    let zhipu = "0123456789abcdef0123456789abcdef.AbCdEfGhIjKlMnOp";
    assert_eq!(
        r(&format!("invalid key: Bearer {zhipu}"), &[]),
        "invalid key: Bearer [redacted]"
    );
    // Zhipu's id.secret shape on its own.
    assert_eq!(r(&format!("key {zhipu}."), &[]), "key [redacted].");
    let aws = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    assert_eq!(
        r(&format!("aws_secret_access_key = {aws}\n"), &[]),
        "aws_secret_access_key = [redacted]\n"
    );
    let json = serde_json::json!({"SecretAccessKey": aws}).to_string();
    assert_eq!(r(&json, &[]), r#"{"SecretAccessKey":"[redacted]"}"#);
}

#[test]
fn known_secrets_are_masked_whole_and_short_ones_are_not() {
    let out = r(
        "token tok-Secret-Session-99 and key abc/def+ghi=jkl/mnop, short 1234",
        &["tok-Secret-Session-99", "abc/def+ghi=jkl/mnop", "1234"],
    );
    assert_eq!(out, "token [redacted] and key [redacted], short 1234");
    // A header value given with its scheme still masks the token alone.
    assert_eq!(
        r(
            "got zzzz-my-own-token-0001",
            &["Bearer zzzz-my-own-token-0001"]
        ),
        "got [redacted]"
    );
    // The prefix form is not kept when the whole key is known.
    assert_eq!(
        r("sk-upstream-provider-key", &["sk-upstream-provider-key"]),
        "[redacted]"
    );
}

#[test]
fn json_escaped_secrets_leave_no_usable_half() {
    let key = "AbCdEfGhIjKlMnOp/QrStUvWxYz0123456789+abcdefgh";
    for written in [
        key.replace('/', "\\/"),
        key.replace('/', "\\u002f").replace('+', "\\u002B"),
        // Mixed: one escape of each kind.
        key.replace('/', "\\/").replace('+', "\\u002b"),
    ] {
        let text = format!(r#"{{"error":"bad key {written} given"}}"#);
        let out = r(&text, &[key]);
        assert_eq!(out, r#"{"error":"bad key [redacted] given"}"#, "{written}");
    }
    // A format's key split by an escape is masked to its end.
    let text = r#"{"error":"bad key sk-abcdefghijklmnop\u002dqrstuvwxyz0123456789"}"#;
    assert_eq!(r(text, &[]), r#"{"error":"bad key sk-[redacted]"}"#);
}

#[test]
fn masking_inside_json_keeps_it_json() {
    let key = "my/own+secret/with-escapes-0123456789";
    let v = serde_json::json!({
        "a": format!("line\n{key}\ttab"),
        "b": format!("\u{e9}{key}"),
        "c": "sk-abcdefghijklmnopqrst\nnext",
        "d": format!("\"{key}\""),
    });
    let text = v.to_string();
    let out = r(&text, &[key]);
    let back: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
    assert_eq!(back["a"], "line\n[redacted]\ttab");
    assert_eq!(back["b"], "\u{e9}[redacted]");
    assert_eq!(back["c"], "sk-[redacted]\nnext");
    assert_eq!(back["d"], "\"[redacted]\"");
    // And a text that escapes it once more (a JSON string inside JSON).
    let twice = serde_json::to_string(&text).expect("json");
    assert!(!r(&twice, &[key]).contains("0123456789"), "{twice}");
}

#[test]
fn one_pass_whatever_the_text() {
    let secret = "Zz9/Yy8+Xx7-Ww6_Vv5.Uu4-0123456789abcdef";
    let red = Redactor::new([secret]);
    let mut inputs: Vec<String> = Vec::new();
    // Key-shaped words back to back: quadratic before (each mask moved the
    // rest of the text).
    inputs.push("sk-0123456789abcdefghij ".repeat(20_000));
    // Prefixes that are not keys, each a restart.
    inputs.push("ask-".repeat(100_000));
    // Prefixes glued by escapes, each one's extension cut short.
    inputs.push(format!("sk-{}", "a\\/sk-".repeat(50_000)));
    // The secret's long run over and over, with the wide characters around.
    inputs.push("0123456789abcdef/".repeat(30_000));
    inputs.push(format!("{secret} ").repeat(10_000));
    // Dots for the Zhipu shape.
    inputs.push("0123456789abcdef0123456789abcdef.".repeat(20_000));
    inputs.push(format!("Bearer {}", "x.".repeat(100_000)));
    for text in &inputs {
        let work = counted(&red, text);
        assert!(
            work <= 4 * text.len(),
            "{} bytes looked at for {} bytes ({}...)",
            work,
            text.len(),
            &text[..20]
        );
    }
}

#[test]
fn nothing_to_mask_borrows() {
    let red = Redactor::new(["a-long-enough-secret"]);
    assert!(matches!(red.redact("plain text"), Cow::Borrowed(_)));
    assert_eq!(red.secrets(), 1);
    assert!(!format!("{red:?}").contains("a-long"));
}

#[test]
fn a_key_learned_mid_run_is_masked_and_old_learned_ones_age_out() {
    let r = Redactor::new(["first-token-abcdef0123"]);
    assert_eq!(
        r.redact("x opaque.session.9f8e7d6c5b y"),
        "x opaque.session.9f8e7d6c5b y"
    );
    r.learn("opaque.session.9f8e7d6c5b");
    assert!(
        !r.redact("x opaque.session.9f8e7d6c5b y")
            .contains("9f8e7d6c5b")
    );
    assert!(!r.redact("first-token-abcdef0123").contains("abcdef0123"));
    for i in 0..LEARNED_KEPT {
        r.learn(&format!("opaque.session.{i:010}"));
    }
    // The oldest learned key went; the one it started with stays.
    assert_eq!(r.secrets(), 1 + LEARNED_KEPT);
    assert!(!r.redact("first-token-abcdef0123").contains("abcdef0123"));
}
