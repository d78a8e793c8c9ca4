//! The attackers of docs/THREAT_MODEL.md §4, one test binary (the honest
//! flows are in `flows/`; the model, crash and load runs of its "Evidence"
//! section are binaries of their own).
//!
//! * [`attacks`]: the network attacker and a malicious device (§4.8, §2):
//!   replays, tampering, foreign devices, wrong PINs, enumeration and bad
//!   input.
//! * [`attacks_more`]: the remote guesser who knows a user ID (§4.1):
//!   enumeration by answer shape and timing, lock-out from a user ID alone;
//!   envelopes replayed to another endpoint, PIN sessions out of order,
//!   cross-identity device additions and stale pairing payloads (§4.2).
//! * [`activation_codes`]: wrong activation codes answer alike, whatever
//!   codes the identity has (§4.1), and a timing harness for them.
//! * [`lockout`]: the thief of the device, and lock-out as an attack (§4.3,
//!   §4.5).
//! * [`device_store`]: a copy of the device's storage (§4.4).
//! * [`laundering`]: such a copy guessing between the owner's approvals
//!   (§4.4), and text set without the PIN in official messages (§4.3).
//! * [`invalid_points`] and [`wycheproof`]: a malicious peer's SPAKE2+
//!   shares and ECDSA signatures (the "Fuzzing" section's attack tests).

mod activation_codes;
mod attacks;
mod attacks_more;
mod device_store;
mod invalid_points;
mod laundering;
mod lockout;
mod wycheproof;

/// Each field of a JSON object answer by name and the length of its value,
/// sorted: what an observer can compare without knowing the random values.
fn field_shape(v: &serde_json::Value) -> Vec<(String, usize)> {
    let mut s: Vec<(String, usize)> = v
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.to_string().len()))
        .collect();
    s.sort();
    s
}
