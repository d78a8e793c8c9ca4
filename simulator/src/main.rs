//! `akuersi-sim`: the Akuersi desktop simulator. See `akuersi-sim --help`.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use akuersi_protocol::pin::{DEFAULT_KDF_ITERATIONS, MAX_KDF_ITERATIONS, MIN_KDF_ITERATIONS};
use akuersi_sim::{run, DemoOptions, Scenario};
use clap::{Args, Parser, Subcommand};

/// Akuersi desktop simulator: the reference identity service and app
/// installations in one process.
#[derive(Debug, Parser)]
#[command(name = "akuersi-sim", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Walk through activation, approval, expiry, rejection, a report and a
    /// race between two devices (`demo backup`: adding a backup device, a
    /// veto, a freeze), checking each outcome (exit status 1 if any check
    /// fails).
    Demo(DemoArgs),
    /// Run the identity service over HTTP, with the Demo Bank web page.
    Serve(akuersi_sim::serve::ServeArgs),
    /// One app installation: the phone-like terminal app, or one action
    /// (activate, pending, approve, …) for scripts.
    App(akuersi_sim::app::AppArgs),
    /// The operator (citizen service centre) side: identities, activation
    /// codes, freezing, and the outboxes as inboxes.
    Operator(akuersi_sim::operator::OperatorArgs),
    /// Measure the decide path against ring's ECDSA verify rate, device
    /// latency, cold start and size, and show each budget as pass/fail.
    Bench(akuersi_sim::bench::BenchArgs),
    /// A bounded loopback load over HTTP (create, pending, pin-start,
    /// decide), verified in the service afterwards (exit status 1 on any
    /// error or finding; the p99 budget is reported, not enforced).
    Load(akuersi_sim::load::LoadArgs),
}

#[derive(Debug, Args)]
struct DemoArgs {
    /// The walk-through to run.
    #[arg(value_enum, default_value_t = Scenario::Main)]
    scenario: Scenario,
    /// Folder for the SQLite files (created if missing; must not hold an
    /// earlier run's). Default: a fresh temporary folder, removed afterwards.
    #[arg(long, value_name = "DIR")]
    data: Option<PathBuf>,
    /// PBKDF2 iterations for each device's PIN.
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_KDF_ITERATIONS,
        value_parser = clap::value_parser!(u32)
            .range(i64::from(MIN_KDF_ITERATIONS)..=i64::from(MAX_KDF_ITERATIONS)),
    )]
    kdf_iterations: u32,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Demo(args) => demo(args),
        Command::Serve(args) => akuersi_sim::serve::main(args),
        Command::App(args) => akuersi_sim::app::main(args),
        Command::Operator(args) => akuersi_sim::operator::main(args),
        Command::Bench(args) => akuersi_sim::bench::main(args),
        Command::Load(args) => akuersi_sim::load::main(args),
    }
}

fn demo(args: DemoArgs) -> ExitCode {
    let options = DemoOptions {
        scenario: args.scenario,
        data_dir: args.data,
        kdf_iterations: args.kdf_iterations,
    };
    let stdout = std::io::stdout();
    let colour = stdout.is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut out = stdout.lock();
    match run(&options, &mut out, colour) {
        Ok(summary) if summary.passed() => ExitCode::SUCCESS,
        Ok(summary) => {
            eprintln!(
                "akuersi-sim: {} of {} checks failed",
                summary.failures.len(),
                summary.checks
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("akuersi-sim: the demo stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
