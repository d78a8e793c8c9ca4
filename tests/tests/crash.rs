//! Crash consistency: processes killed with SIGKILL at random moments, then
//! restarted on the same SQLite files.
//!
//! * `service_survives_random_kills`: the service runs in a child process
//!   (this test binary again, serving HTTP on loopback from a SQLite file);
//!   the test drives it over HTTP with decisions, wrong PINs, backup-device
//!   additions and removals, and kills it after a random few milliseconds,
//!   over and over. After each kill it opens the file itself and checks:
//!   `PRAGMA integrity_check` is ok; every decision the service acknowledged
//!   is there, unchanged; no request is decided twice (and none was decided
//!   that nobody sent a decision for); a decision in flight at the kill is
//!   either fully there or not at all; no PIN-failure count went down except
//!   where a correct proof had been sent; every acknowledged device addition
//!   and removal holds; no identity has more than 3 active devices. After each
//!   restart the last acknowledged decision is sent again and must be
//!   refused as already decided.
//! * `app_survives_random_kills_while_approving`: an app installation runs in
//!   a child process, approving requests (with wrong PINs now and then)
//!   against a service in this process, and is killed the same way. After
//!   each kill its store passes `integrity_check`, its next sequence number
//!   never went back and is always above the last one the service accepted
//!   from it (so it can never send a replay), and the restarted app carries on
//!   without a single refusal for a replayed or stale message.
//!
//! * `app_killed_inside_secret_changes_keeps_the_right_pin`: the app kills
//!   itself (SIGKILL) inside activation, pairing, re-activation and a PIN change with
//!   new iterations, just before its message leaves or just after the
//!   service answered; after the restart the owner's right PIN works.
//!   `vault_failure_at_activation_spends_nothing`: a vault error enrols
//!   nothing at the service.
//!
//! Loopback only; every loop is bounded. `AKUERSI_CRASH_KILLS` sets the number
//! of kills of each test (200 service, 100 app by default);
//! `AKUERSI_CRASH_SEED` replays a run.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use akuersi_core::app::Installation;
use akuersi_core::http::{HttpTransport, HttpTransportConfig};
use akuersi_core::keystore::SoftwareVault;
use akuersi_core::transport::{call, Transport, TransportError, TransportResponse};
use akuersi_core::Error;
use akuersi_protocol::approval::Decision;
use akuersi_protocol::clock::{Clock, SystemClock};
use akuersi_protocol::wire::*;
use akuersi_server::lockout::LockoutPolicy;
use akuersi_server::{Service, ServiceConfig};
use akuersi_testkit::*;

const ROLE: &str = "AKUERSI_CRASH_ROLE";
const DB: &str = "AKUERSI_CRASH_DB";
const VAULT: &str = "AKUERSI_CRASH_VAULT";
const BASE: &str = "AKUERSI_CRASH_BASE";
const PROFILE: &str = "AKUERSI_CRASH_PROFILE";
const STEP: &str = "AKUERSI_CRASH_STEP";
const AT: &str = "AKUERSI_CRASH_AT";
const KILL_PATH: &str = "AKUERSI_CRASH_KILL_PATH";
const ITERATIONS: &str = "AKUERSI_CRASH_ITERATIONS";
const USER: &str = "AKUERSI_CRASH_USER";
const CODE: &str = "AKUERSI_CRASH_CODE";

/// Never suspends or blocks (so random kills cannot stall the loop for a
/// minute), and reports the exact count through `attempts_left`.
const NO_LOCKOUT: u32 = 1_000_000;
const DECIDER: &str = "Crash-Decider";
const ADDER: &str = "Crash-Adder";
const APP_USER: &str = "Crash-App";

fn config() -> ServiceConfig {
    ServiceConfig {
        operator_token: Some(TOKEN.into()),
        lockout: LockoutPolicy {
            suspend_after: NO_LOCKOUT,
            block_after: NO_LOCKOUT,
            suspensions_ms: vec![],
            device_long_limit: NO_LOCKOUT,
            identity_window_limit: NO_LOCKOUT,
            ..LockoutPolicy::default()
        },
        max_requests_per_hour: u32::MAX,
        addition_wait_ms: 0,
        min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
        ..ServiceConfig::default()
    }
}

fn kills(default: usize) -> usize {
    std::env::var("AKUERSI_CRASH_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// What a random-kill test starts with: how many kills to make (`default`
/// unless `AKUERSI_CRASH_KILLS` says), a generator seeded with the test's
/// name, and a fresh temporary folder named `dir`.
fn kill_run(default: usize, test: &str, dir: &str) -> (usize, Rng, TempDir) {
    (kills(default), Rng::new(test), TempDir::new(dir))
}

/// xorshift64*: a small seeded generator, so a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn new(name: &str) -> Self {
        let seed = std::env::var("AKUERSI_CRASH_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
                    | 1
            });
        println!("{name}: AKUERSI_CRASH_SEED={seed}");
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn transport(base: &str) -> HttpTransport {
    HttpTransport::with_config(HttpTransportConfig {
        connect_attempts: 1,
        request_timeout: Duration::from_secs(20),
        ..HttpTransportConfig::new(base)
    })
    .unwrap()
}

// ------------------------------------------------------------ child side

/// Not a test: the child process of the crash tests (this test binary run
/// with `--ignored --exact crash_child`). As "service" it serves the SQLite
/// file in `AKUERSI_CRASH_DB` over HTTP on a loopback port and prints it; as
/// "app" it opens the installation in `AKUERSI_CRASH_DB` and approves
/// requests in a loop, printing what happened. Either way it ends when its
/// standard input closes, so it never outlives the test.
#[test]
#[ignore = "child process of the crash tests; does nothing on its own"]
fn crash_child() {
    let (Ok(role), Ok(db)) = (std::env::var(ROLE), std::env::var(DB)) else {
        return;
    };
    std::thread::spawn(|| {
        let mut sink = String::new();
        while std::io::stdin().read_line(&mut sink).unwrap_or(0) > 0 {
            sink.clear();
        }
        std::process::exit(0);
    });
    match role.as_str() {
        "service" => {
            let service = Service::open(&db, Arc::new(SystemClock), config()).unwrap();
            register_demo_bank(&service);
            let server = akuersi_server::http::spawn(Arc::new(service)).unwrap();
            println!("AKUERSI-LISTENING {}", server.base_url());
            loop {
                std::thread::park();
            }
        }
        "app" => app_child(&db),
        "step" => step_child(&db),
        _ => {}
    }
}

fn app_child(db: &str) {
    let base = std::env::var(BASE).unwrap();
    let profile = std::env::var(PROFILE).unwrap();
    let t = Arc::new(transport(&base));
    let app = open_app(db, &std::env::var(VAULT).unwrap(), t.clone());
    println!("AKUERSI-READY");
    for round in 0u64.. {
        match call::<_, CreateRequestResponse>(
            t.as_ref(),
            paths::CREATE_REQUEST,
            &signed(log_on(APP_USER), SystemClock.now_ms()),
        ) {
            Ok(_)
            | Err(Error::Service {
                code: ErrorCode::PendingRequestExists,
                ..
            }) => {}
            Err(e) => report_and_exit("create", &e),
        }
        let views = app
            .refresh(&profile)
            .unwrap_or_else(|e| report_and_exit("refresh", &e));
        let Some(v) = views.first() else { continue };
        if round.is_multiple_of(3) {
            match app.approve(&profile, &v.request_id, WRONG_PIN.into()) {
                Err(Error::WrongPin { .. }) => println!("WRONG {}", v.request_id),
                other => report_and_exit("wrong PIN", &other.unwrap_err()),
            }
        }
        match app.approve(&profile, &v.request_id, PIN.into()) {
            Ok(o) => println!("APPROVED {}", o.request_id),
            Err(e) => report_and_exit("approve", &e),
        }
    }
}

/// The child of `app_killed_inside_secret_changes_keeps_the_right_pin`:
/// runs one call (`AKUERSI_CRASH_STEP`: activate, pair, reactivate or
/// change_pin)
/// and SIGKILLs itself inside it, when that call's message to `KILL_PATH`
/// is about to go out (`AKUERSI_CRASH_AT=before`) or has been answered by
/// the service (`after`), before the app sees the answer.
fn step_child(db: &str) {
    let env = |k: &str| std::env::var(k).unwrap();
    let t = Arc::new(KillAt {
        inner: transport(&env(BASE)),
        path: env(KILL_PATH),
        after: env(AT) == "after",
    });
    let iterations: u32 = env(ITERATIONS).parse().unwrap();
    let app = installation(db)
        .kdf_iterations(iterations)
        .vault(Arc::new(
            SoftwareVault::from_key_file(std::path::Path::new(&env(VAULT))).unwrap(),
        ))
        .open(t, Arc::new(SystemClock));
    println!("AKUERSI-READY");
    let result = match env(STEP).as_str() {
        "activate" => app
            .activate(env(USER), env(CODE), PIN.into(), "phone".into())
            .map(|_| ()),
        "pair" => app
            .activate_with_pairing_code(env(CODE), PIN.into(), "tablet".into())
            .map(|_| ()),
        "reactivate" => app.reactivate(&env(PROFILE), env(CODE), NEW_PIN.into()),
        "change_pin" => app.change_pin(&env(PROFILE), PIN.into(), NEW_PIN.into()),
        other => panic!("unknown step {other}"),
    };
    println!("AKUERSI-ERROR the call returned: {result:?}");
    std::process::exit(3)
}

/// A transport that SIGKILLs its own process around one path.
struct KillAt {
    inner: HttpTransport,
    path: String,
    after: bool,
}

impl Transport for KillAt {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError> {
        if path == self.path && !self.after {
            kill_myself();
        }
        let answer = self.inner.post(path, body);
        if path == self.path {
            kill_myself();
        }
        answer
    }
}

fn kill_myself() -> ! {
    let _ = Command::new("kill")
        .args(["-KILL", &std::process::id().to_string()])
        .status();
    loop {
        std::thread::park();
    }
}

fn report_and_exit(what: &str, e: &Error) -> ! {
    println!("AKUERSI-ERROR {what}: {e:?}");
    std::process::exit(3)
}

fn open_app(db: &str, vault: &str, t: Arc<dyn Transport>) -> Arc<Installation> {
    installation(db)
        .vault(Arc::new(
            SoftwareVault::from_key_file(std::path::Path::new(vault)).unwrap(),
        ))
        .open(t, Arc::new(SystemClock))
}

// ----------------------------------------------------------- parent side

/// A child process; killed (SIGKILL) when dropped.
struct ChildProcess {
    child: Option<Child>,
    /// The line after the marker (the base URL of a service).
    said: String,
    /// Everything else it printed, collected by a thread.
    lines: Arc<Mutex<Vec<String>>>,
    drain: Option<std::thread::JoinHandle<()>>,
}

impl ChildProcess {
    fn start(envs: &[(&str, &str)], marker: &str) -> Self {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args(["--exact", "crash_child", "--ignored", "--nocapture"])
            .args(["--test-threads", "1"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let said = loop {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some((_, rest)) = line.split_once(marker) {
                        break rest.trim().to_owned();
                    }
                }
                _ => {
                    let _ = child.kill();
                    panic!("the child process ended before it was ready");
                }
            }
        };
        let collected = Arc::new(Mutex::new(Vec::new()));
        let sink = collected.clone();
        let drain = std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        Self {
            child: Some(child),
            said,
            lines: collected,
            drain: Some(drain),
        }
    }

    /// kill -9 after `delay`, from another thread; returns at once.
    fn kill_after(mut self, delay: Duration, killed: Arc<AtomicBool>) -> KillHandle {
        let mut child = self.child.take().unwrap();
        let lines = self.lines.clone();
        let drain = self.drain.take();
        let thread = std::thread::spawn(move || {
            std::thread::sleep(delay);
            child.kill().unwrap();
            let status = child.wait().unwrap();
            killed.store(true, Ordering::SeqCst);
            if let Some(d) = drain {
                d.join().unwrap();
            }
            status
        });
        KillHandle { thread, lines }
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

struct KillHandle {
    thread: std::thread::JoinHandle<std::process::ExitStatus>,
    lines: Arc<Mutex<Vec<String>>>,
}

impl ChildProcess {
    /// Wait for the child to end by itself; its lines, after checking that
    /// it was killed by SIGKILL.
    fn killed_itself(mut self) -> Vec<String> {
        use std::os::unix::process::ExitStatusExt;
        let mut child = self.child.take().unwrap();
        // `wait` closes the child's standard input, which ends it: keep it open.
        let stdin = child.stdin.take();
        let status = child.wait().unwrap();
        drop(stdin);
        if let Some(d) = self.drain.take() {
            d.join().unwrap();
        }
        let lines = self.lines.lock().unwrap().clone();
        assert_eq!(
            status.signal(),
            Some(9),
            "the child ended ({status}): {lines:?}"
        );
        lines
    }
}

impl KillHandle {
    fn join(self) -> Vec<String> {
        use std::os::unix::process::ExitStatusExt;
        let status = self.thread.join().unwrap();
        let lines = self.lines.lock().unwrap().clone();
        assert_eq!(
            status.signal(),
            Some(9),
            "the child ended by itself ({status}): {lines:?}"
        );
        lines
    }
}

fn integrity_ok(conn: &rusqlite::Connection) {
    let r: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(r, "ok");
}

// -------------------------------------------------------- service crashes

/// What the driver knows for sure, or may have caused.
#[derive(Default)]
struct Ledger {
    /// Acknowledged decisions: request id → (status, device).
    decided: HashMap<String, (String, String)>,
    /// Sent but not acknowledged: request id → (status, device).
    maybe: HashMap<String, (String, String)>,
    /// Lower bound of each device's failure count.
    floor: HashMap<String, u32>,
    /// Last count read from the file, and whether a correct proof was sent since.
    seen: HashMap<String, (u32, bool)>,
    /// Devices whose addition (or removal) was acknowledged.
    must_be_active: HashSet<String>,
    must_be_removed: HashSet<String>,
    /// The last acknowledged decide message.
    last_decide: Option<Decide>,
    ops: usize,
    /// Decisions in flight at a kill: found committed, found not committed.
    in_flight: (usize, usize),
}

impl Ledger {
    fn proof_sent(&mut self, device: &str) {
        self.floor.insert(device.to_owned(), 0);
        if let Some(s) = self.seen.get_mut(device) {
            s.1 = true;
        }
    }

    fn counted(&mut self, device: &str, started: &PinStartResponse) {
        self.floor
            .insert(device.to_owned(), NO_LOCKOUT - started.attempts_left);
    }
}

fn status_of(d: Decision) -> &'static str {
    RequestStatus::for_decision(d).as_str()
}

/// One unit of work; `Err` when the service went away.
fn decide_once(
    t: &dyn Transport,
    dev: &mut RawDevice,
    rng: &mut Rng,
    ledger: &mut Ledger,
) -> Result<(), Error> {
    let p = match dev.pending_via(t)?.requests.into_iter().next() {
        Some(p) => p,
        None => {
            match call::<_, CreateRequestResponse>(
                t,
                paths::CREATE_REQUEST,
                &signed(log_on(DECIDER), SystemClock.now_ms()),
            ) {
                Ok(_)
                | Err(Error::Service {
                    code: ErrorCode::PendingRequestExists,
                    ..
                }) => {}
                Err(e) => return Err(e),
            }
            ledger.ops += 1;
            return Ok(());
        }
    };
    let id = dev.device_id.clone();
    let roll = rng.below(10);
    let decision = match roll {
        0..=1 => Decision::Reject,
        2 => Decision::Report,
        _ => Decision::Approve,
    };
    if decision != Decision::Approve {
        let st = dev.statement(&p, decision, None);
        let msg = dev.decide_msg(&st, None);
        ledger.maybe.insert(
            p.request_id.clone(),
            (status_of(decision).into(), id.clone()),
        );
        let _: DecideResponse = call(t, paths::DECIDE, &msg)?;
        ledger.ops += 1;
        let m = ledger.maybe.remove(&p.request_id).unwrap();
        ledger.decided.insert(p.request_id.clone(), m);
        ledger.last_decide = Some(msg);
        return Ok(());
    }
    // Approvals: now and then a wrong PIN first (a hostile device that sends
    // its made-up confirmation anyway), then the right one.
    if roll >= 8 {
        let (binding, proof, started) = dev.request_proof(t, &p, WRONG_PIN)?;
        ledger.counted(&id, &started);
        let st = dev.statement(&p, Decision::Approve, Some(binding));
        match call::<_, DecideResponse>(t, paths::DECIDE, &dev.decide_msg(&st, Some(proof))) {
            Err(Error::WrongPin { .. }) => ledger.ops += 1,
            Err(e) => return Err(e),
            Ok(r) => panic!("a wrong PIN approved {}", r.request_id),
        }
    }
    let (binding, proof, started) = dev.request_proof(t, &p, PIN)?;
    ledger.counted(&id, &started);
    let st = dev.statement(&p, Decision::Approve, Some(binding));
    let msg = dev.decide_msg(&st, Some(proof));
    ledger.proof_sent(&id);
    ledger
        .maybe
        .insert(p.request_id.clone(), ("approved".into(), id.clone()));
    let _: DecideResponse = call(t, paths::DECIDE, &msg)?;
    ledger.ops += 1;
    let m = ledger.maybe.remove(&p.request_id).unwrap();
    ledger.decided.insert(p.request_id.clone(), m);
    ledger.last_decide = Some(msg);
    Ok(())
}

/// Add a backup device to ADDER's identity and remove it again.
fn add_and_remove_once(
    t: &dyn Transport,
    base: &mut RawDevice,
    ledger: &mut Ledger,
) -> Result<(), Error> {
    let id = base.device_id.clone();
    let (pake, started) = base.operation_proof(t, PinPurpose::AddDevice, PIN)?;
    ledger.counted(&id, &started);
    ledger.proof_sent(&id);
    let view: AdditionView = base.send_signed(t, paths::ADDITION_START, StartAddition { pake })?;
    let offer: PairingPayloadResponse = base.send_signed(
        t,
        paths::ADDITION_PAIRING,
        PairingOffer {
            addition_id: view.addition_id.clone(),
        },
    )?;
    let (_, secret) = parse_pairing_payload(&offer.payload).unwrap();
    let new = RawDevice::new();
    let msg = new.pairing(&view.addition_id, &secret[..], PIN);
    let _: ActivateResponse = call(t, paths::ADDITION_COMPLETE, &msg)?;
    ledger.must_be_active.insert(new.device_id.clone());
    ledger.ops += 1;
    remove(t, base, &new.device_id, ledger)
}

fn remove(
    t: &dyn Transport,
    base: &mut RawDevice,
    target: &str,
    ledger: &mut Ledger,
) -> Result<(), Error> {
    let id = base.device_id.clone();
    let purpose = PinPurpose::RemoveDevice {
        device_id: target.to_owned(),
    };
    let (pake, started) = base.operation_proof(t, purpose, PIN)?;
    ledger.counted(&id, &started);
    ledger.proof_sent(&id);
    // From here the removal may be committed without an answer.
    ledger.must_be_active.remove(target);
    let _: Ack = base.send_signed(
        t,
        paths::REMOVE_DEVICE,
        RemoveDevice {
            device_id: target.to_owned(),
            allow_last: false,
            pake,
        },
    )?;
    ledger.must_be_removed.insert(target.to_owned());
    ledger.ops += 1;
    Ok(())
}

/// After a restart: close what a kill left half done (an open addition, an
/// extra device), so the loop can go on.
fn tidy(conn: &rusqlite::Connection, adder: &str) -> (Vec<String>, Vec<String>) {
    let mut open = conn
        .prepare(
            "SELECT a.addition_id FROM device_additions a JOIN identities i USING (identity_id)
             WHERE i.user_id = ?1 AND a.status = 'waiting'",
        )
        .unwrap();
    let open: Vec<String> = open
        .query_map([ADDER], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut extra = conn
        .prepare(
            "SELECT d.device_id FROM devices d JOIN identities i USING (identity_id)
             WHERE i.user_id = ?1 AND d.status = 'active' AND d.device_id != ?2",
        )
        .unwrap();
    let extra: Vec<String> = extra
        .query_map([ADDER, adder], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (open, extra)
}

/// The checks after every kill, on the file itself.
fn check_file(db: &str, ledger: &mut Ledger) {
    let conn = rusqlite::Connection::open(db).unwrap();
    integrity_ok(&conn);
    // Every acknowledged decision is there, unchanged.
    for (rid, (status, by)) in &ledger.decided {
        let (s, d): (String, Option<String>) = conn
            .query_row(
                "SELECT status, decided_by FROM requests WHERE request_id = ?1",
                [rid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(
            (&s, d.as_ref()),
            (status, Some(by)),
            "decision on {rid} lost"
        );
    }
    // A decision in flight is all there or not at all.
    for (rid, (status, by)) in std::mem::take(&mut ledger.maybe) {
        let (s, d): (String, Option<String>) = conn
            .query_row(
                "SELECT status, decided_by FROM requests WHERE request_id = ?1",
                [&rid],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        if s == "pending" {
            assert_eq!(d, None);
            ledger.in_flight.1 += 1;
        } else {
            ledger.in_flight.0 += 1;
            assert_eq!(
                (&s, d.as_ref()),
                (&status, Some(&by)),
                "half a decision on {rid}"
            );
            ledger.decided.insert(rid, (status, by));
        }
    }
    // Nothing decided that nobody decided, nothing decided twice.
    let mut stmt = conn
        .prepare(
            "SELECT request_id, status FROM requests WHERE status NOT IN ('pending', 'cancelled')",
        )
        .unwrap();
    let decided: Vec<(String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(
        decided.len(),
        ledger.decided.len(),
        "a decision nobody sent"
    );
    for (rid, _) in &decided {
        assert!(ledger.decided.contains_key(rid), "{rid} decided by nobody");
    }
    let doubled = requests_decided_twice(&conn);
    assert_eq!(doubled, 0, "a request decided twice in the activity log");
    // PIN counts: never below what was acknowledged, never down without a
    // correct proof sent.
    let mut stmt = conn
        .prepare("SELECT device_id, pin_failures, status FROM devices")
        .unwrap();
    let devices: Vec<(String, u32, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for (id, failures, status) in &devices {
        let floor = ledger.floor.get(id).copied().unwrap_or(0);
        assert!(*failures >= floor, "{id}: count {failures} below {floor}");
        if let Some((before, reset)) = ledger.seen.get(id) {
            assert!(
                failures >= before || *reset,
                "{id}: count went from {before} to {failures} without a correct proof"
            );
        }
        ledger.seen.insert(id.clone(), (*failures, false));
        if ledger.must_be_active.contains(id) {
            assert_eq!(status, "active", "{id}: acknowledged addition lost");
        }
        if ledger.must_be_removed.contains(id) {
            assert_eq!(status, "removed", "{id}: acknowledged removal lost");
        }
    }
    let most: i64 = conn
        .query_row(
            "SELECT coalesce(max(n), 0) FROM (SELECT count(*) AS n FROM devices
               WHERE status = 'active' GROUP BY identity_id)",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(most <= 3);
}

#[test]
fn service_survives_random_kills() {
    let (total, mut rng, dir) = kill_run(200, "service_survives_random_kills", "crash-service");
    let db = dir.file("service.sqlite");
    let envs = [(ROLE, "service"), (DB, db.as_str())];
    let started = Instant::now();

    // Set-up, not killed: two identities with a device each.
    let (mut decider, mut adder) = {
        let child = ChildProcess::start(&envs, "AKUERSI-LISTENING ");
        let t = transport(&child.said);
        let mut devices = Vec::new();
        for user in [DECIDER, ADDER] {
            let _: CreateIdentityResponse = call(
                &t,
                paths::OPERATOR_CREATE_IDENTITY,
                &CreateIdentity {
                    token: TOKEN.into(),
                    user_id: user.into(),
                },
            )
            .unwrap();
            let code: IssueActivationCodeResponse = call(
                &t,
                paths::OPERATOR_ISSUE_CODE,
                &IssueActivationCode {
                    token: TOKEN.into(),
                    user_id: user.into(),
                    channel: CodeChannel::Paper,
                },
            )
            .unwrap();
            let d = RawDevice::new();
            let _: ActivateResponse =
                call(&t, paths::ACTIVATE, &d.activation(user, &code.code, PIN)).unwrap();
            devices.push(d);
        }
        let adder = devices.pop().unwrap();
        (devices.pop().unwrap(), adder)
    };

    let mut ledger = Ledger::default();
    let mut replays = 0;
    for round in 0..total {
        let child = ChildProcess::start(&envs, "AKUERSI-LISTENING ");
        let t = transport(&child.said);
        let killed = Arc::new(AtomicBool::new(false));
        let delay = Duration::from_micros(rng.below(150_000));
        let kill = child.kill_after(delay, killed.clone());
        // Replaying the last acknowledged decision after the restart: refused.
        if round.is_multiple_of(10) {
            if let Some(msg) = ledger.last_decide.clone() {
                match call::<_, DecideResponse>(&t, paths::DECIDE, &msg) {
                    Err(Error::AlreadyDecided) => replays += 1,
                    Err(Error::Network(_)) => {}
                    other => panic!("a replayed decision was not refused: {other:?}"),
                }
            }
        }
        let (open, extra) = {
            let conn = rusqlite::Connection::open(&db).unwrap();
            tidy(&conn, &adder.device_id)
        };
        let work = || -> Result<(), Error> {
            for addition_id in open {
                let r: Result<Ack, Error> =
                    adder.send_signed(&t, paths::ADDITION_VETO, VetoAddition { addition_id });
                match r {
                    Ok(_)
                    | Err(Error::Service {
                        code: ErrorCode::PairingInvalid,
                        ..
                    }) => {}
                    Err(e) => return Err(e),
                }
            }
            for target in extra {
                remove(&t, &mut adder, &target, &mut ledger)?;
            }
            // Bounded: the kill comes within 150 ms; this is a safety net.
            for i in 0..10_000 {
                if i % 4 == 3 {
                    add_and_remove_once(&t, &mut adder, &mut ledger)?;
                } else {
                    decide_once(&t, &mut decider, &mut rng, &mut ledger)?;
                }
            }
            Ok(())
        };
        match work() {
            Err(Error::Network(_)) => {}
            Err(e) if killed.load(Ordering::SeqCst) => {
                // A message cut off mid-answer reads as a protocol error.
                assert!(matches!(e, Error::Protocol(_)), "round {round}: {e:?}");
            }
            other => panic!("round {round}: the loop ended without the kill: {other:?}"),
        }
        kill.join();
        check_file(&db, &mut ledger);
    }
    println!(
        "service: {total} kills, {} acknowledged operations, {} decisions kept \
         (of which {} in flight at a kill and committed; {} in flight and not), \
         {replays} replays refused, {:.1} s",
        ledger.ops,
        ledger.decided.len(),
        ledger.in_flight.0,
        ledger.in_flight.1,
        started.elapsed().as_secs_f64()
    );
    assert!(ledger.decided.len() > total / 4, "too little work got done");
}

// ------------------------------------------------------------ app crashes

#[test]
fn app_survives_random_kills_while_approving() {
    let (total, mut rng, dir) = kill_run(
        100,
        "app_survives_random_kills_while_approving",
        "crash-app",
    );
    let service_db = dir.file("service.sqlite");
    let service = Arc::new(Service::open(&service_db, Arc::new(SystemClock), config()).unwrap());
    register_demo_bank(&service);
    let code = new_identity_code(&service, APP_USER);
    let server = akuersi_server::http::spawn(service.clone()).unwrap();
    let base = server.base_url();
    let app_db = dir.file("app.sqlite");
    let vault = dir.file("vault.key");
    let profile = {
        let app = open_app(&app_db, &vault, Arc::new(transport(&base)));
        app.activate(APP_USER.into(), code, PIN.into(), "phone".into())
            .unwrap()
    };
    let envs = [
        (ROLE, "app"),
        (DB, app_db.as_str()),
        (VAULT, vault.as_str()),
        (BASE, base.as_str()),
        (PROFILE, profile.profile_id.as_str()),
    ];
    let started = Instant::now();
    let service_conn = rusqlite::Connection::open(&service_db).unwrap();
    let mut next_seq = 0i64;
    let (mut approved, mut wrong) = (0, 0);
    for round in 0..total {
        let child = ChildProcess::start(&envs, "AKUERSI-READY");
        let delay = Duration::from_micros(rng.below(250_000));
        let lines = child
            .kill_after(delay, Arc::new(AtomicBool::new(false)))
            .join();
        for line in &lines {
            assert!(!line.starts_with("AKUERSI-ERROR"), "round {round}: {line}");
            approved += usize::from(line.starts_with("APPROVED"));
            wrong += usize::from(line.starts_with("WRONG"));
        }
        let app = rusqlite::Connection::open(&app_db).unwrap();
        integrity_ok(&app);
        let seq: i64 = app
            .query_row("SELECT next_seq FROM profiles", [], |r| r.get(0))
            .unwrap();
        assert!(seq >= next_seq, "round {round}: next_seq went back");
        next_seq = seq;
        let accepted: i64 = service_conn
            .query_row(
                "SELECT last_seq FROM devices WHERE device_id = ?1",
                [&profile.device_id],
                |r| r.get(0),
            )
            .unwrap();
        assert!(
            accepted < next_seq,
            "round {round}: the service accepted {accepted}, the app would send {next_seq}"
        );
    }
    integrity_ok(&service_conn);
    println!(
        "app: {total} kills, {approved} approvals and {wrong} wrong PINs acknowledged, \
         next_seq {next_seq}, {:.1} s",
        started.elapsed().as_secs_f64()
    );
    assert!(approved > 0);
    server.shutdown().unwrap();
}

// ------------------------------------------- kills inside secret changes

/// One request for `user`, refreshed and approved with `pin` on `app`.
fn approve_one(
    app: &Installation,
    t: &dyn Transport,
    user: &str,
    profile_id: &str,
    pin: &str,
) -> akuersi_core::Result<()> {
    let _: CreateRequestResponse = call(
        t,
        paths::CREATE_REQUEST,
        &signed(log_on(user), SystemClock.now_ms()),
    )?;
    let views = app.refresh(profile_id)?;
    let v = views.first().expect("the request is pending");
    app.approve(profile_id, &v.request_id, pin.into())
        .map(|_| ())
}

fn staged_rows(db: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row("SELECT COUNT(*) FROM staged_secrets", [], |r| r.get(0))
        .unwrap()
}

/// The app is SIGKILLed inside activation, pairing, reactivation and a PIN change
/// with a new iteration count: once just before its message goes out, once
/// after the service took it but before the app saw the answer. After each
/// restart the owner's right PIN (the new one if the service took the
/// change, the old one if not) approves a request on the first try, and
/// nothing is left staged. A killed activation the service never saw spent
/// no activation code; one it took is finished when the app opens again.
#[test]
fn app_killed_inside_secret_changes_keeps_the_right_pin() {
    let dir = TempDir::new("crash-steps");
    let service_db = dir.file("service.sqlite");
    let service = Arc::new(Service::open(&service_db, Arc::new(SystemClock), config()).unwrap());
    register_demo_bank(&service);
    let server = akuersi_server::http::spawn(service.clone()).unwrap();
    let base = server.base_url();
    let t: Arc<dyn Transport> = Arc::new(transport(&base));
    let iterations = akuersi_protocol::pin::MIN_KDF_ITERATIONS;
    for (case, (step, at)) in [
        ("activate", "before"),
        ("activate", "after"),
        ("pair", "before"),
        ("pair", "after"),
        ("reactivate", "before"),
        ("reactivate", "after"),
        ("change_pin", "before"),
        ("change_pin", "after"),
    ]
    .into_iter()
    .enumerate()
    {
        let user = format!("Crash-Step-{case}");
        let app_db = dir.file(&format!("app-{case}.sqlite"));
        let vault = dir.file(&format!("vault-{case}.key"));
        let open = || {
            installation(app_db.as_str())
                .kdf_iterations(iterations)
                .vault(Arc::new(
                    SoftwareVault::from_key_file(std::path::Path::new(&vault)).unwrap(),
                ))
                .open(t.clone(), Arc::new(SystemClock))
        };
        let mut code = new_identity_code(&service, &user);
        let mut profile_id = String::new();
        // For pairing: the owner's first device, which shows the pairing code.
        let mut first = None;
        if step == "pair" {
            let first_db = dir.file(&format!("first-{case}.sqlite"));
            let app = installation(first_db.as_str())
                .vault(Arc::new(
                    SoftwareVault::from_key_file(std::path::Path::new(
                        &dir.file(&format!("first-vault-{case}.key")),
                    ))
                    .unwrap(),
                ))
                .open(t.clone(), Arc::new(SystemClock));
            let p = app
                .activate(user.clone(), code, PIN.into(), "phone".into())
                .unwrap();
            let addition = app
                .start_device_addition(&p.profile_id, PIN.into())
                .unwrap();
            code = app
                .pairing_code(&p.profile_id, addition.addition_id)
                .unwrap()
                .payload;
            first = Some(app);
        } else if step != "activate" {
            let app = open();
            profile_id = app
                .activate(user.clone(), code, PIN.into(), "phone".into())
                .unwrap()
                .profile_id;
            code = service
                .issue_activation_code(&user, CodeChannel::Paper)
                .unwrap()
                .code;
        }
        let kill_path = match step {
            "change_pin" => paths::CHANGE_PIN,
            "pair" => paths::ADDITION_COMPLETE,
            _ => paths::ACTIVATE,
        };
        // The PIN change also moves to a new iteration count.
        let child_iterations = if step == "change_pin" {
            iterations * 2
        } else {
            iterations
        };
        let child_iterations = child_iterations.to_string();
        let envs = [
            (ROLE, "step"),
            (DB, app_db.as_str()),
            (VAULT, vault.as_str()),
            (BASE, base.as_str()),
            (PROFILE, profile_id.as_str()),
            (STEP, step),
            (AT, at),
            (KILL_PATH, kill_path),
            (ITERATIONS, child_iterations.as_str()),
            (USER, user.as_str()),
            (CODE, code.as_str()),
        ];
        let lines = ChildProcess::start(&envs, "AKUERSI-READY").killed_itself();
        assert!(lines.is_empty(), "{step} {at}: {lines:?}");
        integrity_ok(&rusqlite::Connection::open(&app_db).unwrap());

        let app = open();
        let what = format!("{step} killed {at} the service answered");
        if step == "activate" || step == "pair" {
            let profiles = app.profiles().unwrap();
            if at == "before" {
                assert!(profiles.is_empty(), "{what}: {profiles:?}");
                // The code was not spent: the owner simply tries again.
                profile_id = if step == "pair" {
                    app.activate_with_pairing_code(code.clone(), PIN.into(), "tablet".into())
                } else {
                    app.activate(user.clone(), code.clone(), PIN.into(), "phone".into())
                }
                .unwrap()
                .profile_id;
            } else {
                assert_eq!(profiles.len(), 1, "{what}: the enrolment was not finished");
                profile_id = profiles[0].profile_id.clone();
            }
        }
        let right_pin = match (step, at) {
            ("activate" | "pair", _) | (_, "before") => PIN,
            _ => NEW_PIN,
        };
        approve_one(&app, t.as_ref(), &user, &profile_id, right_pin)
            .unwrap_or_else(|e| panic!("{what}: the right PIN failed: {e:?}"));
        assert_eq!(staged_rows(&app_db), 0, "{what}: still staged");
        // And it keeps working (the staged secret was promoted or dropped).
        approve_one(&app, t.as_ref(), &user, &profile_id, right_pin)
            .unwrap_or_else(|e| panic!("{what}: the right PIN failed later: {e:?}"));
        let devices = app.devices(&profile_id).unwrap();
        let expected = if first.is_some() { 2 } else { 1 };
        assert_eq!(devices.len(), expected, "{what}: {devices:?}");
    }
    server.shutdown().unwrap();
}

/// A vault that refuses to seal device secrets (the device key still seals).
struct SecretSealFails(Arc<dyn akuersi_core::keystore::SecretVault>);

impl akuersi_core::keystore::SecretVault for SecretSealFails {
    fn seal(&self, label: &str, plaintext: &[u8]) -> akuersi_core::Result<Vec<u8>> {
        if label.starts_with("device-secret:") {
            return Err(Error::Vault("the vault is locked".into()));
        }
        self.0.seal(label, plaintext)
    }

    fn open(
        &self,
        label: &str,
        sealed: &[u8],
    ) -> akuersi_core::Result<zeroize::Zeroizing<Vec<u8>>> {
        self.0.open(label, sealed)
    }
}

/// A vault that cannot seal the device secret fails the activation before
/// the service hears of it: no device enrolled, the code not spent, and
/// the same code then works.
#[test]
fn vault_failure_at_activation_spends_nothing() {
    let dir = TempDir::new("crash-vault");
    let service_db = dir.file("service.sqlite");
    let service = Arc::new(Service::open(&service_db, Arc::new(SystemClock), config()).unwrap());
    register_demo_bank(&service);
    let server = akuersi_server::http::spawn(service.clone()).unwrap();
    let t: Arc<dyn Transport> = Arc::new(transport(&server.base_url()));
    let code = new_identity_code(&service, APP_USER);
    let app_db = dir.file("app.sqlite");
    let vault: Arc<dyn akuersi_core::keystore::SecretVault> = Arc::new(
        SoftwareVault::from_key_file(std::path::Path::new(&dir.file("vault.key"))).unwrap(),
    );
    let failing = installation(app_db.as_str())
        .vault(Arc::new(SecretSealFails(vault.clone())))
        .open(t.clone(), Arc::new(SystemClock));
    let e = failing
        .activate(APP_USER.into(), code.clone(), PIN.into(), "phone".into())
        .unwrap_err();
    assert!(matches!(e, Error::Vault(_)), "{e:?}");
    drop(failing);
    let conn = rusqlite::Connection::open(&service_db).unwrap();
    let devices: i64 = conn
        .query_row("SELECT COUNT(*) FROM devices", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        devices, 0,
        "the service enrolled a device the app could not keep"
    );
    let app = installation(app_db.as_str())
        .vault(vault)
        .open(t.clone(), Arc::new(SystemClock));
    let profile = app
        .activate(APP_USER.into(), code, PIN.into(), "phone".into())
        .unwrap();
    approve_one(&app, t.as_ref(), APP_USER, &profile.profile_id, PIN).unwrap();
    server.shutdown().unwrap();
}
