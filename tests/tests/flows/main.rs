//! The honest flows, and what the owner sees: one test binary (the
//! attackers of docs/THREAT_MODEL.md §4 are in `attackers/`; the model, crash
//! and load runs of its "Evidence" section are binaries of their own).
//!
//! * [`approval_flow`]: log-on and approval end to end, an installation and
//!   the service on a test clock (THREAT_MODEL §2, §4.8's service clock).
//! * [`identity_care`]: backup devices, freeze, notifications, user ID and
//!   the activity log (§4.2's waiting period with veto, §4.3's freeze).
//! * [`reentry`]: a key store calling back in for the same profile is
//!   refused, not deadlocked.
//! * [`staged_secrets`]: a reactivation whose answer was lost, settled by
//!   the owner's next PIN (§4.10).
//! * [`what_the_user_sees`]: channel binding, spoof-proof texts, amounts,
//!   rate limits, push-fatigue and phone-call warnings (§4.2, §4.7).

mod approval_flow;
mod identity_care;
mod reentry;
mod retention;
mod service_keys;
mod shared_profile;
mod staged_secrets;
mod what_the_user_sees;
