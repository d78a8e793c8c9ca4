//! The error body every refusal carries, and its stable codes.

use serde::{Deserialize, Serialize};

/// Machine-readable error codes, stable across versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Not valid JSON, a missing or unknown field, or a bad value encoding.
    Malformed,
    /// Body over [`MAX_MESSAGE_BYTES`](super::MAX_MESSAGE_BYTES).
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
    /// A device or requester signature did not verify.
    BadSignature,
    /// A device message's sequence number was not above the last one seen,
    /// or a requester message's nonce was already used.
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
    /// Too many requests for this user ID in the last hour, or from this
    /// requester in its registered minute or hour limit.
    RateLimited,
    /// Something failed inside the service; nothing was changed.
    Internal,
    /// No requester with this id is registered.
    UnknownRequester,
    /// The requester's registration was revoked.
    RequesterRevoked,
    /// A requester message's timestamp is too far from the service's clock.
    StaleTimestamp,
    /// The requester may not ask for this action.
    ActionNotAllowed,
    /// The requester may not use this channel-binding mode.
    ChannelBindingNotAllowed,
    /// A requester with this id is already registered.
    RequesterExists,
    /// A requester registration breaks the registry's rules.
    InvalidRequester,
}

impl ErrorCode {
    /// Every code, in declaration order (for tests that must cover them all).
    pub const ALL: [ErrorCode; 41] = [
        ErrorCode::Malformed,
        ErrorCode::TooLarge,
        ErrorCode::UnknownPath,
        ErrorCode::InvalidUserId,
        ErrorCode::InvalidText,
        ErrorCode::InvalidTtl,
        ErrorCode::InvalidActivationCode,
        ErrorCode::ActivationCodeBlocked,
        ErrorCode::DeviceLimit,
        ErrorCode::DeviceExists,
        ErrorCode::IdentityExists,
        ErrorCode::UnknownDevice,
        ErrorCode::BadSignature,
        ErrorCode::Replayed,
        ErrorCode::RequestNotFound,
        ErrorCode::RequestExpired,
        ErrorCode::AlreadyDecided,
        ErrorCode::RequestCancelled,
        ErrorCode::PendingRequestExists,
        ErrorCode::WrongPin,
        ErrorCode::DeviceSuspended,
        ErrorCode::DeviceBlocked,
        ErrorCode::PinSessionInvalid,
        ErrorCode::PinRequired,
        ErrorCode::Unauthorized,
        ErrorCode::IdentityFrozen,
        ErrorCode::LastDevice,
        ErrorCode::AdditionNotReady,
        ErrorCode::PairingInvalid,
        ErrorCode::InvalidContact,
        ErrorCode::ChannelBindingRequired,
        ErrorCode::WrongChannelCode,
        ErrorCode::RateLimited,
        ErrorCode::Internal,
        ErrorCode::UnknownRequester,
        ErrorCode::RequesterRevoked,
        ErrorCode::StaleTimestamp,
        ErrorCode::ActionNotAllowed,
        ErrorCode::ChannelBindingNotAllowed,
        ErrorCode::RequesterExists,
        ErrorCode::InvalidRequester,
    ];
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
    /// For `replayed`, on a device envelope whose signature verified: the
    /// last sequence number the service accepted from that device, so a
    /// device whose numbers fell behind (another process on the same
    /// profile, a store restored from a backup) can move past it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seq: Option<u64>,
}
