//! Pairing payloads, the text a new device scans from an existing one:
//! `parse_pairing_payload` accepts only `AKUERSI-PAIR:1:<hex id>:<16 bytes>`,
//! and what it accepts is canonical: building the payload again from the
//! parts gives back the (trimmed) input exactly.
#![no_main]

use akuersi_fuzz::text;
use akuersi_protocol::crypto::is_hex_id;
use akuersi_protocol::wire::{pairing_payload, parse_pairing_payload, PAIRING_PREFIX};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let input = text(data);
    let Some((id, secret)) = parse_pairing_payload(&input) else {
        return;
    };
    assert!(is_hex_id(&id), "accepted id {id:?}");
    let rebuilt = pairing_payload(&id, &secret[..]);
    assert!(rebuilt.starts_with(PAIRING_PREFIX));
    assert_eq!(rebuilt, input.trim(), "the payload is not canonical");
    let (id2, secret2) = parse_pairing_payload(&rebuilt).expect("own payload parses");
    assert_eq!((id2, &secret2[..]), (id, &secret[..]));
});
