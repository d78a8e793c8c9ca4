//! Backup devices: adding one (after a waiting period), vetoing an
//! addition, and the pairing code.

use akuersi_protocol::wire::AdditionStatus;
use ratatui::text::Line;

use super::render::{bold, dim, line, styled};
use super::*;

impl Ui {
    pub(super) fn key_backup(&mut self, k: KeyEvent) -> Screen {
        let Some(pid) = self.pid() else {
            return Screen::Home;
        };
        let additions = self
            .status
            .as_ref()
            .map(|s| s.additions.clone())
            .unwrap_or_default();
        match k.code {
            KeyCode::Esc | KeyCode::Char('h') => {
                self.pairing = None;
                return Screen::Home;
            }
            KeyCode::Char('r') => self.load_status(),
            KeyCode::Char('a') => {
                return Screen::Pin(PinPad {
                    purpose: PinFor::AddDevice,
                    digits: Zeroizing::new(String::new()),
                    armed_at: None,
                    error: None,
                })
            }
            KeyCode::Char('v') => {
                if let Some(a) = additions
                    .iter()
                    .find(|a| a.status == AdditionStatus::Waiting)
                {
                    let id = a.addition_id.clone();
                    self.spawn("Stopping the addition…", move |app| {
                        Done::Vetoed(app.veto_device_addition(&pid, id))
                    });
                } else {
                    self.flash = Some((true, "No device addition is waiting.".into()));
                }
            }
            KeyCode::Char('p') => {
                if let Some(a) = additions.iter().find(|a| a.status == AdditionStatus::Ready) {
                    let id = a.addition_id.clone();
                    self.spawn("Fetching the pairing code…", move |app| {
                        Done::Pairing(app.pairing_code(&pid, id))
                    });
                } else {
                    self.flash = Some((
                        true,
                        "No device addition is ready: start one (a) and wait until its waiting period is over."
                            .into(),
                    ));
                }
            }
            _ => {}
        }
        Screen::Backup
    }
}

pub(super) fn backup_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![
        styled("Backup device", bold()),
        line("Install the app on another device too, so losing one is not fatal."),
        line("1. Here: a, then your PIN. Every device and channel is told."),
        line("2. Wait 1 hour; any device can stop it meanwhile (v)."),
        line("3. Here: p shows a one-time pairing code (3 minutes)."),
        line("4. On the new device: F2 on its first screen, type the code, choose its own PIN."),
        line(""),
    ];
    let additions = ui
        .status
        .as_ref()
        .map(|s| s.additions.clone())
        .unwrap_or_default();
    if additions.is_empty() {
        out.push(styled("No device addition under way.", dim()));
    }
    for a in &additions {
        out.push(line(format!(
            "Addition {}…: {} (wait until {})",
            a.addition_id.chars().take(8).collect::<String>(),
            a.status,
            local_time(a.wait_until_ms)
        )));
    }
    if let Some(p) = &ui.pairing {
        out.push(line(""));
        out.push(styled(
            "Pairing code (show it only to your new device):",
            bold(),
        ));
        out.push(line(p.payload.clone()));
        out.push(line(format!(
            "Valid until {}, once.",
            local_time(p.expires_at_ms)
        )));
    }
    (
        out,
        vec![
            line("a Add a device · v Stop an addition · p Pairing code"),
            line("r Fetch again · Esc Back"),
        ],
    )
}
