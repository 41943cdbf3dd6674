//! The command line, as clap sees it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use disburse::ProviderId;

/// Payouts and refunds over Vesicash, JPay, Payonify, MTN MoMo and M-Pesa Daraja.
#[derive(Debug, Parser)]
#[command(name = "disburse", version, about, after_help = crate::exit::HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sends one payout and prints the provider's record as JSON.
    Payout(PayoutArgs),
    /// Prints a payout's status, by provider id or by merchant reference; or, with `--batch`,
    /// refreshes every payout of a batch from its providers into the store.
    Status(StatusArgs),
    /// Sends every row of a CSV file, with a progress bar, a results CSV and a payout store to
    /// resume (and to share a batch between workers).
    #[command(after_help = crate::exit::HELP)]
    Batch(BatchArgs),
    /// Resolves a batch's unknown outcomes with the providers, and lists what needs an operator.
    Reconcile(ReconcileArgs),
}

/// Which provider, and whether to use the embedded sandbox.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// The provider.
    #[arg(long, value_enum)]
    pub provider: ProviderName,
    /// Runs against the embedded sandbox (offline, no credentials) instead of the provider
    /// (needs a `disburse` built with the `sandbox` feature). To target a running
    /// `disburse-sandbox`, source the variables it prints instead.
    #[arg(long)]
    pub sandbox: bool,
}

/// Which providers a batch may use, and whether to use the embedded sandbox.
#[derive(Debug, Args)]
pub struct BatchTargetArgs {
    /// The provider of rows whose `provider` column is empty or absent.
    #[arg(long, value_enum)]
    pub provider: Option<ProviderName>,
    /// Runs against the embedded sandbox (offline, no credentials) instead of the providers
    /// (needs a `disburse` built with the `sandbox` feature).
    #[arg(long)]
    pub sandbox: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, ValueEnum)]
pub enum ProviderName {
    Vesicash,
    Jpay,
    Payonify,
    /// MTN MoMo (Disbursement); in the sandbox, target environment `sandbox` (EUR, MTN's test
    /// numbers such as +46733123999).
    MtnMomo,
    /// M-Pesa Daraja B2C (KES, whole shillings, Safaricom numbers); results arrive only by
    /// callback: with --sandbox the CLI receives them, otherwise they go to
    /// MPESA_DARAJA_RESULT_URL and `status` cannot learn them.
    MpesaDaraja,
}

impl ProviderName {
    pub fn id(self) -> ProviderId {
        match self {
            ProviderName::Vesicash => ProviderId::VESICASH,
            ProviderName::Jpay => ProviderId::JPAY,
            ProviderName::Payonify => ProviderId::PAYONIFY,
            ProviderName::MtnMomo => ProviderId::MTN_MOMO,
            ProviderName::MpesaDaraja => ProviderId::MPESA_DARAJA,
        }
    }

    /// The provider a CSV cell names (`payonify`, `JPay`, `mtn_momo`, `mtn-momo`,
    /// `mpesa_daraja`).
    pub fn parse(cell: &str) -> Option<ProviderName> {
        let cell = cell.trim().replace('_', "-");
        <ProviderName as ValueEnum>::from_str(&cell, true).ok()
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

/// A status lookup: one payout, or a whole batch.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The provider (for one payout).
    #[arg(long, value_enum, required_unless_present = "batch")]
    pub provider: Option<ProviderName>,
    /// Runs against the embedded sandbox (offline, no credentials) instead of the provider.
    #[arg(long)]
    pub sandbox: bool,
    /// The provider's payout id.
    #[arg(long, conflicts_with_all = ["reference", "batch"])]
    pub id: Option<String>,
    /// The merchant reference (providers that can look one up).
    #[arg(long, conflicts_with = "batch")]
    pub reference: Option<String>,
    /// A batch of the store: asks the providers for every payout of it that is not final yet,
    /// records what they say in the store and prints the batch.
    #[arg(long, required_unless_present_any = ["id", "reference"])]
    pub batch: Option<String>,
    /// The payout store (with `--batch`; see `disburse batch --help`).
    #[arg(long, env = "DISBURSE_STORE")]
    pub store: Option<String>,
}

/// Unknown outcomes, resolved.
#[derive(Debug, Args)]
pub struct ReconcileArgs {
    /// The batch whose unknown outcomes to resolve.
    #[arg(long)]
    pub batch: String,
    /// The payout store (see `disburse batch --help`).
    #[arg(long, env = "DISBURSE_STORE")]
    pub store: Option<String>,
    /// Runs against the embedded sandbox instead of the providers.
    #[arg(long)]
    pub sandbox: bool,
}

/// A CSV batch.
#[derive(Debug, Args)]
pub struct BatchArgs {
    /// The CSV file (comma-separated): a header row, then one payout per row. Columns:
    /// reference, amount, currency, and msisdn or (bank_code, account_number, country);
    /// optional: provider (vesicash, jpay, payonify, mtn_momo, mpesa_daraja; else --provider), country (for
    /// national numbers), narration, channel, callback_url.
    pub file: PathBuf,
    #[command(flatten)]
    pub target: BatchTargetArgs,
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
    /// After sending, follows every payout of the file to a final status (polling each
    /// provider, at most `--rate` per second, default 5), and writes the final status and
    /// failure reason into the results; gives up after SECONDS (default 600).
    #[arg(long, value_name = "SECONDS", num_args = 0..=1, default_missing_value = "600")]
    pub wait: Option<u64>,
    /// On the first Ctrl-C (SIGINT or SIGTERM), how long the requests already sent may take to
    /// finish before the batch stops anyway (they are then reconciled by the next run).
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub drain_secs: u64,
}
