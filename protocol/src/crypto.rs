//! Small wrappers over `ring`: randomness, hashing and P-256 signature checks.

use ring::rand::{SecureRandom, SystemRandom};
use ring::signature::{UnparsedPublicKey, ECDSA_P256_SHA256_FIXED};

/// Length of an uncompressed SEC1 P-256 public key.
pub const P256_PUBLIC_KEY_LEN: usize = 65;
/// Length of a fixed-width (r ‖ s) P-256 ECDSA signature.
pub const P256_SIGNATURE_LEN: usize = 64;

/// A signature that does not verify, or a key that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("signature does not verify")]
pub struct BadSignature;

/// The system's random number generator failed (should never happen).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the system random number generator failed")]
pub struct RandomFailure;

/// Fill a fresh array with random bytes from the operating system.
pub fn random_array<const N: usize>() -> Result<[u8; N], RandomFailure> {
    let mut out = [0u8; N];
    SystemRandom::new()
        .fill(&mut out)
        .map_err(|_| RandomFailure)?;
    Ok(out)
}

/// SHA-256 of the concatenation of `parts`.
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(p);
    }
    let d = ctx.finish();
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

/// Verify a fixed-width ECDSA P-256/SHA-256 signature over `message` with an
/// uncompressed SEC1 public key.
pub fn verify_p256(
    public_key: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), BadSignature> {
    if public_key.len() != P256_PUBLIC_KEY_LEN || signature.len() != P256_SIGNATURE_LEN {
        return Err(BadSignature);
    }
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public_key)
        .verify(message, signature)
        .map_err(|_| BadSignature)
}

/// A device's id: the first 16 bytes of SHA-256 over a domain tag and its
/// public key, in lower-case hex. Anyone can recompute it from the key.
pub fn device_id_for(public_key: &[u8]) -> String {
    let h = sha256(&[b"akuersi/v1/device-id", public_key]);
    hex_lower(&h[..16])
}

/// Lower-case hex.
pub fn hex_lower(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        s.push(DIGITS[(x >> 4) as usize] as char);
        s.push(DIGITS[(x & 15) as usize] as char);
    }
    s
}

/// A fresh random identifier: 16 random bytes in lower-case hex (128 bits).
pub fn random_id() -> Result<String, RandomFailure> {
    Ok(hex_lower(&random_array::<16>()?))
}

/// True if `s` is a 32-character lower-case hex id as made by [`random_id`] or
/// [`device_id_for`].
pub fn is_hex_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Constant-time equality of two byte strings (length may leak).
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut acc = 0u8;
    for (x, y) in a.iter().zip(b) {
        acc |= x ^ y;
    }
    acc == 0
}

/// A fresh P-256 signing key, for the crate's tests.
#[cfg(test)]
pub(crate) fn test_key_pair(rng: &SystemRandom) -> ring::signature::EcdsaKeyPair {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, rng).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), rng).unwrap()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ring::signature::KeyPair;

    #[test]
    fn verify_accepts_good_and_refuses_bad() {
        let rng = SystemRandom::new();
        let kp = test_key_pair(&rng);
        let sig = kp.sign(&rng, b"hello").unwrap();
        let pk = kp.public_key().as_ref();
        assert!(verify_p256(pk, b"hello", sig.as_ref()).is_ok());
        assert!(verify_p256(pk, b"hellp", sig.as_ref()).is_err());
        assert!(verify_p256(&pk[..64], b"hello", sig.as_ref()).is_err());
        assert!(verify_p256(pk, b"hello", &sig.as_ref()[..63]).is_err());
        assert_eq!(device_id_for(pk).len(), 32);
        assert!(is_hex_id(&device_id_for(pk)));
        assert!(!is_hex_id("ABCDEF"));
    }

    #[test]
    fn ids_are_random_and_ct_eq_works() {
        assert_ne!(random_id().unwrap(), random_id().unwrap());
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert_eq!(hex_lower(&[0, 255, 16]), "00ff10");
    }
}
