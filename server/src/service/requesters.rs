//! The requester registry: who may create, poll and cancel requests, the
//! names the owner reads, what each may ask for, its rate limits and its
//! key. Every requester call is a [`RequesterSigned`] envelope, checked
//! here inside the call's one transaction: a registered, unrevoked
//! requester, its signature, a timestamp within the window of the
//! service's clock and, for the calls that change something (create,
//! cancel), a nonce not seen before (remembered in the same transaction).
//! A poll changes nothing, so the same poll may be sent again (a transport
//! retries it). A refused call writes nothing.

use akuersi_protocol::request::{nfc, validate_requester};
use akuersi_protocol::requester_key::check_public_key;
use akuersi_protocol::wire::{
    ErrorCode, RequesterBody, RequesterInfo, RequesterNames, RequesterSigned, REQUESTER_NONCE_LEN,
    REQUESTER_WINDOW_MS,
};

use super::{err, Service};
use crate::error::Result;
use crate::storage::{Outcome, Store};

fn invalid(message: &str) -> crate::error::ServiceError {
    err(ErrorCode::InvalidRequester, message)
}

/// Check a registration and bring its names to NFC and its lists to a set.
fn normalize(mut r: RequesterInfo) -> Result<RequesterInfo> {
    r.names = RequesterNames {
        kl: nfc(&r.names.kl),
        da: nfc(&r.names.da),
        en: nfc(&r.names.en),
    };
    for name in [&r.names.kl, &r.names.da, &r.names.en] {
        validate_requester(&r.requester_id, name).map_err(|e| invalid(&e.to_string()))?;
    }
    r.actions.sort_by_key(|a| a.as_str());
    r.actions.dedup();
    r.channel_modes.sort_by_key(|m| m.as_str());
    r.channel_modes.dedup();
    if r.actions.is_empty() || r.channel_modes.is_empty() {
        return Err(invalid(
            "a requester needs at least one action and one channel-binding mode",
        ));
    }
    if r.max_per_minute == 0 || r.max_per_hour == 0 {
        return Err(invalid("rate limits must be at least 1"));
    }
    check_public_key(&r.public_key)
        .map_err(|_| invalid("public_key is not an uncompressed P-256 point on the curve"))?;
    Ok(r)
}

impl Service {
    /// Register a requester (operator API). Writes state.
    pub fn register_requester(&self, requester: RequesterInfo) -> Result<RequesterInfo> {
        let mut r = normalize(requester)?;
        r.registered_at_ms = self.now_ms();
        r.revoked_at_ms = None;
        self.db.write(|tx| {
            if !tx.insert_requester(&r)? {
                return Err(err(
                    ErrorCode::RequesterExists,
                    "a requester with this id is already registered",
                ));
            }
            Ok(Outcome::Done(r.clone()))
        })
    }

    /// Every registered requester, revoked ones included (operator API).
    pub fn list_requesters(&self) -> Result<Vec<RequesterInfo>> {
        let conn = self.db.conn()?;
        conn.store().requesters()
    }

    /// Revoke a requester: its calls are refused from now on (operator
    /// API). Writes state.
    pub fn revoke_requester(&self, requester_id: &str) -> Result<()> {
        let now = self.now_ms();
        self.db.write(|tx| match tx.requester(requester_id)? {
            None => Err(unknown_requester()),
            Some(r) if r.revoked_at_ms.is_some() => Err(revoked()),
            Some(_) => {
                tx.revoke_requester(requester_id, now)?;
                Ok(Outcome::Done(()))
            }
        })
    }

    /// Check a requester envelope's signature before its write transaction,
    /// outside the database lock (see `precheck`). Writes nothing.
    pub(crate) fn check_requester_early<T: RequesterBody>(&self, msg: &RequesterSigned<T>) {
        let key = match self.db.peek() {
            Ok(conn) => conn.store().requester(&msg.requester_id),
            Err(e) => Err(e),
        };
        if let Ok(Some(r)) = key {
            self.verified
                .check_early(&r.public_key, &msg.bytes(), &msg.signature);
        }
    }

    /// Check a requester envelope inside the call's transaction (see
    /// [`Self::check_requester`]), then use its nonce: refuse one used
    /// before, and remember it (it rolls back with a refused call).
    pub(crate) fn authenticate_requester<T: RequesterBody>(
        &self,
        tx: &Store<'_>,
        msg: &RequesterSigned<T>,
        now: i64,
    ) -> Result<RequesterInfo> {
        let requester = self.check_requester(tx, msg, now)?;
        tx.purge_requester_nonces(now - REQUESTER_WINDOW_MS)?;
        if !tx.use_requester_nonce(&msg.requester_id, &msg.nonce, msg.timestamp_ms)? {
            return Err(err(
                ErrorCode::Replayed,
                "this requester message was already received (nonce used before)",
            ));
        }
        Ok(requester)
    }

    /// Check a requester envelope without writing: a registered, unrevoked
    /// requester, its signature, a timestamp within [`REQUESTER_WINDOW_MS`]
    /// of `now`, and a nonce of the right length. Enough for a poll, which
    /// changes nothing.
    pub(crate) fn check_requester<T: RequesterBody>(
        &self,
        tx: &Store<'_>,
        msg: &RequesterSigned<T>,
        now: i64,
    ) -> Result<RequesterInfo> {
        let requester = tx
            .requester(&msg.requester_id)?
            .ok_or_else(unknown_requester)?;
        if requester.revoked_at_ms.is_some() {
            return Err(revoked());
        }
        if !self
            .verified
            .verify(&requester.public_key, &msg.bytes(), &msg.signature)
        {
            return Err(err(
                ErrorCode::BadSignature,
                "the requester signature does not verify",
            ));
        }
        if msg.timestamp_ms.abs_diff(now) > REQUESTER_WINDOW_MS.unsigned_abs() {
            return Err(err(
                ErrorCode::StaleTimestamp,
                "timestamp_ms is too far from the service's clock (see server_time_ms in answers)",
            ));
        }
        if msg.nonce.len() != REQUESTER_NONCE_LEN {
            return Err(err(ErrorCode::Malformed, "nonce must be 16 bytes"));
        }
        Ok(requester)
    }
}

fn unknown_requester() -> crate::error::ServiceError {
    err(
        ErrorCode::UnknownRequester,
        "no requester with this id is registered",
    )
}

fn revoked() -> crate::error::ServiceError {
    err(
        ErrorCode::RequesterRevoked,
        "this requester's registration was revoked",
    )
}
