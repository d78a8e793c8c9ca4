//! akuersi-sim: the desktop simulator for Akuersi.
//!
//! Four commands: [`serve`] (the identity service over HTTP, with the Demo
//! Bank page of [`bank`]), [`app`] (one app installation: a phone-like
//! terminal UI, or one action for scripts), [`operator`] (the operator API)
//! and `demo`, described below.
//!
//! `demo` runs the reference identity service ([`akuersi_server::Service`]) and
//! app installations ([`akuersi_core::app::Installation`]) in one process,
//! connected by the same JSON messages they would exchange over HTTP, and
//! walks through scenes a person can read and follow ([`demo::run`]). All
//! time comes from one [`akuersi_protocol::clock::TestClock`], so the demo moves
//! time forward instead of waiting for requests to lapse.
//!
//! Every scene checks its own outcome, so the demo doubles as a smoke test:
//! [`demo::DemoSummary::failures`] lists every expectation that did not hold.

pub mod app;
pub mod bank;
pub mod bench;
pub mod card;
pub mod clock;
pub mod demo;
pub mod edge;
pub mod error;
pub mod load;
pub mod operator;
pub mod output;
pub mod profile;
pub mod requesters;
pub mod serve;
pub mod serve_keys;
pub mod slow;
pub mod timefmt;
pub mod wire;

pub use demo::{run, DemoOptions, DemoSummary, Scenario};
pub use error::SimError;
