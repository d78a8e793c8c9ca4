//! The app's actions without the terminal UI, for scripts and tests. Each
//! prints what the phone would show, in plain text. PINs are read from
//! standard input only (`--pin-stdin`), never from the command line.

use akuersi_protocol::wire::AdditionStatus;
use std::process::ExitCode;
use std::sync::Arc;

use akuersi_core::app::{Installation, RequestView};
use akuersi_core::Error;
use akuersi_protocol::wire::MAX_TTL_SECONDS;

use super::{read_pin_stdin, AppArgs};
use crate::card;
use crate::error::SimError;
use crate::profile::{self, pick_identity};
use crate::timefmt::utc;

/// Non-interactive app actions.
#[derive(Debug, clap::Subcommand)]
pub enum AppCommand {
    /// Activate this installation with an activation code, choosing a PIN
    /// (read from standard input).
    Activate {
        /// The owner's user ID.
        #[arg(long, value_name = "USER_ID")]
        user_id: String,
        /// The activation code from the operator (paper or SMS).
        #[arg(long, value_name = "CODE")]
        code: String,
        /// A name for this device.
        #[arg(long, value_name = "NAME", default_value = "Desktop")]
        device_name: String,
        /// Read the new PIN (one line, 6 digits) from standard input.
        #[arg(long, required = true)]
        pin_stdin: bool,
    },
    /// Join an identity with a pairing code shown on an existing device,
    /// choosing this device's own PIN (read from standard input).
    Join {
        /// The pairing code (AKUERSI-PAIR:1:…), valid 3 minutes, usable once.
        #[arg(long, value_name = "CODE")]
        pairing_code: String,
        /// A name for this device.
        #[arg(long, value_name = "NAME", default_value = "Desktop")]
        device_name: String,
        /// Read the new PIN from standard input.
        #[arg(long, required = true)]
        pin_stdin: bool,
    },
    /// Open the app: fetch and print the pending requests.
    Pending,
    /// Approve a pending request with the PIN (read from standard input).
    Approve {
        /// The request id (default: the one pending request).
        #[arg(long, value_name = "ID")]
        request: Option<String>,
        /// The 4-digit code (or QR value) from the screen that started the
        /// request, when it asks for one.
        #[arg(long, value_name = "CODE")]
        code: Option<String>,
        /// Read the PIN from standard input.
        #[arg(long, required = true)]
        pin_stdin: bool,
    },
    /// Type the 4-digit code (or paste the QR value) from the screen that
    /// started a request; 3 wrong codes cancel the request.
    Channel {
        /// The request id (default: the one pending request).
        #[arg(long, value_name = "ID")]
        request: Option<String>,
        /// The code or QR value.
        #[arg(long, value_name = "CODE")]
        code: String,
    },
    /// Reject a pending request.
    Reject {
        /// The request id (default: the one pending request).
        #[arg(long, value_name = "ID")]
        request: Option<String>,
    },
    /// Reject a pending request and report "I did not start this".
    Report {
        /// The request id (default: the one pending request).
        #[arg(long, value_name = "ID")]
        request: Option<String>,
    },
    /// List the identity's devices.
    Devices,
    /// Show the identity's state: frozen, device additions, channels.
    Status,
    /// Freeze the whole identity at once (no PIN needed).
    Freeze,
    /// One proof towards unfreezing: this device's PIN (from standard input),
    /// plus optionally an activation code as the second proof.
    Unfreeze {
        /// An activation code from the operator, as the second proof.
        #[arg(long, value_name = "CODE")]
        activation_code: Option<String>,
        /// Read the PIN from standard input.
        #[arg(long, required = true)]
        pin_stdin: bool,
    },
    /// Start adding a backup device (PIN from standard input); every device
    /// and channel is told, and the pairing code can be shown after the wait.
    AddDevice {
        /// Read the PIN from standard input.
        #[arg(long, required = true)]
        pin_stdin: bool,
    },
    /// Show the one-time pairing code of a device addition whose wait is over.
    PairingCode {
        /// The addition id (default: the one ready).
        #[arg(long, value_name = "ID")]
        addition: Option<String>,
    },
    /// Stop a device addition during its wait ("this was not me").
    Veto {
        /// The addition id (default: the one waiting).
        #[arg(long, value_name = "ID")]
        addition: Option<String>,
    },
    /// Fetch the app's new notifications.
    Notifications,
    /// Show the identity's activity log, after checking its hash chain.
    Log,
    /// Support contact information and opening hours.
    Support,
    /// Choose the language request texts are shown in: kl, da or en.
    Language {
        /// kl (Greenlandic), da (Danish) or en (English).
        #[arg(value_parser = ["kl", "da", "en"])]
        language: String,
    },
}

/// Run one action.
pub fn run(args: &AppArgs, command: AppCommand) -> Result<ExitCode, SimError> {
    if let AppCommand::Support = command {
        for line in super::support::lines(jiff::Timestamp::now(), &super::support::local_zone()) {
            println!("{line}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let app = profile::open(&args.open_options())?;
    match command {
        AppCommand::Activate {
            user_id,
            code,
            device_name,
            ..
        } => {
            let mut pin = read_pin_stdin("New PIN (6 digits, not shown): ")?;
            let p = app.activate(user_id, code, std::mem::take(&mut *pin), device_name)?;
            println!(
                "Activated: {} on this device \"{}\" (device {}).",
                p.user_id, p.device_name, p.device_id
            );
            println!(
                "Requests reach this app only when you open it: `app --profile {} pending`.",
                args.profile
            );
            return Ok(ExitCode::SUCCESS);
        }
        AppCommand::Join {
            pairing_code,
            device_name,
            ..
        } => {
            let mut pin = read_pin_stdin("New PIN for this device (not shown): ")?;
            let p = app.activate_with_pairing_code(
                pairing_code,
                std::mem::take(&mut *pin),
                device_name,
            )?;
            println!(
                "Joined: {} on this device \"{}\" (device {}).",
                p.user_id, p.device_name, p.device_id
            );
            return Ok(ExitCode::SUCCESS);
        }
        _ => {}
    }
    let profile = pick_identity(&app, args.identity.as_deref())?.ok_or_else(|| {
        SimError::Demo(format!(
            "profile {} is not activated yet: run `app --profile {} activate …` or the app itself",
            args.profile, args.profile
        ))
    })?;
    let pid = profile.profile_id.as_str();
    match command {
        AppCommand::Pending => {
            let views = app.refresh(pid)?;
            if views.is_empty() {
                println!(
                    "No requests for {}. (Nothing waits for you.)",
                    profile.user_id
                );
            }
            for v in &views {
                print_card(v);
            }
        }
        AppCommand::Channel { request, code } => {
            let view = shown_request(&app, pid, request.as_deref())?;
            check_channel(&app, pid, &view, &code)?;
        }
        AppCommand::Approve { request, code, .. } => {
            let view = shown_request(&app, pid, request.as_deref())?;
            if let Some(code) = code {
                if view.channel_binding.is_some() && !view.channel_confirmed {
                    check_channel(&app, pid, &view, &code)?;
                }
            }
            if app.needs_security_rules(pid)? {
                println!("Before your first approval, the five security rules:");
                for (i, r) in app.security_rules(pid)?.iter().enumerate() {
                    println!("  {}. {}: {}", i + 1, r.title, r.body);
                }
                app.acknowledge_security_rules(pid)?;
            }
            let mut pin = read_pin_stdin("PIN (not shown): ")?;
            match app.approve(pid, &view.request_id, std::mem::take(&mut *pin)) {
                Ok(o) => println!(
                    "Approved: {} – {} ({}).",
                    view.requester_name,
                    card::action_label(view.action),
                    o.status.as_str()
                ),
                Err(e) => return Err(explain(e)),
            }
        }
        AppCommand::Reject { request } => {
            let view = shown_request(&app, pid, request.as_deref())?;
            let o = app.reject(pid, &view.request_id).map_err(explain)?;
            println!(
                "Rejected: {} – {} ({}). Nothing was approved.",
                view.requester_name,
                card::action_label(view.action),
                o.status.as_str()
            );
        }
        AppCommand::Report { request } => {
            let view = shown_request(&app, pid, request.as_deref())?;
            let o = app.report(pid, &view.request_id).map_err(explain)?;
            println!(
                "Reported: you did not start this ({}). Nothing was approved.",
                o.status.as_str()
            );
            println!("If someone asked you to approve, hang up: nobody may ask you to.");
            println!(
                "Consider freezing your identity (`freeze`) and call support: {}.",
                super::support::phone_shown()
            );
        }
        AppCommand::Devices => {
            for d in app.devices(pid)? {
                println!(
                    "{} {} ({}) – {}, enrolled {}, last used {}{}",
                    if d.this_device { "*" } else { " " },
                    d.name,
                    d.platform,
                    d.status,
                    utc(d.enrolled_at_ms),
                    utc(d.last_used_at_ms),
                    if d.this_device {
                        "  ← this device"
                    } else {
                        ""
                    }
                );
            }
        }
        AppCommand::Status => {
            let s = app.identity_status(pid)?;
            println!("User ID:  {}", s.user_id);
            println!("State:    {}", if s.frozen { "FROZEN" } else { "active" });
            println!("Channels: {}", card::channel_list(&s.channels));
            println!(
                "Notice on every use: {}",
                if s.notify_every_use { "on" } else { "off" }
            );
            for a in &s.additions {
                println!(
                    "Device addition {}: {} (started {}, wait until {})",
                    a.addition_id,
                    a.status,
                    utc(a.started_at_ms),
                    utc(a.wait_until_ms)
                );
            }
            for w in &s.warnings {
                println!("Warning:  {w}");
            }
        }
        AppCommand::Freeze => {
            app.freeze(pid)?;
            println!(
                "Frozen: nothing can be approved on any device until the identity is unfrozen."
            );
            println!(
                "Every device and channel was told. Support: {} ({}).",
                super::support::phone_shown(),
                super::support::WEB_FORM
            );
        }
        AppCommand::Unfreeze {
            activation_code, ..
        } => {
            let mut pin = read_pin_stdin("PIN (not shown): ")?;
            let o = app
                .unfreeze(pid, std::mem::take(&mut *pin), activation_code)
                .map_err(explain)?;
            if o.unfrozen {
                println!("Unfrozen: the identity works again.");
            } else if o.waiting_for_second_proof {
                println!("Proof recorded. A second proof is needed within 15 minutes: another device's PIN, or an activation code.");
            }
        }
        AppCommand::AddDevice { .. } => {
            let mut pin = read_pin_stdin("PIN (not shown): ")?;
            let a = app
                .start_device_addition(pid, std::mem::take(&mut *pin))
                .map_err(explain)?;
            println!(
                "Device addition {} started: every device and channel is told now. The pairing code can be shown from {}.",
                a.addition_id,
                utc(a.wait_until_ms)
            );
        }
        AppCommand::PairingCode { addition } => {
            let id = addition_with_status(&app, pid, addition, AdditionStatus::Ready)?;
            let code = app.pairing_code(pid, id)?;
            println!(
                "Pairing code (valid until {}, usable once):",
                utc(code.expires_at_ms)
            );
            println!("{}", code.payload);
        }
        AppCommand::Veto { addition } => {
            let id = addition_with_status(&app, pid, addition, AdditionStatus::Waiting)?;
            app.veto_device_addition(pid, id)?;
            println!("Stopped the device addition. If you did not start it, freeze your identity and call support.");
        }
        AppCommand::Notifications => {
            let items = app.notifications(pid)?;
            if items.is_empty() {
                println!("No new notifications.");
            }
            for n in items {
                println!("{}  {}", utc(n.at_ms), n.text);
            }
        }
        AppCommand::Log => {
            let page = app.activity_log(pid, 0, 1000)?;
            println!(
                "Activity log of {} ({} entries; hash chain and signed head checked):",
                profile.user_id, page.total
            );
            for e in page.entries {
                println!("{}  {:<24} {}", utc(e.at_ms), e.kind, e.detail);
            }
        }
        AppCommand::Language { language } => {
            app.set_language(pid, language.clone())?;
            println!(
                "Request texts are now shown in {}.",
                super::tui::language_name(&language)
            );
        }
        AppCommand::Activate { .. } | AppCommand::Join { .. } | AppCommand::Support => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn print_card(view: &RequestView) {
    for line in card::render(view, MAX_TTL_SECONDS) {
        println!("{line}");
    }
    println!("request {}", view.request_id);
}

/// The request to act on ([`one_request`]), its card printed.
fn shown_request(
    app: &Arc<Installation>,
    profile_id: &str,
    request: Option<&str>,
) -> Result<RequestView, SimError> {
    let view = one_request(app, profile_id, request)?;
    print_card(&view);
    Ok(view)
}

/// Open the app (fetch) and take the request to act on.
fn one_request(
    app: &Arc<Installation>,
    profile_id: &str,
    request: Option<&str>,
) -> Result<RequestView, SimError> {
    let views = app.refresh(profile_id)?;
    match request {
        Some(id) => views
            .into_iter()
            .find(|v| v.request_id == id)
            .ok_or_else(|| SimError::Demo(format!("no pending request {id}"))),
        None => views.into_iter().next().ok_or_else(|| {
            SimError::Demo(
                "no pending request (requests never arrive by themselves; is one started?)".into(),
            )
        }),
    }
}

/// The device addition the user named, else the first one in `status`
/// (ready to pair, or waiting to be stopped).
fn addition_with_status(
    app: &Arc<Installation>,
    profile_id: &str,
    named: Option<String>,
    status: AdditionStatus,
) -> Result<String, SimError> {
    if let Some(id) = named {
        return Ok(id);
    }
    let none = if status == AdditionStatus::Ready {
        "no device addition is ready (is the wait over?)"
    } else {
        "no device addition is waiting"
    };
    app.identity_status(profile_id)?
        .additions
        .into_iter()
        .find(|a| a.status == status)
        .map(|a| a.addition_id)
        .ok_or_else(|| SimError::Demo(none.into()))
}

/// Send the channel-binding answer and say what came of it.
fn check_channel(
    app: &Arc<Installation>,
    profile_id: &str,
    view: &RequestView,
    code: &str,
) -> Result<(), SimError> {
    if view.channel_binding.is_none() {
        return Err(SimError::Demo(
            "this request does not ask for a code from the screen".into(),
        ));
    }
    println!("Code typed: {}", code.trim());
    app.confirm_channel(profile_id, &view.request_id, code.to_owned())
        .map_err(explain)?;
    println!("Code accepted: you may now approve with your PIN.");
    println!("(Each `app` command is a fresh start of the app: approve with `approve --code …`.)");
    Ok(())
}

/// A core error as the app says it.
fn explain(e: Error) -> SimError {
    SimError::Demo(match e {
        Error::WrongPin { attempts_left } => {
            format!("wrong PIN: {attempts_left} attempts left before this device is blocked")
        }
        Error::WrongChannelCode { attempts_left } => format!(
            "wrong code: it does not match the screen that started this; \
             {attempts_left} tries left before the request is cancelled"
        ),
        Error::ChannelBindingRequired => "this request needs the code from the screen that \
            started it: pass --code (or run `channel --code …` first)"
            .into(),
        Error::RequestExpired => "the request has expired; nothing was approved".into(),
        Error::AlreadyDecided => "the request was already decided (on another device?)".into(),
        other => other.to_string(),
    })
}
