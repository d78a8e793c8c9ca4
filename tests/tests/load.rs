//! A bounded loopback load test of the HTTP service: many clients at once
//! create, poll, list, approve (PIN proof and decision), reject and cancel
//! requests for a fixed time, over real HTTP, against a service on a SQLite
//! file (`synchronous=FULL`). No call may fail, and afterwards every
//! acknowledged decision must be in the file exactly once, nothing may be
//! decided that nobody decided, no request may be left pending, no PIN
//! failure may have been counted, and `PRAGMA integrity_check` must be ok.
//!
//! Prints requests per second by kind and p50/p99 latency. Bounded in time
//! (`AKUERSI_LOAD_SECS`, default 5) and in clients (`AKUERSI_LOAD_CLIENTS`,
//! default 8); loopback only.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use akuersi_core::http::HttpTransport;
use akuersi_core::transport::{call, Transport};
use akuersi_protocol::approval::Decision;
use akuersi_protocol::clock::SystemClock;
use akuersi_protocol::wire::*;
use akuersi_server::{Service, ServiceConfig};
use akuersi_testkit::*;

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Tally {
    latencies: HashMap<&'static str, Vec<Duration>>,
    errors: Vec<String>,
    /// Acknowledged decisions: request id → (status, device).
    decided: Vec<(String, &'static str, String)>,
}

impl Tally {
    fn time<T>(
        &mut self,
        kind: &'static str,
        f: impl FnOnce() -> akuersi_core::Result<T>,
    ) -> Option<T> {
        let t = Instant::now();
        let r = f();
        self.latencies.entry(kind).or_default().push(t.elapsed());
        match r {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(format!("{kind}: {e:?}"));
                None
            }
        }
    }
}

/// One client: owns two identities (a device each) and one unknown user ID.
fn client(base: &str, users: Vec<(String, RawDevice)>, ghost: String, until: Instant) -> Tally {
    let t = HttpTransport::new(base).unwrap();
    let t: &dyn Transport = &t;
    let mut tally = Tally::default();
    let mut users = users;
    let mut round = 0usize;
    'outer: while Instant::now() < until {
        for (user, dev) in users.iter_mut() {
            round += 1;
            let Some(created) = tally.time("create", || {
                call::<_, CreateRequestResponse>(
                    t,
                    paths::CREATE_REQUEST,
                    &signed(log_on(user), wall()),
                )
            }) else {
                break 'outer;
            };
            let poll = PollRequest {
                poll_handle: created.poll_handle.clone(),
            };
            tally.time("poll", || {
                call::<_, PollResponse>(t, paths::POLL_REQUEST, &signed(poll.clone(), wall()))
            });
            let Some(listed) = tally.time("list", || dev.pending_via(t)) else {
                break 'outer;
            };
            let Some(p) = listed
                .requests
                .into_iter()
                .find(|p| p.request_id == created.request_id)
            else {
                tally.errors.push("list: the new request is missing".into());
                break 'outer;
            };
            let decision = if round.is_multiple_of(3) {
                Decision::Reject
            } else {
                Decision::Approve
            };
            let decided = if decision == Decision::Approve {
                let Some((binding, proof, _)) =
                    tally.time("pin-start", || dev.request_proof(t, &p, PIN))
                else {
                    break 'outer;
                };
                let st = dev.statement(&p, Decision::Approve, Some(binding));
                let msg = dev.decide_msg(&st, Some(proof));
                tally.time("approve", || {
                    call::<_, DecideResponse>(t, paths::DECIDE, &msg)
                })
            } else {
                tally.time("reject", || dev.decline_via(t, &p, Decision::Reject))
            };
            let Some(decided) = decided else { break 'outer };
            tally.decided.push((
                decided.request_id.clone(),
                decided.status.as_str(),
                dev.device_id.clone(),
            ));
            let Some(done) = tally.time("poll", || {
                call::<_, PollResponse>(t, paths::POLL_REQUEST, &signed(poll.clone(), wall()))
            }) else {
                break 'outer;
            };
            let st = done
                .evidence
                .expect("evidence")
                .verify("demo-bank")
                .expect("verifies");
            assert_eq!(st.decision, decision);
            // An unknown user ID: a request nobody will see, withdrawn.
            let Some(g) = tally.time("create", || {
                call::<_, CreateRequestResponse>(
                    t,
                    paths::CREATE_REQUEST,
                    &signed(log_on(&ghost), wall()),
                )
            }) else {
                break 'outer;
            };
            tally.time("cancel", || {
                call::<_, PollResponse>(
                    t,
                    paths::CANCEL_REQUEST,
                    &signed(
                        CancelRequest {
                            poll_handle: g.poll_handle,
                        },
                        wall(),
                    ),
                )
            });
        }
    }
    tally
}

/// The wall clock: the service runs on it, so Demo Bank signs by it.
fn wall() -> i64 {
    akuersi_protocol::clock::Clock::now_ms(&SystemClock)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i].as_secs_f64() * 1000.0
}

#[test]
fn many_clients_at_once_with_no_error_and_no_broken_invariant() {
    let secs = env("AKUERSI_LOAD_SECS", 5);
    let clients = env("AKUERSI_LOAD_CLIENTS", 8) as usize;
    let dir = std::env::temp_dir().join(format!("akuersi-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("service.sqlite").to_str().unwrap().to_owned();
    let service = Arc::new(
        Service::open(
            &db,
            Arc::new(SystemClock),
            ServiceConfig {
                max_requests_per_hour: u32::MAX,
                min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
                ..ServiceConfig::default()
            },
        )
        .unwrap(),
    );
    register_demo_bank(&service);
    // Two identities with a device each per client, enrolled in process.
    let mut owned = Vec::new();
    for c in 0..clients {
        let mut users = Vec::new();
        for k in 0..2 {
            let user = format!("Load-User-{c}-{k}");
            let code = new_identity_code(&service, &user);
            let d = RawDevice::new();
            service.activate(d.activation(&user, &code, PIN)).unwrap();
            users.push((user, d));
        }
        owned.push(users);
    }
    let server = akuersi_server::http::spawn(service.clone()).unwrap();
    let base = server.base_url();
    let started = Instant::now();
    let until = started + Duration::from_secs(secs);
    let threads: Vec<_> = owned
        .into_iter()
        .enumerate()
        .map(|(c, users)| {
            let base = base.clone();
            std::thread::spawn(move || client(&base, users, format!("Load-Ghost-{c}"), until))
        })
        .collect();
    let tallies: Vec<Tally> = threads.into_iter().map(|h| h.join().unwrap()).collect();
    let elapsed = started.elapsed().as_secs_f64();
    server.shutdown().unwrap();

    let mut all: HashMap<&str, Vec<Duration>> = HashMap::new();
    let mut errors = Vec::new();
    let mut decided = Vec::new();
    for t in tallies {
        for (k, v) in t.latencies {
            all.entry(k).or_default().extend(v);
        }
        errors.extend(t.errors);
        decided.extend(t.decided);
    }
    let total: usize = all.values().map(Vec::len).sum();
    println!(
        "load: {clients} clients, {elapsed:.1} s, {total} calls ({:.0}/s), {} decisions",
        total as f64 / elapsed,
        decided.len()
    );
    println!(
        "  {:<10} {:>7} {:>8} {:>9} {:>9}",
        "kind", "calls", "per s", "p50 ms", "p99 ms"
    );
    let mut kinds: Vec<_> = all.into_iter().collect();
    kinds.sort_by_key(|(k, _)| *k);
    for (kind, mut v) in kinds {
        v.sort();
        println!(
            "  {kind:<10} {:>7} {:>8.1} {:>9.2} {:>9.2}",
            v.len(),
            v.len() as f64 / elapsed,
            percentile(&v, 0.5),
            percentile(&v, 0.99)
        );
    }
    assert!(
        errors.is_empty(),
        "{} errors: {:?}",
        errors.len(),
        &errors[..errors.len().min(10)]
    );
    assert!(decided.len() >= clients, "too little work got done");

    // The invariants, on the file.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    for (rid, status, by) in &decided {
        let (s, d): (String, String) = conn
            .query_row(
                "SELECT status, decided_by FROM requests WHERE request_id = ?1",
                [rid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((s.as_str(), &d), (*status, by));
    }
    let in_file: i64 = conn
        .query_row(
            "SELECT count(*) FROM requests WHERE status IN ('approved', 'rejected', 'reported')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(in_file as usize, decided.len(), "decisions nobody made");
    let twice = requests_decided_twice(&conn);
    assert_eq!(twice, 0);
    let pending: i64 = conn
        .query_row(
            "SELECT count(*) FROM requests WHERE status = 'pending'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(pending, 0, "requests left pending");
    let failures: i64 = conn
        .query_row(
            "SELECT coalesce(sum(pin_failures), 0) FROM devices",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(failures, 0);
    drop(conn);
    let _ = std::fs::remove_dir_all(&dir);
}
