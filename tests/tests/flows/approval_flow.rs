//! The approval flow end to end: an installation and the service, on a test clock.

use akuersi_core::app::{DecisionOutcome, Installation};
use akuersi_core::Error;
use akuersi_protocol::approval::{ApprovalStatement, Decision};
use akuersi_protocol::wire::{CreateRequestResponse, RequestStatus};
use akuersi_testkit::*;

#[test]
fn happy_path_log_on_with_pin() {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "Aviaja's phone");
    let req = w.request("Aviaja-Nuuk");
    assert_eq!(req.expires_at_ms, T0 + 300_000);

    // Nothing reaches the app until it asks.
    assert!(phone.app.pending(phone.id()).unwrap().is_empty());
    w.clock.advance_secs(5);
    let views = phone.app.refresh(phone.id()).unwrap();
    assert_eq!(views.len(), 1);
    let v = &views[0];
    assert_eq!(v.request_id, req.request_id);
    assert_eq!(v.requester_name, "Demo Bank");
    assert_eq!(v.language, "kl", "the owner's language comes first");
    assert_eq!(v.body, "Demo Bank-imut iserniarputit");
    assert_eq!(v.other_languages, vec!["da".to_string(), "en".to_string()]);
    assert_eq!(v.seconds_left, 295);

    let out = phone.approve_with_pin(&req.request_id);
    assert_eq!(out.status, RequestStatus::Approved);

    let poll = w.poll(&req.poll_handle);
    assert_eq!(poll.status, RequestStatus::Approved);
    let evidence = poll.evidence.expect("approved requests carry evidence");
    let st = evidence.verify("demo-bank").expect("the evidence verifies");
    assert_eq!(st.request_id, req.request_id);
    assert_eq!(st.decision, Decision::Approve);
    assert_eq!(st.device_id, phone.profile.device_id);
    let mut sent = log_on("x").texts;
    sent.sort_by(|a, b| a.lang.cmp(&b.lang));
    assert_eq!(st.texts, sent, "every language is signed");
    assert!(st.pake.is_some(), "an approval is bound to its PIN proof");
    assert_eq!(st.expires_at_ms, T0 + 300_000);

    // The app forgets a decided request and logs it.
    assert!(phone.app.pending(phone.id()).unwrap().is_empty());
    assert_eq!(
        phone.app.activity(phone.id()).unwrap()[0].kind.as_str(),
        "approved"
    );
    let kinds = w.activity_kinds(&phone.profile.identity_id);
    assert!(kinds.contains(&"request_approved".to_string()), "{kinds:?}");
}

/// How an app decides a request without a PIN ([`Installation::reject`] or
/// [`Installation::report`]).
type DecideWithoutPin = fn(&Installation, &str, &str) -> akuersi_core::Result<DecisionOutcome>;

/// Decides a fetched request with `decide`: the app and the poll both show
/// `status` and the evidence verifies with `decision`. Gives back the world,
/// the phone and the verified statement.
fn decide_without_pin(
    decide: DecideWithoutPin,
    status: RequestStatus,
    decision: Decision,
) -> (World, App, ApprovalStatement) {
    let (w, phone, req) = World::with_fetched_request("Aviaja-Nuuk");
    let out = decide(&phone.app, phone.id(), &req.request_id).unwrap();
    assert_eq!(out.status, status);
    let poll = w.poll(&req.poll_handle);
    assert_eq!(poll.status, status);
    let st = poll.evidence.unwrap().verify("demo-bank").unwrap();
    assert_eq!(st.decision, decision);
    (w, phone, st)
}

#[test]
fn reject_needs_no_pin_and_is_signed() {
    let reject: DecideWithoutPin = Installation::reject;
    let (_, _, st) = decide_without_pin(reject, RequestStatus::Rejected, Decision::Reject);
    assert!(st.pake.is_none());
}

#[test]
fn report_marks_the_request_as_not_started_by_the_owner() {
    let report: DecideWithoutPin = Installation::report;
    let (w, phone, _) = decide_without_pin(report, RequestStatus::Reported, Decision::Report);
    let log = w.service.activity(&phone.profile.identity_id).unwrap();
    assert!(log.iter().any(|a| a.kind.as_str() == "request_reported"));
}

#[test]
fn decide_at_299_seconds_works() {
    let (w, phone, req) = World::with_fetched_request("Aviaja-Nuuk");
    w.clock.advance_ms(299_000);
    assert_eq!(phone.app.pending(phone.id()).unwrap()[0].seconds_left, 1);
    let out = phone.approve_with_pin(&req.request_id);
    assert_eq!(out.status, RequestStatus::Approved);
    assert_eq!(out.decided_at_ms, T0 + 299_000);
}

#[test]
fn decide_at_300_seconds_is_refused_by_app_and_service() {
    // The app refuses on its own, without asking the service.
    let (w, phone, req) = World::with_fetched_request("Aviaja-Nuuk");
    w.clock.advance_ms(300_000);
    let calls = w.tap.calls.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!(
        phone.app.approve(phone.id(), &req.request_id, PIN.into()),
        Err(Error::RequestExpired)
    );
    assert_eq!(w.tap.calls.load(std::sync::atomic::Ordering::SeqCst), calls);
    assert!(phone.app.pending(phone.id()).unwrap().is_empty());
    assert_eq!(w.poll(&req.poll_handle).status, RequestStatus::Expired);

    // The service refuses too, even for a device that ignores the clock:
    // PIN proof started at 299.999 s, decision arriving at 300 s.
    let w = World::new();
    let (mut dev, req, pending) = RawDevice::enroll_with_request(&w, "Aviaja-Nuuk");
    w.clock.advance_ms(299_999);
    let (binding, proof, _) = dev.pin_proof(&w, &pending, PIN).unwrap();
    w.clock.advance_ms(1);
    assert_eq!(w.pin_failures(&dev.device_id), 1);
    let st = dev.statement(&pending, Decision::Approve, Some(binding));
    let r: akuersi_core::Result<akuersi_protocol::wire::DecideResponse> = w.send(
        akuersi_protocol::wire::paths::DECIDE,
        &dev.decide_msg(&st, Some(proof)),
    );
    assert_eq!(r.unwrap_err(), Error::RequestExpired);
    // The right PIN, late, is not left counted as a failure.
    assert_eq!(w.pin_failures(&dev.device_id), 0);
    // Reject at 300 s is refused as well, and changes nothing.
    let before = w.digest();
    assert_eq!(
        dev.decline(&w, &pending, Decision::Reject).unwrap_err(),
        Error::RequestExpired
    );
    assert_eq!(w.digest(), before, "a refused decision changes nothing");
    assert_eq!(w.poll(&req.poll_handle).status, RequestStatus::Expired);
}

/// A fresh world with a phone and a tablet of one identity that have both
/// fetched one new log-on request.
fn phone_and_tablet_with_request() -> (World, App, App, CreateRequestResponse) {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "phone");
    let tablet = w.app("Aviaja-Nuuk", "tablet");
    let req = w.request("Aviaja-Nuuk");
    phone.app.refresh(phone.id()).unwrap();
    tablet.app.refresh(tablet.id()).unwrap();
    (w, phone, tablet, req)
}

#[test]
fn second_device_loses_the_race() {
    let (w, phone, tablet, req) = phone_and_tablet_with_request();
    phone.approve_with_pin(&req.request_id);
    assert_eq!(
        tablet.app.approve(tablet.id(), &req.request_id, PIN.into()),
        Err(Error::AlreadyDecided)
    );
    // The tablet forgets the lost request at once.
    assert!(tablet.app.pending(tablet.id()).unwrap().is_empty());
    assert_eq!(
        tablet.app.reject(tablet.id(), &req.request_id),
        Err(Error::RequestNotFound)
    );
    let st = w
        .poll(&req.poll_handle)
        .evidence
        .unwrap()
        .verify("demo-bank")
        .unwrap();
    assert_eq!(st.device_id, phone.profile.device_id);
}

#[test]
fn two_devices_racing_on_threads_give_one_winner() {
    let (w, phone, tablet, req) = phone_and_tablet_with_request();
    let results: Vec<_> = std::thread::scope(|s| {
        let a = s.spawn(|| phone.app.approve(phone.id(), &req.request_id, PIN.into()));
        let b = s.spawn(|| tablet.app.approve(tablet.id(), &req.request_id, PIN.into()));
        vec![a.join().unwrap(), b.join().unwrap()]
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert!(results.contains(&Err(Error::AlreadyDecided)), "{results:?}");
    // The loser typed the right PIN: it must not stay counted as a failure.
    for dev in [&phone.profile.device_id, &tablet.profile.device_id] {
        assert_eq!(w.service.device_info(dev).unwrap().pin_failures, 0);
    }
}

#[test]
fn a_stale_card_says_expired_not_missing() {
    let (w, phone, req) = World::with_fetched_request("Aviaja-Nuuk");
    w.clock.advance_secs(300);
    assert!(phone.app.pending(phone.id()).unwrap().is_empty());
    assert_eq!(
        phone.app.reject(phone.id(), &req.request_id),
        Err(Error::RequestExpired)
    );
}

#[test]
fn fifty_threads_deciding_one_request_give_exactly_one_success() {
    let w = World::new();
    let devices: Vec<RawDevice> = (0..3)
        .map(|_| RawDevice::enroll(&w, "Aviaja-Nuuk"))
        .collect();
    let req = w.request("Aviaja-Nuuk");
    let pending = fetch_pending(&w, &devices[0]);
    assert_eq!(pending.request_id, req.request_id);
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let dev = &devices[i % 3];
                let pending = &pending;
                let w = &w;
                let decision = if i % 2 == 0 {
                    Decision::Reject
                } else {
                    Decision::Report
                };
                s.spawn(move || dev.decline(w, pending, decision))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(
        results
            .iter()
            .filter(|r| **r == Err(Error::AlreadyDecided))
            .count(),
        49
    );
}

/// Pending requests as seen by a device (uses the service directly, with a
/// fresh envelope signed by that device).
fn fetch_pending(w: &World, dev: &RawDevice) -> akuersi_protocol::wire::PendingRequest {
    // RawDevice::pending needs &mut for the sequence number; a clone of the
    // key is not possible, so sign one envelope with seq = 1000 here.
    use akuersi_protocol::wire::{paths, DeviceSigned, PendingQuery, PendingResponse};
    let body = PendingQuery {};
    let seq = 1000;
    let signature = dev.sign(&DeviceSigned::signed_bytes(&dev.device_id, seq, &body));
    let m = DeviceSigned {
        device_id: dev.device_id.clone(),
        seq,
        body,
        signature,
    };
    let r: PendingResponse = w.send(paths::PENDING, &m).unwrap();
    r.requests.into_iter().next().unwrap()
}

#[test]
fn a_second_concurrent_request_is_refused() {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "phone");
    let req = w.request("Aviaja-Nuuk");
    let before = w.digest();
    let again = w.service.bank_create(log_on("aviaja-nuuk")).unwrap_err();
    assert_eq!(
        again.code,
        akuersi_protocol::wire::ErrorCode::PendingRequestExists
    );
    assert_eq!(w.digest(), before);
    // Once decided, the next one is allowed.
    phone.app.refresh(phone.id()).unwrap();
    phone.app.reject(phone.id(), &req.request_id).unwrap();
    let next = w.request("Aviaja-Nuuk");
    // Once lapsed, too.
    w.clock.advance_secs(300);
    let third = w.request("Aviaja-Nuuk");
    assert_ne!(next.request_id, third.request_id);
}

#[test]
fn cancelled_request_cannot_be_decided() {
    let (w, phone, req) = World::with_fetched_request("Aviaja-Nuuk");
    assert_eq!(
        w.service.bank_cancel(&req.poll_handle).unwrap().status,
        RequestStatus::Cancelled
    );
    assert_eq!(
        phone.app.approve(phone.id(), &req.request_id, PIN.into()),
        Err(Error::RequestCancelled)
    );
    assert!(phone.app.pending(phone.id()).unwrap().is_empty());
}

#[test]
fn countdown_uses_the_service_clock_not_the_device_clock() {
    use akuersi_protocol::clock::TestClock;
    use std::sync::Arc;
    let w = World::new();
    w.identity("Aviaja-Nuuk");
    // This device's clock is 2 hours behind the service's.
    let skewed = Arc::new(TestClock::new(T0 - 7_200_000));
    let app = installation(":memory:")
        .kdf_iterations(1_000)
        .language("da")
        .open(w.tap.clone(), skewed.clone());
    let p = w.activate(&app, "Aviaja-Nuuk", "phone");
    w.request("Aviaja-Nuuk");
    w.clock.advance_secs(10);
    skewed.advance_secs(10);
    let v = app.refresh(&p.profile_id).unwrap();
    assert_eq!(v[0].seconds_left, 290);
    assert_eq!(v[0].language, "da");
    skewed.advance_secs(290);
    assert!(app.pending(&p.profile_id).unwrap().is_empty());
}

#[test]
fn one_profile_used_from_many_threads_never_looks_like_a_replay() {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "phone");
    w.request("Aviaja-Nuuk");
    let results: Vec<_> = std::thread::scope(|s| {
        let hs: Vec<_> = (0..8)
            .map(|_| s.spawn(|| phone.app.refresh(phone.id())))
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in results {
        assert_eq!(r.unwrap().len(), 1);
    }
}
