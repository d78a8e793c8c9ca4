//! How a message reaches the service. The protocol has no network stack of its
//! own: a shell supplies its platform's HTTP client, the simulator an
//! in-process or HTTP one, a requester whatever it uses.

use serde::{de::DeserializeOwned, Serialize};

use crate::endpoint::Endpoint;
use crate::wire::{ErrorBody, MAX_MESSAGE_BYTES};

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
    /// `POST` `body` (JSON) to `path` and return the answer. The body of an
    /// activation, a pairing or a PIN change carries the PIN verifier
    /// (`w0`, `L`): it is built in one exactly-sized buffer ([`json_exact`])
    /// and handed over, not copied; an implementation that can should wipe it
    /// (and its own copies) once sent.
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError>;
}

/// Why a call did not return its answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The service could not be reached; nothing is known to have happened.
    #[error("service unreachable: {0}")]
    Network(String),
    /// The service answered with a typed refusal.
    #[error("the service refused: {}", .0.message)]
    Refused(ErrorBody),
    /// The answer was not what the protocol says.
    #[error("protocol error: {0}")]
    Protocol(String),
}

/// `value` as JSON in one buffer allocated at exactly its final size.
/// `serde_json::to_vec` grows its buffer as it writes, and every growth
/// leaves a copy of what was written so far in freed memory; a message that
/// carries a PIN verifier (`w0`, `L`) must leave none. The body is then moved,
/// not copied, into the transport (which owns, and should wipe, the one
/// copy). Allocates once.
pub fn json_exact<T: Serialize + ?Sized>(value: &T) -> serde_json::Result<Vec<u8>> {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    serde_json::to_writer(&mut count, value)?;
    let mut out = Vec::with_capacity(count.0);
    serde_json::to_writer(&mut out, value)?;
    Ok(out)
}

/// Send `request` to `path` and decode the answer.
pub fn call<Req: Serialize, Resp: DeserializeOwned>(
    transport: &dyn Transport,
    path: &str,
    request: &Req,
) -> Result<Resp, CallError> {
    let body = json_exact(request).map_err(|e| CallError::Protocol(e.to_string()))?;
    let answer = transport
        .post(path, body)
        .map_err(|e| CallError::Network(e.reason))?;
    if answer.body.len() > MAX_MESSAGE_BYTES {
        return Err(CallError::Protocol("answer is too large".into()));
    }
    if answer.status == 200 {
        serde_json::from_slice(&answer.body)
            .map_err(|e| CallError::Protocol(format!("unexpected answer from the service: {e}")))
    } else {
        match serde_json::from_slice::<ErrorBody>(&answer.body) {
            Ok(body) => Err(CallError::Refused(body)),
            Err(_) => Err(CallError::Protocol(format!(
                "the service answered with status {} and no error body",
                answer.status
            ))),
        }
    }
}

/// Call endpoint `E`: its path, its request type, its answer type.
pub fn call_endpoint<E: Endpoint>(
    transport: &dyn Transport,
    request: &E::Request,
) -> Result<E::Response, CallError> {
    call(transport, E::PATH, request)
}
