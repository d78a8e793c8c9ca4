//! akuersi-server: the reference identity service (verifier) for Akuersi.
//!
//! [`service::Service`] holds identities, devices, requests and PIN verifiers
//! in SQLite and checks every device signature and SPAKE2+ proof.
//! [`api::handle`] is its JSON front; [`transport::InProcessTransport`]
//! connects an app installation to it inside one process.

pub mod api;
pub mod benchkit;
pub mod channel;
mod db;
pub mod devices;
pub mod enrollment;
pub mod error;
pub mod freeze;
pub mod http;
pub mod lockout;
pub mod notify;
mod precheck;
pub mod service;
pub mod settings;
pub mod transport;

pub use error::ServiceError;
pub use service::{Service, ServiceConfig};
pub use transport::InProcessTransport;
