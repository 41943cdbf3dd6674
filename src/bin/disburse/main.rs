//! `disburse`: payouts from the command line.
//!
//! ```text
//! disburse payout --provider jpay --reference order-1 --amount 100 --currency KES --to +254712345678
//! disburse status --provider jpay --reference order-1
//! disburse batch payouts.csv --provider jpay --concurrency 32 --wait
//! disburse status --batch payouts.csv
//! disburse reconcile --batch payouts.csv
//! ```
//!
//! Credentials come from the same environment variables as each client's `from_env()`
//! (`VESICASH_*`, `JPAY_*`, `PAYONIFY_*`, `MTN_MOMO_*`, `MPESA_DARAJA_*`); the variables `disburse-sandbox`
//! prints point it at a running sandbox. `--sandbox` runs against an embedded simulator instead
//! (feature `sandbox`), offline and with no credentials. The exit codes are in
//! [`exit`] and in `disburse --help`.

mod args;
mod batch_cmd;
#[cfg(feature = "sandbox")]
mod callback_receiver;
mod csv_rows;
mod exit;
mod follow;
mod interrupt;
mod output;
mod reconcile_cmd;
mod results;
mod single;
mod status_batch;
mod store_url;
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
        Command::Reconcile(args) => reconcile_cmd::run(args).await,
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            eprintln!("disburse: {}", output::with_cause(&error));
            ExitCode::from(exit::USAGE)
        }
    }
}
