//! The identities' hash-chained activity logs.

use akuersi_protocol::activity::ActivityKind;
use akuersi_protocol::activity::LogEntry;
use rusqlite::params;

use super::Store;
use crate::error::Result;

/// A log entry to append, its sequence number and hashes already worked out.
pub(crate) struct NewActivity<'a> {
    /// The identity whose log it is.
    pub(crate) identity_id: &'a str,
    /// Its place in the log (1 for the first).
    pub(crate) seq: u64,
    /// When.
    pub(crate) at_ms: i64,
    /// What kind of event.
    pub(crate) kind: &'a str,
    /// The device involved.
    pub(crate) device_id: Option<&'a str>,
    /// The request involved.
    pub(crate) request_id: Option<&'a str>,
    /// Description.
    pub(crate) detail: &'a str,
    /// The previous entry's hash (the genesis value for the first).
    pub(crate) prev_hash: &'a [u8],
    /// This entry's hash.
    pub(crate) hash: &'a [u8],
}

impl Store<'_> {
    /// The sequence number and hash of an identity's last log entry.
    pub(crate) fn activity_head(&self, identity_id: &str) -> Result<Option<(u64, Vec<u8>)>> {
        self.maybe(
            "SELECT seq, hash FROM activity WHERE identity_id = ?1 ORDER BY seq DESC LIMIT 1",
            [identity_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// How many entries of `kind` an identity's log got after `after_ms`.
    pub(crate) fn count_recent_activity(
        &self,
        identity_id: &str,
        kind: ActivityKind,
        after_ms: i64,
    ) -> Result<u32> {
        self.one(
            "SELECT COUNT(*) FROM activity WHERE identity_id = ?1 AND kind = ?2 AND at_ms > ?3",
            params![identity_id, kind.as_str(), after_ms],
            |r| r.get(0),
        )
    }

    /// Append an entry to a log.
    pub(crate) fn insert_activity(&self, e: &NewActivity<'_>) -> Result<()> {
        self.exec(
            "INSERT INTO activity(identity_id, seq, at_ms, kind, device_id, request_id, detail, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                e.identity_id,
                e.seq,
                e.at_ms,
                e.kind,
                e.device_id,
                e.request_id,
                e.detail,
                e.prev_hash,
                e.hash
            ],
        )
    }

    /// An identity's whole log, oldest first.
    pub(crate) fn activity_entries(&self, identity_id: &str) -> Result<Vec<LogEntry>> {
        self.activity_page(identity_id, 0, u32::MAX)
    }

    /// At most `limit` entries of an identity's log after `after_seq`, oldest first.
    pub(crate) fn activity_page(
        &self,
        identity_id: &str,
        after_seq: u64,
        limit: u32,
    ) -> Result<Vec<LogEntry>> {
        // Sequence numbers are stored as SQLite integers; nothing lies beyond i64::MAX.
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        self.all(
            "SELECT seq, at_ms, kind, device_id, request_id, detail, prev_hash, hash
             FROM activity WHERE identity_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3",
            params![identity_id, after, limit],
            |r| {
                Ok(LogEntry {
                    seq: r.get(0)?,
                    at_ms: r.get(1)?,
                    kind: super::named(r, 2, ActivityKind::from_str_opt)?,
                    device_id: r.get(3)?,
                    request_id: r.get(4)?,
                    detail: r.get(5)?,
                    prev_hash: r.get(6)?,
                    hash: r.get(7)?,
                })
            },
        )
    }
}
