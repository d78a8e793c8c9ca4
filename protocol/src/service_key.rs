//! The service's signing keys as apps see them: key ids, and the rotation
//! statement by which a new key reaches apps that trust the old one.
//!
//! An app learns the service's public key at activation. The activity-log
//! head names the key that signed it ([`crate::activity::SignedHead::key_id`]).
//! When the service rotates its key, it signs a [`KeyRotation`] with the key
//! it is leaving; an app that trusts that key checks the statement and from
//! then on trusts the new key too. Heads signed by a retired key are still
//! accepted when they were signed before its rotation.

use serde::{Deserialize, Serialize};

use crate::crypto::{hex_lower, sha256, verify_p256};
use crate::encoding::{b64, CanonicalWriter};

/// Domain tag of the key-rotation statement.
pub const ROTATION_DOMAIN: &str = "akuersi/v1/key-rotation";
/// Raw prefix of a service key id's hash input.
pub const KEY_ID_PREFIX: &[u8] = b"akuersi/v1/service-key-id";
/// Length of an uncompressed SEC1 P-256 public key.
const P256_PUBLIC_KEY_LEN: usize = 65;

/// A service key's id: the first 8 bytes of SHA-256("akuersi/v1/service-key-id"
/// ‖ uncompressed public key), in lower-case hex (16 characters).
pub fn service_key_id(public_key: &[u8]) -> String {
    hex_lower(&sha256(&[KEY_ID_PREFIX, public_key])[..8])
}

/// A new service key, signed by the key it replaces.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRotation {
    /// Id of the key being retired (which signs this statement).
    pub old_key_id: String,
    /// The new key (uncompressed P-256, 65 bytes).
    #[serde(with = "b64")]
    pub new_public_key: Vec<u8>,
    /// When the service rotated. Heads the old key signed after this are refused.
    pub rotated_at_ms: i64,
    /// The old key's signature (r ‖ s) over [`rotation_bytes`].
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

/// Canonical bytes the retiring key signs:
/// `str "akuersi/v1/key-rotation"; str old_key_id; bytes new_public_key; i64 rotated_at_ms`.
pub fn rotation_bytes(old_key_id: &str, new_public_key: &[u8], rotated_at_ms: i64) -> Vec<u8> {
    let mut w = CanonicalWriter::new(ROTATION_DOMAIN);
    w.str(old_key_id).bytes(new_public_key).i64(rotated_at_ms);
    w.finish()
}

/// Why a rotation statement was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RotationError {
    /// The statement does not name the key it is checked against.
    #[error("the key rotation names another key")]
    WrongKey,
    /// The new key is not an uncompressed P-256 point.
    #[error("the key rotation's new key is malformed")]
    BadNewKey,
    /// The old key's signature does not verify.
    #[error("the key rotation's signature does not verify")]
    BadSignature,
}

/// Check one rotation statement against the key the caller trusts.
pub fn verify_rotation(trusted_public_key: &[u8], r: &KeyRotation) -> Result<(), RotationError> {
    if r.old_key_id != service_key_id(trusted_public_key) {
        return Err(RotationError::WrongKey);
    }
    if r.new_public_key.len() != P256_PUBLIC_KEY_LEN || r.new_public_key[0] != 0x04 {
        return Err(RotationError::BadNewKey);
    }
    verify_p256(
        trusted_public_key,
        &rotation_bytes(&r.old_key_id, &r.new_public_key, r.rotated_at_ms),
        &r.signature,
    )
    .map_err(|_| RotationError::BadSignature)
}

/// Follow the rotations from the key the caller trusts now: the statement
/// that retires it, then the one that retires its successor, and so on.
/// Statements about keys before `trusted` are ignored. Returns the rotations
/// that apply, oldest first (empty when `trusted` is still current); any
/// statement in the chain that does not verify fails the whole walk.
pub fn follow_rotations<'a>(
    trusted_public_key: &[u8],
    rotations: &'a [KeyRotation],
) -> Result<Vec<&'a KeyRotation>, RotationError> {
    let mut current = trusted_public_key.to_vec();
    let mut chain = Vec::new();
    // Bounded by the number of statements, so a cycle cannot loop forever.
    while chain.len() < rotations.len() {
        let id = service_key_id(&current);
        let Some(next) = rotations.iter().find(|r| r.old_key_id == id) else {
            break;
        };
        verify_rotation(&current, next)?;
        current = next.new_public_key.clone();
        chain.push(next);
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::rand::SystemRandom;
    use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

    fn key() -> EcdsaKeyPair {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng).unwrap()
    }

    fn rotate(old: &EcdsaKeyPair, new: &EcdsaKeyPair, at: i64) -> KeyRotation {
        let old_id = service_key_id(old.public_key().as_ref());
        let new_pk = new.public_key().as_ref().to_vec();
        let sig = old
            .sign(&SystemRandom::new(), &rotation_bytes(&old_id, &new_pk, at))
            .unwrap();
        KeyRotation {
            old_key_id: old_id,
            new_public_key: new_pk,
            rotated_at_ms: at,
            signature: sig.as_ref().to_vec(),
        }
    }

    #[test]
    fn a_chain_of_rotations_is_followed_from_any_trusted_key() {
        let (a, b, c) = (key(), key(), key());
        let rotations = vec![rotate(&a, &b, 10), rotate(&b, &c, 20)];
        let from_a = follow_rotations(a.public_key().as_ref(), &rotations).unwrap();
        assert_eq!(from_a.len(), 2);
        assert_eq!(from_a[1].new_public_key, c.public_key().as_ref());
        let from_b = follow_rotations(b.public_key().as_ref(), &rotations).unwrap();
        assert_eq!(from_b.len(), 1);
        assert!(follow_rotations(c.public_key().as_ref(), &rotations)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn a_rotation_not_signed_by_the_trusted_key_is_refused() {
        let (a, b, mallory) = (key(), key(), key());
        // Mallory signs a statement that claims to retire `a`.
        let mut forged = rotate(&mallory, &b, 10);
        forged.old_key_id = service_key_id(a.public_key().as_ref());
        assert_eq!(
            follow_rotations(a.public_key().as_ref(), &[forged.clone()]),
            Err(RotationError::BadSignature)
        );
        let mut good = rotate(&a, &b, 10);
        good.rotated_at_ms += 1;
        assert_eq!(
            verify_rotation(a.public_key().as_ref(), &good),
            Err(RotationError::BadSignature)
        );
        assert_eq!(
            verify_rotation(b.public_key().as_ref(), &rotate(&a, &b, 10)),
            Err(RotationError::WrongKey)
        );
        let mut short = rotate(&a, &b, 10);
        short.new_public_key.pop();
        assert_eq!(
            verify_rotation(a.public_key().as_ref(), &short),
            Err(RotationError::BadNewKey)
        );
    }

    #[test]
    fn key_ids_are_sixteen_hex_characters_and_differ_per_key() {
        let (a, b) = (key(), key());
        let ida = service_key_id(a.public_key().as_ref());
        assert_eq!(ida.len(), 16);
        assert!(ida.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(ida, service_key_id(b.public_key().as_ref()));
    }
}

#[cfg(test)]
mod vectors {
    //! docs/PROTOCOL.md §11.8, checked.
    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn public_of(d: [u8; 32]) -> Vec<u8> {
        use p256::elliptic_curve::sec1::ToEncodedPoint;
        p256::SecretKey::from_slice(&d)
            .unwrap()
            .public_key()
            .to_encoded_point(false)
            .as_bytes()
            .to_vec()
    }

    #[test]
    fn the_documented_rotation_and_head_vectors_hold() {
        let old = public_of([0x11; 32]);
        let new = public_of([0x22; 32]);
        assert_eq!(hex_lower(&old), "040217e617f0b6443928278f96999e69a23a4f2c152bdf6d6cdf66e5b80282d4ed194a7debcb97712d2dda3ca85aa8765a56f45fc758599652f2897c65306e5794");
        assert_eq!(hex_lower(&new), "04d65a93977caa3d1b081852ff57a79e465f1660577304baead505dd3a48589cf350185e895372df6221ea3a137557e473fddb6755f05bd507c3c533fce9c91285");
        assert_eq!(service_key_id(&old), "7f3c9bdc4f9bccf4");
        assert_eq!(service_key_id(&new), "76e62324b41da8e7");
        let bytes = rotation_bytes("7f3c9bdc4f9bccf4", &new, 1_796_083_200_000);
        assert_eq!(hex_lower(&bytes), "00000017616b75657273692f76312f6b65792d726f746174696f6e00000010376633633962646334663962636366340000004104d65a93977caa3d1b081852ff57a79e465f1660577304baead505dd3a48589cf350185e895372df6221ea3a137557e473fddb6755f05bd507c3c533fce9c91285000001a22ee6b000");
        let rotation = KeyRotation {
            old_key_id: "7f3c9bdc4f9bccf4".into(),
            new_public_key: new,
            rotated_at_ms: 1_796_083_200_000,
            signature: unhex("b12885182899841b3d7467f071ca69ee4a63298b48a5b32a673d303bee2f1f20cba688b142e11a968088e34bbde8d0839f1b37b002e6ba222e884f380b22109d"),
        };
        verify_rotation(&old, &rotation).unwrap();
        let head = crate::activity::head_bytes(
            "0123456789abcdef0123456789abcdef",
            "7f3c9bdc4f9bccf4",
            1,
            &[0xab; 32],
            1_796_083_200_000,
        );
        assert_eq!(hex_lower(&head), "00000018616b75657273692f76312f61637469766974792d686561640000002030313233343536373839616263646566303132333435363738396162636465660000001037663363396264633466396263636634000000000000000100000020abababababababababababababababababababababababababababababababab000001a22ee6b000");
        verify_p256(&old, &head, &unhex("f16242d47902d53847fef389cf47c1cfa708138ecf3f6d2255d1b8a457c6a0b105ef8308ffba91d361a0fd9661074397fbc37faf7f83a332f681e9102b66c81e")).unwrap();
    }
}
