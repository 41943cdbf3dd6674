//! `disburse batch`: every row of a CSV file through the batch engine, with a progress bar, a
//! results CSV and a payout store that makes a re-run, another file or another worker send
//! nothing twice.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use disburse::batch::{BatchItem, BatchOutcome, BatchRunner, Progress};
use disburse::store::{ItemState, Store};
use disburse::{Error, ProviderId};
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::BatchArgs;
use crate::csv_rows::{Row, Rows};
use crate::output::{error_line, status_words};
use crate::target::Target;

/// The results file's columns.
const RESULTS_HEADER: [&str; 6] = [
    "line",
    "reference",
    "outcome",
    "payout_id",
    "status",
    "detail",
];

/// One line of the results file.
struct ResultLine<'a> {
    line: Option<u64>,
    reference: &'a str,
    outcome: &'static str,
    payout_id: &'a str,
    status: &'a str,
    detail: &'a str,
}

/// The results file, the line of each reference still in flight, and the tallies.
struct Results {
    writer: csv::Writer<std::fs::File>,
    /// The CSV line of each request handed to the engine, by its input index, until its result
    /// is written.
    lines: HashMap<u64, u64>,
    /// The input index the next valid row gets (invalid rows never reach the engine).
    next_index: u64,
    invalid: u64,
    tally: HashMap<&'static str, u64>,
}

impl Results {
    fn create(path: &Path) -> Result<Results, Error> {
        let mut writer = csv::Writer::from_path(path)
            .map_err(|e| Error::config(format!("cannot create {}: {e}", path.display())))?;
        writer
            .write_record(RESULTS_HEADER)
            .map_err(|e| Error::config(format!("cannot write {}: {e}", path.display())))?;
        Ok(Results {
            writer,
            lines: HashMap::new(),
            next_index: 0,
            invalid: 0,
            tally: HashMap::new(),
        })
    }

    fn write(&mut self, row: ResultLine<'_>) {
        let line = row.line.map(|l| l.to_string()).unwrap_or_default();
        *self.tally.entry(row.outcome).or_default() += 1;
        if let Err(error) = self.writer.write_record([
            line.as_str(),
            row.reference,
            row.outcome,
            row.payout_id,
            row.status,
            row.detail,
        ]) {
            eprintln!("disburse: cannot write a result line: {error}");
        }
    }

    fn take_line(&mut self, index: u64) -> Option<u64> {
        self.lines.remove(&index)
    }
}

pub async fn run(args: BatchArgs) -> Result<ExitCode, Error> {
    let target = Target::connect(&args.target).await?;
    let default_callback = args
        .callback_url
        .clone()
        .or_else(|| target.default_callback());
    let total = count_rows(&args.file, default_callback.clone())?;
    let rows = Rows::open(&args.file, default_callback).map_err(Error::config)?;
    let store_url = match &args.store {
        Some(url) => url.clone(),
        None => default_store()?,
    };
    let batch = args.batch.clone().unwrap_or_else(|| {
        args.file
            .file_name()
            .map_or_else(|| "batch".to_owned(), |n| n.to_string_lossy().into_owned())
    });
    let results_path = args
        .results
        .clone()
        .unwrap_or_else(|| with_suffix(&args.file, ".results.csv"));
    let store = Arc::new(
        Store::open(&store_url)
            .await?
            .with_lease(std::time::Duration::from_secs(args.lease_secs.max(1))),
    );
    let results = Arc::new(Mutex::new(Results::create(&results_path)?));

    let bar = progress_bar(total, args.quiet);
    let runner = BatchRunner::new(target.provider.clone(), store.clone())
        .batch(batch.clone())
        .concurrency(args.concurrency.max(1))
        .rate_limit(args.rate)
        .on_progress({
            let bar = bar.clone();
            let results = Arc::clone(&results);
            move |progress: &Progress| {
                let invalid = results.lock().map_or(0, |r| r.invalid);
                bar.set_position(progress.completed + invalid);
                bar.set_message(format!(
                    "sent {} · skipped {} · reconciled {} · failed {} · unknown {} · invalid {}",
                    progress.sent,
                    progress.skipped,
                    progress.reconciled,
                    progress.failed,
                    progress.unknown,
                    invalid
                ));
            }
        });

    let requests = futures_util::stream::iter(rows).filter_map({
        let results = Arc::clone(&results);
        let bar = bar.clone();
        move |row: Row| {
            let mut results = results.lock().expect("results lock");
            let request = match row.request {
                Ok(request) => {
                    let index = results.next_index;
                    results.next_index += 1;
                    results.lines.insert(index, row.line);
                    Some(request)
                }
                Err(message) => {
                    bar.suspend(|| eprintln!("line {}: {message}", row.line));
                    results.invalid += 1;
                    results.write(ResultLine {
                        line: Some(row.line),
                        reference: row.reference.as_deref().unwrap_or(""),
                        outcome: "invalid",
                        payout_id: "",
                        status: "",
                        detail: &message,
                    });
                    bar.inc(1);
                    None
                }
            };
            std::future::ready(request)
        }
    });

    let mut items = Box::pin(runner.run(requests));
    let mut stopped: Option<Error> = None;
    while let Some(item) = items.next().await {
        let mut results = results.lock().expect("results lock");
        record(&mut results, &item);
        if let BatchOutcome::Failed(e @ Error::Store { .. }) = item.outcome {
            stopped.get_or_insert(e);
        }
    }
    bar.finish_and_clear();
    // The input stream and the progress callback hold the results too.
    drop(items);
    drop(runner);

    let mut results = Arc::into_inner(results)
        .and_then(|m| m.into_inner().ok())
        .ok_or_else(|| Error::config("the results file is still in use"))?;
    results
        .writer
        .flush()
        .map_err(|e| Error::config(format!("cannot write {}: {e}", results_path.display())))?;
    print_summary(&results, &results_path, store.name(), &batch);
    if let Some(sandbox) = &target.sandbox {
        print_ledger(sandbox, args.target.provider.id());
    }
    if let Some(e) = stopped {
        eprintln!("disburse: the batch stopped: {e}");
        eprintln!(
            "disburse: nothing was sent without a durable intent; fix the store and run again"
        );
        return Ok(ExitCode::from(2));
    }
    print_attention(&store, &batch).await?;
    let needs_attention = results.invalid + results.tally.get("unknown").copied().unwrap_or(0);
    Ok(if needs_attention == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn record(results: &mut Results, item: &BatchItem) {
    let reference = item.reference.as_str();
    let line = results.take_line(item.index);
    let (outcome, payout_id, status, detail) = match &item.outcome {
        BatchOutcome::Sent(payout) => {
            let (status, detail) = status_words(&payout.status);
            ("sent", payout.id.clone(), status.to_owned(), detail)
        }
        BatchOutcome::Reconciled(payout) => {
            let (status, detail) = status_words(&payout.status);
            ("reconciled", payout.id.clone(), status.to_owned(), detail)
        }
        BatchOutcome::AlreadyDone(record) => (
            "already_done",
            record.payout_id.clone().unwrap_or_default(),
            record.status.clone().unwrap_or_default(),
            record.detail.clone().unwrap_or_default(),
        ),
        BatchOutcome::Failed(error) => ("failed", String::new(), String::new(), error.to_string()),
        BatchOutcome::Unknown(error) => {
            ("unknown", String::new(), String::new(), error_line(error))
        }
        BatchOutcome::Elsewhere => (
            "elsewhere",
            String::new(),
            String::new(),
            "held by another worker of the batch".to_owned(),
        ),
        _ => (
            "unknown",
            String::new(),
            String::new(),
            "an outcome this CLI does not know".to_owned(),
        ),
    };
    results.write(ResultLine {
        line,
        reference,
        outcome,
        payout_id: &payout_id,
        status: &status,
        detail: &detail,
    });
}

fn print_summary(results: &Results, results_path: &Path, store: &str, batch: &str) {
    let count = |k: &str| results.tally.get(k).copied().unwrap_or(0);
    println!(
        "{} rows: sent {}, already done {}, reconciled {}, failed {}, unknown {}, invalid {}, elsewhere {}",
        results.tally.values().sum::<u64>(),
        count("sent"),
        count("already_done"),
        count("reconciled"),
        count("failed"),
        count("unknown"),
        count("invalid"),
        count("elsewhere"),
    );
    println!("results: {}", results_path.display());
    println!("store: {store}, batch {batch} (re-run to resume)");
}

/// Lists the batch's rows that need reconciliation (unknown outcomes), with their data.
async fn print_attention(store: &Store, batch: &str) -> Result<(), Error> {
    let unknown = store.items(batch, Some(ItemState::Unknown)).await?;
    if unknown.is_empty() {
        return Ok(());
    }
    println!("needs reconciliation ({} rows):", unknown.len());
    for item in unknown {
        let request = &item.request;
        println!(
            "  {} {} line-index {}: {} to {:?}: {}",
            item.provider,
            request.reference,
            item.index,
            request.amount,
            request.destination,
            item.record.detail.as_deref().unwrap_or("")
        );
    }
    Ok(())
}

/// The default store: one SQLite file per user, whatever the CSV file is called.
fn default_store() -> Result<String, Error> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .ok_or_else(|| Error::config("no --store, DISBURSE_STORE, XDG_DATA_HOME or HOME"))?;
    let dir = base.join("disburse");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::config(format!("cannot create {}: {e}", dir.display())))?;
    Ok(format!("sqlite://{}", dir.join("payouts.db").display()))
}

/// In sandbox mode, what the simulated provider holds: the proof that nothing was paid twice.
fn print_ledger(sandbox: &disburse::sandbox::Sandbox, provider: ProviderId) {
    let ledger = sandbox.ledger(provider);
    let mut per_reference: HashMap<String, u64> = HashMap::new();
    for entry in &ledger {
        if let Some(reference) = entry.reference.clone() {
            *per_reference.entry(reference).or_default() += 1;
        }
    }
    let max = per_reference.values().copied().max().unwrap_or(0);
    println!(
        "sandbox ledger: {} payouts, {} references, at most {} payout per reference",
        ledger.len(),
        per_reference.len(),
        max
    );
}

/// Counts the data rows, so the progress bar knows its length (one pass, constant memory).
fn count_rows(path: &Path, default_callback: Option<String>) -> Result<u64, Error> {
    let rows = Rows::open(path, default_callback).map_err(Error::config)?;
    Ok(rows.count() as u64)
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn progress_bar(total: u64, quiet: bool) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if quiet {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    } else {
        bar.set_style(
            ProgressStyle::with_template("{bar:30} {pos}/{len} {per_sec} eta {eta} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
    }
    bar
}
