//! A [`Transport`] that keeps a copy of every message a party sends, so the
//! demo can count them and show that no PIN ever leaves a device.

use std::sync::{Arc, Mutex};

use akuersi_core::transport::{Transport, TransportError, TransportResponse};

/// One message as it went over the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    /// The protocol path it was posted to.
    pub path: String,
    /// The JSON body, byte for byte.
    pub body: Vec<u8>,
}

/// Forwards every message to `inner` and records it first.
pub struct RecordingTransport {
    inner: Arc<dyn Transport>,
    sent: Mutex<Vec<SentMessage>>,
}

impl std::fmt::Debug for RecordingTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingTransport")
            .field("sent", &self.count())
            .finish_non_exhaustive()
    }
}

impl RecordingTransport {
    /// A recorder in front of `inner`.
    pub fn new(inner: Arc<dyn Transport>) -> Self {
        Self {
            inner,
            sent: Mutex::new(Vec::new()),
        }
    }

    /// Every message sent so far, oldest first.
    pub fn sent(&self) -> Vec<SentMessage> {
        // A poisoned lock still holds a usable list: recording never panics
        // half-way through a push.
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The paths of the messages sent after the first `first`, oldest first.
    pub fn paths_since(&self, first: usize) -> Vec<String> {
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .skip(first)
            .map(|m| m.path.clone())
            .collect()
    }

    /// How many messages were sent so far.
    pub fn count(&self) -> usize {
        self.sent.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Transport for RecordingTransport {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError> {
        self.sent
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(SentMessage {
                path: path.to_owned(),
                body: body.clone(),
            });
        self.inner.post(path, body)
    }
}
