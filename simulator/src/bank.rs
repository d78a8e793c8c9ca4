//! Demo Bank: a demo service provider with a web page ("Log in to Demo Bank")
//! and a tiny backend of its own, served by `akuersi-sim serve` next to the
//! identity service.
//!
//! The page (`web/demo_bank.html`) talks only to this backend:
//!
//! * `GET /demo-bank/`: the page;
//! * `POST /demo-bank/api/start` with `{"user_id": "…"}`: the backend asks
//!   the service for a log-on request ([`paths::CREATE_REQUEST`]) and answers
//!   with a login id, the texts the app will show and the seconds left.
//!   Optional fields: `"binding": "none" | "code" | "qr"` asks for channel
//!   binding (the page then shows the 4-digit code, or the animated QR value
//!   that the status answer renews every second), and `"payment": true`
//!   makes it a payment of 9.000,00 DKK to [`PAYMENT_ACCOUNT`];
//! * `GET /demo-bank/api/status/{login}`: the backend polls the service
//!   ([`paths::POLL_REQUEST`]) and, once the request is approved, verifies the
//!   device's signed evidence itself before it says "logged in";
//! * `POST /demo-bank/api/cancel/{login}`: the backend withdraws the request.
//!
//! Every call to the service is signed with the bank's registered requester
//! key (`RequesterSigned`); `serve` and `demo` register the bank themselves
//! (see `crate::requesters`). The name the owner reads is the service's
//! registry name, never one the bank sends.
//!
//! The service's poll handle never leaves the backend: the page holds only a
//! random login id. Like any requester, the bank cannot tell a known user ID
//! from an unknown one: both get a request that the right app may show.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use akuersi_core::transport::{call, Transport};
use akuersi_core::Error;
use akuersi_protocol::approval::Decision;
use akuersi_protocol::clock::Clock;
use akuersi_protocol::crypto::{random_array, random_id};
use akuersi_protocol::request::{validate_texts, Action, Amount, LocalizedText};
use akuersi_protocol::requester_key::RequesterKey;
use akuersi_protocol::wire::{
    paths, qr_counter, CancelRequest, ChannelBindingKind, CreateRequest, CreateRequestResponse,
    ErrorCode, PollRequest, PollResponse, RequestStatus, RequesterBody, RequesterNames,
    RequesterSigned, MAX_TTL_SECONDS,
};
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::{Deserialize, Serialize};

/// The page, with `__CSP_NONCE__` where each answer puts a fresh nonce.
const PAGE: &str = include_str!("web/demo_bank.html");

/// The bank's requester id at the service.
pub const REQUESTER_ID: &str = "demo-bank";
/// The bank's name as the app shows it (the same in every language).
pub const REQUESTER_NAME: &str = "Demo Bank";

/// The names the bank is registered under, one per language.
pub fn requester_names() -> RequesterNames {
    RequesterNames {
        kl: REQUESTER_NAME.into(),
        da: REQUESTER_NAME.into(),
        en: REQUESTER_NAME.into(),
    }
}
/// Where the page lives.
pub const PAGE_PATH: &str = "/demo-bank/";
/// Most log-ins the backend remembers at once (older ones are dropped).
const MAX_LOGINS: usize = 10_000;
/// How long the backend remembers a log-in after it started.
const LOGIN_MEMORY: Duration = Duration::from_secs(15 * 60);
/// Largest body the backend reads.
const MAX_BODY_BYTES: usize = 1024;
/// Characters of the short reference in the request text (no look-alikes).
const REFERENCE_ALPHABET: &[u8] = b"ACDEFGHJKMNPQRTUVWXY34679";
/// The account a demo payment goes to.
pub const PAYMENT_ACCOUNT: &str = "GL8964710001000206";
/// The demo payment: 9.000,00 DKK.
pub const PAYMENT_MINOR_UNITS: i64 = 900_000;

/// One log-in in progress, as the backend keeps it.
struct Login {
    poll_handle: String,
    request_id: String,
    texts: Vec<LocalizedText>,
    action: Action,
    amount: Option<Amount>,
    account: Option<String>,
    binding: Option<ChannelBindingKind>,
    channel_code: Option<String>,
    expires_at_ms: i64,
    started: Instant,
}

/// The Demo Bank backend.
pub struct DemoBank {
    transport: Arc<dyn Transport>,
    ttl_seconds: Option<u32>,
    key: RequesterKey,
    clock: Arc<dyn Clock>,
    logins: Mutex<HashMap<String, Login>>,
}

impl std::fmt::Debug for DemoBank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoBank")
            .field("ttl_seconds", &self.ttl_seconds)
            .finish_non_exhaustive()
    }
}

/// `POST /demo-bank/api/start` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    user_id: String,
    /// "none" (default), "code" or "qr".
    #[serde(default)]
    binding: Option<String>,
    /// A payment instead of a log-on.
    #[serde(default)]
    payment: bool,
}

/// What the page needs to show while the owner looks at the app.
#[derive(Debug, Serialize)]
struct Started {
    login_id: String,
    requester_name: &'static str,
    action: &'static str,
    reference: String,
    texts: Vec<LocalizedText>,
    seconds_left: u32,
    ttl_seconds: u32,
    /// "code" or "qr" when the app needs something from this screen.
    #[serde(skip_serializing_if = "Option::is_none")]
    binding: Option<&'static str>,
    /// The 4 digits to type in the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_code: Option<String>,
    /// The payment amount as the bank shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    amount: Option<String>,
    /// The payee account, in groups of four.
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
}

/// `GET /demo-bank/api/status/{login}` answer.
#[derive(Debug, Serialize)]
struct StatusAnswer {
    /// pending, approved, rejected, reported, expired, cancelled or error.
    status: &'static str,
    seconds_left: u32,
    /// For approvals: the device's signature was checked by the bank.
    verified: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
    /// While pending: the 4-digit code to type in the app.
    #[serde(skip_serializing_if = "Option::is_none")]
    channel_code: Option<String>,
    /// While pending: the animated QR value to scan now (changes every second).
    #[serde(skip_serializing_if = "Option::is_none")]
    qr_value: Option<String>,
}

#[derive(Debug, Serialize)]
struct ErrorAnswer {
    error: String,
}

impl DemoBank {
    /// A bank that reaches the service through `transport`, signing each
    /// call with its registered `key` at `clock`'s time, asking for
    /// requests that live `ttl_seconds` (30–300; the service's 300 when
    /// `None`).
    pub fn new(
        transport: Arc<dyn Transport>,
        ttl_seconds: Option<u32>,
        key: RequesterKey,
        clock: Arc<dyn Clock>,
    ) -> Arc<Self> {
        Arc::new(Self {
            transport,
            ttl_seconds,
            key,
            clock,
            logins: Mutex::new(HashMap::new()),
        })
    }

    /// `body` signed with the bank's key, now.
    fn signed<T: RequesterBody>(
        &self,
        body: T,
    ) -> Result<RequesterSigned<T>, (StatusCode, String)> {
        self.key
            .sign(body, self.clock.now_ms())
            .map_err(|_| internal())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Login>> {
        // The map stays consistent even if a holder panicked: every change
        // is a single insert or remove.
        self.logins.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Start a log-on for `user_id`. Blocks on the service.
    fn start(&self, body: &StartBody) -> Result<Started, (StatusCode, String)> {
        let user_id = body.user_id.as_str();
        let binding = match body.binding.as_deref().unwrap_or("none") {
            "none" | "" => None,
            "code" => Some(ChannelBindingKind::Code),
            "qr" => Some(ChannelBindingKind::Qr),
            _ => {
                return Err((
                    StatusCode::BAD_REQUEST,
                    "Choose no code, a 4-digit code or an animated QR code.".to_owned(),
                ))
            }
        };
        let reference = reference().map_err(|_| internal())?;
        let (action, texts, amount, account) = if body.payment {
            (
                Action::Approve,
                payment_texts(&reference),
                Some(Amount {
                    minor_units: PAYMENT_MINOR_UNITS,
                    currency: "DKK".into(),
                }),
                Some(PAYMENT_ACCOUNT.to_owned()),
            )
        } else {
            (Action::LogOn, log_on_texts(&reference), None, None)
        };
        let texts = validate_texts(texts).map_err(|_| internal())?;
        let req = self.signed(CreateRequest {
            user_id: user_id.trim().to_owned(),
            action,
            texts: texts.clone(),
            ttl_seconds: self.ttl_seconds,
            channel_binding: binding,
            amount: amount.clone(),
            account: account.clone(),
        })?;
        let answer: CreateRequestResponse =
            call(self.transport.as_ref(), paths::CREATE_REQUEST, &req).map_err(start_error)?;
        let login_id = random_id().map_err(|_| internal())?;
        let seconds_left = seconds_between(answer.server_time_ms, answer.expires_at_ms);
        let mut logins = self.lock();
        logins.retain(|_, l| l.started.elapsed() < LOGIN_MEMORY);
        if logins.len() >= MAX_LOGINS {
            if let Some(oldest) = logins
                .iter()
                .min_by_key(|(_, l)| l.started)
                .map(|(k, _)| k.clone())
            {
                logins.remove(&oldest);
            }
        }
        logins.insert(
            login_id.clone(),
            Login {
                poll_handle: answer.poll_handle,
                request_id: answer.request_id,
                texts: texts.clone(),
                action,
                amount,
                account: account.clone(),
                binding,
                channel_code: answer.channel_code.clone(),
                expires_at_ms: answer.expires_at_ms,
                started: Instant::now(),
            },
        );
        Ok(Started {
            login_id,
            requester_name: REQUESTER_NAME,
            action: if body.payment {
                "Approve payment"
            } else {
                "Log on"
            },
            reference,
            texts,
            seconds_left,
            ttl_seconds: self.ttl_seconds.unwrap_or(MAX_TTL_SECONDS),
            binding: binding.map(|b| match b {
                ChannelBindingKind::Code => "code",
                ChannelBindingKind::Qr => "qr",
            }),
            channel_code: answer.channel_code,
            amount: body.payment.then(|| "9.000,00 DKK".to_owned()),
            account: account.map(|a| akuersi_protocol::request::render_account(&a)),
        })
    }

    fn handle_of(&self, login_id: &str) -> Option<(String, String, Expected)> {
        self.lock().get(login_id).map(|l| {
            (
                l.poll_handle.clone(),
                l.request_id.clone(),
                Expected {
                    texts: l.texts.clone(),
                    action: l.action,
                    amount: l.amount.clone(),
                    account: l.account.clone(),
                    binding: l.binding,
                    channel_code: l.channel_code.clone(),
                    expires_at_ms: l.expires_at_ms,
                },
            )
        })
    }

    /// Where a log-in stands. Blocks on the service.
    fn status(&self, login_id: &str) -> Result<StatusAnswer, (StatusCode, String)> {
        let (handle, request_id, expected) = self.handle_of(login_id).ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                "This log-in is not known (it may be too old). Start again.".to_owned(),
            )
        })?;
        let poll: PollResponse = call(
            self.transport.as_ref(),
            paths::POLL_REQUEST,
            &self.signed(PollRequest {
                poll_handle: handle,
            })?,
        )
        .map_err(|e| match e {
            Error::Network(_) => unreachable_service(),
            _ => (
                StatusCode::BAD_GATEWAY,
                "The identity service did not answer as expected.".to_owned(),
            ),
        })?;
        let seconds_left = seconds_between(poll.server_time_ms, poll.expires_at_ms);
        let (status, verified, message) = match poll.status {
            RequestStatus::Pending => ("pending", false, None),
            RequestStatus::Approved => match check_evidence(&poll, &request_id, &expected) {
                Ok(()) => ("approved", true, None),
                Err(why) => ("error", false, Some(why)),
            },
            RequestStatus::Rejected => ("rejected", false, None),
            RequestStatus::Reported => ("reported", false, None),
            RequestStatus::Expired => ("expired", false, None),
            RequestStatus::Cancelled => ("cancelled", false, None),
        };
        let pending = status == "pending";
        Ok(StatusAnswer {
            status,
            seconds_left: if pending { seconds_left } else { 0 },
            verified,
            message,
            channel_code: poll.channel_code.filter(|_| pending),
            qr_value: poll.qr_value.filter(|_| pending),
        })
    }

    /// Withdraw a pending log-in. Blocks on the service.
    fn cancel(&self, login_id: &str) -> Result<StatusAnswer, (StatusCode, String)> {
        let (handle, _, _) = self.handle_of(login_id).ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                "This log-in is not known (it may be too old).".to_owned(),
            )
        })?;
        let result: Result<PollResponse, Error> = call(
            self.transport.as_ref(),
            paths::CANCEL_REQUEST,
            &self.signed(CancelRequest {
                poll_handle: handle,
            })?,
        );
        match result {
            Ok(_) | Err(Error::RequestCancelled) => {}
            Err(Error::Network(_)) => return Err(unreachable_service()),
            // Already decided or lapsed: the status says which.
            Err(_) => return self.status(login_id),
        }
        Ok(StatusAnswer {
            status: "cancelled",
            seconds_left: 0,
            verified: false,
            message: None,
            channel_code: None,
            qr_value: None,
        })
    }
}

/// What the bank asked for, to compare with the signed statement.
struct Expected {
    texts: Vec<LocalizedText>,
    action: Action,
    amount: Option<Amount>,
    account: Option<String>,
    binding: Option<ChannelBindingKind>,
    channel_code: Option<String>,
    expires_at_ms: i64,
}

/// Whether the channel-binding answer the device signed is the one this
/// request needed: none without binding, the very code shown, or a QR
/// value of this request.
fn channel_answer_matches(signed: Option<&str>, request_id: &str, expected: &Expected) -> bool {
    match (expected.binding, signed) {
        (None, None) => true,
        (Some(ChannelBindingKind::Code), Some(answer)) => {
            expected.channel_code.as_deref() == Some(answer)
        }
        (Some(ChannelBindingKind::Qr), Some(answer)) => qr_counter(answer, request_id).is_some(),
        _ => false,
    }
}

/// Check the device's evidence for an approval: the signature verifies, the
/// statement is for this bank (`Evidence::verify`), and it is this request,
/// approved, under the bank's registered name, with the texts, amount,
/// account, expiry and channel-binding answer of what the bank asked for.
/// Returns a message for the page when it does not hold.
fn check_evidence(
    poll: &PollResponse,
    request_id: &str,
    expected: &Expected,
) -> Result<(), String> {
    let refuse =
        |why: &str| format!("The approval could not be verified ({why}). You are not logged in.");
    let evidence = poll
        .evidence
        .as_ref()
        .ok_or_else(|| refuse("no evidence came with it"))?;
    let statement = evidence
        .verify(REQUESTER_ID)
        .map_err(|_| refuse("the device signature does not verify"))?;
    let names = requester_names();
    let ok = statement.request_id == request_id
        && statement.decision == Decision::Approve
        && [&names.kl, &names.da, &names.en].contains(&&statement.requester_name)
        && statement.action == expected.action
        && statement.texts == expected.texts
        && statement.amount == expected.amount
        && statement.account == expected.account
        && statement.expires_at_ms == expected.expires_at_ms
        && channel_answer_matches(statement.channel_binding.as_deref(), request_id, expected);
    if ok {
        Ok(())
    } else {
        Err(refuse("it is for another request or text"))
    }
}

fn internal() -> (StatusCode, String) {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "Demo Bank could not start the log-in. Try again.".to_owned(),
    )
}

fn unreachable_service() -> (StatusCode, String) {
    (
        StatusCode::BAD_GATEWAY,
        "The identity service cannot be reached right now. Try again in a moment.".to_owned(),
    )
}

/// What the page says when the service refuses to start a request.
fn start_error(e: Error) -> (StatusCode, String) {
    match e {
        Error::RateLimited => (
            StatusCode::TOO_MANY_REQUESTS,
            "There have been too many log-in attempts for this user ID in the last hour. \
             Try again later."
                .to_owned(),
        ),
        Error::Network(_) => unreachable_service(),
        Error::Service { code, message } => match code {
            ErrorCode::InvalidUserId => (
                StatusCode::BAD_REQUEST,
                format!("That is not a valid user ID: {message}."),
            ),
            ErrorCode::PendingRequestExists => (
                StatusCode::CONFLICT,
                "A log-in for this user ID is already waiting in the app. Approve or reject \
                 it there, or wait until it expires (at most 5 minutes)."
                    .to_owned(),
            ),
            _ => internal(),
        },
        _ => internal(),
    }
}

/// Whole seconds from `now_ms` to `until_ms`, rounded up, never negative.
fn seconds_between(now_ms: i64, until_ms: i64) -> u32 {
    let left = (until_ms - now_ms).max(0);
    u32::try_from((left + 999) / 1000).unwrap_or(u32::MAX)
}

/// A fresh 4-character reference, shown on the page and inside the request
/// text, so the owner can match the two.
fn reference() -> Result<String, akuersi_protocol::crypto::RandomFailure> {
    let raw = random_array::<4>()?;
    Ok(raw
        .iter()
        .map(|b| REFERENCE_ALPHABET[usize::from(*b) % REFERENCE_ALPHABET.len()] as char)
        .collect())
}

/// One language's header and body of a request's text.
pub(crate) fn localized(lang: &str, header: &str, body: impl Into<String>) -> LocalizedText {
    LocalizedText {
        lang: lang.into(),
        header: header.into(),
        body: body.into(),
    }
}

/// The log-on texts in Greenlandic, Danish and English, each ending with the
/// reference.
pub fn log_on_texts(reference: &str) -> Vec<LocalizedText> {
    vec![
        localized(
            "kl",
            "Demo Bank-imut iserneq",
            format!("Demo Bank-imut iserniarputit ({reference})"),
        ),
        localized("da", "Log på", format!("Log på Demo Bank ({reference})")),
        localized("en", "Log on", format!("Log on to Demo Bank ({reference})")),
    ]
}

/// The payment texts in Greenlandic, Danish and English, each ending with
/// the reference. The amount and account travel as structured fields, which
/// the app renders itself.
pub fn payment_texts(reference: &str) -> Vec<LocalizedText> {
    vec![
        localized(
            "kl",
            "Akiliut akuersissutiguk",
            format!("Demo Bank-imit akiliut ({reference})"),
        ),
        localized(
            "da",
            "Godkend betaling",
            format!("Betaling fra Demo Bank ({reference})"),
        ),
        localized(
            "en",
            "Approve payment",
            format!("Payment from Demo Bank ({reference})"),
        ),
    ]
}

// ------------------------------------------------------------------ routes

/// The bank's routes: the page and its API. Merge them into the service's
/// router.
pub fn router(bank: Arc<DemoBank>) -> Router {
    Router::new()
        .route("/", get(to_page))
        .route("/demo-bank", get(to_page))
        .route(PAGE_PATH, get(page))
        .route("/demo-bank/api/start", post(start))
        .route("/demo-bank/api/status/{login}", get(status))
        .route("/demo-bank/api/cancel/{login}", post(cancel))
        .with_state(bank)
}

async fn to_page() -> Response {
    let mut r = Response::new(Body::empty());
    *r.status_mut() = StatusCode::SEE_OTHER;
    r.headers_mut()
        .insert(header::LOCATION, HeaderValue::from_static(PAGE_PATH));
    r
}

/// The page with its nonce and the simulator's support phone filled in
/// (a fixed, plainly fictional number: nothing to escape in the script's
/// string).
fn render_page(nonce: &str) -> String {
    PAGE.replace("__CSP_NONCE__", nonce)
        .replace("__SUPPORT_PHONE__", &crate::app::support::phone_shown())
}

async fn page() -> Response {
    // A fresh nonce per answer: only the page's own script and style run.
    let nonce = random_id().unwrap_or_default();
    if nonce.is_empty() {
        return text_response(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    }
    let html = render_page(&nonce);
    let mut r = Response::new(Body::from(html));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    let csp = format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'nonce-{nonce}'; \
         connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    secure_headers(h);
    r
}

/// The headers every page and answer of Demo Bank carries, in this order.
const SECURE_HEADERS: [(HeaderName, &str); 4] = [
    (header::CACHE_CONTROL, "no-store"),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (header::REFERRER_POLICY, "no-referrer"),
];

fn secure_headers(h: &mut axum::http::HeaderMap) {
    for (name, value) in SECURE_HEADERS {
        h.insert(name, HeaderValue::from_static(value));
    }
}

fn text_response(status: StatusCode, text: &'static str) -> Response {
    let mut r = Response::new(Body::from(text));
    *r.status_mut() = status;
    r
}

fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let body =
        serde_json::to_vec(value).unwrap_or_else(|_| br#"{"error":"internal error"}"#.to_vec());
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    secure_headers(h);
    r
}

fn answer<T: Serialize>(result: Result<T, (StatusCode, String)>) -> Response {
    match result {
        Ok(v) => json(StatusCode::OK, &v),
        Err((status, error)) => json(status, &ErrorAnswer { error }),
    }
}

/// Run blocking bank work off the reactor.
async fn blocking<T, F>(work: F) -> Result<T, (StatusCode, String)>
where
    F: FnOnce() -> Result<T, (StatusCode, String)> + Send + 'static,
    T: Send + 'static,
{
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| Err(internal()))
}

async fn start(State(bank): State<Arc<DemoBank>>, body: Bytes) -> Response {
    if body.len() > MAX_BODY_BYTES {
        return json(
            StatusCode::PAYLOAD_TOO_LARGE,
            &ErrorAnswer {
                error: "The form is too large.".into(),
            },
        );
    }
    let start_body = match serde_json::from_slice::<StartBody>(&body) {
        Ok(b) => b,
        Err(_) => {
            return json(
                StatusCode::BAD_REQUEST,
                &ErrorAnswer {
                    error: "Type your user ID.".into(),
                },
            )
        }
    };
    if start_body.user_id.trim().is_empty() {
        return json(
            StatusCode::BAD_REQUEST,
            &ErrorAnswer {
                error: "Type your user ID.".into(),
            },
        );
    }
    answer(blocking(move || bank.start(&start_body)).await)
}

async fn status(State(bank): State<Arc<DemoBank>>, Path(login): Path<String>) -> Response {
    answer(blocking(move || bank.status(&login)).await)
}

async fn cancel(State(bank): State<Arc<DemoBank>>, Path(login): Path<String>) -> Response {
    answer(blocking(move || bank.cancel(&login)).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_valid_and_carry_the_reference() {
        let r = reference().unwrap();
        assert_eq!(r.chars().count(), 4);
        let texts = validate_texts(log_on_texts(&r)).unwrap();
        assert_eq!(texts.len(), 3);
        assert!(texts.iter().all(|t| t.body.ends_with(&format!("({r})"))));
    }

    #[test]
    fn payment_texts_and_account_are_valid() {
        let texts = validate_texts(payment_texts("R7K4")).unwrap();
        assert_eq!(texts.len(), 3);
        assert!(texts.iter().all(|t| t.body.ends_with("(R7K4)")));
        assert!(akuersi_protocol::request::validate_account(PAYMENT_ACCOUNT).is_ok());
        assert!(PAGE.contains("id=\"binding\"") && PAGE.contains("id=\"bind-qr\""));
    }

    #[test]
    fn page_has_a_nonce_slot_and_accessible_parts() {
        assert!(PAGE.matches("__CSP_NONCE__").count() >= 2);
        assert!(PAGE.contains("call support on __SUPPORT_PHONE__."));
        let html = render_page("n0nce");
        assert!(html.contains("call support on +45 00 00 00 00 (example number)."));
        assert!(!html.contains("__"), "a placeholder left unfilled");
        assert!(PAGE.contains("aria-live"));
        assert!(PAGE.contains("<label for=\"user-id\""));
    }

    #[test]
    fn seconds_round_up() {
        assert_eq!(seconds_between(0, 300_000), 300);
        assert_eq!(seconds_between(1, 300_000), 300);
        assert_eq!(seconds_between(300_000, 0), 0);
    }

    #[test]
    fn the_bank_checks_the_signed_channel_answer_name_and_expiry() {
        use akuersi_protocol::approval::{ApprovalStatement, Evidence};
        use akuersi_protocol::crypto::device_id_for;
        use akuersi_protocol::wire::qr_value;
        use ring::rand::SystemRandom;
        use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

        let rng = SystemRandom::new();
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref(), &rng).unwrap();
        let public = pair.public_key().as_ref().to_vec();
        let rid = "0123456789abcdef0123456789abcdef";
        let texts = validate_texts(log_on_texts("R7K4")).unwrap();
        let signed = ApprovalStatement {
            request_id: rid.into(),
            nonce: vec![7; 32],
            requester_id: REQUESTER_ID.into(),
            requester_name: REQUESTER_NAME.into(),
            action: Action::LogOn,
            texts: texts.clone(),
            amount: None,
            account: None,
            expires_at_ms: 1_800_000_300_000,
            decision: Decision::Approve,
            device_id: device_id_for(&public),
            pake: None,
            channel_binding: Some("4711".into()),
        };
        let poll_of = |st: &ApprovalStatement| {
            let statement = st.encode();
            PollResponse {
                request_id: rid.into(),
                status: RequestStatus::Approved,
                expires_at_ms: st.expires_at_ms,
                server_time_ms: 0,
                evidence: Some(Evidence {
                    device_id: st.device_id.clone(),
                    device_public_key: public.clone(),
                    signature: pair.sign(&rng, &statement).unwrap().as_ref().to_vec(),
                    statement,
                }),
                channel_code: None,
                qr_value: None,
            }
        };
        let by_code = Expected {
            texts,
            action: Action::LogOn,
            amount: None,
            account: None,
            binding: Some(ChannelBindingKind::Code),
            channel_code: Some("4711".into()),
            expires_at_ms: 1_800_000_300_000,
        };
        assert_eq!(check_evidence(&poll_of(&signed), rid, &by_code), Ok(()));
        type Change = fn(&mut ApprovalStatement);
        let refused: Vec<(&str, Change)> = vec![
            ("another code", |s| s.channel_binding = Some("4712".into())),
            ("no code", |s| s.channel_binding = None),
            ("another name", |s| s.requester_name = "Demo Bonk".into()),
            ("another expiry", |s| s.expires_at_ms += 60_000),
            ("another requester", |s| {
                s.requester_id = "other-bank".into()
            }),
            ("another request", |s| s.request_id = "f".repeat(32)),
            ("a rejection", |s| s.decision = Decision::Reject),
        ];
        for (what, change) in refused {
            let mut st = signed.clone();
            change(&mut st);
            assert!(
                check_evidence(&poll_of(&st), rid, &by_code).is_err(),
                "{what} was accepted"
            );
        }
        // By QR: a value of this request, not another's; without binding: none.
        let by_qr = Expected {
            binding: Some(ChannelBindingKind::Qr),
            channel_code: None,
            ..by_code
        };
        let mut st = signed.clone();
        st.channel_binding = Some(qr_value(rid, &[9; 32], 17));
        assert_eq!(check_evidence(&poll_of(&st), rid, &by_qr), Ok(()));
        st.channel_binding = Some(qr_value(&"e".repeat(32), &[9; 32], 17));
        assert!(check_evidence(&poll_of(&st), rid, &by_qr).is_err());
        let unbound = Expected {
            binding: None,
            ..by_qr
        };
        st.channel_binding = None;
        assert_eq!(check_evidence(&poll_of(&st), rid, &unbound), Ok(()));
        st.channel_binding = Some("4711".into());
        assert!(check_evidence(&poll_of(&st), rid, &unbound).is_err());
    }
}
