//! Wire messages between device, service and requester (protocol version 1).
//!
//! Every message is a JSON object sent with `POST` to a versioned path (see
//! [`paths`]); byte fields are unpadded base64url; unknown fields are refused.
//! Messages a device sends are signed over their canonical bytes (see
//! [`akuersi_protocol::encoding`]), each kind under its own domain tag. docs/PROTOCOL.md
//! is the full description.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use akuersi_protocol::approval::{Decision, Evidence};
use akuersi_protocol::encoding::{b64, CanonicalWriter};
use akuersi_protocol::request::{Action, Amount, LocalizedText};

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
    /// Device: check a channel-binding answer.
    pub const CHANNEL_CHECK: &str = "/v1/device/channel-check";
    /// Device: report a PIN proof that failed on the device.
    pub const PIN_FAILED: &str = "/v1/device/pin-failed";
    /// Device: submit a signed decision.
    pub const DECIDE: &str = "/v1/device/decide";
    /// Device: the identity's devices.
    pub const DEVICES: &str = "/v1/device/devices";
    /// Device: rename a device.
    pub const RENAME_DEVICE: &str = "/v1/device/devices/rename";
    /// Device: remove a device (PIN).
    pub const REMOVE_DEVICE: &str = "/v1/device/devices/remove";
    /// Device: freeze the identity (no PIN).
    pub const FREEZE: &str = "/v1/device/freeze";
    /// Device: one proof towards unfreezing (PIN).
    pub const UNFREEZE: &str = "/v1/device/unfreeze";
    /// Device: the identity's state.
    pub const STATUS: &str = "/v1/device/status";
    /// Device: start adding a device (PIN).
    pub const ADDITION_START: &str = "/v1/device/addition/start";
    /// Device: veto an addition.
    pub const ADDITION_VETO: &str = "/v1/device/addition/veto";
    /// Device: get the pairing payload after the wait.
    pub const ADDITION_PAIRING: &str = "/v1/device/addition/pairing";
    /// New device: join with a pairing payload.
    pub const ADDITION_COMPLETE: &str = "/v1/device/addition/complete";
    /// Device: app-channel notifications.
    pub const NOTIFICATIONS: &str = "/v1/device/notifications";
    /// Device: the activity log and its signed head.
    pub const ACTIVITY: &str = "/v1/device/activity";
    /// Device: change the user ID (PIN).
    pub const CHANGE_USER_ID: &str = "/v1/device/user-id";
    /// Device: change contact data (PIN).
    pub const CHANGE_CONTACT: &str = "/v1/device/contact";
    /// Device: change settings (PIN).
    pub const CHANGE_SETTINGS: &str = "/v1/device/settings";
    /// Device: change the PIN (old PIN).
    pub const CHANGE_PIN: &str = "/v1/device/pin";
    /// Operator: freeze or unfreeze an identity.
    pub const OPERATOR_FREEZE: &str = "/v1/operator/freeze";
    /// Operator: set contact data.
    pub const OPERATOR_SET_CONTACT: &str = "/v1/operator/contact";
    /// Operator: read the notification outbox.
    pub const OPERATOR_OUTBOX: &str = "/v1/operator/outbox";
    /// Operator: create an identity.
    pub const OPERATOR_CREATE_IDENTITY: &str = "/v1/operator/identities/create";
    /// Operator: issue an activation code.
    pub const OPERATOR_ISSUE_CODE: &str = "/v1/operator/activation-codes/issue";

    /// Every path of protocol v1, in a fixed order (tests and fuzzers walk it).
    pub const ALL: [&str; 30] = [
        CREATE_REQUEST,
        POLL_REQUEST,
        CANCEL_REQUEST,
        ACTIVATE,
        PENDING,
        PIN_START,
        CHANNEL_CHECK,
        PIN_FAILED,
        DECIDE,
        DEVICES,
        RENAME_DEVICE,
        REMOVE_DEVICE,
        FREEZE,
        UNFREEZE,
        STATUS,
        ADDITION_START,
        ADDITION_VETO,
        ADDITION_PAIRING,
        ADDITION_COMPLETE,
        NOTIFICATIONS,
        ACTIVITY,
        CHANGE_USER_ID,
        CHANGE_CONTACT,
        CHANGE_SETTINGS,
        CHANGE_PIN,
        OPERATOR_FREEZE,
        OPERATOR_SET_CONTACT,
        OPERATOR_OUTBOX,
        OPERATOR_CREATE_IDENTITY,
        OPERATOR_ISSUE_CODE,
    ];
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
    /// Ask for channel binding: the initiating screen shows a code or an
    /// animated QR value that must reach the app before it can approve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_binding: Option<ChannelBindingKind>,
    /// An amount, rendered by the app in the owner's locale (and signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Amount>,
    /// An account number (A–Z, 0–9; shown in groups of four, and signed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account: Option<String>,
}

/// How the owner proves they are at the screen that started a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
pub enum ChannelBindingKind {
    /// A 4-digit code shown on the screen, typed into the app.
    Code,
    /// An animated QR value shown on the screen, scanned by the app.
    Qr,
}

/// Prefix of an animated QR value.
pub const QR_PREFIX: &str = "AKQR1";

/// The QR value for a request at a counter: `AKQR1.<request id>.<half>.<counter>.<mac>`,
/// where half is "a" or "b" (alternating each second) and mac is the first 16
/// bytes of HMAC-SHA256(secret, canonical("akuersi/v1/qr", request id, half, counter)),
/// base64url. Only the service holds the secret.
pub fn qr_value(request_id: &str, secret: &[u8], counter: u64) -> String {
    let half = if counter.is_multiple_of(2) { "a" } else { "b" };
    let mut w = CanonicalWriter::new("akuersi/v1/qr");
    w.str(request_id).str(half).u64(counter);
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, secret);
    let tag = ring::hmac::sign(&key, &w.finish());
    format!(
        "{QR_PREFIX}.{request_id}.{half}.{counter}.{}",
        akuersi_protocol::encoding::b64_encode(&tag.as_ref()[..16])
    )
}

/// The counter in a QR value, if it is one for `request_id`.
pub fn qr_counter(value: &str, request_id: &str) -> Option<u64> {
    let mut parts = value.split('.');
    if parts.next()? != QR_PREFIX || parts.next()? != request_id {
        return None;
    }
    let _half = parts.next()?;
    parts.next()?.parse().ok()
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
    /// For channel binding by code: the 4 digits to show on the initiating screen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_code: Option<String>,
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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
    /// While pending, with channel binding by code: the code to show.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_code: Option<String>,
    /// While pending, with channel binding by QR: the value to show now
    /// (poll every second; it changes every second).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_value: Option<String>,
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
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
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

/// Device → service: a decision, signed as an [`akuersi_protocol::approval::ApprovalStatement`].
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
    /// The service's public key (65 bytes), which signs activity-log heads.
    #[serde(with = "b64")]
    pub service_public_key: Vec<u8>,
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
#[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
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

// ------------------------------------------------- identity care (devices)

macro_rules! signed_body {
    ($t:ty, $domain:literal, |$s:ident, $w:ident| $body:block) => {
        impl SignedBody for $t {
            const DOMAIN: &'static str = $domain;
            #[allow(unused_variables)]
            fn encode_fields(&self, $w: &mut CanonicalWriter) {
                let $s = self;
                $body
            }
        }
    };
}

impl PakeProof {
    /// Append the proof in canonical form.
    pub fn encode(&self, w: &mut CanonicalWriter) {
        w.str(&self.session_id).bytes(&self.confirm_p);
    }
}

/// A plain "done" answer with the service's clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ack {
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Device → service: the identity's devices (signed, empty body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceListQuery {}
signed_body!(DeviceListQuery, "akuersi/v1/device/devices", |s, w| {});

/// A device as the owner sees it in the device list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceSummary {
    /// Device id.
    pub device_id: String,
    /// Name.
    pub name: String,
    /// Platform label.
    pub platform: String,
    /// "active", "suspended" or "blocked".
    pub status: String,
    /// When it was enrolled.
    pub enrolled_at_ms: i64,
    /// When it was last used.
    pub last_used_at_ms: i64,
}

/// Service → device: the identity's active devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceListResponse {
    /// Devices, oldest first.
    pub devices: Vec<DeviceSummary>,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Device → service: rename a device of the identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RenameDevice {
    /// The device to rename (this one or another).
    pub device_id: String,
    /// The new name (1–40 visible characters).
    pub name: String,
}
signed_body!(RenameDevice, "akuersi/v1/device/rename", |s, w| {
    w.str(&s.device_id).str(&s.name);
});

/// Device → service: remove a device (PIN proof with purpose `remove_device`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RemoveDevice {
    /// The device to remove.
    pub device_id: String,
    /// Set to remove the identity's last device (it then needs a new activation code).
    pub allow_last: bool,
    /// The PIN proof.
    pub pake: PakeProof,
}
signed_body!(RemoveDevice, "akuersi/v1/device/remove", |s, w| {
    w.str(&s.device_id).u8(u8::from(s.allow_last));
    s.pake.encode(w);
});

/// Device → service: freeze the whole identity at once (no PIN needed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Freeze {}
signed_body!(Freeze, "akuersi/v1/device/freeze", |s, w| {});

/// Device → service: one proof towards lifting a freeze: this device's PIN,
/// plus optionally an activation code as the second proof. Without a code, a
/// second active device must send its own `Unfreeze` within 15 minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unfreeze {
    /// PIN proof with purpose `unfreeze`.
    pub pake: PakeProof,
    /// An activation code issued to the owner, as the second proof.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_code: Option<String>,
}
signed_body!(Unfreeze, "akuersi/v1/device/unfreeze", |s, w| {
    s.pake.encode(w);
    w.option(s.activation_code.as_ref(), |w, c| {
        w.str(c);
    });
});

/// Service → device: where the unfreeze stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnfreezeResponse {
    /// True once the identity is no longer frozen.
    pub unfrozen: bool,
    /// True when this proof was recorded and a second one is still needed.
    pub waiting_for_second_proof: bool,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Device → service: the identity's state (frozen, device additions under
/// way, channels, settings). Signed, empty body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityStatusQuery {}
signed_body!(IdentityStatusQuery, "akuersi/v1/device/status", |s, w| {});

/// A device addition under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct AdditionView {
    /// Id of the addition.
    pub addition_id: String,
    /// "waiting" (veto possible), "ready" (pairing may be shown), "completed", "vetoed", "lapsed".
    pub status: String,
    /// The device that started it.
    pub started_by: String,
    /// When it started.
    pub started_at_ms: i64,
    /// End of the waiting period.
    pub wait_until_ms: i64,
}

/// Service → device: the identity's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityStatus {
    /// The user ID as the owner chose it.
    pub user_id: String,
    /// True while the identity is frozen.
    pub frozen: bool,
    /// Device additions waiting or ready.
    pub additions: Vec<AdditionView>,
    /// Channels set up: always "app", plus "sms" and "email" when contact data exists.
    pub channels: Vec<String>,
    /// The owner opted in to a notice on every use.
    pub notify_every_use: bool,
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
        akuersi_protocol::encoding::b64_encode(secret)
    )
}

/// Split a pairing payload into (addition id, 16-byte secret); `None` if it is not one.
pub fn parse_pairing_payload(payload: &str) -> Option<(String, zeroize::Zeroizing<[u8; 16]>)> {
    let rest = payload.trim().strip_prefix(PAIRING_PREFIX)?;
    let (id, secret) = rest.split_once(':')?;
    if !akuersi_protocol::crypto::is_hex_id(id) {
        return None;
    }
    let bytes = zeroize::Zeroizing::new(akuersi_protocol::encoding::b64_decode(secret).ok()?);
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
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

impl CompletePairing {
    /// Domain tag.
    pub const DOMAIN: &'static str = "akuersi/v1/device/addition/complete";

    /// Canonical bytes covered by both the HMAC and the signature.
    pub fn signed_bytes(&self) -> Vec<u8> {
        let mut w = CanonicalWriter::new(Self::DOMAIN);
        w.str(&self.addition_id)
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

/// Device → service: app-channel notifications after `after_id`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsQuery {
    /// Only notifications with a larger id (0 for all).
    pub after_id: u64,
}
signed_body!(
    NotificationsQuery,
    "akuersi/v1/device/notifications",
    |s, w| {
        w.u64(s.after_id);
    }
);

/// A notification as a channel carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct NotificationItem {
    /// Increasing id.
    pub id: u64,
    /// When.
    pub at_ms: i64,
    /// "app", "sms" or "email".
    pub channel: String,
    /// Phone number or e-mail address (empty for the app channel).
    pub address: String,
    /// Event name ("device_addition_started", "identity_frozen", …).
    pub event: String,
    /// The rendered message.
    pub text: String,
}

/// Service → device: app-channel notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationsResponse {
    /// Oldest first.
    pub items: Vec<NotificationItem>,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Device → service: the whole activity log and a signed head.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {}
signed_body!(ActivityQuery, "akuersi/v1/device/activity", |s, w| {});

/// Service → device: the activity log from its first entry, and the signed head.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityResponse {
    /// Every entry, oldest first.
    pub entries: Vec<akuersi_protocol::activity::LogEntry>,
    /// The head the service signs.
    pub head: akuersi_protocol::activity::SignedHead,
    /// The service's clock.
    pub server_time_ms: i64,
}

/// Device → service: change the user ID (PIN proof with purpose `change_user_id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeUserId {
    /// The new user ID.
    pub new_user_id: String,
    /// The PIN proof.
    pub pake: PakeProof,
}
signed_body!(ChangeUserId, "akuersi/v1/device/user-id", |s, w| {
    w.str(&s.new_user_id);
    s.pake.encode(w);
});

/// Device → service: change contact data (PIN proof with purpose `change_contact`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeContact {
    /// Phone number for SMS, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// E-mail address, or none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The PIN proof.
    pub pake: PakeProof,
}
signed_body!(ChangeContact, "akuersi/v1/device/contact", |s, w| {
    w.option(s.phone.as_ref(), |w, p| {
        w.str(p);
    });
    w.option(s.email.as_ref(), |w, e| {
        w.str(e);
    });
    s.pake.encode(w);
});

/// Device → service: change settings (PIN proof with purpose `change_settings`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangeSettings {
    /// Send a notice on every use.
    pub notify_every_use: bool,
    /// The PIN proof.
    pub pake: PakeProof,
}
signed_body!(ChangeSettings, "akuersi/v1/device/settings", |s, w| {
    w.u8(u8::from(s.notify_every_use));
    s.pake.encode(w);
});

/// Device → service: choose a new PIN, proved with the old one (purpose `change_pin`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChangePin {
    /// The new verifier.
    pub verifier: VerifierRegistration,
    /// The PIN proof with the old PIN.
    pub pake: PakeProof,
}
signed_body!(ChangePin, "akuersi/v1/device/pin", |s, w| {
    w.bytes(&s.verifier.w0)
        .bytes(&s.verifier.l)
        .u32(s.verifier.kdf_iterations);
    s.pake.encode(w);
});

/// Operator → service: freeze or unfreeze an identity (support route).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorFreeze {
    /// Operator token.
    pub token: String,
    /// The owner's user ID.
    pub user_id: String,
    /// True to freeze, false to unfreeze.
    pub frozen: bool,
}

/// Operator → service: set an identity's contact data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorSetContact {
    /// Operator token.
    pub token: String,
    /// The owner's user ID.
    pub user_id: String,
    /// Phone number, or none.
    #[serde(default)]
    pub phone: Option<String>,
    /// E-mail address, or none.
    #[serde(default)]
    pub email: Option<String>,
}

/// Operator → service: read the notification outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OperatorOutbox {
    /// Operator token.
    pub token: String,
    /// Only this user ID's notifications, or all.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Only after this id.
    #[serde(default)]
    pub after_id: u64,
}

/// Service → operator: outbox entries of every channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutboxResponse {
    /// Oldest first.
    pub items: Vec<NotificationItem>,
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
    /// The identity is frozen: nothing can be decided until it is unfrozen.
    IdentityFrozen,
    /// Removing this device would leave the identity without devices (set `allow_last`).
    LastDevice,
    /// The device addition's waiting period is not over yet.
    AdditionNotReady,
    /// The device addition or pairing payload is unknown, used, lapsed, vetoed or another identity's.
    PairingInvalid,
    /// A phone number or e-mail address is not valid.
    InvalidContact,
    /// The request asks for channel binding and no verified answer came with the approval.
    ChannelBindingRequired,
    /// The channel-binding code or QR value is wrong or stale (3 wrong cancel the request).
    WrongChannelCode,
    /// Too many requests for this user ID in the last hour.
    RateLimited,
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
            purpose: PinPurpose::AddDevice,
            share_p: vec![],
        };
        let a = DeviceSigned::signed_bytes("dev", 1, &p);
        let b = DeviceSigned::signed_bytes("dev", 1, &s);
        assert_ne!(a, b);
        assert_ne!(a, DeviceSigned::signed_bytes("dev", 2, &p));
    }

    #[test]
    fn purposes_encode_distinctly_and_round_trip_as_json() {
        let all = [
            PinPurpose::Request {
                request_id: "r".into(),
            },
            PinPurpose::AddDevice,
            PinPurpose::RemoveDevice {
                device_id: "d".into(),
            },
            PinPurpose::Unfreeze,
            PinPurpose::ChangeUserId,
            PinPurpose::ChangeContact,
            PinPurpose::ChangeSettings,
            PinPurpose::ChangePin,
        ];
        let mut seen = std::collections::HashSet::new();
        for p in &all {
            assert!(seen.insert(operation_pake_context("dev", p)), "{p:?}");
            let json = serde_json::to_string(p).unwrap();
            assert_eq!(&serde_json::from_str::<PinPurpose>(&json).unwrap(), p);
        }
        assert_ne!(
            operation_pake_context("dev-a", &PinPurpose::AddDevice),
            operation_pake_context("dev-b", &PinPurpose::AddDevice)
        );
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
