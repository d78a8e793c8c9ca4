//! The activity log as a device receives it (rows the service read back
//! from its database, possibly corrupted on disk or in transit): input is an
//! identity id, a newline, then an `ActivityResponse` as JSON.
//!
//! * `LogEntry` and `ActivityResponse` JSON round-trip;
//! * `activity::verify_chain` never panics, whatever the entries, head or key;
//! * with the head signed by a known key, it accepts the log exactly when
//!   every entry is numbered from 1, links to the one before and hashes to
//!   its stored hash, and the head names the last entry.
#![no_main]

use akuersi_fuzz::{fixed_key, fixed_sign, json_round_trip};
use akuersi_protocol::activity::{
    entry_hash, head_bytes, verify_chain, LogEntry, SignedHead, GENESIS,
};
use akuersi_protocol::service_key::service_key_id;
use akuersi_protocol::wire::ActivityResponse;
use libfuzzer_sys::fuzz_target;
use ring::signature::KeyPair;

/// The hash `e`'s fields would have as entry number `seq` after `prev`.
fn hash_as(identity_id: &str, e: &LogEntry, seq: u64, prev: &[u8]) -> [u8; 32] {
    entry_hash(
        identity_id,
        seq,
        e.at_ms,
        e.kind,
        e.device_id.as_deref(),
        e.request_id.as_deref(),
        &e.detail,
        prev,
    )
}

fuzz_target!(|data: &[u8]| {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(0);
    let identity_id = String::from_utf8_lossy(&data[..split]).into_owned();
    let json = data.get(split + 1..).unwrap_or_default();
    let Some(resp) = json_round_trip::<ActivityResponse>(json) else {
        // Maybe a single row.
        json_round_trip::<LogEntry>(json);
        return;
    };
    for e in &resp.entries {
        let bytes = serde_json::to_vec(e).expect("serializes");
        assert_eq!(json_round_trip::<LogEntry>(&bytes).as_ref(), Some(e));
    }

    // Any key, including garbage: no panic.
    let _ = verify_chain(&identity_id, &resp.entries, &resp.head, &resp.head.hash);
    let _ = verify_chain(
        &identity_id,
        &resp.entries,
        &resp.head,
        &resp.head.signature,
    );

    // The same head, signed by a key we hold and naming it.
    let key_id = service_key_id(fixed_key().public_key().as_ref());
    let head = SignedHead {
        key_id: key_id.clone(),
        signature: fixed_sign(&head_bytes(
            &identity_id,
            &key_id,
            resp.head.seq,
            &resp.head.hash,
            resp.head.signed_at_ms,
        )),
        ..resp.head.clone()
    };
    let key = fixed_key().public_key().as_ref();
    let mut prev = GENESIS.to_vec();
    let mut intact = true;
    for (i, e) in resp.entries.iter().enumerate() {
        let h = hash_as(&identity_id, e, e.seq, &prev);
        intact &= e.seq == i as u64 + 1 && e.prev_hash == prev && e.hash == h;
        prev = h.to_vec();
    }
    intact &= head.seq == resp.entries.len() as u64 && head.hash == prev;
    let verdict = verify_chain(&identity_id, &resp.entries, &head, key);
    assert_eq!(verdict.is_ok(), intact, "verify_chain said {verdict:?}");

    // Rebuilt honestly, the chain always checks; dropping its last entry never does.
    let mut rebuilt: Vec<LogEntry> = Vec::with_capacity(resp.entries.len());
    let mut prev = GENESIS.to_vec();
    for (i, e) in resp.entries.iter().enumerate() {
        let seq = i as u64 + 1;
        let h = hash_as(&identity_id, e, seq, &prev);
        rebuilt.push(LogEntry {
            seq,
            prev_hash: prev.clone(),
            hash: h.to_vec(),
            ..e.clone()
        });
        prev = h.to_vec();
    }
    let honest_head = |entries: &[LogEntry]| {
        let (seq, hash) = entries
            .last()
            .map_or((0, GENESIS.to_vec()), |e| (e.seq, e.hash.clone()));
        SignedHead {
            key_id: key_id.clone(),
            seq,
            hash: hash.clone(),
            signed_at_ms: resp.head.signed_at_ms,
            signature: fixed_sign(&head_bytes(
                &identity_id,
                &key_id,
                seq,
                &hash,
                resp.head.signed_at_ms,
            )),
        }
    };
    let full = honest_head(&rebuilt);
    assert_eq!(verify_chain(&identity_id, &rebuilt, &full, key), Ok(()));
    if !rebuilt.is_empty() {
        let shorter = &rebuilt[..rebuilt.len() - 1];
        assert!(verify_chain(&identity_id, shorter, &full, key).is_err());
    }
});
