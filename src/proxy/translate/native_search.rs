//! An OpenAI-kind upstream's own web search standing in for Anthropic's
//! `web_search` server tool (quirk `native_search`): the switch the
//! request carries, and the reply's sources as Anthropic's blocks, so
//! Claude Code's WebSearch lists titles and URLs as it does on Anthropic.
//!
//! Facts each shape follows:
//! - OpenRouter: `plugins: [{"id": "web"}]` searches with the prompt and
//!   puts `{"type": "url_citation", "url_citation": {url, title, content}}`
//!   entries in the message's `annotations` (openrouter.ai/docs, web
//!   search).
//! - Zhipu GLM: `tools: [{"type": "web_search", "web_search": {"enable":
//!   true, "search_result": true, ...}}]`; a bare `{"type": "web_search"}`
//!   is refused. The sources come back in the reply's top-level
//!   `web_search: [{title, link, content, publish_date, ...}]`, and only in
//!   a whole reply, which is why this is used only when not streaming.
//!
//! Pure: no I/O, no clock, no randomness (ids come from the message id).

use serde_json::{Map, Value, json};

use super::anthropic::{Block, MessagesRequest, OutBlock, Role};
use super::openai::{ChatRequest, ChatResponse, ChatTool};
use super::web_search::{TOOL_NAME, result_blocks};
use crate::config::quirks::NativeSearch;
use crate::hit::{self, Hit};

/// How Claude Code's WebSearch asks; the query follows.
const ASK: &str = "Perform a web search for the query: ";

/// Turns the upstream's search on in `out` when `req` carries the server
/// tool; returns the query, for the result block. `None`: nothing on.
pub fn switch_on(
    req: &MessagesRequest,
    kind: NativeSearch,
    out: &mut ChatRequest,
) -> Option<String> {
    // The quirk first: most upstreams have no search of their own.
    if kind == NativeSearch::Off {
        return None;
    }
    let wanted = req.tools.iter().flatten().any(|t| {
        t.kind
            .as_deref()
            .is_some_and(|k| k.starts_with("web_search_"))
    });
    if !wanted {
        return None;
    }
    let query = query(req);
    match kind {
        NativeSearch::Off => return None,
        NativeSearch::Openrouter => {
            out.extra.insert("plugins".into(), json!([{ "id": "web" }]));
        }
        NativeSearch::Glm => {
            let mut search = json!({
                "enable": true,
                "search_engine": "search_std",
                "search_result": true,
            });
            if !query.is_empty() {
                search["search_query"] = Value::String(query.clone());
            }
            let mut settings = Map::new();
            settings.insert("web_search".into(), search);
            out.tools.get_or_insert_with(Vec::new).push(ChatTool {
                kind: "web_search".into(),
                function: None,
                settings,
            });
        }
    }
    Some(query)
}

/// The last user turn's text, without Claude Code's lead-in.
fn query(req: &MessagesRequest) -> String {
    let Some(turn) = req.messages.iter().rev().find(|m| m.role == Role::User) else {
        return String::new();
    };
    let text: Vec<String> = turn
        .content
        .blocks()
        .iter()
        .filter_map(|b| match b {
            Block::Text { text, .. } => Some(text.decode().into_owned()),
            _ => None,
        })
        .collect();
    let text = text.join("\n");
    let text = text.trim();
    text.strip_prefix(ASK).unwrap_or(text).trim().to_string()
}

/// The reply's sources, once each, web pages only.
pub fn sources(resp: &ChatResponse) -> Vec<Hit> {
    let str_of = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let annotations = resp
        .choices
        .first()
        .map(|c| c.message.annotations.as_slice());
    let cited = annotations
        .unwrap_or_default()
        .iter()
        .filter(|a| a.get("type").and_then(Value::as_str) == Some("url_citation"))
        .filter_map(|a| a.get("url_citation"))
        .map(|c| {
            (
                str_of(c, "url"),
                str_of(c, "title"),
                str_of(c, "content"),
                None,
            )
        });
    let glm = resp.web_search.iter().map(|r| {
        (
            str_of(r, "link"),
            str_of(r, "title"),
            str_of(r, "content"),
            str_of(r, "publish_date"),
        )
    });
    hit::from_rows(cited.chain(glm), usize::MAX)
}

/// GLM marks sources in its answer as `[ref_1]`, which mean nothing to
/// the reader; they become links to the pages (`([tokio.rs](https://…))`).
pub fn cite(text: &str, resp: &ChatResponse) -> String {
    let mut out = text.to_string();
    for r in &resp.web_search {
        let get = |k: &str| r.get(k).and_then(Value::as_str).filter(|s| !s.is_empty());
        let (Some(refer), Some(link)) = (get("refer"), get("link")) else {
            continue;
        };
        if !link.starts_with("https://") && !link.starts_with("http://") {
            continue;
        }
        let name = get("media").unwrap_or("source");
        out = out.replace(&format!("[{refer}]"), &format!("([{name}]({link}))"));
    }
    out
}

/// The search as Anthropic reports one: the call and its results.
pub fn blocks(message_id: &str, query: &str, hits: &[Hit]) -> [OutBlock; 2] {
    let id = format!(
        "srvtoolu_{}",
        message_id.strip_prefix("msg_").unwrap_or(message_id)
    );
    [
        OutBlock::ServerToolUse {
            id: id.clone(),
            name: TOOL_NAME.into(),
            input: json!({ "query": query }),
        },
        OutBlock::WebSearchToolResult {
            tool_use_id: id,
            content: result_blocks(hits),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> MessagesRequest {
        serde_json::from_value(json!({
            "model": "m", "max_tokens": 10,
            "messages": [{"role": "user", "content": [{"type": "text", "text": text}]}],
            "tools": [{"type": "web_search_20250305", "name": "web_search", "max_uses": 8}],
        }))
        .unwrap()
    }

    #[test]
    fn the_query_is_claude_codes_words_without_the_lead_in() {
        let req = request("Perform a web search for the query: tokio 2 release");
        let mut out = ChatRequest::default();
        let q = switch_on(&req, NativeSearch::Glm, &mut out);
        assert_eq!(q.as_deref(), Some("tokio 2 release"));
        let tools = serde_json::to_value(&out.tools).unwrap();
        assert_eq!(tools[0]["type"], "web_search");
        assert_eq!(tools[0]["web_search"]["search_query"], "tokio 2 release");
        assert!(tools[0].get("function").is_none(), "{tools}");
        let mut out = ChatRequest::default();
        assert_eq!(switch_on(&req, NativeSearch::Off, &mut out), None);
        assert_eq!(out, ChatRequest::default());
    }

    #[test]
    fn glm_reference_marks_become_links() {
        let resp: ChatResponse = serde_json::from_value(json!({"web_search": [
            {"refer": "ref_1", "link": "https://tokio.rs/x", "media": "tokio.rs"},
            {"refer": "ref_2", "link": "https://c.example/", "media": ""},
            {"refer": "ref_3", "link": "ftp://no.example/"},
        ]}))
        .unwrap();
        assert_eq!(
            cite("A [ref_1]. B [ref_2][ref_3].", &resp),
            "A ([tokio.rs](https://tokio.rs/x)). B ([source](https://c.example/))[ref_3]."
        );
    }

    #[test]
    fn sources_from_either_shape_once_each() {
        let resp: ChatResponse = serde_json::from_value(json!({
            "choices": [{"message": {"content": "x", "annotations": [
                {"type": "url_citation", "url_citation": {"url": "https://a.example/1", "title": "A", "content": "a text"}},
                {"type": "url_citation", "url_citation": {"url": "https://a.example/1", "title": "A again"}},
                {"type": "url_citation", "url_citation": {"url": "javascript:alert(1)", "title": "no"}},
                {"type": "file", "file": {}},
            ]}}],
            "web_search": [{"link": "https://b.example/", "title": "", "content": "b", "publish_date": "2026-11-02"}],
        }))
        .unwrap();
        let hits = sources(&resp);
        let urls: Vec<&str> = hits.iter().map(|h| h.url.as_str()).collect();
        assert_eq!(urls, ["https://a.example/1", "https://b.example/"]);
        assert_eq!(hits[0].snippet, "a text");
        assert_eq!(
            hits[1].title, "https://b.example/",
            "a page without a title"
        );
        assert_eq!(hits[1].page_age.as_deref(), Some("2026-11-02"));
    }
}
