//! The JSON front of the service: one function from (path, body) to
//! (status, body), shared by the in-process transport and the HTTP server.

use akuersi_protocol::crypto::ct_eq;
use akuersi_protocol::endpoint::{dispatch, endpoints, Codec, Endpoint, Handle};
use akuersi_protocol::wire::{
    Ack, CreateIdentityResponse, ErrorCode, OutboxResponse, RequesterList, MAX_MESSAGE_BYTES,
};
use serde::{de::DeserializeOwned, Serialize};

use crate::error::{Result, ServiceError};
use crate::service::Service;

/// An answer: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiResponse {
    /// 200 on success.
    pub status: u16,
    /// JSON body: the answer, or an error body.
    pub body: Vec<u8>,
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    serde_json::from_slice(body).map_err(|e| {
        // serde's message names the field and position; it never echoes more
        // than a short fragment of the input.
        ServiceError::new(ErrorCode::Malformed, format!("malformed message: {e}"))
    })
}

fn check_token(service: &Service, token: &str) -> Result<()> {
    match &service.config().operator_token {
        Some(expected) if ct_eq(expected.as_bytes(), token.as_bytes()) => Ok(()),
        _ => Err(ServiceError::new(
            ErrorCode::Unauthorized,
            "the operator token is missing or wrong",
        )),
    }
}

/// The service as the protocol's router sees it: one handler per endpoint.
struct Api<'a>(&'a Service);

impl Codec for Api<'_> {
    type Error = ServiceError;

    fn decode<T: DeserializeOwned>(&self, body: &[u8]) -> Result<T> {
        parse(body)
    }

    fn encode<T: Serialize>(&self, answer: &T) -> Result<Vec<u8>> {
        serde_json::to_vec(answer).map_err(ServiceError::internal)
    }
}

/// `impl Handle<E> for Api`: `E(message) => answer`. For the endpoints that
/// carry a device envelope (`signed`), its signature is checked before the
/// service takes its write lock (see the service's `precheck` module); the
/// check inside the transaction stays the one that counts.
macro_rules! handlers {
    ($($kind:ident $endpoint:ident($s:ident, $m:ident) => $answer:expr;)*) => {
        $(impl Handle<endpoints::$endpoint> for Api<'_> {
            fn handle(
                &self,
                $m: <endpoints::$endpoint as Endpoint>::Request,
            ) -> Result<<endpoints::$endpoint as Endpoint>::Response> {
                let $s = self.0;
                handlers!(@$kind $s, $m);
                $answer
            }
        })*
    };
    (@plain $s:ident, $m:ident) => {};
    (@signed $s:ident, $m:ident) => {
        $s.check_envelope_early(&$m)
    };
    (@operator $s:ident, $m:ident) => {
        check_token($s, &$m.token)?
    };
}

handlers! {
    plain CreateRequest(s, m) => s.create_request(m);
    plain PollRequest(s, m) => s.poll(m);
    plain CancelRequest(s, m) => s.cancel(m);
    plain Activate(s, m) => s.activate(m);
    signed Pending(s, m) => s.pending(m);
    signed PinStart(s, m) => s.pin_start(m);
    signed ChannelCheck(s, m) => s.channel_check(m);
    signed PinFailed(s, m) => s.pin_failed(m);
    plain Decide(s, m) => s.decide(m);
    signed Devices(s, m) => s.devices(m);
    signed RenameDevice(s, m) => s.rename_device(m);
    signed RemoveDevice(s, m) => s.remove_device(m);
    signed Freeze(s, m) => s.freeze(m);
    signed Unfreeze(s, m) => s.unfreeze(m);
    signed Status(s, m) => s.identity_status(m);
    signed AdditionStart(s, m) => s.start_addition(m);
    signed AdditionVeto(s, m) => s.veto_addition(m);
    signed AdditionPairing(s, m) => s.pairing_offer(m);
    plain AdditionComplete(s, m) => s.complete_pairing(m);
    signed Notifications(s, m) => s.notifications(m);
    signed Activity(s, m) => s.activity_log(m);
    signed ChangeUserId(s, m) => s.change_user_id(m);
    signed ChangeContact(s, m) => s.change_contact(m);
    signed ChangeSettings(s, m) => s.change_settings(m);
    signed ChangePin(s, m) => s.change_pin(m);
    operator OperatorFreeze(s, m) => {
        s.operator_freeze(&m.user_id, m.frozen)?;
        Ok(Ack {
            server_time_ms: s.now_ms(),
        })
    };
    operator OperatorSetContact(s, m) => {
        s.operator_set_contact(&m.user_id, m.phone.as_deref(), m.email.as_deref())?;
        Ok(Ack {
            server_time_ms: s.now_ms(),
        })
    };
    operator OperatorOutbox(s, m) => Ok(OutboxResponse {
        items: s.outbox(m.user_id.as_deref(), m.after_id)?,
    });
    operator OperatorCreateIdentity(s, m) => Ok(CreateIdentityResponse {
        identity_id: s.create_identity(&m.user_id)?,
    });
    operator OperatorIssueCode(s, m) => s.issue_activation_code(&m.user_id, m.channel);
    operator OperatorRegisterRequester(s, m) => s.register_requester(m.requester);
    operator OperatorListRequesters(s, m) => Ok(RequesterList {
        requesters: s.list_requesters()?,
    });
    operator OperatorRevokeRequester(s, m) => {
        s.revoke_requester(&m.requester_id)?;
        Ok(Ack {
            server_time_ms: s.now_ms(),
        })
    };
}

fn route(service: &Service, path: &str, body: &[u8]) -> Result<Vec<u8>> {
    dispatch(&Api(service), path, body).unwrap_or_else(|| {
        Err(ServiceError::new(
            ErrorCode::UnknownPath,
            "no such endpoint in protocol v1",
        ))
    })
}

/// Handle one message. Never panics on any input; every refusal is a JSON
/// error body with a stable code.
pub fn handle(service: &Service, path: &str, body: &[u8]) -> ApiResponse {
    let result = if body.len() > MAX_MESSAGE_BYTES {
        Err(ServiceError::new(
            ErrorCode::TooLarge,
            format!("message is larger than {MAX_MESSAGE_BYTES} bytes"),
        ))
    } else {
        route(service, path, body)
    };
    match result {
        Ok(body) => ApiResponse { status: 200, body },
        Err(e) => ApiResponse {
            status: e.http_status(),
            body: serde_json::to_vec(&e.body())
                .unwrap_or_else(|_| br#"{"code":"internal","message":"internal error"}"#.to_vec()),
        },
    }
}
