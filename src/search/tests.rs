use super::*;

#[test]
fn searxng_results_become_hits() {
    let body = br#"{"query":"tokio","results":[
        {"url":"https://tokio.rs/","title":"Tokio","content":"An async runtime","publishedDate":"2026-11-01T00:00:00"},
        {"url":"https://tokio.rs/","title":"Tokio again","content":"dup"},
        {"url":"javascript:alert(1)","title":"bad"},
        {"url":"https://docs.rs/tokio","title":"","content":"a < b"}
    ]}"#;
    let hits = parse(SearchKind::Searxng, body, 5).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[0].title, "Tokio");
    assert_eq!(hits[0].page_age.as_deref(), Some("2026-11-01T00:00:00"));
    // An empty title falls back to the address; plain text keeps its `<`.
    assert_eq!(hits[1].title, "https://docs.rs/tokio");
    assert_eq!(hits[1].snippet, "a < b");
}

#[test]
fn brave_results_lose_their_markup_and_keep_their_age() {
    let body = br#"{"type":"search","web":{"results":[
        {"url":"https://a.example/","title":"<strong>Tokio</strong> 1.50","description":"The <strong>tokio</strong> runtime","age":"2 days ago"},
        {"url":"https://b.example/","title":"B","description":"b","page_age":"2026-11-20T00:00:00","age":"1 week ago"}
    ]}}"#;
    let hits = parse(SearchKind::Brave, body, 5).unwrap();
    assert_eq!(hits[0].title, "Tokio 1.50");
    assert_eq!(hits[0].snippet, "The tokio runtime");
    assert_eq!(hits[0].page_age.as_deref(), Some("2 days ago"));
    assert_eq!(hits[1].page_age.as_deref(), Some("2026-11-20T00:00:00"));
    // No `web` section (a query with only news results): no hits, no error.
    assert!(
        parse(SearchKind::Brave, br#"{"type":"search"}"#, 5)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn tavily_results_are_capped() {
    let body = br#"{"query":"q","results":[
        {"url":"https://1.example/","title":"1","content":"one","score":0.9},
        {"url":"https://2.example/","title":"2","content":"two","published_date":"Mon, 23 Nov 2026"},
        {"url":"https://3.example/","title":"3","content":"three"}
    ]}"#;
    let hits = parse(SearchKind::Tavily, body, 2).unwrap();
    assert_eq!(hits.len(), 2);
    assert_eq!(hits[1].page_age.as_deref(), Some("Mon, 23 Nov 2026"));
}

#[test]
fn a_reply_that_is_not_json_names_the_backend() {
    let e = parse(SearchKind::Searxng, b"<html>403 Forbidden</html>", 5).unwrap_err();
    assert!(matches!(e, SearchError::BadReply("searxng", _)), "{e:?}");
    assert_eq!(e.code(), "unavailable");
    assert_eq!(SearchError::RateLimited.code(), "too_many_requests");
}
