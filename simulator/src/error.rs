//! The simulator's error type: anything that stops the demo before its end.
//! Expectations that merely fail are not errors; they are counted by
//! [`crate::output::Printer`] and reported in [`crate::demo::DemoSummary`].

use akuersi_protocol::approval::EvidenceError;

/// Why the demo could not go on.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The core (an installation, or a protocol call made through it) failed.
    #[error("{0}")]
    Core(#[from] akuersi_core::Error),
    /// The reference service failed outside the protocol (opening its
    /// database, reading its logs).
    #[error("service: {0}")]
    Service(#[from] akuersi_server::ServiceError),
    /// A device's signed evidence did not verify.
    #[error("evidence: {0}")]
    Evidence(#[from] EvidenceError),
    /// Writing the output or touching the data folder failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
    /// The demo could not be set up, or a step it depends on went wrong.
    #[error("{0}")]
    Demo(String),
}
