//! Stage one: the file as written. Everything is optional and unknown keys
//! are rejected (a typo must never be silently ignored). Spans are kept so
//! stage two can point at the line that is wrong.

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use toml::Spanned;

use super::audit::RawAudit;
use super::budget::Budget;
use super::preset::{Api, AuthStyle, ModelInfo};
use super::quirks::RawQuirks;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConfig {
    pub version: Option<Spanned<i64>>,
    pub default: Option<Spanned<String>>,
    pub claude_path: Option<String>,
    pub audit: Option<Spanned<RawAudit>>,
    pub ledger: Option<Spanned<bool>>,
    pub breaker: Option<Spanned<super::breaker::RawBreaker>>,
    pub search: Option<Spanned<super::search::RawSearch>>,
    #[serde(default)]
    pub providers: IndexMap<String, Spanned<RawProvider>>,
    #[serde(default)]
    pub profiles: IndexMap<String, Spanned<RawProfile>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProvider {
    pub preset: Option<Spanned<String>>,
    pub api: Option<Spanned<Api>>,
    pub base_url: Option<Spanned<String>>,
    pub auth: Option<AuthStyle>,
    pub key: Option<Spanned<RawKey>>,
    pub extra_keys: Option<Spanned<Vec<RawExtraKey>>>,
    pub proxy: Option<Spanned<String>>,
    pub ca_file: Option<String>,
    pub region: Option<String>,
    pub project: Option<String>,
    pub aws_profile: Option<String>,
    pub direct: Option<bool>,
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    #[serde(default)]
    pub models: IndexMap<String, ModelInfo>,
    pub quirks: Option<RawQuirks>,
    pub timeouts: Option<RawTimeouts>,
    pub budget: Option<Spanned<Budget>>,
}

/// Where a provider's key comes from; sources are tried env → command →
/// keyring → file.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawKey {
    pub env: Option<String>,
    pub command: Option<String>,
    /// How long a command's key lasts ("15m"): it is run again after that.
    pub ttl: Option<String>,
    pub keyring: Option<bool>,
    pub file: Option<bool>,
}

/// One more key of a provider's pool: exactly one source.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct RawExtraKey {
    pub env: Option<String>,
    pub command: Option<String>,
    /// A label: the keyring entry `PROVIDER:LABEL`.
    pub keyring: Option<String>,
}

#[derive(Debug, Default, Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
pub struct RawTimeouts {
    /// Seconds to establish a connection.
    pub connect: Option<u64>,
    /// Seconds to wait for the first response byte.
    pub first_byte: Option<u64>,
    /// Seconds of silence allowed between streamed chunks.
    pub idle: Option<u64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawProfile {
    pub provider: Option<Spanned<String>>,
    pub description: Option<String>,
    pub main: Option<Spanned<RawSlot>>,
    pub fast: Option<Spanned<RawSlot>>,
    pub opus: Option<Spanned<RawSlot>>,
    pub sonnet: Option<Spanned<RawSlot>>,
    pub haiku: Option<Spanned<RawSlot>>,
    pub subagent: Option<Spanned<RawSlot>>,
    pub vision: Option<Spanned<RawSlot>>,
    pub long_context: Option<Spanned<RawSlot>>,
    pub classifier: Option<Spanned<RawSlot>>,
    pub max_output_tokens: Option<u64>,
    pub context_window: Option<u64>,
    pub api_timeout_ms: Option<u64>,
    pub nonessential_traffic: Option<bool>,
    pub tool_search: Option<bool>,
    pub web_fetch_preflight: Option<bool>,
    pub direct: Option<bool>,
    pub claude_path: Option<String>,
    pub project: Option<String>,
    #[serde(default)]
    pub env: IndexMap<String, String>,
    pub budget: Option<Spanned<Budget>>,
    pub menu: Option<Spanned<Vec<RawMenuItem>>>,
    pub subagents_follow_menu: Option<bool>,
}

/// A model slot: `"model-id"`, `{ provider = "p", model = "model-id" }`,
/// or a fallback chain: a list of those, tried in order.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSlot {
    pub provider: Option<String>,
    pub model: String,
    /// The chain's later targets (empty for a single target).
    pub fallbacks: Vec<RawSlot>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotTable {
    provider: Option<String>,
    model: String,
}

/// `nested`: inside a chain, where another list is not allowed.
struct SlotVisitor {
    nested: bool,
}

impl<'de> Visitor<'de> for SlotVisitor {
    type Value = RawSlot;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if self.nested {
            f.write_str(r#"a model id, or a table like { provider = "name", model = "id" }"#)
        } else {
            f.write_str(
                r#"a model id, a table like { provider = "name", model = "id" }, or a list of those"#,
            )
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawSlot, E> {
        Ok(RawSlot {
            provider: None,
            model: v.to_string(),
            fallbacks: Vec::new(),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawSlot, A::Error> {
        let t = SlotTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(RawSlot {
            provider: t.provider,
            model: t.model,
            fallbacks: Vec::new(),
        })
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawSlot, A::Error> {
        if self.nested {
            return Err(de::Error::invalid_type(de::Unexpected::Seq, &self));
        }
        let mut targets = Vec::new();
        while let Some(t) = seq.next_element_seed(Target)? {
            targets.push(t);
        }
        let mut targets = targets.into_iter();
        let Some(mut first) = targets.next() else {
            return Err(de::Error::invalid_length(0, &self));
        };
        first.fallbacks = targets.collect();
        Ok(first)
    }
}

/// One target of a chain.
struct Target;

impl<'de> de::DeserializeSeed<'de> for Target {
    type Value = RawSlot;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawSlot, D::Error> {
        d.deserialize_any(SlotVisitor { nested: true })
    }
}

impl<'de> Deserialize<'de> for RawSlot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SlotVisitor { nested: false })
    }
}

/// One item of the menu as the file has it.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMenuItem {
    pub provider: Option<String>,
    /// `None` with `all`.
    pub model: Option<String>,
    /// `models = "all"`: every model the provider lists.
    pub all: bool,
    pub label: Option<String>,
    pub fallbacks: Vec<RawSlot>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MenuTable {
    provider: Option<String>,
    model: Option<String>,
    models: Option<String>,
    label: Option<String>,
    #[serde(default)]
    fallbacks: Vec<RawSlot>,
}

struct ItemVisitor;

impl<'de> Visitor<'de> for ItemVisitor {
    type Value = RawMenuItem;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(
            r#"a model id, or a table like { provider = "name", model = "id", label = "shown as" } or { provider = "name", models = "all" }"#,
        )
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawMenuItem, E> {
        Ok(RawMenuItem {
            provider: None,
            model: Some(v.to_string()),
            all: false,
            label: None,
            fallbacks: Vec::new(),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawMenuItem, A::Error> {
        let t = MenuTable::deserialize(de::value::MapAccessDeserializer::new(map))?;
        let all = match t.models.as_deref() {
            None => false,
            Some("all") => true,
            Some(other) => {
                return Err(de::Error::invalid_value(
                    de::Unexpected::Str(other),
                    &r#""all""#,
                ));
            }
        };
        match (&t.model, all) {
            (Some(_), true) => return Err(de::Error::custom("set `model` or `models`, not both")),
            (None, false) => return Err(de::Error::missing_field("model")),
            _ => {}
        }
        if t.fallbacks.iter().any(|f| !f.fallbacks.is_empty()) {
            return Err(de::Error::custom(
                "each fallback is one model id or { provider, model } table",
            ));
        }
        Ok(RawMenuItem {
            provider: t.provider,
            model: t.model,
            all,
            label: t.label,
            fallbacks: t.fallbacks,
        })
    }
}

impl<'de> Deserialize<'de> for RawMenuItem {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ItemVisitor)
    }
}
