//! How to reach support and whether it is open now (the simulator's one
//! support setting, `crate::app::support`).

use ratatui::text::Line;

use super::render::{bold, green, line, red, styled};

pub(super) fn support_lines() -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![styled("Support", bold()), line("")];
    for l in crate::app::support::lines(jiff::Timestamp::now(), &crate::app::support::local_zone())
    {
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
