//! The `activity` table: this device's own log of what was done on it, per
//! profile. The service keeps the authoritative, hash-chained log; this one
//! is local and written with routine commits where the caller chooses so.

use rusqlite::{params, Connection, Transaction};

use crate::app::{ActivityEntry, LocalActivityKind};
use crate::error::Result;

/// Append one line to a profile's log.
pub(crate) fn append(
    tx: &Transaction<'_>,
    profile_id: &str,
    at_ms: i64,
    kind: LocalActivityKind,
    request_id: Option<&str>,
    detail: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO activity(profile_id, at_ms, kind, request_id, detail) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![profile_id, at_ms, kind.as_str(), request_id, detail],
    )?;
    Ok(())
}

/// A profile's whole log, newest first (empty for an unknown profile).
pub(crate) fn newest_first(conn: &Connection, profile_id: &str) -> Result<Vec<ActivityEntry>> {
    let mut stmt = conn.prepare(
        "SELECT at_ms, kind, request_id, detail FROM activity WHERE profile_id = ?1 ORDER BY id DESC",
    )?;
    let rows = stmt.query_map([profile_id], |r| {
        Ok(ActivityEntry {
            at_ms: r.get(0)?,
            kind: {
                let text: String = r.get(1)?;
                LocalActivityKind::from_str_opt(&text).ok_or_else(|| {
                    rusqlite::Error::FromSqlConversionFailure(
                        1,
                        rusqlite::types::Type::Text,
                        format!("unknown log kind {text:?}").into(),
                    )
                })?
            },
            request_id: r.get(2)?,
            detail: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
}

/// Delete a profile's whole log.
pub(crate) fn delete_for_profile(tx: &Transaction<'_>, profile_id: &str) -> Result<()> {
    tx.execute("DELETE FROM activity WHERE profile_id = ?1", [profile_id])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn appends_and_reads_newest_first_per_profile() {
        let s = Store::open(":memory:").unwrap();
        s.write_routine(|tx| {
            append(tx, "p1", 10, LocalActivityKind::Activated, None, "first")?;
            append(
                tx,
                "p2",
                11,
                LocalActivityKind::Frozen,
                None,
                "other profile",
            )?;
            // Same time, later id: still newer.
            append(
                tx,
                "p1",
                10,
                LocalActivityKind::Approved,
                Some("r1"),
                "Bank – login",
            )
        })
        .unwrap();
        let conn = s.conn().unwrap();
        assert_eq!(
            newest_first(&conn, "p1").unwrap(),
            vec![
                ActivityEntry {
                    at_ms: 10,
                    kind: LocalActivityKind::Approved,
                    request_id: Some("r1".into()),
                    detail: "Bank – login".into(),
                },
                ActivityEntry {
                    at_ms: 10,
                    kind: LocalActivityKind::Activated,
                    request_id: None,
                    detail: "first".into(),
                },
            ]
        );
        assert!(newest_first(&conn, "nope").unwrap().is_empty());
        drop(conn);
        s.write(|tx| delete_for_profile(tx, "p1")).unwrap();
        let conn = s.conn().unwrap();
        assert!(newest_first(&conn, "p1").unwrap().is_empty());
        assert_eq!(newest_first(&conn, "p2").unwrap().len(), 1);
    }
}
