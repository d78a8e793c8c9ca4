//! Retention: what the service forgets, and when. The hash-chained activity
//! log is never purged while its identity lives; everything else that grows
//! with use is.

use crate::error::Result;
use crate::jobs::Job;
use crate::storage::Outcome;
pub use crate::storage::RetainedTable;

use super::Service;

const DAY_MS: i64 = 24 * 3_600_000;

/// How long the service keeps what it no longer needs, with the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionPolicy {
    /// Requests, with their evidence (statement and signature), are kept
    /// this long after they expire (default 30 days). Never less than one day: the
    /// hourly request cap and the push-fatigue count look back that far.
    pub request_ms: i64,
    /// PIN-proof sessions are deleted this long after they expire (default 1 hour).
    pub pin_session_ms: i64,
    /// Notifications are deleted this long after they were made (default 90 days).
    pub notification_ms: i64,
    /// Rows per purge transaction (default 500).
    pub batch: u32,
    /// How often the job runs (default 10 minutes).
    pub every_ms: i64,
}

impl Default for RetentionPolicy {
    fn default() -> Self {
        Self {
            request_ms: 30 * DAY_MS,
            pin_session_ms: 3_600_000,
            notification_ms: 90 * DAY_MS,
            batch: 500,
            every_ms: 600_000,
        }
    }
}

/// What one retention round removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    /// Requests deleted (with their PIN sessions).
    pub requests: u64,
    /// PIN-proof sessions deleted.
    pub pin_sessions: u64,
    /// Requests whose channel-binding code and secret were forgotten.
    pub channel_codes: u64,
    /// Notifications deleted.
    pub notifications: u64,
    /// Requester nonces deleted (older than the timestamp window).
    pub requester_nonces: u64,
    /// PIN attempts deleted (older than the lock-out's long window, and settled).
    pub pin_attempts: u64,
    /// Transactions used.
    pub batches: u64,
}

impl RetentionReport {
    fn items(&self) -> u64 {
        self.requests
            + self.pin_sessions
            + self.channel_codes
            + self.notifications
            + self.requester_nonces
            + self.pin_attempts
    }
}

impl Service {
    /// One retention round at `now_ms` under the configured policy: purge in
    /// batches of at most `policy.batch` rows, each batch one transaction,
    /// until nothing is left to purge. Writes state.
    pub fn run_retention(&self, now_ms: i64) -> Result<RetentionReport> {
        let p = &self.config.retention;
        let batch = p.batch.max(1);
        let request_cutoff = now_ms.saturating_sub(p.request_ms.max(DAY_MS));
        let session_cutoff = now_ms.saturating_sub(p.pin_session_ms.max(0));
        let notification_cutoff = now_ms.saturating_sub(p.notification_ms.max(0));
        let mut report = RetentionReport::default();
        let mut drain = |f: &dyn Fn(&crate::storage::Store<'_>) -> Result<usize>| -> Result<u64> {
            let mut total = 0u64;
            loop {
                let n = self.db.write(|tx| Ok(Outcome::Done(f(tx)?)))?;
                report.batches += 1;
                total += n as u64;
                if n < batch as usize {
                    return Ok(total);
                }
            }
        };
        let channel_codes = drain(&|tx| tx.scrub_spent_channel_codes(now_ms, batch))?;
        let requests = drain(&|tx| tx.purge_requests(request_cutoff, batch))?;
        let pin_sessions = drain(&|tx| tx.purge_pin_sessions(session_cutoff, batch))?;
        let notifications = drain(&|tx| tx.purge_notifications(notification_cutoff, batch))?;
        let nonce_cutoff = now_ms.saturating_sub(akuersi_protocol::wire::REQUESTER_WINDOW_MS);
        let requester_nonces = drain(&|tx| tx.purge_stale_requester_nonces(nonce_cutoff, batch))?;
        // The lock-out looks back over its long window (30 days by default);
        // an attempt older than that counts for nothing, once told.
        let attempt_cutoff = now_ms.saturating_sub(
            self.config
                .lockout
                .long_window_ms
                .max(self.config.lockout.window_ms)
                .saturating_add(DAY_MS),
        );
        let pin_attempts = drain(&|tx| tx.purge_pin_attempts(attempt_cutoff, batch))?;
        report.channel_codes = channel_codes;
        report.requests = requests;
        report.pin_sessions = pin_sessions;
        report.notifications = notifications;
        report.requester_nonces = requester_nonces;
        report.pin_attempts = pin_attempts;
        Ok(report)
    }

    /// Rows now in one of the tables retention looks after (tests, reports).
    pub fn row_count(&self, table: RetainedTable) -> Result<u64> {
        self.db.conn()?.store().count_rows(table)
    }

    /// The database's size in pages and how many are free (reports, tests).
    pub fn page_counts(&self) -> Result<(u64, u64)> {
        self.db.page_counts()
    }

    /// Give free pages back to the file system (`VACUUM`). Blocks every
    /// other call while it runs; for maintenance windows and tests.
    pub fn vacuum(&self) -> Result<()> {
        self.db.vacuum()
    }
}

/// The retention job for the [`crate::jobs::JobRunner`].
#[derive(Debug)]
pub struct RetentionJob {
    every_ms: i64,
}

impl RetentionJob {
    /// The job, at the interval of `service`'s retention policy.
    pub fn for_service(service: &Service) -> Self {
        Self {
            every_ms: service.config.retention.every_ms.max(1_000),
        }
    }
}

impl Job for RetentionJob {
    fn name(&self) -> &'static str {
        "retention"
    }

    fn every_ms(&self) -> i64 {
        self.every_ms
    }

    fn run(&self, service: &Service, now_ms: i64) -> Result<u64> {
        Ok(service.run_retention(now_ms)?.items())
    }
}
