//! Shared pieces of the fuzz targets: an in-memory service on a test clock,
//! a device that signs protocol messages by hand (on the test kit's
//! [`HandDevice`]), and the checks every answer of the JSON front must pass.
//! The constants and the Demo Bank request are the test kit's.

use std::sync::Arc;

use akuersi_protocol::clock::TestClock;
use akuersi_protocol::pin::{MIN_KDF_ITERATIONS, PAKE_VERIFIER_ID};
use akuersi_protocol::request::LocalizedText;
use akuersi_protocol::wire::{
    paths, Activate, DeviceSigned, ErrorBody, ErrorCode, SignedBody, VerifierRegistration,
};
use akuersi_server::api::ApiResponse;
use akuersi_server::{Service, ServiceConfig, ServiceError};
use akuersi_testkit::HandDevice;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};

/// The clock's start (2026-12-01T00:00:00Z), the PIN of every device, and
/// a Demo Bank log-on request in three languages: the test kit's.
pub use akuersi_testkit::{log_on, register_demo_bank, signed_json, DemoBankCalls, PIN, T0};

/// Operator token of every fuzzed service (the recorded seeds carry it, so
/// it is the fuzzers' own, not the test kit's).
pub const TOKEN: &str = "fuzz-operator-token";
/// The user ID of the identity the fixtures create.
pub const OWNER: &str = "Fuzz-Owner";

/// Every path of protocol v1, in a fixed order (a selector byte picks one;
/// values past the end pick an unknown path).
pub const PATHS: &[&str] = &paths::ALL;

/// A fresh in-memory service on a test clock at [`T0`], with Demo Bank
/// registered (the test kit's fixed key, so recorded seeds stay signed
/// correctly). Limits that would
/// stop a long fuzz run (requests per hour, devices per identity) are lifted
/// unless `realistic` is set.
pub fn service(realistic: bool) -> (Arc<TestClock>, Service) {
    let clock = Arc::new(TestClock::new(T0));
    let mut config = ServiceConfig {
        operator_token: Some(TOKEN.into()),
        synchronous_full: false,
        min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
        ..Default::default()
    };
    if !realistic {
        config.max_requests_per_hour = u32::MAX;
        config.max_active_devices = u32::MAX;
    }
    let service = Service::open(":memory:", clock.clone(), config).expect("in-memory service");
    akuersi_testkit::register_demo_bank(&service);
    (clock, service)
}

/// A device that builds protocol messages by hand: the test kit's
/// [`HandDevice`] with a sequence number the `stored_rows` target can set.
pub struct Device {
    hand: HandDevice,
    /// Its id (derived from the public key).
    pub device_id: String,
    /// The last sequence number used.
    pub seq: u64,
}

impl Default for Device {
    fn default() -> Self {
        Self::new()
    }
}

impl Device {
    /// A new key and device secret.
    pub fn new() -> Self {
        let hand = HandDevice::new().expect("a new device");
        Self {
            device_id: hand.device_id.clone(),
            hand,
            seq: 0,
        }
    }

    /// Sign bytes (ECDSA P-256, r ‖ s).
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        self.hand.sign(msg).expect("signing")
    }

    /// The public key, uncompressed.
    pub fn public_key(&self) -> Vec<u8> {
        self.hand.public_key()
    }

    /// The PIN verifier this device registers for [`PIN`].
    pub fn verifier(&self) -> VerifierRegistration {
        self.hand
            .verifier(PIN, MIN_KDF_ITERATIONS)
            .expect("good PIN")
    }

    /// A signed activation message carrying `code` as typed.
    pub fn activation(
        &self,
        user_id: &str,
        code: &str,
        verifier: &VerifierRegistration,
    ) -> Activate {
        self.hand
            .activation_with(user_id, code, verifier.clone(), "fuzz phone", "fuzz")
            .expect("signing")
    }

    /// A signed envelope with the next sequence number.
    pub fn envelope<T: SignedBody>(&mut self, body: T) -> DeviceSigned<T> {
        self.seq += 1;
        let signature = self.sign(&DeviceSigned::signed_bytes(
            &self.device_id,
            self.seq,
            &body,
        ));
        DeviceSigned {
            device_id: self.device_id.clone(),
            seq: self.seq,
            body,
            signature,
        }
    }

    /// A valid SPAKE2+ shareP for `context` (the prover is dropped: enough
    /// to make the service open a PIN-proof session).
    pub fn share_p(&self, context: &[u8]) -> Vec<u8> {
        let (w0, w1) = self
            .hand
            .pake_secrets(PIN, MIN_KDF_ITERATIONS)
            .expect("good PIN");
        let ctx = akuersi_protocol::spake2plus::PakeContext {
            context,
            id_prover: self.device_id.as_bytes(),
            id_verifier: PAKE_VERIFIER_ID,
        };
        akuersi_protocol::spake2plus::Prover::start(&ctx, &w0, &w1)
            .1
            .to_vec()
    }

    /// A signed rejection or report of `request` (no PIN needed).
    pub fn decline(
        &self,
        request: &akuersi_protocol::wire::PendingRequest,
        decision: akuersi_protocol::approval::Decision,
    ) -> akuersi_protocol::wire::Decide {
        let statement = akuersi_protocol::approval::ApprovalStatement::for_request(
            request,
            decision,
            &self.device_id,
            None,
            None,
        );
        akuersi_protocol::wire::Decide {
            device_id: self.device_id.clone(),
            request_id: request.request_id.clone(),
            decision,
            pake: None,
            channel_binding: None,
            signature: self.sign(&statement.encode()),
        }
    }

    /// Create the identity [`OWNER`] if needed and enroll a new device with a
    /// fresh paper activation code.
    pub fn enroll(service: &Service) -> Self {
        let _ = service.create_identity(OWNER);
        let d = Self::new();
        let code = service
            .issue_activation_code(OWNER, akuersi_protocol::wire::CodeChannel::Paper)
            .expect("code")
            .code;
        service
            .activate(d.activation(OWNER, &code, &d.verifier()))
            .expect("activation");
        d
    }
}

/// What every answer of `api::handle` must be: 200 with a JSON body, or an
/// [`ErrorBody`] whose HTTP status is the one its code maps to, never an
/// internal error. Returns the error body for non-200 answers.
pub fn check_answer(path: &str, body: &[u8], resp: &ApiResponse) -> Option<ErrorBody> {
    let err = check_answer_shape(path, resp)?;
    assert_ne!(
        err.code,
        ErrorCode::Internal,
        "{path}: internal error {:?} for body {:?}",
        err.message,
        String::from_utf8_lossy(body)
    );
    Some(err)
}

/// Like [`check_answer`], but an internal error is allowed (for a service
/// whose stored rows were damaged).
pub fn check_answer_shape(path: &str, resp: &ApiResponse) -> Option<ErrorBody> {
    if resp.status == 200 {
        serde_json::from_slice::<serde_json::Value>(&resp.body).unwrap_or_else(|e| {
            panic!(
                "{path}: 200 answer is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&resp.body)
            )
        });
        return None;
    }
    let err: ErrorBody = serde_json::from_slice(&resp.body).unwrap_or_else(|e| {
        panic!(
            "{path}: status {} with a body that is not an ErrorBody ({e}): {:?}",
            resp.status,
            String::from_utf8_lossy(&resp.body)
        )
    });
    assert_eq!(
        ServiceError::new(err.code, "").http_status(),
        resp.status,
        "{path}: status does not match code {:?}",
        err.code
    );
    assert!(!err.message.is_empty(), "{path}: empty error message");
    Some(err)
}

/// Round-trip a JSON value of `T`: parse → serialize → parse must give the
/// same value, and serializing it again the same bytes.
pub fn json_round_trip<T>(data: &[u8]) -> Option<T>
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    let v: T = serde_json::from_slice(data).ok()?;
    let bytes = serde_json::to_vec(&v).expect("a parsed value serializes");
    let again: T = serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "{}: own output does not parse ({e}): {}",
            std::any::type_name::<T>(),
            String::from_utf8_lossy(&bytes)
        )
    });
    assert_eq!(
        v,
        again,
        "{}: round trip changed the value",
        std::any::type_name::<T>()
    );
    assert_eq!(
        serde_json::to_vec(&again).expect("serializes"),
        bytes,
        "{}: serialization is not stable",
        std::any::type_name::<T>()
    );
    Some(v)
}

/// A fixed signing key for targets that need signatures made "by the
/// service" or "by a device" over fuzzed bytes.
pub fn fixed_key() -> &'static EcdsaKeyPair {
    static KEY: std::sync::OnceLock<EcdsaKeyPair> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .expect("key generation");
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng)
            .expect("key")
    })
}

/// Sign with [`fixed_key`].
pub fn fixed_sign(msg: &[u8]) -> Vec<u8> {
    fixed_key()
        .sign(&SystemRandom::new(), msg)
        .expect("signing")
        .as_ref()
        .to_vec()
}

/// Bytes as a string: UTF-8 when they are, otherwise lossily.
pub fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// Parse and round-trip a plain wire message.
fn plain<T>(data: &[u8])
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    json_round_trip::<T>(data);
}

/// Parse and round-trip a device-signed envelope, and compute its signed bytes.
fn signed<T>(data: &[u8])
where
    T: SignedBody + PartialEq + std::fmt::Debug,
{
    if let Some(m) = json_round_trip::<DeviceSigned<T>>(data) {
        let a = DeviceSigned::signed_bytes(&m.device_id, m.seq, &m.body);
        assert_eq!(a, DeviceSigned::signed_bytes(&m.device_id, m.seq, &m.body));
    }
}

/// Parse and round-trip a requester-signed envelope, and compute its signed bytes.
fn requester_signed<T>(data: &[u8])
where
    T: akuersi_protocol::wire::RequesterBody + PartialEq + std::fmt::Debug,
{
    use akuersi_protocol::wire::RequesterSigned;
    if let Some(m) = json_round_trip::<RequesterSigned<T>>(data) {
        assert_eq!(
            m.bytes(),
            RequesterSigned::signed_bytes(&m.requester_id, m.timestamp_ms, &m.nonce, &m.body)
        );
    }
}

/// A check of one kind of wire message.
pub type WireCheck = fn(&[u8]);

/// Every wire message type, both directions (a device decodes the service's
/// answers too), with its check; the `wire_messages` target picks one by
/// index. Append only, so that recorded seeds keep their meaning.
pub static WIRE_KINDS: &[(&str, WireCheck)] = {
    use akuersi_protocol::approval::Evidence;
    use akuersi_protocol::identity::UserId;
    use akuersi_protocol::wire::*;
    &[
        ("CreateRequest", plain::<CreateRequest>),
        ("CreateRequestResponse", plain::<CreateRequestResponse>),
        ("PollRequest", plain::<PollRequest>),
        ("PollResponse", plain::<PollResponse>),
        ("PendingResponse", plain::<PendingResponse>),
        ("PendingRequest", plain::<PendingRequest>),
        ("PinStartResponse", plain::<PinStartResponse>),
        ("PinFailedResponse", plain::<PinFailedResponse>),
        ("Decide", plain::<Decide>),
        ("DecideResponse", plain::<DecideResponse>),
        ("Activate", plain::<Activate>),
        ("ActivateResponse", plain::<ActivateResponse>),
        ("CreateIdentity", plain::<CreateIdentity>),
        ("CreateIdentityResponse", plain::<CreateIdentityResponse>),
        ("IssueActivationCode", plain::<IssueActivationCode>),
        (
            "IssueActivationCodeResponse",
            plain::<IssueActivationCodeResponse>,
        ),
        ("Ack", plain::<Ack>),
        ("DeviceListResponse", plain::<DeviceListResponse>),
        ("UnfreezeResponse", plain::<UnfreezeResponse>),
        ("IdentityStatus", plain::<IdentityStatus>),
        ("AdditionView", plain::<AdditionView>),
        ("PairingPayloadResponse", plain::<PairingPayloadResponse>),
        ("CompletePairing", plain::<CompletePairing>),
        ("NotificationsResponse", plain::<NotificationsResponse>),
        ("ActivityResponse", plain::<ActivityResponse>),
        ("OperatorFreeze", plain::<OperatorFreeze>),
        ("OperatorSetContact", plain::<OperatorSetContact>),
        ("OperatorOutbox", plain::<OperatorOutbox>),
        ("OutboxResponse", plain::<OutboxResponse>),
        ("ErrorBody", plain::<ErrorBody>),
        ("Evidence", plain::<Evidence>),
        ("PinPurpose", plain::<PinPurpose>),
        ("Vec<LocalizedText>", plain::<Vec<LocalizedText>>),
        ("UserId", plain::<UserId>),
        ("DeviceSigned<PendingQuery>", signed::<PendingQuery>),
        ("DeviceSigned<ChannelCheck>", signed::<ChannelCheck>),
        ("DeviceSigned<PinStart>", signed::<PinStart>),
        ("DeviceSigned<PinFailed>", signed::<PinFailed>),
        ("DeviceSigned<DeviceListQuery>", signed::<DeviceListQuery>),
        ("DeviceSigned<RenameDevice>", signed::<RenameDevice>),
        ("DeviceSigned<RemoveDevice>", signed::<RemoveDevice>),
        ("DeviceSigned<Freeze>", signed::<Freeze>),
        ("DeviceSigned<Unfreeze>", signed::<Unfreeze>),
        (
            "DeviceSigned<IdentityStatusQuery>",
            signed::<IdentityStatusQuery>,
        ),
        ("DeviceSigned<StartAddition>", signed::<StartAddition>),
        ("DeviceSigned<VetoAddition>", signed::<VetoAddition>),
        ("DeviceSigned<PairingOffer>", signed::<PairingOffer>),
        (
            "DeviceSigned<NotificationsQuery>",
            signed::<NotificationsQuery>,
        ),
        ("DeviceSigned<ActivityQuery>", signed::<ActivityQuery>),
        ("DeviceSigned<ChangeUserId>", signed::<ChangeUserId>),
        ("DeviceSigned<ChangeContact>", signed::<ChangeContact>),
        ("DeviceSigned<ChangeSettings>", signed::<ChangeSettings>),
        ("DeviceSigned<ChangePin>", signed::<ChangePin>),
        (
            "RequesterSigned<CreateRequest>",
            requester_signed::<CreateRequest>,
        ),
        (
            "RequesterSigned<PollRequest>",
            requester_signed::<PollRequest>,
        ),
        (
            "RequesterSigned<CancelRequest>",
            requester_signed::<CancelRequest>,
        ),
        ("RegisterRequester", plain::<RegisterRequester>),
        ("RequesterList", plain::<RequesterList>),
        ("RevokeRequester", plain::<RevokeRequester>),
    ]
};

/// The columns of the service's database that the `stored_rows` target
/// overwrites (append only, so that seeds keep their meaning).
pub const STORED_COLUMNS: &[(&str, &str)] = &[
    ("identities", "identity_id"),
    ("identities", "user_id"),
    ("identities", "user_key"),
    ("identities", "status"),
    ("identities", "frozen"),
    ("identities", "phone"),
    ("identities", "email"),
    ("identities", "notify_every_use"),
    ("identities", "language"),
    ("devices", "device_id"),
    ("devices", "identity_id"),
    ("devices", "public_key"),
    ("devices", "name"),
    ("devices", "status"),
    ("devices", "last_used_at_ms"),
    ("devices", "last_seq"),
    ("devices", "pin_failures"),
    ("devices", "last_pin_attempt_ms"),
    ("devices", "verifier_w0"),
    ("devices", "verifier_l"),
    ("devices", "kdf_iterations"),
    ("activation_codes", "code_hash"),
    ("activation_codes", "expires_at_ms"),
    ("activation_codes", "used_at_ms"),
    ("activation_codes", "failures"),
    ("requests", "identity_id"),
    ("requests", "nonce"),
    ("requests", "requester_id"),
    ("requests", "requester_name"),
    ("requests", "action"),
    ("requests", "texts_json"),
    ("requests", "created_at_ms"),
    ("requests", "expires_at_ms"),
    ("requests", "status"),
    ("requests", "decided_by"),
    ("requests", "statement"),
    ("requests", "signature"),
    ("requests", "channel_kind"),
    ("requests", "channel_code"),
    ("requests", "channel_secret"),
    ("requests", "channel_failures"),
    ("requests", "channel_ok_device"),
    ("requests", "amount_minor"),
    ("requests", "amount_currency"),
    ("requests", "account"),
    ("activity", "seq"),
    ("activity", "at_ms"),
    ("activity", "kind"),
    ("activity", "device_id"),
    ("activity", "request_id"),
    ("activity", "detail"),
    ("activity", "prev_hash"),
    ("activity", "hash"),
    ("notifications", "at_ms"),
    ("notifications", "channel"),
    ("notifications", "address"),
    ("notifications", "event"),
    ("notifications", "text"),
    ("service_key", "pkcs8"),
    ("requesters", "name_en"),
    ("requesters", "actions"),
    ("requesters", "channel_modes"),
    ("requesters", "public_key"),
    ("requesters", "revoked_at_ms"),
    ("requester_nonces", "timestamp_ms"),
];
