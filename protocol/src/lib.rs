//! akuersi-protocol: everything an outside service, requester or app needs to
//! speak Akuersi's open protocol (docs/PROTOCOL.md), and nothing else: no
//! storage, no device state machine, no FFI.
//!
//! * [`wire`]: the JSON messages, one module per party ([`wire::requester`],
//!   [`wire::device`], [`wire::enrollment`], [`wire::care`],
//!   [`wire::operator`], [`wire::errors`]);
//! * [`endpoint`]: every operation as a type (path, caller, request, answer,
//!   domain tag), from which [`wire::paths`] is derived;
//! * [`encoding`], [`approval`]: the canonical bytes that are signed, the
//!   approval statement and the evidence a requester verifies;
//! * [`crypto`], [`spake2plus`], [`pin`]: signatures and ids, SPAKE2+ (RFC
//!   9383, P-256) and the PIN KDF;
//! * [`identity`], [`request`], [`activity`]: the rules both sides enforce
//!   (user IDs, request texts and amounts, the hash-chained activity log);
//! * [`clock`], [`transport`]: the traits through which time and the network
//!   reach either side.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod activity;
pub mod approval;
pub mod clock;
pub mod crypto;
pub mod encoding;
pub mod endpoint;
pub mod identity;
pub mod pin;
pub mod request;
pub mod spake2plus;
pub mod transport;
pub mod wire;

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
