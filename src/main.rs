//! The `scalesim` binary: parses arguments, calls the library, maps errors to exit codes.

use std::process::ExitCode;

use clap::Parser;
use scalesim::cli::{self, Cli};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            // Help and version are not errors; bad arguments are bad input.
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match std::panic::catch_unwind(|| cli::run(cli)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(e)) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
        Err(_) => {
            eprintln!("error: internal error (a bug in scalesim); please report it with the scenario file");
            ExitCode::from(1)
        }
    }
}
