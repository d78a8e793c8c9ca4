//! The protocol's [`Transport`] as the core uses it: every failure of a call
//! becomes the core's [`Error`](crate::Error).

use serde::{de::DeserializeOwned, Serialize};

pub use akuersi_protocol::transport::{CallError, Transport, TransportError, TransportResponse};

use akuersi_protocol::endpoint::Endpoint;

use crate::error::Result;

/// Send a message and decode the answer, mapping service errors to
/// [`crate::Error`]. Blocks on the network: call it off the main thread.
pub fn call<Req: Serialize, Resp: DeserializeOwned>(
    transport: &dyn Transport,
    path: &str,
    request: &Req,
) -> Result<Resp> {
    Ok(akuersi_protocol::transport::call(transport, path, request)?)
}

/// Call endpoint `E`: its path, its request type and its answer type, with
/// failures mapped as [`call`] does. Blocks on the network.
pub fn call_endpoint<E: Endpoint>(
    transport: &dyn Transport,
    request: &E::Request,
) -> Result<E::Response> {
    call(transport, E::PATH, request)
}
