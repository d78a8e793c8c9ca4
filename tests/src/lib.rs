//! Test harness: a service on a test clock, app installations wired to it in
//! process, and a "raw device" that builds protocol messages by hand so tests
//! can replay, tamper and race.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use akuersi_core::app::{Installation, InstallationConfig, Profile};
use akuersi_core::approval::{ApprovalStatement, Decision, PakeBinding};
use akuersi_core::clock::{Clock, TestClock};
use akuersi_core::keystore::SoftwareVault;
use akuersi_core::pin::{MIN_KDF_ITERATIONS, PAKE_VERIFIER_ID};
use akuersi_core::protocol::*;
use akuersi_core::request::LocalizedText;
use akuersi_core::spake2plus::{registration_record, PakeContext, PakeScalar, Prover};
use akuersi_core::transport::{call, Transport, TransportError, TransportResponse};
use akuersi_server::benchkit::HandDevice;
use akuersi_server::{InProcessTransport, Service, ServiceConfig};

/// Operator token used by every test service.
pub const TOKEN: &str = "test-operator-token";
/// A PIN that passes the blocklist.
pub const PIN: &str = "482916";
/// Another good PIN, used as the wrong one.
pub const WRONG_PIN: &str = "730518";
/// 2026-12-01T00:00:00Z.
pub const T0: i64 = 1_796_083_200_000;

/// A transport that counts calls and remembers every body it sent, so tests
/// can replay or inspect them; optionally rewrites answers (a network attacker).
pub struct Tap {
    inner: InProcessTransport,
    /// Number of calls so far.
    pub calls: AtomicUsize,
    /// (path, body) of every call, in order.
    pub sent: Mutex<Vec<(String, Vec<u8>)>>,
    /// Rewrites the answer body for a path.
    #[allow(clippy::type_complexity)]
    pub rewrite: Mutex<Option<Box<dyn Fn(&str, Vec<u8>) -> Vec<u8> + Send>>>,
}

impl Tap {
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

impl Transport for Tap {
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
        let clock = Arc::new(TestClock::new(T0));
        let service = Arc::new(
            Service::open(
                path,
                clock.clone(),
                ServiceConfig {
                    operator_token: Some(TOKEN.into()),
                    ..Default::default()
                },
            )
            .unwrap(),
        );
        let tap = Arc::new(Tap {
            inner: InProcessTransport::new(service.clone()),
            calls: AtomicUsize::new(0),
            sent: Mutex::new(Vec::new()),
            rewrite: Mutex::new(None),
        });
        Self {
            clock,
            service,
            tap,
        }
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

    /// A new in-memory installation (not yet activated).
    pub fn installation(&self, db: &str) -> Arc<Installation> {
        Installation::open(
            InstallationConfig {
                database_path: db.into(),
                platform: "desktop".into(),
                kdf_iterations: MIN_KDF_ITERATIONS,
                default_language: "kl".into(),
            },
            self.tap.clone(),
            self.clock.clone(),
            Arc::new(SoftwareVault::ephemeral().unwrap()),
            None,
        )
        .unwrap()
    }

    /// A new installation activated for `user_id` with [`PIN`] (creates the
    /// identity if needed).
    pub fn app(&self, user_id: &str, name: &str) -> App {
        let _ = self.service.create_identity(user_id);
        let app = self.installation(":memory:");
        let profile = app
            .activate(user_id.into(), self.code(user_id), PIN.into(), name.into())
            .unwrap();
        App { app, profile }
    }

    /// A log-on request from Demo Bank.
    pub fn request(&self, user_id: &str) -> CreateRequestResponse {
        self.service.create_request(log_on(user_id)).unwrap()
    }

    /// Poll a request.
    pub fn poll(&self, handle: &str) -> PollResponse {
        self.service.poll(handle).unwrap()
    }

    /// Digest of the whole service database.
    pub fn digest(&self) -> [u8; 32] {
        self.service.state_digest().unwrap()
    }
}

/// A Demo Bank log-on request in three languages (the benchmarks' fixture).
pub use akuersi_server::benchkit::log_on;

/// A localized text.
pub fn text(lang: &str, header: &str, body: &str) -> LocalizedText {
    LocalizedText {
        lang: lang.into(),
        header: header.into(),
        body: body.into(),
    }
}

/// A device that builds every protocol message by hand (the benchmarks'
/// [`HandDevice`], unwrapping in the way tests may).
pub struct RawDevice {
    hand: HandDevice,
}

impl std::ops::Deref for RawDevice {
    type Target = HandDevice;

    fn deref(&self) -> &HandDevice {
        &self.hand
    }
}

/// Tests may forge: claim another device's id, for one.
impl std::ops::DerefMut for RawDevice {
    fn deref_mut(&mut self) -> &mut HandDevice {
        &mut self.hand
    }
}

impl RawDevice {
    /// A device with a new key and secret (not enrolled).
    pub fn new() -> Self {
        Self {
            hand: HandDevice::new().unwrap(),
        }
    }

    /// Sign bytes.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.hand.sign(msg).unwrap()
    }

    /// The activation message for `user_id`/`code` with `pin`.
    pub fn activation(&self, user_id: &str, code: &str, pin: &str) -> Activate {
        self.hand
            .activation(user_id, code, pin, MIN_KDF_ITERATIONS, "raw")
            .unwrap()
    }

    /// This device's SPAKE2+ secrets for `pin`.
    fn pake_secrets(&self, pin: &str) -> (PakeScalar, PakeScalar) {
        self.hand.pake_secrets(pin, MIN_KDF_ITERATIONS).unwrap()
    }

    /// Enroll with a fresh code (creating the identity if needed).
    pub fn enroll(world: &World, user_id: &str) -> Self {
        let _ = world.service.create_identity(user_id);
        let d = Self::new();
        world
            .service
            .activate(d.activation(user_id, &world.code(user_id), PIN))
            .unwrap();
        d
    }

    /// A signed envelope with the next sequence number.
    pub fn envelope<T: SignedBody>(&mut self, body: T) -> DeviceSigned<T> {
        self.hand.envelope(body).unwrap()
    }

    /// Fetch pending requests.
    pub fn pending(&mut self, world: &World) -> akuersi_core::Result<PendingResponse> {
        self.pending_via(world.tap.as_ref())
    }

    /// Run the PIN proof for `request` with `pin`. Returns the binding and the
    /// confirmP to send — even for a wrong PIN (a hostile device ignores the
    /// failed confirmV check and sends something anyway).
    pub fn pin_proof(
        &mut self,
        world: &World,
        request: &PendingRequest,
        pin: &str,
    ) -> akuersi_core::Result<(PakeBinding, PakeProof, PinStartResponse)> {
        self.request_proof(world.tap.as_ref(), request, pin)
    }

    /// The statement this device would sign for `request`.
    pub fn statement(
        &self,
        request: &PendingRequest,
        decision: Decision,
        pake: Option<PakeBinding>,
    ) -> ApprovalStatement {
        ApprovalStatement::for_request(request, decision, &self.device_id, pake, None)
    }

    /// A decide message signing `statement`.
    pub fn decide_msg(&self, statement: &ApprovalStatement, proof: Option<PakeProof>) -> Decide {
        Decide {
            device_id: self.device_id.clone(),
            request_id: statement.request_id.clone(),
            decision: statement.decision,
            pake: proof,
            channel_binding: None,
            signature: self.sign(&statement.encode()),
        }
    }

    /// Approve `request` with `pin`, end to end.
    pub fn approve(
        &mut self,
        world: &World,
        request: &PendingRequest,
        pin: &str,
    ) -> akuersi_core::Result<DecideResponse> {
        let (binding, proof, _) = self.pin_proof(world, request, pin)?;
        let st = self.statement(request, Decision::Approve, Some(binding));
        world.send(paths::DECIDE, &self.decide_msg(&st, Some(proof)))
    }

    /// Reject or report `request`.
    pub fn decline(
        &self,
        world: &World,
        request: &PendingRequest,
        decision: Decision,
    ) -> akuersi_core::Result<DecideResponse> {
        let st = self.statement(request, decision, None);
        world.send(paths::DECIDE, &self.decide_msg(&st, None))
    }
}

impl Default for RawDevice {
    fn default() -> Self {
        Self::new()
    }
}

/// The clock's current time (for readability in tests).
pub fn now(world: &World) -> i64 {
    world.clock.now_ms()
}

// --------------------------------------------------------------------------
// Transport-generic device helpers: the same hand-built messages over any
// [`Transport`] — the in-process tap (`world.tap.as_ref()`) or HTTP — for the
// model, crash, load and attack tests.

impl World {
    /// A service at `path` with `config` (the operator token is set to
    /// [`TOKEN`]), on a test clock at [`T0`].
    pub fn with_config(path: &str, config: ServiceConfig) -> Self {
        let clock = Arc::new(TestClock::new(T0));
        let service = Arc::new(
            Service::open(
                path,
                clock.clone(),
                ServiceConfig {
                    operator_token: Some(TOKEN.into()),
                    ..config
                },
            )
            .unwrap(),
        );
        let tap = Arc::new(Tap {
            inner: InProcessTransport::new(service.clone()),
            calls: AtomicUsize::new(0),
            sent: Mutex::new(Vec::new()),
            rewrite: Mutex::new(None),
        });
        Self {
            clock,
            service,
            tap,
        }
    }
}

impl RawDevice {
    /// Sign `body` in the next envelope and send it to `path`.
    pub fn send_signed<T, R>(
        &mut self,
        t: &dyn Transport,
        path: &str,
        body: T,
    ) -> akuersi_core::Result<R>
    where
        T: SignedBody + serde::Serialize,
        R: serde::de::DeserializeOwned,
    {
        let m = self.envelope(body);
        call(t, path, &m)
    }

    /// Fetch pending requests over `t`.
    pub fn pending_via(&mut self, t: &dyn Transport) -> akuersi_core::Result<PendingResponse> {
        self.send_signed(t, paths::PENDING, PendingQuery {})
    }

    /// Start a PIN proof for `purpose` in `context` with `pin` over `t`, and
    /// finish it on the device side. Returns the binding, the confirmP to
    /// send (a made-up one when the PIN was wrong) and the service's answer.
    pub fn pin_proof_for(
        &mut self,
        t: &dyn Transport,
        purpose: PinPurpose,
        context: &[u8],
        pin: &str,
    ) -> akuersi_core::Result<(PakeBinding, PakeProof, PinStartResponse)> {
        let (w0, w1) = self.pake_secrets(pin);
        let ctx = PakeContext {
            context,
            id_prover: self.device_id.as_bytes(),
            id_verifier: PAKE_VERIFIER_ID,
        };
        let (prover, share_p) = Prover::start(&ctx, &w0, &w1);
        let started: PinStartResponse = self.send_signed(
            t,
            paths::PIN_START,
            PinStart {
                purpose,
                share_p: share_p.to_vec(),
            },
        )?;
        let confirm_p = match prover.finish(&started.share_v, &started.confirm_v) {
            Ok(f) => f.confirm_p.to_vec(),
            Err(_) => vec![0x5a; 32],
        };
        Ok((
            PakeBinding {
                session_id: started.session_id.clone(),
                share_p: share_p.to_vec(),
                share_v: started.share_v.clone(),
            },
            PakeProof {
                session_id: started.session_id.clone(),
                confirm_p,
            },
            started,
        ))
    }

    /// [`RawDevice::pin_proof`] over any transport.
    pub fn request_proof(
        &mut self,
        t: &dyn Transport,
        request: &PendingRequest,
        pin: &str,
    ) -> akuersi_core::Result<(PakeBinding, PakeProof, PinStartResponse)> {
        let purpose = PinPurpose::Request {
            request_id: request.request_id.clone(),
        };
        let context = pake_context(&request.request_id, &request.nonce);
        self.pin_proof_for(t, purpose, &context, pin)
    }

    /// A PIN proof for an operation (add or remove a device, unfreeze, …).
    pub fn operation_proof(
        &mut self,
        t: &dyn Transport,
        purpose: PinPurpose,
        pin: &str,
    ) -> akuersi_core::Result<(PakeProof, PinStartResponse)> {
        let context = operation_pake_context(&self.device_id, &purpose);
        let (_, proof, started) = self.pin_proof_for(t, purpose, &context, pin)?;
        Ok((proof, started))
    }

    /// Approve `request` with `pin` over `t`, end to end.
    pub fn approve_via(
        &mut self,
        t: &dyn Transport,
        request: &PendingRequest,
        pin: &str,
    ) -> akuersi_core::Result<DecideResponse> {
        let (binding, proof, _) = self.request_proof(t, request, pin)?;
        let st = self.statement(request, Decision::Approve, Some(binding));
        call(t, paths::DECIDE, &self.decide_msg(&st, Some(proof)))
    }

    /// Reject or report `request` over `t`.
    pub fn decline_via(
        &self,
        t: &dyn Transport,
        request: &PendingRequest,
        decision: Decision,
    ) -> akuersi_core::Result<DecideResponse> {
        let st = self.statement(request, decision, None);
        call(t, paths::DECIDE, &self.decide_msg(&st, None))
    }

    /// Join an identity with a pairing payload's addition id and secret,
    /// choosing `pin`: the message a new device sends.
    pub fn pairing(&self, addition_id: &str, secret: &[u8], pin: &str) -> CompletePairing {
        let (w0, w1) = self.pake_secrets(pin);
        let rec = registration_record(&w0, &w1);
        let mut m = CompletePairing {
            addition_id: addition_id.into(),
            device_id: self.device_id.clone(),
            device_public_key: self.public_key(),
            device_name: "paired".into(),
            platform: "test".into(),
            verifier: VerifierRegistration {
                w0: rec.w0.to_bytes().to_vec(),
                l: rec.l.to_vec(),
                kdf_iterations: MIN_KDF_ITERATIONS,
            },
            pairing_proof: vec![],
            signature: vec![],
        };
        let bytes = m.signed_bytes();
        m.pairing_proof = pairing_proof(secret, &bytes);
        m.signature = self.sign(&bytes);
        m
    }
}

/// The error code of a refused call (`None` for success or a non-service error).
pub fn code_of<T>(r: &akuersi_core::Result<T>) -> Option<ErrorCode> {
    match r {
        Err(e) => error_code(e),
        Ok(_) => None,
    }
}

/// The service's error code behind a core error (`None` for local errors).
pub fn error_code(e: &akuersi_core::Error) -> Option<ErrorCode> {
    use akuersi_core::Error as E;
    Some(match e {
        E::Service { code, .. } => *code,
        E::WrongPin { .. } => ErrorCode::WrongPin,
        E::DeviceSuspended { .. } => ErrorCode::DeviceSuspended,
        E::DeviceBlocked => ErrorCode::DeviceBlocked,
        E::RequestExpired => ErrorCode::RequestExpired,
        E::AlreadyDecided => ErrorCode::AlreadyDecided,
        E::RequestCancelled => ErrorCode::RequestCancelled,
        E::RequestNotFound => ErrorCode::RequestNotFound,
        E::InvalidActivationCode => ErrorCode::InvalidActivationCode,
        E::ActivationCodeBlocked => ErrorCode::ActivationCodeBlocked,
        E::DeviceLimit => ErrorCode::DeviceLimit,
        E::ChannelBindingRequired => ErrorCode::ChannelBindingRequired,
        E::WrongChannelCode { .. } => ErrorCode::WrongChannelCode,
        E::RateLimited => ErrorCode::RateLimited,
        _ => return None,
    })
}

/// Median of `samples` (sorted in place).
pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(|a, b| a.partial_cmp(b).unwrap());
    samples[samples.len() / 2]
}
