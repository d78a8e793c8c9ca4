//! The phone-like terminal app (ratatui): first-run activation, a home screen
//! that fetches only when the app is opened or refreshed, the request card
//! with its countdown, the PIN pad, approval by a deliberate gesture, and the
//! screens for devices, backup devices, notifications, the activity log,
//! freezing and support.
//!
//! Every call to the service runs on a worker thread, one at a time (device
//! messages carry increasing sequence numbers, so they must not overtake
//! each other); the screen keeps ticking meanwhile.
//!
//! This module holds the `Ui` state, the event loop, the worker's results
//! and the dispatch of keys and drawing; each screen has a file of its own
//! with its key handling and its rendering, and `render` draws the phone
//! frame around them.

mod backup;
mod card;
mod channel;
mod devices;
mod form;
mod freeze;
mod home;
mod log;
mod notifications;
mod outcome;
mod pin;
mod render;
mod rules;
mod support;

use std::process::ExitCode;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use akuersi_core::app::{DecisionOutcome, Installation, Profile, RequestView};
use akuersi_core::device::{ActivityPage, DeviceView, IdentityStatusView, UnfreezeOutcome};
use akuersi_core::Error;
use akuersi_protocol::approval::Decision;
use akuersi_protocol::identity::UserId;
use akuersi_protocol::pin::{Pin, PinError};
use akuersi_protocol::wire::{AdditionView, NotificationItem, PairingPayloadResponse};
use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use zeroize::Zeroizing;

use super::AppArgs;
use crate::error::SimError;
use crate::profile::{self, pick_identity};

use form::form_char;
pub(crate) use form::{Form, FormMode};
use outcome::failure;
use pin::{pin_error_text, pin_pad};
pub(crate) use pin::{PinFor, PinPad};

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
            Screen::Outcome(o) => self.key_outcome(o, k),
            Screen::Backup => self.key_backup(k),
            Screen::Freeze { code_entry } => self.key_freeze(code_entry, k),
            Screen::Channel { id, entry, error } => self.key_channel(id, entry, error, k),
            Screen::Rules { then } => self.key_rules(then, k),
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
}

fn decided(decision: Decision, view: RequestView, result: Result<DecisionOutcome, Error>) -> Done {
    Done::Decided(Box::new(Decided {
        decision,
        view,
        result,
    }))
}

/// The name of a language the app offers.
pub(crate) fn language_name(code: &str) -> &'static str {
    match code {
        "kl" => "Greenlandic (kalaallisut)",
        "da" => "Danish (dansk)",
        _ => "English",
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

/// "14:05" in the viewer's zone for a time in ms since the epoch.
pub(crate) fn local_time(ms: i64) -> String {
    render::local_strftime(ms, "%H:%M:%S")
}
