//! Device ↔ service: the signed envelope, pending requests, channel binding,
//! the PIN proof and the decision.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::requester::{ChannelBindingKind, RequestStatus};
use crate::approval::{Decision, PakeBinding};
use crate::encoding::{b64, CanonicalWriter};
use crate::request::{Action, Amount, LocalizedText};

/// A device message body that is signed inside a [`DeviceSigned`] envelope.
pub trait SignedBody: Serialize + DeserializeOwned {
    /// The domain tag of this kind of message.
    const DOMAIN: &'static str;
    /// Append the body's fields in canonical form.
    fn encode_fields(&self, w: &mut CanonicalWriter);
}

/// A device message: the body plus who sends it, a per-device sequence number
/// that must grow with every message (so none can be replayed), and an ECDSA
/// P-256 signature over [`DeviceSigned::signed_bytes`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSigned<T> {
    /// The sending device.
    pub device_id: String,
    /// Strictly greater than any sequence number this device sent before.
    pub seq: u64,
    /// The message.
    pub body: T,
    /// Signature (r ‖ s) over the canonical bytes.
    #[serde(with = "crate::encoding::b64_signature")]
    pub signature: Vec<u8>,
}

impl<T: SignedBody> DeviceSigned<T> {
    /// Canonical bytes: domain tag, device id, sequence number, body fields.
    pub fn signed_bytes(device_id: &str, seq: u64, body: &T) -> Vec<u8> {
        let mut w = CanonicalWriter::new(T::DOMAIN);
        w.str(device_id).u64(seq);
        body.encode_fields(&mut w);
        w.finish()
    }
}

/// Device → service: "what is pending for me?" (signed, empty body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingQuery {}

impl SignedBody for PendingQuery {
    const DOMAIN: &'static str = "akuersi/v1/device/pending";
    fn encode_fields(&self, _w: &mut CanonicalWriter) {}
}

/// One pending request as the device receives it: everything it will show and sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingRequest {
    /// The request's id.
    pub request_id: String,
    /// The service's random nonce (32 bytes).
    #[serde(with = "b64")]
    pub nonce: Vec<u8>,
    /// Requester id.
    pub requester_id: String,
    /// Requester display name.
    pub requester_name: String,
    /// The action verb.
    pub action: Action,
    /// Every language's text, sorted by language.
    pub texts: Vec<LocalizedText>,
    /// When it was created, by the service's clock.
    pub created_at_ms: i64,
    /// Absolute expiry, by the service's clock.
    pub expires_at_ms: i64,
    /// The channel binding the requester asked for, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_binding: Option<ChannelBindingKind>,
    /// Amount to show (rendered by the app), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// Account number to show, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
    /// Requests from this requester in the last 24 hours that the owner
    /// rejected, reported or let lapse (push-fatigue warning from 2 on).
    #[serde(default)]
    pub recent_declined: u32,
    /// PIN attempts on any of the identity's devices that did not end in a
    /// correct proof (wrong, or started and never finished) since this
    /// device's last correct PIN; the app shows "N wrong PIN attempts since
    /// your last approval" before the next approval. Not part of what the
    /// device signs.
    #[serde(default)]
    pub failed_pin_attempts: u32,
}

/// Device → service: the channel-binding answer the owner typed or scanned.
/// Wrong answers are counted: 3 cancel the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelCheck {
    /// The request.
    pub request_id: String,
    /// The 4-digit code or the scanned QR value.
    pub answer: String,
}

impl SignedBody for ChannelCheck {
    const DOMAIN: &'static str = "akuersi/v1/device/channel-check";
    fn encode_fields(&self, w: &mut CanonicalWriter) {
        w.str(&self.request_id).str(&self.answer);
    }
}

/// Service → device: pending requests and the service's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingResponse {
    /// The service's clock when it answered.
    pub server_time_ms: i64,
    /// Pending, unexpired requests for this device's identity (at most one today).
    pub requests: Vec<PendingRequest>,
}

/// What a PIN proof authorizes. A PIN-proof session is bound to one purpose
/// and one device, and is used up by the message it authorizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", try_from = "PurposeFields")]
pub enum PinPurpose {
    /// Approve this request.
    Request {
        /// The request.
        request_id: String,
    },
    /// Start adding a new device to the identity.
    AddDevice,
    /// Remove a device of the identity.
    RemoveDevice {
        /// The device to remove.
        device_id: String,
    },
    /// Lift a freeze (one of two proofs).
    Unfreeze,
    /// Change the user ID.
    ChangeUserId,
    /// Change the contact data (phone, e-mail).
    ChangeContact,
    /// Change notification settings.
    ChangeSettings,
    /// Choose a new PIN (proved with the old one).
    ChangePin,
}

/// A purpose as read from JSON, before [`PinPurpose`] checks that it has
/// exactly the fields of its kind: serde's tagged enums let a kind without
/// fields of its own (`add_device`, …) carry any extra field unnoticed.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PurposeFields {
    kind: String,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    device_id: Option<String>,
}

impl TryFrom<PurposeFields> for PinPurpose {
    type Error = String;

    fn try_from(f: PurposeFields) -> Result<Self, String> {
        let purpose = match (f.kind.as_str(), f.request_id, f.device_id) {
            ("request", Some(request_id), None) => PinPurpose::Request { request_id },
            ("remove_device", None, Some(device_id)) => PinPurpose::RemoveDevice { device_id },
            ("add_device", None, None) => PinPurpose::AddDevice,
            ("unfreeze", None, None) => PinPurpose::Unfreeze,
            ("change_user_id", None, None) => PinPurpose::ChangeUserId,
            ("change_contact", None, None) => PinPurpose::ChangeContact,
            ("change_settings", None, None) => PinPurpose::ChangeSettings,
            ("change_pin", None, None) => PinPurpose::ChangePin,
            (
                kind @ ("request" | "remove_device" | "add_device" | "unfreeze" | "change_user_id"
                | "change_contact" | "change_settings" | "change_pin"),
                ..,
            ) => {
                return Err(format!(
                    "a purpose of kind {kind} has a missing or unexpected field"
                ))
            }
            (kind, ..) => return Err(format!("unknown purpose kind {kind:?}")),
        };
        Ok(purpose)
    }
}

impl PinPurpose {
    /// Stable wire name of the purpose.
    pub fn kind(&self) -> &'static str {
        match self {
            PinPurpose::Request { .. } => "request",
            PinPurpose::AddDevice => "add_device",
            PinPurpose::RemoveDevice { .. } => "remove_device",
            PinPurpose::Unfreeze => "unfreeze",
            PinPurpose::ChangeUserId => "change_user_id",
            PinPurpose::ChangeContact => "change_contact",
            PinPurpose::ChangeSettings => "change_settings",
            PinPurpose::ChangePin => "change_pin",
        }
    }

    /// Append the purpose in canonical form: its kind, then its field if any.
    pub fn encode(&self, w: &mut CanonicalWriter) {
        w.str(self.kind());
        match self {
            PinPurpose::Request { request_id } => {
                w.str(request_id);
            }
            PinPurpose::RemoveDevice { device_id } => {
                w.str(device_id);
            }
            _ => {}
        }
    }
}

/// The SPAKE2+ context for a PIN proof that is not for a request: binds the
/// proof to the device and the purpose.
pub fn operation_pake_context(device_id: &str, purpose: &PinPurpose) -> Vec<u8> {
    let mut w = CanonicalWriter::new("akuersi/v1/pake-context/operation");
    w.str(device_id);
    purpose.encode(&mut w);
    w.finish()
}

/// Device → service: start a PIN proof with SPAKE2+ shareP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinStart {
    /// What the PIN will authorize.
    pub purpose: PinPurpose,
    /// SPAKE2+ shareP (65 bytes).
    #[serde(with = "b64")]
    pub share_p: Vec<u8>,
}

impl SignedBody for PinStart {
    const DOMAIN: &'static str = "akuersi/v1/device/pin-start";
    fn encode_fields(&self, w: &mut CanonicalWriter) {
        self.purpose.encode(w);
        w.bytes(&self.share_p);
    }
}

/// Service → device: SPAKE2+ shareV and confirmV. The attempt is already
/// counted against the device when this is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinStartResponse {
    /// Id of this PIN-proof session (single use).
    pub session_id: String,
    /// SPAKE2+ shareV (65 bytes).
    #[serde(with = "b64")]
    pub share_v: Vec<u8>,
    /// SPAKE2+ confirmV (32 bytes).
    #[serde(with = "b64")]
    pub confirm_v: Vec<u8>,
    /// Attempts left before the device is blocked, if this one fails.
    pub attempts_left: u32,
    /// The service's clock.
    pub server_time_ms: i64,
}

impl PinStartResponse {
    /// For a device that sent `share_p` and answered with `confirm_p`: the
    /// public part of the exchange an approval is bound to, and the proof
    /// sent with the decision.
    pub fn binding_and_proof(
        &self,
        share_p: &[u8],
        confirm_p: Vec<u8>,
    ) -> (PakeBinding, PakeProof) {
        (
            PakeBinding {
                session_id: self.session_id.clone(),
                share_p: share_p.to_vec(),
                share_v: self.share_v.clone(),
            },
            PakeProof {
                session_id: self.session_id.clone(),
                confirm_p,
            },
        )
    }
}

/// Device → service: the PIN proof failed here (confirmV did not match, so
/// the PIN was wrong). The attempt is already counted; this report closes the
/// session so the service can log it and tell the owner about a suspension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinFailed {
    /// The session from [`PinStartResponse`].
    pub session_id: String,
}

impl SignedBody for PinFailed {
    const DOMAIN: &'static str = "akuersi/v1/device/pin-failed";
    fn encode_fields(&self, w: &mut CanonicalWriter) {
        w.str(&self.session_id);
    }
}

/// Service → device: the device's PIN counters after a failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinFailedResponse {
    /// Attempts left before the device is blocked.
    pub attempts_left: u32,
    /// End of the suspension this failure caused, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended_until_ms: Option<i64>,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// The device's SPAKE2+ confirmation, sent with an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PakeProof {
    /// The session from [`PinStartResponse`].
    pub session_id: String,
    /// SPAKE2+ confirmP (32 bytes).
    #[serde(with = "b64")]
    pub confirm_p: Vec<u8>,
}

/// Device → service: a decision, signed as an [`crate::approval::ApprovalStatement`].
/// The service rebuilds the statement from its own copy of the request, so the
/// signature only verifies if the device saw exactly what the service holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    /// The deciding device.
    pub device_id: String,
    /// The request.
    pub request_id: String,
    /// The decision.
    pub decision: Decision,
    /// The PIN proof; required for approvals, absent otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pake: Option<PakeProof>,
    /// Channel-binding answer, when the request asked for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_binding: Option<String>,
    /// Signature (r ‖ s) over the statement's canonical bytes.
    #[serde(with = "crate::encoding::b64_signature")]
    pub signature: Vec<u8>,
}

/// Service → device: the decision is recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecideResponse {
    /// The request.
    pub request_id: String,
    /// Its new status.
    pub status: RequestStatus,
    /// When the service recorded it.
    pub decided_at_ms: i64,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// The SPAKE2+ context string for a request's PIN proof: binds the proof to
/// that one request (its id and nonce).
pub fn pake_context(request_id: &str, nonce: &[u8]) -> Vec<u8> {
    let mut w = CanonicalWriter::new("akuersi/v1/pake-context");
    w.str(request_id).bytes(nonce);
    w.finish()
}

impl PakeProof {
    /// Append the proof in canonical form.
    pub fn encode(&self, w: &mut CanonicalWriter) {
        w.str(&self.session_id).bytes(&self.confirm_p);
    }
}
