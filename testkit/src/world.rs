//! The in-process world of the end-to-end tests: a service on a test clock,
//! a tapped transport that records (and can rewrite) every call, and app
//! installations wired to it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use akuersi_core::app::{DecisionOutcome, Installation, Profile};
use akuersi_core::transport::{call, Transport, TransportError, TransportResponse};
use akuersi_protocol::clock::{Clock, TestClock};
use akuersi_protocol::wire::*;
use akuersi_server::{InProcessTransport, Service, ServiceConfig};

use crate::{log_on, DemoBankCalls, PIN, T0, TOKEN, WRONG_PIN};

/// A transport that counts calls and remembers every body it sent, so tests
/// can replay or inspect them; optionally rewrites answers (a network attacker).
/// It wraps the in-process transport of a [`World`], or any other (the HTTP
/// tests wrap an HTTP transport).
pub struct Tap<T: Transport = InProcessTransport> {
    inner: T,
    /// Number of calls so far.
    pub calls: AtomicUsize,
    /// (path, body) of every call, in order.
    pub sent: Mutex<Vec<(String, Vec<u8>)>>,
    /// Rewrites the answer body for a path.
    #[allow(clippy::type_complexity)]
    pub rewrite: Mutex<Option<Box<dyn Fn(&str, Vec<u8>) -> Vec<u8> + Send>>>,
}

impl<T: Transport> Tap<T> {
    /// A tap on `inner` that has seen no call and rewrites nothing.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            calls: AtomicUsize::new(0),
            sent: Mutex::new(Vec::new()),
            rewrite: Mutex::new(None),
        }
    }

    /// Last body sent to `path`.
    pub fn last(&self, path: &str) -> Option<Vec<u8>> {
        self.sent
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|(p, _)| p == path)
            .map(|(_, b)| b.clone())
    }
}

impl<T: Transport> Transport for Tap<T> {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.sent
            .lock()
            .unwrap()
            .push((path.to_owned(), body.clone()));
        let mut answer = self.inner.post(path, body)?;
        if let Some(f) = self.rewrite.lock().unwrap().as_ref() {
            answer.body = f(path, answer.body);
        }
        Ok(answer)
    }
}

/// A service and everything around it, on a test clock.
pub struct World {
    /// The shared clock.
    pub clock: Arc<TestClock>,
    /// The service.
    pub service: Arc<Service>,
    /// The tapped transport every installation uses.
    pub tap: Arc<Tap>,
}

/// An installation with one activated profile.
pub struct App {
    /// The installation.
    pub app: Arc<Installation>,
    /// Its profile.
    pub profile: Profile,
}

impl App {
    /// Profile id.
    pub fn id(&self) -> &str {
        &self.profile.profile_id
    }

    /// Approve `request_id` with the right [`PIN`]; panics when refused.
    pub fn approve_with_pin(&self, request_id: &str) -> DecisionOutcome {
        self.app.approve(self.id(), request_id, PIN.into()).unwrap()
    }

    /// Try [`WRONG_PIN`] on `request_id` `times` times; panics unless each
    /// try is refused.
    pub fn fail_pin(&self, request_id: &str, times: usize) {
        for _ in 0..times {
            self.app
                .approve(self.id(), request_id, WRONG_PIN.into())
                .unwrap_err();
        }
    }

    /// Start adding a device with the right [`PIN`]; panics when refused.
    pub fn start_addition_with_pin(&self) -> AdditionView {
        self.app
            .start_device_addition(self.id(), PIN.into())
            .unwrap()
    }

    /// Whether the owner has asked to be told of every use of the identity.
    pub fn notify_every_use(&self) -> bool {
        self.app
            .identity_status(self.id())
            .unwrap()
            .notify_every_use
    }
}

impl Default for World {
    fn default() -> Self {
        Self::new()
    }
}

impl World {
    /// A fresh in-memory service at [`T0`].
    pub fn new() -> Self {
        Self::with_service_path(":memory:")
    }

    /// A service stored at `path`.
    pub fn with_service_path(path: &str) -> Self {
        Self::with_config(path, fast_kdf_config())
    }

    /// Send raw JSON through the service's JSON front.
    pub fn raw(&self, path: &str, body: &[u8]) -> TransportResponse {
        self.tap.post(path, body.to_vec()).unwrap()
    }

    /// Send a typed message and decode the answer.
    pub fn send<Req: serde::Serialize, Resp: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        req: &Req,
    ) -> akuersi_core::Result<Resp> {
        call(self.tap.as_ref(), path, req)
    }

    /// Create an identity.
    pub fn identity(&self, user_id: &str) -> String {
        self.service.create_identity(user_id).unwrap()
    }

    /// Issue a paper activation code.
    pub fn code(&self, user_id: &str) -> String {
        self.service
            .issue_activation_code(user_id, CodeChannel::Paper)
            .unwrap()
            .code
    }

    /// A new installation (not yet activated) stored at `db`, talking
    /// through the tap, on the world's clock.
    pub fn installation(&self, db: &str) -> Arc<Installation> {
        crate::installation(db).open(self.tap.clone(), self.clock.clone())
    }

    /// A new installation activated for `user_id` with [`PIN`] (creates the
    /// identity if needed).
    pub fn app(&self, user_id: &str, name: &str) -> App {
        let _ = self.service.create_identity(user_id);
        let app = self.installation(":memory:");
        let profile = self.activate(&app, user_id, name);
        App { app, profile }
    }

    /// Activate `app` for the existing identity `user_id` with a new paper
    /// code and [`PIN`], naming the device `name`; panics when refused.
    pub fn activate(&self, app: &Installation, user_id: &str, name: &str) -> Profile {
        app.activate(user_id.into(), self.code(user_id), PIN.into(), name.into())
            .unwrap()
    }

    /// A log-on request from Demo Bank.
    pub fn request(&self, user_id: &str) -> CreateRequestResponse {
        self.service.bank_create(log_on(user_id)).unwrap()
    }

    /// Poll a request.
    pub fn poll(&self, handle: &str) -> PollResponse {
        self.service.bank_poll(handle).unwrap()
    }

    /// A fresh in-memory world with one phone of `user_id` (named "phone")
    /// that has already fetched one new log-on request.
    pub fn with_fetched_request(user_id: &str) -> (Self, App, CreateRequestResponse) {
        let w = Self::new();
        let phone = w.app(user_id, "phone");
        let req = w.request(user_id);
        phone.app.refresh(phone.id()).unwrap();
        (w, phone, req)
    }

    /// The kinds of the service's activity log of `identity_id`, in the
    /// order the service lists them.
    pub fn activity_kinds(&self, identity_id: &str) -> Vec<String> {
        self.service
            .activity(identity_id)
            .unwrap()
            .into_iter()
            .map(|a| a.kind.as_str().to_owned())
            .collect()
    }

    /// How many PIN failures the service counts against `device_id` now.
    pub fn pin_failures(&self, device_id: &str) -> u32 {
        self.service.device_info(device_id).unwrap().pin_failures
    }

    /// Digest of the whole service database.
    pub fn digest(&self) -> [u8; 32] {
        self.service.state_digest().unwrap()
    }
}

/// The default service settings, except that PIN verifiers derived with the
/// protocol's minimum KDF count ([`akuersi_protocol::pin::MIN_KDF_ITERATIONS`], what the fixtures'
/// installations use for speed) are accepted: the default floor is 600,000.
pub fn fast_kdf_config() -> ServiceConfig {
    ServiceConfig {
        min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
        ..ServiceConfig::default()
    }
}

/// The clock's current time (for readability in tests).
pub fn now(world: &World) -> i64 {
    world.clock.now_ms()
}

impl World {
    /// A service at `path` with `config` (the operator token is set to
    /// [`TOKEN`]), on a test clock at [`T0`].
    pub fn with_config(path: &str, config: ServiceConfig) -> Self {
        let (clock, service) = service_on_test_clock(path, TOKEN, config);
        let tap = Arc::new(Tap::new(InProcessTransport::new(service.clone())));
        Self {
            clock,
            service,
            tap,
        }
    }
}

/// A service stored at `path` with `config` and the operator token `token`,
/// on a new test clock at [`T0`], with Demo Bank registered: (clock, service).
pub fn service_on_test_clock(
    path: &str,
    token: &str,
    config: ServiceConfig,
) -> (Arc<TestClock>, Arc<Service>) {
    let clock = Arc::new(TestClock::new(T0));
    let service = Arc::new(
        Service::open(
            path,
            clock.clone(),
            ServiceConfig {
                operator_token: Some(token.into()),
                ..config
            },
        )
        .unwrap(),
    );
    crate::register_demo_bank(&service);
    (clock, service)
}

/// Create the identity `user_id` on `service` and issue it a paper
/// activation code.
pub fn new_identity_code(service: &Service, user_id: &str) -> String {
    service.create_identity(user_id).unwrap();
    service
        .issue_activation_code(user_id, CodeChannel::Paper)
        .unwrap()
        .code
}
