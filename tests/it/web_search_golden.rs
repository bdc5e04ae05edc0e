//! Golden cases for the web search loop (`translate::web_search`). Each
//! folder under `tests/fixtures/web_search/` holds the client's request
//! (`request.json`) and a script (`script.json`: the upstream's API and
//! quirks, then one step per upstream call or search: `reply`, `hits`,
//! `search_error` or `upstream_error`). Expected: the upstream calls and
//! searches the loop made (`expected-calls.json`) and the stream the
//! client got (`expected.sse`), which must also keep Claude Code's event
//! grammar. See `golden.rs` for blessing.

use std::collections::VecDeque;
use std::path::Path;

use ccswitch::config::{Api, RawQuirks};
use ccswitch::hit::Hit;
use ccswitch::proxy::translate::anthropic::{ErrorBody, Event};
use ccswitch::proxy::translate::grammar::check_sse;
use ccswitch::proxy::translate::sse::encode;
use ccswitch::proxy::translate::web_search::{
    self, Failure, Loop, LoopStep, drained_events, end_events, start_events,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::golden::{case_dirs, check_json, check_text, finish, fixtures, name_of, read_json};
use crate::translate_golden::case_quirks;

/// Cases the issue names; deleting one must fail loudly.
const REQUIRED: &[&str] = &[
    "search-once",
    "search-twice",
    "max-uses-reached",
    "backend-error",
    "upstream-error-mid-loop",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Script {
    #[serde(default = "openai")]
    api: Api,
    #[serde(default)]
    quirks: RawQuirks,
    steps: Vec<Value>,
}

fn openai() -> Api {
    Api::Openai
}

fn hits(v: &Value) -> Vec<Hit> {
    v.as_array()
        .expect("hits is a list")
        .iter()
        .map(|h| Hit {
            title: h["title"].as_str().unwrap_or_default().into(),
            url: h["url"].as_str().unwrap_or_default().into(),
            snippet: h["snippet"].as_str().unwrap_or_default().into(),
            page_age: h["page_age"].as_str().map(str::to_string),
        })
        .collect()
}

/// The calls and the client's stream for a case; `flip` overrides quirks.
pub fn run_web_search_case(case: &Path, flip: Option<&RawQuirks>) -> (Value, String) {
    let name = name_of(case);
    let script: Script = serde_json::from_value(read_json(&case.join("script.json")))
        .unwrap_or_else(|e| panic!("{name}/script.json: {e}"));
    let quirks = case_quirks(None, script.api, &script.quirks, flip);
    let request = read_json(&case.join("request.json"));
    if web_search::runs_natively(script.api, &quirks) {
        return (json!([{"passthrough": request}]), String::new());
    }
    let spec = web_search::find(&request["tools"]).expect("the request has a web search tool");
    let mut lp = Loop::start(request.as_object().cloned().expect("an object"), spec);
    let mut steps: VecDeque<Value> = script.steps.into();
    let mut calls = Vec::new();
    let mut sse = String::new();
    let emit = |events: Vec<Event>, sse: &mut String| {
        for e in events {
            sse.push_str(std::str::from_utf8(&encode(&e)).expect("utf-8"));
        }
    };
    let mut n = 0;
    let mut started = false;
    loop {
        let step = lp.step();
        if step == LoopStep::Done {
            emit(end_events(&mut lp), &mut sse);
            break;
        }
        let next = steps
            .pop_front()
            .unwrap_or_else(|| panic!("{name}: script ran out at {step:?}"));
        match step {
            LoopStep::Call(body) => {
                calls.push(json!({"call": body}));
                // The loop's part only: what the handler itself sends for
                // an upstream that fails mid-loop is checked against the
                // real handler in `web_search_loop`.
                if let Some(e) = next.get("upstream_error") {
                    let error = ErrorBody {
                        kind: e["type"].as_str().unwrap_or("api_error").into(),
                        message: e["message"].as_str().unwrap_or_default().into(),
                    };
                    if started {
                        emit(vec![Event::Error { error }], &mut sse);
                    } else {
                        // Before message_start the client gets the status.
                        sse = format!("(HTTP error: {})\n", error.message);
                    }
                    break;
                }
                let reply = next
                    .get("reply")
                    .unwrap_or_else(|| panic!("{name}: want a reply"));
                lp.reply(reply, &mut || {
                    n += 1;
                    format!("srvtoolu_test_{n}")
                });
                if started {
                    emit(drained_events(&mut lp), &mut sse);
                } else {
                    emit(
                        start_events(&mut lp, "msg_test_0001", "claude-test"),
                        &mut sse,
                    );
                    started = true;
                }
            }
            LoopStep::Search(query) => {
                calls.push(json!({"search": query}));
                let outcome = match (next.get("hits"), next.get("search_error")) {
                    (Some(h), _) => Ok(hits(h)),
                    (_, Some(e)) => Err(Failure {
                        code: e["code"].as_str().unwrap_or("unavailable").into(),
                        message: e["message"].as_str().unwrap_or_default().into(),
                    }),
                    _ => panic!("{name}: want hits or search_error"),
                };
                lp.searched(outcome);
                emit(drained_events(&mut lp), &mut sse);
            }
            LoopStep::Done => unreachable!(),
        }
    }
    assert!(steps.is_empty(), "{name}: steps left over: {steps:?}");
    (Value::Array(calls), sse)
}

#[test]
fn web_search_loop_cases() {
    let dir = fixtures().join("web_search");
    let cases = case_dirs(&dir);
    let names: Vec<String> = cases.iter().map(|c| name_of(c)).collect();
    for r in REQUIRED {
        assert!(names.iter().any(|n| n == r), "required case {r} is missing");
    }
    let mut failures = Vec::new();
    for case in &cases {
        let name = name_of(case);
        let (calls, sse) = run_web_search_case(case, None);
        if let Err(e) = check_json(&case.join("expected-calls.json"), &calls) {
            failures.push(format!("{name}: calls\n{e}"));
        }
        if let Err(e) = check_text(&case.join("expected.sse"), &sse) {
            failures.push(format!("{name}: stream\n{e}"));
        }
        if !sse.is_empty()
            && !sse.starts_with("(HTTP")
            && let Err(e) = check_sse(&sse, true)
        {
            failures.push(format!("{name}: grammar: {e}"));
        }
    }
    finish(&failures, "web search", cases.len());
}
