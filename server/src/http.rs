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
//!   over the limit is refused before any of the body is read.
//! * **Time limit.** Waiting for a slot, receiving the body and the work itself
//!   must fit in [`HttpConfig::request_timeout`]. Refusals before the work
//!   starts say that nothing was changed (`503` busy, `408` body too slow);
//!   work that has started is never cut off (SQLite commits or rolls back as a
//!   whole), but if it overruns, the answer is `503` saying the outcome is
//!   unknown. All three carry the code `internal`.
//! * **Concurrency limit.** At most [`HttpConfig::max_in_flight`] messages are
//!   received or worked on at once; the others wait for a slot within their
//!   time limit. A slot is held until the blocking SQLite work has finished,
//!   even if its answer timed out, so overload cannot pile up database work.
//! * **Blocking work off the reactor.** [`api::handle`] runs on
//!   [`tokio::task::spawn_blocking`].
//! * **Structured logs.** One `tracing` event per message, target
//!   `akuersi_server::http`: `method`, `path` (`"(unknown)"` for paths the
//!   protocol does not have, so nothing a client typed is logged), `status`,
//!   `latency_ms` and, for refusals, `code` (the stable [`ErrorCode`] name).
//!   Level `info` for answers below 500, `warn` for 5xx. A `debug` event
//!   `"admitted"` marks a message that got its slot. Bodies, headers, PINs,
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
//! It listens on loopback ([`DEFAULT_ADDR`]) unless told otherwise; it speaks
//! plain HTTP, so anything beyond one machine needs a TLS proxy in front.
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
//! http::serve(listener, router, http::shutdown_signal()).await
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

use std::future::{Future, IntoFuture};
use std::io;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::sync::Arc;
use std::time::Duration;

use akuersi_protocol::wire::{ErrorBody, ErrorCode, MAX_MESSAGE_BYTES, PROTOCOL_VERSION};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use http_body_util::BodyExt;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};
use tokio::time::{timeout_at, Instant};

use crate::api;
use crate::error::ServiceError;
use crate::service::Service;

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

const LOG_TARGET: &str = "akuersi_server::http";

/// Settings of the HTTP front.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// Address to listen on (for [`run`] and [`spawn_with`]); [`DEFAULT_ADDR`]
    /// by default. Anything but loopback needs TLS in front.
    pub addr: SocketAddr,
    /// Longest a message may take from arrival to answer: waiting for a slot,
    /// receiving the body and the work. Default 15 s (longer than SQLite's
    /// 10 s busy timeout, so a locked database answers for itself first).
    pub request_timeout: Duration,
    /// Most messages received or worked on at once (at least 1). Default 64.
    pub max_in_flight: usize,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            addr: DEFAULT_ADDR,
            request_timeout: Duration::from_secs(15),
            max_in_flight: 64,
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

struct Front {
    service: Arc<Service>,
    slots: Arc<Semaphore>,
    request_timeout: Duration,
}

/// The API router with default limits ([`HttpConfig::default`]).
pub fn router(service: Arc<Service>) -> Router {
    router_with(service, &HttpConfig::default())
}

/// The API router: `POST /v1/{*path}` to [`api::handle`] and
/// `GET /v1/health`, with the limits of `config` (its `addr` is not used
/// here). It has no fallback, so a caller may `.merge()` its own routes
/// (and give the merged router a fallback); the limits apply to the API
/// routes only.
pub fn router_with(service: Arc<Service>, config: &HttpConfig) -> Router {
    let front = Arc::new(Front {
        service,
        slots: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
        request_timeout: config.request_timeout,
    });
    Router::new()
        .route(HEALTH_PATH, get(health).fallback(wrong_method))
        .route("/v1/{*path}", post(message).fallback(wrong_method))
        .with_state(front)
}

/// Serve `router` on `listener` until `shutdown` completes, then stop
/// accepting, let the messages in flight finish and answer (up to
/// [`SHUTDOWN_DRAIN_LIMIT`]), and return. Errors only if accepting fails
/// for good.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let addr = listener.local_addr()?;
    if !addr.ip().is_loopback() {
        tracing::warn!(target: LOG_TARGET, %addr, "listening beyond loopback over plain HTTP; put TLS in front");
    }
    tracing::info!(target: LOG_TARGET, %addr, "listening");
    let (begun_tx, begun_rx) = oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!(target: LOG_TARGET, "shutting down: no new connections, finishing messages in flight");
        let _ = begun_tx.send(());
    };
    let server = axum::serve(listener, router)
        .with_graceful_shutdown(signal)
        .into_future();
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => {
            tracing::info!(target: LOG_TARGET, "stopped");
            return result;
        }
        _ = begun_rx => {}
    }
    match tokio::time::timeout(SHUTDOWN_DRAIN_LIMIT, server).await {
        Ok(result) => {
            tracing::info!(target: LOG_TARGET, "stopped");
            result
        }
        Err(_) => {
            tracing::warn!(target: LOG_TARGET, "stopped with connections still open after the drain limit");
            Ok(())
        }
    }
}

/// Bind `config.addr` and serve `service` until `shutdown` completes.
pub async fn run(
    service: Arc<Service>,
    config: &HttpConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let listener = TcpListener::bind(config.addr).await?;
    serve(listener, router_with(service, config), shutdown).await
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
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

/// Start the service on an ephemeral loopback port (`127.0.0.1:0`) with
/// default limits, on a background thread. For tests and blocking programs.
pub fn spawn(service: Arc<Service>) -> io::Result<ServerHandle> {
    spawn_with(service, HttpConfig::ephemeral())
}

/// Start the service on `config.addr` (port 0 for an ephemeral one) with the
/// limits of `config`, on a background thread.
pub fn spawn_with(service: Arc<Service>, config: HttpConfig) -> io::Result<ServerHandle> {
    let router = router_with(service, &config);
    ServerHandle::start(router, config.addr)
}

impl ServerHandle {
    /// Serve any router (for example [`router`] merged with more routes) on
    /// `addr` from a background thread. Binds before returning, so the
    /// address is taken (or the error known) when this returns.
    pub fn start(router: Router, addr: SocketAddr) -> io::Result<Self> {
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("akuersi-http")
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("akuersi-http-{}", addr.port()))
            .spawn(move || {
                // Dropping the runtime at the end waits for any SQLite work
                // still running on its blocking threads.
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(std_listener)?;
                    serve(listener, router, async move {
                        let _ = stopped.await;
                    })
                    .await
                })
            })?;
        Ok(Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://IP:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
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
    fn response(&self, timeout: Duration) -> Response {
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
                &format!("the message did not arrive in full within {secs} s; nothing was changed"),
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

async fn message(
    State(front): State<Arc<Front>>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let path = uri.path().to_owned();
    let (status, response_body) = match handle_message(&front, &path, &headers, body, started).await
    {
        Ok(answer) => (answer.status, answer.body),
        Err(refusal) => {
            let response = refusal.response(front.request_timeout);
            log_answer(
                &path,
                response.status().as_u16(),
                None,
                started,
                Some(refusal_code(&refusal)),
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
    started: Instant,
) -> Result<api::ApiResponse, Refusal> {
    let deadline = started + front.request_timeout;
    if !is_json(headers) {
        return Err(Refusal::NotJson);
    }
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_MESSAGE_BYTES as u64) {
        return Err(Refusal::TooLarge);
    }
    let permit = match timeout_at(deadline, front.slots.clone().acquire_owned()).await {
        Ok(Ok(permit)) => permit,
        _ => return Err(Refusal::Busy),
    };
    tracing::debug!(target: LOG_TARGET, path = logged_path(path, None), "admitted");
    let body = match timeout_at(deadline, read_body(body, declared)).await {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(refusal)) => return Err(refusal),
        Err(_) => return Err(Refusal::SlowBody),
    };
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
        Ok(Err(_)) => Err(Refusal::Crashed),
        Err(_) => Err(Refusal::Overran),
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

async fn read_body(mut body: Body, declared: Option<u64>) -> Result<Vec<u8>, Refusal> {
    let capacity = declared.map_or(1024, |n| n as usize).min(MAX_MESSAGE_BYTES);
    let mut bytes = Vec::with_capacity(capacity);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|_| Refusal::BrokenBody)?;
        if let Ok(data) = frame.into_data() {
            if bytes.len() + data.len() > MAX_MESSAGE_BYTES {
                return Err(Refusal::TooLarge);
            }
            bytes.extend_from_slice(&data);
        }
    }
    Ok(bytes)
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
