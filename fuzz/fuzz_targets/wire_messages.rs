//! Every wire message, both directions (a device decodes the service's
//! answers too): the first byte picks a type from `akuersi_fuzz::WIRE_KINDS`
//! (modulo their number), the rest is its JSON. Whatever parses must
//! round-trip (parse → serialize → parse gives the same value, and
//! serializing again the same bytes), and a device-signed body must encode
//! to its canonical signed bytes.
#![no_main]

use akuersi_fuzz::WIRE_KINDS;
use akuersi_protocol::wire::{Activate, CompletePairing};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, json)) = data.split_first() else {
        return;
    };
    let (_, check) = WIRE_KINDS[usize::from(selector) % WIRE_KINDS.len()];
    check(json);
    // Messages that carry their own canonical bytes.
    if let Ok(m) = serde_json::from_slice::<Activate>(json) {
        let _ = m.signed_bytes();
    }
    if let Ok(m) = serde_json::from_slice::<CompletePairing>(json) {
        let _ = m.signed_bytes();
    }
});
