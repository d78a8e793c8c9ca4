//! PIN attempts: one row per pin-start, kept for the rolling failure budget
//! (which a correct proof does not refill) and for telling the owner about
//! every attempt that did not end in a correct proof.
//!
//! An attempt's outcome is `open` (started, not settled), `wrong` (a wrong
//! proof was seen or reported), `abandoned` (it lapsed, or the device
//! started another one, without a proof), `right` (a correct proof) or
//! `forgiven` (the device was re-activated with an activation code since).
//! `open`, `wrong` and `abandoned` count against the budget.

use rusqlite::params;

use super::Store;
use crate::error::Result;

/// Outcomes that count against the failure budget.
const COUNTED: &str = "('open', 'wrong', 'abandoned')";

/// A PIN attempt to record at pin-start.
pub(crate) struct NewPinAttempt<'a> {
    /// The PIN-proof session it opened.
    pub(crate) session_id: &'a str,
    /// The device that made it.
    pub(crate) device_id: &'a str,
    /// The device's identity.
    pub(crate) identity_id: &'a str,
    /// When it started.
    pub(crate) started_at_ms: i64,
    /// When its session lapses.
    pub(crate) lapses_at_ms: i64,
}

/// A settled attempt the owner has not been told about yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UntoldAttempt {
    /// Its session.
    pub(crate) session_id: String,
    /// The device that made it.
    pub(crate) device_id: String,
    /// `wrong` or `abandoned`.
    pub(crate) outcome: String,
}

impl Store<'_> {
    /// Record a PIN attempt (outcome `open`).
    pub(crate) fn insert_pin_attempt(&self, a: &NewPinAttempt<'_>) -> Result<()> {
        self.exec(
            "INSERT INTO pin_attempts(session_id, device_id, identity_id, started_at_ms, lapses_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                a.session_id,
                a.device_id,
                a.identity_id,
                a.started_at_ms,
                a.lapses_at_ms
            ],
        )
    }

    /// Settle an attempt as `wrong` (unless it was proved right or forgiven).
    pub(crate) fn attempt_wrong(&self, session_id: &str) -> Result<()> {
        self.exec(
            "UPDATE pin_attempts SET outcome = 'wrong'
             WHERE session_id = ?1 AND outcome IN ('open', 'abandoned')",
            [session_id],
        )
    }

    /// Settle an attempt as `right`: it no longer counts.
    pub(crate) fn attempt_right(&self, session_id: &str) -> Result<()> {
        self.exec(
            "UPDATE pin_attempts SET outcome = 'right' WHERE session_id = ?1",
            [session_id],
        )
    }

    /// Settle as `abandoned` the open attempts of the device (when it starts
    /// another one) and the lapsed open attempts of the identity.
    pub(crate) fn abandon_attempts(
        &self,
        identity_id: &str,
        device_id: Option<&str>,
        now_ms: i64,
    ) -> Result<()> {
        self.exec(
            "UPDATE pin_attempts SET outcome = 'abandoned'
             WHERE identity_id = ?1 AND outcome = 'open'
               AND (lapses_at_ms <= ?3 OR device_id = ?2)",
            params![identity_id, device_id, now_ms],
        )
    }

    /// Settled attempts (`wrong` or `abandoned`) of the identity that the
    /// owner has not been told about, oldest first.
    pub(crate) fn untold_attempts(&self, identity_id: &str) -> Result<Vec<UntoldAttempt>> {
        self.all(
            "SELECT session_id, device_id, outcome FROM pin_attempts
             WHERE identity_id = ?1 AND told = 0 AND outcome IN ('wrong', 'abandoned')
             ORDER BY id",
            [identity_id],
            row_to!(UntoldAttempt {
                session_id,
                device_id,
                outcome
            }),
        )
    }

    /// Record that the owner was told about an attempt.
    pub(crate) fn attempt_told(&self, session_id: &str) -> Result<()> {
        self.exec(
            "UPDATE pin_attempts SET told = 1 WHERE session_id = ?1",
            [session_id],
        )
    }

    /// Counted attempts (open, wrong, abandoned) of a device started at or
    /// after `since_ms`.
    pub(crate) fn device_failures_since(&self, device_id: &str, since_ms: i64) -> Result<u32> {
        self.value(
            &format!(
                "SELECT count(*) FROM pin_attempts
                 WHERE device_id = ?1 AND started_at_ms >= ?2 AND outcome IN {COUNTED}"
            ),
            params![device_id, since_ms],
        )
    }

    /// Counted attempts of an identity's devices started at or after
    /// `since_ms`, and the start of the oldest of them.
    pub(crate) fn identity_failures_since(
        &self,
        identity_id: &str,
        since_ms: i64,
    ) -> Result<(u32, Option<i64>)> {
        self.one(
            &format!(
                "SELECT count(*), min(started_at_ms) FROM pin_attempts
                 WHERE identity_id = ?1 AND started_at_ms >= ?2 AND outcome IN {COUNTED}"
            ),
            params![identity_id, since_ms],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Wrong or abandoned attempts on any device of the identity since the
    /// device's last correct proof (all of them if it never gave one).
    pub(crate) fn failures_since_last_right(
        &self,
        identity_id: &str,
        device_id: &str,
    ) -> Result<u32> {
        self.value(
            "SELECT count(*) FROM pin_attempts
             WHERE identity_id = ?1 AND outcome IN ('wrong', 'abandoned')
               AND id > coalesce((SELECT max(id) FROM pin_attempts
                                  WHERE device_id = ?2 AND outcome = 'right'), 0)",
            params![identity_id, device_id],
        )
    }

    /// Forgive a device's counted attempts (re-activation with a code).
    pub(crate) fn forgive_attempts(&self, device_id: &str) -> Result<()> {
        self.exec(
            &format!(
                "UPDATE pin_attempts SET outcome = 'forgiven'
                 WHERE device_id = ?1 AND outcome IN {COUNTED}"
            ),
            [device_id],
        )
    }
}
