//! SPAKE2+ against invalid points, end to end. A share that is not a valid,
//! non-identity P-256 point in uncompressed form — off the curve, the
//! identity, compressed or hybrid, a coordinate ≥ p, the wrong length — is
//! refused on both sides:
//!
//! * shareP, at the service through `api::handle` on `/v1/device/pin-start`:
//!   `malformed` (400), and nothing changes — no PIN attempt is counted, no
//!   PIN-proof session opens, the sequence number is not used up;
//! * shareV, on the device: `spake2plus::Prover::finish` fails with
//!   `InvalidShare`, and an app whose pin-start answer is rewritten on the
//!   way refuses to go on: it reports no wrong PIN and signs no decision.
//!
//! (A share equal to w0·M or w0·N, which would make Z the identity, is
//! refused too; that needs w0 and lives in the unit tests of spake2plus.rs.)

use akuersi_core::Error;
use akuersi_protocol::pin::{derive_pake_secrets, Pin, MIN_KDF_ITERATIONS, PAKE_VERIFIER_ID};
use akuersi_protocol::spake2plus::{PakeContext, PakeError, Prover};
use akuersi_protocol::wire::*;
use akuersi_testkit::*;

/// The field prime of P-256, big-endian.
const P: [u8; 32] = [
    0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
];

/// Points on the curve whose x (first) or y (second) coordinate is below
/// 2^256 − p, so that adding p still fits in 32 bytes: (5, y), found by
/// trying small x, and the public key of Wycheproof tcId 247.
const SMALL_X: &str = "040000000000000000000000000000000000000000000000000000000000000005\
                       459243b9aa581806fe913bce99817ade11ca503c64d9a3c533415c083248fbcc";
const SMALL_Y: &str = "04bcbb2914c79f045eaa6ecbbc612816b3be5d2d6796707d8125e9f851c18af015\
                       000000001352bb4a0fa2ea4cceb9ab63dd684ade5a1127bcf300a698a7193bc2";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// `a + p` for a 32-byte big-endian `a` (must not overflow).
fn plus_p(a: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = u16::from(a[i]) + u16::from(P[i]) + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0, "a + p overflows");
    out
}

/// A valid share to derive the invalid ones from.
fn good_share() -> [u8; 65] {
    let pin = Pin::new(PIN.into()).unwrap();
    let (w0, w1) = derive_pake_secrets(&pin, &[7; 32], "device", MIN_KDF_ITERATIONS);
    let ctx = PakeContext {
        context: b"invalid points",
        id_prover: b"device",
        id_verifier: PAKE_VERIFIER_ID,
    };
    Prover::start(&ctx, &w0, &w1).1
}

/// Every kind of invalid share, with what it is.
fn invalid_shares() -> Vec<(&'static str, Vec<u8>)> {
    let good = good_share();
    let mut off_curve = good.to_vec();
    off_curve[64] ^= 1;
    let mut compressed = vec![0x02 | (good[64] & 1)];
    compressed.extend_from_slice(&good[1..33]);
    let mut compressed_wrong_parity = compressed.clone();
    compressed_wrong_parity[0] ^= 1;
    let mut hybrid = good.to_vec();
    hybrid[0] = 0x06 | (good[64] & 1);
    let mut prefix_05 = good.to_vec();
    prefix_05[0] = 0x05;

    let small_x = unhex(SMALL_X);
    let small_y = unhex(SMALL_Y);
    let mut x_plus_p = vec![0x04];
    x_plus_p.extend_from_slice(&plus_p(&small_x[1..33]));
    x_plus_p.extend_from_slice(&small_x[33..]);
    let mut y_plus_p = small_y[..33].to_vec();
    y_plus_p.extend_from_slice(&plus_p(&small_y[33..]));
    let mut x_is_p = vec![0x04];
    x_is_p.extend_from_slice(&P);
    x_is_p.extend_from_slice(&good[33..]);
    let mut y_is_p = good[..33].to_vec();
    y_is_p.extend_from_slice(&P);

    vec![
        ("empty", vec![]),
        ("identity, SEC1 encoding (one zero byte)", vec![0x00]),
        ("identity as 65 zero bytes", vec![0u8; 65]),
        (
            "(0, 0), not on the curve",
            [&[0x04u8][..], &[0u8; 64][..]].concat(),
        ),
        ("off the curve (y changed)", off_curve),
        ("all ones", [&[0x04u8][..], &[0xffu8; 64][..]].concat()),
        ("compressed", compressed),
        ("compressed, other parity", compressed_wrong_parity),
        ("hybrid", hybrid),
        ("prefix 0x05", prefix_05),
        ("x + p (a valid point's x, not reduced)", x_plus_p),
        ("y + p (a valid point's y, not reduced)", y_plus_p),
        ("x = p", x_is_p),
        ("y = p", y_is_p),
        ("64 bytes (no prefix)", good[1..].to_vec()),
        ("66 bytes (trailing byte)", [&good[..], &[0u8][..]].concat()),
    ]
}

/// For each (what, shareV): a prover for [`PIN`] in `context` that is
/// handed that shareV (and a zero confirmation) fails with `want`.
fn assert_finish_fails(context: &[u8], shares: Vec<(&str, Vec<u8>)>, want: PakeError) {
    let pin = Pin::new(PIN.into()).unwrap();
    let (w0, w1) = derive_pake_secrets(&pin, &[7; 32], "device", MIN_KDF_ITERATIONS);
    let ctx = PakeContext {
        context,
        id_prover: b"device",
        id_verifier: PAKE_VERIFIER_ID,
    };
    for (what, share) in shares {
        let (prover, _) = Prover::start(&ctx, &w0, &w1);
        assert_eq!(
            prover.finish(&share, &[0u8; 32]).unwrap_err(),
            want,
            "{what}"
        );
    }
}

#[test]
fn the_reference_points_are_valid_and_their_shifted_forms_are_not_reduced() {
    // Sanity of the test data: the unshifted points are accepted where a
    // shareV is (Prover::finish gets past decoding to the confirmation).
    let valid = "a valid point must decode";
    assert_finish_fails(
        b"c",
        vec![
            (valid, unhex(SMALL_X)),
            (valid, unhex(SMALL_Y)),
            (valid, good_share().to_vec()),
        ],
        PakeError::ConfirmationFailed,
    );
    assert!(unhex(SMALL_X)[1..32].iter().all(|b| *b == 0));
    assert!(unhex(SMALL_Y)[33..37].iter().all(|b| *b == 0));
}

#[test]
fn the_service_refuses_invalid_share_p_and_counts_nothing() {
    let w = World::new();
    let (mut d, _, req) = RawDevice::enroll_with_request(&w, "Aviaja-Nuuk");
    let purposes = [
        PinPurpose::Request {
            request_id: req.request_id.clone(),
        },
        PinPurpose::AddDevice,
        PinPurpose::Unfreeze,
    ];
    let before = w.digest();
    for (what, share) in invalid_shares() {
        for purpose in &purposes {
            let m = d.envelope(PinStart {
                purpose: purpose.clone(),
                share_p: share.clone(),
            });
            let r = w.raw(paths::PIN_START, &serde_json::to_vec(&m).unwrap());
            assert_eq!(r.status, 400, "{what} ({purpose:?})");
            let err: ErrorBody = serde_json::from_slice(&r.body).unwrap();
            assert_eq!(err.code, ErrorCode::Malformed, "{what}: {err:?}");
            assert_eq!(err.attempts_left, None);
            // Nothing changed: no attempt counted, no session, seq not used.
            assert_eq!(w.digest(), before, "{what} changed the service's state");
        }
    }
    assert_eq!(w.pin_failures(&d.device_id), 0);
    // The device is unharmed: a real PIN proof still approves.
    let done = d.approve(&w, &req, PIN).unwrap();
    assert_eq!(done.status, RequestStatus::Approved);
}

#[test]
fn the_device_refuses_invalid_share_v() {
    assert_finish_fails(b"invalid points", invalid_shares(), PakeError::InvalidShare);
}

#[test]
fn an_app_given_an_invalid_share_v_stops_without_reporting_or_signing() {
    for (what, share) in invalid_shares() {
        let (w, phone, req) = World::with_fetched_request("Aviaja-Nuuk");
        // A network attacker replaces shareV in the pin-start answer.
        *w.tap.rewrite.lock().unwrap() = Some(Box::new(move |path: &str, body: Vec<u8>| {
            if path != paths::PIN_START {
                return body;
            }
            let mut r: PinStartResponse = match serde_json::from_slice(&body) {
                Ok(r) => r,
                Err(_) => return body,
            };
            r.share_v = share.clone();
            serde_json::to_vec(&r).unwrap()
        }));
        let sent_before = w.tap.sent.lock().unwrap().len();
        let result = phone.app.approve(phone.id(), &req.request_id, PIN.into());
        assert!(
            matches!(result, Err(Error::Protocol(_))),
            "{what}: {result:?}"
        );
        // Only the pin-start went out: no pin-failed report, no decision.
        let sent: Vec<String> = w.tap.sent.lock().unwrap()[sent_before..]
            .iter()
            .map(|(p, _)| p.clone())
            .collect();
        assert_eq!(sent, vec![paths::PIN_START.to_owned()], "{what}");
        assert_eq!(w.poll(&req.poll_handle).status, RequestStatus::Pending);
        // The service counted the attempt at pin-start, before the device
        // could check anything (as it does for every PIN proof).
        let info = w.service.device_info(&phone.profile.device_id).unwrap();
        assert_eq!(info.pin_failures, 1, "{what}");

        // Untampered, the same app approves, and the count is reset.
        *w.tap.rewrite.lock().unwrap() = None;
        let outcome = phone.approve_with_pin(&req.request_id);
        assert_eq!(outcome.status, RequestStatus::Approved, "{what}");
        let info = w.service.device_info(&phone.profile.device_id).unwrap();
        assert_eq!(info.pin_failures, 0, "{what}");
    }
}
