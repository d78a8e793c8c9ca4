//! Activation with a code, and adding a device from an existing one.

use serde::{Deserialize, Serialize};

use super::device::PakeProof;
use zeroize::Zeroizing;

use crate::encoding::{b64, b64_secret, CanonicalWriter};

/// The SPAKE2+ verifier record a device registers: w0 and L = w1·P. Both
/// are derived from the PIN, so both live in zeroizing buffers (wiped when
/// dropped, also in their JSON form) and `Debug` shows neither.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierRegistration {
    /// w0, 32 bytes big-endian.
    #[serde(with = "b64_secret")]
    pub w0: Zeroizing<Vec<u8>>,
    /// L, 65 bytes uncompressed SEC1.
    #[serde(with = "b64_secret")]
    pub l: Zeroizing<Vec<u8>>,
    /// PBKDF2 iterations the device used (the service keeps them for the record).
    pub kdf_iterations: u32,
}

impl std::fmt::Debug for VerifierRegistration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifierRegistration")
            .field("w0", &"[redacted]")
            .field("l", &"[redacted]")
            .field("kdf_iterations", &self.kdf_iterations)
            .finish()
    }
}

impl VerifierRegistration {
    /// Append the verifier in canonical form: w0, L, iterations.
    pub fn encode(&self, w: &mut CanonicalWriter) {
        w.bytes(&self.w0).bytes(&self.l).u32(self.kdf_iterations);
    }
}

/// Device → service: enroll this device with an activation code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Activate {
    /// The owner's user ID.
    pub user_id: String,
    /// The activation code as typed.
    pub activation_code: String,
    /// The new device's id (derived from its public key).
    pub device_id: String,
    /// The new device's public key (65 bytes).
    #[serde(with = "b64")]
    pub device_public_key: Vec<u8>,
    /// A name the owner recognises ("Aviaja's phone").
    pub device_name: String,
    /// Platform label ("android", "ios", "desktop").
    pub platform: String,
    /// The PIN verifier.
    pub verifier: VerifierRegistration,
    /// Proof of possession: signature over [`Activate::signed_bytes`].
    #[serde(with = "crate::encoding::b64_signature")]
    pub signature: Vec<u8>,
}

impl Activate {
    /// Domain tag of the activation message.
    pub const DOMAIN: &'static str = "akuersi/v1/device/activate";

    /// Canonical bytes covered by the proof-of-possession signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut w = CanonicalWriter::new(Self::DOMAIN);
        w.str(&self.user_id).str(&self.activation_code);
        encode_new_device(
            &mut w,
            &self.device_id,
            &self.device_public_key,
            &self.device_name,
            &self.platform,
            &self.verifier,
        );
        w.finish()
    }
}

/// The fields every enrolling device signs, in this order: its id, public
/// key, name, platform and PIN verifier.
fn encode_new_device(
    w: &mut CanonicalWriter,
    device_id: &str,
    public_key: &[u8],
    name: &str,
    platform: &str,
    verifier: &VerifierRegistration,
) {
    w.str(device_id).bytes(public_key).str(name).str(platform);
    verifier.encode(w);
}

/// Service → device: the device is active.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivateResponse {
    /// The identity the device now belongs to.
    pub identity_id: String,
    /// The device's id, echoed.
    pub device_id: String,
    /// The service's public key (65 bytes), which signs activity-log heads.
    #[serde(with = "b64")]
    pub service_public_key: Vec<u8>,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Device → service: start adding a new device (PIN proof with purpose `add_device`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StartAddition {
    /// The PIN proof.
    pub pake: PakeProof,
}
signed_body!(StartAddition, "akuersi/v1/device/addition/start", |s, w| {
    s.pake.encode(w);
});

/// Device → service: veto an addition during its waiting period (no PIN needed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VetoAddition {
    /// The addition to stop.
    pub addition_id: String,
}
signed_body!(VetoAddition, "akuersi/v1/device/addition/veto", |s, w| {
    w.str(&s.addition_id);
});

/// Device → service: after the wait, ask for the one-time pairing payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PairingOffer {
    /// The addition this device started.
    pub addition_id: String,
}
signed_body!(
    PairingOffer,
    "akuersi/v1/device/addition/pairing",
    |s, w| {
        w.str(&s.addition_id);
    }
);

/// Service → device: the one-time pairing payload to show as a QR code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct PairingPayloadResponse {
    /// `AKUERSI-PAIR:1:<addition id>:<base64url 16-byte secret>`.
    pub payload: String,
    /// When it lapses (3 minutes after issue).
    pub expires_at_ms: i64,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Prefix of a pairing payload (the text in the QR code).
pub const PAIRING_PREFIX: &str = "AKUERSI-PAIR:1:";

/// The pairing payload for an addition and its 16-byte secret:
/// `AKUERSI-PAIR:1:<addition id>:<base64url secret>`.
pub fn pairing_payload(addition_id: &str, secret: &[u8]) -> String {
    format!(
        "{PAIRING_PREFIX}{addition_id}:{}",
        crate::encoding::b64_encode(secret)
    )
}

/// Split a pairing payload into (addition id, 16-byte secret); `None` if it is not one.
pub fn parse_pairing_payload(payload: &str) -> Option<(String, zeroize::Zeroizing<[u8; 16]>)> {
    let rest = payload.trim().strip_prefix(PAIRING_PREFIX)?;
    let (id, secret) = rest.split_once(':')?;
    if !crate::crypto::is_hex_id(id) {
        return None;
    }
    let bytes = zeroize::Zeroizing::new(crate::encoding::b64_decode(secret).ok()?);
    let mut out = zeroize::Zeroizing::new([0u8; 16]);
    if bytes.len() != 16 {
        return None;
    }
    out.copy_from_slice(&bytes);
    Some((id.to_owned(), out))
}

/// The HMAC-SHA256 under the pairing secret that proves a new device saw the payload.
pub fn pairing_proof(secret: &[u8], signed_bytes: &[u8]) -> Vec<u8> {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    ring::hmac::sign(&key, signed_bytes).as_ref().to_vec()
}

/// New device → service: join the identity with a pairing payload. Signed by
/// the new device's key (proof of possession) and carrying an HMAC under the
/// pairing secret (proof the payload was seen).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompletePairing {
    /// The addition, from the payload.
    pub addition_id: String,
    /// The new device's id.
    pub device_id: String,
    /// The new device's public key.
    #[serde(with = "b64")]
    pub device_public_key: Vec<u8>,
    /// Its name.
    pub device_name: String,
    /// Platform label.
    pub platform: String,
    /// The new device's own PIN verifier.
    pub verifier: VerifierRegistration,
    /// HMAC-SHA256 under the pairing secret over [`CompletePairing::signed_bytes`].
    #[serde(with = "b64")]
    pub pairing_proof: Vec<u8>,
    /// Signature by the new device's key over [`CompletePairing::signed_bytes`].
    #[serde(with = "crate::encoding::b64_signature")]
    pub signature: Vec<u8>,
}

impl CompletePairing {
    /// Domain tag.
    pub const DOMAIN: &'static str = "akuersi/v1/device/addition/complete";

    /// Canonical bytes covered by both the HMAC and the signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut w = CanonicalWriter::new(Self::DOMAIN);
        w.str(&self.addition_id);
        encode_new_device(
            &mut w,
            &self.device_id,
            &self.device_public_key,
            &self.device_name,
            &self.platform,
            &self.verifier,
        );
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zeroize::ZeroizeOnDrop;

    /// Compile-time: the verifier's fields wipe themselves on drop.
    const _: fn(&VerifierRegistration) = |v| {
        fn zeroized_on_drop<T: ZeroizeOnDrop>(_: &T) {}
        zeroized_on_drop(&v.w0);
        zeroized_on_drop(&v.l);
    };

    #[test]
    fn the_verifier_keeps_its_json_form_and_hides_itself_from_debug() {
        let v = VerifierRegistration {
            w0: Zeroizing::new(vec![0xfb; 32]),
            l: Zeroizing::new(vec![0x04; 65]),
            kdf_iterations: 1_000,
        };
        let json = crate::transport::json_exact(&v).unwrap();
        assert_eq!(json.capacity(), json.len(), "one exact allocation");
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["w0"], crate::encoding::b64_encode(&[0xfb; 32]));
        assert_eq!(value["l"], crate::encoding::b64_encode(&[0x04; 65]));
        assert_eq!(value["kdf_iterations"], 1_000);
        let back: VerifierRegistration = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, v);
        let shown = format!("{v:?}");
        assert!(!shown.contains("251") && !shown.contains("fb"), "{shown}");
        assert!(shown.contains("redacted"), "{shown}");
    }
}
