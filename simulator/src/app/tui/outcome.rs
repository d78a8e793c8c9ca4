//! What the owner sees after a decision or an action.

use ratatui::text::Line;

use super::render::{green, line, red, styled};
use super::*;

impl Ui {
    /// f freezes in one step and s shows support (after a report); Enter,
    /// Esc or h go home.
    pub(super) fn key_outcome(&mut self, o: Outcome, k: KeyEvent) -> Screen {
        match k.code {
            KeyCode::Char('f') if o.offer_freeze => {
                // Freeze in one step: the report already said why.
                if let Some(pid) = self.pid() {
                    self.spawn("Freezing…", move |app| Done::Frozen(app.freeze(&pid)));
                }
                Screen::Outcome(o)
            }
            KeyCode::Char('s') if o.offer_freeze => Screen::Support,
            KeyCode::Enter | KeyCode::Esc | KeyCode::Char('h') => Screen::Home,
            _ => Screen::Outcome(o),
        }
    }

    pub(super) fn decided(
        &mut self,
        decision: Decision,
        view: RequestView,
        result: Result<DecisionOutcome, Error>,
    ) {
        let what = format!(
            "{} – {}",
            view.requester_name,
            crate::card::action_label(view.action)
        );
        let outcome = match (decision, result) {
            (Decision::Approve, Ok(_)) => Outcome {
                good: true,
                title: "✓ Approved".into(),
                lines: vec![
                    what,
                    "Your approval was signed by this device and sent.".into(),
                    "You can go back to where you started.".into(),
                ],
                offer_freeze: false,
            },
            (Decision::Reject, Ok(_)) => Outcome {
                good: true,
                title: "Rejected".into(),
                lines: vec![what, "Nothing was approved.".into()],
                offer_freeze: false,
            },
            (Decision::Report, Ok(_)) => Outcome {
                good: true,
                title: "Reported: you did not start this".into(),
                lines: vec![
                    what,
                    "Nothing was approved, and the report was recorded.".into(),
                    "If someone phoned, mailed or visited and asked you to approve: hang up."
                        .into(),
                    "Nobody may ask that: not the bank, not the police, not support.".into(),
                    "Freeze your identity now? Press f: one step, no PIN.".into(),
                    format!(
                        "Support: {} · {}",
                        crate::app::support::phone_shown(),
                        crate::app::support::WEB_FORM
                    ),
                    format!(
                        "{} (Greenland time)",
                        crate::app::support::support()
                            .status(jiff::Timestamp::now().as_millisecond(), "en")
                            .text
                    ),
                ],
                offer_freeze: true,
            },
            (Decision::Approve, Err(e @ (Error::WrongPin { .. } | Error::Pin(_)))) => {
                if let Screen::Pin(pad) = &mut self.screen {
                    pad.digits.clear();
                    pad.armed_at = None;
                    pad.error = Some(pin_error_text(&e));
                    return;
                }
                failure(&e, what)
            }
            (_, Err(e)) => failure(&e, what),
        };
        self.screen = Screen::Outcome(outcome);
    }
}

pub(super) fn failure(e: &Error, what: String) -> Outcome {
    let title = match e {
        Error::RequestExpired => "The request has expired",
        Error::AlreadyDecided => "Already decided",
        Error::Network(_) => "Service unreachable",
        Error::DeviceSuspended { .. } => "This device is suspended",
        Error::DeviceBlocked => "This device is blocked",
        _ => "It did not work",
    };
    Outcome {
        good: false,
        title: title.into(),
        lines: vec![what, describe(e), "Nothing was approved.".into()],
        offer_freeze: false,
    }
}

pub(super) fn outcome_lines(o: &Outcome) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![
        styled(o.title.clone(), if o.good { green() } else { red() }),
        line(""),
    ];
    out.extend(o.lines.iter().map(|l| line(l.clone())));
    let keys = if o.offer_freeze {
        vec![line("f Freeze now · s Support · Enter Home")]
    } else {
        vec![line("Enter Home")]
    };
    (out, keys)
}
