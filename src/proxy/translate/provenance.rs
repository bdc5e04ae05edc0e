//! Which provider made a thinking block, carried in its signature. A
//! profile whose slots, fallbacks or menu span providers may send the next
//! turn to a provider that did not make the history's thinking, and each
//! provider can use (or verify) only its own. Claude Code keeps a block's
//! signature as it came and sends it back on every later turn, so the tag
//! needs no state in the proxy and survives a restart and `--resume`.
//!
//! The forms:
//! - `ccswitch-reasoning-v1[:<reasoning_details JSON>]`: made from an
//!   OpenAI-kind provider's reasoning before tags existed (or by a
//!   single-provider profile); the maker is unknown.
//! - `ccswitch-reasoning-v2@<provider>[:<reasoning_details JSON>]`: made
//!   from that OpenAI-kind provider's reasoning.
//! - `ccswitch-signature-v2@<provider>:<original>`: an Anthropic-kind
//!   provider's own signature (or a `redacted_thinking` block's `data`),
//!   wrapped; the original goes back to that provider only.
//! - anything else: an Anthropic-kind provider's signature whose maker was
//!   not recorded (a single-provider profile, or history from before).
//!
//! Pure: no I/O, no clock, no randomness.

use serde_json::Value;

/// The signature of thinking made from an OpenAI-kind provider's reasoning
/// with no maker named. Anthropic-kind upstreams would reject it, so the
/// passthrough path drops thinking blocks that carry it.
pub const THINKING_SIGNATURE: &str = "ccswitch-reasoning-v1";

/// What every signature ccswitch makes starts with: one cheap text search
/// tells whether a history may need repair at all.
pub const MARK: &str = "ccswitch-";

/// Reasoning given as `reasoning_details` must go back exactly as it came
/// (signed and encrypted parts included), and the only place Claude Code
/// keeps per-block data for us is the thinking block's signature: the parts
/// ride there as JSON after this prefix (or after the v2 tag and a colon).
const DETAILS_PREFIX: &str = "ccswitch-reasoning-v1:";
const REASONING_V2: &str = "ccswitch-reasoning-v2@";
const SIGNED_V2: &str = "ccswitch-signature-v2@";

/// Who made a thinking block, as its signature says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin<'a> {
    /// ccswitch, from an OpenAI-kind provider's reasoning; which one was
    /// not recorded (v1).
    Legacy,
    /// ccswitch, from this OpenAI-kind provider's reasoning.
    Reasoning(&'a str),
    /// This Anthropic-kind provider, whose own signature is `original`.
    Signed {
        provider: &'a str,
        original: &'a str,
    },
    /// An Anthropic-kind provider's signature with no maker recorded.
    Unknown,
}

/// The maker a signature names.
pub fn origin(signature: &str) -> Origin<'_> {
    if !signature.starts_with(MARK) {
        return Origin::Unknown;
    }
    if signature == THINKING_SIGNATURE || signature.starts_with(DETAILS_PREFIX) {
        return Origin::Legacy;
    }
    if let Some(rest) = signature.strip_prefix(REASONING_V2) {
        let provider = rest.split_once(':').map_or(rest, |(p, _)| p);
        return Origin::Reasoning(provider);
    }
    if let Some(rest) = signature.strip_prefix(SIGNED_V2) {
        return match rest.split_once(':') {
            Some((provider, original)) => Origin::Signed { provider, original },
            // Cut short: no provider could verify it, whoever made it.
            None => Origin::Legacy,
        };
    }
    Origin::Unknown
}

/// Whether ccswitch made a thinking block with this signature from an
/// OpenAI-kind provider's reasoning (no Anthropic-kind upstream can verify
/// it).
pub fn is_our_signature(signature: &str) -> bool {
    matches!(origin(signature), Origin::Legacy | Origin::Reasoning(_))
}

/// The signature for a thinking block made from an OpenAI-kind provider's
/// reasoning and these `reasoning_details` parts: tagged with `maker` when
/// one is given, the untagged v1 form otherwise.
pub fn reasoning_signature(maker: Option<&str>, details: &[Value]) -> String {
    let head = match maker {
        Some(p) => format!("{REASONING_V2}{p}"),
        None => THINKING_SIGNATURE.to_string(),
    };
    if details.is_empty() {
        return head;
    }
    let json = serde_json::to_string(details).unwrap_or_else(|_| "[]".into());
    format!("{head}:{json}")
}

/// An Anthropic-kind provider's own signature (or redacted thinking's
/// data), tagged with its maker.
pub fn signed(maker: &str, original: &str) -> String {
    format!("{SIGNED_V2}{maker}:{original}")
}

/// What comes before the original in a signature `maker` wrapped: the
/// passthrough unwraps its own in the request's text by it.
pub fn signed_prefix(maker: &str) -> String {
    format!("{SIGNED_V2}{maker}:")
}

/// The `reasoning_details` parts a signature carries, if any.
pub fn details_in_signature(signature: &str) -> Option<Vec<Value>> {
    let json = match signature.strip_prefix(DETAILS_PREFIX) {
        Some(json) => json,
        None => signature.strip_prefix(REASONING_V2)?.split_once(':')?.1,
    };
    serde_json::from_str(json).ok()
}

/// Whether a config name can ride in a signature as it is: config names are
/// `[A-Za-z0-9_.-]` (see `config::resolve::valid_name`), which never needs
/// escaping in JSON and never holds the `:` that ends the tag.
fn taggable(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The provider a request goes to (and its reply comes from), as thinking
/// provenance needs it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Provenance<'a> {
    /// The provider's config name, as signatures carry it.
    pub provider: &'a str,
    /// The proxy's profile spans more than one provider
    /// (`State::spans_providers`): replies' thinking is tagged with its
    /// maker, and history thinking whose maker is unknown is not echoed to
    /// an OpenAI-kind provider. A single-provider profile leaves both as
    /// they were before tags existed.
    pub spans_providers: bool,
}

impl<'a> Provenance<'a> {
    /// The maker to tag this provider's thinking with, if any.
    pub fn tag(&self) -> Option<&'a str> {
        (self.spans_providers && taggable(self.provider)).then_some(self.provider)
    }

    /// Whether thinking with this signature goes back to this (OpenAI-kind)
    /// provider as its reasoning: only what it made, and legacy thinking
    /// (the maker was not recorded, and echoing it is what ccswitch did
    /// before tags). Another provider's reasoning means nothing to it.
    pub fn echoes(&self, signature: Option<&str>) -> bool {
        match origin(signature.unwrap_or_default()) {
            Origin::Legacy => true,
            Origin::Reasoning(p) | Origin::Signed { provider: p, .. } => p == self.provider,
            // Thinking signed by an Anthropic-kind provider before tags
            // (or a single-provider profile): where every reply is tagged,
            // it came from elsewhere.
            Origin::Unknown => !self.spans_providers,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signatures_name_their_maker() {
        let details = [json!({"type": "reasoning.encrypted", "data": "x:y"})];
        assert_eq!(origin(&reasoning_signature(None, &[])), Origin::Legacy);
        assert_eq!(origin(&reasoning_signature(None, &details)), Origin::Legacy);
        let v2 = reasoning_signature(Some("kimi"), &details);
        assert_eq!(origin(&v2), Origin::Reasoning("kimi"));
        assert_eq!(details_in_signature(&v2), Some(details.to_vec()));
        assert_eq!(
            origin(&reasoning_signature(Some("ds"), &[])),
            Origin::Reasoning("ds")
        );
        let wrapped = signed("mm", "EqQB:CkgI=");
        assert_eq!(
            origin(&wrapped),
            Origin::Signed {
                provider: "mm",
                original: "EqQB:CkgI="
            }
        );
        assert!(wrapped.starts_with(&signed_prefix("mm")));
        assert_eq!(origin("EqQBCkgIARAB"), Origin::Unknown);
        assert_eq!(origin(""), Origin::Unknown);
        assert_eq!(origin("ccswitch-signature-v2@mm"), Origin::Legacy);
        assert!(is_our_signature(THINKING_SIGNATURE) && is_our_signature(&v2));
        assert!(!is_our_signature(&wrapped) && !is_our_signature("sig"));
        assert_eq!(details_in_signature(&wrapped), None);
    }

    #[test]
    fn only_a_profile_spanning_providers_tags() {
        let one = Provenance {
            provider: "ds",
            spans_providers: false,
        };
        let many = Provenance {
            spans_providers: true,
            ..one
        };
        assert_eq!((one.tag(), many.tag()), (None, Some("ds")));
        let odd = Provenance {
            provider: "a:b",
            ..many
        };
        assert_eq!(odd.tag(), None);
    }

    #[test]
    fn an_openai_kind_provider_gets_back_its_own_reasoning_and_legacy() {
        let p = Provenance {
            provider: "ds",
            spans_providers: true,
        };
        let own = reasoning_signature(Some("ds"), &[]);
        let other = reasoning_signature(Some("kimi"), &[]);
        assert!(p.echoes(Some(&own)) && p.echoes(Some(THINKING_SIGNATURE)));
        assert!(!p.echoes(Some(&other)) && !p.echoes(Some(&signed("mm", "s"))));
        assert!(!p.echoes(Some("EqQB")) && !p.echoes(None));
        let single = Provenance {
            spans_providers: false,
            ..p
        };
        assert!(single.echoes(Some("EqQB")) && !single.echoes(Some(&other)));
    }
}
