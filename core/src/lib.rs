//! akuersi-core: the device side of the Akuersi authenticator. The wire
//! protocol it speaks (messages, signed bytes, SPAKE2+, the PIN KDF) lives in
//! `akuersi-protocol`; this crate keeps what only a device has:
//!
//! * [`app`], [`device`]: the installation's state machine
//!   ([`app::Installation`]): activation and the PIN, requests and decisions,
//!   devices, backup devices, freeze, notifications and the activity log;
//! * [`store`], [`keystore`]: the SQLite store, the device key and the sealed
//!   device secret;
//! * [`display`]: what the owner reads, in kl, da and en, and support's hours;
//! * [`transport`] (and [`http`] with the `http` feature): how calls reach
//!   the service, with failures as the core's [`Error`].

pub mod app;
pub mod device;
pub mod display;
pub mod error;
#[cfg(feature = "http")]
pub mod http;

pub mod keystore;
pub mod reentry;
pub mod staged;
pub mod store;

pub mod transport;

pub use error::{Error, Result};

// uniffi derives on the plain data types, for bindings/ (akuersi-ffi).
#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
