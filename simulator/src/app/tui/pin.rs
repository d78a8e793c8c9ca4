//! The PIN pad: approving a request, starting a device addition or a proof
//! towards unfreezing, with the deliberate → gesture.

use ratatui::text::Line;

use super::render::{bar_line, bold, dim, green, line, masked, red, styled};
use super::*;
use crate::card::action_label;

/// What a PIN is entered for.
#[derive(Debug, Clone)]
pub(crate) enum PinFor {
    /// Approve this request.
    Approve(Box<RequestView>),
    /// Start adding a backup device.
    AddDevice,
    /// One proof towards unfreezing, with an activation code or not.
    Unfreeze(Option<String>),
}

/// The PIN pad's state. The digits are wiped when it is dropped.
pub(crate) struct PinPad {
    pub(crate) purpose: PinFor,
    pub(crate) digits: Zeroizing<String>,
    /// When → was first pressed with all six digits in.
    pub(crate) armed_at: Option<Instant>,
    pub(crate) error: Option<String>,
}

impl Ui {
    pub(super) fn key_pin(&mut self, mut pad: PinPad, k: KeyEvent) -> Screen {
        match k.code {
            KeyCode::Esc => {
                return match pad.purpose {
                    PinFor::Approve(v) => Screen::Card(v.request_id),
                    PinFor::AddDevice => Screen::Backup,
                    PinFor::Unfreeze(_) => Screen::Freeze { code_entry: None },
                }
            }
            KeyCode::Char(c) if c.is_ascii_digit() => {
                if pad.digits.len() < 6 {
                    pad.digits.push(c);
                    pad.error = None;
                }
                pad.armed_at = None;
            }
            KeyCode::Backspace => {
                pad.digits.pop();
                pad.armed_at = None;
            }
            KeyCode::Right if pad.digits.len() == 6 => {
                if let PinFor::Approve(_) = pad.purpose {
                    let now = Instant::now();
                    match pad.armed_at {
                        Some(t) if now.duration_since(t) <= GESTURE_WINDOW => {
                            self.submit_pin(&mut pad);
                        }
                        _ => pad.armed_at = Some(now),
                    }
                }
            }
            // Operations other than approvals confirm with Enter; an
            // approval needs the → gesture.
            KeyCode::Enter
                if pad.digits.len() == 6 && !matches!(pad.purpose, PinFor::Approve(_)) =>
            {
                self.submit_pin(&mut pad);
            }
            _ => {}
        }
        Screen::Pin(pad)
    }

    pub(super) fn submit_pin(&mut self, pad: &mut PinPad) {
        let Some(pid) = self.pid() else { return };
        // Move the digits out; the pad keeps an empty (wiped) buffer.
        let pin: String = std::mem::take(&mut *pad.digits);
        pad.armed_at = None;
        match pad.purpose.clone() {
            PinFor::Approve(v) => self.spawn("Checking your PIN with the service…", move |app| {
                let r = app.approve(&pid, &v.request_id, pin);
                decided(Decision::Approve, *v, r)
            }),
            PinFor::AddDevice => self.spawn("Checking your PIN…", move |app| {
                Done::AdditionStarted(app.start_device_addition(&pid, pin))
            }),
            PinFor::Unfreeze(code) => self.spawn("Checking your PIN…", move |app| {
                Done::Unfrozen(app.unfreeze(&pid, pin, code))
            }),
        }
    }

    /// A PIN proof for an operation failed: back to the PIN pad if the PIN
    /// was wrong, otherwise say why.
    pub(super) fn pin_failed(&mut self, e: Error) {
        if let Screen::Pin(pad) = &mut self.screen {
            pad.digits.clear();
            pad.armed_at = None;
            pad.error = Some(pin_error_text(&e));
        } else {
            self.error_flash(&e);
        }
    }
}

/// The PIN pad for approving `view`.
pub(super) fn pin_pad(view: RequestView) -> Screen {
    Screen::Pin(PinPad {
        purpose: PinFor::Approve(Box::new(view)),
        digits: Zeroizing::new(String::new()),
        armed_at: None,
        error: None,
    })
}

pub(super) fn pin_error_text(e: &Error) -> String {
    match e {
        Error::WrongPin { attempts_left } => {
            format!("Wrong PIN. {attempts_left} attempts left before this device is blocked.")
        }
        Error::Pin(p) => p.to_string(),
        other => describe(other),
    }
}

pub(super) fn pin_lines(ui: &Ui, pad: &PinPad) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
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
