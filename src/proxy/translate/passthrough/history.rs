//! The history repaired for the Anthropic-kind provider that gets the next
//! turn: its own thinking signatures unwrapped (see `provenance`), thinking
//! another provider made dropped, and images and documents replaced for a
//! model that cannot read them; what is done to each message is in `turns`,
//! what it costs is decided here.
//!
//! Pure: no I/O, no clock, no randomness.

use serde_json::Value;
use serde_json::value::RawValue;

use super::body::{RawBody, raw};
use super::turns;
use crate::proxy::translate::provenance::{MARK, Provenance, signed_prefix};

/// What the repair did, for the log and the request's other fields.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Repair {
    pub unwrapped: bool,
    pub dropped: usize,
    pub replaced: usize,
    /// The assistant turn the last tool results answer started with
    /// thinking and no longer does.
    pub lead_lost: bool,
}

/// Repairs `messages` for the provider `to` names. Claude Code sends the
/// whole history on every turn, so the common case (the provider did not
/// change) must cost about nothing: one text search for ccswitch's mark.
/// This provider's own signatures are unwrapped where the body is encoded
/// ([`write_unwrapped`]), in the buffer that is sent anyway. A history that
/// holds something else of ccswitch's (or media for a text-only model) is
/// split into its messages, and only the messages that hold it are parsed:
/// once a session has switched providers, every later turn comes here.
pub(super) fn repair(body: &mut RawBody, to: &Provenance, no_media: bool) -> Repair {
    let mut out = Repair::default();
    let Some(text) = body.get("messages").map(|m| m.get()) else {
        return out;
    };
    let at_encode = encode_prefix(to);
    let others = needs_parse(text, at_encode.as_deref());
    let media = no_media && (text.contains("\"image\"") || text.contains("\"document\""));
    if !others && !media {
        return out;
    }
    let Ok(mut list) = serde_json::from_str::<Vec<Box<RawValue>>>(text) else {
        return out;
    };
    let lead_before = turns::final_turn_leads_with_thinking(&list);
    let mut emptied = vec![false; list.len()];
    let mut changed = false;
    for (item, emptied) in list.iter_mut().zip(&mut emptied) {
        let t = item.get();
        let marked = others && t.contains(MARK);
        let pictured = media && (t.contains("\"image\"") || t.contains("\"document\""));
        if !marked && !pictured {
            continue;
        }
        let Ok(mut m) = serde_json::from_str::<Value>(t) else {
            continue;
        };
        let mut edited = false;
        if marked {
            let sorted = turns::sort_thinking(&mut m, to.provider);
            out.unwrapped |= sorted.unwrapped;
            out.dropped += sorted.dropped;
            *emptied = sorted.emptied;
            edited = sorted.unwrapped || sorted.dropped > 0;
        }
        if pictured {
            let n = turns::replace_media(&mut m);
            out.replaced += n;
            edited |= n > 0;
        }
        if edited {
            *item = raw(&m);
            changed = true;
        }
    }
    if out.dropped > 0 {
        turns::join_around_emptied(&mut list, &emptied);
        out.lead_lost = lead_before && !turns::final_turn_leads_with_thinking(&list);
    }
    if changed {
        body.insert("messages".into(), raw(&list));
    }
    out
}

/// What precedes the original in this provider's signatures, when they
/// are unwrapped at encoding: only a profile that spans providers wraps
/// them, so only it pays for the search.
pub(super) fn encode_prefix(to: &Provenance) -> Option<String> {
    to.tag().map(signed_prefix)
}

/// Whether the messages' text holds anything of ccswitch's that only a
/// parse can repair: another provider's thinking, ccswitch's own from
/// OpenAI-kind reasoning, or this provider's wrapped signatures where
/// encoding will not unwrap them (`own`: the prefix it unwraps, in
/// Claude Code's compact form).
///
/// A mark counts only at the start of a JSON string: inside a string it
/// follows an escaped quote or other text (a conversation about ccswitch
/// mentions its signatures), and an opening quote is never escaped.
fn needs_parse(text: &str, own: Option<&str>) -> bool {
    let bytes = text.as_bytes();
    memchr::memmem::find_iter(bytes, MARK).any(|at| {
        let before = &bytes[..at];
        if !before.ends_with(b"\"") || before.ends_with(b"\\\"") {
            return false;
        }
        let rest = &bytes[at..];
        let at_encode = own.is_some_and(|own| rest.starts_with(own.as_bytes()) && keyed(before));
        !at_encode
            && (rest.starts_with(b"ccswitch-reasoning-v")
                || rest.starts_with(b"ccswitch-signature-v"))
    })
}

/// Whether a string value starting here is a signature's or a redacted
/// block's data, in the compact form. `"signature":"` is always the key:
/// inside a string every quote is escaped.
fn keyed(before: &[u8]) -> bool {
    before.ends_with(b"\"signature\":\"") || before.ends_with(b"\"data\":\"")
}

/// Writes `text` with `prefix` taken off every signature (and redacted
/// block's data) that starts with it: the body is copied into the buffer
/// that is sent anyway, so unwrapping costs one search and no other copy
/// of a long history. Returns how many it unwrapped.
pub(super) fn write_unwrapped(out: &mut Vec<u8>, text: &str, prefix: &str) -> usize {
    let bytes = text.as_bytes();
    let mut from = 0;
    let mut n = 0;
    for at in memchr::memmem::find_iter(bytes, prefix.as_bytes()) {
        if keyed(&bytes[..at]) {
            out.extend_from_slice(&bytes[from..at]);
            from = at + prefix.len();
            n += 1;
        }
    }
    out.extend_from_slice(&bytes[from..]);
    n
}

/// With thinking on, a final assistant turn that lost its leading thinking
/// block would be refused. Sending this one request without `thinking` is
/// the conservative repair: whether a provider would instead accept the
/// turn (adaptive thinking may skip thinking on its own) cannot be checked
/// offline, and a turn without thinking beats a refused one. Anthropic also
/// refuses the `clear_thinking_*` context edit without thinking ("strategy
/// requires `thinking` to be enabled"), so it goes too.
pub(super) fn drop_thinking_param(body: &mut RawBody) -> bool {
    let on = body
        .get("thinking")
        .is_some_and(|t| !t.get().contains("\"disabled\""));
    if !on {
        return false;
    }
    body.shift_remove("thinking");
    let edited = body
        .get("context_management")
        .filter(|c| c.get().contains("clear_thinking"))
        .and_then(|c| serde_json::from_str::<Value>(c.get()).ok());
    if let Some(mut cm) = edited {
        if let Some(Value::Array(edits)) = cm.get_mut("edits") {
            edits.retain(|e| {
                !e.get("type")
                    .and_then(Value::as_str)
                    .is_some_and(|t| t.starts_with("clear_thinking"))
            });
        }
        let empty = cm
            .get("edits")
            .and_then(Value::as_array)
            .is_none_or(Vec::is_empty);
        if empty {
            body.shift_remove("context_management");
        } else {
            body.insert("context_management".into(), raw(&cm));
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::translate::provenance::{THINKING_SIGNATURE, reasoning_signature, signed};
    use serde_json::json;

    fn body(v: &Value) -> RawBody {
        serde_json::from_str(&v.to_string()).unwrap()
    }

    fn messages(b: &RawBody) -> Value {
        serde_json::from_str(b["messages"].get()).unwrap()
    }

    fn to(provider: &str, spans_providers: bool) -> Provenance<'_> {
        Provenance {
            provider,
            spans_providers,
        }
    }

    /// A history whose thinking is all this provider's, as Claude Code
    /// sends it (compact), another time spaced.
    fn own_history(pretty: bool) -> RawBody {
        let own = signed("mm", "EqQB");
        let v = json!({"messages": [
            {"role": "user", "content": format!("quote: {own}")},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "t", "signature": own},
                {"type": "redacted_thinking", "data": signed("mm", "RD")},
                {"type": "text", "text": format!("see {own}")}]}
        ]});
        let text = if pretty {
            serde_json::to_string_pretty(&v).unwrap()
        } else {
            v.to_string()
        };
        serde_json::from_str(&text).unwrap()
    }

    fn sent(b: &RawBody, to: &Provenance) -> Value {
        let Some(prefix) = encode_prefix(to) else {
            return serde_json::from_str(b["messages"].get()).unwrap();
        };
        let mut out = Vec::new();
        write_unwrapped(&mut out, b["messages"].get(), &prefix);
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn own_signatures_unwrap_where_the_body_is_encoded_and_nothing_is_parsed() {
        let spanning = to("mm", true);
        let mut b = own_history(false);
        let before = b["messages"].get().as_ptr();
        assert_eq!(repair(&mut b, &spanning, true), Repair::default());
        assert_eq!(b["messages"].get().as_ptr(), before, "not parsed");
        let m = sent(&b, &spanning);
        assert_eq!(m[1]["content"][0]["signature"], "EqQB");
        assert_eq!(m[1]["content"][1]["data"], "RD");
        // Text that only holds the mark is not a signature.
        let own = signed("mm", "EqQB");
        assert_eq!(m[1]["content"][2]["text"], format!("see {own}"));
        assert_eq!(m[0]["content"], format!("quote: {own}"));
        let mut other_key = Vec::new();
        let note = format!(r#"{{"note":"{own}"}}"#);
        assert_eq!(
            write_unwrapped(&mut other_key, &note, &signed_prefix("mm")),
            0
        );
        assert_eq!(other_key, note.as_bytes());
        // Without a profile spanning providers (a resumed session), or in
        // a spaced body, the parse unwraps them alike.
        let want = m;
        for (pretty, spans) in [(false, false), (true, true), (true, false)] {
            let mut b = own_history(pretty);
            let who = to("mm", spans);
            let r = repair(&mut b, &who, false);
            assert!(r.unwrapped && r.dropped == 0, "{pretty} {spans}");
            assert_eq!(sent(&b, &who), want, "{pretty} {spans}");
        }
    }

    #[test]
    fn a_history_without_marks_is_left_as_it_came() {
        let v = json!({"messages": [{"role": "user", "content": "about ccswitch-reasoning-v1 and \"ccswitch-signature-v2@x:\""},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": "EqQB"}]}]});
        let mut b = body(&v);
        let before = b["messages"].get().as_ptr();
        assert_eq!(repair(&mut b, &to("mm", true), true), Repair::default());
        assert_eq!(b["messages"].get().as_ptr(), before);
    }

    #[test]
    fn other_providers_thinking_goes_and_the_turns_around_an_emptied_one_join() {
        let v = json!({"messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": [{"type": "thinking", "thinking": "t", "signature": reasoning_signature(Some("ds"), &[])}]},
            {"role": "user", "content": [{"type": "text", "text": "b"}]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "t", "signature": signed("other", "X")},
                {"type": "thinking", "thinking": "t", "signature": "EqQB"},
                {"type": "redacted_thinking", "data": signed("other", "R")},
                {"type": "thinking", "thinking": "t", "signature": THINKING_SIGNATURE},
                {"type": "text", "text": "ok"}]},
            {"role": "user", "content": "c"}
        ]});
        let mut b = body(&v);
        let r = repair(&mut b, &to("mm", true), false);
        assert_eq!((r.dropped, r.lead_lost), (4, false));
        let m = messages(&b);
        assert_eq!(m.as_array().unwrap().len(), 3, "{m}");
        assert_eq!(
            m[0]["content"],
            json!([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}])
        );
        assert_eq!(
            m[1]["content"],
            json!([{"type": "thinking", "thinking": "t", "signature": "EqQB"}, {"type": "text", "text": "ok"}])
        );
    }

    #[test]
    fn a_final_turn_that_loses_its_leading_thinking_says_so() {
        let v = json!({"thinking": {"type": "adaptive"}, "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
            "messages": [
            {"role": "user", "content": "a"},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "t", "signature": reasoning_signature(Some("ds"), &[])},
                {"type": "tool_use", "id": "toolu_1", "name": "Bash", "input": {}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]}
        ]});
        let mut b = body(&v);
        let r = repair(&mut b, &to("mm", true), false);
        assert!(r.lead_lost && r.dropped == 1);
        assert!(drop_thinking_param(&mut b));
        assert!(!b.contains_key("thinking") && !b.contains_key("context_management"));
        assert!(!drop_thinking_param(&mut b));
    }
}
