//! akuersi-core: the device side of the Akuersi authenticator.
//!
//! * [`protocol`], [`approval`], [`encoding`]: the open wire protocol and the
//!   exact bytes a device signs (docs/PROTOCOL.md);
//! * [`pin`], [`spake2plus`]: the PIN, proved to the service with SPAKE2+
//!   (RFC 9383) and never stored or sent;
//! * [`keystore`], [`store`]: the device key, the sealed device secret and
//!   the SQLite store;
//! * [`app`]: the device state machine ([`app::Installation`]);
//! * [`clock`], [`transport`]: the traits through which time and the network
//!   reach the core.

pub mod app;
pub mod device;
pub mod display;
pub mod error;
#[cfg(feature = "http")]
pub mod http;

pub mod keystore;
pub mod store;

pub mod transport;

pub use error::{Error, Result};

// The wire protocol moved to akuersi-protocol; these paths keep working while
// the other crates move over to it.
pub use akuersi_protocol::wire as protocol;
pub use akuersi_protocol::{
    activity, approval, clock, crypto, encoding, identity, pin, request, spake2plus,
};

// uniffi derives on the plain data types, for bindings/ (akuersi-ffi).
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
