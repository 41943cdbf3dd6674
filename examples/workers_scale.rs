//! How payouts per second grow with the number of worker processes sharing one batch on one
//! PostgreSQL store, against a sandbox whose payout endpoint answers after a fixed latency.
//!
//! ```text
//! scripts/with-postgres sh -c 'cargo run --release --all-features --example workers_scale -- \
//!     --store "$DISBURSE_TEST_POSTGRES_URL" --payouts 3000 --concurrency 16 --latency-ms 50 \
//!     --workers 1,3 --rounds 5'
//! ```
//!
//! This process starts the in-process sandbox (Payonify; every `POST /v1/payouts` delayed by
//! `--latency-ms`, `Fault::Latency`), then, `--rounds` times, for each worker count W in turn
//! (so the counts alternate and share the machine's load alike) runs one batch of N payouts
//! with W copies of itself (`--worker`), each a `BatchRunner` over the same N rows in the same
//! batch with its own `--concurrency` (per worker), all against the same store; it waits for
//! them all. The wall time is from the first spawn to the last exit (process start-up
//! included), and a round fails unless the sandbox's ledger then holds each of the batch's
//! references exactly once. It prints each run with the load average before and after it, then
//! payouts/s per worker count (every round and the median) and the ratio of the last count to
//! the first: per round, their median, and the ratio of the medians.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use disburse::batch::BatchRunner;
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::sandbox::{Fault, PAYONIFY_CREDENTIALS, Route, Sandbox, sandbox_http_config};
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

fn arg(name: &str, default: u64) -> u64 {
    arg_text(name)
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn request(batch: &str, i: u64) -> PayoutRequest {
    PayoutRequest::new(
        Reference::new(format!("{batch}-{i:07}")).expect("reference"),
        Money::from_minor_units(100 + (i % 5000) as i64, Currency::USD).expect("amount"),
        Destination::mobile(
            Msisdn::parse(&format!("+26377{:06}9", i % 1_000_000)).expect("msisdn"),
        ),
    )
}

/// One worker process: the whole batch through the store, printing its outcome counts.
async fn worker(store: &str, base: &str, batch: &str, payouts: u64, concurrency: usize) {
    let lease = Duration::from_millis(arg("--lease-ms", 3000));
    let store = Arc::new(Store::open(store).await.expect("store").with_lease(lease));
    let provider: Arc<dyn PayoutProvider> = Arc::new(
        PayonifyClient::new(
            PayonifyConfig::new(
                SecretString::from(PAYONIFY_CREDENTIALS.publishable_key),
                SecretString::from(PAYONIFY_CREDENTIALS.secret_key),
                SecretString::from(PAYONIFY_CREDENTIALS.webhook_secret),
            )
            .with_base_url(format!("{base}/payonify"))
            .with_http(sandbox_http_config()),
        )
        .expect("client"),
    );
    let runner = BatchRunner::new(provider, store)
        .batch(batch)
        .concurrency(concurrency);
    let mut counts: HashMap<&'static str, u64> = HashMap::new();
    let mut items = Box::pin(runner.run_iter((0..payouts).map(|i| request(batch, i))));
    while let Some(item) = items.next().await {
        if let Some(error) = item.outcome.error() {
            eprintln!("{}: {error}", item.reference);
        }
        *counts.entry(item.outcome.as_str()).or_default() += 1;
    }
    let mut counts: Vec<_> = counts.into_iter().collect();
    counts.sort();
    println!("{counts:?}");
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// The load average (1, 5, 15 minutes), as `uptime` prints it.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".to_owned())
}

/// One batch of `payouts` with `workers` worker processes; its payouts/s.
#[allow(clippy::too_many_arguments)]
async fn run_once(
    sandbox: &Sandbox,
    store: &str,
    base: &str,
    workers: u64,
    payouts: u64,
    concurrency: usize,
    latency: Duration,
    round: u64,
) -> Result<f64, Box<dyn std::error::Error>> {
    let exe = std::env::current_exe()?;
    let batch = format!("ws-{}-{round}-{workers}", std::process::id());
    let load_before = load_average();
    let started = Instant::now();
    let children = (0..workers)
        .map(|_| {
            Command::new(&exe)
                .args([
                    "--worker", "--store", store, "--base", base, "--batch", &batch,
                ])
                .args(["--payouts", &payouts.to_string()])
                .args(["--concurrency", &concurrency.to_string()])
                .args(["--lease-ms", &arg("--lease-ms", 3000).to_string()])
                .stdout(Stdio::piped())
                .spawn()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let outputs = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| child.wait_with_output())
            .collect::<Result<Vec<_>, _>>()
    })
    .await??;
    let wall = started.elapsed();
    for output in &outputs {
        if !output.status.success() {
            return Err(format!("a worker failed: {:?}", output.status).into());
        }
    }
    // Every reference of the batch exactly once in the sandbox's ledger.
    let mut paid: HashMap<String, u32> = HashMap::new();
    for entry in sandbox.ledger(disburse::ProviderId::PAYONIFY) {
        if let Some(reference) = entry
            .reference
            .filter(|r| r.starts_with(&format!("{batch}-")))
        {
            *paid.entry(reference).or_default() += 1;
        }
    }
    let once = (0..payouts)
        .filter(|i| paid.get(request(&batch, *i).reference.as_str()) == Some(&1))
        .count() as u64;
    if once != payouts || paid.len() as u64 != payouts {
        return Err(format!(
            "{batch}: {once} of {payouts} references paid exactly once, {} in the ledger",
            paid.len()
        )
        .into());
    }
    let per_second = payouts as f64 / wall.as_secs_f64();
    let split: Vec<String> = outputs
        .iter()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .collect();
    println!(
        "round {round} | workers {workers} | payouts {payouts} | concurrency {concurrency} per worker | \
         latency {latency:?} | wall {wall:>8.2?} | {per_second:>6.0} payouts/s | each paid once | \
         load before {load_before}, after {} | per worker: {}",
        load_average(),
        split.join(" / ")
    );
    Ok(per_second)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let store = arg_text("--store")
        .or_else(|| std::env::var("DISBURSE_TEST_POSTGRES_URL").ok())
        .ok_or("--store postgres://… (or DISBURSE_TEST_POSTGRES_URL)")?;
    let payouts = arg("--payouts", 6000);
    let concurrency = arg("--concurrency", 16) as usize;
    if std::env::args().any(|a| a == "--worker") {
        let base = arg_text("--base").ok_or("--base")?;
        let batch = arg_text("--batch").ok_or("--batch")?;
        worker(&store, &base, &batch, payouts, concurrency).await;
        return Ok(());
    }
    let latency = Duration::from_millis(arg("--latency-ms", 50));
    let counts: Vec<u64> = arg_text("--workers")
        .unwrap_or_else(|| "1,3".to_owned())
        .split(',')
        .map(|n| n.trim().parse())
        .collect::<Result<_, _>>()?;

    let sandbox = Sandbox::builder()
        .settle_after(Duration::ZERO)
        .start()
        .await?;
    sandbox.set_balance(
        disburse::ProviderId::PAYONIFY,
        Money::parse("1000000000", Currency::USD)?,
    );
    sandbox.inject(
        disburse::ProviderId::PAYONIFY,
        Route::post("/v1/payouts"),
        Fault::Latency(latency),
        u32::MAX,
    );
    // Migrated once before the workers start.
    Store::open(&store).await?.close().await;
    let base = sandbox.base_url();
    let rounds = arg("--rounds", 1).max(1);
    // rates[k]: payouts/s of each round for the k-th worker count.
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); counts.len()];
    for round in 1..=rounds {
        for (k, &workers) in counts.iter().enumerate() {
            let rate = run_once(
                &sandbox,
                &store,
                &base,
                workers,
                payouts,
                concurrency,
                latency,
                round,
            )
            .await?;
            rates[k].push(rate);
        }
        if let (Some(first), Some(last)) = (rates.first(), rates.last()) {
            println!(
                "round {round}: {} / {} workers: {:.2}",
                counts[counts.len() - 1],
                counts[0],
                last[last.len() - 1] / first[first.len() - 1]
            );
        }
    }
    for (k, workers) in counts.iter().enumerate() {
        let all: Vec<String> = rates[k].iter().map(|r| format!("{r:.0}")).collect();
        println!(
            "workers {workers}: payouts/s per round [{}], median {:.0}",
            all.join(", "),
            median(&rates[k])
        );
    }
    if let (Some(first), Some(last)) = (rates.first(), rates.last()) {
        let ratios: Vec<f64> = first.iter().zip(last).map(|(f, l)| l / f).collect();
        let all: Vec<String> = ratios.iter().map(|r| format!("{r:.2}")).collect();
        println!(
            "last / first per round [{}], median {:.2}; ratio of the medians {:.2}",
            all.join(", "),
            median(&ratios),
            median(last) / median(first)
        );
    }
    Ok(())
}
