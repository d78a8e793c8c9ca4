//! The identity's activity log: every security event and every decided
//! request, each entry carrying the hash of the one before, and a head the
//! service signs. Any device can fetch the log and check the whole chain.
//!
//! Entry hash = SHA-256 over the canonical bytes of
//! ("akuersi/v1/activity-entry", identity id, seq, at, kind, device id?,
//! request id?, detail, previous hash). The first entry's previous hash is 32
//! zero bytes. The head statement is ("akuersi/v1/activity-head", identity id,
//! key id, seq of the last entry, its hash, signed-at), signed by the service's
//! P-256 key that the key id names ([`crate::service_key`]).

use serde::{Deserialize, Serialize};

use crate::crypto::{sha256, verify_p256};
use crate::encoding::{b64, CanonicalWriter};

/// Domain tag of an activity entry.
pub const ENTRY_DOMAIN: &str = "akuersi/v1/activity-entry";
/// Domain tag of the signed head.
pub const HEAD_DOMAIN: &str = "akuersi/v1/activity-head";
/// The previous hash of the first entry.
pub const GENESIS: [u8; 32] = [0; 32];

wire_enum! {
    /// What an activity-log entry records.
    ActivityKind {
        /// Support created the identity.
        IdentityCreated = "identity_created",
        /// An activation code was issued.
        ActivationCodeIssued = "activation_code_issued",
        /// A wrong activation code was tried.
        ActivationCodeWrong = "activation_code_wrong",
        /// A device was activated with a code.
        DeviceActivated = "device_activated",
        /// A device was activated again with a new PIN.
        DeviceReactivated = "device_reactivated",
        /// Adding a device was started on an existing one.
        DeviceAdditionStarted = "device_addition_started",
        /// A device addition was stopped.
        DeviceAdditionVetoed = "device_addition_vetoed",
        /// A wrong pairing proof was sent.
        PairingWrong = "pairing_wrong",
        /// A device joined through pairing.
        DeviceAdded = "device_added",
        /// A device was renamed.
        DeviceRenamed = "device_renamed",
        /// A device was removed.
        DeviceRemoved = "device_removed",
        /// A wrong PIN was entered.
        WrongPin = "wrong_pin",
        /// The owner approved a request.
        RequestApproved = "request_approved",
        /// The owner rejected a request.
        RequestRejected = "request_rejected",
        /// The owner reported a request they did not start.
        RequestReported = "request_reported",
        /// A request was cancelled (by its requester, or by channel binding).
        RequestCancelled = "request_cancelled",
        /// The identity was frozen.
        IdentityFrozen = "identity_frozen",
        /// One proof towards unfreezing was given.
        UnfreezeProof = "unfreeze_proof",
        /// The identity was unfrozen.
        IdentityUnfrozen = "identity_unfrozen",
        /// The user ID changed.
        UserIdChanged = "user_id_changed",
        /// Contact data changed.
        ContactChanged = "contact_changed",
        /// Settings changed.
        SettingsChanged = "settings_changed",
        /// The PIN changed.
        PinChanged = "pin_changed",
    }
}

impl ActivityKind {
    /// The entry a decision makes.
    pub fn for_decision(decision: crate::approval::Decision) -> Self {
        use crate::approval::Decision;
        match decision {
            Decision::Approve => ActivityKind::RequestApproved,
            Decision::Reject => ActivityKind::RequestRejected,
            Decision::Report => ActivityKind::RequestReported,
        }
    }
}

/// One entry of an identity's activity log, as stored and sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct LogEntry {
    /// Position in the log, from 1.
    pub seq: u64,
    /// When, by the service's clock.
    pub at_ms: i64,
    /// What happened.
    pub kind: ActivityKind,
    /// The device involved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// The request involved, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// A short description.
    pub detail: String,
    /// Hash of the previous entry (zeros for the first).
    #[serde(with = "b64")]
    pub prev_hash: Vec<u8>,
    /// This entry's hash.
    #[serde(with = "b64")]
    pub hash: Vec<u8>,
}

impl LogEntry {
    /// The hash this entry's own fields (including its `prev_hash`) give in
    /// `identity_id`'s log: what `hash` must be for the entry to be intact.
    pub fn expected_hash(&self, identity_id: &str) -> [u8; 32] {
        entry_hash(
            identity_id,
            self.seq,
            self.at_ms,
            self.kind,
            self.device_id.as_deref(),
            self.request_id.as_deref(),
            &self.detail,
            &self.prev_hash,
        )
    }
}

/// Compute an entry's hash from its fields.
#[allow(clippy::too_many_arguments)]
pub fn entry_hash(
    identity_id: &str,
    seq: u64,
    at_ms: i64,
    kind: ActivityKind,
    device_id: Option<&str>,
    request_id: Option<&str>,
    detail: &str,
    prev_hash: &[u8],
) -> [u8; 32] {
    let mut w = CanonicalWriter::new(ENTRY_DOMAIN);
    w.str(identity_id)
        .u64(seq)
        .i64(at_ms)
        .str(kind.as_str())
        .option(device_id, |w, d| {
            w.str(d);
        })
        .option(request_id, |w, r| {
            w.str(r);
        })
        .str(detail)
        .bytes(prev_hash);
    sha256(&[&w.finish()])
}

/// The head of a log, signed by the service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedHead {
    /// Id of the service key that signed it ([`crate::service_key::service_key_id`]).
    pub key_id: String,
    /// Seq of the last entry (0 for an empty log).
    pub seq: u64,
    /// Hash of the last entry (zeros for an empty log).
    #[serde(with = "b64")]
    pub hash: Vec<u8>,
    /// When the service signed it.
    pub signed_at_ms: i64,
    /// The service's signature (r ‖ s) over [`head_bytes`].
    #[serde(with = "crate::encoding::b64_signature")]
    pub signature: Vec<u8>,
}

/// Canonical bytes the service signs for a head.
pub fn head_bytes(
    identity_id: &str,
    key_id: &str,
    seq: u64,
    hash: &[u8],
    signed_at_ms: i64,
) -> Vec<u8> {
    let mut w = CanonicalWriter::new(HEAD_DOMAIN);
    w.str(identity_id)
        .str(key_id)
        .u64(seq)
        .bytes(hash)
        .i64(signed_at_ms);
    w.finish()
}

/// Why a log did not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    /// The head names a key other than the one it is checked with.
    #[error("the log head names a service key this app does not know")]
    UnknownKey,
    /// The service's signature over the head does not verify.
    #[error("the service's signature over the log head does not verify")]
    BadHeadSignature,
    /// Entries are missing, repeated or out of order.
    #[error("activity log entry {0} is missing or out of order")]
    Gap(u64),
    /// An entry's hash does not match its content, or does not link to the one before.
    #[error("activity log entry {0} was altered")]
    Altered(u64),
    /// The last entry is not the signed head.
    #[error("the activity log does not end at the signed head")]
    HeadMismatch,
    /// The signed head is behind, or branches off, the head this app verified
    /// before: entries it saw were removed or rewritten.
    #[error("the activity log does not extend the log this app verified before (entry {0})")]
    NotAnExtension(u64),
}

/// A point of the chain a verifier already trusts: the last entry it checked
/// (`seq` 0 and [`GENESIS`] before the first).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Anchor {
    /// The entry's position (0: before the first entry).
    pub seq: u64,
    /// The entry's hash ([`GENESIS`] for `seq` 0).
    pub hash: Vec<u8>,
}

impl Anchor {
    /// Before the first entry.
    pub fn genesis() -> Self {
        Anchor {
            seq: 0,
            hash: GENESIS.to_vec(),
        }
    }
}

/// Check a whole log (entries in order from seq 1) against a signed head,
/// with the service key the head names (`head.key_id` must be its id).
pub fn verify_chain(
    identity_id: &str,
    entries: &[LogEntry],
    head: &SignedHead,
    service_public_key: &[u8],
) -> Result<(), ChainError> {
    verify_extension(
        identity_id,
        &Anchor::genesis(),
        entries,
        head,
        service_public_key,
    )
}

/// Check that `entries` (in order from `anchor.seq + 1`) extend the chain
/// from `anchor`, which the verifier already trusts, up to the signed `head`,
/// with the service key the head names (`head.key_id` must be its id).
/// A head behind the anchor, or the anchor's own entry with another hash, is
/// [`ChainError::NotAnExtension`]: the service removed or rewrote entries
/// this verifier saw. With no entries, the head must be the anchor itself.
pub fn verify_extension(
    identity_id: &str,
    anchor: &Anchor,
    entries: &[LogEntry],
    head: &SignedHead,
    service_public_key: &[u8],
) -> Result<(), ChainError> {
    if head.key_id != crate::service_key::service_key_id(service_public_key) {
        return Err(ChainError::UnknownKey);
    }
    verify_p256(
        service_public_key,
        &head_bytes(
            identity_id,
            &head.key_id,
            head.seq,
            &head.hash,
            head.signed_at_ms,
        ),
        &head.signature,
    )
    .map_err(|_| ChainError::BadHeadSignature)?;
    if head.seq < anchor.seq || (head.seq == anchor.seq && head.hash != anchor.hash) {
        return Err(ChainError::NotAnExtension(anchor.seq));
    }
    let mut prev = anchor.hash.clone();
    let mut expected_seq = anchor.seq;
    for e in entries {
        expected_seq = expected_seq
            .checked_add(1)
            .ok_or(ChainError::Gap(expected_seq))?;
        if e.seq != expected_seq {
            return Err(ChainError::Gap(expected_seq));
        }
        // Once `e.prev_hash == prev` holds, hashing the entry's own fields is
        // hashing it after `prev`.
        if e.prev_hash != prev {
            return Err(if e.seq == anchor.seq + 1 && anchor.seq > 0 {
                ChainError::NotAnExtension(anchor.seq)
            } else {
                ChainError::Altered(e.seq)
            });
        }
        let h = e.expected_hash(identity_id);
        if e.hash != h {
            return Err(ChainError::Altered(e.seq));
        }
        prev = h.to_vec();
    }
    if head.seq != expected_seq || head.hash != prev {
        return Err(ChainError::HeadMismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::KeyPair;

    fn chain(n: u64) -> Vec<LogEntry> {
        let mut prev = GENESIS.to_vec();
        (1..=n)
            .map(|seq| {
                let mut e = LogEntry {
                    seq,
                    at_ms: seq as i64,
                    kind: ActivityKind::DeviceRenamed,
                    device_id: None,
                    request_id: None,
                    detail: "d".into(),
                    prev_hash: prev.clone(),
                    hash: Vec::new(),
                };
                e.hash = e.expected_hash("id").to_vec();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn chain_checks_and_tampering_fails() {
        let rng = SystemRandom::new();
        let key = crate::crypto::test_key_pair(&rng);
        let entries = chain(5);
        let last = entries.last().unwrap();
        let pk = key.public_key().as_ref();
        let key_id = crate::service_key::service_key_id(pk);
        let sig = key
            .sign(&rng, &head_bytes("id", &key_id, 5, &last.hash, 9))
            .unwrap();
        let head = SignedHead {
            key_id,
            seq: 5,
            hash: last.hash.clone(),
            signed_at_ms: 9,
            signature: sig.as_ref().to_vec(),
        };
        verify_chain("id", &entries, &head, pk).unwrap();

        let mut edited = entries.clone();
        edited[2].detail = "other".into();
        assert_eq!(
            verify_chain("id", &edited, &head, pk),
            Err(ChainError::Altered(3))
        );
        let mut removed = entries.clone();
        removed.remove(4);
        assert_eq!(
            verify_chain("id", &removed, &head, pk),
            Err(ChainError::HeadMismatch)
        );
        let mut reordered = entries.clone();
        reordered.swap(1, 2);
        assert_eq!(
            verify_chain("id", &reordered, &head, pk),
            Err(ChainError::Gap(2))
        );
        assert_eq!(
            verify_chain("other-id", &entries, &head, pk),
            Err(ChainError::BadHeadSignature)
        );
        // Another key's id, or the right id with a forged signature.
        let other = crate::crypto::test_key_pair(&rng);
        assert_eq!(
            verify_chain("id", &entries, &head, other.public_key().as_ref()),
            Err(ChainError::UnknownKey)
        );
        let mut renamed = head.clone();
        renamed.key_id = crate::service_key::service_key_id(other.public_key().as_ref());
        assert_eq!(
            verify_chain("id", &entries, &renamed, other.public_key().as_ref()),
            Err(ChainError::BadHeadSignature)
        );
    }

    fn signed_head(key: &ring::signature::EcdsaKeyPair, seq: u64, hash: &[u8]) -> SignedHead {
        let rng = SystemRandom::new();
        let key_id = crate::service_key::service_key_id(key.public_key().as_ref());
        let sig = key
            .sign(&rng, &head_bytes("id", &key_id, seq, hash, 9))
            .unwrap();
        SignedHead {
            key_id,
            seq,
            hash: hash.to_vec(),
            signed_at_ms: 9,
            signature: sig.as_ref().to_vec(),
        }
    }

    #[test]
    fn extension_from_an_anchor_checks_page_by_page() {
        let rng = SystemRandom::new();
        let key = crate::crypto::test_key_pair(&rng);
        let pk = key.public_key().as_ref();
        let entries = chain(10);
        let head = signed_head(&key, 10, &entries[9].hash);
        let anchor = Anchor {
            seq: 4,
            hash: entries[3].hash.clone(),
        };
        verify_extension("id", &anchor, &entries[4..], &head, pk).unwrap();
        // Nothing new: the head must be the anchor itself.
        let at_anchor = signed_head(&key, 4, &entries[3].hash);
        verify_extension("id", &anchor, &[], &at_anchor, pk).unwrap();
        // Starting anywhere but right after the anchor is a gap.
        assert_eq!(
            verify_extension("id", &anchor, &entries[5..], &head, pk),
            Err(ChainError::Gap(5))
        );
        // A page that stops short of the head does not check out on its own.
        assert_eq!(
            verify_extension("id", &anchor, &entries[4..8], &head, pk),
            Err(ChainError::HeadMismatch)
        );
    }

    #[test]
    fn a_log_cut_back_or_rewritten_behind_the_anchor_is_refused() {
        let rng = SystemRandom::new();
        let key = crate::crypto::test_key_pair(&rng);
        let pk = key.public_key().as_ref();
        let entries = chain(10);
        let anchor = Anchor {
            seq: 8,
            hash: entries[7].hash.clone(),
        };
        // The service now signs a shorter log: rolled back.
        let shorter = signed_head(&key, 6, &entries[5].hash);
        assert_eq!(
            verify_extension("id", &anchor, &[], &shorter, pk),
            Err(ChainError::NotAnExtension(8))
        );
        // Same length, another last entry: forked.
        let forked = signed_head(&key, 8, &entries[6].hash);
        assert_eq!(
            verify_extension("id", &anchor, &[], &forked, pk),
            Err(ChainError::NotAnExtension(8))
        );
        // A rewritten history that grows past the anchor does not link to it.
        let mut other = chain(10);
        for e in &mut other {
            e.at_ms += 1;
        }
        let mut prev = GENESIS.to_vec();
        for e in &mut other {
            e.prev_hash = prev.clone();
            e.hash = e.expected_hash("id").to_vec();
            prev = e.hash.clone();
        }
        let rewritten = signed_head(&key, 10, &other[9].hash);
        assert_eq!(
            verify_extension("id", &anchor, &other[8..], &rewritten, pk),
            Err(ChainError::NotAnExtension(8))
        );
    }
}
