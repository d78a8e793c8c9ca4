//! The HTTP front's operational behaviour, observed through its `tracing`
//! events: what it logs (and never logs), graceful shutdown with a message
//! in flight, the time limit and the concurrency limit.
//!
//! This binary installs a global subscriber that keeps every event in
//! memory; its tests run one at a time so each reads only its own events.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use akuersi_protocol::clock::TestClock;
use akuersi_protocol::wire::paths;
use akuersi_server::http::{self, HttpConfig};
use akuersi_server::{Service, ServiceConfig};
use common::*;
use serde_json::json;

// ------------------------------------------------------------ log capture

#[derive(Default)]
struct Logs {
    text: Mutex<String>,
    grew: Condvar,
}

#[derive(Clone)]
struct Writer(Arc<Logs>);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .text
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_str(&String::from_utf8_lossy(buf));
        self.0.grew.notify_all();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Writer {
    type Writer = Writer;
    fn make_writer(&'a self) -> Writer {
        self.clone()
    }
}

fn logs() -> &'static Arc<Logs> {
    static LOGS: OnceLock<Arc<Logs>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Logs::default());
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            // Plain text: colour codes (turned on when another crate in the
            // build enables the feature) would split "status=408" apart.
            .with_ansi(false)
            .with_writer(Writer(logs.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
}

/// Run tests one at a time, each starting with an empty log.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    let guard = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    logs()
        .text
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clear();
    guard
}

fn log_text() -> String {
    logs()
        .text
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone()
}

/// Wait (at most 20 s) until the log has a line containing every one of `parts`.
fn wait_for_line(parts: &[&str]) {
    let logs = logs();
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut text = logs.text.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        if text.lines().any(|l| parts.iter().all(|p| l.contains(p))) {
            return;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no log line with {parts:?} in:\n{text}");
        text = match logs.grew.wait_timeout(text, left) {
            Ok((t, _)) => t,
            Err(e) => e.into_inner().0,
        };
    }
}

// ------------------------------------------------------------------ helpers

/// Send a request head and the first `sent` bytes of `body`; return the open
/// connection so the test can finish (or abandon) the body.
fn start_slow_post(addr: std::net::SocketAddr, path: &str, body: &[u8], sent: usize) -> TcpStream {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body[..sent]).unwrap();
    s
}

/// Read the whole answer (the server closes the connection after it).
fn read_answer(mut s: TcpStream) -> (u16, serde_json::Value) {
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    let status = text[9..12].parse().unwrap();
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    (status, serde_json::from_str(body).unwrap())
}

// -------------------------------------------------------------------- tests

#[test]
fn logs_name_path_status_and_code_but_no_secrets() {
    let _serial = serial();
    let fx = Fixture::start();
    let (app, _) = fx.installation();
    create_identity(&fx.base, "aviaja.k").ok();
    let code = issue_code(&fx.base, "aviaja.k");
    let profile = app
        .activate(
            "aviaja.k".into(),
            code.clone(),
            PIN.into(),
            "Aviaja's phone".into(),
        )
        .unwrap();
    let (rid, handle) = start_request(&fx.base, "aviaja.k");
    app.refresh(&profile.profile_id).unwrap();
    assert!(app
        .approve(&profile.profile_id, &rid, WRONG_PIN.into())
        .is_err());
    app.approve(&profile.profile_id, &rid, PIN.into()).unwrap();
    poll(&fx.base, &handle).ok();
    let near_miss = format!("{TOKEN}-but-wrong");
    fx.post_json(
        paths::OPERATOR_CREATE_IDENTITY,
        &json!({"token": near_miss, "user_id": "nuka.p"}),
    )
    .refused(401, "unauthorized");
    let pasted = "/v1/requests/poll-handle-SECRETVALUE123";
    fx.post(pasted, b"{}").refused(404, "unknown_path");
    // A malformed message whose serde error would quote the input.
    fx.post_json(
        paths::POLL_REQUEST,
        &json!({ "poll_handle": 7, "leak": "QUOTED-SECRET" }),
    )
    .refused(400, "malformed");

    wait_for_line(&["answered", "/v1/requests/poll", "status=400"]);
    let text = log_text();
    // What the operator needs: path, status, latency, error code.
    for parts in [
        &["answered", "/v1/device/decide", "status=200", "latency_ms="][..],
        &["answered", "/v1/device/pin-start", "status=200"],
        &["answered", "/v1/requests/create", "status=200"],
        &[
            "answered",
            "/v1/operator/identities/create",
            "status=401",
            "unauthorized",
        ],
        &["answered", "(unknown)", "status=404", "unknown_path"],
        &["answered", "/v1/requests/poll", "status=400", "malformed"],
        &["admitted", "/v1/device/activate"],
    ] {
        assert!(
            text.lines().any(|l| parts.iter().all(|p| l.contains(p))),
            "no line with {parts:?} in:\n{text}"
        );
    }
    // Never a secret, a personal detail, a body or a made-up path.
    let plain_code = code.replace('-', "");
    for secret in [
        PIN,
        WRONG_PIN,
        TOKEN,
        near_miss.as_str(),
        code.as_str(),
        plain_code.as_str(),
        handle.as_str(),
        "SECRETVALUE123",
        "QUOTED-SECRET",
        "aviaja.k",
        "Demo Bank",
    ] {
        assert!(
            !text.contains(secret),
            "the log contains {secret:?}:\n{text}"
        );
    }
}

#[test]
fn shutdown_lets_a_message_in_flight_finish() {
    let _serial = serial();
    let fx = Fixture::start();
    create_identity(&fx.base, "aviaja.k").ok();
    let body = signed_log_on(&fx.base, "aviaja.k");
    let addr = fx.server.addr();

    // Half a message is in; the handler waits for the rest.
    let mut conn = start_slow_post(addr, paths::CREATE_REQUEST, &body, body.len() / 2);
    wait_for_line(&["receiving", paths::CREATE_REQUEST]);

    // Shutdown starts (stop accepting)…
    let Fixture {
        server, service, ..
    } = fx;
    let stopper = std::thread::spawn(move || server.shutdown());
    wait_for_line(&["shutting down"]);

    // …the rest of the message arrives, and it is answered and committed.
    conn.write_all(&body[body.len() / 2..]).unwrap();
    let (status, answer) = read_answer(conn);
    assert_eq!(status, 200, "{answer}");
    stopper.join().unwrap().unwrap();
    let handle = answer["poll_handle"].as_str().unwrap();
    assert_eq!(
        akuersi_testkit::DemoBankCalls::bank_poll(&*service, handle)
            .unwrap()
            .status,
        akuersi_protocol::wire::RequestStatus::Pending
    );
    wait_for_line(&["stopped"]);
    // Nothing listens any more.
    assert!(TcpStream::connect(addr).is_err());
}

#[test]
fn a_message_that_does_not_arrive_in_time_is_refused() {
    let _serial = serial();
    let fx = Fixture::start_with(HttpConfig {
        read_timeout: Duration::from_millis(300),
        ..HttpConfig::ephemeral()
    });
    let before = fx.digest();
    let body = serde_json::to_vec(&log_on("aviaja.k")).unwrap();
    let started = Instant::now();
    let conn = start_slow_post(fx.server.addr(), paths::CREATE_REQUEST, &body, 10);
    let (status, answer) = read_answer(conn);
    assert_eq!(status, 408, "{answer}");
    assert_eq!(answer["code"], "internal");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("nothing was changed"));
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(fx.digest(), before);
    wait_for_line(&["answered", "status=408", "internal"]);
}

#[test]
fn the_concurrency_limit_holds_until_the_database_work_is_done() {
    let _serial = serial();
    let dir = TempDir::new("http-limit");
    let db = dir.file("service.sqlite");
    let service = Arc::new(
        Service::open(
            &db,
            Arc::new(TestClock::new(T0)),
            ServiceConfig {
                operator_token: Some(TOKEN.into()),
                // The fixtures' apps derive PINs with the protocol minimum.
                min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
                ..Default::default()
            },
        )
        .unwrap(),
    );
    akuersi_testkit::register_demo_bank(&service);
    let server = http::spawn_with(
        service.clone(),
        HttpConfig {
            request_timeout: Duration::from_millis(400),
            max_in_flight: 1,
            ..HttpConfig::ephemeral()
        },
    )
    .unwrap();
    let base = server.base_url();
    // The service's clock stands at T0 throughout.
    use_clock(&base, Arc::new(TestClock::new(T0)));
    create_identity(&base, "aviaja.k").ok();

    // Another process holds the database's write lock.
    let other = rusqlite::Connection::open(&db).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();

    // A: takes the only slot, then waits on the lock past its time limit.
    let body = signed_log_on(&base, "aviaja.k");
    let a = start_slow_post(server.addr(), paths::CREATE_REQUEST, &body, body.len());
    wait_for_line(&["admitted", paths::CREATE_REQUEST]);
    // B: finds no free slot within its time limit.
    let b = poll(&base, "no-such-handle");
    assert_eq!(b.status, 503);
    assert!(String::from_utf8_lossy(&b.body).contains("busy"));
    // A's answer: the work outlived the limit, so the outcome is unknown.
    let (status, answer) = read_answer(a);
    assert_eq!(status, 503, "{answer}");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("may or may not have taken effect"));

    // The lock goes; A's work, still holding the slot, commits; then the
    // slot frees and the next message sees A's request.
    other.execute_batch("COMMIT").unwrap();
    let again = post(
        &base,
        paths::CREATE_REQUEST,
        &signed_log_on(&base, "aviaja.k"),
    );
    again.refused(409, "pending_request_exists");
    server.shutdown().unwrap();
    wait_for_line(&["answered", "status=503", "internal"]);
}
