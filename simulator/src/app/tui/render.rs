//! Drawing the phone screen: a narrow bordered column, like the app on a
//! phone, with a header (user ID, clock), the screen's body, a message line
//! and the keys that work here.

use akuersi_protocol::wire::MAX_TTL_SECONDS;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Padding, Paragraph, Wrap};
use ratatui::Frame;

use super::{
    backup, card, channel, devices, form, freeze, home, log, notifications, outcome, pin, rules,
    support, Screen, Ui,
};
use crate::card::time_bar;
use crate::timefmt::countdown;

/// Width of the phone, borders included.
const PHONE_WIDTH: u16 = 60;
/// Height of the phone, borders included.
const PHONE_HEIGHT: u16 = 38;

pub(super) fn bold() -> Style {
    Style::default().add_modifier(Modifier::BOLD)
}

pub(super) fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

pub(super) fn red() -> Style {
    Style::default().fg(Color::Red).add_modifier(Modifier::BOLD)
}

pub(super) fn green() -> Style {
    Style::default()
        .fg(Color::Green)
        .add_modifier(Modifier::BOLD)
}

pub(super) fn line(text: impl Into<String>) -> Line<'static> {
    Line::from(text.into())
}

pub(super) fn styled(text: impl Into<String>, style: Style) -> Line<'static> {
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
        Screen::Activate(form) => form::form_lines(form),
        Screen::Home => home::home_lines(ui),
        Screen::Card(id) => match ui.views.iter().find(|v| &v.request_id == id) {
            Some(v) => card::card_lines(v),
            None => (vec![line("This request is gone.")], vec![line("Esc Back")]),
        },
        Screen::Pin(pad) => pin::pin_lines(ui, pad),
        Screen::Outcome(o) => outcome::outcome_lines(o),
        Screen::Devices => devices::devices_lines(ui),
        Screen::Backup => backup::backup_lines(ui),
        Screen::Notifications => notifications::notification_lines(ui),
        Screen::Log => log::log_lines(ui),
        Screen::Freeze { code_entry } => freeze::freeze_lines(ui, code_entry.as_deref()),
        Screen::Support => support::support_lines(),
        Screen::Channel { id, entry, error } => {
            channel::channel_lines(ui, id, entry, error.as_deref())
        }
        Screen::Rules { then } => rules::rules_lines(ui, then.is_some()),
    }
}

pub(super) fn masked(value: &str, len: usize) -> String {
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

pub(super) fn countdown_span(seconds_left: u32) -> Span<'static> {
    let style = if seconds_left < 60 { red() } else { green() };
    Span::styled(countdown(seconds_left), style)
}

pub(super) fn bar_line(seconds_left: u32) -> Line<'static> {
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

pub(super) fn local_date(ms: i64) -> String {
    local_strftime(ms, "%Y-%m-%d %H:%M")
}

/// A time in ms since the epoch in the viewer's zone, as `format` says;
/// "?" when it is out of range.
pub(super) fn local_strftime(ms: i64, format: &str) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| {
            t.to_zoned(crate::app::support::local_zone())
                .strftime(format)
                .to_string()
        })
        .unwrap_or_else(|_| "?".into())
}
