//! PIN lock-out, counted per device by the service: 5 failures suspend for
//! 1 minute, then 5, 15, 60, 60 minutes; 10 block the device.

use akuersi_core::Error;
use akuersi_protocol::wire::RequestStatus;
use akuersi_testkit::*;

/// Make sure the phone has a live request to try a PIN on; returns its id.
fn live_request(w: &World, phone: &App) -> String {
    if let Some(v) = phone.app.refresh(phone.id()).unwrap().into_iter().next() {
        return v.request_id;
    }
    let r = w.request("Aviaja-Nuuk");
    phone.app.refresh(phone.id()).unwrap();
    r.request_id
}

/// Make `attempt` (a try with a wrong PIN) until nine were counted as
/// wrong, waiting out each suspension on the test clock; any other answer
/// fails the test.
fn nine_wrong_pins<T: std::fmt::Debug>(w: &World, mut attempt: impl FnMut() -> Result<T, Error>) {
    let mut failures = 0;
    while failures < 9 {
        match attempt() {
            Err(Error::WrongPin { .. }) => failures += 1,
            Err(Error::DeviceSuspended { until_ms }) => w.clock.set_ms(until_ms),
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn full_lock_out_schedule() {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "phone");
    let device = phone.profile.device_id.clone();
    let minute = 60_000;
    // (failure number, suspension after it in minutes; None = no suspension)
    let schedule = [
        (1, None),
        (2, None),
        (3, None),
        (4, None),
        (5, Some(1)),
        (6, Some(5)),
        (7, Some(15)),
        (8, Some(60)),
        (9, Some(60)),
    ];
    for (n, suspension) in schedule {
        let req = live_request(&w, &phone);
        assert_eq!(
            phone.app.approve(phone.id(), &req, WRONG_PIN.into()),
            Err(Error::WrongPin {
                attempts_left: 10 - n
            }),
            "failure {n}"
        );
        assert_eq!(w.pin_failures(&device), n);
        if let Some(minutes) = suspension {
            let until = now(&w) + minutes * minute;
            let req = live_request(&w, &phone);
            // Even the right PIN is refused while suspended, and the refusal is
            // not counted.
            assert_eq!(
                phone.app.approve(phone.id(), &req, PIN.into()),
                Err(Error::DeviceSuspended { until_ms: until }),
                "after failure {n}"
            );
            assert_eq!(w.pin_failures(&device), n);
            w.clock.advance_ms(minutes * minute - 1);
            let req = live_request(&w, &phone);
            assert_eq!(
                phone.app.approve(phone.id(), &req, PIN.into()),
                Err(Error::DeviceSuspended { until_ms: until }),
                "1 ms before the end of suspension {n}"
            );
            w.clock.advance_ms(1);
        }
    }
    // The tenth failure blocks the device for good.
    let req = live_request(&w, &phone);
    assert_eq!(
        phone.app.approve(phone.id(), &req, WRONG_PIN.into()),
        Err(Error::WrongPin { attempts_left: 0 })
    );
    assert_eq!(
        w.service.device_info(&device).unwrap().lock,
        akuersi_server::lockout::Lock::Blocked
    );
    // A blocked device cannot decide anything, not even a rejection.
    assert_eq!(
        phone.app.reject(phone.id(), &req),
        Err(Error::DeviceBlocked)
    );
    w.clock.advance_secs(365 * 24 * 3600);
    assert_eq!(phone.app.refresh(phone.id()), Err(Error::DeviceBlocked));
    // Another device of the same identity is unaffected: lock-out is per device.
    let fresh = w.request("Aviaja-Nuuk");
    let tablet = w.app("Aviaja-Nuuk", "tablet");
    tablet.app.refresh(tablet.id()).unwrap();
    tablet.approve_with_pin(&fresh.request_id);
}

#[test]
fn a_success_resets_the_count_and_a_new_request_does_not() {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "phone");
    let device = phone.profile.device_id.clone();
    // Three failures on one request, one on the next: the count carries over.
    let r1 = live_request(&w, &phone);
    phone.fail_pin(&r1, 3);
    w.clock.advance_secs(300);
    let r2 = live_request(&w, &phone);
    assert_ne!(r1, r2);
    assert_eq!(
        phone.app.approve(phone.id(), &r2, WRONG_PIN.into()),
        Err(Error::WrongPin { attempts_left: 6 })
    );
    assert_eq!(w.pin_failures(&device), 4);
    // Success resets.
    let out = phone.approve_with_pin(&r2);
    assert_eq!(out.status, RequestStatus::Approved);
    assert_eq!(w.pin_failures(&device), 0);
}

#[test]
fn the_attempt_is_counted_before_the_proof_is_checked() {
    let w = World::new();
    let (mut dev, _, p) = RawDevice::enroll_with_request(&w, "Aviaja-Nuuk");
    // Start a proof and walk away: it already counts as a failure.
    let (_, _, started) = dev.pin_proof(&w, &p, PIN).unwrap();
    assert_eq!(started.attempts_left, 9);
    assert_eq!(w.pin_failures(&dev.device_id), 1);
    // Finishing correctly later resets it.
    dev.approve(&w, &p, PIN).unwrap();
    assert_eq!(w.pin_failures(&dev.device_id), 0);
}

#[test]
fn suspended_device_may_still_reject() {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "phone");
    let req = live_request(&w, &phone);
    phone.fail_pin(&req, 5);
    assert!(matches!(
        phone.app.approve(phone.id(), &req, PIN.into()),
        Err(Error::DeviceSuspended { .. })
    ));
    // Declining needs no PIN, so suspension does not stand in its way.
    assert_eq!(
        phone.app.report(phone.id(), &req).unwrap().status,
        RequestStatus::Reported
    );
}

#[test]
fn the_tenth_attempt_with_the_right_pin_still_succeeds() {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "phone");
    nine_wrong_pins(&w, || {
        let req = live_request(&w, &phone);
        phone.app.approve(phone.id(), &req, WRONG_PIN.into())
    });
    w.clock.advance_secs(3600);
    let req = live_request(&w, &phone);
    let out = phone.approve_with_pin(&req);
    assert_eq!(out.status, RequestStatus::Approved);
    assert_eq!(w.pin_failures(&phone.profile.device_id), 0);
}

#[test]
fn the_tenth_attempt_counts_for_operations_too() {
    let w = World::new();
    let phone = w.app("Aviaja-Nuuk", "phone");
    nine_wrong_pins(&w, || {
        phone
            .app
            .set_notify_every_use(phone.id(), true, WRONG_PIN.into())
    });
    w.clock.advance_secs(3600);
    phone
        .app
        .set_notify_every_use(phone.id(), true, PIN.into())
        .unwrap();
    assert!(phone.notify_every_use());
}
