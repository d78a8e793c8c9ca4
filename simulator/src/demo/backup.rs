//! The `backup` scenario: Aviaja adds tablet B to her identity from phone A.
//! Adding a device is the moment attackers use, so it is slow (a 1-hour
//! wait), loud (every device and channel is told) and approved (the PIN on
//! phone A, then a one-time pairing code valid 3 minutes). Then an addition
//! she did not start is vetoed, the identity frozen and unfrozen, and the
//! activity log read and checked. Each scene checks its own outcome.

use akuersi_protocol::wire::{AdditionStatus, Channel};
use std::time::Instant;

use akuersi_core::app::Profile;
use akuersi_core::device::DeviceView;
use akuersi_core::transport::{call, Transport};
use akuersi_core::Error;
use akuersi_protocol::clock::Clock;
use akuersi_protocol::request::Action;
use akuersi_protocol::wire::{
    parse_pairing_payload, paths, Ack, AdditionView, CodeChannel, CreateIdentity,
    CreateIdentityResponse, CreateRequest, ErrorCode, IssueActivationCode,
    IssueActivationCodeResponse, NotificationItem, OperatorSetContact, PollResponse,
    PAIRING_PREFIX,
};

use super::{
    files_with, log_on_texts, messages_with, must, short, Device, World, DATABASE_FILES, PIN_A,
    PIN_B, USER_ID,
};
use crate::card::{self, wrap, CARD_WIDTH};
use crate::error::SimError;
use crate::output::Printer;
use crate::timefmt::time_left;

/// The owner's phone number, as the service stores it (E.164).
const PHONE: &str = "+299551234";
/// The same number, as people write it.
const PHONE_SHOWN: &str = "+299 55 12 34";
/// The owner's e-mail address.
const EMAIL: &str = "aviaja@example.gl";
/// The PIN chosen on laptop C.
const PIN_C: &str = "591736";
/// Phone A's new PIN, chosen after someone was seen using the old one.
const NEW_PIN_A: &str = "639247";
/// A user ID no identity has.
const NOBODY: &str = "Nobody-Here";
/// The extra installations' files (the service, phone A and tablet B use
/// [`DATABASE_FILES`]).
const EXTRA_FILES: [&str; 2] = ["laptop-c.sqlite", "phone-d.sqlite"];
/// Activity-log entries shown on one page.
const LOG_PAGE: u32 = 10;

/// Run the seven scenes on `w` (whose phone A and tablet B have no profile
/// yet), opening two more installations in its data folder.
pub(super) fn run(p: &mut Printer, w: &World, kdf_iterations: u32) -> Result<(), SimError> {
    let open = |label, name, platform, pin, file| {
        Device::open(
            label,
            name,
            platform,
            pin,
            file,
            &w.dir,
            &w.service,
            &w.clock,
            kdf_iterations,
        )
    };
    let laptop = open(
        "laptop C",
        "Aviaja's work laptop",
        "linux",
        PIN_C,
        EXTRA_FILES[0],
    )?;
    let spare = open("phone D", "Old phone", "android", PIN_C, EXTRA_FILES[1])?;
    let mut s = Story {
        w,
        laptop,
        spare,
        seen: 0,
        identity_id: String::new(),
        phone: None,
        tablet: None,
        laptop_profile: None,
    };
    s.phone_and_contacts(p)?;
    let addition = s.start_addition(p)?;
    s.too_early(p, &addition)?;
    let payload = s.pairing(p, &addition)?;
    s.once_and_at_most_three(p, &payload)?;
    s.veto_freeze_unfreeze(p)?;
    s.activity_log(p)
}

fn demo_err(what: impl Into<String>) -> SimError {
    SimError::Demo(what.into())
}

/// "Error::DeviceLimit: …" or "Service(PairingInvalid): …" for an error.
fn describe_err(e: &Error) -> String {
    match e {
        Error::Service { code, message } => format!("{code:?}: {message}"),
        other => format!("Error::{other:?}: {other}"),
    }
}

/// The service's error code inside a core error.
fn code_of(e: &Error) -> Option<ErrorCode> {
    match e {
        Error::Service { code, .. } => Some(*code),
        _ => None,
    }
}

/// Text in a box as wide as the request card.
fn boxed(paragraphs: &[String]) -> Vec<String> {
    let mut content = Vec::new();
    for para in paragraphs {
        content.extend(wrap(para, CARD_WIDTH));
    }
    card::boxed(&content)
}

/// Everything the scenes share.
struct Story<'w> {
    w: &'w World,
    laptop: Device,
    spare: Device,
    /// The last outbox entry already shown.
    seen: u64,
    identity_id: String,
    phone: Option<Profile>,
    tablet: Option<Profile>,
    laptop_profile: Option<Profile>,
}

impl Story<'_> {
    fn phone(&self) -> Result<&Profile, SimError> {
        self.phone
            .as_ref()
            .ok_or_else(|| demo_err("phone A has no profile"))
    }

    fn tablet(&self) -> Result<&Profile, SimError> {
        self.tablet
            .as_ref()
            .ok_or_else(|| demo_err("tablet B has no profile"))
    }

    /// "phone A", "tablet B", … for a device id.
    fn label_of(&self, device_id: &str) -> String {
        let known = [
            (&self.phone, self.w.phone.label),
            (&self.tablet, self.w.tablet.label),
            (&self.laptop_profile, self.laptop.label),
        ];
        known
            .iter()
            .find(|(prof, _)| prof.as_ref().is_some_and(|x| x.device_id == device_id))
            .map(|(_, label)| (*label).to_owned())
            .unwrap_or_else(|| short(device_id))
    }

    fn operator(&self) -> &dyn Transport {
        self.w.operator.as_ref()
    }

    /// The operator prints a paper activation code.
    fn paper_code(&self, p: &mut Printer, for_whom: &str) -> Result<String, SimError> {
        let code: IssueActivationCodeResponse = must(
            "the operator could not issue an activation code",
            call(
                self.operator(),
                paths::OPERATOR_ISSUE_CODE,
                &IssueActivationCode {
                    token: self.w.operator_token.clone(),
                    user_id: USER_ID.into(),
                    channel: CodeChannel::Paper,
                },
            ),
        )?;
        p.line(format!(
            "Operator prints a paper activation code for {for_whom}: {} (valid until {})",
            code.code,
            self.w.at(code.expires_at_ms)
        ))?;
        Ok(code.code)
    }

    /// The outbox entries not shown yet, read through the operator API.
    fn new_outbox(&mut self) -> Result<Vec<NotificationItem>, SimError> {
        let items = must(
            "the operator could not read the outbox",
            crate::operator::read_outbox(
                self.operator(),
                &self.w.operator_token,
                Some(USER_ID),
                self.seen,
            ),
        )?;
        if let Some(last) = items.last() {
            self.seen = last.id;
        }
        Ok(items)
    }

    /// Print the new outbox entries as three inboxes (app, SMS, e-mail) and
    /// check that `event` reached each of them. Unless `full`, inboxes that
    /// got the very same messages are shown as one box.
    fn inboxes(&mut self, p: &mut Printer, event: &str, full: bool) -> Result<(), SimError> {
        let items = self.new_outbox()?;
        let inboxes = [
            (
                "app",
                "",
                "App (shown when a device opens the app)".to_owned(),
            ),
            ("sms", PHONE, format!("SMS to {PHONE_SHOWN}")),
            ("email", EMAIL, format!("E-mail to {EMAIL}")),
        ];
        let mine = |channel: &str, address: &str| -> Vec<&NotificationItem> {
            items
                .iter()
                .filter(|n| n.channel.as_str() == channel && n.address == address)
                .collect()
        };
        let paras = |list: &[&NotificationItem]| -> Vec<String> {
            let mut paras = Vec::new();
            for n in list {
                paras.push(format!("{} · {}", self.w.at(n.at_ms), n.event));
                paras.push(n.text.clone());
            }
            if paras.is_empty() {
                paras.push("(nothing new)".into());
            }
            paras
        };
        let per_inbox: Vec<Vec<&NotificationItem>> =
            inboxes.iter().map(|(c, a, _)| mine(c, a)).collect();
        let everywhere = per_inbox
            .iter()
            .all(|list| list.iter().any(|n| n.event == event));
        let same = per_inbox.windows(2).all(|w| paras(&w[0]) == paras(&w[1]));
        if same && !full {
            p.line(format!(
                "The service's outbox: the same new message in all three inboxes (app, SMS to \
                 {PHONE_SHOWN}, e-mail to {EMAIL}):"
            ))?;
            p.screen(&boxed(&paras(&per_inbox[0])))?;
        } else {
            p.line("The service's outbox, as three inboxes (new messages only):")?;
            for ((_, _, title), list) in inboxes.iter().zip(&per_inbox) {
                p.detail(format!("{title}: {} new", list.len()))?;
                p.screen(&boxed(&paras(list)))?;
            }
        }
        let elsewhere: Vec<String> = items
            .iter()
            .filter(|n| {
                !inboxes
                    .iter()
                    .any(|(c, a, _)| n.channel.as_str() == *c && n.address == *a)
            })
            .map(|n| format!("{} to {}", n.channel, n.address))
            .collect();
        if !elsewhere.is_empty() {
            p.detail(format!("also sent: {}", elsewhere.join(", ")))?;
        }
        p.check(
            everywhere,
            format!("\"{event}\" reached the app, the SMS inbox and the e-mail inbox"),
        )?;
        Ok(())
    }

    /// Print a device's identity-status screen: frozen or not, additions
    /// under way with their time left.
    fn status_screen(
        &self,
        p: &mut Printer,
        dev: &Device,
        profile: &Profile,
    ) -> Result<Vec<AdditionView>, SimError> {
        let st = dev.app.identity_status(&profile.profile_id)?;
        let now = self.w.clock.now_ms();
        let mut paras = vec![format!(
            "{} · {}",
            st.user_id,
            if st.frozen { "FROZEN" } else { "active" }
        )];
        for a in &st.additions {
            let by = if a.started_by == profile.device_id {
                "this device".to_owned()
            } else {
                self.label_of(&a.started_by)
            };
            paras.push(format!(
                "New device being added (started on {by} at {})",
                self.w.at(a.started_at_ms)
            ));
            paras.push(match a.status.as_str() {
                "waiting" => format!(
                    "Waiting period: {} (until {})",
                    time_left(a.wait_until_ms - now),
                    self.w.at(a.wait_until_ms)
                ),
                other => format!("Status: {other}"),
            });
            paras.push(
                if a.status == AdditionStatus::Ready && a.started_by == profile.device_id {
                    "[Show pairing code]  [Stop it: not me!]".to_owned()
                } else {
                    "[Stop it: not me!]".to_owned()
                },
            );
        }
        if st.additions.is_empty() {
            paras.push("No device is being added.".into());
        }
        paras.push(format!(
            "Notices go to: {}",
            card::channel_list(&st.channels)
        ));
        paras.extend(st.warnings.iter().map(|w| format!("! {w}")));
        p.line(format!("{} shows the identity's status:", dev.label))?;
        p.screen(&boxed(&paras))?;
        Ok(st.additions)
    }

    /// Print a device list as `dev` shows it.
    fn device_list(
        &self,
        p: &mut Printer,
        dev: &Device,
        profile: &Profile,
    ) -> Result<Vec<DeviceView>, SimError> {
        let list = dev.app.devices(&profile.profile_id)?;
        p.line(format!("{}'s device list:", dev.label))?;
        let mut paras = Vec::new();
        for d in &list {
            paras.push(format!(
                "{} ({}, {}){}",
                d.name,
                d.platform,
                d.status,
                if d.this_device { " · THIS DEVICE" } else { "" },
            ));
            paras.push(format!(
                "  enrolled {}, last used {}",
                self.w.at(d.enrolled_at_ms),
                self.w.at(d.last_used_at_ms),
            ));
        }
        p.screen(&boxed(&paras))?;
        Ok(list)
    }

    // -------------------------------------------------------------- scene 1

    /// Scene 1: the identity with phone A; the operator sets the contact data.
    fn phone_and_contacts(&mut self, p: &mut Printer) -> Result<(), SimError> {
        p.scene(1, "Phone A, and where notices go")?;
        let created: CreateIdentityResponse = must(
            "the operator could not create the identity",
            call(
                self.operator(),
                paths::OPERATOR_CREATE_IDENTITY,
                &CreateIdentity {
                    token: self.w.operator_token.clone(),
                    user_id: USER_ID.into(),
                },
            ),
        )?;
        self.identity_id = created.identity_id;
        p.line(format!(
            "Operator (citizen service centre) creates the identity \"{USER_ID}\" -> identity {}",
            short(&self.identity_id)
        ))?;
        let code = self.paper_code(p, "phone A")?;
        let dev = &self.w.phone;
        let (phone, ms) = dev.activate_timed(code)?;
        p.line(format!(
            "{} activates with it; Aviaja chooses PIN {} ({ms} ms)",
            dev.who(),
            dev.pin
        ))?;
        self.phone = Some(phone.clone());
        self.status_screen(p, dev, &phone)?;
        let st = dev.app.identity_status(&phone.profile_id)?;
        p.check(
            st.channels == [Channel::App] && !st.warnings.is_empty(),
            "with only the app as a channel, the app warns that fewer than two channels are set up",
        )?;

        let _: Ack = must(
            "the operator could not set the contact data",
            call(
                self.operator(),
                paths::OPERATOR_SET_CONTACT,
                &OperatorSetContact {
                    token: self.w.operator_token.clone(),
                    user_id: USER_ID.into(),
                    phone: Some(PHONE.into()),
                    email: Some(EMAIL.into()),
                },
            ),
        )?;
        p.line(format!(
            "Aviaja asks support to add her phone number {PHONE_SHOWN} and e-mail {EMAIL}; \
             the operator sets them"
        ))?;
        self.inboxes(p, "contact_changed", true)?;
        let st = dev.app.identity_status(&phone.profile_id)?;
        p.line(format!(
            "Phone A now lists the channels {}",
            card::channel_list(&st.channels)
        ))?;
        p.check(
            st.channels == [Channel::App, Channel::Sms, Channel::Email] && st.warnings.is_empty(),
            "three channels set up, and the warning is gone",
        )?;
        let shown = dev.app.notifications(&phone.profile_id)?;
        let events: Vec<&str> = shown.iter().map(|n| n.event.as_str()).collect();
        p.line(format!(
            "Aviaja opens the app on phone A; it fetches its notices only now: {}",
            events.join(", ")
        ))?;
        p.check(
            shown.iter().all(|n| n.channel == Channel::App) && events.contains(&"contact_changed"),
            "the app channel's notices reach phone A when the app is opened",
        )?;
        Ok(())
    }

    // -------------------------------------------------------------- scene 2

    /// Scene 2: phone A starts an addition with the PIN; the wait starts and
    /// every channel is told.
    fn start_addition(&mut self, p: &mut Printer) -> Result<AdditionView, SimError> {
        p.scene(
            2,
            "Phone A asks to add a device: one hour's wait, told everywhere",
        )?;
        let phone = self.phone()?.clone();
        let dev = &self.w.phone;
        p.line(format!(
            "On phone A Aviaja taps \"Add a device\" and confirms with her PIN {PIN_A}:"
        ))?;
        let before = dev.wire.count();
        let add = must(
            "phone A could not start the addition",
            dev.app
                .start_device_addition(&phone.profile_id, PIN_A.into()),
        )?;
        dev.show_sent(p, before)?;
        p.line(format!(
            "  -> addition {}: {}, started {}, ready at {}",
            short(&add.addition_id),
            add.status,
            self.w.at(add.started_at_ms),
            self.w.at(add.wait_until_ms)
        ))?;
        p.check(
            add.status == AdditionStatus::Waiting
                && add.wait_until_ms - add.started_at_ms == 3_600_000,
            "the waiting period of 1 hour started, on the service's clock",
        )?;
        self.inboxes(p, "device_addition_started", true)?;
        let text = self
            .w
            .service
            .outbox(Some(USER_ID), 0)?
            .into_iter()
            .rev()
            .find(|n| n.event == "device_addition_started")
            .map(|n| n.text)
            .unwrap_or_default();
        let label = akuersi_server::notify::DeviceLabel::of(&phone.device_id);
        p.check(
            text.contains(label.as_str())
                && !text.contains(self.w.phone.name)
                && text.contains("60"),
            "the notice names the device that started it by its label (never by the name, which \
             needs no PIN to change) and the 60-minute wait, and says what to do if this was not \
             you: stop it and freeze",
        )?;
        self.w.advance(p, 20 * 60_000, "Aviaja makes coffee")?;
        let additions = self.status_screen(p, &self.w.phone, &phone)?;
        let left = additions
            .first()
            .map(|a| a.wait_until_ms - self.w.clock.now_ms());
        p.check(
            additions.len() == 1
                && additions[0].addition_id == add.addition_id
                && additions[0].status == AdditionStatus::Waiting
                && left == Some(40 * 60_000),
            "phone A shows the addition waiting, with 40:00 left",
        )?;
        Ok(add)
    }

    // -------------------------------------------------------------- scene 3

    /// Scene 3: no pairing code before the wait is over.
    fn too_early(&mut self, p: &mut Printer, add: &AdditionView) -> Result<(), SimError> {
        p.scene(3, "Too early")?;
        let phone = self.phone()?.clone();
        p.line("Aviaja taps \"Show pairing code\" anyway:")?;
        let r = self
            .w
            .phone
            .app
            .pairing_code(&phone.profile_id, add.addition_id.clone());
        match &r {
            Ok(code) => p.line(format!("  -> a code, {}", code.payload))?,
            Err(e) => p.line(format!("  -> {}", describe_err(e)))?,
        }
        p.check(
            matches!(&r, Err(e) if code_of(e) == Some(ErrorCode::AdditionNotReady)),
            "refused with AdditionNotReady: the waiting period is not over",
        )?;
        let rest = add.wait_until_ms - self.w.clock.now_ms();
        self.w.advance(p, rest, "the hour is over")?;
        let additions = self.status_screen(p, &self.w.phone, &phone)?;
        p.check(
            additions
                .first()
                .is_some_and(|a| a.status == AdditionStatus::Ready),
            "the addition is ready: the pairing code can be shown",
        )?;
        Ok(())
    }

    // -------------------------------------------------------------- scene 4

    /// Scene 4: phone A shows the one-time code; tablet B joins with it.
    fn pairing(&mut self, p: &mut Printer, add: &AdditionView) -> Result<String, SimError> {
        p.scene(4, "The pairing code, and tablet B joins")?;
        let phone = self.phone()?.clone();
        let code = must(
            "phone A could not show the pairing code",
            self.w
                .phone
                .app
                .pairing_code(&phone.profile_id, add.addition_id.clone()),
        )?;
        let now = self.w.clock.now_ms();
        p.line("Phone A shows a one-time QR code. The text it encodes:")?;
        p.detail(&code.payload)?;
        p.screen(&boxed(&[
            "Scan this with the new device".to_owned(),
            "[ QR code ]".to_owned(),
            format!(
                "{} (until {}) · one use only",
                time_left(code.expires_at_ms - now),
                self.w.at(code.expires_at_ms)
            ),
        ]))?;
        let parsed = parse_pairing_payload(&code.payload);
        p.check(
            code.payload.starts_with(PAIRING_PREFIX)
                && parsed
                    .as_ref()
                    .is_some_and(|(id, secret)| *id == add.addition_id && secret.len() * 8 >= 112)
                && code.expires_at_ms - now == 180_000,
            "the code names this addition, carries a 128-bit secret and lasts 3 minutes",
        )?;

        self.w.advance(
            p,
            20_000,
            "Aviaja points tablet B's camera at phone A's screen",
        )?;
        let dev = &self.w.tablet;
        let t = Instant::now();
        let tablet = must(
            "tablet B could not join",
            dev.app.activate_with_pairing_code(
                code.payload.clone(),
                dev.pin.into(),
                dev.name.into(),
            ),
        )?;
        p.line(format!(
            "{} scans it, makes its own key and device secret, and Aviaja \
             chooses PIN {} on it ({} ms)",
            dev.who(),
            dev.pin,
            t.elapsed().as_millis()
        ))?;
        dev.show_sent(p, 0)?;
        p.detail(
            "addition/complete: the new device's key, name and SPAKE2+ verifier, an HMAC under \
             the code's secret (proof it saw the code) and its signature (proof it holds the key)",
        )?;
        p.check(
            tablet.identity_id == self.identity_id && tablet.user_id == USER_ID,
            format!("tablet B joined {USER_ID}'s identity"),
        )?;
        self.tablet = Some(tablet.clone());
        let list = self.device_list(p, dev, &tablet)?;
        p.check(
            list.len() == 2
                && list
                    .iter()
                    .filter(|d| d.this_device)
                    .all(|d| d.device_id == tablet.device_id)
                && list.iter().filter(|d| d.this_device).count() == 1,
            "two devices, and tablet B marks itself as \"this device\"",
        )?;
        self.inboxes(p, "device_addition_completed", false)?;
        let additions = self
            .w
            .phone
            .app
            .identity_status(&phone.profile_id)?
            .additions;
        p.check(additions.is_empty(), "the addition is closed on phone A")?;
        Ok(code.payload)
    }

    // -------------------------------------------------------------- scene 5

    /// Scene 5: the code works once; a third device fills the identity and a
    /// fourth is refused; the third is removed again.
    fn once_and_at_most_three(&mut self, p: &mut Printer, payload: &str) -> Result<(), SimError> {
        p.scene(5, "Once only, and three devices at most")?;
        self.w
            .advance(p, 30_000, "still within the code's 3 minutes")?;
        p.line("Someone photographed the QR code and tries it on laptop C:")?;
        let r = self.laptop.app.activate_with_pairing_code(
            payload.to_owned(),
            PIN_C.into(),
            "Copied tablet".into(),
        );
        match &r {
            Ok(_) => p.line("  -> joined")?,
            Err(e) => p.line(format!("  -> {}", describe_err(e)))?,
        }
        p.check(
            matches!(&r, Err(e) if code_of(e) == Some(ErrorCode::PairingInvalid))
                && self.laptop.app.profiles()?.is_empty(),
            "refused with PairingInvalid: the code was used once; laptop C holds no profile",
        )?;

        let code = self.paper_code(p, "laptop C")?;
        let dev = &self.laptop;
        let (laptop, _) = dev.activate_timed(code)?;
        p.line(format!(
            "{} activates with it; Aviaja chooses PIN {} on it",
            dev.who(),
            dev.pin
        ))?;
        self.laptop_profile = Some(laptop.clone());
        let notices: Vec<String> = self
            .new_outbox()?
            .iter()
            .map(|n| {
                let to = if n.address.is_empty() {
                    n.channel.to_string()
                } else {
                    n.address.clone()
                };
                format!("{} to {to}", n.event)
            })
            .collect();
        p.detail(format!("notices: {}", notices.join("; ")))?;

        let phone = self.phone()?.clone();
        let active = self.w.phone.app.devices(&phone.profile_id)?.len();
        p.line(format!(
            "The identity has {active} devices. On phone A Aviaja taps \"Add a device\" again:"
        ))?;
        let failures_before = self.w.service.device_info(&phone.device_id)?.pin_failures;
        let r = self
            .w
            .phone
            .app
            .start_device_addition(&phone.profile_id, PIN_A.into());
        match &r {
            Ok(a) => p.line(format!("  -> addition {} started", short(&a.addition_id)))?,
            Err(e) => p.line(format!("  -> {}", describe_err(e)))?,
        }
        p.check(
            active == 3 && matches!(r, Err(Error::DeviceLimit)),
            "a 4th device is refused (DeviceLimit) when there are 3",
        )?;
        let failures_after = self.w.service.device_info(&phone.device_id)?.pin_failures;
        if failures_after > failures_before {
            p.line(format!(
                "(Phone A proved its PIN before the service looked at the device count, so the \
                 attempt stays counted until the next correct PIN: {failures_after} failure(s).)"
            ))?;
        }
        let code = self.paper_code(p, "phone D")?;
        let dev = &self.spare;
        let r = dev
            .app
            .activate(USER_ID.into(), code, dev.pin.into(), dev.name.into());
        match &r {
            Ok(_) => p.line(format!("{} activates with it: joined", dev.label))?,
            Err(e) => p.line(format!(
                "{} tries to activate with it: {}",
                dev.label,
                describe_err(e)
            ))?,
        }
        p.check(
            matches!(r, Err(Error::DeviceLimit)) && dev.app.profiles()?.is_empty(),
            "an activation code cannot add a 4th device either",
        )?;

        p.line(format!(
            "Aviaja returns the work laptop: on phone A she removes laptop C, with her PIN {PIN_A}"
        ))?;
        must(
            "phone A could not remove laptop C",
            self.w.phone.app.remove_device(
                &phone.profile_id,
                laptop.device_id.clone(),
                PIN_A.into(),
                false,
            ),
        )?;
        self.inboxes(p, "device_removed", false)?;
        let left = self.w.phone.app.devices(&phone.profile_id)?;
        p.check(
            left.len() == 2 && left.iter().all(|d| d.device_id != laptop.device_id),
            "phone A and tablet B remain",
        )?;
        Ok(())
    }

    // -------------------------------------------------------------- scene 6

    /// Scene 6: an addition Aviaja did not start; veto and freeze from
    /// tablet B; a request meets a frozen identity; unfreeze with two PINs.
    fn veto_freeze_unfreeze(&mut self, p: &mut Printer) -> Result<(), SimError> {
        p.scene(
            6,
            "An addition Aviaja did not start: veto, freeze, unfreeze",
        )?;
        let phone = self.phone()?.clone();
        let tablet = self.tablet()?.clone();
        self.w.advance(p, 2 * 3_600_000, "that afternoon")?;
        p.line(format!(
            "At the café someone who watched Aviaja type {PIN_A} picks up phone A while she \
             looks away, and starts adding a device of their own:"
        ))?;
        let add = must(
            "the addition on phone A could not start",
            self.w
                .phone
                .app
                .start_device_addition(&phone.profile_id, PIN_A.into()),
        )?;
        p.line(format!(
            "  -> addition {}: {}, ready at {}",
            short(&add.addition_id),
            add.status,
            self.w.at(add.wait_until_ms)
        ))?;
        self.w
            .advance(p, 3 * 60_000, "Aviaja's phone buzzes with an SMS")?;
        self.inboxes(p, "device_addition_started", false)?;
        p.line("She did not start this. She opens the app on tablet B:")?;
        let additions = self.status_screen(p, &self.w.tablet, &tablet)?;
        p.check(
            additions.first().is_some_and(|a| {
                a.addition_id == add.addition_id && a.status == AdditionStatus::Waiting
            }),
            "tablet B sees the addition started on phone A, still in its wait",
        )?;
        p.line("She taps \"Stop it: not me!\" on tablet B (no PIN needed):")?;
        must(
            "tablet B could not veto",
            self.w
                .tablet
                .app
                .veto_device_addition(&tablet.profile_id, add.addition_id.clone()),
        )?;
        self.inboxes(p, "device_addition_vetoed", false)?;
        let r = self
            .w
            .phone
            .app
            .pairing_code(&phone.profile_id, add.addition_id.clone());
        p.line(format!(
            "Whoever holds phone A asks for the pairing code: {}",
            match &r {
                Ok(_) => "a code".to_owned(),
                Err(e) => describe_err(e),
            }
        ))?;
        p.check(
            matches!(&r, Err(e) if code_of(e) == Some(ErrorCode::PairingInvalid)),
            "the vetoed addition is closed for good (PairingInvalid)",
        )?;

        p.line("The app offers to freeze the identity; Aviaja taps \"Freeze\" on tablet B:")?;
        let before = self.w.tablet.wire.count();
        must(
            "tablet B could not freeze",
            self.w.tablet.app.freeze(&tablet.profile_id),
        )?;
        let sent = self.w.tablet.show_sent(p, before)?;
        p.check(
            sent == [paths::FREEZE],
            "frozen with one signed message and no PIN: speed first",
        )?;
        self.inboxes(p, "identity_frozen", false)?;

        self.w.advance(p, 60_000, "a minute later")?;
        p.line(
            "Demo Bank is asked to log on as Aviaja, and, for comparison, as a user ID nobody has:",
        )?;
        let frozen = self.raw_log_on(p, USER_ID)?;
        let unknown = self.raw_log_on(p, NOBODY)?;
        p.check(
            frozen.0 == unknown.0 && keys(&frozen.1) == keys(&unknown.1),
            "the frozen identity's answer looks exactly like an unknown user ID's",
        )?;
        let (pf, pu) = (self.poll_raw(&frozen.1)?, self.poll_raw(&unknown.1)?);
        p.line(format!(
            "Demo Bank polls both: \"{}\" and \"{}\"",
            pf.status.as_str(),
            pu.status.as_str()
        ))?;
        p.check(pf.status == pu.status, "and so do the polls")?;
        let seen = self.w.phone.app.refresh(&phone.profile_id)?;
        let seen_b = self.w.tablet.app.refresh(&tablet.profile_id)?;
        p.line(format!(
            "Phone A and tablet B, opened: {} and {} request(s)",
            seen.len(),
            seen_b.len()
        ))?;
        p.check(
            seen.is_empty() && seen_b.is_empty(),
            "nothing reaches the app while the identity is frozen",
        )?;

        self.w.advance(
            p,
            30 * 60_000,
            "Aviaja has phone A back, and both devices in hand",
        )?;
        p.line(format!(
            "To unfreeze she types phone A's PIN {PIN_A} on phone A:"
        ))?;
        let one = must(
            "phone A could not give its unfreeze proof",
            self.w
                .phone
                .app
                .unfreeze(&phone.profile_id, PIN_A.into(), None),
        )?;
        p.line(format!(
            "  -> unfrozen: {}, waiting for a second proof: {}",
            one.unfrozen, one.waiting_for_second_proof
        ))?;
        let still = self.w.phone.app.identity_status(&phone.profile_id)?.frozen;
        p.check(
            !one.unfrozen && one.waiting_for_second_proof && still,
            "one proof alone is not enough: \"waiting for a second proof\", still frozen",
        )?;
        self.w.advance(p, 40_000, "she picks up tablet B")?;
        p.line(format!("and tablet B's PIN {PIN_B} on tablet B:"))?;
        let two = must(
            "tablet B could not give its unfreeze proof",
            self.w
                .tablet
                .app
                .unfreeze(&tablet.profile_id, PIN_B.into(), None),
        )?;
        p.line(format!(
            "  -> unfrozen: {}, waiting for a second proof: {}",
            two.unfrozen, two.waiting_for_second_proof
        ))?;
        p.check(
            two.unfrozen && !self.w.phone.app.identity_status(&phone.profile_id)?.frozen,
            "the PIN on phone A plus the PIN on tablet B unfreeze the identity",
        )?;
        self.inboxes(p, "identity_unfrozen", false)?;
        p.line(format!(
            "Someone saw phone A's PIN, so Aviaja changes it to {NEW_PIN_A}:"
        ))?;
        must(
            "phone A could not change its PIN",
            self.w
                .phone
                .app
                .change_pin(&phone.profile_id, PIN_A.into(), NEW_PIN_A.into()),
        )?;
        self.inboxes(p, "pin_changed", false)?;
        Ok(())
    }

    /// Demo Bank asks for a log-on, and the raw answer (status, JSON) is shown.
    fn raw_log_on(
        &self,
        p: &mut Printer,
        user_id: &str,
    ) -> Result<(u16, serde_json::Value), SimError> {
        let body = self.w.signed(CreateRequest {
            user_id: user_id.into(),
            action: Action::LogOn,
            texts: log_on_texts(),
            ttl_seconds: None,
            channel_binding: None,
            amount: None,
            account: None,
        })?;
        let bytes = serde_json::to_vec(&body)
            .map_err(|e| demo_err(format!("cannot encode the request: {e}")))?;
        let answer = self
            .w
            .requester
            .post(paths::CREATE_REQUEST, bytes)
            .map_err(|e| demo_err(format!("Demo Bank could not reach the service: {e}")))?;
        let json: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| demo_err(format!("the service's answer is not JSON: {e}")))?;
        p.detail(format!(
            "\"log on\" for {user_id:<12} -> status {}, fields {}",
            answer.status,
            keys(&json).join(", ")
        ))?;
        Ok((answer.status, json))
    }

    /// Demo Bank polls a request it made with [`Self::raw_log_on`].
    fn poll_raw(&self, created: &serde_json::Value) -> Result<PollResponse, SimError> {
        let handle = created
            .get("poll_handle")
            .and_then(|h| h.as_str())
            .ok_or_else(|| demo_err("the service gave no poll handle"))?;
        self.w.poll_handle(handle.into())
    }

    // -------------------------------------------------------------- scene 7

    /// Scene 7: the activity log as phone A shows it, checked against the
    /// service's signed head; and a last look for the PINs.
    fn activity_log(&mut self, p: &mut Printer) -> Result<(), SimError> {
        p.scene(7, "The activity log, checked")?;
        let phone = self.phone()?.clone();
        let page = must(
            "phone A could not read the activity log",
            self.w
                .phone
                .app
                .activity_log(&phone.profile_id, 0, LOG_PAGE),
        )?;
        p.line(format!(
            "Phone A fetches the log ({} entries) with a head the service signed now, checks \
             every hash link up to that head and the signature with the service key it \
             learned at activation, then shows page 1, newest first:",
            page.total
        ))?;
        for e in &page.entries {
            let who = e
                .device_id
                .as_deref()
                .map(|d| self.label_of(d))
                .unwrap_or_default();
            p.detail(format!(
                "#{:<3} {:<11} {:<25} {:<9} {}",
                e.seq,
                self.w.at(e.at_ms),
                e.kind,
                who,
                e.detail
            ))?;
        }
        let at_service = self.w.service.activity(&self.identity_id)?.len() as u64;
        let newest_first = page.entries.windows(2).all(|w| w[0].seq == w[1].seq + 1);
        p.check(
            page.total == at_service
                && page.entries.len() as u64 == page.total.min(u64::from(LOG_PAGE))
                && page.entries.first().is_some_and(|e| e.seq == page.total)
                && newest_first,
            format!(
                "the log verified against the service's signed head: {} entries, newest first, \
                 page of {}",
                page.total,
                page.entries.len()
            ),
        )?;
        let kinds: Vec<&str> = page.entries.iter().map(|e| e.kind.as_str()).collect();
        p.check(
            [
                "identity_frozen",
                "device_addition_vetoed",
                "identity_unfrozen",
            ]
            .iter()
            .all(|k| kinds.contains(k)),
            "the page shows the veto, the freeze and the unfreeze",
        )?;

        let devices = [&self.w.phone, &self.w.tablet, &self.laptop, &self.spare];
        let msgs: Vec<_> = devices.iter().flat_map(|d| d.wire.sent()).collect();
        let pins = [PIN_A, PIN_B, PIN_C, NEW_PIN_A];
        p.check(
            messages_with(&msgs, &pins) == 0,
            format!(
                "no PIN's digits occur in any of the {} messages the devices sent",
                msgs.len()
            ),
        )?;
        let (hits, read) = files_with(&self.w.dir, &pins)?;
        p.check(
            hits.is_empty(),
            format!(
                "no file in the data folder holds a PIN's digits ({read} files read{}{})",
                if hits.is_empty() { "" } else { "; found in " },
                hits.join(", ")
            ),
        )?;
        p.line(format!(
            "Databases: {}, {}",
            DATABASE_FILES.join(", "),
            EXTRA_FILES.join(", ")
        ))?;
        Ok(())
    }
}

/// The field names of a JSON object, sorted.
fn keys(v: &serde_json::Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        let b = boxed(&["a".into(), "b c".into()]);
        assert_eq!(b.len(), 4);
        let w = b[0].chars().count();
        assert!(b.iter().all(|l| l.chars().count() == w));
        assert_eq!(
            keys(&serde_json::json!({"b": 1, "a": 2})),
            vec!["a".to_string(), "b".to_string()]
        );
    }
}
