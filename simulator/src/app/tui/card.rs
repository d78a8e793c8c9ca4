//! The request card: what is asked, by whom, and the countdown.

use akuersi_protocol::wire::ChannelBindingKind;
use ratatui::text::Line;

use super::render::{bar_line, bold, green, line, red, styled};
use super::*;

impl Ui {
    pub(super) fn key_card(&mut self, id: String, k: KeyEvent) -> Screen {
        let Some(view) = self.views.iter().find(|v| v.request_id == id).cloned() else {
            return Screen::Home;
        };
        let Some(pid) = self.pid() else {
            return Screen::Home;
        };
        match k.code {
            KeyCode::Esc | KeyCode::Backspace => Screen::Home,
            KeyCode::Char('a') | KeyCode::Enter => {
                if view.channel_binding.is_some() && !view.channel_confirmed {
                    // First the code from the screen that started it.
                    Screen::Channel {
                        id,
                        entry: String::new(),
                        error: None,
                    }
                } else if view.call_warning {
                    match self.app.confirm_despite_call(&pid, &id) {
                        Ok(()) => pin_pad(view),
                        Err(e) => {
                            self.error_flash(&e);
                            Screen::Card(id)
                        }
                    }
                } else if self.app.needs_security_rules(&pid).unwrap_or(false) {
                    Screen::Rules { then: Some(id) }
                } else {
                    pin_pad(view)
                }
            }
            KeyCode::Char('x') => {
                self.decide_without_pin(
                    "Rejecting…",
                    Decision::Reject,
                    pid,
                    view,
                    Installation::reject,
                );
                Screen::Card(id)
            }
            KeyCode::Char('n') => {
                self.decide_without_pin(
                    "Reporting…",
                    Decision::Report,
                    pid,
                    view,
                    Installation::report,
                );
                Screen::Card(id)
            }
            _ => Screen::Card(id),
        }
    }

    /// Rejects or reports (`act`) the request on the worker thread.
    fn decide_without_pin(
        &mut self,
        what: &str,
        decision: Decision,
        pid: String,
        view: RequestView,
        act: fn(&Installation, &str, &str) -> Result<DecisionOutcome, Error>,
    ) {
        self.spawn(what, move |app| {
            let r = act(app, &pid, &view.request_id);
            decided(decision, view, r)
        });
    }
}

pub(super) fn card_lines(v: &RequestView) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
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
    if let Some(w) = &v.failed_pins_warning {
        out.push(styled(format!("⚠ {w}"), red()));
    }
    if let Some(kind) = v.channel_binding {
        if v.channel_confirmed {
            out.push(styled("✓ Code from the screen accepted", green()));
        } else {
            out.push(styled(
                akuersi_core::display::i18n::text(
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
