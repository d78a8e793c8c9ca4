//! akuersi-protocol: everything an outside service, requester or app needs to
//! speak Akuersi's open protocol (docs/PROTOCOL.md), and nothing else: no
//! storage, no device state machine, no FFI.
//!
//! * [`wire`]: the JSON messages, one module per party ([`wire::requester`],
//!   [`wire::device`], [`wire::enrollment`], [`wire::care`],
//!   [`wire::operator`], [`wire::errors`]);
//! * [`endpoint`]: every operation as a type (path, caller, request, answer,
//!   domain tag), from which [`wire::paths`] is derived;
//! * [`encoding`], [`approval`]: the canonical bytes that are signed, the
//!   approval statement and the evidence a requester verifies;
//! * [`crypto`], [`spake2plus`], [`pin`]: signatures and ids, SPAKE2+ (RFC
//!   9383, P-256) and the PIN KDF;
//! * [`identity`], [`request`], [`activity`]: the rules both sides enforce
//!   (user IDs, request texts and amounts, the hash-chained activity log);
//! * [`clock`], [`transport`]: the traits through which time and the network
//!   reach either side.

/// Declares an enum whose JSON (and stored) form is a fixed name per value,
/// with `ALL`, `as_str`, `from_str_opt` and `Display`; with the caller's
/// `uniffi` feature it is also a uniffi enum. Used for the protocol's named
/// values and for the device's own log kinds.
#[macro_export]
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "uniffi", derive(uniffi::Enum))]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The wire (and stored) name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)*
                }
            }

            /// The value with this wire name, if any.
            pub fn from_str_opt(text: &str) -> Option<Self> {
                match text {
                    $($text => Some($name::$variant),)*
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(self.as_str())
            }
        }
    };
}

pub mod activity;
pub mod approval;
pub mod clock;
pub mod crypto;
pub mod encoding;
pub mod endpoint;
pub mod identity;
pub mod pin;
pub mod request;
pub mod requester_key;
pub mod service_key;
pub mod spake2plus;
pub mod transport;
pub mod wire;

#[cfg(feature = "uniffi")]
uniffi::setup_scaffolding!();
