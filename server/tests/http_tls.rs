//! HTTPS: the front with a certificate, and the core's transport trusting
//! it by a pinned fingerprint or by a CA file, and refusing anything else.

mod common;

use std::sync::Arc;

use akuersi_core::http::{HttpTransport, HttpTransportConfig};
use akuersi_core::transport::Transport;
use akuersi_protocol::wire::paths;
use akuersi_server::http::HttpConfig;
use akuersi_server::tls::{generate_dev_certificate, DevCertificate, ServerTls};
use common::*;

fn dev_cert() -> DevCertificate {
    generate_dev_certificate(&["localhost".into(), "127.0.0.1".into()]).unwrap()
}

fn tls_fixture(cert: &DevCertificate) -> (Fixture, ServerTls) {
    let tls = ServerTls::from_pem(cert.cert_pem.as_bytes(), cert.key_pem.as_bytes()).unwrap();
    let fx = Fixture::start_with(HttpConfig {
        tls: Some(tls.clone()),
        ..HttpConfig::ephemeral()
    });
    (fx, tls)
}

fn client(base: &str, set: impl FnOnce(&mut HttpTransportConfig)) -> HttpTransport {
    let mut config = HttpTransportConfig::new(base);
    config.connect_attempts = 1;
    set(&mut config);
    HttpTransport::with_config(config).unwrap()
}

#[test]
fn a_pinned_certificate_is_trusted_and_a_message_goes_through() {
    let cert = dev_cert();
    let (fx, tls) = tls_fixture(&cert);
    assert!(fx.base.starts_with("https://"), "{}", fx.base);
    let pin = tls.fingerprint_string();
    let t = Arc::new(client(&fx.base, |c| {
        c.server_fingerprint = Some(pin.clone())
    }));
    t.health().unwrap();
    // A whole requester exchange over TLS: create, then poll.
    create_identity_over(&*t, "aviaja.k");
    let created = t
        .post(paths::CREATE_REQUEST, signed_log_on(&fx.base, "aviaja.k"))
        .unwrap();
    assert_eq!(
        created.status,
        200,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let handle = serde_json::from_slice::<serde_json::Value>(&created.body).unwrap()["poll_handle"]
        .as_str()
        .unwrap()
        .to_owned();
    let polled = t
        .post(paths::POLL_REQUEST, signed_handle(&fx.base, &handle, false))
        .unwrap();
    assert_eq!(polled.status, 200);
    // The pin may be written with colons and in capitals.
    let hex = pin.trim_start_matches("sha256:").to_uppercase();
    let pairs: Vec<String> = hex
        .as_bytes()
        .chunks(2)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    let colons = format!("sha256:{}", pairs.join(":"));
    client(&fx.base, |c| c.server_fingerprint = Some(colons))
        .health()
        .unwrap();
}

fn create_identity_over(t: &dyn Transport, user_id: &str) {
    let body = serde_json::json!({"token": TOKEN, "user_id": user_id});
    let answer = t
        .post(
            paths::OPERATOR_CREATE_IDENTITY,
            serde_json::to_vec(&body).unwrap(),
        )
        .unwrap();
    assert_eq!(answer.status, 200);
}

#[test]
fn another_certificate_is_refused_under_a_pin() {
    let (fx, _) = tls_fixture(&dev_cert());
    // The pin of some other certificate.
    let other = dev_cert();
    let wrong = ServerTls::from_pem(other.cert_pem.as_bytes(), other.key_pem.as_bytes())
        .unwrap()
        .fingerprint_string();
    let err = client(&fx.base, |c| c.server_fingerprint = Some(wrong))
        .health()
        .unwrap_err();
    assert!(err.reason.contains(&fx.base), "{}", err.reason);
    assert!(
        err.reason.contains("TLS handshake failed"),
        "{}",
        err.reason
    );
    assert!(!err.reason.contains("may or may not"), "{}", err.reason);
    // With no pin and no CA, the web PKI roots do not know a development
    // certificate either.
    assert!(client(&fx.base, |_| {}).health().is_err());
}

#[test]
fn a_ca_file_is_trusted() {
    let cert = dev_cert();
    let (fx, _) = tls_fixture(&cert);
    // The self-signed certificate is its own CA.
    client(&fx.base, |c| c.ca_pem = Some(cert.cert_pem.clone()))
        .health()
        .unwrap();
    // Another CA is not enough.
    let other = dev_cert();
    assert!(
        client(&fx.base, |c| c.ca_pem = Some(other.cert_pem.clone()))
            .health()
            .is_err()
    );
}

#[test]
fn bad_trust_settings_are_refused_up_front() {
    for bad in [
        "ab".repeat(32),
        "sha256:abc".into(),
        format!("sha256:{}", "zz".repeat(32)),
    ] {
        let mut config = HttpTransportConfig::new("https://127.0.0.1:1");
        config.server_fingerprint = Some(bad.clone());
        let err = HttpTransport::with_config(config).unwrap_err();
        assert!(err.reason.contains("fingerprint"), "{bad}: {}", err.reason);
    }
    let mut config = HttpTransportConfig::new("https://127.0.0.1:1");
    config.ca_pem = Some("not a certificate".into());
    assert!(HttpTransport::with_config(config).is_err());
}

#[test]
fn plain_http_to_the_tls_front_gets_no_answer() {
    let (fx, _) = tls_fixture(&dev_cert());
    let plain = fx.base.replacen("https://", "http://", 1);
    assert!(client(&plain, |_| {}).health().is_err());
}
