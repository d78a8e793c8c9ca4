//! Freeze: any enrolled device (no PIN) or support can lock the whole identity
//! at once. Freezing cancels every pending request of the identity (nobody
//! could decide it, and it must not wait for the unfreeze). While frozen
//! nothing can be decided, and requesters get the same answer as for an
//! unknown user ID. Unfreezing takes the PIN on an active
//! device plus a second proof: the PIN on another active device within 15
//! minutes, or an activation code.

use akuersi_protocol::activity::ActivityKind;
use akuersi_protocol::wire::{
    Ack, DeviceSigned, ErrorCode, Freeze, PinPurpose, Unfreeze, UnfreezeResponse,
};

use super::{err, log, Service};
use crate::error::Result;
use crate::notify::{device_label, notify, Event};
use crate::storage::{Outcome, Store};

/// How long the first unfreeze proof waits for the second.
pub const UNFREEZE_WINDOW_MS: i64 = 15 * 60 * 1000;

impl Service {
    fn set_frozen(
        &self,
        tx: &Store<'_>,
        identity_id: &str,
        now: i64,
        by_device: Option<&str>,
    ) -> Result<()> {
        tx.set_frozen(identity_id, true)?;
        tx.clear_unfreeze_proofs(identity_id)?;
        tx.cancel_pending_requests(identity_id, now)?;
        let label = by_device.map(device_label);
        let by = match &label {
            Some(l) => format!("the device \"{}\"", l.as_str()),
            None => "support".to_owned(),
        };
        self.close_additions(tx, identity_id, now, by_device.unwrap_or("support"))?;
        log(
            tx,
            identity_id,
            now,
            ActivityKind::IdentityFrozen,
            by_device,
            None,
            &format!("identity frozen by {by}"),
        )?;
        notify(tx, identity_id, now, &Event::Frozen { by: label.as_ref() })
    }

    fn set_unfrozen(&self, tx: &Store<'_>, identity_id: &str, now: i64, how: &str) -> Result<()> {
        tx.set_frozen(identity_id, false)?;
        tx.clear_unfreeze_proofs(identity_id)?;
        log(
            tx,
            identity_id,
            now,
            ActivityKind::IdentityUnfrozen,
            None,
            None,
            &format!("identity unfrozen ({how})"),
        )?;
        notify(tx, identity_id, now, &Event::Unfrozen)
    }

    /// Freeze the device's identity at once (no PIN). Freezing a frozen
    /// identity is a no-op. Writes state.
    pub fn freeze(&self, msg: DeviceSigned<Freeze>) -> Result<Ack> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            if !self.is_frozen(tx, &device.identity_id)? {
                self.set_frozen(tx, &device.identity_id, now, Some(&msg.device_id))?;
            }
            Ok(Outcome::Done(Ack {
                server_time_ms: now,
            }))
        })
    }

    /// One proof towards unfreezing: this device's PIN, and optionally an
    /// activation code as the second proof. Writes state.
    pub fn unfreeze(&self, msg: DeviceSigned<Unfreeze>) -> Result<UnfreezeResponse> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device =
                self.authenticate_with_proof(tx, &msg, &PinPurpose::Unfreeze, &msg.body.pake, now)?;
            if let Some(refusal) = self.settle_proof(
                tx,
                &msg.device_id,
                &device,
                &PinPurpose::Unfreeze,
                &msg.body.pake,
                now,
            )? {
                return Ok(Outcome::Refuse(refusal));
            }
            if !self.is_frozen(tx, &device.identity_id)? {
                return Ok(Outcome::Refuse(err(
                    ErrorCode::Malformed,
                    "this identity is not frozen",
                )));
            }
            if let Some(code) = &msg.body.activation_code {
                if let Err(refusal) =
                    self.use_activation_code(tx, &device.identity_id, code, now)?
                {
                    return Ok(Outcome::Refuse(refusal));
                }
                self.set_unfrozen(tx, &device.identity_id, now, "PIN and activation code")?;
                return Ok(Outcome::Done(UnfreezeResponse {
                    unfrozen: true,
                    waiting_for_second_proof: false,
                    server_time_ms: now,
                }));
            }
            let other = tx.other_unfreeze_proof(
                &device.identity_id,
                &msg.device_id,
                now - UNFREEZE_WINDOW_MS,
            )?;
            if other.is_some() {
                self.set_unfrozen(tx, &device.identity_id, now, "PIN on two devices")?;
                return Ok(Outcome::Done(UnfreezeResponse {
                    unfrozen: true,
                    waiting_for_second_proof: false,
                    server_time_ms: now,
                }));
            }
            tx.put_unfreeze_proof(&device.identity_id, &msg.device_id, now)?;
            log(
                tx,
                &device.identity_id,
                now,
                ActivityKind::UnfreezeProof,
                Some(&msg.device_id),
                None,
                "first proof to unfreeze given; waiting for a second device or an activation code",
            )?;
            Ok(Outcome::Done(UnfreezeResponse {
                unfrozen: false,
                waiting_for_second_proof: true,
                server_time_ms: now,
            }))
        })
    }

    /// Support freezes or unfreezes an identity (operator API). Writes state.
    pub fn operator_freeze(&self, user_id: &str, frozen: bool) -> Result<()> {
        let identity_id = self.identity_by_user_id(user_id)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let is = self.is_frozen(tx, &identity_id)?;
            if frozen && !is {
                self.set_frozen(tx, &identity_id, now, None)?;
            } else if !frozen && is {
                self.set_unfrozen(tx, &identity_id, now, "by support")?;
            }
            Ok(Outcome::Done(()))
        })
    }
}
