//! The PIN: six digits, checked against a blocklist when it is chosen, turned
//! into SPAKE2+ secrets together with a device-held random secret, and never
//! stored or sent.
//!
//! KDF: PBKDF2-HMAC-SHA256 (ring), password = the six digits, salt = canonical
//! bytes of ("akuersi/v1/pin-kdf", device secret, device id, service id),
//! 80 bytes of output split into w0s ‖ w1s as RFC 9383 §3.2 asks. The 256-bit
//! device secret is what stops offline search: the service's database holds
//! (w0, L) but not the device secret, and the device holds the device secret
//! but nothing a PIN guess can be checked against. The iteration count
//! (600,000 by default, OWASP's figure for PBKDF2-HMAC-SHA256) only matters if
//! both are stolen together; see docs/THREAT_MODEL.md.

use zeroize::{Zeroize, Zeroizing};

use crate::encoding::CanonicalWriter;
use crate::spake2plus::{secrets_from_kdf_output, PakeScalar};

/// Number of digits in a PIN.
pub const PIN_LEN: usize = 6;
/// Default PBKDF2-HMAC-SHA256 iteration count (OWASP 2023 guidance).
pub const DEFAULT_KDF_ITERATIONS: u32 = 600_000;
/// Smallest iteration count a service accepts (kept low so tests stay fast).
pub const MIN_KDF_ITERATIONS: u32 = 1_000;
/// Largest iteration count a service accepts (bounds the work a client asks for).
pub const MAX_KDF_ITERATIONS: u32 = 10_000_000;
/// The verifier identity bound into every SPAKE2+ exchange.
pub const PAKE_VERIFIER_ID: &[u8] = b"akuersi-service/v1";
/// Length of the random device secret.
pub const DEVICE_SECRET_LEN: usize = 32;

/// Why a PIN was refused. Messages never repeat the PIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    /// Not exactly six ASCII digits.
    #[error("a PIN is exactly 6 digits")]
    Format,
    /// Easy to guess (000000, 123456, 121212, …).
    #[error("this PIN is too easy to guess; choose another")]
    TooSimple,
}

/// A PIN held in memory that is wiped when dropped. It has no `Debug` output
/// beyond a placeholder and cannot be cloned.
pub struct Pin(Zeroizing<String>);

impl Pin {
    /// Accept a PIN for use (format check only). Takes ownership so the caller's
    /// copy is wiped with this one.
    pub fn new(input: String) -> Result<Self, PinError> {
        let pin = Pin(Zeroizing::new(input));
        if pin.0.len() != PIN_LEN || !pin.0.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PinError::Format);
        }
        Ok(pin)
    }

    /// Accept a newly chosen PIN: format check plus the blocklist.
    pub fn new_chosen(input: String) -> Result<Self, PinError> {
        let pin = Self::new(input)?;
        if is_too_simple(pin.0.as_bytes()) {
            return Err(PinError::TooSimple);
        }
        Ok(pin)
    }

    fn digits(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl std::fmt::Debug for Pin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Pin([redacted])")
    }
}

/// Obvious PINs: one digit repeated, runs up or down (wrapping 9→0),
/// repeated pairs (121212) and triples (123123), doubled digits (112233),
/// mirror images (123321), and keypad patterns.
pub fn is_too_simple(d: &[u8]) -> bool {
    if d.len() != PIN_LEN {
        return false;
    }
    let v: Vec<i16> = d.iter().map(|b| i16::from(*b) - i16::from(b'0')).collect();
    let step = |k: i16| {
        v.windows(2)
            .all(|w| (w[1] - w[0]).rem_euclid(10) == k.rem_euclid(10))
    };
    let all_same = step(0);
    let run = step(1) || step(-1);
    let pairs = v[0] == v[2] && v[2] == v[4] && v[1] == v[3] && v[3] == v[5];
    let triples = v[..3] == v[3..];
    let doubled = v[0] == v[1] && v[2] == v[3] && v[4] == v[5];
    let mirror = v[0] == v[5] && v[1] == v[4] && v[2] == v[3];
    const KEYPAD: [&[u8]; 8] = [
        b"147258", b"258369", b"369258", b"159753", b"753951", b"102030", b"147852", b"789456",
    ];
    all_same || run || pairs || triples || doubled || mirror || KEYPAD.contains(&d)
}

/// Derive the SPAKE2+ secrets (w0, w1) from the PIN and the device's secret.
/// May take a few hundred milliseconds at the default cost: call it off the
/// main thread.
pub fn derive_pake_secrets(
    pin: &Pin,
    device_secret: &[u8],
    device_id: &str,
    iterations: u32,
) -> (PakeScalar, PakeScalar) {
    let mut salt = CanonicalWriter::new("akuersi/v1/pin-kdf");
    salt.bytes(device_secret)
        .str(device_id)
        .bytes(PAKE_VERIFIER_ID);
    let mut salt = salt.finish();
    let mut okm = Zeroizing::new([0u8; 80]);
    let iterations =
        std::num::NonZeroU32::new(iterations.max(1)).unwrap_or(std::num::NonZeroU32::MIN);
    ring::pbkdf2::derive(
        ring::pbkdf2::PBKDF2_HMAC_SHA256,
        iterations,
        &salt,
        pin.digits(),
        &mut okm[..],
    );
    salt.zeroize();
    secrets_from_kdf_output(&okm)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_six_digits() {
        assert!(Pin::new("482916".into()).is_ok());
        for bad in ["48291", "4829167", "48291a", "４８２９１６", " 48291", ""] {
            assert_eq!(Pin::new(bad.into()).err(), Some(PinError::Format), "{bad}");
        }
    }

    #[test]
    fn blocklist_catches_obvious_pins() {
        for bad in [
            "000000", "999999", "123456", "654321", "890123", "121212", "696969", "123123",
            "112233", "123321", "147258", "159753",
        ] {
            assert_eq!(
                Pin::new_chosen(bad.into()).err(),
                Some(PinError::TooSimple),
                "{bad}"
            );
        }
        for good in ["482916", "730518", "275194"] {
            assert!(Pin::new_chosen(good.into()).is_ok(), "{good}");
        }
    }

    #[test]
    fn debug_hides_the_pin() {
        let p = Pin::new("482916".into()).unwrap();
        assert!(!format!("{p:?}").contains("482916"));
    }

    #[test]
    fn derivation_depends_on_pin_secret_and_device() {
        let pin = Pin::new("482916".into()).unwrap();
        let other = Pin::new("482917".into()).unwrap();
        let s1 = [1u8; 32];
        let s2 = [2u8; 32];
        let w = |p: &Pin, s: &[u8], d: &str| {
            let (w0, w1) = derive_pake_secrets(p, s, d, 1_000);
            (*w0.to_bytes(), *w1.to_bytes())
        };
        let base = w(&pin, &s1, "dev-a");
        assert_eq!(base, w(&pin, &s1, "dev-a"));
        assert_ne!(base, w(&other, &s1, "dev-a"));
        assert_ne!(base, w(&pin, &s2, "dev-a"));
        assert_ne!(base, w(&pin, &s1, "dev-b"));
        assert_ne!(base.0, base.1);
    }
}
