//! The one error type of the bindings, and the one mapping to it from the
//! core's error.
//!
//! Two layers, one source of text:
//!
//! * [`akuersi_core::Error`] is the rich error of the core. Its `Display` is
//!   the one place where an error's message is written.
//! * [`AkuersiError`] is what apps see. `From<Error> for AkuersiError` is
//!   the single mapping from the core's error to it (in the manner of
//!   application-services' `GetErrorHandling`): it matches every core variant
//!   and every wire [`ErrorCode`] by name, with no catch-all, so a variant or
//!   code added to the core does not build until it is mapped here.
//! * The public error's `Display` (Kotlin `toString()`, Swift `description`)
//!   is the core's: a variant that has a twin in the core shows the twin's
//!   text, a variant that flattens a typed core value (a user-ID rule, a
//!   crypto failure) carries the core's text in `reason`. The few texts below
//!   are for cases the core error has no variant of its own for (a frozen
//!   identity, the last device, a refused message with its wire code, a
//!   panic); none repeats a core message.
//!
//! The core's messages never hold a PIN, a key or a PAKE value, so neither
//! does any text here.

use std::fmt;

use akuersi_core::Error;
use akuersi_protocol::wire::ErrorCode;

/// Everything that can go wrong in a call. Kotlin sees it as
/// `AkuersiException` (a sealed class, one subclass per variant), Swift as the
/// `AkuersiError` enum. Each variant says what happened; its text (Kotlin
/// `toString()`, Swift `description`) is fit to show or log and never contains
/// a PIN, a key or any other secret.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Error)]
#[uniffi::export(Display)]
pub enum AkuersiError {
    /// The PIN is not six digits, or (when choosing one) too easy to guess.
    InvalidPin {
        /// Why, in words fit to show.
        reason: String,
    },
    /// The user ID breaks the rules (5–48 characters, not a 10-digit number, …).
    InvalidUserId {
        /// Why, in words fit to show (the core's whole message).
        reason: String,
    },
    /// The PIN was wrong; the service counted the attempt.
    WrongPin {
        /// Attempts left before the device is blocked.
        attempts_left: u32,
    },
    /// Too many wrong PINs: this device may try again after `until_ms`.
    DeviceSuspended {
        /// End of the suspension, milliseconds since the Unix epoch.
        until_ms: i64,
    },
    /// Too many wrong PINs: this device is blocked and must be activated again.
    DeviceBlocked,
    /// The request's lifetime (at most 5 minutes) is over.
    RequestExpired,
    /// The request was already decided, on this device or another.
    AlreadyDecided,
    /// The requester withdrew the request.
    RequestCancelled,
    /// No such pending request on this device (call `refresh` first).
    RequestNotFound,
    /// No such identity on this installation.
    UnknownProfile,
    /// This user ID is already set up on this installation.
    ProfileExists,
    /// The activation code is wrong, used or lapsed (or the user ID is unknown).
    InvalidActivationCode,
    /// The activation code was tried wrongly too often and is blocked.
    ActivationCodeBlocked,
    /// The identity already has the most active devices allowed.
    DeviceLimit,
    /// The request asks for channel binding: the owner must first type the
    /// 4-digit code, or scan the QR value, shown on the screen that started
    /// it (`Akuersi::confirm_channel`).
    ChannelBindingRequired,
    /// The code or QR value does not match the screen that started the
    /// request; 3 wrong answers cancel it.
    WrongChannelCode {
        /// Tries left before the request is cancelled.
        attempts_left: u32,
    },
    /// A phone call is in progress: the owner must confirm once more
    /// (`Akuersi::confirm_despite_call`) before approving.
    CallInProgress,
    /// Too many requests for this user ID in the last hour.
    RateLimited,
    /// The identity is frozen: nothing can be approved until it is unfrozen
    /// (this device's PIN plus a second device's PIN or an activation code).
    IdentityFrozen,
    /// This is the identity's last device: removing it needs `allow_last`.
    LastDevice,
    /// An argument is invalid (an empty device name, a bad language code, …).
    InvalidInput {
        /// What is wrong with it.
        reason: String,
    },
    /// The service could not be reached or did not answer in time. A
    /// `Transport` returns this for every network failure.
    Network {
        /// What happened (from the network stack; no secrets).
        reason: String,
    },
    /// The service refused the message for another reason.
    Refused {
        /// The protocol's stable error code, e.g. `"bad_signature"`.
        code: String,
        /// The service's explanation (English).
        reason: String,
    },
    /// The service's answer did not follow the protocol.
    Protocol {
        /// What was wrong with the answer.
        reason: String,
    },
    /// Local storage failed; nothing was changed.
    Storage {
        /// What failed.
        reason: String,
    },
    /// The key store (platform keystore or software) failed. A
    /// `KeyStore` returns this for its own failures.
    KeyStore {
        /// What failed.
        reason: String,
    },
    /// The secret vault failed. A `SecretVault` returns this for its
    /// own failures.
    Vault {
        /// What failed.
        reason: String,
    },
    /// A cryptographic operation failed.
    Crypto {
        /// Which operation failed (the core's whole message).
        reason: String,
    },
    /// A platform callback (`KeyStore`, `SecretVault` or `Transport`) called
    /// back into `Akuersi` for the same profile, on the same thread, while
    /// that profile's call was under way. Waiting would deadlock, so the
    /// inner call is refused, and so is the outer one when the callback
    /// failed because of it. Call back in only after the outer call returns.
    ReentrantCall,
    /// A bug: the library caught a panic or an unexpected foreign exception.
    /// The call changed nothing it could not undo; it may be retried.
    Internal {
        /// What went wrong.
        reason: String,
    },
}

/// The one mapping from the core's error to the public one. Exhaustive on
/// purpose: no `_` arm, so a new core variant fails the build here until it is
/// given its public variant.
impl From<Error> for AkuersiError {
    fn from(e: Error) -> Self {
        match e {
            // The core's text is the whole explanation: keep it as the reason.
            Error::Pin(_) => AkuersiError::InvalidPin {
                reason: e.to_string(),
            },
            Error::UserId(_) => AkuersiError::InvalidUserId {
                reason: e.to_string(),
            },
            Error::Crypto(_) => AkuersiError::Crypto {
                reason: e.to_string(),
            },
            // One to one; the text comes back from the core (see `Display`).
            Error::WrongPin { attempts_left } => AkuersiError::WrongPin { attempts_left },
            Error::DeviceSuspended { until_ms } => AkuersiError::DeviceSuspended { until_ms },
            Error::DeviceBlocked => AkuersiError::DeviceBlocked,
            Error::RequestExpired => AkuersiError::RequestExpired,
            Error::AlreadyDecided => AkuersiError::AlreadyDecided,
            Error::ChannelBindingRequired => AkuersiError::ChannelBindingRequired,
            Error::WrongChannelCode { attempts_left } => {
                AkuersiError::WrongChannelCode { attempts_left }
            }
            Error::CallInProgress => AkuersiError::CallInProgress,
            Error::Reentrant => AkuersiError::ReentrantCall,
            Error::RateLimited => AkuersiError::RateLimited,
            Error::RequestCancelled => AkuersiError::RequestCancelled,
            Error::RequestNotFound => AkuersiError::RequestNotFound,
            Error::UnknownProfile => AkuersiError::UnknownProfile,
            Error::ProfileExists => AkuersiError::ProfileExists,
            Error::InvalidActivationCode => AkuersiError::InvalidActivationCode,
            Error::ActivationCodeBlocked => AkuersiError::ActivationCodeBlocked,
            Error::DeviceLimit => AkuersiError::DeviceLimit,
            Error::InvalidInput(reason) => AkuersiError::InvalidInput { reason },
            Error::Network(reason) => AkuersiError::Network { reason },
            Error::Protocol(reason) => AkuersiError::Protocol { reason },
            Error::Storage(reason) => AkuersiError::Storage { reason },
            Error::KeyStore(reason) => AkuersiError::KeyStore { reason },
            Error::Vault(reason) => AkuersiError::Vault { reason },
            Error::Service { code, message } => refused(code, message),
        }
    }
}

/// The wire-code half of the mapping: a code the public error names gets its
/// own variant, every other one is [`AkuersiError::Refused`]. Exhaustive like
/// the rest, so a new wire code has to be placed here.
fn refused(code: ErrorCode, message: String) -> AkuersiError {
    match code {
        ErrorCode::IdentityFrozen => AkuersiError::IdentityFrozen,
        ErrorCode::LastDevice => AkuersiError::LastDevice,
        // Codes the core turns into variants of its own when they come from
        // the service (`From<ErrorBody>`); a `Service` error that still holds
        // one lacks the details (attempts left, …), so it stays a refusal.
        ErrorCode::WrongPin
        | ErrorCode::DeviceSuspended
        | ErrorCode::DeviceBlocked
        | ErrorCode::RequestExpired
        | ErrorCode::AlreadyDecided
        | ErrorCode::RequestCancelled
        | ErrorCode::RequestNotFound
        | ErrorCode::InvalidActivationCode
        | ErrorCode::ActivationCodeBlocked
        | ErrorCode::DeviceLimit
        | ErrorCode::ChannelBindingRequired
        | ErrorCode::WrongChannelCode
        | ErrorCode::RateLimited
        // Codes an app can only report, not act on.
        | ErrorCode::Malformed
        | ErrorCode::TooLarge
        | ErrorCode::UnknownPath
        | ErrorCode::InvalidUserId
        | ErrorCode::InvalidText
        | ErrorCode::InvalidTtl
        | ErrorCode::DeviceExists
        | ErrorCode::IdentityExists
        | ErrorCode::UnknownDevice
        | ErrorCode::BadSignature
        | ErrorCode::Replayed
        | ErrorCode::PendingRequestExists
        | ErrorCode::PinSessionInvalid
        | ErrorCode::PinRequired
        | ErrorCode::Unauthorized
        | ErrorCode::AdditionNotReady
        | ErrorCode::PairingInvalid
        | ErrorCode::InvalidContact
        | ErrorCode::Internal
        // Requester and registry codes: never sent to a device.
        | ErrorCode::UnknownRequester
        | ErrorCode::RequesterRevoked
        | ErrorCode::StaleTimestamp
        | ErrorCode::ActionNotAllowed
        | ErrorCode::ChannelBindingNotAllowed
        | ErrorCode::RequesterExists
        | ErrorCode::InvalidRequester => AkuersiError::Refused {
            code: wire_code(code),
            reason: message,
        },
    }
}

/// The text of a public error is the core's: each variant with a twin in the
/// core shows that twin. A value the platform built (a `KeyStore` failure, a
/// `Network` failure) reads the same as one that came from the core.
impl fmt::Display for AkuersiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let twin = match self {
            // Texts the core has no variant of its own for.
            AkuersiError::InvalidPin { reason } => return write!(f, "invalid PIN: {reason}"),
            AkuersiError::Refused { code, reason } => {
                return write!(f, "the service refused ({code}): {reason}")
            }
            AkuersiError::IdentityFrozen => {
                return f.write_str("the identity is frozen; unfreeze it before going on")
            }
            AkuersiError::LastDevice => {
                return f.write_str("this is the identity's last active device")
            }
            AkuersiError::Internal { reason } => return write!(f, "internal error: {reason}"),
            // The core's whole text, kept by the mapping.
            AkuersiError::InvalidUserId { reason } | AkuersiError::Crypto { reason } => {
                return f.write_str(reason)
            }
            // The core's twin.
            AkuersiError::WrongPin { attempts_left } => Error::WrongPin {
                attempts_left: *attempts_left,
            },
            AkuersiError::DeviceSuspended { until_ms } => Error::DeviceSuspended {
                until_ms: *until_ms,
            },
            AkuersiError::DeviceBlocked => Error::DeviceBlocked,
            AkuersiError::RequestExpired => Error::RequestExpired,
            AkuersiError::AlreadyDecided => Error::AlreadyDecided,
            AkuersiError::RequestCancelled => Error::RequestCancelled,
            AkuersiError::RequestNotFound => Error::RequestNotFound,
            AkuersiError::UnknownProfile => Error::UnknownProfile,
            AkuersiError::ProfileExists => Error::ProfileExists,
            AkuersiError::InvalidActivationCode => Error::InvalidActivationCode,
            AkuersiError::ActivationCodeBlocked => Error::ActivationCodeBlocked,
            AkuersiError::DeviceLimit => Error::DeviceLimit,
            AkuersiError::ChannelBindingRequired => Error::ChannelBindingRequired,
            AkuersiError::WrongChannelCode { attempts_left } => Error::WrongChannelCode {
                attempts_left: *attempts_left,
            },
            AkuersiError::CallInProgress => Error::CallInProgress,
            AkuersiError::ReentrantCall => Error::Reentrant,
            AkuersiError::RateLimited => Error::RateLimited,
            AkuersiError::InvalidInput { reason } => Error::InvalidInput(reason.clone()),
            AkuersiError::Network { reason } => Error::Network(reason.clone()),
            AkuersiError::Protocol { reason } => Error::Protocol(reason.clone()),
            AkuersiError::Storage { reason } => Error::Storage(reason.clone()),
            AkuersiError::KeyStore { reason } => Error::KeyStore(reason.clone()),
            AkuersiError::Vault { reason } => Error::Vault(reason.clone()),
        };
        twin.fmt(f)
    }
}

impl std::error::Error for AkuersiError {}

/// A foreign implementation threw something other than `AkuersiException` /
/// `AkuersiError` (a bug in the shell).
impl From<uniffi::UnexpectedUniFFICallbackError> for AkuersiError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        AkuersiError::Internal {
            reason: format!("a platform callback failed unexpectedly: {}", e.reason),
        }
    }
}

/// The protocol's snake_case name of an error code.
fn wire_code(code: ErrorCode) -> String {
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
    use akuersi_protocol::identity::UserIdError;
    use akuersi_protocol::pin::PinError;

    /// One or more values of every core variant, with the public error each
    /// must become. Variants with a payload appear twice with different
    /// payloads, so a mapping that drops or fixes a field is caught.
    fn table() -> Vec<(Error, AkuersiError)> {
        use AkuersiError as P;
        let text = |e: &Error| e.to_string();
        let pin = |p: PinError| {
            let e = Error::Pin(p);
            let reason = text(&e);
            (e, P::InvalidPin { reason })
        };
        let user_id = |u: UserIdError| {
            let e = Error::UserId(u);
            let reason = text(&e);
            (e, P::InvalidUserId { reason })
        };
        let crypto = |what: &'static str| {
            let e = Error::Crypto(what);
            let reason = text(&e);
            (e, P::Crypto { reason })
        };
        // A variant whose words pass through unchanged as the public `reason`.
        macro_rules! with_reason {
            ($variant:ident, $words:literal) => {
                (
                    Error::$variant($words.into()),
                    P::$variant {
                        reason: $words.into(),
                    },
                )
            };
        }
        vec![
            pin(PinError::Format),
            pin(PinError::TooSimple),
            user_id(UserIdError::Length),
            user_id(UserIdError::OuterSpace),
            user_id(UserIdError::LooksLikeCpr),
            user_id(UserIdError::Character('\u{7}')),
            user_id(UserIdError::Character('€')),
            (
                Error::WrongPin { attempts_left: 3 },
                P::WrongPin { attempts_left: 3 },
            ),
            (
                Error::WrongPin { attempts_left: 9 },
                P::WrongPin { attempts_left: 9 },
            ),
            (
                Error::DeviceSuspended { until_ms: 1 },
                P::DeviceSuspended { until_ms: 1 },
            ),
            (
                Error::DeviceSuspended {
                    until_ms: 1_767_225_600_000,
                },
                P::DeviceSuspended {
                    until_ms: 1_767_225_600_000,
                },
            ),
            (Error::DeviceBlocked, P::DeviceBlocked),
            (Error::RequestExpired, P::RequestExpired),
            (Error::AlreadyDecided, P::AlreadyDecided),
            (Error::ChannelBindingRequired, P::ChannelBindingRequired),
            (
                Error::WrongChannelCode { attempts_left: 1 },
                P::WrongChannelCode { attempts_left: 1 },
            ),
            (
                Error::WrongChannelCode { attempts_left: 2 },
                P::WrongChannelCode { attempts_left: 2 },
            ),
            (Error::CallInProgress, P::CallInProgress),
            (Error::Reentrant, P::ReentrantCall),
            (Error::RateLimited, P::RateLimited),
            (Error::RequestCancelled, P::RequestCancelled),
            (Error::RequestNotFound, P::RequestNotFound),
            (Error::UnknownProfile, P::UnknownProfile),
            (Error::ProfileExists, P::ProfileExists),
            (Error::InvalidActivationCode, P::InvalidActivationCode),
            (Error::ActivationCodeBlocked, P::ActivationCodeBlocked),
            (Error::DeviceLimit, P::DeviceLimit),
            with_reason!(InvalidInput, "device name is empty"),
            with_reason!(Network, "no route to host"),
            with_reason!(Protocol, "bad json"),
            with_reason!(Storage, "disk full"),
            with_reason!(KeyStore, "the user cancelled the biometric prompt"),
            with_reason!(Vault, "sealing failed"),
            crypto("signing failed"),
            crypto("the system random number generator failed"),
            (
                Error::Service {
                    code: ErrorCode::BadSignature,
                    message: "signature does not verify".into(),
                },
                P::Refused {
                    code: "bad_signature".into(),
                    reason: "signature does not verify".into(),
                },
            ),
            (
                Error::Service {
                    code: ErrorCode::IdentityFrozen,
                    message: "the identity is frozen".into(),
                },
                P::IdentityFrozen,
            ),
            (
                Error::Service {
                    code: ErrorCode::LastDevice,
                    message: "this is the last device".into(),
                },
                P::LastDevice,
            ),
        ]
    }

    #[test]
    fn every_core_error_maps_to_its_public_variant_with_the_cores_text() {
        for (core, expected) in table() {
            let public = AkuersiError::from(core.clone());
            assert_eq!(public, expected, "{core:?}");
            let (shown, core_text) = (public.to_string(), core.to_string());
            match public {
                // The public layer's own framing around the core's text.
                AkuersiError::InvalidPin { .. } => {
                    assert_eq!(shown, format!("invalid PIN: {core_text}"))
                }
                // No core variant of their own: their texts are the public
                // layer's (see `every_wire_code_is_placed`).
                AkuersiError::Refused { .. }
                | AkuersiError::IdentityFrozen
                | AkuersiError::LastDevice => {}
                _ => assert_eq!(shown, core_text, "{core:?}"),
            }
        }
    }

    #[test]
    fn no_two_core_errors_become_the_same_public_one() {
        // Were a field dropped or a variant merged, two rows would meet here.
        let rows = table();
        for (i, (a, pa)) in rows.iter().enumerate() {
            for (b, pb) in &rows[i + 1..] {
                assert_ne!(a, b, "the table repeats {a:?}");
                assert_ne!(
                    AkuersiError::from(a.clone()),
                    AkuersiError::from(b.clone()),
                    "{a:?} and {b:?} map to the same public error"
                );
                assert_ne!(
                    pa.to_string(),
                    pb.to_string(),
                    "{a:?} and {b:?} read the same"
                );
            }
        }
    }

    #[test]
    fn every_wire_code_is_placed() {
        let mut names = std::collections::BTreeSet::new();
        for code in ErrorCode::ALL {
            let wire = serde_json::to_value(code).unwrap();
            let wire = wire.as_str().unwrap().to_owned();
            assert!(names.insert(wire.clone()), "{code:?} listed twice");
            let public = AkuersiError::from(Error::Service {
                code,
                message: "english detail".into(),
            });
            match code {
                ErrorCode::IdentityFrozen => assert_eq!(public, AkuersiError::IdentityFrozen),
                ErrorCode::LastDevice => assert_eq!(public, AkuersiError::LastDevice),
                _ => {
                    // The code and the service's words both reach the app.
                    assert_eq!(
                        public,
                        AkuersiError::Refused {
                            code: wire.clone(),
                            reason: "english detail".into()
                        }
                    );
                    let shown = public.to_string();
                    assert!(shown.contains(&wire) && shown.contains("english detail"));
                }
            }
        }
    }

    #[test]
    fn a_platform_built_error_reads_as_the_core_would_write_it() {
        let cases = [
            (
                AkuersiError::KeyStore {
                    reason: "no key named k".into(),
                },
                Error::KeyStore("no key named k".into()),
            ),
            (
                AkuersiError::Vault {
                    reason: "Keychain error -25300".into(),
                },
                Error::Vault("Keychain error -25300".into()),
            ),
            (
                AkuersiError::Network {
                    reason: "no route to host".into(),
                },
                Error::Network("no route to host".into()),
            ),
        ];
        for (public, core) in cases {
            assert_eq!(public.to_string(), core.to_string());
            assert_eq!(AkuersiError::from(core), public);
        }
    }

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
