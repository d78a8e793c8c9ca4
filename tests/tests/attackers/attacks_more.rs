//! More attacks, each a test: user-ID enumeration by answer shape and by
//! timing, lock-out attempts by someone who knows only a user ID, envelopes
//! replayed to another endpoint, PIN-proof sessions used out of order or for
//! something else, cross-identity device additions, and stale pairing
//! payloads.
//!
//! Covered elsewhere (not repeated here): replayed envelopes and decisions,
//! a signature over a changed field or another request, a foreign device's
//! decision or PIN start (`attacks.rs`); the hourly request cap and
//! create-and-cancel flooding, spoofing texts and look-alike names
//! (`flows/what_the_user_sees.rs`); late, early, reused and cross-identity pairing
//! codes (`flows/identity_care.rs`); lock-out by wrong PINs (`lockout.rs`).

use std::time::Instant;

use akuersi_core::transport::Transport;
use akuersi_protocol::approval::{Decision, PakeBinding};
use akuersi_protocol::wire::*;
use akuersi_testkit::*;
use serde_json::Value;

const OWNER: &str = "Aviaja-Nuuk";
const OTHER: &str = "Malik-Sisimiut";

/// Status, and each field's name and length: what an observer can compare
/// without knowing the random values.
type Shape = (u16, Vec<(String, usize)>);

fn shape(r: &akuersi_core::transport::TransportResponse) -> Shape {
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    (r.status, crate::field_shape(&v))
}

/// A PIN proof for a session the service never started.
fn made_up_proof() -> PakeProof {
    PakeProof {
        session_id: "0".repeat(32),
        confirm_p: vec![0; 32],
    }
}

fn body(r: &akuersi_core::transport::TransportResponse) -> Value {
    serde_json::from_slice(&r.body).unwrap()
}

fn create(w: &World, user: &str) -> akuersi_core::transport::TransportResponse {
    w.raw(paths::CREATE_REQUEST, &signed_json(log_on(user), now(w)))
}

/// A poll or cancel of the request `created` answered, signed by Demo Bank.
fn by_handle(w: &World, path: &str, created: &Value) -> akuersi_core::transport::TransportResponse {
    let poll_handle = created["poll_handle"].as_str().unwrap().to_owned();
    let body = if path == paths::CANCEL_REQUEST {
        signed_json(CancelRequest { poll_handle }, now(w))
    } else {
        signed_json(PollRequest { poll_handle }, now(w))
    };
    w.raw(path, &body)
}

/// A world with a known identity (one device), a frozen one, and nothing
/// for "Nobody-Here".
fn three_kinds() -> (World, [&'static str; 3]) {
    let w = World::new();
    w.app(OWNER, "phone");
    w.app(OTHER, "phone");
    w.service.operator_freeze(OTHER, true).unwrap();
    (w, [OWNER, "Nobody-Here", OTHER])
}

#[test]
fn known_unknown_and_frozen_user_ids_answer_alike() {
    let (w, users) = three_kinds();
    // Create, poll, a second create (refused), cancel, poll again, and a
    // cancel of the cancelled request: the same shape for all three.
    let mut answers: Vec<Vec<Shape>> = Vec::new();
    for user in users {
        let first = create(&w, user);
        let created = body(&first);
        let mut a = vec![shape(&first)];
        a.push(shape(&by_handle(&w, paths::POLL_REQUEST, &created)));
        let again = create(&w, user);
        assert_eq!(body(&again)["code"], "pending_request_exists");
        a.push(shape(&again));
        a.push(shape(&by_handle(&w, paths::CANCEL_REQUEST, &created)));
        a.push(shape(&by_handle(&w, paths::POLL_REQUEST, &created)));
        let twice = by_handle(&w, paths::CANCEL_REQUEST, &created);
        assert_eq!(body(&twice)["code"], "request_cancelled");
        a.push(shape(&twice));
        answers.push(a);
    }
    assert_eq!(answers[0], answers[1], "known vs unknown");
    assert_eq!(answers[0], answers[2], "known vs frozen");

    // Activation with a wrong code: byte-for-byte the same answer.
    let d = RawDevice::new();
    let bodies: Vec<_> = users
        .iter()
        .map(|u| {
            let m = d.activation(u, "ABCD-EFGH-JKMN", PIN);
            let r = w.raw(paths::ACTIVATE, &serde_json::to_vec(&m).unwrap());
            (r.status, r.body)
        })
        .collect();
    assert_eq!(bodies[0], bodies[1]);
    assert_eq!(bodies[0], bodies[2]);

    // The hourly cap answers alike too (the flooding itself:
    // flows/what_the_user_sees.rs).
    let mut capped = Vec::new();
    for user in users {
        let mut last = None;
        for _ in 0..12 {
            let r = create(&w, user);
            if r.status == 200 {
                // Let it lapse so the next one is allowed.
                w.clock.advance_secs(300);
            } else if body(&r)["code"] == "rate_limited" {
                last = Some((r.status, r.body));
                break;
            }
        }
        capped.push(last.expect("the cap was reached"));
    }
    assert_eq!(capped[0], capped[1]);
    assert_eq!(capped[0], capped[2]);
}

/// Medians of many in-process calls for known, unknown and frozen user IDs,
/// interleaved so drift hits all three alike. The bound (within a factor of
/// 2 of the known ID's median) is loose on purpose: it catches a difference
/// in the work done (a signature, a hash, a disk write for one kind only),
/// not nanoseconds, and it must not flake on a busy 2-core machine.
#[test]
fn known_unknown_and_frozen_user_ids_take_the_same_time() {
    const N: usize = 150;
    let w = World::with_config(
        ":memory:",
        akuersi_server::ServiceConfig {
            max_requests_per_hour: u32::MAX,
            min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
            ..Default::default()
        },
    );
    // Distinct user IDs per sample so no slot or cap is in the way.
    let name = |kind: &str, i: usize| format!("{kind}-user-{i:03}");
    for i in 0..N {
        w.identity(&name("known", i));
        w.identity(&name("frozen", i));
        w.service.operator_freeze(&name("frozen", i), true).unwrap();
    }
    let kinds = ["known", "unknown", "frozen"];
    let mut t: Vec<[Vec<f64>; 4]> = (0..3).map(|_| Default::default()).collect();
    let d = RawDevice::new();
    for i in 0..N {
        for k in 0..3 {
            let k = (k + i) % 3;
            let user = name(kinds[k], i);
            let s = Instant::now();
            let created = w.service.bank_create(log_on(&user)).unwrap();
            t[k][0].push(s.elapsed().as_secs_f64());
            let s = Instant::now();
            w.service.bank_poll(&created.poll_handle).unwrap();
            t[k][1].push(s.elapsed().as_secs_f64());
            let s = Instant::now();
            w.service.bank_cancel(&created.poll_handle).unwrap();
            t[k][2].push(s.elapsed().as_secs_f64());
            let m = d.activation(&user, "ABCD-EFGH-JKMN", PIN);
            let s = Instant::now();
            let e = w.service.activate(m).unwrap_err();
            t[k][3].push(s.elapsed().as_secs_f64());
            assert_eq!(e.code, ErrorCode::InvalidActivationCode);
        }
    }
    let what = ["create", "poll", "cancel", "activate"];
    for (op, label) in what.iter().enumerate() {
        let medians: Vec<f64> = (0..3).map(|k| median(&mut t[k][op])).collect();
        println!(
            "{label:>8}: known {:.1} µs, unknown {:.1} µs, frozen {:.1} µs",
            medians[0] * 1e6,
            medians[1] * 1e6,
            medians[2] * 1e6
        );
        for k in 1..3 {
            let ratio = medians[k] / medians[0];
            assert!(
                (0.5..=2.0).contains(&ratio),
                "{label}: {} takes {ratio:.2} times as long as known",
                kinds[k]
            );
        }
    }
}

/// Every device endpoint, sent by someone who has no device key: the
/// owner's device id on messages signed with another key.
fn forge_everything(
    w: &World,
    attacker: &mut RawDevice,
    request_id: &str,
) -> Vec<(&'static str, ErrorCode)> {
    let t: &dyn Transport = w.tap.as_ref();
    let pake = || PakeProof {
        session_id: "0".repeat(32),
        confirm_p: vec![1; 32],
    };
    let mut codes = Vec::new();
    macro_rules! forge {
        ($path:expr, $body:expr) => {{
            let r: akuersi_core::Result<Value> = attacker.send_signed(t, $path, $body);
            codes.push(($path, code_of(&r).expect("refused")));
        }};
    }
    forge!(paths::PENDING, PendingQuery {});
    forge!(
        paths::PIN_START,
        PinStart {
            purpose: PinPurpose::Request {
                request_id: request_id.into()
            },
            share_p: vec![4; 65],
        }
    );
    forge!(
        paths::CHANNEL_CHECK,
        ChannelCheck {
            request_id: request_id.into(),
            answer: "0000".into()
        }
    );
    forge!(
        paths::PIN_FAILED,
        PinFailed {
            session_id: "0".repeat(32)
        }
    );
    forge!(paths::DEVICES, DeviceListQuery {});
    forge!(
        paths::RENAME_DEVICE,
        RenameDevice {
            device_id: attacker.device_id.clone(),
            name: "mine".into()
        }
    );
    forge!(
        paths::REMOVE_DEVICE,
        RemoveDevice {
            device_id: attacker.device_id.clone(),
            allow_last: true,
            pake: pake()
        }
    );
    forge!(paths::FREEZE, Freeze {});
    forge!(
        paths::UNFREEZE,
        Unfreeze {
            pake: pake(),
            activation_code: None
        }
    );
    forge!(paths::STATUS, IdentityStatusQuery {});
    forge!(paths::ADDITION_START, StartAddition { pake: pake() });
    forge!(
        paths::ADDITION_VETO,
        VetoAddition {
            addition_id: "0".repeat(32)
        }
    );
    forge!(
        paths::ADDITION_PAIRING,
        PairingOffer {
            addition_id: "0".repeat(32)
        }
    );
    forge!(paths::NOTIFICATIONS, NotificationsQuery { after_id: 0 });
    forge!(
        paths::ACTIVITY,
        ActivityQuery {
            after_seq: 0,
            limit: 10
        }
    );
    forge!(
        paths::CHANGE_USER_ID,
        ChangeUserId {
            new_user_id: "Stolen-Name".into(),
            pake: pake()
        }
    );
    forge!(
        paths::CHANGE_CONTACT,
        ChangeContact {
            phone: Some("+299000000".into()),
            email: None,
            pake: pake()
        }
    );
    forge!(
        paths::CHANGE_SETTINGS,
        ChangeSettings {
            notify_every_use: false,
            pake: pake()
        }
    );
    forge!(
        paths::CHANGE_PIN,
        ChangePin {
            verifier: RawDevice::new().activation(OWNER, "-", PIN).verifier,
            pake: pake()
        }
    );
    codes
}

#[test]
fn a_user_id_alone_cannot_use_up_pin_attempts_or_block_anything() {
    let w = World::new();
    let mut phone = RawDevice::enroll(&w, OWNER);
    let mut tablet = RawDevice::enroll(&w, OWNER);
    let req = w.request(OWNER);
    let pending = phone.pending(&w).unwrap().requests.remove(0);
    let counters = |w: &World| {
        [&phone.device_id, &tablet.device_id].map(|d| {
            let i = w.service.device_info(d).unwrap();
            (i.pin_failures, i.lock, i.status)
        })
    };
    let before = counters(&w);

    // Everything a requester can do: requests up to the cap, polls and
    // cancels with made-up handles.
    for _ in 0..20 {
        let _ = w.service.bank_create(log_on(OWNER));
        let _ = w
            .service
            .bank_poll("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        let _ = w
            .service
            .bank_cancel("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    }
    // Activation with guessed codes, with a new device id and with the
    // owner's (it cannot sign as the owner's key).
    for guess in ["AAAA-BBBB-CCCC", "AAAA-BBBB-CCCD", "AAAA-BBBB-CCCE", "XXXX"] {
        let _ = w
            .service
            .activate(RawDevice::new().activation(OWNER, guess, PIN));
        let mut m = RawDevice::new().activation(OWNER, guess, PIN);
        m.device_id = phone.device_id.clone();
        assert_eq!(
            w.service.activate(m).unwrap_err().code,
            ErrorCode::Malformed
        );
    }
    // Every device endpoint, as each of the owner's devices, signed with
    // the attacker's key, with a huge sequence number too.
    for victim in [&phone.device_id, &tablet.device_id] {
        let mut attacker = RawDevice::new();
        attacker.device_id = victim.clone();
        for (path, code) in forge_everything(&w, &mut attacker, &req.request_id) {
            assert_eq!(code, ErrorCode::BadSignature, "{path}");
        }
        let mut far = attacker.envelope(Freeze {});
        far.seq = u64::MAX;
        far.signature = RawDevice::new().sign(b"anything");
        let r: akuersi_core::Result<Ack> = w.send(paths::FREEZE, &far);
        assert_eq!(code_of(&r), Some(ErrorCode::BadSignature));
    }
    // Decisions claiming the owner's device: a made-up PIN session, a
    // rejection signed by another key.
    let mut attacker = RawDevice::new();
    attacker.device_id = phone.device_id.clone();
    let st = attacker.statement(&pending, Decision::Approve, None);
    let made_up = made_up_proof();
    let r: akuersi_core::Result<DecideResponse> =
        w.send(paths::DECIDE, &attacker.decide_msg(&st, Some(made_up)));
    assert_eq!(code_of(&r), Some(ErrorCode::PinSessionInvalid));
    let r = attacker.decline_via(w.tap.as_ref(), &pending, Decision::Reject);
    assert_eq!(code_of(&r), Some(ErrorCode::BadSignature));
    // A pairing completion for an addition that does not exist.
    let m = RawDevice::new().pairing(&"0".repeat(32), &[0; 16], PIN);
    let r: akuersi_core::Result<ActivateResponse> = w.send(paths::ADDITION_COMPLETE, &m);
    assert_eq!(code_of(&r), Some(ErrorCode::PairingInvalid));
    // The operator API without the token.
    let r = w.raw(
        paths::OPERATOR_FREEZE,
        br#"{"token":"guess","user_id":"Aviaja-Nuuk","frozen":true}"#,
    );
    assert_eq!(body(&r)["code"], "unauthorized");

    // Nothing of the owner's moved: no attempt counted, nothing suspended,
    // blocked, removed or frozen; the request is untouched; the owner's
    // own sequence numbers still work (none were used up by the forgeries).
    assert_eq!(counters(&w), before);
    assert_eq!(w.poll(&req.poll_handle).status, RequestStatus::Pending);
    let status: IdentityStatus = tablet
        .send_signed(w.tap.as_ref(), paths::STATUS, IdentityStatusQuery {})
        .unwrap();
    assert!(!status.frozen);
    assert!(status.additions.is_empty());
    assert_eq!(status.user_id, OWNER);
    let done = phone.approve(&w, &pending, PIN).unwrap();
    assert_eq!(done.status, RequestStatus::Approved);
}

#[test]
fn an_envelope_sent_to_another_endpoint_is_refused() {
    let w = World::new();
    let mut phone = RawDevice::enroll(&w, OWNER);
    // Intercepted before delivery (its sequence number is still fresh) and
    // delivered elsewhere: every empty-bodied message looks alike on the
    // wire, but each is signed under its own domain tag.
    let before = w.digest();
    let pending = serde_json::to_vec(&phone.envelope(PendingQuery {})).unwrap();
    let status = serde_json::to_vec(&phone.envelope(IdentityStatusQuery {})).unwrap();
    let devices = serde_json::to_vec(&phone.envelope(DeviceListQuery {})).unwrap();
    for (captured, targets) in [
        (&pending, [paths::FREEZE, paths::DEVICES, paths::STATUS]),
        (&status, [paths::FREEZE, paths::PENDING, paths::DEVICES]),
        (&devices, [paths::FREEZE, paths::STATUS, paths::PENDING]),
    ] {
        for path in targets {
            let r = w.raw(path, captured);
            assert_eq!(body(&r)["code"], "bad_signature", "{path}");
        }
    }
    assert_eq!(
        w.digest(),
        before,
        "a misdirected envelope changed something"
    );
    // Delivered where it belongs, each still works.
    assert_eq!(w.raw(paths::PENDING, &pending).status, 200);
    let s: IdentityStatus = serde_json::from_slice(&w.raw(paths::STATUS, &status).body).unwrap();
    assert!(!s.frozen);
}

#[test]
fn pin_sessions_are_bound_to_their_request_purpose_device_and_order() {
    let w = World::new();
    let mut phone = RawDevice::enroll(&w, OWNER);
    let tablet = RawDevice::enroll(&w, OWNER);
    let t: &dyn Transport = w.tap.as_ref();
    let first = w.request(OWNER);
    let p1 = phone.pending(&w).unwrap().requests.remove(0);

    // A decision sent before its pin-start (reordered): no such session.
    let before = w.digest();
    let st = phone.statement(&p1, Decision::Approve, None);
    let early = made_up_proof();
    let r: akuersi_core::Result<DecideResponse> =
        w.send(paths::DECIDE, &phone.decide_msg(&st, Some(early)));
    assert_eq!(code_of(&r), Some(ErrorCode::PinSessionInvalid));
    assert_eq!(w.digest(), before);

    // A session for the request, used to start a device addition or remove
    // a device: refused, and the session is still good for its request.
    let (binding, proof, _) = phone.request_proof(t, &p1, PIN).unwrap();
    // A second session for the same request, kept for later.
    let (_, spare, _) = phone.request_proof(t, &p1, PIN).unwrap();
    let r: akuersi_core::Result<AdditionView> = phone.send_signed(
        t,
        paths::ADDITION_START,
        StartAddition {
            pake: proof.clone(),
        },
    );
    assert_eq!(code_of(&r), Some(ErrorCode::PinSessionInvalid));
    let r: akuersi_core::Result<Ack> = phone.send_signed(
        t,
        paths::REMOVE_DEVICE,
        RemoveDevice {
            device_id: tablet.device_id.clone(),
            allow_last: false,
            pake: proof.clone(),
        },
    );
    assert_eq!(code_of(&r), Some(ErrorCode::PinSessionInvalid));
    // Another device of the same identity cannot finish it.
    let r = tablet.approve_with(&w, &p1, binding.clone(), proof.clone());
    assert_eq!(code_of(&r), Some(ErrorCode::PinSessionInvalid));
    // Its own device can.
    let r = phone.approve_with(&w, &p1, binding, proof).unwrap();
    assert_eq!(r.status, RequestStatus::Approved);
    assert_eq!(
        w.poll(&first.poll_handle).evidence.unwrap().device_id,
        phone.device_id
    );

    // The next request: a session opened for the first one (before it was
    // decided) cannot approve it, nor can a session for adding a device.
    w.request(OWNER);
    let p2 = phone.pending(&w).unwrap().requests.remove(0);
    let (b2, pr2, _) = phone.request_proof(t, &p2, PIN).unwrap();
    for foreign in [
        spare,
        phone
            .operation_proof(t, PinPurpose::AddDevice, PIN)
            .unwrap()
            .0,
    ] {
        let binding = PakeBinding {
            session_id: foreign.session_id.clone(),
            ..b2.clone()
        };
        let r = phone.approve_with(&w, &p2, binding, foreign);
        assert_eq!(code_of(&r), Some(ErrorCode::PinSessionInvalid));
    }
    // Its own session still approves it, and the right PIN resets the count.
    let r = phone.approve_with(&w, &p2, b2, pr2).unwrap();
    assert_eq!(r.status, RequestStatus::Approved);
    assert_eq!(w.pin_failures(&phone.device_id), 0);
}

/// Start an addition from `dev` and wait it out; returns its id.
fn ready_addition(w: &World, dev: &mut RawDevice) -> String {
    let t: &dyn Transport = w.tap.as_ref();
    let (pake, _) = dev.operation_proof(t, PinPurpose::AddDevice, PIN).unwrap();
    let v: AdditionView = dev
        .send_signed(t, paths::ADDITION_START, StartAddition { pake })
        .unwrap();
    v.addition_id
}

fn offer(w: &World, dev: &mut RawDevice, addition_id: &str) -> akuersi_core::Result<String> {
    let r: PairingPayloadResponse = dev.send_signed(
        w.tap.as_ref(),
        paths::ADDITION_PAIRING,
        PairingOffer {
            addition_id: addition_id.into(),
        },
    )?;
    Ok(r.payload)
}

fn complete(w: &World, payload: &str) -> akuersi_core::Result<ActivateResponse> {
    let (id, secret) = parse_pairing_payload(payload).unwrap();
    let m = RawDevice::new().pairing(&id, &secret[..], PIN);
    w.send(paths::ADDITION_COMPLETE, &m)
}

#[test]
fn another_identitys_addition_cannot_be_vetoed_shown_or_joined_into_ours() {
    let w = World::new();
    let mut a = RawDevice::enroll(&w, OWNER);
    let mut b = RawDevice::enroll(&w, OTHER);
    let a_add = ready_addition(&w, &mut a);
    let b_add = ready_addition(&w, &mut b);
    w.clock.advance_secs(3600);
    let t: &dyn Transport = w.tap.as_ref();
    // A's device cannot stop or show B's addition (and the other way round).
    for (dev, theirs) in [(&mut a, &b_add), (&mut b, &a_add)] {
        let r: akuersi_core::Result<Ack> = dev.send_signed(
            t,
            paths::ADDITION_VETO,
            VetoAddition {
                addition_id: theirs.clone(),
            },
        );
        assert_eq!(code_of(&r), Some(ErrorCode::PairingInvalid));
        assert_eq!(
            code_of(&offer(&w, dev, theirs)),
            Some(ErrorCode::PairingInvalid)
        );
    }
    // B's payload, scanned by a device meant for A (a swapped QR code):
    // it joins B, never A.
    let payload = offer(&w, &mut b, &b_add).unwrap();
    let a_identity = w.service.device_info(&a.device_id).unwrap().identity_id;
    let b_identity = w.service.device_info(&b.device_id).unwrap().identity_id;
    let joined = complete(&w, &payload).unwrap();
    assert_eq!(joined.identity_id, b_identity);
    assert_ne!(joined.identity_id, a_identity);
    // A's addition is still open and still A's.
    let a_payload = offer(&w, &mut a, &a_add).unwrap();
    assert_eq!(complete(&w, &a_payload).unwrap().identity_id, a_identity);
}

#[test]
fn stale_pairing_payloads_are_refused() {
    let w = World::new();
    let mut a = RawDevice::enroll(&w, OWNER);
    let add = ready_addition(&w, &mut a);
    w.clock.advance_secs(3600);
    // Shown twice: the first payload is replaced, and using it counts as a
    // wrong try.
    let old = offer(&w, &mut a, &add).unwrap();
    let new = offer(&w, &mut a, &add).unwrap();
    assert_ne!(old, new);
    // The third wrong try closes the addition: the fresh payload is dead too.
    for _ in 0..3 {
        assert_eq!(
            code_of(&complete(&w, &old)),
            Some(ErrorCode::PairingInvalid)
        );
    }
    assert_eq!(
        code_of(&complete(&w, &new)),
        Some(ErrorCode::PairingInvalid)
    );
    assert_eq!(
        code_of(&offer(&w, &mut a, &add)),
        Some(ErrorCode::PairingInvalid)
    );

    // A payload shown, then the addition vetoed from another device.
    let mut tablet = RawDevice::enroll(&w, OWNER);
    let add = ready_addition(&w, &mut a);
    w.clock.advance_secs(3600);
    let shown = offer(&w, &mut a, &add).unwrap();
    let _: Ack = tablet
        .send_signed(
            w.tap.as_ref(),
            paths::ADDITION_VETO,
            VetoAddition {
                addition_id: add.clone(),
            },
        )
        .unwrap();
    assert_eq!(
        code_of(&complete(&w, &shown)),
        Some(ErrorCode::PairingInvalid)
    );

    // A payload shown, then the identity frozen and unfrozen by support.
    let add = ready_addition(&w, &mut a);
    w.clock.advance_secs(3600);
    let shown = offer(&w, &mut a, &add).unwrap();
    w.service.operator_freeze(OWNER, true).unwrap();
    w.service.operator_freeze(OWNER, false).unwrap();
    assert_eq!(
        code_of(&complete(&w, &shown)),
        Some(ErrorCode::PairingInvalid)
    );
    // No device joined through any of it.
    let identity = w.service.device_info(&a.device_id).unwrap().identity_id;
    let joined = w
        .service
        .activity(&identity)
        .unwrap()
        .iter()
        .filter(|e| e.kind.as_str() == "device_added")
        .count();
    assert_eq!(joined, 0);
}

#[test]
fn out_of_range_fields_are_malformed_and_change_nothing() {
    let w = World::new();
    let mut phone = RawDevice::enroll(&w, OWNER);
    let before = w.digest();
    let code = |path: &str, v: &Value| body(&w.raw(path, v.to_string().as_bytes()))["code"].clone();
    // seq is defined from 1 to 2^63 - 1 only, even when correctly signed.
    for seq in [0, 1u64 << 63, u64::MAX] {
        let bytes = DeviceSigned::signed_bytes(&phone.device_id, seq, &PendingQuery {});
        let v = serde_json::json!({
            "device_id": phone.device_id,
            "seq": seq,
            "body": {},
            "signature": akuersi_protocol::encoding::b64_encode(&phone.sign(&bytes)),
        });
        assert_eq!(code(paths::PENDING, &v), "malformed", "seq {seq}");
    }
    // A purpose kind without fields of its own carries none: no attempt is
    // counted for a message the service cannot read.
    for (kind, extra) in [
        ("add_device", ("foo", "1")),
        ("change_pin", ("device_id", "d")),
        ("unfreeze", ("request_id", "r")),
    ] {
        let mut v = serde_json::to_value(phone.envelope(PinStart {
            purpose: PinPurpose::AddDevice,
            share_p: vec![4; 65],
        }))
        .unwrap();
        v["body"]["purpose"] = serde_json::json!({ "kind": kind, extra.0: extra.1 });
        assert_eq!(code(paths::PIN_START, &v), "malformed", "{kind}");
    }
    // A signature of the wrong length is malformed, not a bad signature.
    for len in [63, 65] {
        let mut v = serde_json::to_value(phone.envelope(PendingQuery {})).unwrap();
        v["signature"] = akuersi_protocol::encoding::b64_encode(&vec![1; len]).into();
        assert_eq!(code(paths::PENDING, &v), "malformed", "{len} bytes");
        let mut a = serde_json::to_value(RawDevice::new().activation(OWNER, "x", PIN)).unwrap();
        a["signature"] = akuersi_protocol::encoding::b64_encode(&vec![1; len]).into();
        assert_eq!(code(paths::ACTIVATE, &a), "malformed", "{len} bytes");
    }
    assert_eq!(w.digest(), before, "a malformed message changed something");
    assert_eq!(w.pin_failures(&phone.device_id), 0);
}

#[test]
fn a_taken_user_id_uses_up_the_proof_that_was_checked() {
    // PROTOCOL §8.6 and §12.7: a refusal after a checked proof commits, so
    // the proof cannot be sent again with another user ID.
    let w = World::new();
    let mut phone = RawDevice::enroll(&w, OWNER);
    w.identity("Taken-Name");
    let (pake, _) = phone
        .operation_proof(w.tap.as_ref(), PinPurpose::ChangeUserId, PIN)
        .unwrap();
    let change = |phone: &mut RawDevice, id: &str| {
        phone.send_signed::<_, Ack>(
            w.tap.as_ref(),
            paths::CHANGE_USER_ID,
            ChangeUserId {
                new_user_id: id.into(),
                pake: pake.clone(),
            },
        )
    };
    let code = |r: akuersi_core::Result<Ack>| match r {
        Err(akuersi_core::Error::Service { code, .. }) => Some(code),
        _ => None,
    };
    assert_eq!(
        code(change(&mut phone, "taken-name")),
        Some(ErrorCode::IdentityExists)
    );
    let again = code(change(&mut phone, "Free-Name"));
    assert!(
        matches!(again, Some(c) if c != ErrorCode::IdentityExists),
        "{again:?}"
    );
    assert_eq!(
        w.pin_failures(&phone.device_id),
        0,
        "a right PIN is no failure"
    );
    // The second try changed nothing: the name is still free.
    assert!(w.service.create_identity("Free-Name").is_ok());
}

#[test]
fn a_missing_operator_token_is_malformed_and_a_wrong_one_unauthorized() {
    let w = World::new();
    w.identity(OWNER);
    let before = w.digest();
    let send = |v: Value| {
        let r = w.raw(paths::OPERATOR_FREEZE, v.to_string().as_bytes());
        (r.status, body(&r)["code"].clone())
    };
    assert_eq!(
        send(serde_json::json!({ "user_id": OWNER, "frozen": true })),
        (400, "malformed".into())
    );
    assert_eq!(
        send(serde_json::json!({ "token": "not-it", "user_id": OWNER, "frozen": true })),
        (401, "unauthorized".into())
    );
    assert_eq!(w.digest(), before);
}
