//! What the owner can change with the PIN: user ID, contact data, notice on
//! every use, the PIN itself; the operator's contact-data and outbox calls;
//! and the signed activity log.

use akuersi_protocol::activity::ActivityKind;
use akuersi_protocol::activity::{head_bytes, LogEntry, SignedHead, GENESIS};
use akuersi_protocol::identity::UserId;
use akuersi_protocol::spake2plus::VerifierRecord;
use akuersi_protocol::wire::{
    Ack, ActivityQuery, ActivityResponse, ChangeContact, ChangePin, ChangeSettings, ChangeUserId,
    DeviceSigned, ErrorCode, NotificationItem, NotificationsQuery, NotificationsResponse,
    PinPurpose, MAX_ACTIVITY_PAGE,
};

use super::{err, frozen_error, log, malformed, Service};
use crate::error::{Result, ServiceError};
use crate::notify::{device_label, notify, notify_to, Event};
use crate::storage::{DeviceRow, NewVerifier, Outcome, Store};

/// Check a phone number: `+` and 7–15 digits (E.164).
pub fn valid_phone(p: &str) -> bool {
    let digits = p.strip_prefix('+').unwrap_or("");
    (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Check an e-mail address: one `@`, a dot in the domain, no spaces or controls, ≤ 254 bytes.
pub fn valid_email(e: &str) -> bool {
    let Some((local, domain)) = e.split_once('@') else {
        return false;
    };
    e.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && e.chars().all(|c| !c.is_whitespace() && !c.is_control())
}

fn check_contact(phone: Option<&str>, email: Option<&str>) -> Result<()> {
    if phone.is_some_and(|p| !valid_phone(p)) {
        return Err(err(
            ErrorCode::InvalidContact,
            "a phone number is + and 7 to 15 digits",
        ));
    }
    if email.is_some_and(|e| !valid_email(e)) {
        return Err(err(
            ErrorCode::InvalidContact,
            "the e-mail address is not valid",
        ));
    }
    Ok(())
}

impl Service {
    /// The identity id of a user ID (operator calls).
    pub(crate) fn identity_by_user_id(&self, user_id: &str) -> Result<String> {
        let user =
            UserId::parse(user_id).map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        let conn = self.db.conn()?;
        conn.store()
            .identity_by_user_key(user.key())?
            .ok_or_else(|| err(ErrorCode::InvalidUserId, "no identity has this user ID"))
    }

    /// Authenticate, refuse while frozen, and check a PIN proof for `purpose`.
    /// `Ok(Err(_))`: a wrong PIN, to be committed and refused.
    fn pin_guarded<T: akuersi_protocol::wire::SignedBody>(
        &self,
        tx: &Store<'_>,
        msg: &DeviceSigned<T>,
        purpose: &PinPurpose,
        proof: &akuersi_protocol::wire::PakeProof,
        now: i64,
    ) -> Result<Result<DeviceRow, ServiceError>> {
        let device = self.authenticate_with_proof(tx, msg, purpose, proof, now)?;
        if let Some(refusal) =
            self.settle_proof(tx, &msg.device_id, &device, purpose, proof, now)?
        {
            return Ok(Err(refusal));
        }
        if self.is_frozen(tx, &device.identity_id)? {
            return Ok(Err(frozen_error()));
        }
        Ok(Ok(device))
    }

    /// Run `then` in one write transaction after [`Self::pin_guarded`]
    /// let the device through; a wrong PIN is committed and refused.
    fn pin_guarded_write<B: akuersi_protocol::wire::SignedBody, T>(
        &self,
        msg: &DeviceSigned<B>,
        purpose: &PinPurpose,
        proof: &akuersi_protocol::wire::PakeProof,
        now: i64,
        then: impl FnOnce(&Store<'_>, DeviceRow) -> Result<Outcome<T>>,
    ) -> Result<T> {
        self.db
            .write(|tx| match self.pin_guarded(tx, msg, purpose, proof, now)? {
                Ok(device) => then(tx, device),
                Err(refusal) => Ok(Outcome::Refuse(refusal)),
            })
    }

    /// Change the user ID, with the PIN; every channel is told. Writes state.
    pub fn change_user_id(&self, msg: DeviceSigned<ChangeUserId>) -> Result<Ack> {
        let now = self.now_ms();
        let user = UserId::parse(&msg.body.new_user_id)
            .map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        self.pin_guarded_write(
            &msg,
            &PinPurpose::ChangeUserId,
            &msg.body.pake,
            now,
            |tx, device| {
                let taken = tx.user_key_taken_by_other(user.key(), &device.identity_id)?;
                if taken {
                    // The PIN proof is settled: keep it, refuse the change.
                    return Ok(Outcome::Refuse(err(
                        ErrorCode::IdentityExists,
                        "this user ID is taken; choose another",
                    )));
                }
                tx.set_user_id(&device.identity_id, user.as_str(), user.key())?;
                log(
                    tx,
                    &device.identity_id,
                    now,
                    ActivityKind::UserIdChanged,
                    Some(&msg.device_id),
                    None,
                    "user ID changed",
                )?;
                notify(tx, &device.identity_id, now, &Event::UserIdChanged)?;
                Ok(Outcome::Done(Ack {
                    server_time_ms: now,
                }))
            },
        )
    }

    fn store_contact(
        &self,
        tx: &Store<'_>,
        identity_id: &str,
        phone: Option<&str>,
        email: Option<&str>,
        now: i64,
        by: Option<&str>,
    ) -> Result<()> {
        let (old_phone, old_email) = tx.contact_addresses(identity_id)?;
        tx.set_contact_addresses(identity_id, phone, email)?;
        log(
            tx,
            identity_id,
            now,
            ActivityKind::ContactChanged,
            by,
            None,
            "contact data changed",
        )?;
        // Tell the old addresses too: a thief changing them must not silence the owner.
        let mut extra: Vec<(&str, &str)> = Vec::new();
        if let Some(p) = old_phone.as_deref() {
            extra.push(("sms", p));
        }
        if let Some(e) = old_email.as_deref() {
            extra.push(("email", e));
        }
        notify_to(tx, identity_id, now, &Event::ContactChanged, &extra)
    }

    /// Change contact data, with the PIN; old and new addresses are told. Writes state.
    pub fn change_contact(&self, msg: DeviceSigned<ChangeContact>) -> Result<Ack> {
        let now = self.now_ms();
        check_contact(msg.body.phone.as_deref(), msg.body.email.as_deref())?;
        self.pin_guarded_write(
            &msg,
            &PinPurpose::ChangeContact,
            &msg.body.pake,
            now,
            |tx, device| {
                self.store_contact(
                    tx,
                    &device.identity_id,
                    msg.body.phone.as_deref(),
                    msg.body.email.as_deref(),
                    now,
                    Some(&msg.device_id),
                )?;
                Ok(Outcome::Done(Ack {
                    server_time_ms: now,
                }))
            },
        )
    }

    /// Support sets contact data (operator API). Writes state.
    pub fn operator_set_contact(
        &self,
        user_id: &str,
        phone: Option<&str>,
        email: Option<&str>,
    ) -> Result<()> {
        check_contact(phone, email)?;
        let identity_id = self.identity_by_user_id(user_id)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            self.store_contact(tx, &identity_id, phone, email, now, None)?;
            Ok(Outcome::Done(()))
        })
    }

    /// Change settings (notice on every use), with the PIN. Writes state.
    pub fn change_settings(&self, msg: DeviceSigned<ChangeSettings>) -> Result<Ack> {
        let now = self.now_ms();
        self.pin_guarded_write(
            &msg,
            &PinPurpose::ChangeSettings,
            &msg.body.pake,
            now,
            |tx, device| {
                tx.set_notify_every_use(&device.identity_id, msg.body.notify_every_use)?;
                let what = if msg.body.notify_every_use {
                    "on"
                } else {
                    "off"
                };
                log(
                    tx,
                    &device.identity_id,
                    now,
                    ActivityKind::SettingsChanged,
                    Some(&msg.device_id),
                    None,
                    &format!("notice on every use turned {what}"),
                )?;
                Ok(Outcome::Done(Ack {
                    server_time_ms: now,
                }))
            },
        )
    }

    /// Replace this device's PIN verifier, proved with the old PIN. Writes state.
    pub fn change_pin(&self, msg: DeviceSigned<ChangePin>) -> Result<Ack> {
        let now = self.now_ms();
        VerifierRecord::from_parts(&msg.body.verifier.w0, &msg.body.verifier.l)
            .map_err(|_| malformed("the PIN verifier is not a valid SPAKE2+ record"))?;
        super::enrollment::check_kdf_iterations(
            msg.body.verifier.kdf_iterations,
            self.config.min_kdf_iterations,
        )?;
        self.pin_guarded_write(
            &msg,
            &PinPurpose::ChangePin,
            &msg.body.pake,
            now,
            |tx, device| {
                tx.set_verifier(
                    &msg.device_id,
                    NewVerifier {
                        w0: &msg.body.verifier.w0,
                        l: &msg.body.verifier.l,
                        kdf_iterations: msg.body.verifier.kdf_iterations,
                    },
                )?;
                log(
                    tx,
                    &device.identity_id,
                    now,
                    ActivityKind::PinChanged,
                    Some(&msg.device_id),
                    None,
                    "PIN changed",
                )?;
                notify(
                    tx,
                    &device.identity_id,
                    now,
                    &Event::PinChanged {
                        device: &device_label(&msg.device_id),
                    },
                )?;
                Ok(Outcome::Done(Ack {
                    server_time_ms: now,
                }))
            },
        )
    }

    /// App-channel notifications after `after_id`. Consumes the envelope's sequence number.
    pub fn notifications(
        &self,
        msg: DeviceSigned<NotificationsQuery>,
    ) -> Result<NotificationsResponse> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            // A device sees what happened since it joined, not the identity's
            // whole history from before it existed.
            let enrolled = tx.device_enrolled_at(&msg.device_id)?;
            let items = tx.outbox(
                Some(&device.identity_id),
                Some("app"),
                msg.body.after_id,
                enrolled,
            )?;
            Ok(Outcome::Done(NotificationsResponse {
                items,
                server_time_ms: now,
            }))
        })
    }

    /// A page of the outbox of every channel (operator API; the simulator
    /// shows it as inboxes): at most [`akuersi_protocol::wire::MAX_NOTIFICATION_PAGE`] notifications
    /// after `after_id`, oldest first; ask again after the last for more.
    pub fn outbox(&self, user_id: Option<&str>, after_id: u64) -> Result<Vec<NotificationItem>> {
        let identity = user_id.map(|u| self.identity_by_user_id(u)).transpose()?;
        let conn = self.db.conn()?;
        conn.store()
            .outbox(identity.as_deref(), None, after_id, i64::MIN)
    }

    /// One page of the activity log (the entries after `after_seq`, at most
    /// [`MAX_ACTIVITY_PAGE`]) with the head of the whole log signed now.
    /// Consumes the envelope's sequence number.
    pub fn activity_log(&self, msg: DeviceSigned<ActivityQuery>) -> Result<ActivityResponse> {
        let now = self.now_ms();
        if msg.body.limit == 0 {
            return Err(malformed("limit must be 1 or more"));
        }
        let device = self
            .db
            .write(|tx| Ok(Outcome::Done(self.authenticate(tx, &msg, now)?)))?;
        let limit = msg.body.limit.min(MAX_ACTIVITY_PAGE);
        let (entries, head) =
            self.signed_log_page(&device.identity_id, msg.body.after_seq, limit)?;
        Ok(ActivityResponse {
            entries,
            head,
            key_rotations: self.key_rotations()?,
            server_time_ms: now,
        })
    }

    /// An identity's whole log and a freshly signed head.
    pub fn signed_log(&self, identity_id: &str) -> Result<(Vec<LogEntry>, SignedHead)> {
        self.signed_log_page(identity_id, 0, u32::MAX)
    }

    /// At most `limit` entries after `after_seq`, and the head of the whole
    /// log, read together and signed now.
    pub fn signed_log_page(
        &self,
        identity_id: &str,
        after_seq: u64,
        limit: u32,
    ) -> Result<(Vec<LogEntry>, SignedHead)> {
        let now = self.now_ms();
        let (entries, (seq, hash)) = {
            let conn = self.db.conn()?;
            let store = conn.store();
            let entries = store.activity_page(identity_id, after_seq, limit)?;
            let head = store
                .activity_head(identity_id)?
                .unwrap_or((0, GENESIS.to_vec()));
            (entries, head)
        };
        let key = self.current_key();
        let signature = self.keys.sign(
            &key.key_id,
            &head_bytes(identity_id, &key.key_id, seq, &hash, now),
        )?;
        Ok((
            entries,
            SignedHead {
                key_id: key.key_id,
                seq,
                hash,
                signed_at_ms: now,
                signature,
            },
        ))
    }
}
