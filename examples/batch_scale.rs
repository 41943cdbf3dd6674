//! How the batch engine's cost grows with the batch: N Payonify payouts through
//! `disburse::batch::BatchRunner` with a payout store, against the overhead benchmark's local
//! canned-response server, with the input generated lazily (never collected). Prints wall time,
//! payouts per second and the process's peak RSS (VmHWM), so runs at different N can be compared.
//!
//! ```text
//! cargo run --release --example batch_scale -- --payouts 100000 --concurrency 64 [--store URL] [--rate R]
//! ```
//!
//! `--store` is the payout store (default: an SQLite file in a temporary directory;
//! `sqlite::memory:`, or `postgres://…` for a PostgreSQL server; references carry the process
//! id, so runs against one server do not meet). `--rate R` sets the client-side limit of R payouts started per second.
//!
//! Run one process per N: peak RSS is per process.

// The overhead benchmark's server, its inputs module (which the server reads to recognise
// payout 0) and its VmHWM reader; this example uses only part of each.
#[path = "overhead/inputs.rs"]
#[allow(dead_code)]
mod inputs;
#[path = "overhead/server.rs"]
#[allow(dead_code)]
mod server;
#[path = "overhead/stats.rs"]
#[allow(dead_code)]
mod stats;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use disburse::batch::BatchRunner;
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::sandbox::PAYONIFY_CREDENTIALS;
use disburse::store::Store;
use disburse::{Currency, Destination, Money, Msisdn, PayoutProvider, PayoutRequest, Reference};
use futures_util::StreamExt;
use secrecy::SecretString;

fn arg_text(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn arg(name: &str, default: usize) -> usize {
    arg_text(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn request(i: usize) -> PayoutRequest {
    PayoutRequest::new(
        Reference::new(format!("scale-{}-{i:07}", std::process::id())).expect("reference"),
        Money::from_minor_units(100 + (i % 5000) as i64, Currency::USD).expect("amount"),
        Destination::mobile(
            Msisdn::parse(&format!("+26377{:06}9", i % 1_000_000)).expect("msisdn"),
        ),
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let payouts = arg("--payouts", 10_000);
    let concurrency = arg("--concurrency", 64);
    let server = server::Server::start().await?;
    let config = PayonifyConfig::new(
        SecretString::from(PAYONIFY_CREDENTIALS.publishable_key),
        SecretString::from(PAYONIFY_CREDENTIALS.secret_key),
        SecretString::from(PAYONIFY_CREDENTIALS.webhook_secret),
    )
    .with_base_url(server.base_url());
    let provider: Arc<dyn PayoutProvider> = Arc::new(PayonifyClient::new(config)?);

    let dir = std::env::temp_dir().join(format!("disburse-batch-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let store_path = dir.join("payouts.db");
    let url = arg_text("--store").unwrap_or_else(|| format!("sqlite://{}", store_path.display()));
    let store = Store::open(&url).await?;
    let backend = format!("{store:?}");
    let store = Arc::new(store);
    let rss_before = stats::peak_rss_kib().unwrap_or(0);

    let rate = arg_text("--rate").and_then(|r| r.parse::<u32>().ok());
    let runner = BatchRunner::new(provider, store)
        .concurrency(concurrency)
        .rate_limit(rate);
    let started = Instant::now();
    let sent = AtomicU64::new(0);
    let mut items = Box::pin(runner.run_iter((0..payouts).map(request)));
    while let Some(item) = items.next().await {
        if item.outcome.payout().is_some() {
            sent.fetch_add(1, Ordering::Relaxed);
        } else if let Some(error) = item.outcome.error() {
            eprintln!("{}: {error}", item.reference);
        }
    }
    let wall = started.elapsed();
    let counts = server.take_counts();
    let store_bytes = ["", "-wal"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", store_path.display())).ok())
        .map(|m| m.len())
        .sum::<u64>();
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "payouts {payouts:>7} | concurrency {concurrency} | rate limit {} | {} | sent {} | wall {:>8.2?} | {:>7.0} payouts/s | \
         peak RSS {:>6} KiB (before the batch {} KiB) | connections {} | store file {} KiB",
        rate.map_or("none".to_owned(), |r| format!("{r}/s")),
        backend,
        sent.load(Ordering::Relaxed),
        wall,
        payouts as f64 / wall.as_secs_f64(),
        stats::peak_rss_kib().unwrap_or(0),
        rss_before,
        counts.connections,
        store_bytes / 1024,
    );
    Ok(())
}
