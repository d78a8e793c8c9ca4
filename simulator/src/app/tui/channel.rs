//! Typing the code (or pasting the QR value) from the screen that started
//! a request.

use akuersi_protocol::wire::ChannelBindingKind;
use ratatui::text::Line;

use super::render::{bold, line, red, styled};
use super::*;

impl Ui {
    pub(super) fn key_channel(
        &mut self,
        id: String,
        mut entry: String,
        mut error: Option<String>,
        k: KeyEvent,
    ) -> Screen {
        match k.code {
            KeyCode::Esc => return Screen::Card(id),
            KeyCode::Backspace => {
                entry.pop();
            }
            KeyCode::Enter if !entry.trim().is_empty() => {
                let Some(pid) = self.pid() else {
                    return Screen::Home;
                };
                let (rid, answer) = (id.clone(), entry.trim().to_owned());
                self.spawn("Checking the code…", move |app| {
                    let r = app.confirm_channel(&pid, &rid, answer);
                    Done::ChannelChecked(rid, r)
                });
            }
            KeyCode::Char(c) if entry.len() < 200 && !c.is_control() => {
                entry.push(c);
                error = None;
            }
            _ => {}
        }
        Screen::Channel { id, entry, error }
    }
}

pub(super) fn channel_lines(
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
