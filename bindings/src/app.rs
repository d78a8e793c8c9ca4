//! The facade: one [`Akuersi`] object per app installation.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use akuersi_core::app::{
    ActivityEntry, DecisionOutcome, Installation, InstallationConfig, Profile, RequestView,
};
use akuersi_core::device::{ActivityPage, DeviceView, IdentityStatusView, UnfreezeOutcome};
use akuersi_core::display::i18n::SecurityRule;
use akuersi_core::display::support::{Support, SupportContact, SupportSettings, SupportStatus};
use akuersi_core::keystore::{self as core_keys, SoftwareVault};
use akuersi_core::reentry;
use akuersi_protocol::clock::{Clock, SystemClock};
use akuersi_protocol::pin::DEFAULT_KDF_ITERATIONS;
use akuersi_protocol::wire::{AdditionView, NotificationItem, PairingPayloadResponse};

use crate::error::{guard, AkuersiError};
use crate::foreign::{
    KeyStore, KeyStoreBridge, SecretVault, Transport, TransportBridge, VaultBridge,
};

/// The PIN-derivation cost for new PINs that the core recommends (PBKDF2-HMAC-SHA256
/// iterations); put it in [`InstallationConfig::kdf_iterations`].
#[uniffi::export]
pub fn default_kdf_iterations() -> u32 {
    DEFAULT_KDF_ITERATIONS
}

/// Settings with the recommended defaults: the database at `database_path`
/// (an app-private file, or `":memory:"`), the platform label ("android",
/// "ios"), PIN derivation at [`default_kdf_iterations`], and Greenlandic
/// ("kl") as the language of new profiles. Does not block.
#[uniffi::export]
pub fn default_config(database_path: String, platform: String) -> InstallationConfig {
    InstallationConfig {
        database_path,
        platform,
        kdf_iterations: DEFAULT_KDF_ITERATIONS,
        default_language: "kl".into(),
    }
}

/// Support settings for the deployment's own `phone` and `web_form`, with
/// the default calendar and hours: the Danish holidays, Monday–Friday
/// 04:00–16:00 and Saturdays, Sundays and holidays 06:00–12:00, Greenland
/// time (America/Nuuk). The library has no support contact of its own: every
/// app passes its deployment's. Change any field of the record to configure
/// the calendar, the hours or the time zone. Does not block.
#[uniffi::export]
pub fn default_support_settings(phone: String, web_form: String) -> SupportSettings {
    SupportSettings::new(phone, web_form)
}

/// The deployment's support, checked: `InvalidInput` for an empty phone
/// number, an unknown time zone or hours that close before they open.
fn support(settings: SupportSettings) -> Result<Support, AkuersiError> {
    Support::new(settings).map_err(|e| AkuersiError::InvalidInput {
        reason: e.to_string(),
    })
}

/// Whether the deployment's support (`settings`) is open now and what to
/// tell the owner ("Open now, until 16:00"), in `language` and the support's
/// time zone (with its rule changes and the configured holidays). Does not
/// block.
#[uniffi::export]
pub fn support_status(
    language: String,
    settings: SupportSettings,
) -> Result<SupportStatus, AkuersiError> {
    guard("support_status", || {
        Ok(support(settings)?.status(SystemClock.now_ms(), &language))
    })
}

/// How to reach the deployment's support (`settings`): phone, web form,
/// opening hours, "support speaks Danish", in `language`. Does not block.
#[uniffi::export]
pub fn support_contact(
    language: String,
    settings: SupportSettings,
) -> Result<SupportContact, AkuersiError> {
    guard("support_contact", || {
        Ok(support(settings)?.contact(&language))
    })
}

/// The version of this library (the Rust crate's version). Does not block.
#[uniffi::export]
pub fn library_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// One app installation: any number of identities ("profiles"), each with
/// its own user ID, device key, device secret and PIN, kept in one SQLite
/// database.
///
/// Nothing ever pops up by itself: requests reach the app only through
/// [`Akuersi::refresh`], which a shell calls when the owner opens the app.
///
/// Threading: `Akuersi` is `Send + Sync`; share one instance across the app.
/// Calls for one profile that talk to the service run one at a time (a
/// `refresh` started while an `approve` is under way waits for it), because
/// the service requires each device's signed messages in order. A platform
/// callback (`KeyStore`, `SecretVault`, `Transport`) must not call back into
/// `Akuersi` for the profile whose call it serves: on the same thread that is
/// refused with [`AkuersiError::ReentrantCall`] (it would deadlock); from
/// another thread it waits for the first call, which waits for the callback.
/// Every method except [`Akuersi::pending`] may block on storage, the key
/// store or the network (`approve` also on PIN derivation, hundreds of
/// milliseconds): call them off the main thread. `pending` reads only
/// memory and the local database and is quick, but is still best kept off the
/// main thread.
///
/// Secrets: only the PIN ever comes in from the shell; the core wipes its copy
/// as soon as it is used. No call returns key material.
#[derive(uniffi::Object)]
pub struct Akuersi {
    inner: Arc<Installation>,
    /// One lock per profile: its signed messages carry increasing sequence
    /// numbers, so they must reach the service in the order they were
    /// numbered. Calls for one profile that talk to the service therefore go
    /// one at a time; local calls (`pending`, `profiles`, `activity`) never wait.
    in_flight: Mutex<HashMap<String, Arc<Mutex<()>>>>,
}

impl std::fmt::Debug for Akuersi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Akuersi").finish_non_exhaustive()
    }
}

#[uniffi::export]
impl Akuersi {
    /// Open (or create, on first use) the installation described by `config`.
    ///
    /// * `transport`: the platform's HTTP stack, pointed at the identity
    ///   service (the core has no network stack of its own).
    /// * `key_store`: where device keys live (Android Keystore, Secure
    ///   Enclave). Without it, keys are generated in software and kept in the
    ///   database, sealed by the vault.
    /// * `vault`: seals the device secret. Without it, a software vault with a
    ///   random 256-bit key kept in the file `<database_path>.vault-key`
    ///   (mode 0600) applies; an in-memory database gets a vault that lives
    ///   as long as the object.
    ///
    /// Blocks: opens and migrates the database; if a device enrolment was
    /// left staged by a kill or a lost answer (see [`Akuersi::activate`]),
    /// also asks the service about it through `transport` (a failure there
    /// is not an error: it is asked again next time).
    #[uniffi::constructor(default(key_store = None, vault = None))]
    pub fn new(
        config: InstallationConfig,
        transport: Arc<dyn Transport>,
        key_store: Option<Arc<dyn KeyStore>>,
        vault: Option<Arc<dyn SecretVault>>,
    ) -> Result<Arc<Self>, AkuersiError> {
        guard("opening the installation", || {
            Self::with_clock(config, transport, key_store, vault, Arc::new(SystemClock))
        })
    }

    /// The identities set up on this installation, oldest first. Blocks on storage.
    pub fn profiles(&self) -> Result<Vec<Profile>, AkuersiError> {
        self.forward("profiles", |core| core.profiles())
    }

    /// One profile by its id. Blocks on storage.
    pub fn profile(&self, profile_id: &str) -> Result<Profile, AkuersiError> {
        self.forward("profile", |core| core.profile(profile_id))
    }

    /// Activate this device for `user_id` with an activation code (from a
    /// citizen service centre, on paper or by SMS), choosing a new six-digit
    /// PIN at the same time. Generates the device key and device secret,
    /// stores the sealed secret as staged, registers the PIN verifier with
    /// the service and makes the profile in one transaction. If the service
    /// refuses (or nothing could be sent), nothing is kept. If its answer is
    /// lost ([`AkuersiError::Network`]), the staged device is kept and
    /// settled the next time the installation is opened or `activate` is
    /// called: the profile appears if the service took it, and otherwise the
    /// same activation code still works. The PIN is wiped before this
    /// returns and never leaves the device.
    ///
    /// Blocks on the key store, PIN derivation, storage and the network.
    pub fn activate(
        &self,
        user_id: String,
        activation_code: String,
        new_pin: String,
        device_name: String,
    ) -> Result<Profile, AkuersiError> {
        self.forward("activate", |core| {
            core.activate(user_id, activation_code, new_pin, device_name)
        })
    }

    /// Set the language in which a profile's requests are shown ("kl", "da",
    /// "en", …). Blocks on storage.
    pub fn set_language(&self, profile_id: &str, language: String) -> Result<(), AkuersiError> {
        self.forward("set_language", |core| {
            core.set_language(profile_id, language)
        })
    }

    /// Ask the service for the profile's pending requests (the only way a
    /// request ever reaches the app) and return them as views: requester,
    /// action, the text in the profile's language and the seconds left by the
    /// service's clock. Call it when the owner opens the app.
    ///
    /// Blocks on the network.
    pub fn refresh(&self, profile_id: &str) -> Result<Vec<RequestView>, AkuersiError> {
        self.forward_in_turn(profile_id, "refresh", |core| core.refresh(profile_id))
    }

    /// The requests fetched at the last [`Akuersi::refresh`] that have not
    /// lapsed, with the seconds left recomputed now: call it every second to
    /// drive a countdown. Does not touch the network.
    pub fn pending(&self, profile_id: &str) -> Result<Vec<RequestView>, AkuersiError> {
        self.forward("pending", |core| core.pending(profile_id))
    }

    /// Approve a pending request with the PIN. The PIN is proved to the
    /// service (SPAKE2+) without being sent; then the device signs everything
    /// the owner was shown together with the decision. A lapsed request is
    /// refused here without asking the service. A wrong PIN gives
    /// [`AkuersiError::WrongPin`] with the attempts left.
    ///
    /// Blocks on PIN derivation (hundreds of milliseconds at the default
    /// cost), the key store and the network.
    pub fn approve(
        &self,
        profile_id: &str,
        request_id: &str,
        pin: String,
    ) -> Result<DecisionOutcome, AkuersiError> {
        self.forward_in_turn(profile_id, "approve", |core| {
            core.approve(profile_id, request_id, pin)
        })
    }

    /// Decline a pending request. Needs no PIN. Blocks on the key store and
    /// the network.
    pub fn reject(
        &self,
        profile_id: &str,
        request_id: &str,
    ) -> Result<DecisionOutcome, AkuersiError> {
        self.forward_in_turn(profile_id, "reject", |core| {
            core.reject(profile_id, request_id)
        })
    }

    /// Decline a pending request and report "I did not start this": the
    /// service records it as possible fraud. Needs no PIN. Blocks on the key
    /// store and the network.
    pub fn report(
        &self,
        profile_id: &str,
        request_id: &str,
    ) -> Result<DecisionOutcome, AkuersiError> {
        self.forward_in_turn(profile_id, "report", |core| {
            core.report(profile_id, request_id)
        })
    }

    /// The five security rules in the profile's language (never show codes,
    /// never hand over the app, never approve because someone asked, read
    /// the text, stop if in doubt). Show them on first run and before the
    /// first approval. Blocks on storage.
    pub fn security_rules(&self, profile_id: &str) -> Result<Vec<SecurityRule>, AkuersiError> {
        self.forward("security_rules", |core| core.security_rules(profile_id))
    }

    /// True until the owner has read the security rules on this profile.
    /// Blocks on storage.
    pub fn needs_security_rules(&self, profile_id: &str) -> Result<bool, AkuersiError> {
        self.forward("needs_security_rules", |core| {
            core.needs_security_rules(profile_id)
        })
    }

    /// The owner has read the security rules. Blocks on storage.
    pub fn acknowledge_security_rules(&self, profile_id: &str) -> Result<(), AkuersiError> {
        self.forward("acknowledge_security_rules", |core| {
            core.acknowledge_security_rules(profile_id)
        })
    }

    /// Tell the core whether a phone call is in progress (the shell knows it
    /// from the platform). While one is, request views carry a strong warning
    /// and approving needs [`Akuersi::confirm_despite_call`] first. Does not block.
    pub fn set_call_active(&self, active: bool) {
        self.inner.set_call_active(active)
    }

    /// The owner insists, in a second deliberate step, on approving this
    /// request although a call is in progress. Does not touch the network.
    pub fn confirm_despite_call(
        &self,
        profile_id: &str,
        request_id: &str,
    ) -> Result<(), AkuersiError> {
        self.forward("confirm_despite_call", |core| {
            core.confirm_despite_call(profile_id, request_id)
        })
    }

    /// Send the channel-binding answer: the 4-digit code the owner typed, or
    /// the QR value scanned, from the screen that started the request. A
    /// wrong answer gives [`AkuersiError::WrongChannelCode`]; 3 cancel the
    /// request. Blocks on the key store and the network.
    pub fn confirm_channel(
        &self,
        profile_id: &str,
        request_id: &str,
        answer: String,
    ) -> Result<(), AkuersiError> {
        self.forward_in_turn(profile_id, "confirm_channel", |core| {
            core.confirm_channel(profile_id, request_id, answer)
        })
    }

    /// This device's own activity log for a profile, newest first
    /// (activation, approvals, rejections, reports, wrong PINs). Blocks on
    /// storage.
    pub fn activity(&self, profile_id: &str) -> Result<Vec<ActivityEntry>, AkuersiError> {
        self.forward("activity", |core| core.activity(profile_id))
    }

    // ------------------------------------------------------------ devices

    /// The identity's devices, this one marked. Blocks on the network.
    pub fn devices(&self, profile_id: &str) -> Result<Vec<DeviceView>, AkuersiError> {
        self.forward_in_turn(profile_id, "devices", |core| core.devices(profile_id))
    }

    /// Rename a device of the identity (this one or another). Blocks on the
    /// network and storage.
    pub fn rename_device(
        &self,
        profile_id: &str,
        device_id: String,
        name: String,
    ) -> Result<(), AkuersiError> {
        self.forward_in_turn(profile_id, "rename_device", |core| {
            core.rename_device(profile_id, device_id, name)
        })
    }

    /// Remove a device of the identity (a lost phone, say), with this
    /// device's PIN. Removing the last active device needs `allow_last`,
    /// otherwise [`AkuersiError::LastDevice`]. Blocks on PIN derivation and
    /// the network.
    #[uniffi::method(default(allow_last = false))]
    pub fn remove_device(
        &self,
        profile_id: &str,
        device_id: String,
        pin: String,
        allow_last: bool,
    ) -> Result<(), AkuersiError> {
        self.forward_in_turn(profile_id, "remove_device", |core| {
            core.remove_device(profile_id, device_id, pin, allow_last)
        })
    }

    /// The identity's state for the home and settings screens: frozen or not,
    /// device additions under way (to veto), notification channels and
    /// warnings. Blocks on the network.
    pub fn identity_status(&self, profile_id: &str) -> Result<IdentityStatusView, AkuersiError> {
        self.forward_in_turn(profile_id, "identity_status", |core| {
            core.identity_status(profile_id)
        })
    }

    // ------------------------------------------------------ backup device

    /// On an existing device: start adding a new (backup) device, with the
    /// PIN. Every device and channel is told at once and can veto during the
    /// waiting period (1 hour by default); afterwards
    /// [`Akuersi::pairing_code`] gives the code to show. Blocks on PIN
    /// derivation and the network.
    pub fn start_device_addition(
        &self,
        profile_id: &str,
        pin: String,
    ) -> Result<AdditionView, AkuersiError> {
        self.forward_in_turn(profile_id, "start_device_addition", |core| {
            core.start_device_addition(profile_id, pin)
        })
    }

    /// Stop a device addition during its wait ("this was not me"). Needs no
    /// PIN; any device of the identity can do it. Offer to freeze next.
    /// Blocks on the network.
    pub fn veto_device_addition(
        &self,
        profile_id: &str,
        addition_id: String,
    ) -> Result<(), AkuersiError> {
        self.forward_in_turn(profile_id, "veto_device_addition", |core| {
            core.veto_device_addition(profile_id, addition_id)
        })
    }

    /// After the wait, on the existing device: the one-time pairing code to
    /// show as a QR code (valid 3 minutes, usable once). Blocks on the network.
    pub fn pairing_code(
        &self,
        profile_id: &str,
        addition_id: String,
    ) -> Result<PairingPayloadResponse, AkuersiError> {
        self.forward_in_turn(profile_id, "pairing_code", |core| {
            core.pairing_code(profile_id, addition_id)
        })
    }

    /// On the new device: join the identity with the pairing code scanned
    /// from the existing device, choosing this device's own PIN. Blocks on
    /// the key store, PIN derivation, storage and the network.
    pub fn activate_with_pairing_code(
        &self,
        pairing_code: String,
        new_pin: String,
        device_name: String,
    ) -> Result<Profile, AkuersiError> {
        self.forward("activate_with_pairing_code", |core| {
            core.activate_with_pairing_code(pairing_code, new_pin, device_name)
        })
    }

    /// Activate this device again with an activation code and a new PIN
    /// (after [`AkuersiError::DeviceBlocked`], or a forgotten PIN). Keeps the
    /// device key. The new device secret is stored (staged) before the
    /// service is told; if the answer is lost, the next PIN proof settles
    /// which PIN the service holds, so the PIN chosen here keeps working.
    /// Blocks on PIN derivation, storage and the network.
    pub fn reactivate(
        &self,
        profile_id: &str,
        activation_code: String,
        new_pin: String,
    ) -> Result<(), AkuersiError> {
        self.forward_in_turn(profile_id, "reactivate", |core| {
            core.reactivate(profile_id, activation_code, new_pin)
        })
    }

    // ------------------------------------------------------------- freeze

    /// Freeze the whole identity at once ("I think someone has my app").
    /// Needs no PIN; every device and channel is told. Blocks on the network.
    pub fn freeze(&self, profile_id: &str) -> Result<(), AkuersiError> {
        self.forward_in_turn(profile_id, "freeze", |core| core.freeze(profile_id))
    }

    /// One proof towards unfreezing: this device's PIN, plus optionally an
    /// activation code. Without a code another device must give its PIN too
    /// within 15 minutes (`waiting_for_second_proof`). Blocks on PIN
    /// derivation and the network.
    #[uniffi::method(default(activation_code = None))]
    pub fn unfreeze(
        &self,
        profile_id: &str,
        pin: String,
        activation_code: Option<String>,
    ) -> Result<UnfreezeOutcome, AkuersiError> {
        self.forward_in_turn(profile_id, "unfreeze", |core| {
            core.unfreeze(profile_id, pin, activation_code)
        })
    }

    // ------------------------------------------------- notifications, log

    /// App-channel notifications that arrived since the last call (fetched
    /// only when asked, like requests). Blocks on the network and storage.
    pub fn notifications(&self, profile_id: &str) -> Result<Vec<NotificationItem>, AkuersiError> {
        self.forward_in_turn(profile_id, "notifications", |core| {
            core.notifications(profile_id)
        })
    }

    /// A page of the identity's activity log, newest first, after fetching
    /// what the service added since the last head this app verified, page by
    /// page, and checking it extends the copy verified before. A log edited,
    /// cut, reordered or rolled back anywhere fails with
    /// [`AkuersiError::Protocol`]. Writes state; blocks on the network.
    pub fn activity_log(
        &self,
        profile_id: &str,
        offset: u32,
        limit: u32,
    ) -> Result<ActivityPage, AkuersiError> {
        self.forward_in_turn(profile_id, "activity_log", |core| {
            core.activity_log(profile_id, offset, limit)
        })
    }

    /// A page of this app's verified copy of the activity log, newest first,
    /// without the network (what [`Self::activity_log`] last verified).
    /// Blocks on storage.
    pub fn verified_activity_log(
        &self,
        profile_id: &str,
        offset: u32,
        limit: u32,
    ) -> Result<ActivityPage, AkuersiError> {
        self.forward_in_turn(profile_id, "verified_activity_log", |core| {
            core.verified_activity_log(profile_id, offset, limit)
        })
    }

    // ----------------------------------------------------------- settings

    /// Change the user ID, with the PIN; every channel is told. Blocks on PIN
    /// derivation, the network and storage.
    pub fn change_user_id(
        &self,
        profile_id: &str,
        new_user_id: String,
        pin: String,
    ) -> Result<(), AkuersiError> {
        self.forward_in_turn(profile_id, "change_user_id", |core| {
            core.change_user_id(profile_id, new_user_id, pin)
        })
    }

    /// Change the phone number (SMS) and e-mail address notices go to, with
    /// the PIN; the old and new addresses are told. `None` leaves one as it
    /// is. Blocks on PIN derivation and the network.
    pub fn change_contact(
        &self,
        profile_id: &str,
        phone: Option<String>,
        email: Option<String>,
        pin: String,
    ) -> Result<(), AkuersiError> {
        self.forward_in_turn(profile_id, "change_contact", |core| {
            core.change_contact(profile_id, phone, email, pin)
        })
    }

    /// Opt in to (or out of) a notice on every use, with the PIN. Blocks on
    /// PIN derivation and the network.
    pub fn set_notify_every_use(
        &self,
        profile_id: &str,
        on: bool,
        pin: String,
    ) -> Result<(), AkuersiError> {
        self.forward_in_turn(profile_id, "set_notify_every_use", |core| {
            core.set_notify_every_use(profile_id, on, pin)
        })
    }

    /// Change the PIN: the old PIN is proved to the service, the new one
    /// (checked against the blocklist) replaces it. Both are wiped after use.
    /// Blocks on PIN derivation, the network and storage.
    pub fn change_pin(
        &self,
        profile_id: &str,
        old_pin: String,
        new_pin: String,
    ) -> Result<(), AkuersiError> {
        self.forward_in_turn(profile_id, "change_pin", |core| {
            core.change_pin(profile_id, old_pin, new_pin)
        })
    }
}

impl Akuersi {
    /// Like [`Akuersi::new`] with a clock of the caller's choosing (Rust only:
    /// tests and the simulator use a test clock).
    pub fn with_clock(
        config: InstallationConfig,
        transport: Arc<dyn Transport>,
        key_store: Option<Arc<dyn KeyStore>>,
        vault: Option<Arc<dyn SecretVault>>,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, AkuersiError> {
        let vault: Arc<dyn core_keys::SecretVault> = match vault {
            Some(v) => Arc::new(VaultBridge(v)),
            None if is_in_memory(&config.database_path) => Arc::new(SoftwareVault::ephemeral()?),
            None => Arc::new(SoftwareVault::from_key_file(&vault_key_path(
                &config.database_path,
            ))?),
        };
        let key_store =
            key_store.map(|k| Arc::new(KeyStoreBridge(k)) as Arc<dyn core_keys::KeyStore>);
        let inner = Installation::open(
            config,
            Arc::new(TransportBridge(transport)),
            clock,
            vault,
            key_store,
        )?;
        Ok(Arc::new(Self {
            inner,
            in_flight: Mutex::new(HashMap::new()),
        }))
    }

    /// [`guard`] around a plain call into the core, whose error becomes the
    /// public one.
    fn forward<T>(
        &self,
        what: &str,
        f: impl FnOnce(&Installation) -> akuersi_core::Result<T>,
    ) -> Result<T, AkuersiError> {
        guard(what, || Ok(f(&self.inner)?))
    }

    /// [`Akuersi::one_at_a_time`] around a plain call into the core, whose
    /// error becomes the public one.
    fn forward_in_turn<T>(
        &self,
        profile_id: &str,
        what: &str,
        f: impl FnOnce(&Installation) -> akuersi_core::Result<T>,
    ) -> Result<T, AkuersiError> {
        self.one_at_a_time(profile_id, what, || Ok(f(&self.inner)?))
    }

    /// Run a call that sends signed messages for `profile_id`, after any
    /// other such call for the same profile has finished.
    fn one_at_a_time<T>(
        &self,
        profile_id: &str,
        what: &str,
        f: impl FnOnce() -> Result<T, AkuersiError>,
    ) -> Result<T, AkuersiError> {
        guard(what, || {
            let lock = {
                let mut map = self.in_flight.lock().unwrap_or_else(|p| p.into_inner());
                map.entry(profile_id.to_owned()).or_default().clone()
            };
            // A platform callback that calls back in for this profile on
            // this thread would wait for its own turn for ever: refuse it.
            let _mark = reentry::enter(reentry::key_of(&lock))?;
            let refused_before = reentry::refused_so_far();
            // A panic while holding the lock is turned into an error by
            // `guard`; the lock guards no data, so a poisoned one is fine.
            let _turn = lock.lock().unwrap_or_else(|p| p.into_inner());
            // If a callback was refused a re-entry and then failed (however
            // it reported it), that is why this call failed.
            f().map_err(|e| {
                if reentry::refused_so_far() != refused_before {
                    AkuersiError::ReentrantCall
                } else {
                    e
                }
            })
        })
    }

    /// The core's installation behind this facade (Rust only).
    pub fn installation(&self) -> &Arc<Installation> {
        &self.inner
    }
}

fn is_in_memory(path: &str) -> bool {
    path == ":memory:" || path.is_empty()
}

/// Where the software vault's key lives: next to the database.
fn vault_key_path(database_path: &str) -> PathBuf {
    PathBuf::from(format!("{database_path}.vault-key"))
}
