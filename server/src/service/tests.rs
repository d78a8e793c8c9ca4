//! Unit tests of service parts that the end-to-end suites reach only
//! through whole flows: envelope sequence numbers, the hash-chained log,
//! activation-code reading rules, request lapse and device lookup.

use akuersi_protocol::activity::{verify_chain, ActivityKind, GENESIS};
use akuersi_protocol::request::Action;
use akuersi_protocol::wire::{
    ActivityQuery, ErrorCode, PendingQuery, PinFailed, PinPurpose, PinStart, RequestStatus,
    MAX_ACTIVITY_PAGE, MAX_MESSAGE_BYTES,
};

use super::test_support::{
    enroll, open, open_on, pending_log_on, pending_log_on_with, some_point, Signs,
};
use super::{log, normalize_code, Service};
use crate::storage::{Outcome, RequestRow};
use akuersi_testkit::T0;

fn last_seq(service: &Service, device_id: &str) -> i64 {
    let conn = service.db.conn().unwrap();
    let device = Service::load_device(&conn.store(), device_id).unwrap();
    device.last_seq
}

#[test]
fn envelope_sequence_numbers_only_go_up() {
    let service = open();
    let mut device = enroll(&service, "Aviaja-Nuuk");
    let first = device.signed(PendingQuery {});
    let second = device.signed(PendingQuery {});
    let third = device.signed(PendingQuery {});
    service.pending(second.clone()).unwrap();
    assert_eq!(last_seq(&service, &device.device_id), 2);
    let before = service.state_digest().unwrap();
    // Below the last one, and the last one itself, are replays.
    for replay in [first, second] {
        let e = service.pending(replay).unwrap_err();
        assert_eq!(e.code, ErrorCode::Replayed, "{e}");
    }
    assert_eq!(
        service.state_digest().unwrap(),
        before,
        "a replay changes nothing"
    );
    service.pending(third).unwrap();
    assert_eq!(last_seq(&service, &device.device_id), 3);
}

#[test]
fn a_forged_envelope_does_not_use_up_its_sequence_number() {
    let service = open();
    let mut device = enroll(&service, "Aviaja-Nuuk");
    let genuine = device.signed(PendingQuery {});
    let mut forged = genuine.clone();
    let last = forged.signature.len() - 1;
    forged.signature[last] ^= 1;
    let e = service.pending(forged).unwrap_err();
    assert_eq!(e.code, ErrorCode::BadSignature, "{e}");
    assert_eq!(last_seq(&service, &device.device_id), 0);
    service.pending(genuine).unwrap();
    assert_eq!(last_seq(&service, &device.device_id), 1);
}

#[test]
fn only_active_enrolled_devices_are_loaded() {
    let service = open();
    let device = enroll(&service, "Aviaja-Nuuk");
    let conn = service.db.conn().unwrap();
    let store = conn.store();
    let row = Service::load_device(&store, &device.device_id).unwrap();
    assert_eq!(row.status, "active");
    for unknown in ["not-hex", &"ab".repeat(32)] {
        let e = Service::load_device(&store, unknown).unwrap_err();
        assert_eq!(e.code, ErrorCode::UnknownDevice, "{e}");
    }
    drop(conn);
    service
        .db
        .write(|tx| {
            tx.remove_device(&device.device_id)?;
            Ok(Outcome::Done(()))
        })
        .unwrap();
    let conn = service.db.conn().unwrap();
    let e = Service::load_device(&conn.store(), &device.device_id).unwrap_err();
    assert_eq!(
        e.code,
        ErrorCode::UnknownDevice,
        "a removed device is unknown"
    );
}

#[test]
fn the_activity_log_is_a_hash_chain() {
    let service = open();
    let identity_id = service.create_identity("Aviaja-Nuuk").unwrap();
    service
        .db
        .write(|tx| {
            log(
                tx,
                &identity_id,
                T0 + 1,
                ActivityKind::DeviceRenamed,
                Some("dev"),
                None,
                "first",
            )?;
            log(
                tx,
                &identity_id,
                T0 + 2,
                ActivityKind::RequestApproved,
                None,
                Some("req"),
                "second",
            )?;
            Ok(Outcome::Done(()))
        })
        .unwrap();
    let (entries, head) = service.signed_log(&identity_id).unwrap();
    assert_eq!(
        entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3],
        "identity_created, then the two"
    );
    // Each entry's hash covers it and the one before, from the genesis; the
    // head (seq 3) names the last hash and carries the service's signature.
    assert_eq!(
        verify_chain(&identity_id, &entries, &head, &service.public_key()),
        Ok(())
    );
    assert_eq!(entries[1].device_id.as_deref(), Some("dev"));
    assert_eq!(entries[2].request_id.as_deref(), Some("req"));
    // Another identity's log starts from the genesis again.
    let other = service.create_identity("Malik-Ilulissat").unwrap();
    let (entries, _) = service.signed_log(&other).unwrap();
    assert_eq!(
        (entries[0].seq, entries[0].prev_hash.clone()),
        (1, GENESIS.to_vec())
    );
}

#[test]
fn the_activity_log_is_served_in_pages_that_fit_in_a_message() {
    let service = open();
    let mut device = enroll(&service, "Aviaja-Nuuk");
    let identity_id = service.identity_by_user_id("Aviaja-Nuuk").unwrap();
    // Entries larger than any the service writes: the longest detail is a
    // 64-character requester name in 4-byte letters with an action.
    let detail = "\u{1D400}".repeat(100);
    let long_id = "i".repeat(64);
    service
        .db
        .write(|tx| {
            for i in 0..200 {
                log(
                    tx,
                    &identity_id,
                    T0 + i,
                    ActivityKind::RequestApproved,
                    Some(&long_id),
                    Some(&long_id),
                    &detail,
                )?;
            }
            Ok(Outcome::Done(()))
        })
        .unwrap();
    let total = service.signed_log(&identity_id).unwrap().0.len() as u64;

    // A page never carries more than MAX_ACTIVITY_PAGE, whatever is asked,
    // and the largest page still fits in one message.
    let page = service
        .activity_log(device.signed(ActivityQuery {
            after_seq: 0,
            limit: u32::MAX,
        }))
        .unwrap();
    assert_eq!(page.entries.len(), MAX_ACTIVITY_PAGE as usize);
    assert_eq!(page.head.seq, total, "the head covers the whole log");
    let bytes = serde_json::to_vec(&page).unwrap().len();
    assert!(bytes < MAX_MESSAGE_BYTES, "{bytes} bytes");
    assert_eq!(
        (page.entries[0].seq, page.entries.last().unwrap().seq),
        (1, u64::from(MAX_ACTIVITY_PAGE))
    );
    // The next page starts right after; past the end there is nothing.
    let next = service
        .activity_log(device.signed(ActivityQuery {
            after_seq: 64,
            limit: 3,
        }))
        .unwrap();
    assert_eq!(
        next.entries.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [65, 66, 67]
    );
    let beyond = service
        .activity_log(device.signed(ActivityQuery {
            after_seq: u64::MAX,
            limit: 10,
        }))
        .unwrap();
    assert!(beyond.entries.is_empty());
    assert_eq!(beyond.head.seq, total);

    // A page of nothing is malformed and uses up nothing.
    let seq_before = last_seq(&service, &device.device_id);
    let e = service
        .activity_log(device.signed(ActivityQuery {
            after_seq: 0,
            limit: 0,
        }))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::Malformed, "{e}");
    assert_eq!(last_seq(&service, &device.device_id), seq_before);
}

#[test]
fn activation_codes_are_read_as_crockford_base32() {
    assert_eq!(
        normalize_code("abcd-efgh-jkmn").as_deref(),
        Some("ABCDEFGHJKMN")
    );
    // O reads as 0, I and L as 1; spaces and dashes are dropped.
    assert_eq!(
        normalize_code("o1il 2345-6789").as_deref(),
        Some("011123456789")
    );
    assert_eq!(normalize_code("ABCD-EFGH-JKM"), None, "11 characters");
    assert_eq!(normalize_code("ABCD-EFGH-JKMNP"), None, "13 characters");
    assert_eq!(
        normalize_code("ABCD-EFGH-JKMU"),
        None,
        "U is not in the alphabet"
    );
    assert_eq!(normalize_code("ABCD-EFGH-JKM!"), None);
}

#[test]
fn a_pending_request_reads_as_expired_from_its_expiry_on() {
    let row = RequestRow {
        request_id: "r".into(),
        identity_id: None,
        nonce: vec![],
        requester_id: "demo-bank".into(),
        requester_name: "Demo Bank".into(),
        action: Action::LogOn,
        texts: vec![],
        created_at_ms: 0,
        expires_at_ms: 100,
        status: RequestStatus::Pending,
        decided_by: None,
        statement: None,
        signature: None,
        channel_kind: None,
        channel_code: None,
        channel_secret: None,
        channel_failures: 0,
        channel_ok_device: None,
        channel_ok_answer: None,
        amount: None,
        account: None,
    };
    assert_eq!(row.status_at(99), RequestStatus::Pending);
    assert_eq!(row.status_at(100), RequestStatus::Expired);
    assert!(Service::require_pending(&row, 99).is_ok());
    assert_eq!(
        Service::require_pending(&row, 100).unwrap_err().code,
        ErrorCode::RequestExpired
    );
    // A decided request keeps its decision after the expiry.
    let decided = RequestRow {
        status: RequestStatus::Approved,
        ..row
    };
    assert_eq!(decided.status_at(1_000), RequestStatus::Approved);
    assert_eq!(
        Service::require_pending(&decided, 1).unwrap_err().code,
        ErrorCode::AlreadyDecided
    );
    let pending = decided.to_pending(4);
    assert_eq!((pending.recent_declined, pending.expires_at_ms), (4, 100));
    // A cancelled request says what happened: 3 wrong channel-binding
    // answers are not the requester's doing (PROTOCOL §13 item 7).
    let by_codes = RequestRow {
        status: RequestStatus::Cancelled,
        channel_failures: 3,
        ..decided.clone()
    };
    let e = Service::require_pending(&by_codes, 1).unwrap_err();
    assert_eq!(e.code, ErrorCode::RequestCancelled);
    assert!(e.message.contains("3 wrong codes"), "{e}");
    assert!(!e.message.contains("requester cancelled"), "{e}");
    let withdrawn = RequestRow {
        status: RequestStatus::Cancelled,
        channel_failures: 0,
        ..decided
    };
    let e = Service::require_pending(&withdrawn, 1).unwrap_err();
    assert!(
        e.message
            .contains("by its requester or when the identity was frozen"),
        "{e}"
    );
}

#[test]
fn pin_start_commits_the_attempt_before_any_proof() {
    let (service, mut device, request_id) = pending_log_on();
    let started = service
        .pin_start(device.signed(PinStart {
            purpose: PinPurpose::Request { request_id },
            share_p: some_point(),
        }))
        .unwrap();
    // Counted and committed now, before the device could send a proof.
    assert_eq!(started.attempts_left, 9);
    let device_id = device.device_id.clone();
    let failures = |service: &Service| service.device_info(&device_id).unwrap().pin_failures;
    assert_eq!(failures(&service), 1);
    // A proof given up on stays counted; reporting it closes the session.
    let failed = service
        .pin_failed(device.signed(PinFailed {
            session_id: started.session_id.clone(),
        }))
        .unwrap();
    assert_eq!(failed.attempts_left, 9);
    assert_eq!(failures(&service), 1);
    let again = service
        .pin_failed(device.signed(PinFailed {
            session_id: started.session_id,
        }))
        .unwrap_err();
    assert_eq!(again.code, ErrorCode::PinSessionInvalid, "{again}");
    assert_eq!(failures(&service), 1);
    let identity_id = service.device_info(&device.device_id).unwrap().identity_id;
    let kinds: Vec<String> = service
        .activity(&identity_id)
        .unwrap()
        .into_iter()
        .map(|r| r.kind.as_str().to_owned())
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "wrong_pin").count(), 1);
}

/// The events in the outbox of `user_id` on `channel`, oldest first.
fn outbox_events(service: &Service, user_id: &str, channel: &str) -> Vec<String> {
    service
        .outbox(Some(user_id), 0)
        .unwrap()
        .into_iter()
        .filter(|n| n.channel.as_str() == channel)
        .filter(|n| !["contact_changed", "activation_code_used"].contains(&n.event.as_str()))
        .map(|n| n.event)
        .collect()
}

#[test]
fn abandoned_pin_attempts_reach_the_owner_on_every_channel() {
    let clock = std::sync::Arc::new(akuersi_protocol::clock::TestClock::new(T0));
    let (service, mut device, request_id) = pending_log_on_with(open_on(clock.clone()));
    service
        .operator_set_contact("Aviaja-Nuuk", Some("+299551234"), Some("a@example.gl"))
        .unwrap();
    let start = |device: &mut akuersi_testkit::HandDevice| {
        service
            .pin_start(device.signed(PinStart {
                purpose: PinPurpose::Request {
                    request_id: request_id.clone(),
                },
                share_p: some_point(),
            }))
            .unwrap()
    };
    // A modified app starts a proof and never finishes or reports it.
    start(&mut device);
    assert!(outbox_events(&service, "Aviaja-Nuuk", "sms").is_empty());
    // The next start abandons the first: the owner is told at once.
    start(&mut device);
    for channel in ["app", "sms", "email"] {
        assert_eq!(
            outbox_events(&service, "Aviaja-Nuuk", channel),
            ["pin_abandoned"],
            "{channel}"
        );
    }
    // The second lapses; the next message of any device settles it.
    clock.advance_ms(120_000);
    let pending = service.pending(device.signed(PendingQuery {})).unwrap();
    assert_eq!(
        outbox_events(&service, "Aviaja-Nuuk", "email"),
        ["pin_abandoned", "pin_abandoned"]
    );
    // And the device is told how many failed since its last approval.
    assert_eq!(pending.requests[0].failed_pin_attempts, 2);
    let text = service
        .outbox(Some("Aviaja-Nuuk"), 0)
        .unwrap()
        .pop()
        .unwrap()
        .text;
    assert!(text.contains(": 2."), "{text}");
}

#[test]
fn the_identity_budget_suspends_every_device() {
    let clock = std::sync::Arc::new(akuersi_protocol::clock::TestClock::new(T0));
    let service = open_on(clock.clone());
    let mut a = enroll(&service, "Aviaja-Nuuk");
    let code = service
        .issue_activation_code("Aviaja-Nuuk", akuersi_protocol::wire::CodeChannel::Paper)
        .unwrap()
        .code;
    let mut b = akuersi_testkit::HandDevice::new().unwrap();
    service
        .activate(
            b.activation(
                "Aviaja-Nuuk",
                &code,
                akuersi_testkit::PIN,
                akuersi_protocol::pin::MIN_KDF_ITERATIONS,
                "bench",
            )
            .unwrap(),
        )
        .unwrap();
    let fail = |d: &mut akuersi_testkit::HandDevice| {
        let started = service.pin_start(d.signed(PinStart {
            purpose: PinPurpose::ChangeSettings,
            share_p: some_point(),
        }))?;
        service
            .pin_failed(d.signed(PinFailed {
                session_id: started.session_id,
            }))
            .map(|_| ())
    };
    // 4 on each device, waiting out nothing: nobody is suspended yet.
    let mut made = 0;
    for _ in 0..4 {
        fail(&mut a).unwrap();
        fail(&mut b).unwrap();
        made += 2;
    }
    // Then device by device, waiting out each device's suspension, until
    // the identity's 15 in 24 hours are used up.
    while made < 15 {
        let d = if made % 2 == 0 { &mut a } else { &mut b };
        match fail(d) {
            Ok(()) => made += 1,
            Err(e) if e.code == ErrorCode::DeviceSuspended => {
                clock.set_ms(e.until_ms.unwrap());
            }
            Err(e) => panic!("{e}"),
        }
    }
    // Both devices are now refused, until the oldest failure is 24 h old.
    for d in [&mut a, &mut b] {
        let e = fail(d).unwrap_err();
        assert_eq!(e.code, ErrorCode::DeviceSuspended, "{e}");
        assert_eq!(e.until_ms, Some(T0 + 24 * 3_600_000));
    }
}

#[test]
fn freezing_cancels_pending_requests() {
    use akuersi_protocol::wire::Freeze;
    let (service, mut device, request_id) = pending_log_on();
    service.freeze(device.signed(Freeze {})).unwrap();
    let conn = service.db.conn().unwrap();
    let row = conn.store().request(&request_id).unwrap().unwrap();
    assert_eq!(row.status, RequestStatus::Cancelled);
    drop(conn);
    // Nothing is left that nobody could decide; after the unfreeze the
    // request does not come back either.
    service.operator_freeze("Aviaja-Nuuk", false).unwrap();
    let pending = service.pending(device.signed(PendingQuery {})).unwrap();
    assert!(pending.requests.is_empty());
}

#[test]
fn decide_answers_nothing_about_state_before_the_signature() {
    use akuersi_protocol::approval::Decision;
    use akuersi_protocol::wire::{Decide, Freeze};
    let (service, mut device, request_id) = pending_log_on();
    let device_id = device.device_id.clone();
    // Somebody who knows the device id and the request id, but not the key.
    let forged = |decision| Decide {
        device_id: device_id.clone(),
        request_id: request_id.clone(),
        decision,
        pake: None,
        channel_binding: None,
        signature: vec![7; 64],
    };
    let code = |d: Decide| service.decide(d).unwrap_err().code;
    assert_eq!(code(forged(Decision::Reject)), ErrorCode::BadSignature);
    // The identity frozen (the request is cancelled with it): still only
    // `bad_signature`, never `identity_frozen` or `request_cancelled`.
    service.freeze(device.signed(Freeze {})).unwrap();
    assert_eq!(code(forged(Decision::Reject)), ErrorCode::BadSignature);
    assert_eq!(code(forged(Decision::Report)), ErrorCode::BadSignature);
    // Blocked (ten counted attempts): the same.
    service.operator_freeze("Aviaja-Nuuk", false).unwrap();
    service
        .db
        .write(|tx| {
            tx.count_pin_attempt(&device_id, 10, T0)?;
            Ok(Outcome::Done(()))
        })
        .unwrap();
    assert_eq!(code(forged(Decision::Reject)), ErrorCode::BadSignature);
}

#[test]
fn the_default_service_refuses_pin_kdf_counts_below_600_000() {
    use akuersi_protocol::pin::MIN_KDF_ITERATIONS;
    use akuersi_protocol::wire::CodeChannel;
    let clock = std::sync::Arc::new(akuersi_protocol::clock::TestClock::new(T0));
    let service = Service::open(":memory:", clock, crate::ServiceConfig::default()).unwrap();
    service.create_identity("Aviaja-Nuuk").unwrap();
    let code = service
        .issue_activation_code("Aviaja-Nuuk", CodeChannel::Paper)
        .unwrap()
        .code;
    let device = akuersi_testkit::HandDevice::new().unwrap();
    // The service cannot see how w0 was derived; it checks the count the
    // device declares (cheaply derived here, the count is what is judged).
    let verifier = device
        .verifier(akuersi_testkit::PIN, MIN_KDF_ITERATIONS)
        .unwrap();
    let with = |iterations: u32| {
        let v = akuersi_protocol::wire::VerifierRegistration {
            kdf_iterations: iterations,
            ..verifier.clone()
        };
        device
            .activation_with("Aviaja-Nuuk", &code, v, "phone", "android")
            .unwrap()
    };
    let before = service.state_digest().unwrap();
    for low in [MIN_KDF_ITERATIONS, 100_000, 599_999] {
        let e = service.activate(with(low)).unwrap_err();
        assert_eq!(e.code, ErrorCode::Malformed, "{low}: {e}");
        assert!(e.message.contains("600000"), "{e}");
    }
    assert_eq!(service.state_digest().unwrap(), before, "nothing changed");
    service.activate(with(600_000)).unwrap();
}
