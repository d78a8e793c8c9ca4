//! Requests: what requesters ask, their state, channel binding and the
//! signed decision.

use akuersi_protocol::request::{Action, Amount, LocalizedText};
use akuersi_protocol::wire::{ChannelBindingKind, RequestStatus};
use rusqlite::params;

use super::Store;
use crate::error::Result;

/// A request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RequestRow {
    /// Its id.
    pub(crate) request_id: String,
    /// The identity it is for (`None` for an unknown or frozen user ID).
    pub(crate) identity_id: Option<String>,
    /// Fresh randomness signed into the approval.
    pub(crate) nonce: Vec<u8>,
    /// The requester's id.
    pub(crate) requester_id: String,
    /// The requester's name as shown.
    pub(crate) requester_name: String,
    /// What is asked.
    pub(crate) action: Action,
    /// The texts shown.
    pub(crate) texts: Vec<LocalizedText>,
    /// When it was made.
    pub(crate) created_at_ms: i64,
    /// When it lapses.
    pub(crate) expires_at_ms: i64,
    /// Its status as stored (a lapsed one still says pending).
    pub(crate) status: RequestStatus,
    /// The device that decided it.
    pub(crate) decided_by: Option<String>,
    /// The signed statement.
    pub(crate) statement: Option<Vec<u8>>,
    /// The device's signature over it.
    pub(crate) signature: Option<Vec<u8>>,
    /// The channel binding it asks for.
    pub(crate) channel_kind: Option<ChannelBindingKind>,
    /// The 4-digit code of a code binding.
    pub(crate) channel_code: Option<String>,
    /// The QR secret of a QR binding.
    pub(crate) channel_secret: Option<Vec<u8>>,
    /// Wrong channel-binding answers.
    pub(crate) channel_failures: u32,
    /// The device whose answer was right.
    pub(crate) channel_ok_device: Option<String>,
    /// That right answer.
    pub(crate) channel_ok_answer: Option<String>,
    /// The amount, for a payment.
    pub(crate) amount: Option<Amount>,
    /// The account, for a payment.
    pub(crate) account: Option<String>,
}

/// A new, pending request.
pub(crate) struct NewRequest<'a> {
    /// Its id.
    pub(crate) request_id: &'a str,
    /// The user ID's key, known or not.
    pub(crate) user_key: &'a str,
    /// The identity, when the user ID is known and not frozen.
    pub(crate) identity_id: Option<&'a str>,
    /// Fresh randomness.
    pub(crate) nonce: &'a [u8],
    /// The requester's id.
    pub(crate) requester_id: &'a str,
    /// The requester's name.
    pub(crate) requester_name: &'a str,
    /// What is asked.
    pub(crate) action: Action,
    /// The texts, as JSON.
    pub(crate) texts_json: &'a str,
    /// When it was made.
    pub(crate) created_at_ms: i64,
    /// When it lapses.
    pub(crate) expires_at_ms: i64,
    /// Hash of the poll handle.
    pub(crate) poll_handle_hash: &'a [u8],
    /// The channel binding it asks for.
    pub(crate) channel_kind: Option<ChannelBindingKind>,
    /// The code of a code binding.
    pub(crate) channel_code: Option<&'a str>,
    /// The secret of a QR binding.
    pub(crate) channel_secret: Option<&'a [u8]>,
    /// The amount, for a payment.
    pub(crate) amount: Option<&'a Amount>,
    /// The account, for a payment.
    pub(crate) account: Option<&'a str>,
}

/// A device's decision on a pending request.
pub(crate) struct RequestDecision<'a> {
    /// The request.
    pub(crate) request_id: &'a str,
    /// Its new status.
    pub(crate) status: RequestStatus,
    /// When.
    pub(crate) decided_at_ms: i64,
    /// The deciding device.
    pub(crate) decided_by: &'a str,
    /// The signed statement.
    pub(crate) statement: &'a [u8],
    /// The device's signature.
    pub(crate) signature: &'a [u8],
}

const REQUEST_COLUMNS: &str =
    "request_id, identity_id, nonce, requester_id, requester_name, action,
    texts_json, created_at_ms, expires_at_ms, status, decided_by, statement, signature,
    channel_kind, channel_code, channel_secret, channel_failures, channel_ok_device,
    channel_ok_answer, amount_minor, amount_currency, account";

fn kind_str(kind: ChannelBindingKind) -> &'static str {
    match kind {
        ChannelBindingKind::Code => "code",
        ChannelBindingKind::Qr => "qr",
    }
}

fn read_request(r: &rusqlite::Row<'_>) -> rusqlite::Result<RequestRow> {
    let bad = |i: usize, what: &str| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("stored {what} is not valid").into(),
        )
    };
    let action: String = r.get(5)?;
    let texts: String = r.get(6)?;
    let status: String = r.get(9)?;
    Ok(RequestRow {
        request_id: r.get(0)?,
        identity_id: r.get(1)?,
        nonce: r.get(2)?,
        requester_id: r.get(3)?,
        requester_name: r.get(4)?,
        action: Action::from_wire(&action).ok_or_else(|| bad(5, "action"))?,
        texts: serde_json::from_str(&texts).map_err(|_| bad(6, "texts"))?,
        created_at_ms: r.get(7)?,
        expires_at_ms: r.get(8)?,
        status: RequestStatus::from_wire(&status).ok_or_else(|| bad(9, "status"))?,
        decided_by: r.get(10)?,
        statement: r.get(11)?,
        signature: r.get(12)?,
        channel_kind: match r.get::<_, Option<String>>(13)?.as_deref() {
            None => None,
            Some("code") => Some(ChannelBindingKind::Code),
            Some("qr") => Some(ChannelBindingKind::Qr),
            Some(_) => return Err(bad(13, "channel kind")),
        },
        channel_code: r.get(14)?,
        channel_secret: r.get(15)?,
        channel_failures: r.get(16)?,
        channel_ok_device: r.get(17)?,
        channel_ok_answer: r.get(18)?,
        amount: match (
            r.get::<_, Option<i64>>(19)?,
            r.get::<_, Option<String>>(20)?,
        ) {
            (Some(minor_units), Some(currency)) => Some(Amount {
                minor_units,
                currency,
            }),
            _ => None,
        },
        account: r.get(21)?,
    })
}

impl Store<'_> {
    /// Requests for a user key made after `since_ms`, withdrawn ones not counted.
    pub(crate) fn count_recent_requests(&self, user_key: &str, since_ms: i64) -> Result<u32> {
        self.value(
            // Withdrawn requests do not count: else anyone could create
            // and cancel ten in seconds and lock the owner out for an hour.
            "SELECT count(*) FROM requests
                 WHERE user_key = ?1 AND created_at_ms > ?2 AND status != 'cancelled'",
            params![user_key, since_ms],
        )
    }

    /// Whether a request for a user key is pending and unexpired at `now_ms`.
    pub(crate) fn pending_request_exists(&self, user_key: &str, now_ms: i64) -> Result<bool> {
        self.value(
            "SELECT EXISTS(SELECT 1 FROM requests
                   WHERE user_key = ?1 AND status = 'pending' AND expires_at_ms > ?2)",
            params![user_key, now_ms],
        )
    }

    /// Store a new pending request.
    pub(crate) fn insert_request(&self, q: &NewRequest<'_>) -> Result<()> {
        self.exec(
            "INSERT INTO requests(request_id, user_key, identity_id, nonce, requester_id,
                    requester_name, action, texts_json, created_at_ms, expires_at_ms, status,
                    poll_handle_hash, channel_kind, channel_code, channel_secret, amount_minor,
                    amount_currency, account)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
            params![
                q.request_id,
                q.user_key,
                q.identity_id,
                q.nonce,
                q.requester_id,
                q.requester_name,
                q.action.as_str(),
                q.texts_json,
                q.created_at_ms,
                q.expires_at_ms,
                q.poll_handle_hash,
                q.channel_kind.map(kind_str),
                q.channel_code,
                q.channel_secret,
                q.amount.map(|a| a.minor_units),
                q.amount.map(|a| a.currency.as_str()),
                q.account
            ],
        )
    }

    /// The request with this poll-handle hash.
    pub(crate) fn request_by_handle_hash(&self, hash: &[u8]) -> Result<Option<RequestRow>> {
        self.maybe(
            &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE poll_handle_hash = ?1"),
            [hash],
            read_request,
        )
    }

    /// A request by id.
    pub(crate) fn request(&self, request_id: &str) -> Result<Option<RequestRow>> {
        self.maybe(
            &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE request_id = ?1"),
            [request_id],
            read_request,
        )
    }

    /// An identity's pending requests unexpired at `now_ms`, oldest first.
    pub(crate) fn pending_requests(
        &self,
        identity_id: &str,
        now_ms: i64,
    ) -> Result<Vec<RequestRow>> {
        self.all(
            &format!(
                "SELECT {REQUEST_COLUMNS} FROM requests
                 WHERE identity_id = ?1 AND status = 'pending' AND expires_at_ms > ?2
                 ORDER BY created_at_ms"
            ),
            params![identity_id, now_ms],
            read_request,
        )
    }

    /// Push-fatigue: requests of this requester to the identity since
    /// `since_ms`, other than `request_id`, that the owner did not accept
    /// (rejected, reported, left to lapse by `now_ms`, or cancelled by 3
    /// wrong channel-binding answers).
    pub(crate) fn count_recent_declined(
        &self,
        identity_id: &str,
        requester_id: &str,
        since_ms: i64,
        request_id: &str,
        now_ms: i64,
    ) -> Result<u32> {
        self.value(
            "SELECT count(*) FROM requests
                     WHERE identity_id = ?1 AND requester_id = ?2 AND created_at_ms > ?3
                       AND request_id != ?4
                       AND (status IN ('rejected', 'reported')
                            OR (status = 'pending' AND expires_at_ms <= ?5)
                            OR (status = 'cancelled' AND channel_failures >= ?6))",
            params![
                identity_id,
                requester_id,
                since_ms,
                request_id,
                now_ms,
                crate::service::channel::CHANNEL_MAX_FAILURES
            ],
        )
    }

    /// Cancel every pending, unexpired request of the identity (at freeze: nobody may
    /// decide them while it is frozen, and none is left for after).
    pub(crate) fn cancel_pending_requests(&self, identity_id: &str, now_ms: i64) -> Result<()> {
        self.exec(
            "UPDATE requests SET status = 'cancelled', decided_at_ms = ?2
             WHERE identity_id = ?1 AND status = 'pending' AND expires_at_ms > ?2",
            params![identity_id, now_ms],
        )
    }

    /// The requester withdrew a request.
    pub(crate) fn cancel_request(&self, request_id: &str, now_ms: i64) -> Result<()> {
        self.exec(
            "UPDATE requests SET status = 'cancelled', decided_at_ms = ?2 WHERE request_id = ?1",
            params![request_id, now_ms],
        )
    }

    /// Record a decision on a request that is still pending; false if it
    /// no longer is (another device won).
    pub(crate) fn decide_request(&self, d: &RequestDecision<'_>) -> Result<bool> {
        let changed = self.changed(
            "UPDATE requests SET status = ?2, decided_at_ms = ?3, decided_by = ?4, statement = ?5, signature = ?6
                 WHERE request_id = ?1 AND status = 'pending'",
            params![
                d.request_id,
                d.status.as_str(),
                d.decided_at_ms,
                d.decided_by,
                d.statement,
                d.signature
            ],
        )?;
        Ok(changed == 1)
    }

    /// A device gave the right channel-binding answer.
    pub(crate) fn set_channel_ok(
        &self,
        request_id: &str,
        device_id: &str,
        answer: &str,
    ) -> Result<()> {
        self.exec(
            "UPDATE requests SET channel_ok_device = ?2, channel_ok_answer = ?3 WHERE request_id = ?1",
            params![request_id, device_id, answer],
        )
    }

    /// Count a wrong channel-binding answer.
    pub(crate) fn count_channel_failure(&self, request_id: &str, failures: u32) -> Result<()> {
        self.exec(
            "UPDATE requests SET channel_failures = ?2 WHERE request_id = ?1",
            params![request_id, failures],
        )
    }

    /// Count the last wrong channel-binding answer and cancel the request.
    pub(crate) fn cancel_after_channel_failures(
        &self,
        request_id: &str,
        failures: u32,
        now_ms: i64,
    ) -> Result<()> {
        self.exec(
            "UPDATE requests SET channel_failures = ?2, status = 'cancelled', decided_at_ms = ?3
                     WHERE request_id = ?1",
            params![request_id, failures, now_ms],
        )
    }
}
