//! SPAKE2+ (RFC 9383) for the ciphersuite P256-SHA256-HKDF-SHA256-HMAC-SHA256.
//!
//! The device is the prover: it derives `w0` and `w1` from the PIN (see
//! `pin.rs`) and never stores them. The service is the verifier: at
//! registration it stores `w0` and `L = w1*P` ([`VerifierRecord`]).
//!
//! Message flow (RFC 9383 §3.1):
//!
//! ```text
//! Prover                                   Verifier
//! Prover::start            -- shareP -->   verifier_respond
//! Prover::finish   <-- shareV, confirmV --
//!                          -- confirmP -->   verify_confirm_p
//! ```
//!
//! Points travel as 65-byte uncompressed SEC1 encodings, and the same
//! encoding is used for `M`, `N`, `Z` and `V` in the transcript `TT`, which
//! is what the RFC's test vectors use. `w0` enters `TT` as 32 big-endian
//! bytes. Lengths in `TT` are 8-byte little-endian. The cofactor of P-256 is
//! 1, so the `h*` multiplications vanish.
//!
//! Every received point is checked to be a valid, non-identity point on the
//! curve. A share that cancels the password mask exactly (`X = w0*M` or
//! `Y = w0*N`, which would make `Z` the identity) is refused as well, so the
//! transcript always holds 65-byte encodings.

use std::fmt;
use std::sync::OnceLock;

use p256::elliptic_curve::group::Group;
use p256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use p256::elliptic_curve::subtle::{ConditionallySelectable, ConstantTimeEq};
use p256::elliptic_curve::{Field, PrimeField};
use p256::{AffinePoint, EncodedPoint, FieldBytes, ProjectivePoint, Scalar};
use ring::rand::{SecureRandom, SystemRandom};
use ring::{digest, hkdf, hmac};
use zeroize::{Zeroize, Zeroizing};

/// Length of a share (`shareP`, `shareV`) and of `L`: an uncompressed SEC1 point.
const POINT_LEN: usize = 65;
/// Length of an encoded scalar.
const SCALAR_LEN: usize = 32;
/// Length of a SHA-256 output, of each confirmation key and of a confirmation MAC.
const HASH_LEN: usize = 32;
/// Length of one half (`w0s` or `w1s`) of the PBKDF output: ceil(log2(n)) + 64 bits.
const WIDE_LEN: usize = 40;
/// Random bytes reduced mod n for an ephemeral scalar (bias below 2^-128).
const EPHEMERAL_RANDOM_LEN: usize = 48;

/// RFC 9383 §4, P-256 `M` (compressed SEC1).
const M_COMPRESSED: [u8; 33] = [
    0x02, 0x88, 0x6e, 0x2f, 0x97, 0xac, 0xe4, 0x6e, 0x55, 0xba, 0x9d, 0xd7, 0x24, 0x25, 0x79, 0xf2,
    0x99, 0x3b, 0x64, 0xe1, 0x6e, 0xf3, 0xdc, 0xab, 0x95, 0xaf, 0xd4, 0x97, 0x33, 0x3d, 0x8f, 0xa1,
    0x2f,
];
/// RFC 9383 §4, P-256 `N` (compressed SEC1).
const N_COMPRESSED: [u8; 33] = [
    0x03, 0xd8, 0xbb, 0xd6, 0xc6, 0x39, 0xc6, 0x29, 0x37, 0xb0, 0x4d, 0x99, 0x7f, 0x38, 0xc3, 0x77,
    0x07, 0x19, 0xc6, 0x29, 0xd7, 0x01, 0x4d, 0x49, 0xa2, 0x4b, 0x4f, 0x98, 0xba, 0xa1, 0x29, 0x2b,
    0x49,
];

/// HKDF info for the two confirmation keys.
const INFO_CONFIRMATION_KEYS: &[u8] = b"ConfirmationKeys";
/// HKDF info for the shared key.
const INFO_SHARED_KEY: &[u8] = b"SharedKey";

/// Errors from the PAKE. Messages never contain secret values.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PakeError {
    /// The peer's share is not a valid, non-identity P-256 point in uncompressed form.
    #[error("the peer's PAKE share is not a valid P-256 point")]
    InvalidShare,
    /// A confirmation MAC did not match: wrong PIN, or the exchange was tampered with.
    #[error("the PAKE confirmation did not match (wrong PIN or tampered exchange)")]
    ConfirmationFailed,
    /// A value had the wrong length or was out of range.
    #[error("malformed PAKE value: {0}")]
    Malformed(&'static str),
}

// ---------------------------------------------------------------------------
// Scalars
// ---------------------------------------------------------------------------

/// A P-256 scalar secret (w0 or w1), 32 bytes big-endian, reduced mod the
/// group order, zeroized on drop. No Debug output of the value.
pub struct PakeScalar(Scalar);

impl PakeScalar {
    /// Reduce a 40-byte w0s/w1s value mod n, as RFC 9383 section 3.2 does.
    pub fn from_wide(bytes: &[u8; 40]) -> Self {
        PakeScalar(reduce_wide(bytes))
    }

    /// Parse 32 big-endian bytes; error if >= n or zero.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, PakeError> {
        if bytes.len() != SCALAR_LEN {
            return Err(PakeError::Malformed("a scalar must be 32 bytes"));
        }
        let mut repr = FieldBytes::default();
        repr.copy_from_slice(bytes);
        let parsed = Option::<Scalar>::from(Scalar::from_repr(repr));
        repr[..].zeroize();
        let scalar = PakeScalar(parsed.ok_or(PakeError::Malformed(
            "a scalar must be below the group order",
        ))?);
        if bool::from(scalar.0.is_zero()) {
            return Err(PakeError::Malformed("a scalar must not be zero"));
        }
        Ok(scalar)
    }

    /// The 32-byte big-endian encoding (zeroizing).
    pub fn to_bytes(&self) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0u8; SCALAR_LEN]);
        let mut repr = self.0.to_repr();
        out.copy_from_slice(&repr);
        repr[..].zeroize();
        out
    }
}

impl Clone for PakeScalar {
    fn clone(&self) -> Self {
        PakeScalar(self.0)
    }
}

impl Drop for PakeScalar {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// `Drop` above wipes the scalar: callers can require `ZeroizeOnDrop`.
impl zeroize::ZeroizeOnDrop for PakeScalar {}

impl fmt::Debug for PakeScalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PakeScalar([redacted])")
    }
}

/// Interpret `bytes` as a big-endian integer and reduce it mod n.
///
/// Horner's rule over the bytes with constant-time scalar arithmetic; the
/// running value never leaves the scalar field, so the input may be longer
/// than 32 bytes.
fn reduce_wide(bytes: &[u8]) -> Scalar {
    let radix = Scalar::from(256u64);
    let mut acc = Zeroizing::new(Scalar::ZERO);
    for &byte in bytes {
        *acc = *acc * radix + Scalar::from(u64::from(byte));
    }
    *acc
}

/// A fresh, uniformly random, non-zero scalar from the system RNG.
///
/// # Panics
///
/// If the operating system's random number generator fails.
fn random_scalar() -> PakeScalar {
    let rng = SystemRandom::new();
    loop {
        let mut buf = Zeroizing::new([0u8; EPHEMERAL_RANDOM_LEN]);
        rng.fill(&mut buf[..])
            .expect("the system random number generator failed");
        let scalar = PakeScalar(reduce_wide(&buf[..]));
        if !bool::from(scalar.0.is_zero()) {
            return scalar;
        }
    }
}

/// Split 80 bytes of KDF output into (w0, w1) per RFC 9383: w0s = first 40
/// bytes, w1s = next 40.
pub fn secrets_from_kdf_output(okm: &[u8; 80]) -> (PakeScalar, PakeScalar) {
    let mut w0s = Zeroizing::new([0u8; WIDE_LEN]);
    let mut w1s = Zeroizing::new([0u8; WIDE_LEN]);
    w0s.copy_from_slice(&okm[..WIDE_LEN]);
    w1s.copy_from_slice(&okm[WIDE_LEN..]);
    (PakeScalar::from_wide(&w0s), PakeScalar::from_wide(&w1s))
}

// ---------------------------------------------------------------------------
// Points
// ---------------------------------------------------------------------------

/// The fixed points `M` and `N`, decoded, and their uncompressed encodings
/// (which is how they enter the transcript).
struct Constants {
    m: ProjectivePoint,
    n: ProjectivePoint,
    m_bytes: [u8; POINT_LEN],
    n_bytes: [u8; POINT_LEN],
}

/// `M` and `N`, decoded once.
fn constants() -> &'static Constants {
    static CONSTANTS: OnceLock<Constants> = OnceLock::new();
    CONSTANTS.get_or_init(|| {
        // These are fixed RFC constants, not input; the unit tests check that
        // they decode and re-encode to the transcript bytes of the RFC vector.
        let m = decode_constant(&M_COMPRESSED);
        let n = decode_constant(&N_COMPRESSED);
        Constants {
            m,
            n,
            m_bytes: encode_point(&m),
            n_bytes: encode_point(&n),
        }
    })
}

/// Multiples of a fixed point for constant-time fixed-base multiplication:
/// row `i` holds `1·16^i·B … 15·16^i·B`, so `k·B` is one addition per 4-bit
/// digit of `k` (64 in all) and no doublings, against 256 doublings and the
/// additions of a generic multiplication. Every entry of a row is read for
/// every digit (selected with `ConditionallySelectable`), so the memory
/// access pattern does not depend on the scalar. The tests compare it with
/// the generic multiplication; the RFC 9383 vectors pass through it.
struct FixedBase {
    rows: Vec<[ProjectivePoint; 15]>,
}

impl FixedBase {
    fn new(base: ProjectivePoint) -> Self {
        let mut rows = Vec::with_capacity(64);
        let mut row_base = base;
        for _ in 0..64 {
            let mut row = [row_base; 15];
            for j in 1..15 {
                row[j] = row[j - 1] + row_base;
            }
            rows.push(row);
            row_base = row[14] + row_base; // 16 · row_base
        }
        Self { rows }
    }

    /// `k · B`, in constant time.
    fn mul(&self, k: &Scalar) -> ProjectivePoint {
        let bytes = Zeroizing::new(k.to_bytes());
        let mut acc = Zeroizing::new(ProjectivePoint::IDENTITY);
        let mut entry = Zeroizing::new(ProjectivePoint::IDENTITY);
        for (i, row) in self.rows.iter().enumerate() {
            // Digit i counts from the least significant nibble; the scalar's
            // bytes are big-endian.
            let byte = bytes[31 - i / 2];
            let digit = if i % 2 == 0 { byte & 0x0f } else { byte >> 4 };
            *entry = ProjectivePoint::IDENTITY;
            for (j, point) in row.iter().enumerate() {
                entry.conditional_assign(point, digit.ct_eq(&(j as u8 + 1)));
            }
            *acc += *entry;
        }
        *acc
    }
}

/// Tables for the three fixed points of every exchange: `P`, `M` and `N`.
/// About 280 KB, built on first use (a few milliseconds).
struct FixedBases {
    p: FixedBase,
    m: FixedBase,
    n: FixedBase,
}

fn fixed_bases() -> &'static FixedBases {
    static BASES: OnceLock<FixedBases> = OnceLock::new();
    BASES.get_or_init(|| FixedBases {
        p: FixedBase::new(ProjectivePoint::GENERATOR),
        m: FixedBase::new(constants().m),
        n: FixedBase::new(constants().n),
    })
}

/// Decode one of the compiled-in compressed points.
///
/// # Panics
///
/// Only if the constant is not a valid point, which the tests rule out.
fn decode_constant(bytes: &[u8]) -> ProjectivePoint {
    let encoded = EncodedPoint::from_bytes(bytes).expect("RFC 9383 constant is a SEC1 encoding");
    let affine = Option::<AffinePoint>::from(AffinePoint::from_encoded_point(&encoded))
        .expect("RFC 9383 constant is a P-256 point");
    ProjectivePoint::from(affine)
}

/// Uncompressed SEC1 encoding of a point. The identity, which has no 65-byte
/// encoding, comes out as 65 zero bytes; callers make sure it never reaches
/// the wire or the transcript (and every decoder rejects it).
fn encode_point(point: &ProjectivePoint) -> [u8; POINT_LEN] {
    let mut out = [0u8; POINT_LEN];
    let mut encoded = point.to_affine().to_encoded_point(false);
    let bytes = encoded.as_bytes();
    if bytes.len() == POINT_LEN {
        out.copy_from_slice(bytes);
    }
    encoded.zeroize();
    out
}

/// Decode a received point: exactly 65 bytes, the 0x04 (uncompressed)
/// prefix, coordinates below the field prime, on the curve, not the identity.
fn decode_point(bytes: &[u8]) -> Result<ProjectivePoint, PakeError> {
    if bytes.len() != POINT_LEN || bytes[0] != 0x04 {
        return Err(PakeError::InvalidShare);
    }
    let encoded = EncodedPoint::from_bytes(bytes).map_err(|_| PakeError::InvalidShare)?;
    let affine = Option::<AffinePoint>::from(AffinePoint::from_encoded_point(&encoded))
        .ok_or(PakeError::InvalidShare)?;
    let point = ProjectivePoint::from(affine);
    // With cofactor 1 every curve point is in the prime-order group; the
    // identity is the one value RFC 9383 §6 says to refuse.
    if bool::from(point.is_identity()) {
        return Err(PakeError::InvalidShare);
    }
    Ok(point)
}

/// `Z` and `V` (uncompressed), zeroized on drop.
type SharedPoints = (Zeroizing<[u8; POINT_LEN]>, Zeroizing<[u8; POINT_LEN]>);

/// `share - w0*base`, the other side's share with its mask taken off;
/// an identity result is refused.
fn unmask(
    share: &ProjectivePoint,
    base: &FixedBase,
    w0: &Scalar,
) -> Result<Zeroizing<ProjectivePoint>, PakeError> {
    let unmasked = Zeroizing::new(*share - base.mul(w0));
    if bool::from(unmasked.is_identity()) {
        return Err(PakeError::InvalidShare);
    }
    Ok(unmasked)
}

/// `Z` and `V`, encoded.
fn shared_points(z: &ProjectivePoint, v: &ProjectivePoint) -> SharedPoints {
    (
        Zeroizing::new(encode_point(z)),
        Zeroizing::new(encode_point(v)),
    )
}

/// Prover side: `Z = x*(Y - w0*N)`, `V = w1*(Y - w0*N)`.
fn prover_points(
    x: &Scalar,
    w0: &Scalar,
    w1: &Scalar,
    share_v: &ProjectivePoint,
) -> Result<SharedPoints, PakeError> {
    let unmasked = unmask(share_v, &fixed_bases().n, w0)?;
    let z = Zeroizing::new(*unmasked * x);
    let v = Zeroizing::new(*unmasked * w1);
    Ok(shared_points(&z, &v))
}

/// Verifier side: `Z = y*(X - w0*M)`, `V = y*L`.
fn verifier_points(
    y: &Scalar,
    w0: &Scalar,
    l: &ProjectivePoint,
    share_p: &ProjectivePoint,
) -> Result<SharedPoints, PakeError> {
    let unmasked = unmask(share_p, &fixed_bases().m, w0)?;
    let z = Zeroizing::new(*unmasked * y);
    let v = Zeroizing::new(*l * y);
    Ok(shared_points(&z, &v))
}

// ---------------------------------------------------------------------------
// Registration
// ---------------------------------------------------------------------------

/// What the verifier (service) stores at registration: w0 and L = w1*P
/// (65-byte uncompressed SEC1).
pub struct VerifierRecord {
    /// The scalar `w0`.
    pub w0: PakeScalar,
    /// `L = w1*P`, uncompressed SEC1.
    pub l: [u8; 65],
}

/// Compute the registration record from (w0, w1).
pub fn registration_record(w0: &PakeScalar, w1: &PakeScalar) -> VerifierRecord {
    VerifierRecord {
        w0: w0.clone(),
        l: encode_point(&fixed_bases().p.mul(&w1.0)),
    }
}

impl VerifierRecord {
    /// Rebuild from stored bytes, validating L.
    pub fn from_parts(w0: &[u8], l: &[u8]) -> Result<Self, PakeError> {
        let w0 = PakeScalar::from_bytes(w0)?;
        decode_record_l(l)?;
        let mut out = [0u8; POINT_LEN];
        out.copy_from_slice(l);
        Ok(VerifierRecord { w0, l: out })
    }
}

impl fmt::Debug for VerifierRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierRecord")
            .field("w0", &self.w0)
            .field("l", &"[redacted]")
            .finish()
    }
}

/// Decode the `L` of a verifier record.
fn decode_record_l(l: &[u8]) -> Result<ProjectivePoint, PakeError> {
    decode_point(l).map_err(|_| PakeError::Malformed("L is not a valid uncompressed P-256 point"))
}

// ---------------------------------------------------------------------------
// Transcript and key schedule
// ---------------------------------------------------------------------------

/// Identities and context bound into the transcript.
#[derive(Debug, Clone, Copy)]
pub struct PakeContext<'a> {
    /// Application context string (first element of `TT`).
    pub context: &'a [u8],
    /// The prover's identity, `idProver`.
    pub id_prover: &'a [u8],
    /// The verifier's identity, `idVerifier`.
    pub id_verifier: &'a [u8],
}

/// The public parts of `TT` that are not points computed in the exchange.
struct TranscriptIds<'a> {
    context: &'a [u8],
    id_prover: &'a [u8],
    id_verifier: &'a [u8],
}

/// RFC 9383 §3.3:
/// `TT = len(Context) || Context || len(idProver) || idProver ||
/// len(idVerifier) || idVerifier || len(M) || M || len(N) || N ||
/// len(shareP) || shareP || len(shareV) || shareV || len(Z) || Z ||
/// len(V) || V || len(w0) || w0`, each `len` 8 bytes little-endian.
fn transcript(
    ids: &TranscriptIds<'_>,
    share_p: &[u8],
    share_v: &[u8],
    z: &[u8],
    v: &[u8],
    w0: &PakeScalar,
) -> Zeroizing<Vec<u8>> {
    let w0_bytes = w0.to_bytes();
    let consts = constants();
    let parts: [&[u8]; 10] = [
        ids.context,
        ids.id_prover,
        ids.id_verifier,
        &consts.m_bytes,
        &consts.n_bytes,
        share_p,
        share_v,
        z,
        v,
        &w0_bytes[..],
    ];
    let total = parts.iter().map(|p| 8 + p.len()).sum();
    // Allocated once at its final size so no partial copy is left behind by a
    // reallocation.
    let mut tt = Zeroizing::new(Vec::with_capacity(total));
    for part in parts {
        tt.extend_from_slice(&(part.len() as u64).to_le_bytes());
        tt.extend_from_slice(part);
    }
    tt
}

/// Keys derived from `TT`.
struct DerivedKeys {
    #[cfg_attr(not(test), allow(dead_code))]
    k_main: Zeroizing<[u8; HASH_LEN]>,
    k_confirm_p: Zeroizing<[u8; HASH_LEN]>,
    k_confirm_v: Zeroizing<[u8; HASH_LEN]>,
    k_shared: Zeroizing<[u8; HASH_LEN]>,
}

/// An HKDF output length for `ring::hkdf`.
struct OkmLen(usize);

impl hkdf::KeyType for OkmLen {
    fn len(&self) -> usize {
        self.0
    }
}

/// HKDF-Expand `prk` with `info` into `out`.
fn hkdf_expand(prk: &hkdf::Prk, info: &[u8], out: &mut [u8]) -> Result<(), PakeError> {
    let info = [info];
    prk.expand(&info, OkmLen(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| PakeError::Malformed("key derivation output length"))
}

/// RFC 9383 §3.4: `K_main = Hash(TT)`,
/// `K_confirmP || K_confirmV = KDF(nil, K_main, "ConfirmationKeys")`,
/// `K_shared = KDF(nil, K_main, "SharedKey")`.
fn derive_keys(tt: &[u8]) -> Result<DerivedKeys, PakeError> {
    let mut k_main = Zeroizing::new([0u8; HASH_LEN]);
    k_main.copy_from_slice(digest::digest(&digest::SHA256, tt).as_ref());

    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &[]).extract(&k_main[..]);
    let mut confirmation = Zeroizing::new([0u8; 2 * HASH_LEN]);
    hkdf_expand(&prk, INFO_CONFIRMATION_KEYS, &mut confirmation[..])?;
    let mut k_shared = Zeroizing::new([0u8; HASH_LEN]);
    hkdf_expand(&prk, INFO_SHARED_KEY, &mut k_shared[..])?;

    let mut k_confirm_p = Zeroizing::new([0u8; HASH_LEN]);
    let mut k_confirm_v = Zeroizing::new([0u8; HASH_LEN]);
    k_confirm_p.copy_from_slice(&confirmation[..HASH_LEN]);
    k_confirm_v.copy_from_slice(&confirmation[HASH_LEN..]);
    Ok(DerivedKeys {
        k_main,
        k_confirm_p,
        k_confirm_v,
        k_shared,
    })
}

/// `HMAC-SHA256(key, data)`.
fn mac(key: &[u8; HASH_LEN], data: &[u8]) -> [u8; HASH_LEN] {
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), data);
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(tag.as_ref());
    out
}

// ---------------------------------------------------------------------------
// Prover
// ---------------------------------------------------------------------------

/// Prover state after sending shareP. Zeroized on drop.
pub struct Prover {
    context: Vec<u8>,
    id_prover: Vec<u8>,
    id_verifier: Vec<u8>,
    x: PakeScalar,
    w0: PakeScalar,
    w1: PakeScalar,
    share_p: [u8; POINT_LEN],
}

impl Prover {
    /// Start with a fresh random x. Returns the state and shareP (65 bytes).
    ///
    /// # Panics
    ///
    /// If the operating system's random number generator fails.
    pub fn start(ctx: &PakeContext<'_>, w0: &PakeScalar, w1: &PakeScalar) -> (Prover, [u8; 65]) {
        Self::start_inner(ctx, w0, w1, random_scalar())
    }

    /// Start with a given x (test vectors only; x is 32 bytes big-endian).
    pub fn start_with_scalar(
        ctx: &PakeContext<'_>,
        w0: &PakeScalar,
        w1: &PakeScalar,
        x: &[u8],
    ) -> Result<(Prover, [u8; 65]), PakeError> {
        let x = PakeScalar::from_bytes(x)?;
        Ok(Self::start_inner(ctx, w0, w1, x))
    }

    /// `X = x*P + w0*M`.
    fn start_inner(
        ctx: &PakeContext<'_>,
        w0: &PakeScalar,
        w1: &PakeScalar,
        x: PakeScalar,
    ) -> (Prover, [u8; POINT_LEN]) {
        let bases = fixed_bases();
        let share_p = encode_point(&(bases.p.mul(&x.0) + bases.m.mul(&w0.0)));
        let prover = Prover {
            context: ctx.context.to_vec(),
            id_prover: ctx.id_prover.to_vec(),
            id_verifier: ctx.id_verifier.to_vec(),
            x,
            w0: w0.clone(),
            w1: w1.clone(),
            share_p,
        };
        (prover, share_p)
    }

    /// The transcript identities of this run.
    fn ids(&self) -> TranscriptIds<'_> {
        TranscriptIds {
            context: &self.context,
            id_prover: &self.id_prover,
            id_verifier: &self.id_verifier,
        }
    }

    /// Everything up to the key schedule: validate shareV, compute `Z`, `V`,
    /// `TT` and the keys.
    fn keys_for(&self, share_v: &[u8]) -> Result<DerivedKeys, PakeError> {
        let y_point = decode_point(share_v)?;
        let (z, v) = prover_points(&self.x.0, &self.w0.0, &self.w1.0, &y_point)?;
        let tt = transcript(
            &self.ids(),
            &self.share_p,
            share_v,
            &z[..],
            &v[..],
            &self.w0,
        );
        derive_keys(&tt)
    }

    /// Consume shareV and confirmV. On success returns confirmP to send and
    /// the shared key. Fails with ConfirmationFailed if confirmV does not
    /// match (this is how a wrong PIN shows up on the device); fails with
    /// InvalidShare for an invalid shareV and Malformed for a confirmV that is
    /// not 32 bytes.
    pub fn finish(self, share_v: &[u8], confirm_v: &[u8]) -> Result<ProverFinish, PakeError> {
        let keys = self.keys_for(share_v)?;
        if confirm_v.len() != HASH_LEN {
            return Err(PakeError::Malformed("confirmV must be 32 bytes"));
        }
        // confirmV = HMAC(K_confirmV, shareP), checked in constant time.
        let key_v = hmac::Key::new(hmac::HMAC_SHA256, &keys.k_confirm_v[..]);
        hmac::verify(&key_v, &self.share_p, confirm_v)
            .map_err(|_| PakeError::ConfirmationFailed)?;
        Ok(ProverFinish {
            confirm_p: mac(&keys.k_confirm_p, share_v),
            shared_key: keys.k_shared,
        })
    }
}

impl fmt::Debug for Prover {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prover")
            .field("state", &"[redacted]")
            .finish_non_exhaustive()
    }
}

/// What the prover ends with: the confirmation to send and the shared key.
pub struct ProverFinish {
    /// `confirmP = HMAC(K_confirmP, shareV)`, to send to the verifier.
    pub confirm_p: [u8; 32],
    /// `K_shared`.
    pub shared_key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for ProverFinish {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProverFinish")
            .field("confirm_p", &"[redacted]")
            .field("shared_key", &"[redacted]")
            .finish()
    }
}

// ---------------------------------------------------------------------------
// Verifier
// ---------------------------------------------------------------------------

/// Verifier's response to a shareP.
pub struct VerifierResponse {
    /// `shareV = Y = y*P + w0*N`, to send to the prover.
    pub share_v: [u8; 65],
    /// `confirmV = HMAC(K_confirmV, shareP)`, to send to the prover.
    pub confirm_v: [u8; 32],
    /// The confirmP the verifier expects (store it server-side until the prover answers).
    pub expected_confirm_p: [u8; 32],
    /// `K_shared`; use it only after the prover's confirmP has been verified.
    pub shared_key: Zeroizing<[u8; 32]>,
}

impl fmt::Debug for VerifierResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierResponse")
            .field("share_v", &"[65 bytes]")
            .field("confirm_v", &"[redacted]")
            .field("expected_confirm_p", &"[redacted]")
            .field("shared_key", &"[redacted]")
            .finish()
    }
}

/// Verifier side: given the record and the prover's shareP, pick random y
/// and answer.
///
/// # Panics
///
/// If the operating system's random number generator fails.
pub fn verifier_respond(
    ctx: &PakeContext<'_>,
    record: &VerifierRecord,
    share_p: &[u8],
) -> Result<VerifierResponse, PakeError> {
    verifier_respond_inner(ctx, record, share_p, random_scalar())
}

/// Same with a given y (test vectors only).
pub fn verifier_respond_with_scalar(
    ctx: &PakeContext<'_>,
    record: &VerifierRecord,
    share_p: &[u8],
    y: &[u8],
) -> Result<VerifierResponse, PakeError> {
    let y = PakeScalar::from_bytes(y)?;
    verifier_respond_inner(ctx, record, share_p, y)
}

/// `Y = y*P + w0*N`, then `Z`, `V`, `TT`, the keys and both confirmations.
fn verifier_respond_inner(
    ctx: &PakeContext<'_>,
    record: &VerifierRecord,
    share_p: &[u8],
    y: PakeScalar,
) -> Result<VerifierResponse, PakeError> {
    let x_point = decode_point(share_p)?;
    let l_point = decode_record_l(&record.l)?;
    let w0 = &record.w0;
    let bases = fixed_bases();
    let share_v = encode_point(&(bases.p.mul(&y.0) + bases.n.mul(&w0.0)));
    let (z, v) = verifier_points(&y.0, &w0.0, &l_point, &x_point)?;
    let ids = TranscriptIds {
        context: ctx.context,
        id_prover: ctx.id_prover,
        id_verifier: ctx.id_verifier,
    };
    let tt = transcript(&ids, share_p, &share_v, &z[..], &v[..], w0);
    let keys = derive_keys(&tt)?;
    Ok(VerifierResponse {
        share_v,
        confirm_v: mac(&keys.k_confirm_v, share_p),
        expected_confirm_p: mac(&keys.k_confirm_p, &share_v),
        shared_key: keys.k_shared,
    })
}

/// Constant-time check of a received confirmP against the expected one.
pub fn verify_confirm_p(expected: &[u8], received: &[u8]) -> Result<(), PakeError> {
    if expected.len() != HASH_LEN {
        return Err(PakeError::Malformed("expected confirmP must be 32 bytes"));
    }
    if received.len() != HASH_LEN {
        return Err(PakeError::Malformed("confirmP must be 32 bytes"));
    }
    if bool::from(expected.ct_eq(received)) {
        Ok(())
    } else {
        Err(PakeError::ConfirmationFailed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 9383 Appendix C, SPAKE2+-P256-SHA256-HKDF-SHA256-HMAC-SHA256.
    mod rfc {
        pub const CONTEXT: &[u8] = b"SPAKE2+-P256-SHA256-HKDF-SHA256-HMAC-SHA256 Test Vectors";
        pub const ID_PROVER: &[u8] = b"client";
        pub const ID_VERIFIER: &[u8] = b"server";
        pub const W0: &str = "bb8e1bbcf3c48f62c08db243652ae55d3e5586053fca77102994f23ad95491b3";
        pub const W1: &str = "7e945f34d78785b8a3ef44d0df5a1a97d6b3b460409a345ca7830387a74b1dba";
        pub const L: &str = "04eb7c9db3d9a9eb1f8adab81b5794c1f13ae3e225efbe91ea487425854c7fc00f\
                             00bfedcbd09b2400142d40a14f2064ef31dfaa903b91d1faea7093d835966efd";
        pub const X: &str = "d1232c8e8693d02368976c174e2088851b8365d0d79a9eee709c6a05a2fad539";
        pub const SHARE_P: &str = "04ef3bd051bf78a2234ec0df197f7828060fe9856503579bb1733009042c15c0c1\
                                   de127727f418b5966afadfdd95a6e4591d171056b333dab97a79c7193e341727";
        pub const Y: &str = "717a72348a182085109c8d3917d6c43d59b224dc6a7fc4f0483232fa6516d8b3";
        pub const SHARE_V: &str = "04c0f65da0d11927bdf5d560c69e1d7d939a05b0e88291887d679fcadea75810fb\
                                   5cc1ca7494db39e82ff2f50665255d76173e09986ab46742c798a9a68437b048";
        pub const Z: &str = "04bbfce7dd7f277819c8da21544afb7964705569bdf12fb92aa388059408d50091\
                             a0c5f1d3127f56813b5337f9e4e67e2ca633117a4fbd559946ab474356c41839";
        pub const V: &str = "0458bf27c6bca011c9ce1930e8984a797a3419797b936629a5a937cf2f11c8b951\
                             4b82b993da8a46e664f23db7c01edc87faa530db01c2ee405230b18997f16b68";
        pub const TT: &str = "38000000000000005350414b45322b2d503235362d5348413235362d484b44462d\
            5348413235362d484d41432d534841323536205465737420566563746f72730600000000000000636c69656e\
            740600000000000000736572766572410000000000000004886e2f97ace46e55ba9dd7242579f2993b64e16e\
            f3dcab95afd497333d8fa12f5ff355163e43ce224e0b0e65ff02ac8e5c7be09419c785e0ca547d55a12e2d20\
            410000000000000004d8bbd6c639c62937b04d997f38c3770719c629d7014d49a24b4f98baa1292b4907d60a\
            a6bfade45008a636337f5168c64d9bd36034808cd564490b1e656edbe7410000000000000004ef3bd051bf78\
            a2234ec0df197f7828060fe9856503579bb1733009042c15c0c1de127727f418b5966afadfdd95a6e4591d17\
            1056b333dab97a79c7193e341727410000000000000004c0f65da0d11927bdf5d560c69e1d7d939a05b0e882\
            91887d679fcadea75810fb5cc1ca7494db39e82ff2f50665255d76173e09986ab46742c798a9a68437b04841\
            0000000000000004bbfce7dd7f277819c8da21544afb7964705569bdf12fb92aa388059408d50091a0c5f1d3\
            127f56813b5337f9e4e67e2ca633117a4fbd559946ab474356c4183941000000000000000458bf27c6bca011\
            c9ce1930e8984a797a3419797b936629a5a937cf2f11c8b9514b82b993da8a46e664f23db7c01edc87faa530\
            db01c2ee405230b18997f16b682000000000000000bb8e1bbcf3c48f62c08db243652ae55d3e5586053fca77\
            102994f23ad95491b3";
        pub const K_MAIN: &str = "4c59e1ccf2cfb961aa31bd9434478a1089b56cd11542f53d3576fb6c2a438a29";
        pub const K_CONFIRM_P: &str =
            "871ae3f7b78445e34438fb284504240239031c39d80ac23eb5ab9be5ad6db58a";
        pub const K_CONFIRM_V: &str =
            "ccd53c7c1fa37b64a462b40db8be101cedcf838950162902054e644b400f1680";
        pub const CONFIRM_P: &str =
            "926cc713504b9b4d76c9162ded04b5493e89109f6d89462cd33adc46fda27527";
        pub const CONFIRM_V: &str =
            "9747bcc4f8fe9f63defee53ac9b07876d907d55047e6ff2def2e7529089d3e68";
        pub const K_SHARED: &str =
            "0c5f8ccd1413423a54f6c1fb26ff01534a87f893779c6e68666d772bfd91f3e7";
    }

    /// The P-256 group order n.
    const ORDER: &str = "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551";
    /// The P-256 field prime p.
    const PRIME: &str = "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff";

    fn h(s: &str) -> Vec<u8> {
        hex::decode(s).unwrap()
    }

    fn rfc_ctx() -> PakeContext<'static> {
        PakeContext {
            context: rfc::CONTEXT,
            id_prover: rfc::ID_PROVER,
            id_verifier: rfc::ID_VERIFIER,
        }
    }

    fn rfc_secrets() -> (PakeScalar, PakeScalar) {
        (
            PakeScalar::from_bytes(&h(rfc::W0)).unwrap(),
            PakeScalar::from_bytes(&h(rfc::W1)).unwrap(),
        )
    }

    fn app_ctx() -> PakeContext<'static> {
        PakeContext {
            context: b"akuersi/v1/test",
            id_prover: b"device-1",
            id_verifier: b"akuersi-service/v1",
        }
    }

    fn secrets(fill: u8) -> (PakeScalar, PakeScalar) {
        let mut okm = [fill; 80];
        okm[0] ^= 0x5a;
        okm[79] ^= 0xa5;
        secrets_from_kdf_output(&okm)
    }

    /// A valid share for tests that need one.
    fn some_share() -> [u8; 65] {
        let (w0, w1) = secrets(7);
        Prover::start(&app_ctx(), &w0, &w1).1
    }

    #[test]
    fn rfc9383_vector_full_exchange() {
        let ctx = rfc_ctx();
        let (w0, w1) = rfc_secrets();

        let record = registration_record(&w0, &w1);
        assert_eq!(record.l.to_vec(), h(rfc::L));
        assert_eq!(record.w0.to_bytes().to_vec(), h(rfc::W0));

        let (prover, share_p) = Prover::start_with_scalar(&ctx, &w0, &w1, &h(rfc::X)).unwrap();
        assert_eq!(share_p.to_vec(), h(rfc::SHARE_P));

        let resp = verifier_respond_with_scalar(&ctx, &record, &share_p, &h(rfc::Y)).unwrap();
        assert_eq!(resp.share_v.to_vec(), h(rfc::SHARE_V));
        assert_eq!(resp.confirm_v.to_vec(), h(rfc::CONFIRM_V));
        assert_eq!(resp.expected_confirm_p.to_vec(), h(rfc::CONFIRM_P));
        assert_eq!(resp.shared_key.to_vec(), h(rfc::K_SHARED));

        let fin = prover.finish(&resp.share_v, &resp.confirm_v).unwrap();
        assert_eq!(fin.confirm_p.to_vec(), h(rfc::CONFIRM_P));
        assert_eq!(fin.shared_key.to_vec(), h(rfc::K_SHARED));

        verify_confirm_p(&resp.expected_confirm_p, &fin.confirm_p).unwrap();
    }

    #[test]
    fn rfc9383_vector_intermediate_values() {
        let (w0, w1) = rfc_secrets();
        let x = PakeScalar::from_bytes(&h(rfc::X)).unwrap();
        let y = PakeScalar::from_bytes(&h(rfc::Y)).unwrap();
        let share_p = h(rfc::SHARE_P);
        let share_v = h(rfc::SHARE_V);

        // Z and V on both sides.
        let y_point = decode_point(&share_v).unwrap();
        let (z_p, v_p) = prover_points(&x.0, &w0.0, &w1.0, &y_point).unwrap();
        assert_eq!(z_p.to_vec(), h(rfc::Z));
        assert_eq!(v_p.to_vec(), h(rfc::V));
        let x_point = decode_point(&share_p).unwrap();
        let l_point = decode_point(&h(rfc::L)).unwrap();
        let (z_v, v_v) = verifier_points(&y.0, &w0.0, &l_point, &x_point).unwrap();
        assert_eq!(z_v.to_vec(), h(rfc::Z));
        assert_eq!(v_v.to_vec(), h(rfc::V));

        // TT, byte for byte.
        let ids = TranscriptIds {
            context: rfc::CONTEXT,
            id_prover: rfc::ID_PROVER,
            id_verifier: rfc::ID_VERIFIER,
        };
        let tt = transcript(&ids, &share_p, &share_v, &z_p[..], &v_p[..], &w0);
        assert_eq!(tt.to_vec(), h(rfc::TT));

        // Key schedule and MACs.
        let keys = derive_keys(&tt).unwrap();
        assert_eq!(keys.k_main.to_vec(), h(rfc::K_MAIN));
        assert_eq!(keys.k_confirm_p.to_vec(), h(rfc::K_CONFIRM_P));
        assert_eq!(keys.k_confirm_v.to_vec(), h(rfc::K_CONFIRM_V));
        assert_eq!(keys.k_shared.to_vec(), h(rfc::K_SHARED));
        assert_eq!(mac(&keys.k_confirm_p, &share_v).to_vec(), h(rfc::CONFIRM_P));
        assert_eq!(mac(&keys.k_confirm_v, &share_p).to_vec(), h(rfc::CONFIRM_V));
    }

    #[test]
    fn fixed_base_tables_match_generic_multiplication() {
        let bases = fixed_bases();
        let c = constants();
        let mut scalars = vec![Scalar::ZERO, Scalar::ONE, -Scalar::ONE, Scalar::from(16u64)];
        scalars.extend((0..20).map(|_| random_scalar().0));
        // Every nibble 0..15 in every position, and a run of 0xf nibbles.
        scalars.push(reduce_wide(&[0xff; 32]));
        scalars.push(reduce_wide(
            &(0u8..32).map(|i| i.wrapping_mul(0x11)).collect::<Vec<_>>(),
        ));
        for k in &scalars {
            assert_eq!(bases.p.mul(k), ProjectivePoint::GENERATOR * k);
            assert_eq!(bases.m.mul(k), c.m * k);
            assert_eq!(bases.n.mul(k), c.n * k);
        }
    }

    #[test]
    fn m_and_n_enter_transcript_uncompressed() {
        let tt = h(rfc::TT);
        let c = constants();
        assert_eq!(c.m_bytes[0], 0x04);
        assert_eq!(c.m_bytes[1..33], M_COMPRESSED[1..]);
        assert_eq!(c.n_bytes[1..33], N_COMPRESSED[1..]);
        let find = |needle: &[u8]| tt.windows(needle.len()).any(|w| w == needle);
        assert!(find(&c.m_bytes));
        assert!(find(&c.n_bytes));
    }

    #[test]
    fn from_wide_reduces_mod_n() {
        // Zero-padded w0 and w1 reduce to themselves.
        let mut okm = [0u8; 80];
        okm[8..40].copy_from_slice(&h(rfc::W0));
        okm[48..80].copy_from_slice(&h(rfc::W1));
        let (w0, w1) = secrets_from_kdf_output(&okm);
        assert_eq!(w0.to_bytes().to_vec(), h(rfc::W0));
        assert_eq!(w1.to_bytes().to_vec(), h(rfc::W1));

        // n reduces to 0, n + 1 to 1.
        let mut wide = [0u8; 40];
        wide[8..].copy_from_slice(&h(ORDER));
        assert!(bool::from(PakeScalar::from_wide(&wide).0.is_zero()));
        wide[39] += 1;
        assert_eq!(PakeScalar::from_wide(&wide).0, Scalar::ONE);

        // 2^256 mod n = 2^256 - n.
        let mut two_256 = [0u8; 40];
        two_256[7] = 1;
        assert_eq!(
            hex::encode(*PakeScalar::from_wide(&two_256).to_bytes()),
            "00000000ffffffff00000000000000004319055258e8617b0c46353d039cdaaf"
        );

        // 2^320 - 1 = (2^64 - 1) * 2^256 + (2^256 - 1): check against the
        // same identity computed with field arithmetic.
        let two_256_mod_n = PakeScalar::from_wide(&two_256).0;
        let expect = Scalar::from(u64::MAX) * two_256_mod_n + (two_256_mod_n - Scalar::ONE);
        assert_eq!(PakeScalar::from_wide(&[0xff; 40]).0, expect);
    }

    #[test]
    fn secrets_split_first_and_second_halves() {
        let mut okm = [0u8; 80];
        okm[39] = 1;
        okm[79] = 2;
        let (w0, w1) = secrets_from_kdf_output(&okm);
        assert_eq!(w0.0, Scalar::ONE);
        assert_eq!(w1.0, Scalar::from(2u64));
    }

    #[test]
    fn scalar_from_bytes_range_checks() {
        assert_eq!(
            PakeScalar::from_bytes(&[0u8; 32]).unwrap_err(),
            PakeError::Malformed("a scalar must not be zero")
        );
        assert!(PakeScalar::from_bytes(&h(ORDER)).is_err());
        assert!(PakeScalar::from_bytes(&[0xff; 32]).is_err());
        assert!(PakeScalar::from_bytes(&[1u8; 31]).is_err());
        assert!(PakeScalar::from_bytes(&[1u8; 33]).is_err());
        let mut n_minus_1 = h(ORDER);
        n_minus_1[31] -= 1;
        let s = PakeScalar::from_bytes(&n_minus_1).unwrap();
        assert_eq!(s.to_bytes().to_vec(), n_minus_1);
        assert_eq!(s.0, -Scalar::ONE);
    }

    #[test]
    fn random_round_trip_agrees() {
        let ctx = app_ctx();
        let (w0, w1) = secrets(0x42);
        let record = registration_record(&w0, &w1);
        let stored = VerifierRecord::from_parts(&record.w0.to_bytes()[..], &record.l).unwrap();

        let (prover, share_p) = Prover::start(&ctx, &w0, &w1);
        let resp = verifier_respond(&ctx, &stored, &share_p).unwrap();
        let fin = prover.finish(&resp.share_v, &resp.confirm_v).unwrap();
        verify_confirm_p(&resp.expected_confirm_p, &fin.confirm_p).unwrap();
        assert_eq!(*fin.shared_key, *resp.shared_key);

        // Fresh randomness every run.
        let (_, share_p2) = Prover::start(&ctx, &w0, &w1);
        assert_ne!(share_p, share_p2);
        let resp2 = verifier_respond(&ctx, &stored, &share_p).unwrap();
        assert_ne!(resp.share_v, resp2.share_v);
        assert_ne!(*resp.shared_key, *resp2.shared_key);
    }

    /// A prover that skips the confirmV check (as an attacker would) and
    /// sends its confirmP anyway.
    fn unchecked_confirm_p(prover: &Prover, share_v: &[u8]) -> [u8; 32] {
        let keys = prover.keys_for(share_v).unwrap();
        mac(&keys.k_confirm_p, share_v)
    }

    fn wrong_secret_case(prover_w0: &PakeScalar, prover_w1: &PakeScalar) {
        let ctx = app_ctx();
        let (w0, w1) = secrets(0x42);
        let record = registration_record(&w0, &w1);

        let (prover, share_p) = Prover::start(&ctx, prover_w0, prover_w1);
        let resp = verifier_respond(&ctx, &record, &share_p).unwrap();
        let forged = unchecked_confirm_p(&prover, &resp.share_v);
        assert_eq!(
            verify_confirm_p(&resp.expected_confirm_p, &forged),
            Err(PakeError::ConfirmationFailed)
        );
        assert_eq!(
            prover.finish(&resp.share_v, &resp.confirm_v).unwrap_err(),
            PakeError::ConfirmationFailed
        );
    }

    #[test]
    fn wrong_w0_fails_on_both_sides() {
        let (_, w1) = secrets(0x42);
        let (bad_w0, _) = secrets(0x43);
        wrong_secret_case(&bad_w0, &w1);
    }

    #[test]
    fn wrong_w1_fails_on_both_sides() {
        let (w0, _) = secrets(0x42);
        let (_, bad_w1) = secrets(0x43);
        wrong_secret_case(&w0, &bad_w1);
    }

    #[test]
    fn wrong_pin_fails_on_both_sides() {
        let (bad_w0, bad_w1) = secrets(0x43);
        wrong_secret_case(&bad_w0, &bad_w1);
    }

    #[test]
    fn mismatched_context_or_identities_fail() {
        let (w0, w1) = secrets(0x42);
        let record = registration_record(&w0, &w1);
        let base = app_ctx();
        let variants = [
            PakeContext {
                context: b"akuersi/v2/test",
                ..base
            },
            PakeContext {
                id_prover: b"device-2",
                ..base
            },
            PakeContext {
                id_verifier: b"someone-else",
                ..base
            },
        ];
        for verifier_ctx in variants {
            let (prover, share_p) = Prover::start(&base, &w0, &w1);
            let resp = verifier_respond(&verifier_ctx, &record, &share_p).unwrap();
            assert_eq!(
                prover.finish(&resp.share_v, &resp.confirm_v).unwrap_err(),
                PakeError::ConfirmationFailed
            );
        }
    }

    /// Shares that must be refused: wrong lengths, compressed, bad prefix,
    /// off the curve, coordinates out of range, the identity.
    fn invalid_shares() -> Vec<Vec<u8>> {
        let good = some_share();
        let point = decode_point(&good).unwrap();
        let compressed = point.to_affine().to_encoded_point(true).as_bytes().to_vec();
        assert_eq!(compressed.len(), 33);

        let mut off_curve = good.to_vec();
        off_curve[64] ^= 0x01;
        let mut bad_prefix_02 = good.to_vec();
        bad_prefix_02[0] = 0x02;
        let mut hybrid = good.to_vec();
        hybrid[0] = 0x06 | (good[64] & 1);
        let mut x_is_p = vec![0x04];
        x_is_p.extend_from_slice(&h(PRIME));
        x_is_p.extend_from_slice(&good[33..]);

        vec![
            vec![],
            vec![0x00],
            good[..64].to_vec(),
            [&good[..], &[0u8][..]].concat(),
            compressed,
            bad_prefix_02,
            hybrid,
            off_curve,
            x_is_p,
            [&[0x04u8][..], &[0u8; 64][..]].concat(),
            vec![0u8; 65],
            [&[0x04u8][..], &[0xffu8; 64][..]].concat(),
        ]
    }

    /// `take` refuses every one of [`invalid_shares`] as `InvalidShare`.
    fn refuses_invalid_shares<T: fmt::Debug>(mut take: impl FnMut(&[u8]) -> Result<T, PakeError>) {
        for share in invalid_shares() {
            assert_eq!(
                take(&share).unwrap_err(),
                PakeError::InvalidShare,
                "accepted {}",
                hex::encode(&share)
            );
        }
    }

    #[test]
    fn verifier_rejects_invalid_share_p() {
        let ctx = app_ctx();
        let (w0, w1) = secrets(1);
        let record = registration_record(&w0, &w1);
        refuses_invalid_shares(|share| verifier_respond(&ctx, &record, share));
    }

    #[test]
    fn prover_rejects_invalid_share_v() {
        let ctx = app_ctx();
        let (w0, w1) = secrets(1);
        refuses_invalid_shares(|share| {
            let (prover, _) = Prover::start(&ctx, &w0, &w1);
            prover.finish(share, &[0u8; 32])
        });
    }

    #[test]
    fn shares_that_cancel_the_mask_are_rejected() {
        let ctx = app_ctx();
        let (w0, w1) = secrets(1);
        let record = registration_record(&w0, &w1);
        let x_eq_w0_m = encode_point(&(constants().m * w0.0));
        assert_eq!(
            verifier_respond(&ctx, &record, &x_eq_w0_m).unwrap_err(),
            PakeError::InvalidShare
        );
        let y_eq_w0_n = encode_point(&(constants().n * w0.0));
        let (prover, _) = Prover::start(&ctx, &w0, &w1);
        assert_eq!(
            prover.finish(&y_eq_w0_n, &[0u8; 32]).unwrap_err(),
            PakeError::InvalidShare
        );
    }

    #[test]
    fn tampered_confirm_v_is_rejected() {
        let ctx = rfc_ctx();
        let (w0, w1) = rfc_secrets();
        let record = registration_record(&w0, &w1);
        let resp = {
            let (_, share_p) = Prover::start_with_scalar(&ctx, &w0, &w1, &h(rfc::X)).unwrap();
            verifier_respond_with_scalar(&ctx, &record, &share_p, &h(rfc::Y)).unwrap()
        };
        for i in 0..32 {
            let (prover, _) = Prover::start_with_scalar(&ctx, &w0, &w1, &h(rfc::X)).unwrap();
            let mut confirm_v = resp.confirm_v;
            confirm_v[i] ^= 0x01;
            assert_eq!(
                prover.finish(&resp.share_v, &confirm_v).unwrap_err(),
                PakeError::ConfirmationFailed
            );
        }
        let (prover, _) = Prover::start_with_scalar(&ctx, &w0, &w1, &h(rfc::X)).unwrap();
        assert!(matches!(
            prover.finish(&resp.share_v, &resp.confirm_v[..31]),
            Err(PakeError::Malformed(_))
        ));
        // The untampered value still works.
        let (prover, _) = Prover::start_with_scalar(&ctx, &w0, &w1, &h(rfc::X)).unwrap();
        prover.finish(&resp.share_v, &resp.confirm_v).unwrap();
    }

    #[test]
    fn verify_confirm_p_checks() {
        let expected = h(rfc::CONFIRM_P);
        verify_confirm_p(&expected, &expected).unwrap();
        for i in 0..32 {
            let mut received = expected.clone();
            received[i] ^= 0x80;
            assert_eq!(
                verify_confirm_p(&expected, &received),
                Err(PakeError::ConfirmationFailed)
            );
        }
        assert!(matches!(
            verify_confirm_p(&expected, &expected[..31]),
            Err(PakeError::Malformed(_))
        ));
        assert!(matches!(
            verify_confirm_p(&[], &[]),
            Err(PakeError::Malformed(_))
        ));
    }

    #[test]
    fn verifier_record_from_parts_validates() {
        let (w0, w1) = rfc_secrets();
        let record = VerifierRecord::from_parts(&h(rfc::W0), &h(rfc::L)).unwrap();
        assert_eq!(record.l, registration_record(&w0, &w1).l);
        assert_eq!(record.w0.to_bytes().to_vec(), h(rfc::W0));

        assert!(matches!(
            VerifierRecord::from_parts(&[0u8; 32], &h(rfc::L)),
            Err(PakeError::Malformed(_))
        ));
        for bad_l in invalid_shares() {
            assert!(matches!(
                VerifierRecord::from_parts(&h(rfc::W0), &bad_l),
                Err(PakeError::Malformed(_))
            ));
        }

        // A record built by hand with a bad L is refused at use.
        let (_, share_p) = Prover::start(&rfc_ctx(), &w0, &w1);
        let bad = VerifierRecord {
            w0: w0.clone(),
            l: [0u8; 65],
        };
        assert!(matches!(
            verifier_respond(&rfc_ctx(), &bad, &share_p),
            Err(PakeError::Malformed(_))
        ));
    }

    #[test]
    fn start_with_scalar_rejects_bad_x() {
        let (w0, w1) = rfc_secrets();
        for x in [vec![0u8; 32], h(ORDER), vec![1u8; 31]] {
            assert!(matches!(
                Prover::start_with_scalar(&rfc_ctx(), &w0, &w1, &x),
                Err(PakeError::Malformed(_))
            ));
        }
        let record = registration_record(&w0, &w1);
        assert!(matches!(
            verifier_respond_with_scalar(&rfc_ctx(), &record, &h(rfc::SHARE_P), &[0u8; 32]),
            Err(PakeError::Malformed(_))
        ));
    }

    #[test]
    fn debug_output_is_redacted() {
        let (w0, w1) = rfc_secrets();
        let w0_hex = rfc::W0;
        let w0_dec = format!("{:?}", &h(rfc::W0)[..4]);
        let w0_dec = w0_dec.trim_end_matches(']');

        let shown = format!("{w0:?}");
        assert!(shown.contains("redacted"));
        assert!(!shown.to_lowercase().contains(&w0_hex[..8]));
        assert!(!shown.contains(w0_dec));

        let (prover, _) = Prover::start_with_scalar(&rfc_ctx(), &w0, &w1, &h(rfc::X)).unwrap();
        let record = registration_record(&w0, &w1);
        let resp = verifier_respond_with_scalar(&rfc_ctx(), &record, &h(rfc::SHARE_P), &h(rfc::Y))
            .unwrap();
        let fin_dbg = {
            let (p2, _) = Prover::start_with_scalar(&rfc_ctx(), &w0, &w1, &h(rfc::X)).unwrap();
            format!("{:?}", p2.finish(&resp.share_v, &resp.confirm_v).unwrap())
        };
        let key_dec = format!("{:?}", &h(rfc::K_SHARED)[..4]);
        let key_dec = key_dec.trim_end_matches(']');
        let x_dec = format!("{:?}", &h(rfc::X)[..4]);
        let x_dec = x_dec.trim_end_matches(']');
        for shown in [
            format!("{prover:?}"),
            format!("{record:?}"),
            format!("{resp:?}"),
            fin_dbg,
        ] {
            let lower = shown.to_lowercase();
            assert!(shown.contains("redacted"), "{shown}");
            for secret in [rfc::W0, rfc::W1, rfc::X, rfc::K_SHARED] {
                assert!(!lower.contains(&secret[..8]), "{shown}");
            }
            for secret in [w0_dec, key_dec, x_dec] {
                assert!(!shown.contains(secret), "{shown}");
            }
        }
    }

    #[test]
    fn error_messages_carry_no_values() {
        assert_eq!(
            PakeError::InvalidShare.to_string(),
            "the peer's PAKE share is not a valid P-256 point"
        );
        assert_eq!(
            PakeError::ConfirmationFailed.to_string(),
            "the PAKE confirmation did not match (wrong PIN or tampered exchange)"
        );
        assert_eq!(
            PakeError::Malformed("confirmP must be 32 bytes").to_string(),
            "malformed PAKE value: confirmP must be 32 bytes"
        );
    }
}
