//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use disburse::ProviderId;

/// Payouts and refunds over Vesicash, JPay and Payonify.
#[derive(Debug, Parser)]
#[command(name = "disburse", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sends one payout and prints the provider's record as JSON.
    Payout(PayoutArgs),
    /// Prints a payout's status, by provider id or by merchant reference.
    Status(StatusArgs),
    /// Sends every row of a CSV file, with a progress bar, a results CSV and a payout store to
    /// resume (and to share a batch between workers).
    Batch(BatchArgs),
}

/// Which provider, and whether to use the embedded sandbox.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The provider.
    #[arg(long, value_enum)]
    pub provider: ProviderName,
    /// Runs against the embedded sandbox (offline, no credentials) instead of the provider.
    #[arg(long)]
    pub sandbox: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProviderName {
    Vesicash,
    Jpay,
    Payonify,
    /// MTN MoMo (Disbursement); in the sandbox, target environment `sandbox` (EUR, MTN's test
    /// numbers such as +46733123999).
    MtnMomo,
}

impl ProviderName {
    pub fn id(self) -> ProviderId {
        match self {
            ProviderName::Vesicash => ProviderId::VESICASH,
            ProviderName::Jpay => ProviderId::JPAY,
            ProviderName::Payonify => ProviderId::PAYONIFY,
            ProviderName::MtnMomo => ProviderId::MTN_MOMO,
        }
    }
}

/// One payout; the same fields as a CSV row.
#[derive(Debug, Args)]
pub struct PayoutArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The merchant reference (the idempotency key): 1-50 of A-Z a-z 0-9 _ -.
    #[arg(long)]
    pub reference: String,
    /// The amount, as a decimal (`100`, `12.50`).
    #[arg(long)]
    pub amount: String,
    /// The ISO 4217 currency (`KES`, `USD`, `ZWG`, `ZMW`, `NGN`, `UGX`, `EUR` …).
    #[arg(long)]
    pub currency: String,
    /// A mobile-money number, E.164 or national.
    #[arg(long, conflicts_with_all = ["account", "bank_code"])]
    pub to: Option<String>,
    /// A bank account number (with `--bank-code` and `--country`).
    #[arg(long, requires_all = ["bank_code", "country"])]
    pub account: Option<String>,
    /// The bank's code.
    #[arg(long)]
    pub bank_code: Option<String>,
    /// The ISO 3166 alpha-2 country of a bank account, or of a national phone number.
    #[arg(long)]
    pub country: Option<String>,
    /// A narration shown to the provider.
    #[arg(long)]
    pub narration: Option<String>,
    /// The provider's channel code (JPay).
    #[arg(long)]
    pub channel: Option<String>,
    /// Where the provider reports the outcome (JPay requires one).
    #[arg(long, env = "DISBURSE_CALLBACK_URL")]
    pub callback_url: Option<String>,
    /// After creating, waits up to this many seconds for the final status.
    #[arg(long, value_name = "SECONDS")]
    pub wait: Option<u64>,
}

/// A status lookup.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// The provider's payout id.
    #[arg(
        long,
        required_unless_present = "reference",
        conflicts_with = "reference"
    )]
    pub id: Option<String>,
    /// The merchant reference (providers that can look one up).
    #[arg(long)]
    pub reference: Option<String>,
}

/// A CSV batch.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The CSV file: a header row, then one payout per row. Columns: reference, amount, currency,
    /// and msisdn or (bank_code, account_number, country); optional: country (for national
    /// numbers), narration, channel, callback_url.
    pub file: PathBuf,
    #[command(flatten)]
    pub target: TargetArgs,
    /// Payouts in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// At most this many payouts started per second (halved on a 429, then recovering).
    #[arg(long)]
    pub rate: Option<u32>,
    /// The payout store: `sqlite://PATH` or `postgres://user:password@host/db` (default: the
    /// SQLite file `payouts.db` in `$XDG_DATA_HOME/disburse`, else `~/.local/share/disburse`).
    /// One store for every file and batch: a reference it holds is never sent again.
    #[arg(long, env = "DISBURSE_STORE")]
    pub store: Option<String>,
    /// The batch name (default: the file's name): workers running the same batch on one
    /// PostgreSQL store share its rows and take over those of a worker that died.
    #[arg(long)]
    pub batch: Option<String>,
    /// Seconds a worker holds its rows after its last heartbeat (every worker of a batch must
    /// use the same).
    #[arg(long, default_value_t = 30)]
    pub lease_secs: u64,
    /// The results CSV (default: FILE with `.results.csv` appended).
    #[arg(long)]
    pub results: Option<PathBuf>,
    /// The callback URL for rows without one (JPay requires one per payout).
    #[arg(long, env = "DISBURSE_CALLBACK_URL")]
    pub callback_url: Option<String>,
    /// No progress bar (for logs and scripts).
    #[arg(long)]
    pub quiet: bool,
}
