//! The PIN: six digits, checked against a blocklist when it is chosen, turned
//! into SPAKE2+ secrets together with a device-held random secret, and never
//! stored or sent.
//!
//! KDF: PBKDF2-HMAC-SHA256 (our own, on sha2's compression function, with
//! every PIN-derived state zeroized on drop), password = the six digits, salt = canonical
//! bytes of ("akuersi/v1/pin-kdf", device secret, device id, service id),
//! 80 bytes of output split into w0s ‖ w1s as RFC 9383 §3.2 asks. The 256-bit
//! device secret is what stops offline search: the service's database holds
//! (w0, L) but not the device secret, and the device holds the device secret
//! but nothing a PIN guess can be checked against. The iteration count
//! (600,000 by default, OWASP's figure for PBKDF2-HMAC-SHA256) only matters if
//! both are stolen together; see docs/THREAT_MODEL.md. The three PBKDF2
//! output blocks are computed on three threads at once (same bytes as a
//! sequential PBKDF2; see [`pbkdf2_hmac_sha256`]).

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

/// Its only field is a `Zeroizing<String>`, wiped when the PIN is dropped.
impl zeroize::ZeroizeOnDrop for Pin {}

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
/// main thread. Uses up to three threads (see [`pbkdf2_hmac_sha256`]).
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
    let mut okm = Zeroizing::new([0u8; KDF_OUTPUT_LEN]);
    pbkdf2_hmac_sha256(pin.digits(), &salt, iterations, &mut okm);
    salt.zeroize();
    secrets_from_kdf_output(&okm)
}

/// Bytes of KDF output: w0s ‖ w1s, 40 bytes each (RFC 9383 §3.2).
const KDF_OUTPUT_LEN: usize = 80;
/// One PBKDF2-HMAC-SHA256 block.
const BLOCK_LEN: usize = 32;
/// Blocks in the output (the last one is cut to 16 bytes).
const BLOCKS: usize = KDF_OUTPUT_LEN.div_ceil(BLOCK_LEN);

/// PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) of 80 bytes, bit for bit what
/// `ring::pbkdf2::derive` gives, with its three output blocks computed on
/// three threads at once, each on the bare compression function
/// (`hmac_chain`).
///
/// The blocks are independent by definition, so this changes no output; it
/// changes who pays. The owner waits for one block where the phone has three
/// free cores (two blocks on this two-core machine) instead of three in a
/// row, while someone testing PIN guesses against a stolen verifier record
/// still needs two full blocks per guess (`w0` spans bytes 0..40). At
/// 600,000 iterations per block the attacker's cost stays 1.2 million HMACs
/// per guess, twice OWASP's figure for one PBKDF2-HMAC-SHA256 output. If a
/// thread cannot be started, its block is computed on the calling thread.
pub fn pbkdf2_hmac_sha256(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8; 80]) {
    let key = hmac_chain::HmacKey::new(password);
    let iterations = iterations.max(1);
    let mut blocks: [Zeroizing<[u8; BLOCK_LEN]>; BLOCKS] = Default::default();
    std::thread::scope(|scope| {
        let key = &key;
        let others: Vec<_> = (2..=BLOCKS as u32)
            .map(|index| {
                let thread = std::thread::Builder::new()
                    .name("akuersi-pin-kdf".into())
                    .spawn_scoped(scope, move || pbkdf2_block(key, salt, iterations, index));
                (index, thread.ok())
            })
            .collect();
        blocks[0] = pbkdf2_block(key, salt, iterations, 1);
        for (index, thread) in others {
            blocks[index as usize - 1] = match thread.and_then(|t| t.join().ok()) {
                Some(block) => block,
                None => pbkdf2_block(key, salt, iterations, index),
            };
        }
    });
    for (chunk, block) in out.chunks_mut(BLOCK_LEN).zip(blocks.iter()) {
        chunk.copy_from_slice(&block[..chunk.len()]);
    }
}

/// F(P, S, c, i) of RFC 8018: U1 = HMAC(P, S ‖ INT(i)), Uj = HMAC(P, Uj-1),
/// T = U1 ⊕ … ⊕ Uc.
fn pbkdf2_block(
    key: &hmac_chain::HmacKey,
    salt: &[u8],
    iterations: u32,
    index: u32,
) -> Zeroizing<[u8; BLOCK_LEN]> {
    let mut t = Zeroizing::new([0u8; BLOCK_LEN]);
    let u = key.mac(&[salt, &index.to_be_bytes()]);
    xor(&mut t, &u[..]);
    key.iterate(&u[..], iterations, &mut t);
    t
}

/// HMAC-SHA256 and PBKDF2's iterations U2…Uc on the bare SHA-256
/// compression function, with every state and buffer derived from the PIN
/// in a zeroizing type (ring's `hmac::Key` and `Context` keep their SHA-256
/// states in plain memory, and sha2's hasher does not wipe its state on drop
/// either, so neither is used for the PIN).
///
/// HMAC-SHA256 of a 32-byte message is exactly two compressions once the
/// key's inner and outer states are precomputed, and the padding of both
/// blocks never changes, so each iteration is two calls with no buffering
/// (as in optimized PBKDF2 crackers and fastpbkdf2). The result is checked
/// against ring's PBKDF2 in the tests.
mod hmac_chain {
    use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

    use super::{xor, BLOCK_LEN};

    /// SHA-256's initial state (FIPS 180-4 §5.3.3).
    const IV: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];

    fn compress(state: &mut [u32; 8], block: &[u8; 64]) {
        sha2::block_api::compress256(state, std::slice::from_ref(block));
    }

    /// An HMAC-SHA256 key as its inner and outer states (each the state after
    /// one compression of the key block XOR ipad / opad): all HMAC needs of
    /// the key, and all of it wiped when dropped.
    #[derive(Zeroize, ZeroizeOnDrop)]
    pub(super) struct HmacKey {
        inner: [u32; 8],
        outer: [u32; 8],
    }

    impl HmacKey {
        pub(super) fn new(password: &[u8]) -> Self {
            let mut block = Zeroizing::new([0u8; 64]);
            if password.len() > 64 {
                // HMAC hashes long keys first (RFC 2104); a PIN never is.
                let digest = finish(IV, 0, &[password]);
                block[..32].copy_from_slice(&digest[..]);
            } else {
                block[..password.len()].copy_from_slice(password);
            }
            let keyed = |pad: u8| {
                let mut padded = Zeroizing::new(*block);
                for b in padded.iter_mut() {
                    *b ^= pad;
                }
                let mut state = Zeroizing::new(IV);
                compress(&mut state, &padded);
                state
            };
            Self {
                inner: *keyed(0x36),
                outer: *keyed(0x5c),
            }
        }

        /// HMAC-SHA256 of the concatenation of `parts`.
        pub(super) fn mac(&self, parts: &[&[u8]]) -> Zeroizing<[u8; BLOCK_LEN]> {
            let inner = finish(self.inner, 64, parts);
            finish(self.outer, 64, &[&inner[..]])
        }

        /// Given U1 (already XORed into `t`), compute U2…Uc and XOR them
        /// into `t`.
        pub(super) fn iterate(&self, u1: &[u8], iterations: u32, t: &mut [u8; BLOCK_LEN]) {
            // `message` holds Uj-1 for the inner hash, `digest` the inner hash
            // for the outer one; the outer result Uj goes back into `message`.
            let mut message = padded();
            let mut digest = padded();
            message[..BLOCK_LEN].copy_from_slice(u1);
            let mut state = Zeroizing::new([0u32; 8]);
            for _ in 1..iterations {
                *state = self.inner;
                compress(&mut state, &message);
                store(&state, &mut digest);
                *state = self.outer;
                compress(&mut state, &digest);
                store(&state, &mut message);
                xor(t, &message[..BLOCK_LEN]);
            }
        }
    }

    /// SHA-256 from `state`, which has already absorbed `done` bytes (a
    /// multiple of 64), over the concatenation of `parts`, with the padding
    /// and length of the whole message. Every buffer is wiped when dropped.
    fn finish(state: [u32; 8], done: u64, parts: &[&[u8]]) -> Zeroizing<[u8; BLOCK_LEN]> {
        let mut state = Zeroizing::new(state);
        let mut block = Zeroizing::new([0u8; 64]);
        let mut fill = 0usize;
        let mut total = done;
        for part in parts {
            for &byte in part.iter() {
                block[fill] = byte;
                fill += 1;
                if fill == 64 {
                    compress(&mut state, &block);
                    fill = 0;
                }
            }
            total += part.len() as u64;
        }
        block[fill] = 0x80;
        block[fill + 1..].fill(0);
        if fill >= 56 {
            compress(&mut state, &block);
            block.fill(0);
        }
        block[56..].copy_from_slice(&(total * 8).to_be_bytes());
        compress(&mut state, &block);
        let mut out = Zeroizing::new([0u8; BLOCK_LEN]);
        for (chunk, word) in out.chunks_exact_mut(4).zip(state.iter()) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    /// A 64-byte block holding a 32-byte digest and SHA-256's padding for a
    /// message of 64 + 32 bytes (the key block plus the digest).
    fn padded() -> Zeroizing<[u8; 64]> {
        let mut block = Zeroizing::new([0u8; 64]);
        block[BLOCK_LEN] = 0x80;
        block[56..].copy_from_slice(&((64u64 + 32) * 8).to_be_bytes());
        block
    }

    fn store(state: &[u32; 8], block: &mut [u8; 64]) {
        for (chunk, word) in block[..BLOCK_LEN].chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        /// Compile-time: the key's states are wiped on drop.
        const _: fn() = || {
            fn zeroized_on_drop<T: ZeroizeOnDrop>() {}
            zeroized_on_drop::<HmacKey>();
        };

        #[test]
        fn hmac_matches_ring_for_every_length() {
            for key_len in [0usize, 6, 64, 65, 100] {
                let key: Vec<u8> = (0..key_len).map(|i| i as u8).collect();
                for msg_len in [0usize, 1, 55, 56, 63, 64, 65, 119, 120, 200] {
                    let msg: Vec<u8> = (0..msg_len).map(|i| (i * 7) as u8).collect();
                    let (a, b) = msg.split_at(msg_len / 3);
                    let ours = HmacKey::new(&key).mac(&[a, b]);
                    let theirs = ring::hmac::sign(
                        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
                        &msg,
                    );
                    assert_eq!(
                        &ours[..],
                        theirs.as_ref(),
                        "key {key_len}, message {msg_len}"
                    );
                }
            }
        }
    }
}

fn xor(t: &mut [u8; BLOCK_LEN], u: &[u8]) {
    for (a, b) in t.iter_mut().zip(u) {
        *a ^= b;
    }
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
    fn parallel_blocks_match_ring_pbkdf2_bit_for_bit() {
        for (iterations, password, salt) in [
            (1u32, &b"482916"[..], &b"salt"[..]),
            (2, b"000000", b""),
            (1_000, b"482916", &[7u8; 116][..]),
            (4_097, b"", b"akuersi"),
        ] {
            let mut ours = [0u8; 80];
            pbkdf2_hmac_sha256(password, salt, iterations, &mut ours);
            let mut theirs = [0u8; 80];
            ring::pbkdf2::derive(
                ring::pbkdf2::PBKDF2_HMAC_SHA256,
                std::num::NonZeroU32::new(iterations).unwrap(),
                salt,
                password,
                &mut theirs,
            );
            assert_eq!(ours, theirs, "{iterations} iterations");
        }
    }

    /// Compile-time: what the KDF gives, and the PIN it takes, wipe
    /// themselves on drop.
    const _: fn() = || {
        fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
        zeroized_on_drop::<PakeScalar>();
        zeroized_on_drop::<Pin>();
        zeroized_on_drop::<Zeroizing<[u8; KDF_OUTPUT_LEN]>>();
    };

    #[test]
    fn derivation_matches_the_protocol_vector() {
        // docs/PROTOCOL.md §11.2, 1,000 iterations.
        let pin = Pin::new("482916".into()).unwrap();
        let secret: Vec<u8> = (0u8..32).collect();
        let (w0, w1) =
            derive_pake_secrets(&pin, &secret, "906c030473c1043cf0f6754f5fd153d5", 1_000);
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(
            hex(&*w0.to_bytes()),
            "d673e98562774d8741dcc5841a0b8d32a5977dc40c5497f004f8b77f5128faf9"
        );
        assert_eq!(
            hex(&*w1.to_bytes()),
            "3de74d1cfd5a4c732293950d33fa50bda774896c34a79e133b0136a21a66e55e"
        );
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
