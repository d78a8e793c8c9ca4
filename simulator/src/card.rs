//! The phone screen as a small text "card": who asks, what for, the texts in
//! the owner's language, and a live countdown with a time bar.

use akuersi_core::app::RequestView;
use akuersi_protocol::request::Action;
use akuersi_protocol::wire::{Channel, ChannelBindingKind};

use crate::timefmt::countdown;

/// Characters between the card's borders.
pub const CARD_WIDTH: usize = 46;
/// Cells in the time bar.
pub const BAR_CELLS: usize = 20;

/// The action verb as the card shows it (the simulator's own chrome is in
/// English; the request texts come in the owner's language).
pub fn action_label(action: Action) -> &'static str {
    match action {
        Action::LogOn => "Log on",
        Action::Approve => "Approve",
        Action::Confirm => "Confirm",
        Action::Accept => "Accept",
        Action::Sign => "Sign",
    }
}

/// Notification channels as the simulator lists them: "app, sms, email".
pub fn channel_list(channels: &[Channel]) -> String {
    channels
        .iter()
        .map(|c| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A bar of `BAR_CELLS` cells, full at `total_seconds` left and empty at 0.
pub fn time_bar(seconds_left: u32, total_seconds: u32) -> String {
    let total = u64::from(total_seconds.max(1));
    let left = u64::from(seconds_left.min(total_seconds));
    let cells = BAR_CELLS as u64;
    // Round up, so any time left shows at least one cell.
    let full = usize::try_from((left * cells).div_ceil(total)).unwrap_or(BAR_CELLS);
    format!("{}{}", "█".repeat(full), "░".repeat(BAR_CELLS - full))
}

/// Split `text` into lines of at most `width` characters, at spaces where
/// possible.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut current = String::new();
    for word in text.split_whitespace() {
        let mut word: Vec<char> = word.chars().collect();
        // A word longer than a line is cut.
        while word.len() > width {
            if !current.is_empty() {
                lines.push(std::mem::take(&mut current));
            }
            lines.push(word[..width].iter().collect());
            word.drain(..width);
        }
        let n = current.chars().count();
        if n > 0 && n + 1 + word.len() > width {
            lines.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.extend(word);
    }
    if !current.is_empty() || lines.is_empty() {
        lines.push(current);
    }
    lines
}

/// `content` lines in a box [`CARD_WIDTH`] wide inside.
pub(crate) fn boxed(content: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(content.len() + 2);
    out.push(format!("┌{}┐", "─".repeat(CARD_WIDTH + 2)));
    for line in content {
        let pad = CARD_WIDTH.saturating_sub(line.chars().count());
        out.push(format!("│ {line}{} │", " ".repeat(pad)));
    }
    out.push(format!("└{}┘", "─".repeat(CARD_WIDTH + 2)));
    out
}

/// The card for a pending request, `total_seconds` being its whole lifetime
/// (for the bar).
pub fn render(view: &RequestView, total_seconds: u32) -> Vec<String> {
    let mut content = Vec::new();
    content.extend(wrap(&view.requester_name.to_uppercase(), CARD_WIDTH));
    let langs = if view.other_languages.is_empty() {
        format!("text: {}", view.language)
    } else {
        format!(
            "text: {} (also {})",
            view.language,
            view.other_languages.join(", ")
        )
    };
    let action = action_label(view.action);
    let gap = CARD_WIDTH.saturating_sub(action.chars().count() + langs.chars().count());
    content.push(format!("{action}{}{langs}", " ".repeat(gap.max(1))));
    content.push(String::new());
    content.extend(wrap(&view.header, CARD_WIDTH));
    content.extend(wrap(&view.body, CARD_WIDTH));
    if let Some(a) = &view.amount {
        content.push(format!("Amount:  {a}"));
    }
    if let Some(a) = &view.account {
        content.push(format!("Account: {a}"));
    }
    content.push(String::new());
    content.push(format!(
        "{:<10} {}",
        countdown(view.seconds_left),
        time_bar(view.seconds_left, total_seconds)
    ));
    if view.call_warning {
        content.extend(wrap(
            "! You are on a phone call. Nobody who calls you may ask you to approve.",
            CARD_WIDTH,
        ));
    }
    if let Some(w) = &view.fatigue_warning {
        content.extend(wrap(&format!("! {w}"), CARD_WIDTH));
    }
    if let Some(w) = &view.failed_pins_warning {
        content.extend(wrap(&format!("! {w}"), CARD_WIDTH));
    }
    match (view.channel_binding, view.channel_confirmed) {
        (Some(_), true) => content.push("Code from the screen: accepted".into()),
        (Some(ChannelBindingKind::Code), false) => content.extend(wrap(
            &akuersi_core::display::i18n::text(&view.language, "channel.enter_code", &[]),
            CARD_WIDTH,
        )),
        (Some(ChannelBindingKind::Qr), false) => content.extend(wrap(
            &akuersi_core::display::i18n::text(&view.language, "channel.scan_qr", &[]),
            CARD_WIDTH,
        )),
        (None, _) => {}
    }
    if !view.rules_reminder.is_empty() {
        content.extend(wrap(&view.rules_reminder, CARD_WIDTH));
    }
    content.push("[Approve with PIN]  [Reject]  [Not me!]".into());
    boxed(&content)
}

/// A one-line card for an empty screen.
pub fn render_empty(what: &str) -> Vec<String> {
    boxed(&wrap(what, CARD_WIDTH))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bar_and_wrap() {
        assert_eq!(time_bar(300, 300), "█".repeat(BAR_CELLS));
        assert_eq!(time_bar(0, 300), "░".repeat(BAR_CELLS));
        assert_eq!(time_bar(1, 300).chars().filter(|c| *c == '█').count(), 1);
        assert_eq!(wrap("a bb ccc", 4), vec!["a bb", "ccc"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), vec![""]);
    }

    #[test]
    fn card_lines_have_one_width() {
        let view = RequestView {
            request_id: "r".into(),
            requester_id: "demo-bank".into(),
            requester_name: "Demo Bank".into(),
            action: Action::LogOn,
            language: "kl".into(),
            header: "Demo Bank-imut iserneq".into(),
            body: "Demo Bank-imut iserniarputit".into(),
            other_languages: vec!["da".into(), "en".into()],
            expires_at_ms: 0,
            seconds_left: 299,
            amount: None,
            account: None,
            channel_binding: None,
            channel_confirmed: false,
            recent_declined: 0,
            call_warning: false,
            action_title: "Iserit".into(),
            countdown: "4:59".into(),
            rules_reminder: String::new(),
            fatigue_warning: None,
            failed_pin_attempts: 0,
            failed_pins_warning: None,
        };
        let lines = render(&view, 300);
        let w = lines[0].chars().count();
        assert!(lines.iter().all(|l| l.chars().count() == w));
        assert!(lines.iter().any(|l| l.contains("4:59 left")));
        assert!(!lines.iter().any(|l| l.contains("unfinished")));
        // Failed PIN attempts since the last approval are shown on the card.
        let view = RequestView {
            language: "en".into(),
            failed_pin_attempts: 4,
            failed_pins_warning: akuersi_core::display::i18n::failed_pins_warning("en", 4),
            ..view
        };
        let text = render(&view, 300).join(" ");
        assert!(
            text.contains("Wrong or unfinished PIN") && text.contains("approval: 4."),
            "{text}"
        );
    }
}
