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
//! * **Trust.** `https://` servers are checked against the web PKI roots
//!   unless the config names a CA ([`HttpTransportConfig::ca_pem`]: only its
//!   certificates are trusted) or pins the service's certificate by its
//!   SHA-256 ([`HttpTransportConfig::server_fingerprint`], as
//!   `akuersi-sim serve` prints it for its development certificate). A
//!   pinned certificate is trusted exactly: no name, date or CA check, any
//!   other certificate is refused; proxies are not used then.
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
    /// Trust the service's certificate only if the SHA-256 of its DER
    /// encoding is this: `sha256:` and 64 hex digits (colons between byte
    /// pairs allowed). Default `None`. Takes precedence over
    /// [`HttpTransportConfig::ca_pem`].
    pub server_fingerprint: Option<String>,
    /// Trust only the CA certificate(s) in this PEM text instead of the web
    /// PKI roots. Default `None`.
    pub ca_pem: Option<String>,
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
            server_fingerprint: None,
            ca_pem: None,
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
    /// `http(s)://host[:port][/prefix]`, is plain `http` to a host other
    /// than loopback without [`HttpTransportConfig::allow_plain_http`], or if
    /// the fingerprint or CA PEM does not parse.
    pub fn with_config(config: HttpTransportConfig) -> Result<Self, TransportError> {
        let (base, loopback) = check_base_url(&config.base_url, config.allow_plain_http)?;
        let pin = config
            .server_fingerprint
            .as_deref()
            .map(parse_fingerprint)
            .transpose()?;
        let mut builder = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .max_idle_connections(if config.keep_alive { 4 } else { 0 })
            .max_idle_connections_per_host(if config.keep_alive { 4 } else { 0 })
            .timeout_connect(Some(config.connect_timeout))
            .timeout_global(Some(config.request_timeout))
            .user_agent(concat!("akuersi-core/", env!("CARGO_PKG_VERSION")));
        if loopback || pin.is_some() {
            builder = builder.proxy(None);
        }
        if pin.is_none() {
            if let Some(pem) = &config.ca_pem {
                builder = builder.tls_config(
                    ureq::tls::TlsConfig::builder()
                        .root_certs(ureq::tls::RootCerts::new_with_certs(&ca_certificates(pem)?))
                        .build(),
                );
            }
        }
        let agent_config = builder.build();
        let agent = match pin {
            Some(pin) => ureq::Agent::with_parts(
                agent_config,
                pinned::connector(pin),
                ureq::unversioned::resolver::DefaultResolver::default(),
            ),
            None => ureq::Agent::new_with_config(agent_config),
        };
        Ok(Self {
            agent,
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
        // A TLS handshake that failed (such as an untrusted certificate):
        // nothing was sent, and trying again cannot help.
        E::Io(io)
            if io
                .get_ref()
                .is_some_and(|inner| inner.downcast_ref::<rustls::Error>().is_some()) =>
        {
            (
                Failure::Fatal,
                format!("TLS handshake failed ({io}); check the service's certificate, fingerprint or CA"),
            )
        }
        E::Io(io) => (Failure::MaybeSent, format!("connection failed ({io})")),
        E::Protocol(p) => (Failure::MaybeSent, format!("broken HTTP answer ({p})")),
        other => (Failure::Fatal, other.to_string()),
    }
}

/// `sha256:` and 64 hex digits (colons allowed) → the digest.
fn parse_fingerprint(text: &str) -> Result<[u8; 32], TransportError> {
    let bad = || TransportError {
        reason: format!(
            "the server fingerprint {text:?} is not `sha256:` followed by 64 hex digits"
        ),
    };
    let hex = text
        .trim()
        .strip_prefix("sha256:")
        .or_else(|| text.trim().strip_prefix("SHA256:"))
        .ok_or_else(bad)?;
    let digits: Vec<u8> = hex.bytes().filter(|b| *b != b':').collect();
    if digits.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, pair) in digits.chunks(2).enumerate() {
        let pair = std::str::from_utf8(pair).map_err(|_| bad())?;
        out[i] = u8::from_str_radix(pair, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

/// The certificates of a CA PEM text (at least one).
fn ca_certificates(pem: &str) -> Result<Vec<ureq::tls::Certificate<'static>>, TransportError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let certs = CertificateDer::pem_slice_iter(pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TransportError {
            reason: format!("the CA certificate file does not parse: {e}"),
        })?;
    if certs.is_empty() {
        return Err(TransportError {
            reason: "the CA certificate file holds no certificate".into(),
        });
    }
    Ok(certs
        .iter()
        .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned())
        .collect())
}

/// TLS to a service whose certificate is pinned by its SHA-256: a ureq
/// connector chain (TCP, then rustls with a verifier that accepts exactly
/// the pinned certificate).
mod pinned {
    use std::io::{Read, Write};
    use std::sync::Arc;

    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::crypto::CryptoProvider;
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{ClientConfig, ClientConnection, DigitallySignedStruct, StreamOwned};
    use ureq::unversioned::transport::{
        Buffers, ConnectionDetails, Connector, Either, LazyBuffers, NextTimeout, TcpConnector,
        Transport, TransportAdapter,
    };

    /// TCP, then TLS checked against `pin`.
    pub(super) fn connector(pin: [u8; 32]) -> impl Connector {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let verifier = Arc::new(PinnedCert {
            pin,
            provider: provider.clone(),
        });
        let config = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map(|b| {
                b.dangerous()
                    .with_custom_certificate_verifier(verifier)
                    .with_no_client_auth()
            });
        ().chain(TcpConnector::default()).chain(PinnedTls {
            config: config.map(Arc::new).map_err(|e| e.to_string()),
        })
    }

    #[derive(Debug)]
    struct PinnedCert {
        pin: [u8; 32],
        provider: Arc<CryptoProvider>,
    }

    impl ServerCertVerifier for PinnedCert {
        fn verify_server_cert(
            &self,
            end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            let digest = ring::digest::digest(&ring::digest::SHA256, end_entity.as_ref());
            if digest.as_ref() == self.pin {
                Ok(ServerCertVerified::assertion())
            } else {
                Err(rustls::Error::InvalidCertificate(
                    rustls::CertificateError::ApplicationVerificationFailure,
                ))
            }
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(
                message,
                cert,
                dss,
                &self.provider.signature_verification_algorithms,
            )
        }

        fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
            self.provider
                .signature_verification_algorithms
                .supported_schemes()
        }
    }

    #[derive(Debug)]
    struct PinnedTls {
        config: Result<Arc<ClientConfig>, String>,
    }

    impl<In: Transport> Connector<In> for PinnedTls {
        type Out = Either<In, PinnedTransport>;

        fn connect(
            &self,
            details: &ConnectionDetails,
            chained: Option<In>,
        ) -> Result<Option<Self::Out>, ureq::Error> {
            let Some(transport) = chained else {
                return Ok(None);
            };
            if !details.needs_tls() || transport.is_tls() {
                return Ok(Some(Either::A(transport)));
            }
            let config = self
                .config
                .as_ref()
                .map_err(|_| ureq::Error::Tls("no TLS configuration for the pinned certificate"))?
                .clone();
            let host = details
                .uri
                .host()
                .ok_or(ureq::Error::Tls("no host to connect to"))?;
            let host = host.trim_start_matches('[').trim_end_matches(']');
            let name = ServerName::try_from(host.to_owned())
                .map_err(|_| ureq::Error::Tls("the host is not a valid TLS server name"))?;
            let mut conn = ClientConnection::new(config, name)?;
            let mut sock = TransportAdapter::new(transport.boxed(), details.current_time.clone());
            sock.set_timeout(details.timeout);
            conn.complete_io(&mut sock)?;
            Ok(Some(Either::B(PinnedTransport {
                buffers: LazyBuffers::new(
                    details.config.input_buffer_size(),
                    details.config.output_buffer_size(),
                ),
                stream: StreamOwned { conn, sock },
            })))
        }
    }

    pub(super) struct PinnedTransport {
        buffers: LazyBuffers,
        stream: StreamOwned<ClientConnection, TransportAdapter>,
    }

    impl std::fmt::Debug for PinnedTransport {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("PinnedTransport").finish_non_exhaustive()
        }
    }

    impl Transport for PinnedTransport {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }

        fn transmit_output(
            &mut self,
            amount: usize,
            timeout: NextTimeout,
        ) -> Result<(), ureq::Error> {
            self.stream.get_mut().set_timeout(timeout);
            let output = &self.buffers.output()[..amount];
            self.stream.write_all(output)?;
            Ok(())
        }

        fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
            self.stream.get_mut().set_timeout(timeout);
            let input = self.buffers.input_append_buf();
            let amount = self.stream.read(input)?;
            self.buffers.input_appended(amount);
            Ok(amount > 0)
        }

        fn is_open(&mut self) -> bool {
            self.stream.get_mut().get_mut().is_open()
        }

        fn is_tls(&self) -> bool {
            true
        }
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
