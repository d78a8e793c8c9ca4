//! The `identity_log` and `identity_log_heads` tables: this app's copy of the
//! identity's hash-chained activity log, as far as it has verified it, and the
//! last head the service signed for it. A later log must extend this one
//! (PROTOCOL §8.8): entries this app saw can never be cut or rewritten.

use akuersi_protocol::activity::{ActivityKind, Anchor, ChainError, LogEntry, SignedHead};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::{Error, Result};

/// Where the verified copy ends: the last verified entry (genesis before the first).
pub(crate) fn anchor(conn: &Connection, profile_id: &str) -> Result<Anchor> {
    let row: Option<(i64, Vec<u8>)> = conn
        .query_row(
            "SELECT seq, hash FROM identity_log_heads WHERE profile_id = ?1",
            [profile_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    Ok(match row {
        Some((seq, hash)) => Anchor {
            seq: u64::try_from(seq).map_err(|_| Error::Storage("a negative log seq".into()))?,
            hash,
        },
        None => Anchor::genesis(),
    })
}

/// Append `entries`, which the caller verified to run from `from` to `head`,
/// and record `head` as the last verified one. Another sync of the same
/// profile may have moved the copy on since `from` was read: then only what
/// lies beyond it is added, after checking that both agree where they overlap.
pub(crate) fn extend(
    tx: &Transaction<'_>,
    profile_id: &str,
    from: &Anchor,
    entries: &[LogEntry],
    head: &SignedHead,
) -> Result<()> {
    let now = anchor(tx, profile_id)?;
    if now != *from {
        if now.seq > head.seq {
            // Another sync verified a later head: this one has nothing to add.
            return Ok(());
        }
        // Where the stored copy ends now must lie on the chain just verified.
        let on_chain = now.seq > from.seq
            && if now.seq == head.seq {
                now.hash == head.hash
            } else {
                entries
                    .iter()
                    .any(|e| e.seq == now.seq && e.hash == now.hash)
            };
        if !on_chain {
            return Err(chain_error(ChainError::NotAnExtension(now.seq)));
        }
    }
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO identity_log(profile_id, seq, at_ms, kind, device_id, request_id, detail, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        for e in entries.iter().filter(|e| e.seq > now.seq) {
            insert.execute(params![
                profile_id,
                seq_sql(e.seq)?,
                e.at_ms,
                e.kind.as_str(),
                e.device_id,
                e.request_id,
                e.detail,
                e.prev_hash,
                e.hash
            ])?;
        }
    }
    tx.execute(
        "INSERT INTO identity_log_heads(profile_id, seq, hash, signed_at_ms) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(profile_id) DO UPDATE SET seq = ?2, hash = ?3, signed_at_ms = ?4",
        params![profile_id, seq_sql(head.seq)?, head.hash, head.signed_at_ms],
    )?;
    Ok(())
}

/// The error a log that does not check out gives.
pub(crate) fn chain_error(e: ChainError) -> Error {
    Error::Protocol(format!("the activity log does not check out: {e}"))
}

fn seq_sql(seq: u64) -> Result<i64> {
    i64::try_from(seq).map_err(|_| Error::Protocol("an activity log seq is out of range".into()))
}

/// How many entries the verified copy holds.
pub(crate) fn count(conn: &Connection, profile_id: &str) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT COUNT(*) FROM identity_log WHERE profile_id = ?1",
        [profile_id],
        |r| r.get(0),
    )?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// A page of the verified copy, newest first: skip `offset`, then at most `limit`.
pub(crate) fn newest_first(
    conn: &Connection,
    profile_id: &str,
    offset: u32,
    limit: u32,
) -> Result<Vec<LogEntry>> {
    let mut stmt = conn.prepare_cached(
        "SELECT seq, at_ms, kind, device_id, request_id, detail, prev_hash, hash
         FROM identity_log WHERE profile_id = ?1 ORDER BY seq DESC LIMIT ?2 OFFSET ?3",
    )?;
    let rows = stmt.query_map(params![profile_id, limit, offset], |r| {
        let kind: String = r.get(2)?;
        Ok(LogEntry {
            seq: r.get(0)?,
            at_ms: r.get(1)?,
            kind: ActivityKind::from_str_opt(&kind).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    2,
                    rusqlite::types::Type::Text,
                    format!("unknown log kind {kind:?}").into(),
                )
            })?,
            device_id: r.get(3)?,
            request_id: r.get(4)?,
            detail: r.get(5)?,
            prev_hash: r.get(6)?,
            hash: r.get(7)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Forget a profile's copy (the profile is removed).
pub(crate) fn delete_for_profile(tx: &Transaction<'_>, profile_id: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM identity_log WHERE profile_id = ?1",
        [profile_id],
    )?;
    tx.execute(
        "DELETE FROM identity_log_heads WHERE profile_id = ?1",
        [profile_id],
    )?;
    Ok(())
}
