//! Text that translation passes on unchanged, kept as the JSON string it
//! arrived as (quotes and escapes included). A long conversation is mostly
//! such text: decoding it on the way in and escaping it again on the way
//! out was most of what translating one cost. Now it is copied, and only
//! decoded where something must read it (token counting).
//!
//! Pure: no I/O, no clock, no randomness.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

/// A JSON string literal.
#[derive(Clone)]
pub struct Text(Box<RawValue>);

impl Text {
    /// Text from a plain string, escaped once here.
    pub fn new(s: &str) -> Text {
        let mut b = TextBuf::new();
        b.push_str(s);
        b.finish()
    }

    /// The JSON literal, quotes included.
    pub fn raw(&self) -> &str {
        self.0.get()
    }

    /// The literal without its quotes (still escaped).
    fn inner(&self) -> &str {
        let raw = self.raw();
        &raw[1..raw.len() - 1]
    }

    pub fn is_empty(&self) -> bool {
        self.raw() == "\"\""
    }

    /// The text itself, unescaped (borrowed when there was nothing to
    /// unescape).
    pub fn decode(&self) -> Cow<'_, str> {
        let inner = self.inner();
        if !inner.contains('\\') {
            return Cow::Borrowed(inner);
        }
        // A literal from the parser or from `TextBuf` is valid JSON.
        Cow::Owned(serde_json::from_str(self.raw()).unwrap_or_default())
    }

    /// `texts` joined by `sep`, without decoding any of them.
    pub fn join<'a>(texts: impl IntoIterator<Item = &'a Text>, sep: &str) -> Text {
        let mut texts = texts.into_iter();
        let Some(first) = texts.next() else {
            return Text::default();
        };
        let Some(second) = texts.next() else {
            // One text is copied as it is (the usual turn).
            return first.clone();
        };
        let mut b = TextBuf::new();
        b.push_text(first).push_str(sep).push_text(second);
        for t in texts {
            b.push_str(sep).push_text(t);
        }
        b.finish()
    }
}

impl Default for Text {
    fn default() -> Text {
        Text::new("")
    }
}

/// Builds a text from pieces: texts copied as they are, plain strings
/// escaped.
pub struct TextBuf(String);

impl TextBuf {
    pub fn new() -> TextBuf {
        TextBuf(String::from("\""))
    }

    pub fn push_text(&mut self, t: &Text) -> &mut TextBuf {
        self.0.push_str(t.inner());
        self
    }

    pub fn push_str(&mut self, s: &str) -> &mut TextBuf {
        // A &str always serializes, to at least `""`.
        let lit = serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into());
        self.0.push_str(&lit[1..lit.len() - 1]);
        self
    }

    pub fn finish(mut self) -> Text {
        self.0.push('"');
        // The pieces were valid literal contents, so the whole is a valid
        // literal; the check only walks the bytes.
        Text(RawValue::from_string(self.0).unwrap_or_else(|_| empty_raw()))
    }
}

impl Default for TextBuf {
    fn default() -> TextBuf {
        TextBuf::new()
    }
}

fn empty_raw() -> Box<RawValue> {
    RawValue::from_string("\"\"".to_string()).expect("a valid literal")
}

impl From<&str> for Text {
    fn from(s: &str) -> Text {
        Text::new(s)
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        Text::new(&s)
    }
}

/// Equal when the texts are, however each was escaped.
impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.raw() == other.raw() || self.decode() == other.decode()
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.raw())
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Text, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        if !raw.get().starts_with('"') {
            return Err(de::Error::invalid_type(
                de::Unexpected::Other(raw.get()),
                &"a string",
            ));
        }
        Ok(Text(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_as_it_came_and_decoded_on_demand() {
        let t: Text = serde_json::from_str(r#""a\nb \"q\" \u00e9""#).unwrap();
        assert_eq!(t.raw(), r#""a\nb \"q\" \u00e9""#);
        assert_eq!(t.decode(), "a\nb \"q\" é");
        assert_eq!(serde_json::to_string(&t).unwrap(), r#""a\nb \"q\" \u00e9""#);
        assert_eq!(t, Text::new("a\nb \"q\" é"), "equal however escaped");
        let plain: Text = serde_json::from_str(r#""plain""#).unwrap();
        assert!(matches!(plain.decode(), Cow::Borrowed("plain")));
    }

    #[test]
    fn joined_and_built_without_decoding() {
        let a = Text::new("line\n1");
        let b = Text::new("tab\t2");
        let j = Text::join([&a, &b], "\n\n");
        assert_eq!(j.decode(), "line\n1\n\ntab\t2");
        let mut buf = TextBuf::new();
        buf.push_str("Error: ").push_text(&a);
        assert_eq!(buf.finish().decode(), "Error: line\n1");
        assert!(Text::new("").is_empty() && !a.is_empty());
        assert_eq!(Text::join([], "x").decode(), "");
    }

    #[test]
    fn only_strings_parse_and_a_tree_still_gives_one() {
        assert!(serde_json::from_str::<Text>("5").is_err());
        assert!(serde_json::from_str::<Text>("[\"a\"]").is_err());
        // Through a serde_json::Value too (the tagged-block fallback).
        let v = serde_json::json!("from a tree");
        let t: Text = serde_json::from_value(v).unwrap();
        assert_eq!(t.decode(), "from a tree");
    }
}
