//! Fixtures for benchmarks: a service on a fixed clock, enrolled bench
//! devices, prepared decide messages, a fast bulk fill of the service's
//! database with many identities, and an app installation for device-side
//! measurements.
//!
//! Used by `server/benches/service.rs`, `core/benches/device.rs` and by
//! `akuersi-sim bench`, so all measure the same path. Not part of the
//! protocol; nothing here is timed.

use std::sync::Arc;

use akuersi_core::app::Installation;
use akuersi_core::keystore::SoftwareVault;
use akuersi_protocol::approval::{ApprovalStatement, Decision, PakeBinding};
use akuersi_protocol::clock::TestClock;
use akuersi_protocol::pin::{MIN_KDF_ITERATIONS, PAKE_VERIFIER_ID};
use akuersi_protocol::spake2plus::{PakeContext, Prover};
use akuersi_protocol::wire::*;
use akuersi_server::{api, InProcessTransport, Service, ServiceConfig};
use rusqlite::params;

use crate::{log_on, DemoBankCalls, HandDevice, InstallationBuilder, PIN, T0};

/// A service configuration for benchmarks: no request rate limit (a fixed
/// clock would otherwise hit it), `synchronous=FULL` or `NORMAL`.
pub fn config(synchronous_full: bool) -> ServiceConfig {
    ServiceConfig {
        synchronous_full,
        max_requests_per_hour: u32::MAX,
        min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
        ..Default::default()
    }
}

/// Open a service at `path` on a fixed test clock at [`T0`], with Demo Bank
/// registered.
pub fn open(path: &str, synchronous_full: bool) -> Arc<Service> {
    let clock = Arc::new(TestClock::new(T0));
    let service =
        Arc::new(Service::open(path, clock, config(synchronous_full)).expect("open service"));
    crate::register_demo_bank(&service);
    service
}

/// A benchmark device: a [`HandDevice`] enrolled for a user ID.
pub struct Device {
    hand: HandDevice,
    /// The user ID it is enrolled for.
    pub user_id: String,
}

impl std::ops::Deref for Device {
    type Target = HandDevice;

    fn deref(&self) -> &HandDevice {
        &self.hand
    }
}

impl Device {
    /// Create `user_id`, issue a code and enroll a new device for it.
    pub fn enroll(service: &Service, user_id: &str) -> Self {
        let hand = HandDevice::new().expect("a new device");
        service.create_identity(user_id).expect("create identity");
        let code = service
            .issue_activation_code(user_id, CodeChannel::Paper)
            .expect("issue code")
            .code;
        let m = hand
            .activation(user_id, &code, PIN, MIN_KDF_ITERATIONS, "bench")
            .expect("activation message");
        service.activate(m).expect("activate");
        Self {
            hand,
            user_id: user_id.into(),
        }
    }

    fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.hand.sign(msg).expect("sign")
    }

    /// `body` in a signed envelope with the next sequence number.
    pub fn envelope<T: SignedBody>(&mut self, body: T) -> DeviceSigned<T> {
        self.hand.envelope(body).expect("sign")
    }

    /// A signed "list pending" query, as JSON.
    pub fn pending_json(&mut self) -> Vec<u8> {
        serde_json::to_vec(&self.envelope(PendingQuery {})).unwrap()
    }

    /// Start a request for this device's user, fetch it, prove the PIN
    /// (pin/start) and return the JSON of the approving decide message:
    /// everything up to, but not including, the decide call.
    pub fn prepare_decide(&mut self, service: &Service) -> Vec<u8> {
        service
            .bank_create(log_on(&self.user_id))
            .expect("create request");
        let pending = service
            .pending(self.envelope(PendingQuery {}))
            .expect("pending");
        let request = pending
            .requests
            .into_iter()
            .next()
            .expect("a pending request");
        let (w0, w1) = self
            .hand
            .pake_secrets(PIN, MIN_KDF_ITERATIONS)
            .expect("PIN secrets");
        let context = pake_context(&request.request_id, &request.nonce);
        let ctx = PakeContext {
            context: &context,
            id_prover: self.device_id.as_bytes(),
            id_verifier: PAKE_VERIFIER_ID,
        };
        let (prover, share_p) = Prover::start(&ctx, &w0, &w1);
        let started = service
            .pin_start(self.envelope(PinStart {
                purpose: PinPurpose::Request {
                    request_id: request.request_id.clone(),
                },
                share_p: share_p.to_vec(),
            }))
            .expect("pin start");
        let finish = prover
            .finish(&started.share_v, &started.confirm_v)
            .expect("confirmV");
        let pake = PakeBinding {
            session_id: started.session_id.clone(),
            share_p: share_p.to_vec(),
            share_v: started.share_v.clone(),
        };
        let statement = ApprovalStatement::for_request(
            &request,
            Decision::Approve,
            &self.device_id,
            Some(pake),
            None,
        );
        let msg = Decide {
            device_id: self.device_id.clone(),
            request_id: request.request_id,
            decision: Decision::Approve,
            pake: Some(PakeProof {
                session_id: started.session_id,
                confirm_p: finish.confirm_p.to_vec(),
            }),
            channel_binding: None,
            signature: self.sign(&statement.encode()),
        };
        serde_json::to_vec(&msg).unwrap()
    }
}

/// The decide path as a server sees it: parse the JSON, check the PIN proof
/// and the signature, commit one transaction. Panics unless it succeeded.
pub fn decide(service: &Service, json: &[u8]) {
    let r = api::handle(service, paths::DECIDE, json);
    assert_eq!(
        r.status,
        200,
        "decide failed: {}",
        String::from_utf8_lossy(&r.body)
    );
}

/// Fill the service database at `path` with `n` more identities, each with
/// one active device and one activity entry, all dated [`T0`] (see
/// [`akuersi_server::bench_support::fill_identities`]). The database must
/// exist (open a [`Service`] on it once first) and no service may have it
/// open. `progress` is called with the count so far every 10,000 rows.
pub fn fill_identities(path: &str, n: u64, progress: impl FnMut(u64)) -> rusqlite::Result<()> {
    akuersi_server::bench_support::fill_identities(path, n, T0, progress)
}

/// An app installation wired in process to a service, for device-side
/// measurements (approve latency, cold start).
pub struct AppFixture {
    /// The service the installation talks to.
    pub service: Arc<Service>,
    /// The installation.
    pub app: Arc<Installation>,
    /// Profile ids, one per identity.
    pub profiles: Vec<(String, String)>,
    transport: Arc<InProcessTransport>,
    clock: Arc<TestClock>,
    installation: InstallationBuilder,
    database_path: String,
}

/// The vault key of every benchmark installation (fixed so that a fixture
/// can be opened again).
const VAULT_KEY: [u8; 32] = [7; 32];

impl AppFixture {
    /// An installation at `database_path` with `identities` activated
    /// profiles (user IDs `bench-user-1`, …) on an in-memory service, PINs
    /// derived with `kdf_iterations`, security rules acknowledged.
    pub fn new(database_path: &str, identities: usize, kdf_iterations: u32) -> Self {
        let clock = Arc::new(TestClock::new(T0));
        let service = Arc::new(Service::open(":memory:", clock.clone(), config(false)).unwrap());
        crate::register_demo_bank(&service);
        let transport = Arc::new(InProcessTransport::new(service.clone()));
        let installation = crate::installation(database_path)
            .kdf_iterations(kdf_iterations)
            .language("en")
            .vault(Arc::new(SoftwareVault::new(&VAULT_KEY).unwrap()));
        let app = installation.clone().open(transport.clone(), clock.clone());
        let mut profiles = Vec::new();
        for i in 1..=identities {
            let user = format!("bench-user-{i}");
            let code = crate::new_identity_code(&service, &user);
            let p = app
                .activate(user.clone(), code, PIN.into(), format!("bench {i}"))
                .unwrap();
            app.acknowledge_security_rules(&p.profile_id).unwrap();
            profiles.push((p.profile_id, user));
        }
        Self {
            service,
            app,
            profiles,
            transport,
            clock,
            installation,
            database_path: database_path.into(),
        }
    }

    /// Add `n` activity entries, spread over the profiles, straight into the
    /// installation's database (one transaction).
    pub fn add_activity(&self, n: usize) {
        let mut conn = rusqlite::Connection::open(&self.database_path).unwrap();
        let tx = conn.transaction().unwrap();
        {
            let mut st = tx
                .prepare(
                    "INSERT INTO activity(profile_id, at_ms, kind, request_id, detail)
                     VALUES (?1, ?2, 'request_approved', ?3, 'Demo Bank – log_on')",
                )
                .unwrap();
            for i in 0..n {
                let (profile, _) = &self.profiles[i % self.profiles.len()];
                st.execute(params![profile, T0 + i as i64, format!("{i:032x}")])
                    .unwrap();
            }
        }
        tx.commit().unwrap();
    }

    /// Cold start: open the installation again (SQLite open, migration
    /// check) and load its profiles, as an app's first screen does.
    pub fn cold_start(&self) -> usize {
        let app = self
            .installation
            .clone()
            .open(self.transport.clone(), self.clock.clone());
        app.profiles().unwrap().len()
    }

    /// Start a request for the first profile and let the app fetch it;
    /// returns its id (the part before the owner taps "approve").
    pub fn new_request(&self) -> String {
        let (profile, user) = &self.profiles[0];
        self.service.bank_create(log_on(user)).unwrap();
        let views = self.app.refresh(profile).unwrap();
        views[0].request_id.clone()
    }

    /// List the first profile's pending requests as the app shows them
    /// (from the cache of the last refresh; no network): how many.
    pub fn pending(&self) -> usize {
        let (profile, _) = &self.profiles[0];
        self.app.pending(profile).unwrap().len()
    }

    /// Approve `request_id` with the PIN: PIN derivation, SPAKE2+ with the
    /// service, signing, decide, the local log.
    pub fn approve(&self, request_id: &str) {
        let (profile, _) = &self.profiles[0];
        self.app.approve(profile, request_id, PIN.into()).unwrap();
    }
}
