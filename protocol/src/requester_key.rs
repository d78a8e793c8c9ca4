//! A requester's credential: the P-256 key that signs its
//! [`RequesterSigned`] calls, and the PEM files it is kept in (PKCS#8
//! `PRIVATE KEY` for the requester, SubjectPublicKeyInfo `PUBLIC KEY` for
//! the operator who registers it).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use zeroize::Zeroizing;

use crate::crypto::{random_array, RandomFailure, P256_PUBLIC_KEY_LEN};
use crate::wire::{RequesterBody, RequesterSigned, REQUESTER_NONCE_LEN};

/// The DER prefix of a SubjectPublicKeyInfo for an uncompressed P-256 key
/// (id-ecPublicKey, prime256v1, a 66-byte bit string); the 65-byte point follows.
const SPKI_P256_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// Why a requester key could not be made, read or used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequesterKeyError {
    /// Not a PEM block of the expected label, or bad base64.
    #[error("not a PEM {0} block")]
    Pem(&'static str),
    /// The key is not a P-256 key in the expected form.
    #[error("not a P-256 key in the expected form")]
    NotP256,
    /// The system random number generator failed.
    #[error(transparent)]
    Random(#[from] RandomFailure),
}

/// A requester's signing key. Its PKCS#8 bytes are never shown by `Debug`.
pub struct RequesterKey {
    requester_id: String,
    pair: EcdsaKeyPair,
}

impl std::fmt::Debug for RequesterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequesterKey")
            .field("requester_id", &self.requester_id)
            .finish_non_exhaustive()
    }
}

impl RequesterKey {
    /// A fresh key for `requester_id`, with its PKCS#8 bytes (to keep in a 0600 file).
    pub fn generate(requester_id: &str) -> Result<(Self, Zeroizing<Vec<u8>>), RequesterKeyError> {
        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| RequesterKeyError::Random(RandomFailure))?;
        let pkcs8 = Zeroizing::new(doc.as_ref().to_vec());
        Ok((Self::from_pkcs8(requester_id, &pkcs8)?, pkcs8))
    }

    /// The key for `requester_id` from PKCS#8 bytes.
    pub fn from_pkcs8(requester_id: &str, pkcs8: &[u8]) -> Result<Self, RequesterKeyError> {
        let pair = EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8,
            &SystemRandom::new(),
        )
        .map_err(|_| RequesterKeyError::NotP256)?;
        Ok(Self {
            requester_id: requester_id.to_owned(),
            pair,
        })
    }

    /// The key for `requester_id` from a PKCS#8 `PRIVATE KEY` PEM text.
    pub fn from_pem(requester_id: &str, pem: &str) -> Result<Self, RequesterKeyError> {
        let der = Zeroizing::new(pem_decode(pem, "PRIVATE KEY")?);
        Self::from_pkcs8(requester_id, &der)
    }

    /// The requester this key signs for.
    pub fn requester_id(&self) -> &str {
        &self.requester_id
    }

    /// The public key, uncompressed SEC1 (65 bytes), as the registry holds it.
    pub fn public_key(&self) -> Vec<u8> {
        self.pair.public_key().as_ref().to_vec()
    }

    /// Sign `body` at `timestamp_ms` (the requester's clock) with a fresh nonce.
    pub fn sign<T: RequesterBody>(
        &self,
        body: T,
        timestamp_ms: i64,
    ) -> Result<RequesterSigned<T>, RequesterKeyError> {
        let nonce = random_array::<REQUESTER_NONCE_LEN>()?.to_vec();
        let bytes = RequesterSigned::signed_bytes(&self.requester_id, timestamp_ms, &nonce, &body);
        let signature = self
            .pair
            .sign(&SystemRandom::new(), &bytes)
            .map_err(|_| RequesterKeyError::Random(RandomFailure))?
            .as_ref()
            .to_vec();
        Ok(RequesterSigned {
            requester_id: self.requester_id.clone(),
            timestamp_ms,
            nonce,
            body,
            signature,
        })
    }
}

/// A PEM block of `label` around `der` (64-character lines).
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// The DER inside the first PEM block of `label` in `pem`.
pub fn pem_decode(pem: &str, label: &'static str) -> Result<Vec<u8>, RequesterKeyError> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = pem.find(&begin).ok_or(RequesterKeyError::Pem(label))? + begin.len();
    let stop = pem[start..]
        .find(&end)
        .ok_or(RequesterKeyError::Pem(label))?
        + start;
    let b64: String = pem[start..stop]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    STANDARD
        .decode(b64)
        .map_err(|_| RequesterKeyError::Pem(label))
}

/// A P-256 public key (65-byte uncompressed SEC1) as a `PUBLIC KEY` PEM.
pub fn public_key_pem(public_key: &[u8]) -> String {
    let mut der = SPKI_P256_PREFIX.to_vec();
    der.extend_from_slice(public_key);
    pem_encode("PUBLIC KEY", &der)
}

/// Refuse anything but an uncompressed SEC1 P-256 point on the curve.
pub fn check_public_key(point: &[u8]) -> Result<(), RequesterKeyError> {
    if point.len() != P256_PUBLIC_KEY_LEN || point[0] != 4 {
        return Err(RequesterKeyError::NotP256);
    }
    p256::PublicKey::from_sec1_bytes(point)
        .map(|_| ())
        .map_err(|_| RequesterKeyError::NotP256)
}

/// The 65-byte uncompressed point of a P-256 `PUBLIC KEY` PEM (as
/// `openssl ec -pubout` writes it); anything else is refused.
pub fn parse_public_key_pem(pem: &str) -> Result<Vec<u8>, RequesterKeyError> {
    let der = pem_decode(pem, "PUBLIC KEY")?;
    let point = der
        .strip_prefix(&SPKI_P256_PREFIX[..])
        .ok_or(RequesterKeyError::NotP256)?;
    check_public_key(point)?;
    Ok(point.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::verify_p256;
    use crate::wire::PollRequest;

    #[test]
    fn a_signed_call_verifies_under_the_public_key_and_nowhere_else() {
        let (key, pkcs8) = RequesterKey::generate("demo-bank").unwrap();
        let msg = key
            .sign(
                PollRequest {
                    poll_handle: "h".into(),
                },
                1_800_000_000_000,
            )
            .unwrap();
        assert_eq!(msg.nonce.len(), REQUESTER_NONCE_LEN);
        assert!(verify_p256(&key.public_key(), &msg.bytes(), &msg.signature).is_ok());
        let mut other = msg.clone();
        other.requester_id = "other-bank".into();
        assert!(verify_p256(&key.public_key(), &other.bytes(), &other.signature).is_err());
        // The PEM round trips give back the same key.
        let again =
            RequesterKey::from_pem("demo-bank", &pem_encode("PRIVATE KEY", &pkcs8)).unwrap();
        assert_eq!(again.public_key(), key.public_key());
        let pem = public_key_pem(&key.public_key());
        assert_eq!(parse_public_key_pem(&pem).unwrap(), key.public_key());
    }

    #[test]
    fn bad_public_keys_are_refused() {
        assert_eq!(
            parse_public_key_pem("nothing here"),
            Err(RequesterKeyError::Pem("PUBLIC KEY"))
        );
        let mut off_curve = vec![4u8];
        off_curve.extend_from_slice(&[1u8; 64]);
        assert_eq!(
            parse_public_key_pem(&public_key_pem(&off_curve)),
            Err(RequesterKeyError::NotP256)
        );
        assert_eq!(
            parse_public_key_pem(&pem_encode("PUBLIC KEY", &[0x30, 0x00])),
            Err(RequesterKeyError::NotP256)
        );
    }
}
