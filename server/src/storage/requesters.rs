//! The requester registry and the nonces of requesters' signed calls.

use akuersi_protocol::request::Action;
use akuersi_protocol::wire::{ChannelMode, RequesterInfo, RequesterNames};
use rusqlite::params;

use super::Store;
use crate::error::Result;

/// A comma-separated list of wire names, as stored.
fn join<T: Copy>(items: &[T], name: fn(T) -> &'static str) -> String {
    items.iter().map(|i| name(*i)).collect::<Vec<_>>().join(",")
}

/// A stored list of wire names back into values; an unknown name is a
/// storage error (only the service writes these columns).
fn split<T>(i: usize, text: &str, parse: fn(&str) -> Option<T>) -> rusqlite::Result<Vec<T>> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(|s| {
            parse(s).ok_or_else(|| {
                rusqlite::Error::FromSqlConversionFailure(
                    i,
                    rusqlite::types::Type::Text,
                    format!("unknown stored name {s:?}").into(),
                )
            })
        })
        .collect()
}

const COLUMNS: &str = "requester_id, name_kl, name_da, name_en, actions, channel_modes,
     max_per_minute, max_per_hour, public_key, registered_at_ms, revoked_at_ms";

fn to_info(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequesterInfo> {
    let actions: String = r.get(4)?;
    let modes: String = r.get(5)?;
    Ok(RequesterInfo {
        requester_id: r.get(0)?,
        names: RequesterNames {
            kl: r.get(1)?,
            da: r.get(2)?,
            en: r.get(3)?,
        },
        actions: split(4, &actions, Action::from_wire)?,
        channel_modes: split(5, &modes, ChannelMode::from_wire)?,
        max_per_minute: r.get(6)?,
        max_per_hour: r.get(7)?,
        public_key: r.get(8)?,
        registered_at_ms: r.get(9)?,
        revoked_at_ms: r.get(10)?,
    })
}

impl Store<'_> {
    /// A registered requester (revoked ones too).
    pub(crate) fn requester(&self, requester_id: &str) -> Result<Option<RequesterInfo>> {
        self.maybe(
            &format!("SELECT {COLUMNS} FROM requesters WHERE requester_id = ?1"),
            [requester_id],
            to_info,
        )
    }

    /// Every registered requester, by id.
    pub(crate) fn requesters(&self) -> Result<Vec<RequesterInfo>> {
        self.all(
            &format!("SELECT {COLUMNS} FROM requesters ORDER BY requester_id"),
            [],
            to_info,
        )
    }

    /// Register a requester; false if the id is taken (nothing written).
    pub(crate) fn insert_requester(&self, r: &RequesterInfo) -> Result<bool> {
        Ok(self.changed(
            "INSERT OR IGNORE INTO requesters(requester_id, name_kl, name_da, name_en, actions,
                 channel_modes, max_per_minute, max_per_hour, public_key, registered_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                r.requester_id,
                r.names.kl,
                r.names.da,
                r.names.en,
                join(&r.actions, Action::as_str),
                join(&r.channel_modes, ChannelMode::as_str),
                r.max_per_minute,
                r.max_per_hour,
                r.public_key,
                r.registered_at_ms,
            ],
        )? == 1)
    }

    /// Revoke a requester that is not revoked yet; false if there is none.
    pub(crate) fn revoke_requester(&self, requester_id: &str, now_ms: i64) -> Result<bool> {
        Ok(self.changed(
            "UPDATE requesters SET revoked_at_ms = ?2
                 WHERE requester_id = ?1 AND revoked_at_ms IS NULL",
            params![requester_id, now_ms],
        )? == 1)
    }

    /// Forget the nonces of messages stamped before `before_ms` (their
    /// timestamps are outside the window now, so they are refused anyway).
    pub(crate) fn purge_requester_nonces(&self, before_ms: i64) -> Result<()> {
        self.exec(
            "DELETE FROM requester_nonces WHERE timestamp_ms < ?1",
            [before_ms],
        )
    }

    /// Remember a requester's nonce; false if it was seen before.
    pub(crate) fn use_requester_nonce(
        &self,
        requester_id: &str,
        nonce: &[u8],
        timestamp_ms: i64,
    ) -> Result<bool> {
        Ok(self.changed(
            "INSERT OR IGNORE INTO requester_nonces(requester_id, nonce, timestamp_ms)
                 VALUES (?1, ?2, ?3)",
            params![requester_id, nonce, timestamp_ms],
        )? == 1)
    }

    /// How many requests (cancelled ones too) a requester created after `since_ms`.
    pub(crate) fn count_requester_creates(&self, requester_id: &str, since_ms: i64) -> Result<u32> {
        self.value(
            "SELECT count(*) FROM requests WHERE requester_id = ?1 AND created_at_ms > ?2",
            params![requester_id, since_ms],
        )
    }

    /// The unfrozen identity of a user key and its language; `None` for an
    /// unknown or frozen one (one query either way).
    pub(crate) fn unfrozen_identity_language(
        &self,
        user_key: &str,
    ) -> Result<Option<(String, String)>> {
        self.maybe(
            "SELECT identity_id, language FROM identities WHERE user_key = ?1 AND frozen = 0",
            [user_key],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
    }

    /// Set an identity's language (tests: nothing in the protocol sets it yet).
    #[cfg(test)]
    pub(crate) fn set_identity_language(&self, identity_id: &str, language: &str) -> Result<()> {
        self.exec(
            "UPDATE identities SET language = ?2 WHERE identity_id = ?1",
            params![identity_id, language],
        )
    }
}
