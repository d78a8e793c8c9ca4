//! Errors the service answers with. Each carries a stable [`ErrorCode`], an
//! English message for people, and for PIN errors the counters a device needs.

use akuersi_protocol::wire::{ErrorBody, ErrorCode};

/// A refusal or failure, ready to send as an [`ErrorBody`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct ServiceError {
    /// Stable code.
    pub code: ErrorCode,
    /// Message for people; never contains a secret.
    pub message: String,
    /// Attempts left before block (wrong PIN).
    pub attempts_left: Option<u32>,
    /// End of suspension (suspended device).
    pub until_ms: Option<i64>,
    /// The last sequence number accepted from the device (`replayed`).
    pub last_seq: Option<u64>,
}

impl ServiceError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            attempts_left: None,
            until_ms: None,
            last_seq: None,
        }
    }

    /// The HTTP status that goes with the code.
    pub fn http_status(&self) -> u16 {
        use ErrorCode::*;
        match self.code {
            Malformed
            | InvalidUserId
            | InvalidText
            | InvalidTtl
            | PinRequired
            | InvalidContact
            | ChannelBindingRequired
            | InvalidRequester => 400,
            Unauthorized | BadSignature | UnknownRequester | RequesterRevoked | StaleTimestamp => {
                401
            }
            ActionNotAllowed | ChannelBindingNotAllowed => 403,
            UnknownDevice | WrongPin | InvalidActivationCode | WrongChannelCode => 403,
            UnknownPath | RequestNotFound => 404,
            AlreadyDecided | PendingRequestExists | DeviceExists | IdentityExists
            | RequestCancelled | DeviceLimit | Replayed | PinSessionInvalid | LastDevice
            | AdditionNotReady | PairingInvalid | RequesterExists => 409,
            RequestExpired => 410,
            TooLarge => 413,
            DeviceSuspended | DeviceBlocked | ActivationCodeBlocked | IdentityFrozen => 423,
            RateLimited => 429,
            Internal => 500,
        }
    }

    /// The wire form.
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            code: self.code,
            message: self.message.clone(),
            attempts_left: self.attempts_left,
            until_ms: self.until_ms,
            last_seq: self.last_seq,
        }
    }

    pub(crate) fn internal(what: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorCode::Internal,
            format!("internal error; nothing was changed ({what})"),
        )
    }
}

impl From<rusqlite::Error> for ServiceError {
    fn from(e: rusqlite::Error) -> Self {
        Self::internal(format!("storage: {e}"))
    }
}

/// Result with [`ServiceError`].
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
