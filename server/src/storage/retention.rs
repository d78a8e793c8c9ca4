//! Purges of the retention job (`crate::service::retention`): each call is
//! one bounded statement, run by the caller inside its own transaction.

use rusqlite::params;

use super::Store;
use crate::error::Result;

impl Store<'_> {
    /// Delete at most `limit` requests whose life (and so any decision,
    /// which comes before expiry) ended before `cutoff_ms`, with their PIN
    /// sessions. How many requests went.
    pub(crate) fn purge_requests(&self, cutoff_ms: i64, limit: u32) -> Result<usize> {
        // The same ordered subquery twice in one transaction picks the same rows.
        const BATCH: &str = "SELECT request_id FROM requests WHERE expires_at_ms < ?1
                             ORDER BY expires_at_ms, request_id LIMIT ?2";
        self.exec(
            &format!("DELETE FROM pake_sessions WHERE request_id IN ({BATCH})"),
            params![cutoff_ms, limit],
        )?;
        self.changed(
            &format!("DELETE FROM requests WHERE request_id IN ({BATCH})"),
            params![cutoff_ms, limit],
        )
    }

    /// Delete at most `limit` PIN-proof sessions that expired before `cutoff_ms`.
    pub(crate) fn purge_pin_sessions(&self, cutoff_ms: i64, limit: u32) -> Result<usize> {
        self.changed(
            "DELETE FROM pake_sessions WHERE rowid IN
             (SELECT rowid FROM pake_sessions WHERE expires_at_ms < ?1 LIMIT ?2)",
            params![cutoff_ms, limit],
        )
    }

    /// Forget the channel-binding code and secret of at most `limit`
    /// requests that can no longer be decided (decided, cancelled, or lapsed
    /// by `now_ms`): they are only shown while a request is pending.
    pub(crate) fn scrub_spent_channel_codes(&self, now_ms: i64, limit: u32) -> Result<usize> {
        self.changed(
            "UPDATE requests SET channel_code = NULL, channel_secret = NULL WHERE rowid IN
             (SELECT rowid FROM requests
              WHERE (channel_code IS NOT NULL OR channel_secret IS NOT NULL)
                AND (status != 'pending' OR expires_at_ms <= ?1)
              LIMIT ?2)",
            params![now_ms, limit],
        )
    }

    /// Delete at most `limit` notifications made before `cutoff_ms`.
    pub(crate) fn purge_notifications(&self, cutoff_ms: i64, limit: u32) -> Result<usize> {
        self.changed(
            "DELETE FROM notifications WHERE id IN
             (SELECT id FROM notifications WHERE at_ms < ?1 ORDER BY id LIMIT ?2)",
            params![cutoff_ms, limit],
        )
    }

    /// Delete at most `limit` requester nonces whose timestamp lies before
    /// `cutoff_ms`: a call that old is refused as `stale_timestamp` before
    /// its nonce is looked at, so the nonce guards nothing any more.
    pub(crate) fn purge_stale_requester_nonces(&self, cutoff_ms: i64, limit: u32) -> Result<usize> {
        self.changed(
            "DELETE FROM requester_nonces WHERE rowid IN
             (SELECT rowid FROM requester_nonces WHERE timestamp_ms < ?1 LIMIT ?2)",
            params![cutoff_ms, limit],
        )
    }

    /// Delete at most `limit` PIN attempts started before `cutoff_ms` that
    /// no longer matter: right or forgiven ones, and wrong or abandoned ones
    /// the owner was told of. Untold failures stay until they are told.
    pub(crate) fn purge_pin_attempts(&self, cutoff_ms: i64, limit: u32) -> Result<usize> {
        self.changed(
            "DELETE FROM pin_attempts WHERE id IN
             (SELECT id FROM pin_attempts WHERE started_at_ms < ?1
                AND (outcome IN ('right', 'forgiven') OR told = 1)
              ORDER BY id LIMIT ?2)",
            params![cutoff_ms, limit],
        )
    }

    /// Rows in a table the retention job purges (tests and reports).
    pub(crate) fn count_rows(&self, table: RetainedTable) -> Result<u64> {
        let sql = match table {
            RetainedTable::Requests => "SELECT count(*) FROM requests",
            RetainedTable::PinSessions => "SELECT count(*) FROM pake_sessions",
            RetainedTable::Notifications => "SELECT count(*) FROM notifications",
            RetainedTable::Activity => "SELECT count(*) FROM activity",
            RetainedTable::RequesterNonces => "SELECT count(*) FROM requester_nonces",
            RetainedTable::PinAttempts => "SELECT count(*) FROM pin_attempts",
        };
        self.value(sql, [])
    }
}

/// The tables the retention job looks after, as counted for tests and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetainedTable {
    /// Requests (with their evidence).
    Requests,
    /// PIN-proof sessions.
    PinSessions,
    /// The notification outbox.
    Notifications,
    /// The hash-chained activity log (never purged).
    Activity,
    /// Nonces of signed requester calls.
    RequesterNonces,
    /// PIN attempts kept for the lock-out's budget.
    PinAttempts,
}
