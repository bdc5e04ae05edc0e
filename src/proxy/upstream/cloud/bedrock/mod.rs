//! Amazon Bedrock as an upstream: `InvokeModel` and
//! `InvokeModelWithResponseStream` in the provider's region, signed with
//! SigV4 (or a Bedrock API key as a Bearer token), errors mapped to the
//! statuses Claude Code retries correctly, and the event stream turned into
//! Anthropic SSE on the way back.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use futures_util::StreamExt;
use http::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use url::Url;

use super::aws::AwsCredentials;
use super::error::CloudError;
use super::regions;
use crate::config::Provider;
use crate::proxy::body::MAX_ERROR_BODY;
use crate::proxy::error::ProxyError;
use crate::proxy::translate::bedrock::{self as rules, EventStreamSse};
use crate::proxy::upstream::Upstream;
use crate::proxy::upstream::reply::Reply;
use crate::proxy::upstream::send::post_bounded;
use crate::t;

/// SigV4's name for Bedrock's runtime API.
const SERVICE: &str = "bedrock";

pub struct Bedrock {
    pub region: String,
    /// `https://bedrock-runtime.{region}.amazonaws.com`, or the provider's
    /// `base_url` (a gateway, or a test's mock).
    base: String,
    auth: Auth,
}

enum Auth {
    /// A Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK` or the provider's own).
    Bearer(HeaderValue),
    /// Boxed: the credentials' cache is several times a header's size,
    /// and one provider holds one `Auth` for its whole life.
    SigV4(Box<AwsCredentials>),
}

impl Bedrock {
    /// The provider's region and endpoint, and how requests are signed:
    /// with `key` as a Bearer token when there is one, else SigV4.
    pub fn new(p: &Provider, key: Option<&SecretString>) -> Result<Bedrock, CloudError> {
        let region = p.region.clone().ok_or_else(|| CloudError::NoRegion {
            provider: p.name.clone(),
        })?;
        if !regions::BEDROCK.contains(&region.as_str()) && p.base_url.is_none() {
            return Err(CloudError::UnknownRegion {
                provider: p.name.clone(),
                region,
            });
        }
        let base = match &p.base_url {
            Some(u) => u.as_str().trim_end_matches('/').to_string(),
            None => format!("https://bedrock-runtime.{region}.amazonaws.com"),
        };
        let auth = match key {
            Some(k) => {
                let mut v = HeaderValue::from_str(&format!("Bearer {}", k.expose_secret()))
                    .map_err(|_| CloudError::Sign {
                        provider: p.name.clone(),
                        error: t!("proxy.key_not_header", provider = p.name),
                    })?;
                v.set_sensitive(true);
                Auth::Bearer(v)
            }
            None => Auth::SigV4(Box::new(AwsCredentials::new(
                &region,
                p.aws_profile.as_deref(),
            ))),
        };
        Ok(Bedrock { region, base, auth })
    }

    pub fn url(&self, model: &str, stream: bool) -> Option<Url> {
        Url::parse(&format!(
            "{}{}",
            self.base,
            rules::invoke_path(model, stream)
        ))
        .ok()
    }

    /// The auth headers for one request, signed at `now`.
    async fn auth_headers(
        &self,
        provider: &str,
        url: &Url,
        body: &[u8],
        now: SystemTime,
    ) -> Result<HeaderMap, CloudError> {
        let mut h = HeaderMap::new();
        match &self.auth {
            Auth::Bearer(v) => {
                h.insert(http::header::AUTHORIZATION, v.clone());
            }
            Auth::SigV4(creds) => {
                let c = creds
                    .get(now)
                    .await
                    .map_err(|error| CloudError::NoCredentials {
                        provider: provider.to_string(),
                        error,
                    })?;
                let signed = sign_v4(&c, &self.region, url, body, now).map_err(|error| {
                    CloudError::Sign {
                        provider: provider.to_string(),
                        error,
                    }
                })?;
                for (name, value, sensitive) in signed {
                    let (Ok(name), Ok(mut value)) = (
                        HeaderName::from_bytes(name.as_bytes()),
                        HeaderValue::from_str(&value),
                    ) else {
                        continue;
                    };
                    value.set_sensitive(sensitive);
                    h.insert(name, value);
                }
            }
        }
        Ok(h)
    }
}

/// SigV4 headers (`authorization`, `x-amz-date`, `x-amz-security-token`)
/// for a JSON POST of `body` to `url`, signed at `now`. Pure.
pub fn sign_v4(
    c: &Credentials,
    region: &str,
    url: &Url,
    body: &[u8],
    now: SystemTime,
) -> Result<Vec<(String, String, bool)>, String> {
    let identity: Identity = c.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| e.to_string())?
        .into();
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_string(),
    };
    let headers = [
        ("host", host.as_str()),
        ("content-type", "application/json"),
    ];
    let req = SignableRequest::new(
        "POST",
        url.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(body),
    )
    .map_err(|e| e.to_string())?;
    let (instructions, _) = sign(req, &params).map_err(|e| e.to_string())?.into_parts();
    let (headers, _) = instructions.into_parts();
    Ok(headers
        .into_iter()
        // The signature is as good as a key for its five minutes: never
        // logged either.
        .map(|h| {
            let sensitive = h.sensitive() || h.name() == "authorization";
            (h.name().to_string(), h.value().to_string(), sensitive)
        })
        .collect())
}

/// Send a Bedrock body for `model`, within the first-byte timeout. Error
/// replies become Anthropic-shaped errors with the statuses other
/// upstreams' failures get; a stream comes back as Anthropic SSE.
pub async fn send(
    up: &Upstream,
    b: &Bedrock,
    model: &str,
    stream: bool,
    body: Vec<u8>,
) -> Result<Reply, ProxyError> {
    let name = &up.provider.name;
    let url = b
        .url(model, stream)
        .ok_or_else(|| ProxyError::BadRequest(rules::invoke_path(model, stream)))?;
    let mut extra = b
        .auth_headers(name, &url, &body, SystemTime::now())
        .await
        .map_err(|e| ProxyError::Misconfigured(e.to_string()))?;
    let accept = if stream {
        "application/vnd.amazon.eventstream"
    } else {
        "application/json"
    };
    extra.insert(http::header::ACCEPT, HeaderValue::from_static(accept));
    let resp = post_bounded(up, &url, None, extra, body, 0).await?;
    if resp.status().is_success() {
        return Ok(if stream { sse_reply(resp) } else { resp });
    }
    Err(error_reply(up, resp).await)
}

/// A Bedrock error reply as the error Claude Code gets.
async fn error_reply(up: &Upstream, resp: Reply) -> ProxyError {
    let status = resp.status().as_u16();
    let header_name = resp
        .headers()
        .get("x-amzn-errortype")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let retry_after = resp.headers().get(http::header::RETRY_AFTER).cloned();
    let body = resp
        .prefix(MAX_ERROR_BODY, std::time::Duration::from_secs(10))
        .await;
    let kind = header_name
        .or_else(|| rules::error_type(&body))
        .unwrap_or_default();
    let mapped = rules::error_status(&kind, status);
    let text = rules::error_message(&body)
        .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_string());
    let short = kind.split(':').next().unwrap_or_default();
    let mut message = if short.is_empty() {
        t!("cloud.bedrock_error_plain", status = status, message = text)
    } else {
        t!(
            "cloud.bedrock_error",
            status = status,
            kind = short,
            message = text
        )
    };
    if rules::is_clock_skew(&text) {
        message = format!("{message} {}", t!("cloud.hint_clock_skew"));
    } else if mapped == 403 {
        message = format!(
            "{message} {}",
            t!("cloud.hint_credentials", provider = up.provider.name)
        );
    }
    ProxyError::Upstream {
        status: mapped,
        message,
        retry_after,
    }
}

/// A stream reply whose body is Anthropic SSE, decoded from Bedrock's
/// event stream as it arrives.
fn sse_reply(resp: Reply) -> Reply {
    let status = resp.status();
    let mut headers = resp.headers().clone();
    headers.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.remove(http::header::CONTENT_LENGTH);
    let body = futures_util::stream::unfold(
        (resp.into_stream(), EventStreamSse::new(), false),
        |(mut stream, mut conv, ended)| async move {
            if ended {
                return None;
            }
            loop {
                let mut out = Vec::new();
                match stream.next().await {
                    Some(Ok(chunk)) => conv.push(&chunk, &mut out),
                    Some(Err(e)) => return Some((Err(e), (stream, conv, true))),
                    None => {
                        conv.finish(&mut out);
                        if out.is_empty() {
                            return None;
                        }
                        return Some((Ok(Bytes::from(out)), (stream, conv, true)));
                    }
                }
                // After an error event nothing more is read.
                let done = conv.is_done();
                if !out.is_empty() || done {
                    return Some((Ok(Bytes::from(out)), (stream, conv, done)));
                }
            }
        },
    );
    Reply::held(status, headers, Box::pin(body))
}

#[cfg(test)]
mod tests;
