//! Device care on the app side: the device list, renaming and removing
//! devices, adding a backup device (start with the PIN, wait while every
//! device and channel is told, show a one-time pairing code, join on the new
//! device), freeze and unfreeze, notifications, settings and the activity log.
//!
//! Every call here may block on storage, the key store or the network (and,
//! where a PIN is taken, on PIN derivation): keep them off the main thread.

use crate::app::{Installation, LocalActivityKind, Profile, ProfileSecrets};
use crate::error::{Error, Result};
use crate::store::staged::StagedKind;
use crate::store::{activity, identity_log, profiles};
use crate::transport::call_endpoint;
use akuersi_protocol::activity::{verify_extension, LogEntry};
use akuersi_protocol::endpoint::{endpoints, DeviceEndpoint};
use akuersi_protocol::identity::UserId;
use akuersi_protocol::pin::Pin;
use akuersi_protocol::service_key::{follow_rotations, service_key_id};
use akuersi_protocol::wire::{
    operation_pake_context, pairing_proof, parse_pairing_payload, Ack, ActivateResponse,
    ActivityQuery, ActivityResponse, AdditionView, ChangeContact, ChangePin, ChangeSettings,
    ChangeUserId, Channel, CompletePairing, DeviceListQuery, DeviceListResponse, DeviceStatus,
    Freeze, IdentityStatus, IdentityStatusQuery, NotificationItem, NotificationsQuery,
    NotificationsResponse, PairingOffer, PairingPayloadResponse, PakeProof, PinPurpose,
    RemoveDevice, RenameDevice, StartAddition, Unfreeze, UnfreezeResponse, VetoAddition,
    MAX_ACTIVITY_PAGE, MAX_NOTIFICATION_PAGE,
};

/// A device of the identity, as the device list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct DeviceView {
    /// Device id.
    pub device_id: String,
    /// Name.
    pub name: String,
    /// Platform label.
    pub platform: String,
    /// Active, suspended or blocked.
    pub status: DeviceStatus,
    /// When it was enrolled (service clock).
    pub enrolled_at_ms: i64,
    /// When it was last used (service clock).
    pub last_used_at_ms: i64,
    /// True for the device this app runs on.
    pub this_device: bool,
}

/// The identity's state, as the app's home and settings screens show it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct IdentityStatusView {
    /// The user ID.
    pub user_id: String,
    /// True while the identity is frozen.
    pub frozen: bool,
    /// Device additions waiting (veto possible) or ready.
    pub additions: Vec<AdditionView>,
    /// Notification channels set up (the app, SMS, e-mail).
    pub channels: Vec<Channel>,
    /// Warnings to show in the owner's language, such as fewer than two channels.
    pub warnings: Vec<String>,
    /// The owner opted in to a notice on every use.
    pub notify_every_use: bool,
}

/// Where an unfreeze stands after one proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct UnfreezeOutcome {
    /// True once the identity is no longer frozen.
    pub unfrozen: bool,
    /// True when a second proof (another device's PIN, or an activation code) is still needed.
    pub waiting_for_second_proof: bool,
}

/// Most entries one sync takes in before it gives up: a service that keeps
/// answering with more would otherwise fill the app's memory.
pub const MAX_LOG_SYNC_ENTRIES: usize = 1_000_000;

/// A verified page of the identity's activity log, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "uniffi", derive(uniffi::Record))]
pub struct ActivityPage {
    /// Entries, newest first.
    pub entries: Vec<LogEntry>,
    /// Number of entries in the whole log, as verified.
    pub total: u64,
}

impl Installation {
    /// Prove the PIN for an operation (not a request).
    fn operation_proof(
        &self,
        profile_id: &str,
        secrets: &ProfileSecrets,
        pin: String,
        purpose: PinPurpose,
    ) -> Result<PakeProof> {
        let pin = Pin::new(pin)?;
        let context = operation_pake_context(&secrets.device_id, &purpose);
        let (_, proof) = self.prove_pin(profile_id, secrets, pin, purpose, &context)?;
        Ok(proof)
    }

    /// The one path of every PIN-guarded operation: prove the PIN for
    /// `purpose`, then sign and send endpoint `E`'s body built around the
    /// proof. Blocks on PIN derivation and the network.
    fn pin_guarded<E: DeviceEndpoint>(
        &self,
        profile_id: &str,
        secrets: &ProfileSecrets,
        pin: String,
        purpose: PinPurpose,
        body: impl FnOnce(PakeProof) -> Result<E::Body>,
    ) -> Result<E::Response>
    where
        E::Body: Clone,
    {
        let pake = self.operation_proof(profile_id, secrets, pin, purpose)?;
        self.signed_call::<E>(profile_id, secrets, body(pake)?)
    }

    /// The identity's active devices, marking this one.
    pub fn devices(&self, profile_id: &str) -> Result<Vec<DeviceView>> {
        let secrets = self.secrets(profile_id)?;
        let r: DeviceListResponse =
            self.signed_call::<endpoints::Devices>(profile_id, &secrets, DeviceListQuery {})?;
        self.note_server_time(profile_id, r.server_time_ms)?;
        Ok(r.devices
            .into_iter()
            .map(|d| DeviceView {
                this_device: d.device_id == secrets.device_id,
                device_id: d.device_id,
                name: d.name,
                platform: d.platform,
                status: d.status,
                enrolled_at_ms: d.enrolled_at_ms,
                last_used_at_ms: d.last_used_at_ms,
            })
            .collect())
    }

    /// Rename a device of the identity (this one or another). Writes state.
    pub fn rename_device(&self, profile_id: &str, device_id: String, name: String) -> Result<()> {
        let secrets = self.secrets(profile_id)?;
        let name = name.trim().to_owned();
        let this = device_id == secrets.device_id;
        let _: Ack = self.signed_call::<endpoints::RenameDevice>(
            profile_id,
            &secrets,
            RenameDevice {
                device_id,
                name: name.clone(),
            },
        )?;
        if this {
            self.store
                .write(|tx| profiles::set_device_name(tx, profile_id, &name))?;
        }
        Ok(())
    }

    /// Remove a device of the identity, with the PIN. Removing the identity's
    /// last device fails with `Error::Service { code: LastDevice }` unless
    /// `allow_last` is set: the identity then needs a new activation code.
    /// Removing this device also deletes its profile, key and secret here.
    pub fn remove_device(
        &self,
        profile_id: &str,
        device_id: String,
        pin: String,
        allow_last: bool,
    ) -> Result<()> {
        let secrets = self.secrets(profile_id)?;
        let purpose = PinPurpose::RemoveDevice {
            device_id: device_id.clone(),
        };
        let this = device_id == secrets.device_id;
        let _: Ack = self.pin_guarded::<endpoints::RemoveDevice>(
            profile_id,
            &secrets,
            pin,
            purpose,
            |pake| {
                Ok(RemoveDevice {
                    device_id,
                    allow_last,
                    pake,
                })
            },
        )?;
        if this {
            self.forget_profile(profile_id, &secrets)?;
        }
        Ok(())
    }

    /// Delete a profile and its key from this installation (local only).
    pub(crate) fn forget_profile(&self, profile_id: &str, secrets: &ProfileSecrets) -> Result<()> {
        self.store.write(|tx| {
            profiles::delete(tx, profile_id)?;
            crate::store::staged::delete_for_profile(tx, profile_id)
        })?;
        self.keys.delete(&secrets.key_alias)
    }

    /// The identity's state: frozen or not, device additions under way (any
    /// device can veto them), channels and warnings.
    pub fn identity_status(&self, profile_id: &str) -> Result<IdentityStatusView> {
        let secrets = self.secrets(profile_id)?;
        let s: IdentityStatus =
            self.signed_call::<endpoints::Status>(profile_id, &secrets, IdentityStatusQuery {})?;
        self.note_server_time(profile_id, s.server_time_ms)?;
        let profile = self.profile(profile_id)?;
        let mut warnings = Vec::new();
        if s.channels.len() < 2 {
            warnings.push(crate::display::i18n::text(
                &profile.language,
                "warning.fewer_than_two_channels",
                &[],
            ));
        }
        if s.user_id != profile.user_id {
            // The user ID was changed from another device: keep up.
            if let Ok(user) = UserId::parse(&s.user_id) {
                self.store
                    .write(|tx| profiles::set_user_id(tx, profile_id, &user))?;
            }
        }
        Ok(IdentityStatusView {
            user_id: s.user_id,
            frozen: s.frozen,
            additions: s.additions,
            channels: s.channels,
            warnings,
            notify_every_use: s.notify_every_use,
        })
    }

    /// Start adding a new device, with the PIN. The service tells every device
    /// and channel at once; the pairing code can be shown after the waiting
    /// period (1 hour by default). Writes state.
    pub fn start_device_addition(&self, profile_id: &str, pin: String) -> Result<AdditionView> {
        let secrets = self.secrets(profile_id)?;
        self.pin_guarded::<endpoints::AdditionStart>(
            profile_id,
            &secrets,
            pin,
            PinPurpose::AddDevice,
            |pake| Ok(StartAddition { pake }),
        )
    }

    /// Stop a device addition during its wait ("this was not me"). No PIN: any
    /// device of the identity can do it. The app should then offer to freeze.
    pub fn veto_device_addition(&self, profile_id: &str, addition_id: String) -> Result<()> {
        let secrets = self.secrets(profile_id)?;
        let _: Ack = self.signed_call::<endpoints::AdditionVeto>(
            profile_id,
            &secrets,
            VetoAddition { addition_id },
        )?;
        Ok(())
    }

    /// After the wait, the one-time pairing code to show as a QR code on this
    /// device (valid 3 minutes, usable once).
    pub fn pairing_code(
        &self,
        profile_id: &str,
        addition_id: String,
    ) -> Result<PairingPayloadResponse> {
        let secrets = self.secrets(profile_id)?;
        self.signed_call::<endpoints::AdditionPairing>(
            profile_id,
            &secrets,
            PairingOffer { addition_id },
        )
    }

    /// On the new device: join the identity with the pairing code scanned from
    /// the existing device, choosing this device's own PIN. Generates this
    /// device's key and device secret. Writes state.
    pub fn activate_with_pairing_code(
        &self,
        pairing_code: String,
        new_pin: String,
        device_name: String,
    ) -> Result<Profile> {
        let pin = Pin::new_chosen(new_pin)?;
        let name = crate::app::check_device_name(&device_name)?;
        let (addition_id, secret) = parse_pairing_payload(&pairing_code)
            .ok_or_else(|| Error::InvalidInput("this is not an Akuersi pairing code".into()))?;
        let device = self.new_device_material(&pin)?;
        let (row, _) = self
            .stage_new_device(
                &device,
                &name,
                "this device was added from an existing device",
            )
            .inspect_err(|_| {
                let _ = self.keys.delete(&device.key_alias);
            })?;
        let mut msg = CompletePairing {
            addition_id,
            device_id: device.device_id.clone(),
            device_public_key: device.public_key.clone(),
            device_name: name.clone(),
            platform: self.config.platform.clone(),
            verifier: device.verifier.clone(),
            pairing_proof: Vec::new(),
            signature: Vec::new(),
        };
        let bytes = msg.signed_bytes();
        msg.pairing_proof = pairing_proof(&secret[..], &bytes);
        match self.keys.sign(&device.key_alias, &bytes) {
            Ok(signature) => msg.signature = signature,
            Err(e) => {
                self.unstage(&row, None)?;
                return Err(e);
            }
        }
        if let Err(e) = call_endpoint::<endpoints::AdditionComplete>(self.transport.as_ref(), &msg)
        {
            return Err(self.settle_failed(&row, None, e));
        }
        // Learn the user ID, identity and service key with a first signed
        // message, and make the profile: the same step that settles a
        // staged device after a kill.
        self.resolve_new_device(&row)?.ok_or_else(|| {
            Error::Protocol("the service does not know the device it just added".into())
        })
    }

    /// Activate this device again with an activation code and a new PIN, for
    /// a device blocked after too many wrong PINs (or whose PIN is forgotten).
    /// Keeps the device key; makes a new device secret. Writes state.
    pub fn reactivate(
        &self,
        profile_id: &str,
        activation_code: String,
        new_pin: String,
    ) -> Result<()> {
        let pin = Pin::new_chosen(new_pin)?;
        let profile = self.profile(profile_id)?;
        let secrets = self.secrets(profile_id)?;
        let public_key = self.keys.public_key(&secrets.key_alias)?;
        let device_secret = zeroize::Zeroizing::new(akuersi_protocol::crypto::random_array::<
            { akuersi_protocol::pin::DEVICE_SECRET_LEN },
        >()?);
        let iterations = self.config.kdf_iterations;
        let (w0, w1) = akuersi_protocol::pin::derive_pake_secrets(
            &pin,
            &device_secret[..],
            &secrets.device_id,
            iterations,
        );
        let record = akuersi_protocol::spake2plus::registration_record(&w0, &w1);
        // Stage the new secret before the service replaces the verifier, so
        // that a kill in between cannot leave the service with a verifier
        // whose secret is lost (see `crate::staged`).
        let (row, previous) = self.stage_secret(
            StagedKind::Verifier,
            &secrets.device_id,
            Some(profile_id),
            &secrets.key_alias,
            &device_secret[..],
            iterations,
            &profile.device_name,
            "this device was activated again with a new PIN",
        )?;
        let mut msg = akuersi_protocol::wire::Activate {
            user_id: profile.user_id.clone(),
            activation_code: activation_code.trim().to_owned(),
            device_id: secrets.device_id.clone(),
            device_public_key: public_key,
            device_name: profile.device_name.clone(),
            platform: self.config.platform.clone(),
            verifier: akuersi_protocol::wire::VerifierRegistration {
                w0: zeroize::Zeroizing::new(record.w0.to_bytes().to_vec()),
                l: zeroize::Zeroizing::new(record.l.to_vec()),
                kdf_iterations: iterations,
            },
            signature: Vec::new(),
        };
        match self.keys.sign(&secrets.key_alias, &msg.signed_bytes()) {
            Ok(signature) => msg.signature = signature,
            Err(e) => {
                self.unstage(&row, previous)?;
                return Err(e);
            }
        }
        let answer: ActivateResponse =
            match call_endpoint::<endpoints::Activate>(self.transport.as_ref(), &msg) {
                Ok(a) => a,
                Err(e) => return Err(self.settle_failed(&row, previous, e)),
            };
        self.promote_verifier(&row)?;
        self.note_server_time(profile_id, answer.server_time_ms)
    }

    /// Freeze the whole identity at once. No PIN: speed matters more than a
    /// thief's nuisance. Every device and channel is told.
    pub fn freeze(&self, profile_id: &str) -> Result<()> {
        let secrets = self.secrets(profile_id)?;
        let _: Ack = self.signed_call::<endpoints::Freeze>(profile_id, &secrets, Freeze {})?;
        let now = self.clock.now_ms();
        self.store.write(|tx| {
            activity::append(
                tx,
                profile_id,
                now,
                LocalActivityKind::Frozen,
                None,
                "the identity was frozen",
            )
        })
    }

    /// One proof towards unfreezing: this device's PIN, plus optionally an
    /// activation code. Without a code, another device must do the same within
    /// 15 minutes.
    pub fn unfreeze(
        &self,
        profile_id: &str,
        pin: String,
        activation_code: Option<String>,
    ) -> Result<UnfreezeOutcome> {
        let secrets = self.secrets(profile_id)?;
        let r: UnfreezeResponse = self.pin_guarded::<endpoints::Unfreeze>(
            profile_id,
            &secrets,
            pin,
            PinPurpose::Unfreeze,
            |pake| {
                Ok(Unfreeze {
                    pake,
                    activation_code,
                })
            },
        )?;
        Ok(UnfreezeOutcome {
            unfrozen: r.unfrozen,
            waiting_for_second_proof: r.waiting_for_second_proof,
        })
    }

    /// App-channel notifications that arrived since the last call (fetched
    /// only when asked, like requests), page by page: the service sends at
    /// most [`MAX_NOTIFICATION_PAGE`] at once. Writes the last seen id after
    /// each page. Blocks on the network.
    pub fn notifications(&self, profile_id: &str) -> Result<Vec<NotificationItem>> {
        let secrets = self.secrets(profile_id)?;
        let mut after = profiles::last_notification_id(&*self.store.conn()?, profile_id)?
            .ok_or(Error::UnknownProfile)?;
        let mut items = Vec::new();
        loop {
            let r: NotificationsResponse = self.signed_call::<endpoints::Notifications>(
                profile_id,
                &secrets,
                NotificationsQuery {
                    after_id: u64::try_from(after).unwrap_or(0),
                },
            )?;
            let full = r.items.len() >= MAX_NOTIFICATION_PAGE as usize;
            match r.items.last() {
                Some(last) if i64::try_from(last.id).is_ok_and(|id| id > after) => {
                    after = i64::try_from(last.id).unwrap_or(i64::MAX);
                    self.store
                        .write(|tx| profiles::set_last_notification_id(tx, profile_id, after))?;
                }
                _ => break,
            }
            items.extend(r.items);
            if !full {
                break;
            }
        }
        Ok(items)
    }

    /// A page of the identity's activity log, newest first: skip `offset`
    /// entries, then at most `limit`. First brings this app's verified copy
    /// up to date ([`Self::sync_activity_log`]), so it needs the network and
    /// blocks; keep it off the main thread.
    pub fn activity_log(&self, profile_id: &str, offset: u32, limit: u32) -> Result<ActivityPage> {
        self.sync_activity_log(profile_id)?;
        self.verified_activity_log(profile_id, offset, limit)
    }

    /// A page of this app's verified copy of the activity log, newest first,
    /// without the network: what [`Self::activity_log`] last verified.
    /// Blocks on storage.
    pub fn verified_activity_log(
        &self,
        profile_id: &str,
        offset: u32,
        limit: u32,
    ) -> Result<ActivityPage> {
        // An unknown profile is an error, not an empty log.
        self.profile(profile_id)?;
        let conn = self.store.conn()?;
        Ok(ActivityPage {
            entries: identity_log::newest_first(&conn, profile_id, offset, limit)?,
            total: identity_log::count(&conn, profile_id)?,
        })
    }

    /// Fetch the entries added to the identity's activity log since the last
    /// head this app verified, page by page, and keep them once the whole
    /// extension checks out: every entry's hash, each link from the last
    /// verified entry on, and the head the service signed now (with the key
    /// learned at activation). A log edited, cut or reordered anywhere, or one
    /// that does not extend the copy verified before, fails with
    /// `Error::Protocol` and changes nothing. Returns how many entries were
    /// added. Writes state; blocks on the network.
    pub fn sync_activity_log(&self, profile_id: &str) -> Result<u64> {
        let secrets = self.secrets(profile_id)?;
        let profile = self.profile(profile_id)?;
        let (trusted, mut retired, from) = {
            let conn = self.store.conn()?;
            (
                profiles::service_public_key(&conn, profile_id)?,
                profiles::retired_service_keys(&conn, profile_id)?,
                identity_log::anchor(&conn, profile_id)?,
            )
        };
        let mut fetched: Vec<LogEntry> = Vec::new();
        let mut after = from.seq;
        let last = loop {
            let mut r: ActivityResponse = self.signed_call::<endpoints::Activity>(
                profile_id,
                &secrets,
                ActivityQuery {
                    after_seq: after,
                    limit: MAX_ACTIVITY_PAGE,
                },
            )?;
            let last_seq = r.entries.last().map(|e| e.seq);
            fetched.extend(std::mem::take(&mut r.entries));
            match last_seq {
                // Only a page that moves on is worth asking after; anything
                // else ends here and is judged by the checks below.
                Some(seq) if seq > after && seq < r.head.seq => after = seq,
                _ => break r,
            }
            if fetched.len() > MAX_LOG_SYNC_ENTRIES {
                return Err(Error::Protocol(format!(
                    "the activity log grew by more than {MAX_LOG_SYNC_ENTRIES} entries at once"
                )));
            }
        };
        // The key that signed the last head: the trusted one, one it passed
        // trust to by a rotation statement, or a retired one for heads it
        // signed before it was retired (PROTOCOL §12.6).
        let chain = follow_rotations(&trusted, &last.key_rotations).map_err(|e| {
            Error::Protocol(format!("the service's new key does not check out: {e}"))
        })?;
        let mut newest = trusted;
        for rotation in &chain {
            retired.push((
                rotation.old_key_id.clone(),
                std::mem::replace(&mut newest, rotation.new_public_key.clone()),
                rotation.rotated_at_ms,
            ));
        }
        let head = &last.head;
        let key = if head.key_id == service_key_id(&newest) {
            &newest
        } else {
            match retired.iter().find(|(id, _, _)| *id == head.key_id) {
                Some((_, key, at)) if head.signed_at_ms <= *at => key,
                Some(_) => {
                    return Err(Error::Protocol(
                        "the activity log is signed by a retired service key".into(),
                    ))
                }
                None => &newest,
            }
        };
        verify_extension(&profile.identity_id, &from, &fetched, head, key)
            .map_err(identity_log::chain_error)?;
        self.store.write(|tx| {
            if !chain.is_empty() {
                let learned = &retired[retired.len() - chain.len()..];
                profiles::learn_service_key(tx, profile_id, learned, &newest)?;
            }
            identity_log::extend(tx, profile_id, &from, &fetched, head)
        })?;
        Ok(fetched.len() as u64)
    }

    /// Change the user ID, with the PIN. Every channel is told. Writes state.
    pub fn change_user_id(&self, profile_id: &str, new_user_id: String, pin: String) -> Result<()> {
        let user = UserId::parse(&new_user_id)?;
        let secrets = self.secrets(profile_id)?;
        let _: Ack = self.pin_guarded::<endpoints::ChangeUserId>(
            profile_id,
            &secrets,
            pin,
            PinPurpose::ChangeUserId,
            |pake| {
                Ok(ChangeUserId {
                    new_user_id: user.as_str().to_owned(),
                    pake,
                })
            },
        )?;
        self.store
            .write(|tx| profiles::set_user_id(tx, profile_id, &user))
    }

    /// Change contact data (phone for SMS, e-mail), with the PIN. The old and
    /// the new addresses are told.
    pub fn change_contact(
        &self,
        profile_id: &str,
        phone: Option<String>,
        email: Option<String>,
        pin: String,
    ) -> Result<()> {
        let secrets = self.secrets(profile_id)?;
        let _: Ack = self.pin_guarded::<endpoints::ChangeContact>(
            profile_id,
            &secrets,
            pin,
            PinPurpose::ChangeContact,
            |pake| Ok(ChangeContact { phone, email, pake }),
        )?;
        Ok(())
    }

    /// Opt in to (or out of) a notice on every use, with the PIN.
    pub fn set_notify_every_use(&self, profile_id: &str, on: bool, pin: String) -> Result<()> {
        let secrets = self.secrets(profile_id)?;
        let _: Ack = self.pin_guarded::<endpoints::ChangeSettings>(
            profile_id,
            &secrets,
            pin,
            PinPurpose::ChangeSettings,
            |pake| {
                Ok(ChangeSettings {
                    notify_every_use: on,
                    pake,
                })
            },
        )?;
        Ok(())
    }

    /// Choose a new PIN for this device, proved with the old one. The device
    /// secret stays; the verifier at the service changes. When the iteration
    /// count changes too, the new count is staged first and promoted after
    /// the service's answer (see [`crate::staged`]). Writes state.
    pub fn change_pin(&self, profile_id: &str, old_pin: String, new_pin: String) -> Result<()> {
        let new_pin = Pin::new_chosen(new_pin)?;
        let secrets = self.secrets(profile_id)?;
        let iterations = self.config.kdf_iterations;
        let mut staged_row = None;
        let result = self.pin_guarded::<endpoints::ChangePin>(
            profile_id,
            &secrets,
            old_pin,
            PinPurpose::ChangePin,
            |pake| {
                // The proof may have promoted a staged secret: use the
                // profile's secret as it is now.
                let current = self.secrets(profile_id)?;
                let device_secret = self.vault.open(
                    &crate::app::secret_label(&current.device_id),
                    &current.sealed_device_secret,
                )?;
                let (w0, w1) = akuersi_protocol::pin::derive_pake_secrets(
                    &new_pin,
                    &device_secret,
                    &current.device_id,
                    iterations,
                );
                let record = akuersi_protocol::spake2plus::registration_record(&w0, &w1);
                if iterations != current.kdf_iterations {
                    let (row, _) = self.stage_secret(
                        StagedKind::Verifier,
                        &current.device_id,
                        Some(profile_id),
                        &current.key_alias,
                        &device_secret,
                        iterations,
                        "",
                        "",
                    )?;
                    staged_row = Some(row);
                }
                let verifier = akuersi_protocol::wire::VerifierRegistration {
                    w0: zeroize::Zeroizing::new(record.w0.to_bytes().to_vec()),
                    l: zeroize::Zeroizing::new(record.l.to_vec()),
                    kdf_iterations: iterations,
                };
                Ok(ChangePin { verifier, pake })
            },
        );
        match (result, staged_row) {
            (Ok(_), Some(row)) => self.promote_verifier(&row),
            (Ok(_), None) => Ok(()),
            (Err(e), Some(row)) => Err(self.settle_failed(&row, None, e)),
            (Err(e), None) => Err(e),
        }
    }
}
