//! Enrolling devices: with an activation code (first device, fresh install, or
//! re-activating a blocked device) and with a pairing payload from an existing
//! device after a waiting period (see `devices`).

use akuersi_core::crypto::{ct_eq, device_id_for, verify_p256};
use akuersi_core::identity::UserId;
use akuersi_core::pin::{MAX_KDF_ITERATIONS, MIN_KDF_ITERATIONS};
use akuersi_core::protocol::{Activate, ActivateResponse, ErrorCode, VerifierRegistration};
use akuersi_core::request::is_forbidden_char;
use akuersi_core::spake2plus::VerifierRecord;
use rusqlite::{params, OptionalExtension, Transaction};

use crate::db::Outcome;
use crate::error::{Result, ServiceError};
use crate::notify::{notify, Event};
use crate::service::{
    err, frozen_error, log, malformed, normalize_code, Service, CODE_MAX_FAILURES,
};

/// Longest device name, in characters.
pub const MAX_DEVICE_NAME_CHARS: usize = 40;

/// Check a device name: 1–40 visible characters.
pub(crate) fn check_device_name(name: &str) -> Result<()> {
    let n = name.chars().count();
    if n == 0
        || n > MAX_DEVICE_NAME_CHARS
        || name.trim().is_empty()
        || name.chars().any(is_forbidden_char)
    {
        return Err(err(
            ErrorCode::InvalidText,
            "a device name has 1 to 40 visible characters",
        ));
    }
    Ok(())
}

/// The checks every new device passes, whichever route it comes by.
pub(crate) fn check_new_device(
    device_id: &str,
    public_key: &[u8],
    name: &str,
    platform: &str,
    verifier: &VerifierRegistration,
    signed_bytes: &[u8],
    signature: &[u8],
) -> Result<()> {
    if device_id_for(public_key) != device_id {
        return Err(malformed("device_id does not belong to device_public_key"));
    }
    verify_p256(public_key, signed_bytes, signature).map_err(|_| {
        err(
            ErrorCode::BadSignature,
            "the new device's signature does not verify",
        )
    })?;
    VerifierRecord::from_parts(&verifier.w0, &verifier.l)
        .map_err(|_| malformed("the PIN verifier is not a valid SPAKE2+ record"))?;
    if !(MIN_KDF_ITERATIONS..=MAX_KDF_ITERATIONS).contains(&verifier.kdf_iterations) {
        return Err(malformed("kdf_iterations is out of range"));
    }
    check_device_name(name)?;
    if platform.is_empty()
        || platform.len() > 20
        || !platform
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(malformed("platform must be 1 to 20 letters, digits or '-'"));
    }
    Ok(())
}

fn invalid_code() -> ServiceError {
    err(
        ErrorCode::InvalidActivationCode,
        "the activation code is not valid",
    )
}

fn blocked_code() -> ServiceError {
    err(
        ErrorCode::ActivationCodeBlocked,
        "the activation code is blocked after 3 wrong tries; ask for a new one",
    )
}

impl Service {
    /// Check an activation code of `identity_id` and use it up. `Ok(Err(_))`
    /// is a refusal that must be committed (a wrong try is counted: 3 block
    /// the code); `Err(_)` rolls back.
    pub(crate) fn use_activation_code(
        &self,
        tx: &Transaction<'_>,
        identity_id: &str,
        code: &str,
        now: i64,
    ) -> Result<Result<(), ServiceError>> {
        let Some(code) = normalize_code(code) else {
            return Ok(Err(invalid_code()));
        };
        let code_hash = self.code_hash(&code);
        let mut stmt = tx.prepare(
            "SELECT code_id, code_hash, failures FROM activation_codes
             WHERE identity_id = ?1 AND used_at_ms IS NULL AND expires_at_ms > ?2",
        )?;
        let codes: Vec<(i64, Vec<u8>, u32)> = stmt
            .query_map(params![identity_id, now], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        drop(stmt);
        let live: Vec<&(i64, Vec<u8>, u32)> =
            codes.iter().filter(|c| c.2 < CODE_MAX_FAILURES).collect();
        if live.is_empty() {
            return Ok(Err(if codes.is_empty() {
                invalid_code()
            } else {
                blocked_code()
            }));
        }
        let Some(&&(code_id, _, _)) = live.iter().find(|c| ct_eq(&c.1, &code_hash)) else {
            // Count the wrong try against every live code of the identity.
            let mut blocked = false;
            for c in &live {
                tx.execute(
                    "UPDATE activation_codes SET failures = failures + 1 WHERE code_id = ?1",
                    [c.0],
                )?;
                blocked |= c.2 + 1 >= CODE_MAX_FAILURES;
            }
            log(
                tx,
                identity_id,
                now,
                "activation_code_wrong",
                None,
                None,
                "a wrong activation code was entered",
            )?;
            return Ok(Err(if blocked {
                blocked_code()
            } else {
                invalid_code()
            }));
        };
        tx.execute(
            "UPDATE activation_codes SET used_at_ms = ?2 WHERE code_id = ?1",
            params![code_id, now],
        )?;
        Ok(Ok(()))
    }

    /// Refuse when the identity already has the most active devices.
    pub(crate) fn check_device_room(&self, tx: &Transaction<'_>, identity_id: &str) -> Result<()> {
        let active: u32 = tx.query_row(
            "SELECT count(*) FROM devices WHERE identity_id = ?1 AND status = 'active'",
            [identity_id],
            |r| r.get(0),
        )?;
        if active >= self.config.max_active_devices {
            return Err(err(
                ErrorCode::DeviceLimit,
                &format!(
                    "an identity can have at most {} active devices",
                    self.config.max_active_devices
                ),
            ));
        }
        Ok(())
    }

    /// Insert a new active device.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn insert_device(
        &self,
        tx: &Transaction<'_>,
        identity_id: &str,
        device_id: &str,
        public_key: &[u8],
        name: &str,
        platform: &str,
        verifier: &VerifierRegistration,
        now: i64,
    ) -> Result<()> {
        let exists: bool = tx.query_row(
            "SELECT EXISTS(SELECT 1 FROM devices WHERE device_id = ?1)",
            [device_id],
            |r| r.get(0),
        )?;
        if exists {
            return Err(err(
                ErrorCode::DeviceExists,
                "this device is already enrolled",
            ));
        }
        tx.execute(
            "INSERT INTO devices(device_id, identity_id, public_key, name, platform, status,
                enrolled_at_ms, last_used_at_ms, verifier_w0, verifier_l, kdf_iterations)
             VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?6, ?7, ?8, ?9)",
            params![
                device_id,
                identity_id,
                public_key,
                name,
                platform,
                now,
                verifier.w0,
                verifier.l,
                verifier.kdf_iterations
            ],
        )?;
        Ok(())
    }

    /// Enroll a device with an activation code and register its PIN verifier.
    /// A device of this identity that is already enrolled (blocked after too
    /// many wrong PINs, or wanting a new PIN) is re-activated: its count is
    /// reset and its verifier replaced. A wrong code is counted (3 wrong tries
    /// block it). Every use notifies the owner on every channel. Writes state.
    pub fn activate(&self, msg: Activate) -> Result<ActivateResponse> {
        let user = UserId::parse(&msg.user_id)
            .map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        check_new_device(
            &msg.device_id,
            &msg.device_public_key,
            &msg.device_name,
            &msg.platform,
            &msg.verifier,
            &msg.signed_bytes(),
            &msg.signature,
        )?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let Some(identity_id) = tx
                .query_row(
                    "SELECT identity_id FROM identities WHERE user_key = ?1",
                    [user.key()],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
            else {
                return Ok(Outcome::Refuse(invalid_code()));
            };
            // The code is checked first, so nothing about the identity
            // (frozen, full, this device known) shows to someone without one.
            if let Err(refusal) =
                self.use_activation_code(tx, &identity_id, &msg.activation_code, now)?
            {
                return Ok(Outcome::Refuse(refusal));
            }
            // The checks below roll back, leaving the code unused.
            if self.is_frozen(tx, &identity_id)? {
                return Err(frozen_error());
            }
            let existing: Option<(String, String)> = tx
                .query_row(
                    "SELECT identity_id, status FROM devices WHERE device_id = ?1",
                    [&msg.device_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let reactivate = match &existing {
                Some((owner, status)) if *owner == identity_id && status == "active" => true,
                Some(_) => {
                    return Err(err(
                        ErrorCode::DeviceExists,
                        "this device is already enrolled",
                    ))
                }
                None => false,
            };
            if !reactivate {
                self.check_device_room(tx, &identity_id)?;
            }
            if reactivate {
                tx.execute(
                    "UPDATE devices SET pin_failures = 0, last_pin_attempt_ms = 0, verifier_w0 = ?2,
                        verifier_l = ?3, kdf_iterations = ?4, last_used_at_ms = ?5, name = ?6
                     WHERE device_id = ?1",
                    params![
                        msg.device_id,
                        msg.verifier.w0,
                        msg.verifier.l,
                        msg.verifier.kdf_iterations,
                        now,
                        msg.device_name
                    ],
                )?;
                log(
                    tx,
                    &identity_id,
                    now,
                    "device_reactivated",
                    Some(&msg.device_id),
                    None,
                    &format!(
                        "device \"{}\" re-activated with an activation code and a new PIN",
                        msg.device_name
                    ),
                )?;
                notify(
                    tx,
                    &identity_id,
                    now,
                    &Event::DeviceReactivated {
                        name: &msg.device_name,
                    },
                )?;
            } else {
                self.insert_device(
                    tx,
                    &identity_id,
                    &msg.device_id,
                    &msg.device_public_key,
                    &msg.device_name,
                    &msg.platform,
                    &msg.verifier,
                    now,
                )?;
                log(
                    tx,
                    &identity_id,
                    now,
                    "device_activated",
                    Some(&msg.device_id),
                    None,
                    &format!(
                        "device \"{}\" ({}) activated with an activation code",
                        msg.device_name, msg.platform
                    ),
                )?;
            }
            notify(
                tx,
                &identity_id,
                now,
                &Event::ActivationCodeUsed {
                    name: &msg.device_name,
                },
            )?;
            Ok(Outcome::Done(ActivateResponse {
                identity_id: identity_id.clone(),
                device_id: msg.device_id.clone(),
                service_public_key: self.public_key(),
                server_time_ms: now,
            }))
        })
    }
}
