//! Fixtures for benchmarks: hand-built devices, prepared decide messages and
//! a fast bulk fill of the service's database with many identities.
//!
//! Used by `server/benches/service.rs` and by `akuersi-sim bench`, so both
//! measure the same path. Not part of the protocol; nothing here is timed.

use std::sync::Arc;

use akuersi_core::approval::{ApprovalStatement, Decision, PakeBinding};
use akuersi_core::clock::TestClock;
use akuersi_core::crypto::{device_id_for, random_array};
use akuersi_core::pin::{derive_pake_secrets, Pin, MIN_KDF_ITERATIONS, PAKE_VERIFIER_ID};
use akuersi_core::protocol::*;
use akuersi_core::request::{Action, LocalizedText};
use akuersi_core::spake2plus::{registration_record, PakeContext, PakeScalar, Prover};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use rusqlite::params;

use crate::api;
use crate::{Service, ServiceConfig};

/// The PIN every benchmark device uses.
pub const PIN: &str = "482916";
/// 2026-12-01T00:00:00Z: the fixed clock of every benchmark service.
pub const T0: i64 = 1_796_083_200_000;

/// A service configuration for benchmarks: no request rate limit (a fixed
/// clock would otherwise hit it), `synchronous=FULL` or `NORMAL`.
pub fn config(synchronous_full: bool) -> ServiceConfig {
    ServiceConfig {
        synchronous_full,
        max_requests_per_hour: u32::MAX,
        ..Default::default()
    }
}

/// Open a service at `path` on a fixed test clock at [`T0`].
pub fn open(path: &str, synchronous_full: bool) -> Arc<Service> {
    let clock = Arc::new(TestClock::new(T0));
    Arc::new(Service::open(path, clock, config(synchronous_full)).expect("open service"))
}

/// A device built by hand, without an installation: a P-256 key, the id
/// derived from it, a device secret and a sequence counter. The bench
/// devices here, the simulator's load devices and the tests' raw devices are
/// built on it. Nothing here unwraps: signing and randomness errors come
/// back as text.
pub struct HandDevice {
    key: EcdsaKeyPair,
    rng: SystemRandom,
    /// Its id.
    pub device_id: String,
    secret: [u8; 32],
    seq: u64,
}

impl HandDevice {
    /// A new key and device secret (not enrolled anywhere).
    pub fn new() -> Result<Self, String> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| "generating a P-256 key failed".to_owned())?;
        let key = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .map_err(|_| "loading the P-256 key failed".to_owned())?;
        Ok(Self {
            device_id: device_id_for(key.public_key().as_ref()),
            key,
            rng,
            secret: random_array().map_err(|e| e.to_string())?,
            seq: 0,
        })
    }

    /// Sign `msg` with the device key (ECDSA P-256, fixed-size signature).
    pub fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, String> {
        self.key
            .sign(&self.rng, msg)
            .map(|s| s.as_ref().to_vec())
            .map_err(|_| "ECDSA signing failed".to_owned())
    }

    /// The public key (uncompressed SEC1).
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
    }

    /// The last sequence number used.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// The SPAKE2+ secrets (w0, w1) of `pin` on this device.
    pub fn pake_secrets(
        &self,
        pin: &str,
        iterations: u32,
    ) -> Result<(PakeScalar, PakeScalar), String> {
        let pin = Pin::new(pin.into()).map_err(|e| e.to_string())?;
        Ok(derive_pake_secrets(
            &pin,
            &self.secret,
            &self.device_id,
            iterations,
        ))
    }

    /// A signed activation message for `user_id` with `code`, registering
    /// `pin` at `iterations`; `name` is both the device's name and platform.
    pub fn activation(
        &self,
        user_id: &str,
        code: &str,
        pin: &str,
        iterations: u32,
        name: &str,
    ) -> Result<Activate, String> {
        let (w0, w1) = self.pake_secrets(pin, iterations)?;
        let rec = registration_record(&w0, &w1);
        let mut m = Activate {
            user_id: user_id.into(),
            activation_code: code.into(),
            device_id: self.device_id.clone(),
            device_public_key: self.public_key(),
            device_name: name.into(),
            platform: name.into(),
            verifier: VerifierRegistration {
                w0: rec.w0.to_bytes().to_vec(),
                l: rec.l.to_vec(),
                kdf_iterations: iterations,
            },
            signature: vec![],
        };
        m.signature = self.sign(&m.signed_bytes())?;
        Ok(m)
    }

    /// `body` in a signed envelope with the next sequence number.
    pub fn envelope<T: SignedBody>(&mut self, body: T) -> Result<DeviceSigned<T>, String> {
        self.seq += 1;
        let signature = self.sign(&DeviceSigned::signed_bytes(
            &self.device_id,
            self.seq,
            &body,
        ))?;
        Ok(DeviceSigned {
            device_id: self.device_id.clone(),
            seq: self.seq,
            body,
            signature,
        })
    }
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
            .create_request(log_on(&self.user_id))
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

/// A Demo Bank log-on request in three languages.
pub fn log_on(user_id: &str) -> CreateRequest {
    let text = |lang: &str, header: &str, body: &str| LocalizedText {
        lang: lang.into(),
        header: header.into(),
        body: body.into(),
    };
    CreateRequest {
        user_id: user_id.into(),
        requester_id: "demo-bank".into(),
        requester_name: "Demo Bank".into(),
        action: Action::LogOn,
        texts: vec![
            text(
                "kl",
                "Demo Bank-imut iserneq",
                "Demo Bank-imut iserniarputit",
            ),
            text("da", "Log på Demo Bank", "Du er ved at logge på Demo Bank"),
            text(
                "en",
                "Log on to Demo Bank",
                "You are logging on to Demo Bank",
            ),
        ],
        ttl_seconds: None,
        channel_binding: None,
        amount: None,
        account: None,
    }
}

/// Fill the service database at `path` with `n` more identities, each with
/// one active device and one activity entry, in one transaction with
/// prepared statements (about a second per 100,000 here). The database must
/// exist (open a [`Service`] on it once first) and no service may have it
/// open. `progress` is called with the count so far every 10,000 rows.
pub fn fill_identities(path: &str, n: u64, mut progress: impl FnMut(u64)) -> rusqlite::Result<()> {
    let mut conn = rusqlite::Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;")?;
    let tx = conn.transaction()?;
    {
        let mut ident = tx.prepare(
            "INSERT INTO identities(identity_id, user_id, user_key, status, created_at_ms)
             VALUES (?1, ?2, ?2, 'active', ?3)",
        )?;
        let mut dev = tx.prepare(
            "INSERT INTO devices(device_id, identity_id, public_key, name, platform, status,
                 enrolled_at_ms, last_used_at_ms, verifier_w0, verifier_l, kdf_iterations)
             VALUES (?1, ?2, ?3, 'filler', 'bench', 'active', ?4, ?4, ?5, ?6, ?7)",
        )?;
        let mut act = tx.prepare(
            "INSERT INTO activity(identity_id, seq, at_ms, kind, device_id, request_id, detail, prev_hash, hash)
             VALUES (?1, 1, ?2, 'identity_created', NULL, NULL, 'identity created', ?3, ?4)",
        )?;
        let public_key = [4u8; 65];
        let w0 = [1u8; 32];
        let l = [4u8; 65];
        let zero = [0u8; 32];
        for i in 0..n {
            let identity_id = format!("f{i:031x}");
            let device_id = format!("d{i:063x}");
            let user = format!("filler-{i}");
            ident.execute(params![identity_id, user, T0])?;
            dev.execute(params![
                device_id,
                identity_id,
                &public_key[..],
                T0,
                &w0[..],
                &l[..],
                MIN_KDF_ITERATIONS
            ])?;
            let hash = akuersi_core::crypto::sha256(&[identity_id.as_bytes()]);
            act.execute(params![identity_id, T0, &zero[..], &hash[..]])?;
            if (i + 1) % 10_000 == 0 {
                progress(i + 1);
            }
        }
    }
    tx.commit()?;
    progress(n);
    Ok(())
}

/// An app installation wired in process to a service, for device-side
/// measurements (approve latency, cold start).
pub struct AppFixture {
    /// The service the installation talks to.
    pub service: Arc<Service>,
    /// The installation.
    pub app: Arc<akuersi_core::app::Installation>,
    /// Profile ids, one per identity.
    pub profiles: Vec<(String, String)>,
    transport: Arc<crate::InProcessTransport>,
    clock: Arc<TestClock>,
    config: akuersi_core::app::InstallationConfig,
}

/// The vault key of every benchmark installation (fixed so that a fixture
/// can be opened again).
const VAULT_KEY: [u8; 32] = [7; 32];

impl AppFixture {
    /// An installation at `database_path` with `identities` activated
    /// profiles (user IDs `bench-user-1`, …) on an in-memory service, PINs
    /// derived with `kdf_iterations`, security rules acknowledged.
    pub fn new(database_path: &str, identities: usize, kdf_iterations: u32) -> Self {
        use akuersi_core::app::{Installation, InstallationConfig};
        use akuersi_core::keystore::SoftwareVault;
        let clock = Arc::new(TestClock::new(T0));
        let service = Arc::new(Service::open(":memory:", clock.clone(), config(false)).unwrap());
        let transport = Arc::new(crate::InProcessTransport::new(service.clone()));
        let config = InstallationConfig {
            database_path: database_path.into(),
            platform: "desktop".into(),
            kdf_iterations,
            default_language: "en".into(),
        };
        let app = Installation::open(
            config.clone(),
            transport.clone(),
            clock.clone(),
            Arc::new(SoftwareVault::new(&VAULT_KEY).unwrap()),
            None,
        )
        .unwrap();
        let mut profiles = Vec::new();
        for i in 1..=identities {
            let user = format!("bench-user-{i}");
            service.create_identity(&user).unwrap();
            let code = service
                .issue_activation_code(&user, CodeChannel::Paper)
                .unwrap()
                .code;
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
            config,
        }
    }

    /// Add `n` activity entries, spread over the profiles, straight into the
    /// installation's database (one transaction).
    pub fn add_activity(&self, n: usize) {
        let mut conn = rusqlite::Connection::open(&self.config.database_path).unwrap();
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
        use akuersi_core::app::Installation;
        use akuersi_core::keystore::SoftwareVault;
        let app = Installation::open(
            self.config.clone(),
            self.transport.clone(),
            self.clock.clone(),
            Arc::new(SoftwareVault::new(&VAULT_KEY).unwrap()),
            None,
        )
        .unwrap();
        app.profiles().unwrap().len()
    }

    /// Start a request for the first profile and let the app fetch it;
    /// returns its id (the part before the owner taps "approve").
    pub fn new_request(&self) -> String {
        let (profile, user) = &self.profiles[0];
        self.service.create_request(log_on(user)).unwrap();
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
