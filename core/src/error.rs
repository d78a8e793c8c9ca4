//! The core's error type. Every variant carries a message fit to show or log;
//! none ever contains a PIN, a key or a PAKE value.

use akuersi_protocol::identity::UserIdError;
use akuersi_protocol::pin::PinError;
use akuersi_protocol::wire::{ErrorBody, ErrorCode};

/// Everything that can go wrong on the device side.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The PIN is not six digits, or too easy to guess when choosing one.
    #[error(transparent)]
    Pin(#[from] PinError),
    /// The user ID breaks the rules.
    #[error("invalid user ID: {0}")]
    UserId(#[from] UserIdError),
    /// The PIN was wrong; the attempt has been counted by the service.
    #[error("wrong PIN: {attempts_left} attempts left before this device is blocked")]
    WrongPin {
        /// Attempts left before the device is blocked.
        attempts_left: u32,
    },
    /// Too many wrong PINs: the device may try again after `until_ms`.
    #[error("too many wrong PINs: this device is suspended until {until_ms} (ms since epoch)")]
    DeviceSuspended {
        /// End of the suspension, milliseconds since the epoch.
        until_ms: i64,
    },
    /// Too many wrong PINs: the device must be activated again.
    #[error("too many wrong PINs: this device is blocked and must be activated again")]
    DeviceBlocked,
    /// The request's 5 minutes (or shorter lifetime) are over.
    #[error("the request has expired")]
    RequestExpired,
    /// The request was already decided, here or on another device.
    #[error("the request was already decided")]
    AlreadyDecided,
    /// The request asks for channel binding: type the code or scan the QR
    /// value from the screen that started it first.
    #[error("enter the code shown on the screen where you started this, before approving")]
    ChannelBindingRequired,
    /// The code or QR value was wrong; 3 wrong answers cancel the request.
    #[error(
        "the code does not match the screen that started this request: {attempts_left} tries left"
    )]
    WrongChannelCode {
        /// Tries left before the request is cancelled.
        attempts_left: u32,
    },
    /// A phone call is in progress: confirm once more before approving.
    #[error("a phone call is in progress; nobody who calls you may ask you to approve. Confirm separately if you really started this yourself")]
    CallInProgress,
    /// Too many requests for this user ID in the last hour.
    #[error("too many requests for this user ID in the last hour; try again later")]
    RateLimited,
    /// The requester withdrew the request.
    #[error("the request was cancelled by the requester")]
    RequestCancelled,
    /// No such pending request (refresh first).
    #[error("no such pending request")]
    RequestNotFound,
    /// No such identity on this installation.
    #[error("no such identity on this installation")]
    UnknownProfile,
    /// This user ID is already set up on this installation.
    #[error("this user ID is already set up on this installation")]
    ProfileExists,
    /// The activation code is wrong, used or lapsed (or the user ID is unknown).
    #[error("the activation code is not valid")]
    InvalidActivationCode,
    /// The activation code was tried wrongly too often.
    #[error("the activation code is blocked after too many wrong tries")]
    ActivationCodeBlocked,
    /// The identity already has 3 active devices.
    #[error("the identity already has the most devices allowed")]
    DeviceLimit,
    /// A request argument is invalid (a device name that is empty or too long, …).
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// The service could not be reached.
    #[error("service unreachable: {0}")]
    Network(String),
    /// The service refused the message for another reason.
    #[error("the service refused: {message}")]
    Service {
        /// The service's error code.
        code: ErrorCode,
        /// The service's explanation.
        message: String,
    },
    /// The service's answer did not follow the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// Local storage failed; nothing was changed.
    #[error("storage error: {0}")]
    Storage(String),
    /// The key store (platform keystore or software) failed.
    #[error("key store error: {0}")]
    KeyStore(String),
    /// The secret vault failed.
    #[error("secret vault error: {0}")]
    Vault(String),
    /// A platform callback (key store, vault or transport) called back into
    /// the installation for a profile whose call was still under way on the
    /// same thread; waiting would have deadlocked (see [`crate::reentry`]).
    #[error("a key store, vault or transport callback called back into Akuersi for the same profile while its call was under way; that would deadlock, so it was refused")]
    Reentrant,
    /// A cryptographic operation failed.
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
}

impl From<akuersi_protocol::transport::CallError> for Error {
    fn from(e: akuersi_protocol::transport::CallError) -> Self {
        use akuersi_protocol::transport::CallError;
        match e {
            CallError::Network(reason) => Error::Network(reason),
            CallError::Refused(body) => body.into(),
            CallError::Protocol(reason) => Error::Protocol(reason),
        }
    }
}

impl From<ErrorBody> for Error {
    fn from(e: ErrorBody) -> Self {
        match e.code {
            ErrorCode::WrongPin => Error::WrongPin {
                attempts_left: e.attempts_left.unwrap_or(0),
            },
            ErrorCode::DeviceSuspended => Error::DeviceSuspended {
                until_ms: e.until_ms.unwrap_or(0),
            },
            ErrorCode::DeviceBlocked => Error::DeviceBlocked,
            ErrorCode::RequestExpired => Error::RequestExpired,
            ErrorCode::AlreadyDecided => Error::AlreadyDecided,
            ErrorCode::RequestCancelled => Error::RequestCancelled,
            ErrorCode::RequestNotFound => Error::RequestNotFound,
            ErrorCode::InvalidActivationCode => Error::InvalidActivationCode,
            ErrorCode::ActivationCodeBlocked => Error::ActivationCodeBlocked,
            ErrorCode::DeviceLimit => Error::DeviceLimit,
            ErrorCode::ChannelBindingRequired => Error::ChannelBindingRequired,
            ErrorCode::WrongChannelCode => Error::WrongChannelCode {
                attempts_left: e.attempts_left.unwrap_or(0),
            },
            ErrorCode::RateLimited => Error::RateLimited,
            code => Error::Service {
                code,
                message: e.message,
            },
        }
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Storage(e.to_string())
    }
}

impl From<akuersi_protocol::crypto::RandomFailure> for Error {
    fn from(_: akuersi_protocol::crypto::RandomFailure) -> Self {
        Error::Crypto("the system random number generator failed")
    }
}

/// Result with the core's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
