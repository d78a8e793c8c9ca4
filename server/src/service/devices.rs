//! Device care: the device list, renaming, removal, and adding a backup device
//! from an existing one — slow, loud and approved: a PIN on the existing
//! device, a waiting period in which every device and channel is told and any
//! device can veto, then a one-time pairing payload valid 3 minutes.

use akuersi_protocol::activity::ActivityKind;
use akuersi_protocol::crypto::{random_array, random_id};
use akuersi_protocol::wire::{
    pairing_payload, Ack, AdditionStatus, AdditionView, Channel, CompletePairing, DeviceListQuery,
    DeviceListResponse, DeviceSigned, DeviceStatus, DeviceSummary, ErrorCode, IdentityStatus,
    IdentityStatusQuery, PairingOffer, PairingPayloadResponse, PinPurpose, RemoveDevice,
    RenameDevice, StartAddition, VetoAddition,
};
use ring::hmac;

use super::enrollment::{check_device_name, check_new_device_msg};
use super::{err, frozen_error, log, malformed, Service};
use crate::error::{Result, ServiceError};
use crate::lockout::Lock;
use crate::notify::{device_label, notify, Event};
use crate::storage::{AdditionRow, NewAddition, NewDevice, NewVerifier, Outcome, Store};

/// How long a pairing payload lives.
pub const PAIRING_TTL_MS: i64 = 3 * 60 * 1000;
/// How long after its waiting period an addition may still be completed.
pub const ADDITION_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// Wrong pairing proofs after which an addition is closed.
pub const PAIRING_MAX_FAILURES: u32 = 3;

impl AdditionRow {
    fn status_at(&self, now: i64) -> AdditionStatus {
        match AdditionStatus::from_str_opt(&self.status) {
            Some(AdditionStatus::Waiting) if now < self.wait_until_ms => AdditionStatus::Waiting,
            Some(AdditionStatus::Waiting) if now < self.wait_until_ms + ADDITION_WINDOW_MS => {
                AdditionStatus::Ready
            }
            Some(AdditionStatus::Waiting) => AdditionStatus::Lapsed,
            Some(other) => other,
            // Only the service writes this column; anything else is closed.
            None => AdditionStatus::Failed,
        }
    }

    /// Refuse unless the addition is past its waiting period and still open.
    fn check_ready(&self, now: i64) -> Result<()> {
        match self.status_at(now) {
            AdditionStatus::Ready => Ok(()),
            AdditionStatus::Waiting => Err(ServiceError {
                until_ms: Some(self.wait_until_ms),
                ..err(
                    ErrorCode::AdditionNotReady,
                    "the waiting period is not over yet",
                )
            }),
            _ => Err(pairing_invalid("this device addition is closed")),
        }
    }

    fn view(&self, now: i64) -> AdditionView {
        AdditionView {
            addition_id: self.addition_id.clone(),
            status: self.status_at(now),
            started_by: self.started_by.clone(),
            started_at_ms: self.started_at_ms,
            wait_until_ms: self.wait_until_ms,
        }
    }
}

fn pairing_invalid(why: &str) -> ServiceError {
    err(ErrorCode::PairingInvalid, why)
}

impl Service {
    fn open_additions(
        &self,
        tx: &Store<'_>,
        identity_id: &str,
        now: i64,
    ) -> Result<Vec<AdditionRow>> {
        let rows = tx.waiting_additions(identity_id)?;
        Ok(rows
            .into_iter()
            .filter(|a| a.status_at(now) != AdditionStatus::Lapsed)
            .collect())
    }

    /// The identity's active devices. Consumes the envelope's sequence number.
    pub fn devices(&self, msg: DeviceSigned<DeviceListQuery>) -> Result<DeviceListResponse> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            let devices = tx
                .active_devices(&device.identity_id)?
                .into_iter()
                .map(|r| DeviceSummary {
                    status: match self.config.lockout.state(
                        r.pin_failures,
                        r.last_pin_attempt_ms,
                        now,
                    ) {
                        Lock::Open => DeviceStatus::Active,
                        Lock::Suspended { .. } => DeviceStatus::Suspended,
                        Lock::Blocked => DeviceStatus::Blocked,
                    },
                    device_id: r.device_id,
                    name: r.name,
                    platform: r.platform,
                    enrolled_at_ms: r.enrolled_at_ms,
                    last_used_at_ms: r.last_used_at_ms,
                })
                .collect();
            Ok(Outcome::Done(DeviceListResponse {
                devices,
                server_time_ms: now,
            }))
        })
    }

    /// Rename a device of the identity (no PIN: a name is not a secret).
    /// Every rename is logged, so an identity gets at most
    /// `max_renames_per_hour`; more are refused with `rate_limited`. Writes state.
    pub fn rename_device(&self, msg: DeviceSigned<RenameDevice>) -> Result<Ack> {
        let now = self.now_ms();
        check_device_name(&msg.body.name)?;
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            let recent = tx.count_recent_activity(
                &device.identity_id,
                ActivityKind::DeviceRenamed,
                now - 3_600_000,
            )?;
            if recent >= self.config.max_renames_per_hour {
                // Refused like an unknown device: nothing is written.
                return Err(err(
                    ErrorCode::RateLimited,
                    "too many device renames for this identity in the last hour; try again later",
                ));
            }
            let renamed =
                tx.rename_device(&msg.body.device_id, &device.identity_id, &msg.body.name)?;
            if !renamed {
                return Err(err(
                    ErrorCode::UnknownDevice,
                    "no such device of this identity",
                ));
            }
            log(
                tx,
                &device.identity_id,
                now,
                ActivityKind::DeviceRenamed,
                Some(&msg.body.device_id),
                None,
                &format!("device renamed to \"{}\"", msg.body.name),
            )?;
            Ok(Outcome::Done(Ack {
                server_time_ms: now,
            }))
        })
    }

    /// Remove a device of the identity, with the PIN. Removing the last one
    /// needs `allow_last` (the identity then needs a new activation code).
    /// Writes state.
    pub fn remove_device(&self, msg: DeviceSigned<RemoveDevice>) -> Result<Ack> {
        let now = self.now_ms();
        let purpose = PinPurpose::RemoveDevice {
            device_id: msg.body.device_id.clone(),
        };
        self.db.write(|tx| {
            let device = self.authenticate_with_proof(tx, &msg, &purpose, &msg.body.pake, now)?;
            // Settle the PIN proof first: a refusal below must not leave a
            // right PIN counted as a failure, so it commits (Refuse) too.
            if let Some(refusal) = self.settle_proof(tx, &msg.device_id, &device, &purpose, &msg.body.pake, now)? {
                return Ok(Outcome::Refuse(refusal));
            }
            if self.is_frozen(tx, &device.identity_id)? {
                return Ok(Outcome::Refuse(frozen_error()));
            }
            let target = tx.active_device_name(&msg.body.device_id, &device.identity_id)?;
            let Some(target_name) = target else {
                return Ok(Outcome::Refuse(err(ErrorCode::UnknownDevice, "no such device of this identity")));
            };
            let active = tx.count_active_devices(&device.identity_id)?;
            if active <= 1 && !msg.body.allow_last {
                return Ok(Outcome::Refuse(err(
                    ErrorCode::LastDevice,
                    "this is the identity's last device; without it a new activation code is needed",
                )));
            }
            tx.remove_device(&msg.body.device_id)?;
            log(tx, &device.identity_id, now, ActivityKind::DeviceRemoved, Some(&msg.body.device_id), None,
                &format!("device \"{target_name}\" removed"))?;
            notify(tx, &device.identity_id, now, &Event::DeviceRemoved { device: &device_label(&msg.body.device_id) })?;
            Ok(Outcome::Done(Ack { server_time_ms: now }))
        })
    }

    /// The identity's state as a device sees it.
    pub fn identity_status(
        &self,
        msg: DeviceSigned<IdentityStatusQuery>,
    ) -> Result<IdentityStatus> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            let identity = tx.identity_overview(&device.identity_id)?;
            let mut channels = vec![Channel::App];
            if identity.phone.is_some() {
                channels.push(Channel::Sms);
            }
            if identity.email.is_some() {
                channels.push(Channel::Email);
            }
            let additions = self
                .open_additions(tx, &device.identity_id, now)?
                .iter()
                .map(|a| a.view(now))
                .collect();
            Ok(Outcome::Done(IdentityStatus {
                user_id: identity.user_id,
                identity_id: device.identity_id.clone(),
                service_public_key: self.public_key(),
                frozen: identity.frozen,
                additions,
                channels,
                notify_every_use: identity.notify_every_use,
                server_time_ms: now,
            }))
        })
    }

    /// Start adding a device, with the PIN. Every device and channel is told
    /// at once; the pairing payload can be had only after the wait. Writes state.
    pub fn start_addition(&self, msg: DeviceSigned<StartAddition>) -> Result<AdditionView> {
        let now = self.now_ms();
        let addition_id = random_id().map_err(ServiceError::internal)?;
        self.db.write(|tx| {
            let device = self.authenticate_with_proof(
                tx,
                &msg,
                &PinPurpose::AddDevice,
                &msg.body.pake,
                now,
            )?;
            if let Some(refusal) = self.settle_proof(
                tx,
                &msg.device_id,
                &device,
                &PinPurpose::AddDevice,
                &msg.body.pake,
                now,
            )? {
                return Ok(Outcome::Refuse(refusal));
            }
            if self.is_frozen(tx, &device.identity_id)? {
                return Ok(Outcome::Refuse(frozen_error()));
            }
            if !self
                .open_additions(tx, &device.identity_id, now)?
                .is_empty()
            {
                return Ok(Outcome::Refuse(err(
                    ErrorCode::PairingInvalid,
                    "a device addition is already under way for this identity",
                )));
            }
            if let Err(full) = self.check_device_room(tx, &device.identity_id) {
                return Ok(Outcome::Refuse(full));
            }
            let wait_until = now + self.config.addition_wait_ms;
            tx.insert_addition(&NewAddition {
                addition_id: &addition_id,
                identity_id: &device.identity_id,
                started_by: &msg.device_id,
                started_at_ms: now,
                wait_until_ms: wait_until,
            })?;
            log(
                tx,
                &device.identity_id,
                now,
                ActivityKind::DeviceAdditionStarted,
                Some(&msg.device_id),
                None,
                &format!("adding a new device was started from \"{}\"", device.name),
            )?;
            notify(
                tx,
                &device.identity_id,
                now,
                &Event::AdditionStarted {
                    by: &device_label(&msg.device_id),
                    minutes: self.config.addition_wait_ms / 60_000,
                },
            )?;
            Ok(Outcome::Done(AdditionView {
                addition_id: addition_id.clone(),
                status: AdditionStatus::Waiting,
                started_by: msg.device_id.clone(),
                started_at_ms: now,
                wait_until_ms: wait_until,
            }))
        })
    }

    fn load_addition(tx: &Store<'_>, addition_id: &str) -> Result<AdditionRow> {
        tx.addition(addition_id)?
            .ok_or_else(|| pairing_invalid("no such device addition"))
    }

    /// Veto an addition during its wait (any active device, no PIN). Writes state.
    pub fn veto_addition(&self, msg: DeviceSigned<VetoAddition>) -> Result<Ack> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            let a = Self::load_addition(tx, &msg.body.addition_id)?;
            if a.identity_id != device.identity_id {
                return Err(pairing_invalid("no such device addition"));
            }
            if !matches!(
                a.status_at(now),
                AdditionStatus::Waiting | AdditionStatus::Ready
            ) {
                return Err(pairing_invalid("this device addition is already closed"));
            }
            tx.veto_addition(&a.addition_id, now, &msg.device_id)?;
            log(
                tx,
                &device.identity_id,
                now,
                ActivityKind::DeviceAdditionVetoed,
                Some(&msg.device_id),
                None,
                &format!("adding a new device was stopped from \"{}\"", device.name),
            )?;
            notify(
                tx,
                &device.identity_id,
                now,
                &Event::AdditionVetoed {
                    by: &device_label(&msg.device_id),
                },
            )?;
            Ok(Outcome::Done(Ack {
                server_time_ms: now,
            }))
        })
    }

    /// After the wait, give the device that started the addition a one-time
    /// pairing payload (128-bit secret, 3 minutes). Asking again replaces an
    /// earlier payload. Writes state.
    pub fn pairing_offer(&self, msg: DeviceSigned<PairingOffer>) -> Result<PairingPayloadResponse> {
        let now = self.now_ms();
        let secret = random_array::<16>().map_err(ServiceError::internal)?;
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            if self.is_frozen(tx, &device.identity_id)? {
                return Err(frozen_error());
            }
            let a = Self::load_addition(tx, &msg.body.addition_id)?;
            if a.identity_id != device.identity_id || a.started_by != msg.device_id {
                return Err(pairing_invalid(
                    "only the device that started the addition can show the pairing code",
                ));
            }
            a.check_ready(now)?;
            let expires = now + PAIRING_TTL_MS;
            tx.set_pairing_secret(&a.addition_id, &secret, expires)?;
            Ok(Outcome::Done(PairingPayloadResponse {
                payload: pairing_payload(&a.addition_id, &secret),
                expires_at_ms: expires,
                server_time_ms: now,
            }))
        })
    }

    /// A new device joins with a pairing payload: it proves it saw the payload
    /// (HMAC under the secret) and holds its key (signature). Used once, within
    /// 3 minutes, after the wait, by the identity the addition belongs to.
    /// Three wrong proofs close the addition. Writes state.
    pub fn complete_pairing(
        &self,
        msg: CompletePairing,
    ) -> Result<akuersi_protocol::wire::ActivateResponse> {
        let bytes = msg.signed_bytes();
        check_new_device_msg!(msg, &bytes, self.config.min_kdf_iterations)?;
        if !akuersi_protocol::crypto::is_hex_id(&msg.addition_id) {
            return Err(malformed("addition_id is not an id"));
        }
        let now = self.now_ms();
        self.db.write(|tx| {
            let a = Self::load_addition(tx, &msg.addition_id)?;
            a.check_ready(now)?;
            if self.is_frozen(tx, &a.identity_id)? {
                return Err(frozen_error());
            }
            let (Some(secret), Some(expires)) = (&a.pairing_secret, a.pairing_expires_at_ms) else {
                return Err(pairing_invalid(
                    "no pairing code was shown for this addition, or it was used",
                ));
            };
            if now >= expires {
                return Err(pairing_invalid(
                    "the pairing code has lapsed (3 minutes); show a new one",
                ));
            }
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
            if hmac::verify(&key, &bytes, &msg.pairing_proof).is_err() {
                let failures = a.pairing_failures + 1;
                if failures >= PAIRING_MAX_FAILURES {
                    tx.fail_addition(&a.addition_id, failures, now)?;
                } else {
                    tx.count_pairing_failure(&a.addition_id, failures)?;
                }
                log(
                    tx,
                    &a.identity_id,
                    now,
                    ActivityKind::PairingWrong,
                    None,
                    None,
                    "a wrong pairing code was used",
                )?;
                return Ok(Outcome::Refuse(pairing_invalid(
                    "the pairing proof does not match the code",
                )));
            }
            self.check_device_room(tx, &a.identity_id)?;
            self.insert_device(
                tx,
                &NewDevice {
                    device_id: &msg.device_id,
                    identity_id: &a.identity_id,
                    public_key: &msg.device_public_key,
                    name: &msg.device_name,
                    platform: &msg.platform,
                    verifier: NewVerifier {
                        w0: &msg.verifier.w0,
                        l: &msg.verifier.l,
                        kdf_iterations: msg.verifier.kdf_iterations,
                    },
                    now_ms: now,
                },
            )?;
            tx.complete_addition(&a.addition_id, &msg.device_id, now)?;
            log(
                tx,
                &a.identity_id,
                now,
                ActivityKind::DeviceAdded,
                Some(&msg.device_id),
                None,
                &format!(
                    "device \"{}\" ({}) added from an existing device",
                    msg.device_name, msg.platform
                ),
            )?;
            notify(
                tx,
                &a.identity_id,
                now,
                &Event::AdditionCompleted {
                    device: &device_label(&msg.device_id),
                },
            )?;
            Ok(Outcome::Done(akuersi_protocol::wire::ActivateResponse {
                identity_id: a.identity_id.clone(),
                device_id: msg.device_id.clone(),
                service_public_key: self.public_key(),
                server_time_ms: now,
            }))
        })
    }

    /// Close additions of an identity (used by freeze).
    pub(crate) fn close_additions(
        &self,
        tx: &Store<'_>,
        identity_id: &str,
        now: i64,
        by: &str,
    ) -> Result<()> {
        tx.close_waiting_additions(identity_id, now, by)
    }
}
