//! Wire messages between device, service and requester (protocol version 1).
//!
//! Every message is a JSON object sent with `POST` to a versioned path (see
//! [`paths`] and [`crate::endpoint`]); byte fields are unpadded base64url;
//! unknown fields are refused. Messages a device sends are signed over their
//! canonical bytes (see [`crate::encoding`]), each kind under its own domain
//! tag. docs/PROTOCOL.md is the full description.
//!
//! One module per party and concern, all re-exported here:
//! [`requester`], [`device`], [`enrollment`], [`care`], [`operator`],
//! [`errors`].

/// The protocol version these types implement; it is the `v1` in every path
/// and every domain tag.
pub const PROTOCOL_VERSION: u32 = 1;
/// Largest message body either side accepts, in bytes.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// Default and largest request lifetime, in seconds.
pub const MAX_TTL_SECONDS: u32 = 300;
/// Smallest request lifetime a requester may ask for, in seconds.
pub const MIN_TTL_SECONDS: u32 = 30;

/// `impl SignedBody` for a body type: its domain tag and canonical fields.
macro_rules! signed_body {
    ($t:ty, $domain:literal, |$s:ident, $w:ident| $body:block) => {
        impl $crate::wire::SignedBody for $t {
            const DOMAIN: &'static str = $domain;
            #[allow(unused_variables)]
            fn encode_fields(&self, $w: &mut $crate::encoding::CanonicalWriter) {
                let $s = self;
                $body
            }
        }
    };
}

pub mod care;
pub mod device;
pub mod enrollment;
pub mod errors;
pub mod operator;
pub mod requester;

pub use crate::endpoint::paths;
pub use care::*;
pub use device::*;
pub use enrollment::*;
pub use errors::*;
pub use operator::*;
pub use requester::*;

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
    fn a_purpose_carries_exactly_the_fields_of_its_kind() {
        for bad in [
            r#"{"kind":"add_device","foo":1}"#,
            r#"{"kind":"change_pin","device_id":"d"}"#,
            r#"{"kind":"unfreeze","request_id":"r"}"#,
            r#"{"kind":"request"}"#,
            r#"{"kind":"request","request_id":"r","device_id":"d"}"#,
            r#"{"kind":"remove_device","request_id":"r"}"#,
            r#"{"kind":"request","request_id":"r","request_id":"s"}"#,
            r#"{"kind":"open_sesame"}"#,
            r#"{"request_id":"r"}"#,
        ] {
            assert!(serde_json::from_str::<PinPurpose>(bad).is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::from_str::<PinPurpose>(r#"{"request_id":"r","kind":"request"}"#).unwrap(),
            PinPurpose::Request {
                request_id: "r".into()
            }
        );
    }

    #[test]
    fn a_signature_of_another_length_is_malformed() {
        let envelope = |sig_len: usize| {
            let sig = crate::encoding::b64_encode(&vec![7u8; sig_len]);
            format!(r#"{{"device_id":"d","seq":1,"body":{{}},"signature":"{sig}"}}"#)
        };
        assert!(serde_json::from_str::<DeviceSigned<PendingQuery>>(&envelope(64)).is_ok());
        for len in [0, 63, 65, 128] {
            let e = serde_json::from_str::<DeviceSigned<PendingQuery>>(&envelope(len)).unwrap_err();
            assert!(e.to_string().contains("a signature is 64 bytes"), "{e}");
        }
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

    #[test]
    fn named_values_travel_as_their_names() {
        fn check<T>(all: &[T], name: fn(&T) -> &'static str, parse: fn(&str) -> Option<T>)
        where
            T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
        {
            let mut seen = std::collections::HashSet::new();
            for v in all {
                assert!(seen.insert(name(v)), "{v:?}");
                assert_eq!(
                    serde_json::to_string(v).unwrap(),
                    format!("\"{}\"", name(v))
                );
                assert_eq!(
                    &serde_json::from_str::<T>(&serde_json::to_string(v).unwrap()).unwrap(),
                    v
                );
                assert_eq!(parse(name(v)).as_ref(), Some(v));
            }
            assert!(parse("unknown").is_none());
        }
        check(
            DeviceStatus::ALL,
            |v| v.as_str(),
            DeviceStatus::from_str_opt,
        );
        check(
            AdditionStatus::ALL,
            |v| v.as_str(),
            AdditionStatus::from_str_opt,
        );
        check(Channel::ALL, |v| v.as_str(), Channel::from_str_opt);
        check(
            crate::activity::ActivityKind::ALL,
            |v| v.as_str(),
            crate::activity::ActivityKind::from_str_opt,
        );
        assert_eq!(DeviceStatus::Suspended.as_str(), "suspended");
        assert_eq!(AdditionStatus::Waiting.as_str(), "waiting");
        assert_eq!(Channel::Email.as_str(), "email");
    }
}
