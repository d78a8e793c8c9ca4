//! How the device reaches the service. The core has no network stack of its
//! own: a shell supplies its platform's HTTP client, the simulator an in-process
//! or HTTP one.

use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Error, Result};
use crate::protocol::{ErrorBody, MAX_MESSAGE_BYTES};

/// A raw answer: HTTP-like status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct TransportResponse {
    /// 200 for success; 4xx/5xx with an [`ErrorBody`] otherwise.
    pub status: u16,
    /// The JSON body.
    pub body: Vec<u8>,
}

/// The service could not be reached or did not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("service unreachable: {reason}")]
pub struct TransportError {
    /// What happened (no secrets: it is built from network errors only).
    pub reason: String,
}

/// Sends one protocol message. Implementations block until the answer comes:
/// call them off the main thread.
pub trait Transport: Send + Sync {
    /// `POST` `body` (JSON) to `path` and return the answer.
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError>;
}

/// Send a message and decode the answer, mapping service errors to [`Error`].
pub fn call<Req: Serialize, Resp: DeserializeOwned>(
    transport: &dyn Transport,
    path: &str,
    request: &Req,
) -> Result<Resp> {
    let body = serde_json::to_vec(request).map_err(|e| Error::Protocol(e.to_string()))?;
    let answer = transport
        .post(path, body)
        .map_err(|e| Error::Network(e.reason))?;
    if answer.body.len() > MAX_MESSAGE_BYTES {
        return Err(Error::Protocol("answer is too large".into()));
    }
    if answer.status == 200 {
        serde_json::from_slice(&answer.body)
            .map_err(|e| Error::Protocol(format!("unexpected answer from the service: {e}")))
    } else {
        match serde_json::from_slice::<ErrorBody>(&answer.body) {
            Ok(body) => Err(body.into()),
            Err(_) => Err(Error::Protocol(format!(
                "the service answered with status {} and no error body",
                answer.status
            ))),
        }
    }
}
