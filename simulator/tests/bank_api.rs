//! The Demo Bank backend over real HTTP (the same merged router `serve`
//! runs, on an ephemeral loopback port, with an in-memory service): the page
//! and its security headers, and every refusal the page has to explain.

use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

use akuersi_protocol::clock::SystemClock;
use akuersi_server::http::{self, ServerHandle};
use akuersi_server::{InProcessTransport, Service, ServiceConfig};
use akuersi_sim::bank::{self, DemoBank};
use serde_json::{json, Value};

fn start() -> ServerHandle {
    let service = Arc::new(
        Service::open(
            ":memory:",
            Arc::new(SystemClock),
            ServiceConfig {
                operator_token: Some("test-token".into()),
                min_kdf_iterations: akuersi_protocol::pin::MIN_KDF_ITERATIONS,
                ..ServiceConfig::default()
            },
        )
        .expect("an in-memory service"),
    );
    service
        .create_identity("Aviaja-Nuuk")
        .expect("create identity");
    // Demo Bank registers itself with a key in a private folder, as `serve` does.
    let dir = akuersi_testkit::TempDir::new("bank-api");
    let key = akuersi_sim::requesters::demo_bank(&service, &dir.0).expect("Demo Bank registers");
    let bank = DemoBank::new(
        Arc::new(InProcessTransport::new(service.clone())),
        None,
        key,
        Arc::new(SystemClock),
    );
    let router = http::router(service).merge(bank::router(bank));
    ServerHandle::start(router, "127.0.0.1:0".parse().expect("an address")).expect("serve")
}

fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(20)))
            .proxy(None)
            .build(),
    )
}

fn body(mut r: ureq::http::Response<ureq::Body>) -> (u16, String) {
    let status = r.status().as_u16();
    let mut s = String::new();
    r.body_mut()
        .as_reader()
        .read_to_string(&mut s)
        .expect("read body");
    (status, s)
}

fn post(a: &ureq::Agent, url: &str, data: &str) -> (u16, Value) {
    let (status, s) = body(
        a.post(url)
            .header("content-type", "application/json")
            .send(data.as_bytes())
            .expect("POST"),
    );
    (status, serde_json::from_str(&s).unwrap_or(Value::Null))
}

#[test]
fn the_page_is_served_with_a_strict_policy() {
    let server = start();
    let a = agent();
    let r = a
        .get(&format!("{}/demo-bank/", server.base_url()))
        .call()
        .expect("GET the page");
    let csp = r
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        r.headers().get("x-frame-options").map(|v| v.as_bytes()),
        Some(&b"DENY"[..])
    );
    let (status, html) = body(r);
    assert_eq!(status, 200);
    assert!(html.contains("<title>Log in to Demo Bank</title>"));
    // The nonce in the header is the one on the page's script and style.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a script nonce");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
    assert!(html.contains(&format!("<script nonce=\"{nonce}\">")));
    assert!(!html.contains("__CSP_NONCE__"));
    // The root sends the browser to the page.
    let (status, _) = body(a.get(&server.base_url()).call().expect("GET /"));
    assert_eq!(status, 303);
}

#[test]
fn refusals_the_page_explains() {
    let server = start();
    let a = agent();
    let start_url = format!("{}/demo-bank/api/start", server.base_url());

    let (status, v) = post(&a, &start_url, r#"{"user_id":"   "}"#);
    assert_eq!(
        (status, v["error"].as_str()),
        (400, Some("Type your user ID."))
    );
    let (status, v) = post(&a, &start_url, "not json");
    assert_eq!(status, 400, "{v}");
    let (status, v) = post(
        &a,
        &start_url,
        &json!({ "user_id": "0102031234" }).to_string(),
    );
    assert_eq!(status, 400, "{v}");
    assert!(v["error"]
        .as_str()
        .unwrap_or_default()
        .starts_with("That is not a valid user ID"));
    let big = json!({ "user_id": "x".repeat(5000) }).to_string();
    let (status, _) = post(&a, &start_url, &big);
    assert_eq!(status, 413);

    // A log-in; a second one for the same user ID must wait.
    let (status, first) = post(&a, &start_url, r#"{"user_id":"aviaja-nuuk"}"#);
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["requester_name"], "Demo Bank");
    assert_eq!(first["seconds_left"], 300);
    assert!(
        first.get("poll_handle").is_none(),
        "the handle stays in the backend"
    );
    let (status, v) = post(&a, &start_url, r#"{"user_id":"Aviaja-Nuuk"}"#);
    assert_eq!(status, 409, "{v}");

    // Pending, then cancelled by the page.
    let login = first["login_id"].as_str().expect("login id");
    let status_url = format!("{}/demo-bank/api/status/{login}", server.base_url());
    let (code, s) = body(a.get(&status_url).call().expect("GET status"));
    let v: Value = serde_json::from_str(&s).expect("JSON");
    assert_eq!((code, v["status"].as_str()), (200, Some("pending")));
    let (code, v) = post(
        &a,
        &format!("{}/demo-bank/api/cancel/{login}", server.base_url()),
        "",
    );
    assert_eq!((code, v["status"].as_str()), (200, Some("cancelled")));
    let (_, s) = body(a.get(&status_url).call().expect("GET status"));
    assert!(s.contains("\"cancelled\""), "{s}");

    // An unknown log-in.
    let (code, _) = body(
        a.get(&format!("{}/demo-bank/api/status/nope", server.base_url()))
            .call()
            .expect("GET status"),
    );
    assert_eq!(code, 404);
    server.shutdown().expect("shut down");
}
