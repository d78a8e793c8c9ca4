//! Service-side benchmarks (the performance budgets, docs/BENCHMARKS.md): the whole decide path with
//! `synchronous=FULL` and `NORMAL` on a file, list pending, create a request,
//! and the decide path with 1,000 and 1,000,000 identities in the database.
//!
//! `cargo bench -p akuersi-server --bench service`. The 1M fixture takes a few
//! seconds to fill; set `AKUERSI_BENCH_SKIP_1M=1` to leave it out. Under
//! `cargo test --all-targets` each benchmark runs once, without the 1M one.

// criterion_group! defines an undocumented `pub fn`; a bench binary has no API.
#![allow(missing_docs)]

use std::hint::black_box;

use akuersi_protocol::wire::paths;
use akuersi_server::api;
use akuersi_testkit::bench::{self, Device};
use akuersi_testkit::{log_on, signed_json, DemoBankCalls};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};

fn decide_path(c: &mut Criterion) {
    let mut g = c.benchmark_group("decide");
    for (name, full) in [("synchronous_full", true), ("synchronous_normal", false)] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("service.db");
        let service = bench::open(path.to_str().unwrap(), full);
        let mut dev = Device::enroll(&service, "bench-user");
        g.bench_function(name, |b| {
            b.iter_batched(
                || dev.prepare_decide(&service),
                |json| bench::decide(&service, &json),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

fn pending_and_create(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("service.db");
    let service = bench::open(path.to_str().unwrap(), true);
    let mut dev = Device::enroll(&service, "bench-user");
    service.bank_create(log_on("bench-user")).unwrap();
    c.bench_function("list_pending", |b| {
        b.iter_batched(
            || dev.pending_json(),
            |json| {
                let r = api::handle(&service, paths::PENDING, &json);
                assert_eq!(r.status, 200);
                black_box(r)
            },
            BatchSize::SmallInput,
        )
    });
    // Each iteration asks for a different (unknown) user ID: one pending
    // request per user ID is allowed, and an unknown one goes through the
    // same work as a known one.
    let mut n = 0u64;
    c.bench_function("create_request", |b| {
        b.iter_batched(
            || {
                n += 1;
                signed_json(log_on(&format!("unknown-{n}")), service.now_ms())
            },
            |json| {
                let r = api::handle(&service, paths::CREATE_REQUEST, &json);
                assert_eq!(r.status, 200);
                black_box(r)
            },
            BatchSize::SmallInput,
        )
    });
}

fn decide_by_population(c: &mut Criterion) {
    let mut sizes = vec![1_000u64];
    // `cargo test --all-targets` runs each benchmark once as a smoke test
    // (without `--bench`): leave the 1M fixture (seconds to fill) to real
    // benchmark runs, and out of those too with AKUERSI_BENCH_SKIP_1M.
    let benchmarking = std::env::args().any(|a| a == "--bench");
    if benchmarking && std::env::var_os("AKUERSI_BENCH_SKIP_1M").is_none() {
        sizes.push(1_000_000);
    }
    let mut g = c.benchmark_group("decide_identities");
    for n in sizes {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("service.db");
        let path = path.to_str().unwrap();
        drop(bench::open(path, true));
        bench::fill_identities(path, n - 1, |_| {}).unwrap();
        let service = bench::open(path, true);
        let mut dev = Device::enroll(&service, "bench-user");
        g.bench_function(format!("{n}"), |b| {
            b.iter_batched(
                || dev.prepare_decide(&service),
                |json| bench::decide(&service, &json),
                BatchSize::PerIteration,
            )
        });
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = decide_path, pending_and_create, decide_by_population
}
criterion_main!(benches);
