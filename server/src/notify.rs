//! The notification outbox: every significant event is told to the owner on
//! every channel set up (the app, SMS to the phone, e-mail), from templates
//! with parameters, rendered in the owner's language (kl, da or en; the
//! templates live in the core's string files, see `akuersi_core::display::i18n`).
//!
//! The reference service does not send SMS or e-mail; it keeps them in the
//! outbox, which the operator API and the simulator show as inboxes. App-channel
//! notifications reach a device only when it asks (like requests).

use crate::error::Result;
use crate::storage::{NewNotification, Store};

/// Something the owner must be told about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A device addition started: the waiting period runs.
    AdditionStarted {
        /// The device that started it.
        by: &'a str,
        /// Minutes of waiting.
        minutes: i64,
    },
    /// A device addition was vetoed.
    AdditionVetoed {
        /// The device that vetoed.
        by: &'a str,
    },
    /// A device addition completed.
    AdditionCompleted {
        /// The new device.
        name: &'a str,
    },
    /// A device was removed.
    DeviceRemoved {
        /// The removed device.
        name: &'a str,
    },
    /// A device was suspended after wrong PINs.
    DeviceSuspended {
        /// The device.
        name: &'a str,
        /// For how many minutes.
        minutes: i64,
    },
    /// A device was blocked after wrong PINs.
    DeviceBlocked {
        /// The device.
        name: &'a str,
    },
    /// A device was re-activated with an activation code.
    DeviceReactivated {
        /// The device.
        name: &'a str,
    },
    /// An activation code was used.
    ActivationCodeUsed {
        /// The device it was used on.
        name: &'a str,
    },
    /// A device's PIN was changed.
    PinChanged {
        /// The device.
        name: &'a str,
    },
    /// Contact data changed (told to the old and the new addresses).
    ContactChanged,
    /// The user ID changed.
    UserIdChanged,
    /// The identity was frozen.
    Frozen {
        /// Who froze it: a device name or "support".
        by: &'a str,
    },
    /// The identity was unfrozen.
    Unfrozen,
    /// Every-use notice (opt-in).
    Used {
        /// Requester name.
        requester: &'a str,
        /// Action verb.
        action: &'a str,
        /// Decision.
        decision: &'a str,
        /// Deciding device.
        device: &'a str,
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
        }
    }

    fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            Event::AdditionStarted { by, minutes } => {
                vec![("device", (*by).into()), ("minutes", minutes.to_string())]
            }
            Event::AdditionVetoed { by } => vec![("device", (*by).into())],
            Event::AdditionCompleted { name }
            | Event::DeviceRemoved { name }
            | Event::DeviceBlocked { name }
            | Event::DeviceReactivated { name }
            | Event::ActivationCodeUsed { name }
            | Event::PinChanged { name } => vec![("device", (*name).into())],
            Event::DeviceSuspended { name, minutes } => {
                vec![("device", (*name).into()), ("minutes", minutes.to_string())]
            }
            Event::Frozen { by } => vec![("by", (*by).into())],
            Event::ContactChanged | Event::UserIdChanged | Event::Unfrozen => vec![],
            Event::Used {
                requester,
                action,
                decision,
                device,
            } => vec![
                ("requester", (*requester).into()),
                ("action", (*action).into()),
                ("decision", (*decision).into()),
                ("device", (*device).into()),
            ],
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
        let e = Event::AdditionStarted {
            by: "Aviaja's phone",
            minutes: 60,
        };
        let t = render(&e, "en");
        assert!(
            t.contains("Aviaja's phone") && t.contains("60 minutes"),
            "{t}"
        );
        assert!(!t.contains('{'));
        let e = Event::Used {
            requester: "Demo Bank",
            action: "log_on",
            decision: "approve",
            device: "phone",
        };
        assert!(!render(&e, "en").contains('{'));
        // The owner's language, with the action and decision translated.
        let da = render(&e, "da");
        assert!(da.contains("\"Log på\" hos Demo Bank, godkendt"), "{da}");
        for lang in ["kl", "da", "en"] {
            let t = render(
                &Event::DeviceSuspended {
                    name: "phone",
                    minutes: 15,
                },
                lang,
            );
            assert!(t.contains("\"phone\"") && t.contains("15"), "{t}");
        }
    }
}
