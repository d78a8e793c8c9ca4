//! The first-run form: activation with a code from support or a citizen
//! service centre, or with a pairing code from another device.

use ratatui::style::Style;
use ratatui::text::{Line, Span};

use super::render::{bold, dim, line, masked, red, styled};
use super::*;

/// First-run form: activation code, or a pairing code from another device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FormMode {
    Code,
    Pairing,
}

/// One field of the first-run form.
pub(crate) struct Field {
    pub(crate) label: &'static str,
    pub(crate) value: Zeroizing<String>,
    /// A PIN: digits only, shown masked.
    pub(crate) pin: bool,
    pub(crate) max: usize,
}

pub(crate) struct Form {
    pub(crate) mode: FormMode,
    pub(crate) fields: Vec<Field>,
    pub(crate) focus: usize,
    pub(crate) error: Option<String>,
}

impl Form {
    pub(super) fn new(mode: FormMode, device_name: &str) -> Self {
        let text = |label, max| Field {
            label,
            value: Zeroizing::new(String::new()),
            pin: false,
            max,
        };
        let pin = |label| Field {
            label,
            value: Zeroizing::new(String::new()),
            pin: true,
            max: 6,
        };
        let mut name = text("Device name", 40);
        name.value.push_str(device_name);
        let fields = match mode {
            FormMode::Code => vec![
                text("User ID", 48),
                text("Activation code", 20),
                name,
                pin("New PIN (6 digits)"),
                pin("Repeat the PIN"),
            ],
            FormMode::Pairing => vec![
                text("Pairing code", 200),
                name,
                pin("New PIN (6 digits)"),
                pin("Repeat the PIN"),
            ],
        };
        Self {
            mode,
            fields,
            focus: 0,
            error: None,
        }
    }

    pub(super) fn value(&self, label: &str) -> String {
        self.fields
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.value.to_string())
            .unwrap_or_default()
    }

    /// The blocklist and format message for the new PIN as typed so far.
    pub(crate) fn pin_problem(&self) -> Option<String> {
        let new = self
            .fields
            .iter()
            .find(|f| f.label.starts_with("New PIN"))?;
        let again = self.fields.iter().find(|f| f.label.starts_with("Repeat"))?;
        if new.value.len() == 6 {
            if let Err(PinError::TooSimple) = Pin::new_chosen(new.value.to_string()) {
                return Some(
                    "This PIN is too easy to guess (like 123456, 000000 or 121212). Choose another."
                        .into(),
                );
            }
        }
        if again.value.len() == 6 && *again.value != *new.value {
            return Some("The two PINs differ.".into());
        }
        None
    }
}

impl Ui {
    pub(super) fn key_form(&mut self, mut form: Form, k: KeyEvent) -> Screen {
        let last = form.fields.len() - 1;
        match k.code {
            KeyCode::Esc => {
                self.quit = true;
            }
            KeyCode::F(2) => {
                let mode = match form.mode {
                    FormMode::Code => FormMode::Pairing,
                    FormMode::Pairing => FormMode::Code,
                };
                return Screen::Activate(Form::new(mode, &self.profile_name));
            }
            KeyCode::Tab | KeyCode::Down => form.focus = (form.focus + 1).min(last),
            KeyCode::BackTab | KeyCode::Up => form.focus = form.focus.saturating_sub(1),
            KeyCode::Enter if form.focus < last => form.focus += 1,
            KeyCode::Enter => self.submit_form(&mut form),
            KeyCode::Backspace => {
                form.fields[form.focus].value.pop();
                form.error = None;
            }
            KeyCode::Char(c) => form_char(&mut form, c),
            _ => {}
        }
        Screen::Activate(form)
    }

    pub(super) fn submit_form(&mut self, form: &mut Form) {
        if let Some(problem) = form.pin_problem() {
            form.error = Some(problem);
            return;
        }
        let pin_field = form
            .fields
            .iter()
            .position(|f| f.label.starts_with("New PIN"))
            .unwrap_or(0);
        let repeat_field = form
            .fields
            .iter()
            .position(|f| f.label.starts_with("Repeat"))
            .unwrap_or(0);
        if form.fields[pin_field].value.len() != 6 {
            form.error = Some("A PIN is exactly 6 digits.".into());
            form.focus = pin_field;
            return;
        }
        if *form.fields[repeat_field].value != *form.fields[pin_field].value {
            form.error = Some("The two PINs differ.".into());
            form.focus = repeat_field;
            return;
        }
        let name = form.value("Device name");
        let pin: String = std::mem::take(&mut *form.fields[pin_field].value);
        form.fields[repeat_field].value.clear();
        form.error = None;
        match form.mode {
            FormMode::Code => {
                let user = form.value("User ID");
                if let Err(e) = UserId::parse(user.trim()) {
                    form.error = Some(format!("User ID: {e}"));
                    form.focus = 0;
                    return;
                }
                let code = form.value("Activation code");
                self.spawn(
                    "Activating: making this device's key and checking the code…",
                    move |app| {
                        Done::Activated(app.activate(user.trim().to_owned(), code, pin, name))
                    },
                );
            }
            FormMode::Pairing => {
                let code = form.value("Pairing code");
                self.spawn("Joining with the pairing code…", move |app| {
                    Done::Activated(app.activate_with_pairing_code(
                        code.trim().to_owned(),
                        pin,
                        name,
                    ))
                });
            }
        }
    }
}

pub(super) fn form_char(form: &mut Form, c: char) {
    let field = &mut form.fields[form.focus];
    if field.value.chars().count() >= field.max || c.is_control() {
        return;
    }
    if field.pin && !c.is_ascii_digit() {
        return;
    }
    field.value.push(c);
    form.error = form.pin_problem();
}

pub(super) fn form_lines(form: &Form) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = vec![
        styled("Welcome to Akuersi", bold()),
        line(match form.mode {
            FormMode::Code => {
                "Activate this app with your user ID and the activation code from the citizen service centre (paper or SMS)."
            }
            FormMode::Pairing => {
                "Join your identity from an existing device: type the pairing code it shows (Backup device → p)."
            }
        }),
        line(""),
    ];
    for (i, field) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { "▶ " } else { "  " };
        let value = if field.pin {
            masked(&field.value, 6)
        } else {
            field.value.to_string()
        };
        let cursor = if focused { "▏" } else { "" };
        out.push(Line::from(vec![
            Span::styled(marker.to_owned(), bold()),
            Span::styled(
                format!("{}: ", field.label),
                if focused { bold() } else { Style::default() },
            ),
            Span::raw(format!("{value}{cursor}")),
        ]));
    }
    out.push(line(""));
    out.push(styled(
        "Choose a PIN nobody can guess: not 123456, 000000, 121212, a date…",
        dim(),
    ));
    out.push(styled(
        "Never show codes to anyone, and never give anyone your PIN.",
        dim(),
    ));
    if let Some(e) = &form.error {
        out.push(line(""));
        out.push(styled(e.clone(), red()));
    }
    let other = match form.mode {
        FormMode::Code => "F2 Join with a pairing code instead",
        FormMode::Pairing => "F2 Activate with an activation code instead",
    };
    (
        out,
        vec![
            line("Tab/↑↓ Move · Enter Next / Activate on the last field"),
            line(format!("{other} · Esc Quit")),
        ],
    )
}
