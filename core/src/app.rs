//! The device state machine: one [`Installation`] per app install, holding any
//! number of identities ("profiles"), each with its own user ID, device key,
//! device secret and PIN.
//!
//! Nothing is pushed with content: the app learns of requests only when it
//! calls [`Installation::refresh`], which a shell does when the owner opens it.
//! All methods may block on storage, the key store or the network: call them
//! off the main thread. `Installation` is `Send + Sync` and meant to live in an
//! `Arc`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::keystore::{KeyStore, SecretVault, SoftwareKeyStore};
use crate::store::staged::{self, Staged, StagedKind};
use crate::store::{activity, profiles, Store};
use crate::transport::{call_endpoint, CallError, Transport};
use akuersi_protocol::approval::{ApprovalStatement, Decision, PakeBinding};
use akuersi_protocol::clock::Clock;
use akuersi_protocol::crypto::{device_id_for, random_array, random_id};
use akuersi_protocol::endpoint::{endpoints, DeviceEndpoint};
use akuersi_protocol::identity::UserId;
use akuersi_protocol::pin::{derive_pake_secrets, Pin, DEVICE_SECRET_LEN, PAKE_VERIFIER_ID};
use akuersi_protocol::request::{
    pick_text, render_account, validate_account, validate_requester, validate_texts, Action,
};
use akuersi_protocol::spake2plus::{registration_record, PakeContext, Prover};
use akuersi_protocol::wire::{
    pake_context, Activate, ActivateResponse, ChannelBindingKind, ChannelCheck, Decide,
    DecideResponse, DeviceSigned, ErrorBody, ErrorCode, PakeProof, PendingQuery, PendingRequest,
    PendingResponse, PinFailed, PinPurpose, PinStart, PinStartResponse, RequestStatus, SignedBody,
    VerifierRegistration,
};

/// Longest device name, in characters.
pub const MAX_DEVICE_NAME_CHARS: usize = 40;

/// Settings for an installation.
#[derive(Debug, Clone)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct InstallationConfig {
    /// Path of the SQLite file, or `":memory:"`.
    pub database_path: String,
    /// Platform label sent at activation ("android", "ios", "desktop").
    pub platform: String,
    /// PBKDF2 iterations for new PINs (see [`akuersi_protocol::pin`]).
    pub kdf_iterations: u32,
    /// Language for new profiles ("kl", "da", "en").
    pub default_language: String,
}

/// An identity set up on this installation, as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct Profile {
    /// Local id of the profile (pass it to the other calls).
    pub profile_id: String,
    /// The owner's user ID (shown only to the owner, on this device).
    pub user_id: String,
    /// The service's id for the identity.
    pub identity_id: String,
    /// This device's id at the service.
    pub device_id: String,
    /// This device's name.
    pub device_name: String,
    /// Preferred language for request texts.
    pub language: String,
}

/// A pending request as the app shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct RequestView {
    /// The request's id.
    pub request_id: String,
    /// Requester id.
    pub requester_id: String,
    /// Requester name, to show prominently.
    pub requester_name: String,
    /// The action verb.
    pub action: Action,
    /// Language of `header` and `body`.
    pub language: String,
    /// Heading.
    pub header: String,
    /// Reference text (≤ 130 characters).
    pub body: String,
    /// Other languages the request carries.
    pub other_languages: Vec<String>,
    /// Absolute expiry, by the service's clock.
    pub expires_at_ms: i64,
    /// Whole seconds left by the service's clock (0 once lapsed).
    pub seconds_left: u32,
    /// The amount, rendered in the owner's locale ("9.000,00 kr."), if any.
    pub amount: Option<String>,
    /// The account number in groups of four, if any.
    pub account: Option<String>,
    /// Channel binding the request needs before it can be approved, if any.
    pub channel_binding: Option<ChannelBindingKind>,
    /// True once the channel-binding answer was accepted by the service.
    pub channel_confirmed: bool,
    /// Requests from this requester the owner recently declined or let
    /// lapse; from 2 on, show the push-fatigue warning.
    pub recent_declined: u32,
    /// True while the shell reports a phone call: show a strong warning; an
    /// approval then needs [`Installation::confirm_despite_call`] first.
    pub call_warning: bool,
    /// The action as a title in the owner's language ("Log på").
    pub action_title: String,
    /// The countdown in words in the owner's language.
    pub countdown: String,
    /// The one-line security reminder for the card.
    pub rules_reminder: String,
    /// The push-fatigue warning in the owner's language, from 2 recent declines.
    pub fatigue_warning: Option<String>,
    /// PIN attempts on the identity's devices that were wrong or never
    /// finished since this device's last approval (from the service).
    pub failed_pin_attempts: u32,
    /// "N wrong PIN attempts since your last approval" in the owner's
    /// language, to show before the approval; `None` when N is 0.
    pub failed_pins_warning: Option<String>,
}

/// What happened after a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DecisionOutcome {
    /// The request.
    pub request_id: String,
    /// Its status at the service now.
    pub status: RequestStatus,
    /// When the service recorded the decision.
    pub decided_at_ms: i64,
}

akuersi_protocol::wire_enum! {
    /// What a line of the device's own activity log records.
    LocalActivityKind {
        /// This device was activated.
        Activated = "activated",
        /// The owner approved a request here.
        Approved = "approved",
        /// The owner rejected a request here.
        Rejected = "rejected",
        /// The owner reported a request here.
        Reported = "reported",
        /// A wrong PIN was entered here.
        WrongPin = "wrong_pin",
        /// This device was activated again with a new PIN.
        Reactivated = "reactivated",
        /// The identity was frozen from here.
        Frozen = "frozen",
    }
}

/// One line of the device's own activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ActivityEntry {
    /// When, by this device's clock.
    pub at_ms: i64,
    /// What happened.
    pub kind: LocalActivityKind,
    /// The request involved, if any.
    pub request_id: Option<String>,
    /// A short description.
    pub detail: String,
}

pub(crate) struct ProfileSecrets {
    pub(crate) device_id: String,
    pub(crate) key_alias: String,
    pub(crate) sealed_device_secret: Vec<u8>,
    pub(crate) kdf_iterations: u32,
}

/// Key, device secret and PIN verifier of a device being enrolled.
pub(crate) struct NewDevice {
    pub(crate) key_alias: String,
    pub(crate) public_key: Vec<u8>,
    pub(crate) device_id: String,
    pub(crate) device_secret: Zeroizing<[u8; DEVICE_SECRET_LEN]>,
    pub(crate) verifier: VerifierRegistration,
}

/// Requests fetched at the last refresh, with the clock offset measured then.
struct Fetched {
    requests: Vec<PendingRequest>,
    /// Channel-binding answers the service accepted, by request id.
    channel_answers: HashMap<String, String>,
    /// Requests the owner chose to approve despite a phone call.
    call_confirmed: std::collections::HashSet<String>,
}

/// Sequence numbers a profile leases at a time. The service accepts any
/// number above the last it saw, so gaps are harmless: a lease is committed
/// durably before its first number is used, numbers are never reused (a
/// restart leases from the stored high-water mark, skipping what the last
/// run left unused), and one fsync serves this many signed messages.
const SEQ_LEASE: u64 = 32;

/// The sequence numbers `next..end` of one profile, leased and not yet used.
#[derive(Debug, Default)]
pub(crate) struct SeqLease {
    next: u64,
    end: u64,
}

/// One app installation. See the module documentation.
pub struct Installation {
    pub(crate) store: Arc<Store>,
    pub(crate) keys: Arc<dyn KeyStore>,
    pub(crate) vault: Arc<dyn SecretVault>,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: InstallationConfig,
    fetched: Mutex<HashMap<String, Fetched>>,
    call_active: std::sync::atomic::AtomicBool,
    /// One lane per profile for signed messages (see `signed_call`), with
    /// the sequence numbers it has leased.
    send_lanes: Mutex<HashMap<String, Arc<Mutex<SeqLease>>>>,
}

impl std::fmt::Debug for Installation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Installation")
            .field("database_path", &self.config.database_path)
            .finish_non_exhaustive()
    }
}

impl Installation {
    /// Open (or create) an installation. Without `key_store`, keys are kept by
    /// the [`SoftwareKeyStore`] in the installation's database, sealed by
    /// `vault`. Writes the database on first open (migrations). If a kill or
    /// a lost answer left a device enrolment staged, asks the service about
    /// it (blocks on the network only then; see [`Installation::reconcile_staged`]).
    pub fn open(
        config: InstallationConfig,
        transport: Arc<dyn Transport>,
        clock: Arc<dyn Clock>,
        vault: Arc<dyn SecretVault>,
        key_store: Option<Arc<dyn KeyStore>>,
    ) -> Result<Arc<Self>> {
        let store = Arc::new(Store::open(&config.database_path)?);
        let keys = match key_store {
            Some(k) => k,
            None => Arc::new(SoftwareKeyStore::new(store.clone(), vault.clone())),
        };
        let installation = Arc::new(Self {
            store,
            keys,
            vault,
            transport,
            clock,
            config,
            fetched: Mutex::new(HashMap::new()),
            call_active: std::sync::atomic::AtomicBool::new(false),
            send_lanes: Mutex::new(HashMap::new()),
        });
        // Finish or undo an enrolment that a kill or a lost answer left
        // staged (see `crate::staged`); one that cannot be settled now stays
        // staged for the next open or activation.
        let _ = installation.reconcile_staged();
        Ok(installation)
    }

    /// The identities set up on this installation.
    pub fn profiles(&self) -> Result<Vec<Profile>> {
        profiles::list(&*self.store.conn()?)
    }

    /// One profile by id.
    pub fn profile(&self, profile_id: &str) -> Result<Profile> {
        profiles::get(&*self.store.conn()?, profile_id)?.ok_or(Error::UnknownProfile)
    }

    /// Activate this device for `user_id` with an activation code, choosing a
    /// new PIN at the same time. Generates the device key and device secret,
    /// stages the sealed secret, registers the SPAKE2+ verifier with the
    /// service, and makes the profile in one transaction (see
    /// [`crate::staged`]): a refusal keeps nothing; a lost answer keeps the
    /// staged device, settled by the next `open` or `activate`. The PIN is
    /// wiped before this returns.
    pub fn activate(
        &self,
        user_id: String,
        activation_code: String,
        new_pin: String,
        device_name: String,
    ) -> Result<Profile> {
        let pin = Pin::new_chosen(new_pin)?;
        let user = UserId::parse(&user_id)?;
        let name = check_device_name(&device_name)?;
        if activation_code.trim().is_empty() || activation_code.len() > 64 {
            return Err(Error::InvalidActivationCode);
        }
        // An earlier attempt whose answer was lost may have enrolled this
        // device already: settle it first (errors: it stays staged).
        let _ = self.reconcile_staged();
        if profiles::exists_by_user_key(&*self.store.conn()?, user.key())? {
            return Err(Error::ProfileExists);
        }

        let device = self.new_device_material(&pin)?;
        self.register(&user, &activation_code, &name, &device)
    }

    /// Generate what a new device needs: key, device secret and PIN verifier.
    pub(crate) fn new_device_material(&self, pin: &Pin) -> Result<NewDevice> {
        let key_alias = format!("akuersi-device-{}", random_id()?);
        let public_key = self.keys.generate(&key_alias)?;
        let device_id = device_id_for(&public_key);
        let device_secret = Zeroizing::new(random_array::<DEVICE_SECRET_LEN>()?);
        let iterations = self.config.kdf_iterations;
        let (w0, w1) = derive_pake_secrets(pin, &device_secret[..], &device_id, iterations);
        let record = registration_record(&w0, &w1);
        Ok(NewDevice {
            key_alias,
            public_key,
            device_id,
            device_secret,
            verifier: VerifierRegistration {
                w0: Zeroizing::new(record.w0.to_bytes().to_vec()),
                l: Zeroizing::new(record.l.to_vec()),
                kdf_iterations: iterations,
            },
        })
    }

    /// Stage, send the activation, promote (see [`crate::staged`]).
    fn register(
        &self,
        user: &UserId,
        activation_code: &str,
        name: &str,
        device: &NewDevice,
    ) -> Result<Profile> {
        let (row, _) = self
            .stage_new_device(device, name, "this device was activated")
            .inspect_err(|_| {
                // Nothing was sent: the new key has no use.
                let _ = self.keys.delete(&device.key_alias);
            })?;
        let mut msg = Activate {
            user_id: user.as_str().to_owned(),
            activation_code: activation_code.trim().to_owned(),
            device_id: device.device_id.clone(),
            device_public_key: device.public_key.clone(),
            device_name: name.to_owned(),
            platform: self.config.platform.clone(),
            verifier: device.verifier.clone(),
            signature: Vec::new(),
        };
        match self.keys.sign(&device.key_alias, &msg.signed_bytes()) {
            Ok(signature) => msg.signature = signature,
            Err(e) => {
                self.unstage(&row, None)?;
                return Err(e);
            }
        }
        let answer: ActivateResponse =
            match call_endpoint::<endpoints::Activate>(self.transport.as_ref(), &msg) {
                Ok(a) => a,
                Err(e) => return Err(self.settle_failed(&row, None, e)),
            };
        if answer.device_id != device.device_id {
            // Outcome unknown: the staged device is settled by the next open.
            return Err(Error::Protocol(
                "the service echoed another device id".into(),
            ));
        }
        self.promote_new_device(
            &row,
            &crate::staged::Enrolled {
                user_id: user.as_str().to_owned(),
                identity_id: answer.identity_id,
                service_public_key: answer.service_public_key,
                server_time_ms: answer.server_time_ms,
            },
        )
    }

    /// Stage a new device's sealed secret before the service hears of it.
    pub(crate) fn stage_new_device(
        &self,
        device: &NewDevice,
        name: &str,
        note: &str,
    ) -> Result<(Staged, Option<Staged>)> {
        self.stage_secret(
            StagedKind::NewDevice,
            &device.device_id,
            None,
            &device.key_alias,
            &device.device_secret[..],
            device.verifier.kdf_iterations,
            name,
            note,
        )
    }

    /// Set the preferred language of a profile ("kl", "da", "en", …). Writes state.
    pub fn set_language(&self, profile_id: &str, language: String) -> Result<()> {
        if !(2..=3).contains(&language.len()) || !language.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(Error::InvalidInput(
                "a language code is two or three lower-case letters".into(),
            ));
        }
        self.store.write(|tx| {
            if !profiles::set_language(tx, profile_id, &language)? {
                return Err(Error::UnknownProfile);
            }
            Ok(())
        })
    }

    /// Ask the service for pending requests (the only way requests ever reach
    /// the app) and return them as views. Measures the service's clock so
    /// countdowns do not depend on this device's clock. Blocks on the network.
    pub fn refresh(&self, profile_id: &str) -> Result<Vec<RequestView>> {
        let secrets = self.secrets(profile_id)?;
        let answer: PendingResponse =
            self.signed_call::<endpoints::Pending>(profile_id, &secrets, PendingQuery {})?;
        self.note_server_time(profile_id, answer.server_time_ms)?;
        // The service checked the texts already; check again, so a faulty or
        // hostile service cannot make the app show a spoofed text.
        for r in &answer.requests {
            check_fetched(r)?;
        }
        let mut fetched = self.lock_fetched()?;
        let previous = fetched.remove(profile_id);
        let (mut channel_answers, mut call_confirmed) = previous
            .map(|p| (p.channel_answers, p.call_confirmed))
            .unwrap_or_default();
        channel_answers.retain(|id, _| answer.requests.iter().any(|r| &r.request_id == id));
        call_confirmed.retain(|id| answer.requests.iter().any(|r| &r.request_id == id));
        fetched.insert(
            profile_id.to_owned(),
            Fetched {
                requests: answer.requests,
                channel_answers,
                call_confirmed,
            },
        );
        drop(fetched);
        self.pending(profile_id)
    }

    /// The five security rules in the profile's language. Shells show them on
    /// first run and before the first approval ([`Self::needs_security_rules`]).
    pub fn security_rules(
        &self,
        profile_id: &str,
    ) -> Result<Vec<crate::display::i18n::SecurityRule>> {
        Ok(crate::display::i18n::security_rules(
            &self.profile(profile_id)?.language,
        ))
    }

    /// True until the owner has read the security rules on this profile.
    pub fn needs_security_rules(&self, profile_id: &str) -> Result<bool> {
        let at = profiles::rules_acknowledged_at(&*self.store.conn()?, profile_id)?
            .ok_or(Error::UnknownProfile)?;
        Ok(at.is_none())
    }

    /// The owner has read the security rules. Writes state.
    pub fn acknowledge_security_rules(&self, profile_id: &str) -> Result<()> {
        let now = self.clock.now_ms();
        self.store.write(|tx| {
            if !profiles::acknowledge_rules(tx, profile_id, now)? {
                return Err(Error::UnknownProfile);
            }
            Ok(())
        })
    }

    /// Tell the core whether a phone call is in progress (the shell knows).
    /// While one is, request cards carry a strong warning and an approval
    /// needs [`Installation::confirm_despite_call`] first.
    pub fn set_call_active(&self, active: bool) {
        self.call_active
            .store(active, std::sync::atomic::Ordering::SeqCst);
    }

    /// The owner insists on approving this request although a call is in
    /// progress (a second, deliberate step in the shell).
    pub fn confirm_despite_call(&self, profile_id: &str, request_id: &str) -> Result<()> {
        let mut fetched = self.lock_fetched()?;
        let f = fetched.get_mut(profile_id).ok_or(Error::RequestNotFound)?;
        if !f.requests.iter().any(|r| r.request_id == request_id) {
            return Err(Error::RequestNotFound);
        }
        f.call_confirmed.insert(request_id.to_owned());
        Ok(())
    }

    /// Send the channel-binding answer the owner typed (4-digit code) or
    /// scanned (QR value) to the service. Wrong answers are counted there:
    /// 3 cancel the request. Blocks on the network.
    pub fn confirm_channel(
        &self,
        profile_id: &str,
        request_id: &str,
        answer: String,
    ) -> Result<()> {
        let answer = answer.trim().to_owned();
        if answer.is_empty() || answer.len() > 200 {
            return Err(Error::InvalidInput("the code is empty or too long".into()));
        }
        self.live_request(profile_id, request_id)?;
        let secrets = self.secrets(profile_id)?;
        let _: akuersi_protocol::wire::Ack = self
            .signed_call::<endpoints::ChannelCheck>(
                profile_id,
                &secrets,
                ChannelCheck {
                    request_id: request_id.to_owned(),
                    answer: answer.clone(),
                },
            )
            .inspect_err(|e| self.forget_if_gone(profile_id, request_id, e))?;
        let mut fetched = self.lock_fetched()?;
        if let Some(f) = fetched.get_mut(profile_id) {
            f.channel_answers.insert(request_id.to_owned(), answer);
        }
        Ok(())
    }

    /// The requests fetched at the last refresh that have not lapsed, with
    /// seconds left recomputed now. Does not touch the network.
    pub fn pending(&self, profile_id: &str) -> Result<Vec<RequestView>> {
        let profile = self.profile(profile_id)?;
        let server_now = self.server_now(profile_id)?;
        let fetched = self.lock_fetched()?;
        let Some(f) = fetched.get(profile_id) else {
            return Ok(Vec::new());
        };
        // Lapsed requests are hidden but kept, so that acting on a stale card
        // still says "expired" rather than "not found".
        let call = self.call_active.load(std::sync::atomic::Ordering::SeqCst);
        Ok(f.requests
            .iter()
            .filter(|r| r.expires_at_ms > server_now)
            .filter_map(|r| {
                let mut v = view(r, &profile.language, server_now)?;
                v.channel_confirmed = f.channel_answers.contains_key(&r.request_id);
                v.call_warning = call;
                Some(v)
            })
            .collect())
    }

    /// Approve a pending request with the PIN. Proves the PIN to the service
    /// with SPAKE2+ (the PIN never leaves the device), then signs the approval
    /// statement. Refuses a lapsed request without asking the service. Blocks
    /// on PIN derivation (hundreds of ms at the default cost) and the network.
    pub fn approve(
        &self,
        profile_id: &str,
        request_id: &str,
        pin: String,
    ) -> Result<DecisionOutcome> {
        let pin = Pin::new(pin)?;
        let request = self.live_request(profile_id, request_id)?;
        let channel_answer = self.approval_gate(profile_id, &request)?;
        let secrets = self.secrets(profile_id)?;
        let purpose = PinPurpose::Request {
            request_id: request.request_id.clone(),
        };
        let context = pake_context(&request.request_id, &request.nonce);
        let (pake, proof) = self
            .prove_pin(profile_id, &secrets, pin, purpose, &context)
            .inspect_err(|e| self.forget_if_gone(profile_id, request_id, e))?;
        self.decide(
            profile_id,
            &secrets,
            &request,
            Decision::Approve,
            Some(pake),
            Some(proof),
            channel_answer,
        )
    }

    /// What must hold before the PIN is even asked for: a verified
    /// channel-binding answer when the request wants one, and the owner's
    /// extra confirmation while a call is in progress.
    fn approval_gate(&self, profile_id: &str, request: &PendingRequest) -> Result<Option<String>> {
        let fetched = self.lock_fetched()?;
        let f = fetched.get(profile_id).ok_or(Error::RequestNotFound)?;
        let answer = f.channel_answers.get(&request.request_id).cloned();
        if request.channel_binding.is_some() && answer.is_none() {
            return Err(Error::ChannelBindingRequired);
        }
        if self.call_active.load(std::sync::atomic::Ordering::SeqCst)
            && !f.call_confirmed.contains(&request.request_id)
        {
            return Err(Error::CallInProgress);
        }
        Ok(answer)
    }

    /// Prove the PIN to the service for `purpose` with SPAKE2+. The service
    /// counts the attempt before it can be checked; a wrong PIN shows up here
    /// as a failed confirmation and is returned as [`Error::WrongPin`].
    ///
    /// If a new verifier is staged for the profile (a reactivation or PIN
    /// change whose answer was lost), the staged secret is tried first and
    /// promoted if the proof succeeds; if it fails as a wrong PIN, the
    /// current secret is tried with the same PIN and the staged one dropped
    /// if that succeeds (see [`crate::staged`]).
    pub(crate) fn prove_pin(
        &self,
        profile_id: &str,
        secrets: &ProfileSecrets,
        pin: Pin,
        purpose: PinPurpose,
        context: &[u8],
    ) -> Result<(PakeBinding, PakeProof)> {
        let current = (&secrets.sealed_device_secret[..], secrets.kdf_iterations);
        let Some(row) = staged::for_profile(&*self.store.conn()?, profile_id)? else {
            return self.prove_pin_with(profile_id, secrets, current, &pin, purpose, context);
        };
        let candidate = (&row.sealed_device_secret[..], row.kdf_iterations);
        match self.prove_pin_with(
            profile_id,
            secrets,
            candidate,
            &pin,
            purpose.clone(),
            context,
        ) {
            Ok(proof) => {
                self.promote_verifier(&row)?;
                Ok(proof)
            }
            Err(Error::WrongPin { .. }) => {
                let proof =
                    self.prove_pin_with(profile_id, secrets, current, &pin, purpose, context)?;
                self.drop_staged(&row)?;
                Ok(proof)
            }
            Err(e) => Err(e),
        }
    }

    /// One PIN proof with the device secret sealed in `sealed_secret.0`,
    /// derived with `sealed_secret.1` iterations.
    fn prove_pin_with(
        &self,
        profile_id: &str,
        secrets: &ProfileSecrets,
        (sealed_secret, iterations): (&[u8], u32),
        pin: &Pin,
        purpose: PinPurpose,
        context: &[u8],
    ) -> Result<(PakeBinding, PakeProof)> {
        let device_secret = self
            .vault
            .open(&secret_label(&secrets.device_id), sealed_secret)?;
        let (w0, w1) = derive_pake_secrets(pin, &device_secret, &secrets.device_id, iterations);
        drop(device_secret);
        let ctx = PakeContext {
            context,
            id_prover: secrets.device_id.as_bytes(),
            id_verifier: PAKE_VERIFIER_ID,
        };
        let (prover, share_p) = Prover::start(&ctx, &w0, &w1);
        drop((w0, w1));
        let request_id = match &purpose {
            PinPurpose::Request { request_id } => Some(request_id.clone()),
            _ => None,
        };
        let body = PinStart {
            purpose,
            share_p: share_p.to_vec(),
        };
        let started: PinStartResponse =
            self.signed_call::<endpoints::PinStart>(profile_id, secrets, body)?;
        self.note_server_time(profile_id, started.server_time_ms)?;
        let finish = match prover.finish(&started.share_v, &started.confirm_v) {
            Ok(f) => f,
            Err(akuersi_protocol::spake2plus::PakeError::ConfirmationFailed) => {
                let now = self.clock.now_ms();
                self.store.write_routine(|tx| {
                    activity::append(
                        tx,
                        profile_id,
                        now,
                        LocalActivityKind::WrongPin,
                        request_id.as_deref(),
                        "a wrong PIN was entered",
                    )
                })?;
                // Tell the service, so the owner's log and channels learn of
                // it; the attempt itself was counted at pin-start already.
                let report = PinFailed {
                    session_id: started.session_id.clone(),
                };
                let attempts_left =
                    match self.signed_call::<endpoints::PinFailed>(profile_id, secrets, report) {
                        Ok(r) => r.attempts_left,
                        Err(_) => started.attempts_left,
                    };
                return Err(Error::WrongPin { attempts_left });
            }
            Err(_) => {
                return Err(Error::Protocol(
                    "the service's PIN-proof values are invalid".into(),
                ))
            }
        };
        Ok(started.binding_and_proof(&share_p[..], finish.confirm_p.to_vec()))
    }

    /// Decline a pending request. Needs no PIN. Blocks on the network.
    pub fn reject(&self, profile_id: &str, request_id: &str) -> Result<DecisionOutcome> {
        self.decline(profile_id, request_id, Decision::Reject)
    }

    /// Decline a pending request and report "I did not start this": the
    /// service records it as possible fraud. Needs no PIN. Blocks on the network.
    pub fn report(&self, profile_id: &str, request_id: &str) -> Result<DecisionOutcome> {
        self.decline(profile_id, request_id, Decision::Report)
    }

    /// Reject or report: a decision without PIN proof or channel binding.
    fn decline(
        &self,
        profile_id: &str,
        request_id: &str,
        decision: Decision,
    ) -> Result<DecisionOutcome> {
        let request = self.live_request(profile_id, request_id)?;
        let secrets = self.secrets(profile_id)?;
        self.decide(profile_id, &secrets, &request, decision, None, None, None)
    }

    /// The device's own activity log for a profile, newest first.
    pub fn activity(&self, profile_id: &str) -> Result<Vec<ActivityEntry>> {
        activity::newest_first(&*self.store.conn()?, profile_id)
    }

    // ------------------------------------------------------------ internals

    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        profile_id: &str,
        secrets: &ProfileSecrets,
        request: &PendingRequest,
        decision: Decision,
        pake: Option<PakeBinding>,
        proof: Option<PakeProof>,
        channel_answer: Option<String>,
    ) -> Result<DecisionOutcome> {
        let statement = ApprovalStatement::for_request(
            request,
            decision,
            &secrets.device_id,
            pake,
            channel_answer.clone(),
        );
        let signature = self.keys.sign(&secrets.key_alias, &statement.encode())?;
        let msg = Decide {
            device_id: secrets.device_id.clone(),
            request_id: request.request_id.clone(),
            decision,
            pake: proof,
            channel_binding: channel_answer,
            signature,
        };
        let answer: DecideResponse =
            call_endpoint::<endpoints::Decide>(self.transport.as_ref(), &msg)
                .inspect_err(|e| self.forget_if_gone(profile_id, &request.request_id, e))?;
        self.note_server_time(profile_id, answer.server_time_ms)?;
        self.forget(profile_id, &request.request_id);
        let now = self.clock.now_ms();
        let kind = decision_kind(decision);
        let detail = format!("{} – {}", request.requester_name, request.action.as_str());
        self.store.write_routine(|tx| {
            activity::append(
                tx,
                profile_id,
                now,
                kind,
                Some(&request.request_id),
                &detail,
            )
        })?;
        Ok(DecisionOutcome {
            request_id: answer.request_id,
            status: answer.status,
            decided_at_ms: answer.decided_at_ms,
        })
    }

    /// The cached request, refused locally once lapsed by the service's clock.
    fn live_request(&self, profile_id: &str, request_id: &str) -> Result<PendingRequest> {
        let server_now = self.server_now(profile_id)?;
        let mut fetched = self.lock_fetched()?;
        let f = fetched.get_mut(profile_id).ok_or(Error::RequestNotFound)?;
        let pos = f
            .requests
            .iter()
            .position(|r| r.request_id == request_id)
            .ok_or(Error::RequestNotFound)?;
        if f.requests[pos].expires_at_ms <= server_now {
            return Err(Error::RequestExpired);
        }
        Ok(f.requests[pos].clone())
    }

    pub(crate) fn forget(&self, profile_id: &str, request_id: &str) {
        if let Ok(mut fetched) = self.lock_fetched() {
            if let Some(f) = fetched.get_mut(profile_id) {
                f.requests.retain(|r| r.request_id != request_id);
            }
        }
    }

    fn forget_if_gone(&self, profile_id: &str, request_id: &str, e: &Error) {
        if matches!(
            e,
            Error::RequestExpired
                | Error::AlreadyDecided
                | Error::RequestCancelled
                | Error::RequestNotFound
        ) {
            self.forget(profile_id, request_id);
        }
    }

    fn lock_fetched(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Fetched>>> {
        self.fetched
            .lock()
            .map_err(|_| Error::Storage("request cache lock poisoned".into()))
    }

    pub(crate) fn secrets(&self, profile_id: &str) -> Result<ProfileSecrets> {
        profiles::secrets(&*self.store.conn()?, profile_id)?.ok_or(Error::UnknownProfile)
    }

    /// Sign and send one device message, and wait for its answer. One
    /// profile's signed messages go one at a time: the service accepts each
    /// sequence number only above the last one it saw, so two messages racing
    /// out of order would make the later-numbered one look like a replay.
    ///
    /// A `replayed` refusal that names a last accepted number above the one
    /// just sent means numbers past this lease were used elsewhere: by
    /// another process on the same profile, or before the store was restored
    /// from a backup. The refused envelope changed nothing, so the lane moves
    /// its high-water mark past that number (durably) and sends the body once
    /// more under a new number. A refusal naming this very number (the
    /// message itself arrived before) is not retried.
    pub(crate) fn signed_call<E: DeviceEndpoint>(
        &self,
        profile_id: &str,
        secrets: &ProfileSecrets,
        body: E::Body,
    ) -> Result<E::Response>
    where
        E::Body: Clone,
    {
        // A lane's lease is advanced before a number is used and never
        // rolled back, so a panic in a shell's callback while one was held
        // leaves nothing to repair.
        let lane = {
            let mut lanes = self.send_lanes.lock().unwrap_or_else(|e| e.into_inner());
            lanes.entry(profile_id.to_owned()).or_default().clone()
        };
        // A callback below (key store, transport) that calls back in for
        // this profile is refused rather than left waiting for this lane.
        let _mark = crate::reentry::enter(crate::reentry::key_of(&lane))?;
        let mut lease = lane.lock().unwrap_or_else(|e| e.into_inner());
        let envelope = self.sign_envelope(profile_id, secrets, &mut lease, body.clone())?;
        match akuersi_protocol::transport::call_endpoint::<E>(self.transport.as_ref(), &envelope) {
            Err(CallError::Refused(ErrorBody {
                code: ErrorCode::Replayed,
                last_seq: Some(last),
                ..
            })) if last > envelope.seq => {
                self.store
                    .write(|tx| profiles::skip_seq_past(tx, profile_id, last))?;
                // Lease afresh from the moved mark.
                lease.end = lease.next;
                let envelope = self.sign_envelope(profile_id, secrets, &mut lease, body)?;
                call_endpoint::<E>(self.transport.as_ref(), &envelope)
            }
            other => Ok(other?),
        }
    }

    /// Take the next sequence number from the profile's lease (leasing a new
    /// block durably when it runs out) and sign the envelope.
    fn sign_envelope<T: SignedBody>(
        &self,
        profile_id: &str,
        secrets: &ProfileSecrets,
        lease: &mut SeqLease,
        body: T,
    ) -> Result<DeviceSigned<T>> {
        if lease.next >= lease.end {
            let start = self
                .store
                .write(|tx| profiles::lease_seq(tx, profile_id, SEQ_LEASE as i64))?;
            let start =
                u64::try_from(start).map_err(|_| Error::Storage("bad sequence number".into()))?;
            *lease = SeqLease {
                next: start,
                end: start.saturating_add(SEQ_LEASE),
            };
        }
        let seq = lease.next;
        lease.next += 1;
        let signature = self.keys.sign(
            &secrets.key_alias,
            &DeviceSigned::signed_bytes(&secrets.device_id, seq, &body),
        )?;
        Ok(DeviceSigned {
            device_id: secrets.device_id.clone(),
            seq,
            body,
            signature,
        })
    }

    pub(crate) fn note_server_time(&self, profile_id: &str, server_time_ms: i64) -> Result<()> {
        let offset = server_time_ms - self.clock.now_ms();
        self.store
            .write_routine(|tx| profiles::set_clock_offset(tx, profile_id, offset))
    }

    /// The service's clock, estimated from this device's clock and the offset
    /// measured at the last answer.
    pub(crate) fn server_now(&self, profile_id: &str) -> Result<i64> {
        let offset = profiles::clock_offset(&*self.store.conn()?, profile_id)?
            .ok_or(Error::UnknownProfile)?;
        Ok(self.clock.now_ms().saturating_add(offset))
    }
}

/// Trim and check a device name: 1 to 40 visible characters.
pub(crate) fn check_device_name(name: &str) -> Result<String> {
    let name = name.trim().to_owned();
    let n = name.chars().count();
    if n == 0
        || n > MAX_DEVICE_NAME_CHARS
        || name
            .chars()
            .any(akuersi_protocol::request::is_forbidden_char)
    {
        return Err(Error::InvalidInput(format!(
            "a device name has 1 to {MAX_DEVICE_NAME_CHARS} visible characters"
        )));
    }
    Ok(name)
}

pub(crate) fn secret_label(device_id: &str) -> String {
    format!("device-secret:{device_id}")
}

fn decision_kind(d: Decision) -> LocalActivityKind {
    match d {
        Decision::Approve => LocalActivityKind::Approved,
        Decision::Reject => LocalActivityKind::Rejected,
        Decision::Report => LocalActivityKind::Reported,
    }
}

fn view(r: &PendingRequest, language: &str, server_now: i64) -> Option<RequestView> {
    let text = pick_text(&r.texts, language)?;
    let left_ms = (r.expires_at_ms - server_now).max(0);
    let seconds_left = u32::try_from((left_ms + 999) / 1000).unwrap_or(u32::MAX);
    Some(RequestView {
        request_id: r.request_id.clone(),
        requester_id: r.requester_id.clone(),
        requester_name: r.requester_name.clone(),
        action: r.action,
        language: text.lang.clone(),
        header: text.header.clone(),
        body: text.body.clone(),
        other_languages: r
            .texts
            .iter()
            .filter(|t| t.lang != text.lang)
            .map(|t| t.lang.clone())
            .collect(),
        expires_at_ms: r.expires_at_ms,
        seconds_left,
        amount: r.amount.as_ref().map(|a| a.render(language)),
        account: r.account.as_deref().map(render_account),
        channel_binding: r.channel_binding,
        channel_confirmed: false,
        recent_declined: r.recent_declined,
        call_warning: false,
        action_title: crate::display::i18n::action_title(language, r.action),
        countdown: crate::display::i18n::countdown(language, seconds_left),
        rules_reminder: crate::display::i18n::rules_reminder(language),
        fatigue_warning: crate::display::i18n::push_fatigue_warning(
            language,
            &r.requester_name,
            r.recent_declined,
        ),
        failed_pin_attempts: r.failed_pin_attempts,
        failed_pins_warning: crate::display::i18n::failed_pins_warning(
            language,
            r.failed_pin_attempts,
        ),
    })
}

/// Check a fetched request against the same rules the service applies.
fn check_fetched(r: &PendingRequest) -> Result<()> {
    let bad = |what: String| {
        Error::Protocol(format!(
            "the service sent a request that breaks the text rules: {what}"
        ))
    };
    validate_requester(&r.requester_id, &r.requester_name).map_err(|e| bad(e.to_string()))?;
    let checked = validate_texts(r.texts.clone()).map_err(|e| bad(e.to_string()))?;
    if checked != r.texts {
        return Err(bad("texts are not in canonical form".into()));
    }
    if let Some(a) = &r.amount {
        a.validate().map_err(|e| bad(e.to_string()))?;
    }
    if let Some(a) = &r.account {
        if validate_account(a).map_err(|e| bad(e.to_string()))? != *a {
            return Err(bad("account is not in canonical form".into()));
        }
    }
    Ok(())
}
