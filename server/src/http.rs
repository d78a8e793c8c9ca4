//! The service over HTTP: an [axum] front on [tokio] for the JSON dispatcher
//! [`api::handle`].
//!
//! Every protocol message is `POST`ed as JSON to its versioned path
//! ([`akuersi_protocol::wire::paths`]); the answer is JSON too, an
//! [`ErrorBody`] with a stable code for every refusal. Routing is
//! [`api::handle`]'s own: this module mounts one handler on `/v1/{*path}`,
//! so every endpoint the dispatcher knows is served and any other `/v1/` path
//! gets its `unknown_path` answer. `GET /v1/health` answers
//! `{"status":"ok","protocol_version":1}` without touching the database.
//!
//! What the front adds to the dispatcher:
//!
//! * **JSON only.** A `POST` without `Content-Type: application/json` gets
//!   `415` (code `malformed`). Besides saying what the body is, this makes a
//!   browser refuse to let another site's page post to the service (the
//!   cross-origin preflight is never granted; the service sends no CORS
//!   headers).
//! * **Size limit.** A body over [`MAX_MESSAGE_BYTES`] gets `413` with the same
//!   `too_large` [`ErrorBody`] as [`api::handle`] gives; a `Content-Length`
//!   over the limit is refused without keeping any of the body. The client
//!   still receives the answer: the front reads and discards up to
//!   [`DRAIN_LIMIT_BYTES`] of the body first (within the read time-out), and
//!   keeps the connection; a longer or slower body, or one announced with
//!   `Expect: 100-continue`, is answered with `Connection: close` instead.
//! * **Time limits.** A request's head must arrive within
//!   [`HttpConfig::header_read_timeout`] (else the connection is closed,
//!   unanswered), the whole request within [`HttpConfig::read_timeout`]
//!   (else `408`, code `internal`, and the connection is closed), and a
//!   kept-alive connection may sit idle for [`HttpConfig::idle_timeout`].
//!   Once a message has arrived in full, waiting for a slot and the work
//!   must fit in [`HttpConfig::request_timeout`]. Refusals before the work
//!   starts say that nothing was changed (`503` busy, `408` body too slow);
//!   work that has started is never cut off (SQLite commits or rolls back as
//!   a whole), but if it overruns, the answer is `503` saying the outcome is
//!   unknown. All three carry the code `internal`.
//! * **Connection caps.** At most [`HttpConfig::max_connections`] open
//!   connections, and [`HttpConfig::max_connections_per_address`] from one
//!   source address; a connection over either cap is closed at once, before
//!   anything is read. Behind a [`TrustedProxy`] (and only for connections
//!   whose TCP peer is that proxy) the client's address is the last entry of
//!   the proxy's header; the proxy is not capped per address, each client
//!   behind it is, by messages at once (`429`, code `rate_limited`, with
//!   `Connection: close`). The router sees the address as a [`ClientAddr`]
//!   request extension.
//! * **Concurrency limit.** At most [`HttpConfig::max_in_flight`] messages are
//!   worked on at once; a message takes a slot only once its whole body has
//!   arrived, so slow senders cannot hold slots. The others wait for a slot
//!   within their time limit. A slot is held until the blocking SQLite work
//!   has finished, even if its answer timed out, so overload cannot pile up
//!   database work.
//! * **TLS.** With [`HttpConfig::tls`] ([`ServerTls`]: rustls with ring) the
//!   front speaks HTTPS only; the handshake counts against the first head's
//!   time-out. Without it, plain HTTP, meant for loopback.
//! * **Blocking work off the reactor.** [`api::handle`] runs on
//!   [`tokio::task::spawn_blocking`].
//! * **Structured logs.** One `tracing` event per message, target
//!   `akuersi_server::http`: `method`, `path` (`"(unknown)"` for paths the
//!   protocol does not have, so nothing a client typed is logged), `status`,
//!   `latency_ms` and, for refusals, `code` (the stable [`ErrorCode`] name).
//!   Level `info` for answers below 500, `warn` for 5xx. A `debug` event
//!   `"receiving"` marks a message whose head has arrived, `"admitted"` one
//!   that has arrived in full and got its slot. Bodies, headers, PINs,
//!   codes, handles and tokens are never logged, nor the free-text error
//!   messages (they may quote a fragment of the input).
//! * **Headers.** Answers carry `Content-Type: application/json`,
//!   `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`.
//! * **Graceful shutdown.** [`serve`] stops accepting connections when its
//!   shutdown future completes, lets every message in flight finish and
//!   answer, and then returns. A decision is answered only after its SQLite
//!   transaction committed (`synchronous=FULL`), so none that was answered is
//!   ever lost, even on `kill -9`.
//!
//! It listens on loopback ([`DEFAULT_ADDR`]) unless told otherwise. hyper
//! drives each connection directly (HTTP/1.1 with a timer), from an accept
//! loop that enforces the caps.
//!
//! # Use
//!
//! A binary (the simulator's `serve`) on its own runtime:
//!
//! ```no_run
//! # async fn example(service: std::sync::Arc<akuersi_server::Service>) -> std::io::Result<()> {
//! use akuersi_server::http::{self, HttpConfig};
//!
//! let config = HttpConfig::default(); // 127.0.0.1:8400
//! let listener = tokio::net::TcpListener::bind(config.addr).await?;
//! println!("service on http://{}", listener.local_addr()?);
//! // .merge() more routes (a web page) onto the API router if wanted:
//! let router = http::router_with(service, &config).merge(axum::Router::new());
//! http::serve_with(listener, router, &config, http::shutdown_signal()).await
//! # }
//! ```
//!
//! Tests and blocking code: [`spawn`] starts the service on an ephemeral
//! loopback port on a background thread.
//!
//! ```no_run
//! # fn example(service: std::sync::Arc<akuersi_server::Service>) -> std::io::Result<()> {
//! let server = akuersi_server::http::spawn(service)?;
//! let url = server.base_url(); // "http://127.0.0.1:PORT"
//! // … talk to it (akuersi_core::http::HttpTransport with feature `http`) …
//! server.shutdown()?; // finishes in-flight messages, then returns
//! # Ok(()) }
//! ```
//!
//! [`ErrorCode`]: akuersi_protocol::wire::ErrorCode

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, SocketAddrV4};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use akuersi_protocol::wire::{ErrorBody, ErrorCode, MAX_MESSAGE_BYTES, PROTOCOL_VERSION};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http_body_util::BodyExt;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{oneshot, watch, Notify, Semaphore};
use tokio::time::{timeout_at, Instant};

use crate::api;
use crate::error::ServiceError;
use crate::service::Service;
use crate::tls::ServerTls;

/// Where the service listens unless told otherwise: loopback, port 8400.
pub const DEFAULT_ADDR: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8400));

/// Path of the health check (`GET`).
pub const HEALTH_PATH: &str = "/v1/health";

/// How long [`serve`] waits, after its shutdown future completed, for open
/// connections to finish before it returns anyway. Messages in flight finish
/// well within it (they are bounded by their own time limit); the cap only
/// matters for clients that hold a connection open without finishing a
/// request. Database work that has started still completes: the runtime
/// waits for blocking tasks when it is dropped.
pub const SHUTDOWN_DRAIN_LIMIT: Duration = Duration::from_secs(30);

/// Most bytes of a refused body (over [`MAX_MESSAGE_BYTES`], or sent with a
/// `Content-Type` other than JSON) the front reads and discards before it
/// answers, so that the client, still sending, receives the answer instead
/// of a reset connection. A longer body is answered after this many bytes
/// with `Connection: close`.
pub const DRAIN_LIMIT_BYTES: usize = 4 * 1024 * 1024;

/// Largest request head (request line and headers) the front reads; a
/// longer one gets `431` and the connection is closed.
pub const MAX_HEAD_BYTES: usize = 16 * 1024;

const LOG_TARGET: &str = "akuersi_server::http";

/// A load balancer or TLS terminator in front of the service whose word on
/// the client's address is trusted (see [`HttpConfig::trusted_proxy`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedProxy {
    /// The proxy's own address, as the service sees it on TCP.
    pub addr: IpAddr,
    /// The header it puts the client's address in, such as
    /// `x-forwarded-for` (its last entry is used: the one the proxy added).
    pub header: HeaderName,
}

/// Settings of the HTTP front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Address to listen on (for [`run`] and [`spawn_with`]); [`DEFAULT_ADDR`]
    /// by default.
    pub addr: SocketAddr,
    /// Longest a message may take from the moment it has arrived in full to
    /// its answer: waiting for a slot and the work. Default 15 s (longer than
    /// SQLite's 10 s busy timeout, so a locked database answers for itself
    /// first).
    pub request_timeout: Duration,
    /// Most messages worked on at once (at least 1). A message takes its slot
    /// only once its whole body has arrived. Default 64.
    pub max_in_flight: usize,
    /// Longest a request's head (request line and headers) may take to
    /// arrive, counted from its first byte or, on a new connection, from the
    /// accept (the TLS handshake included). A connection whose head is late
    /// is closed without an answer. Default 10 s.
    pub header_read_timeout: Duration,
    /// Longest a whole request (head and body) may take to arrive, counted
    /// from its first byte. A body that is late gets `408` and the connection
    /// is closed. Default 20 s.
    pub read_timeout: Duration,
    /// Longest a kept-alive connection may sit between an answer and the next
    /// request before the service closes it. Default 30 s.
    pub idle_timeout: Duration,
    /// Most connections open at once (at least 1). Connections over the cap
    /// are closed at once, before anything is read. Default 1024 (the
    /// process's file-descriptor limit must be higher).
    pub max_connections: usize,
    /// Most connections open at once from one source address (at least 1);
    /// behind [`HttpConfig::trusted_proxy`], most messages at once from one
    /// client address. Default 64: enough for a household or an office
    /// behind one address, few enough that it takes 16 addresses to fill the
    /// default [`HttpConfig::max_connections`]. Behind carrier-grade NAT many
    /// phones share one address; there, put the service behind a proxy and
    /// set [`HttpConfig::trusted_proxy`].
    pub max_connections_per_address: usize,
    /// A proxy whose client-address header is believed. Only connections
    /// whose TCP peer is this address are read for the header, and they are
    /// exempt from the per-address connection cap (each client behind it is
    /// capped by its own address instead). Default: none, every client is
    /// its TCP peer.
    pub trusted_proxy: Option<TrustedProxy>,
    /// Serve HTTPS with this certificate and key; `None` serves plain HTTP.
    /// Default `None`.
    pub tls: Option<ServerTls>,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            addr: DEFAULT_ADDR,
            request_timeout: Duration::from_secs(15),
            max_in_flight: 64,
            header_read_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(30),
            max_connections: 1024,
            max_connections_per_address: 64,
            trusted_proxy: None,
            tls: None,
        }
    }
}

impl HttpConfig {
    /// The defaults on an ephemeral loopback port (`127.0.0.1:0`), for tests.
    pub fn ephemeral() -> Self {
        Self {
            addr: SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 0)),
            ..Self::default()
        }
    }
}

/// The client's address, as an extension of every request the front hands
/// to the router: the TCP peer, or behind [`HttpConfig::trusted_proxy`] the
/// address in its header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// When the request in hand must have arrived in full (an extension the
/// front adds; see [`HttpConfig::read_timeout`]).
#[derive(Debug, Clone, Copy)]
struct ReadDeadline(Instant);

struct Front {
    service: Arc<Service>,
    slots: Arc<Semaphore>,
    request_timeout: Duration,
    read_timeout: Duration,
}

/// The API router with default limits ([`HttpConfig::default`]).
pub fn router(service: Arc<Service>) -> Router {
    router_with(service, &HttpConfig::default())
}

/// The API router: `POST /v1/{*path}` to [`api::handle`] and
/// `GET /v1/health`, with the message limits of `config` (the connection
/// settings are [`serve_with`]'s). It has no fallback, so a caller may
/// `.merge()` its own routes (and give the merged router a fallback); the
/// limits apply to the API routes only.
pub fn router_with(service: Arc<Service>, config: &HttpConfig) -> Router {
    let front = Arc::new(Front {
        service,
        slots: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
        request_timeout: config.request_timeout,
        read_timeout: config.read_timeout,
    });
    Router::new()
        .route(HEALTH_PATH, get(health).fallback(wrong_method))
        .route("/v1/{*path}", post(message).fallback(wrong_method))
        .with_state(front)
}

/// [`serve_with`] with the default connection settings, plain HTTP.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with(listener, router, &HttpConfig::default(), shutdown).await
}

/// Serve `router` on `listener` with the connection settings of `config`
/// (time-outs, caps, trusted proxy, TLS; its `addr` is not used) until
/// `shutdown` completes, then stop accepting, let the messages in flight
/// finish and answer (up to [`SHUTDOWN_DRAIN_LIMIT`]), and return. Errors
/// only if accepting fails for good.
pub async fn serve_with(
    listener: TcpListener,
    router: Router,
    config: &HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let addr = listener.local_addr()?;
    if config.tls.is_none() && !addr.ip().is_loopback() {
        tracing::warn!(target: LOG_TARGET, %addr, "listening beyond loopback over plain HTTP; put TLS in front");
    }
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    tracing::info!(target: LOG_TARGET, %addr, scheme, "listening");
    let limits = Arc::new(Limits::new(config));
    let settings = Arc::new(ConnSettings {
        header_read_timeout: config.header_read_timeout,
        read_timeout: config.read_timeout,
        idle_timeout: config.idle_timeout,
        proxy: config.trusted_proxy.clone(),
        tls: config
            .tls
            .as_ref()
            .map(|t| tokio_rustls::TlsAcceptor::from(t.rustls_config())),
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) if is_transient_accept_error(&e) => {
                // Out of file descriptors and the like: wait a moment
                // instead of spinning.
                tracing::warn!(target: LOG_TARGET, error = %e, "accept failed; retrying");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let peer_ip = canonical(peer.ip());
        let via_proxy = settings.proxy.as_ref().is_some_and(|p| p.addr == peer_ip);
        let guard = match limits.admit_connection(peer_ip, via_proxy) {
            Ok(guard) => guard,
            Err(cap) => {
                tracing::debug!(target: LOG_TARGET, cap, "connection refused");
                drop(stream);
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let conn = Connection {
            router: router.clone(),
            settings: settings.clone(),
            limits: limits.clone(),
            peer: peer_ip,
            via_proxy,
            stop: stop_rx.clone(),
        };
        tokio::spawn(async move {
            let _guard = guard;
            conn.run(stream).await;
        });
    }
    tracing::info!(target: LOG_TARGET, "shutting down: no new connections, finishing messages in flight");
    drop(listener);
    let _ = stop_tx.send(true);
    if tokio::time::timeout(SHUTDOWN_DRAIN_LIMIT, limits.all_closed())
        .await
        .is_err()
    {
        tracing::warn!(target: LOG_TARGET, "stopped with connections still open after the drain limit");
    } else {
        tracing::info!(target: LOG_TARGET, "stopped");
    }
    Ok(())
}

fn is_transient_accept_error(e: &io::Error) -> bool {
    !matches!(
        e.kind(),
        io::ErrorKind::InvalidInput | io::ErrorKind::PermissionDenied | io::ErrorKind::Unsupported
    )
}

/// An IPv4 address mapped into IPv6 counts as the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Bind `config.addr` and serve `service` until `shutdown` completes.
pub async fn run(
    service: Arc<Service>,
    config: &HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let listener = TcpListener::bind(config.addr).await?;
    serve_with(listener, router_with(service, config), config, shutdown).await
}

// ---------------------------------------------------------------- the caps

/// The connection caps: open connections in all and per source address, and
/// messages at once per client address behind the trusted proxy.
struct Limits {
    max_total: usize,
    max_per_address: usize,
    counts: Mutex<Counts>,
    closed: Notify,
}

#[derive(Default)]
struct Counts {
    total: usize,
    connections: HashMap<IpAddr, usize>,
    forwarded: HashMap<IpAddr, usize>,
}

impl Limits {
    fn new(config: &HttpConfig) -> Self {
        Self {
            max_total: config.max_connections.max(1),
            max_per_address: config.max_connections_per_address.max(1),
            counts: Mutex::new(Counts::default()),
            closed: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        // The counts stay consistent even if a holder panicked: every
        // change is a single increment or decrement.
        self.counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Count a new connection from `ip`, or say which cap refuses it.
    fn admit_connection(
        self: &Arc<Self>,
        ip: IpAddr,
        exempt_per_address: bool,
    ) -> Result<ConnectionGuard, &'static str> {
        let mut counts = self.lock();
        if counts.total >= self.max_total {
            return Err("max_connections");
        }
        if !exempt_per_address {
            let n = counts.connections.entry(ip).or_insert(0);
            if *n >= self.max_per_address {
                return Err("max_connections_per_address");
            }
            *n += 1;
        }
        counts.total += 1;
        Ok(ConnectionGuard {
            limits: self.clone(),
            ip: (!exempt_per_address).then_some(ip),
        })
    }

    /// Count a message from `ip` behind the trusted proxy, or `None` when
    /// that address has as many in progress as the cap allows.
    fn admit_forwarded(self: &Arc<Self>, ip: IpAddr) -> Option<ForwardedGuard> {
        let mut counts = self.lock();
        let n = counts.forwarded.entry(ip).or_insert(0);
        if *n >= self.max_per_address {
            return None;
        }
        *n += 1;
        Some(ForwardedGuard {
            limits: self.clone(),
            ip,
        })
    }

    async fn all_closed(&self) {
        loop {
            let notified = self.closed.notified();
            if self.lock().total == 0 {
                return;
            }
            notified.await;
        }
    }
}

fn release(map: &mut HashMap<IpAddr, usize>, ip: IpAddr) {
    if let Some(n) = map.get_mut(&ip) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            map.remove(&ip);
        }
    }
}

struct ConnectionGuard {
    limits: Arc<Limits>,
    ip: Option<IpAddr>,
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        let mut counts = self.limits.lock();
        counts.total = counts.total.saturating_sub(1);
        if let Some(ip) = self.ip {
            release(&mut counts.connections, ip);
        }
        let none_left = counts.total == 0;
        drop(counts);
        if none_left {
            self.limits.closed.notify_waiters();
        }
    }
}

struct ForwardedGuard {
    limits: Arc<Limits>,
    ip: IpAddr,
}

impl Drop for ForwardedGuard {
    fn drop(&mut self) {
        release(&mut self.limits.lock().forwarded, self.ip);
    }
}

// ----------------------------------------------------------- one connection

struct ConnSettings {
    header_read_timeout: Duration,
    read_timeout: Duration,
    idle_timeout: Duration,
    proxy: Option<TrustedProxy>,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

struct Connection {
    router: Router,
    settings: Arc<ConnSettings>,
    limits: Arc<Limits>,
    peer: IpAddr,
    via_proxy: bool,
    stop: watch::Receiver<bool>,
}

/// What one connection is doing, shared by its reader, its requests and its
/// idle watch.
struct Activity {
    /// Requests handed to the router and not yet answered.
    active: AtomicUsize,
    /// When the next request's first byte arrived (bytes read while no
    /// request is active belong to the next one's head).
    head_started: Mutex<Option<Instant>>,
    /// When the connection last became idle (accepted, or answered).
    idle_since: Mutex<Instant>,
}

impl Activity {
    fn new(now: Instant) -> Self {
        Self {
            active: AtomicUsize::new(0),
            head_started: Mutex::new(Some(now)),
            idle_since: Mutex::new(now),
        }
    }

    fn begin(self: &Arc<Self>) -> (ActiveGuard, Instant) {
        self.active.fetch_add(1, Ordering::SeqCst);
        let started = lock_or_recover(&self.head_started)
            .take()
            .unwrap_or_else(Instant::now);
        (
            ActiveGuard {
                activity: self.clone(),
            },
            started,
        )
    }

    fn bytes_read(&self) {
        if self.active.load(Ordering::SeqCst) == 0 {
            lock_or_recover(&self.head_started).get_or_insert_with(Instant::now);
        }
    }

    /// Since when the connection has been idle, if it is.
    fn idle_since(&self) -> Option<Instant> {
        if self.active.load(Ordering::SeqCst) > 0 || lock_or_recover(&self.head_started).is_some() {
            return None;
        }
        Some(*lock_or_recover(&self.idle_since))
    }
}

fn lock_or_recover<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct ActiveGuard {
    activity: Arc<Activity>,
}

impl Drop for ActiveGuard {
    fn drop(&mut self) {
        *lock_or_recover(&self.activity.idle_since) = Instant::now();
        self.activity.active.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The connection's stream, noting when a new request's bytes arrive.
struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        result
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

impl Connection {
    async fn run(self, stream: TcpStream) {
        let accepted = Instant::now();
        match self.settings.tls.clone() {
            None => self.serve_io(stream, accepted).await,
            Some(acceptor) => {
                // The handshake counts against the first head's time.
                let deadline = accepted + self.settings.header_read_timeout;
                match timeout_at(deadline, acceptor.accept(stream)).await {
                    Ok(Ok(tls)) => self.serve_io(tls, accepted).await,
                    Ok(Err(e)) => {
                        tracing::debug!(target: LOG_TARGET, error = %e, "TLS handshake failed");
                    }
                    Err(_) => {
                        tracing::debug!(target: LOG_TARGET, "TLS handshake too slow; closed");
                    }
                }
            }
        }
    }

    async fn serve_io<S>(self, stream: S, accepted: Instant)
    where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let activity = Arc::new(Activity::new(accepted));
        let io = TokioIo::new(Tracked {
            inner: stream,
            activity: activity.clone(),
        });
        let Connection {
            router,
            settings,
            limits,
            peer,
            via_proxy,
            mut stop,
        } = self;
        let service = {
            let activity = activity.clone();
            let settings = settings.clone();
            hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let (guard, started) = activity.begin();
                let router = router.clone();
                let settings = settings.clone();
                let limits = limits.clone();
                async move {
                    let _active = guard;
                    let mut request = request.map(Body::new);
                    let client = if via_proxy {
                        forwarded_client(request.headers(), settings.proxy.as_ref()).unwrap_or(peer)
                    } else {
                        peer
                    };
                    let _forwarded = if via_proxy {
                        match limits.admit_forwarded(client) {
                            Some(g) => Some(g),
                            None => return Ok::<_, Infallible>(busy_address_response()),
                        }
                    } else {
                        None
                    };
                    request.extensions_mut().insert(ClientAddr(client));
                    request
                        .extensions_mut()
                        .insert(ReadDeadline(started + settings.read_timeout));
                    let mut router = router;
                    tower_service::Service::call(&mut router, request).await
                }
            })
        };
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(settings.header_read_timeout)
            .max_header_size(MAX_HEAD_BYTES)
            .keep_alive(true);
        let conn = builder.serve_connection(io, service);
        tokio::pin!(conn);
        let idle = settings.idle_timeout;
        let mut closing = false;
        loop {
            let check_at = match activity.idle_since() {
                Some(since) => since + idle,
                None => Instant::now() + idle.min(Duration::from_secs(1)),
            };
            tokio::select! {
                result = conn.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(target: LOG_TARGET, error = %e, "connection ended");
                    }
                    return;
                }
                changed = stop.changed(), if !closing => {
                    let _ = changed;
                    closing = true;
                    conn.as_mut().graceful_shutdown();
                }
                () = tokio::time::sleep_until(check_at), if !closing => {
                    if activity
                        .idle_since()
                        .is_some_and(|since| since + idle <= Instant::now())
                    {
                        tracing::debug!(target: LOG_TARGET, "idle connection closed");
                        closing = true;
                        conn.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}

/// The client address in the trusted proxy's header: the last entry (the
/// one the proxy itself added), `None` if missing or not an IP address.
fn forwarded_client(headers: &HeaderMap, proxy: Option<&TrustedProxy>) -> Option<IpAddr> {
    let proxy = proxy?;
    let value = headers.get_all(&proxy.header).iter().next_back()?;
    let last = value.to_str().ok()?.rsplit(',').next()?.trim();
    last.parse::<IpAddr>().ok().map(canonical)
}

fn busy_address_response() -> Response {
    let mut response = error_response(
        StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::RateLimited,
        "too many messages at once from this address; nothing was changed",
    );
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    tracing::info!(target: LOG_TARGET, status = 429u16, code = "rate_limited", "refused: per-address cap");
    response
}

/// A future that completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM: pass it
/// to [`serve`]. Call it inside the tokio runtime. On Unix the handlers are
/// installed by this call, so a signal that comes any time after it is
/// caught (call it before announcing the address). If a handler cannot be
/// installed, that signal keeps its default action.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt()).ok();
        let terminate = signal(SignalKind::terminate()).ok();
        async move {
            let wait = |s: Option<tokio::signal::unix::Signal>| async move {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = wait(interrupt) => {}
                _ = wait(terminate) => {}
            }
        }
    }
    #[cfg(not(unix))]
    {
        async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }
}

// ------------------------------------------------------------ blocking handle

/// A server running on a background thread with its own tokio runtime (see
/// [`spawn`]). Dropping it shuts the server down too, ignoring errors.
#[derive(Debug)]
pub struct ServerHandle {
    addr: SocketAddr,
    https: bool,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

/// Start the service on an ephemeral loopback port (`127.0.0.1:0`) with
/// default limits, on a background thread. For tests and blocking programs.
pub fn spawn(service: Arc<Service>) -> io::Result<ServerHandle> {
    spawn_with(service, HttpConfig::ephemeral())
}

/// Start the service on `config.addr` (port 0 for an ephemeral one) with the
/// settings of `config`, on a background thread.
pub fn spawn_with(service: Arc<Service>, config: HttpConfig) -> io::Result<ServerHandle> {
    let router = router_with(service, &config).fallback(unknown_path);
    ServerHandle::start_with(router, config)
}

impl ServerHandle {
    /// Serve any router (for example [`router`] merged with more routes) on
    /// `addr` from a background thread, with default connection settings.
    /// Binds before returning, so the address is taken (or the error known)
    /// when this returns.
    pub fn start(router: Router, addr: SocketAddr) -> io::Result<Self> {
        Self::start_with(
            router,
            HttpConfig {
                addr,
                ..HttpConfig::default()
            },
        )
    }

    /// Serve any router on `config.addr` with the connection settings of
    /// `config`, from a background thread. Binds before returning.
    pub fn start_with(router: Router, config: HttpConfig) -> io::Result<Self> {
        let std_listener = std::net::TcpListener::bind(config.addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("akuersi-http")
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let https = config.tls.is_some();
        let thread = std::thread::Builder::new()
            .name(format!("akuersi-http-{}", addr.port()))
            .spawn(move || {
                // Dropping the runtime at the end waits for any SQLite work
                // still running on its blocking threads.
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(std_listener)?;
                    serve_with(listener, router, &config, async move {
                        let _ = stopped.await;
                    })
                    .await
                })
            })?;
        Ok(Self {
            addr,
            https,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT` (or `https://` with TLS), without a trailing slash.
    pub fn base_url(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// Stop accepting connections, let messages in flight finish, and wait
    /// until the server thread has ended.
    pub fn shutdown(mut self) -> io::Result<()> {
        self.stop_and_join()
    }

    fn stop_and_join(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| io::Error::other("the HTTP server thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop_and_join();
    }
}

// ------------------------------------------------------------------ handlers

async fn health() -> Response {
    tracing::debug!(target: LOG_TARGET, method = "GET", path = HEALTH_PATH, status = 200u16, "answered");
    let body = format!(r#"{{"status":"ok","protocol_version":{PROTOCOL_VERSION}}}"#);
    json_response(StatusCode::OK, body.into_bytes())
}

/// The answer for a path outside the protocol's (anything not under
/// `/v1/`, `/V1/…` and `/v2/…` included): `404` with code `unknown_path`, as
/// JSON like every other refusal. Give a router that merges [`router`] with
/// other routes this as its fallback.
pub async fn unknown_path(method: Method) -> Response {
    unknown_path_saying(
        &method,
        "no such path: protocol messages are POSTed to the /v1/ paths",
    )
}

/// [`unknown_path`] with another `message` (a front that also serves pages
/// may say where they are).
pub fn unknown_path_saying(method: &Method, message: &str) -> Response {
    let status = StatusCode::NOT_FOUND;
    tracing::info!(target: LOG_TARGET, method = %method, path = "(unknown)", status = status.as_u16(), code = "unknown_path", "answered");
    error_response(status, ErrorCode::UnknownPath, message)
}

async fn wrong_method(method: Method, uri: Uri) -> Response {
    let status = StatusCode::METHOD_NOT_ALLOWED;
    let health = uri.path() == HEALTH_PATH;
    let path = if health { HEALTH_PATH } else { "(unknown)" };
    tracing::info!(target: LOG_TARGET, method = %method, path, status = status.as_u16(), code = "unknown_path", "answered");
    let (allow, message) = if health {
        ("GET", "the health check is read with GET")
    } else {
        ("POST", "protocol messages are sent with POST")
    };
    let mut response = error_response(status, ErrorCode::UnknownPath, message);
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    response
}

/// Why a message got no answer from the dispatcher.
enum Refusal {
    NotJson,
    Busy,
    TooLarge,
    SlowBody,
    BrokenBody,
    Overran,
    Crashed,
}

impl Refusal {
    fn response(&self, timeout: Duration, read_timeout: Duration) -> Response {
        let secs = timeout.as_secs_f32();
        match self {
            Refusal::NotJson => error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::Malformed,
                "send protocol messages with Content-Type: application/json",
            ),
            Refusal::Busy => error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal,
                &format!("the service is busy and could not take the message within {secs} s; nothing was changed"),
            ),
            Refusal::TooLarge => error_response(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorCode::TooLarge,
                &format!("message is larger than {MAX_MESSAGE_BYTES} bytes"),
            ),
            Refusal::SlowBody => error_response(
                StatusCode::REQUEST_TIMEOUT,
                ErrorCode::Internal,
                &format!(
                    "the message did not arrive in full within {} s; nothing was changed",
                    read_timeout.as_secs_f32()
                ),
            ),
            Refusal::BrokenBody => error_response(
                StatusCode::BAD_REQUEST,
                ErrorCode::Malformed,
                "the message body could not be read; nothing was changed",
            ),
            Refusal::Overran => error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Internal,
                &format!("the service did not finish within {secs} s; the message may or may not have taken effect, so check before sending anything again"),
            ),
            Refusal::Crashed => error_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Internal,
                "internal error; nothing was changed",
            ),
        }
    }
}

/// A refusal, and whether the connection must close after it because part
/// of the body is still unread (closing with unread data in the socket
/// would make the client's stack drop the answer).
struct Refused {
    refusal: Refusal,
    close: bool,
}

impl From<Refusal> for Refused {
    fn from(refusal: Refusal) -> Self {
        Self {
            refusal,
            close: false,
        }
    }
}

async fn message(State(front): State<Arc<Front>>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let read_deadline = parts
        .extensions
        .get::<ReadDeadline>()
        .map_or(started + front.read_timeout, |d| d.0);
    let path = parts.uri.path().to_owned();
    let outcome = handle_message(&front, &path, &parts.headers, body, read_deadline).await;
    let (status, response_body) = match outcome {
        Ok(answer) => (answer.status, answer.body),
        Err(refused) => {
            let mut response = refused
                .refusal
                .response(front.request_timeout, front.read_timeout);
            if refused.close {
                response
                    .headers_mut()
                    .insert(header::CONNECTION, HeaderValue::from_static("close"));
            }
            log_answer(
                &path,
                response.status().as_u16(),
                None,
                started,
                Some(refusal_code(&refused.refusal)),
            );
            return response;
        }
    };
    let code = (status != 200)
        .then(|| serde_json::from_slice::<ErrorBody>(&response_body).ok())
        .flatten()
        .map(|e| e.code);
    log_answer(&path, status, code, started, None);
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    json_response(status, response_body)
}

async fn handle_message(
    front: &Front,
    path: &str,
    headers: &HeaderMap,
    body: Body,
    read_deadline: Instant,
) -> Result<api::ApiResponse, Refused> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let expects_continue = headers
        .get(header::EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let early = if !is_json(headers) {
        Some(Refusal::NotJson)
    } else if declared.is_some_and(|n| n > MAX_MESSAGE_BYTES as u64) {
        Some(Refusal::TooLarge)
    } else {
        None
    };
    if let Some(refusal) = early {
        // A client waiting for `100 Continue` has not sent the body: answer
        // and close. Anyone else is sending it: read and discard a bounded
        // amount so that the answer reaches them.
        let close = expects_continue
            || declared.is_some_and(|n| n > DRAIN_LIMIT_BYTES as u64)
            || !drain(body, 0, read_deadline).await;
        return Err(Refused { refusal, close });
    }
    tracing::debug!(target: LOG_TARGET, path = logged_path(path, None), "receiving");
    let body = match timeout_at(read_deadline, read_body(body, declared)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(BodyError::TooLarge(rest, seen))) => {
            let close = !drain(rest, seen, read_deadline).await;
            return Err(Refused {
                refusal: Refusal::TooLarge,
                close,
            });
        }
        Ok(Err(BodyError::Broken)) => {
            return Err(Refused {
                refusal: Refusal::BrokenBody,
                close: true,
            })
        }
        Err(_) => {
            return Err(Refused {
                refusal: Refusal::SlowBody,
                close: true,
            })
        }
    };
    // Only a message that has arrived in full takes a slot: a slow sender
    // holds its connection, never a slot another message could use.
    let deadline = Instant::now() + front.request_timeout;
    let permit = match timeout_at(deadline, front.slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        _ => return Err(Refusal::Busy.into()),
    };
    tracing::debug!(target: LOG_TARGET, path = logged_path(path, None), "admitted");
    let service = front.service.clone();
    let owned_path = path.to_owned();
    // The permit moves into the blocking task, so the slot stays taken until
    // the database work is done even if this answer times out.
    let work = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        api::handle(&service, &owned_path, &body)
    });
    match timeout_at(deadline, work).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(_)) => Err(Refusal::Crashed.into()),
        Err(_) => Err(Refusal::Overran.into()),
    }
}

/// `Content-Type: application/json`, parameters (such as a charset) allowed.
/// Requiring it makes a browser ask before it lets another site's page post
/// to the service (a CORS preflight, which the service does not grant).
fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"))
}

enum BodyError {
    /// Over the limit: the rest of the body, and how many bytes were read.
    TooLarge(Body, usize),
    Broken,
}

async fn read_body(mut body: Body, declared: Option<u64>) -> Result<Vec<u8>, BodyError> {
    let capacity = declared.map_or(1024, |n| n as usize).min(MAX_MESSAGE_BYTES);
    let mut bytes = Vec::with_capacity(capacity);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| BodyError::Broken)?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > MAX_MESSAGE_BYTES {
                let seen = bytes.len() + data.len();
                return Err(BodyError::TooLarge(body, seen));
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
}

/// Read and discard the rest of a refused body, up to [`DRAIN_LIMIT_BYTES`]
/// in all and until `deadline`. `true` if the body ended within both.
async fn drain(mut body: Body, seen: usize, deadline: Instant) -> bool {
    let discard = async move {
        let mut seen = seen;
        while let Some(frame) = body.frame().await {
            let Ok(frame) = frame else { return false };
            if let Ok(data) = frame.into_data() {
                seen += data.len();
                if seen > DRAIN_LIMIT_BYTES {
                    return false;
                }
            }
        }
        true
    };
    matches!(timeout_at(deadline, discard).await, Ok(true))
}

fn refusal_code(refusal: &Refusal) -> &'static str {
    match refusal {
        Refusal::TooLarge => "too_large",
        Refusal::BrokenBody | Refusal::NotJson => "malformed",
        Refusal::Busy | Refusal::SlowBody | Refusal::Overran | Refusal::Crashed => "internal",
    }
}

/// The path as logged: only paths the protocol has, so nothing a client made
/// up (which could be anything, even a secret pasted into a URL) reaches
/// the log.
fn logged_path(path: &str, code: Option<ErrorCode>) -> &str {
    let plausible = path.len() <= 64
        && path
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"/-_".contains(&b));
    if code == Some(ErrorCode::UnknownPath) || !plausible {
        "(unknown)"
    } else {
        path
    }
}

/// The stable wire name of an error code (its serde name).
fn code_name(code: ErrorCode) -> String {
    match serde_json::to_value(code) {
        Ok(serde_json::Value::String(s)) => s,
        _ => "internal".to_owned(),
    }
}

fn log_answer(
    path: &str,
    status: u16,
    code: Option<ErrorCode>,
    started: Instant,
    refusal: Option<&str>,
) {
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let path = logged_path(path, code);
    let name = refusal.map(str::to_owned).or_else(|| code.map(code_name));
    let code = name.as_deref();
    if status >= 500 {
        tracing::warn!(target: LOG_TARGET, method = "POST", path, status, latency_ms, code, "answered");
    } else {
        tracing::info!(target: LOG_TARGET, method = "POST", path, status, latency_ms, code, "answered");
    }
}

fn json_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

fn error_response(status: StatusCode, code: ErrorCode, message: &str) -> Response {
    let e = ServiceError::new(code, message);
    let body = serde_json::to_vec(&e.body())
        .unwrap_or_else(|_| br#"{"code":"internal","message":"internal error"}"#.to_vec());
    json_response(status, body)
}
