//! The `staged_secrets` table: a device secret sealed and stored *before*
//! the service is told of it, so that a kill, a vault error or a lost answer
//! at any point leaves something to finish or undo (see
//! [`crate::staged`] for the protocol around it).
//!
//! One row per device: a new device being enrolled (`new_device`; its
//! profile does not exist yet), or a new verifier for an existing profile's
//! device (`verifier`; reactivation, or a PIN change with a new iteration
//! count).

use rusqlite::{params, Connection, Transaction};

use super::optional;
use crate::error::{Error, Result};

/// What a staged secret is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StagedKind {
    /// A device not yet known here: the profile is created when it is promoted.
    NewDevice,
    /// A new device secret and/or iteration count for an existing profile.
    Verifier,
}

impl StagedKind {
    fn as_str(self) -> &'static str {
        match self {
            StagedKind::NewDevice => "new_device",
            StagedKind::Verifier => "verifier",
        }
    }

    fn parse(s: &str) -> Result<Self> {
        match s {
            "new_device" => Ok(StagedKind::NewDevice),
            "verifier" => Ok(StagedKind::Verifier),
            other => Err(Error::Storage(format!("unknown staged kind {other:?}"))),
        }
    }
}

/// One staged secret. `sealed_device_secret` is sealed by the vault under
/// the device's secret label, like the profile's own.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Staged {
    pub(crate) kind: StagedKind,
    pub(crate) device_id: String,
    /// The profile it belongs to (for a new device: the id it will get).
    pub(crate) profile_id: String,
    pub(crate) key_alias: String,
    pub(crate) sealed_device_secret: Vec<u8>,
    pub(crate) kdf_iterations: u32,
    /// The device's name (a new device's, to store with its profile).
    pub(crate) device_name: String,
    /// New device: the first sequence number not yet used by a probe.
    pub(crate) next_seq: i64,
    /// The line for the local activity log when it is promoted.
    pub(crate) note: String,
    pub(crate) created_at_ms: i64,
}

impl std::fmt::Debug for Staged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Staged")
            .field("kind", &self.kind)
            .field("device_id", &self.device_id)
            .finish_non_exhaustive()
    }
}

const COLUMNS: &str = "kind, device_id, profile_id, key_alias, sealed_device_secret, \
    kdf_iterations, device_name, next_seq, note, created_at_ms";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, Staged)> {
    Ok((
        r.get(0)?,
        Staged {
            kind: StagedKind::NewDevice,
            device_id: r.get(1)?,
            profile_id: r.get(2)?,
            key_alias: r.get(3)?,
            sealed_device_secret: r.get(4)?,
            kdf_iterations: r.get(5)?,
            device_name: r.get(6)?,
            next_seq: r.get(7)?,
            note: r.get(8)?,
            created_at_ms: r.get(9)?,
        },
    ))
}

fn typed((kind, mut s): (String, Staged)) -> Result<Staged> {
    s.kind = StagedKind::parse(&kind)?;
    Ok(s)
}

/// Stage a secret, replacing whatever was staged for the same device or
/// profile.
pub(crate) fn put(tx: &Transaction<'_>, s: &Staged) -> Result<()> {
    tx.execute(
        &format!("INSERT OR REPLACE INTO staged_secrets({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
        params![
            s.kind.as_str(),
            s.device_id,
            s.profile_id,
            s.key_alias,
            s.sealed_device_secret,
            s.kdf_iterations,
            s.device_name,
            s.next_seq,
            s.note,
            s.created_at_ms
        ],
    )?;
    Ok(())
}

/// The secret staged for an existing profile's device, if any.
pub(crate) fn for_profile(conn: &Connection, profile_id: &str) -> Result<Option<Staged>> {
    optional(conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM staged_secrets WHERE profile_id = ?1 AND kind = 'verifier'"
        ),
        [profile_id],
        row,
    ))?
    .map(typed)
    .transpose()
}

/// Every new device staged and not yet promoted or dropped, oldest first.
pub(crate) fn new_devices(conn: &Connection) -> Result<Vec<Staged>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM staged_secrets WHERE kind = 'new_device' ORDER BY created_at_ms, device_id"
    ))?;
    let rows = stmt.query_map([], row)?;
    rows.map(|r| typed(r?)).collect()
}

/// Drop what is staged for `device_id` (promoted, or never taken).
pub(crate) fn delete(tx: &Transaction<'_>, device_id: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM staged_secrets WHERE device_id = ?1",
        [device_id],
    )?;
    Ok(())
}

/// Drop whatever is staged for a profile (the profile is being deleted).
pub(crate) fn delete_for_profile(tx: &Transaction<'_>, profile_id: &str) -> Result<()> {
    tx.execute(
        "DELETE FROM staged_secrets WHERE profile_id = ?1",
        [profile_id],
    )?;
    Ok(())
}

/// Take the next sequence number for a probe of a staged new device and
/// advance the stored one, so no number is ever sent twice. Commit before
/// using it.
pub(crate) fn lease_probe_seq(tx: &Transaction<'_>, device_id: &str) -> Result<i64> {
    let seq: i64 = tx.query_row(
        "UPDATE staged_secrets SET next_seq = next_seq + 1 WHERE device_id = ?1 RETURNING next_seq - 1",
        [device_id],
        |r| r.get(0),
    )?;
    Ok(seq)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn row(kind: StagedKind, device: &str, profile: &str) -> Staged {
        Staged {
            kind,
            device_id: device.into(),
            profile_id: profile.into(),
            key_alias: format!("key-{device}"),
            sealed_device_secret: vec![0xa5; 60],
            kdf_iterations: 1_000,
            device_name: "phone".into(),
            next_seq: 1,
            note: "note".into(),
            created_at_ms: 5,
        }
    }

    #[test]
    fn staged_rows_replace_list_lease_and_go() {
        let s = Store::open(":memory:").unwrap();
        let verifier = row(StagedKind::Verifier, "d1", "p1");
        let newer = Staged {
            kdf_iterations: 2_000,
            ..verifier.clone()
        };
        let device = row(StagedKind::NewDevice, "d2", "p2");
        s.write(|tx| {
            put(tx, &verifier)?;
            put(tx, &newer)?;
            put(tx, &device)
        })
        .unwrap();
        {
            let conn = s.conn().unwrap();
            assert_eq!(for_profile(&conn, "p1").unwrap(), Some(newer.clone()));
            assert_eq!(
                for_profile(&conn, "p2").unwrap(),
                None,
                "a new device is no verifier"
            );
            assert_eq!(new_devices(&conn).unwrap(), vec![device.clone()]);
        }
        let seqs: Vec<i64> = (0..3)
            .map(|_| s.write(|tx| lease_probe_seq(tx, "d2")).unwrap())
            .collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert!(s.write(|tx| lease_probe_seq(tx, "nope")).is_err());
        s.write(|tx| {
            delete(tx, "d2")?;
            delete_for_profile(tx, "p1")
        })
        .unwrap();
        let conn = s.conn().unwrap();
        assert_eq!(for_profile(&conn, "p1").unwrap(), None);
        assert!(new_devices(&conn).unwrap().is_empty());
    }

    #[test]
    fn debug_shows_no_secret() {
        let shown = format!("{:?}", row(StagedKind::Verifier, "d1", "p1"));
        assert!(!shown.contains("165") && !shown.contains("a5"), "{shown}");
    }
}
