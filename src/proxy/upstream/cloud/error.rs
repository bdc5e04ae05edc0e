//! Why a cloud upstream cannot be used.

use super::aws::SOURCES;
use super::google::SOURCES as GOOGLE_SOURCES;
use super::regions;
use crate::t;

/// Why a cloud upstream cannot be used (found before launch where it can
/// be, else when a request needs credentials).
#[derive(Debug, thiserror::Error)]
pub enum CloudError {
    #[error("{}", t!("cloud.no_region", provider = provider))]
    NoRegion { provider: String },
    #[error("{}", t!("cloud.unknown_region", provider = provider, region = region, known = regions::BEDROCK.join(", ")))]
    UnknownRegion { provider: String, region: String },
    #[error("{}", t!("cloud.unknown_model", provider = provider, model = model))]
    UnknownModel { provider: String, model: String },
    #[error("{}", t!("cloud.no_credentials", provider = provider, tried = SOURCES, error = error))]
    NoCredentials { provider: String, error: String },
    #[error("{}", t!("cloud.sign", provider = provider, error = error))]
    Sign { provider: String, error: String },
    #[error("{}", t!("cloud.vertex_no_region", provider = provider))]
    VertexNoRegion { provider: String },
    #[error("{}", t!("cloud.vertex_unknown_region", provider = provider, region = region, known = regions::VERTEX.join(", ")))]
    VertexUnknownRegion { provider: String, region: String },
    #[error("{}", t!("cloud.vertex_no_project", provider = provider))]
    VertexNoProject { provider: String },
    #[error("{}", t!("cloud.vertex_unknown_model", provider = provider, model = model))]
    VertexUnknownModel { provider: String, model: String },
    #[error("{}", t!("cloud.vertex_no_credentials", provider = provider, tried = GOOGLE_SOURCES, error = error))]
    NoGoogleCredentials { provider: String, error: String },
}
