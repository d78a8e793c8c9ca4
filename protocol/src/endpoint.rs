//! Every operation of protocol v1 as a type: its path, who calls it, what
//! goes in, what comes back and the domain tag its signature is made under.
//!
//! The list below is the one place an endpoint is declared. The [`paths`]
//! constants, [`paths::ALL`], the service's routing and the device's typed
//! calls are all derived from it, so a path, its message types and its domain
//! tag cannot drift apart.

use serde::{de::DeserializeOwned, Serialize};

use crate::approval::APPROVAL_DOMAIN;
use crate::wire::{
    Activate, CompletePairing, CreateIdentity, Decide, DeviceSigned, IssueActivationCode,
    ListRequesters, OperatorFreeze, OperatorOutbox, OperatorSetContact, RegisterRequester,
    RequesterBody, RequesterSigned, RevokeRequester, SignedBody,
};

/// Who sends an endpoint's request, and so how it is authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A registered service provider asking for, or about, a request. The
    /// body travels in a [`RequesterSigned`] envelope signed with its
    /// registered key.
    Requester,
    /// A device that is not enrolled yet; the message is signed by the key it
    /// is enrolling.
    NewDevice,
    /// An enrolled device. The body travels in a [`DeviceSigned`] envelope
    /// (the decision carries its own signed statement instead).
    Device,
    /// Support, with the operator token.
    Operator,
}

/// One operation of the protocol.
pub trait Endpoint {
    /// The path it is `POST`ed to.
    const PATH: &'static str;
    /// Who calls it.
    const CALLER: Caller;
    /// The domain tag of the signature the request carries, if it is signed.
    const DOMAIN: Option<&'static str>;
    /// The JSON body sent.
    type Request: Serialize + DeserializeOwned;
    /// The JSON body of a successful answer.
    type Response: Serialize + DeserializeOwned;
}

/// An endpoint whose request is a body in a [`DeviceSigned`] envelope.
pub trait DeviceEndpoint: Endpoint<Request = DeviceSigned<Self::Body>> {
    /// The body inside the envelope.
    type Body: SignedBody;
}

/// An endpoint whose request is a body in a [`RequesterSigned`] envelope.
pub trait RequesterEndpoint: Endpoint<Request = RequesterSigned<Self::Body>> {
    /// The body inside the envelope.
    type Body: RequesterBody;
}

/// How a service reads request bodies and writes answers (JSON, with its
/// own refusal for a body that does not parse).
pub trait Codec {
    /// A refusal.
    type Error;
    /// Parse a request body.
    fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T, Self::Error>;
    /// Write an answer.
    fn encode<T: Serialize>(&self, answer: &T) -> Result<Vec<u8>, Self::Error>;
}

/// The service's handler for endpoint `E`; [`dispatch`] needs one for every
/// endpoint.
pub trait Handle<E: Endpoint>: Codec {
    /// Handle one decoded request.
    fn handle(&self, request: E::Request) -> Result<E::Response, Self::Error>;
}

/// The domain tag a request type is signed under (`None`: not signed).
trait SigningDomain {
    const DOMAIN: Option<&'static str>;
}

impl<T: SignedBody> SigningDomain for DeviceSigned<T> {
    const DOMAIN: Option<&'static str> = Some(T::DOMAIN);
}

impl<T: RequesterBody> SigningDomain for RequesterSigned<T> {
    const DOMAIN: Option<&'static str> = Some(T::DOMAIN);
}

macro_rules! signing_domain {
    ($($t:ty => $domain:expr;)*) => {
        $(impl SigningDomain for $t {
            const DOMAIN: Option<&'static str> = $domain;
        })*
    };
}

signing_domain! {
    Activate => Some(Activate::DOMAIN);
    CompletePairing => Some(CompletePairing::DOMAIN);
    Decide => Some(APPROVAL_DOMAIN);
    OperatorFreeze => None;
    OperatorSetContact => None;
    OperatorOutbox => None;
    CreateIdentity => None;
    IssueActivationCode => None;
    RegisterRequester => None;
    ListRequesters => None;
    RevokeRequester => None;
}

macro_rules! endpoints {
    ($(
        $(#[$doc:meta])*
        $caller:ident $name:ident ($konst:ident = $path:literal): $req:ty => $resp:ty;
    )*) => {
        /// One zero-sized type per endpoint, each implementing [`Endpoint`].
        pub mod endpoints {
            use super::{
                Caller, DeviceEndpoint, DeviceSigned, Endpoint, RequesterBody, RequesterEndpoint,
                RequesterSigned, SignedBody, SigningDomain,
            };
            use crate::wire;
            $(
                $(#[$doc])*
                #[derive(Debug, Clone, Copy)]
                pub struct $name;
                endpoints!(@impl $caller $name $path, $req, $resp);
            )*

            /// Every endpoint's path, caller and domain tag, in list order
            /// (for the tests that walk them all).
            #[cfg(test)]
            pub(crate) const TABLE: [(&str, Caller, Option<&str>); [$($path),*].len()] = [$(
                ($name::PATH, $name::CALLER, $name::DOMAIN),
            )*];
        }

        /// Route one message to the service's handler for its path: decode
        /// the body as the endpoint's request, handle it, encode the answer.
        /// `None` for a path that is not in protocol v1. A service that
        /// lacks a handler for any endpoint does not compile.
        pub fn dispatch<S>(service: &S, path: &str, body: &[u8]) -> Option<Result<Vec<u8>, S::Error>>
        where
            S: Codec $(+ Handle<endpoints::$name>)*,
        {
            match path {
                $($path => Some(
                    service
                        .decode::<<endpoints::$name as Endpoint>::Request>(body)
                        .and_then(|request| Handle::<endpoints::$name>::handle(service, request))
                        .and_then(|answer| service.encode(&answer)),
                ),)*
                _ => None,
            }
        }

        /// The paths of protocol version 1. All take `POST` with a JSON body.
        pub mod paths {
            use super::{endpoints, Endpoint};
            $(
                $(#[$doc])*
                pub const $konst: &str = <endpoints::$name as Endpoint>::PATH;
            )*

            /// Every path of protocol v1, in a fixed order (tests and fuzzers walk it).
            pub const ALL: [&str; [$($konst),*].len()] = [$($konst),*];
        }
    };
    (@impl Envelope $name:ident $path:literal, $body:ty, $resp:ty) => {
        impl Endpoint for $name {
            const PATH: &'static str = $path;
            const CALLER: Caller = Caller::Device;
            const DOMAIN: Option<&'static str> = Some(<$body as SignedBody>::DOMAIN);
            type Request = DeviceSigned<$body>;
            type Response = $resp;
        }
        impl DeviceEndpoint for $name {
            type Body = $body;
        }
    };
    (@impl Requester $name:ident $path:literal, $body:ty, $resp:ty) => {
        impl Endpoint for $name {
            const PATH: &'static str = $path;
            const CALLER: Caller = Caller::Requester;
            const DOMAIN: Option<&'static str> = Some(<$body as RequesterBody>::DOMAIN);
            type Request = RequesterSigned<$body>;
            type Response = $resp;
        }
        impl RequesterEndpoint for $name {
            type Body = $body;
        }
    };
    (@impl $caller:ident $name:ident $path:literal, $req:ty, $resp:ty) => {
        impl Endpoint for $name {
            const PATH: &'static str = $path;
            const CALLER: Caller = Caller::$caller;
            const DOMAIN: Option<&'static str> = <$req as SigningDomain>::DOMAIN;
            type Request = $req;
            type Response = $resp;
        }
    };
}

endpoints! {
    /// Requester: start a request.
    Requester CreateRequest (CREATE_REQUEST = "/v1/requests/create"):
        wire::CreateRequest => wire::CreateRequestResponse;
    /// Requester: see a request's status.
    Requester PollRequest (POLL_REQUEST = "/v1/requests/poll"): wire::PollRequest => wire::PollResponse;
    /// Requester: withdraw a pending request.
    Requester CancelRequest (CANCEL_REQUEST = "/v1/requests/cancel"):
        wire::CancelRequest => wire::PollResponse;
    /// Device: enroll with an activation code.
    NewDevice Activate (ACTIVATE = "/v1/device/activate"): wire::Activate => wire::ActivateResponse;
    /// Device: fetch pending requests.
    Envelope Pending (PENDING = "/v1/device/pending"): wire::PendingQuery => wire::PendingResponse;
    /// Device: start the SPAKE2+ PIN proof for a request.
    Envelope PinStart (PIN_START = "/v1/device/pin-start"): wire::PinStart => wire::PinStartResponse;
    /// Device: check a channel-binding answer.
    Envelope ChannelCheck (CHANNEL_CHECK = "/v1/device/channel-check"): wire::ChannelCheck => wire::Ack;
    /// Device: report a PIN proof that failed on the device.
    Envelope PinFailed (PIN_FAILED = "/v1/device/pin-failed"): wire::PinFailed => wire::PinFailedResponse;
    /// Device: submit a signed decision.
    Device Decide (DECIDE = "/v1/device/decide"): wire::Decide => wire::DecideResponse;
    /// Device: the identity's devices.
    Envelope Devices (DEVICES = "/v1/device/devices"): wire::DeviceListQuery => wire::DeviceListResponse;
    /// Device: rename a device.
    Envelope RenameDevice (RENAME_DEVICE = "/v1/device/devices/rename"): wire::RenameDevice => wire::Ack;
    /// Device: remove a device (PIN).
    Envelope RemoveDevice (REMOVE_DEVICE = "/v1/device/devices/remove"): wire::RemoveDevice => wire::Ack;
    /// Device: freeze the identity (no PIN).
    Envelope Freeze (FREEZE = "/v1/device/freeze"): wire::Freeze => wire::Ack;
    /// Device: one proof towards unfreezing (PIN).
    Envelope Unfreeze (UNFREEZE = "/v1/device/unfreeze"): wire::Unfreeze => wire::UnfreezeResponse;
    /// Device: the identity's state.
    Envelope Status (STATUS = "/v1/device/status"): wire::IdentityStatusQuery => wire::IdentityStatus;
    /// Device: start adding a device (PIN).
    Envelope AdditionStart (ADDITION_START = "/v1/device/addition/start"):
        wire::StartAddition => wire::AdditionView;
    /// Device: veto an addition.
    Envelope AdditionVeto (ADDITION_VETO = "/v1/device/addition/veto"): wire::VetoAddition => wire::Ack;
    /// Device: get the pairing payload after the wait.
    Envelope AdditionPairing (ADDITION_PAIRING = "/v1/device/addition/pairing"):
        wire::PairingOffer => wire::PairingPayloadResponse;
    /// New device: join with a pairing payload.
    NewDevice AdditionComplete (ADDITION_COMPLETE = "/v1/device/addition/complete"):
        wire::CompletePairing => wire::ActivateResponse;
    /// Device: app-channel notifications.
    Envelope Notifications (NOTIFICATIONS = "/v1/device/notifications"):
        wire::NotificationsQuery => wire::NotificationsResponse;
    /// Device: the activity log and its signed head.
    Envelope Activity (ACTIVITY = "/v1/device/activity"): wire::ActivityQuery => wire::ActivityResponse;
    /// Device: change the user ID (PIN).
    Envelope ChangeUserId (CHANGE_USER_ID = "/v1/device/user-id"): wire::ChangeUserId => wire::Ack;
    /// Device: change contact data (PIN).
    Envelope ChangeContact (CHANGE_CONTACT = "/v1/device/contact"): wire::ChangeContact => wire::Ack;
    /// Device: change settings (PIN).
    Envelope ChangeSettings (CHANGE_SETTINGS = "/v1/device/settings"): wire::ChangeSettings => wire::Ack;
    /// Device: change the PIN (old PIN).
    Envelope ChangePin (CHANGE_PIN = "/v1/device/pin"): wire::ChangePin => wire::Ack;
    /// Operator: freeze or unfreeze an identity.
    Operator OperatorFreeze (OPERATOR_FREEZE = "/v1/operator/freeze"): wire::OperatorFreeze => wire::Ack;
    /// Operator: set contact data.
    Operator OperatorSetContact (OPERATOR_SET_CONTACT = "/v1/operator/contact"):
        wire::OperatorSetContact => wire::Ack;
    /// Operator: read the notification outbox.
    Operator OperatorOutbox (OPERATOR_OUTBOX = "/v1/operator/outbox"):
        wire::OperatorOutbox => wire::OutboxResponse;
    /// Operator: create an identity.
    Operator OperatorCreateIdentity (OPERATOR_CREATE_IDENTITY = "/v1/operator/identities/create"):
        wire::CreateIdentity => wire::CreateIdentityResponse;
    /// Operator: issue an activation code.
    Operator OperatorIssueCode (OPERATOR_ISSUE_CODE = "/v1/operator/activation-codes/issue"):
        wire::IssueActivationCode => wire::IssueActivationCodeResponse;
    /// Operator: register a requester.
    Operator OperatorRegisterRequester (OPERATOR_REGISTER_REQUESTER = "/v1/operator/requesters/register"):
        wire::RegisterRequester => wire::RequesterInfo;
    /// Operator: list the registered requesters.
    Operator OperatorListRequesters (OPERATOR_LIST_REQUESTERS = "/v1/operator/requesters/list"):
        wire::ListRequesters => wire::RequesterList;
    /// Operator: revoke a requester.
    Operator OperatorRevokeRequester (OPERATOR_REVOKE_REQUESTER = "/v1/operator/requesters/revoke"):
        wire::RevokeRequester => wire::Ack;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The paths as v1 published them (docs/PROTOCOL.md §4), in their order.
    const PUBLISHED: [&str; 33] = [
        "/v1/requests/create",
        "/v1/requests/poll",
        "/v1/requests/cancel",
        "/v1/device/activate",
        "/v1/device/pending",
        "/v1/device/pin-start",
        "/v1/device/channel-check",
        "/v1/device/pin-failed",
        "/v1/device/decide",
        "/v1/device/devices",
        "/v1/device/devices/rename",
        "/v1/device/devices/remove",
        "/v1/device/freeze",
        "/v1/device/unfreeze",
        "/v1/device/status",
        "/v1/device/addition/start",
        "/v1/device/addition/veto",
        "/v1/device/addition/pairing",
        "/v1/device/addition/complete",
        "/v1/device/notifications",
        "/v1/device/activity",
        "/v1/device/user-id",
        "/v1/device/contact",
        "/v1/device/settings",
        "/v1/device/pin",
        "/v1/operator/freeze",
        "/v1/operator/contact",
        "/v1/operator/outbox",
        "/v1/operator/identities/create",
        "/v1/operator/activation-codes/issue",
        "/v1/operator/requesters/register",
        "/v1/operator/requesters/list",
        "/v1/operator/requesters/revoke",
    ];

    #[test]
    fn the_path_list_is_v1_as_published() {
        assert_eq!(paths::ALL, PUBLISHED);
    }

    #[test]
    fn every_signed_endpoint_has_its_own_domain_tag() {
        let mut seen = std::collections::HashSet::new();
        for (path, caller, domain) in endpoints::TABLE {
            match caller {
                Caller::Operator => assert_eq!(domain, None, "{path}"),
                Caller::Requester | Caller::NewDevice | Caller::Device => {
                    let d = domain.expect("a device or requester endpoint is signed");
                    let prefix = if caller == Caller::Requester {
                        "akuersi/v1/requester/"
                    } else {
                        "akuersi/v1/device/"
                    };
                    // The approval statement has its own tag, outside the device's.
                    assert!(d.starts_with(prefix) || d == APPROVAL_DOMAIN, "{d}");
                    assert!(seen.insert(d), "domain tag used twice: {d}");
                }
            }
        }
        assert_eq!(
            seen.len(),
            25,
            "the device and requester endpoints, each signed"
        );
        assert_eq!(
            endpoints::CreateRequest::DOMAIN,
            Some("akuersi/v1/requester/create")
        );
        assert_eq!(endpoints::OperatorFreeze::DOMAIN, None);
        assert_eq!(endpoints::Decide::CALLER, Caller::Device);
        assert_eq!(endpoints::Activate::CALLER, Caller::NewDevice);
    }
}
