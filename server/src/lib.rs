//! akuersi-server: the reference identity service (verifier) for Akuersi.
//!
//! [`service::Service`] holds identities, devices, requests and PIN verifiers
//! in SQLite and checks every device signature and SPAKE2+ proof; every SQL
//! statement it runs sits behind the `storage` module.
//! [`api::handle`] is its JSON front; [`transport::InProcessTransport`]
//! connects an app installation to it inside one process.

pub mod api;
#[cfg(feature = "bench")]
pub mod bench_support;
pub mod error;
pub mod http;
pub mod lockout;
pub mod notify;
pub mod service;
mod storage;
pub mod transport;

// The service's parts kept their old paths (`akuersi_server::channel::…`).
pub use service::{channel, devices, enrollment, freeze, settings};

pub use error::ServiceError;
pub use service::{Service, ServiceConfig};
pub use transport::InProcessTransport;
