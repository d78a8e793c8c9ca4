//! The notifications sent to the identity's channels.

use ratatui::text::Line;

use super::render::{bold, dim, line, local_date, styled};
use super::*;

pub(super) fn notification_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
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
