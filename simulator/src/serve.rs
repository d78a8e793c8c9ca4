//! `akuersi-sim serve`: the reference identity service over HTTPS (the
//! server's own axum router) on one SQLite file, with the Demo Bank page and
//! its backend ([`crate::bank`]) merged into the same router.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use akuersi_protocol::clock::SystemClock;
use akuersi_protocol::crypto::random_id;
use akuersi_protocol::wire::{MAX_TTL_SECONDS, MIN_TTL_SECONDS};
use akuersi_server::http::{self, HttpConfig, DEFAULT_ADDR};
use akuersi_server::{InProcessTransport, Service, ServiceConfig};
use axum::response::Response;

use crate::bank::{self, DemoBank};
use crate::edge::ServeTls;
use crate::error::SimError;
use crate::profile::{DEFAULT_DATA_DIR, DEFAULT_SERVICE_URL};

/// The service's database file in the data folder.
pub const SERVICE_DB: &str = "service.sqlite";
/// The file `serve` writes the operator token to (mode 0600).
pub const TOKEN_FILE: &str = "operator-token";

/// `serve` options.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on. Loopback by default.
    #[arg(long, value_name = "IP:PORT", default_value_t = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// Data folder: the service keeps `service.sqlite` and the operator token
    /// file here.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data: PathBuf,
    /// Token for the operator API (also read from AKUERSI_OPERATOR_TOKEN).
    /// Default: a fresh random token, printed and written to DIR/operator-token.
    #[arg(
        long,
        value_name = "T",
        env = "AKUERSI_OPERATOR_TOKEN",
        hide_env_values = true
    )]
    pub operator_token: Option<String>,
    /// Lifetime of Demo Bank's requests in seconds (30–300), for tests and
    /// trying out expiry; the service's 300 by default.
    #[arg(long, value_name = "SECONDS",
          value_parser = clap::value_parser!(u32).range(i64::from(MIN_TTL_SECONDS)..=i64::from(MAX_TTL_SECONDS)))]
    pub ttl: Option<u32>,
    /// Keys (key file or PKCS#11 token), key rotation and retention.
    #[command(flatten)]
    pub keys: crate::serve_keys::KeyRetentionArgs,
    /// Fewest PIN KDF iterations an app may register (600,000 by default);
    /// lower it to match `app --kdf-iterations` for quick tests.
    #[arg(long, value_name = "N", default_value_t = akuersi_server::service::config::DEFAULT_MIN_KDF_ITERATIONS,
          value_parser = clap::value_parser!(u32).range(i64::from(akuersi_protocol::pin::MIN_KDF_ITERATIONS)..=i64::from(akuersi_protocol::pin::MAX_KDF_ITERATIONS)))]
    pub min_kdf_iterations: u32,
    /// TLS: certificate files, or the development certificate, or plain HTTP.
    #[command(flatten)]
    pub tls: crate::edge::ServeTlsArgs,
    /// HTTP limits: connection caps, trusted proxy.
    #[command(flatten)]
    pub limits: crate::edge::ServeLimitArgs,
}

/// Run `serve` until Ctrl-C (or SIGTERM).
pub fn main(args: ServeArgs) -> ExitCode {
    init_logging();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("akuersi-sim serve: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    // Structured events of the HTTP front (never bodies or secrets) at info;
    // RUST_LOG overrides.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,akuersi_server=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

fn run(args: ServeArgs) -> Result<(), SimError> {
    crate::profile::private_dir(&args.data, "the data folder")?;
    let (token, generated) = match args.operator_token {
        Some(t) if !t.trim().is_empty() => (t.trim().to_owned(), false),
        Some(_) => return Err(SimError::Demo("the operator token is empty".into())),
        None => (random_id().map_err(akuersi_core::Error::from)?, true),
    };
    let token_file = args.data.join(TOKEN_FILE);
    crate::profile::replace_private_file(&token_file, token.as_bytes())?;
    let db = args.data.join(SERVICE_DB);
    let db_str = db
        .to_str()
        .ok_or_else(|| SimError::Demo("the data folder's path is not valid UTF-8".into()))?;
    let mut config = ServiceConfig {
        operator_token: Some(token.clone()),
        min_kdf_iterations: args.min_kdf_iterations,
        ..ServiceConfig::default()
    };
    args.keys.apply(&args.data, &mut config)?;
    let service = Arc::new(Service::open(db_str, Arc::new(SystemClock), config)?);
    args.keys.after_open(&service)?;
    // The bank sends the requester's JSON messages to the service in
    // process, through the same dispatcher the HTTP front uses, signed with
    // its key from the data folder (registered on first start).
    let bank_key = crate::requesters::demo_bank(&service, &args.data)?;
    let bank = DemoBank::new(
        Arc::new(InProcessTransport::new(service.clone())),
        args.ttl,
        bank_key,
        Arc::new(SystemClock),
    );

    let tls = args.tls.resolve(&args.data, args.addr)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("akuersi-serve")
        .build()?;
    let result: Result<(), SimError> = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.addr)
            .await
            .map_err(|e| SimError::Demo(format!("cannot listen on {}: {e}", args.addr)))?;
        let addr = listener.local_addr()?;
        let mut config = HttpConfig {
            addr,
            tls: match &tls {
                ServeTls::Https { tls, .. } => Some(tls.clone()),
                ServeTls::Plain => None,
            },
            ..HttpConfig::default()
        };
        args.limits.apply(&mut config)?;
        let router = http::router_with(service.clone(), &config)
            .merge(bank::router(bank))
            .fallback(not_found);
        print_banner(
            addr,
            &args.data,
            &db,
            &token,
            generated,
            &token_file,
            args.ttl,
            &tls,
        )?;
        crate::serve_keys::spawn_jobs(&service);
        http::serve_with(listener, router, &config, http::shutdown_signal()).await?;
        Ok(())
    });
    // Dropping the runtime waits for SQLite work still running on its
    // blocking threads: every answered decision is committed.
    drop(runtime);
    result?;
    println!("Stopped. Every answered decision is in {}.", db.display());
    Ok(())
}

/// Any path neither the protocol nor Demo Bank has: the protocol's typed
/// `unknown_path` (404, JSON), whose message also points a lost browser to
/// the Demo Bank page.
async fn not_found(method: axum::http::Method) -> Response {
    http::unknown_path_saying(
        &method,
        "no such path: protocol messages are POSTed to the /v1/ paths; the Demo Bank page is at /demo-bank/",
    )
}

// Each line of the banner has its own argument; a struct would only rename them.
#[allow(clippy::too_many_arguments)]
fn print_banner(
    addr: SocketAddr,
    data: &Path,
    db: &Path,
    token: &str,
    generated: bool,
    token_file: &Path,
    ttl: Option<u32>,
    tls: &ServeTls,
) -> Result<(), SimError> {
    let scheme = match tls {
        ServeTls::Https { .. } => "https",
        ServeTls::Plain => "http",
    };
    let base = format!("{scheme}://{addr}");
    let mut out = std::io::stdout().lock();
    writeln!(out, "Akuersi simulator: identity service and Demo Bank")?;
    writeln!(
        out,
        "  Service (protocol v1): {base}/v1/  (health: {base}/v1/health)"
    )?;
    writeln!(out, "  Demo Bank web page:    {base}{}", bank::PAGE_PATH)?;
    if generated {
        writeln!(
            out,
            "  Operator token:        {token}  (saved in {})",
            token_file.display()
        )?;
    } else {
        writeln!(
            out,
            "  Operator token:        as given (saved in {})",
            token_file.display()
        )?;
    }
    match tls {
        ServeTls::Https { tls, dev } => {
            writeln!(out, "  TLS certificate:       {}", tls.fingerprint_string())?;
            if let Some(file) = dev {
                writeln!(
                    out,
                    "                         (self-signed, for development: {})",
                    file.display()
                )?;
            }
        }
        ServeTls::Plain => writeln!(
            out,
            "  TLS:                   none (plain HTTP on loopback)"
        )?,
    }
    writeln!(out, "  Database:              {}", db.display())?;
    writeln!(
        out,
        "  Request lifetime:      {} s",
        ttl.unwrap_or(MAX_TTL_SECONDS)
    )?;
    writeln!(out)?;
    writeln!(out, "Next, in another terminal:")?;
    // Name the service and the data folder only when they are not the
    // defaults the other commands assume.
    let mut flags = String::new();
    if base != DEFAULT_SERVICE_URL {
        flags.push_str(&format!(" --service {base}"));
    }
    if data != Path::new(DEFAULT_DATA_DIR) {
        flags.push_str(&format!(" --data {}", data.display()));
    }
    if let ServeTls::Https { tls, dev: None } = tls {
        // Not the development certificate the others find in DIR.
        flags.push_str(&format!(
            " --server-fingerprint {}",
            tls.fingerprint_string()
        ));
    }
    writeln!(
        out,
        "  akuersi-sim operator{flags} create-identity Aviaja-Nuuk"
    )?;
    writeln!(out, "  akuersi-sim operator{flags} issue-code Aviaja-Nuuk")?;
    writeln!(out, "  akuersi-sim app{flags} --profile phone")?;
    writeln!(out, "then open {base}{} in a browser.", bank::PAGE_PATH)?;
    writeln!(out, "Press Ctrl-C to stop.")?;
    out.flush()?;
    Ok(())
}
