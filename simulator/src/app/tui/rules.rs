//! The five security rules: on first run, and before the first approval.

use ratatui::text::Line;

use super::render::{bold, line, styled};
use super::*;

impl Ui {
    /// Enter: rules read (then on to the PIN pad for the request that waits);
    /// Esc: back.
    pub(super) fn key_rules(&mut self, then: Option<String>, k: KeyEvent) -> Screen {
        match k.code {
            KeyCode::Enter => match then {
                Some(id) => {
                    if let Some(pid) = self.pid() {
                        if let Err(e) = self.app.acknowledge_security_rules(&pid) {
                            self.error_flash(&e);
                        }
                    }
                    match self.views.iter().find(|v| v.request_id == id).cloned() {
                        Some(v) => pin_pad(v),
                        None => Screen::Home,
                    }
                }
                None => Screen::Home,
            },
            KeyCode::Esc => match then {
                Some(id) => Screen::Card(id),
                None => Screen::Home,
            },
            _ => Screen::Rules { then },
        }
    }
}

pub(super) fn rules_lines(
    ui: &Ui,
    before_approval: bool,
) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
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
        .map(|p| akuersi_core::display::i18n::security_rules(&p.language))
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
