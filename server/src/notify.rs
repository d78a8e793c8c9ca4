//! The notification outbox: every significant event is told to the owner on
//! every channel set up (the app, SMS to the phone, e-mail), from templates
//! with parameters, rendered in the owner's language (kl, da or en; the
//! templates live in the core's string files, see `akuersi_core::display::i18n`).
//!
//! Messages go out on the service's behalf, so they carry no free text that
//! came in without a PIN or from an unauthenticated party: a device is named
//! by a [`DeviceLabel`] made from its id (never by its name, which a thief
//! can set without the PIN), and a requester's name is not repeated (anyone
//! can call `requests/create` with any name).
//!
//! The reference service does not send SMS or e-mail; it keeps them in the
//! outbox, which the operator API and the simulator show as inboxes. App-channel
//! notifications reach a device only when it asks (like requests).

use crate::error::Result;
use crate::storage::{NewNotification, Store};

/// How messages name a device: `#` and the last four characters of its id,
/// upper-case (`#5D53`). Made only from a device id, so no text a device or
/// a caller chose can reach an SMS or e-mail through it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLabel(String);

impl DeviceLabel {
    /// The label of `device_id`.
    pub fn of(device_id: &str) -> Self {
        let tail: String = device_id
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .filter(char::is_ascii_alphanumeric)
            .collect();
        Self(format!("#{}", tail.to_ascii_uppercase()))
    }

    /// The label as shown.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The label messages use for `device_id` (see [`DeviceLabel`]).
pub fn device_label(device_id: &str) -> DeviceLabel {
    DeviceLabel::of(device_id)
}

/// Something the owner must be told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A device addition started: the waiting period runs.
    AdditionStarted {
        /// The device that started it.
        by: &'a DeviceLabel,
        /// Minutes of waiting.
        minutes: i64,
    },
    /// A device addition was vetoed.
    AdditionVetoed {
        /// The device that vetoed.
        by: &'a DeviceLabel,
    },
    /// A device addition completed.
    AdditionCompleted {
        /// The new device.
        device: &'a DeviceLabel,
    },
    /// A device was removed.
    DeviceRemoved {
        /// The removed device.
        device: &'a DeviceLabel,
    },
    /// A device was suspended after wrong PINs.
    DeviceSuspended {
        /// The device.
        device: &'a DeviceLabel,
        /// For how many minutes.
        minutes: i64,
    },
    /// A device was blocked after wrong PINs.
    DeviceBlocked {
        /// The device.
        device: &'a DeviceLabel,
    },
    /// A device was re-activated with an activation code.
    DeviceReactivated {
        /// The device.
        device: &'a DeviceLabel,
    },
    /// An activation code was used.
    ActivationCodeUsed {
        /// The device it was used on.
        device: &'a DeviceLabel,
    },
    /// A device's PIN was changed.
    PinChanged {
        /// The device.
        device: &'a DeviceLabel,
    },
    /// Contact data changed (told to the old and the new addresses).
    ContactChanged,
    /// The user ID changed.
    UserIdChanged,
    /// The identity was frozen.
    Frozen {
        /// The device that froze it; `None` for support.
        by: Option<&'a DeviceLabel>,
    },
    /// The identity was unfrozen.
    Unfrozen,
    /// Every-use notice (opt-in).
    Used {
        /// Action verb.
        action: &'a str,
        /// Decision.
        decision: &'a str,
        /// Deciding device.
        device: &'a DeviceLabel,
    },
    /// A wrong PIN was proved (seen by the service or reported by the device).
    WrongPin {
        /// The device.
        device: &'a DeviceLabel,
        /// Wrong or abandoned attempts on the identity's devices since this
        /// device's last correct PIN, this one included.
        failed: u32,
    },
    /// A PIN attempt was started and never finished (it lapsed, or the
    /// device started another one).
    PinAbandoned {
        /// The device.
        device: &'a DeviceLabel,
        /// As for [`Event::WrongPin`].
        failed: u32,
    },
}

impl Event<'_> {
    /// Stable event name.
    pub fn name(&self) -> &'static str {
        match self {
            Event::AdditionStarted { .. } => "device_addition_started",
            Event::AdditionVetoed { .. } => "device_addition_vetoed",
            Event::AdditionCompleted { .. } => "device_addition_completed",
            Event::DeviceRemoved { .. } => "device_removed",
            Event::DeviceSuspended { .. } => "device_suspended",
            Event::DeviceBlocked { .. } => "device_blocked",
            Event::DeviceReactivated { .. } => "device_reactivated",
            Event::ActivationCodeUsed { .. } => "activation_code_used",
            Event::PinChanged { .. } => "pin_changed",
            Event::ContactChanged => "contact_changed",
            Event::UserIdChanged => "user_id_changed",
            Event::Frozen { .. } => "identity_frozen",
            Event::Unfrozen => "identity_unfrozen",
            Event::Used { .. } => "identity_used",
            Event::WrongPin { .. } => "wrong_pin",
            Event::PinAbandoned { .. } => "pin_abandoned",
        }
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        let device = |d: &DeviceLabel| ("device", d.as_str().to_owned());
        match self {
            Event::AdditionStarted { by, minutes } => {
                vec![device(by), ("minutes", minutes.to_string())]
            }
            Event::AdditionVetoed { by } => vec![device(by)],
            Event::AdditionCompleted { device: d }
            | Event::DeviceRemoved { device: d }
            | Event::DeviceBlocked { device: d }
            | Event::DeviceReactivated { device: d }
            | Event::ActivationCodeUsed { device: d }
            | Event::PinChanged { device: d } => vec![device(d)],
            Event::DeviceSuspended { device: d, minutes } => {
                vec![device(d), ("minutes", minutes.to_string())]
            }
            Event::Frozen { by } => vec![(
                "by",
                match by {
                    Some(d) => format!("the device \"{}\"", d.as_str()),
                    None => "support".into(),
                },
            )],
            Event::ContactChanged | Event::UserIdChanged | Event::Unfrozen => vec![],
            Event::Used {
                action,
                decision,
                device: d,
            } => vec![
                ("action", (*action).into()),
                ("decision", (*decision).into()),
                device(d),
            ],
            Event::WrongPin { device: d, failed } | Event::PinAbandoned { device: d, failed } => {
                vec![device(d), ("count", failed.to_string())]
            }
        }
    }
}

/// Render an event in the owner's language from the core's notification
/// templates (`notification.<event name>` in core/strings; falling back to
/// Danish, then English). Stable codes among the parameters (the action, the
/// decision, who froze) are translated there too.
pub fn render(event: &Event<'_>, language: &str) -> String {
    let params = event.params();
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    akuersi_core::display::i18n::notification(language, event.name(), &borrowed)
}

/// Put `event` in the outbox of every channel of the identity (app always,
/// SMS and e-mail when set up), plus any `extra` (channel, address) pairs —
/// such as the old address when contact data changes.
pub(crate) fn notify_to(
    tx: &Store<'_>,
    identity_id: &str,
    now: i64,
    event: &Event<'_>,
    extra: &[(&str, &str)],
) -> Result<()> {
    let contact = tx.contact(identity_id)?;
    let text = render(event, &contact.language);
    let mut targets: Vec<(&str, String)> = vec![("app", String::new())];
    if let Some(p) = contact.phone {
        targets.push(("sms", p));
    }
    if let Some(e) = contact.email {
        targets.push(("email", e));
    }
    for (c, a) in extra {
        if !targets.iter().any(|(tc, ta)| tc == c && ta == a) {
            targets.push((c, (*a).to_owned()));
        }
    }
    for (channel, address) in targets {
        tx.insert_notification(&NewNotification {
            identity_id,
            at_ms: now,
            channel,
            address: &address,
            event: event.name(),
            text: &text,
        })?;
    }
    Ok(())
}

/// Put `event` in the outbox of every channel of the identity.
pub(crate) fn notify(tx: &Store<'_>, identity_id: &str, now: i64, event: &Event<'_>) -> Result<()> {
    notify_to(tx, identity_id, now, event, &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_fill_every_parameter() {
        let phone = DeviceLabel::of("906c030473c1043cf0f6754f5fd153d5");
        assert_eq!(phone.as_str(), "#53D5");
        let e = Event::AdditionStarted {
            by: &phone,
            minutes: 60,
        };
        let t = render(&e, "en");
        assert!(t.contains("#53D5") && t.contains("60 minutes"), "{t}");
        assert!(!t.contains('{'));
        let e = Event::Used {
            action: "log_on",
            decision: "approve",
            device: &phone,
        };
        assert!(!render(&e, "en").contains('{'));
        // The owner's language, with the action and decision translated.
        let da = render(&e, "da");
        assert!(da.contains("\"Log på\", godkendt"), "{da}");
        for lang in ["kl", "da", "en"] {
            let t = render(
                &Event::DeviceSuspended {
                    device: &phone,
                    minutes: 15,
                },
                lang,
            );
            assert!(t.contains("\"#53D5\"") && t.contains("15"), "{t}");
            for e in [
                Event::WrongPin {
                    device: &phone,
                    failed: 7,
                },
                Event::PinAbandoned {
                    device: &phone,
                    failed: 7,
                },
            ] {
                let t = render(&e, lang);
                assert!(
                    t.contains("#53D5") && t.contains('7') && !t.contains('{'),
                    "{t}"
                );
            }
        }
    }

    #[test]
    fn a_label_is_made_of_the_id_alone() {
        // Whatever a device id looks like, only its last four letters or
        // digits reach a message.
        assert_eq!(DeviceLabel::of("ab").as_str(), "#AB");
        assert_eq!(DeviceLabel::of("x +299 1234").as_str(), "#1234");
        assert_eq!(DeviceLabel::of("call +2").as_str(), "#L2");
    }
}
