//! The `demo` command: the reference service and two app installations (phone
//! A and tablet B of one owner) in one process, walking through eight scenes,
//! or, as the `backup` scenario, adding a backup device. See [`run`].

mod backup;
mod extra;
mod scenes;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akuersi_core::app::{Installation, InstallationConfig, Profile, RequestView};
use akuersi_core::keystore::SoftwareVault;
use akuersi_core::transport::{call, Transport};
use akuersi_protocol::clock::{Clock, SystemClock, TestClock};
use akuersi_protocol::crypto::{random_array, random_id};
use akuersi_protocol::pin::{derive_pake_secrets, Pin, DEFAULT_KDF_ITERATIONS};
use akuersi_protocol::request::{Action, LocalizedText};
use akuersi_protocol::wire::{
    paths, CreateRequest, CreateRequestResponse, PollRequest, PollResponse, MAX_TTL_SECONDS,
};
use akuersi_server::{InProcessTransport, Service, ServiceConfig};

use crate::bank::localized;
use crate::bench::group;
use crate::card;
use crate::clock::DeviceClock;
use crate::error::SimError;
use crate::output::Printer;
use crate::timefmt::{countdown, relative, utc};
use crate::wire::{RecordingTransport, SentMessage};

/// The owner's user ID in the demo.
pub const USER_ID: &str = "Aviaja-Nuuk";
/// The SQLite files the demo creates in its data folder.
pub const DATABASE_FILES: [&str; 3] = ["service.sqlite", "phone-a.sqlite", "tablet-b.sqlite"];
/// The requester's id.
pub const REQUESTER_ID: &str = "demo-bank";
/// The requester's display name.
pub const REQUESTER_NAME: &str = "Demo Bank";

/// The PIN chosen on phone A.
const PIN_A: &str = "482916";
/// The PIN chosen on tablet B: each device has its own.
const PIN_B: &str = "730185";
/// Phone A's PIN with two digits swapped.
const WRONG_PIN_A: &str = "482961";

/// Which walk-through to run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Scenario {
    /// Activation, approval, expiry, rejection, a report and a race.
    #[default]
    Main,
    /// A backup device added after its waiting period, with every notice; a
    /// veto, a freeze and an unfreeze; the verified activity log.
    Backup,
}

/// What to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOptions {
    /// The walk-through.
    pub scenario: Scenario,
    /// Folder for the SQLite files (created if missing). `None`: a fresh
    /// temporary folder, removed at the end if every check held.
    pub data_dir: Option<PathBuf>,
    /// PBKDF2 iterations for the PINs of both devices.
    pub kdf_iterations: u32,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            scenario: Scenario::Main,
            data_dir: None,
            kdf_iterations: DEFAULT_KDF_ITERATIONS,
        }
    }
}

/// How the demo went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoSummary {
    /// Checks made.
    pub checks: u32,
    /// Checks that failed, as "scene N: what".
    pub failures: Vec<String>,
    /// The data folder used.
    pub data_dir: PathBuf,
    /// Whether the data folder is still there.
    pub data_kept: bool,
}

impl DemoSummary {
    /// True when every check held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Run the demo, writing its narration to `out` (with ANSI colours only when
/// `colour`). Returns `Err` when a step the scenes depend on fails, and
/// `Ok` with the failed checks otherwise.
pub fn run(
    options: &DemoOptions,
    out: &mut dyn Write,
    colour: bool,
) -> Result<DemoSummary, SimError> {
    let started = Instant::now();
    let (dir, temporary) = prepare_data_dir(options.data_dir.as_deref())?;
    let mut p = Printer::new(out, colour);
    p.title(match options.scenario {
        Scenario::Main => "Akuersi simulator: one identity service, two devices, one owner",
        Scenario::Backup => "Akuersi simulator: adding a backup device, slowly and loudly",
    })?;
    let simulated = {
        let world = World::open(&dir, options.kdf_iterations)?;
        p.section("Set-up")?;
        p.line(format!(
            "Data folder:   {}{}",
            dir.display(),
            if temporary { " (temporary)" } else { "" }
        ))?;
        p.line(format!(
            "Demo clock:    starts at {} (T+0:00); the demo moves it forward instead of waiting",
            utc(world.start_ms)
        ))?;
        let took = time_pin_derivation(options.kdf_iterations)?;
        p.line(format!(
            "PIN cost:      one PIN derivation (PBKDF2-HMAC-SHA256, {} iterations) took {} ms here;",
            group(u64::from(options.kdf_iterations)),
            took.as_millis()
        ))?;
        p.line("               a device pays it at activation and at every approval")?;
        p.line(
            "Wire:          devices, requester and operator talk to the service in the JSON of \
             protocol v1, in process",
        )?;

        match options.scenario {
            Scenario::Main => {
                let cast = scenes::activation(&mut p, &world)?;
                scenes::approved(&mut p, &world, &cast)?;
                scenes::expired(&mut p, &world, &cast)?;
                scenes::rejected_and_reported(&mut p, &world, &cast)?;
                scenes::race(&mut p, &world, &cast)?;
                scenes::summary(&mut p, &world, &cast)?;
                extra::channel_binding(&mut p, &world, &cast)?;
                extra::fraud_report(&mut p, &world, &cast)?;
            }
            Scenario::Backup => backup::run(&mut p, &world, options.kdf_iterations)?,
        }
        world.clock.now_ms() - world.start_ms
        // `world` is dropped here: every database is closed.
    };

    let failures = p.failures().to_vec();
    p.section("Result")?;
    p.line(format!(
        "{} checks, {} failed; {} of demo time in {:.1} s of real time.",
        p.checks(),
        failures.len(),
        relative(simulated).trim_start_matches("T+"),
        started.elapsed().as_secs_f64()
    ))?;
    for f in &failures {
        p.line(format!("  FAILED {f}"))?;
    }
    let data_kept = if temporary && failures.is_empty() {
        match std::fs::remove_dir_all(&dir) {
            Ok(()) => {
                p.line(
                    "Removed the temporary data folder (use --data DIR to keep the databases).",
                )?;
                false
            }
            Err(e) => {
                p.line(format!("Could not remove {}: {e}", dir.display()))?;
                true
            }
        }
    } else {
        p.line(format!("The databases are in {}", dir.display()))?;
        true
    };
    p.flush()?;
    Ok(DemoSummary {
        checks: p.checks(),
        failures,
        data_dir: dir,
        data_kept,
    })
}

/// Create the data folder, refusing one that holds an earlier run's
/// databases. Returns the folder and whether it is temporary.
fn prepare_data_dir(requested: Option<&Path>) -> Result<(PathBuf, bool), SimError> {
    match requested {
        Some(dir) => {
            crate::profile::private_dir(dir, "the data folder")?;
            if let Some(f) = DATABASE_FILES.iter().find(|f| dir.join(f).exists()) {
                return Err(SimError::Demo(format!(
                    "{} already holds {f} from an earlier run; name an empty folder",
                    dir.display()
                )));
            }
            Ok((dir.to_path_buf(), false))
        }
        None => {
            let dir = std::env::temp_dir().join(format!(
                "akuersi-demo-{}-{}",
                std::process::id(),
                SystemClock.now_ms()
            ));
            crate::profile::private_dir(&dir, "the data folder")?;
            Ok((dir, true))
        }
    }
}

/// Time one PIN derivation at the given cost (on a throw-away secret).
fn time_pin_derivation(iterations: u32) -> Result<Duration, SimError> {
    let pin = Pin::new(PIN_A.to_owned()).map_err(akuersi_core::Error::from)?;
    let secret = random_array::<32>().map_err(akuersi_core::Error::from)?;
    let t = Instant::now();
    let secrets = derive_pake_secrets(&pin, &secret, "timing-only", iterations);
    let took = t.elapsed();
    std::hint::black_box(&secrets);
    Ok(took)
}

/// The first 8 characters of an id, for reading.
fn short(id: &str) -> String {
    let head: String = id.chars().take(8).collect();
    format!("{head}…")
}

/// Map a core error to a demo-stopping error, saying what was being done.
fn must<T>(what: &str, r: akuersi_core::Result<T>) -> Result<T, SimError> {
    r.map_err(|e| SimError::Demo(format!("{what}: {e}")))
}

/// The Demo Bank log-on texts, in Greenlandic, Danish and English.
fn log_on_texts() -> Vec<LocalizedText> {
    vec![
        localized(
            "kl",
            "Demo Bank-imut iserneq",
            "Demo Bank-imut iserniarputit",
        ),
        localized("da", "Log på", "Log på Demo Bank"),
        localized("en", "Log on", "Log on to Demo Bank"),
    ]
}

/// One app installation of the owner.
struct Device {
    /// "phone A".
    label: &'static str,
    /// The device name the owner picks.
    name: &'static str,
    /// Platform label sent at activation.
    platform: &'static str,
    /// The PIN chosen on this device.
    pin: &'static str,
    app: Arc<Installation>,
    wire: Arc<RecordingTransport>,
    clock: Arc<DeviceClock>,
}

impl Device {
    #[allow(clippy::too_many_arguments)]
    fn open(
        label: &'static str,
        name: &'static str,
        platform: &'static str,
        pin: &'static str,
        file: &str,
        dir: &Path,
        service: &Arc<Service>,
        clock: &Arc<TestClock>,
        kdf_iterations: u32,
    ) -> Result<Self, SimError> {
        let db = path_str(&dir.join(file))?;
        let key_file = dir.join(format!("{}.vault-key", file.trim_end_matches(".sqlite")));
        let vault = Arc::new(SoftwareVault::from_key_file(&key_file)?);
        let wire = Arc::new(RecordingTransport::new(Arc::new(InProcessTransport::new(
            service.clone(),
        ))));
        let device_clock = Arc::new(DeviceClock::new(clock.clone()));
        let app = Installation::open(
            InstallationConfig {
                database_path: db,
                platform: platform.into(),
                kdf_iterations,
                default_language: "da".into(),
            },
            wire.clone(),
            device_clock.clone(),
            vault,
            None,
        )?;
        Ok(Self {
            label,
            name,
            platform,
            pin,
            app,
            wire,
            clock: device_clock,
        })
    }
}

impl Device {
    /// `phone A ("Aviaja's phone", android)`: how the narration names it.
    fn who(&self) -> String {
        format!("{} (\"{}\", {})", self.label, self.name, self.platform)
    }

    /// Activates [`USER_ID`] with a paper activation `code` and this
    /// device's PIN and name; the profile, and how long it took in ms.
    fn activate_timed(&self, code: String) -> Result<(Profile, u128), SimError> {
        let t = Instant::now();
        let profile = must(
            &format!("{} could not activate", self.label),
            self.app
                .activate(USER_ID.into(), code, self.pin.into(), self.name.into()),
        )?;
        Ok((profile, t.elapsed().as_millis()))
    }

    /// Prints and returns the paths this device posted to since its
    /// message number `before` ([`RecordingTransport::count`]).
    fn show_sent(&self, p: &mut Printer, before: usize) -> Result<Vec<String>, SimError> {
        let sent = self.wire.paths_since(before);
        p.detail(format!("{} sent {}", self.label, sent.join(" then ")))?;
        Ok(sent)
    }
}

fn path_str(path: &Path) -> Result<String, SimError> {
    path.to_str()
        .map(str::to_owned)
        .ok_or_else(|| SimError::Demo(format!("the path {} is not valid UTF-8", path.display())))
}

/// Everything the scenes act on.
struct World {
    dir: PathBuf,
    clock: Arc<TestClock>,
    start_ms: i64,
    service: Arc<Service>,
    operator_token: String,
    operator: Arc<RecordingTransport>,
    requester: Arc<RecordingTransport>,
    /// Demo Bank's key, registered with the service at the start.
    bank_key: akuersi_protocol::requester_key::RequesterKey,
    phone: Device,
    tablet: Device,
}

impl World {
    fn open(dir: &Path, kdf_iterations: u32) -> Result<Self, SimError> {
        let start_ms = SystemClock.now_ms();
        let clock = Arc::new(TestClock::new(start_ms));
        let operator_token = random_id().map_err(akuersi_core::Error::from)?;
        let service = Arc::new(Service::open(
            &path_str(&dir.join(DATABASE_FILES[0]))?,
            clock.clone(),
            ServiceConfig {
                operator_token: Some(operator_token.clone()),
                // The demo's apps use `--kdf-iterations`: the service
                // accepts that count, however low (for quick runs).
                min_kdf_iterations: kdf_iterations,
                ..Default::default()
            },
        )?);
        // Demo Bank registers itself, as `serve` does (its key lives only
        // in memory here).
        let (bank_key, _) = akuersi_protocol::requester_key::RequesterKey::generate(REQUESTER_ID)
            .map_err(|e| SimError::Demo(e.to_string()))?;
        crate::requesters::register(
            &service,
            crate::requesters::demo_bank_registration(bank_key.public_key()),
        )?;
        let front = || -> Arc<RecordingTransport> {
            Arc::new(RecordingTransport::new(Arc::new(InProcessTransport::new(
                service.clone(),
            ))))
        };
        let (operator, requester) = (front(), front());
        let phone = Device::open(
            "phone A",
            "Aviaja's phone",
            "android",
            PIN_A,
            DATABASE_FILES[1],
            dir,
            &service,
            &clock,
            kdf_iterations,
        )?;
        let tablet = Device::open(
            "tablet B",
            "Aviaja's tablet",
            "ios",
            PIN_B,
            DATABASE_FILES[2],
            dir,
            &service,
            &clock,
            kdf_iterations,
        )?;
        Ok(Self {
            dir: dir.to_path_buf(),
            clock,
            start_ms,
            service,
            operator_token,
            operator,
            requester,
            bank_key,
            phone,
            tablet,
        })
    }

    /// `body` signed by Demo Bank at the demo clock's time.
    fn signed<T: akuersi_protocol::wire::RequesterBody>(
        &self,
        body: T,
    ) -> Result<akuersi_protocol::wire::RequesterSigned<T>, SimError> {
        self.bank_key
            .sign(body, self.clock.now_ms())
            .map_err(|e| SimError::Demo(e.to_string()))
    }

    /// A service-clock time relative to the start of the demo.
    fn at(&self, ms: i64) -> String {
        relative(ms - self.start_ms)
    }

    /// The demo clock now, relative to the start.
    fn now(&self) -> String {
        self.at(self.clock.now_ms())
    }

    /// Move the shared clock forward and say so.
    fn advance(&self, p: &mut Printer, ms: i64, why: &str) -> Result<(), SimError> {
        self.clock.advance_ms(ms);
        let by = relative(ms);
        p.line(format!(
            "[clock +{}] now {} – {why}",
            by.trim_start_matches("T+"),
            self.now()
        ))?;
        Ok(())
    }

    /// Demo Bank asks the service for a log-on by the owner.
    fn create_request(&self, p: &mut Printer) -> Result<CreateRequestResponse, SimError> {
        let req = self.signed(CreateRequest {
            user_id: USER_ID.into(),
            action: Action::LogOn,
            texts: log_on_texts(),
            ttl_seconds: None,
            channel_binding: None,
            amount: None,
            account: None,
        })?;
        let transport: &dyn Transport = self.requester.as_ref();
        let answer: CreateRequestResponse = must(
            "Demo Bank could not start a request",
            call(transport, paths::CREATE_REQUEST, &req),
        )?;
        p.line(format!(
            "Demo Bank -> service: \"log on\" for {USER_ID} (texts kl, da, en) -> request {}, \
             expires {}",
            short(&answer.request_id),
            self.at(answer.expires_at_ms)
        ))?;
        Ok(answer)
    }

    /// Demo Bank polls a request.
    fn poll(&self, request: &CreateRequestResponse) -> Result<PollResponse, SimError> {
        self.poll_handle(request.poll_handle.clone())
    }

    /// Demo Bank polls the request with this poll handle.
    fn poll_handle(&self, poll_handle: String) -> Result<PollResponse, SimError> {
        let transport: &dyn Transport = self.requester.as_ref();
        must(
            "Demo Bank could not poll",
            call(
                transport,
                paths::POLL_REQUEST,
                &self.signed(PollRequest { poll_handle })?,
            ),
        )
    }

    /// Demo Bank polls a request, the narration says what it saw, and the
    /// check `what` holds when `held` says so.
    fn poll_checked(
        &self,
        p: &mut Printer,
        request: &CreateRequestResponse,
        what: &str,
        held: impl FnOnce(&PollResponse) -> bool,
    ) -> Result<PollResponse, SimError> {
        let poll = self.poll(request)?;
        p.line(format!("Demo Bank polls: \"{}\"", poll.status.as_str()))?;
        p.check(held(&poll), what)?;
        Ok(poll)
    }

    /// The label of a device id ("phone A"), or a short id.
    fn label_of(&self, cast: &scenes::Cast, device_id: &str) -> String {
        if device_id == cast.phone.device_id {
            self.phone.label.into()
        } else if device_id == cast.tablet.device_id {
            self.tablet.label.into()
        } else {
            short(device_id)
        }
    }
}

/// Print the card a device shows, or an empty screen.
fn show_screen(p: &mut Printer, views: &[RequestView]) -> Result<(), SimError> {
    match views.first() {
        Some(v) => p.screen(&card::render(v, MAX_TTL_SECONDS))?,
        None => p.screen(&card::render_empty("No requests. (Nothing waits for you.)"))?,
    }
    Ok(())
}

/// A one-line account of what a device shows.
fn screen_line(views: &[RequestView]) -> String {
    match views.first() {
        Some(v) => format!(
            "{} · {} · \"{}\" ({}) · {}",
            v.requester_name,
            card::action_label(v.action),
            v.header,
            v.language,
            countdown(v.seconds_left)
        ),
        None => "no requests".into(),
    }
}

/// Whether any of `needles` occurs in `hay`.
fn contains_any(hay: &[u8], needles: &[&str]) -> bool {
    needles
        .iter()
        .any(|n| !n.is_empty() && hay.windows(n.len()).any(|w| w == n.as_bytes()))
}

/// How many messages carry any of the PINs' digits.
fn messages_with(messages: &[SentMessage], pins: &[&str]) -> usize {
    messages
        .iter()
        .filter(|m| contains_any(&m.body, pins))
        .count()
}

/// The files in `dir` that hold any of the PINs' digits, and how many files
/// were read.
fn files_with(dir: &Path, pins: &[&str]) -> Result<(Vec<String>, usize), SimError> {
    let mut hits = Vec::new();
    let mut read = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let bytes = std::fs::read(entry.path())?;
        read += 1;
        if contains_any(&bytes, pins) {
            hits.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    Ok((hits, read))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(short("0123456789abcdef"), "01234567…");
        assert!(contains_any(b"xx482916yy", &["482916"]));
        assert!(!contains_any(b"xx48291yy", &["482916", ""]));
    }
}
