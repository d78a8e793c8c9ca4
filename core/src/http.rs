//! A blocking HTTP [`Transport`] for desktop apps, the simulator and tests
//! (feature `http`, off by default: a mobile shell brings its platform's
//! HTTP client instead, and mobile builds of the core carry no network stack).
//!
//! ```no_run
//! # fn example() -> Result<(), akuersi_core::transport::TransportError> {
//! use std::sync::Arc;
//! use akuersi_core::http::HttpTransport;
//!
//! let transport = Arc::new(HttpTransport::new("http://127.0.0.1:8400")?);
//! transport.health()?; // is the service up?
//! // Installation::open(config, transport, clock, vault, None) …
//! # Ok(()) }
//! ```
//!
//! Behaviour, all configurable through [`HttpTransportConfig`]:
//!
//! * **Base URL.** `https://…` anywhere; plain `http://` only to a loopback
//!   host (`127.0.0.0/8`, `[::1]`, `localhost`) unless
//!   [`HttpTransportConfig::allow_plain_http`] says otherwise. Proxies from
//!   the environment are used, except for loopback.
//! * **Time-outs.** A connect time-out and a time-out for each whole exchange.
//! * **Retries, only when safe.** A message is sent again only when the
//!   connection could not be made at all (refused, name not found, connect
//!   time-out): then it cannot have reached the service. Once a connection
//!   stood, a failure is final, because the service may have acted on the
//!   message (a device message sent twice is refused as `replayed` anyway).
//!   The one exception is the requester's read-only poll
//!   ([`paths::POLL_REQUEST`]) and the health check, which are retried after
//!   any network failure. Retries wait with exponential back-off. Each
//!   message uses a fresh connection (no pool), so a connection the service
//!   closed while idle can never be mistaken for a failure of the message
//!   (unless [`HttpTransportConfig::keep_alive`] asks for reuse).
//! * **Answer size.** At most [`MAX_MESSAGE_BYTES`] + 1 bytes of an answer are
//!   read; [`crate::transport::call`] refuses anything over the limit.
//!   Redirects are not followed.
//! * **Errors.** Network failures become a [`TransportError`], which
//!   [`crate::transport::call`] turns into [`crate::Error::Network`]
//!   ("service unreachable: …"). Its reason names the base URL and what
//!   happened, never a message body.

use std::io::Read;
use std::net::IpAddr;
use std::time::Duration;

use crate::transport::{Transport, TransportError, TransportResponse};
use akuersi_protocol::wire::{paths, MAX_MESSAGE_BYTES};

/// Path of the service's health check (`GET`).
pub const HEALTH_PATH: &str = "/v1/health";

/// Settings of an [`HttpTransport`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpTransportConfig {
    /// The service's base URL, such as `http://127.0.0.1:8400` or
    /// `https://eid.example/api` (protocol paths are appended to it).
    pub base_url: String,
    /// Longest wait to open a connection (TCP and TLS). Default 5 s.
    pub connect_timeout: Duration,
    /// Longest a whole exchange may take, connection included. Default 30 s
    /// (the reference service gives up on a message after 15 s).
    pub request_timeout: Duration,
    /// Attempts per message when the connection cannot be made (at least 1).
    /// Default 3.
    pub connect_attempts: u32,
    /// Wait before the first retry; doubled before each next one, up to 2 s.
    /// Default 200 ms.
    pub retry_backoff: Duration,
    /// Allow plain `http://` to hosts other than loopback. Default `false`:
    /// activation codes and poll handles must not cross a network in clear.
    pub allow_plain_http: bool,
    /// Keep a connection open after an answer and send the next message on
    /// it, as platform HTTP stacks (OkHttp, URLSession) and requester back
    /// ends do. Default `false` (a fresh connection per message, see the
    /// module documentation): if the service closes an idle kept connection,
    /// the next message on it fails as a network error and is not retried.
    /// Meant for callers that talk to the service continuously, such as the
    /// simulator's load driver.
    pub keep_alive: bool,
}

impl HttpTransportConfig {
    /// Default settings for `base_url`.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            connect_attempts: 3,
            retry_backoff: Duration::from_millis(200),
            allow_plain_http: false,
            keep_alive: false,
        }
    }
}

/// A blocking HTTP client for the service. Cheap to share: put it in an `Arc`.
/// See the module documentation.
pub struct HttpTransport {
    agent: ureq::Agent,
    base: String,
    config: HttpTransportConfig,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("base_url", &self.base)
            .finish_non_exhaustive()
    }
}

/// Whether a failed attempt may have reached the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// No connection was made: safe to send again.
    NotSent,
    /// A connection stood: the service may have acted.
    MaybeSent,
    /// A setting is wrong (bad URL, TLS): trying again cannot help.
    Fatal,
}

impl HttpTransport {
    /// A transport to `base_url` with default settings.
    pub fn new(base_url: &str) -> Result<Self, TransportError> {
        Self::with_config(HttpTransportConfig::new(base_url))
    }

    /// A transport with the given settings. Fails if the base URL is not
    /// `http(s)://host[:port][/prefix]`, or is plain `http` to a host other
    /// than loopback without [`HttpTransportConfig::allow_plain_http`].
    pub fn with_config(config: HttpTransportConfig) -> Result<Self, TransportError> {
        let (base, loopback) = check_base_url(&config.base_url, config.allow_plain_http)?;
        let mut builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .max_idle_connections(if config.keep_alive { 4 } else { 0 })
            .max_idle_connections_per_host(if config.keep_alive { 4 } else { 0 })
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .user_agent(concat!("akuersi-core/", env!("CARGO_PKG_VERSION")));
        if loopback {
            builder = builder.proxy(None);
        }
        Ok(Self {
            agent: ureq::Agent::new_with_config(builder.build()),
            base,
            config,
        })
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    /// `GET /v1/health`: `Ok` when the service answers 200.
    pub fn health(&self) -> Result<(), TransportError> {
        let url = format!("{}{HEALTH_PATH}", self.base);
        let answer = self.exchange(true, || self.agent.get(&url).call())?;
        if answer.status == 200 {
            Ok(())
        } else {
            Err(TransportError {
                reason: format!(
                    "{} answered the health check with status {}",
                    self.base, answer.status
                ),
            })
        }
    }

    /// Run one exchange with the retry policy of the module documentation.
    fn exchange(
        &self,
        idempotent: bool,
        send: impl Fn() -> Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<TransportResponse, TransportError> {
        let attempts = self.config.connect_attempts.max(1);
        let mut backoff = self.config.retry_backoff;
        let mut attempt = 1;
        loop {
            let (failure, what) = match send().and_then(read_answer) {
                Ok(answer) => return Ok(answer),
                Err(e) => classify(&e, self.config.request_timeout),
            };
            let retry = match failure {
                Failure::NotSent => true,
                Failure::MaybeSent => idempotent,
                Failure::Fatal => false,
            };
            if !retry || attempt >= attempts {
                let tries = if attempt > 1 {
                    format!(" (after {attempt} attempts)")
                } else {
                    String::new()
                };
                let caveat = if failure == Failure::MaybeSent && !idempotent {
                    "; the message may or may not have reached it"
                } else {
                    ""
                };
                return Err(TransportError {
                    reason: format!("{}: {what}{tries}{caveat}", self.base),
                });
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(Duration::from_secs(2));
            attempt += 1;
        }
    }
}

impl Transport for HttpTransport {
    fn post(&self, path: &str, body: Vec<u8>) -> Result<TransportResponse, TransportError> {
        if !path.starts_with('/') || path.contains(['?', '#']) || path.contains("..") {
            return Err(TransportError {
                reason: "not a protocol path".into(),
            });
        }
        let url = format!("{}{path}", self.base);
        let idempotent = path == paths::POLL_REQUEST;
        self.exchange(idempotent, || {
            self.agent
                .post(&url)
                .header("content-type", "application/json")
                .send(&body[..])
        })
    }
}

fn read_answer(
    mut response: ureq::http::Response<ureq::Body>,
) -> Result<TransportResponse, ureq::Error> {
    let status = response.status().as_u16();
    let mut body = Vec::new();
    response
        .body_mut()
        .as_reader()
        .take(MAX_MESSAGE_BYTES as u64 + 1)
        .read_to_end(&mut body)?;
    Ok(TransportResponse { status, body })
}

fn classify(e: &ureq::Error, request_timeout: Duration) -> (Failure, String) {
    use ureq::Error as E;
    use ureq::Timeout as T;
    match e {
        E::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            (Failure::NotSent, "connection refused".into())
        }
        E::ConnectionFailed => (Failure::NotSent, "could not connect".into()),
        E::HostNotFound => (Failure::NotSent, "host not found".into()),
        E::Timeout(T::Resolve) => (Failure::NotSent, "name look-up timed out".into()),
        E::Timeout(T::Connect) => (Failure::NotSent, "connecting timed out".into()),
        E::Timeout(_) => (
            Failure::MaybeSent,
            format!("no answer within {} s", request_timeout.as_secs_f32()),
        ),
        E::Io(io) => (Failure::MaybeSent, format!("connection failed ({io})")),
        E::Protocol(p) => (Failure::MaybeSent, format!("broken HTTP answer ({p})")),
        other => (Failure::Fatal, other.to_string()),
    }
}

/// Check and normalise a base URL; returns it without a trailing slash, and
/// whether its host is loopback.
fn check_base_url(url: &str, allow_plain_http: bool) -> Result<(String, bool), TransportError> {
    let bad = |why: &str| TransportError {
        reason: format!("bad service URL {url:?}: {why}"),
    };
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(bad("it must start with https:// or http://"));
    };
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) || url.contains(['?', '#', '@']) {
        return Err(bad(
            "it must not contain spaces, a query, a fragment or credentials",
        ));
    }
    let authority = rest.split('/').next().unwrap_or_default();
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default()
    };
    if host.is_empty() {
        return Err(bad("it has no host"));
    }
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback());
    if !https && !loopback && !allow_plain_http {
        return Err(bad(
            "plain http is only for loopback; use https (or allow_plain_http for a test network)",
        ));
    }
    Ok((url.trim_end_matches('/').to_owned(), loopback))
}

#[cfg(test)]
mod tests {
    //! Against tiny one-shot servers on loopback; the tests against the real
    //! service are in akuersi-server's tests (http_transport.rs).

    use super::*;
    use std::io::Write;
    use std::net::{SocketAddr, TcpListener};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    fn quick(base: &str) -> HttpTransport {
        HttpTransport::with_config(HttpTransportConfig {
            connect_timeout: Duration::from_secs(2),
            request_timeout: Duration::from_secs(5),
            retry_backoff: Duration::from_millis(1),
            ..HttpTransportConfig::new(base)
        })
        .unwrap()
    }

    /// A loopback port with nothing listening on it.
    fn closed_port() -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        addr
    }

    /// Serve `n` connections: read the request head (and a body of the
    /// declared length), then write `answer` (or just close, when `None`).
    fn one_shot(n: usize, answer: Option<Vec<u8>>) -> (SocketAddr, Arc<AtomicUsize>) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let seen = Arc::new(AtomicUsize::new(0));
        let seen2 = seen.clone();
        std::thread::spawn(move || {
            for _ in 0..n {
                let Ok((mut s, _)) = l.accept() else { return };
                seen2.fetch_add(1, Ordering::SeqCst);
                let mut buf = Vec::new();
                let mut byte = [0u8; 1];
                while !buf.ends_with(b"\r\n\r\n") && s.read(&mut byte).unwrap_or(0) == 1 {
                    buf.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&buf).to_ascii_lowercase();
                let len = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; len];
                let _ = s.read_exact(&mut body);
                if let Some(a) = &answer {
                    let _ = s.write_all(a);
                }
            }
        });
        (addr, seen)
    }

    fn http_answer(status: &str, body: &[u8]) -> Vec<u8> {
        let mut a = format!(
            "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes();
        a.extend_from_slice(body);
        a
    }

    #[test]
    fn base_urls_are_checked() {
        assert!(HttpTransport::new("http://127.0.0.1:8400").is_ok());
        assert!(HttpTransport::new("http://localhost:8400/").is_ok());
        assert!(HttpTransport::new("http://[::1]:8400").is_ok());
        assert!(HttpTransport::new("https://eid.example/api/").is_ok());
        assert_eq!(
            HttpTransport::new("https://eid.example/api/")
                .unwrap()
                .base_url(),
            "https://eid.example/api"
        );
        for bad in [
            "http://eid.example",
            "http://10.0.0.1:8400",
            "ftp://127.0.0.1",
            "127.0.0.1:8400",
            "http://",
            "https://user:pw@eid.example",
            "https://eid.example/?x=1",
            "https://eid example",
        ] {
            assert!(HttpTransport::new(bad).is_err(), "{bad} was accepted");
        }
        let mut c = HttpTransportConfig::new("http://eid.example");
        c.allow_plain_http = true;
        assert!(HttpTransport::with_config(c).is_ok());
    }

    #[test]
    fn unreachable_service_is_retried_then_reported() {
        let addr = closed_port();
        let t = quick(&format!("http://{addr}"));
        let e = t.post(paths::DECIDE, b"{}".to_vec()).unwrap_err();
        assert!(e.reason.contains("connection refused"), "{e}");
        assert!(e.reason.contains("after 3 attempts"), "{e}");
        assert!(e.to_string().starts_with("service unreachable: "), "{e}");
        // Through `call`, it is the core's Network error.
        let err =
            crate::transport::call::<_, serde_json::Value>(&t, paths::PENDING, &()).unwrap_err();
        assert!(matches!(err, crate::Error::Network(_)), "{err:?}");
        assert!(err.to_string().starts_with("service unreachable"), "{err}");
    }

    #[test]
    fn a_message_that_may_have_arrived_is_not_sent_again() {
        // The server reads the whole message and closes without answering.
        let (addr, seen) = one_shot(3, None);
        let t = quick(&format!("http://{addr}"));
        let e = t.post(paths::DECIDE, b"{}".to_vec()).unwrap_err();
        assert_eq!(seen.load(Ordering::SeqCst), 1, "sent more than once");
        assert!(e.reason.contains("may or may not have reached it"), "{e}");
    }

    #[test]
    fn a_poll_may_be_sent_again() {
        let (addr, seen) = one_shot(3, None);
        let t = quick(&format!("http://{addr}"));
        let e = t.post(paths::POLL_REQUEST, b"{}".to_vec()).unwrap_err();
        assert_eq!(seen.load(Ordering::SeqCst), 3);
        assert!(e.reason.contains("after 3 attempts"), "{e}");
    }

    #[test]
    fn answers_pass_through_with_their_status() {
        let body = br#"{"code":"replayed","message":"already received"}"#;
        let (addr, _) = one_shot(1, Some(http_answer("409 Conflict", body)));
        let t = quick(&format!("http://{addr}"));
        let a = t.post(paths::DECIDE, b"{}".to_vec()).unwrap();
        assert_eq!(a.status, 409);
        assert_eq!(a.body, body);
    }

    #[test]
    fn an_oversized_answer_is_cut_and_refused() {
        let big = vec![b' '; MAX_MESSAGE_BYTES * 2];
        let (addr, _) = one_shot(1, Some(http_answer("200 OK", &big)));
        let t = quick(&format!("http://{addr}"));
        let a = t.post(paths::PENDING, b"{}".to_vec()).unwrap();
        assert_eq!(a.body.len(), MAX_MESSAGE_BYTES + 1);
        let (addr, _) = one_shot(1, Some(http_answer("200 OK", &big)));
        let t = quick(&format!("http://{addr}"));
        let err =
            crate::transport::call::<_, serde_json::Value>(&t, paths::PENDING, &()).unwrap_err();
        assert_eq!(err, crate::Error::Protocol("answer is too large".into()));
    }

    #[test]
    fn redirects_are_not_followed() {
        let answer = b"HTTP/1.1 307 Temporary Redirect\r\nlocation: http://127.0.0.1:1/x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".to_vec();
        let (addr, _) = one_shot(1, Some(answer));
        let t = quick(&format!("http://{addr}"));
        let err =
            crate::transport::call::<_, serde_json::Value>(&t, paths::PENDING, &()).unwrap_err();
        assert!(
            matches!(&err, crate::Error::Protocol(m) if m.contains("307")),
            "{err:?}"
        );
    }

    #[test]
    fn paths_must_be_protocol_paths() {
        let t = quick("http://127.0.0.1:1");
        for p in ["v1/x", "/v1/x?y", "/v1/../admin", "/v1/x#f"] {
            assert!(t.post(p, vec![]).is_err(), "{p}");
        }
    }
}
