//! Replays, tampering, foreign devices, wrong PINs, enumeration and bad input:
//! each refused with a typed error, and (except where a refusal must be
//! counted) nothing in the service's database changes.

use akuersi_core::Error;
use akuersi_protocol::approval::Decision;
use akuersi_protocol::request::Action;
use akuersi_protocol::wire::*;
use akuersi_testkit::*;

fn code_of(r: &akuersi_core::transport::TransportResponse) -> ErrorCode {
    serde_json::from_slice::<ErrorBody>(&r.body)
        .unwrap_or_else(|_| panic!("not an error body: {}", String::from_utf8_lossy(&r.body)))
        .code
}

#[test]
fn a_replayed_decide_message_is_refused() {
    let (w, phone, req) = World::with_fetched_request("Aviaja-Nuuk");
    phone.approve_with_pin(&req.request_id);
    let decide = w.tap.last(paths::DECIDE).unwrap();
    let before = w.digest();
    let again = w.raw(paths::DECIDE, &decide);
    assert_eq!(code_of(&again), ErrorCode::AlreadyDecided);
    assert_eq!(w.digest(), before);

    // Replaying the approval onto a *new* request fails too: the signature
    // covers the old request's id and nonce, and the PIN session is used up.
    let req2 = w.request("Aviaja-Nuuk");
    let mut m: Decide = serde_json::from_slice(&decide).unwrap();
    m.request_id = req2.request_id.clone();
    let before = w.digest();
    let r = w.raw(paths::DECIDE, &serde_json::to_vec(&m).unwrap());
    assert_eq!(code_of(&r), ErrorCode::PinSessionInvalid);
    m.pake = None;
    m.decision = Decision::Reject;
    let r = w.raw(paths::DECIDE, &serde_json::to_vec(&m).unwrap());
    assert_eq!(code_of(&r), ErrorCode::BadSignature);
    assert_eq!(w.digest(), before);
    assert_eq!(w.poll(&req2.poll_handle).status, RequestStatus::Pending);
}

#[test]
fn replayed_device_envelopes_are_refused() {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "phone");
    w.request("Aviaja-Nuuk");
    phone.app.refresh(phone.id()).unwrap();
    let pending = w.tap.last(paths::PENDING).unwrap();
    let before = w.digest();
    assert_eq!(
        code_of(&w.raw(paths::PENDING, &pending)),
        ErrorCode::Replayed
    );
    assert_eq!(w.digest(), before);

    // A PIN start replayed cannot burn the owner's attempts either.
    let req = phone.app.pending(phone.id()).unwrap().remove(0);
    let _ = phone
        .app
        .approve(phone.id(), &req.request_id, WRONG_PIN.into());
    let start = w.tap.last(paths::PIN_START).unwrap();
    let failures = w.pin_failures(&phone.profile.device_id);
    let before = w.digest();
    assert_eq!(
        code_of(&w.raw(paths::PIN_START, &start)),
        ErrorCode::Replayed
    );
    assert_eq!(w.digest(), before);
    assert_eq!(w.pin_failures(&phone.profile.device_id), failures);
}

#[test]
fn one_changed_byte_anywhere_in_the_statement_fails_verification() {
    let (w, phone, req) = World::with_fetched_request("Aviaja-Nuuk");
    phone.approve_with_pin(&req.request_id);
    let evidence = w.poll(&req.poll_handle).evidence.unwrap();
    evidence.verify("demo-bank").unwrap();
    for i in 0..evidence.statement.len() {
        for bit in [0x01u8, 0x80] {
            let mut e = evidence.clone();
            e.statement[i] ^= bit;
            assert!(
                e.verify("demo-bank").is_err(),
                "byte {i} bit {bit:#x} changed and still verified"
            );
        }
    }
    let mut e = evidence.clone();
    e.signature[10] ^= 1;
    assert!(e.verify("demo-bank").is_err());
}

/// The device signs what it was shown; if anything differs from what the
/// service holds (a network attacker or a lying relay changed it), the service
/// refuses the decision and nothing changes.
#[test]
fn a_signature_over_any_changed_field_is_refused_by_the_service() {
    let w = World::new();
    let (mut d, _, pending) = RawDevice::enroll_with_request(&w, "Aviaja-Nuuk");
    type Mutation = fn(&mut akuersi_protocol::approval::ApprovalStatement);
    let mutations: [(&str, Mutation); 9] = [
        ("body", |s| s.texts[0].body.push('!')),
        ("header", |s| s.texts[1].header.replace_range(0..1, "X")),
        ("language", |s| s.texts[2].lang = "fr".into()),
        ("requester name", |s| s.requester_name = "Demo Bamk".into()),
        ("requester id", |s| s.requester_id = "evil-bank".into()),
        ("action", |s| s.action = Action::Sign),
        ("expiry", |s| s.expires_at_ms += 1),
        ("request id", |s| {
            let first = if s.request_id.starts_with('f') {
                "0"
            } else {
                "f"
            };
            s.request_id.replace_range(0..1, first)
        }),
        ("nonce", |s| s.nonce[0] ^= 1),
    ];
    for (i, (what, m)) in mutations.into_iter().enumerate() {
        // Every PIN proof that does not end in a success counts as a failure,
        // so approvals are tried for the first three fields only (below the
        // suspension threshold); rejections for all of them.
        let decisions: &[Decision] = if i < 3 {
            &[Decision::Reject, Decision::Approve]
        } else {
            &[Decision::Reject]
        };
        for &decision in decisions {
            let before = w.digest();
            let (binding, proof) = if decision == Decision::Approve {
                let (b, p, _) = d.pin_proof(&w, &pending, PIN).unwrap();
                (Some(b), Some(p))
            } else {
                (None, None)
            };
            let mut st = d.statement(&pending, decision, binding);
            m(&mut st);
            let mut msg = d.decide_msg(&st, proof);
            msg.request_id = pending.request_id.clone();
            let r: akuersi_core::Result<DecideResponse> = w.send(paths::DECIDE, &msg);
            assert!(
                matches!(
                    &r,
                    Err(Error::Service {
                        code: ErrorCode::BadSignature,
                        ..
                    })
                ),
                "{what}/{decision:?}: {r:?}"
            );
            if decision == Decision::Reject {
                assert_eq!(
                    w.digest(),
                    before,
                    "{what}: a refused decision changed the database"
                );
            }
        }
    }
    // The untouched statement still works.
    let st = d.statement(&pending, Decision::Reject, None);
    let r: DecideResponse = w.send(paths::DECIDE, &d.decide_msg(&st, None)).unwrap();
    assert_eq!(r.status, RequestStatus::Rejected);
}

#[test]
fn a_tampered_text_on_the_way_to_the_app_makes_the_approval_fail() {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "phone");
    let req = w.request("Aviaja-Nuuk");
    // A network attacker rewrites what the app is shown.
    *w.tap.rewrite.lock().unwrap() = Some(Box::new(|path, body| {
        if path == paths::PENDING {
            String::from_utf8(body)
                .unwrap()
                .replace(
                    "Demo Bank-imut iserniarputit",
                    "Demo Bank-imut iserniarputit!",
                )
                .into_bytes()
        } else {
            body
        }
    }));
    phone.app.refresh(phone.id()).unwrap();
    *w.tap.rewrite.lock().unwrap() = None;
    let r = phone.app.approve(phone.id(), &req.request_id, PIN.into());
    assert!(
        matches!(
            &r,
            Err(Error::Service {
                code: ErrorCode::BadSignature,
                ..
            })
        ),
        "{r:?}"
    );
    assert_eq!(w.poll(&req.poll_handle).status, RequestStatus::Pending);
}

#[test]
fn a_device_of_another_identity_is_refused() {
    let w = World::new();
    let mut owner = RawDevice::enroll(&w, "Aviaja-Nuuk");
    let mut stranger = RawDevice::enroll(&w, "Malik-Sisimiut");
    let req = w.request("Aviaja-Nuuk");
    let pending = owner.pending(&w).unwrap().requests.remove(0);
    assert!(stranger.pending(&w).unwrap().requests.is_empty());
    let before = w.digest();
    assert_eq!(
        stranger
            .decline(&w, &pending, Decision::Reject)
            .unwrap_err(),
        Error::RequestNotFound
    );
    assert_eq!(w.digest(), before);
    // Its PIN start is refused before anything is counted (the envelope's
    // sequence number is consumed, nothing else).
    let r = stranger.pin_proof(&w, &pending, PIN);
    assert_eq!(r.err(), Some(Error::RequestNotFound));
    let info = w.service.device_info(&stranger.device_id).unwrap();
    assert_eq!(info.pin_failures, 0);
    // A decision signed by the stranger but claiming the owner's device id fails.
    let mut st = stranger.statement(&pending, Decision::Reject, None);
    st.device_id = owner.device_id.clone();
    let mut msg = stranger.decide_msg(&st, None);
    msg.device_id = owner.device_id.clone();
    let r: akuersi_core::Result<DecideResponse> = w.send(paths::DECIDE, &msg);
    assert!(matches!(
        r,
        Err(Error::Service {
            code: ErrorCode::BadSignature,
            ..
        })
    ));
    assert_eq!(w.poll(&req.poll_handle).status, RequestStatus::Pending);
    owner.approve(&w, &pending, PIN).unwrap();
}

#[test]
fn a_wrong_pin_is_never_accepted() {
    let (w, phone, req) = World::with_fetched_request("Aviaja-Nuuk");
    for (i, pin) in ["730518", "482917", "582916", "000001"].iter().enumerate() {
        let r = phone
            .app
            .approve(phone.id(), &req.request_id, (*pin).into());
        assert_eq!(
            r,
            Err(Error::WrongPin {
                attempts_left: 10 - (i as u32 + 1)
            })
        );
    }
    assert_eq!(w.poll(&req.poll_handle).status, RequestStatus::Pending);
    assert_eq!(
        phone.app.activity(phone.id()).unwrap()[0].kind.as_str(),
        "wrong_pin"
    );

    // A hostile device that sends a confirmation anyway is refused by the service.
    let w = World::new();
    let (mut dev, req, pending) = RawDevice::enroll_with_request(&w, "Aviaja-Nuuk");
    assert_eq!(
        dev.approve(&w, &pending, WRONG_PIN).unwrap_err(),
        Error::WrongPin { attempts_left: 9 }
    );
    // A made-up confirmation for a real session is refused as well.
    let (binding, mut proof, _) = dev.pin_proof(&w, &pending, PIN).unwrap();
    proof.confirm_p[0] ^= 1;
    let r = dev.approve_with(&w, &pending, binding, proof);
    assert_eq!(r.unwrap_err(), Error::WrongPin { attempts_left: 8 });
    // An approval without a PIN proof is refused.
    let st = dev.statement(&pending, Decision::Approve, None);
    let r: akuersi_core::Result<DecideResponse> = w.send(paths::DECIDE, &dev.decide_msg(&st, None));
    assert!(matches!(
        r,
        Err(Error::Service {
            code: ErrorCode::PinRequired,
            ..
        })
    ));
    assert_eq!(w.poll(&req.poll_handle).status, RequestStatus::Pending);
    // The right PIN still works and resets the count.
    dev.approve(&w, &pending, PIN).unwrap();
    assert_eq!(w.pin_failures(&dev.device_id), 0);
}

#[test]
fn an_unknown_user_id_looks_the_same_as_a_known_one() {
    let w = World::new();
    let _phone = w.app("Aviaja-Nuuk", "phone");
    let shape = crate::field_shape;
    let create = |user: &str| {
        let r = w.raw(paths::CREATE_REQUEST, &signed_json(log_on(user), now(&w)));
        (
            r.status,
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap(),
        )
    };
    let (s_known, known) = create("Aviaja-Nuuk");
    let (s_unknown, unknown) = create("Nobody-Here");
    assert_eq!(s_known, 200);
    assert_eq!(s_known, s_unknown);
    assert_eq!(shape(&known), shape(&unknown));
    assert_eq!(known["expires_at_ms"], unknown["expires_at_ms"]);

    let poll = |v: &serde_json::Value| {
        let body = PollRequest {
            poll_handle: v["poll_handle"].as_str().unwrap().into(),
        };
        let r = w.raw(paths::POLL_REQUEST, &signed_json(body, now(&w)));
        (
            r.status,
            serde_json::from_slice::<serde_json::Value>(&r.body).unwrap(),
        )
    };
    let (a, pa) = poll(&known);
    let (b, pb) = poll(&unknown);
    assert_eq!((a, shape(&pa)), (b, shape(&pb)));
    assert_eq!(pa["status"], "pending");
    assert_eq!(pb["status"], "pending");

    // A second request is refused the same way for both.
    let (s1, e1) = create("Aviaja-Nuuk");
    let (s2, e2) = create("nobody-here");
    assert_eq!(s1, s2);
    assert_eq!(e1, e2);
    assert_eq!(e1["code"], "pending_request_exists");

    // And both lapse the same way.
    w.clock.advance_secs(300);
    let (_, pa) = poll(&known);
    let (_, pb) = poll(&unknown);
    assert_eq!(pa["status"], "expired");
    assert_eq!(pb["status"], "expired");

    // Activation: an unknown user ID gets the same answer as a wrong code.
    let d = RawDevice::new();
    let r1 = w.raw(
        paths::ACTIVATE,
        &serde_json::to_vec(&d.activation("Nobody-Here", "ABCD-EFGH-JKMN", PIN)).unwrap(),
    );
    let r2 = w.raw(
        paths::ACTIVATE,
        &serde_json::to_vec(&d.activation("Aviaja-Nuuk", "ABCD-EFGH-JKMN", PIN)).unwrap(),
    );
    assert_eq!(r1.status, r2.status);
    assert_eq!(r1.body, r2.body);
}

#[test]
fn malformed_and_oversized_messages_are_refused_without_change() {
    let w = World::new();
    let _phone = w.app("Aviaja-Nuuk", "phone");
    let before = w.digest();
    let big = vec![b' '; MAX_MESSAGE_BYTES + 1];
    let garbage: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"{".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"{}".to_vec(),
        vec![0xff, 0xfe, 0x00],
        br#"{"poll_handle": 5}"#.to_vec(),
        br#"{"device_id":"00","seq":1,"body":{},"signature":"!!"}"#.to_vec(),
        br#"{"device_id":"00","seq":-1,"body":{},"signature":""}"#.to_vec(),
        "{\"user_id\":\"\u{202e}x\"}".as_bytes().to_vec(),
    ];
    for p in APPROVAL_PATHS {
        let r = w.raw(p, &big);
        assert_eq!((r.status, code_of(&r)), (413, ErrorCode::TooLarge), "{p}");
        for g in &garbage {
            let r = w.raw(p, g);
            assert!(
                r.status >= 400,
                "{p} accepted {:?}",
                String::from_utf8_lossy(g)
            );
            assert_eq!(
                code_of(&r),
                ErrorCode::Malformed,
                "{p} {:?}",
                String::from_utf8_lossy(g)
            );
        }
    }
    let r = w.raw("/v1/nope", b"{}");
    assert_eq!(code_of(&r), ErrorCode::UnknownPath);
    // Unknown fields are refused too.
    let mut v = serde_json::to_value(signed(log_on("Aviaja-Nuuk"), now(&w))).unwrap();
    v["body"]["admin"] = true.into();
    let r = w.raw(paths::CREATE_REQUEST, v.to_string().as_bytes());
    assert_eq!(code_of(&r), ErrorCode::Malformed);
    assert_eq!(w.digest(), before);
}

#[test]
fn bad_request_content_is_refused_without_change() {
    let w = World::new();
    w.identity("Aviaja-Nuuk");
    let before = w.digest();
    let mut long = log_on("Aviaja-Nuuk");
    long.texts[0].body = "x".repeat(131);
    let e = w.service.bank_create(long).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidText);
    assert!(e.message.contains("131"), "{}", e.message);

    for bad_user in [
        "abc",
        "0101901234",
        " Aviaja-Nuuk",
        "Aviaja\u{202e}Nuuk",
        &"a".repeat(49),
    ] {
        let e = w.service.bank_create(log_on(bad_user)).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidUserId, "{bad_user:?}");
    }
    // A requester cannot name itself: a body with a name of its own is
    // refused whole (the name the owner reads is the registry's).
    let mut spoof = serde_json::to_value(signed(log_on("Aviaja-Nuuk"), now(&w))).unwrap();
    spoof["body"]["requester_name"] = "Demo Bank\u{202e}".into();
    let answer = w.raw(paths::CREATE_REQUEST, &serde_json::to_vec(&spoof).unwrap());
    let body: ErrorBody = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body.code, ErrorCode::Malformed);
    let mut ttl = log_on("Aviaja-Nuuk");
    ttl.ttl_seconds = Some(301);
    assert_eq!(
        w.service.bank_create(ttl).unwrap_err().code,
        ErrorCode::InvalidTtl
    );
    assert_eq!(w.digest(), before);
}

#[test]
fn bad_pins_are_refused_on_the_device_before_any_network_call() {
    let w = World::new();
    w.identity("Aviaja-Nuuk");
    let app = w.installation(":memory:");
    let calls = || w.tap.calls.load(std::sync::atomic::Ordering::SeqCst);
    let c0 = calls();
    let code = w.code("Aviaja-Nuuk");
    for (pin, want) in [
        ("12345", akuersi_protocol::pin::PinError::Format),
        ("1234567", akuersi_protocol::pin::PinError::Format),
        ("12a456", akuersi_protocol::pin::PinError::Format),
        ("123456", akuersi_protocol::pin::PinError::TooSimple),
        ("000000", akuersi_protocol::pin::PinError::TooSimple),
        ("121212", akuersi_protocol::pin::PinError::TooSimple),
    ] {
        let r = app.activate(
            "Aviaja-Nuuk".into(),
            code.clone(),
            pin.into(),
            "phone".into(),
        );
        assert_eq!(r.unwrap_err(), Error::Pin(want), "{pin}");
    }
    assert_eq!(calls(), c0);
    assert!(app.profiles().unwrap().is_empty());
    // The code was not used up by any of that.
    app.activate("Aviaja-Nuuk".into(), code, PIN.into(), "phone".into())
        .unwrap();

    // At approval time the format is checked locally too.
    let phone = w.app("Aviaja-Nuuk", "tablet");
    let req = w.request("Aviaja-Nuuk");
    phone.app.refresh(phone.id()).unwrap();
    let c1 = calls();
    assert!(matches!(
        phone.app.approve(phone.id(), &req.request_id, "12".into()),
        Err(Error::Pin(_))
    ));
    assert_eq!(calls(), c1);
}

#[test]
fn wrong_used_and_lapsed_activation_codes_are_refused() {
    let w = World::new();
    w.identity("Aviaja-Nuuk");
    let code = w.code("Aviaja-Nuuk");
    let app = w.installation(":memory:");
    let act = |c: &str| app.activate("Aviaja-Nuuk".into(), c.into(), PIN.into(), "phone".into());
    // Used code.
    act(&code).unwrap();
    let other = w.installation(":memory:");
    assert_eq!(
        other
            .activate(
                "Aviaja-Nuuk".into(),
                code.clone(),
                PIN.into(),
                "tablet".into()
            )
            .unwrap_err(),
        Error::InvalidActivationCode
    );
    // Lapsed SMS code (30 minutes).
    let sms = w
        .service
        .issue_activation_code("Aviaja-Nuuk", CodeChannel::Sms)
        .unwrap();
    assert_eq!(sms.expires_at_ms, now(&w) + 30 * 60_000);
    w.clock.advance_secs(30 * 60);
    assert_eq!(
        other
            .activate(
                "Aviaja-Nuuk".into(),
                sms.code.clone(),
                PIN.into(),
                "tablet".into()
            )
            .unwrap_err(),
        Error::InvalidActivationCode
    );
    // Three wrong tries block a code, even the right one afterwards.
    let good = w.code("Aviaja-Nuuk");
    let wrong = ["AAAA-BBBB-CCCC", "AAAA-BBBB-CCCD", "AAAA-BBBB-CCCE"];
    let results: Vec<_> = wrong
        .iter()
        .map(|c| {
            other.activate(
                "Aviaja-Nuuk".into(),
                (*c).into(),
                PIN.into(),
                "tablet".into(),
            )
        })
        .collect();
    assert_eq!(results[0], Err(Error::InvalidActivationCode));
    assert_eq!(results[1], Err(Error::InvalidActivationCode));
    // The third blocks the code, but a wrong code's answer never says so
    // (PROTOCOL §9.7): only the holder of the right code learns it.
    assert_eq!(results[2], Err(Error::InvalidActivationCode));
    assert_eq!(
        other
            .activate("Aviaja-Nuuk".into(), good, PIN.into(), "tablet".into())
            .unwrap_err(),
        Error::ActivationCodeBlocked
    );
    assert!(other.profiles().unwrap().is_empty());
    // Lower case and without dashes is the same code.
    let fresh = w.code("Aviaja-Nuuk").replace('-', "").to_lowercase();
    other
        .activate("Aviaja-Nuuk".into(), fresh, PIN.into(), "tablet".into())
        .unwrap();
}

#[test]
fn at_most_three_active_devices() {
    let w = World::new();
    for i in 0..3 {
        RawDevice::enroll(&w, "Aviaja-Nuuk");
        let _ = i;
    }
    let code = w.code("Aviaja-Nuuk");
    let before = w.digest();
    let d = RawDevice::new();
    let e = w
        .service
        .activate(d.activation("Aviaja-Nuuk", &code, PIN))
        .unwrap_err();
    assert_eq!(e.code, ErrorCode::DeviceLimit);
    assert_eq!(
        w.digest(),
        before,
        "the code is not used up by a refused activation"
    );
}

#[test]
fn decide_on_lapsed_foreign_or_decided_requests_changes_nothing() {
    let w = World::new();
    let mut a = RawDevice::enroll(&w, "Aviaja-Nuuk");
    let b = RawDevice::enroll(&w, "Malik-Sisimiut");
    w.request("Aviaja-Nuuk");
    let p = a.pending(&w).unwrap().requests.remove(0);
    // Foreign.
    let before = w.digest();
    assert_eq!(
        b.decline(&w, &p, Decision::Reject).unwrap_err(),
        Error::RequestNotFound
    );
    assert_eq!(w.digest(), before);
    // Decided.
    a.decline(&w, &p, Decision::Reject).unwrap();
    let before = w.digest();
    assert_eq!(
        a.decline(&w, &p, Decision::Report).unwrap_err(),
        Error::AlreadyDecided
    );
    assert_eq!(w.digest(), before);
    // Lapsed.
    w.request("Aviaja-Nuuk");
    let p = a.pending(&w).unwrap().requests.remove(0);
    w.clock.advance_secs(301);
    let before = w.digest();
    assert_eq!(
        a.decline(&w, &p, Decision::Reject).unwrap_err(),
        Error::RequestExpired
    );
    assert_eq!(w.digest(), before);
    // Unknown request id.
    let mut ghost = p.clone();
    ghost.request_id = "0".repeat(32);
    assert_eq!(
        a.decline(&w, &ghost, Decision::Reject).unwrap_err(),
        Error::RequestNotFound
    );
    assert_eq!(w.digest(), before);
}
