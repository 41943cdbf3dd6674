//! `disburse`: payouts from the command line.
//!
//! ```text
//! disburse payout --provider jpay --reference order-1 --amount 100 --currency KES --to +254712345678
//! disburse status --provider jpay --reference order-1
//! disburse batch payouts.csv --provider jpay --concurrency 32
//! ```
//!
//! Credentials come from the same environment variables as each client's `from_env()`
//! (`VESICASH_*`, `JPAY_*`, `PAYONIFY_*`). `--sandbox` runs against the embedded simulator instead,
//! offline and with no credentials. Exit codes: 0 when every payout has a definite answer, 1 when
//! something needs a person (an unknown outcome, a malformed row, a refused payout in `payout`),
//! 2 on bad usage or configuration.

mod args;
mod batch_cmd;
mod csv_rows;
mod output;
mod single;
mod target;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Payout(args) => single::payout(args).await,
        Command::Status(args) => single::status(args).await,
        Command::Batch(args) => batch_cmd::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("disburse: {error}");
            ExitCode::from(2)
        }
    }
}
