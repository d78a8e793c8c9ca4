//! Device additions: the waiting period, the pairing secret and its failures.

use rusqlite::params;

use super::Store;
use crate::error::Result;

/// A device addition as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AdditionRow {
    /// Its id.
    pub(crate) addition_id: String,
    /// The identity that gets a device.
    pub(crate) identity_id: String,
    /// The device that started it.
    pub(crate) started_by: String,
    /// When.
    pub(crate) started_at_ms: i64,
    /// End of the waiting period.
    pub(crate) wait_until_ms: i64,
    /// "waiting", "vetoed", "failed" or "completed".
    pub(crate) status: String,
    /// The pairing secret while a payload is out.
    pub(crate) pairing_secret: Option<Vec<u8>>,
    /// When the payload lapses.
    pub(crate) pairing_expires_at_ms: Option<i64>,
    /// Wrong pairing proofs.
    pub(crate) pairing_failures: u32,
}

/// A device addition to start (waiting).
pub(crate) struct NewAddition<'a> {
    /// Its id.
    pub(crate) addition_id: &'a str,
    /// The identity that gets a device.
    pub(crate) identity_id: &'a str,
    /// The device that starts it.
    pub(crate) started_by: &'a str,
    /// When.
    pub(crate) started_at_ms: i64,
    /// End of the waiting period.
    pub(crate) wait_until_ms: i64,
}

const ADDITION_COLUMNS: &str =
    "addition_id, identity_id, started_by, started_at_ms, wait_until_ms, status,
    pairing_secret, pairing_expires_at_ms, pairing_failures";

fn read_addition(r: &rusqlite::Row<'_>) -> rusqlite::Result<AdditionRow> {
    row_to!(AdditionRow {
        addition_id,
        identity_id,
        started_by,
        started_at_ms,
        wait_until_ms,
        status,
        pairing_secret,
        pairing_expires_at_ms,
        pairing_failures,
    })(r)
}

impl Store<'_> {
    /// An identity's additions in status "waiting" (lapsed ones included),
    /// oldest first.
    pub(crate) fn waiting_additions(&self, identity_id: &str) -> Result<Vec<AdditionRow>> {
        self.all(
            &format!(
                "SELECT {ADDITION_COLUMNS} FROM device_additions
             WHERE identity_id = ?1 AND status = 'waiting' ORDER BY started_at_ms"
            ),
            [identity_id],
            read_addition,
        )
    }

    /// An addition by id.
    pub(crate) fn addition(&self, addition_id: &str) -> Result<Option<AdditionRow>> {
        self.maybe(
            &format!("SELECT {ADDITION_COLUMNS} FROM device_additions WHERE addition_id = ?1"),
            [addition_id],
            read_addition,
        )
    }

    /// Start an addition.
    pub(crate) fn insert_addition(&self, a: &NewAddition<'_>) -> Result<()> {
        self.exec(
            "INSERT INTO device_additions(addition_id, identity_id, started_by, started_at_ms, wait_until_ms, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'waiting')",
            params![a.addition_id, a.identity_id, a.started_by, a.started_at_ms, a.wait_until_ms],
        )
    }

    /// A device vetoed an addition.
    pub(crate) fn veto_addition(&self, addition_id: &str, now_ms: i64, by: &str) -> Result<()> {
        self.exec(
            "UPDATE device_additions SET status = 'vetoed', closed_at_ms = ?2, closed_by = ?3, pairing_secret = NULL
                 WHERE addition_id = ?1",
            params![addition_id, now_ms, by],
        )
    }

    /// Close every waiting addition of an identity (as vetoed by `by`).
    pub(crate) fn close_waiting_additions(
        &self,
        identity_id: &str,
        now_ms: i64,
        by: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE device_additions SET status = 'vetoed', pairing_secret = NULL, closed_at_ms = ?2, closed_by = ?3
             WHERE identity_id = ?1 AND status = 'waiting'",
            params![identity_id, now_ms, by],
        )
    }

    /// Put out a (new) pairing secret.
    pub(crate) fn set_pairing_secret(
        &self,
        addition_id: &str,
        secret: &[u8],
        expires_at_ms: i64,
    ) -> Result<()> {
        self.exec(
            "UPDATE device_additions SET pairing_secret = ?2, pairing_expires_at_ms = ?3 WHERE addition_id = ?1",
            params![addition_id, secret, expires_at_ms],
        )
    }

    /// Count a wrong pairing proof.
    pub(crate) fn count_pairing_failure(&self, addition_id: &str, failures: u32) -> Result<()> {
        self.exec(
            "UPDATE device_additions SET pairing_failures = ?2 WHERE addition_id = ?1",
            params![addition_id, failures],
        )
    }

    /// Count the last wrong pairing proof and close the addition as failed.
    pub(crate) fn fail_addition(
        &self,
        addition_id: &str,
        failures: u32,
        now_ms: i64,
    ) -> Result<()> {
        self.exec(
            "UPDATE device_additions SET pairing_failures = ?2, status = 'failed', pairing_secret = NULL, closed_at_ms = ?3
                         WHERE addition_id = ?1",
            params![addition_id, failures, now_ms],
        )
    }

    /// The new device joined: close the addition as completed.
    pub(crate) fn complete_addition(
        &self,
        addition_id: &str,
        new_device_id: &str,
        now_ms: i64,
    ) -> Result<()> {
        self.exec(
            "UPDATE device_additions SET status = 'completed', pairing_secret = NULL, new_device_id = ?2, closed_at_ms = ?3
                 WHERE addition_id = ?1",
            params![addition_id, new_device_id, now_ms],
        )
    }
}
