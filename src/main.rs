//! The `parangon` binary: parse, run the command, print, exit 0 / 1 / 2.

use std::process::ExitCode;

use clap::Parser;
use parangon::cli::args::{Cli, Command};
use parangon::cli::commands::{self, Outcome};
use parangon::cli::printer::Printer;

fn main() -> ExitCode {
    let cli = Cli::parse(); // usage errors exit 2 (clap)
    let printer = Printer::new(cli.quiet);
    init_logging(cli.verbose, cli.quiet);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            printer.error(&format!("cannot start the runtime: {e}"));
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        match &cli.command {
            Command::Run(args) => commands::run(args, printer).await,
            Command::Validate(args) => commands::validate(args, printer).await,
            Command::Indicators(args) => commands::indicators(args).await,
            Command::Targets(args) => commands::targets(args),
            Command::Contract(args) => commands::contract(args),
            Command::Annex(args) => commands::annex(args, printer),
            Command::Generate(args) => commands::generate(args, printer),
            Command::Cluster(command) => commands::cluster(command, printer).await,
        }
    });
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::DataProblems) => ExitCode::from(1),
        Err(e) => {
            printer.error(&e.to_string());
            ExitCode::from(e.exit_code())
        }
    }
}

fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, _) => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("PARANGON_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("parangon={level}")));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .without_time()
        .init();
}
