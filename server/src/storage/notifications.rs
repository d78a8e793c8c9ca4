//! The notification outbox.

use akuersi_protocol::wire::{Channel, NotificationItem, MAX_NOTIFICATION_PAGE};
use rusqlite::params;

use super::Store;
use crate::error::Result;

/// A notification to put in the outbox.
pub(crate) struct NewNotification<'a> {
    /// Whose.
    pub(crate) identity_id: &'a str,
    /// When.
    pub(crate) at_ms: i64,
    /// "app", "sms" or "email".
    pub(crate) channel: &'a str,
    /// The address ("" for the app).
    pub(crate) address: &'a str,
    /// The event's stable name.
    pub(crate) event: &'a str,
    /// The rendered text.
    pub(crate) text: &'a str,
}

impl Store<'_> {
    /// Put a notification in the outbox.
    pub(crate) fn insert_notification(&self, n: &NewNotification<'_>) -> Result<()> {
        self.exec(
            "INSERT INTO notifications(identity_id, at_ms, channel, address, event, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                n.identity_id,
                n.at_ms,
                n.channel,
                n.address,
                n.event,
                n.text
            ],
        )
    }

    /// Up to 1,000 notifications after `after_id`, oldest first, of one
    /// identity and one channel when given.
    pub(crate) fn outbox(
        &self,
        identity_id: Option<&str>,
        channel: Option<&str>,
        after_id: u64,
        since_ms: i64,
    ) -> Result<Vec<NotificationItem>> {
        let after = i64::try_from(after_id).unwrap_or(i64::MAX);
        self.all(
            "SELECT id, at_ms, channel, address, event, text FROM notifications
         WHERE (?1 IS NULL OR identity_id = ?1) AND (?2 IS NULL OR channel = ?2) AND id > ?3
           AND at_ms >= ?4
         ORDER BY id LIMIT ?5",
            params![identity_id, channel, after, since_ms, MAX_NOTIFICATION_PAGE],
            |r| {
                Ok(NotificationItem {
                    id: r.get(0)?,
                    at_ms: r.get(1)?,
                    channel: super::named(r, 2, Channel::from_str_opt)?,
                    address: r.get(3)?,
                    event: r.get(4)?,
                    text: r.get(5)?,
                })
            },
        )
    }
}
