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
//! id, so runs against one server do not meet), or `journal`: a copy of the file journal the
//! store replaced (`batch_scale/journal.rs`, here only), for the comparison in BENCHMARKS.md.
//! `--compare` runs the SQLite store and the journal one after the other in this process and
//! prints both rates and their ratio; `--rounds R` alternates them R times and prints each
//! round's ratio and their median. `--rate R` sets the client-side limit of R payouts started per second.
//!
//! Run one process per N: peak RSS is per process.

// The overhead benchmark's server, its inputs module (which the server reads to recognise
// payout 0) and its VmHWM reader; this example uses only part of each.
#[path = "overhead/inputs.rs"]
#[allow(dead_code)]
mod inputs;
#[path = "batch_scale/journal.rs"]
mod journal;
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
use disburse::store::{PayoutStore, Store};
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

fn request(run: &str, i: usize) -> PayoutRequest {
    PayoutRequest::new(
        Reference::new(format!("scale-{run}-{}-{i:07}", std::process::id())).expect("reference"),
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

    let rate = arg_text("--rate").and_then(|r| r.parse::<u32>().ok());
    let dir = std::env::temp_dir().join(format!("disburse-batch-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let sqlite = format!("sqlite://{}", dir.join("payouts.db").display());
    // `--rounds R` repeats the comparison R times, the two arms alternating, so a change in the
    // machine's load (or its disk's fsync latency) falls on both arms alike.
    let rounds = arg("--rounds", 1).max(1);
    let stores: Vec<String> = if std::env::args().any(|a| a == "--compare") {
        (0..rounds)
            .flat_map(|round| {
                let db = dir.join(format!("payouts-{round}.db"));
                [format!("sqlite://{}", db.display()), "journal".to_owned()]
            })
            .collect()
    } else {
        vec![arg_text("--store").unwrap_or(sqlite)]
    };
    let mut rates = Vec::new();
    for (run, url) in stores.iter().enumerate() {
        let (backend, store): (String, Arc<dyn PayoutStore>) = if url == "journal" {
            let path = dir.join(format!("journal-{run}.jsonl"));
            (
                "file journal (the replaced one)".to_owned(),
                Arc::new(journal::FileJournal::create(&path)?),
            )
        } else {
            let store = Store::open(url).await?;
            (format!("{store:?}"), Arc::new(store))
        };
        let rss_before = stats::peak_rss_kib().unwrap_or(0);
        let runner = BatchRunner::new(Arc::clone(&provider), store)
            .concurrency(concurrency)
            .rate_limit(rate);
        let started = Instant::now();
        let sent = AtomicU64::new(0);
        let tag = run.to_string();
        let mut items = Box::pin(runner.run_iter((0..payouts).map(|i| request(&tag, i))));
        while let Some(item) = items.next().await {
            if item.outcome.payout().is_some() {
                sent.fetch_add(1, Ordering::Relaxed);
            } else if let Some(error) = item.outcome.error() {
                eprintln!("{}: {error}", item.reference);
            }
        }
        drop(items);
        let wall = started.elapsed();
        let counts = server.take_counts();
        let store_bytes = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok()?.metadata().ok())
            .map(|m| m.len())
            .sum::<u64>();
        if stores.len() > 1 {
            // Each run's files go before the next run: their dirty pages are dropped, not
            // written back by the kernel while the next run waits for its own fsyncs.
            for entry in std::fs::read_dir(&dir)?.flatten() {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let per_second = payouts as f64 / wall.as_secs_f64();
        rates.push(per_second);
        println!(
            "payouts {payouts:>7} | concurrency {concurrency} | rate limit {} | {backend} | sent {} | wall {:>8.2?} | {:>7.0} payouts/s | \
             peak RSS {:>6} KiB (before the batch {} KiB) | connections {} | files {} KiB",
            rate.map_or("none".to_owned(), |r| format!("{r}/s")),
            sent.load(Ordering::Relaxed),
            wall,
            per_second,
            stats::peak_rss_kib().unwrap_or(0),
            rss_before,
            counts.connections,
            store_bytes / 1024,
        );
    }
    if stores.len() >= 2 && stores.len().is_multiple_of(2) {
        let mut ratios: Vec<f64> = rates.chunks(2).map(|pair| pair[0] / pair[1]).collect();
        let each: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        ratios.sort_by(f64::total_cmp);
        println!(
            "SQLite store / file journal, round by round: {}; median {:.2}",
            each.join(", "),
            ratios[ratios.len() / 2]
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
