//! The activity log, with its hash chain checked.

use ratatui::text::{Line, Span};

use super::render::{bold, dim, green, line, local_date, styled};
use super::*;

pub(super) fn log_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
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
                    Span::styled(e.kind.as_str().replace('_', " "), bold()),
                ]));
                out.push(line(format!("    {}", e.detail)));
            }
        }
    }
    (out, vec![line("r Fetch again · Esc Back")])
}
