//! Requester ↔ service: create, poll and cancel a request, each in a
//! [`RequesterSigned`] envelope signed with the requester's registered key.

use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::approval::{Decision, Evidence};
use crate::encoding::{b64, CanonicalWriter};
use crate::request::{Action, Amount, LocalizedText};

/// How far a requester envelope's `timestamp_ms` may be from the service's
/// clock, either way, in milliseconds. A nonce is remembered this long.
pub const REQUESTER_WINDOW_MS: i64 = 120_000;
/// Length of a requester envelope's nonce, in bytes.
pub const REQUESTER_NONCE_LEN: usize = 16;

/// A requester message body that is signed inside a [`RequesterSigned`] envelope.
pub trait RequesterBody: Serialize + DeserializeOwned {
    /// The domain tag of this kind of message.
    const DOMAIN: &'static str;
    /// Append the body's fields in canonical form.
    fn encode_fields(&self, w: &mut CanonicalWriter);
}

/// A requester message: the body plus the registered requester that sends
/// it, its clock, a random nonce (so a copy is refused: the service
/// remembers each nonce for [`REQUESTER_WINDOW_MS`]) and an ECDSA P-256
/// signature over [`RequesterSigned::signed_bytes`] with the requester's key.
/// It is an application-level signature, so it survives a TLS-terminating
/// load balancer, and several machines of one requester can share a key
/// without sharing a counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequesterSigned<T> {
    /// The registered requester, `[a-z0-9._-]{1,64}`.
    pub requester_id: String,
    /// The requester's clock, milliseconds since the epoch; within
    /// [`REQUESTER_WINDOW_MS`] of the service's.
    pub timestamp_ms: i64,
    /// [`REQUESTER_NONCE_LEN`] random bytes, never used twice.
    #[serde(with = "b64")]
    pub nonce: Vec<u8>,
    /// The message.
    pub body: T,
    /// Signature (r ‖ s) over the canonical bytes.
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

impl<T: RequesterBody> RequesterSigned<T> {
    /// Canonical bytes: domain tag, requester id, timestamp, nonce, body fields.
    pub fn signed_bytes(requester_id: &str, timestamp_ms: i64, nonce: &[u8], body: &T) -> Vec<u8> {
        let mut w = CanonicalWriter::new(T::DOMAIN);
        w.str(requester_id).i64(timestamp_ms).bytes(nonce);
        body.encode_fields(&mut w);
        w.finish()
    }

    /// This envelope's canonical bytes.
    pub fn bytes(&self) -> Vec<u8> {
        Self::signed_bytes(
            &self.requester_id,
            self.timestamp_ms,
            &self.nonce,
            &self.body,
        )
    }
}

/// Requester → service: ask the owner of `user_id` to take `action`. The
/// requester and the name the owner reads come from the envelope's
/// registered requester, never from the body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    /// The user ID the person typed on the requester's page.
    pub user_id: String,
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

impl RequesterBody for CreateRequest {
    const DOMAIN: &'static str = "akuersi/v1/requester/create";
    fn encode_fields(&self, w: &mut CanonicalWriter) {
        w.str(&self.user_id)
            .str(self.action.as_str())
            .list(&self.texts, |w, t| {
                w.str(&t.lang).str(&t.header).str(&t.body);
            })
            .option(self.ttl_seconds.as_ref(), |w, t| {
                w.u32(*t);
            })
            .option(self.channel_binding.as_ref(), |w, c| {
                w.str(c.as_str());
            })
            .option(self.amount.as_ref(), |w, a| {
                w.i64(a.minor_units).str(&a.currency);
            })
            .option(self.account.as_deref(), |w, a| {
                w.str(a);
            });
    }
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

impl ChannelBindingKind {
    /// Stable wire name, also used in signed bytes and the registry.
    pub fn as_str(self) -> &'static str {
        match self {
            ChannelBindingKind::Code => "code",
            ChannelBindingKind::Qr => "qr",
        }
    }
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
        crate::encoding::b64_encode(&tag.as_ref()[..16])
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

/// Requester → service: poll by handle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollRequest {
    /// The handle from [`CreateRequestResponse`].
    pub poll_handle: String,
}

impl RequesterBody for PollRequest {
    const DOMAIN: &'static str = "akuersi/v1/requester/poll";
    fn encode_fields(&self, w: &mut CanonicalWriter) {
        w.str(&self.poll_handle);
    }
}

/// Requester → service: cancel by handle (its own type, so that a signed
/// poll can never be taken for a cancel).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CancelRequest {
    /// The handle from [`CreateRequestResponse`].
    pub poll_handle: String,
}

impl RequesterBody for CancelRequest {
    const DOMAIN: &'static str = "akuersi/v1/requester/cancel";
    fn encode_fields(&self, w: &mut CanonicalWriter) {
        w.str(&self.poll_handle);
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// docs/PROTOCOL.md §11.9: the signed bytes of a requester poll.
    #[test]
    fn a_poll_envelope_signs_the_documented_bytes() {
        let body = PollRequest {
            poll_handle: "FRsddd6Q-qKJcs_Ar1wscfsAWk1hppIEt596Ck0HGk8".into(),
        };
        let nonce: Vec<u8> = (0u8..16).collect();
        let bytes = RequesterSigned::signed_bytes("demo-bank", 1_767_225_660_000, &nonce, &body);
        let expected = concat!(
            "00000019616b75657273692f76312f7265717565737465722f706f6c6c",
            "0000000964656d6f2d62616e6b",
            "0000019b76db9260",
            "00000010000102030405060708090a0b0c0d0e0f",
            "0000002b46527364646436512d714b4a63735f417231777363667341576b3168",
            "7070494574353936436b3048476b38",
        );
        assert_eq!(hex::encode(&bytes), expected);
        assert_eq!(bytes.len(), 117);
        // A cancel of the same handle signs other bytes (its own tag).
        let cancel = CancelRequest {
            poll_handle: body.poll_handle.clone(),
        };
        assert_ne!(
            RequesterSigned::signed_bytes("demo-bank", 1_767_225_660_000, &nonce, &cancel),
            bytes
        );
    }

    #[test]
    fn every_create_field_changes_the_signed_bytes() {
        let base = CreateRequest {
            user_id: "Aviaja.Nuuk-77".into(),
            action: Action::Approve,
            texts: vec![LocalizedText {
                lang: "da".into(),
                header: "Betaling".into(),
                body: "Husleje".into(),
            }],
            ttl_seconds: Some(120),
            channel_binding: Some(ChannelBindingKind::Code),
            amount: Some(Amount {
                minor_units: 900_000,
                currency: "DKK".into(),
            }),
            account: Some("GL8964710001000206".into()),
        };
        let sign = |r: &CreateRequest| RequesterSigned::signed_bytes("demo-bank", 1, &[0; 16], r);
        let reference = sign(&base);
        let changes: Vec<fn(&mut CreateRequest)> = vec![
            |r| r.user_id.push('x'),
            |r| r.action = Action::Sign,
            |r| r.texts[0].body.push('x'),
            |r| r.texts[0].lang = "en".into(),
            |r| r.ttl_seconds = None,
            |r| r.channel_binding = Some(ChannelBindingKind::Qr),
            |r| r.channel_binding = None,
            |r| r.amount = None,
            |r| r.account = None,
        ];
        for change in changes {
            let mut r = base.clone();
            change(&mut r);
            assert_ne!(sign(&r), reference, "{r:?}");
        }
        assert_ne!(
            RequesterSigned::signed_bytes("demo-bank", 2, &[0; 16], &base),
            reference
        );
        assert_ne!(
            RequesterSigned::signed_bytes("demo-bank", 1, &[1; 16], &base),
            reference
        );
        assert_ne!(
            RequesterSigned::signed_bytes("other-bank", 1, &[0; 16], &base),
            reference
        );
    }
}
