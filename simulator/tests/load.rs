//! `load::run` with a few clients for two seconds, over real HTTP against a
//! SQLite file: no error, work got done, and every acknowledged approval was
//! found once in the service. No timing figure is asserted.

use std::time::Duration;

use akuersi_sim::load::{run, Endpoint, LoadOptions};

#[test]
fn a_short_load_has_no_error_and_every_approval_is_verified_in_the_service() {
    let dir = std::env::temp_dir().join(format!("akuersi-load-test-{}", std::process::id()));
    let report = run(&LoadOptions {
        clients: 4,
        duration: Duration::from_secs(2),
        data_dir: Some(dir.clone()),
        rate: None,
        ..LoadOptions::default()
    })
    .expect("the load runs");
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    assert!(report.first_errors.is_empty());
    assert!(report.operations > 0, "no operation completed");
    assert_eq!(
        report.verified, report.operations,
        "{:?}",
        report.first_verification_failures
    );
    assert_eq!(report.verification_failures, 0);
    assert!(report.passed());
    // Four HTTP calls per operation, each counted under its endpoint.
    assert_eq!(report.http_calls, 4 * report.operations);
    assert_eq!(report.http.count as u64, report.http_calls);
    assert_eq!(report.operation.count as u64, report.operations);
    let names: Vec<_> = report.endpoints.iter().map(|(e, _)| *e).collect();
    assert_eq!(names, Endpoint::ALL);
    for (e, l) in &report.endpoints {
        assert_eq!(l.count as u64, report.operations, "{}", e.name());
        assert!(l.p50 <= l.p99 && l.p99 <= l.max);
    }
    assert!(
        report.database.is_some(),
        "the SQLite file is kept in --data"
    );
    assert!(report.table().contains("verified in the service"));
}

#[test]
fn zero_clients_is_refused() {
    let options = LoadOptions {
        clients: 0,
        ..LoadOptions::default()
    };
    assert!(run(&options).is_err());
}

#[test]
fn a_paced_load_starts_no_more_operations_than_its_schedule() {
    // 4 clients sharing 20 operations per second for 2 s: each starts one
    // every 200 ms, so at most 40 in all (a closed loop does hundreds).
    let report = run(&LoadOptions {
        clients: 4,
        duration: Duration::from_secs(2),
        data_dir: None,
        rate: Some(20.0),
        ..LoadOptions::default()
    })
    .expect("the load runs");
    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    assert!(report.operations > 0);
    assert!(report.operations <= 40, "{} operations", report.operations);
    assert_eq!(report.verified, report.operations);
    assert!(report.table().contains("paced at 20 operations/s"));
}

#[test]
fn a_rate_that_is_not_a_positive_number_is_refused() {
    for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let options = LoadOptions {
            clients: 1,
            rate: Some(rate),
            ..LoadOptions::default()
        };
        assert!(run(&options).is_err(), "{rate}");
    }
}

#[test]
fn the_load_runs_over_https_with_a_pinned_certificate() {
    let report = run(&LoadOptions {
        clients: 2,
        duration: Duration::from_secs(2),
        tls: true,
        ..LoadOptions::default()
    })
    .expect("the load runs");
    assert!(report.tls);
    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    assert!(report.operations > 0);
    assert!(report.passed());
    assert!(report.table().contains("HTTPS"));
}

#[test]
fn honest_clients_get_through_while_slow_clients_are_held() {
    let report = run(&LoadOptions {
        clients: 2,
        duration: Duration::from_secs(2),
        slow_clients: 16,
        ..LoadOptions::default()
    })
    .expect("the load runs");
    let (n, slow) = report.slow.expect("slow clients ran");
    assert_eq!(n, 16);
    assert!(slow.opened >= 16, "{slow:?}");
    assert_eq!(report.errors, 0, "{:?}", report.first_errors);
    assert!(report.operations > 0);
    assert!(report.passed());
}
