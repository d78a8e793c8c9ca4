//! PIN proofs (SPAKE2+): pin-start counts the attempt and commits it
//! before the proof can be checked; the proof is then settled in the
//! message it guards (a right one resets the count, a wrong one is logged
//! and told to the owner on a suspension or block); pin-failed closes a
//! session a device gave up on.

use akuersi_protocol::activity::ActivityKind;
use akuersi_protocol::crypto::random_id;
use akuersi_protocol::pin::PAKE_VERIFIER_ID;
use akuersi_protocol::spake2plus::{
    verifier_respond, verify_confirm_p, PakeContext, VerifierRecord, VerifierResponse,
};
use akuersi_protocol::wire::{
    operation_pake_context, pake_context, DeviceSigned, ErrorCode, PakeProof, PinFailed,
    PinFailedResponse, PinPurpose, PinStart, PinStartResponse,
};

use super::{err, frozen_error, log, malformed, Service};
use crate::error::{Result, ServiceError};
use crate::lockout::Lock;
use crate::notify::{device_label, notify, Event};
use crate::storage::{DeviceRow, NewPinAttempt, NewPinSession, Outcome, Store};

/// A SPAKE2+ answer computed before pin-start's transaction, with the
/// inputs it was computed from.
pub(crate) struct EarlyShare {
    w0: Vec<u8>,
    l: Vec<u8>,
    context: Vec<u8>,
    response: VerifierResponse,
}

impl Service {
    /// Start a SPAKE2+ PIN proof for a request or an operation. The attempt
    /// is counted and committed here, before the proof can be checked.
    /// Writes state.
    pub fn pin_start(&self, msg: DeviceSigned<PinStart>) -> Result<PinStartResponse> {
        let now = self.now_ms();
        let session_id = random_id().map_err(ServiceError::internal)?;
        let purpose_json =
            serde_json::to_string(&msg.body.purpose).map_err(ServiceError::internal)?;
        let mut early = self.pin_share_early(&msg, now);
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            // A device's earlier attempt that was never finished is
            // abandoned now (and any lapsed one of the identity): the owner
            // hears of it, even if this attempt is refused.
            tx.abandon_attempts(&device.identity_id, Some(&msg.device_id), now)?;
            self.tell_failed_attempts(tx, &device.identity_id, now)?;
            let policy = &self.config.lockout;
            let (in_identity_window, oldest) =
                tx.identity_failures_since(&device.identity_id, now - policy.window_ms)?;
            let identity_lock = policy.identity_state(in_identity_window, oldest, now);
            let device_lock = self.lock_of(&device, now);
            let suspended = match (device_lock, identity_lock) {
                (Lock::Suspended { until_ms: a }, Lock::Suspended { until_ms: b }) => {
                    Some(a.max(b))
                }
                (Lock::Suspended { until_ms }, _) | (_, Lock::Suspended { until_ms }) => {
                    Some(until_ms)
                }
                _ => None,
            };
            if let Some(until_ms) = suspended {
                return Ok(Outcome::Refuse(ServiceError {
                    until_ms: Some(until_ms),
                    ..err(
                        ErrorCode::DeviceSuspended,
                        "too many wrong PINs; this device is suspended for a while",
                    )
                }));
            }
            if msg.body.purpose != PinPurpose::Unfreeze
                && self.is_frozen(tx, &device.identity_id)?
            {
                return Err(frozen_error());
            }
            let (context, request_id, session_expiry) =
                Self::pin_context(tx, &msg, &device.identity_id, now)?;
            let response = match early
                .take()
                .filter(|e| e.w0 == device.w0 && e.l == device.l && e.context == context)
            {
                Some(e) => e.response,
                None => Self::pin_share(&msg, &device.w0, &device.l, &context)?,
            };
            // The window counts are read before this attempt is recorded.
            let in_window = tx.device_failures_since(&msg.device_id, now - policy.window_ms)?;
            let in_long_window =
                tx.device_failures_since(&msg.device_id, now - policy.long_window_ms)?;
            let failures = policy.count_at_start(device.pin_failures, in_window, in_long_window);
            tx.count_pin_attempt(&msg.device_id, failures, now)?;
            let expires = (now + self.config.pin_session_ttl_ms).min(session_expiry);
            tx.insert_pin_attempt(&NewPinAttempt {
                session_id: &session_id,
                device_id: &msg.device_id,
                identity_id: &device.identity_id,
                started_at_ms: now,
                lapses_at_ms: expires,
            })?;
            tx.insert_pin_session(&NewPinSession {
                session_id: &session_id,
                device_id: &msg.device_id,
                request_id: &request_id,
                share_p: &msg.body.share_p,
                share_v: &response.share_v,
                expected_confirm_p: &response.expected_confirm_p,
                expires_at_ms: expires,
                purpose: &purpose_json,
            })?;
            Ok(Outcome::Done(PinStartResponse {
                session_id: session_id.clone(),
                share_v: response.share_v.to_vec(),
                confirm_v: response.confirm_v.to_vec(),
                attempts_left: self.config.lockout.attempts_left(failures),
                server_time_ms: now,
            }))
        })
    }

    /// The SPAKE2+ context of a PIN proof for `purpose`, and the request
    /// and the session's latest expiry when it is for a request.
    fn pin_context(
        conn: &Store<'_>,
        msg: &DeviceSigned<PinStart>,
        identity_id: &str,
        now: i64,
    ) -> Result<(Vec<u8>, String, i64)> {
        Ok(match &msg.body.purpose {
            PinPurpose::Request { request_id } => {
                let request = Self::load_request(conn, request_id, identity_id)?;
                Self::require_pending(&request, now)?;
                (
                    pake_context(&request.request_id, &request.nonce),
                    request.request_id.clone(),
                    request.expires_at_ms,
                )
            }
            other => (
                operation_pake_context(&msg.device_id, other),
                String::new(),
                i64::MAX,
            ),
        })
    }

    /// The service's SPAKE2+ answer to `msg`'s shareP under the verifier
    /// record (w0, L), in `context`.
    fn pin_share(
        msg: &DeviceSigned<PinStart>,
        w0: &[u8],
        l: &[u8],
        context: &[u8],
    ) -> Result<VerifierResponse> {
        let record = VerifierRecord::from_parts(w0, l)
            .map_err(|_| ServiceError::internal("stored verifier is damaged"))?;
        let ctx = PakeContext {
            context,
            id_prover: msg.device_id.as_bytes(),
            id_verifier: PAKE_VERIFIER_ID,
        };
        verifier_respond(&ctx, &record, &msg.body.share_p)
            .map_err(|_| malformed("share_p is not a valid P-256 point"))
    }

    /// Check the envelope and compute the SPAKE2+ answer before the write
    /// transaction, outside the database lock, from a snapshot (see
    /// `precheck`). The transaction uses the answer only if the verifier
    /// record and the context it reads are the same. Writes nothing.
    pub(crate) fn pin_share_early(
        &self,
        msg: &DeviceSigned<PinStart>,
        now: i64,
    ) -> Option<EarlyShare> {
        let (w0, l, context) = {
            let peek = self.db.peek().ok()?;
            let conn = peek.store();
            let device = Self::load_device(&conn, &msg.device_id).ok()?;
            // Only for an envelope whose signature already verified: a forged
            // one must not buy scalar multiplications before it is refused.
            let bytes = DeviceSigned::signed_bytes(&msg.device_id, msg.seq, &msg.body);
            if !self
                .verified
                .knows(&device.public_key, &bytes, &msg.signature)
            {
                return None;
            }
            let (context, _, _) = Self::pin_context(&conn, msg, &device.identity_id, now).ok()?;
            (device.w0, device.l, context)
        };
        let response = Self::pin_share(msg, &w0, &l, &context).ok()?;
        Some(EarlyShare {
            w0,
            l,
            context,
            response,
        })
    }

    /// Load an open PIN-proof session of `device_id` for `purpose`:
    /// (shareP, shareV, expected confirmP).
    pub(crate) fn pin_session(
        tx: &Store<'_>,
        device_id: &str,
        purpose: &PinPurpose,
        proof: &PakeProof,
        now: i64,
    ) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let purpose_json = serde_json::to_string(purpose).map_err(ServiceError::internal)?;
        tx.open_pin_session(&proof.session_id, device_id, &purpose_json, now)?
            .map(|s| (s.share_p, s.share_v, s.expected_confirm_p))
            .ok_or_else(|| {
                err(
                    ErrorCode::PinSessionInvalid,
                    "the PIN-proof session is unknown, used, lapsed or for something else",
                )
            })
    }

    /// The shares of a session of `device_id` for `purpose`, used or not,
    /// lapsed or not (to check a signature over them before anything else):
    /// (shareP, shareV).
    pub(crate) fn signed_session_shares(
        tx: &Store<'_>,
        device_id: &str,
        purpose: &PinPurpose,
        proof: &PakeProof,
    ) -> Result<(Vec<u8>, Vec<u8>)> {
        let purpose_json = serde_json::to_string(purpose).map_err(ServiceError::internal)?;
        tx.any_pin_session(&proof.session_id, device_id, &purpose_json)?
            .map(|s| (s.share_p, s.share_v))
            .ok_or_else(|| {
                err(
                    ErrorCode::PinSessionInvalid,
                    "the PIN-proof session is unknown, used, lapsed or for something else",
                )
            })
    }

    /// Find and use up the PIN-proof session for `purpose`, checking its
    /// confirmation: `Some(refusal)` for a wrong PIN (commit and refuse).
    pub(crate) fn settle_proof(
        &self,
        tx: &Store<'_>,
        device_id: &str,
        device: &DeviceRow,
        purpose: &PinPurpose,
        proof: &PakeProof,
        now: i64,
    ) -> Result<Option<ServiceError>> {
        let (_, _, expected) = Self::pin_session(tx, device_id, purpose, proof, now)?;
        self.consume_pin_proof(tx, device_id, device, &expected, proof, None, now)
    }

    /// Use up a PIN-proof session and check its confirmation. A wrong one is
    /// refused with the attempt already counted (commit, then refuse); a right
    /// one resets the failure count.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn consume_pin_proof(
        &self,
        tx: &Store<'_>,
        device_id: &str,
        device: &DeviceRow,
        expected_confirm_p: &[u8],
        proof: &PakeProof,
        request_id: Option<&str>,
        now: i64,
    ) -> Result<Option<ServiceError>> {
        tx.close_pin_session(&proof.session_id)?;
        if proof.confirm_p.len() != expected_confirm_p.len() {
            return Err(malformed("confirm_p must be 32 bytes"));
        }
        if verify_confirm_p(expected_confirm_p, &proof.confirm_p).is_err() {
            return Ok(Some(self.record_wrong_pin(
                tx,
                device_id,
                device,
                &proof.session_id,
                request_id,
                now,
            )?));
        }
        tx.reset_pin_failures(device_id)?;
        // The attempt leaves the failure budget; earlier failures stay in it.
        tx.attempt_right(&proof.session_id)?;
        Ok(None)
    }

    /// Log a wrong PIN (already counted at pin-start), tell the owner about
    /// it and about a suspension or block it caused, and build the refusal.
    fn record_wrong_pin(
        &self,
        tx: &Store<'_>,
        device_id: &str,
        device: &DeviceRow,
        session_id: &str,
        request_id: Option<&str>,
        now: i64,
    ) -> Result<ServiceError> {
        tx.attempt_wrong(session_id)?;
        self.tell_failed_attempts(tx, &device.identity_id, now)?;
        log(
            tx,
            &device.identity_id,
            now,
            ActivityKind::WrongPin,
            Some(device_id),
            request_id,
            "a wrong PIN was used",
        )?;
        let lock = self.lock_of(device, now);
        match lock {
            Lock::Blocked => notify(
                tx,
                &device.identity_id,
                now,
                &Event::DeviceBlocked {
                    device: &device_label(device_id),
                },
            )?,
            Lock::Suspended { until_ms } => notify(
                tx,
                &device.identity_id,
                now,
                &Event::DeviceSuspended {
                    device: &device_label(device_id),
                    minutes: (until_ms - now + 59_999) / 60_000,
                },
            )?,
            Lock::Open => {}
        }
        Ok(ServiceError {
            attempts_left: Some(self.config.lockout.attempts_left(device.pin_failures)),
            until_ms: match lock {
                Lock::Suspended { until_ms } => Some(until_ms),
                _ => None,
            },
            ..err(ErrorCode::WrongPin, "wrong PIN")
        })
    }

    /// A device reports that a PIN proof failed on its side (wrong PIN). The
    /// attempt was counted at pin-start; this closes the session, logs it and
    /// tells the owner about any suspension. Writes state.
    pub fn pin_failed(&self, msg: DeviceSigned<PinFailed>) -> Result<PinFailedResponse> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = self.authenticate_any(tx, &msg, now)?;
            let request_id = tx.unused_pin_session_request(&msg.body.session_id, &msg.device_id)?;
            let Some(request_id) = request_id else {
                return Err(err(
                    ErrorCode::PinSessionInvalid,
                    "the PIN-proof session is unknown or closed",
                ));
            };
            tx.close_pin_session(&msg.body.session_id)?;
            let request_id = Some(request_id).filter(|r| !r.is_empty());
            let e = self.record_wrong_pin(
                tx,
                &msg.device_id,
                &device,
                &msg.body.session_id,
                request_id.as_deref(),
                now,
            )?;
            Ok(Outcome::Done(PinFailedResponse {
                attempts_left: e.attempts_left.unwrap_or(0),
                suspended_until_ms: e.until_ms,
                server_time_ms: now,
            }))
        })
    }

    /// Tell the owner, on every channel, about each settled PIN attempt of
    /// the identity that did not end in a correct proof (wrong or abandoned)
    /// and was not told yet, with the count since the last approval; an
    /// abandoned one that left its device suspended or blocked is told as
    /// such too. Writes state.
    pub(crate) fn tell_failed_attempts(
        &self,
        tx: &Store<'_>,
        identity_id: &str,
        now: i64,
    ) -> Result<()> {
        for attempt in tx.untold_attempts(identity_id)? {
            tx.attempt_told(&attempt.session_id)?;
            let failed = tx.failures_since_last_right(identity_id, &attempt.device_id)?;
            let label = device_label(&attempt.device_id);
            let abandoned = attempt.outcome == "abandoned";
            let event = if abandoned {
                Event::PinAbandoned {
                    device: &label,
                    failed,
                }
            } else {
                Event::WrongPin {
                    device: &label,
                    failed,
                }
            };
            notify(tx, identity_id, now, &event)?;
            if !abandoned {
                continue;
            }
            // A wrong proof tells its own suspension (`record_wrong_pin`);
            // an abandoned one is told here (PROTOCOL.md §8.6).
            let Some(device) = tx.device(&attempt.device_id)? else {
                continue;
            };
            match self.lock_of(&device, now) {
                Lock::Blocked => notify(
                    tx,
                    identity_id,
                    now,
                    &Event::DeviceBlocked { device: &label },
                )?,
                Lock::Suspended { until_ms } => notify(
                    tx,
                    identity_id,
                    now,
                    &Event::DeviceSuspended {
                        device: &label,
                        minutes: (until_ms - now + 59_999) / 60_000,
                    },
                )?,
                Lock::Open => {}
            }
        }
        Ok(())
    }
}
