//! A device's decision on a request: approve (with a PIN proof and, where
//! asked, the channel-binding answer), reject or report. The signature must
//! cover the approval statement rebuilt from the service's own copy of the
//! request; the first device to decide wins.

use akuersi_protocol::activity::ActivityKind;
use akuersi_protocol::approval::{ApprovalStatement, Decision, PakeBinding};
use akuersi_protocol::wire::{Decide, DecideResponse, ErrorCode, PinPurpose, RequestStatus};

use super::envelope::blocked_error;
use super::{err, frozen_error, log, malformed, Service};
use crate::error::Result;
use crate::lockout::Lock;
use crate::notify::{device_label, notify, Event};
use crate::storage::{Outcome, RequestDecision, RequestRow};

impl Service {
    /// Record a decision: the request is pending and unexpired, the device is
    /// active and the identity's, the PIN proof (for approvals) is valid, and
    /// the signature covers the statement rebuilt from the service's own copy
    /// of the request. First device to decide wins. Writes state.
    pub fn decide(&self, msg: Decide) -> Result<DecideResponse> {
        let now = self.now_ms();
        self.check_decision_early(&msg);
        self.db.write(|tx| {
            // Nothing about the device's or the request's state is answered
            // before the signature is checked (PROTOCOL.md §6.9): the device
            // key comes from the envelope's device id, the statement from the
            // service's own copy of the request and the proof's session.
            let device = Self::load_device(tx, &msg.device_id)?;
            let request = Self::load_request(tx, &msg.request_id, &device.identity_id)?;
            let purpose = PinPurpose::Request {
                request_id: request.request_id.clone(),
            };
            let shares = match (msg.decision, &msg.pake) {
                (Decision::Approve, None) => {
                    return Err(err(ErrorCode::PinRequired, "an approval needs a PIN proof"))
                }
                // Used or lapsed or not: the signature is checked first.
                (Decision::Approve, Some(proof)) => Some((
                    proof,
                    Self::signed_session_shares(tx, &msg.device_id, &purpose, proof)?,
                )),
                (_, Some(_)) => return Err(malformed("only approvals carry a PIN proof")),
                (_, None) => None,
            };
            let pake = shares
                .as_ref()
                .map(|(proof, (share_p, share_v))| PakeBinding {
                    session_id: proof.session_id.clone(),
                    share_p: share_p.clone(),
                    share_v: share_v.clone(),
                });
            let bytes = statement_of(&msg, &request, pake).encode();
            self.check_signature(
                &device,
                &bytes,
                &msg.signature,
                "the signature does not cover this request as the service holds it",
            )?;
            let lock = self.lock_of(&device, now);
            // The tenth attempt is proved in a session opened before the
            // block: let its (possibly right) proof be checked.
            let proving = msg.decision == Decision::Approve && msg.pake.is_some();
            if lock == Lock::Blocked && !proving {
                return Err(blocked_error());
            }
            if self.is_frozen(tx, &device.identity_id)? {
                return Err(frozen_error());
            }
            if let Err(gone) = Self::require_pending(&request, now) {
                // Another device won the race, or the request lapsed while the
                // PIN was being proved. A correct PIN must not stay counted as
                // a failure, so check the proof anyway (a wrong one stays counted).
                if let Some((proof, _)) = &shares {
                    if let Ok((_, _, expected)) =
                        Self::pin_session(tx, &msg.device_id, &purpose, proof, i64::MIN)
                    {
                        let refusal = self.consume_pin_proof(
                            tx,
                            &msg.device_id,
                            &device,
                            &expected,
                            proof,
                            Some(&msg.request_id),
                            now,
                        )?;
                        return Ok(Outcome::Refuse(refusal.unwrap_or(gone)));
                    }
                }
                return Err(gone);
            }
            // For a live request the session must not have lapsed.
            let session = match &shares {
                Some((proof, _)) => Some((
                    *proof,
                    Self::pin_session(tx, &msg.device_id, &purpose, proof, now)?,
                )),
                None => None,
            };
            // Channel binding: an approval must carry the answer this device
            // had accepted; declining needs none, and none may be sent without it.
            match (msg.decision, &request.channel_kind) {
                (Decision::Approve, Some(_)) => {
                    let ok = request.channel_ok_device.as_deref() == Some(msg.device_id.as_str())
                        && request.channel_ok_answer.is_some()
                        && request.channel_ok_answer == msg.channel_binding;
                    if !ok {
                        return Err(err(
                            ErrorCode::ChannelBindingRequired,
                            "this request needs the code from the screen that started it",
                        ));
                    }
                }
                _ => {
                    if msg.channel_binding.is_some() {
                        return Err(malformed(
                            "channel_binding is only for approvals of requests that ask for it",
                        ));
                    }
                }
            }
            if let Some((proof, (_, _, expected))) = &session {
                if let Some(refusal) = self.consume_pin_proof(
                    tx,
                    &msg.device_id,
                    &device,
                    expected,
                    proof,
                    Some(&msg.request_id),
                    now,
                )? {
                    return Ok(Outcome::Refuse(refusal));
                }
            }
            let status = RequestStatus::for_decision(msg.decision);
            let changed = tx.decide_request(&RequestDecision {
                request_id: &request.request_id,
                status,
                decided_at_ms: now,
                decided_by: &msg.device_id,
                statement: &bytes,
                signature: &msg.signature,
            })?;
            if !changed {
                return Err(err(
                    ErrorCode::AlreadyDecided,
                    "the request was already decided",
                ));
            }
            tx.touch_device(&msg.device_id, now)?;
            log(
                tx,
                &device.identity_id,
                now,
                ActivityKind::for_decision(msg.decision),
                Some(&msg.device_id),
                Some(&request.request_id),
                &format!("{} – {}", request.requester_name, request.action.as_str()),
            )?;
            let every_use = tx.notify_every_use(&device.identity_id)?;
            if every_use {
                notify(
                    tx,
                    &device.identity_id,
                    now,
                    &Event::Used {
                        action: request.action.as_str(),
                        decision: msg.decision.as_str(),
                        device: &device_label(&msg.device_id),
                    },
                )?;
            }
            Ok(Outcome::Done(DecideResponse {
                request_id: request.request_id.clone(),
                status,
                decided_at_ms: now,
                server_time_ms: now,
            }))
        })
    }

    /// Verify a decision's signature over the statement as the service
    /// would rebuild it from a snapshot, before the write transaction and
    /// outside the database lock (see `precheck`). Writes nothing.
    fn check_decision_early(&self, msg: &Decide) {
        let snapshot = (|| -> Result<(Vec<u8>, Vec<u8>)> {
            let peek = self.db.peek()?;
            let conn = peek.store();
            let device = Self::load_device(&conn, &msg.device_id)?;
            let request = Self::load_request(&conn, &msg.request_id, &device.identity_id)?;
            let pake = match (&msg.decision, &msg.pake) {
                (Decision::Approve, Some(proof)) => {
                    let purpose = PinPurpose::Request {
                        request_id: request.request_id.clone(),
                    };
                    let (share_p, share_v) =
                        Self::signed_session_shares(&conn, &msg.device_id, &purpose, proof)?;
                    Some(PakeBinding {
                        session_id: proof.session_id.clone(),
                        share_p,
                        share_v,
                    })
                }
                _ => None,
            };
            Ok((
                device.public_key,
                statement_of(msg, &request, pake).encode(),
            ))
        })();
        if let Ok((key, bytes)) = snapshot {
            self.verified.check_early(&key, &bytes, &msg.signature);
        }
    }
}

/// The approval statement of `msg` as the service holds the request: what
/// the device's signature must cover.
fn statement_of(
    msg: &Decide,
    request: &RequestRow,
    pake: Option<PakeBinding>,
) -> ApprovalStatement {
    ApprovalStatement::for_request(
        &request.to_pending(0),
        msg.decision,
        &msg.device_id,
        pake,
        msg.channel_binding.clone(),
    )
}
