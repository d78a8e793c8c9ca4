//! The JSON front of the service: one function from (path, body) to
//! (status, body), shared by the in-process transport and the HTTP server.

use akuersi_core::crypto::ct_eq;
use akuersi_core::protocol::{
    paths, Ack, Activate, CreateIdentity, CreateIdentityResponse, CreateRequest, Decide,
    DeviceSigned, ErrorCode, IssueActivationCode, OperatorFreeze, OperatorOutbox,
    OperatorSetContact, OutboxResponse, PollRequest, SignedBody, MAX_MESSAGE_BYTES,
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

/// Parse a device envelope and check its signature before the service takes
/// its write lock (see the service's `precheck` module); the service's own
/// check inside the transaction stays the one that counts.
fn enveloped<T: SignedBody + DeserializeOwned>(
    service: &Service,
    body: &[u8],
) -> Result<DeviceSigned<T>> {
    let msg = parse::<DeviceSigned<T>>(body)?;
    service.check_envelope_early(&msg);
    Ok(msg)
}

fn ok<T: Serialize>(value: &T) -> Result<Vec<u8>> {
    serde_json::to_vec(value).map_err(ServiceError::internal)
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

fn route(service: &Service, path: &str, body: &[u8]) -> Result<Vec<u8>> {
    match path {
        paths::CREATE_REQUEST => ok(&service.create_request(parse::<CreateRequest>(body)?)?),
        paths::POLL_REQUEST => ok(&service.poll(&parse::<PollRequest>(body)?.poll_handle)?),
        paths::CANCEL_REQUEST => ok(&service.cancel(&parse::<PollRequest>(body)?.poll_handle)?),
        paths::ACTIVATE => ok(&service.activate(parse::<Activate>(body)?)?),
        paths::PENDING => ok(&service.pending(enveloped(service, body)?)?),
        paths::PIN_START => ok(&service.pin_start(enveloped(service, body)?)?),
        paths::CHANNEL_CHECK => ok(&service.channel_check(enveloped(service, body)?)?),
        paths::PIN_FAILED => ok(&service.pin_failed(enveloped(service, body)?)?),
        paths::DECIDE => ok(&service.decide(parse::<Decide>(body)?)?),
        paths::DEVICES => ok(&service.devices(enveloped(service, body)?)?),
        paths::RENAME_DEVICE => ok(&service.rename_device(enveloped(service, body)?)?),
        paths::REMOVE_DEVICE => ok(&service.remove_device(enveloped(service, body)?)?),
        paths::FREEZE => ok(&service.freeze(enveloped(service, body)?)?),
        paths::UNFREEZE => ok(&service.unfreeze(enveloped(service, body)?)?),
        paths::STATUS => ok(&service.identity_status(enveloped(service, body)?)?),
        paths::ADDITION_START => ok(&service.start_addition(enveloped(service, body)?)?),
        paths::ADDITION_VETO => ok(&service.veto_addition(enveloped(service, body)?)?),
        paths::ADDITION_PAIRING => ok(&service.pairing_offer(enveloped(service, body)?)?),
        paths::ADDITION_COMPLETE => ok(&service.complete_pairing(parse(body)?)?),
        paths::NOTIFICATIONS => ok(&service.notifications(enveloped(service, body)?)?),
        paths::ACTIVITY => ok(&service.activity_log(enveloped(service, body)?)?),
        paths::CHANGE_USER_ID => ok(&service.change_user_id(enveloped(service, body)?)?),
        paths::CHANGE_CONTACT => ok(&service.change_contact(enveloped(service, body)?)?),
        paths::CHANGE_SETTINGS => ok(&service.change_settings(enveloped(service, body)?)?),
        paths::CHANGE_PIN => ok(&service.change_pin(enveloped(service, body)?)?),
        paths::OPERATOR_FREEZE => {
            let m = parse::<OperatorFreeze>(body)?;
            check_token(service, &m.token)?;
            service.operator_freeze(&m.user_id, m.frozen)?;
            ok(&Ack {
                server_time_ms: service.now_ms(),
            })
        }
        paths::OPERATOR_SET_CONTACT => {
            let m = parse::<OperatorSetContact>(body)?;
            check_token(service, &m.token)?;
            service.operator_set_contact(&m.user_id, m.phone.as_deref(), m.email.as_deref())?;
            ok(&Ack {
                server_time_ms: service.now_ms(),
            })
        }
        paths::OPERATOR_OUTBOX => {
            let m = parse::<OperatorOutbox>(body)?;
            check_token(service, &m.token)?;
            ok(&OutboxResponse {
                items: service.outbox(m.user_id.as_deref(), m.after_id)?,
            })
        }
        paths::OPERATOR_CREATE_IDENTITY => {
            let m = parse::<CreateIdentity>(body)?;
            check_token(service, &m.token)?;
            ok(&CreateIdentityResponse {
                identity_id: service.create_identity(&m.user_id)?,
            })
        }
        paths::OPERATOR_ISSUE_CODE => {
            let m = parse::<IssueActivationCode>(body)?;
            check_token(service, &m.token)?;
            ok(&service.issue_activation_code(&m.user_id, m.channel)?)
        }
        _ => Err(ServiceError::new(
            ErrorCode::UnknownPath,
            "no such endpoint in protocol v1",
        )),
    }
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
