use serde::Deserialize;
use serde::de::{self, Visitor};

use super::*;
use crate::config::raw::{RawProfile, RawProvider};

/// The field names a derived `Deserialize` struct accepts, as serde lists
/// them: a new field in the file format shows up here by itself.
fn fields<'de, T: Deserialize<'de>>() -> &'static [&'static str] {
    struct Grab<'a>(&'a mut &'static [&'static str]);
    impl<'de> de::Deserializer<'de> for Grab<'_> {
        type Error = de::value::Error;
        fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Self::Error> {
            Err(de::Error::custom("not a struct"))
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            fields: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Self::Error> {
            *self.0 = fields;
            Err(de::Error::custom("fields read"))
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map enum identifier ignored_any
        }
    }
    let mut out: &'static [&'static str] = &[];
    let _ = T::deserialize(Grab(&mut out));
    out
}

/// Left out on purpose: key sources and budgets are the user's own.
const PROVIDER_DROPPED: &[&str] = &["key", "extra_keys", "budget"];
const PROFILE_DROPPED: &[&str] = &["budget"];

#[test]
fn every_field_of_the_file_format_has_a_rule() {
    let provider = fields::<RawProvider>();
    let profile = fields::<RawProfile>();
    assert!(provider.contains(&"base_url") && profile.contains(&"env"));
    for (all, rule, dropped) in [
        (
            provider,
            provider_rule as fn(&str) -> Rule,
            PROVIDER_DROPPED,
        ),
        (profile, profile_rule, PROFILE_DROPPED),
    ] {
        for f in all {
            assert!(
                rule(f) != Rule::Drop || dropped.contains(f),
                "`{f}` has no export rule: say whether it is copied, a URL, names only, or dropped"
            );
        }
        for f in dropped {
            assert!(all.contains(f), "`{f}` is not a field");
        }
    }
}

#[test]
fn comments_and_spacing_do_not_survive_a_copy() {
    let doc: DocumentMut =
        "a = [ \"x\", # one\n  { b = 1 } # two\n] # three\nt = { c = \"d\" } # four\n"
            .parse()
            .unwrap();
    for (_, item) in doc.iter() {
        let text = plain_item(item).unwrap().to_string();
        assert!(!text.contains('#'), "{text}");
    }
}
