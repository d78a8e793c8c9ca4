//! Test only (feature `test-service`): the reference identity service in
//! process, on a test clock, with the operator and requester calls a test
//! needs. Never part of a release build.

use std::sync::Arc;

use akuersi_core::app::InstallationConfig;
use akuersi_core::transport::{Transport as _, TransportResponse};
use akuersi_protocol::approval::Decision;
use akuersi_protocol::clock::{Clock, TestClock};
use akuersi_protocol::request::{Action, LocalizedText};
use akuersi_protocol::wire::{ChannelBindingKind, CodeChannel, CreateRequest, RequestStatus};
use akuersi_server::{InProcessTransport, Service, ServiceConfig, ServiceError};
use akuersi_testkit::{log_on, register_demo_bank, DemoBankCalls, DEMO_BANK, T0, TOKEN};

use crate::error::{guard, AkuersiError};
use crate::foreign::{KeyStore, SecretVault, Transport};
use crate::Akuersi;

fn service_error(e: ServiceError) -> AkuersiError {
    akuersi_core::Error::from(e.body()).into()
}

/// A request as the requester (a bank, say) sees it after creating it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TestRequest {
    /// The request's id.
    pub request_id: String,
    /// The requester's secret handle for polling.
    pub poll_handle: String,
    /// Absolute expiry by the service's clock.
    pub expires_at_ms: i64,
    /// With channel binding by code: the 4 digits the initiating screen shows.
    pub channel_code: Option<String>,
}

/// A request's state as the requester polls it.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TestPoll {
    /// Its status now.
    pub status: RequestStatus,
    /// The decision in the device's signed evidence, once decided.
    pub decision: Option<Decision>,
    /// Whether that evidence verifies (signature, key and device id agree);
    /// `None` while there is none.
    pub evidence_valid: Option<bool>,
}

/// The reference identity service in process, on a clock that moves only when
/// told to. For tests only: the `test-service` feature is never enabled in a
/// release build. All calls block briefly on an in-memory SQLite database.
#[derive(uniffi::Object)]
pub struct TestService {
    clock: Arc<TestClock>,
    service: Arc<Service>,
}

/// The service's JSON front, as a [`Transport`] the foreign side can hold,
/// wrap (to count calls or fail on purpose) and pass to [`Akuersi`].
struct InProcess(InProcessTransport);

impl Transport for InProcess {
    fn post(&self, path: String, body: Vec<u8>) -> Result<TransportResponse, AkuersiError> {
        self.0
            .post(&path, body)
            .map_err(|e| AkuersiError::Network { reason: e.reason })
    }
}

#[uniffi::export]
impl TestService {
    /// A fresh in-memory service whose clock stands at 2026-12-01T00:00:00Z.
    #[uniffi::constructor]
    pub fn new() -> Result<Arc<Self>, AkuersiError> {
        guard("starting the test service", || {
            let clock = Arc::new(TestClock::new(T0));
            let service = Service::open(
                ":memory:",
                clock.clone(),
                ServiceConfig {
                    operator_token: Some(TOKEN.into()),
                    min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
                    ..Default::default()
                },
            )
            .map_err(service_error)?;
            // Demo Bank is registered, with the testkit's key, and every
            // request below is its signed call.
            register_demo_bank(&service);
            Ok(Arc::new(Self {
                clock,
                service: Arc::new(service),
            }))
        })
    }

    /// A transport to this service (the same JSON as over HTTP).
    pub fn transport(&self) -> Arc<dyn Transport> {
        Arc::new(InProcess(InProcessTransport::new(self.service.clone())))
    }

    /// An installation on this service's clock (so countdowns and expiry
    /// follow [`TestService::advance_secs`]), talking through `transport`.
    #[uniffi::method(default(key_store = None, vault = None))]
    pub fn open_app(
        &self,
        config: InstallationConfig,
        transport: Arc<dyn Transport>,
        key_store: Option<Arc<dyn KeyStore>>,
        vault: Option<Arc<dyn SecretVault>>,
    ) -> Result<Arc<Akuersi>, AkuersiError> {
        guard("opening a test installation", || {
            Akuersi::with_clock(config, transport, key_store, vault, self.clock.clone())
        })
    }

    /// Operator: create an identity for `user_id`; returns its id.
    pub fn create_identity(&self, user_id: &str) -> Result<String, AkuersiError> {
        guard("create_identity", || {
            self.service.create_identity(user_id).map_err(service_error)
        })
    }

    /// Operator: issue a paper activation code (valid 48 hours) for `user_id`.
    pub fn issue_activation_code(&self, user_id: &str) -> Result<String, AkuersiError> {
        guard("issue_activation_code", || {
            Ok(self
                .service
                .issue_activation_code(user_id, CodeChannel::Paper)
                .map_err(service_error)?
                .code)
        })
    }

    /// Requester (Demo Bank, registered with the service): ask the owner of
    /// `user_id` to take `action`, with the given texts, lifetime (30–300 s;
    /// 300 when `None`) and, optionally, channel binding (the code is in
    /// [`TestRequest::channel_code`]). The name the owner reads is the
    /// registry's ("Demo Bank").
    #[uniffi::method(default(ttl_seconds = None, channel_binding = None))]
    #[allow(clippy::too_many_arguments)]
    pub fn create_request(
        &self,
        user_id: String,
        action: Action,
        texts: Vec<LocalizedText>,
        ttl_seconds: Option<u32>,
        channel_binding: Option<ChannelBindingKind>,
    ) -> Result<TestRequest, AkuersiError> {
        guard("create_request", || {
            let r = self
                .service
                .bank_create(CreateRequest {
                    user_id,
                    action,
                    texts,
                    ttl_seconds,
                    channel_binding,
                    amount: None,
                    account: None,
                })
                .map_err(service_error)?;
            Ok(TestRequest {
                request_id: r.request_id,
                poll_handle: r.poll_handle,
                expires_at_ms: r.expires_at_ms,
                channel_code: r.channel_code,
            })
        })
    }

    /// Requester: a "log on to Demo Bank" request in Greenlandic, Danish and
    /// English, with the full 300 s lifetime and optional channel binding.
    #[uniffi::method(default(channel_binding = None))]
    pub fn create_log_on(
        &self,
        user_id: String,
        channel_binding: Option<ChannelBindingKind>,
    ) -> Result<TestRequest, AkuersiError> {
        let request = log_on(&user_id);
        self.create_request(
            user_id,
            request.action,
            request.texts,
            None,
            channel_binding,
        )
    }

    /// Requester: the request's status and, once decided, whether the
    /// device's signed evidence verifies.
    pub fn poll(&self, poll_handle: &str) -> Result<TestPoll, AkuersiError> {
        guard("poll", || {
            let p = self.service.bank_poll(poll_handle).map_err(service_error)?;
            let verified = p.evidence.as_ref().map(|e| e.verify(DEMO_BANK));
            Ok(TestPoll {
                status: p.status,
                decision: verified
                    .as_ref()
                    .and_then(|v| v.as_ref().ok())
                    .map(|s| s.decision),
                evidence_valid: verified.map(|v| v.is_ok()),
            })
        })
    }

    /// Consecutive PIN failures the service counts for a device.
    pub fn pin_failures(&self, device_id: &str) -> Result<u32, AkuersiError> {
        guard("pin_failures", || {
            Ok(self
                .service
                .device_info(device_id)
                .map_err(service_error)?
                .pin_failures)
        })
    }

    /// Move the service's clock (and every installation opened with
    /// [`TestService::open_app`]) forward by `secs` seconds.
    pub fn advance_secs(&self, secs: i64) {
        self.clock.advance_secs(secs);
    }

    /// The service's clock, in milliseconds since the epoch.
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}
