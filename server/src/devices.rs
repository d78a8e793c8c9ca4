//! Device care: the device list, renaming, removal, and adding a backup device
//! from an existing one — slow, loud and approved: a PIN on the existing
//! device, a waiting period in which every device and channel is told and any
//! device can veto, then a one-time pairing payload valid 3 minutes.

use akuersi_core::crypto::{random_array, random_id};
use akuersi_core::protocol::{
    pairing_payload, Ack, AdditionView, CompletePairing, DeviceListQuery, DeviceListResponse,
    DeviceSigned, DeviceSummary, ErrorCode, IdentityStatus, IdentityStatusQuery, PairingOffer,
    PairingPayloadResponse, PinPurpose, RemoveDevice, RenameDevice, StartAddition, VetoAddition,
};
use ring::hmac;
use rusqlite::{params, OptionalExtension, Transaction};

use crate::db::Outcome;
use crate::enrollment::{check_device_name, check_new_device};
use crate::error::{Result, ServiceError};
use crate::lockout::Lock;
use crate::notify::{notify, Event};
use crate::service::{err, frozen_error, log, malformed, Service};

/// How long a pairing payload lives.
pub const PAIRING_TTL_MS: i64 = 3 * 60 * 1000;
/// How long after its waiting period an addition may still be completed.
pub const ADDITION_WINDOW_MS: i64 = 24 * 3600 * 1000;
/// Wrong pairing proofs after which an addition is closed.
pub const PAIRING_MAX_FAILURES: u32 = 3;

struct AdditionRow {
    addition_id: String,
    identity_id: String,
    started_by: String,
    started_at_ms: i64,
    wait_until_ms: i64,
    status: String,
    pairing_secret: Option<Vec<u8>>,
    pairing_expires_at_ms: Option<i64>,
    pairing_failures: u32,
}

impl AdditionRow {
    fn status_at(&self, now: i64) -> &str {
        match self.status.as_str() {
            "waiting" if now < self.wait_until_ms => "waiting",
            "waiting" if now < self.wait_until_ms + ADDITION_WINDOW_MS => "ready",
            "waiting" => "lapsed",
            other => other,
        }
    }

    fn view(&self, now: i64) -> AdditionView {
        AdditionView {
            addition_id: self.addition_id.clone(),
            status: self.status_at(now).to_owned(),
            started_by: self.started_by.clone(),
            started_at_ms: self.started_at_ms,
            wait_until_ms: self.wait_until_ms,
        }
    }
}

const ADDITION_COLUMNS: &str =
    "addition_id, identity_id, started_by, started_at_ms, wait_until_ms, status,
    pairing_secret, pairing_expires_at_ms, pairing_failures";

fn read_addition(r: &rusqlite::Row<'_>) -> rusqlite::Result<AdditionRow> {
    Ok(AdditionRow {
        addition_id: r.get(0)?,
        identity_id: r.get(1)?,
        started_by: r.get(2)?,
        started_at_ms: r.get(3)?,
        wait_until_ms: r.get(4)?,
        status: r.get(5)?,
        pairing_secret: r.get(6)?,
        pairing_expires_at_ms: r.get(7)?,
        pairing_failures: r.get(8)?,
    })
}

fn pairing_invalid(why: &str) -> ServiceError {
    err(ErrorCode::PairingInvalid, why)
}

impl Service {
    fn open_additions(
        &self,
        tx: &rusqlite::Connection,
        identity_id: &str,
        now: i64,
    ) -> Result<Vec<AdditionRow>> {
        let mut stmt = tx.prepare(&format!(
            "SELECT {ADDITION_COLUMNS} FROM device_additions
             WHERE identity_id = ?1 AND status = 'waiting' ORDER BY started_at_ms"
        ))?;
        let rows = stmt
            .query_map([identity_id], read_addition)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter(|a| a.status_at(now) != "lapsed")
            .collect())
    }

    /// The identity's active devices. Consumes the envelope's sequence number.
    pub fn devices(&self, msg: DeviceSigned<DeviceListQuery>) -> Result<DeviceListResponse> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            let mut stmt = tx.prepare(
                "SELECT device_id, name, platform, pin_failures, last_pin_attempt_ms, enrolled_at_ms, last_used_at_ms
                 FROM devices WHERE identity_id = ?1 AND status = 'active' ORDER BY enrolled_at_ms, device_id",
            )?;
            let devices = stmt
                .query_map([&device.identity_id], |r| {
                    let failures: u32 = r.get(3)?;
                    let last: i64 = r.get(4)?;
                    Ok(DeviceSummary {
                        device_id: r.get(0)?,
                        name: r.get(1)?,
                        platform: r.get(2)?,
                        status: match self.config.lockout.state(failures, last, now) {
                            Lock::Open => "active",
                            Lock::Suspended { .. } => "suspended",
                            Lock::Blocked => "blocked",
                        }
                        .to_owned(),
                        enrolled_at_ms: r.get(5)?,
                        last_used_at_ms: r.get(6)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(Outcome::Done(DeviceListResponse {
                devices,
                server_time_ms: now,
            }))
        })
    }

    /// Rename a device of the identity (no PIN: a name is not a secret). Writes state.
    pub fn rename_device(&self, msg: DeviceSigned<RenameDevice>) -> Result<Ack> {
        let now = self.now_ms();
        check_device_name(&msg.body.name)?;
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            let n = tx.execute(
                "UPDATE devices SET name = ?3 WHERE device_id = ?1 AND identity_id = ?2 AND status = 'active'",
                params![msg.body.device_id, device.identity_id, msg.body.name],
            )?;
            if n != 1 {
                return Err(err(ErrorCode::UnknownDevice, "no such device of this identity"));
            }
            log(tx, &device.identity_id, now, "device_renamed", Some(&msg.body.device_id), None,
                &format!("device renamed to \"{}\"", msg.body.name))?;
            Ok(Outcome::Done(Ack { server_time_ms: now }))
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
            let target: Option<String> = tx
                .query_row(
                    "SELECT name FROM devices WHERE device_id = ?1 AND identity_id = ?2 AND status = 'active'",
                    params![msg.body.device_id, device.identity_id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(target_name) = target else {
                return Ok(Outcome::Refuse(err(ErrorCode::UnknownDevice, "no such device of this identity")));
            };
            let active: u32 = tx.query_row(
                "SELECT count(*) FROM devices WHERE identity_id = ?1 AND status = 'active'",
                [&device.identity_id],
                |r| r.get(0),
            )?;
            if active <= 1 && !msg.body.allow_last {
                return Ok(Outcome::Refuse(err(
                    ErrorCode::LastDevice,
                    "this is the identity's last device; without it a new activation code is needed",
                )));
            }
            tx.execute(
                "UPDATE devices SET status = 'removed' WHERE device_id = ?1",
                [&msg.body.device_id],
            )?;
            log(tx, &device.identity_id, now, "device_removed", Some(&msg.body.device_id), None,
                &format!("device \"{target_name}\" removed"))?;
            notify(tx, &device.identity_id, now, &Event::DeviceRemoved { name: &target_name })?;
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
            let (user_id, frozen, phone, email, every): (String, bool, Option<String>, Option<String>, bool) =
                tx.query_row(
                    "SELECT user_id, frozen, phone, email, notify_every_use FROM identities WHERE identity_id = ?1",
                    [&device.identity_id],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )?;
            let mut channels = vec!["app".to_owned()];
            if phone.is_some() {
                channels.push("sms".into());
            }
            if email.is_some() {
                channels.push("email".into());
            }
            let additions = self
                .open_additions(tx, &device.identity_id, now)?
                .iter()
                .map(|a| a.view(now))
                .collect();
            Ok(Outcome::Done(IdentityStatus {
                user_id,
                frozen,
                additions,
                channels,
                notify_every_use: every,
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
            if let Some(refusal) = self.settle_proof(tx, &msg.device_id, &device, &PinPurpose::AddDevice, &msg.body.pake, now)? {
                return Ok(Outcome::Refuse(refusal));
            }
            if self.is_frozen(tx, &device.identity_id)? {
                return Ok(Outcome::Refuse(frozen_error()));
            }
            if !self.open_additions(tx, &device.identity_id, now)?.is_empty() {
                return Ok(Outcome::Refuse(err(
                    ErrorCode::PairingInvalid,
                    "a device addition is already under way for this identity",
                )));
            }
            if let Err(full) = self.check_device_room(tx, &device.identity_id) {
                return Ok(Outcome::Refuse(full));
            }
            let wait_until = now + self.config.addition_wait_ms;
            tx.execute(
                "INSERT INTO device_additions(addition_id, identity_id, started_by, started_at_ms, wait_until_ms, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'waiting')",
                params![addition_id, device.identity_id, msg.device_id, now, wait_until],
            )?;
            log(tx, &device.identity_id, now, "device_addition_started", Some(&msg.device_id), None,
                &format!("adding a new device was started from \"{}\"", device.name))?;
            notify(tx, &device.identity_id, now, &Event::AdditionStarted {
                by: &device.name,
                minutes: self.config.addition_wait_ms / 60_000,
            })?;
            Ok(Outcome::Done(AdditionView {
                addition_id: addition_id.clone(),
                status: "waiting".into(),
                started_by: msg.device_id.clone(),
                started_at_ms: now,
                wait_until_ms: wait_until,
            }))
        })
    }

    fn load_addition(tx: &rusqlite::Connection, addition_id: &str) -> Result<AdditionRow> {
        tx.query_row(
            &format!("SELECT {ADDITION_COLUMNS} FROM device_additions WHERE addition_id = ?1"),
            [addition_id],
            read_addition,
        )
        .optional()?
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
            if !matches!(a.status_at(now), "waiting" | "ready") {
                return Err(pairing_invalid("this device addition is already closed"));
            }
            tx.execute(
                "UPDATE device_additions SET status = 'vetoed', closed_at_ms = ?2, closed_by = ?3, pairing_secret = NULL
                 WHERE addition_id = ?1",
                params![a.addition_id, now, msg.device_id],
            )?;
            log(tx, &device.identity_id, now, "device_addition_vetoed", Some(&msg.device_id), None,
                &format!("adding a new device was stopped from \"{}\"", device.name))?;
            notify(tx, &device.identity_id, now, &Event::AdditionVetoed { by: &device.name })?;
            Ok(Outcome::Done(Ack { server_time_ms: now }))
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
                return Err(pairing_invalid("only the device that started the addition can show the pairing code"));
            }
            match a.status_at(now) {
                "ready" => {}
                "waiting" => {
                    return Err(ServiceError {
                        until_ms: Some(a.wait_until_ms),
                        ..err(ErrorCode::AdditionNotReady, "the waiting period is not over yet")
                    })
                }
                _ => return Err(pairing_invalid("this device addition is closed")),
            }
            let expires = now + PAIRING_TTL_MS;
            tx.execute(
                "UPDATE device_additions SET pairing_secret = ?2, pairing_expires_at_ms = ?3 WHERE addition_id = ?1",
                params![a.addition_id, secret.to_vec(), expires],
            )?;
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
    ) -> Result<akuersi_core::protocol::ActivateResponse> {
        let bytes = msg.signed_bytes();
        check_new_device(
            &msg.device_id,
            &msg.device_public_key,
            &msg.device_name,
            &msg.platform,
            &msg.verifier,
            &bytes,
            &msg.signature,
        )?;
        if !akuersi_core::crypto::is_hex_id(&msg.addition_id) {
            return Err(malformed("addition_id is not an id"));
        }
        let now = self.now_ms();
        self.db.write(|tx| {
            let a = Self::load_addition(tx, &msg.addition_id)?;
            match a.status_at(now) {
                "ready" => {}
                "waiting" => {
                    return Err(ServiceError {
                        until_ms: Some(a.wait_until_ms),
                        ..err(ErrorCode::AdditionNotReady, "the waiting period is not over yet")
                    })
                }
                _ => return Err(pairing_invalid("this device addition is closed")),
            }
            if self.is_frozen(tx, &a.identity_id)? {
                return Err(frozen_error());
            }
            let (Some(secret), Some(expires)) = (&a.pairing_secret, a.pairing_expires_at_ms) else {
                return Err(pairing_invalid("no pairing code was shown for this addition, or it was used"));
            };
            if now >= expires {
                return Err(pairing_invalid("the pairing code has lapsed (3 minutes); show a new one"));
            }
            let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
            if hmac::verify(&key, &bytes, &msg.pairing_proof).is_err() {
                let failures = a.pairing_failures + 1;
                if failures >= PAIRING_MAX_FAILURES {
                    tx.execute(
                        "UPDATE device_additions SET pairing_failures = ?2, status = 'failed', pairing_secret = NULL, closed_at_ms = ?3
                         WHERE addition_id = ?1",
                        params![a.addition_id, failures, now],
                    )?;
                } else {
                    tx.execute(
                        "UPDATE device_additions SET pairing_failures = ?2 WHERE addition_id = ?1",
                        params![a.addition_id, failures],
                    )?;
                }
                log(tx, &a.identity_id, now, "pairing_wrong", None, None, "a wrong pairing code was used")?;
                return Ok(Outcome::Refuse(pairing_invalid("the pairing proof does not match the code")));
            }
            self.check_device_room(tx, &a.identity_id)?;
            self.insert_device(tx, &a.identity_id, &msg.device_id, &msg.device_public_key, &msg.device_name, &msg.platform, &msg.verifier, now)?;
            tx.execute(
                "UPDATE device_additions SET status = 'completed', pairing_secret = NULL, new_device_id = ?2, closed_at_ms = ?3
                 WHERE addition_id = ?1",
                params![a.addition_id, msg.device_id, now],
            )?;
            log(tx, &a.identity_id, now, "device_added", Some(&msg.device_id), None,
                &format!("device \"{}\" ({}) added from an existing device", msg.device_name, msg.platform))?;
            notify(tx, &a.identity_id, now, &Event::AdditionCompleted { name: &msg.device_name })?;
            Ok(Outcome::Done(akuersi_core::protocol::ActivateResponse {
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
        tx: &Transaction<'_>,
        identity_id: &str,
        now: i64,
        by: &str,
    ) -> Result<()> {
        tx.execute(
            "UPDATE device_additions SET status = 'vetoed', pairing_secret = NULL, closed_at_ms = ?2, closed_by = ?3
             WHERE identity_id = ?1 AND status = 'waiting'",
            params![identity_id, now, by],
        )?;
        Ok(())
    }
}
