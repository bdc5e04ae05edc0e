//! Reading a Messages request: the body within Anthropic's size limit, and
//! parsed in the one form the chosen path needs.

use bytes::Bytes;
use http::Request;
use http_body_util::{BodyExt, Limited};
use serde_json::value::RawValue;

use crate::gateway::budget::Ahead;
use crate::gateway::budget::speculate::Pending;
use crate::proxy::error::ProxyError;
use crate::proxy::translate::anthropic::{Block, MessagesRequest, System};
use crate::proxy::translate::passthrough::RawBody;
use crate::t;

use crate::proxy::body::{InBody, MAX_BODY};

async fn read_body(body: impl InBody) -> Result<Bytes, ProxyError> {
    match Limited::new(body, MAX_BODY).collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e)
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some() =>
        {
            Err(ProxyError::TooLarge(t!(
                "proxy.too_large",
                mib = MAX_BODY / (1024 * 1024)
            )))
        }
        Err(e) => Err(ProxyError::BadRequest(t!("proxy.body_read", error = e))),
    }
}

fn parse_object(bytes: &[u8]) -> Result<RawBody, ProxyError> {
    serde_json::from_slice::<RawBody>(bytes).map_err(|e| {
        if e.is_data() {
            ProxyError::BadRequest(t!("proxy.not_object"))
        } else {
            ProxyError::BadRequest(t!("proxy.bad_json", error = e))
        }
    })
}

/// The body as the chosen path needs it: raw top-level fields for the
/// passthrough (unknown fields survive, untouched fields are not re-encoded),
/// the typed request for translation.
#[derive(Clone)]
pub enum Parsed {
    Raw(RawBody),
    Typed(Box<MessagesRequest>),
}

pub fn shape_error(e: serde_json::Error) -> ProxyError {
    ProxyError::BadRequest(t!("proxy.bad_request_shape", error = e))
}

impl Parsed {
    /// Only a body read untyped reaches the passthrough (the typed read is
    /// for profiles without Anthropic-kind upstreams): the typed form keeps
    /// no unknown fields.
    pub fn into_raw(self) -> Result<RawBody, ProxyError> {
        match self {
            Parsed::Raw(m) => Ok(m),
            Parsed::Typed(r) => serde_json::to_string(&r)
                .and_then(|s| serde_json::from_str(&s))
                .map_err(shape_error),
        }
    }

    /// Whether Claude Code marked this as a subagent's call in the body
    /// (see `route::system_marks_subagent`).
    pub fn marks_subagent(&self) -> bool {
        use crate::proxy::route::system_marks_subagent;
        match self {
            Parsed::Raw(m) => m
                .get("system")
                .is_some_and(|s| system_marks_subagent(s.get())),
            Parsed::Typed(r) => r
                .system
                .as_ref()
                .is_some_and(|s| serde_json::to_string(s).is_ok_and(|t| system_marks_subagent(&t))),
        }
    }

    /// Whether this is auto mode's classifier asking for a verdict (see
    /// `route::system_is_classifier`).
    pub fn is_classifier(&self) -> bool {
        use crate::proxy::route::system_is_classifier;
        match self {
            Parsed::Raw(m) => m
                .get("system")
                .is_some_and(|s| system_is_classifier(s.get())),
            Parsed::Typed(r) => match &r.system {
                Some(System::Blocks(blocks)) => blocks.iter().take(3).any(
                    |b| matches!(b, Block::Text { text, .. } if system_is_classifier(text.raw())),
                ),
                Some(System::Text(text)) => system_is_classifier(text.raw()),
                None => false,
            },
        }
    }

    /// Whether auto mode asks the upstream to run its safety check.
    pub fn has_safeguards(&self) -> bool {
        match self {
            Parsed::Raw(m) => m.contains_key("safeguards"),
            Parsed::Typed(r) => r.safeguards.is_some(),
        }
    }

    /// Whether any message carries an image (tool results included).
    pub fn has_images(&self) -> bool {
        use crate::proxy::route::has_image_block;
        match self {
            Parsed::Raw(m) => m.get("messages").is_some_and(|r| has_image_block(r.get())),
            Parsed::Typed(r) => {
                serde_json::to_string(&r.messages).is_ok_and(|t| has_image_block(&t))
            }
        }
    }

    /// Input tokens, roughly (see [`crate::proxy::route::estimate_input`]).
    pub fn input_estimate(&self, body_len: usize) -> u64 {
        use crate::proxy::route::estimate_input;
        match self {
            Parsed::Raw(m) => m.get("messages").map_or_else(
                || estimate_input("", body_len),
                |r| estimate_input(r.get(), body_len),
            ),
            Parsed::Typed(r) => serde_json::to_string(&r.messages).map_or_else(
                |_| estimate_input("", body_len),
                |t| estimate_input(&t, body_len),
            ),
        }
    }

    /// The request's `max_tokens`, when it has a number there.
    pub fn max_tokens(&self) -> Option<u64> {
        match self {
            Parsed::Raw(m) => m
                .get("max_tokens")
                .and_then(|r| r.get().trim().parse().ok()),
            Parsed::Typed(r) => r.max_tokens,
        }
    }

    pub fn into_typed(self) -> Result<MessagesRequest, ProxyError> {
        match self {
            Parsed::Typed(r) => Ok(*r),
            Parsed::Raw(m) => serde_json::to_string(&m)
                .and_then(|s| serde_json::from_str(&s))
                .map_err(shape_error),
        }
    }
}

/// The request part the proxy needs before choosing a path.
pub struct ClientRequest {
    pub body: Parsed,
    /// Size of the body as received, for a cheap token estimate.
    pub body_len: usize,
    pub requested: String,
    pub stream: bool,
    /// The body as received, kept only for the audit log.
    pub raw: Option<Bytes>,
    /// On a team gateway, what the member's budgets had spent, read with
    /// their rate-limit count before the first attempt (which takes it).
    pub ahead: Option<Ahead>,
    /// On a team gateway, the store's admission of a request that went on
    /// without waiting for it (the first attempt confirms it).
    pub pending: Option<Pending>,
}

/// Read and parse the body. With `typed`, straight into the Messages types
/// (one parse, for profiles whose providers are all OpenAI-kind); otherwise
/// into a generic map.
pub async fn read_request(
    req: Request<impl InBody>,
    typed: bool,
    keep_raw: bool,
) -> Result<(http::request::Parts, ClientRequest), ProxyError> {
    let (parts, body) = req.into_parts();
    let bytes = read_body(body).await?;
    let body_len = bytes.len();
    let (body, requested, stream) = if typed {
        let r: MessagesRequest = serde_json::from_slice(&bytes).map_err(|e| {
            if e.is_data() {
                ProxyError::BadRequest(t!("proxy.bad_request_shape", error = e))
            } else {
                ProxyError::BadRequest(t!("proxy.bad_json", error = e))
            }
        })?;
        let (requested, stream) = (r.model.clone(), r.stream.unwrap_or(false));
        (Parsed::Typed(Box::new(r)), requested, stream)
    } else {
        let body = parse_object(&bytes)?;
        let requested = body
            .get("model")
            .and_then(|r| serde_json::from_str::<String>(r.get()).ok())
            .unwrap_or_default();
        // `model` is checked first, as the typed parse would.
        let is_array = |r: &RawValue| r.get().trim_start().starts_with('[');
        if !requested.is_empty() && !body.get("messages").is_some_and(|r| is_array(r)) {
            return Err(ProxyError::BadRequest(t!("proxy.no_messages")));
        }
        let stream = body.get("stream").is_some_and(|r| r.get().trim() == "true");
        (Parsed::Raw(body), requested, stream)
    };
    if requested.is_empty() {
        return Err(ProxyError::BadRequest(t!("proxy.no_model")));
    }
    Ok((
        parts,
        ClientRequest {
            body,
            body_len,
            requested,
            stream,
            raw: keep_raw.then_some(bytes),
            ahead: None,
            pending: None,
        },
    ))
}
