//! What the service's unit tests share: an in-memory service and a
//! hand-built device enrolled in it. (The testkit's own `bench::open`
//! returns the library's `Service`, a different type from this test build's.)

use akuersi_protocol::wire::{DeviceSigned, SignedBody};
use akuersi_testkit::HandDevice;

/// An in-memory service on a test clock at the testkit's T0, with the
/// benchmarks' configuration. (The testkit's own `bench::open` returns
/// the library's `Service`, a different type from this test build's.)
pub(crate) fn open() -> crate::Service {
    open_on(std::sync::Arc::new(
        akuersi_protocol::clock::TestClock::new(akuersi_testkit::T0),
    ))
}

/// Like [`open`], on `clock`, which the test keeps to move time.
pub(crate) fn open_on(clock: std::sync::Arc<akuersi_protocol::clock::TestClock>) -> crate::Service {
    let config = crate::ServiceConfig {
        synchronous_full: true,
        max_requests_per_hour: u32::MAX,
        min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
        ..Default::default()
    };
    let service = crate::Service::open(":memory:", clock, config).unwrap();
    service
        .register_requester(akuersi_testkit::demo_bank())
        .unwrap();
    service
}

/// `req` as Demo Bank sends it to `service`: signed at the service's clock.
pub(crate) fn bank_signed<T: akuersi_protocol::wire::RequesterBody>(
    service: &crate::Service,
    req: T,
) -> akuersi_protocol::wire::RequesterSigned<T> {
    akuersi_testkit::signed(req, service.now_ms())
}

/// Create `user_id` and enroll a new hand-built device for it.
pub(crate) fn enroll(service: &crate::Service, user_id: &str) -> HandDevice {
    use akuersi_protocol::pin::MIN_KDF_ITERATIONS;
    use akuersi_protocol::wire::CodeChannel;
    let device = HandDevice::new().unwrap();
    service.create_identity(user_id).unwrap();
    let code = service
        .issue_activation_code(user_id, CodeChannel::Paper)
        .unwrap()
        .code;
    let m = device
        .activation(
            user_id,
            &code,
            akuersi_testkit::PIN,
            MIN_KDF_ITERATIONS,
            "bench",
        )
        .unwrap();
    service.activate(m).unwrap();
    device
}

/// A hand-built device's next envelope (the tests' devices never fail to sign).
pub(crate) trait Signs {
    /// Sign `body` with the next sequence number.
    fn signed<T: SignedBody>(&mut self, body: T) -> DeviceSigned<T>;
}

impl Signs for HandDevice {
    fn signed<T: SignedBody>(&mut self, body: T) -> DeviceSigned<T> {
        self.envelope(body).unwrap()
    }
}

/// A fresh P-256 key pair.
pub(crate) fn p256_key() -> ring::signature::EcdsaKeyPair {
    use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
    let rng = ring::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref(), &rng).unwrap()
}

/// Any valid P-256 point will do as shareP: no PIN is checked here.
pub(crate) fn some_point() -> Vec<u8> {
    use ring::signature::KeyPair;
    p256_key().public_key().as_ref().to_vec()
}

/// A service with Aviaja-Nuuk's device enrolled and a log-on request of
/// hers pending, as the device saw it: the service, the device and the
/// request's id.
pub(crate) fn pending_log_on() -> (crate::Service, HandDevice, String) {
    pending_log_on_with(open())
}

/// Like [`pending_log_on`], on `service`.
pub(crate) fn pending_log_on_with(service: crate::Service) -> (crate::Service, HandDevice, String) {
    use akuersi_protocol::wire::PendingQuery;
    let mut device = enroll(&service, "Aviaja-Nuuk");
    service
        .create_request(bank_signed(
            &service,
            akuersi_testkit::log_on("Aviaja-Nuuk"),
        ))
        .unwrap();
    let pending = service.pending(device.signed(PendingQuery {})).unwrap();
    let request_id = pending.requests[0].request_id.clone();
    (service, device, request_id)
}
