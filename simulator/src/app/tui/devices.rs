//! The identity's devices.

use ratatui::text::Line;

use super::render::{bold, dim, line, local_date, styled};
use super::*;

pub(super) fn devices_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
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
