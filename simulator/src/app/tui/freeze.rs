//! Freezing the identity in one step, and unfreezing it.

use ratatui::text::Line;

use super::render::{bold, line, red, styled};
use super::*;

impl Ui {
    pub(super) fn key_freeze(&mut self, code_entry: Option<String>, k: KeyEvent) -> Screen {
        let Some(pid) = self.pid() else {
            return Screen::Home;
        };
        let frozen = self.status.as_ref().is_some_and(|s| s.frozen);
        if let Some(mut code) = code_entry {
            match k.code {
                KeyCode::Esc => return Screen::Freeze { code_entry: None },
                KeyCode::Backspace => {
                    code.pop();
                }
                KeyCode::Enter if !code.trim().is_empty() => {
                    return Screen::Pin(PinPad {
                        purpose: PinFor::Unfreeze(Some(code.trim().to_owned())),
                        digits: Zeroizing::new(String::new()),
                        armed_at: None,
                        error: None,
                    })
                }
                KeyCode::Char(c) if code.len() < 20 && (c.is_ascii_alphanumeric() || c == '-') => {
                    code.push(c.to_ascii_uppercase());
                }
                _ => {}
            }
            return Screen::Freeze {
                code_entry: Some(code),
            };
        }
        match k.code {
            KeyCode::Esc | KeyCode::Char('h') => return Screen::Home,
            KeyCode::Char('y') if !frozen => {
                self.spawn("Freezing…", move |app| Done::Frozen(app.freeze(&pid)));
            }
            KeyCode::Char('u') if frozen => {
                return Screen::Pin(PinPad {
                    purpose: PinFor::Unfreeze(None),
                    digits: Zeroizing::new(String::new()),
                    armed_at: None,
                    error: None,
                })
            }
            KeyCode::Char('c') if frozen => {
                return Screen::Freeze {
                    code_entry: Some(String::new()),
                }
            }
            KeyCode::Char('s') => return Screen::Support,
            _ => {}
        }
        Screen::Freeze { code_entry: None }
    }
}

pub(super) fn freeze_lines(
    ui: &Ui,
    code_entry: Option<&str>,
) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let frozen = ui.status.as_ref().is_some_and(|s| s.frozen);
    let mut out = vec![styled("Freeze", bold()), line("")];
    if let Some(code) = code_entry {
        out.push(line(
            "Type the activation code from support or a citizen service centre:",
        ));
        out.push(styled(format!("  {code}▏"), bold()));
        return (out, vec![line("Enter Continue to the PIN · Esc Back")]);
    }
    if frozen {
        out.push(styled("Your identity is frozen.", red()));
        out.push(line(""));
        out.push(line("To lift the freeze you need two proofs:"));
        out.push(line("• this device's PIN, and"));
        out.push(line(
            "• another device's PIN within 15 minutes, or an activation code.",
        ));
        (
            out,
            vec![
                line("u Unfreeze with PIN · c With an activation code"),
                line("s Support · Esc Back"),
            ],
        )
    } else {
        out.push(line(
            "Do you think someone has your codes, your PIN or one of your devices?",
        ));
        out.push(line(""));
        out.push(line(
            "Freezing locks your whole identity at once, on every device: nothing can be approved until it is unfrozen. No PIN is needed to freeze.",
        ));
        (out, vec![line("y Freeze now · s Support · Esc Back")])
    }
}
