//! `akuersi-sim bench`: one command, one run, one table of the
//! performance budgets (docs/BENCHMARKS.md).
//!
//! Every service figure stands next to a reference measured in the same
//! process and run (ring's raw ECDSA P-256 verify rate), because the
//! machines are shared and noisy: the budgets are ratios where they can be.
//! The decide rate is per core: its callers are pinned to one CPU, beside
//! a ring measurement on the same CPU. Device figures are from one thread
//! (the PIN derivation's three blocks use three). The HTTP load runs
//! [`crate::load`]; the Kotlin FFI figures come from `scripts/bench-kotlin`.
//! Fixtures come from [`akuersi_testkit::bench`](mod@akuersi_testkit::bench), the same ones the
//! criterion benches use.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use akuersi_protocol::pin::{derive_pake_secrets, Pin, DEFAULT_KDF_ITERATIONS, MIN_KDF_ITERATIONS};
use akuersi_testkit::bench::{self, AppFixture, Device};
use clap::Args;
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED,
    ECDSA_P256_SHA256_FIXED_SIGNING,
};

/// Arguments of `akuersi-sim bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Also write the table, the machine and how to reproduce it into
    /// docs/BENCHMARKS.md (its hand-written Findings, Not measured and Load
    /// test sections are kept).
    #[arg(long)]
    pub markdown: bool,
    /// Smaller samples and 100,000 instead of 1,000,000 identities, for CI
    /// and tests (a few seconds).
    #[arg(long)]
    pub quick: bool,
    /// Where `--markdown` writes.
    #[arg(long, value_name = "FILE", default_value = "docs/BENCHMARKS.md")]
    pub output: PathBuf,
    /// Folder for the benchmark databases (a fresh one inside it is removed
    /// afterwards). Default: the system's temporary folder.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
}

/// How a figure compares with its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Within budget.
    Pass,
    /// Over budget.
    Fail,
    /// Not measured in this run (the note says why).
    NotMeasured,
    /// A reference figure, with no budget of its own.
    Reference,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "FAIL",
            Status::NotMeasured => "not measured",
            Status::Reference => "reference",
        }
    }
}

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was measured.
    pub what: String,
    /// The figure.
    pub figure: String,
    /// The budget, in words.
    pub budget: String,
    /// Pass or fail.
    pub status: Status,
}

fn row(what: &str, figure: String, budget: &str, status: Status) -> Row {
    Row {
        what: what.into(),
        figure,
        budget: budget.into(),
        status,
    }
}

fn check(ok: bool) -> Status {
    if ok {
        Status::Pass
    } else {
        Status::Fail
    }
}

/// Sizes of one run.
struct Plan {
    rounds: usize,
    load_clients: usize,
    load_secs: u64,
    big: u64,
    decides: usize,
    verifies: usize,
    approvals: usize,
    approvals_with_pin: usize,
    cold_starts: usize,
}

impl Plan {
    fn new(quick: bool) -> Self {
        if quick {
            Plan {
                rounds: 2,
                load_clients: 50,
                load_secs: 5,
                big: 100_000,
                decides: 500,
                verifies: 1_000,
                approvals: 50,
                approvals_with_pin: 3,
                cold_starts: 30,
            }
        } else {
            Plan {
                rounds: 4,
                load_clients: 50,
                load_secs: 30,
                big: 1_000_000,
                decides: 1_000,
                verifies: 5_000,
                approvals: 300,
                approvals_with_pin: 15,
                cold_starts: 200,
            }
        }
    }
}

/// Everything a run measured.
#[derive(Debug, Clone)]
pub struct Report {
    /// The CPU model from /proc/cpuinfo.
    pub cpu: String,
    /// Logical CPUs.
    pub cpus: usize,
    /// Whether this was a `--quick` run.
    pub quick: bool,
    /// Identities in the large database.
    pub big: u64,
    /// The table.
    pub rows: Vec<Row>,
    /// Notes that go under the table.
    pub notes: Vec<String>,
}

impl Report {
    /// Whether every measured budget held.
    pub fn passed(&self) -> bool {
        self.rows.iter().all(|r| r.status != Status::Fail)
    }

    /// The table as Markdown (also readable as plain text).
    pub fn table(&self) -> String {
        let mut s = String::from("| What | Figure | Budget | Status |\n|---|---:|---|---|\n");
        for r in &self.rows {
            s.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                r.what,
                r.figure,
                r.budget,
                r.status.label()
            ));
        }
        s
    }
}

/// `akuersi-sim bench`.
pub fn main(args: BenchArgs) -> ExitCode {
    let base = args.data.clone().unwrap_or_else(std::env::temp_dir);
    let dir = base.join(format!("akuersi-bench-{}", std::process::id()));
    if let Err(e) = std::fs::create_dir_all(&dir) {
        eprintln!("akuersi-sim bench: cannot create {}: {e}", dir.display());
        return ExitCode::FAILURE;
    }
    let report = run(&dir, args.quick);
    let _ = std::fs::remove_dir_all(&dir);
    println!(
        "\nakuersi-sim bench{} on {} ({} logical CPUs)\n",
        if args.quick { " --quick" } else { "" },
        report.cpu,
        report.cpus
    );
    print!("{}", report.table());
    println!();
    for n in &report.notes {
        println!("- {n}");
    }
    if args.markdown {
        if let Err(e) = write_markdown(&args.output, &report) {
            eprintln!(
                "akuersi-sim bench: cannot write {}: {e}",
                args.output.display()
            );
            return ExitCode::FAILURE;
        }
        println!("\nwrote {}", args.output.display());
    }
    // Budgets are reported, not enforced: a missed one is a finding, not a
    // broken command.
    ExitCode::SUCCESS
}

fn step(msg: &str) {
    eprintln!("· {msg}");
}

/// Run every measurement with databases under `dir`.
pub fn run(dir: &Path, quick: bool) -> Report {
    let plan = Plan::new(quick);
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    let load_before = load_average();

    // -- service: decide at 1k and at the large population, FULL and
    // NORMAL, with ring's verify rate as the reference, all on one core.
    // Rounds alternate between the configurations, so a burst of load from
    // another process lands on all of them rather than on one.
    step("service: 1,000 identities, enrolling devices");
    let mut small = Population::new(dir, "small", 1_000, plan.decides.min(1_000));
    step(&format!(
        "service: filling a database with {} identities",
        group(plan.big)
    ));
    let mut big = Population::new(dir, "big", plan.big, plan.decides);
    let core = core_affinity::get_core_ids().and_then(|ids| ids.into_iter().next());
    let (mut verifies, mut full_small, mut full_big, mut normal_small) = (
        Vec::new(),
        Rate::default(),
        Rate::default(),
        Rate::default(),
    );
    for round in 1..=plan.rounds {
        step(&format!(
            "round {round}/{}: ring verify; decide FULL at 1k, FULL at {}, NORMAL at 1k",
            plan.rounds,
            short(plan.big)
        ));
        verifies.push(verify_rate(plan.verifies, core));
        full_small.add(small.decide_rate(true, core));
        full_big.add(big.decide_rate(true, core));
        normal_small.add(small.decide_rate(false, core));
    }
    verifies.push(verify_rate(plan.verifies, core));
    drop((small, big));
    let verify = verifies.iter().sum::<f64>() / verifies.len() as f64;
    let full_syncs = full_small.syncs + full_big.syncs;
    let (full_1k, full_big, normal_1k) = (
        full_small.per_sec(),
        full_big.per_sec(),
        normal_small.per_sec(),
    );

    let ratio = full_1k / verify;
    rows.push(row(
        "ring ECDSA P-256 verify (reference)",
        format!("{} /s", group(verify as u64)),
        "",
        Status::Reference,
    ));
    rows.push(row(
        "decide path, synchronous=FULL, 1k identities",
        format!("{} /s", group(full_1k as u64)),
        "",
        Status::Reference,
    ));
    rows.push(row(
        "decide (FULL) ÷ verify",
        format!("{ratio:.3}"),
        "≥ 0.10",
        check(ratio >= 0.10),
    ));
    rows.push(row(
        "decide path, synchronous=NORMAL, 1k identities",
        format!(
            "{} /s ({:.3} × verify)",
            group(normal_1k as u64),
            normal_1k / verify
        ),
        "",
        Status::Reference,
    ));
    let pop_ratio = full_big / full_1k;
    rows.push(row(
        &format!("decide (FULL), {} identities", group(plan.big)),
        format!("{} /s", group(full_big as u64)),
        "",
        Status::Reference,
    ));
    rows.push(row(
        &format!("decide at {} ÷ at 1k", short(plan.big)),
        format!("{pop_ratio:.2}"),
        "≥ 0.8",
        check(pop_ratio >= 0.8),
    ));
    notes.push(format!(
        "ring's verify rate, measured on the same pinned core before each round and after the \
         last ({}), ranged {}–{} /s; the ratio uses their mean.",
        verifies.len(),
        group(verifies.iter().copied().fold(f64::INFINITY, f64::min) as u64),
        group(verifies.iter().copied().fold(0.0, f64::max) as u64),
    ));
    notes.push(format!(
        "Decide path = `api::handle(\"/v1/device/decide\", json)`: parse the JSON, check the SPAKE2+ confirmP, \
         verify the ECDSA signature over the statement as the service rebuilds it, commit one SQLite \
         transaction (WAL) and wait until it is durable. Per configuration {} rounds of {} decides, \
         each for its own identity, by {DECIDE_WORKERS} threads pinned to one core; creating the \
         request, listing it and pin/start happen before the clock starts. \"FULL\" is the service's \
         durable mode: `synchronous=NORMAL` plus group commit (one fdatasync of the WAL covers every \
         commit made before it started; nothing is answered before its commit is on disk). \
         \"NORMAL\" answers without waiting for the disk. {} WAL syncs served the FULL decides.",
        plan.rounds,
        plan.decides.min(1_000),
        group(full_syncs),
    ));

    // -- device: approve, PIN derivation, cold start.
    step("device: approve latency without the default PIN derivation");
    let mut excl = approve_samples(dir, "app-fast.db", MIN_KDF_ITERATIONS, plan.approvals);
    step("device: PIN derivation (PBKDF2-HMAC-SHA256, 600,000 iterations)");
    let pin = Pin::new(akuersi_testkit::PIN.into()).unwrap();
    let mut kdf = sample(
        plan.approvals_with_pin,
        || (),
        |_| {
            derive_pake_secrets(&pin, &[9; 32], "bench-device", DEFAULT_KDF_ITERATIONS);
        },
    );
    step("device: approve latency with the PIN derivation");
    let mut incl = approve_samples(
        dir,
        "app-slow.db",
        DEFAULT_KDF_ITERATIONS,
        plan.approvals_with_pin,
    );
    step("device: list pending (Rust only, for the FFI comparison)");
    let mut listing = {
        let app = AppFixture::new(
            dir.join("app-list.db").to_str().unwrap_or_default(),
            1,
            MIN_KDF_ITERATIONS,
        );
        app.new_request();
        sample(
            plan.cold_starts * 10,
            || (),
            |_| {
                assert_eq!(app.pending(), 1);
            },
        )
    };
    step("device: cold start, 3 identities and 10,000 activity entries");
    let cold = AppFixture::new(
        dir.join("app-cold.db").to_str().unwrap(),
        3,
        MIN_KDF_ITERATIONS,
    );
    cold.add_activity(10_000);
    let cold_samples = sample(
        plan.cold_starts,
        || (),
        |_| {
            cold.cold_start();
        },
    );
    drop(cold);
    let mut cold = cold_samples;

    let excl_med = percentile(&mut excl.wall, 0.5);
    rows.push(row(
        "device approve, excl. PIN derivation, median",
        with_cpu(excl_med, excl.cpu_median()),
        "≤ 5 ms",
        check(excl_med <= 5.0),
    ));
    rows.push(row(
        "device approve, excl. PIN derivation, p99",
        ms(percentile(&mut excl.wall, 0.99)),
        "",
        Status::Reference,
    ));
    let kdf_med = percentile(&mut kdf.wall, 0.5);
    let kdf_cpu = kdf.cpu_median();
    // Judged on wall-clock time: the three PBKDF2 blocks run on three
    // threads, so the time the owner waits is the point, and the calling
    // thread's CPU time would leave out the other two.
    rows.push(row(
        "PIN derivation, PBKDF2-HMAC-SHA256 × 600,000, 3 blocks on 3 threads, median wall (calling thread's CPU)",
        with_cpu(kdf_med, kdf_cpu),
        "≤ 250 ms",
        check(kdf_med <= 250.0),
    ));
    rows.push(row(
        "device approve, incl. PIN derivation, median",
        with_cpu(percentile(&mut incl.wall, 0.5), incl.cpu_median()),
        "",
        Status::Reference,
    ));
    rows.push(row(
        "device approve, incl. PIN derivation, p99 (max of the samples)",
        ms(percentile(&mut incl.wall, 0.99)),
        "",
        Status::Reference,
    ));
    rows.push(row(
        "list pending, 1 request, in Rust (`Installation::pending`, no FFI), median",
        format!("{:.1} µs", percentile(&mut listing.wall, 0.5) * 1e3),
        "",
        Status::Reference,
    ));
    let cold_med = percentile(&mut cold.wall, 0.5);
    rows.push(row(
        "cold start (open installation + load profiles), median",
        with_cpu(cold_med, cold.cpu_median()),
        "≤ 10 ms",
        check(cold_med <= 10.0),
    ));
    notes.push(
        "Device figures are wall-clock time; \"(x ms CPU)\" is the median time the thread spent on a \
         CPU (from /proc/thread-self/schedstat). The gap is waiting: for the disk (fsync) or for \
         a core shared with other processes."
            .into(),
    );
    notes.push(format!(
        "Device approve = `Installation::approve` on a file-backed installation talking in process to an \
         in-memory service: PIN derivation, SPAKE2+ start, pin/start at the service, SPAKE2+ finish, \
         sign, decide at the service, the local log; so it includes the service's share of the work. \
         \"Excl. PIN derivation\" runs with {MIN_KDF_ITERATIONS} PBKDF2 iterations (the minimum, 1/600 of the \
         default) instead of none. {} and {} samples.",
        plan.approvals, plan.approvals_with_pin
    ));

    // -- size.
    let so = Path::new("target/release/libakuersi_ffi.so");
    match std::fs::metadata(so) {
        Ok(m) => {
            let mb = m.len() as f64 / 1_000_000.0;
            rows.push(row(
                "release cdylib libakuersi_ffi.so (host, stripped)",
                format!("{mb:.2} MB"),
                "≤ 4 MB",
                check(mb <= 4.0),
            ));
        }
        Err(_) => rows.push(row(
            "release cdylib libakuersi_ffi.so (host, stripped)",
            "—".into(),
            "≤ 4 MB",
            Status::NotMeasured,
        )),
    }
    notes.push(
        "The cdylib size is read from target/release/libakuersi_ffi.so as found when the bench \
         runs: build it first with `cargo build --release -p akuersi-ffi` (the release profile \
         strips and uses LTO)."
            .into(),
    );
    // -- HTTP: a bounded loopback load, create + decide: closed loop (the
    // service saturated), then paced at three quarters of what it managed.
    step(&format!(
        "HTTP: {} clients for {} s on create + decide (loopback, closed loop)",
        plan.load_clients, plan.load_secs
    ));
    let load = |rate: Option<f64>| {
        crate::load::run(&crate::load::LoadOptions {
            clients: plan.load_clients,
            duration: Duration::from_secs(plan.load_secs),
            data_dir: Some(dir.to_path_buf()),
            rate,
            ..crate::load::LoadOptions::default()
        })
    };
    let closed = load(None);
    let paced = closed.as_ref().ok().map(|r| {
        let rate = (r.ops_per_sec * 0.75).max(1.0);
        step(&format!(
            "HTTP: {} clients for {} s, paced at {rate:.0} operations/s",
            plan.load_clients, plan.load_secs
        ));
        load(Some(rate))
    });
    http_rows(&closed, &mut rows, &mut notes);
    if let Some(paced) = &paced {
        http_rows(paced, &mut rows, &mut notes);
    }

    // -- FFI from Kotlin: read what scripts/bench-kotlin measured, if it ran.
    ffi_rows(Path::new(FFI_RESULTS), &mut rows, &mut notes);

    notes.push(format!(
        "Load average of the machine (1 min) at the start and at the end of the run: {} and {}; \
         other processes share the cores.",
        load_before,
        load_average()
    ));
    let (cpu, cpus) = cpu();
    Report {
        cpu,
        cpus,
        quick,
        big: plan.big,
        rows,
        notes,
    }
}

/// Where scripts/bench-kotlin writes its JMH figures.
const FFI_RESULTS: &str = "target/bench/kotlin-ffi.json";

/// The HTTP load's rows: throughput, p50/p99 per call, errors.
fn http_rows(
    result: &Result<crate::load::LoadReport, crate::load::LoadError>,
    rows: &mut Vec<Row>,
    notes: &mut Vec<String>,
) {
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            rows.push(row(
                "HTTP load, create + decide",
                format!("could not run: {e}"),
                "0 errors, p99 ≤ 25 ms",
                Status::Fail,
            ));
            return;
        }
    };
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let how = match r.rate {
        None => "closed loop".to_owned(),
        Some(rate) => format!("paced at {rate:.0} operations/s"),
    };
    rows.push(row(
        &format!(
            "HTTP load, {how}: {} clients × {:.0} s, create + pending + pin-start + decide, throughput",
            r.clients, r.seconds
        ),
        format!(
            "{:.0} operations/s ({:.0} calls/s)",
            r.ops_per_sec, r.calls_per_sec
        ),
        "",
        Status::Reference,
    ));
    rows.push(row(
        &format!("HTTP load, {how}: errors, and approvals verified in the service"),
        format!(
            "{} errors; {} of {} verified, {} findings",
            r.errors, r.verified, r.operations, r.verification_failures
        ),
        "0 errors",
        check(r.passed()),
    ));
    rows.push(row(
        &format!("HTTP load, {how}: latency of one call, p50 / p99"),
        format!("{:.2} / {:.2} ms", ms(r.http.p50), ms(r.http.p99)),
        "p99 ≤ 25 ms",
        check(r.within_budget()),
    ));
    let per_endpoint: Vec<String> = r
        .endpoints
        .iter()
        .map(|(e, l)| format!("{} {:.1}/{:.1}", e.name(), ms(l.p50), ms(l.p99)))
        .collect();
    notes.push(format!(
        "HTTP load, {how} (`akuersi-sim load{}`): the service on a SQLite file in its durable mode, \
         served by axum on 127.0.0.1 in this process, and {} client threads in the same process, \
         each a requester plus a device of its own identity with a kept-alive connection{}. \
         p50/p99 per endpoint in ms: {}. One operation (four calls plus the device's SPAKE2+ and \
         signature) p50 {:.1} ms, p99 {:.1} ms.",
        r.rate.map(|x| format!(" --rate {x:.0}")).unwrap_or_default(),
        r.clients,
        match r.rate {
            None => ", sending the next call as soon as the last returns (no think time)",
            Some(_) => ", starting operations on a fixed schedule (three quarters of the closed loop's rate)",
        },
        per_endpoint.join(", "),
        ms(r.operation.p50),
        ms(r.operation.p99)
    ));
}

/// The FFI rows from scripts/bench-kotlin's JSON, or "not measured".
fn ffi_rows(path: &Path, rows: &mut Vec<Row>, notes: &mut Vec<String>) {
    const WHAT: &str = "FFI from Kotlin (JMH): trivial call / list pending";
    const BUDGET: &str = "≤ 5 µs / ≤ 50 µs";
    let parsed = std::fs::read(path)
        .ok()
        .and_then(|b| serde_json::from_slice::<FfiResults>(&b).ok());
    let Some(f) = parsed else {
        rows.push(row(WHAT, "—".into(), BUDGET, Status::NotMeasured));
        notes.push(format!(
            "FFI from Kotlin: no {FFI_RESULTS}; run `scripts/bench-kotlin` (JMH on the host JVM \
             through JNA against the release library) before this command to fill the row."
        ));
        return;
    };
    let us = |ns: f64| ns / 1e3;
    rows.push(row(
        WHAT,
        format!(
            "{:.2} ± {:.2} µs / {:.1} ± {:.1} µs",
            us(f.trivial_ns),
            us(f.trivial_error_ns),
            us(f.list_pending_ns),
            us(f.list_pending_error_ns)
        ),
        BUDGET,
        check(f.trivial_ns <= 5_000.0 && f.list_pending_ns <= 50_000.0),
    ));
    notes.push(format!(
        "FFI from Kotlin: read from {FFI_RESULTS} (written by `scripts/bench-kotlin`, JMH average \
         time, ± its 99.9 % error); trivial call `{}`, listing `{}` with {} pending requests; {} \
         library, {}.",
        f.trivial_call, f.list_call, f.pending_listed, f.library_profile, f.jvm
    ));
}

/// What scripts/bench-kotlin writes.
#[derive(serde::Deserialize)]
struct FfiResults {
    trivial_ns: f64,
    trivial_error_ns: f64,
    list_pending_ns: f64,
    list_pending_error_ns: f64,
    pending_listed: u64,
    jvm: String,
    library_profile: String,
    trivial_call: String,
    list_call: String,
}

/// Concurrent callers of the decide path (all on one core).
const DECIDE_WORKERS: usize = 16;

/// A service database with `n` identities, of which `k` are real enrolled
/// devices, each holding a prepared decide message.
struct Population {
    path: String,
    devices: Vec<Device>,
    prepared: Vec<Vec<u8>>,
}

impl Population {
    fn new(dir: &Path, name: &str, n: u64, k: usize) -> Self {
        let path = dir
            .join(format!("{name}.db"))
            .to_string_lossy()
            .into_owned();
        drop(bench::open(&path, false));
        let fill = n.saturating_sub(k as u64);
        if fill > 0 {
            let mut bar = Progress::new(fill);
            bench::fill_identities(&path, fill, |done| bar.show(done)).expect("fill the database");
            bar.finish();
        }
        // Setting up is not measured: synchronous=NORMAL makes it quick.
        let service = bench::open(&path, false);
        let devices: Vec<Device> = (0..k)
            .map(|i| Device::enroll(&service, &format!("bench-user-{i}")))
            .collect();
        Self {
            path,
            devices,
            prepared: Vec::new(),
        }
    }

    /// Prepare one decide per device, then time them all with a service
    /// opened durable (`full`, group commit) or with `synchronous=NORMAL`,
    /// from [`DECIDE_WORKERS`] threads pinned to `core`.
    fn decide_rate(&mut self, full: bool, core: Option<core_affinity::CoreId>) -> Sample {
        {
            let service = bench::open(&self.path, false);
            self.prepared = self
                .devices
                .iter_mut()
                .map(|d| d.prepare_decide(&service))
                .collect();
        }
        let service = bench::open(&self.path, full);
        let next = AtomicUsize::new(0);
        let prepared = &self.prepared;
        let syncs_before = service.wal_syncs();
        // One CPU for every worker: the rate is per core, as the budget is.
        // Several workers, because a durable commit waits for the disk and
        // group commit lets the others use the core meanwhile.
        let start = Instant::now();
        std::thread::scope(|scope| {
            for _ in 0..DECIDE_WORKERS {
                let service = &service;
                let next = &next;
                scope.spawn(move || {
                    if let Some(core) = core {
                        core_affinity::set_for_current(core);
                    }
                    while let Some(json) = prepared.get(next.fetch_add(1, Ordering::Relaxed)) {
                        bench::decide(service, json);
                    }
                });
            }
        });
        let secs = start.elapsed().as_secs_f64();
        Sample {
            count: self.prepared.len(),
            secs,
            syncs: service.wal_syncs().saturating_sub(syncs_before),
        }
    }
}

/// One timed batch of decides.
struct Sample {
    count: usize,
    secs: f64,
    syncs: u64,
}

/// Decides and seconds summed over rounds.
#[derive(Default)]
struct Rate {
    count: usize,
    secs: f64,
    syncs: u64,
}

impl Rate {
    fn add(&mut self, s: Sample) {
        self.count += s.count;
        self.secs += s.secs;
        self.syncs += s.syncs;
    }

    fn per_sec(&self) -> f64 {
        self.count as f64 / self.secs.max(f64::MIN_POSITIVE)
    }
}

/// ring's raw ECDSA P-256 verify rate (verifications per second) over a
/// statement-sized message.
pub fn verify_rate(n: usize, core: Option<core_affinity::CoreId>) -> f64 {
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                if let Some(core) = core {
                    core_affinity::set_for_current(core);
                }
                verify_rate_here(n)
            })
            .join()
            .unwrap_or(0.0)
    })
}

/// [`verify_rate`] on the calling thread.
fn verify_rate_here(n: usize) -> f64 {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let key =
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap();
    let msg = vec![0x5a; 400];
    let sig = key.sign(&rng, &msg).unwrap();
    let public = UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, key.public_key().as_ref());
    let start = Instant::now();
    for _ in 0..n {
        public.verify(&msg, sig.as_ref()).unwrap();
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Time `run` `n` times (after `setup`, untimed): wall-clock and on-CPU
/// milliseconds of each run.
/// `n` approval latencies on a fresh app (one identity) in `dir/file` whose
/// PIN derivation takes `kdf_iterations`; the app is gone when it returns.
fn approve_samples(dir: &Path, file: &str, kdf_iterations: u32, n: usize) -> Samples {
    let app = AppFixture::new(dir.join(file).to_str().unwrap(), 1, kdf_iterations);
    sample(n, || app.new_request(), |id| app.approve(&id))
}

fn sample<T>(n: usize, mut setup: impl FnMut() -> T, mut run: impl FnMut(T)) -> Samples {
    let mut out = Samples::default();
    for _ in 0..n {
        let input = setup();
        let cpu = thread_cpu_ns();
        let start = Instant::now();
        run(input);
        out.wall.push(start.elapsed().as_secs_f64() * 1e3);
        if let (Some(a), Some(b)) = (cpu, thread_cpu_ns()) {
            out.cpu.push(b.saturating_sub(a) as f64 / 1e6);
        }
    }
    out
}

/// Wall-clock and on-CPU times, in milliseconds.
#[derive(Debug, Default)]
struct Samples {
    wall: Vec<f64>,
    cpu: Vec<f64>,
}

impl Samples {
    /// Median on-CPU time, if the kernel tells it.
    fn cpu_median(&mut self) -> Option<f64> {
        (!self.cpu.is_empty()).then(|| percentile(&mut self.cpu, 0.5))
    }
}

/// Nanoseconds this thread has spent on a CPU (Linux schedstat), which,
/// unlike wall-clock time, does not grow when other processes load the
/// machine or when the thread waits for fsync.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

/// The `p` quantile (nearest rank) of `samples`.
pub fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p * samples.len() as f64).ceil() as usize).clamp(1, samples.len());
    samples[rank - 1]
}

fn with_cpu(wall: f64, cpu: Option<f64>) -> String {
    match cpu {
        Some(c) => format!("{} ({} CPU)", ms(wall), ms(c)),
        None => ms(wall),
    }
}

fn ms(v: f64) -> String {
    if v < 10.0 {
        format!("{v:.2} ms")
    } else {
        format!("{v:.0} ms")
    }
}

/// 1234567 → "1,234,567".
pub fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn short(n: u64) -> String {
    if n.is_multiple_of(1_000_000) {
        format!("{}M", n / 1_000_000)
    } else if n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        group(n)
    }
}

/// The 1-minute load average, as /proc/loadavg gives it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "unknown".into())
}

/// The CPU model and the number of logical CPUs.
pub fn cpu() -> (String, usize) {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == "model name").then(|| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    (model, cpus)
}

/// A progress bar on stderr.
struct Progress {
    total: u64,
    start: Instant,
    last: Option<Instant>,
    shown: u64,
    tty: bool,
}

impl Progress {
    fn new(total: u64) -> Self {
        Self {
            total,
            start: Instant::now(),
            last: None,
            shown: 0,
            tty: std::io::stderr().is_terminal(),
        }
    }

    fn show(&mut self, done: u64) {
        let now = Instant::now();
        if let Some(last) = self.last {
            if now - last < Duration::from_millis(if self.tty { 100 } else { 2_000 })
                && done < self.total
            {
                return;
            }
        }
        self.last = Some(now);
        self.shown = done;
        let width = 30;
        let filled = (done * width / self.total.max(1)) as usize;
        let line = format!(
            "  [{}{}] {:>3}% {} / {} identities, {:.1} s",
            "#".repeat(filled),
            " ".repeat(width as usize - filled),
            done * 100 / self.total.max(1),
            group(done),
            group(self.total),
            self.start.elapsed().as_secs_f64()
        );
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    fn finish(&mut self) {
        if self.shown == self.total {
            if self.tty {
                eprintln!();
            }
            return;
        }
        self.last = None;
        self.show(self.total);
        if self.tty {
            eprintln!();
        }
    }
}

/// Hand-written sections of docs/BENCHMARKS.md that a new run keeps: from
/// the first of these headings to the end of the file.
const KEPT_SECTIONS: &[&str] = &[
    "## Findings",
    "## Not met",
    "## Not measured",
    "## Size",
    "## Load test",
];

/// What of an existing BENCHMARKS.md a new run keeps.
fn kept_sections(old: &str) -> Option<&str> {
    KEPT_SECTIONS
        .iter()
        .filter_map(|h| {
            if old.starts_with(h) {
                Some(0)
            } else {
                old.find(&format!("\n{h}")).map(|i| i + 1)
            }
        })
        .min()
        .map(|i| &old[i..])
}

/// Write the report into `path`, keeping the hand-written sections already
/// there (findings, what is not measured, another engineer's load test).
pub fn write_markdown(path: &Path, report: &Report) -> std::io::Result<()> {
    let old = std::fs::read_to_string(path).unwrap_or_default();
    let kept = kept_sections(&old).map(str::to_owned);
    let mut s = String::new();
    s.push_str("# Benchmarks\n\n");
    s.push_str(
        "Figures from one run of `akuersi-sim bench` against the performance budgets; `--markdown` rewrites \
         everything above the Findings section and keeps the sections from there on. The machines are shared and \
         noisy, so the service's budget is a ratio to ring's raw ECDSA P-256 verify rate \
         measured in the same process and run, on the same pinned core.\n\n",
    );
    s.push_str(&format!(
        "Machine: {} ({} logical CPUs). Run: `akuersi-sim bench{}` with {} identities in the \
         large database.\n\n",
        report.cpu,
        report.cpus,
        if report.quick { " --quick" } else { "" },
        group(report.big)
    ));
    s.push_str(&report.table());
    s.push('\n');
    for n in &report.notes {
        s.push_str(&format!("- {n}\n"));
    }
    s.push_str(REPRODUCE);
    if let Some(k) = kept {
        s.push('\n');
        s.push_str(&k);
    }
    std::fs::write(path, s)
}

const REPRODUCE: &str = "
## How to reproduce

```sh
cargo build --release -p akuersi-ffi            # for the cdylib size row
scripts/bench-kotlin                            # for the Kotlin FFI row (JMH; writes target/bench/kotlin-ffi.json)
cargo run --release -p akuersi-sim -- bench     # the table (add --markdown to rewrite this file)
cargo run --release -p akuersi-sim -- bench --quick   # 100k instead of 1M identities, small samples, 5 s loads
cargo run --release -p akuersi-sim -- load [--clients 50] [--secs 30] [--rate OPS]   # the HTTP load alone
scripts/size-report                             # what each crate and section costs in the cdylib (cargo-bloat)
cargo bench -p akuersi-core --bench device      # criterion: device side
cargo bench -p akuersi-server --bench service   # criterion: service side (AKUERSI_BENCH_SKIP_1M=1 leaves out 1M)
```

The large database is filled with one bulk INSERT transaction (prepared
statements, `synchronous=OFF` for the fill only) straight into the service's
SQLite file before the measured service opens it. Filler identities each have
one active device and one activity entry; the measured decides belong to
identities enrolled through the service's own activation.
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_keeps_hand_written_sections() {
        let old = "# Benchmarks\n\nold table\n\n## Findings\n\nwhy\n\n## Load test\n\n50 clients\n";
        assert_eq!(
            kept_sections(old),
            Some("## Findings\n\nwhy\n\n## Load test\n\n50 clients\n")
        );
        assert_eq!(
            kept_sections("## Load test\nx\n"),
            Some("## Load test\nx\n")
        );
        assert_eq!(kept_sections("# Benchmarks\n\nold table\n"), None);
    }

    #[test]
    fn numbers_are_grouped_and_quantiles_are_nearest_rank() {
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(600_000), "600,000");
        assert_eq!(group(1_000_000), "1,000,000");
        assert_eq!(short(1_000_000), "1M");
        assert_eq!(short(100_000), "100k");
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 0.5), 50.0);
        assert_eq!(percentile(&mut v, 0.99), 99.0);
    }
}
