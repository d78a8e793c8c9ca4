//! SPAKE2+ PIN-proof sessions.

use rusqlite::params;

use super::Store;
use crate::error::Result;

/// A PIN-proof session opened at pin-start.
pub(crate) struct NewPinSession<'a> {
    /// Its id.
    pub(crate) session_id: &'a str,
    /// The device proving its PIN.
    pub(crate) device_id: &'a str,
    /// The request it is for ("" for an operation).
    pub(crate) request_id: &'a str,
    /// The device's SPAKE2+ share.
    pub(crate) share_p: &'a [u8],
    /// The service's SPAKE2+ share.
    pub(crate) share_v: &'a [u8],
    /// The confirmation a right PIN gives.
    pub(crate) expected_confirm_p: &'a [u8],
    /// When it lapses.
    pub(crate) expires_at_ms: i64,
    /// What it is for (the purpose as JSON).
    pub(crate) purpose: &'a str,
}

/// What an open session holds for checking its proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PinSessionShares {
    /// The device's SPAKE2+ share.
    pub(crate) share_p: Vec<u8>,
    /// The service's SPAKE2+ share.
    pub(crate) share_v: Vec<u8>,
    /// The confirmation a right PIN gives.
    pub(crate) expected_confirm_p: Vec<u8>,
}

impl Store<'_> {
    /// Open a PIN-proof session.
    pub(crate) fn insert_pin_session(&self, s: &NewPinSession<'_>) -> Result<()> {
        self.exec(
            "INSERT INTO pake_sessions(session_id, device_id, request_id, share_p, share_v,
                    expected_confirm_p, expires_at_ms, purpose)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                s.session_id,
                s.device_id,
                s.request_id,
                s.share_p,
                s.share_v,
                s.expected_confirm_p,
                s.expires_at_ms,
                s.purpose
            ],
        )
    }

    /// An unused session of the device for `purpose` (as JSON) that has not
    /// lapsed at `now_ms`.
    pub(crate) fn open_pin_session(
        &self,
        session_id: &str,
        device_id: &str,
        purpose: &str,
        now_ms: i64,
    ) -> Result<Option<PinSessionShares>> {
        self.maybe(
            "SELECT share_p, share_v, expected_confirm_p FROM pake_sessions
             WHERE session_id = ?1 AND device_id = ?2 AND purpose = ?3
               AND used = 0 AND expires_at_ms > ?4",
            params![session_id, device_id, purpose, now_ms],
            row_to!(PinSessionShares {
                share_p,
                share_v,
                expected_confirm_p
            }),
        )
    }

    /// A session of the device for `purpose` (as JSON), used or not, lapsed
    /// or not: what a signature over it covers.
    pub(crate) fn any_pin_session(
        &self,
        session_id: &str,
        device_id: &str,
        purpose: &str,
    ) -> Result<Option<PinSessionShares>> {
        self.maybe(
            "SELECT share_p, share_v, expected_confirm_p FROM pake_sessions
             WHERE session_id = ?1 AND device_id = ?2 AND purpose = ?3",
            params![session_id, device_id, purpose],
            row_to!(PinSessionShares {
                share_p,
                share_v,
                expected_confirm_p
            }),
        )
    }

    /// The request ("" for an operation) of an unused session of the
    /// device, lapsed or not.
    pub(crate) fn unused_pin_session_request(
        &self,
        session_id: &str,
        device_id: &str,
    ) -> Result<Option<String>> {
        self.maybe_value(
            "SELECT request_id FROM pake_sessions WHERE session_id = ?1 AND device_id = ?2 AND used = 0",
            params![session_id, device_id],
        )
    }

    /// Use a session up.
    pub(crate) fn close_pin_session(&self, session_id: &str) -> Result<()> {
        self.exec(
            "UPDATE pake_sessions SET used = 1 WHERE session_id = ?1",
            [session_id],
        )
    }
}
