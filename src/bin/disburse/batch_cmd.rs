//! `disburse batch`: every row of a CSV file through the batch engine (one runner per provider
//! the file names), with a progress bar, a results file in input order and a payout store that
//! makes a re-run, another file or another worker send nothing twice. `--wait` follows every
//! payout to a final status; Ctrl-C stops gracefully, a second one aborts.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use disburse::batch::{BatchItem, BatchOutcome, BatchRunner};
use disburse::store::{ItemState, Store};
use disburse::{CallbackUrl, CallbackUrlSupport, Error, PayoutRequest};
use futures_util::StreamExt;
use futures_util::stream::BoxStream;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::{mpsc, watch};

use crate::args::{BatchArgs, ProviderName};
use crate::csv_rows::{Row, Rows};
use crate::exit::Tally;
use crate::follow::{Follow, follow};
use crate::output::{error_line, status_words, with_cause};
use crate::results::{self, Entry};
use crate::target::Targets;

/// Rows read ahead of each provider's runner.
const CHANNEL: usize = 256;

/// Polls per second per provider while waiting, unless `--rate` says otherwise.
const DEFAULT_POLL_RATE: u32 = 5;

pub async fn run(args: BatchArgs) -> Result<ExitCode, Error> {
    // A problem with the whole file is said as it is, before anything is sent.
    let (total, names) = match survey(&args.file, args.target.provider) {
        Ok(survey) => survey,
        Err(message) => {
            eprintln!("disburse: {message}");
            return Ok(ExitCode::from(crate::exit::USAGE));
        }
    };
    let names: Vec<ProviderName> = names.into_iter().collect();
    let targets = Targets::connect(&names, args.target.sandbox).await?;
    let callback = args
        .callback_url
        .as_deref()
        .map(CallbackUrl::parse)
        .transpose()?;
    let rows = Rows::open(&args.file, args.target.provider).map_err(Error::config)?;
    let store_url = match &args.store {
        Some(url) => url.clone(),
        None => crate::store_url::default_store()?,
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
            .with_lease(Duration::from_secs(args.lease_secs.max(1))),
    );
    let interrupts = crate::interrupt::listen();
    let stop = Arc::clone(&interrupts.stop);
    let mut count = interrupts.count.clone();

    let bar = progress_bar(total, args.quiet);
    let entries: Arc<Mutex<Vec<Entry>>> = Arc::new(Mutex::new(Vec::new()));
    let mut senders = HashMap::new();
    let mut streams: Vec<BoxStream<'static, (ProviderName, BatchItem)>> = Vec::new();
    let mut defaults = HashMap::new();
    for &name in &names {
        let provider = targets.get(name)?;
        // The shared callback URL goes only to providers that take one per payout.
        let default = match &callback {
            Some(_) if provider.capabilities().callback_url == CallbackUrlSupport::Refused => None,
            Some(url) => Some(url.clone()),
            None => targets
                .default_callback(&provider)
                .as_deref()
                .map(CallbackUrl::parse)
                .transpose()?,
        };
        defaults.insert(name, default);
        let (tx, rx) = mpsc::channel::<(u64, PayoutRequest)>(CHANNEL);
        senders.insert(name, tx);
        let runner = BatchRunner::new(provider, store.clone())
            .batch(batch.clone())
            .concurrency(args.concurrency.max(1))
            .rate_limit(args.rate)
            .stop_when(Arc::clone(&stop));
        let input = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        streams.push(
            runner
                .run_indexed(input)
                .map(move |item| (name, item))
                .boxed(),
        );
    }
    let dispatcher = tokio::spawn(dispatch(
        rows,
        senders,
        defaults,
        Arc::clone(&entries),
        interrupts.count.clone(),
        bar.clone(),
    ));

    let mut merged = futures_util::stream::select_all(streams);
    let mut store_failed: Option<Error> = None;
    let mut drain_until: Option<tokio::time::Instant> = None;
    let mut aborted = false;
    let mut unreachable = BTreeSet::new();
    loop {
        let drain = async {
            match drain_until {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            item = merged.next() => match item {
                Some((name, item)) => {
                    bar.inc(1);
                    if let BatchOutcome::Failed(e @ Error::Store { .. }) = &item.outcome {
                        store_failed.get_or_insert_with(|| Error::store(e.to_string()));
                    }
                    let mut entries = entries.lock().expect("entries lock");
                    if let Some(entry) = entries.get_mut(item.index as usize) {
                        record(entry, name, &item);
                        // A provider that cannot be reached is said once, with its cause.
                        if entry.outcome == "not_sent" && unreachable.insert(name) {
                            bar.suspend(|| eprintln!("disburse: {}", entry.detail));
                        }
                    }
                }
                None => break,
            },
            changed = count.changed(), if !aborted => {
                let n = if changed.is_ok() { *count.borrow() } else { 0 };
                if n == 1 {
                    bar.suspend(|| eprintln!(
                        "disburse: interrupted: no new rows; the requests already sent finish \
                         (up to {}s); interrupt again to abort",
                        args.drain_secs
                    ));
                    drain_until = Some(tokio::time::Instant::now()
                        + Duration::from_secs(args.drain_secs));
                } else if n >= 2 {
                    bar.suspend(|| eprintln!("disburse: aborted: the requests in flight are \
                        reconciled by the next run"));
                    aborted = true;
                    break;
                }
            },
            () = drain => {
                bar.suspend(|| eprintln!("disburse: the requests in flight did not finish in \
                    {}s: the next run reconciles them", args.drain_secs));
                aborted = true;
                break;
            }
        }
    }
    drop(merged);
    bar.finish_and_clear();
    if dispatcher.await.is_err() {
        eprintln!("disburse: the CSV reader stopped unexpectedly");
    }
    let mut entries = Arc::into_inner(entries)
        .and_then(|m| m.into_inner().ok())
        .ok_or_else(|| Error::config("the results are still in use"))?;
    let interrupted = stop.load(Ordering::SeqCst);
    if aborted {
        mark_in_flight(&store, &mut entries).await;
    }
    let mut waited = false;
    if let Some(seconds) = args.wait.filter(|_| !interrupted && store_failed.is_none()) {
        waited = true;
        let how = Follow {
            deadline: Some(tokio::time::Instant::now() + Duration::from_secs(seconds)),
            rate: args.rate.unwrap_or(DEFAULT_POLL_RATE),
            concurrency: args.concurrency,
        };
        let open = follow(&targets, &store, &mut entries, &how, &stop).await;
        if open > 0 {
            eprintln!("disburse: {open} payouts are not final after {seconds}s");
        }
    }
    results::write(&results_path, &entries)?;
    let tally = print_summary(&entries, waited, stop.load(Ordering::SeqCst));
    println!("results: {}", results_path.display());
    println!("store: {}, batch {batch} (re-run to resume)", store.name());
    #[cfg(feature = "sandbox")]
    if let Some(sandbox) = &targets.sandbox {
        for name in &names {
            print_ledger(sandbox, *name);
        }
    }
    if let Some(e) = store_failed {
        eprintln!("disburse: the batch stopped: {e}");
        eprintln!(
            "disburse: nothing was sent without a durable intent; fix the store and run again"
        );
        return Ok(ExitCode::from(crate::exit::USAGE));
    }
    print_attention(&store, &batch).await?;
    Ok(tally.code())
}

/// Reads the rows in order: an invalid one is written as such, a valid one goes to its
/// provider's runner; after an interrupt the rest are recorded as not started.
async fn dispatch(
    rows: Rows,
    senders: HashMap<ProviderName, mpsc::Sender<(u64, PayoutRequest)>>,
    defaults: HashMap<ProviderName, Option<CallbackUrl>>,
    entries: Arc<Mutex<Vec<Entry>>>,
    mut interrupts: watch::Receiver<u32>,
    bar: ProgressBar,
) {
    let mut senders = Some(senders);
    for (index, row) in (0u64..).zip(rows) {
        let Row {
            line,
            reference,
            request,
        } = row;
        if *interrupts.borrow() > 0 {
            senders = None;
        }
        match request {
            Err(message) => {
                bar.suspend(|| eprintln!("line {line}: {message}"));
                bar.inc(1);
                let mut entry = Entry::not_started(line, reference.unwrap_or_default(), None);
                entry.outcome = "invalid";
                entry.detail = message;
                entries.lock().expect("entries lock").push(entry);
            }
            Ok((name, mut request)) => {
                if request.callback_url.is_none() {
                    request.callback_url = defaults.get(&name).cloned().flatten();
                }
                entries
                    .lock()
                    .expect("entries lock")
                    .push(Entry::not_started(
                        line,
                        request.reference.as_str().to_owned(),
                        Some(name),
                    ));
                let Some(tx) = senders.as_ref().and_then(|s| s.get(&name)) else {
                    continue;
                };
                tokio::select! {
                    sent = tx.send((index, request)) => if sent.is_err() { senders = None },
                    _ = interrupts.wait_for(|n| *n > 0) => senders = None,
                }
            }
        }
    }
}

/// One result, from what the engine did.
fn record(entry: &mut Entry, name: ProviderName, item: &BatchItem) {
    entry.provider = Some(name);
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
        BatchOutcome::Failed(error) => {
            let outcome = match error {
                Error::NotSent { .. } | Error::RateLimited { .. } => "not_sent",
                // Refused before sending: not final; fixed and run again, it is sent. (A
                // reference repeated in the input is a failure of that row.)
                Error::InvalidRequest { field, .. } if *field != "reference" => "invalid",
                _ => "failed",
            };
            (outcome, String::new(), String::new(), with_cause(error))
        }
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
    entry.outcome = outcome;
    entry.payout_id = payout_id;
    entry.status = status;
    entry.detail = detail;
}

/// After an abort, rows still marked not started that the store holds in flight may have left:
/// they are unknown until the next run reconciles them.
async fn mark_in_flight(store: &Store, entries: &mut [Entry]) {
    for entry in entries.iter_mut().filter(|e| e.outcome == "not_started") {
        let (Some(name), Ok(reference)) = (
            entry.provider,
            disburse::Reference::new(entry.reference.clone()),
        ) else {
            continue;
        };
        if let Ok(Some(item)) = store.item(name.id(), &reference).await
            && item.record.state == ItemState::InFlight
        {
            entry.outcome = "unknown";
            entry.detail = "in flight when the run was aborted: the next run reconciles it \
                            before sending anything"
                .to_owned();
        }
    }
}

/// Prints the counts and returns what the exit code needs.
fn print_summary(entries: &[Entry], waited: bool, interrupted: bool) -> Tally {
    let mut by_outcome: HashMap<&str, u64> = HashMap::new();
    for entry in entries {
        *by_outcome.entry(entry.outcome).or_default() += 1;
    }
    let count = |k: &str| by_outcome.get(k).copied().unwrap_or(0);
    let mut line = format!(
        "{} rows: sent {}, already done {}, reconciled {}, failed {}, unknown {}, invalid {}, elsewhere {}",
        entries.len(),
        count("sent"),
        count("already_done"),
        count("reconciled"),
        count("failed"),
        count("unknown"),
        count("invalid"),
        count("elsewhere"),
    );
    for (word, label) in [("not_sent", "not sent"), ("not_started", "not started")] {
        if count(word) > 0 {
            line.push_str(&format!(", {label} {}", count(word)));
        }
    }
    println!("{line}");
    let status = |s: &str| entries.iter().filter(|e| e.status == s).count();
    let open = entries.iter().filter(|e| e.is_open()).count();
    println!(
        "payouts: succeeded {}, failed {}, not final {open}",
        status("succeeded"),
        status("failed")
    );
    if interrupted {
        println!("interrupted: run the same command again to resume");
    }
    Tally {
        interrupted,
        unknown: count("unknown"),
        invalid: count("invalid"),
        failed: count("failed") + status("failed") as u64,
        pending: count("not_sent")
            + count("not_started")
            + count("elsewhere")
            + if waited { open as u64 } else { 0 },
    }
}

/// Lists the batch's rows that need reconciliation (unknown outcomes), with their data.
async fn print_attention(store: &Store, batch: &str) -> Result<(), Error> {
    let unknown = store.items(batch, Some(ItemState::Unknown)).await?;
    if unknown.is_empty() {
        return Ok(());
    }
    println!(
        "needs reconciliation ({} rows; run `disburse reconcile --batch {batch}`):",
        unknown.len()
    );
    for item in unknown {
        println!("  {}", crate::reconcile_cmd::describe(&item));
    }
    Ok(())
}

/// In sandbox mode, what the simulated provider holds: the proof that nothing was paid twice.
#[cfg(feature = "sandbox")]
fn print_ledger(sandbox: &disburse::sandbox::Sandbox, name: ProviderName) {
    let ledger = sandbox.ledger(name.id());
    let mut per_reference: HashMap<String, u64> = HashMap::new();
    for entry in &ledger {
        if let Some(reference) = entry.reference.clone() {
            *per_reference.entry(reference).or_default() += 1;
        }
    }
    let max = per_reference.values().copied().max().unwrap_or(0);
    println!(
        "sandbox ledger: {} payouts, {} references, at most {} payout per reference ({})",
        ledger.len(),
        per_reference.len(),
        max,
        name.id()
    );
}

/// Counts the data rows (for the progress bar) and collects the providers they name, in one
/// pass in constant memory; whole-file problems surface here, before anything is sent.
fn survey(
    path: &Path,
    default: Option<ProviderName>,
) -> Result<(u64, BTreeSet<ProviderName>), String> {
    let rows = Rows::open(path, default)?;
    let mut names = BTreeSet::new();
    let mut total = 0;
    for row in rows {
        total += 1;
        if let Ok((name, _)) = row.request {
            names.insert(name);
        }
    }
    Ok((total, names))
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
