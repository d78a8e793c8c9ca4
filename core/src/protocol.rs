//! Wire messages between device, service and requester (protocol version 1).
//!
//! Every message is a JSON object sent with `POST` to a versioned path (see
//! [`paths`]); byte fields are unpadded base64url; unknown fields are refused.
//! Messages a device sends are signed over their canonical bytes (see
//! [`crate::encoding`]), each kind under its own domain tag. docs/PROTOCOL.md
//! is the full description.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::approval::{Decision, Evidence};
use crate::encoding::{b64, CanonicalWriter};
use crate::request::{Action, LocalizedText};

/// The protocol version these types implement; it is the `v1` in every path
/// and every domain tag.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest message body either side accepts, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Default and largest request lifetime, in seconds.
pub const MAX_TTL_SECONDS: u32 = 300;
/// Smallest request lifetime a requester may ask for, in seconds.
pub const MIN_TTL_SECONDS: u32 = 30;

/// The paths of protocol version 1. All take `POST` with a JSON body.
pub mod paths {
    /// Requester: start a request.
    pub const CREATE_REQUEST: &str = "/v1/requests/create";
    /// Requester: see a request's status.
    pub const POLL_REQUEST: &str = "/v1/requests/poll";
    /// Requester: withdraw a pending request.
    pub const CANCEL_REQUEST: &str = "/v1/requests/cancel";
    /// Device: enroll with an activation code.
    pub const ACTIVATE: &str = "/v1/device/activate";
    /// Device: fetch pending requests.
    pub const PENDING: &str = "/v1/device/pending";
    /// Device: start the SPAKE2+ PIN proof for a request.
    pub const PIN_START: &str = "/v1/device/pin-start";
    /// Device: submit a signed decision.
    pub const DECIDE: &str = "/v1/device/decide";
    /// Operator: create an identity.
    pub const OPERATOR_CREATE_IDENTITY: &str = "/v1/operator/identities/create";
    /// Operator: issue an activation code.
    pub const OPERATOR_ISSUE_CODE: &str = "/v1/operator/activation-codes/issue";
}

// ---------------------------------------------------------------- requester

/// Requester → service: ask the owner of `user_id` to take `action`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// The user ID the person typed on the requester's page.
    pub user_id: String,
    /// Stable id of the requester, `[a-z0-9._-]{1,64}`.
    pub requester_id: String,
    /// Name shown to the owner.
    pub requester_name: String,
    /// The action verb.
    pub action: Action,
    /// Texts, one per language (header ≤ 60, body ≤ 130 characters).
    pub texts: Vec<LocalizedText>,
    /// Lifetime in seconds, 30 to 300; 300 when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_seconds: Option<u32>,
}

/// Service → requester: the request exists (or seems to: an unknown user ID
/// gets the very same answer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequestResponse {
    /// The request's id.
    pub request_id: String,
    /// Absolute expiry by the service's clock.
    pub expires_at_ms: i64,
    /// Secret handle for polling and cancelling.
    pub poll_handle: String,
    /// The service's clock when it answered.
    pub server_time_ms: i64,
}

/// Requester → service: poll or cancel by handle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollRequest {
    /// The handle from [`CreateRequestResponse`].
    pub poll_handle: String,
}

/// A request's status, as requester and device see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Waiting for the owner.
    Pending,
    /// The owner approved with the PIN.
    Approved,
    /// The owner declined.
    Rejected,
    /// The owner declined and reported that they did not start it.
    Reported,
    /// Nobody decided within its lifetime.
    Expired,
    /// The requester withdrew it.
    Cancelled,
}

impl RequestStatus {
    /// Stable wire name (also the value stored by the reference service).
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Approved => "approved",
            RequestStatus::Rejected => "rejected",
            RequestStatus::Reported => "reported",
            RequestStatus::Expired => "expired",
            RequestStatus::Cancelled => "cancelled",
        }
    }

    /// Parse a wire name.
    pub fn from_wire(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => RequestStatus::Pending,
            "approved" => RequestStatus::Approved,
            "rejected" => RequestStatus::Rejected,
            "reported" => RequestStatus::Reported,
            "expired" => RequestStatus::Expired,
            "cancelled" => RequestStatus::Cancelled,
            _ => return None,
        })
    }

    /// The status a decision leads to.
    pub fn for_decision(d: Decision) -> Self {
        match d {
            Decision::Approve => RequestStatus::Approved,
            Decision::Reject => RequestStatus::Rejected,
            Decision::Report => RequestStatus::Reported,
        }
    }
}

/// Service → requester: the request's status, with the device's signed
/// evidence once it is decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollResponse {
    /// The request's id.
    pub request_id: String,
    /// Its status now.
    pub status: RequestStatus,
    /// Absolute expiry.
    pub expires_at_ms: i64,
    /// The service's clock when it answered.
    pub server_time_ms: i64,
    /// The device's signature and statement, for approved, rejected and reported requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Evidence>,
}

// ------------------------------------------------------------------- device

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
    #[serde(with = "b64")]
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

/// Device → service: start the PIN proof for one request with SPAKE2+ shareP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinStart {
    /// The request the PIN will approve.
    pub request_id: String,
    /// SPAKE2+ shareP (65 bytes).
    #[serde(with = "b64")]
    pub share_p: Vec<u8>,
}

impl SignedBody for PinStart {
    const DOMAIN: &'static str = "akuersi/v1/device/pin-start";
    fn encode_fields(&self, w: &mut CanonicalWriter) {
        w.str(&self.request_id).bytes(&self.share_p);
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
    #[serde(with = "b64")]
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

/// The SPAKE2+ verifier record a device registers: w0 and L = w1·P.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VerifierRegistration {
    /// w0, 32 bytes big-endian.
    #[serde(with = "b64")]
    pub w0: Vec<u8>,
    /// L, 65 bytes uncompressed SEC1.
    #[serde(with = "b64")]
    pub l: Vec<u8>,
    /// PBKDF2 iterations the device used (the service keeps them for the record).
    pub kdf_iterations: u32,
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
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

impl Activate {
    /// Domain tag of the activation message.
    pub const DOMAIN: &'static str = "akuersi/v1/device/activate";

    /// Canonical bytes covered by the proof-of-possession signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut w = CanonicalWriter::new(Self::DOMAIN);
        w.str(&self.user_id)
            .str(&self.activation_code)
            .str(&self.device_id)
            .bytes(&self.device_public_key)
            .str(&self.device_name)
            .str(&self.platform)
            .bytes(&self.verifier.w0)
            .bytes(&self.verifier.l)
            .u32(self.verifier.kdf_iterations);
        w.finish()
    }
}

/// Service → device: the device is active.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivateResponse {
    /// The identity the device now belongs to.
    pub identity_id: String,
    /// The device's id, echoed.
    pub device_id: String,
    /// The service's clock.
    pub server_time_ms: i64,
}

// ----------------------------------------------------------------- operator

/// Operator → service: create an identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIdentity {
    /// Operator token given to the service at start-up.
    pub token: String,
    /// The owner's chosen user ID.
    pub user_id: String,
}

/// Service → operator: the identity exists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateIdentityResponse {
    /// The new identity's id.
    pub identity_id: String,
}

/// How an activation code reaches the owner; it sets the code's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodeChannel {
    /// Printed on paper at a service desk: valid 48 hours.
    Paper,
    /// Sent by SMS: valid 30 minutes.
    Sms,
}

impl CodeChannel {
    /// How long a code sent this way stays valid, in milliseconds.
    pub fn lifetime_ms(self) -> i64 {
        match self {
            CodeChannel::Paper => 48 * 3600 * 1000,
            CodeChannel::Sms => 30 * 60 * 1000,
        }
    }
}

/// Operator → service: issue an activation code for a user ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueActivationCode {
    /// Operator token.
    pub token: String,
    /// The owner's user ID.
    pub user_id: String,
    /// Paper or SMS.
    pub channel: CodeChannel,
}

/// Service → operator: the code, to hand to the owner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueActivationCodeResponse {
    /// The code, in groups of four characters.
    pub code: String,
    /// When it lapses.
    pub expires_at_ms: i64,
}

// ------------------------------------------------------------------- errors

/// Machine-readable error codes, stable across versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not valid JSON, a missing or unknown field, or a bad value encoding.
    Malformed,
    /// Body over [`MAX_MESSAGE_BYTES`].
    TooLarge,
    /// No such path.
    UnknownPath,
    /// The user ID breaks the user-ID rules.
    InvalidUserId,
    /// Requester name or texts break the text rules.
    InvalidText,
    /// The ttl is outside 30–300 seconds.
    InvalidTtl,
    /// The activation code is wrong, used, lapsed, or the user ID is unknown.
    InvalidActivationCode,
    /// The activation code was tried wrongly too often.
    ActivationCodeBlocked,
    /// The identity already has the most active devices allowed.
    DeviceLimit,
    /// This device id is already enrolled.
    DeviceExists,
    /// The user ID is taken.
    IdentityExists,
    /// The device is not known or not active.
    UnknownDevice,
    /// A device signature did not verify.
    BadSignature,
    /// A device message's sequence number was not above the last one seen.
    Replayed,
    /// No such request (for this device).
    RequestNotFound,
    /// The request's lifetime is over.
    RequestExpired,
    /// Someone already decided the request.
    AlreadyDecided,
    /// The requester withdrew the request.
    RequestCancelled,
    /// The identity already has a pending request.
    PendingRequestExists,
    /// The PIN proof failed.
    WrongPin,
    /// Too many wrong PINs: the device is suspended for a while.
    DeviceSuspended,
    /// Too many wrong PINs: the device is blocked until re-activated.
    DeviceBlocked,
    /// The PIN-proof session is unknown, used, lapsed, or for another request.
    PinSessionInvalid,
    /// An approval came without a PIN proof.
    PinRequired,
    /// Wrong or missing operator token.
    Unauthorized,
    /// Something failed inside the service; nothing was changed.
    Internal,
}

/// The JSON body of every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// What went wrong, for programs.
    pub code: ErrorCode,
    /// What went wrong, for people (English).
    pub message: String,
    /// For `wrong_pin`: attempts left before the device is blocked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts_left: Option<u32>,
    /// For `device_suspended`: when the suspension ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_are_refused() {
        let ok = r#"{"poll_handle":"abc"}"#;
        assert!(serde_json::from_str::<PollRequest>(ok).is_ok());
        let extra = r#"{"poll_handle":"abc","admin":true}"#;
        assert!(serde_json::from_str::<PollRequest>(extra).is_err());
    }

    #[test]
    fn signed_bytes_are_domain_separated() {
        let p = PendingQuery {};
        let s = PinStart {
            request_id: String::new(),
            share_p: vec![],
        };
        let a = DeviceSigned::signed_bytes("dev", 1, &p);
        let b = DeviceSigned::signed_bytes("dev", 1, &s);
        assert_ne!(a, b);
        assert_ne!(a, DeviceSigned::signed_bytes("dev", 2, &p));
    }

    #[test]
    fn status_names_round_trip() {
        for s in [
            RequestStatus::Pending,
            RequestStatus::Approved,
            RequestStatus::Rejected,
            RequestStatus::Reported,
            RequestStatus::Expired,
            RequestStatus::Cancelled,
        ] {
            assert_eq!(RequestStatus::from_wire(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
    }
}
