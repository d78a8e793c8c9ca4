//! The service over real HTTP, on an ephemeral loopback port: every endpoint,
//! the whole approval flow with an app installation over `HttpTransport`,
//! a malformed and an oversized message to every endpoint, and an
//! unknown-field, unauthenticated and replayed message to each endpoint of
//! the approval flow, the device-care calls and the operator API (each
//! refusal leaving the database unchanged). Last, the service in a separate
//! process killed and restarted mid-flow on the same SQLite file.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

use akuersi_core::app::Installation;
use akuersi_core::Error;
use akuersi_protocol::approval::Decision;
use akuersi_protocol::clock::SystemClock;
use akuersi_protocol::encoding::{b64_decode, b64_encode};
use akuersi_protocol::wire::{paths, PollResponse, RequestStatus, MAX_MESSAGE_BYTES};
use akuersi_server::api;
use common::*;
use serde_json::{json, Value};

/// One well-formed message per endpoint, each already used once, from a
/// real flow: an activation, a refresh, a PIN proof and an approval by an
/// app over HTTP, a cancelled request, and operator calls.
struct Sample {
    fx: Fixture,
    app: Arc<Installation>,
    profile_id: String,
    messages: Vec<(&'static str, Vec<u8>)>,
}

fn sample() -> Sample {
    let fx = Fixture::start();
    let (app, rec) = fx.installation();
    let profile = activate(&fx.base, &app, "aviaja.k", "Aviaja's phone");
    let (rid, handle) = start_request(&fx.base, "aviaja.k");
    app.refresh(&profile.profile_id).unwrap();
    app.approve(&profile.profile_id, &rid, PIN.into()).unwrap();
    let (_, cancelled) = start_request(&fx.base, "aviaja.k");
    // The requester messages below are the very bytes sent.
    let cancel_body = signed_handle(&fx.base, &cancelled, true);
    fx.post(paths::CANCEL_REQUEST, &cancel_body).ok();
    let poll_body = signed_handle(&fx.base, &handle, false);
    fx.post(paths::POLL_REQUEST, &poll_body).ok();
    let new_user = json!({"token": TOKEN, "user_id": "nuka.p"});
    fx.post_json(paths::OPERATOR_CREATE_IDENTITY, &new_user)
        .ok();
    let code = json!({"token": TOKEN, "user_id": "nuka.p", "channel": "sms"});
    fx.post_json(paths::OPERATOR_ISSUE_CODE, &code).ok();
    let create_body = signed_log_on(&fx.base, "nuka.p");
    let pending_handle = fx.post(paths::CREATE_REQUEST, &create_body).ok()["poll_handle"].clone();
    let to_vec = |v: &Value| serde_json::to_vec(v).unwrap();
    let messages = vec![
        (paths::CREATE_REQUEST, create_body),
        (paths::POLL_REQUEST, poll_body),
        (paths::CANCEL_REQUEST, cancel_body),
        (paths::ACTIVATE, rec.last(paths::ACTIVATE)),
        (paths::PENDING, rec.last(paths::PENDING)),
        (paths::PIN_START, rec.last(paths::PIN_START)),
        (paths::DECIDE, rec.last(paths::DECIDE)),
        (paths::OPERATOR_CREATE_IDENTITY, to_vec(&new_user)),
        (paths::OPERATOR_ISSUE_CODE, to_vec(&code)),
    ];
    assert_eq!(messages.len(), APPROVAL_PATHS.len());
    let _ = pending_handle;
    Sample {
        fx,
        app,
        profile_id: profile.profile_id,
        messages,
    }
}

fn parse(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn health_answers_ok() {
    let fx = Fixture::start();
    let a = get(&fx.base, "/v1/health");
    assert_eq!(a.ok(), json!({"status": "ok", "protocol_version": 1}));
    assert_eq!(a.content_type.as_deref(), Some("application/json"));
    assert_eq!(a.cache_control.as_deref(), Some("no-store"));
    assert!(akuersi_core::http::HttpTransport::new(&fx.base)
        .unwrap()
        .health()
        .is_ok());
}

#[test]
fn full_approval_flow_over_http() {
    let fx = Fixture::start();
    let (app, rec) = fx.installation();
    let profile = activate(&fx.base, &app, "aviaja.k", "Aviaja's phone");
    let pid = profile.profile_id.as_str();

    // Nothing pops up: the app sees a request only when it asks.
    assert!(app.refresh(pid).unwrap().is_empty());
    let (rid, handle) = start_request(&fx.base, "aviaja.k");
    let p = poll(&fx.base, &handle).ok();
    assert_eq!(p["status"], "pending");
    assert!(p.get("evidence").is_none());

    let views = app.refresh(pid).unwrap();
    assert_eq!(views.len(), 1);
    let v = &views[0];
    assert_eq!(v.request_id, rid);
    assert_eq!(v.requester_name, "Demo Bank");
    assert_eq!(v.language, "kl");
    assert_eq!(v.header, "Demo Bank-imut iserneq");
    assert_eq!(v.seconds_left, 300);

    // A wrong PIN first: counted by the service, reported by the app.
    fx.clock.advance_secs(20);
    match app.approve(pid, &rid, WRONG_PIN.into()) {
        Err(Error::WrongPin { attempts_left }) => assert!(attempts_left > 0),
        other => panic!("expected a wrong PIN, got {other:?}"),
    }
    assert_eq!(
        fx.service
            .device_info(&profile.device_id)
            .unwrap()
            .pin_failures,
        1
    );

    let outcome = app.approve(pid, &rid, PIN.into()).unwrap();
    assert_eq!(outcome.status, RequestStatus::Approved);
    assert_eq!(outcome.decided_at_ms, T0 + 20_000);

    // The requester gets the device's signed evidence and checks it itself.
    let p: PollResponse = serde_json::from_value(poll(&fx.base, &handle).ok()).unwrap();
    assert_eq!(p.status, RequestStatus::Approved);
    let statement = p.evidence.expect("evidence").verify("demo-bank").unwrap();
    assert_eq!(statement.request_id, rid);
    assert_eq!(statement.decision, Decision::Approve);
    assert_eq!(statement.device_id, profile.device_id);
    assert_eq!(statement.requester_name, "Demo Bank");
    assert_eq!(statement.texts.len(), 3);
    assert!(statement.pake.is_some());

    // Deciding again is refused, over HTTP as in process.
    let again = fx.post(paths::DECIDE, &rec.last(paths::DECIDE));
    again.refused(409, "already_decided");
    assert!(app.refresh(pid).unwrap().is_empty());
}

#[test]
fn reject_report_expiry_and_cancel_over_http() {
    let fx = Fixture::start();
    let (app, _) = fx.installation();
    let profile = activate(&fx.base, &app, "aviaja.k", "Aviaja's phone");
    let pid = profile.profile_id.as_str();
    let decided = |handle: &str, status: RequestStatus, decision: Decision| {
        let p: PollResponse = serde_json::from_value(poll(&fx.base, handle).ok()).unwrap();
        assert_eq!(p.status, status);
        assert_eq!(
            p.evidence.unwrap().verify("demo-bank").unwrap().decision,
            decision
        );
    };

    let (rid, handle) = start_request(&fx.base, "aviaja.k");
    app.refresh(pid).unwrap();
    assert_eq!(
        app.reject(pid, &rid).unwrap().status,
        RequestStatus::Rejected
    );
    decided(&handle, RequestStatus::Rejected, Decision::Reject);

    let (rid, handle) = start_request(&fx.base, "aviaja.k");
    app.refresh(pid).unwrap();
    assert_eq!(
        app.report(pid, &rid).unwrap().status,
        RequestStatus::Reported
    );
    decided(&handle, RequestStatus::Reported, Decision::Report);

    // Expiry on the service's (test) clock: no real waiting.
    let (rid, handle) = start_request(&fx.base, "aviaja.k");
    assert_eq!(app.refresh(pid).unwrap().len(), 1);
    fx.clock.advance_secs(300);
    assert_eq!(poll(&fx.base, &handle).ok()["status"], "expired");
    assert!(app.refresh(pid).unwrap().is_empty());
    assert!(matches!(
        app.approve(pid, &rid, PIN.into()),
        Err(Error::RequestNotFound | Error::RequestExpired)
    ));

    // Cancelled by the requester: gone from the app, cancelling twice refused.
    let (_, handle) = start_request(&fx.base, "aviaja.k");
    assert_eq!(cancel(&fx.base, &handle).ok()["status"], "cancelled");
    assert!(app.refresh(pid).unwrap().is_empty());
    cancel(&fx.base, &handle).refused(409, "request_cancelled");
    assert_eq!(poll(&fx.base, &handle).ok()["status"], "cancelled");
}

#[test]
fn every_listed_path_is_served_and_others_are_not() {
    let fx = Fixture::start();
    for path in ALL_PATHS {
        let a = fx.post(path, b"{}");
        assert_ne!(a.code(), "unknown_path", "{path} is not served");
        assert_eq!(a.status, 400, "{path}");
    }
    for path in [
        "/v1",
        "/v1/",
        "/v1/device",
        "/v1/device/decide/",
        "/v2/device/decide",
    ] {
        assert!(matches!(fx.post(path, b"{}").status, 404), "{path}");
    }
}

#[test]
fn every_endpoint_refuses_malformed_json() {
    let fx = Fixture::start();
    activate(&fx.base, &fx.installation().0, "aviaja.k", "phone");
    let before = fx.digest();
    let bodies: [&[u8]; 9] = [
        b"",
        b"{",
        b"{not json}",
        b"null",
        b"[]",
        b"\"text\"",
        b"{}",
        b"\xff\xfe{}",
        b"{\"user_id\": 5}",
    ];
    for path in ALL_PATHS {
        for body in bodies {
            fx.post(path, body).refused(400, "malformed");
        }
    }
    assert_eq!(fx.digest(), before, "a malformed message changed state");
}

#[test]
fn every_endpoint_refuses_an_oversized_body_with_413() {
    let fx = Fixture::start();
    let before = fx.digest();
    let mut big = br#"{"poll_handle":""#.to_vec();
    big.resize(MAX_MESSAGE_BYTES - 2, b'a');
    big.extend_from_slice(b"\"}");
    assert_eq!(big.len(), MAX_MESSAGE_BYTES);
    // Exactly the limit is read and judged on its content (an unsigned
    // poll is not a requester envelope)…
    fx.post(paths::POLL_REQUEST, &big).refused(400, "malformed");
    big.insert(2, b' ');
    for path in ALL_PATHS {
        // …one byte more is refused with the very answer api::handle gives.
        let a = fx.post(path, &big);
        a.refused(413, "too_large");
        assert_eq!(a.body, api::handle(&fx.service, path, &big).body);
    }
    // A declared length over the limit is refused before any body is sent.
    let head = format!(
        "POST {} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 10000000000\r\n\r\n",
        paths::CREATE_REQUEST
    );
    let answer = raw_exchange(fx.server.addr(), head.as_bytes());
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains(r#""code":"too_large""#), "{answer}");
    // A chunked body that grows past the limit is cut off too.
    let mut chunked = format!(
        "POST {} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n",
        paths::CREATE_REQUEST
    )
    .into_bytes();
    for _ in 0..3 {
        chunked.extend_from_slice(format!("{:x}\r\n", MAX_MESSAGE_BYTES / 2).as_bytes());
        chunked.extend(std::iter::repeat_n(b' ', MAX_MESSAGE_BYTES / 2));
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let answer = raw_exchange(fx.server.addr(), &chunked);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert_eq!(fx.digest(), before);
}

#[test]
fn every_endpoint_refuses_unknown_fields() {
    let s = sample();
    let before = s.fx.digest();
    for (path, message) in &s.messages {
        let mut top = parse(message);
        top["extra"] = json!(true);
        s.fx.post_json(path, &top).refused(400, "malformed");
        if top.get("body").is_some_and(Value::is_object) {
            let mut nested = parse(message);
            nested["body"]["extra"] = json!(1);
            s.fx.post_json(path, &nested).refused(400, "malformed");
        }
    }
    assert_eq!(s.fx.digest(), before, "an unknown field changed state");
}

#[test]
fn unauthenticated_messages_are_refused_for_every_endpoint() {
    let s = sample();
    let fx = &s.fx;
    let before = fx.digest();
    let msg = |path: &str| parse(&s.messages.iter().find(|(p, _)| *p == path).unwrap().1);
    let flip = |v: &mut Value| {
        let mut sig = b64_decode(v["signature"].as_str().unwrap()).unwrap();
        sig[10] ^= 1;
        v["signature"] = json!(b64_encode(&sig));
    };

    // Operator endpoints: a wrong, empty, truncated or extended token.
    for path in [paths::OPERATOR_CREATE_IDENTITY, paths::OPERATOR_ISSUE_CODE] {
        for token in [
            "wrong".to_owned(),
            String::new(),
            TOKEN[..TOKEN.len() - 1].to_owned(),
            format!("{TOKEN}x"),
            TOKEN.to_uppercase(),
        ] {
            let mut m = msg(path);
            m["token"] = json!(token);
            fx.post_json(path, &m).refused(401, "unauthorized");
        }
        let mut m = msg(path);
        m.as_object_mut().unwrap().remove("token");
        fx.post_json(path, &m).refused(400, "malformed");
    }

    // Activation: the proof of possession must verify.
    let mut m = msg(paths::ACTIVATE);
    flip(&mut m);
    fx.post_json(paths::ACTIVATE, &m)
        .refused(401, "bad_signature");

    // Signed envelopes: a fresh sequence number under an old signature.
    for path in [paths::PENDING, paths::PIN_START] {
        let mut m = msg(path);
        m["seq"] = json!(m["seq"].as_u64().unwrap() + 1000);
        fx.post_json(path, &m).refused(401, "bad_signature");
        let mut m = msg(path);
        m["seq"] = json!(m["seq"].as_u64().unwrap() + 1000);
        flip(&mut m);
        fx.post_json(path, &m).refused(401, "bad_signature");
    }

    // A decision: an old signature applied to another, pending request.
    let (rid, _) = start_request(&fx.base, "aviaja.k");
    let before_decide = fx.digest();
    let mut m = msg(paths::DECIDE);
    m["request_id"] = json!(rid);
    m["decision"] = json!("reject");
    m.as_object_mut().unwrap().remove("pake");
    fx.post_json(paths::DECIDE, &m)
        .refused(401, "bad_signature");
    assert_eq!(fx.digest(), before_decide);

    // Requester endpoints: a registered requester's signature, and then
    // the poll handle of one of its own requests.
    for cancel in [false, true] {
        let path = [paths::POLL_REQUEST, paths::CANCEL_REQUEST][usize::from(cancel)];
        let bad = signed_handle(&fx.base, &b64_encode(&[7u8; 32]), cancel);
        fx.post(path, &bad).refused(404, "request_not_found");
        let unsigned = json!({"poll_handle": b64_encode(&[7u8; 32])});
        fx.post_json(path, &unsigned).refused(400, "malformed");
    }
    // An unknown user ID gets the same answer as a known one, so it
    // reveals nothing.
    let a = fx.post(
        paths::CREATE_REQUEST,
        &signed_log_on(&fx.base, "nobody.here"),
    );
    let ok = a.ok();
    assert!(ok["poll_handle"].is_string());

    // Nothing but the two requests created above changed.
    let after = fx.digest();
    assert_ne!(after, before);
    let _ = s.app.refresh(&s.profile_id).unwrap();
}

#[test]
fn replayed_messages_are_refused_and_change_nothing() {
    let s = sample();
    let fx = &s.fx;
    let expected: [(&str, u16, &str); 7] = [
        (paths::ACTIVATE, 403, "invalid_activation_code"),
        (paths::PENDING, 409, "replayed"),
        (paths::PIN_START, 409, "replayed"),
        (paths::DECIDE, 409, "already_decided"),
        (paths::CANCEL_REQUEST, 409, "replayed"),
        (paths::CREATE_REQUEST, 409, "replayed"),
        (paths::OPERATOR_CREATE_IDENTITY, 409, "identity_exists"),
    ];
    for (path, status, code) in expected {
        let (_, body) = s.messages.iter().find(|(p, _)| *p == path).unwrap();
        let before = fx.digest();
        fx.post(path, body).refused(status, code);
        fx.post(path, body).refused(status, code);
        assert_eq!(fx.digest(), before, "replaying {path} changed state");
    }
    // A poll is a read: sending it again gives the same answer.
    let (_, poll_body) = s
        .messages
        .iter()
        .find(|(p, _)| *p == paths::POLL_REQUEST)
        .unwrap();
    let before = fx.digest();
    assert_eq!(
        fx.post(paths::POLL_REQUEST, poll_body).ok()["status"],
        "approved"
    );
    assert_eq!(fx.digest(), before);
    // (Issuing an activation code again issues another one: it is the
    // operator's, guarded by the token, and not a device message.)
}

/// The device-care calls (devices, settings, freeze, backup enrollment, …)
/// made by an app over HTTP, each recorded; then each recorded message with
/// an unknown field, under a bad signature, and replayed.
#[test]
fn device_care_and_operator_endpoints_refuse_bad_messages() {
    let fx = Fixture::start();
    let (app, rec) = fx.installation();
    let profile = activate(&fx.base, &app, "aviaja.k", "Aviaja's phone");
    let pid = profile.profile_id.as_str();
    app.devices(pid).unwrap();
    app.rename_device(pid, profile.device_id.clone(), "Phone".into())
        .unwrap();
    app.identity_status(pid).unwrap();
    app.notifications(pid).unwrap();
    app.activity_log(pid, 0, 10).unwrap();
    app.change_contact(pid, Some("+299123456".into()), None, PIN.into())
        .unwrap();
    app.set_notify_every_use(pid, true, PIN.into()).unwrap();
    let addition = app.start_device_addition(pid, PIN.into()).unwrap();
    app.veto_device_addition(pid, addition.addition_id).unwrap();
    app.change_user_id(pid, "aviaja.k2".into(), PIN.into())
        .unwrap();
    app.change_pin(pid, PIN.into(), NEW_PIN.into()).unwrap();
    app.freeze(pid).unwrap();
    app.unfreeze(pid, NEW_PIN.into(), None).unwrap();
    let device_paths = [
        paths::DEVICES,
        paths::RENAME_DEVICE,
        paths::STATUS,
        paths::NOTIFICATIONS,
        paths::ACTIVITY,
        paths::CHANGE_CONTACT,
        paths::CHANGE_SETTINGS,
        paths::ADDITION_START,
        paths::ADDITION_VETO,
        paths::CHANGE_USER_ID,
        paths::CHANGE_PIN,
        paths::FREEZE,
        paths::UNFREEZE,
    ];
    let messages: Vec<(&str, Value)> = device_paths
        .iter()
        .map(|p| (*p, parse(&rec.last(p))))
        .collect();

    let before = fx.digest();
    for (path, m) in &messages {
        // An unknown field, at the top or in the signed body.
        let mut top = m.clone();
        top["extra"] = json!(true);
        fx.post_json(path, &top).refused(400, "malformed");
        let mut nested = m.clone();
        nested["body"]["extra"] = json!(true);
        fx.post_json(path, &nested).refused(400, "malformed");
        // A new sequence number under the old signature.
        let mut forged = m.clone();
        forged["seq"] = json!(m["seq"].as_u64().unwrap() + 1000);
        fx.post_json(path, &forged).refused(401, "bad_signature");
        // The very message again.
        fx.post_json(path, m).refused(409, "replayed");
    }

    // Operator endpoints: wrong token, unknown field.
    let operator = [
        (
            paths::OPERATOR_FREEZE,
            json!({"token": TOKEN, "user_id": "aviaja.k2", "frozen": false}),
        ),
        (
            paths::OPERATOR_SET_CONTACT,
            json!({"token": TOKEN, "user_id": "aviaja.k2", "email": "a@example.gl"}),
        ),
        (paths::OPERATOR_OUTBOX, json!({"token": TOKEN})),
    ];
    for (path, m) in &operator {
        for token in ["", "wrong", &TOKEN[1..]] {
            let mut bad = m.clone();
            bad["token"] = json!(token);
            fx.post_json(path, &bad).refused(401, "unauthorized");
        }
        let mut extra = m.clone();
        extra["extra"] = json!(1);
        fx.post_json(path, &extra).refused(400, "malformed");
    }
    assert_eq!(fx.digest(), before, "a refused message changed state");
    for (path, m) in &operator {
        fx.post_json(path, m).ok();
    }
}

#[test]
fn http_level_refusals_are_json_too() {
    let fx = Fixture::start();
    let before = fx.digest();
    // Protocol paths take POST only.
    let a = get(&fx.base, paths::CREATE_REQUEST);
    a.refused(405, "unknown_path");
    // A path the protocol does not have.
    fx.post(
        "/v1/requests/delete-all",
        br#"{"token":"http-test-operator-token"}"#,
    )
    .refused(404, "unknown_path");
    fx.post("/v1/health", b"{}").refused(405, "unknown_path");
    // Paths outside /v1/ (another version, another case) get the same
    // typed answer, not a page.
    for path in [
        "/v2/requests/create",
        "/V1/requests/create",
        "/",
        "/requests/create",
    ] {
        fx.post(path, &signed_log_on(&fx.base, "aviaja.k"))
            .refused(404, "unknown_path");
    }
    // Every method but POST on a protocol path: 405, `Allow: POST`.
    for method in ["PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE"] {
        let head = format!(
            "{method} {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
            paths::CREATE_REQUEST
        );
        let answer = raw_exchange(fx.server.addr(), head.as_bytes());
        assert!(answer.starts_with("HTTP/1.1 405"), "{method}: {answer}");
        assert!(
            answer.to_ascii_lowercase().contains("allow: post"),
            "{method}: {answer}"
        );
        if method != "HEAD" {
            assert!(
                answer.contains(r#""code":"unknown_path""#),
                "{method}: {answer}"
            );
        }
    }
    // JSON only: no content type, or another one, is refused before parsing.
    let body = signed_log_on(&fx.base, "aviaja.k");
    post_as(&fx.base, paths::CREATE_REQUEST, None, &body).refused(415, "malformed");
    post_as(&fx.base, paths::CREATE_REQUEST, Some("text/plain"), &body).refused(415, "malformed");
    post_as(
        &fx.base,
        paths::CREATE_REQUEST,
        Some("application/x-www-form-urlencoded"),
        &body,
    )
    .refused(415, "malformed");
    assert_eq!(fx.digest(), before);
    post_as(
        &fx.base,
        paths::CREATE_REQUEST,
        Some("Application/JSON; charset=utf-8"),
        &body,
    )
    .ok();
    // Outside /v1 the router has no routes of its own (a caller may merge some).
    assert_eq!(get(&fx.base, "/").status, 404);
}

#[test]
fn server_stops_gracefully_and_keeps_what_it_committed() {
    let dir = TempDir::new("http-stop");
    let db = dir.file("service.sqlite");
    let clock = Arc::new(akuersi_protocol::clock::TestClock::new(T0));
    let open = || {
        Arc::new(
            akuersi_server::Service::open(
                &db,
                clock.clone(),
                akuersi_server::ServiceConfig {
                    operator_token: Some(TOKEN.into()),
                    min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
                    ..Default::default()
                },
            )
            .unwrap(),
        )
    };
    let service = open();
    akuersi_testkit::register_demo_bank(&service);
    let server = akuersi_server::http::spawn(service).unwrap();
    let base = server.base_url();
    use_clock(&base, clock.clone());
    let recorder = Arc::new(Recorder::new(transport(&base)));
    let app = installation(recorder, clock.clone(), ":memory:");
    let profile = activate(&base, &app, "aviaja.k", "phone");
    let (rid, handle) = start_request(&base, "aviaja.k");
    app.refresh(&profile.profile_id).unwrap();
    app.approve(&profile.profile_id, &rid, PIN.into()).unwrap();
    server.shutdown().unwrap();

    // Down: the app says so plainly.
    let e = app.refresh(&profile.profile_id).unwrap_err();
    assert!(matches!(e, Error::Network(_)), "{e:?}");
    assert!(e.to_string().starts_with("service unreachable"), "{e}");

    // A new server on the same file still has the decision.
    let server = akuersi_server::http::spawn(open()).unwrap();
    use_clock(&server.base_url(), clock.clone());
    let p = poll(&server.base_url(), &handle).ok();
    assert_eq!(p["status"], "approved");
    server.shutdown().unwrap();
}

// ------------------------------------------------ separate-process restart

const CHILD_DB: &str = "AKUERSI_HTTP_TEST_CHILD_DB";
const CHILD_ADDR: &str = "AKUERSI_HTTP_TEST_CHILD_ADDR";

/// Not a test: the service process that
/// `app_reports_unreachable_and_recovers_when_the_service_restarts` starts
/// (this same test binary, run with `--ignored --exact child_service`). It
/// serves the SQLite file named in the environment on the address given
/// there, the way a binary would (`http::serve` with `http::shutdown_signal`),
/// prints the address, and stops gracefully on SIGINT (Ctrl-C), SIGTERM, or
/// when its standard input closes (so it never outlives the test).
#[test]
#[ignore = "helper process for the restart test; does nothing on its own"]
fn child_service() {
    let (Ok(db), Ok(addr)) = (std::env::var(CHILD_DB), std::env::var(CHILD_ADDR)) else {
        return;
    };
    let service = akuersi_server::Service::open(
        &db,
        Arc::new(SystemClock),
        akuersi_server::ServiceConfig {
            operator_token: Some(TOKEN.into()),
            min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
            ..Default::default()
        },
    )
    .unwrap();
    akuersi_testkit::register_demo_bank(&service);
    let (eof_tx, eof_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
        let _ = eof_tx.send(());
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(async move {
            let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
            let signal = akuersi_server::http::shutdown_signal();
            println!("AKUERSI-LISTENING {}", listener.local_addr()?);
            let shutdown = async move {
                tokio::select! {
                    _ = signal => {}
                    _ = eof_rx => {}
                }
            };
            let router = akuersi_server::http::router(Arc::new(service));
            akuersi_server::http::serve(listener, router, shutdown).await
        })
        .unwrap();
    drop(runtime);
    println!("AKUERSI-STOPPED");
}

/// The service in its own process; killed (SIGKILL) when dropped.
struct ServiceProcess {
    child: Child,
    addr: std::net::SocketAddr,
}

impl ServiceProcess {
    fn start(db: &str, addr: &str) -> Self {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "child_service", "--ignored", "--nocapture"])
            .args(["--test-threads", "1"])
            .env(CHILD_DB, db)
            .env(CHILD_ADDR, addr)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    // libtest may print "test child_service ... " first.
                    if let Some((_, a)) = line.split_once("AKUERSI-LISTENING ") {
                        break a.trim().parse().unwrap();
                    }
                }
                _ => {
                    let _ = child.kill();
                    panic!("the service process ended before it listened");
                }
            }
        };
        // Keep draining its output so it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.by_ref() {});
        Self { child, addr }
    }

    fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// kill -9: no chance to finish anything.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Send a signal (`INT` as Ctrl-C does, or `TERM`): it shuts down
    /// gracefully and exits 0.
    fn stop(mut self, signal: &str) {
        let sent = Command::new("kill")
            .args(["-s", signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "{status}");
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn app_reports_unreachable_and_recovers_when_the_service_restarts() {
    let dir = TempDir::new("http-restart");
    let db = dir.file("service.sqlite");
    let service = ServiceProcess::start(&db, "127.0.0.1:0");
    let addr = service.addr.to_string();
    let base = service.base();

    let recorder = Arc::new(Recorder::new(transport(&base)));
    let app = installation(
        recorder.clone(),
        Arc::new(SystemClock),
        &dir.file("app.sqlite"),
    );
    let profile = activate(&base, &app, "aviaja.k", "Aviaja's phone");
    let pid = profile.profile_id.as_str();

    // One decision committed…
    let (first, first_handle) = start_request(&base, "aviaja.k");
    app.refresh(pid).unwrap();
    app.approve(pid, &first, PIN.into()).unwrap();
    // …and a second request open on the app's screen when the service dies.
    let (second, second_handle) = start_request(&base, "aviaja.k");
    assert_eq!(app.refresh(pid).unwrap()[0].request_id, second);
    service.kill();

    // While it is down, every call says "service unreachable".
    for result in [
        app.approve(pid, &second, PIN.into()).map(|_| ()),
        app.refresh(pid).map(|_| ()),
    ] {
        let e = result.unwrap_err();
        assert!(matches!(e, Error::Network(_)), "{e:?}");
        assert!(
            e.to_string().starts_with("service unreachable: http://"),
            "{e}"
        );
        assert!(e.to_string().contains("connection refused"), "{e}");
    }
    // The request is still on the app's screen (nothing was decided).
    assert_eq!(app.pending(pid).unwrap()[0].request_id, second);

    // Back on the same port and file: the committed approval is there, the
    // open request is still pending, and the app carries on.
    let service = ServiceProcess::start(&db, &addr);
    let p: PollResponse = serde_json::from_value(poll(&base, &first_handle).ok()).unwrap();
    assert_eq!(p.status, RequestStatus::Approved);
    assert_eq!(
        p.evidence.unwrap().verify("demo-bank").unwrap().request_id,
        first
    );
    assert_eq!(poll(&base, &second_handle).ok()["status"], "pending");
    assert_eq!(app.refresh(pid).unwrap()[0].request_id, second);
    let outcome = app.approve(pid, &second, PIN.into()).unwrap();
    assert_eq!(outcome.status, RequestStatus::Approved);

    // A graceful stop (Ctrl-C) and one more start: both decisions are
    // still there; then a stop by SIGTERM.
    service.stop("INT");
    let service = ServiceProcess::start(&db, &addr);
    for handle in [&first_handle, &second_handle] {
        assert_eq!(poll(&base, handle).ok()["status"], "approved");
    }
    service.stop("TERM");
}
