//! End-to-end overhead of the SDK against hand-written `reqwest` code.
//!
//! ```text
//! cargo run --release --example overhead -- --payouts 10000 --concurrency 64 [--provider jpay]
//! ```
//!
//! A minimal local HTTP/1.1 server (keep-alive, canned provider answers from `fixtures/`) takes
//! N payouts twice in one run: once through the SDK (a real adapter client pointed at the
//! server) and once through hand-written `reqwest` code sending the same bytes (the first payout
//! request of each arm, and the token or countries call, are compared byte for byte from the
//! server's capture; the run fails if they differ). Both arms use the same concurrency (C worker
//! tasks pulling payout numbers from a shared counter, so memory does not grow with N) and a
//! `reqwest::Client` built the same way (user agent, connect timeout, default pool).
//!
//! Printed per arm: wall time, payouts per second, p50/p99 latency of one payout, peak RSS
//! (`VmHWM`, reset between arms through /proc/self/clear_refs), connections the server accepted,
//! HTTP requests, JPay token requests; then the SDK/raw wall-time ratio. Nothing leaves the
//! machine. The server runs in the same process, so its memory is in both arms' RSS alike.

mod inputs;
mod raw;
mod sdk;
mod server;
mod stats;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use inputs::Provider;
use server::{Counts, Server};
use stats::Histogram;

/// One way of sending payout number `index`.
pub trait Arm: Send + Sync + 'static {
    /// Sends payout number `index` and reads the answer.
    fn send(&self, index: usize) -> impl Future<Output = Result<(), String>> + Send;
}

struct Options {
    payouts: usize,
    concurrency: usize,
    providers: Vec<Provider>,
    raw_first: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: overhead [--payouts N] [--concurrency C] [--provider jpay|vesicash|payonify|all] \
         [--raw-first]"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let mut options = Options {
        payouts: 1000,
        concurrency: 64,
        providers: vec![Provider::Jpay, Provider::Vesicash, Provider::Payonify],
        raw_first: false,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match arg.as_str() {
            "--payouts" => options.payouts = value().parse().unwrap_or_else(|_| usage()),
            "--concurrency" => options.concurrency = value().parse().unwrap_or_else(|_| usage()),
            "--provider" => {
                options.providers = match value().as_str() {
                    "jpay" => vec![Provider::Jpay],
                    "vesicash" => vec![Provider::Vesicash],
                    "payonify" => vec![Provider::Payonify],
                    "all" => options.providers.clone(),
                    _ => usage(),
                }
            }
            "--raw-first" => options.raw_first = true,
            _ => usage(),
        }
    }
    if options.payouts == 0 || options.concurrency == 0 {
        usage();
    }
    options
}

struct ArmResult {
    wall: Duration,
    latency: Histogram,
    peak_rss_kib: Option<u64>,
    counts: Counts,
}

async fn run_arm<A: Arm>(arm: A, server: &Server, payouts: usize, concurrency: usize) -> ArmResult {
    let arm = Arc::new(arm);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency.min(payouts))
        .map(|_| {
            let arm = Arc::clone(&arm);
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                let mut latency = Histogram::new();
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    if index >= payouts {
                        return Ok::<Histogram, String>(latency);
                    }
                    let sent = Instant::now();
                    arm.send(index)
                        .await
                        .map_err(|e| format!("payout {index}: {e}"))?;
                    latency.record(sent.elapsed());
                }
            })
        })
        .collect();
    let mut latency = Histogram::new();
    for worker in workers {
        match worker.await {
            Ok(Ok(own)) => latency.merge(&own),
            Ok(Err(e)) => fail(&e),
            Err(e) => fail(&format!("worker panicked: {e}")),
        }
    }
    let wall = started.elapsed();
    // The client (and its pooled connections) goes away with the arm.
    drop(arm);
    ArmResult {
        wall,
        latency,
        peak_rss_kib: stats::peak_rss_kib(),
        counts: server.take_counts(),
    }
}

fn fail(message: &str) -> ! {
    eprintln!("overhead: {message}");
    std::process::exit(1)
}

fn print_arm(provider: Provider, name: &str, options: &Options, result: &ArmResult) {
    let secs = result.wall.as_secs_f64();
    println!(
        "{:<9} {:<4} {:>8} {:>5} {:>10.1} {:>10.0} {:>8} {:>8} {:>9} {:>6} {:>8} {:>6}",
        provider.name(),
        name,
        options.payouts,
        options.concurrency,
        secs * 1000.0,
        options.payouts as f64 / secs,
        result.latency.quantile(0.50).as_micros(),
        result.latency.quantile(0.99).as_micros(),
        result
            .peak_rss_kib
            .map_or_else(|| "n/a".to_owned(), |k| k.to_string()),
        result.counts.connections,
        result.counts.requests,
        result.counts.token_requests,
    );
}

/// The two arms must have put the same bytes on the wire.
fn compare_wire(provider: Provider, sdk: &Counts, raw: &Counts) {
    let mut keys: Vec<_> = sdk.first_requests.keys().collect();
    keys.sort();
    let mut raw_keys: Vec<_> = raw.first_requests.keys().collect();
    raw_keys.sort();
    if keys != raw_keys {
        fail(&format!(
            "{}: the arms called different routes: sdk {keys:?}, raw {raw_keys:?}",
            provider.name()
        ));
    }
    for key in keys {
        let (a, b) = (&sdk.first_requests[key], &raw.first_requests[key]);
        if a != b {
            fail(&format!(
                "{}: {key}: the arms sent different bytes\n--- sdk ---\n{}\n--- raw ---\n{}",
                provider.name(),
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b)
            ));
        }
    }
}

#[tokio::main]
async fn main() {
    let options = options();
    let server = Server::start()
        .await
        .unwrap_or_else(|e| fail(&format!("server: {e}")));
    let base = server.base_url();
    let rss_at_start = stats::rss_kib();
    let resets = stats::reset_peak_rss();
    println!(
        "# {} payouts, concurrency {}, {} runtime threads; RSS at start {} KiB; peak RSS reset between arms: {}",
        options.payouts,
        options.concurrency,
        tokio::runtime::Handle::current().metrics().num_workers(),
        rss_at_start.map_or_else(|| "n/a".to_owned(), |k| k.to_string()),
        if resets {
            "yes"
        } else {
            "no (peaks are cumulative)"
        },
    );
    println!(
        "{:<9} {:<4} {:>8} {:>5} {:>10} {:>10} {:>8} {:>8} {:>9} {:>6} {:>8} {:>6}",
        "provider",
        "arm",
        "payouts",
        "conc",
        "wall_ms",
        "payouts/s",
        "p50_us",
        "p99_us",
        "peak_KiB",
        "conns",
        "requests",
        "tokens"
    );
    for &provider in &options.providers {
        let sdk_arm = sdk::SdkArm::new(provider, &base).unwrap_or_else(|e| fail(&e));
        let raw_arm = raw::RawArm::new(provider, &base).unwrap_or_else(|e| fail(&e));
        let (sdk, raw) = if options.raw_first {
            stats::reset_peak_rss();
            let raw = run_arm(raw_arm, &server, options.payouts, options.concurrency).await;
            stats::reset_peak_rss();
            let sdk = run_arm(sdk_arm, &server, options.payouts, options.concurrency).await;
            (sdk, raw)
        } else {
            stats::reset_peak_rss();
            let sdk = run_arm(sdk_arm, &server, options.payouts, options.concurrency).await;
            stats::reset_peak_rss();
            let raw = run_arm(raw_arm, &server, options.payouts, options.concurrency).await;
            (sdk, raw)
        };
        compare_wire(provider, &sdk.counts, &raw.counts);
        print_arm(provider, "sdk", &options, &sdk);
        print_arm(provider, "raw", &options, &raw);
        println!(
            "{:<9} sdk/raw wall-time ratio {:.3}; wire bytes identical ({} routes compared)",
            provider.name(),
            sdk.wall.as_secs_f64() / raw.wall.as_secs_f64(),
            sdk.counts.first_requests.len()
        );
    }
}
