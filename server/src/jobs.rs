//! One runner for the service's background work.
//!
//! A [`Job`] says how often it runs and does one round of work when asked.
//! [`JobRunner`] keeps each job's next due time on the service's [`Clock`]:
//! [`JobRunner::run_due`] runs what is due now (tests call it step by step
//! on a test clock, without sleeping), and [`JobRunner::run`] is the tokio
//! task that does the same forever, sleeping until the next job is due.
//! Retention ([`crate::service::retention::RetentionJob`]) is the first job;
//! later ones (notification digests, locks that end at a set time) register
//! the same way.

use std::sync::Arc;

use akuersi_protocol::clock::Clock;

use crate::error::Result;
use crate::service::Service;

/// A piece of background work.
pub trait Job: Send + Sync {
    /// A short stable name, for logs.
    fn name(&self) -> &'static str;
    /// How long after a round the next one is due, in milliseconds.
    fn every_ms(&self) -> i64;
    /// Do one round at `now_ms`; how many items it handled. Blocks on
    /// SQLite and writes state, each bounded batch in its own transaction.
    fn run(&self, service: &Service, now_ms: i64) -> Result<u64>;
}

struct Scheduled {
    job: Box<dyn Job>,
    due_ms: i64,
}

/// What one round of one job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    /// The job's name.
    pub name: &'static str,
    /// Items handled, or the error's message.
    pub outcome: std::result::Result<u64, String>,
}

/// Runs registered jobs when they are due on the service's clock.
pub struct JobRunner {
    service: Arc<Service>,
    clock: Arc<dyn Clock>,
    jobs: Vec<Scheduled>,
}

impl JobRunner {
    /// A runner for `service`, on the service's clock, with no jobs.
    pub fn new(service: Arc<Service>) -> Self {
        let clock = service.clock.clone();
        Self {
            service,
            clock,
            jobs: Vec::new(),
        }
    }

    /// Add a job; its first round is due at once.
    pub fn register(&mut self, job: Box<dyn Job>) -> &mut Self {
        let due_ms = self.clock.now_ms();
        self.jobs.push(Scheduled { job, due_ms });
        self
    }

    /// When the next job is due (`None` without jobs).
    pub fn next_due_ms(&self) -> Option<i64> {
        self.jobs.iter().map(|j| j.due_ms).min()
    }

    /// Run every job due now, once each, and schedule its next round. A
    /// failed round is reported and retried at its next due time. Blocks.
    pub fn run_due(&mut self) -> Vec<JobReport> {
        let now = self.clock.now_ms();
        let mut reports = Vec::new();
        for s in self.jobs.iter_mut().filter(|s| s.due_ms <= now) {
            let outcome = s.job.run(&self.service, now).map_err(|e| e.message);
            s.due_ms = now.saturating_add(s.job.every_ms().max(1));
            reports.push(JobReport {
                name: s.job.name(),
                outcome,
            });
        }
        reports
    }

    /// The background task: run due jobs (on a blocking thread, as they
    /// block on SQLite), sleep until the next is due (at most a minute, so a
    /// clock that jumps is noticed), until `shutdown` completes.
    pub async fn run(mut self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            let handle = tokio::task::spawn_blocking(move || {
                let reports = self.run_due();
                (self, reports)
            });
            let (runner, reports) = match handle.await {
                Ok(v) => v,
                Err(_) => {
                    tracing::error!("a background job panicked; the job runner stops");
                    return;
                }
            };
            self = runner;
            for r in reports {
                match r.outcome {
                    Ok(n) => tracing::debug!(job = r.name, items = n, "job round done"),
                    Err(e) => tracing::warn!(job = r.name, error = %e, "job round failed"),
                }
            }
            let wait = self
                .next_due_ms()
                .map_or(60_000, |due| (due - self.clock.now_ms()).clamp(0, 60_000));
            tokio::select! {
                () = tokio::time::sleep(std::time::Duration::from_millis(wait as u64)) => {}
                () = &mut shutdown => return,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use akuersi_protocol::clock::TestClock;
    use std::sync::atomic::{AtomicU64, Ordering};

    struct Counting(Arc<AtomicU64>, i64);

    impl Job for Counting {
        fn name(&self) -> &'static str {
            "counting"
        }
        fn every_ms(&self) -> i64 {
            self.1
        }
        fn run(&self, _: &Service, now_ms: i64) -> Result<u64> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(now_ms as u64)
        }
    }

    fn service(clock: Arc<TestClock>) -> Arc<Service> {
        Arc::new(Service::open(":memory:", clock, crate::ServiceConfig::default()).unwrap())
    }

    #[test]
    fn jobs_run_when_due_on_the_service_clock() {
        let clock = Arc::new(TestClock::new(1_000));
        let (fast, slow) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let mut runner = JobRunner::new(service(clock.clone()));
        runner.register(Box::new(Counting(fast.clone(), 10)));
        runner.register(Box::new(Counting(slow.clone(), 100)));
        assert_eq!(runner.run_due().len(), 2, "both due at once");
        assert!(runner.run_due().is_empty());
        assert_eq!(runner.next_due_ms(), Some(1_010));
        clock.advance_ms(10);
        let r = runner.run_due();
        assert_eq!(
            r,
            vec![JobReport {
                name: "counting",
                outcome: Ok(1_010)
            }]
        );
        clock.advance_ms(90);
        assert_eq!(runner.run_due().len(), 2);
        assert_eq!(fast.load(Ordering::SeqCst), 3);
        assert_eq!(slow.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn the_task_runs_due_jobs_and_stops_at_shutdown() {
        let clock = Arc::new(TestClock::new(1_000));
        let count = Arc::new(AtomicU64::new(0));
        let mut runner = JobRunner::new(service(clock));
        runner.register(Box::new(Counting(count.clone(), 60_000)));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        // Shutdown is already complete: one round, then the task returns.
        rt.block_on(runner.run(async {}));
        assert_eq!(count.load(Ordering::SeqCst), 1);
    }
}
