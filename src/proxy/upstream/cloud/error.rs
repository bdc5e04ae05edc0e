//! Why a cloud upstream cannot be used.

use super::aws::SOURCES;
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
}
