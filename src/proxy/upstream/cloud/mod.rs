//! Cloud upstreams: providers reached through their cloud's own endpoint
//! and signing rather than a base URL and a key header. Each kind brings
//! its credentials, its signer and its body rules (see
//! `translate::bedrock`); Bedrock is the first, Vertex slots in beside it.

mod aws;
pub mod bedrock;
mod error;
mod regions;

pub use bedrock::Bedrock;
pub use error::CloudError;

/// A cloud upstream's signer and endpoint.
pub enum Cloud {
    Bedrock(Bedrock),
}
