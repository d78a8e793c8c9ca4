//! The one error type of the bindings, mapped from the core's error.

use akuersi_core::pin::PinError;
use akuersi_core::protocol::ErrorCode;
use akuersi_core::Error;

/// Everything that can go wrong in a call. Kotlin sees it as
/// `AkuersiException` (a sealed class, one subclass per variant), Swift as the
/// `AkuersiError` enum. Each variant says what happened; its text (Kotlin
/// `toString()`, Swift `description`) is fit to show or log and never contains
/// a PIN, a key or any other secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi::export(Display)]
pub enum AkuersiError {
    /// The PIN is not six digits, or (when choosing one) too easy to guess.
    #[error("invalid PIN: {reason}")]
    InvalidPin {
        /// Why, in words fit to show.
        reason: String,
    },
    /// The user ID breaks the rules (5–48 characters, not a 10-digit number, …).
    #[error("invalid user ID: {reason}")]
    InvalidUserId {
        /// Why, in words fit to show.
        reason: String,
    },
    /// The PIN was wrong; the service counted the attempt.
    #[error("wrong PIN: {attempts_left} attempts left before this device is blocked")]
    WrongPin {
        /// Attempts left before the device is blocked.
        attempts_left: u32,
    },
    /// Too many wrong PINs: this device may try again after `until_ms`.
    #[error("too many wrong PINs: this device is suspended until {until_ms} (ms since epoch)")]
    DeviceSuspended {
        /// End of the suspension, milliseconds since the Unix epoch.
        until_ms: i64,
    },
    /// Too many wrong PINs: this device is blocked and must be activated again.
    #[error("too many wrong PINs: this device is blocked and must be activated again")]
    DeviceBlocked,
    /// The request's lifetime (at most 5 minutes) is over.
    #[error("the request has expired")]
    RequestExpired,
    /// The request was already decided, on this device or another.
    #[error("the request was already decided")]
    AlreadyDecided,
    /// The requester withdrew the request.
    #[error("the request was cancelled by the requester")]
    RequestCancelled,
    /// No such pending request on this device (call `refresh` first).
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
    /// The activation code was tried wrongly too often and is blocked.
    #[error("the activation code is blocked after too many wrong tries")]
    ActivationCodeBlocked,
    /// The identity already has the most active devices allowed.
    #[error("the identity already has the most devices allowed")]
    DeviceLimit,
    /// The request asks for channel binding: the owner must first type the
    /// 4-digit code, or scan the QR value, shown on the screen that started
    /// it (`Akuersi::confirm_channel`).
    #[error("enter the code shown on the screen where you started this, before approving")]
    ChannelBindingRequired,
    /// The code or QR value does not match the screen that started the
    /// request; 3 wrong answers cancel it.
    #[error(
        "the code does not match the screen that started this request: {attempts_left} tries left"
    )]
    WrongChannelCode {
        /// Tries left before the request is cancelled.
        attempts_left: u32,
    },
    /// A phone call is in progress: the owner must confirm once more
    /// (`Akuersi::confirm_despite_call`) before approving.
    #[error("a phone call is in progress; nobody who calls you may ask you to approve")]
    CallInProgress,
    /// Too many requests for this user ID in the last hour.
    #[error("too many requests for this user ID in the last hour; try again later")]
    RateLimited,
    /// The identity is frozen: nothing can be approved until it is unfrozen
    /// (this device's PIN plus a second device's PIN or an activation code).
    #[error("the identity is frozen; unfreeze it before going on")]
    IdentityFrozen,
    /// This is the identity's last device: removing it needs `allow_last`.
    #[error("this is the identity's last active device")]
    LastDevice,
    /// An argument is invalid (an empty device name, a bad language code, …).
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// What is wrong with it.
        reason: String,
    },
    /// The service could not be reached or did not answer in time. A
    /// `Transport` returns this for every network failure.
    #[error("service unreachable: {reason}")]
    Network {
        /// What happened (from the network stack; no secrets).
        reason: String,
    },
    /// The service refused the message for another reason.
    #[error("the service refused ({code}): {reason}")]
    Refused {
        /// The protocol's stable error code, e.g. `"bad_signature"`.
        code: String,
        /// The service's explanation (English).
        reason: String,
    },
    /// The service's answer did not follow the protocol.
    #[error("protocol error: {reason}")]
    Protocol {
        /// What was wrong with the answer.
        reason: String,
    },
    /// Local storage failed; nothing was changed.
    #[error("storage error: {reason}")]
    Storage {
        /// What failed.
        reason: String,
    },
    /// The key store (platform keystore or software) failed. A
    /// `KeyStore` returns this for its own failures.
    #[error("key store error: {reason}")]
    KeyStore {
        /// What failed.
        reason: String,
    },
    /// The secret vault failed. A `SecretVault` returns this for its
    /// own failures.
    #[error("secret vault error: {reason}")]
    Vault {
        /// What failed.
        reason: String,
    },
    /// A cryptographic operation failed.
    #[error("cryptographic failure: {reason}")]
    Crypto {
        /// Which operation.
        reason: String,
    },
    /// A bug: the library caught a panic or an unexpected foreign exception.
    /// The call changed nothing it could not undo; it may be retried.
    #[error("internal error: {reason}")]
    Internal {
        /// What went wrong.
        reason: String,
    },
}

impl From<Error> for AkuersiError {
    fn from(e: Error) -> Self {
        let text = e.to_string();
        #[allow(unreachable_patterns)]
        match e {
            Error::Pin(p) => AkuersiError::InvalidPin {
                reason: pin_reason(&p),
            },
            Error::UserId(u) => AkuersiError::InvalidUserId {
                reason: u.to_string(),
            },
            Error::WrongPin { attempts_left } => AkuersiError::WrongPin { attempts_left },
            Error::DeviceSuspended { until_ms } => AkuersiError::DeviceSuspended { until_ms },
            Error::DeviceBlocked => AkuersiError::DeviceBlocked,
            Error::RequestExpired => AkuersiError::RequestExpired,
            Error::AlreadyDecided => AkuersiError::AlreadyDecided,
            Error::RequestCancelled => AkuersiError::RequestCancelled,
            Error::RequestNotFound => AkuersiError::RequestNotFound,
            Error::UnknownProfile => AkuersiError::UnknownProfile,
            Error::ProfileExists => AkuersiError::ProfileExists,
            Error::InvalidActivationCode => AkuersiError::InvalidActivationCode,
            Error::ActivationCodeBlocked => AkuersiError::ActivationCodeBlocked,
            Error::DeviceLimit => AkuersiError::DeviceLimit,
            Error::InvalidInput(reason) => AkuersiError::InvalidInput { reason },
            Error::Network(reason) => AkuersiError::Network { reason },
            Error::Service {
                code: ErrorCode::IdentityFrozen,
                ..
            } => AkuersiError::IdentityFrozen,
            Error::Service {
                code: ErrorCode::LastDevice,
                ..
            } => AkuersiError::LastDevice,
            Error::Service { code, message } => AkuersiError::Refused {
                code: wire_code(&code),
                reason: message,
            },
            Error::Protocol(reason) => AkuersiError::Protocol { reason },
            Error::Storage(reason) => AkuersiError::Storage { reason },
            Error::KeyStore(reason) => AkuersiError::KeyStore { reason },
            Error::Vault(reason) => AkuersiError::Vault { reason },
            Error::Crypto(what) => AkuersiError::Crypto {
                reason: what.to_owned(),
            },
            Error::ChannelBindingRequired => AkuersiError::ChannelBindingRequired,
            Error::WrongChannelCode { attempts_left } => {
                AkuersiError::WrongChannelCode { attempts_left }
            }
            Error::CallInProgress => AkuersiError::CallInProgress,
            Error::RateLimited => AkuersiError::RateLimited,
            // Variants the core grows later arrive here with their own text
            // until they get a variant of their own.
            _ => AkuersiError::Refused {
                code: "other".into(),
                reason: text,
            },
        }
    }
}

/// A foreign implementation threw something other than `AkuersiException` /
/// `AkuersiError` (a bug in the shell).
impl From<uniffi::UnexpectedUniFFICallbackError> for AkuersiError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        AkuersiError::Internal {
            reason: format!("a platform callback failed unexpectedly: {}", e.reason),
        }
    }
}

fn pin_reason(p: &PinError) -> String {
    p.to_string()
}

/// The protocol's snake_case name of an error code.
fn wire_code(code: &ErrorCode) -> String {
    match serde_json::to_value(code) {
        Ok(serde_json::Value::String(s)) => s,
        _ => format!("{code:?}"),
    }
}

/// Run `f`, turning a panic into [`AkuersiError::Internal`] so that none
/// crosses the FFI boundary. The panic's payload is not echoed: it could hold
/// anything.
pub(crate) fn guard<T>(
    what: &str,
    f: impl FnOnce() -> Result<T, AkuersiError>,
) -> Result<T, AkuersiError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(AkuersiError::Internal {
            reason: format!("{what} failed unexpectedly (a bug in the library)"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_self_explaining_variants() {
        assert_eq!(
            AkuersiError::from(Error::WrongPin { attempts_left: 3 }),
            AkuersiError::WrongPin { attempts_left: 3 }
        );
        assert_eq!(
            AkuersiError::from(Error::Service {
                code: ErrorCode::BadSignature,
                message: "signature does not verify".into()
            }),
            AkuersiError::Refused {
                code: "bad_signature".into(),
                reason: "signature does not verify".into()
            }
        );
        let e = AkuersiError::from(Error::Pin(PinError::TooSimple));
        assert!(matches!(e, AkuersiError::InvalidPin { .. }));
        assert!(e.to_string().contains("too easy"));
    }

    #[test]
    fn a_panic_becomes_an_internal_error() {
        let prev = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let r: Result<(), _> = guard("test call", || panic!("secret 482916"));
        std::panic::set_hook(prev);
        let e = r.unwrap_err();
        assert!(matches!(e, AkuersiError::Internal { .. }));
        assert!(!e.to_string().contains("482916"));
    }
}
