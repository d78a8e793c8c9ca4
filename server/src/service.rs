//! The reference identity service: identities, devices, requests, PIN proofs
//! and decisions. Every state change is one SQLite transaction; a refused
//! message changes nothing, except where the refusal itself must be recorded
//! (a counted PIN attempt, a wrong activation code).

use std::sync::Arc;

use akuersi_core::activity::{entry_hash, GENESIS};
use akuersi_core::approval::{ApprovalStatement, Decision, Evidence, PakeBinding};
use akuersi_core::clock::Clock;
use akuersi_core::crypto::{is_hex_id, random_array, random_id, sha256};
use akuersi_core::encoding::b64_encode;
use akuersi_core::identity::UserId;
use akuersi_core::pin::PAKE_VERIFIER_ID;
use akuersi_core::protocol::{
    operation_pake_context, pake_context, qr_value, ChannelBindingKind, CodeChannel, CreateRequest,
    CreateRequestResponse, Decide, DecideResponse, DeviceSigned, ErrorCode,
    IssueActivationCodeResponse, PakeProof, PendingQuery, PendingRequest, PendingResponse,
    PinFailed, PinFailedResponse, PinPurpose, PinStart, PinStartResponse, PollResponse,
    RequestStatus, SignedBody, MAX_TTL_SECONDS, MIN_TTL_SECONDS,
};
use akuersi_core::request::{
    nfc, validate_account, validate_requester, validate_texts, Action, Amount, LocalizedText,
};
use akuersi_core::spake2plus::{
    verifier_respond, verify_confirm_p, PakeContext, VerifierRecord, VerifierResponse,
};
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::channel::qr_counter_at;
use crate::db::{Db, Outcome};
use crate::error::{Result, ServiceError};
use crate::lockout::{Lock, LockoutPolicy};
use crate::notify::{notify, Event};
use crate::precheck::Verified;

/// The error for anything a frozen identity cannot do.
pub(crate) fn frozen_error() -> ServiceError {
    err(
        ErrorCode::IdentityFrozen,
        "this identity is frozen; unfreeze it with the PIN and a second proof, or call support",
    )
}

/// Alphabet of activation codes: no 0/O, 1/I/L.
/// Crockford's base32 alphabet: no I, L, O or U, so codes read aloud or typed
/// from paper are hard to get wrong.
pub(crate) const CODE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in an activation code (60 bits).
const CODE_CHARS: usize = 12;
/// Wrong tries after which an activation code is blocked.
pub(crate) const CODE_MAX_FAILURES: u32 = 3;

/// Settings of the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Token that guards the operator API; `None` turns the operator API off.
    pub operator_token: Option<String>,
    /// Most active devices per identity.
    pub max_active_devices: u32,
    /// PIN lock-out schedule.
    pub lockout: LockoutPolicy,
    /// `PRAGMA synchronous=FULL` (true, the default) or `NORMAL`.
    pub synchronous_full: bool,
    /// How long a PIN-proof session may stay open, in milliseconds.
    pub pin_session_ttl_ms: i64,
    /// Waiting period before a new device can be added, in milliseconds (1 hour).
    pub addition_wait_ms: i64,
    /// Most requests per user ID per hour (flooding and push-fatigue defence).
    pub max_requests_per_hour: u32,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            operator_token: None,
            max_active_devices: 3,
            lockout: LockoutPolicy::default(),
            synchronous_full: true,
            pin_session_ttl_ms: 120_000,
            addition_wait_ms: 3_600_000,
            max_requests_per_hour: 10,
        }
    }
}

/// A device as the service sees it, for operators and tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// The device id.
    pub device_id: String,
    /// The identity it belongs to.
    pub identity_id: String,
    /// Its name.
    pub name: String,
    /// "active" or "removed".
    pub status: String,
    /// Consecutive PIN failures (attempts in progress count as failures).
    pub pin_failures: u32,
    /// Lock-out state now.
    pub lock: Lock,
    /// Last time the device was used.
    pub last_used_at_ms: i64,
}

/// One line of an identity's activity log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityRecord {
    /// When.
    pub at_ms: i64,
    /// What kind of event.
    pub kind: String,
    /// The device involved, if any.
    pub device_id: Option<String>,
    /// The request involved, if any.
    pub request_id: Option<String>,
    /// Description.
    pub detail: String,
}

/// The reference identity service. `Send + Sync`; calls block on SQLite.
pub struct Service {
    pub(crate) db: Db,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: ServiceConfig,
    /// Signs activity-log heads. Generated on first open and kept in the database.
    pub(crate) key: EcdsaKeyPair,
    /// Keys the stored hashes of activation codes (derived from the service key).
    code_key: [u8; 32],
    /// Signatures checked before their write transaction (`precheck`).
    pub(crate) verified: Verified,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Service")
    }
}

/// A SPAKE2+ answer computed before pin-start's transaction, with the
/// inputs it was computed from.
pub(crate) struct EarlyShare {
    w0: Vec<u8>,
    l: Vec<u8>,
    context: Vec<u8>,
    response: VerifierResponse,
}

pub(crate) struct DeviceRow {
    pub(crate) identity_id: String,
    pub(crate) public_key: Vec<u8>,
    pub(crate) name: String,
    pub(crate) status: String,
    pub(crate) last_seq: i64,
    pub(crate) pin_failures: u32,
    pub(crate) last_pin_attempt_ms: i64,
    pub(crate) w0: Vec<u8>,
    pub(crate) l: Vec<u8>,
}

pub(crate) struct RequestRow {
    pub(crate) request_id: String,
    pub(crate) identity_id: Option<String>,
    nonce: Vec<u8>,
    requester_id: String,
    requester_name: String,
    action: Action,
    texts: Vec<LocalizedText>,
    created_at_ms: i64,
    expires_at_ms: i64,
    status: RequestStatus,
    decided_by: Option<String>,
    statement: Option<Vec<u8>>,
    signature: Option<Vec<u8>>,
    pub(crate) channel_kind: Option<ChannelBindingKind>,
    pub(crate) channel_code: Option<String>,
    pub(crate) channel_secret: Option<Vec<u8>>,
    pub(crate) channel_failures: u32,
    pub(crate) channel_ok_device: Option<String>,
    pub(crate) channel_ok_answer: Option<String>,
    amount: Option<Amount>,
    account: Option<String>,
}

impl RequestRow {
    /// The request as a device is shown it (and signs it).
    fn to_pending(&self, recent_declined: u32) -> PendingRequest {
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
        }
    }

    pub(crate) fn created_at(&self) -> i64 {
        self.created_at_ms
    }

    pub(crate) fn status_at(&self, now_ms: i64) -> RequestStatus {
        if self.status == RequestStatus::Pending && now_ms >= self.expires_at_ms {
            RequestStatus::Expired
        } else {
            self.status
        }
    }
}

const REQUEST_COLUMNS: &str =
    "request_id, identity_id, nonce, requester_id, requester_name, action,
    texts_json, created_at_ms, expires_at_ms, status, decided_by, statement, signature,
    channel_kind, channel_code, channel_secret, channel_failures, channel_ok_device,
    channel_ok_answer, amount_minor, amount_currency, account";

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

pub(crate) fn err(code: ErrorCode, message: &str) -> ServiceError {
    ServiceError::new(code, message)
}

pub(crate) fn malformed(message: &str) -> ServiceError {
    err(ErrorCode::Malformed, message)
}

fn hash_handle(handle: &str) -> [u8; 32] {
    sha256(&[b"akuersi/v1/poll-handle", handle.as_bytes()])
}

/// Unkeyed code hash; see [`Service::code_hash`] for what is stored.
fn hash_code(normalized: &str) -> [u8; 32] {
    sha256(&[b"akuersi/v1/activation-code", normalized.as_bytes()])
}

/// Upper-case, drop spaces and dashes; `None` unless 12 characters of the alphabet remain.
pub(crate) fn normalize_code(input: &str) -> Option<String> {
    // Crockford's reading rules: O is 0, I and L are 1; case does not matter.
    let s: String = input
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    (s.len() == CODE_CHARS && s.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(s)
}

/// Append an entry to the identity's hash-chained activity log.
pub(crate) fn log(
    tx: &Transaction<'_>,
    identity_id: &str,
    at_ms: i64,
    kind: &str,
    device_id: Option<&str>,
    request_id: Option<&str>,
    detail: &str,
) -> Result<()> {
    let (last_seq, prev): (u64, Vec<u8>) = tx
        .query_row(
            "SELECT seq, hash FROM activity WHERE identity_id = ?1 ORDER BY seq DESC LIMIT 1",
            [identity_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?
        .unwrap_or((0, GENESIS.to_vec()));
    let seq = last_seq + 1;
    let hash = entry_hash(
        identity_id,
        seq,
        at_ms,
        kind,
        device_id,
        request_id,
        detail,
        &prev,
    );
    tx.execute(
        "INSERT INTO activity(identity_id, seq, at_ms, kind, device_id, request_id, detail, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![identity_id, seq, at_ms, kind, device_id, request_id, detail, prev, hash.to_vec()],
    )?;
    Ok(())
}

/// Load or create the service's signing key (one transaction).
fn load_or_create_key(db: &Db) -> Result<(EcdsaKeyPair, [u8; 32])> {
    let rng = SystemRandom::new();
    let pkcs8: Vec<u8> = db.write(|tx| {
        if let Some(k) = tx
            .query_row("SELECT pkcs8 FROM service_key WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?
        {
            return Ok(Outcome::Done(k));
        }
        let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| ServiceError::internal("key generation failed"))?;
        let k = doc.as_ref().to_vec();
        tx.execute("INSERT INTO service_key(id, pkcs8) VALUES (1, ?1)", [&k])?;
        Ok(Outcome::Done(k))
    })?;
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &pkcs8, &rng)
        .map_err(|_| ServiceError::internal("stored service key is damaged"))?;
    Ok((pair, sha256(&[b"akuersi/v1/code-key", &pkcs8])))
}

impl Service {
    /// Open (or create) the service's database at `path` (`":memory:"` for a
    /// private in-memory one) and run migrations.
    pub fn open(path: &str, clock: Arc<dyn Clock>, config: ServiceConfig) -> Result<Self> {
        let db = Db::open(path, config.synchronous_full)?;
        let (key, code_key) = load_or_create_key(&db)?;
        Ok(Self {
            db,
            clock,
            config,
            key,
            code_key,
            verified: Verified::default(),
        })
    }

    /// What is stored for an activation code: HMAC-SHA256 under a key only
    /// the service holds, so a copy of the codes table alone cannot be
    /// searched for the (60-bit) codes.
    pub(crate) fn code_hash(&self, normalized: &str) -> [u8; 32] {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.code_key);
        let tag = ring::hmac::sign(&key, &hash_code(normalized));
        let mut out = [0u8; 32];
        out.copy_from_slice(tag.as_ref());
        out
    }

    /// The service's public key (uncompressed P-256), which signs activity-log heads.
    pub fn public_key(&self) -> Vec<u8> {
        self.key.public_key().as_ref().to_vec()
    }

    /// The service's settings.
    pub fn config(&self) -> &ServiceConfig {
        &self.config
    }

    /// The service's clock now.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    // -------------------------------------------------------------- operator

    /// Create an identity for a new user ID. Writes state.
    pub fn create_identity(&self, user_id: &str) -> Result<String> {
        let user =
            UserId::parse(user_id).map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        let identity_id = random_id().map_err(ServiceError::internal)?;
        let now = self.now_ms();
        self.db.write(|tx| {
            let taken: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM identities WHERE user_key = ?1)",
                [user.key()],
                |r| r.get(0),
            )?;
            if taken {
                return Err(err(ErrorCode::IdentityExists, "this user ID is taken"));
            }
            tx.execute(
                "INSERT INTO identities(identity_id, user_id, user_key, status, created_at_ms)
                 VALUES (?1, ?2, ?3, 'active', ?4)",
                params![identity_id, user.as_str(), user.key(), now],
            )?;
            log(
                tx,
                &identity_id,
                now,
                "identity_created",
                None,
                None,
                "identity created",
            )?;
            Ok(Outcome::Done(()))
        })?;
        Ok(identity_id)
    }

    /// Issue a one-time activation code for a user ID: 48 hours on paper,
    /// 30 minutes by SMS. Writes state.
    pub fn issue_activation_code(
        &self,
        user_id: &str,
        channel: CodeChannel,
    ) -> Result<IssueActivationCodeResponse> {
        let user =
            UserId::parse(user_id).map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        let raw = random_array::<CODE_CHARS>().map_err(ServiceError::internal)?;
        let code: String = raw
            .iter()
            .map(|b| CODE_ALPHABET[(*b & 31) as usize] as char)
            .collect();
        let now = self.now_ms();
        let expires_at_ms = now + channel.lifetime_ms();
        let channel_name = match channel {
            CodeChannel::Paper => "paper",
            CodeChannel::Sms => "sms",
        };
        self.db.write(|tx| {
            let identity_id: String = tx
                .query_row(
                    "SELECT identity_id FROM identities WHERE user_key = ?1",
                    [user.key()],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| err(ErrorCode::InvalidUserId, "no identity has this user ID"))?;
            tx.execute(
                "INSERT INTO activation_codes(identity_id, code_hash, channel, issued_at_ms, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![identity_id, self.code_hash(&code).to_vec(), channel_name, now, expires_at_ms],
            )?;
            log(
                tx,
                &identity_id,
                now,
                "activation_code_issued",
                None,
                None,
                &format!("activation code issued ({channel_name})"),
            )?;
            Ok(Outcome::Done(()))
        })?;
        let grouped = format!("{}-{}-{}", &code[0..4], &code[4..8], &code[8..12]);
        Ok(IssueActivationCodeResponse {
            code: grouped,
            expires_at_ms,
        })
    }

    // ------------------------------------------------------------- requester

    /// Start a request. An unknown user ID gets the same answer as a known one,
    /// through the same work, and its request simply lapses. Writes state.
    pub fn create_request(&self, req: CreateRequest) -> Result<CreateRequestResponse> {
        let user = UserId::parse(&req.user_id)
            .map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        let requester_name = nfc(&req.requester_name);
        validate_requester(&req.requester_id, &requester_name)
            .map_err(|e| err(ErrorCode::InvalidText, &e.to_string()))?;
        let texts =
            validate_texts(req.texts).map_err(|e| err(ErrorCode::InvalidText, &e.to_string()))?;
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
        let channel_kind = req.channel_binding.map(|k| match k {
            ChannelBindingKind::Code => "code",
            ChannelBindingKind::Qr => "qr",
        });
        let now = self.now_ms();
        let expires_at_ms = now + i64::from(ttl) * 1000;
        self.db.write(|tx| {
            // Keyed by user ID, not identity, so unknown IDs behave the same.
            let recent: u32 = tx.query_row(
                // Withdrawn requests do not count: else anyone could create
                // and cancel ten in seconds and lock the owner out for an hour.
                "SELECT count(*) FROM requests
                 WHERE user_key = ?1 AND created_at_ms > ?2 AND status != 'cancelled'",
                params![user.key(), now - 3_600_000],
                |r| r.get(0),
            )?;
            if recent >= self.config.max_requests_per_hour {
                return Err(err(
                    ErrorCode::RateLimited,
                    "too many requests for this user ID in the last hour",
                ));
            }
            // A frozen identity answers exactly like an unknown user ID.
            let identity_id: Option<String> = tx
                .query_row(
                    "SELECT identity_id FROM identities WHERE user_key = ?1 AND frozen = 0",
                    [user.key()],
                    |r| r.get(0),
                )
                .optional()?;
            let busy: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM requests
                   WHERE user_key = ?1 AND status = 'pending' AND expires_at_ms > ?2)",
                params![user.key(), now],
                |r| r.get(0),
            )?;
            if busy {
                return Err(err(
                    ErrorCode::PendingRequestExists,
                    "a request for this user ID is already waiting; wait until it is decided or lapses",
                ));
            }
            tx.execute(
                "INSERT INTO requests(request_id, user_key, identity_id, nonce, requester_id,
                    requester_name, action, texts_json, created_at_ms, expires_at_ms, status,
                    poll_handle_hash, channel_kind, channel_code, channel_secret, amount_minor,
                    amount_currency, account)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                params![
                    request_id,
                    user.key(),
                    identity_id,
                    nonce.to_vec(),
                    req.requester_id,
                    requester_name,
                    req.action.as_str(),
                    texts_json,
                    now,
                    expires_at_ms,
                    hash_handle(&poll_handle).to_vec(),
                    channel_kind,
                    channel_code,
                    channel_secret,
                    req.amount.as_ref().map(|a| a.minor_units),
                    req.amount.as_ref().map(|a| a.currency.clone()),
                    account
                ],
            )?;
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

    fn request_by_handle(&self, tx: &rusqlite::Connection, handle: &str) -> Result<RequestRow> {
        if handle.is_empty() || handle.len() > 64 {
            return Err(err(
                ErrorCode::RequestNotFound,
                "no request has this poll handle",
            ));
        }
        tx.query_row(
            &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE poll_handle_hash = ?1"),
            [hash_handle(handle).to_vec()],
            read_request,
        )
        .optional()?
        .ok_or_else(|| {
            err(
                ErrorCode::RequestNotFound,
                "no request has this poll handle",
            )
        })
    }

    fn poll_response(
        &self,
        conn: &rusqlite::Connection,
        row: &RequestRow,
        now: i64,
    ) -> Result<PollResponse> {
        let evidence = match (&row.decided_by, &row.statement, &row.signature) {
            (Some(device_id), Some(statement), Some(signature)) => {
                let public_key: Vec<u8> = conn.query_row(
                    "SELECT public_key FROM devices WHERE device_id = ?1",
                    [device_id],
                    |r| r.get(0),
                )?;
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

    /// A request's status, with the device's signed evidence once decided.
    pub fn poll(&self, poll_handle: &str) -> Result<PollResponse> {
        let now = self.now_ms();
        let conn = self.db.conn()?;
        let row = self.request_by_handle(&conn, poll_handle)?;
        self.poll_response(&conn, &row, now)
    }

    /// Withdraw a pending request. Writes state.
    pub fn cancel(&self, poll_handle: &str) -> Result<PollResponse> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let row = self.request_by_handle(tx, poll_handle)?;
            match row.status_at(now) {
                RequestStatus::Pending => {}
                RequestStatus::Expired => {
                    return Err(err(ErrorCode::RequestExpired, "the request has already expired"))
                }
                RequestStatus::Cancelled => {
                    return Err(err(ErrorCode::RequestCancelled, "the request is already cancelled"))
                }
                _ => return Err(err(ErrorCode::AlreadyDecided, "the request was already decided")),
            }
            tx.execute(
                "UPDATE requests SET status = 'cancelled', decided_at_ms = ?2 WHERE request_id = ?1",
                params![row.request_id, now],
            )?;
            let row = RequestRow {
                status: RequestStatus::Cancelled,
                ..row
            };
            Ok(Outcome::Done(self.poll_response(tx, &row, now)?))
        })
    }

    // ---------------------------------------------------------------- device

    pub(crate) fn load_device(tx: &rusqlite::Connection, device_id: &str) -> Result<DeviceRow> {
        let unknown = || err(ErrorCode::UnknownDevice, "this device is not enrolled");
        if !is_hex_id(device_id) {
            return Err(unknown());
        }
        tx.query_row(
            "SELECT identity_id, public_key, status, last_seq, pin_failures, last_pin_attempt_ms,
                    verifier_w0, verifier_l, name
             FROM devices WHERE device_id = ?1",
            [device_id],
            |r| {
                Ok(DeviceRow {
                    identity_id: r.get(0)?,
                    public_key: r.get(1)?,
                    status: r.get(2)?,
                    last_seq: r.get(3)?,
                    pin_failures: r.get(4)?,
                    last_pin_attempt_ms: r.get(5)?,
                    w0: r.get(6)?,
                    l: r.get(7)?,
                    name: r.get(8)?,
                })
            },
        )
        .optional()?
        .filter(|d| d.status == "active")
        .ok_or_else(unknown)
    }

    /// Check a device envelope's signature before its write transaction,
    /// outside the database lock (see `precheck`); the transaction's own
    /// check then only confirms it. Reads without waiting; writes nothing.
    pub(crate) fn check_envelope_early<T: SignedBody>(&self, msg: &DeviceSigned<T>) {
        let key = match self.db.peek() {
            Ok(conn) => Self::load_device(&conn, &msg.device_id).map(|d| d.public_key),
            Err(e) => Err(e),
        };
        if let Ok(key) = key {
            let bytes = DeviceSigned::signed_bytes(&msg.device_id, msg.seq, &msg.body);
            self.verified.check_early(&key, &bytes, &msg.signature);
        }
    }

    /// Check a signed device envelope and consume its sequence number.
    fn authenticate_any<T: SignedBody>(
        &self,
        tx: &Transaction<'_>,
        msg: &DeviceSigned<T>,
        now: i64,
    ) -> Result<DeviceRow> {
        let device = Self::load_device(tx, &msg.device_id)?;
        let bytes = DeviceSigned::signed_bytes(&msg.device_id, msg.seq, &msg.body);
        if !self
            .verified
            .verify(&device.public_key, &bytes, &msg.signature)
        {
            return Err(err(
                ErrorCode::BadSignature,
                "the device signature does not verify",
            ));
        }
        let seq = i64::try_from(msg.seq).map_err(|_| malformed("seq is too large"))?;
        if seq <= device.last_seq {
            return Err(err(
                ErrorCode::Replayed,
                "this message was already received (sequence number not above the last one)",
            ));
        }
        tx.execute(
            "UPDATE devices SET last_seq = ?2, last_used_at_ms = ?3 WHERE device_id = ?1",
            params![msg.device_id, seq, now],
        )?;
        Ok(device)
    }

    /// Like [`Self::authenticate`], for a message that carries a PIN proof:
    /// a device that reached the block with this very proof's attempt may
    /// still have the proof checked (a right tenth PIN must succeed).
    pub(crate) fn authenticate_with_proof<T: SignedBody>(
        &self,
        tx: &Transaction<'_>,
        msg: &DeviceSigned<T>,
        purpose: &PinPurpose,
        proof: &PakeProof,
        now: i64,
    ) -> Result<DeviceRow> {
        let device = self.authenticate_any(tx, msg, now)?;
        let blocked =
            self.config
                .lockout
                .state(device.pin_failures, device.last_pin_attempt_ms, now)
                == Lock::Blocked;
        if blocked && Self::pin_session(tx, &msg.device_id, purpose, proof, now).is_err() {
            return Err(err(
                ErrorCode::DeviceBlocked,
                "this device is blocked after too many wrong PINs; activate it again",
            ));
        }
        Ok(device)
    }

    /// Check a signed device envelope and consume its sequence number;
    /// refuse a device blocked after too many wrong PINs.
    pub(crate) fn authenticate<T: SignedBody>(
        &self,
        tx: &Transaction<'_>,
        msg: &DeviceSigned<T>,
        now: i64,
    ) -> Result<DeviceRow> {
        let device = self.authenticate_any(tx, msg, now)?;
        if self
            .config
            .lockout
            .state(device.pin_failures, device.last_pin_attempt_ms, now)
            == Lock::Blocked
        {
            return Err(err(
                ErrorCode::DeviceBlocked,
                "this device is blocked after too many wrong PINs; activate it again",
            ));
        }
        Ok(device)
    }

    fn load_request(
        tx: &rusqlite::Connection,
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
        tx.query_row(
            &format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE request_id = ?1"),
            [request_id],
            read_request,
        )
        .optional()?
        .filter(|r| r.identity_id.as_deref() == Some(identity_id))
        .ok_or_else(not_found)
    }

    /// A pending request of this identity, for device calls.
    pub(crate) fn request_for_device(
        &self,
        tx: &rusqlite::Connection,
        request_id: &str,
        identity_id: &str,
        now: i64,
    ) -> Result<RequestRow> {
        let row = Self::load_request(tx, request_id, identity_id)?;
        Self::require_pending(&row, now)?;
        Ok(row)
    }

    fn require_pending(row: &RequestRow, now: i64) -> Result<()> {
        match row.status_at(now) {
            RequestStatus::Pending => Ok(()),
            RequestStatus::Expired => {
                Err(err(ErrorCode::RequestExpired, "the request has expired"))
            }
            RequestStatus::Cancelled => Err(err(
                ErrorCode::RequestCancelled,
                "the requester cancelled the request",
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
            let mut stmt = tx.prepare(&format!(
                "SELECT {REQUEST_COLUMNS} FROM requests
                 WHERE identity_id = ?1 AND status = 'pending' AND expires_at_ms > ?2
                 ORDER BY created_at_ms"
            ))?;
            let rows = stmt
                .query_map(params![device.identity_id, now], read_request)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            drop(stmt);
            let mut requests = Vec::with_capacity(rows.len());
            for r in rows {
                // Push-fatigue: what this requester sent lately that the owner
                // did not accept (rejected, reported, or left to lapse).
                let recent_declined: u32 = tx.query_row(
                    "SELECT count(*) FROM requests
                     WHERE identity_id = ?1 AND requester_id = ?2 AND created_at_ms > ?3
                       AND request_id != ?4
                       AND (status IN ('rejected', 'reported')
                            OR (status = 'pending' AND expires_at_ms <= ?5))",
                    params![
                        device.identity_id,
                        r.requester_id,
                        now - 24 * 3_600_000,
                        r.request_id,
                        now
                    ],
                    |x| x.get(0),
                )?;
                requests.push(r.to_pending(recent_declined));
            }
            Ok(Outcome::Done(PendingResponse {
                server_time_ms: now,
                requests,
            }))
        })
    }

    /// Start a SPAKE2+ PIN proof for a request or an operation. The attempt
    /// is counted and committed here, before the proof can be checked.
    /// Writes state.
    pub fn pin_start(&self, msg: DeviceSigned<PinStart>) -> Result<PinStartResponse> {
        let now = self.now_ms();
        let session_id = random_id().map_err(ServiceError::internal)?;
        let purpose_json =
            serde_json::to_string(&msg.body.purpose).map_err(ServiceError::internal)?;
        let mut early = self.pin_share_early(&msg, now);
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            if let Lock::Suspended { until_ms } =
                self.config
                    .lockout
                    .state(device.pin_failures, device.last_pin_attempt_ms, now)
            {
                return Ok(Outcome::Refuse(ServiceError {
                    until_ms: Some(until_ms),
                    ..err(
                        ErrorCode::DeviceSuspended,
                        "too many wrong PINs; this device is suspended for a while",
                    )
                }));
            }
            if msg.body.purpose != PinPurpose::Unfreeze && self.is_frozen(tx, &device.identity_id)? {
                return Err(frozen_error());
            }
            let (context, request_id, session_expiry) =
                Self::pin_context(tx, &msg, &device.identity_id, now)?;
            let response = match early.take().filter(|e| {
                e.w0 == device.w0 && e.l == device.l && e.context == context
            }) {
                Some(e) => e.response,
                None => Self::pin_share(&msg, &device.w0, &device.l, &context)?,
            };
            let failures = device.pin_failures.saturating_add(1);
            tx.execute(
                "UPDATE devices SET pin_failures = ?2, last_pin_attempt_ms = ?3 WHERE device_id = ?1",
                params![msg.device_id, failures, now],
            )?;
            let expires = (now + self.config.pin_session_ttl_ms).min(session_expiry);
            tx.execute(
                "INSERT INTO pake_sessions(session_id, device_id, request_id, share_p, share_v,
                    expected_confirm_p, expires_at_ms, purpose)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    session_id,
                    msg.device_id,
                    request_id,
                    msg.body.share_p,
                    response.share_v.to_vec(),
                    response.expected_confirm_p.to_vec(),
                    expires,
                    purpose_json
                ],
            )?;
            Ok(Outcome::Done(PinStartResponse {
                session_id: session_id.clone(),
                share_v: response.share_v.to_vec(),
                confirm_v: response.confirm_v.to_vec(),
                attempts_left: self.config.lockout.attempts_left(failures),
                server_time_ms: now,
            }))
        })
    }

    /// The SPAKE2+ context of a PIN proof for `purpose`, and the request
    /// and the session's latest expiry when it is for a request.
    fn pin_context(
        conn: &rusqlite::Connection,
        msg: &DeviceSigned<PinStart>,
        identity_id: &str,
        now: i64,
    ) -> Result<(Vec<u8>, String, i64)> {
        Ok(match &msg.body.purpose {
            PinPurpose::Request { request_id } => {
                let request = Self::load_request(conn, request_id, identity_id)?;
                Self::require_pending(&request, now)?;
                (
                    pake_context(&request.request_id, &request.nonce),
                    request.request_id.clone(),
                    request.expires_at_ms,
                )
            }
            other => (
                operation_pake_context(&msg.device_id, other),
                String::new(),
                i64::MAX,
            ),
        })
    }

    /// The service's SPAKE2+ answer to `msg`'s shareP under the verifier
    /// record (w0, L), in `context`.
    fn pin_share(
        msg: &DeviceSigned<PinStart>,
        w0: &[u8],
        l: &[u8],
        context: &[u8],
    ) -> Result<VerifierResponse> {
        let record = VerifierRecord::from_parts(w0, l)
            .map_err(|_| ServiceError::internal("stored verifier is damaged"))?;
        let ctx = PakeContext {
            context,
            id_prover: msg.device_id.as_bytes(),
            id_verifier: PAKE_VERIFIER_ID,
        };
        verifier_respond(&ctx, &record, &msg.body.share_p)
            .map_err(|_| malformed("share_p is not a valid P-256 point"))
    }

    /// Check the envelope and compute the SPAKE2+ answer before the write
    /// transaction, outside the database lock, from a snapshot (see
    /// `precheck`). The transaction uses the answer only if the verifier
    /// record and the context it reads are the same. Writes nothing.
    pub(crate) fn pin_share_early(
        &self,
        msg: &DeviceSigned<PinStart>,
        now: i64,
    ) -> Option<EarlyShare> {
        let (w0, l, context) = {
            let conn = self.db.peek().ok()?;
            let device = Self::load_device(&conn, &msg.device_id).ok()?;
            // Only for an envelope whose signature already verified: a forged
            // one must not buy scalar multiplications before it is refused.
            let bytes = DeviceSigned::signed_bytes(&msg.device_id, msg.seq, &msg.body);
            if !self
                .verified
                .knows(&device.public_key, &bytes, &msg.signature)
            {
                return None;
            }
            let (context, _, _) = Self::pin_context(&conn, msg, &device.identity_id, now).ok()?;
            (device.w0, device.l, context)
        };
        let response = Self::pin_share(msg, &w0, &l, &context).ok()?;
        Some(EarlyShare {
            w0,
            l,
            context,
            response,
        })
    }

    /// Load an open PIN-proof session of `device_id` for `purpose`:
    /// (shareP, shareV, expected confirmP).
    pub(crate) fn pin_session(
        tx: &rusqlite::Connection,
        device_id: &str,
        purpose: &PinPurpose,
        proof: &PakeProof,
        now: i64,
    ) -> Result<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let purpose_json = serde_json::to_string(purpose).map_err(ServiceError::internal)?;
        tx.query_row(
            "SELECT share_p, share_v, expected_confirm_p FROM pake_sessions
             WHERE session_id = ?1 AND device_id = ?2 AND purpose = ?3
               AND used = 0 AND expires_at_ms > ?4",
            params![proof.session_id, device_id, purpose_json, now],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?
        .ok_or_else(|| {
            err(
                ErrorCode::PinSessionInvalid,
                "the PIN-proof session is unknown, used, lapsed or for something else",
            )
        })
    }

    /// Find and use up the PIN-proof session for `purpose`, checking its
    /// confirmation: `Some(refusal)` for a wrong PIN (commit and refuse).
    pub(crate) fn settle_proof(
        &self,
        tx: &Transaction<'_>,
        device_id: &str,
        device: &DeviceRow,
        purpose: &PinPurpose,
        proof: &PakeProof,
        now: i64,
    ) -> Result<Option<ServiceError>> {
        let (_, _, expected) = Self::pin_session(tx, device_id, purpose, proof, now)?;
        self.consume_pin_proof(tx, device_id, device, &expected, proof, None, now)
    }

    /// Use up a PIN-proof session and check its confirmation. A wrong one is
    /// refused with the attempt already counted (commit, then refuse); a right
    /// one resets the failure count.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn consume_pin_proof(
        &self,
        tx: &Transaction<'_>,
        device_id: &str,
        device: &DeviceRow,
        expected_confirm_p: &[u8],
        proof: &PakeProof,
        request_id: Option<&str>,
        now: i64,
    ) -> Result<Option<ServiceError>> {
        tx.execute(
            "UPDATE pake_sessions SET used = 1 WHERE session_id = ?1",
            [&proof.session_id],
        )?;
        if proof.confirm_p.len() != expected_confirm_p.len() {
            return Err(malformed("confirm_p must be 32 bytes"));
        }
        if verify_confirm_p(expected_confirm_p, &proof.confirm_p).is_err() {
            return Ok(Some(
                self.record_wrong_pin(tx, device_id, device, request_id, now)?,
            ));
        }
        tx.execute(
            "UPDATE devices SET pin_failures = 0 WHERE device_id = ?1",
            [device_id],
        )?;
        Ok(None)
    }

    /// Log a wrong PIN (already counted at pin-start), tell the owner about a
    /// suspension or block it caused, and build the refusal.
    fn record_wrong_pin(
        &self,
        tx: &Transaction<'_>,
        device_id: &str,
        device: &DeviceRow,
        request_id: Option<&str>,
        now: i64,
    ) -> Result<ServiceError> {
        log(
            tx,
            &device.identity_id,
            now,
            "wrong_pin",
            Some(device_id),
            request_id,
            "a wrong PIN was used",
        )?;
        let lock = self
            .config
            .lockout
            .state(device.pin_failures, device.last_pin_attempt_ms, now);
        match lock {
            Lock::Blocked => notify(
                tx,
                &device.identity_id,
                now,
                &Event::DeviceBlocked { name: &device.name },
            )?,
            Lock::Suspended { until_ms } => notify(
                tx,
                &device.identity_id,
                now,
                &Event::DeviceSuspended {
                    name: &device.name,
                    minutes: (until_ms - now + 59_999) / 60_000,
                },
            )?,
            Lock::Open => {}
        }
        Ok(ServiceError {
            attempts_left: Some(self.config.lockout.attempts_left(device.pin_failures)),
            until_ms: match lock {
                Lock::Suspended { until_ms } => Some(until_ms),
                _ => None,
            },
            ..err(ErrorCode::WrongPin, "wrong PIN")
        })
    }

    /// A device reports that a PIN proof failed on its side (wrong PIN). The
    /// attempt was counted at pin-start; this closes the session, logs it and
    /// tells the owner about any suspension. Writes state.
    pub fn pin_failed(&self, msg: DeviceSigned<PinFailed>) -> Result<PinFailedResponse> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = self.authenticate_any(tx, &msg, now)?;
            let request_id: Option<String> = tx
                .query_row(
                    "SELECT request_id FROM pake_sessions WHERE session_id = ?1 AND device_id = ?2 AND used = 0",
                    params![msg.body.session_id, msg.device_id],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(request_id) = request_id else {
                return Err(err(ErrorCode::PinSessionInvalid, "the PIN-proof session is unknown or closed"));
            };
            tx.execute("UPDATE pake_sessions SET used = 1 WHERE session_id = ?1", [&msg.body.session_id])?;
            let request_id = Some(request_id).filter(|r| !r.is_empty());
            let e = self.record_wrong_pin(tx, &msg.device_id, &device, request_id.as_deref(), now)?;
            Ok(Outcome::Done(PinFailedResponse {
                attempts_left: e.attempts_left.unwrap_or(0),
                suspended_until_ms: e.until_ms,
                server_time_ms: now,
            }))
        })
    }

    pub(crate) fn is_frozen(&self, tx: &rusqlite::Connection, identity_id: &str) -> Result<bool> {
        Ok(tx.query_row(
            "SELECT frozen FROM identities WHERE identity_id = ?1",
            [identity_id],
            |r| r.get(0),
        )?)
    }

    /// Record a decision: the request is pending and unexpired, the device is
    /// active and the identity's, the PIN proof (for approvals) is valid, and
    /// the signature covers the statement rebuilt from the service's own copy
    /// of the request. First device to decide wins. Writes state.
    pub fn decide(&self, msg: Decide) -> Result<DecideResponse> {
        let now = self.now_ms();
        self.check_decision_early(&msg, now);
        self.db.write(|tx| {
            let device = Self::load_device(tx, &msg.device_id)?;
            let lock = self.config.lockout.state(device.pin_failures, device.last_pin_attempt_ms, now);
            // The tenth attempt is proved in a session opened before the
            // block: let its (possibly right) proof be checked.
            let proving = msg.decision == Decision::Approve && msg.pake.is_some();
            if lock == Lock::Blocked && !proving {
                return Err(err(ErrorCode::DeviceBlocked, "this device is blocked after too many wrong PINs; activate it again"));
            }
            let request = Self::load_request(tx, &msg.request_id, &device.identity_id)?;
            if self.is_frozen(tx, &device.identity_id)? {
                return Err(frozen_error());
            }
            if let Err(gone) = Self::require_pending(&request, now) {
                // Another device won the race, or the request lapsed while the
                // PIN was being proved. A correct PIN must not stay counted as
                // a failure, so check the proof anyway (a wrong one stays counted).
                if let (Decision::Approve, Some(proof)) = (msg.decision, &msg.pake) {
                    let purpose = PinPurpose::Request {
                        request_id: request.request_id.clone(),
                    };
                    if let Ok((_, _, expected)) =
                        Self::pin_session(tx, &msg.device_id, &purpose, proof, i64::MIN)
                    {
                        let refusal = self.consume_pin_proof(
                            tx,
                            &msg.device_id,
                            &device,
                            &expected,
                            proof,
                            Some(&msg.request_id),
                            now,
                        )?;
                        return Ok(Outcome::Refuse(refusal.unwrap_or(gone)));
                    }
                }
                return Err(gone);
            }
            let session = match (msg.decision, &msg.pake) {
                (Decision::Approve, None) => {
                    return Err(err(ErrorCode::PinRequired, "an approval needs a PIN proof"))
                }
                (Decision::Approve, Some(proof)) => {
                    let purpose = PinPurpose::Request {
                        request_id: request.request_id.clone(),
                    };
                    Some((proof, Self::pin_session(tx, &msg.device_id, &purpose, proof, now)?))
                }
                (_, Some(_)) => return Err(malformed("only approvals carry a PIN proof")),
                (_, None) => None,
            };
            // Channel binding: an approval must carry the answer this device
            // had accepted; declining needs none, and none may be sent without it.
            match (msg.decision, &request.channel_kind) {
                (Decision::Approve, Some(_)) => {
                    let ok = request.channel_ok_device.as_deref() == Some(msg.device_id.as_str())
                        && request.channel_ok_answer.is_some()
                        && request.channel_ok_answer == msg.channel_binding;
                    if !ok {
                        return Err(err(
                            ErrorCode::ChannelBindingRequired,
                            "this request needs the code from the screen that started it",
                        ));
                    }
                }
                _ => {
                    if msg.channel_binding.is_some() {
                        return Err(malformed("channel_binding is only for approvals of requests that ask for it"));
                    }
                }
            }
            let pake = session.as_ref().map(|(proof, (share_p, share_v, _))| PakeBinding {
                session_id: proof.session_id.clone(),
                share_p: share_p.clone(),
                share_v: share_v.clone(),
            });
            let bytes = statement_of(&msg, &request, pake).encode();
            if !self.verified.verify(&device.public_key, &bytes, &msg.signature) {
                return Err(err(ErrorCode::BadSignature, "the signature does not cover this request as the service holds it"));
            }
            if let Some((proof, (_, _, expected))) = &session {
                if let Some(refusal) = self.consume_pin_proof(
                    tx,
                    &msg.device_id,
                    &device,
                    expected,
                    proof,
                    Some(&msg.request_id),
                    now,
                )? {
                    return Ok(Outcome::Refuse(refusal));
                }
            }
            let status = RequestStatus::for_decision(msg.decision);
            let changed = tx.execute(
                "UPDATE requests SET status = ?2, decided_at_ms = ?3, decided_by = ?4, statement = ?5, signature = ?6
                 WHERE request_id = ?1 AND status = 'pending'",
                params![request.request_id, status.as_str(), now, msg.device_id, bytes, msg.signature],
            )?;
            if changed != 1 {
                return Err(err(ErrorCode::AlreadyDecided, "the request was already decided"));
            }
            tx.execute(
                "UPDATE devices SET last_used_at_ms = ?2 WHERE device_id = ?1",
                params![msg.device_id, now],
            )?;
            log(
                tx,
                &device.identity_id,
                now,
                &format!("request_{}", status.as_str()),
                Some(&msg.device_id),
                Some(&request.request_id),
                &format!("{} – {}", request.requester_name, request.action.as_str()),
            )?;
            let every_use: bool = tx.query_row(
                "SELECT notify_every_use FROM identities WHERE identity_id = ?1",
                [&device.identity_id],
                |r| r.get(0),
            )?;
            if every_use {
                notify(
                    tx,
                    &device.identity_id,
                    now,
                    &Event::Used {
                        requester: &request.requester_name,
                        action: request.action.as_str(),
                        decision: msg.decision.as_str(),
                        device: &device.name,
                    },
                )?;
            }
            Ok(Outcome::Done(DecideResponse {
                request_id: request.request_id.clone(),
                status,
                decided_at_ms: now,
                server_time_ms: now,
            }))
        })
    }

    /// Verify a decision's signature over the statement as the service
    /// would rebuild it from a snapshot, before the write transaction and
    /// outside the database lock (see `precheck`). Writes nothing.
    fn check_decision_early(&self, msg: &Decide, now: i64) {
        let snapshot = (|| -> Result<(Vec<u8>, Vec<u8>)> {
            let conn = self.db.peek()?;
            let device = Self::load_device(&conn, &msg.device_id)?;
            let request = Self::load_request(&conn, &msg.request_id, &device.identity_id)?;
            let pake = match (&msg.decision, &msg.pake) {
                (Decision::Approve, Some(proof)) => {
                    let purpose = PinPurpose::Request {
                        request_id: request.request_id.clone(),
                    };
                    let (share_p, share_v, _) =
                        Self::pin_session(&conn, &msg.device_id, &purpose, proof, now)?;
                    Some(PakeBinding {
                        session_id: proof.session_id.clone(),
                        share_p,
                        share_v,
                    })
                }
                _ => None,
            };
            Ok((
                device.public_key,
                statement_of(msg, &request, pake).encode(),
            ))
        })();
        if let Ok((key, bytes)) = snapshot {
            self.verified.check_early(&key, &bytes, &msg.signature);
        }
    }

    // ------------------------------------------------------- introspection

    /// How many times this service has synced its WAL file to disk (group
    /// commit: one sync covers every commit made before it started). 0 for
    /// an in-memory database or with `synchronous_full = false`. For
    /// benchmarks and operators.
    pub fn wal_syncs(&self) -> u64 {
        self.db.syncs()
    }

    /// A device's state, for operators and tests.
    pub fn device_info(&self, device_id: &str) -> Result<DeviceInfo> {
        let now = self.now_ms();
        let conn = self.db.conn()?;
        conn.query_row(
            "SELECT device_id, identity_id, name, status, pin_failures, last_pin_attempt_ms, last_used_at_ms
             FROM devices WHERE device_id = ?1",
            [device_id],
            |r| {
                let failures: u32 = r.get(4)?;
                let last: i64 = r.get(5)?;
                Ok(DeviceInfo {
                    device_id: r.get(0)?,
                    identity_id: r.get(1)?,
                    name: r.get(2)?,
                    status: r.get(3)?,
                    pin_failures: failures,
                    lock: self.config.lockout.state(failures, last, now),
                    last_used_at_ms: r.get(6)?,
                })
            },
        )
        .optional()?
        .ok_or_else(|| err(ErrorCode::UnknownDevice, "this device is not enrolled"))
    }

    /// An identity's activity log, oldest first.
    pub fn activity(&self, identity_id: &str) -> Result<Vec<ActivityRecord>> {
        let conn = self.db.conn()?;
        let mut stmt = conn.prepare(
            "SELECT at_ms, kind, device_id, request_id, detail FROM activity WHERE identity_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([identity_id], |r| {
            Ok(ActivityRecord {
                at_ms: r.get(0)?,
                kind: r.get(1)?,
                device_id: r.get(2)?,
                request_id: r.get(3)?,
                detail: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// A hash over every row of every table, for tests that check a refused
    /// message changed nothing.
    pub fn state_digest(&self) -> Result<[u8; 32]> {
        let conn = self.db.conn()?;
        let mut all = Vec::new();
        for table in [
            "identities",
            "devices",
            "activation_codes",
            "requests",
            "pake_sessions",
            "activity",
            "device_additions",
            "notifications",
            "unfreeze_proofs",
        ] {
            let mut stmt = conn.prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))?;
            let n = stmt.column_count();
            let mut rows = stmt.query([])?;
            all.extend_from_slice(table.as_bytes());
            while let Some(row) = rows.next()? {
                for i in 0..n {
                    let v: rusqlite::types::Value = row.get(i)?;
                    all.extend_from_slice(format!("{v:?}|").as_bytes());
                }
                all.push(b'\n');
            }
        }
        Ok(sha256(&[&all]))
    }
}

/// The approval statement of `msg` as the service holds the request: what
/// the device's signature must cover.
fn statement_of(
    msg: &Decide,
    request: &RequestRow,
    pake: Option<PakeBinding>,
) -> ApprovalStatement {
    ApprovalStatement::for_request(
        &request.to_pending(0),
        msg.decision,
        &msg.device_id,
        pake,
        msg.channel_binding.clone(),
    )
}
