//! The device's SQLite store: one file per app installation, versioned
//! migrations, WAL, and every state change in one transaction.
//!
//! It holds no PIN and nothing derived from one: only the sealed device secret,
//! the sealed software key (when the platform has no keystore), sequence
//! numbers, the measured clock offset, the activity log and the verified
//! copy of the identity's hash-chained log.
//!
//! All of the device's SQL lives in this module: [`Store`] opens the file,
//! migrates it and hands out transactions; `profiles`, `activity` and `keys`
//! hold the typed statements over each table, which the installation calls
//! inside the transaction it chose.

pub(crate) mod activity;
pub(crate) mod identity_log;
pub(crate) mod keys;
pub(crate) mod profiles;
pub(crate) mod staged;

use std::sync::{Mutex, MutexGuard};

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior};

use crate::error::{Error, Result};

/// Migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    // 1: profiles (one per identity on this installation), software keys, activity.
    "CREATE TABLE profiles (
        profile_id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL,
        user_key TEXT NOT NULL UNIQUE,
        identity_id TEXT NOT NULL,
        device_id TEXT NOT NULL UNIQUE,
        key_alias TEXT NOT NULL,
        sealed_device_secret BLOB NOT NULL,
        kdf_iterations INTEGER NOT NULL,
        next_seq INTEGER NOT NULL,
        clock_offset_ms INTEGER NOT NULL DEFAULT 0,
        language TEXT NOT NULL,
        device_name TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL,
        service_public_key BLOB NOT NULL,
        last_notification_id INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE software_keys (
        alias TEXT PRIMARY KEY,
        public_key BLOB NOT NULL,
        sealed_private_key BLOB NOT NULL
    );
    CREATE TABLE activity (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        profile_id TEXT NOT NULL,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        request_id TEXT,
        detail TEXT NOT NULL
    );
    CREATE INDEX activity_by_profile ON activity(profile_id, id);",
    // 2: when the owner last read the security rules (shown on first run and
    // before the first approval).
    "ALTER TABLE profiles ADD COLUMN rules_acknowledged_at_ms INTEGER",
    // 3: the verified copy of the identity's activity log and the last head
    // the service signed for it: a later log must extend it.
    "CREATE TABLE identity_log (
        profile_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at_ms INTEGER NOT NULL,
        kind TEXT NOT NULL,
        device_id TEXT,
        request_id TEXT,
        detail TEXT NOT NULL,
        prev_hash BLOB NOT NULL,
        hash BLOB NOT NULL,
        PRIMARY KEY (profile_id, seq)
    ) WITHOUT ROWID;
    CREATE TABLE identity_log_heads (
        profile_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        hash BLOB NOT NULL,
        signed_at_ms INTEGER NOT NULL
    );",
    // 4: service keys the app has seen retired by a key-rotation statement
    // (profiles.service_public_key is the newest trusted key). Heads a
    // retired key signed before its retirement are still accepted.
    "CREATE TABLE retired_service_keys (
        profile_id TEXT NOT NULL,
        key_id TEXT NOT NULL,
        public_key BLOB NOT NULL,
        retired_at_ms INTEGER NOT NULL,
        PRIMARY KEY (profile_id, key_id)
    )",
    // 5: device secrets staged before the service is told of them (see
    // `staged`): a new device's, or a new verifier's for an existing profile.
    "CREATE TABLE staged_secrets (
        device_id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        profile_id TEXT NOT NULL UNIQUE,
        key_alias TEXT NOT NULL,
        sealed_device_secret BLOB NOT NULL,
        kdf_iterations INTEGER NOT NULL,
        device_name TEXT NOT NULL,
        next_seq INTEGER NOT NULL,
        note TEXT NOT NULL,
        created_at_ms INTEGER NOT NULL
    )",
];

/// Create the database file for its owner alone (0600 on Unix) before
/// SQLite opens it, whatever the process's umask; SQLite gives the `-wal` and
/// `-shm` files the same mode. An existing file keeps its mode.
fn create_private(path: &str) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| Error::Storage(format!("cannot create the database file: {e}")))?;
    Ok(())
}

/// The installation's database. Cheap to share behind an `Arc`; calls block
/// on SQLite I/O, so keep them off the main thread.
pub struct Store {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Store")
    }
}

impl Store {
    /// Open (creating if needed) the database at `path` and run migrations.
    /// `":memory:"` gives a private in-memory database.
    pub fn open(path: &str) -> Result<Self> {
        let conn = if path == ":memory:" {
            Connection::open_in_memory()?
        } else {
            create_private(path)?;
            Connection::open(path)?
        };
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        if path != ":memory:" {
            conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
        }
        conn.execute_batch("PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;")?;
        migrate(&conn)?;
        Ok(Self {
            conn: Mutex::new(conn),
        })
    }

    /// Lock the connection (for reads).
    pub fn conn(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| Error::Storage("store lock poisoned".into()))
    }

    /// Run `f` in one immediate transaction; commit if it returns `Ok`.
    /// The commit is durable (`synchronous=FULL`: on disk before this
    /// returns). Blocks on disk I/O.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Like [`Store::write`], but the commit does not wait for the disk
    /// (`synchronous=NORMAL` in WAL mode): it is atomic and survives the app
    /// being killed, but a power failure in the next moments may undo it
    /// (SQLite's own trade-off, and Android's default for WAL databases).
    /// Only for records the service holds authoritatively anyway: the local
    /// activity log and the measured clock offset. The next durable write
    /// makes it durable too (the WAL is synced in order).
    pub fn write_routine<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let mut conn = self.conn()?;
        conn.execute_batch("PRAGMA synchronous=NORMAL")?;
        let out = (|| -> Result<T> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })();
        // Back to durable commits for everything else, whatever happened.
        let restored = conn.execute_batch("PRAGMA synchronous=FULL");
        let out = out?;
        restored?;
        Ok(out)
    }

    /// The schema version (number of migrations run).
    pub fn schema_version(&self) -> Result<u32> {
        let conn = self.conn()?;
        Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
    }
}

fn migrate(conn: &Connection) -> Result<()> {
    let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > MIGRATIONS.len() {
        return Err(Error::Storage(format!(
            "database schema {current} is newer than this app ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let version = i + 1;
        conn.execute_batch(&format!(
            "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {version}; COMMIT;"
        ))
        .inspect_err(|_| {
            let _ = conn.execute_batch("ROLLBACK");
        })?;
    }
    Ok(())
}

/// Read one optional row.
pub(crate) fn optional<T>(r: rusqlite::Result<T>) -> Result<Option<T>> {
    Ok(r.optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Add one row to the `activity` table.
    fn insert_activity_row(tx: &Transaction<'_>) -> Result<()> {
        tx.execute(
            "INSERT INTO activity(profile_id, at_ms, kind, detail) VALUES ('p', 1, 'k', '')",
            [],
        )?;
        Ok(())
    }

    /// How many rows the `activity` table has.
    fn activity_rows(s: &Store) -> i64 {
        s.conn()
            .unwrap()
            .query_row("SELECT count(*) FROM activity", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn migrates_once_and_reopens() {
        let dir = std::env::temp_dir().join(format!("akuersi-store-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("a.sqlite");
        let p = path.to_str().unwrap();
        {
            let s = Store::open(p).unwrap();
            assert_eq!(s.schema_version().unwrap() as usize, MIGRATIONS.len());
            s.write(insert_activity_row).unwrap();
        }
        let s = Store::open(p).unwrap();
        assert_eq!(activity_rows(&s), 1);
        let mode: String = s
            .conn()
            .unwrap()
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn failed_write_changes_nothing() {
        let s = Store::open(":memory:").unwrap();
        let r: Result<()> = s.write(|tx| {
            insert_activity_row(tx)?;
            Err(Error::Storage("boom".into()))
        });
        assert!(r.is_err());
        assert_eq!(activity_rows(&s), 0);
    }

    #[test]
    fn refuses_newer_schema() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("PRAGMA user_version = 99").unwrap();
        assert!(migrate(&conn).is_err());
    }
}
