//! `akuersi-sim app --profile NAME`: one app installation, talking HTTP to
//! the service. Without a subcommand it runs the phone-like terminal UI
//! ([`tui`]); each subcommand is the same action for scripts and tests
//! ([`cli`]).

pub mod cli;
pub mod support;
pub mod tui;

use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use akuersi_protocol::pin::{DEFAULT_KDF_ITERATIONS, MAX_KDF_ITERATIONS, MIN_KDF_ITERATIONS};
use zeroize::Zeroizing;

use crate::error::SimError;
use crate::profile::{OpenOptions, DEFAULT_DATA_DIR, DEFAULT_SERVICE_URL};

/// `app` options.
#[derive(Debug, clap::Args)]
pub struct AppArgs {
    /// The installation to use: its own SQLite file and vault key in
    /// DIR/apps/ (created on first use).
    #[arg(long, value_name = "NAME")]
    pub profile: String,
    /// The service's base URL.
    #[arg(long, value_name = "URL", default_value = DEFAULT_SERVICE_URL)]
    pub service: String,
    /// Data folder.
    #[arg(long, value_name = "DIR", default_value = DEFAULT_DATA_DIR)]
    pub data: PathBuf,
    /// Which identity to act for, when the installation holds several.
    #[arg(long, value_name = "USER_ID")]
    pub identity: Option<String>,
    /// Language of request texts for new identities: kl, da or en.
    #[arg(long, value_name = "LANG", default_value = "en",
          value_parser = ["kl", "da", "en"])]
    pub language: String,
    /// PBKDF2 iterations for a new PIN (tests lower it to save time).
    #[arg(long, hide = true, value_name = "N", default_value_t = DEFAULT_KDF_ITERATIONS,
          value_parser = clap::value_parser!(u32)
              .range(i64::from(MIN_KDF_ITERATIONS)..=i64::from(MAX_KDF_ITERATIONS)))]
    pub kdf_iterations: u32,
    /// How to trust the service's certificate.
    #[command(flatten)]
    pub tls: crate::edge::ClientTlsArgs,
    /// An action to run without the terminal UI.
    #[command(subcommand)]
    pub command: Option<cli::AppCommand>,
}

impl AppArgs {
    fn open_options(&self) -> OpenOptions {
        OpenOptions {
            data: self.data.clone(),
            name: self.profile.clone(),
            service_url: self.service.clone(),
            kdf_iterations: self.kdf_iterations,
            language: self.language.clone(),
            tls: self.tls.clone(),
        }
    }
}

/// Run `app`.
pub fn main(mut args: AppArgs) -> ExitCode {
    let command = args.command.take();
    let result = match command {
        Some(c) => cli::run(&args, c),
        None => tui::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("akuersi-sim app: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Read a PIN from standard input: one line of a pipe, or, from a terminal,
/// keys that are never echoed. The PIN is wiped when the result is dropped.
pub fn read_pin_stdin(prompt: &str) -> Result<Zeroizing<String>, SimError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return read_pin_terminal(prompt);
    }
    let mut raw = Zeroizing::new(Vec::with_capacity(16));
    // Read at most one short line; a PIN is 6 digits.
    let mut byte = [0u8; 1];
    let mut lock = stdin.lock();
    while raw.len() < 64 {
        match lock.read(&mut byte) {
            Ok(0) => break,
            Ok(_) if byte[0] == b'\n' => break,
            Ok(_) => raw.push(byte[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        }
    }
    let text = std::str::from_utf8(&raw)
        .map_err(|_| SimError::Demo("the PIN on standard input is not text".into()))?;
    let pin = Zeroizing::new(text.trim().to_owned());
    if pin.is_empty() {
        return Err(SimError::Demo(
            "no PIN on standard input (send one line with the 6 digits)".into(),
        ));
    }
    Ok(pin)
}

fn read_pin_terminal(prompt: &str) -> Result<Zeroizing<String>, SimError> {
    use crossterm::event::{read, Event, KeyCode, KeyEventKind, KeyModifiers};
    eprint!("{prompt}");
    crossterm::terminal::enable_raw_mode()?;
    let mut pin = Zeroizing::new(String::new());
    let result = loop {
        match read() {
            Ok(Event::Key(k)) if k.kind != KeyEventKind::Release => match k.code {
                KeyCode::Enter => break Ok(()),
                KeyCode::Char('c') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                    break Err(SimError::Demo("cancelled".into()))
                }
                KeyCode::Esc => break Err(SimError::Demo("cancelled".into())),
                KeyCode::Backspace => {
                    pin.pop();
                }
                KeyCode::Char(c) if c.is_ascii_digit() && pin.len() < 6 => pin.push(c),
                _ => {}
            },
            Ok(_) => {}
            Err(e) => break Err(e.into()),
        }
    };
    let _ = crossterm::terminal::disable_raw_mode();
    eprintln!();
    result.map(|()| pin)
}
