//! Crash-safe replacement of a device secret: the one path by which a new
//! device secret (and PIN verifier) reaches the service.
//!
//! 1. **Stage**: the new secret is sealed by the vault and stored in
//!    `staged_secrets`, in one transaction, *before* anything is sent. A
//!    vault or storage failure here sends nothing.
//! 2. **Commit at the service**: activation, pairing, reactivation or PIN
//!    change. A refusal from the service (any answer with an error code)
//!    means it changed nothing: the staged row is dropped (or the one it
//!    replaced is put back). A lost answer (network failure, an answer that
//!    does not parse, or the app killed) leaves the staged row in place.
//! 3. **Promote**: the staged secret becomes the profile's, in one
//!    transaction (profile row, secret, iterations, activity line, staged row
//!    removed together).
//!
//! Whatever is still staged is reconciled later, by asking the service in a
//! way that cannot be mistaken:
//!
//! * **A new device** (activation, pairing, and re-activation with a new
//!   key): the staged key signs an `/v1/device/status` envelope. An answer
//!   proves the service enrolled the device (it knows the key): promote,
//!   with the identity id and the service key the answer carries.
//!   `unknown_device` proves it did not: drop the row and delete the key
//!   (the activation code was not spent). Anything else: keep, try again.
//!   Done by [`Installation::reconcile_staged`], which `open` runs.
//! * **A new verifier for an existing device** (reactivation, a PIN change
//!   with new iterations): the service holds exactly one of the two
//!   verifiers, and only the PIN tells them apart. The next PIN proof tries
//!   the staged secret first: a correct proof proves the service holds the
//!   staged verifier (promote); if it fails as a wrong PIN, the current secret
//!   is tried with the same PIN, and a correct proof proves the service holds
//!   the current one (drop the staged row). Until that happens, a wrong PIN
//!   costs two counted attempts instead of one.

use akuersi_protocol::crypto::random_id;
use akuersi_protocol::endpoint::endpoints;
use akuersi_protocol::identity::UserId;
use akuersi_protocol::wire::{DeviceSigned, ErrorCode, IdentityStatus, IdentityStatusQuery};

use crate::app::{Installation, LocalActivityKind, Profile};
use crate::error::{Error, Result};
use crate::store::staged::{self, Staged, StagedKind};
use crate::store::{activity, profiles};
use crate::transport::call_endpoint;

/// What the service said about a new device when it took it.
pub(crate) struct Enrolled {
    pub(crate) user_id: String,
    pub(crate) identity_id: String,
    pub(crate) service_public_key: Vec<u8>,
    pub(crate) server_time_ms: i64,
}

/// True when the service answered with a refusal, so that it changed
/// nothing; false when the outcome is unknown (no answer, or one that does
/// not follow the protocol).
pub(crate) fn service_refused(e: &Error) -> bool {
    matches!(
        e,
        Error::WrongPin { .. }
            | Error::DeviceSuspended { .. }
            | Error::DeviceBlocked
            | Error::RequestExpired
            | Error::AlreadyDecided
            | Error::RequestCancelled
            | Error::RequestNotFound
            | Error::InvalidActivationCode
            | Error::ActivationCodeBlocked
            | Error::DeviceLimit
            | Error::ChannelBindingRequired
            | Error::WrongChannelCode { .. }
            | Error::RateLimited
            | Error::Service { .. }
    )
}

impl Installation {
    /// Seal `secret` under the device's label and stage it for `device_id`.
    /// Returns what it replaced, to put back if the service refuses. Writes
    /// state (one transaction); sends nothing.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn stage_secret(
        &self,
        kind: StagedKind,
        device_id: &str,
        profile_id: Option<&str>,
        key_alias: &str,
        secret: &[u8],
        kdf_iterations: u32,
        device_name: &str,
        note: &str,
    ) -> Result<(Staged, Option<Staged>)> {
        let sealed = self
            .vault
            .seal(&crate::app::secret_label(device_id), secret)?;
        let profile_id = match profile_id {
            Some(p) => p.to_owned(),
            None => random_id()?,
        };
        let row = Staged {
            kind,
            device_id: device_id.to_owned(),
            profile_id,
            key_alias: key_alias.to_owned(),
            sealed_device_secret: sealed,
            kdf_iterations,
            device_name: device_name.to_owned(),
            next_seq: 1,
            note: note.to_owned(),
            created_at_ms: self.clock.now_ms(),
        };
        let previous = self.store.write(|tx| {
            let previous = match kind {
                StagedKind::Verifier => staged::for_profile(tx, &row.profile_id)?,
                StagedKind::NewDevice => None,
            };
            staged::put(tx, &row)?;
            Ok(previous)
        })?;
        Ok((row, previous))
    }

    /// The service refused (or nothing was sent): undo the staging, putting
    /// back what it replaced. A new device's key is deleted. Writes state.
    pub(crate) fn unstage(&self, row: &Staged, previous: Option<Staged>) -> Result<()> {
        self.store.write(|tx| {
            staged::delete(tx, &row.device_id)?;
            if let Some(p) = &previous {
                staged::put(tx, p)?;
            }
            Ok(())
        })?;
        if row.kind == StagedKind::NewDevice {
            self.keys.delete(&row.key_alias)?;
        }
        Ok(())
    }

    /// After the commit call: keep the row when the outcome is unknown,
    /// unstage it when the service refused. Returns the error unchanged.
    pub(crate) fn settle_failed(&self, row: &Staged, previous: Option<Staged>, e: Error) -> Error {
        if service_refused(&e) {
            if let Err(undo) = self.unstage(row, previous) {
                return undo;
            }
        }
        e
    }

    /// Make a staged verifier the profile's own: secret, iterations and the
    /// activity line in one transaction. Writes state.
    pub(crate) fn promote_verifier(&self, row: &Staged) -> Result<()> {
        let now = self.clock.now_ms();
        self.store.write(|tx| {
            profiles::replace_device_secret(
                tx,
                &row.profile_id,
                &row.sealed_device_secret,
                row.kdf_iterations,
            )?;
            staged::delete(tx, &row.device_id)?;
            if !row.note.is_empty() {
                activity::append(
                    tx,
                    &row.profile_id,
                    now,
                    LocalActivityKind::Reactivated,
                    None,
                    &row.note,
                )?;
            }
            Ok(())
        })
    }

    /// Drop a staged verifier that the service proved it does not hold.
    pub(crate) fn drop_staged(&self, row: &Staged) -> Result<()> {
        self.store.write(|tx| staged::delete(tx, &row.device_id))
    }

    /// Make a staged new device a profile, in one transaction. If this
    /// installation already has the user ID, the staged device is dropped and
    /// its key deleted, and `ProfileExists` returned. Writes state.
    pub(crate) fn promote_new_device(&self, row: &Staged, enrolled: &Enrolled) -> Result<Profile> {
        let user = UserId::parse(&enrolled.user_id)?;
        let now = self.clock.now_ms();
        let profile = Profile {
            profile_id: row.profile_id.clone(),
            user_id: user.as_str().to_owned(),
            identity_id: enrolled.identity_id.clone(),
            device_id: row.device_id.clone(),
            device_name: row.device_name.clone(),
            language: self.config.default_language.clone(),
        };
        let exists = self.store.write(|tx| {
            if profiles::exists_by_user_key(tx, user.key())? {
                staged::delete(tx, &row.device_id)?;
                return Ok(true);
            }
            profiles::insert(
                tx,
                &profiles::NewProfile {
                    profile: &profile,
                    user_key: user.key(),
                    key_alias: &row.key_alias,
                    sealed_device_secret: &row.sealed_device_secret,
                    kdf_iterations: row.kdf_iterations,
                    next_seq: row.next_seq,
                    clock_offset_ms: enrolled.server_time_ms - now,
                    created_at_ms: now,
                    service_public_key: &enrolled.service_public_key,
                },
            )?;
            staged::delete(tx, &row.device_id)?;
            activity::append(
                tx,
                &profile.profile_id,
                now,
                LocalActivityKind::Activated,
                None,
                &row.note,
            )?;
            Ok(false)
        })?;
        if exists {
            self.keys.delete(&row.key_alias)?;
            return Err(Error::ProfileExists);
        }
        Ok(profile)
    }

    /// Ask the service about a staged new device with a signed status query
    /// (a sequence number leased durably first, so none is sent twice), and
    /// promote or drop it. `Ok(None)` when the service does not know the
    /// device (dropped, key deleted). Blocks on the network; writes state.
    pub(crate) fn resolve_new_device(&self, row: &Staged) -> Result<Option<Profile>> {
        let seq = self
            .store
            .write(|tx| staged::lease_probe_seq(tx, &row.device_id))?;
        let seq = u64::try_from(seq).map_err(|_| Error::Storage("bad sequence number".into()))?;
        let body = IdentityStatusQuery {};
        let signature = self.keys.sign(
            &row.key_alias,
            &DeviceSigned::signed_bytes(&row.device_id, seq, &body),
        )?;
        let answer = call_endpoint::<endpoints::Status>(
            self.transport.as_ref(),
            &DeviceSigned {
                device_id: row.device_id.clone(),
                seq,
                body,
                signature,
            },
        );
        match answer {
            Ok(status) => {
                let status: IdentityStatus = status;
                let mut row = row.clone();
                row.next_seq = i64::try_from(seq).unwrap_or(i64::MAX).saturating_add(1);
                self.promote_new_device(
                    &row,
                    &Enrolled {
                        user_id: status.user_id,
                        identity_id: status.identity_id,
                        service_public_key: status.service_public_key,
                        server_time_ms: status.server_time_ms,
                    },
                )
                .map(Some)
            }
            Err(Error::Service {
                code: ErrorCode::UnknownDevice,
                ..
            }) => {
                self.unstage(row, None)?;
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Finish or undo every new device a kill or a lost answer left staged
    /// (see the module documentation): each is either made a profile or
    /// dropped with its key, and the profiles made are returned. A device the
    /// service cannot be asked about now stays staged (the first such error
    /// is returned after the others were tried). `open` runs this and ignores
    /// its errors; `activate` runs it first. Blocks on the network; writes
    /// state.
    pub fn reconcile_staged(&self) -> Result<Vec<Profile>> {
        let rows = staged::new_devices(&*self.store.conn()?)?;
        let mut made = Vec::new();
        let mut first_error = None;
        for row in rows {
            match self.resolve_new_device(&row) {
                Ok(Some(p)) => made.push(p),
                Ok(None) | Err(Error::ProfileExists) => {}
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(made),
        }
    }
}
