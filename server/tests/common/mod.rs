//! Helpers shared by the HTTP tests: a service on a test clock behind a real
//! HTTP server on an ephemeral loopback port, raw JSON over ureq, a
//! recording transport, and app installations over `HttpTransport`. The
//! constants, the Demo Bank request and the installation builder come from
//! `akuersi-testkit`.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use akuersi_core::app::{Installation, Profile};
use akuersi_core::http::{HttpTransport, HttpTransportConfig};
use akuersi_core::transport::{Transport, TransportError, TransportResponse};
use akuersi_protocol::clock::{Clock, TestClock};
use akuersi_protocol::wire::paths;
use akuersi_server::http::{self, HttpConfig, ServerHandle};
use akuersi_server::Service;
use akuersi_testkit::Tap;
use serde_json::{json, Value};

// Each test binary uses some of these (as with the rest of this module).
#[allow(unused_imports)]
pub use akuersi_testkit::{TempDir, APPROVAL_PATHS, NEW_PIN, PIN, T0, WRONG_PIN};

/// Operator token of every HTTP test service (its own, not the testkit's:
/// http_api.rs spells it out in a raw body).
pub const TOKEN: &str = "http-test-operator-token";

/// Every protocol path (a test checks that the service knows each one;
/// new paths go into `paths::ALL` in core).
pub const ALL_PATHS: [&str; 33] = paths::ALL;

/// The operator endpoints (guarded by the token).
pub const OPERATOR_PATHS: [&str; 5] = [
    paths::OPERATOR_FREEZE,
    paths::OPERATOR_SET_CONTACT,
    paths::OPERATOR_OUTBOX,
    paths::OPERATOR_CREATE_IDENTITY,
    paths::OPERATOR_ISSUE_CODE,
];

/// A service on a test clock, served over HTTP on 127.0.0.1:<ephemeral>.
pub struct Fixture {
    pub clock: Arc<TestClock>,
    pub service: Arc<Service>,
    pub server: ServerHandle,
    pub base: String,
}

impl Fixture {
    /// In-memory service, default HTTP limits.
    pub fn start() -> Self {
        Self::start_with(HttpConfig::ephemeral())
    }

    /// In-memory service, the given HTTP settings.
    pub fn start_with(config: HttpConfig) -> Self {
        let (clock, service) = akuersi_testkit::service_on_test_clock(
            ":memory:",
            TOKEN,
            akuersi_testkit::fast_kdf_config(),
        );
        let server = http::spawn_with(service.clone(), config).unwrap();
        let base = server.base_url();
        use_clock(&base, clock.clone());
        Self {
            clock,
            service,
            server,
            base,
        }
    }

    /// POST raw bytes as JSON.
    pub fn post(&self, path: &str, body: &[u8]) -> Answer {
        post(&self.base, path, body)
    }

    /// POST a JSON value.
    pub fn post_json(&self, path: &str, body: &Value) -> Answer {
        self.post(path, &serde_json::to_vec(body).unwrap())
    }

    /// Digest of the whole service database.
    pub fn digest(&self) -> [u8; 32] {
        self.service.state_digest().unwrap()
    }

    /// A fresh in-memory installation over HTTP on the fixture's clock.
    pub fn installation(&self) -> (Arc<Installation>, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::new(transport(&self.base)));
        let app = installation(recorder.clone(), self.clock.clone(), ":memory:");
        (app, recorder)
    }
}

/// An HTTP answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    pub cache_control: Option<String>,
}

impl Answer {
    /// The body as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    /// The error code of an error answer.
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or("(none)").to_owned()
    }

    /// Assert status and error code.
    #[track_caller]
    pub fn refused(&self, status: u16, code: &str) {
        assert_eq!(
            (self.status, self.code().as_str()),
            (status, code),
            "{}",
            String::from_utf8_lossy(&self.body)
        );
        assert_eq!(self.content_type.as_deref(), Some("application/json"));
    }

    /// Assert 200 and return the JSON.
    #[track_caller]
    pub fn ok(&self) -> Value {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.body));
        self.json()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .max_idle_connections(0)
            .timeout_global(Some(Duration::from_secs(30)))
            .build(),
    )
}

fn answer(mut r: ureq::http::Response<ureq::Body>) -> Answer {
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header("content-type");
    let cache_control = header("cache-control");
    let status = r.status().as_u16();
    let body = r
        .body_mut()
        .with_config()
        .limit(1 << 20)
        .read_to_vec()
        .unwrap();
    Answer {
        status,
        body,
        content_type,
        cache_control,
    }
}

/// POST raw bytes with `Content-Type: application/json`.
pub fn post(base: &str, path: &str, body: &[u8]) -> Answer {
    post_as(base, path, Some("application/json"), body)
}

/// POST raw bytes with the given content type (or none).
pub fn post_as(base: &str, path: &str, content_type: Option<&str>, body: &[u8]) -> Answer {
    let mut req = agent().post(format!("{base}{path}"));
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    answer(req.send(body).unwrap())
}

/// GET a path.
pub fn get(base: &str, path: &str) -> Answer {
    answer(agent().get(format!("{base}{path}")).call().unwrap())
}

/// Write raw bytes to the server and read everything it answers until it
/// closes the connection (bounded by a read time-out).
pub fn raw_exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request).unwrap();
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// An HTTP transport to `base` that retries quickly.
pub fn transport(base: &str) -> HttpTransport {
    HttpTransport::with_config(HttpTransportConfig {
        retry_backoff: Duration::from_millis(5),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(30),
        ..HttpTransportConfig::new(base)
    })
    .unwrap()
}

/// An installation using `transport` and `clock`, stored at `db`.
pub fn installation(
    transport: Arc<dyn Transport>,
    clock: Arc<dyn Clock>,
    db: &str,
) -> Arc<Installation> {
    akuersi_testkit::installation(db).open(transport, clock)
}

/// A transport that records the path and body of every message it sends
/// (the testkit's [`Tap`] on an HTTP transport).
pub struct Recorder(Tap<HttpTransport>);

impl Recorder {
    pub fn new(inner: HttpTransport) -> Self {
        Self(Tap::new(inner))
    }

    /// The last body sent to `path`.
    pub fn last(&self, path: &str) -> Vec<u8> {
        self.0
            .last(path)
            .unwrap_or_else(|| panic!("nothing was sent to {path}"))
    }
}

impl Transport for Recorder {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError> {
        self.0.post(path, body)
    }
}

// ------------------------------------------------------------ JSON messages

/// Operator: create an identity.
pub fn create_identity(base: &str, user_id: &str) -> Answer {
    post(
        base,
        paths::OPERATOR_CREATE_IDENTITY,
        &serde_json::to_vec(&json!({"token": TOKEN, "user_id": user_id})).unwrap(),
    )
}

/// Operator: issue a paper activation code; returns it.
pub fn issue_code(base: &str, user_id: &str) -> String {
    let a = post(
        base,
        paths::OPERATOR_ISSUE_CODE,
        &serde_json::to_vec(&json!({"token": TOKEN, "user_id": user_id, "channel": "paper"}))
            .unwrap(),
    );
    a.ok()["code"].as_str().unwrap().to_owned()
}

/// The clock of the service behind each base URL that is not on the
/// system clock, so that Demo Bank signs its calls at the service's time.
fn clocks() -> &'static std::sync::Mutex<std::collections::HashMap<String, Arc<dyn Clock>>> {
    static CLOCKS: std::sync::OnceLock<
        std::sync::Mutex<std::collections::HashMap<String, Arc<dyn Clock>>>,
    > = std::sync::OnceLock::new();
    CLOCKS.get_or_init(Default::default)
}

/// Demo Bank signs its calls to `base` by `clock` from now on.
pub fn use_clock(base: &str, clock: Arc<dyn Clock>) {
    clocks().lock().unwrap().insert(base.to_owned(), clock);
}

/// The time Demo Bank signs its calls to `base` at.
pub fn now_at(base: &str) -> i64 {
    match clocks().lock().unwrap().get(base) {
        Some(c) => c.now_ms(),
        None => akuersi_protocol::clock::SystemClock.now_ms(),
    }
}

/// A Demo Bank log-on request body (the testkit's, as JSON; unsigned).
pub fn log_on(user_id: &str) -> Value {
    serde_json::to_value(akuersi_testkit::log_on(user_id)).unwrap()
}

/// A Demo Bank log-on request as Demo Bank sends it to `base`: signed, at
/// the service's time.
pub fn signed_log_on(base: &str, user_id: &str) -> Vec<u8> {
    akuersi_testkit::signed_json(akuersi_testkit::log_on(user_id), now_at(base))
}

/// A poll (or, with `cancel`, a cancel) of `handle` as Demo Bank sends it to `base`.
pub fn signed_handle(base: &str, handle: &str, cancel: bool) -> Vec<u8> {
    let now = now_at(base);
    if cancel {
        akuersi_testkit::signed_json(
            akuersi_protocol::wire::CancelRequest {
                poll_handle: handle.into(),
            },
            now,
        )
    } else {
        akuersi_testkit::signed_json(
            akuersi_protocol::wire::PollRequest {
                poll_handle: handle.into(),
            },
            now,
        )
    }
}

/// Requester: start a log-on request; returns (request_id, poll_handle).
pub fn start_request(base: &str, user_id: &str) -> (String, String) {
    let a = post(base, paths::CREATE_REQUEST, &signed_log_on(base, user_id));
    let v = a.ok();
    (
        v["request_id"].as_str().unwrap().to_owned(),
        v["poll_handle"].as_str().unwrap().to_owned(),
    )
}

/// Requester: poll by handle.
pub fn poll(base: &str, handle: &str) -> Answer {
    post(
        base,
        paths::POLL_REQUEST,
        &signed_handle(base, handle, false),
    )
}

/// Requester: cancel by handle.
pub fn cancel(base: &str, handle: &str) -> Answer {
    post(
        base,
        paths::CANCEL_REQUEST,
        &signed_handle(base, handle, true),
    )
}

/// Create an identity and activate `app` for it over HTTP.
pub fn activate(base: &str, app: &Installation, user_id: &str, name: &str) -> Profile {
    create_identity(base, user_id).ok();
    app.activate(
        user_id.into(),
        issue_code(base, user_id),
        PIN.into(),
        name.into(),
    )
    .unwrap()
}
