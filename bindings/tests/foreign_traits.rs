//! The foreign traits implemented in Rust, as a shell would implement them:
//! a key store that fails, a transport that errors, loses answers or times
//! out, a callback that panics, and calls from many threads at once. Each
//! failure must come back as a clear `AkuersiError` and leave the state as it
//! was, so the same call can simply be made again.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use akuersi_core::transport::{Transport as _, TransportResponse};
use akuersi_ffi::{Akuersi, AkuersiError, KeyStore, Profile, Transport};
use akuersi_protocol::clock::TestClock;
use akuersi_protocol::request::{Action, LocalizedText};
use akuersi_protocol::wire::{paths, CodeChannel, CreateRequest, RequestStatus};
use akuersi_server::{InProcessTransport, Service, ServiceConfig};
use akuersi_testkit::{installation, register_demo_bank, DemoBankCalls, PIN, T0};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

const USER: &str = "Aviaja.K-1970";

// ------------------------------------------------------------------ harness

struct World {
    clock: Arc<TestClock>,
    service: Arc<Service>,
}

impl World {
    fn new() -> Self {
        let clock = Arc::new(TestClock::new(T0));
        let service = Arc::new(
            Service::open(
                ":memory:",
                clock.clone(),
                ServiceConfig {
                    operator_token: Some("t".into()),
                    min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
                    ..Default::default()
                },
            )
            .unwrap(),
        );
        register_demo_bank(&service);
        let _ = service.create_identity(USER);
        Self { clock, service }
    }

    fn transport(&self) -> Arc<Network> {
        Arc::new(Network::new(InProcessTransport::new(self.service.clone())))
    }

    fn app(&self, transport: Arc<dyn Transport>, keys: Option<Arc<dyn KeyStore>>) -> Arc<Akuersi> {
        Akuersi::with_clock(
            installation(":memory:")
                .platform("test")
                .language("en")
                .config(),
            transport,
            keys,
            None,
            self.clock.clone(),
        )
        .unwrap()
    }

    fn code(&self) -> String {
        self.service
            .issue_activation_code(USER, CodeChannel::Paper)
            .unwrap()
            .code
    }

    fn activate(&self, app: &Akuersi) -> Profile {
        app.activate(USER.into(), self.code(), PIN.into(), "Pixel".into())
            .unwrap()
    }

    /// An installation on a transport the test can break, activated.
    fn online(&self) -> (Arc<Network>, Arc<Akuersi>, Profile) {
        let net = self.transport();
        let app = self.app(net.clone(), None);
        let p = self.activate(&app);
        (net, app, p)
    }

    /// A request, returning (request id, poll handle).
    fn request(&self) -> (String, String) {
        let r = self
            .service
            .bank_create(CreateRequest {
                user_id: USER.into(),
                action: Action::LogOn,
                texts: vec![LocalizedText {
                    lang: "en".into(),
                    header: "Log on to Demo Bank".into(),
                    body: "You are logging on to Demo Bank".into(),
                }],
                ttl_seconds: None,
                channel_binding: None,
                amount: None,
                account: None,
            })
            .unwrap();
        (r.request_id, r.poll_handle)
    }

    fn status(&self, handle: &str) -> RequestStatus {
        self.service.bank_poll(handle).unwrap().status
    }

    fn digest(&self) -> [u8; 32] {
        self.service.state_digest().unwrap()
    }
}

/// How the network misbehaves for one path (or every path).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    /// The message never reaches the service.
    Unreachable,
    /// The message reaches the service but the answer is lost.
    AnswerLost,
    /// Nothing comes back before the deadline.
    Hang,
    /// The platform code panics.
    Panic,
}

/// A transport as a shell would write one, with a deadline of its own and
/// faults to switch on per path.
struct Network {
    inner: InProcessTransport,
    fault: Mutex<Option<(Option<&'static str>, Fault)>>,
    deadline: Duration,
    calls: AtomicUsize,
}

impl Network {
    fn new(inner: InProcessTransport) -> Self {
        Self {
            inner,
            fault: Mutex::new(None),
            deadline: Duration::from_millis(200),
            calls: AtomicUsize::new(0),
        }
    }

    fn fail(&self, path: Option<&'static str>, fault: Fault) {
        *self.fault.lock().unwrap() = Some((path, fault));
    }

    fn heal(&self) {
        *self.fault.lock().unwrap() = None;
    }
}

impl Transport for Network {
    fn post(&self, path: String, body: Vec<u8>) -> Result<TransportResponse, AkuersiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let fault = match *self.fault.lock().unwrap() {
            Some((None, f)) => Some(f),
            Some((Some(p), f)) if p == path => Some(f),
            _ => None,
        };
        match fault {
            None => self
                .inner
                .post(&path, body)
                .map_err(|e| AkuersiError::Network { reason: e.reason }),
            Some(Fault::Unreachable) => Err(AkuersiError::Network {
                reason: "connection refused".into(),
            }),
            Some(Fault::AnswerLost) => {
                let _ = self.inner.post(&path, body);
                Err(AkuersiError::Network {
                    reason: "connection reset".into(),
                })
            }
            Some(Fault::Hang) => {
                // A socket that never answers, behind the shell's own deadline.
                let (tx, rx) = mpsc::channel::<()>();
                std::thread::spawn(move || {
                    std::thread::sleep(Duration::from_secs(5));
                    let _ = tx.send(());
                });
                match rx.recv_timeout(self.deadline) {
                    Ok(()) => unreachable!("the hung call answered"),
                    Err(_) => Err(AkuersiError::Network {
                        reason: format!("timed out after {} ms", self.deadline.as_millis()),
                    }),
                }
            }
            Some(Fault::Panic) => panic!("bug in the platform transport"),
        }
    }
}

/// A key store as a shell would write one (software P-256 here), that can be
/// told to fail, to return DER instead of r ‖ s, or to panic.
#[derive(Default)]
struct Keys {
    keys: Mutex<Vec<(String, Vec<u8>)>>,
    fail_generate: AtomicBool,
    fail_sign: AtomicBool,
    wrong_format: AtomicBool,
    panic_sign: AtomicBool,
    signatures: AtomicUsize,
}

impl Keys {
    fn pair(&self, alias: &str) -> Result<EcdsaKeyPair, AkuersiError> {
        let keys = self.keys.lock().unwrap();
        let (_, pkcs8) =
            keys.iter()
                .find(|(a, _)| a == alias)
                .ok_or_else(|| AkuersiError::KeyStore {
                    reason: format!("no key named {alias}"),
                })?;
        Ok(EcdsaKeyPair::from_pkcs8(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            pkcs8,
            &SystemRandom::new(),
        )
        .unwrap())
    }
}

impl KeyStore for Keys {
    fn generate(&self, alias: String) -> Result<Vec<u8>, AkuersiError> {
        if self.fail_generate.load(Ordering::SeqCst) {
            return Err(AkuersiError::KeyStore {
                reason: "StrongBox is unavailable".into(),
            });
        }
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        self.keys
            .lock()
            .unwrap()
            .push((alias.clone(), pkcs8.as_ref().to_vec()));
        self.public_key(alias)
    }

    fn public_key(&self, alias: String) -> Result<Vec<u8>, AkuersiError> {
        Ok(self.pair(&alias)?.public_key().as_ref().to_vec())
    }

    fn sign(&self, alias: String, message: Vec<u8>) -> Result<Vec<u8>, AkuersiError> {
        if self.panic_sign.load(Ordering::SeqCst) {
            panic!("bug in the platform key store");
        }
        if self.fail_sign.load(Ordering::SeqCst) {
            return Err(AkuersiError::KeyStore {
                reason: "the user cancelled the biometric prompt".into(),
            });
        }
        let sig = self
            .pair(&alias)?
            .sign(&SystemRandom::new(), &message)
            .unwrap();
        self.signatures.fetch_add(1, Ordering::SeqCst);
        let mut sig = sig.as_ref().to_vec();
        if self.wrong_format.load(Ordering::SeqCst) {
            // What a careless shell returns: DER-ish, 70-odd bytes.
            sig.splice(0..0, [0x30, 0x44, 0x02, 0x20]);
            sig.splice(36..36, [0x02, 0x20]);
        }
        Ok(sig)
    }

    fn delete(&self, alias: String) -> Result<(), AkuersiError> {
        self.keys.lock().unwrap().retain(|(a, _)| *a != alias);
        Ok(())
    }
}

fn quiet_panics<T>(f: impl FnOnce() -> T) -> T {
    let prev = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let r = f();
    std::panic::set_hook(prev);
    r
}

// -------------------------------------------------------------------- tests

/// The call failed with [`AkuersiError::Network`].
#[track_caller]
fn assert_network<T: std::fmt::Debug>(r: Result<T, AkuersiError>) {
    assert!(matches!(r, Err(AkuersiError::Network { .. })), "{r:?}");
}

#[test]
fn a_key_store_that_cannot_generate_leaves_no_profile_and_no_device() {
    let w = World::new();
    let keys = Arc::new(Keys::default());
    let app = w.app(w.transport(), Some(keys.clone()));
    keys.fail_generate.store(true, Ordering::SeqCst);
    let code = w.code();
    let before = w.digest();
    let e = app
        .activate(USER.into(), code.clone(), PIN.into(), "Pixel".into())
        .unwrap_err();
    assert_eq!(
        e,
        AkuersiError::KeyStore {
            reason: "StrongBox is unavailable".into()
        }
    );
    assert!(e.to_string().contains("StrongBox is unavailable"));
    assert!(app.profiles().unwrap().is_empty());
    assert_eq!(w.digest(), before, "the service must not have changed");

    // The same code still works once the key store does.
    keys.fail_generate.store(false, Ordering::SeqCst);
    app.activate(USER.into(), code, PIN.into(), "Pixel".into())
        .unwrap();
    assert_eq!(app.profiles().unwrap().len(), 1);
}

#[test]
fn a_key_store_that_cannot_sign_changes_nothing_and_the_approval_can_be_retried() {
    let w = World::new();
    let keys = Arc::new(Keys::default());
    let app = w.app(w.transport(), Some(keys.clone()));
    let p = w.activate(&app);
    let (rid, handle) = w.request();
    app.refresh(&p.profile_id).unwrap();

    keys.fail_sign.store(true, Ordering::SeqCst);
    let before = w.digest();
    let e = app.approve(&p.profile_id, &rid, PIN.into()).unwrap_err();
    assert!(
        matches!(&e, AkuersiError::KeyStore { reason } if reason.contains("cancelled")),
        "{e}"
    );
    assert_eq!(w.digest(), before, "the service must not have changed");
    assert_eq!(w.status(&handle), RequestStatus::Pending);
    assert_eq!(app.pending(&p.profile_id).unwrap().len(), 1);

    keys.fail_sign.store(false, Ordering::SeqCst);
    let out = app.approve(&p.profile_id, &rid, PIN.into()).unwrap();
    assert_eq!(out.status, RequestStatus::Approved);
    assert_eq!(w.status(&handle), RequestStatus::Approved);
}

#[test]
fn a_signature_in_the_wrong_format_is_named_as_such() {
    let w = World::new();
    let keys = Arc::new(Keys::default());
    let app = w.app(w.transport(), Some(keys.clone()));
    let p = w.activate(&app);
    keys.wrong_format.store(true, Ordering::SeqCst);
    let e = app.refresh(&p.profile_id).unwrap_err();
    assert!(
        matches!(&e, AkuersiError::KeyStore { reason } if reason.contains("64 bytes")),
        "{e}"
    );
    keys.wrong_format.store(false, Ordering::SeqCst);
    w.request();
    assert_eq!(app.refresh(&p.profile_id).unwrap().len(), 1);
}

#[test]
fn a_panicking_callback_becomes_an_internal_error_not_a_crash() {
    let w = World::new();
    let keys = Arc::new(Keys::default());
    let net = w.transport();
    let app = w.app(net.clone(), Some(keys.clone()));
    let p = w.activate(&app);
    let (rid, handle) = w.request();
    app.refresh(&p.profile_id).unwrap();

    keys.panic_sign.store(true, Ordering::SeqCst);
    let e = quiet_panics(|| app.approve(&p.profile_id, &rid, PIN.into()).unwrap_err());
    assert!(matches!(e, AkuersiError::Internal { .. }), "{e}");
    assert!(!e.to_string().contains(PIN));
    keys.panic_sign.store(false, Ordering::SeqCst);

    net.fail(None, Fault::Panic);
    let e = quiet_panics(|| app.refresh(&p.profile_id).unwrap_err());
    assert!(matches!(e, AkuersiError::Internal { .. }), "{e}");
    net.heal();

    // The installation still works after both.
    assert_eq!(app.refresh(&p.profile_id).unwrap().len(), 1);
    app.approve(&p.profile_id, &rid, PIN.into()).unwrap();
    assert_eq!(w.status(&handle), RequestStatus::Approved);
}

#[test]
fn an_unreachable_service_gives_network_and_changes_nothing() {
    let w = World::new();
    let net = w.transport();
    let app = w.app(net.clone(), None);

    net.fail(None, Fault::Unreachable);
    let code = w.code();
    let e = app
        .activate(USER.into(), code.clone(), PIN.into(), "Pixel".into())
        .unwrap_err();
    assert_eq!(
        e,
        AkuersiError::Network {
            reason: "connection refused".into()
        }
    );
    assert!(app.profiles().unwrap().is_empty());
    net.heal();
    let p = app
        .activate(USER.into(), code, PIN.into(), "Pixel".into())
        .unwrap();

    let (rid, handle) = w.request();
    net.fail(None, Fault::Unreachable);
    assert_network(app.refresh(&p.profile_id));
    net.heal();
    app.refresh(&p.profile_id).unwrap();

    // The decision cannot be sent: still pending everywhere, and it can be sent again.
    net.fail(Some(paths::DECIDE), Fault::Unreachable);
    let before = w.service.bank_poll(&handle).unwrap();
    assert_network(app.reject(&p.profile_id, &rid));
    assert_eq!(w.service.bank_poll(&handle).unwrap(), before);
    assert_eq!(app.pending(&p.profile_id).unwrap().len(), 1);
    net.heal();
    assert_eq!(
        app.reject(&p.profile_id, &rid).unwrap().status,
        RequestStatus::Rejected
    );
}

#[test]
fn a_hung_service_times_out_as_network_and_the_next_call_works() {
    let w = World::new();
    let (net, app, p) = w.online();
    let (rid, handle) = w.request();

    net.fail(Some(paths::PENDING), Fault::Hang);
    let started = std::time::Instant::now();
    let e = app.refresh(&p.profile_id).unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(
        e,
        AkuersiError::Network {
            reason: "timed out after 200 ms".into()
        }
    );
    assert!(app.pending(&p.profile_id).unwrap().is_empty());
    net.heal();
    assert_eq!(app.refresh(&p.profile_id).unwrap().len(), 1);

    net.fail(Some(paths::DECIDE), Fault::Hang);
    assert_network(app.approve(&p.profile_id, &rid, PIN.into()));
    assert_eq!(w.status(&handle), RequestStatus::Pending);
    net.heal();
    assert_eq!(
        app.approve(&p.profile_id, &rid, PIN.into()).unwrap().status,
        RequestStatus::Approved
    );
}

#[test]
fn a_lost_answer_is_a_network_error_and_retrying_says_what_happened() {
    let w = World::new();
    let (net, app, p) = w.online();
    let (rid, handle) = w.request();
    app.refresh(&p.profile_id).unwrap();

    // The approval reached the service; only its answer was lost.
    net.fail(Some(paths::DECIDE), Fault::AnswerLost);
    assert_network(app.approve(&p.profile_id, &rid, PIN.into()));
    assert_eq!(w.status(&handle), RequestStatus::Approved);
    net.heal();
    // Trying again cannot decide twice; the error says why.
    let again = app.approve(&p.profile_id, &rid, PIN.into()).unwrap_err();
    assert_eq!(again, AkuersiError::AlreadyDecided);
    assert!(app.pending(&p.profile_id).unwrap().is_empty());
    assert_eq!(w.status(&handle), RequestStatus::Approved);
}

#[test]
fn many_threads_share_one_installation() {
    let w = World::new();
    let (_net, app, p) = w.online();
    let (rid, _) = w.request();
    app.refresh(&p.profile_id).unwrap();

    // Readers and local calls from many threads at once.
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                for _ in 0..25 {
                    assert_eq!(app.pending(&p.profile_id).unwrap().len(), 1);
                    assert_eq!(app.profiles().unwrap().len(), 1);
                    assert!(!app.activity(&p.profile_id).unwrap().is_empty());
                }
            });
        }
    });

    // Network calls from many threads at once: each succeeds, or fails with
    // a clear error; afterwards the installation works as before.
    let outcomes: Vec<Result<usize, AkuersiError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| app.refresh(&p.profile_id).map(|v| v.len())))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for o in &outcomes {
        match o {
            Ok(n) => assert_eq!(*n, 1),
            Err(e) => panic!("a concurrent refresh failed: {e}"),
        }
    }
    assert_eq!(app.refresh(&p.profile_id).unwrap().len(), 1);
    let _ = rid;
}

#[test]
fn deciding_one_request_from_many_threads_decides_it_once() {
    let w = World::new();
    let app = w.app(w.transport(), None);
    let p = w.activate(&app);
    let (rid, handle) = w.request();
    app.refresh(&p.profile_id).unwrap();

    let results: Vec<Result<RequestStatus, AkuersiError>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|i| {
                let (app, pid, rid) = (&app, &p.profile_id, &rid);
                s.spawn(move || match i % 3 {
                    0 => app.approve(pid, rid, PIN.into()).map(|o| o.status),
                    1 => app.reject(pid, rid).map(|o| o.status),
                    _ => app.report(pid, rid).map(|o| o.status),
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let winners: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(winners.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(
                matches!(
                    e,
                    AkuersiError::AlreadyDecided
                        | AkuersiError::RequestNotFound
                        | AkuersiError::RequestExpired
                ),
                "a loser must be told the request is gone, got {e}"
            );
        }
    }
    assert_eq!(w.status(&handle), *winners[0]);
    assert!(app.pending(&p.profile_id).unwrap().is_empty());
}

/// What a re-entering callback calls back into, and what it got.
#[derive(Default)]
struct CallBack {
    app: Mutex<Option<(Arc<Akuersi>, String)>>,
    inner: Mutex<Vec<Result<usize, AkuersiError>>>,
}

impl CallBack {
    /// Call `refresh` for the armed profile, if armed (once), and record
    /// what came back. Propagates a failure, as a careless shell would.
    fn call_in(&self) -> Result<(), AkuersiError> {
        let Some((app, profile)) = self.app.lock().unwrap().take() else {
            return Ok(());
        };
        let r = app.refresh(&profile).map(|v| v.len());
        self.inner.lock().unwrap().push(r.clone());
        r.map(drop)
    }
}

/// A key store that calls back into `Akuersi` from `sign`.
struct ReenteringKeys {
    keys: Keys,
    back: Arc<CallBack>,
}

impl KeyStore for ReenteringKeys {
    fn generate(&self, alias: String) -> Result<Vec<u8>, AkuersiError> {
        self.keys.generate(alias)
    }
    fn public_key(&self, alias: String) -> Result<Vec<u8>, AkuersiError> {
        self.keys.public_key(alias)
    }
    fn sign(&self, alias: String, message: Vec<u8>) -> Result<Vec<u8>, AkuersiError> {
        self.back.call_in()?;
        self.keys.sign(alias, message)
    }
    fn delete(&self, alias: String) -> Result<(), AkuersiError> {
        self.keys.delete(alias)
    }
}

/// A transport that calls back into `Akuersi` from `post`.
struct ReenteringNetwork {
    net: Arc<Network>,
    back: Arc<CallBack>,
}

impl Transport for ReenteringNetwork {
    fn post(&self, path: String, body: Vec<u8>) -> Result<TransportResponse, AkuersiError> {
        self.back.call_in()?;
        self.net.post(path, body)
    }
}

/// Run `f` on another thread; fail (instead of hanging the suite) if it has
/// not finished within `limit`, which only a deadlock would need.
fn within<T: Send + 'static>(limit: Duration, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(limit)
        .expect("the call deadlocked: a callback re-entered the same profile")
}

#[test]
fn a_callback_that_calls_back_in_for_the_same_profile_is_refused_not_deadlocked() {
    for via in ["key store", "transport"] {
        let w = World::new();
        let back = Arc::new(CallBack::default());
        let net = w.transport();
        let app = if via == "key store" {
            let keys = Arc::new(ReenteringKeys {
                keys: Keys::default(),
                back: back.clone(),
            });
            w.app(net.clone(), Some(keys))
        } else {
            let t = Arc::new(ReenteringNetwork {
                net: net.clone(),
                back: back.clone(),
            });
            w.app(t, None)
        };
        let p = w.activate(&app);
        w.request();
        // Arm: the next callback calls `refresh` for this very profile.
        *back.app.lock().unwrap() = Some((app.clone(), p.profile_id.clone()));
        let outer = {
            let (app, id) = (app.clone(), p.profile_id.clone());
            within(Duration::from_secs(20), move || app.refresh(&id))
        };
        let inner = back.inner.lock().unwrap().clone();
        assert_eq!(inner, vec![Err(AkuersiError::ReentrantCall)], "{via}");
        assert_eq!(outer.unwrap_err(), AkuersiError::ReentrantCall, "{via}");
        assert!(
            AkuersiError::ReentrantCall.to_string().contains("deadlock"),
            "the message says why"
        );
        // Nothing is stuck: the same call works once the callback behaves.
        assert_eq!(app.refresh(&p.profile_id).unwrap().len(), 1, "{via}");
    }
}
