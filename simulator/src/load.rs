//! `akuersi-sim load`: a bounded loopback load of the HTTP service, against
//! its latency budget (docs/BENCHMARKS.md).
//!
//! [`run`] opens the reference service on a SQLite file (the durable default
//! configuration, `synchronous=FULL`), serves it over HTTP on `127.0.0.1`
//! (an ephemeral port) in this process, enrols one identity with one device
//! per client (untimed), and then lets every client loop for the given time:
//!
//! 1. the requester creates a log-on request (`create`),
//! 2. the device fetches it (`pending`; the device learns the request's
//!    nonce only this way),
//! 3. the device starts the PIN proof (`pin-start`) and finishes SPAKE2+
//!    locally,
//! 4. the device sends its signed approval (`decide`).
//!
//! Each client keeps its HTTP connection open between calls
//! ([`HttpTransportConfig::keep_alive`]), as a phone's HTTP stack and a
//! requester's back end do. Every HTTP call is timed by endpoint, and every whole operation
//! (1 to 4, local crypto included). Any refusal or network failure is an
//! error: counted, the first few kept, and the client goes on with a new
//! request. Afterwards the service itself is asked (in process, untimed)
//! whether every acknowledged approval is recorded exactly once, by the
//! device that made it, with evidence that verifies, and whether it recorded
//! any approval nobody made: see [`LoadReport::verified`].
//!
//! Two settings differ from what a production service or app would use, and
//! the report says so: the service's `max_requests_per_hour` is raised (one
//! identity per client makes thousands of requests an hour, far over the
//! default 10 per user ID), and the devices derive their PINs with
//! [`LOAD_KDF_ITERATIONS`] PBKDF2 iterations, once at enrolment: the
//! device-side KDF is not what this load measures.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use akuersi_core::http::{HttpTransport, HttpTransportConfig};
use akuersi_core::transport::{call, Transport};
use akuersi_protocol::approval::{ApprovalStatement, Decision, PakeBinding};
use akuersi_protocol::clock::Clock;
use akuersi_protocol::clock::SystemClock;
use akuersi_protocol::pin::{MIN_KDF_ITERATIONS, PAKE_VERIFIER_ID};
use akuersi_protocol::spake2plus::{PakeContext, PakeScalar, Prover};
use akuersi_protocol::wire::{
    pake_context, paths, CodeChannel, CreateRequestResponse, Decide, DecideResponse, PakeProof,
    PendingQuery, PendingRequest, PendingResponse, PinPurpose, PinStart, PinStartResponse,
    RequestStatus,
};
use akuersi_server::http::{spawn_with, HttpConfig};
use akuersi_server::tls::ServerTls;
use akuersi_server::{Service, ServiceConfig};
use akuersi_testkit::{log_on, register_demo_bank, signed, DemoBankCalls, HandDevice, PIN};
use clap::Args;

/// The HTTP latency budget (docs/BENCHMARKS.md): p99 of an HTTP call under the load.
pub const P99_BUDGET: Duration = Duration::from_millis(25);

/// PBKDF2 iterations of the load's device PINs (derived once, at enrolment).
pub const LOAD_KDF_ITERATIONS: u32 = MIN_KDF_ITERATIONS;

/// The service's `max_requests_per_hour` during the load (raised from 10).
pub const LOAD_MAX_REQUESTS_PER_HOUR: u32 = u32::MAX;

/// How many error or verification messages a report keeps.
const KEPT_MESSAGES: usize = 10;

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOptions {
    /// Concurrent clients, each a requester and one device of its own identity.
    pub clients: usize,
    /// How long the clients keep starting operations.
    pub duration: Duration,
    /// Folder for the service's SQLite file, kept afterwards. `None`: a fresh
    /// temporary folder, removed afterwards.
    pub data_dir: Option<PathBuf>,
    /// Operations per second started by all clients together, spread
    /// evenly over them (each client starts its next operation on a fixed
    /// schedule, or at once if it is behind). `None`: closed loop, each
    /// client starts the next operation as soon as the last one ends, which
    /// measures the service saturated.
    pub rate: Option<f64>,
    /// Serve HTTPS (a development certificate made for the run, pinned by
    /// the clients) instead of plain HTTP.
    pub tls: bool,
    /// Slow connections ([`crate::slow`]) held against the service while
    /// the clients run; 0 for none.
    pub slow_clients: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            clients: 50,
            duration: Duration::from_secs(30),
            data_dir: None,
            rate: None,
            tls: false,
            slow_clients: 0,
        }
    }
}

/// One HTTP endpoint the load calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// Requester: start a request.
    Create,
    /// Device: fetch pending requests.
    Pending,
    /// Device: start the SPAKE2+ PIN proof.
    PinStart,
    /// Device: the signed approval.
    Decide,
}

impl Endpoint {
    /// Every endpoint, in the order an operation calls them.
    pub const ALL: [Endpoint; 4] = [
        Endpoint::Create,
        Endpoint::Pending,
        Endpoint::PinStart,
        Endpoint::Decide,
    ];

    /// Short name, as in the table.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::Create => "create",
            Endpoint::Pending => "pending",
            Endpoint::PinStart => "pin-start",
            Endpoint::Decide => "decide",
        }
    }

    /// The protocol path.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Create => paths::CREATE_REQUEST,
            Endpoint::Pending => paths::PENDING,
            Endpoint::PinStart => paths::PIN_START,
            Endpoint::Decide => paths::DECIDE,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// Latency figures of one kind of sample (nearest-rank percentiles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Latency {
    /// Number of samples.
    pub count: usize,
    /// Median.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest.
    pub max: Duration,
}

impl Latency {
    /// The figures of `samples` (sorted in place); all zero when empty.
    pub fn of(samples: &mut [Duration]) -> Self {
        samples.sort_unstable();
        let rank = |p: f64| {
            let n = samples.len();
            samples[((p * n as f64).ceil() as usize).clamp(1, n) - 1]
        };
        match samples.last() {
            None => Self::default(),
            Some(&max) => Self {
                count: samples.len(),
                p50: rank(0.50),
                p99: rank(0.99),
                max,
            },
        }
    }
}

/// What a load run measured and found.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadReport {
    /// Concurrent clients.
    pub clients: usize,
    /// The pace asked for, in operations per second (`None`: closed loop).
    pub rate: Option<f64>,
    /// Wall time from the first client's start to the last one's end.
    pub seconds: f64,
    /// Operations (create, pending, pin-start, decide) acknowledged as approved.
    pub operations: u64,
    /// HTTP calls made (answered or not).
    pub http_calls: u64,
    /// Refused or failed calls, and operations that went wrong otherwise.
    pub errors: u64,
    /// The first few error messages.
    pub first_errors: Vec<String>,
    /// Operations per second.
    pub ops_per_sec: f64,
    /// HTTP calls per second.
    pub calls_per_sec: f64,
    /// Every HTTP call.
    pub http: Latency,
    /// HTTP calls by endpoint, in [`Endpoint::ALL`] order.
    pub endpoints: Vec<(Endpoint, Latency)>,
    /// Whole operations, local crypto included.
    pub operation: Latency,
    /// Acknowledged approvals the service holds exactly once, by the right
    /// device, with evidence that verifies.
    pub verified: u64,
    /// What the verification found wrong (count).
    pub verification_failures: u64,
    /// The first few verification findings.
    pub first_verification_failures: Vec<String>,
    /// The service's SQLite file, when it was kept ([`LoadOptions::data_dir`]).
    pub database: Option<PathBuf>,
    /// Whether the service spoke HTTPS ([`LoadOptions::tls`]).
    pub tls: bool,
    /// Slow connections held meanwhile ([`LoadOptions::slow_clients`]) and
    /// what they saw.
    pub slow: Option<(usize, crate::slow::SlowReport)>,
}

impl LoadReport {
    /// No error, and every acknowledged approval verified with nothing else found.
    pub fn passed(&self) -> bool {
        self.errors == 0 && self.verification_failures == 0 && self.verified == self.operations
    }

    /// Whether the p99 of all HTTP calls is within [`P99_BUDGET`].
    pub fn within_budget(&self) -> bool {
        self.http.count > 0 && self.http.p99 <= P99_BUDGET
    }

    /// The report as a plain-text table with the settings and findings.
    pub fn table(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "akuersi-sim load: {} clients, {:.1} s, {}, loopback {}, SQLite file (durable: group commit)",
            self.clients,
            self.seconds,
            match self.rate {
                Some(r) => format!("paced at {r:.0} operations/s in all"),
                None => "closed loop (no pause between operations)".into(),
            },
            if self.tls { "HTTPS (TLS 1.3, kept-alive connections)" } else { "HTTP" }
        );
        if let Some((n, slow)) = &self.slow {
            let _ = writeln!(
                s,
                "  meanwhile {n} slow connections held (half heads and 1-byte-a-second bodies): {} opened, {} closed by the service",
                slow.opened, slow.closed_by_service
            );
        }
        let _ = writeln!(
            s,
            "  one operation = create, pending, pin-start (SPAKE2+ finished on the device), signed decide"
        );
        let _ = writeln!(
            s,
            "  one identity and device per client; service max_requests_per_hour raised from 10 to {LOAD_MAX_REQUESTS_PER_HOUR};"
        );
        let _ = writeln!(
            s,
            "  device PINs derived once at enrolment with {LOAD_KDF_ITERATIONS} PBKDF2 iterations (not measured here)\n"
        );
        let _ = writeln!(
            s,
            "  {:<10} {:>8} {:>9} {:>9} {:>9} {:>9}",
            "", "count", "per s", "p50 ms", "p99 ms", "max ms"
        );
        let mut row = |name: &str, l: &Latency| {
            let _ = writeln!(
                s,
                "  {name:<10} {:>8} {:>9.1} {:>9.2} {:>9.2} {:>9.2}",
                l.count,
                l.count as f64 / self.seconds.max(f64::MIN_POSITIVE),
                ms(l.p50),
                ms(l.p99),
                ms(l.max)
            );
        };
        for (e, l) in &self.endpoints {
            row(e.name(), l);
        }
        row("all HTTP", &self.http);
        row("operation", &self.operation);
        let _ = writeln!(
            s,
            "\n  operations {} ({:.1}/s), HTTP calls {} ({:.1}/s), errors {}",
            self.operations, self.ops_per_sec, self.http_calls, self.calls_per_sec, self.errors
        );
        for e in &self.first_errors {
            let _ = writeln!(s, "    error: {e}");
        }
        let _ = writeln!(
            s,
            "  verified in the service: {} of {} approvals recorded exactly once, {} findings",
            self.verified, self.operations, self.verification_failures
        );
        for f in &self.first_verification_failures {
            let _ = writeln!(s, "    finding: {f}");
        }
        let _ = writeln!(
            s,
            "  budget: p99 of an HTTP call {:.2} ms ≤ {} ms: {}",
            ms(self.http.p99),
            P99_BUDGET.as_millis(),
            if self.within_budget() { "pass" } else { "FAIL" }
        );
        if let Some(db) = &self.database {
            let _ = writeln!(s, "  database kept: {}", db.display());
        }
        s
    }
}

/// Why a load could not be run at all (errors under load are counted instead).
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The options cannot be run.
    #[error("invalid options: {0}")]
    Options(&'static str),
    /// The data folder or the service could not be set up.
    #[error("setting up: {0}")]
    Setup(String),
    /// A client thread panicked (a defect of this driver).
    #[error("a client thread panicked")]
    ClientPanicked,
    /// The HTTP server did not stop cleanly.
    #[error("stopping the HTTP server: {0}")]
    Shutdown(std::io::Error),
}

/// Arguments of `akuersi-sim load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Concurrent clients.
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub clients: u16,
    /// Seconds the clients keep going.
    #[arg(long, value_name = "S", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub secs: u64,
    /// Folder for the service's SQLite file, kept afterwards. Default: a
    /// temporary folder, removed afterwards.
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Operations per second for all clients together (paced, open loop).
    /// Default: closed loop, as fast as the service answers.
    #[arg(long, value_name = "OPS")]
    pub rate: Option<f64>,
    /// Serve HTTPS (a development certificate made for the run).
    #[arg(long, conflicts_with = "compare_tls")]
    pub tls: bool,
    /// Run the load twice, over plain HTTP and then over HTTPS, and print
    /// the ratio of the two.
    #[arg(long)]
    pub compare_tls: bool,
    /// Hold this many slow connections against the service meanwhile (half
    /// request heads and bodies at one byte a second, from 127.0.0.2 and up).
    #[arg(long, value_name = "N", default_value_t = 0,
          value_parser = clap::value_parser!(u16).range(0..=4000))]
    pub slow_clients: u16,
}

/// `akuersi-sim load`: run, print the table; failure on any error or
/// verification finding (the p99 budget is reported, not enforced).
pub fn main(args: LoadArgs) -> ExitCode {
    let options = LoadOptions {
        clients: usize::from(args.clients),
        duration: Duration::from_secs(args.secs),
        data_dir: args.data,
        rate: args.rate,
        tls: args.tls,
        slow_clients: usize::from(args.slow_clients),
    };
    if args.compare_tls {
        return compare_tls(options);
    }
    eprintln!(
        "akuersi-sim load: {} clients for {} s …",
        options.clients,
        options.duration.as_secs()
    );
    match run(&options) {
        Ok(report) => {
            print!("{}", report.table());
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                eprintln!("akuersi-sim load: errors or verification findings (see above)");
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("akuersi-sim load: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `load --compare-tls`: plain HTTP, then HTTPS, then the ratios.
fn compare_tls(options: LoadOptions) -> ExitCode {
    let mut reports = Vec::new();
    for tls in [false, true] {
        let options = LoadOptions {
            tls,
            ..options.clone()
        };
        eprintln!(
            "akuersi-sim load: {} clients for {} s over {} …",
            options.clients,
            options.duration.as_secs(),
            if tls { "HTTPS" } else { "HTTP" }
        );
        match run(&options) {
            Ok(report) => {
                print!("{}", report.table());
                println!();
                reports.push(report);
            }
            Err(e) => {
                eprintln!("akuersi-sim load: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let (plain, tls) = (&reports[0], &reports[1]);
    let ratio = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "HTTPS / HTTP in this run: throughput {:.2}×, call p50 {:.2}×, call p99 {:.2}× ({:.0} vs {:.0} operations/s; p99 {:.2} vs {:.2} ms)",
        ratio(tls.ops_per_sec, plain.ops_per_sec),
        ratio(ms(tls.http.p50), ms(plain.http.p50)),
        ratio(ms(tls.http.p99), ms(plain.http.p99)),
        tls.ops_per_sec,
        plain.ops_per_sec,
        ms(tls.http.p99),
        ms(plain.http.p99),
    );
    if reports.iter().all(LoadReport::passed) {
        ExitCode::SUCCESS
    } else {
        eprintln!("akuersi-sim load: errors or verification findings (see above)");
        ExitCode::FAILURE
    }
}

/// Run the load described by `options` and verify its outcome in the service.
pub fn run(options: &LoadOptions) -> Result<LoadReport, LoadError> {
    if options.clients == 0 {
        return Err(LoadError::Options("at least one client"));
    }
    if options.rate.is_some_and(|r| !(r.is_finite() && r > 0.0)) {
        return Err(LoadError::Options(
            "a rate is a positive number of operations per second",
        ));
    }
    // Each client's interval between operation starts, when paced.
    let interval = options
        .rate
        .map(|r| Duration::from_secs_f64(options.clients as f64 / r));
    let folder = Folder::new(options.data_dir.as_deref())?;
    let db = folder.database();
    let db_str = db
        .to_str()
        .ok_or_else(|| LoadError::Setup(format!("{} is not UTF-8", db.display())))?;
    let service = Arc::new(
        Service::open(
            db_str,
            Arc::new(SystemClock),
            ServiceConfig {
                max_requests_per_hour: LOAD_MAX_REQUESTS_PER_HOUR,
                min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
                ..ServiceConfig::default()
            },
        )
        .map_err(|e| LoadError::Setup(format!("opening the service: {e}")))?,
    );
    register_demo_bank(&service);
    let mut devices = (0..options.clients)
        .map(|i| LoadDevice::enroll(&service, &format!("Load-User-{i}")))
        .collect::<Result<Vec<_>, _>>()?;
    let (tls, pin) = if options.tls {
        let dev = akuersi_server::tls::generate_dev_certificate(&["127.0.0.1".into()])
            .and_then(|d| ServerTls::from_pem(d.cert_pem.as_bytes(), d.key_pem.as_bytes()))
            .map_err(|e| LoadError::Setup(format!("making a TLS certificate: {e}")))?;
        let pin = dev.fingerprint_string();
        (Some(dev), Some(pin))
    } else {
        (None, None)
    };
    // The clients all come from 127.0.0.1, like many users behind one
    // address: the per-address cap must let them all in.
    let defaults = HttpConfig::ephemeral();
    let per_address = defaults
        .max_connections_per_address
        .max(options.clients + 8);
    let server = spawn_with(
        service.clone(),
        HttpConfig {
            tls,
            max_connections_per_address: per_address,
            ..defaults
        },
    )
    .map_err(|e| LoadError::Setup(format!("starting the HTTP server: {e}")))?;
    let base = server.base_url();
    let slow = (options.slow_clients > 0)
        .then(|| crate::slow::SlowClients::start(server.addr(), options.slow_clients, per_address));

    let started = Instant::now();
    let until = started + options.duration;
    let tallies: Vec<std::thread::Result<Tally>> = std::thread::scope(|s| {
        let handles: Vec<_> = devices
            .iter_mut()
            .enumerate()
            .map(|(i, device)| {
                let base = base.as_str();
                // Paced clients start staggered over one interval.
                let pace = interval.map(|every| {
                    let first = started + every.mul_f64(i as f64 / options.clients as f64);
                    (first, every)
                });
                let pin = pin.clone();
                s.spawn(move || client(base, pin, device, until, pace))
            })
            .collect();
        handles.into_iter().map(|h| h.join()).collect()
    });
    let seconds = started.elapsed().as_secs_f64();
    let slow = slow.map(|s| (options.slow_clients, s.stop()));
    server.shutdown().map_err(LoadError::Shutdown)?;

    let mut all = Tally::default();
    for t in tallies {
        all.merge(t.map_err(|_| LoadError::ClientPanicked)?);
    }
    let check = verify(&service, &devices, &all.approved, &all.unknown);
    drop(service);

    let mut endpoints = Vec::new();
    let mut every_call = Vec::new();
    for e in Endpoint::ALL {
        let samples = &mut all.calls[e.index()];
        every_call.extend_from_slice(samples);
        endpoints.push((e, Latency::of(samples)));
    }
    let operations = all.operations.len() as u64;
    let http_calls = every_call.len() as u64;
    Ok(LoadReport {
        clients: options.clients,
        rate: options.rate,
        seconds,
        operations,
        http_calls,
        errors: all.errors.count,
        first_errors: all.errors.first,
        ops_per_sec: operations as f64 / seconds,
        calls_per_sec: http_calls as f64 / seconds,
        http: Latency::of(&mut every_call),
        endpoints,
        operation: Latency::of(&mut all.operations),
        verified: check.verified,
        verification_failures: check.failures.count,
        first_verification_failures: check.failures.first,
        database: folder.kept(),
        tls: options.tls,
        slow,
    })
}

// ------------------------------------------------------------------ folder

/// Where the database lives; a temporary folder is removed on drop.
struct Folder {
    dir: PathBuf,
    file: PathBuf,
    temporary: bool,
}

impl Folder {
    fn new(data_dir: Option<&Path>) -> Result<Self, LoadError> {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default();
        let name = format!("akuersi-load-{}-{stamp}", std::process::id());
        let (dir, file, temporary) = match data_dir {
            Some(d) => (d.to_path_buf(), d.join(format!("{name}.sqlite")), false),
            None => {
                let dir = std::env::temp_dir().join(name);
                (dir.clone(), dir.join("service.sqlite"), true)
            }
        };
        std::fs::create_dir_all(&dir)
            .map_err(|e| LoadError::Setup(format!("creating {}: {e}", dir.display())))?;
        Ok(Self {
            dir,
            file,
            temporary,
        })
    }

    fn database(&self) -> &Path {
        &self.file
    }

    fn kept(&self) -> Option<PathBuf> {
        (!self.temporary).then(|| self.file.clone())
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        if self.temporary {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

// ------------------------------------------------------------------ device

/// A device built by hand, with its PIN's SPAKE2+ secrets derived once.
struct LoadDevice {
    hand: HandDevice,
    user_id: String,
    identity_id: String,
    w0: PakeScalar,
    w1: PakeScalar,
}

impl LoadDevice {
    /// Create `user_id` and enrol a new device for it, in process (untimed).
    fn enroll(service: &Service, user_id: &str) -> Result<Self, LoadError> {
        let setup = |what: &str, e: &dyn std::fmt::Display| {
            LoadError::Setup(format!("enrolling {user_id}: {what}: {e}"))
        };
        let hand = HandDevice::new().map_err(|e| setup("key", &e))?;
        let (w0, w1) = hand
            .pake_secrets(PIN, LOAD_KDF_ITERATIONS)
            .map_err(|e| setup("PIN", &e))?;
        let identity_id = service
            .create_identity(user_id)
            .map_err(|e| setup("identity", &e))?;
        let code = service
            .issue_activation_code(user_id, CodeChannel::Paper)
            .map_err(|e| setup("activation code", &e))?
            .code;
        let activate = hand
            .activation(user_id, &code, PIN, LOAD_KDF_ITERATIONS, "load")
            .map_err(|e| setup("activation message", &e))?;
        service
            .activate(activate)
            .map_err(|e| setup("activation", &e))?;
        Ok(Self {
            hand,
            user_id: user_id.into(),
            identity_id,
            w0,
            w1,
        })
    }

    /// The signed approval of `request`, bound to the PIN-proof session.
    fn approval(
        &self,
        request: PendingRequest,
        binding: PakeBinding,
        proof: PakeProof,
    ) -> Result<Decide, String> {
        let statement = ApprovalStatement::for_request(
            &request,
            Decision::Approve,
            &self.hand.device_id,
            Some(binding),
            None,
        );
        Ok(Decide {
            device_id: self.hand.device_id.clone(),
            signature: self.hand.sign(&statement.encode())?,
            request_id: statement.request_id,
            decision: Decision::Approve,
            pake: Some(proof),
            channel_binding: None,
        })
    }
}

// ------------------------------------------------------------------ client

/// An approval the service acknowledged.
#[derive(Clone)]
struct Acknowledged {
    request_id: String,
    poll_handle: String,
    device_id: String,
}

/// One client's (or all clients') samples and findings.
#[derive(Default)]
struct Tally {
    calls: [Vec<Duration>; 4],
    operations: Vec<Duration>,
    errors: Findings,
    approved: Vec<Acknowledged>,
    /// Requests whose decide call failed: the service may or may not have
    /// recorded the approval.
    unknown: HashSet<String>,
}

/// A count of things that went wrong, with the first few messages.
#[derive(Default)]
struct Findings {
    count: u64,
    first: Vec<String>,
}

impl Findings {
    fn add(&mut self, message: String) {
        self.count += 1;
        if self.first.len() < KEPT_MESSAGES {
            self.first.push(message);
        }
    }

    fn absorb(&mut self, other: Findings) {
        self.count += other.count;
        let room = KEPT_MESSAGES.saturating_sub(self.first.len());
        self.first.extend(other.first.into_iter().take(room));
    }
}

impl Tally {
    fn error(&mut self, message: String) {
        self.errors.add(message);
    }

    /// Time one HTTP call to `endpoint`; an error is counted and gives `None`.
    fn call<T>(
        &mut self,
        endpoint: Endpoint,
        f: impl FnOnce() -> akuersi_core::Result<T>,
    ) -> Option<T> {
        let t = Instant::now();
        let r = f();
        self.calls[endpoint.index()].push(t.elapsed());
        r.map_err(|e| self.error(format!("{}: {e}", endpoint.name())))
            .ok()
    }

    fn merge(&mut self, other: Tally) {
        for (mine, theirs) in self.calls.iter_mut().zip(other.calls) {
            mine.extend(theirs);
        }
        self.operations.extend(other.operations);
        self.errors.absorb(other.errors);
        self.approved.extend(other.approved);
        self.unknown.extend(other.unknown);
    }
}

/// One client: operations back to back until `until`.
fn client(
    base: &str,
    pin: Option<String>,
    device: &mut LoadDevice,
    until: Instant,
    pace: Option<(Instant, Duration)>,
) -> Tally {
    let mut tally = Tally::default();
    // Connections are kept open between calls, as a phone's HTTP stack
    // and a requester's back end keep theirs.
    let config = HttpTransportConfig {
        keep_alive: true,
        server_fingerprint: pin,
        ..HttpTransportConfig::new(base)
    };
    let transport = match HttpTransport::with_config(config) {
        Ok(t) => t,
        Err(e) => {
            tally.error(format!("HTTP transport: {e}"));
            return tally;
        }
    };
    let mut next = pace.map(|(first, _)| first);
    loop {
        match (next.as_mut(), pace) {
            (Some(at), Some((_, every))) => {
                if *at >= until {
                    break;
                }
                // A load driver may sleep: this paces real traffic and
                // times nothing. A client that is behind starts at once.
                std::thread::sleep(at.saturating_duration_since(Instant::now()));
                *at += every;
            }
            _ if Instant::now() >= until => break,
            _ => {}
        }
        let started = Instant::now();
        if let Some(ack) = operation(&transport, device, &mut tally) {
            tally.operations.push(started.elapsed());
            tally.approved.push(ack);
        }
    }
    tally
}

/// Create a request and approve it with the PIN; `None` after an error.
fn operation(t: &dyn Transport, dev: &mut LoadDevice, tally: &mut Tally) -> Option<Acknowledged> {
    let created: CreateRequestResponse = tally.call(Endpoint::Create, || {
        // Demo Bank (the testkit's registration) signs at the wall clock,
        // which the service runs on.
        call(
            t,
            Endpoint::Create.path(),
            &signed(log_on(&dev.user_id), SystemClock.now_ms()),
        )
    })?;
    let query = dev
        .hand
        .envelope(PendingQuery {})
        .map_err(|e| tally.error(e))
        .ok()?;
    let pending: PendingResponse = tally.call(Endpoint::Pending, || {
        call(t, Endpoint::Pending.path(), &query)
    })?;
    let Some(request) = pending
        .requests
        .into_iter()
        .find(|r| r.request_id == created.request_id)
    else {
        tally.error("pending: the new request is not listed".into());
        return None;
    };

    let context = pake_context(&request.request_id, &request.nonce);
    let ctx = PakeContext {
        context: &context,
        id_prover: dev.hand.device_id.as_bytes(),
        id_verifier: PAKE_VERIFIER_ID,
    };
    let (prover, share_p) = Prover::start(&ctx, &dev.w0, &dev.w1);
    let start = dev
        .hand
        .envelope(PinStart {
            purpose: PinPurpose::Request {
                request_id: request.request_id.clone(),
            },
            share_p: share_p.to_vec(),
        })
        .map_err(|e| tally.error(e))
        .ok()?;
    let started: PinStartResponse = tally.call(Endpoint::PinStart, || {
        call(t, Endpoint::PinStart.path(), &start)
    })?;
    let finish = prover
        .finish(&started.share_v, &started.confirm_v)
        .map_err(|e| tally.error(format!("pin-start: the service's confirmV: {e}")))
        .ok()?;
    let binding = PakeBinding {
        session_id: started.session_id.clone(),
        share_p: share_p.to_vec(),
        share_v: started.share_v,
    };
    let proof = PakeProof {
        session_id: started.session_id,
        confirm_p: finish.confirm_p.to_vec(),
    };
    let request_id = request.request_id.clone();
    let decide = dev
        .approval(request, binding, proof)
        .map_err(|e| tally.error(e))
        .ok()?;
    let decided: Option<DecideResponse> = tally.call(Endpoint::Decide, || {
        call(t, Endpoint::Decide.path(), &decide)
    });
    match decided {
        Some(d) if d.request_id == request_id && d.status == RequestStatus::Approved => {
            Some(Acknowledged {
                request_id,
                poll_handle: created.poll_handle,
                device_id: dev.hand.device_id.clone(),
            })
        }
        other => {
            if let Some(d) = other {
                tally.error(format!(
                    "decide: answered {} for {} instead of approved for {request_id}",
                    d.status.as_str(),
                    d.request_id
                ));
            }
            tally.unknown.insert(request_id);
            None
        }
    }
}

// ------------------------------------------------------------ verification

#[derive(Default)]
struct Check {
    verified: u64,
    failures: Findings,
}

impl Check {
    fn fail(&mut self, message: String) {
        self.failures.add(message);
    }
}

/// Ask the service about every acknowledged approval and every decision in
/// the load identities' activity logs.
fn verify(
    service: &Service,
    devices: &[LoadDevice],
    acknowledged: &[Acknowledged],
    unknown: &HashSet<String>,
) -> Check {
    let mut check = Check::default();
    // request id → times an approval of it is in an activity log.
    let mut logged: HashMap<String, u32> = HashMap::new();
    for d in devices {
        match service.activity(&d.identity_id) {
            Ok(records) => {
                for r in records {
                    match (r.kind.as_str(), r.request_id) {
                        ("request_approved", Some(rid)) => *logged.entry(rid).or_default() += 1,
                        (kind, Some(rid)) if kind.starts_with("request_") => {
                            check.fail(format!("{rid}: unexpected {kind} in the activity log"))
                        }
                        _ => {}
                    }
                }
            }
            Err(e) => check.fail(format!("activity of {}: {e}", d.user_id)),
        }
        match service.device_info(&d.hand.device_id) {
            Ok(info) if info.pin_failures == 0 => {}
            Ok(info) => check.fail(format!(
                "{}: {} PIN failures counted for right PINs",
                d.user_id, info.pin_failures
            )),
            Err(e) => check.fail(format!("device of {}: {e}", d.user_id)),
        }
    }
    for a in acknowledged {
        let times = logged.remove(&a.request_id).unwrap_or(0);
        if times != 1 {
            check.fail(format!(
                "{}: acknowledged, approval logged {times} times",
                a.request_id
            ));
            continue;
        }
        let poll = match service.bank_poll(&a.poll_handle) {
            Ok(p) => p,
            Err(e) => {
                check.fail(format!("{}: poll: {e}", a.request_id));
                continue;
            }
        };
        if poll.status != RequestStatus::Approved || poll.request_id != a.request_id {
            check.fail(format!(
                "{}: acknowledged, but the requester sees {}",
                a.request_id,
                poll.status.as_str()
            ));
            continue;
        }
        let statement = match poll.evidence.map(|e| e.verify(akuersi_testkit::DEMO_BANK)) {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                check.fail(format!("{}: evidence: {e}", a.request_id));
                continue;
            }
            None => {
                check.fail(format!("{}: approved without evidence", a.request_id));
                continue;
            }
        };
        if statement.request_id != a.request_id
            || statement.decision != Decision::Approve
            || statement.device_id != a.device_id
        {
            check.fail(format!(
                "{}: the evidence is for another request, decision or device",
                a.request_id
            ));
            continue;
        }
        check.verified += 1;
    }
    for (rid, times) in logged {
        if !unknown.contains(&rid) {
            check.fail(format!(
                "{rid}: approval logged {times} times, never acknowledged"
            ));
        }
    }
    check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank() {
        let mut v: Vec<Duration> = (1..=200).rev().map(Duration::from_millis).collect();
        let l = Latency::of(&mut v);
        assert_eq!(l.count, 200);
        assert_eq!(l.p50, Duration::from_millis(100));
        assert_eq!(l.p99, Duration::from_millis(198));
        assert_eq!(l.max, Duration::from_millis(200));
        assert_eq!(Latency::of(&mut []), Latency::default());
        let mut one = [Duration::from_millis(7)];
        assert_eq!(Latency::of(&mut one).p99, Duration::from_millis(7));
    }

    /// The verification finds approvals that are missing, doubled or
    /// unacknowledged: the load can fail.
    #[test]
    fn verification_catches_what_does_not_add_up() {
        let config = ServiceConfig {
            max_requests_per_hour: LOAD_MAX_REQUESTS_PER_HOUR,
            min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
            ..ServiceConfig::default()
        };
        let service = Arc::new(Service::open(":memory:", Arc::new(SystemClock), config).unwrap());
        register_demo_bank(&service);
        let t = akuersi_server::InProcessTransport::new(service.clone());
        let mut dev = LoadDevice::enroll(&service, "Load-Verify").unwrap();
        let mut tally = Tally::default();
        let first = operation(&t, &mut dev, &mut tally).expect("approved");
        let second = operation(&t, &mut dev, &mut tally).expect("approved");
        assert_eq!(tally.errors.count, 0, "{:?}", tally.errors.first);
        let devices = std::slice::from_ref(&dev);
        let none = HashSet::new();

        let all = verify(&service, devices, &[first.clone(), second.clone()], &none);
        assert_eq!(
            (all.verified, all.failures.count),
            (2, 0),
            "{:?}",
            all.failures.first
        );

        // The second approval was made but is not in the acknowledged list.
        let unacknowledged = verify(&service, devices, std::slice::from_ref(&first), &none);
        assert_eq!(unacknowledged.verified, 1);
        assert_eq!(
            unacknowledged.failures.count, 1,
            "{:?}",
            unacknowledged.failures.first
        );
        // … unless its decide call failed, so nobody knows its outcome.
        let maybe: HashSet<String> = [second.request_id.clone()].into();
        let excused = verify(&service, devices, std::slice::from_ref(&first), &maybe);
        assert_eq!(excused.failures.count, 0, "{:?}", excused.failures.first);
        // Acknowledged twice, or acknowledged but never recorded.
        let ghost = Acknowledged {
            request_id: "0".repeat(32),
            poll_handle: "nothing".into(),
            device_id: dev.hand.device_id.clone(),
        };
        let twice = [first, second.clone(), second, ghost];
        let wrong = verify(&service, devices, &twice, &none);
        assert_eq!(wrong.verified, 2);
        assert_eq!(wrong.failures.count, 2, "{:?}", wrong.failures.first);
    }
}
