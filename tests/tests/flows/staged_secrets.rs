//! A new device secret whose answer was lost (THREAT_MODEL §4.10): the
//! owner's next PIN settles which secret the service holds, a wrong PIN in
//! between settles nothing, and a refused second attempt puts back what the
//! first one staged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use akuersi_core::app::Installation;
use akuersi_core::transport::{Transport, TransportError, TransportResponse};
use akuersi_core::Error;
use akuersi_protocol::wire::paths;
use akuersi_testkit::*;

const USER: &str = "Aviaja-Nuuk";

/// The world's transport, losing the answer of every activation while
/// `lose` is set (the service still takes the message).
struct LosesActivationAnswers {
    inner: Arc<Tap>,
    lose: AtomicBool,
}

impl Transport for LosesActivationAnswers {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError> {
        let answer = self.inner.post(path, body);
        if path == paths::ACTIVATE && self.lose.load(Ordering::SeqCst) {
            return Err(TransportError {
                reason: "connection reset".into(),
            });
        }
        answer
    }
}

fn setup() -> (
    World,
    Arc<LosesActivationAnswers>,
    Arc<Installation>,
    String,
) {
    let w = World::new();
    w.identity(USER);
    let t = Arc::new(LosesActivationAnswers {
        inner: w.tap.clone(),
        lose: AtomicBool::new(false),
    });
    let app = installation(":memory:").open(t.clone(), w.clock.clone());
    let profile = w.activate(&app, USER, "phone");
    (w, t, app, profile.profile_id)
}

/// Approve the pending request (one is made if none is waiting) with `pin`.
fn approve(w: &World, app: &Installation, profile: &str, pin: &str) -> Result<(), Error> {
    let mut views = app.refresh(profile)?;
    if views.is_empty() {
        w.request(USER);
        views = app.refresh(profile)?;
    }
    app.approve(profile, &views[0].request_id, pin.into())
        .map(drop)
}

fn device_of(app: &Installation, profile: &str) -> String {
    app.profile(profile).unwrap().device_id
}

#[test]
fn a_lost_reactivation_answer_is_settled_by_the_next_right_pin() {
    let (w, t, app, profile) = setup();
    let device = device_of(&app, &profile);
    t.lose.store(true, Ordering::SeqCst);
    let e = app
        .reactivate(&profile, w.code(USER), NEW_PIN.into())
        .unwrap_err();
    assert!(matches!(e, Error::Network(_)), "{e:?}");
    t.lose.store(false, Ordering::SeqCst);
    // The service took the new verifier. A wrong PIN proves nothing, and
    // costs one attempt per secret tried.
    assert!(matches!(
        approve(&w, &app, &profile, WRONG_PIN),
        Err(Error::WrongPin { .. })
    ));
    assert_eq!(w.pin_failures(&device), 2);
    // The new PIN works at once, and from then on without a second try.
    approve(&w, &app, &profile, NEW_PIN).unwrap();
    assert_eq!(w.pin_failures(&device), 0);
    assert!(matches!(
        approve(&w, &app, &profile, PIN),
        Err(Error::WrongPin { .. })
    ));
    // The failure budget keeps the day's two failures (a right PIN does not
    // refill it); settled, this guess adds one attempt, not two.
    assert_eq!(w.pin_failures(&device), 3, "settled: one attempt per guess");
    approve(&w, &app, &profile, NEW_PIN).unwrap();
}

#[test]
fn a_refused_second_reactivation_keeps_what_the_first_staged() {
    let (w, t, app, profile) = setup();
    t.lose.store(true, Ordering::SeqCst);
    app.reactivate(&profile, w.code(USER), NEW_PIN.into())
        .unwrap_err();
    t.lose.store(false, Ordering::SeqCst);
    // The owner tries again with a code that is not valid: the service
    // refuses, and the first attempt's secret (which the service holds) must
    // not be lost with the second's.
    assert_eq!(
        app.reactivate(&profile, "WRONG-CODE-1".into(), "275194".into()),
        Err(Error::InvalidActivationCode)
    );
    approve(&w, &app, &profile, NEW_PIN).unwrap();
}

#[test]
fn a_reactivation_the_service_refused_leaves_the_old_pin_working() {
    let (w, _t, app, profile) = setup();
    let device = device_of(&app, &profile);
    assert_eq!(
        app.reactivate(&profile, "WRONG-CODE-1".into(), NEW_PIN.into()),
        Err(Error::InvalidActivationCode)
    );
    approve(&w, &app, &profile, PIN).unwrap();
    assert!(matches!(
        approve(&w, &app, &profile, NEW_PIN),
        Err(Error::WrongPin { .. })
    ));
    assert_eq!(w.pin_failures(&device), 1, "nothing left staged");
}
