//! What the fuzz targets (`fuzz/`) run, and what the test command replays
//! their corpora through: each function takes arbitrary bytes and panics
//! when a property that must hold for every input does not.
//!
//! - Nothing panics, whatever the bytes.
//! - SSE decodes the same however the bytes are split.
//! - A translated stream is a well-formed Anthropic event sequence.
//! - Whatever translates also serializes.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::config::{self, Api, Presets, Quirks};
use crate::proxy::translate::anthropic::MessagesRequest;
use crate::proxy::translate::grammar::check_sse;
use crate::proxy::translate::openai::ChatResponse;
use crate::proxy::translate::passthrough::{self, RawBody};
use crate::proxy::translate::provenance::Provenance;
use crate::proxy::translate::request::{self, UpstreamModel};
use crate::proxy::translate::response::{self, ResponseCtx};
use crate::proxy::translate::sse::{SseDecoder, SseEvent, encode};
use crate::proxy::translate::stream::{StreamConfig, StreamTranslator};

/// Quirk sets the translators are fuzzed under: the defaults and the
/// built-in presets' endpoints, which between them flip every quirk. Built
/// once: parsing the presets per input would dominate a fuzzing run.
fn quirk_sets(api: Api) -> &'static [Quirks] {
    static OPENAI: OnceLock<Vec<Quirks>> = OnceLock::new();
    static ANTHROPIC: OnceLock<Vec<Quirks>> = OnceLock::new();
    let cell = if api == Api::Anthropic {
        &ANTHROPIC
    } else {
        &OPENAI
    };
    cell.get_or_init(|| {
        let presets = Presets::builtin();
        let mut out = vec![Quirks::default()];
        for id in [
            "deepseek",
            "openrouter",
            "gemini",
            "kimi",
            "mistral",
            "minimax",
            "zhipu",
        ] {
            if let Some(e) = presets.get(id).and_then(|p| p.endpoint(api)) {
                out.push(e.quirks.resolve());
            }
        }
        out
    })
}

/// The presets, parsed once (see [`quirk_sets`]).
fn presets() -> &'static Presets {
    static P: OnceLock<Presets> = OnceLock::new();
    P.get_or_init(Presets::builtin)
}

/// The first byte picks one of `n` choices; the rest is the input.
fn pick(data: &[u8], n: usize) -> (usize, &[u8]) {
    match data.split_first() {
        Some((b, rest)) => (usize::from(*b) % n.max(1), rest),
        None => (0, data),
    }
}

fn decode<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Vec<SseEvent> {
    let mut d = SseDecoder::new();
    let mut out: Vec<SseEvent> = pieces.into_iter().flat_map(|p| d.push(p)).collect();
    out.extend(d.finish());
    out
}

/// The SSE decoder: no panic, and the same events all at once, byte by
/// byte, and in chunks of a size the input picks.
pub fn sse(data: &[u8]) {
    let (size, data) = pick(data, 64);
    let whole = decode([data]);
    let split = decode(data.chunks(size + 1));
    assert_eq!(whole, split, "split in {} bytes", size + 1);
    assert_eq!(whole, decode(data.chunks(1)), "byte by byte");
}

/// The request translators: a body that parses as a Messages request
/// translates to OpenAI under every quirk set, and any JSON object passes
/// through the Anthropic rewrite; both serialize.
pub fn request(data: &[u8]) {
    let (stream, data) = pick(data, 2);
    if let Ok(req) = serde_json::from_slice::<MessagesRequest>(data) {
        for q in quirk_sets(Api::Openai) {
            let target = UpstreamModel {
                model: "m",
                quirks: q,
                max_output: Some(8192),
                stream: stream == 1,
                provenance: Provenance {
                    provider: "m",
                    spans_providers: stream == 1,
                },
            };
            let t = request::to_openai(&req, &target);
            assert!(serde_json::to_vec(&t.request).is_ok());
        }
    }
    if let Ok(body) = serde_json::from_slice::<RawBody>(data) {
        for q in quirk_sets(Api::Anthropic) {
            let mut b = body.clone();
            let to = Provenance {
                provider: "p",
                spans_providers: true,
            };
            let _ = passthrough::rewrite_request(&mut b, "m", q, Some(8192), &to);
            assert!(serde_json::to_vec(&b).is_ok());
        }
    }
}

/// The stream translator fed whatever events the bytes decode to: its
/// output always follows the grammar, ending in `message_stop` or `error`.
pub fn stream(data: &[u8]) {
    let (which, data) = pick(data, 8);
    let quirks = quirk_sets(Api::Openai);
    let cfg = StreamConfig {
        message_id: "msg_fuzz".into(),
        model: "claude-fuzz".into(),
        input_estimate: 10,
        quirks: Arc::new(quirks[which % quirks.len()].clone()),
        renamed_tools: vec![("t_short".into(), "a.long.tool.name".into())],
        thinking_maker: (which % 2 == 0).then(|| "p".into()),
    };
    let mut t = StreamTranslator::new(cfg);
    let mut out = t.start();
    for e in decode([data]) {
        out.extend(t.push_data(&e.data));
    }
    out.extend(t.finish());
    assert!(t.is_done(), "translator not done after finish()");
    let sse: String = out
        .iter()
        .map(|e| String::from_utf8_lossy(&encode(e)).into_owned())
        .collect();
    if let Err(e) = check_sse(&sse, false) {
        panic!("{e}\n{sse}");
    }
}

/// The response translator: any Chat Completions response translates and
/// serializes.
pub fn response(data: &[u8]) {
    let (which, data) = pick(data, 8);
    let Ok(chat) = serde_json::from_slice::<ChatResponse>(data) else {
        return;
    };
    let quirks = quirk_sets(Api::Openai);
    let renamed = [("t_short".to_string(), "a.long.tool.name".to_string())];
    let stops = ["</block>".to_string(), "\n\n".to_string()];
    let ctx = ResponseCtx {
        message_id: "msg_fuzz",
        model: "claude-fuzz",
        quirks: &quirks[which % quirks.len()],
        renamed_tools: &renamed,
        // Half the inputs as replies to a request the upstream searched for.
        web_search: (which % 2 == 0).then_some("fuzz query"),
        stop_sequences: &stops[..which % 3],
        thinking_maker: (which % 2 == 0).then_some("p"),
    };
    let msg = response::from_openai(&chat, &ctx);
    assert!(serde_json::to_vec(&msg).is_ok());
    // The same bytes as an Anthropic-kind reply: tagging keeps it JSON.
    if let Some(tagged) = passthrough::tag_message(data, "p") {
        assert!(serde_json::from_slice::<serde_json::Value>(&tagged).is_ok());
    }
}

/// `config.toml`: any text loads or fails with an error; no panic.
pub fn config(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = config::parse(Path::new("fuzz.toml"), text, presets());
    }
}

/// `credentials.toml`: any text loads or fails with an error; no panic.
pub fn credentials(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::secrets::parse_credentials(text);
    }
}

/// The import readers (the first byte picks one: Claude Code settings, a
/// JSON file that says what it is, a LiteLLM YAML, cc-switch's stored
/// rows as `name\0settings\0...`, the shell's `NAME=value\0...`), named,
/// their key variables checked, and written: whatever the source holds,
/// the document has only the tables and keys an import means to write,
/// every comment is one line without control characters, every value reads
/// back as written, and every line shown to people is one clean line.
pub fn import(data: &[u8]) {
    use crate::config::import::source::{self, Kind};
    use crate::config::import::{ccswitch, claude_env, keyvar};
    let (which, data) = pick(data, 5);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let presets = presets();
    let read = match which {
        0 => source::read(text, Kind::ClaudeSettings, "settings.json", presets),
        1 => source::read(text, Kind::Json, "config.json", presets),
        2 => source::read(text, Kind::Yaml, "config.yaml", presets),
        3 => {
            let fields: Vec<&str> = text.split('\0').collect();
            let entries: Vec<ccswitch::StoredProvider> = fields
                .chunks(2)
                .map(|c| ccswitch::StoredProvider {
                    name: c[0].to_string(),
                    settings: c.get(1).copied().unwrap_or_default().to_string(),
                })
                .collect();
            ccswitch::read(&entries, "cc-switch.db", presets)
        }
        _ => {
            let vars: Vec<(&str, &str)> = text
                .split('\0')
                .filter_map(|kv| kv.split_once('='))
                .collect();
            let get = |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            };
            let keep_env = text.len() % 2 == 0;
            Ok(claude_env::read("the environment", &get, keep_env, presets))
        }
    };
    let Ok(found) = read else {
        return;
    };
    // Names an existing config has, so suffixes are picked too.
    let taken = |n: &str| matches!(n, "deepseek" | "ccr" | "litellm" | "imported");
    let mut found = found.into_names(taken, taken);
    keyvar::confirm(&mut found, presets, &[]);
    let labels = vec![(
        "the source\n[search]".to_string(),
        found.providers.len(),
        found.profiles.len(),
    )];
    for line in crate::import::summary(&labels, &found) {
        assert!(!line.contains(char::is_control), "{line:?}");
    }
    let mut doc = toml_edit::DocumentMut::new();
    if let Err(e) = found.write(&mut doc) {
        panic!("an import's own names are refused: {e}");
    }
    import_wrote_only_its_own(&found, &doc.to_string());
}

/// The checks of [`import`] on the written text.
fn import_wrote_only_its_own(found: &config::import::Found, text: &str) {
    use toml_edit::{DocumentMut, Item};
    const PROVIDER_KEYS: &[&str] = &[
        "preset", "api", "base_url", "region", "project", "proxy", "ca_file", "key",
    ];
    for line in text.lines() {
        assert!(
            !line.contains(|c: char| c.is_control() && c != '\t'),
            "{line:?}"
        );
    }
    let doc: DocumentMut = match text.parse() {
        Ok(d) => d,
        Err(e) => panic!("{e}\n{text}"),
    };
    for (k, _) in doc.iter() {
        assert!(k == "providers" || k == "profiles", "`{k}` in\n{text}");
    }
    let table = |name: &str| doc.get(name).and_then(Item::as_table);
    let providers = table("providers");
    let names: Vec<&str> = providers.map_or(Vec::new(), |t| t.iter().map(|(k, _)| k).collect());
    let want: Vec<&str> = found.providers.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, want, "{text}");
    for p in &found.providers {
        let Some(t) = providers
            .and_then(|t| t.get(&p.name))
            .and_then(Item::as_table)
        else {
            panic!("[providers.{}] in\n{text}", p.name);
        };
        for (k, _) in t {
            assert!(PROVIDER_KEYS.contains(&k), "`{k}` in\n{text}");
        }
        let s = |k: &str| t.get(k).and_then(Item::as_str).map(str::to_string);
        assert_eq!(s("preset"), p.preset, "{text}");
        assert_eq!(s("base_url"), p.base_url, "{text}");
        assert_eq!(s("proxy"), p.proxy, "{text}");
        assert_eq!(s("ca_file"), p.ca_file, "{text}");
        assert_eq!(s("region"), p.region, "{text}");
        assert_eq!(s("project"), p.project, "{text}");
        if let Some(key) = t.get("key").and_then(Item::as_inline_table) {
            for (k, _) in key {
                assert!(k == "env" || k == "keyring", "key.{k} in\n{text}");
            }
        }
    }
    let profiles = table("profiles");
    let names: Vec<&str> = profiles.map_or(Vec::new(), |t| t.iter().map(|(k, _)| k).collect());
    let want: Vec<&str> = found.profiles.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, want, "{text}");
    for p in &found.profiles {
        let Some(t) = profiles
            .and_then(|t| t.get(&p.name))
            .and_then(Item::as_table)
        else {
            panic!("[profiles.{}] in\n{text}", p.name);
        };
        for (k, v) in t {
            if k == "provider" {
                assert_eq!(v.as_str(), Some(p.provider.as_str()), "{text}");
                continue;
            }
            let Some((_, other, model)) = p.slots.iter().find(|(s, _, _)| *s == k) else {
                panic!("`{k}` in [profiles.{}] in\n{text}", p.name);
            };
            let written = v
                .as_str()
                .or_else(|| v.as_inline_table()?.get("model")?.as_str());
            assert_eq!(written, Some(model.as_str()), "{text}");
            if let Some(o) = v.as_inline_table().and_then(|t| t.get("provider")) {
                assert_eq!(o.as_str(), other.as_deref(), "{text}");
            }
        }
    }
}

/// A property check over arbitrary bytes; panics when it fails.
pub type FuzzCheck = fn(&[u8]);

/// Every target by name, for the fuzz crate and the replay test.
pub const TARGETS: &[(&str, FuzzCheck)] = &[
    ("sse", sse),
    ("request", request),
    ("stream", stream),
    ("response", response),
    ("config", config),
    ("credentials", credentials),
    ("import", import),
];
