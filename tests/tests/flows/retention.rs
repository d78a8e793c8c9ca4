//! Bounded storage: a flood of requests, then the retention job on the test
//! clock (driven step by step, no sleeping), and the database is back to its
//! size; the activity log is untouched.

use akuersi_protocol::wire::ErrorCode;
use akuersi_server::jobs::JobRunner;
use akuersi_server::service::retention::RetainedTable;
use akuersi_server::service::retention::{RetentionJob, RetentionPolicy};
use akuersi_server::ServiceConfig;
use akuersi_testkit::*;

const USER: &str = "Aviaja-Nuuk";
const FLOOD: usize = 1_500;
const DAY_S: i64 = 24 * 3600;

#[test]
fn a_flood_of_requests_is_purged_and_the_database_returns_to_its_size() {
    let dir = std::env::temp_dir().join(format!("akuersi-retention-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("service.sqlite");
    let policy = RetentionPolicy {
        batch: 100,
        ..RetentionPolicy::default()
    };
    let w = World::with_config(
        db.to_str().unwrap(),
        ServiceConfig {
            max_requests_per_hour: u32::MAX,
            retention: policy.clone(),
            min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
            ..ServiceConfig::default()
        },
    );
    let phone = w.app(USER, "phone");
    let r = w.request(USER);
    phone.app.refresh(phone.id()).unwrap();
    phone.app.reject(phone.id(), &r.request_id).unwrap();
    let log_before = w.service.row_count(RetainedTable::Activity).unwrap();
    w.service.vacuum().unwrap();
    let (pages_before, _) = w.service.page_counts().unwrap();

    // The flood: requests for as many different user IDs.
    let mut handles = Vec::new();
    for i in 0..FLOOD {
        let user = format!("Flood-{}", name_of(i));
        handles.push(w.request(&user).poll_handle);
    }
    assert_eq!(
        w.service.row_count(RetainedTable::Requests).unwrap(),
        FLOOD as u64 + 1
    );
    let (pages_flooded, _) = w.service.page_counts().unwrap();
    assert!(
        pages_flooded > pages_before + 50,
        "{pages_flooded} vs {pages_before}"
    );

    let mut runner = JobRunner::new(w.service.clone());
    runner.register(Box::new(RetentionJob::for_service(&w.service)));
    // The first round is due at once, but nothing is old enough yet.
    let first = runner.run_due();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].outcome, Ok(0));
    // Not due again until the policy's interval has passed.
    assert!(runner.run_due().is_empty());
    assert_eq!(runner.next_due_ms(), Some(now(&w) + policy.every_ms));

    // Past the retention period, the next round purges every request.
    w.clock.advance_secs(31 * DAY_S);
    let report = runner.run_due();
    assert_eq!(report.len(), 1);
    assert!(
        matches!(report[0].outcome, Ok(n) if n > FLOOD as u64),
        "{report:?}"
    );
    assert_eq!(w.service.row_count(RetainedTable::Requests).unwrap(), 0);
    assert_eq!(w.service.row_count(RetainedTable::PinSessions).unwrap(), 0);
    // The nonces of the signed creates guard nothing once their timestamps
    // are stale.
    assert_eq!(
        w.service.row_count(RetainedTable::RequesterNonces).unwrap(),
        0
    );
    // The hash-chained log is never purged, and still checks out.
    assert_eq!(
        w.service.row_count(RetainedTable::Activity).unwrap(),
        log_before
    );
    phone.app.activity_log(phone.id(), 0, 10).unwrap();
    // A purged request is unknown to its requester.
    assert_eq!(
        w.service.bank_poll(&handles[0]).unwrap_err().code,
        ErrorCode::RequestNotFound
    );

    // Freed pages go back to the file system: the size is bounded again.
    w.service.vacuum().unwrap();
    let (pages_after, free) = w.service.page_counts().unwrap();
    assert_eq!(free, 0);
    assert!(
        pages_after <= pages_before + 2,
        "{pages_after} pages after, {pages_before} before, {pages_flooded} flooded"
    );
    drop(w);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn each_purge_batch_is_bounded_and_old_notifications_go() {
    let w = World::with_config(
        ":memory:",
        ServiceConfig {
            max_requests_per_hour: u32::MAX,
            retention: RetentionPolicy {
                batch: 7,
                ..RetentionPolicy::default()
            },
            min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
            ..ServiceConfig::default()
        },
    );
    let _phone = w.app(USER, "phone");
    for i in 0..50 {
        w.request(&format!("Flood-{}", name_of(i)));
    }
    let notes = w.service.row_count(RetainedTable::Notifications).unwrap();
    assert!(notes > 0);
    // Within every period: nothing goes.
    let none = w.service.run_retention(now(&w)).unwrap();
    assert_eq!(none.requests + none.notifications, 0);
    w.clock.advance_secs(91 * DAY_S);
    let report = w.service.run_retention(now(&w)).unwrap();
    assert_eq!(report.requests, 50);
    assert_eq!(report.notifications, notes);
    // 50 requests in batches of at most 7 need at least 8 transactions, and
    // the other purges one each.
    assert!(report.batches > 8, "{report:?}");
    assert_eq!(
        w.service.row_count(RetainedTable::Notifications).unwrap(),
        0
    );
}

/// A letters-only name for `i` (user IDs are words, not numbers).
fn name_of(mut i: usize) -> String {
    let mut s = String::new();
    loop {
        s.push((b'a' + (i % 26) as u8) as char);
        i /= 26;
        if i == 0 {
            return s;
        }
    }
}

/// docs/BENCHMARKS.md "Disk growth": bytes on disk per created request,
/// without and with retention. A measurement, run by hand:
/// `cargo test -p akuersi-tests --test flows -- --ignored --nocapture disk_growth`.
#[test]
#[ignore = "measurement for docs/BENCHMARKS.md; run by hand"]
fn disk_growth_per_create() {
    const N: usize = 20_000;
    let dir = std::env::temp_dir().join(format!("akuersi-growth-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("service.sqlite");
    let w = World::with_config(
        db.to_str().unwrap(),
        ServiceConfig {
            max_requests_per_hour: u32::MAX,
            synchronous_full: false,
            min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
            ..ServiceConfig::default()
        },
    );
    let size = |w: &World| {
        let (pages, free) = w.service.page_counts().unwrap();
        (pages * 4096, free)
    };
    w.service.vacuum().unwrap();
    let (base, _) = size(&w);
    for i in 0..N {
        // Each user ID once an hour at most, as a flood from many callers.
        w.request(&format!("Flood-{}", name_of(i)));
    }
    let (flooded, _) = size(&w);
    let per_create = (flooded - base) as f64 / N as f64;
    w.clock.advance_secs(31 * DAY_S);
    let report = w.service.run_retention(now(&w)).unwrap();
    let (after_purge, free) = size(&w);
    w.service.vacuum().unwrap();
    let (after_vacuum, _) = size(&w);
    println!(
        "base {base} B; after {N} creates {flooded} B ({per_create:.0} B/create, \
         {:.2} GB per million); retention removed {} requests in {} transactions; \
         after purge {after_purge} B with {free} free pages; after VACUUM {after_vacuum} B",
        per_create * 1e6 / 1e9,
        report.requests,
        report.batches
    );
    assert_eq!(report.requests, N as u64);
    assert!(after_vacuum <= base + 8192);
    drop(w);
    std::fs::remove_dir_all(&dir).unwrap();
}
