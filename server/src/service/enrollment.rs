//! Enrolling devices: with an activation code (first device, fresh install, or
//! re-activating a blocked device) and with a pairing payload from an existing
//! device after a waiting period (see `devices`).

use akuersi_protocol::activity::ActivityKind;
use akuersi_protocol::crypto::{ct_eq, device_id_for, verify_p256};
use akuersi_protocol::identity::UserId;
use akuersi_protocol::pin::{MAX_KDF_ITERATIONS, MIN_KDF_ITERATIONS};
use akuersi_protocol::request::is_forbidden_char;
use akuersi_protocol::spake2plus::VerifierRecord;
use akuersi_protocol::wire::{Activate, ActivateResponse, ErrorCode, VerifierRegistration};

use super::{err, frozen_error, log, malformed, normalize_code, Service, CODE_MAX_FAILURES};
use crate::error::{Result, ServiceError};
use crate::notify::{device_label, notify, Event};
use crate::storage::{NewDevice, NewVerifier, Outcome, Store};

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

/// Refuse a PIN KDF iteration count below the service's floor `min_kdf`
/// (600,000 unless configured otherwise, [`crate::ServiceConfig`]; never
/// below the protocol's [`MIN_KDF_ITERATIONS`]) or above the protocol's
/// maximum.
pub(crate) fn check_kdf_iterations(iterations: u32, min_kdf: u32) -> Result<()> {
    if !(min_kdf.max(MIN_KDF_ITERATIONS)..=MAX_KDF_ITERATIONS).contains(&iterations) {
        return Err(malformed(&format!(
            "kdf_iterations must be from {} to {MAX_KDF_ITERATIONS}",
            min_kdf.max(MIN_KDF_ITERATIONS)
        )));
    }
    Ok(())
}

/// Runs [`check_new_device`] on a message that brings a new device
/// (`Activate` or `CompletePairing`: both carry the same fields), with the
/// bytes its signature covers.
macro_rules! check_new_device_msg {
    ($msg:expr, $signed_bytes:expr, $min_kdf:expr) => {
        $crate::service::enrollment::check_new_device(
            &$msg.device_id,
            &$msg.device_public_key,
            &$msg.device_name,
            &$msg.platform,
            &$msg.verifier,
            $signed_bytes,
            &$msg.signature,
            $min_kdf,
        )
    };
}
pub(crate) use check_new_device_msg;

/// The checks every new device passes, whichever route it comes by.
/// `min_kdf` is the service's floor for PIN KDF iterations.
#[allow(clippy::too_many_arguments)]
pub(crate) fn check_new_device(
    device_id: &str,
    public_key: &[u8],
    name: &str,
    platform: &str,
    verifier: &VerifierRegistration,
    signed_bytes: &[u8],
    signature: &[u8],
    min_kdf: u32,
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
    check_kdf_iterations(verifier.kdf_iterations, min_kdf)?;
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
        tx: &Store<'_>,
        identity_id: &str,
        code: &str,
        now: i64,
    ) -> Result<Result<(), ServiceError>> {
        let Some(code) = normalize_code(code) else {
            return Ok(Err(invalid_code()));
        };
        // The same work for every user ID, known or not, with live, blocked
        // or no codes: the keyed hash, the lookup, a compare against every
        // code found, and a committed write (PROTOCOL.md §9.7).
        let code_hash = self.code_hash(&code)?;
        let codes = tx.unused_codes(identity_id, now)?;
        let mut found = None;
        for c in &codes {
            if ct_eq(&c.code_hash, &code_hash) {
                found = Some(c);
            }
        }
        match found {
            Some(c) if c.failures < CODE_MAX_FAILURES => {
                tx.use_code(c.code_id, now)?;
                return Ok(Ok(()));
            }
            // Only the holder of the code learns that it is blocked.
            Some(_) => return Ok(Err(blocked_code())),
            None => {}
        }
        // Count the wrong try against every live code of the identity. With
        // none (an unknown user ID, or only blocked, used or lapsed codes)
        // nothing is counted, but the transaction still writes.
        let live: Vec<_> = codes
            .iter()
            .filter(|c| c.failures < CODE_MAX_FAILURES)
            .collect();
        if live.is_empty() {
            tx.bump_pad()?;
        } else {
            for c in &live {
                tx.count_code_failure(c.code_id)?;
            }
            log(
                tx,
                identity_id,
                now,
                ActivityKind::ActivationCodeWrong,
                None,
                None,
                "a wrong activation code was entered",
            )?;
        }
        // The same answer whether the identity exists, has codes, or has
        // just had them blocked by this very try.
        Ok(Err(invalid_code()))
    }

    /// Refuse when the identity already has the most active devices.
    pub(crate) fn check_device_room(&self, tx: &Store<'_>, identity_id: &str) -> Result<()> {
        let active = tx.count_active_devices(identity_id)?;
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

    /// Insert a new active device, unless its id was ever enrolled.
    pub(crate) fn insert_device(&self, tx: &Store<'_>, device: &NewDevice<'_>) -> Result<()> {
        let exists = tx.device_exists(device.device_id)?;
        if exists {
            return Err(err(
                ErrorCode::DeviceExists,
                "this device is already enrolled",
            ));
        }
        tx.insert_device(device)
    }

    /// Enroll a device with an activation code and register its PIN verifier.
    /// A device of this identity that is already enrolled (blocked after too
    /// many wrong PINs, or wanting a new PIN) is re-activated: its count is
    /// reset and its verifier replaced. A wrong code is counted (3 wrong tries
    /// block it). Every use notifies the owner on every channel. Writes state.
    pub fn activate(&self, msg: Activate) -> Result<ActivateResponse> {
        let user = UserId::parse(&msg.user_id)
            .map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        check_new_device_msg!(msg, &msg.signed_bytes(), self.config.min_kdf_iterations)?;
        let now = self.now_ms();
        let verifier = NewVerifier {
            w0: &msg.verifier.w0,
            l: &msg.verifier.l,
            kdf_iterations: msg.verifier.kdf_iterations,
        };
        self.db.write(|tx| {
            // An unknown user ID goes through the same code check, against
            // an identity id no identity has (""), so it takes the same work.
            let identity_id = tx.identity_by_user_key(user.key())?.unwrap_or_default();
            // The code is checked first, so nothing about the identity
            // (frozen, full, this device known, its codes blocked) shows to
            // someone without one.
            if let Err(refusal) =
                self.use_activation_code(tx, &identity_id, &msg.activation_code, now)?
            {
                return Ok(Outcome::Refuse(refusal));
            }
            // The checks below roll back, leaving the code unused.
            if self.is_frozen(tx, &identity_id)? {
                return Err(frozen_error());
            }
            let existing = tx.device_owner(&msg.device_id)?;
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
                tx.reactivate_device(&msg.device_id, verifier, &msg.device_name, now)?;
                // The owner is told about anything still untold first; then
                // the new activation code wipes the device's failure budget.
                tx.abandon_attempts(&identity_id, Some(&msg.device_id), now)?;
                self.tell_failed_attempts(tx, &identity_id, now)?;
                tx.forgive_attempts(&msg.device_id)?;
                log(
                    tx,
                    &identity_id,
                    now,
                    ActivityKind::DeviceReactivated,
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
                        device: &device_label(&msg.device_id),
                    },
                )?;
            } else {
                self.insert_device(
                    tx,
                    &NewDevice {
                        device_id: &msg.device_id,
                        identity_id: &identity_id,
                        public_key: &msg.device_public_key,
                        name: &msg.device_name,
                        platform: &msg.platform,
                        verifier,
                        now_ms: now,
                    },
                )?;
                log(
                    tx,
                    &identity_id,
                    now,
                    ActivityKind::DeviceActivated,
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
                    device: &device_label(&msg.device_id),
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
