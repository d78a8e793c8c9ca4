//! A request's life: a registered requester creates it with a signed call
//! (one pending request per user ID, a rate limit per hour per user ID and
//! the requester's own limits), polls it and may cancel it; it lapses at
//! its expiry; devices of its identity list it while it is pending.

use akuersi_protocol::approval::Evidence;
use akuersi_protocol::crypto::{is_hex_id, random_array, random_id, sha256};
use akuersi_protocol::encoding::b64_encode;
use akuersi_protocol::identity::UserId;
use akuersi_protocol::request::{validate_account, validate_texts};
use akuersi_protocol::wire::{
    qr_value, CancelRequest, ChannelBindingKind, ChannelMode, CreateRequest, CreateRequestResponse,
    DeviceSigned, ErrorCode, PendingQuery, PendingRequest, PendingResponse, PollRequest,
    PollResponse, RequestStatus, RequesterSigned, MAX_TTL_SECONDS, MIN_TTL_SECONDS,
};

use super::channel::{qr_counter_at, CHANNEL_MAX_FAILURES};
use super::{err, Service};
use crate::error::{Result, ServiceError};
use crate::storage::{NewRequest, Outcome, RequestRow, Store};

impl RequestRow {
    /// The request as a device is shown it (and signs it).
    pub(crate) fn to_pending(&self, recent_declined: u32) -> PendingRequest {
        PendingRequest {
            request_id: self.request_id.clone(),
            nonce: self.nonce.clone(),
            requester_id: self.requester_id.clone(),
            requester_name: self.requester_name.clone(),
            action: self.action,
            texts: self.texts.clone(),
            created_at_ms: self.created_at_ms,
            expires_at_ms: self.expires_at_ms,
            channel_binding: self.channel_kind,
            amount: self.amount.clone(),
            account: self.account.clone(),
            recent_declined,
            failed_pin_attempts: 0,
        }
    }

    pub(crate) fn status_at(&self, now_ms: i64) -> RequestStatus {
        if self.status == RequestStatus::Pending && now_ms >= self.expires_at_ms {
            RequestStatus::Expired
        } else {
            self.status
        }
    }
}

fn hash_handle(handle: &str) -> [u8; 32] {
    sha256(&[b"akuersi/v1/poll-handle", handle.as_bytes()])
}

impl Service {
    /// Start a request for a registered requester (a signed call). The name
    /// the owner reads is the registry's, in the owner's language. An
    /// unknown user ID gets the same answer as a known one, through the same
    /// work, and its request simply lapses. A refused call writes nothing.
    /// Writes state.
    pub fn create_request(
        &self,
        msg: RequesterSigned<CreateRequest>,
    ) -> Result<CreateRequestResponse> {
        self.check_requester_early(&msg);
        let requester_id = msg.requester_id.clone();
        let req = &msg.body;
        let user = UserId::parse(&req.user_id)
            .map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        let texts = validate_texts(req.texts.clone())
            .map_err(|e| err(ErrorCode::InvalidText, &e.to_string()))?;
        if let Some(a) = &req.amount {
            a.validate()
                .map_err(|e| err(ErrorCode::InvalidText, &e.to_string()))?;
        }
        let account = req
            .account
            .as_deref()
            .map(validate_account)
            .transpose()
            .map_err(|e| err(ErrorCode::InvalidText, &e.to_string()))?;
        let ttl = req.ttl_seconds.unwrap_or(MAX_TTL_SECONDS);
        if !(MIN_TTL_SECONDS..=MAX_TTL_SECONDS).contains(&ttl) {
            return Err(err(
                ErrorCode::InvalidTtl,
                &format!("ttl_seconds must be {MIN_TTL_SECONDS} to {MAX_TTL_SECONDS}"),
            ));
        }
        let texts_json = serde_json::to_string(&texts).map_err(ServiceError::internal)?;
        let request_id = random_id().map_err(ServiceError::internal)?;
        let nonce = random_array::<32>().map_err(ServiceError::internal)?;
        let poll_handle = b64_encode(&random_array::<32>().map_err(ServiceError::internal)?);
        // Channel binding material is made the same way for unknown user IDs.
        let (channel_code, channel_secret) = match req.channel_binding {
            None => (None, None),
            Some(ChannelBindingKind::Code) => {
                let r = random_array::<4>().map_err(ServiceError::internal)?;
                (Some(format!("{:04}", u32::from_be_bytes(r) % 10_000)), None)
            }
            Some(ChannelBindingKind::Qr) => (
                None,
                Some(
                    random_array::<32>()
                        .map_err(ServiceError::internal)?
                        .to_vec(),
                ),
            ),
        };
        let now = self.now_ms();
        let expires_at_ms = now + i64::from(ttl) * 1000;
        self.db.write(|tx| {
            let requester = self.authenticate_requester(tx, &msg, now)?;
            if !requester.actions.contains(&req.action) {
                return Err(err(
                    ErrorCode::ActionNotAllowed,
                    "this requester is not registered for this action",
                ));
            }
            if !requester
                .channel_modes
                .contains(&ChannelMode::of(req.channel_binding))
            {
                return Err(err(
                    ErrorCode::ChannelBindingNotAllowed,
                    "this requester is not registered for this channel-binding mode",
                ));
            }
            // The requester's own limits, the same for every user ID.
            if tx.count_requester_creates(&requester_id, now - 60_000)? >= requester.max_per_minute
                || tx.count_requester_creates(&requester_id, now - 3_600_000)?
                    >= requester.max_per_hour
            {
                return Err(err(
                    ErrorCode::RateLimited,
                    "this requester made too many requests in its registered minute or hour limit",
                ));
            }
            // Keyed by user ID, not identity, so unknown IDs behave the same.
            // Withdrawn requests do not count: else anyone could create
            // and cancel ten in seconds and lock the owner out for an hour.
            let recent = tx.count_recent_requests(user.key(), now - 3_600_000)?;
            if recent >= self.config.max_requests_per_hour {
                return Err(err(
                    ErrorCode::RateLimited,
                    "too many requests for this user ID in the last hour",
                ));
            }
            // A frozen identity answers exactly like an unknown user ID; an
            // unknown one takes the same query and gets the English name.
            let (identity_id, language) = match tx.unfrozen_identity_language(user.key())? {
                Some((id, language)) => (Some(id), language),
                None => (None, "en".to_owned()),
            };
            let requester_name = requester.names.for_language(&language);
            let busy = tx.pending_request_exists(user.key(), now)?;
            if busy {
                return Err(err(
                    ErrorCode::PendingRequestExists,
                    "a request for this user ID is already waiting; wait until it is decided or lapses",
                ));
            }
            tx.insert_request(&NewRequest {
                request_id: &request_id,
                user_key: user.key(),
                identity_id: identity_id.as_deref(),
                nonce: &nonce,
                requester_id: &requester_id,
                requester_name,
                action: req.action,
                texts_json: &texts_json,
                created_at_ms: now,
                expires_at_ms,
                poll_handle_hash: &hash_handle(&poll_handle),
                channel_kind: req.channel_binding,
                channel_code: channel_code.as_deref(),
                channel_secret: channel_secret.as_deref(),
                amount: req.amount.as_ref(),
                account: account.as_deref(),
            })?;
            Ok(Outcome::Done(()))
        })?;
        Ok(CreateRequestResponse {
            request_id,
            expires_at_ms,
            poll_handle,
            server_time_ms: now,
            channel_code,
        })
    }

    fn request_by_handle(&self, tx: &Store<'_>, handle: &str) -> Result<RequestRow> {
        if handle.is_empty() || handle.len() > 64 {
            return Err(err(
                ErrorCode::RequestNotFound,
                "no request has this poll handle",
            ));
        }
        tx.request_by_handle_hash(&hash_handle(handle))?
            .ok_or_else(|| {
                err(
                    ErrorCode::RequestNotFound,
                    "no request has this poll handle",
                )
            })
    }

    fn poll_response(&self, conn: &Store<'_>, row: &RequestRow, now: i64) -> Result<PollResponse> {
        let evidence = match (&row.decided_by, &row.statement, &row.signature) {
            (Some(device_id), Some(statement), Some(signature)) => {
                let public_key = conn.device_public_key(device_id)?;
                Some(Evidence {
                    device_id: device_id.clone(),
                    device_public_key: public_key,
                    statement: statement.clone(),
                    signature: signature.clone(),
                })
            }
            _ => None,
        };
        let status = row.status_at(now);
        let pending = status == RequestStatus::Pending;
        Ok(PollResponse {
            request_id: row.request_id.clone(),
            status,
            expires_at_ms: row.expires_at_ms,
            server_time_ms: now,
            evidence,
            channel_code: row.channel_code.clone().filter(|_| pending),
            qr_value: row
                .channel_secret
                .as_ref()
                .filter(|_| pending)
                .map(|secret| qr_value(&row.request_id, secret, qr_counter_at(row, now))),
        })
    }

    /// One of the requester's own requests by its handle; another
    /// requester's handle is refused like an unknown one.
    fn own_request(&self, tx: &Store<'_>, requester_id: &str, handle: &str) -> Result<RequestRow> {
        let row = self.request_by_handle(tx, handle)?;
        if row.requester_id != requester_id {
            return Err(err(
                ErrorCode::RequestNotFound,
                "no request has this poll handle",
            ));
        }
        Ok(row)
    }

    /// A request's status, with the device's signed evidence once decided
    /// (a signed call of the requester that created it). A read: the same
    /// signed poll may be sent again within the timestamp window.
    pub fn poll(&self, msg: RequesterSigned<PollRequest>) -> Result<PollResponse> {
        self.check_requester_early(&msg);
        let now = self.now_ms();
        let conn = self.db.conn()?;
        let store = conn.store();
        let requester = self.check_requester(&store, &msg, now)?;
        let row = self.own_request(&store, &requester.requester_id, &msg.body.poll_handle)?;
        self.poll_response(&store, &row, now)
    }

    /// Withdraw a pending request (a signed call of the requester that
    /// created it). Writes state.
    pub fn cancel(&self, msg: RequesterSigned<CancelRequest>) -> Result<PollResponse> {
        self.check_requester_early(&msg);
        let now = self.now_ms();
        self.db.write(|tx| {
            let requester = self.authenticate_requester(tx, &msg, now)?;
            let row = self.own_request(tx, &requester.requester_id, &msg.body.poll_handle)?;
            match row.status_at(now) {
                RequestStatus::Pending => {}
                RequestStatus::Expired => {
                    return Err(err(
                        ErrorCode::RequestExpired,
                        "the request has already expired",
                    ))
                }
                RequestStatus::Cancelled => {
                    return Err(err(
                        ErrorCode::RequestCancelled,
                        "the request is already cancelled",
                    ))
                }
                _ => {
                    return Err(err(
                        ErrorCode::AlreadyDecided,
                        "the request was already decided",
                    ))
                }
            }
            tx.cancel_request(&row.request_id, now)?;
            let row = RequestRow {
                status: RequestStatus::Cancelled,
                ..row
            };
            Ok(Outcome::Done(self.poll_response(tx, &row, now)?))
        })
    }

    pub(crate) fn load_request(
        tx: &Store<'_>,
        request_id: &str,
        identity_id: &str,
    ) -> Result<RequestRow> {
        let not_found = || {
            err(
                ErrorCode::RequestNotFound,
                "no such request for this device",
            )
        };
        if !is_hex_id(request_id) {
            return Err(not_found());
        }
        tx.request(request_id)?
            .filter(|r| r.identity_id.as_deref() == Some(identity_id))
            .ok_or_else(not_found)
    }

    /// A pending request of this identity, for device calls.
    pub(crate) fn request_for_device(
        &self,
        tx: &Store<'_>,
        request_id: &str,
        identity_id: &str,
        now: i64,
    ) -> Result<RequestRow> {
        let row = Self::load_request(tx, request_id, identity_id)?;
        Self::require_pending(&row, now)?;
        Ok(row)
    }

    pub(crate) fn require_pending(row: &RequestRow, now: i64) -> Result<()> {
        match row.status_at(now) {
            RequestStatus::Pending => Ok(()),
            RequestStatus::Expired => {
                Err(err(ErrorCode::RequestExpired, "the request has expired"))
            }
            // Say what happened: three wrong channel-binding answers are a
            // sign of a request the owner did not start, not the requester's doing.
            RequestStatus::Cancelled if row.channel_failures >= CHANNEL_MAX_FAILURES => Err(err(
                ErrorCode::RequestCancelled,
                "the request was cancelled after 3 wrong codes from the screen that started it",
            )),
            RequestStatus::Cancelled => Err(err(
                ErrorCode::RequestCancelled,
                "the request was cancelled, by its requester or when the identity was frozen",
            )),
            _ => Err(err(
                ErrorCode::AlreadyDecided,
                "the request was already decided",
            )),
        }
    }

    /// Pending, unexpired requests for the device's identity. Consumes the
    /// envelope's sequence number (writes state).
    pub fn pending(&self, msg: DeviceSigned<PendingQuery>) -> Result<PendingResponse> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            // Lapsed PIN attempts are settled (and told to the owner) here
            // too, so that the count below includes them.
            tx.abandon_attempts(&device.identity_id, None, now)?;
            self.tell_failed_attempts(tx, &device.identity_id, now)?;
            let failed_pin_attempts =
                tx.failures_since_last_right(&device.identity_id, &msg.device_id)?;
            let rows = tx.pending_requests(&device.identity_id, now)?;
            let mut requests = Vec::with_capacity(rows.len());
            for r in rows {
                // Push-fatigue: what this requester sent lately that the owner
                // did not accept (rejected, reported, or left to lapse).
                let recent_declined = tx.count_recent_declined(
                    &device.identity_id,
                    &r.requester_id,
                    now - 24 * 3_600_000,
                    &r.request_id,
                    now,
                )?;
                requests.push(PendingRequest {
                    failed_pin_attempts,
                    ..r.to_pending(recent_declined)
                });
            }
            Ok(Outcome::Done(PendingResponse {
                server_time_ms: now,
                requests,
            }))
        })
    }
}
