//! Several worker processes, one store, one `disburse-sandbox` process: payouts across the three
//! providers, one worker killed with SIGKILL a third of the way in. PostgreSQL: three workers at
//! once, the survivors take over the dead one's items. SQLite: one worker, killed and run again.
//!
//! Every process is a real one: the sandbox is the crate's `disburse-sandbox` binary, steered and
//! read over its control endpoints (`/_sandbox/balances`, `/_sandbox/faults`,
//! `/_sandbox/ledger`), and the workers are this test binary started again, pointed at the base
//! URLs the sandbox printed.
//!
//! The default run sends 300 payouts per provider; `DISBURSE_WORKER_PAYOUTS=full` sends 10,000
//! per provider (30,000 in all; run by hand, RELIABILITY.md); a number sends that many per
//! provider.
#![cfg(all(feature = "sandbox", feature = "sqlite", feature = "postgres"))]

mod batch_support;
mod pg_support;
mod sandbox_process;

use std::collections::{BTreeMap, HashMap};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use batch_support::{collect, jpay_client_for, reference};
use disburse::batch::BatchRunner;
use disburse::config::Environment;
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{VesicashClient, VesicashConfig};
use disburse::sandbox::{PAYONIFY_CREDENTIALS, VESICASH_CREDENTIALS, sandbox_http_config};
use disburse::store::{ItemState, Store};
use disburse::{
    CallbackUrl, Currency, Destination, Money, Msisdn, PayoutProvider, PayoutRequest, ProviderId,
};
use reqwest::Method;
use sandbox_process::Running;
use secrecy::SecretString;
use serde_json::{Value, json};

const BATCH: &str = "workers";
const LEASE: Duration = Duration::from_secs(3);
const POSTS: [(ProviderId, &str); 3] = [
    (ProviderId::JPAY, "/payments/payouts/initiate"),
    (ProviderId::PAYONIFY, "/v1/payouts"),
    (ProviderId::VESICASH, "/v1/payment/payout/process"),
];

const ENV_STORE: &str = "DISBURSE_WORKERS_TEST_STORE";
const ENV_COUNT: &str = "DISBURSE_WORKERS_TEST_COUNT";
/// The sandbox's printed base URLs a worker reads, each provider alone on its own port.
const BASE_URLS: [&str; 3] = ["JPAY_BASE_URL", "PAYONIFY_BASE_URL", "VESICASH_BASE_URL"];

fn per_provider() -> usize {
    match std::env::var("DISBURSE_WORKER_PAYOUTS").as_deref() {
        Ok("full") => 10_000,
        Ok(n) => n.parse().unwrap_or(300),
        Err(_) => 300,
    }
}

/// The `i`th payout of `provider`: recipients end in 6000–9999 (never a scripted outcome).
fn request(provider: ProviderId, i: usize) -> PayoutRequest {
    let (block, last4) = (i / 4000, 6000 + i % 4000);
    let text = format!("wk-{provider}-{i:05}");
    match provider {
        ProviderId::JPAY => PayoutRequest::new(
            reference(&text),
            Money::parse("150.00", Currency::KES).expect("amount"),
            Destination::mobile(
                Msisdn::parse(&format!("+25471{block:03}{last4:04}")).expect("number"),
            ),
        )
        .with_callback_url(CallbackUrl::parse(batch_support::NOWHERE).expect("url")),
        ProviderId::PAYONIFY => PayoutRequest::new(
            reference(&text),
            Money::parse("5.00", Currency::USD).expect("amount"),
            Destination::mobile(
                Msisdn::parse(&format!("+26377{block:03}{last4:04}")).expect("number"),
            ),
        ),
        _ => PayoutRequest::new(
            reference(&text),
            Money::parse("25.00", Currency::ZMW).expect("amount"),
            Destination::mobile(
                Msisdn::parse(&format!("+26097{block:03}{last4:04}")).expect("number"),
            ),
        )
        .with_narration(format!("payroll {text}")),
    }
}

fn requests(provider: ProviderId, count: usize) -> Vec<PayoutRequest> {
    (0..count).map(|i| request(provider, i)).collect()
}

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

/// The three clients of a worker, for the sandbox process's base URLs (as it printed them).
fn clients(base: &HashMap<&str, String>) -> Vec<Arc<dyn PayoutProvider>> {
    let payonify = PayonifyClient::new(
        PayonifyConfig::new(
            secret(PAYONIFY_CREDENTIALS.publishable_key),
            secret(PAYONIFY_CREDENTIALS.secret_key),
            secret(PAYONIFY_CREDENTIALS.webhook_secret),
        )
        .with_base_url(base["PAYONIFY_BASE_URL"].clone())
        .with_http(sandbox_http_config()),
    )
    .expect("client");
    let vesicash = VesicashClient::new(
        VesicashConfig::new(
            secret(VESICASH_CREDENTIALS.secret_key),
            secret(VESICASH_CREDENTIALS.public_key),
            secret(VESICASH_CREDENTIALS.webhook_secret),
            Environment::Custom(base["VESICASH_BASE_URL"].clone()),
        )
        .with_http(sandbox_http_config()),
    )
    .expect("client");
    vec![
        Arc::new(jpay_client_for(&base["JPAY_BASE_URL"])),
        Arc::new(payonify),
        Arc::new(vesicash),
    ]
}

/// The worker process: the three providers' batches against the parent's sandbox and store,
/// until the parent kills it or the batch is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started as a worker process by the tests below"]
async fn worker_process() {
    let (Ok(url), Ok(count)) = (std::env::var(ENV_STORE), std::env::var(ENV_COUNT)) else {
        eprintln!("not started by a parent test; nothing to do");
        return;
    };
    let count: usize = count.parse().expect("count");
    let base: HashMap<&str, String> = BASE_URLS
        .iter()
        .map(|name| {
            (
                *name,
                std::env::var(name).expect("a base URL from the parent"),
            )
        })
        .collect();
    let store = Arc::new(Store::open(&url).await.expect("store").with_lease(LEASE));
    let runs = clients(&base).into_iter().map(|provider| {
        let store = store.clone();
        async move {
            let id = provider.id();
            let runner = BatchRunner::new(provider, store)
                .batch(BATCH)
                .concurrency(8);
            // A row another worker held is reported `elsewhere` when this one reached it, and
            // again by the sweep if this one took it over after that worker died.
            let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
            for item in collect(runner.run_iter(requests(id, count))).await {
                *counts.entry(item.outcome.as_str()).or_default() += 1;
            }
            (id, counts)
        }
    });
    for (id, counts) in futures_util::future::join_all(runs).await {
        println!("{id}: {counts:?}");
    }
}

/// A worker process; SIGKILLed when dropped unfinished (a failing test leaves none behind).
struct Worker(Child);

impl Drop for Worker {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn spawn_worker(url: &str, sandbox: &Running, count: usize) -> Worker {
    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["worker_process", "--exact", "--ignored", "--nocapture"])
        .env(ENV_STORE, url)
        .env(ENV_COUNT, count.to_string())
        .envs(BASE_URLS.map(|name| (name, sandbox.var(name))))
        .stdout(Stdio::null())
        // A surviving worker's panic shows in the test's output.
        .stderr(Stdio::inherit())
        .spawn()
        .expect("worker starts");
    Worker(child)
}

/// Waits for a worker to exit, on the blocking pool, within `limit`.
async fn finish(mut worker: Worker, limit: Duration) {
    let status = tokio::task::spawn_blocking(move || {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = worker.0.try_wait().expect("wait") {
                return status;
            }
            // Dropping the worker kills it.
            assert!(
                Instant::now() < deadline,
                "a worker did not finish within {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    })
    .await
    .expect("waited");
    assert!(status.success(), "a surviving worker failed: {status:?}");
}

/// The `disburse-sandbox` process and one HTTP client for its control endpoints (one per test:
/// a client's pooled connections belong to the runtime that made them).
struct Sandbox {
    process: Running,
    http: reqwest::Client,
}

impl Sandbox {
    /// Payouts settle at once; started on the blocking pool, which waits for `# ready`.
    async fn start() -> Sandbox {
        let process = tokio::task::spawn_blocking(|| {
            sandbox_process::start(&["--port", "0", "--settle-ms", "0"])
        })
        .await
        .expect("started");
        let http = reqwest::Client::builder()
            .no_proxy()
            // Generous: the whole ledger of a full run is megabytes on a busy machine.
            .timeout(Duration::from_secs(120))
            .build()
            .expect("client");
        Sandbox { process, http }
    }

    /// The control endpoint `path`'s JSON answer to `method` with `body`, after checking its
    /// status.
    async fn control(&self, method: Method, path: &str, body: Option<Value>, status: u16) -> Value {
        let mut request = self.http.request(method, self.process.control(path));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the sandbox answers");
        assert_eq!(response.status().as_u16(), status, "{path}: {response:?}");
        response.json().await.expect("a JSON answer")
    }

    /// How many entries the ledger holds (`GET /_sandbox/ledger/count`).
    async fn ledger_total(&self) -> u64 {
        let answer = self.control(Method::GET, "/ledger/count", None, 200).await;
        answer["count"].as_u64().expect("a count")
    }
}

/// One payout in the sandbox's ledger, as `GET /_sandbox/ledger` lists it.
#[derive(Debug)]
struct Paid {
    id: String,
    /// The merchant reference it carries (Vesicash's is in the narration).
    reference: String,
    amount: Money,
}

/// The provider's payouts in the sandbox's ledger (`GET /_sandbox/ledger?provider=`).
async fn ledger_payouts(sandbox: &Sandbox, provider: ProviderId) -> Vec<Paid> {
    let path = format!("/ledger?provider={}", provider.as_str());
    let answer = sandbox.control(Method::GET, &path, None, 200).await;
    let text = |entry: &Value, field: &str| -> String {
        entry[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} in {entry}"))
            .to_owned()
    };
    answer["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|entry| {
            assert_eq!(entry["provider"], json!(provider.as_str()), "{entry}");
            assert_eq!(entry["kind"], "payout", "{entry}");
            let currency: Currency = text(entry, "currency").parse().expect("a currency");
            Paid {
                id: text(entry, "id"),
                reference: entry_reference(&text(entry, "reference")),
                amount: Money::parse(&text(entry, "amount"), currency).expect("an amount"),
            }
        })
        .collect()
}

/// The worker payout reference in what the provider saw as the merchant reference (Vesicash's
/// narration says `payroll wk-…`).
fn entry_reference(seen: &str) -> String {
    let start = seen
        .find("wk-")
        .unwrap_or_else(|| panic!("not a worker payout: {seen:?}"));
    seen[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Every JPay and Payonify reference paid exactly once and every Vesicash one at most once;
/// the store agrees with the ledger row for row; the unresolved rows are listed with their data.
async fn check(sandbox: &Sandbox, store: &Store, count: usize) -> BTreeMap<String, u64> {
    let stored = store.items(BATCH, None).await.expect("the batch");
    assert_eq!(stored.len(), 3 * count, "one row per request");
    for (provider, _) in POSTS {
        let mut ledger: HashMap<String, Vec<Paid>> = HashMap::new();
        for entry in ledger_payouts(sandbox, provider).await {
            ledger
                .entry(entry.reference.clone())
                .or_default()
                .push(entry);
        }
        let expected = requests(provider, count);
        for request in &expected {
            let paid = ledger.get(request.reference.as_str()).map_or(0, Vec::len);
            if provider == ProviderId::VESICASH {
                assert!(
                    paid <= 1,
                    "{provider} {}: paid {paid} times",
                    request.reference
                );
            } else {
                assert_eq!(paid, 1, "{provider} {}", request.reference);
            }
        }
        let strays: Vec<&String> = ledger
            .keys()
            .filter(|r| !r.starts_with(&format!("wk-{provider}-")))
            .collect();
        assert!(strays.is_empty(), "only this batch's payouts: {strays:?}");
        let rows: Vec<_> = stored
            .iter()
            .filter(|i| i.provider == provider.as_str())
            .collect();
        assert_eq!(rows.len(), count);
        let mut paid_rows = 0;
        for row in rows {
            let reference = row.request.reference.as_str();
            let entries = ledger.get(reference).map(Vec::as_slice).unwrap_or(&[]);
            match row.record.state {
                ItemState::Sent | ItemState::Reconciled => {
                    assert_eq!(entries.len(), 1, "{provider} {reference}: {row:?}");
                    assert_eq!(
                        row.record.payout_id.as_deref(),
                        Some(entries[0].id.as_str()),
                        "{provider} {reference}: the stored payout id is the ledger's"
                    );
                    assert_eq!(entries[0].amount, row.request.amount);
                    paid_rows += 1;
                }
                // In flight when its worker died, on a provider that cannot be asked: left for an
                // operator, with its data, never re-sent.
                ItemState::Unknown => {
                    assert_eq!(provider, ProviderId::VESICASH, "{reference}: {row:?}");
                    assert_eq!(row.request, request(provider, row.index as usize));
                    paid_rows += entries.len();
                }
                other => panic!("{provider} {reference}: left {other}: {row:?}"),
            }
        }
        assert_eq!(
            paid_rows,
            ledger.len(),
            "{provider}: every ledger payout has its row"
        );
    }
    let unknown = store
        .items(BATCH, Some(ItemState::Unknown))
        .await
        .expect("unknown");
    for item in &unknown {
        eprintln!(
            "needs reconciliation: {} {} {} {:?} ({} attempt): {}",
            item.provider,
            item.request.reference,
            item.request.amount,
            item.request.destination,
            item.attempts,
            item.record.detail.as_deref().unwrap_or("")
        );
    }
    store.count_by_state(BATCH).await.expect("counts")
}

/// Funds every provider for the whole run and makes each create take a few milliseconds, so
/// the kill lands with payouts in flight (`"times": "always"`: every create of the run).
async fn slow_sandbox_posts(sandbox: &Sandbox) {
    for ((provider, path), currency) in POSTS.into_iter().zip(["KES", "USD", "ZMW"]) {
        let balance = json!({"provider": provider.as_str(), "currency": currency,
                             "amount": "1000000000"});
        sandbox
            .control(Method::PUT, "/balances", Some(balance), 200)
            .await;
        let fault = json!({"provider": provider.as_str(), "fault": "latency", "ms": 3,
                           "method": "POST", "path": path, "times": "always"});
        let answer = sandbox
            .control(Method::POST, "/faults", Some(fault), 201)
            .await;
        assert_eq!(answer["times"], "always", "{answer}");
    }
}

async fn kill_a_third_of_the_way_in(sandbox: &Sandbox, workers: &mut Vec<Worker>, total: usize) {
    let total = total as u64;
    let deadline = Instant::now() + Duration::from_secs(1200);
    while sandbox.ledger_total().await < total / 3 {
        assert!(Instant::now() < deadline, "the workers made no progress");
        for worker in workers.iter_mut() {
            assert!(
                worker.0.try_wait().expect("wait").is_none(),
                "a worker ended before the kill"
            );
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut victim = workers.remove(0);
    victim.0.kill().expect("SIGKILL");
    victim.0.wait().expect("reaped");
    let at_kill = sandbox.ledger_total().await;
    assert!(
        at_kill < total,
        "killed a third of the way in, not at the end: {at_kill}"
    );
    eprintln!("killed a worker with {at_kill} of {total} payouts in the ledger");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_postgres_workers_one_killed_pay_every_reference_at_most_once() {
    let count = per_provider();
    let sandbox = Sandbox::start().await;
    slow_sandbox_posts(&sandbox).await;
    let db = pg_support::test_database("workers").await;
    // Migrate before the workers start, so their pools open on a ready schema.
    Store::open(&db.url).await.expect("store").close().await;

    let mut workers: Vec<Worker> = (0..3)
        .map(|_| spawn_worker(&db.url, &sandbox.process, count))
        .collect();
    kill_a_third_of_the_way_in(&sandbox, &mut workers, 3 * count).await;
    for worker in workers {
        finish(worker, Duration::from_secs(1500)).await;
    }

    let store = Store::open(&db.url).await.expect("store");
    let counts = check(&sandbox, &store, count).await;
    eprintln!("postgres, 3 workers, {count} per provider: {counts:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sqlite_worker_killed_and_run_again_pays_every_reference_at_most_once() {
    let count = per_provider();
    let sandbox = Sandbox::start().await;
    slow_sandbox_posts(&sandbox).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("payouts.db").display());

    let mut workers = vec![spawn_worker(&url, &sandbox.process, count)];
    kill_a_third_of_the_way_in(&sandbox, &mut workers, 3 * count).await;
    finish(
        spawn_worker(&url, &sandbox.process, count),
        Duration::from_secs(1500),
    )
    .await;

    let store = Store::open(&url).await.expect("store");
    let counts = check(&sandbox, &store, count).await;
    eprintln!("sqlite, killed and run again, {count} per provider: {counts:?}");
}
