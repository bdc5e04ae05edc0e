//! Cloud upstreams: providers reached through their cloud's own endpoint
//! and signing rather than a base URL and a key header. Each kind brings
//! its credentials, its signer and its body rules (see
//! `translate::bedrock`, `translate::vertex`): Bedrock (SigV4, its event
//! stream decoded) and Vertex (Google's bearer tokens, Anthropic's own
//! reply shapes).

mod aws;
pub mod bedrock;
mod chain;
mod error;
mod google;
mod regions;
pub mod vertex;

pub use bedrock::Bedrock;
pub use error::CloudError;
pub use vertex::Vertex;

/// A cloud upstream's signer and endpoint.
pub enum Cloud {
    Bedrock(Bedrock),
    Vertex(Vertex),
}
