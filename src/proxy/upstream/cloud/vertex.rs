//! Google Vertex AI as an upstream: `rawPredict` and `streamRawPredict`
//! for the provider's project and region (or `global`), with a bearer
//! token from Application Default Credentials. Replies and streams are
//! Anthropic's own shapes; error statuses go on as other upstreams' do
//! (429 moves a chain on; 401 and 403 never reach Claude Code as such).

use http::{HeaderMap, HeaderValue};
use url::Url;

use super::error::CloudError;
use super::google::GoogleCredentials;
use super::regions;
use crate::config::Provider;
use crate::proxy::body::MAX_ERROR_BODY;
use crate::proxy::error::ProxyError;
use crate::proxy::translate::vertex as rules;
use crate::proxy::upstream::Upstream;
use crate::proxy::upstream::reply::Reply;
use crate::proxy::upstream::send::post_bounded;
use crate::t;

pub struct Vertex {
    pub region: String,
    pub project: String,
    /// `https://{region}-aiplatform.googleapis.com` (no region in the host
    /// for `global`), or the provider's `base_url` (a gateway, or a test's
    /// mock).
    base: String,
    creds: GoogleCredentials,
}

impl Vertex {
    /// The provider's region, project and endpoint. `project` is the
    /// provider's, else the variable Claude Code's own Vertex mode reads
    /// (passed in as `env_project`).
    pub fn new(p: &Provider, env_project: Option<String>) -> Result<Vertex, CloudError> {
        let region = p.region.clone().ok_or_else(|| CloudError::VertexNoRegion {
            provider: p.name.clone(),
        })?;
        if !regions::VERTEX.contains(&region.as_str()) && p.base_url.is_none() {
            return Err(CloudError::VertexUnknownRegion {
                provider: p.name.clone(),
                region,
            });
        }
        let project = p
            .project
            .clone()
            .or(env_project)
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| CloudError::VertexNoProject {
                provider: p.name.clone(),
            })?;
        let base = match &p.base_url {
            Some(u) => u.as_str().trim_end_matches('/').to_string(),
            None => rules::host(&region),
        };
        Ok(Vertex {
            region,
            project,
            base,
            creds: GoogleCredentials::default(),
        })
    }

    pub fn url(&self, model: &str, stream: bool) -> Option<Url> {
        let path = rules::predict_path(&self.project, &self.region, model, stream);
        Url::parse(&format!("{}{path}", self.base)).ok()
    }
}

/// Send a Vertex body for `model`, within the first-byte timeout, with
/// `extra` (the betas) and a fresh bearer token. Error replies become
/// Anthropic-shaped errors with the statuses other upstreams' get.
pub async fn send(
    up: &Upstream,
    v: &Vertex,
    model: &str,
    stream: bool,
    mut extra: HeaderMap,
    body: Vec<u8>,
) -> Result<Reply, ProxyError> {
    let name = &up.provider.name;
    let url = v.url(model, stream).ok_or_else(|| {
        ProxyError::BadRequest(rules::predict_path(&v.project, &v.region, model, stream))
    })?;
    let token = v.creds.token().await.map_err(|error| {
        ProxyError::Misconfigured(
            CloudError::NoGoogleCredentials {
                provider: name.clone(),
                error,
            }
            .to_string(),
        )
    })?;
    let mut auth = HeaderValue::from_str(&format!("Bearer {token}"))
        .map_err(|_| ProxyError::Misconfigured(t!("proxy.key_not_header", provider = name)))?;
    // The token is as good as a key for its hour: never logged.
    auth.set_sensitive(true);
    extra.insert(http::header::AUTHORIZATION, auth);
    let resp = post_bounded(up, &url, None, extra, body, 0).await?;
    if resp.status().is_success() {
        return Ok(resp);
    }
    Err(error_reply(up, resp).await)
}

/// A Vertex error reply as the error Claude Code gets: Google's status
/// kept (the proxy's error mapping turns 401/403 into statuses Claude Code
/// does not read as its own login), Google's message read out of its
/// error shape.
async fn error_reply(up: &Upstream, resp: Reply) -> ProxyError {
    let status = resp.status().as_u16();
    let wait =
        crate::proxy::upstream::ratelimit::wait(resp.headers(), std::time::SystemTime::now());
    let retry_after = wait.map(crate::proxy::upstream::ratelimit::retry_after);
    let body = resp
        .prefix(MAX_ERROR_BODY, std::time::Duration::from_secs(10))
        .await;
    let text = rules::error_message(&body)
        .unwrap_or_else(|| String::from_utf8_lossy(&body).trim().to_string());
    let mut message = t!("cloud.vertex_error", status = status, message = text);
    if matches!(status, 401 | 403) {
        message = format!(
            "{message} {}",
            t!("cloud.vertex_hint_credentials", provider = up.provider.name)
        );
    }
    ProxyError::Upstream {
        status,
        message,
        retry_after,
    }
}
