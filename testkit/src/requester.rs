//! Demo Bank as a registered requester: its key (one per test process), its
//! registration, and signed calls made with it.

use std::sync::OnceLock;

use akuersi_protocol::request::Action;
use akuersi_protocol::requester_key::RequesterKey;
use akuersi_protocol::wire::{
    CancelRequest, ChannelMode, CreateRequest, CreateRequestResponse, PollRequest, PollResponse,
    RequesterBody, RequesterInfo, RequesterNames, RequesterSigned,
};
use akuersi_server::Service;

/// Demo Bank's requester id.
pub const DEMO_BANK: &str = "demo-bank";

/// Demo Bank's test key (PKCS#8). A fixed one, so that a test and the
/// service process it starts agree on it; never used outside tests.
const DEMO_BANK_TEST_KEY: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSjs0Ukf27lK2f0Km1N4geQkBiwstqXST+XIbnEeZDMihRANCAASbIswIVjHpdyV/QR9quWciZIQIrK3ZxJAF7dTAomUAlUp2rP9iXSdoj/MolCc9X3FIdUunbX9cm0chj0qlNPm3
-----END PRIVATE KEY-----
";

/// Demo Bank's signing key in tests.
pub fn demo_bank_key() -> &'static RequesterKey {
    static KEY: OnceLock<RequesterKey> = OnceLock::new();
    KEY.get_or_init(|| {
        RequesterKey::from_pem(DEMO_BANK, DEMO_BANK_TEST_KEY).expect("the test key parses")
    })
}

/// A registration: every action and channel-binding mode, limits high
/// enough for load tests, the given names and key.
pub fn registration(requester_id: &str, name: &str, public_key: Vec<u8>) -> RequesterInfo {
    RequesterInfo {
        requester_id: requester_id.into(),
        names: RequesterNames {
            kl: name.into(),
            da: name.into(),
            en: name.into(),
        },
        actions: Action::ALL.to_vec(),
        channel_modes: vec![ChannelMode::None, ChannelMode::Code, ChannelMode::Qr],
        max_per_minute: 1_000_000,
        max_per_hour: 1_000_000,
        public_key,
        registered_at_ms: 0,
        revoked_at_ms: None,
    }
}

/// Demo Bank's registration ("Demo Bank" in every language).
pub fn demo_bank() -> RequesterInfo {
    registration(DEMO_BANK, "Demo Bank", demo_bank_key().public_key())
}

/// Register Demo Bank with `service`, unless a database opened again
/// already has it (writes state).
pub fn register_demo_bank(service: &Service) {
    match service.register_requester(demo_bank()) {
        Ok(_) => {}
        Err(e) if e.code == akuersi_protocol::wire::ErrorCode::RequesterExists => {}
        Err(e) => panic!("Demo Bank does not register: {e}"),
    }
}

/// `body` signed by Demo Bank at `now_ms` with a fresh nonce.
pub fn signed<T: RequesterBody>(body: T, now_ms: i64) -> RequesterSigned<T> {
    demo_bank_key()
        .sign(body, now_ms)
        .expect("the system random number generator works")
}

/// The JSON of `body` signed by Demo Bank at `now_ms`: what a requester POSTs.
pub fn signed_json<T: RequesterBody>(body: T, now_ms: i64) -> Vec<u8> {
    serde_json::to_vec(&signed(body, now_ms)).expect("a message serializes")
}

/// Demo Bank's calls on an in-process service, signed at the service's clock.
pub trait DemoBankCalls {
    /// Create a request as Demo Bank. Writes state.
    fn bank_create(
        &self,
        req: CreateRequest,
    ) -> akuersi_server::error::Result<CreateRequestResponse>;
    /// Poll as Demo Bank. Writes state (the nonce).
    fn bank_poll(&self, poll_handle: &str) -> akuersi_server::error::Result<PollResponse>;
    /// Cancel as Demo Bank. Writes state.
    fn bank_cancel(&self, poll_handle: &str) -> akuersi_server::error::Result<PollResponse>;
}

impl DemoBankCalls for Service {
    fn bank_create(
        &self,
        req: CreateRequest,
    ) -> akuersi_server::error::Result<CreateRequestResponse> {
        self.create_request(signed(req, self.now_ms()))
    }

    fn bank_poll(&self, poll_handle: &str) -> akuersi_server::error::Result<PollResponse> {
        let body = PollRequest {
            poll_handle: poll_handle.into(),
        };
        self.poll(signed(body, self.now_ms()))
    }

    fn bank_cancel(&self, poll_handle: &str) -> akuersi_server::error::Result<PollResponse> {
        let body = CancelRequest {
            poll_handle: poll_handle.into(),
        };
        self.cancel(signed(body, self.now_ms()))
    }
}
