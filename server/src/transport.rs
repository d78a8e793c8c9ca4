//! An in-process [`Transport`]: the device talks to a [`Service`] in the same
//! process through the very same JSON as over HTTP.

use std::sync::Arc;

use akuersi_protocol::transport::{Transport, TransportError, TransportResponse};

use crate::api::handle;
use crate::service::Service;

/// Calls [`handle`] directly. Clone it freely.
#[derive(Debug, Clone)]
pub struct InProcessTransport {
    service: Arc<Service>,
}

impl InProcessTransport {
    /// A transport to `service`.
    pub fn new(service: Arc<Service>) -> Self {
        Self { service }
    }
}

impl Transport for InProcessTransport {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError> {
        let answer = handle(&self.service, path, &body);
        Ok(TransportResponse {
            status: answer.status,
            body: answer.body,
        })
    }
}
