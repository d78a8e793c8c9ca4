//! Drawing the phone screen: a narrow bordered column, like the app on a
//! phone, with a header (user ID, clock), the screen's body, a message line
//! and the keys that work here.

use akuersi_core::app::RequestView;
use akuersi_core::protocol::{ChannelBindingKind, MAX_TTL_SECONDS};
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Wrap};
use ratatui::Frame;

use super::{local_time, Form, FormMode, Outcome, PinFor, PinPad, Screen, Ui, GESTURE_WINDOW};
use crate::card::{action_label, time_bar};
use crate::timefmt::countdown;

/// Width of the phone, borders included.
const PHONE_WIDTH: u16 = 60;
/// Height of the phone, borders included.
const PHONE_HEIGHT: u16 = 38;

fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

fn red() -> Style {
    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
}

fn green() -> Style {
    Style::default()
        .fg(Color::Green)
        .add_modifier(Modifier::BOLD)
}

fn line(text: impl Into<String>) -> Line<'static> {
    Line::from(text.into())
}

fn styled(text: impl Into<String>, style: Style) -> Line<'static> {
    Line::from(Span::styled(text.into(), style))
}

/// Draw the whole screen.
pub(super) fn draw(f: &mut Frame<'_>, ui: &Ui) {
    let area = f.area();
    let phone = Rect {
        x: area.x + area.width.saturating_sub(PHONE_WIDTH) / 2,
        y: area.y,
        width: PHONE_WIDTH.min(area.width),
        height: PHONE_HEIGHT.min(area.height),
    };
    let title = format!(" Akuersi · {} ", ui.profile_name);
    let block = Block::bordered()
        .title(Line::from(title).centered())
        .padding(Padding::horizontal(1));
    let inner = block.inner(phone);
    f.render_widget(block, phone);

    let (body, keys) = screen_lines(ui);
    let key_rows = u16::try_from(keys.len()).unwrap_or(3).min(4);
    let [header, body_area, flash_area, keys_area] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Min(3),
        Constraint::Length(2),
        Constraint::Length(key_rows),
    ])
    .areas(inner);

    f.render_widget(Paragraph::new(header_lines(ui)), header);
    f.render_widget(Paragraph::new(body).wrap(Wrap { trim: false }), body_area);

    let flash = match (&ui.busy, &ui.flash) {
        (Some(what), _) => Some(styled(format!("⏳ {what}"), bold())),
        (None, Some((true, text))) => Some(styled(text.clone(), red())),
        (None, Some((false, text))) => Some(styled(text.clone(), green())),
        (None, None) => None,
    };
    if let Some(l) = flash {
        f.render_widget(Paragraph::new(l).wrap(Wrap { trim: true }), flash_area);
    }
    f.render_widget(
        Paragraph::new(keys)
            .style(Style::default().fg(Color::Cyan))
            .wrap(Wrap { trim: true }),
        keys_area,
    );
}

fn header_lines(ui: &Ui) -> Vec<Line<'static>> {
    let who = ui
        .profile
        .as_ref()
        .map(|p| format!("{} · {}", p.user_id, p.device_name))
        .unwrap_or_else(|| "Not activated yet".into());
    let clock = jiff::Zoned::now().strftime("%H:%M").to_string();
    let width = usize::from(PHONE_WIDTH - 4);
    let gap = width.saturating_sub(who.chars().count() + clock.chars().count());
    let mut first = vec![
        Span::styled(who, bold()),
        Span::raw(" ".repeat(gap.max(1))),
        Span::raw(clock),
    ];
    let frozen = ui.status.as_ref().is_some_and(|s| s.frozen);
    let second = if frozen {
        styled("❄ FROZEN: nothing can be approved until unfrozen", red())
    } else {
        styled("─".repeat(width), dim())
    };
    if ui.profile.is_none() {
        first.truncate(1);
    }
    vec![Line::from(first), second]
}

/// The body and the key lines of the current screen.
fn screen_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    match &ui.screen {
        Screen::Activate(form) => form_lines(form),
        Screen::Home => home_lines(ui),
        Screen::Card(id) => match ui.views.iter().find(|v| &v.request_id == id) {
            Some(v) => card_lines(v),
            None => (vec![line("This request is gone.")], vec![line("Esc Back")]),
        },
        Screen::Pin(pad) => pin_lines(ui, pad),
        Screen::Outcome(o) => outcome_lines(o),
        Screen::Devices => devices_lines(ui),
        Screen::Backup => backup_lines(ui),
        Screen::Notifications => notification_lines(ui),
        Screen::Log => log_lines(ui),
        Screen::Freeze { code_entry } => freeze_lines(ui, code_entry.as_deref()),
        Screen::Support => support_lines(),
        Screen::Channel { id, entry, error } => channel_lines(ui, id, entry, error.as_deref()),
        Screen::Rules { then } => rules_lines(ui, then.is_some()),
    }
}

fn channel_lines(
    ui: &Ui,
    id: &str,
    entry: &str,
    error: Option<&str>,
) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let qr = ui
        .views
        .iter()
        .find(|v| v.request_id == id)
        .is_some_and(|v| v.channel_binding == Some(ChannelBindingKind::Qr));
    let mut out = vec![
        styled(
            if qr {
                "Scan the QR code on the screen that started this"
            } else {
                "Type the code shown on the screen that started this"
            },
            bold(),
        ),
        line(""),
        line(if qr {
            "Paste the value shown under the QR code (it changes every second)."
        } else {
            "The 4-digit code is on the page where you started this."
        }),
        line("If you did not start this, press Esc and choose \"I did not start this\"."),
        line(""),
        styled(format!("Code: {entry}▏"), bold()),
    ];
    if let Some(e) = error {
        out.push(line(""));
        out.push(styled(e.to_owned(), red()));
    }
    (out, vec![line("Enter Check the code · Esc Back")])
}

fn rules_lines(ui: &Ui, before_approval: bool) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![
        styled(
            if before_approval {
                "Before your first approval: the five security rules"
            } else {
                "Welcome. The five security rules"
            },
            bold(),
        ),
        line(""),
    ];
    let rules = ui
        .profile
        .as_ref()
        .map(|p| akuersi_core::i18n::security_rules(&p.language))
        .unwrap_or_default();
    for (i, r) in rules.iter().enumerate() {
        out.push(styled(format!("{}. {}", i + 1, r.title), bold()));
        out.push(line(r.body.clone()));
    }
    let keys = if before_approval {
        "Enter I have read them: go on to the PIN · Esc Back"
    } else {
        "Enter I have read them"
    };
    (out, vec![line(keys)])
}

fn masked(value: &str, len: usize) -> String {
    let n = value.chars().count();
    let mut s = String::new();
    for i in 0..len {
        if i > 0 {
            s.push(' ');
        }
        s.push(if i < n { '●' } else { '○' });
    }
    s
}

fn form_lines(form: &Form) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![
        styled("Welcome to Akuersi", bold()),
        line(match form.mode {
            FormMode::Code => {
                "Activate this app with your user ID and the activation code from the citizen service centre (paper or SMS)."
            }
            FormMode::Pairing => {
                "Join your identity from an existing device: type the pairing code it shows (Backup device → p)."
            }
        }),
        line(""),
    ];
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { "▶ " } else { "  " };
        let value = if field.pin {
            masked(&field.value, 6)
        } else {
            field.value.to_string()
        };
        let cursor = if focused { "▏" } else { "" };
        out.push(Line::from(vec![
            Span::styled(marker.to_owned(), bold()),
            Span::styled(
                format!("{}: ", field.label),
                if focused { bold() } else { Style::default() },
            ),
            Span::raw(format!("{value}{cursor}")),
        ]));
    }
    out.push(line(""));
    out.push(styled(
        "Choose a PIN nobody can guess: not 123456, 000000, 121212, a date…",
        dim(),
    ));
    out.push(styled(
        "Never show codes to anyone, and never give anyone your PIN.",
        dim(),
    ));
    if let Some(e) = &form.error {
        out.push(line(""));
        out.push(styled(e.clone(), red()));
    }
    let other = match form.mode {
        FormMode::Code => "F2 Join with a pairing code instead",
        FormMode::Pairing => "F2 Activate with an activation code instead",
    };
    (
        out,
        vec![
            line("Tab/↑↓ Move · Enter Next / Activate on the last field"),
            line(format!("{other} · Esc Quit")),
        ],
    )
}

fn home_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = Vec::new();
    match &ui.refreshed_at {
        Some(t) => out.push(styled(
            format!("Fetched {} · r to fetch again", t.strftime("%H:%M:%S")),
            dim(),
        )),
        None => out.push(styled("Not fetched yet · r to fetch", dim())),
    }
    out.push(line(""));
    match ui.views.first() {
        Some(v) => {
            out.push(styled("1 request waits for you:", bold()));
            out.push(line(""));
            out.push(styled(
                format!("  {}", v.requester_name.to_uppercase()),
                bold(),
            ));
            out.push(line(format!("  {} · {}", v.action_title, v.body)));
            out.push(Line::from(vec![
                Span::raw("  "),
                countdown_span(v.seconds_left),
            ]));
            out.push(line(""));
            out.push(styled("Press Enter to open it.", bold()));
        }
        None => {
            out.push(styled("No requests. Nothing waits for you.", bold()));
            out.push(line(""));
            out.push(line(
                "Requests never pop up by themselves: they appear only when you open the app or fetch (r).",
            ));
            out.push(line("A request disappears after at most 5 minutes."));
        }
    }
    if let Some(s) = &ui.status {
        for w in &s.warnings {
            out.push(line(""));
            out.push(styled(format!("⚠ {w}"), dim()));
        }
    }
    (
        out,
        vec![
            line("r Fetch · Enter Open · d Devices · b Backup device"),
            line("n Notifications · l Activity log · f Freeze · s Support"),
            line("g Language · q Quit"),
        ],
    )
}

fn countdown_span(seconds_left: u32) -> Span<'static> {
    let style = if seconds_left < 60 { red() } else { green() };
    Span::styled(countdown(seconds_left), style)
}

fn bar_line(seconds_left: u32) -> Line<'static> {
    let style = if seconds_left < 60 {
        Style::default().fg(Color::Red)
    } else {
        Style::default().fg(Color::Green)
    };
    Line::from(vec![
        countdown_span(seconds_left),
        Span::raw("  "),
        Span::styled(time_bar(seconds_left, MAX_TTL_SECONDS), style),
    ])
}

fn card_lines(v: &RequestView) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![
        styled(v.requester_name.to_uppercase(), bold()),
        line(format!(
            "{} · text in {}{}",
            v.action_title,
            v.language,
            if v.other_languages.is_empty() {
                String::new()
            } else {
                format!(" (also {})", v.other_languages.join(", "))
            }
        )),
        line(""),
        styled(v.header.clone(), bold()),
        line(v.body.clone()),
    ];
    if let Some(a) = &v.amount {
        out.push(line(format!("Amount:  {a}")));
    }
    if let Some(a) = &v.account {
        out.push(line(format!("Account: {a}")));
    }
    out.push(line(""));
    out.push(bar_line(v.seconds_left));
    out.push(line(""));
    if v.call_warning {
        out.push(styled(
            "⚠ You are on a phone call. Nobody who calls you may ask you to approve.",
            red(),
        ));
    }
    if let Some(w) = &v.fatigue_warning {
        out.push(styled(format!("⚠ {w}"), red()));
    }
    if let Some(kind) = v.channel_binding {
        if v.channel_confirmed {
            out.push(styled("✓ Code from the screen accepted", green()));
        } else {
            out.push(styled(
                akuersi_core::i18n::text(
                    &v.language,
                    match kind {
                        ChannelBindingKind::Code => "channel.enter_code",
                        ChannelBindingKind::Qr => "channel.scan_qr",
                    },
                    &[],
                ),
                red(),
            ));
        }
    }
    out.push(line(v.rules_reminder.clone()));
    (
        out,
        vec![
            line(if v.channel_binding.is_some() && !v.channel_confirmed {
                "a Type the code, then approve · x Reject"
            } else {
                "a Approve with PIN · x Reject"
            }),
            line("n I did not start this · Esc Back"),
        ],
    )
}

fn pin_lines(ui: &Ui, pad: &PinPad) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = Vec::new();
    match &pad.purpose {
        PinFor::Approve(v) => {
            out.push(styled(
                format!("Approve: {} – {}", v.requester_name, action_label(v.action)),
                bold(),
            ));
            out.push(line(v.body.clone()));
            let left = ui
                .views
                .iter()
                .find(|x| x.request_id == v.request_id)
                .map_or(0, |x| x.seconds_left);
            out.push(bar_line(left));
        }
        PinFor::AddDevice => {
            out.push(styled("Add a backup device", bold()));
            out.push(line(
                "Every device and channel will be told, and the new device can join after the waiting period.",
            ));
        }
        PinFor::Unfreeze(code) => {
            out.push(styled("Unfreeze your identity", bold()));
            out.push(line(if code.is_some() {
                "Your PIN and the activation code together lift the freeze."
            } else {
                "Your PIN is one proof; another device's PIN within 15 minutes is the second."
            }));
        }
    }
    out.push(line(""));
    out.push(styled("Enter your PIN", bold()));
    out.push(styled(format!("      {}", masked(&pad.digits, 6)), bold()));
    out.push(line(""));
    for row in [
        "   1   2   3",
        "   4   5   6",
        "   7   8   9",
        "       0   ⌫",
    ] {
        out.push(styled(row, dim()));
    }
    out.push(line(""));
    if let Some(e) = &pad.error {
        out.push(styled(e.clone(), red()));
    }
    let full = pad.digits.len() == 6;
    let mut keys = vec![line("0–9 Digits · Backspace Delete · Esc Cancel")];
    match (&pad.purpose, full) {
        (PinFor::Approve(_), true) => match pad.armed_at {
            Some(t) if t.elapsed() <= GESTURE_WINDOW => {
                out.push(styled("→ once more to approve…", green()));
                keys.push(line("→ Approve (press again now)"));
            }
            _ => {
                out.push(styled(
                    "To approve: press → twice within a second (or hold →).",
                    bold(),
                ));
                keys.push(line(
                    "→→ Approve (press → twice within a second, or hold →)",
                ));
            }
        },
        (PinFor::Approve(_), false) => {
            out.push(styled(
                "Then approve: press → twice within a second (or hold →).",
                dim(),
            ));
        }
        (_, true) => keys.push(line("Enter Confirm")),
        (_, false) => {}
    }
    (out, keys)
}

fn outcome_lines(o: &Outcome) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![
        styled(o.title.clone(), if o.good { green() } else { red() }),
        line(""),
    ];
    out.extend(o.lines.iter().map(|l| line(l.clone())));
    let keys = if o.offer_freeze {
        vec![line("f Freeze now · s Support · Enter Home")]
    } else {
        vec![line("Enter Home")]
    };
    (out, keys)
}

fn devices_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![styled("Your devices", bold()), line("")];
    if ui.devices.is_empty() {
        out.push(styled("(none fetched yet)", dim()));
    }
    for d in &ui.devices {
        let this = if d.this_device {
            "  ← this device"
        } else {
            ""
        };
        out.push(styled(format!("{} ({}){this}", d.name, d.platform), bold()));
        out.push(line(format!(
            "  {} · enrolled {} · last used {}",
            d.status,
            local_date(d.enrolled_at_ms),
            local_date(d.last_used_at_ms)
        )));
    }
    out.push(line(""));
    out.push(styled(
        "Up to 3 devices. Lost one? Remove it from another device, or freeze (f on Home).",
        dim(),
    ));
    (out, vec![line("r Fetch again · Esc Back")])
}

fn backup_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![
        styled("Backup device", bold()),
        line("Install the app on another device too, so losing one is not fatal."),
        line("1. Here: a, then your PIN. Every device and channel is told."),
        line("2. Wait 1 hour; any device can stop it meanwhile (v)."),
        line("3. Here: p shows a one-time pairing code (3 minutes)."),
        line("4. On the new device: F2 on its first screen, type the code, choose its own PIN."),
        line(""),
    ];
    let additions = ui
        .status
        .as_ref()
        .map(|s| s.additions.clone())
        .unwrap_or_default();
    if additions.is_empty() {
        out.push(styled("No device addition under way.", dim()));
    }
    for a in &additions {
        out.push(line(format!(
            "Addition {}…: {} (wait until {})",
            a.addition_id.chars().take(8).collect::<String>(),
            a.status,
            local_time(a.wait_until_ms)
        )));
    }
    if let Some(p) = &ui.pairing {
        out.push(line(""));
        out.push(styled(
            "Pairing code (show it only to your new device):",
            bold(),
        ));
        out.push(line(p.payload.clone()));
        out.push(line(format!(
            "Valid until {}, once.",
            local_time(p.expires_at_ms)
        )));
    }
    (
        out,
        vec![
            line("a Add a device · v Stop an addition · p Pairing code"),
            line("r Fetch again · Esc Back"),
        ],
    )
}

fn notification_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![styled("Notifications", bold()), line("")];
    if ui.notifications.is_empty() {
        out.push(styled("No notifications.", dim()));
    }
    for n in &ui.notifications {
        out.push(styled(local_date(n.at_ms), dim()));
        out.push(line(n.text.clone()));
    }
    (out, vec![line("r Fetch new ones · Esc Back")])
}

fn log_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![styled("Activity log", bold())];
    match &ui.log {
        None => out.push(styled("(not fetched yet)", dim())),
        Some(page) => {
            out.push(styled(
                format!(
                    "✓ {} entries; hash chain and signed head checked",
                    page.total
                ),
                green(),
            ));
            out.push(line(""));
            for e in &page.entries {
                out.push(Line::from(vec![
                    Span::styled(format!("{}  ", local_date(e.at_ms)), dim()),
                    Span::styled(e.kind.replace('_', " "), bold()),
                ]));
                out.push(line(format!("    {}", e.detail)));
            }
        }
    }
    (out, vec![line("r Fetch again · Esc Back")])
}

fn freeze_lines(ui: &Ui, code_entry: Option<&str>) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let frozen = ui.status.as_ref().is_some_and(|s| s.frozen);
    let mut out = vec![styled("Freeze", bold()), line("")];
    if let Some(code) = code_entry {
        out.push(line(
            "Type the activation code from support or a citizen service centre:",
        ));
        out.push(styled(format!("  {code}▏"), bold()));
        return (out, vec![line("Enter Continue to the PIN · Esc Back")]);
    }
    if frozen {
        out.push(styled("Your identity is frozen.", red()));
        out.push(line(""));
        out.push(line("To lift the freeze you need two proofs:"));
        out.push(line("• this device's PIN, and"));
        out.push(line(
            "• another device's PIN within 15 minutes, or an activation code.",
        ));
        (
            out,
            vec![
                line("u Unfreeze with PIN · c With an activation code"),
                line("s Support · Esc Back"),
            ],
        )
    } else {
        out.push(line(
            "Do you think someone has your codes, your PIN or one of your devices?",
        ));
        out.push(line(""));
        out.push(line(
            "Freezing locks your whole identity at once, on every device: nothing can be approved until it is unfrozen. No PIN is needed to freeze.",
        ));
        (out, vec![line("y Freeze now · s Support · Esc Back")])
    }
}

fn support_lines() -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![styled("Support", bold()), line("")];
    for l in crate::app::support::lines(jiff::Timestamp::now(), &crate::app::support::local_zone()) {
        if l.starts_with("Support is OPEN") {
            out.push(styled(l, green()));
        } else if l.starts_with("Support is CLOSED") {
            out.push(styled(l, red()));
        } else {
            out.push(line(l));
        }
    }
    (out, vec![line("Esc Back")])
}

fn local_date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(crate::app::support::local_zone())
                .strftime("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| "?".into())
}
