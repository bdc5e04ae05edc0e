//! The loop's message as a stream: `message_start` once the first inner
//! call has answered, each block as soon as it is known, and the summed
//! usage at the end.

use super::machine::Loop;
use crate::config::quirks::NativeSearch;
use crate::config::{Api, Quirks};
use crate::proxy::translate::anthropic::{Event, MessageDeltaBody, MessageResponse};
use crate::proxy::translate::replay::block_events;

/// Whether the upstream runs the server tool itself, so the request passes
/// through untouched: an Anthropic-kind upstream whose preset (or config)
/// says it searches.
pub fn runs_natively(api: Api, quirks: &Quirks) -> bool {
    api == Api::Anthropic && quirks.web_search
}

/// Whether the upstream searches without the `[search]` backend: it runs
/// the server tool itself, or has its own search the translator asks for.
pub fn searches_itself(api: Api, quirks: &Quirks) -> bool {
    runs_natively(api, quirks) || (api == Api::Openai && quirks.native_search != NativeSearch::Off)
}

/// `message_start` (input usage so far, no output yet) and the blocks
/// known so far.
pub fn start_events(lp: &mut Loop, id: &str, model: &str) -> Vec<Event> {
    let mut start = MessageResponse::new(id, model);
    start.usage = lp.usage();
    start.usage.output_tokens = 0;
    start.usage.server_tool_use = None;
    let mut events = vec![Event::MessageStart { message: start }];
    events.extend(drained_events(lp));
    events
}

/// The blocks finished since the last call.
pub fn drained_events(lp: &mut Loop) -> Vec<Event> {
    let first = lp.drained();
    let mut events = Vec::new();
    for (i, block) in lp.drain().iter().enumerate() {
        block_events(first + i, block, &mut events);
    }
    events
}

/// The last blocks, then the stop reason and the usage of every inner call.
pub fn end_events(lp: &mut Loop) -> Vec<Event> {
    let mut events = drained_events(lp);
    events.push(Event::MessageDelta {
        delta: MessageDeltaBody {
            stop_reason: Some(lp.stop_reason()),
            stop_sequence: None,
        },
        usage: lp.usage(),
    });
    events.push(Event::MessageStop);
    events
}
