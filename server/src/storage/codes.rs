//! Activation codes (stored as keyed hashes).

use rusqlite::params;

use super::Store;
use crate::error::Result;

/// A new activation code.
pub(crate) struct NewActivationCode<'a> {
    /// The identity it is for.
    pub(crate) identity_id: &'a str,
    /// Its keyed hash.
    pub(crate) code_hash: &'a [u8],
    /// "paper" or "sms".
    pub(crate) channel: &'a str,
    /// When it was issued.
    pub(crate) issued_at_ms: i64,
    /// When it lapses.
    pub(crate) expires_at_ms: i64,
}

/// An unused, unexpired activation code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LiveCode {
    /// Its row id.
    pub(crate) code_id: i64,
    /// Its keyed hash.
    pub(crate) code_hash: Vec<u8>,
    /// Wrong tries counted against it.
    pub(crate) failures: u32,
}

impl Store<'_> {
    /// Store a new activation code.
    pub(crate) fn insert_activation_code(&self, c: &NewActivationCode<'_>) -> Result<()> {
        self.exec(
            "INSERT INTO activation_codes(identity_id, code_hash, channel, issued_at_ms, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            params![c.identity_id, c.code_hash, c.channel, c.issued_at_ms, c.expires_at_ms],
        )
    }

    /// An identity's unused codes that have not lapsed at `now_ms`
    /// (blocked ones included).
    pub(crate) fn unused_codes(&self, identity_id: &str, now_ms: i64) -> Result<Vec<LiveCode>> {
        self.all(
            "SELECT code_id, code_hash, failures FROM activation_codes
             WHERE identity_id = ?1 AND used_at_ms IS NULL AND expires_at_ms > ?2",
            params![identity_id, now_ms],
            row_to!(LiveCode {
                code_id,
                code_hash,
                failures
            }),
        )
    }

    /// Count a wrong try against a code.
    pub(crate) fn count_code_failure(&self, code_id: i64) -> Result<()> {
        self.exec(
            "UPDATE activation_codes SET failures = failures + 1 WHERE code_id = ?1",
            [code_id],
        )
    }

    /// Bump the one-row write pad: a refusal that counts nothing then still
    /// commits a write, like one that counts a wrong try, and changes no
    /// service state (the pad is in no state table).
    pub(crate) fn bump_pad(&self) -> Result<()> {
        self.exec("UPDATE write_pad SET pad = pad + 1 WHERE id = 1", [])
    }

    /// Use a code up.
    pub(crate) fn use_code(&self, code_id: i64, now_ms: i64) -> Result<()> {
        self.exec(
            "UPDATE activation_codes SET used_at_ms = ?2 WHERE code_id = ?1",
            params![code_id, now_ms],
        )
    }
}
