//! The phone-like terminal app (ratatui): first-run activation, a home screen
//! that fetches only when the app is opened or refreshed, the request card
//! with its countdown, the PIN pad, approval by a deliberate gesture, and the
//! screens for devices, backup devices, notifications, the activity log,
//! freezing and support.
//!
//! Every call to the service runs on a worker thread, one at a time (device
//! messages carry increasing sequence numbers, so they must not overtake
//! each other); the screen keeps ticking meanwhile.

mod render;

use std::process::ExitCode;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akuersi_core::app::{DecisionOutcome, Installation, Profile, RequestView};
use akuersi_core::approval::Decision;
use akuersi_core::device::{ActivityPage, DeviceView, IdentityStatusView, UnfreezeOutcome};
use akuersi_core::identity::UserId;
use akuersi_core::pin::{Pin, PinError};
use akuersi_core::protocol::{AdditionView, NotificationItem, PairingPayloadResponse};
use akuersi_core::Error;
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use zeroize::Zeroizing;

use super::AppArgs;
use crate::error::SimError;
use crate::profile::{self, pick_identity};

/// Two presses of → within this time approve (holding → does the same).
pub const GESTURE_WINDOW: Duration = Duration::from_millis(1000);
/// How often the screen redraws without input (countdowns).
const TICK: Duration = Duration::from_millis(200);

/// Run the terminal UI until the owner quits.
pub fn run(args: &AppArgs) -> Result<ExitCode, SimError> {
    let app = profile::open(&args.open_options())?;
    let profile = pick_identity(&app, args.identity.as_deref())
        .or_else(|_| Ok::<_, SimError>(app.profiles()?.into_iter().next()))?;
    let mut ui = Ui::new(app, profile, &args.profile);
    let mut terminal = ratatui::try_init()?;
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::EnableBracketedPaste);
    let result = ui.event_loop(&mut terminal);
    let _ = crossterm::execute!(std::io::stdout(), crossterm::event::DisableBracketedPaste);
    ratatui::restore();
    result.map(|()| ExitCode::SUCCESS)
}

/// What a PIN is entered for.
#[derive(Debug, Clone)]
pub(crate) enum PinFor {
    /// Approve this request.
    Approve(Box<RequestView>),
    /// Start adding a backup device.
    AddDevice,
    /// One proof towards unfreezing, with an activation code or not.
    Unfreeze(Option<String>),
}

/// The PIN pad's state. The digits are wiped when it is dropped.
pub(crate) struct PinPad {
    pub(crate) purpose: PinFor,
    pub(crate) digits: Zeroizing<String>,
    /// When → was first pressed with all six digits in.
    pub(crate) armed_at: Option<Instant>,
    pub(crate) error: Option<String>,
}

/// First-run form: activation code, or a pairing code from another device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormMode {
    Code,
    Pairing,
}

/// One field of the first-run form.
pub(crate) struct Field {
    pub(crate) label: &'static str,
    pub(crate) value: Zeroizing<String>,
    /// A PIN: digits only, shown masked.
    pub(crate) pin: bool,
    pub(crate) max: usize,
}

pub(crate) struct Form {
    pub(crate) mode: FormMode,
    pub(crate) fields: Vec<Field>,
    pub(crate) focus: usize,
    pub(crate) error: Option<String>,
}

impl Form {
    fn new(mode: FormMode, device_name: &str) -> Self {
        let text = |label, max| Field {
            label,
            value: Zeroizing::new(String::new()),
            pin: false,
            max,
        };
        let pin = |label| Field {
            label,
            value: Zeroizing::new(String::new()),
            pin: true,
            max: 6,
        };
        let mut name = text("Device name", 40);
        name.value.push_str(device_name);
        let fields = match mode {
            FormMode::Code => vec![
                text("User ID", 48),
                text("Activation code", 20),
                name,
                pin("New PIN (6 digits)"),
                pin("Repeat the PIN"),
            ],
            FormMode::Pairing => vec![
                text("Pairing code", 200),
                name,
                pin("New PIN (6 digits)"),
                pin("Repeat the PIN"),
            ],
        };
        Self {
            mode,
            fields,
            focus: 0,
            error: None,
        }
    }

    fn value(&self, label: &str) -> String {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.value.to_string())
            .unwrap_or_default()
    }

    /// The blocklist and format message for the new PIN as typed so far.
    pub(crate) fn pin_problem(&self) -> Option<String> {
        let new = self
            .fields
            .iter()
            .find(|f| f.label.starts_with("New PIN"))?;
        let again = self.fields.iter().find(|f| f.label.starts_with("Repeat"))?;
        if new.value.len() == 6 {
            if let Err(PinError::TooSimple) = Pin::new_chosen(new.value.to_string()) {
                return Some(
                    "This PIN is too easy to guess (like 123456, 000000 or 121212). Choose another."
                        .into(),
                );
            }
        }
        if again.value.len() == 6 && *again.value != *new.value {
            return Some("The two PINs differ.".into());
        }
        None
    }
}

/// What the owner sees after an action.
pub(crate) struct Outcome {
    pub(crate) good: bool,
    pub(crate) title: String,
    pub(crate) lines: Vec<String>,
    /// Offer the freeze and support keys (after a report).
    pub(crate) offer_freeze: bool,
}

pub(crate) enum Screen {
    Activate(Form),
    Home,
    Card(String),
    Pin(PinPad),
    Outcome(Outcome),
    Devices,
    Backup,
    Notifications,
    Log,
    Freeze {
        code_entry: Option<String>,
    },
    Support,
    /// Typing the 4-digit code (or pasting the QR value) from the screen
    /// that started a request. Not a secret: the digits are shown.
    Channel {
        id: String,
        entry: String,
        error: Option<String>,
    },
    /// The five security rules: on first run, and before the first
    /// approval (then with the request to approve next).
    Rules {
        then: Option<String>,
    },
}

/// A decision's result, with the request it was about.
struct Decided {
    decision: Decision,
    view: RequestView,
    result: Result<DecisionOutcome, Error>,
}

/// Results coming back from the worker thread.
enum Done {
    Activated(Result<Profile, Error>),
    Refreshed(Result<(Vec<RequestView>, IdentityStatusView), Error>),
    Decided(Box<Decided>),
    Devices(Result<Vec<DeviceView>, Error>),
    Status(Result<IdentityStatusView, Error>),
    Notifications(Result<Vec<NotificationItem>, Error>),
    Log(Result<ActivityPage, Error>),
    Frozen(Result<(), Error>),
    Unfrozen(Result<UnfreezeOutcome, Error>),
    AdditionStarted(Result<AdditionView, Error>),
    Vetoed(Result<(), Error>),
    Pairing(Result<PairingPayloadResponse, Error>),
    ChannelChecked(String, Result<(), Error>),
}

pub(crate) struct Ui {
    app: Arc<Installation>,
    pub(crate) profile: Option<Profile>,
    pub(crate) profile_name: String,
    pub(crate) screen: Screen,
    /// What the worker is doing, if anything.
    pub(crate) busy: Option<String>,
    tx: Sender<Done>,
    rx: Receiver<Done>,
    /// Pending requests as of now (recomputed locally every tick).
    pub(crate) views: Vec<RequestView>,
    pub(crate) refreshed_at: Option<jiff::Zoned>,
    pub(crate) status: Option<IdentityStatusView>,
    pub(crate) devices: Vec<DeviceView>,
    pub(crate) notifications: Vec<NotificationItem>,
    pub(crate) log: Option<ActivityPage>,
    pub(crate) pairing: Option<PairingPayloadResponse>,
    /// A one-line message: (is it an error, text).
    pub(crate) flash: Option<(bool, String)>,
    quit: bool,
}

impl Ui {
    fn new(app: Arc<Installation>, profile: Option<Profile>, name: &str) -> Self {
        let (tx, rx) = channel();
        let screen = if profile.is_some() {
            Screen::Home
        } else {
            Screen::Activate(Form::new(FormMode::Code, name))
        };
        let mut ui = Self {
            app,
            profile,
            profile_name: name.to_owned(),
            screen,
            busy: None,
            tx,
            rx,
            views: Vec::new(),
            refreshed_at: None,
            status: None,
            devices: Vec::new(),
            notifications: Vec::new(),
            log: None,
            pairing: None,
            flash: None,
            quit: false,
        };
        if ui.profile.is_some() {
            // Opening the app is the one moment it fetches by itself.
            ui.refresh();
        }
        ui
    }

    fn event_loop(&mut self, terminal: &mut ratatui::DefaultTerminal) -> Result<(), SimError> {
        while !self.quit {
            while let Ok(done) = self.rx.try_recv() {
                self.finished(done);
            }
            self.tick();
            terminal.draw(|f| render::draw(f, self))?;
            if event::poll(TICK)? {
                match event::read()? {
                    Event::Key(k) if k.kind != KeyEventKind::Release => self.key(k),
                    Event::Paste(text) => self.paste(&text),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    fn pid(&self) -> Option<String> {
        self.profile.as_ref().map(|p| p.profile_id.clone())
    }

    /// Run `job` on the worker thread unless one is running already.
    fn spawn<F>(&mut self, what: &str, job: F)
    where
        F: FnOnce(&Installation) -> Done + Send + 'static,
    {
        if self.busy.is_some() {
            return;
        }
        self.busy = Some(what.to_owned());
        let app = self.app.clone();
        let tx = self.tx.clone();
        std::thread::spawn(move || {
            let _ = tx.send(job(&app));
        });
    }

    /// Recompute what is pending from the last fetch (no network).
    fn tick(&mut self) {
        let Some(pid) = self.pid() else { return };
        if let Ok(views) = self.app.pending(&pid) {
            self.views = views;
        }
        // A card or PIN pad whose request lapsed: say so.
        // (Not while a decision is on its way: it removes the request too.)
        let open = match &self.screen {
            _ if self.busy.is_some() => None,
            Screen::Card(id) => Some(id.clone()),
            Screen::Pin(PinPad {
                purpose: PinFor::Approve(v),
                ..
            }) => Some(v.request_id.clone()),
            _ => None,
        };
        if let Some(id) = open {
            if !self.views.iter().any(|v| v.request_id == id) {
                self.screen = Screen::Outcome(Outcome {
                    good: false,
                    title: "The request has expired".into(),
                    lines: vec![
                        "Nobody answered within its time, so it lapsed.".into(),
                        "Nothing was approved.".into(),
                    ],
                    offer_freeze: false,
                });
            }
        }
    }

    fn refresh(&mut self) {
        let Some(pid) = self.pid() else { return };
        self.flash = None;
        self.spawn("Fetching requests…", move |app| {
            Done::Refreshed(
                app.refresh(&pid)
                    .and_then(|v| Ok((v, app.identity_status(&pid)?))),
            )
        });
    }

    fn error_flash(&mut self, e: &Error) {
        let text = match e {
            Error::Network(_) => format!("{e}. Press r to try again."),
            _ => describe(e),
        };
        self.flash = Some((true, text));
    }

    fn finished(&mut self, done: Done) {
        self.busy = None;
        match done {
            Done::Activated(Ok(p)) => {
                self.profile = Some(p);
                // First run: the five security rules, then home.
                self.screen = Screen::Rules { then: None };
                self.refresh();
            }
            Done::Activated(Err(e)) => {
                if let Screen::Activate(form) = &mut self.screen {
                    form.error = Some(e.to_string());
                }
            }
            Done::Refreshed(Ok((views, status))) => {
                self.views = views;
                self.status = Some(status);
                self.refreshed_at = Some(jiff::Zoned::now());
            }
            Done::Refreshed(Err(e)) => self.error_flash(&e),
            Done::ChannelChecked(id, Ok(())) => {
                self.flash = Some((
                    false,
                    "Code accepted. Now you can approve with your PIN.".into(),
                ));
                if let Some(pid) = self.pid() {
                    if let Ok(views) = self.app.pending(&pid) {
                        self.views = views;
                    }
                }
                self.screen = Screen::Card(id);
            }
            Done::ChannelChecked(id, Err(e @ Error::WrongChannelCode { .. })) => {
                let Error::WrongChannelCode { attempts_left } = e else {
                    return;
                };
                self.screen = Screen::Channel {
                    id,
                    entry: String::new(),
                    error: Some(format!(
                        "Wrong code: it does not match the screen that started this. \
                         {attempts_left} tries left before the request is cancelled."
                    )),
                };
            }
            Done::ChannelChecked(_, Err(e)) => {
                self.screen = Screen::Outcome(failure(&e, "The code was not accepted.".into()));
            }
            Done::Decided(d) => self.decided(d.decision, d.view, d.result),
            Done::Devices(Ok(d)) => self.devices = d,
            Done::Status(Ok(s)) => self.status = Some(s),
            Done::Notifications(Ok(mut items)) => {
                items.reverse();
                items.append(&mut self.notifications);
                self.notifications = items;
            }
            Done::Log(Ok(page)) => self.log = Some(page),
            Done::Frozen(Ok(())) => {
                if let Some(s) = &mut self.status {
                    s.frozen = true;
                }
                self.screen = Screen::Outcome(Outcome {
                    good: true,
                    title: "Your identity is frozen".into(),
                    lines: vec![
                        "Nothing can be approved on any of your devices now.".into(),
                        "Every device and channel (app, SMS, e-mail) was told.".into(),
                        format!(
                            "Call support on {} if you think someone has your codes or device.",
                            crate::app::support::phone_shown()
                        ),
                    ],
                    offer_freeze: false,
                });
            }
            Done::Unfrozen(Ok(o)) => {
                let (title, line) = if o.unfrozen {
                    ("Your identity works again", "The freeze is lifted.")
                } else {
                    (
                        "One proof recorded",
                        "A second proof is needed within 15 minutes: another device's PIN, or an activation code.",
                    )
                };
                if let Some(s) = &mut self.status {
                    s.frozen = !o.unfrozen;
                }
                self.screen = Screen::Outcome(Outcome {
                    good: o.unfrozen,
                    title: title.into(),
                    lines: vec![line.into()],
                    offer_freeze: false,
                });
            }
            Done::Unfrozen(Err(e)) | Done::AdditionStarted(Err(e)) => self.pin_failed(e),
            Done::AdditionStarted(Ok(a)) => {
                self.screen = Screen::Outcome(Outcome {
                    good: true,
                    title: "Adding a backup device".into(),
                    lines: vec![
                        "Every device and channel is told now, and any of them can stop it.".into(),
                        format!(
                            "The pairing code can be shown from {} (Backup screen, key p).",
                            local_time(a.wait_until_ms)
                        ),
                    ],
                    offer_freeze: false,
                });
            }
            Done::Vetoed(Ok(())) => {
                self.flash = Some((false, "Stopped the device addition.".into()));
                self.load_status();
            }
            Done::Pairing(Ok(p)) => self.pairing = Some(p),
            Done::Devices(Err(e))
            | Done::Status(Err(e))
            | Done::Notifications(Err(e))
            | Done::Log(Err(e))
            | Done::Frozen(Err(e))
            | Done::Vetoed(Err(e))
            | Done::Pairing(Err(e)) => self.error_flash(&e),
        }
    }

    /// A PIN proof for an operation failed: back to the PIN pad if the PIN
    /// was wrong, otherwise say why.
    fn pin_failed(&mut self, e: Error) {
        if let Screen::Pin(pad) = &mut self.screen {
            pad.digits.clear();
            pad.armed_at = None;
            pad.error = Some(pin_error_text(&e));
        } else {
            self.error_flash(&e);
        }
    }

    fn decided(
        &mut self,
        decision: Decision,
        view: RequestView,
        result: Result<DecisionOutcome, Error>,
    ) {
        let what = format!(
            "{} – {}",
            view.requester_name,
            crate::card::action_label(view.action)
        );
        let outcome = match (decision, result) {
            (Decision::Approve, Ok(_)) => Outcome {
                good: true,
                title: "✓ Approved".into(),
                lines: vec![
                    what,
                    "Your approval was signed by this device and sent.".into(),
                    "You can go back to where you started.".into(),
                ],
                offer_freeze: false,
            },
            (Decision::Reject, Ok(_)) => Outcome {
                good: true,
                title: "Rejected".into(),
                lines: vec![what, "Nothing was approved.".into()],
                offer_freeze: false,
            },
            (Decision::Report, Ok(_)) => Outcome {
                good: true,
                title: "Reported: you did not start this".into(),
                lines: vec![
                    what,
                    "Nothing was approved, and the report was recorded.".into(),
                    "If someone phoned, mailed or visited and asked you to approve: hang up."
                        .into(),
                    "Nobody may ask that: not the bank, not the police, not support.".into(),
                    "Freeze your identity now? Press f: one step, no PIN.".into(),
                    format!(
                        "Support: {} · {}",
                        crate::app::support::phone_shown(),
                        crate::app::support::WEB_FORM
                    ),
                    format!(
                        "{} (Greenland time)",
                        crate::app::support::support()
                            .status(jiff::Timestamp::now().as_millisecond(), "en")
                            .text
                    ),
                ],
                offer_freeze: true,
            },
            (Decision::Approve, Err(e @ (Error::WrongPin { .. } | Error::Pin(_)))) => {
                if let Screen::Pin(pad) = &mut self.screen {
                    pad.digits.clear();
                    pad.armed_at = None;
                    pad.error = Some(pin_error_text(&e));
                    return;
                }
                failure(&e, what)
            }
            (_, Err(e)) => failure(&e, what),
        };
        self.screen = Screen::Outcome(outcome);
    }

    fn load_status(&mut self) {
        let Some(pid) = self.pid() else { return };
        self.spawn("Fetching the identity's state…", move |app| {
            Done::Status(app.identity_status(&pid))
        });
    }

    fn go(&mut self, screen: Screen) {
        self.flash = None;
        let Some(pid) = self.pid() else { return };
        match &screen {
            Screen::Devices => {
                let pid = pid.clone();
                self.spawn("Fetching devices…", move |app| {
                    Done::Devices(app.devices(&pid))
                });
            }
            Screen::Backup | Screen::Freeze { .. } => self.load_status(),
            Screen::Notifications => {
                let pid = pid.clone();
                self.spawn("Fetching notifications…", move |app| {
                    Done::Notifications(app.notifications(&pid))
                });
            }
            Screen::Log => {
                let pid = pid.clone();
                self.spawn("Fetching and checking the log…", move |app| {
                    Done::Log(app.activity_log(&pid, 0, 200))
                });
            }
            _ => {}
        }
        self.screen = screen;
    }

    fn paste(&mut self, text: &str) {
        match &mut self.screen {
            Screen::Activate(form) => {
                for c in text.trim().chars() {
                    form_char(form, c);
                }
            }
            Screen::Channel { entry, error, .. } => {
                for c in text.trim().chars() {
                    if entry.len() < 200 && !c.is_control() {
                        entry.push(c);
                    }
                }
                *error = None;
            }
            _ => {}
        }
    }

    fn key(&mut self, k: KeyEvent) {
        if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
            self.quit = true;
            return;
        }
        // Alt- and Ctrl- combinations mean nothing here (a fast Esc then a
        // letter also arrives as Alt+letter): never let one act as a key.
        if self.busy.is_some()
            || k.modifiers
                .intersects(KeyModifiers::ALT | KeyModifiers::CONTROL)
        {
            return;
        }
        let screen = std::mem::replace(&mut self.screen, Screen::Home);
        self.screen = match screen {
            Screen::Activate(form) => self.key_form(form, k),
            Screen::Home => {
                self.key_home(k);
                return;
            }
            Screen::Card(id) => self.key_card(id, k),
            Screen::Pin(pad) => self.key_pin(pad, k),
            Screen::Outcome(o) => match k.code {
                KeyCode::Char('f') if o.offer_freeze => {
                    // Freeze in one step: the report already said why.
                    if let Some(pid) = self.pid() {
                        self.spawn("Freezing…", move |app| Done::Frozen(app.freeze(&pid)));
                    }
                    Screen::Outcome(o)
                }
                KeyCode::Char('s') if o.offer_freeze => Screen::Support,
                KeyCode::Enter | KeyCode::Esc | KeyCode::Char('h') => Screen::Home,
                _ => Screen::Outcome(o),
            },
            Screen::Backup => self.key_backup(k),
            Screen::Freeze { code_entry } => self.key_freeze(code_entry, k),
            Screen::Channel { id, entry, error } => self.key_channel(id, entry, error, k),
            Screen::Rules { then } => match k.code {
                KeyCode::Enter => match then {
                    Some(id) => {
                        if let Some(pid) = self.pid() {
                            if let Err(e) = self.app.acknowledge_security_rules(&pid) {
                                self.error_flash(&e);
                            }
                        }
                        match self.views.iter().find(|v| v.request_id == id).cloned() {
                            Some(v) => pin_pad(v),
                            None => Screen::Home,
                        }
                    }
                    None => Screen::Home,
                },
                KeyCode::Esc => match then {
                    Some(id) => Screen::Card(id),
                    None => Screen::Home,
                },
                _ => Screen::Rules { then },
            },
            s @ (Screen::Devices | Screen::Notifications | Screen::Log | Screen::Support) => {
                match k.code {
                    KeyCode::Esc | KeyCode::Char('h') | KeyCode::Backspace => Screen::Home,
                    KeyCode::Char('q') => {
                        self.quit = true;
                        s
                    }
                    KeyCode::Char('r') => {
                        self.go(s);
                        return;
                    }
                    _ => s,
                }
            }
        };
    }

    fn key_home(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => self.quit = true,
            KeyCode::Char('r') => self.refresh(),
            KeyCode::Enter => {
                if let Some(v) = self.views.first() {
                    self.screen = Screen::Card(v.request_id.clone());
                }
            }
            KeyCode::Char('d') => self.go(Screen::Devices),
            KeyCode::Char('b') => self.go(Screen::Backup),
            KeyCode::Char('n') => self.go(Screen::Notifications),
            KeyCode::Char('l') => self.go(Screen::Log),
            KeyCode::Char('f') => self.go(Screen::Freeze { code_entry: None }),
            KeyCode::Char('s') => self.go(Screen::Support),
            KeyCode::Char('g') => self.next_language(),
            _ => {}
        }
    }

    /// Show request texts in the next language: kl → da → en → kl (local
    /// only; requests carry every language's text).
    fn next_language(&mut self) {
        let Some(p) = &self.profile else { return };
        let next = match p.language.as_str() {
            "kl" => "da",
            "da" => "en",
            _ => "kl",
        };
        let pid = p.profile_id.clone();
        match self
            .app
            .set_language(&pid, next.to_owned())
            .and_then(|()| self.app.profile(&pid))
        {
            Ok(p) => {
                self.flash = Some((
                    false,
                    format!("Request texts now in {}.", language_name(next)),
                ));
                self.profile = Some(p);
            }
            Err(e) => self.error_flash(&e),
        }
    }

    fn key_card(&mut self, id: String, k: KeyEvent) -> Screen {
        let Some(view) = self.views.iter().find(|v| v.request_id == id).cloned() else {
            return Screen::Home;
        };
        let Some(pid) = self.pid() else {
            return Screen::Home;
        };
        match k.code {
            KeyCode::Esc | KeyCode::Backspace => Screen::Home,
            KeyCode::Char('a') | KeyCode::Enter => {
                if view.channel_binding.is_some() && !view.channel_confirmed {
                    // First the code from the screen that started it.
                    Screen::Channel {
                        id,
                        entry: String::new(),
                        error: None,
                    }
                } else if view.call_warning {
                    match self.app.confirm_despite_call(&pid, &id) {
                        Ok(()) => pin_pad(view),
                        Err(e) => {
                            self.error_flash(&e);
                            Screen::Card(id)
                        }
                    }
                } else if self.app.needs_security_rules(&pid).unwrap_or(false) {
                    Screen::Rules { then: Some(id) }
                } else {
                    pin_pad(view)
                }
            }
            KeyCode::Char('x') => {
                let v = view.clone();
                self.spawn("Rejecting…", move |app| {
                    let r = app.reject(&pid, &v.request_id);
                    decided(Decision::Reject, v, r)
                });
                Screen::Card(id)
            }
            KeyCode::Char('n') => {
                let v = view.clone();
                self.spawn("Reporting…", move |app| {
                    let r = app.report(&pid, &v.request_id);
                    decided(Decision::Report, v, r)
                });
                Screen::Card(id)
            }
            _ => Screen::Card(id),
        }
    }

    fn key_channel(
        &mut self,
        id: String,
        mut entry: String,
        mut error: Option<String>,
        k: KeyEvent,
    ) -> Screen {
        match k.code {
            KeyCode::Esc => return Screen::Card(id),
            KeyCode::Backspace => {
                entry.pop();
            }
            KeyCode::Enter if !entry.trim().is_empty() => {
                let Some(pid) = self.pid() else {
                    return Screen::Home;
                };
                let (rid, answer) = (id.clone(), entry.trim().to_owned());
                self.spawn("Checking the code…", move |app| {
                    let r = app.confirm_channel(&pid, &rid, answer);
                    Done::ChannelChecked(rid, r)
                });
            }
            KeyCode::Char(c) if entry.len() < 200 && !c.is_control() => {
                entry.push(c);
                error = None;
            }
            _ => {}
        }
        Screen::Channel { id, entry, error }
    }

    fn key_pin(&mut self, mut pad: PinPad, k: KeyEvent) -> Screen {
        match k.code {
            KeyCode::Esc => {
                return match pad.purpose {
                    PinFor::Approve(v) => Screen::Card(v.request_id),
                    PinFor::AddDevice => Screen::Backup,
                    PinFor::Unfreeze(_) => Screen::Freeze { code_entry: None },
                }
            }
            KeyCode::Char(c) if c.is_ascii_digit() => {
                if pad.digits.len() < 6 {
                    pad.digits.push(c);
                    pad.error = None;
                }
                pad.armed_at = None;
            }
            KeyCode::Backspace => {
                pad.digits.pop();
                pad.armed_at = None;
            }
            KeyCode::Right if pad.digits.len() == 6 => {
                if let PinFor::Approve(_) = pad.purpose {
                    let now = Instant::now();
                    match pad.armed_at {
                        Some(t) if now.duration_since(t) <= GESTURE_WINDOW => {
                            self.submit_pin(&mut pad);
                        }
                        _ => pad.armed_at = Some(now),
                    }
                }
            }
            // Operations other than approvals confirm with Enter; an
            // approval needs the → gesture.
            KeyCode::Enter
                if pad.digits.len() == 6 && !matches!(pad.purpose, PinFor::Approve(_)) =>
            {
                self.submit_pin(&mut pad);
            }
            _ => {}
        }
        Screen::Pin(pad)
    }

    fn submit_pin(&mut self, pad: &mut PinPad) {
        let Some(pid) = self.pid() else { return };
        // Move the digits out; the pad keeps an empty (wiped) buffer.
        let pin: String = std::mem::take(&mut *pad.digits);
        pad.armed_at = None;
        match pad.purpose.clone() {
            PinFor::Approve(v) => self.spawn("Checking your PIN with the service…", move |app| {
                let r = app.approve(&pid, &v.request_id, pin);
                decided(Decision::Approve, *v, r)
            }),
            PinFor::AddDevice => self.spawn("Checking your PIN…", move |app| {
                Done::AdditionStarted(app.start_device_addition(&pid, pin))
            }),
            PinFor::Unfreeze(code) => self.spawn("Checking your PIN…", move |app| {
                Done::Unfrozen(app.unfreeze(&pid, pin, code))
            }),
        }
    }

    fn key_backup(&mut self, k: KeyEvent) -> Screen {
        let Some(pid) = self.pid() else {
            return Screen::Home;
        };
        let additions = self
            .status
            .as_ref()
            .map(|s| s.additions.clone())
            .unwrap_or_default();
        match k.code {
            KeyCode::Esc | KeyCode::Char('h') => {
                self.pairing = None;
                return Screen::Home;
            }
            KeyCode::Char('r') => self.load_status(),
            KeyCode::Char('a') => {
                return Screen::Pin(PinPad {
                    purpose: PinFor::AddDevice,
                    digits: Zeroizing::new(String::new()),
                    armed_at: None,
                    error: None,
                })
            }
            KeyCode::Char('v') => {
                if let Some(a) = additions.iter().find(|a| a.status == "waiting") {
                    let id = a.addition_id.clone();
                    self.spawn("Stopping the addition…", move |app| {
                        Done::Vetoed(app.veto_device_addition(&pid, id))
                    });
                } else {
                    self.flash = Some((true, "No device addition is waiting.".into()));
                }
            }
            KeyCode::Char('p') => {
                if let Some(a) = additions.iter().find(|a| a.status == "ready") {
                    let id = a.addition_id.clone();
                    self.spawn("Fetching the pairing code…", move |app| {
                        Done::Pairing(app.pairing_code(&pid, id))
                    });
                } else {
                    self.flash = Some((
                        true,
                        "No device addition is ready: start one (a) and wait until its waiting period is over."
                            .into(),
                    ));
                }
            }
            _ => {}
        }
        Screen::Backup
    }

    fn key_freeze(&mut self, code_entry: Option<String>, k: KeyEvent) -> Screen {
        let Some(pid) = self.pid() else {
            return Screen::Home;
        };
        let frozen = self.status.as_ref().is_some_and(|s| s.frozen);
        if let Some(mut code) = code_entry {
            match k.code {
                KeyCode::Esc => return Screen::Freeze { code_entry: None },
                KeyCode::Backspace => {
                    code.pop();
                }
                KeyCode::Enter if !code.trim().is_empty() => {
                    return Screen::Pin(PinPad {
                        purpose: PinFor::Unfreeze(Some(code.trim().to_owned())),
                        digits: Zeroizing::new(String::new()),
                        armed_at: None,
                        error: None,
                    })
                }
                KeyCode::Char(c) if code.len() < 20 && (c.is_ascii_alphanumeric() || c == '-') => {
                    code.push(c.to_ascii_uppercase());
                }
                _ => {}
            }
            return Screen::Freeze {
                code_entry: Some(code),
            };
        }
        match k.code {
            KeyCode::Esc | KeyCode::Char('h') => return Screen::Home,
            KeyCode::Char('y') if !frozen => {
                self.spawn("Freezing…", move |app| Done::Frozen(app.freeze(&pid)));
            }
            KeyCode::Char('u') if frozen => {
                return Screen::Pin(PinPad {
                    purpose: PinFor::Unfreeze(None),
                    digits: Zeroizing::new(String::new()),
                    armed_at: None,
                    error: None,
                })
            }
            KeyCode::Char('c') if frozen => {
                return Screen::Freeze {
                    code_entry: Some(String::new()),
                }
            }
            KeyCode::Char('s') => return Screen::Support,
            _ => {}
        }
        Screen::Freeze { code_entry: None }
    }

    fn key_form(&mut self, mut form: Form, k: KeyEvent) -> Screen {
        let last = form.fields.len() - 1;
        match k.code {
            KeyCode::Esc => {
                self.quit = true;
            }
            KeyCode::F(2) => {
                let mode = match form.mode {
                    FormMode::Code => FormMode::Pairing,
                    FormMode::Pairing => FormMode::Code,
                };
                return Screen::Activate(Form::new(mode, &self.profile_name));
            }
            KeyCode::Tab | KeyCode::Down => form.focus = (form.focus + 1).min(last),
            KeyCode::BackTab | KeyCode::Up => form.focus = form.focus.saturating_sub(1),
            KeyCode::Enter if form.focus < last => form.focus += 1,
            KeyCode::Enter => self.submit_form(&mut form),
            KeyCode::Backspace => {
                form.fields[form.focus].value.pop();
                form.error = None;
            }
            KeyCode::Char(c) => form_char(&mut form, c),
            _ => {}
        }
        Screen::Activate(form)
    }

    fn submit_form(&mut self, form: &mut Form) {
        if let Some(problem) = form.pin_problem() {
            form.error = Some(problem);
            return;
        }
        let pin_field = form
            .fields
            .iter()
            .position(|f| f.label.starts_with("New PIN"))
            .unwrap_or(0);
        let repeat_field = form
            .fields
            .iter()
            .position(|f| f.label.starts_with("Repeat"))
            .unwrap_or(0);
        if form.fields[pin_field].value.len() != 6 {
            form.error = Some("A PIN is exactly 6 digits.".into());
            form.focus = pin_field;
            return;
        }
        if *form.fields[repeat_field].value != *form.fields[pin_field].value {
            form.error = Some("The two PINs differ.".into());
            form.focus = repeat_field;
            return;
        }
        let name = form.value("Device name");
        let pin: String = std::mem::take(&mut *form.fields[pin_field].value);
        form.fields[repeat_field].value.clear();
        form.error = None;
        match form.mode {
            FormMode::Code => {
                let user = form.value("User ID");
                if let Err(e) = UserId::parse(user.trim()) {
                    form.error = Some(format!("User ID: {e}"));
                    form.focus = 0;
                    return;
                }
                let code = form.value("Activation code");
                self.spawn(
                    "Activating: making this device's key and checking the code…",
                    move |app| {
                        Done::Activated(app.activate(user.trim().to_owned(), code, pin, name))
                    },
                );
            }
            FormMode::Pairing => {
                let code = form.value("Pairing code");
                self.spawn("Joining with the pairing code…", move |app| {
                    Done::Activated(app.activate_with_pairing_code(
                        code.trim().to_owned(),
                        pin,
                        name,
                    ))
                });
            }
        }
    }
}

fn decided(decision: Decision, view: RequestView, result: Result<DecisionOutcome, Error>) -> Done {
    Done::Decided(Box::new(Decided {
        decision,
        view,
        result,
    }))
}

fn form_char(form: &mut Form, c: char) {
    let field = &mut form.fields[form.focus];
    if field.value.chars().count() >= field.max || c.is_control() {
        return;
    }
    if field.pin && !c.is_ascii_digit() {
        return;
    }
    field.value.push(c);
    form.error = form.pin_problem();
}

/// The name of a language the app offers.
pub(crate) fn language_name(code: &str) -> &'static str {
    match code {
        "kl" => "Greenlandic (kalaallisut)",
        "da" => "Danish (dansk)",
        _ => "English",
    }
}

fn pin_error_text(e: &Error) -> String {
    match e {
        Error::WrongPin { attempts_left } => {
            format!("Wrong PIN. {attempts_left} attempts left before this device is blocked.")
        }
        Error::Pin(p) => p.to_string(),
        other => describe(other),
    }
}

/// A core error in the words the app uses (times in the viewer's zone).
fn describe(e: &Error) -> String {
    match e {
        Error::DeviceSuspended { until_ms } => format!(
            "Too many wrong PINs: this device is suspended until {}.",
            local_time(*until_ms)
        ),
        other => other.to_string(),
    }
}

/// The PIN pad for approving `view`.
fn pin_pad(view: RequestView) -> Screen {
    Screen::Pin(PinPad {
        purpose: PinFor::Approve(Box::new(view)),
        digits: Zeroizing::new(String::new()),
        armed_at: None,
        error: None,
    })
}

fn failure(e: &Error, what: String) -> Outcome {
    let title = match e {
        Error::RequestExpired => "The request has expired",
        Error::AlreadyDecided => "Already decided",
        Error::Network(_) => "Service unreachable",
        Error::DeviceSuspended { .. } => "This device is suspended",
        Error::DeviceBlocked => "This device is blocked",
        _ => "It did not work",
    };
    Outcome {
        good: false,
        title: title.into(),
        lines: vec![what, describe(e), "Nothing was approved.".into()],
        offer_freeze: false,
    }
}

/// "14:05" in the viewer's zone for a time in ms since the epoch.
pub(crate) fn local_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(crate::app::support::local_zone())
                .strftime("%H:%M:%S")
                .to_string()
        })
        .unwrap_or_else(|_| "?".into())
}
