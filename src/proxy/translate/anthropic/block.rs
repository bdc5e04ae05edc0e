//! Content blocks, as Claude Code sends them in messages, system prompts
//! and tool results.
//!
//! A block is tagged by its `type`. serde's derived tagged enums buffer
//! every block into a temporary tree to find the tag, which was the largest
//! cost of parsing a long conversation; Claude Code writes `type` first, so
//! the hand-written reader below takes the tag and then reads the fields
//! straight into the variant, and only gathers a block whose `type` comes
//! later into a tree first.

use std::fmt;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::proxy::translate::text::Text;

#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cache_control: Option<Value>,
    },
    Image {
        source: Source,
    },
    Document {
        source: Source,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content: Option<ToolResultContent>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        is_error: Option<bool>,
    },
    Thinking {
        thinking: Text,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        signature: Option<String>,
    },
    RedactedThinking {
        data: String,
    },
    /// What ToolSearch returns: a reference to a deferred tool.
    ToolReference {
        tool_name: String,
    },
    /// Server tools, search results, anything newer than this code.
    #[serde(other)]
    Unknown,
}

/// Image or document source.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Source {
    Base64 {
        media_type: String,
        data: String,
    },
    Url {
        url: String,
    },
    Text {
        media_type: Option<String>,
        data: String,
    },
    #[serde(other)]
    Unknown,
}

/// `tool_result.content`: a string or an array of blocks.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged, from = "TextOrBlocks")]
pub enum ToolResultContent {
    Text(Text),
    Blocks(Vec<Block>),
}

/// What `system`, `content` and `tool_result.content` parse through: the
/// JSON type decides, so nothing is parsed twice.
pub enum TextOrBlocks {
    Text(Text),
    Blocks(Vec<Block>),
}

impl<'de> Deserialize<'de> for TextOrBlocks {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TextOrBlocks;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or an array of content blocks")
            }
            // A plain string here is re-escaped: rare in long conversations,
            // where content comes as blocks.
            fn visit_str<E: de::Error>(self, s: &str) -> Result<TextOrBlocks, E> {
                Ok(TextOrBlocks::Text(Text::new(s)))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<TextOrBlocks, A::Error> {
                let d = de::value::SeqAccessDeserializer::new(seq);
                Vec::<Block>::deserialize(d).map(TextOrBlocks::Blocks)
            }
        }
        d.deserialize_any(V)
    }
}

macro_rules! from_text_or_blocks {
    ($($t:ident),*) => {$(
        impl From<TextOrBlocks> for $t {
            fn from(v: TextOrBlocks) -> $t {
                match v {
                    TextOrBlocks::Text(s) => $t::Text(s),
                    TextOrBlocks::Blocks(b) => $t::Blocks(b),
                }
            }
        }
    )*};
}
from_text_or_blocks!(ToolResultContent);
pub(super) use from_text_or_blocks;

impl<'de> Deserialize<'de> for Block {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Block, D::Error> {
        d.deserialize_map(BlockVisitor)
    }
}

struct BlockVisitor;

/// Reads the rest of a block's map into one variant's fields.
fn rest<'de, T: Deserialize<'de>, A: MapAccess<'de>>(map: A) -> Result<T, A::Error> {
    T::deserialize(MapAccessDeserializer::new(map))
}

impl<'de> Visitor<'de> for BlockVisitor {
    type Value = Block;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a content block (an object with a `type`)")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Block, A::Error> {
        #[derive(Deserialize)]
        struct TextBlock {
            text: Text,
            #[serde(default)]
            cache_control: Option<Value>,
        }
        #[derive(Deserialize)]
        struct WithSource {
            source: Source,
            #[serde(default)]
            title: Option<String>,
        }
        #[derive(Deserialize)]
        struct ToolUse {
            id: String,
            name: String,
            #[serde(default)]
            input: Value,
        }
        #[derive(Deserialize)]
        struct ToolResult {
            tool_use_id: String,
            #[serde(default)]
            content: Option<ToolResultContent>,
            #[serde(default)]
            is_error: Option<bool>,
        }
        #[derive(Deserialize)]
        struct Thinking {
            thinking: Text,
            #[serde(default)]
            signature: Option<String>,
        }
        #[derive(Deserialize)]
        struct Redacted {
            data: String,
        }
        #[derive(Deserialize)]
        struct Reference {
            tool_name: String,
        }
        let Some(first) = map.next_key::<KeyName>()? else {
            return Err(de::Error::missing_field("type"));
        };
        if first.0 != "type" {
            // `type` comes later: gather the block, put `type` first, and
            // read it again from the tree.
            let mut rest = serde_json::Map::new();
            rest.insert(first.0, map.next_value()?);
            while let Some((k, v)) = map.next_entry::<String, Value>()? {
                rest.insert(k, v);
            }
            let kind = rest
                .remove("type")
                .ok_or_else(|| de::Error::missing_field("type"))?;
            let mut obj = serde_json::Map::new();
            obj.insert("type".into(), kind);
            obj.extend(rest);
            return Block::deserialize(Value::Object(obj)).map_err(de::Error::custom);
        }
        // The rest of the map read as `$fields`, its fields moved into the
        // variant of the same names.
        macro_rules! variant {
            ($fields:ident => $variant:ident { $($f:ident),+ }) => {{
                let t: $fields = rest(map)?;
                Block::$variant { $($f: t.$f),+ }
            }};
        }
        let kind: KeyName = map.next_value()?;
        Ok(match kind.0.as_str() {
            "text" => variant!(TextBlock => Text { text, cache_control }),
            "image" => variant!(WithSource => Image { source }),
            "document" => variant!(WithSource => Document { source, title }),
            "tool_use" => variant!(ToolUse => ToolUse { id, name, input }),
            "tool_result" => variant!(ToolResult => ToolResult { tool_use_id, content, is_error }),
            "thinking" => variant!(Thinking => Thinking { thinking, signature }),
            "redacted_thinking" => variant!(Redacted => RedactedThinking { data }),
            "tool_reference" => variant!(Reference => ToolReference { tool_name }),
            // Server tools, search results, anything newer than this code.
            _ => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Block::Unknown
            }
        })
    }
}

/// A map key or the tag, as an owned string (keys are short).
struct KeyName(String);

impl<'de> Deserialize<'de> for KeyName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<KeyName, D::Error> {
        String::deserialize(d).map(KeyName)
    }
}
