//! The service's SQLite database: opening it, the migrations run on open,
//! and the transaction helper with group commit.

use std::fs::File;
use std::path::PathBuf;
use std::sync::{Condvar, Mutex, MutexGuard};

use rusqlite::{Connection, TransactionBehavior};

use super::migrations::MIGRATIONS;
use super::Store;
use crate::error::{Result, ServiceError};

/// What a write transaction decided: commit and answer, or commit and refuse
/// (used where a refusal must leave a trace, such as a counted PIN attempt).
pub(crate) enum Outcome<T> {
    /// Commit and return the value.
    Done(T),
    /// Commit what was written so far, then return the error.
    Refuse(ServiceError),
}

/// The database behind a mutex: one writer at a time inside this process;
/// `BEGIN IMMEDIATE` keeps other processes on the same file in line too.
///
/// Durable commits use group commit. SQLite runs with `synchronous=NORMAL`,
/// so `COMMIT` appends the transaction to the WAL file without waiting for
/// the disk; then, with the connection already free for the next writer, the
/// caller waits until one `fdatasync` of the WAL file covers its commit. One
/// thread at a time issues that sync on behalf of every commit made before
/// it started, so concurrent writers share the cost of a flush instead of
/// queueing for one each. Nothing is answered before it is durable: writes
/// wait in [`Db::write`], and reads wait (in [`DbRead`]'s drop) for every
/// commit they could have seen.
pub(crate) struct Db {
    conn: Mutex<Connection>,
    /// `None` for an in-memory database or when the service was configured
    /// with `synchronous_full = false` (acknowledged commits may then be lost
    /// on power failure, as with plain `synchronous=NORMAL`).
    sync: Option<GroupSync>,
}

/// Group commit bookkeeping: commits are numbered in the order they were
/// made; `synced` is the highest number known to be on disk.
struct GroupSync {
    wal: PathBuf,
    state: Mutex<SyncState>,
    flushed: Condvar,
}

#[derive(Default)]
struct SyncState {
    /// Commits made so far (incremented under the connection lock, after
    /// `COMMIT` returned, so a sync started later covers it).
    committed: u64,
    /// Every commit up to this number is durable.
    synced: u64,
    /// A thread is syncing now.
    syncing: bool,
    /// The WAL file, opened on the first sync.
    file: Option<File>,
    /// A sync failed: the disk may have dropped acknowledged-to-be data, so
    /// the service stops acknowledging anything until it is restarted.
    failed: bool,
    /// Syncs issued, for tests and the benchmark report.
    syncs: u64,
}

impl Db {
    pub(crate) fn open(path: &str, synchronous_full: bool) -> Result<Self> {
        let conn = if path == ":memory:" {
            Connection::open_in_memory()?
        } else {
            // Created for the service's user alone (0600 on Unix), whatever
            // the umask; SQLite gives -wal and -shm the database's mode.
            let mut private = std::fs::OpenOptions::new();
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut private, 0o600);
            private
                .append(true)
                .create(true)
                .open(path)
                .map_err(ServiceError::internal)?;
            Connection::open(path)?
        };
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        if path != ":memory:" {
            conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
        }
        // NORMAL in both cases: with group commit the WAL is synced by
        // `GroupSync` (see the type's comment); SQLite still syncs the WAL
        // before each checkpoint and the database after it.
        // secure_delete: deleted rows (the old key row, purged requests) are
        // overwritten with zeros instead of lingering in free pages.
        conn.execute_batch(
            "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;",
        )?;
        let current: usize = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if current > MIGRATIONS.len() {
            return Err(ServiceError::internal(
                "database schema is newer than this service",
            ));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            conn.execute_batch(&format!(
                "BEGIN IMMEDIATE; {sql}; PRAGMA user_version = {}; COMMIT;",
                i + 1
            ))
            .inspect_err(|_| {
                let _ = conn.execute_batch("ROLLBACK");
            })?;
        }
        let sync = (synchronous_full && path != ":memory:").then(|| GroupSync {
            wal: PathBuf::from(format!("{path}-wal")),
            state: Mutex::new(SyncState::default()),
            flushed: Condvar::new(),
        });
        let db = Self {
            conn: Mutex::new(conn),
            sync,
        };
        // The migrations above were committed without a sync of our own.
        if let Some(sync) = &db.sync {
            sync.note_commit()?;
            sync.wait(sync.committed()?)?;
        }
        Ok(db)
    }

    fn lock(&self) -> Result<MutexGuard<'_, Connection>> {
        self.conn
            .lock()
            .map_err(|_| ServiceError::internal("database lock poisoned"))
    }

    /// Lock the connection for reading. When the guard is dropped, the
    /// caller waits until every commit the read could have seen is durable,
    /// so an answer never reveals a decision a power failure could undo.
    pub(crate) fn conn(&self) -> Result<DbRead<'_>> {
        let guard = self.lock()?;
        let seen = match &self.sync {
            Some(sync) => sync.committed()?,
            None => 0,
        };
        Ok(DbRead {
            guard: Some(guard),
            db: self,
            seen,
        })
    }

    /// Lock the connection for a read whose result is not shown to anyone:
    /// the early checks before a write (`precheck`), whose transaction
    /// re-reads what it relies on and waits for durability itself.
    pub(crate) fn peek(&self) -> Result<Peek<'_>> {
        Ok(Peek(self.lock()?))
    }

    /// Run `f` in one immediate transaction. `Ok(Done)` and `Ok(Refuse)` commit;
    /// `Err` rolls back, so a refused message changes nothing. Returns only
    /// once the commit is durable (group commit; see [`Db`]).
    pub(crate) fn write<T>(&self, f: impl FnOnce(&Store<'_>) -> Result<Outcome<T>>) -> Result<T> {
        let (ticket, out) = {
            let mut conn = self.lock()?;
            if let Some(sync) = &self.sync {
                // Take no new work after a failed sync.
                sync.check()?;
            }
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&Store::new(&tx))?;
            tx.commit()?;
            let ticket = match &self.sync {
                Some(sync) => sync.note_commit()?,
                None => 0,
            };
            (ticket, out)
        };
        if let Some(sync) = &self.sync {
            sync.wait(ticket)?;
        }
        match out {
            Outcome::Done(v) => Ok(v),
            Outcome::Refuse(e) => Err(e),
        }
    }

    /// Copy the WAL into the database file and truncate the WAL to nothing,
    /// so no page image of deleted data stays behind in old WAL frames.
    /// Blocks until readers and writers of this connection are done.
    pub(crate) fn checkpoint_truncate(&self) -> Result<()> {
        let conn = self.lock()?;
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// The database's size in pages and how many of them are free.
    pub(crate) fn page_counts(&self) -> Result<(u64, u64)> {
        let conn = self.lock()?;
        let pages: u64 = conn.query_row("PRAGMA page_count", [], |r| r.get(0))?;
        let free: u64 = conn.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
        Ok((pages, free))
    }

    /// Give free pages back to the file system (`PRAGMA incremental_vacuum`
    /// needs auto_vacuum, so this is a full `VACUUM`). Blocks every other
    /// call while it runs.
    pub(crate) fn vacuum(&self) -> Result<()> {
        let conn = self.lock()?;
        conn.execute_batch("VACUUM")?;
        Ok(())
    }

    /// WAL syncs issued so far (0 without group commit).
    pub(crate) fn syncs(&self) -> u64 {
        self.sync
            .as_ref()
            .and_then(|s| s.state.lock().ok().map(|st| st.syncs))
            .unwrap_or(0)
    }
}

/// A lock on the database for an early, unshown read; see [`Db::peek`].
pub(crate) struct Peek<'a>(MutexGuard<'a, Connection>);

impl Peek<'_> {
    /// The storage operations, on this lock.
    pub(crate) fn store(&self) -> Store<'_> {
        Store::new(&self.0)
    }
}

/// A read lock on the database; see [`Db::conn`].
pub(crate) struct DbRead<'a> {
    guard: Option<MutexGuard<'a, Connection>>,
    db: &'a Db,
    seen: u64,
}

impl DbRead<'_> {
    /// The storage operations, on this read lock.
    pub(crate) fn store(&self) -> Store<'_> {
        Store::new(self.connection())
    }

    pub(super) fn connection(&self) -> &Connection {
        // The guard is only taken out in `drop`.
        self.guard.as_deref().unwrap_or_else(|| unreachable!())
    }
}

impl Drop for DbRead<'_> {
    fn drop(&mut self) {
        // Release the connection first: the wait needs no lock on it.
        drop(self.guard.take());
        if let Some(sync) = &self.db.sync {
            // A failed sync is remembered in the state and refuses every
            // later write; a read cannot report it from here.
            let _ = sync.wait(self.seen);
        }
    }
}

impl GroupSync {
    fn state(&self) -> Result<MutexGuard<'_, SyncState>> {
        self.state
            .lock()
            .map_err(|_| ServiceError::internal("database sync lock poisoned"))
    }

    fn check(&self) -> Result<()> {
        if self.state()?.failed {
            return Err(sync_failed());
        }
        Ok(())
    }

    fn committed(&self) -> Result<u64> {
        Ok(self.state()?.committed)
    }

    /// Number a commit that has just returned; call with the connection
    /// still locked, so numbers follow commit order.
    fn note_commit(&self) -> Result<u64> {
        let mut s = self.state()?;
        s.committed += 1;
        Ok(s.committed)
    }

    /// Wait until commit number `ticket` is durable, syncing the WAL file
    /// ourselves if nobody else is.
    fn wait(&self, ticket: u64) -> Result<()> {
        let mut s = self.state()?;
        loop {
            if s.failed {
                return Err(sync_failed());
            }
            if s.synced >= ticket {
                return Ok(());
            }
            if s.syncing {
                s = self
                    .flushed
                    .wait(s)
                    .map_err(|_| ServiceError::internal("database sync lock poisoned"))?;
                continue;
            }
            // Become the syncer for every commit made up to now.
            s.syncing = true;
            let target = s.committed;
            let file = match s.file.take() {
                Some(f) => Ok(f),
                None => File::open(&self.wal),
            };
            drop(s);
            let result = match file {
                Ok(f) => f.sync_data().map(|()| Some(f)),
                // No WAL file: SQLite removes it only after checkpointing
                // everything into the database file and syncing that.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            };
            s = self.state()?;
            s.syncing = false;
            s.syncs += 1;
            match result {
                Ok(f) => {
                    s.file = f;
                    s.synced = s.synced.max(target);
                }
                Err(e) => {
                    tracing::error!(error = %e, "syncing the WAL failed; refusing further writes");
                    s.failed = true;
                }
            }
            self.flushed.notify_all();
        }
    }
}

fn sync_failed() -> ServiceError {
    ServiceError::internal("the database could not be synced to disk; restart the service")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file_db(dir: &std::path::Path) -> Db {
        let path = dir.join("service.db");
        Db::open(path.to_str().unwrap_or_default(), true).unwrap()
    }

    fn insert(db: &Db, n: u32) -> Result<()> {
        db.write(|tx| {
            tx.conn.execute(
                "INSERT INTO unfreeze_proofs (identity_id, device_id, at_ms) VALUES (?1, 'd', 0)",
                [format!("id-{n}")],
            )?;
            Ok(Outcome::Done(()))
        })
    }

    #[test]
    fn one_sync_covers_every_commit_made_before_it() {
        let dir = tempfile::tempdir().unwrap();
        let db = file_db(dir.path());
        let sync = db.sync.as_ref().unwrap();
        let before = db.syncs();
        // Three commits land while nobody syncs (as when several writers
        // commit during someone else's flush)...
        insert(&db, 0).unwrap();
        let after_one = db.syncs();
        assert_eq!(after_one, before + 1, "a write returns only after a sync");
        for _ in 0..3 {
            sync.note_commit().unwrap();
        }
        let last = sync.committed().unwrap();
        // ...the first waiter's sync covers all of them, the others need none.
        sync.wait(last - 2).unwrap();
        assert_eq!(db.syncs(), after_one + 1);
        sync.wait(last).unwrap();
        sync.wait(last - 1).unwrap();
        assert_eq!(db.syncs(), after_one + 1);
    }

    #[test]
    fn a_read_waits_for_the_commits_it_could_see() {
        let dir = tempfile::tempdir().unwrap();
        let db = file_db(dir.path());
        let sync = db.sync.as_ref().unwrap();
        insert(&db, 0).unwrap();
        let before = db.syncs();
        // A commit numbered but not yet synced is visible to a reader...
        sync.note_commit().unwrap();
        {
            let conn = db.conn().unwrap();
            let n: i64 = conn
                .connection()
                .query_row("SELECT COUNT(*) FROM unfreeze_proofs", [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 1);
        }
        // ...so releasing the read synced it before the answer could leave.
        assert_eq!(db.syncs(), before + 1);
        // With nothing new, a read costs no sync.
        drop(db.conn().unwrap());
        assert_eq!(db.syncs(), before + 1);
    }

    #[test]
    fn concurrent_writers_all_land_and_share_syncs() {
        let dir = tempfile::tempdir().unwrap();
        let db = std::sync::Arc::new(file_db(dir.path()));
        let threads: Vec<_> = (0..8u32)
            .map(|t| {
                let db = db.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        insert(&db, t * 100 + i).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n: i64 = db
            .conn()
            .unwrap()
            .connection()
            .query_row("SELECT COUNT(*) FROM unfreeze_proofs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 200);
        let sync = db.sync.as_ref().unwrap();
        let s = sync.state().unwrap();
        assert_eq!(s.synced, s.committed, "every commit was synced");
        // No more syncs than commits (a batch never syncs twice); how many
        // fewer depends on the disk, so that is the benchmark's business.
        assert!(s.syncs <= s.committed);
    }

    #[test]
    fn a_failed_sync_refuses_every_later_write() {
        let dir = tempfile::tempdir().unwrap();
        let mut db = file_db(dir.path());
        if let Some(sync) = db.sync.as_mut() {
            // Opening a file under a non-directory fails with ENOTDIR.
            sync.wal = PathBuf::from("/dev/null/service.db-wal");
            if let Ok(state) = sync.state.get_mut() {
                state.file = None;
            }
        }
        let first = insert(&db, 1).unwrap_err();
        assert!(first.to_string().contains("synced"), "{first}");
        let second = insert(&db, 2).unwrap_err();
        assert!(second.to_string().contains("synced"), "{second}");
        // The refused second write never reached the database.
        let n: i64 = db
            .lock()
            .unwrap()
            .query_row("SELECT COUNT(*) FROM unfreeze_proofs", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn memory_and_normal_databases_never_sync() {
        let db = Db::open(":memory:", true).unwrap();
        insert(&db, 1).unwrap();
        assert_eq!(db.syncs(), 0);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("normal.db");
        let db = Db::open(path.to_str().unwrap_or_default(), false).unwrap();
        insert(&db, 1).unwrap();
        assert_eq!(db.syncs(), 0);
    }
}
