//! The reference identity service: identities, devices, requests, PIN proofs
//! and decisions. Every state change is one SQLite transaction; a refused
//! message changes nothing, except where the refusal itself must be recorded
//! (a counted PIN attempt, a wrong activation code).

use std::sync::Arc;

use akuersi_core::approval::{ApprovalStatement, Decision, Evidence, PakeBinding};
use akuersi_core::clock::Clock;
use akuersi_core::crypto::{
    ct_eq, device_id_for, is_hex_id, random_array, random_id, sha256, verify_p256,
};
use akuersi_core::encoding::b64_encode;
use akuersi_core::identity::UserId;
use akuersi_core::pin::{MAX_KDF_ITERATIONS, MIN_KDF_ITERATIONS, PAKE_VERIFIER_ID};
use akuersi_core::protocol::{
    pake_context, Activate, ActivateResponse, CodeChannel, CreateRequest, CreateRequestResponse,
    Decide, DecideResponse, DeviceSigned, ErrorCode, IssueActivationCodeResponse, PendingQuery,
    PendingRequest, PendingResponse, PinStart, PinStartResponse, PollResponse, RequestStatus,
    SignedBody, MAX_TTL_SECONDS, MIN_TTL_SECONDS,
};
use akuersi_core::request::{
    is_forbidden_char, validate_requester, validate_texts, Action, LocalizedText,
};
use akuersi_core::spake2plus::{verifier_respond, verify_confirm_p, PakeContext, VerifierRecord};
use rusqlite::{params, OptionalExtension, Transaction};

use crate::db::{Db, Outcome};
use crate::error::{Result, ServiceError};
use crate::lockout::{Lock, LockoutPolicy};

/// Alphabet of activation codes: no 0/O, 1/I/L.
const CODE_ALPHABET: &[u8; 32] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789#";
/// Characters in an activation code (60 bits).
const CODE_CHARS: usize = 12;
/// Wrong tries after which an activation code is blocked.
const CODE_MAX_FAILURES: u32 = 3;

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
}

impl Default for ServiceConfig {
    fn default() -> Self {
        Self {
            operator_token: None,
            max_active_devices: 3,
            lockout: LockoutPolicy::default(),
            synchronous_full: true,
            pin_session_ttl_ms: 120_000,
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
    db: Db,
    clock: Arc<dyn Clock>,
    config: ServiceConfig,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Service")
    }
}

struct DeviceRow {
    identity_id: String,
    public_key: Vec<u8>,
    status: String,
    last_seq: i64,
    pin_failures: u32,
    last_pin_attempt_ms: i64,
    w0: Vec<u8>,
    l: Vec<u8>,
}

struct RequestRow {
    request_id: String,
    identity_id: Option<String>,
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
}

impl RequestRow {
    fn status_at(&self, now_ms: i64) -> RequestStatus {
        if self.status == RequestStatus::Pending && now_ms >= self.expires_at_ms {
            RequestStatus::Expired
        } else {
            self.status
        }
    }
}

const REQUEST_COLUMNS: &str =
    "request_id, identity_id, nonce, requester_id, requester_name, action,
    texts_json, created_at_ms, expires_at_ms, status, decided_by, statement, signature";

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
    })
}

fn err(code: ErrorCode, message: &str) -> ServiceError {
    ServiceError::new(code, message)
}

fn malformed(message: &str) -> ServiceError {
    err(ErrorCode::Malformed, message)
}

fn hash_handle(handle: &str) -> [u8; 32] {
    sha256(&[b"akuersi/v1/poll-handle", handle.as_bytes()])
}

fn hash_code(normalized: &str) -> [u8; 32] {
    sha256(&[b"akuersi/v1/activation-code", normalized.as_bytes()])
}

/// Upper-case, drop spaces and dashes; `None` unless 12 characters of the alphabet remain.
fn normalize_code(input: &str) -> Option<String> {
    let s: String = input
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (s.len() == CODE_CHARS && s.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(s)
}

fn log(
    tx: &Transaction<'_>,
    identity_id: &str,
    at_ms: i64,
    kind: &str,
    device_id: Option<&str>,
    request_id: Option<&str>,
    detail: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO activity(identity_id, at_ms, kind, device_id, request_id, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![identity_id, at_ms, kind, device_id, request_id, detail],
    )?;
    Ok(())
}

impl Service {
    /// Open (or create) the service's database at `path` (`":memory:"` for a
    /// private in-memory one) and run migrations.
    pub fn open(path: &str, clock: Arc<dyn Clock>, config: ServiceConfig) -> Result<Self> {
        Ok(Self {
            db: Db::open(path, config.synchronous_full)?,
            clock,
            config,
        })
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
                params![identity_id, hash_code(&code).to_vec(), channel_name, now, expires_at_ms],
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
        validate_requester(&req.requester_id, &req.requester_name)
            .map_err(|e| err(ErrorCode::InvalidText, &e.to_string()))?;
        let texts =
            validate_texts(req.texts).map_err(|e| err(ErrorCode::InvalidText, &e.to_string()))?;
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
        let now = self.now_ms();
        let expires_at_ms = now + i64::from(ttl) * 1000;
        self.db.write(|tx| {
            let identity_id: Option<String> = tx
                .query_row(
                    "SELECT identity_id FROM identities WHERE user_key = ?1",
                    [user.key()],
                    |r| r.get(0),
                )
                .optional()?;
            // Keyed by user ID, not identity, so unknown IDs behave the same.
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
                    poll_handle_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'pending', ?11)",
                params![
                    request_id,
                    user.key(),
                    identity_id,
                    nonce.to_vec(),
                    req.requester_id,
                    req.requester_name,
                    req.action.as_str(),
                    texts_json,
                    now,
                    expires_at_ms,
                    hash_handle(&poll_handle).to_vec()
                ],
            )?;
            Ok(Outcome::Done(()))
        })?;
        Ok(CreateRequestResponse {
            request_id,
            expires_at_ms,
            poll_handle,
            server_time_ms: now,
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
        Ok(PollResponse {
            request_id: row.request_id.clone(),
            status: row.status_at(now),
            expires_at_ms: row.expires_at_ms,
            server_time_ms: now,
            evidence,
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

    /// Enroll a device with an activation code and register its PIN verifier.
    /// A wrong code is counted (3 wrong tries block it). Writes state.
    pub fn activate(&self, msg: Activate) -> Result<ActivateResponse> {
        let user = UserId::parse(&msg.user_id)
            .map_err(|e| err(ErrorCode::InvalidUserId, &e.to_string()))?;
        if device_id_for(&msg.device_public_key) != msg.device_id {
            return Err(malformed("device_id does not belong to device_public_key"));
        }
        verify_p256(&msg.device_public_key, &msg.signed_bytes(), &msg.signature).map_err(|_| {
            err(
                ErrorCode::BadSignature,
                "the activation signature does not verify",
            )
        })?;
        VerifierRecord::from_parts(&msg.verifier.w0, &msg.verifier.l)
            .map_err(|_| malformed("the PIN verifier is not a valid SPAKE2+ record"))?;
        if !(MIN_KDF_ITERATIONS..=MAX_KDF_ITERATIONS).contains(&msg.verifier.kdf_iterations) {
            return Err(malformed("kdf_iterations is out of range"));
        }
        let name_chars = msg.device_name.chars().count();
        if name_chars == 0 || name_chars > 40 || msg.device_name.chars().any(is_forbidden_char) {
            return Err(err(
                ErrorCode::InvalidText,
                "a device name has 1 to 40 visible characters",
            ));
        }
        if msg.platform.is_empty()
            || msg.platform.len() > 20
            || !msg
                .platform
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(malformed("platform must be 1 to 20 letters, digits or '-'"));
        }
        let invalid = || {
            err(
                ErrorCode::InvalidActivationCode,
                "the activation code is not valid",
            )
        };
        let code = normalize_code(&msg.activation_code).ok_or_else(invalid)?;
        let code_hash = hash_code(&code);
        let now = self.now_ms();
        self.db.write(|tx| {
            let Some(identity_id) = tx
                .query_row(
                    "SELECT identity_id FROM identities WHERE user_key = ?1",
                    [user.key()],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
            else {
                return Ok(Outcome::Refuse(invalid()));
            };
            let mut stmt = tx.prepare(
                "SELECT code_id, code_hash, failures FROM activation_codes
                 WHERE identity_id = ?1 AND used_at_ms IS NULL AND expires_at_ms > ?2",
            )?;
            let codes: Vec<(i64, Vec<u8>, u32)> = stmt
                .query_map(params![identity_id, now], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?
                .collect::<rusqlite::Result<_>>()?;
            drop(stmt);
            let live: Vec<&(i64, Vec<u8>, u32)> =
                codes.iter().filter(|c| c.2 < CODE_MAX_FAILURES).collect();
            if live.is_empty() {
                return Ok(Outcome::Refuse(if codes.is_empty() {
                    invalid()
                } else {
                    err(
                        ErrorCode::ActivationCodeBlocked,
                        "the activation code is blocked after 3 wrong tries; ask for a new one",
                    )
                }));
            }
            let Some(&&(code_id, _, _)) = live.iter().find(|c| ct_eq(&c.1, &code_hash)) else {
                // Count the wrong try against every live code of the identity.
                let mut blocked = false;
                for c in &live {
                    tx.execute(
                        "UPDATE activation_codes SET failures = failures + 1 WHERE code_id = ?1",
                        [c.0],
                    )?;
                    blocked |= c.2 + 1 >= CODE_MAX_FAILURES;
                }
                log(
                    tx,
                    &identity_id,
                    now,
                    "activation_code_wrong",
                    None,
                    None,
                    "a wrong activation code was entered",
                )?;
                return Ok(Outcome::Refuse(if blocked {
                    err(
                        ErrorCode::ActivationCodeBlocked,
                        "the activation code is blocked after 3 wrong tries; ask for a new one",
                    )
                } else {
                    invalid()
                }));
            };
            let active: u32 = tx.query_row(
                "SELECT count(*) FROM devices WHERE identity_id = ?1 AND status = 'active'",
                [&identity_id],
                |r| r.get(0),
            )?;
            if active >= self.config.max_active_devices {
                return Err(err(
                    ErrorCode::DeviceLimit,
                    &format!(
                        "an identity can have at most {} active devices",
                        self.config.max_active_devices
                    ),
                ));
            }
            let exists: bool = tx.query_row(
                "SELECT EXISTS(SELECT 1 FROM devices WHERE device_id = ?1)",
                [&msg.device_id],
                |r| r.get(0),
            )?;
            if exists {
                return Err(err(
                    ErrorCode::DeviceExists,
                    "this device is already enrolled",
                ));
            }
            tx.execute(
                "INSERT INTO devices(device_id, identity_id, public_key, name, platform, status,
                    enrolled_at_ms, last_used_at_ms, verifier_w0, verifier_l, kdf_iterations)
                 VALUES (?1, ?2, ?3, ?4, ?5, 'active', ?6, ?6, ?7, ?8, ?9)",
                params![
                    msg.device_id,
                    identity_id,
                    msg.device_public_key,
                    msg.device_name,
                    msg.platform,
                    now,
                    msg.verifier.w0,
                    msg.verifier.l,
                    msg.verifier.kdf_iterations
                ],
            )?;
            tx.execute(
                "UPDATE activation_codes SET used_at_ms = ?2 WHERE code_id = ?1",
                params![code_id, now],
            )?;
            log(
                tx,
                &identity_id,
                now,
                "device_activated",
                Some(&msg.device_id),
                None,
                &format!(
                    "device \"{}\" ({}) activated with an activation code",
                    msg.device_name, msg.platform
                ),
            )?;
            Ok(Outcome::Done(ActivateResponse {
                identity_id: identity_id.clone(),
                device_id: msg.device_id.clone(),
                server_time_ms: now,
            }))
        })
    }

    fn load_device(tx: &rusqlite::Connection, device_id: &str) -> Result<DeviceRow> {
        let unknown = || err(ErrorCode::UnknownDevice, "this device is not enrolled");
        if !is_hex_id(device_id) {
            return Err(unknown());
        }
        tx.query_row(
            "SELECT identity_id, public_key, status, last_seq, pin_failures, last_pin_attempt_ms,
                    verifier_w0, verifier_l
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
                })
            },
        )
        .optional()?
        .filter(|d| d.status == "active")
        .ok_or_else(unknown)
    }

    /// Check a signed device envelope and consume its sequence number.
    fn authenticate<T: SignedBody>(
        &self,
        tx: &Transaction<'_>,
        msg: &DeviceSigned<T>,
        now: i64,
    ) -> Result<DeviceRow> {
        let device = Self::load_device(tx, &msg.device_id)?;
        let bytes = DeviceSigned::signed_bytes(&msg.device_id, msg.seq, &msg.body);
        verify_p256(&device.public_key, &bytes, &msg.signature).map_err(|_| {
            err(
                ErrorCode::BadSignature,
                "the device signature does not verify",
            )
        })?;
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
            let requests = rows
                .into_iter()
                .map(|r| PendingRequest {
                    request_id: r.request_id,
                    nonce: r.nonce,
                    requester_id: r.requester_id,
                    requester_name: r.requester_name,
                    action: r.action,
                    texts: r.texts,
                    created_at_ms: r.created_at_ms,
                    expires_at_ms: r.expires_at_ms,
                })
                .collect();
            Ok(Outcome::Done(PendingResponse {
                server_time_ms: now,
                requests,
            }))
        })
    }

    /// Start a SPAKE2+ PIN proof for a request. The attempt is counted and
    /// committed here, before the proof can be checked. Writes state.
    pub fn pin_start(&self, msg: DeviceSigned<PinStart>) -> Result<PinStartResponse> {
        let now = self.now_ms();
        let session_id = random_id().map_err(ServiceError::internal)?;
        self.db.write(|tx| {
            let device = self.authenticate(tx, &msg, now)?;
            if let Lock::Suspended { until_ms } =
                self.config.lockout.state(device.pin_failures, device.last_pin_attempt_ms, now)
            {
                return Ok(Outcome::Refuse(ServiceError {
                    until_ms: Some(until_ms),
                    ..err(ErrorCode::DeviceSuspended, "too many wrong PINs; this device is suspended for a while")
                }));
            }
            let request = Self::load_request(tx, &msg.body.request_id, &device.identity_id)?;
            Self::require_pending(&request, now)?;
            let record = VerifierRecord::from_parts(&device.w0, &device.l)
                .map_err(|_| ServiceError::internal("stored verifier is damaged"))?;
            let context = pake_context(&request.request_id, &request.nonce);
            let ctx = PakeContext {
                context: &context,
                id_prover: msg.device_id.as_bytes(),
                id_verifier: PAKE_VERIFIER_ID,
            };
            let response = verifier_respond(&ctx, &record, &msg.body.share_p)
                .map_err(|_| malformed("share_p is not a valid P-256 point"))?;
            let failures = device.pin_failures.saturating_add(1);
            tx.execute(
                "UPDATE devices SET pin_failures = ?2, last_pin_attempt_ms = ?3 WHERE device_id = ?1",
                params![msg.device_id, failures, now],
            )?;
            let expires = (now + self.config.pin_session_ttl_ms).min(request.expires_at_ms);
            tx.execute(
                "INSERT INTO pake_sessions(session_id, device_id, request_id, share_p, share_v,
                    expected_confirm_p, expires_at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    session_id,
                    msg.device_id,
                    request.request_id,
                    msg.body.share_p,
                    response.share_v.to_vec(),
                    response.expected_confirm_p.to_vec(),
                    expires
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

    /// Record a decision: the request is pending and unexpired, the device is
    /// active and the identity's, the PIN proof (for approvals) is valid, and
    /// the signature covers the statement rebuilt from the service's own copy
    /// of the request. First device to decide wins. Writes state.
    pub fn decide(&self, msg: Decide) -> Result<DecideResponse> {
        let now = self.now_ms();
        self.db.write(|tx| {
            let device = Self::load_device(tx, &msg.device_id)?;
            let lock = self.config.lockout.state(device.pin_failures, device.last_pin_attempt_ms, now);
            if lock == Lock::Blocked {
                return Err(err(ErrorCode::DeviceBlocked, "this device is blocked after too many wrong PINs; activate it again"));
            }
            let request = Self::load_request(tx, &msg.request_id, &device.identity_id)?;
            Self::require_pending(&request, now)?;
            let session = match (msg.decision, &msg.pake) {
                (Decision::Approve, None) => {
                    return Err(err(ErrorCode::PinRequired, "an approval needs a PIN proof"))
                }
                (Decision::Approve, Some(proof)) => {
                    let invalid = || err(ErrorCode::PinSessionInvalid, "the PIN-proof session is unknown, used, lapsed or for another request");
                    let s: (Vec<u8>, Vec<u8>, Vec<u8>) = tx
                        .query_row(
                            "SELECT share_p, share_v, expected_confirm_p FROM pake_sessions
                             WHERE session_id = ?1 AND device_id = ?2 AND request_id = ?3
                               AND used = 0 AND expires_at_ms > ?4",
                            params![proof.session_id, msg.device_id, msg.request_id, now],
                            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                        )
                        .optional()?
                        .ok_or_else(invalid)?;
                    Some((proof, s))
                }
                (_, Some(_)) => return Err(malformed("only approvals carry a PIN proof")),
                (_, None) => None,
            };
            let statement = ApprovalStatement {
                request_id: request.request_id.clone(),
                nonce: request.nonce.clone(),
                requester_id: request.requester_id.clone(),
                requester_name: request.requester_name.clone(),
                action: request.action,
                texts: request.texts.clone(),
                expires_at_ms: request.expires_at_ms,
                decision: msg.decision,
                device_id: msg.device_id.clone(),
                pake: session.as_ref().map(|(proof, (share_p, share_v, _))| PakeBinding {
                    session_id: proof.session_id.clone(),
                    share_p: share_p.clone(),
                    share_v: share_v.clone(),
                }),
                channel_binding: msg.channel_binding.clone(),
            };
            let bytes = statement.encode();
            verify_p256(&device.public_key, &bytes, &msg.signature).map_err(|_| {
                err(ErrorCode::BadSignature, "the signature does not cover this request as the service holds it")
            })?;
            if let Some((proof, (_, _, expected))) = &session {
                tx.execute(
                    "UPDATE pake_sessions SET used = 1 WHERE session_id = ?1",
                    [&proof.session_id],
                )?;
                if verify_confirm_p(expected, &proof.confirm_p).is_err() {
                    log(tx, &device.identity_id, now, "wrong_pin", Some(&msg.device_id), Some(&msg.request_id), "a wrong PIN was used")?;
                    return Ok(Outcome::Refuse(ServiceError {
                        attempts_left: Some(self.config.lockout.attempts_left(device.pin_failures)),
                        ..err(ErrorCode::WrongPin, "wrong PIN")
                    }));
                }
                tx.execute(
                    "UPDATE devices SET pin_failures = 0 WHERE device_id = ?1",
                    [&msg.device_id],
                )?;
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
            Ok(Outcome::Done(DecideResponse {
                request_id: request.request_id.clone(),
                status,
                decided_at_ms: now,
                server_time_ms: now,
            }))
        })
    }

    // ------------------------------------------------------- introspection

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
            "SELECT at_ms, kind, device_id, request_id, detail FROM activity WHERE identity_id = ?1 ORDER BY id",
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
