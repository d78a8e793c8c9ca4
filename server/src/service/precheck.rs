//! Work done before a message's write transaction, so that the single
//! writer holds the database only for SQL.
//!
//! The service answers each message in one SQLite transaction, and one
//! transaction runs at a time. The expensive parts of a message are its
//! public-key work: the ECDSA signature of a device envelope or of an
//! approval statement (~0.1 ms each) and the service's SPAKE2+ share at
//! pin-start (several P-256 scalar multiplications). Done inside the
//! transaction, they made every other message wait for them. Here they run
//! first, on the caller's thread and outside the lock, against a snapshot
//! read without waiting; the transaction then re-reads everything and uses
//! the result only if the inputs it reads are exactly the ones the result
//! was computed from, and otherwise computes it again itself. The decisions
//! (sequence numbers, lock-out, pending or not, counting an attempt) are
//! all still made inside the transaction.

use std::collections::HashSet;
use std::sync::Mutex;

use akuersi_protocol::crypto::verify_p256;
use akuersi_protocol::encoding::CanonicalWriter;

/// At most this many verified signatures are remembered (an entry is taken
/// by the transaction right after it is made; the cap only bounds what
/// failed messages could leave behind).
const CAPACITY: usize = 4_096;

/// Signatures that verified before their transaction: a set of digests of
/// (public key, signed bytes, signature).
#[derive(Default)]
pub(crate) struct Verified {
    seen: Mutex<HashSet<[u8; 32]>>,
}

impl Verified {
    fn digest(public_key: &[u8], message: &[u8], signature: &[u8]) -> [u8; 32] {
        let mut w = CanonicalWriter::new("akuersi/v1/service-verified");
        w.bytes(public_key).bytes(message).bytes(signature);
        let d = ring::digest::digest(&ring::digest::SHA256, &w.finish());
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }

    /// Verify now, outside any lock, and remember a success.
    pub(crate) fn check_early(&self, public_key: &[u8], message: &[u8], signature: &[u8]) {
        if verify_p256(public_key, message, signature).is_ok() {
            let d = Self::digest(public_key, message, signature);
            if let Ok(mut seen) = self.seen.lock() {
                if seen.len() >= CAPACITY {
                    seen.clear();
                }
                seen.insert(d);
            }
        }
    }

    /// Whether exactly this signature verified early and is still waiting
    /// for its transaction (does not take it).
    pub(crate) fn knows(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        let d = Self::digest(public_key, message, signature);
        self.seen.lock().map(|s| s.contains(&d)).unwrap_or(false)
    }

    /// Inside the transaction: true if exactly this signature over exactly
    /// these bytes verified under exactly this key before (and forget it);
    /// otherwise verify now.
    pub(crate) fn verify(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> bool {
        let d = Self::digest(public_key, message, signature);
        let known = self.seen.lock().map(|mut s| s.remove(&d)).unwrap_or(false);
        known || verify_p256(public_key, message, signature).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::test_support::{
        enroll, open, p256_key as key, pending_log_on, some_point, Signs,
    };
    use ring::rand::SystemRandom;
    use ring::signature::KeyPair;

    #[test]
    fn only_an_exact_earlier_success_is_taken_and_only_once() {
        let rng = SystemRandom::new();
        let (k, other) = (key(), key());
        let public = k.public_key().as_ref().to_vec();
        let sig = k.sign(&rng, b"message").unwrap().as_ref().to_vec();
        let v = Verified::default();
        v.check_early(&public, b"message", &sig);
        assert_eq!(v.seen.lock().unwrap().len(), 1);
        // Another message, key or signature is not covered by the entry...
        assert!(!v.verify(&public, b"messagf", &sig));
        assert!(!v.verify(other.public_key().as_ref(), b"message", &sig));
        assert_eq!(v.seen.lock().unwrap().len(), 1);
        // ...the exact one is, once; a second time it is verified again.
        assert!(v.verify(&public, b"message", &sig));
        assert!(v.seen.lock().unwrap().is_empty());
        assert!(v.verify(&public, b"message", &sig));
    }

    /// The service side: an envelope checked early under the device's key,
    /// after which the stored key changes before the transaction (as when
    /// the device is activated again), must be refused: the early result is
    /// bound to the key it was checked with.
    #[test]
    fn an_early_check_under_a_key_since_replaced_does_not_count() {
        use akuersi_protocol::wire::{DeviceSigned, PendingQuery};

        let service = open();
        let mut device = enroll(&service, "Aviaja-Nuuk");
        let msg: DeviceSigned<PendingQuery> = device.envelope(PendingQuery {}).unwrap();
        service.check_envelope_early(&msg);
        assert_eq!(service.verified.seen.lock().unwrap().len(), 1);
        let other = key();
        service
            .db
            .peek()
            .unwrap()
            .store()
            .replace_public_key(&device.device_id, other.public_key().as_ref())
            .unwrap();
        let refused = service.pending(msg).unwrap_err();
        assert_eq!(
            refused.code,
            akuersi_protocol::wire::ErrorCode::BadSignature,
            "{refused}"
        );
    }

    /// pin-start's early SPAKE2+ share is computed only for an envelope
    /// whose signature already verified, so a forged one cannot buy scalar
    /// multiplications before it is refused.
    #[test]
    fn the_early_pin_share_needs_an_early_verified_signature() {
        use akuersi_protocol::wire::{PinPurpose, PinStart};
        use akuersi_testkit::T0;

        let (service, mut device, request_id) = pending_log_on();
        // Any valid point will do as shareP: the early share checks no PIN.
        let share_p = some_point();
        let msg = device.signed(PinStart {
            purpose: PinPurpose::Request { request_id },
            share_p,
        });
        assert!(
            service.pin_share_early(&msg, T0).is_none(),
            "not verified yet"
        );
        let mut forged = msg.clone();
        forged.signature[20] ^= 1;
        service.check_envelope_early(&forged);
        assert!(service.pin_share_early(&forged, T0).is_none(), "forged");
        service.check_envelope_early(&msg);
        assert!(service.pin_share_early(&msg, T0).is_some(), "verified");
    }

    #[test]
    fn a_failed_early_check_is_not_remembered() {
        let rng = SystemRandom::new();
        let k = key();
        let public = k.public_key().as_ref().to_vec();
        let mut sig = k.sign(&rng, b"message").unwrap().as_ref().to_vec();
        sig[10] ^= 1;
        let v = Verified::default();
        v.check_early(&public, b"message", &sig);
        assert!(v.seen.lock().unwrap().is_empty());
        assert!(!v.verify(&public, b"message", &sig));
    }
}
