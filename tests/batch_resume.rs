//! Killing a batch halfway and running it again: every payout lands exactly once.
//!
//! The sandbox runs in this process, so its ledger outlives the batch that is killed: a task
//! aborted mid-flight, a store that loses outcomes after the provider committed, and a child
//! process killed with SIGKILL. The store is a real SQLite file.
#![cfg(feature = "sandbox")]

mod batch_support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use batch_support::{
    Counting, LosesOutcomes, assert_paid_exactly_once, by_reference, collect, jpay_batch,
    jpay_request, payonify_batch, posts, sandbox, state_of, tally, vesicash_batch,
};
use disburse::batch::{BatchOutcome, BatchRunner};
use disburse::sandbox::{Fault, Route, Sandbox};
use disburse::store::{ItemState, PayoutStore, Store};
use disburse::{Ambiguity, Error, PayoutProvider, PayoutRequest, ProviderId, Reference};
use futures_util::StreamExt;

const JPAY_POST: &str = "/payments/payouts/initiate";
const PAYONIFY_POST: &str = "/v1/payouts";
const VESICASH_POST: &str = "/v1/payment/payout/process";

fn store_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("payouts.db")
}

async fn open(path: &std::path::Path) -> Arc<Store> {
    Arc::new(Store::sqlite(path).await.expect("store opens"))
}

/// The references whose intent is stored without an outcome.
async fn in_flight(
    store: &Store,
    provider: ProviderId,
    requests: &[PayoutRequest],
) -> Vec<Reference> {
    let mut lost = Vec::new();
    for request in requests {
        if state_of(store, provider, request.reference.as_str()).await == Some(ItemState::InFlight)
        {
            lost.push(request.reference.clone());
        }
    }
    lost
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs `requests` in a task, aborts it once `abort_after` have completed (with `concurrency`
/// requests held at the provider by `fault`) and, when `abort_with_one_landed` is set, once the
/// provider holds at least one payout whose answer the run has not yet received; waits for the provider to finish what it
/// was handling, and runs the batch again with the same store file. Checks and returns the
/// second run's tally.
async fn abort_and_resume(
    sandbox: &Sandbox,
    provider: Arc<dyn PayoutProvider>,
    post_path: &str,
    requests: Vec<PayoutRequest>,
    abort_after: u64,
    fault: Fault,
    abort_with_one_landed: bool,
) -> (usize, usize, usize) {
    let id = provider.id();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = store_path(&dir);
    let concurrency = 16;
    sandbox.inject(id, Route::post(post_path), fault, 10_000);

    // Run 1, aborted halfway.
    let completed = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&completed);
    let first_store = open(&path).await;
    let first_provider = Counting::new(Arc::clone(&provider));
    let runner = BatchRunner::new(
        first_provider.clone(),
        Arc::clone(&first_store) as Arc<dyn PayoutStore>,
    )
    .concurrency(concurrency)
    .on_progress(move |p| counter.store(p.completed, Ordering::SeqCst));
    let yielded: Arc<Mutex<Vec<Reference>>> = Arc::default();
    let sink = Arc::clone(&yielded);
    let input = requests.clone();
    let task = tokio::spawn(async move {
        let mut results = std::pin::pin!(runner.run_iter(input));
        while let Some(item) = results.next().await {
            sink.lock().expect("lock").push(item.reference);
        }
    });
    // Claims and intents share commits, so on a machine whose fsyncs are slow a whole wave of
    // requests can be waiting for the store at once: abort when some are at the provider. On a
    // busy machine those may not have reached it yet; where the rerun's reconciliation is the
    // point, wait for one the provider committed whose answer the run has not received.
    // (Unanswered: its create call has not returned, so its outcome is not stored either.)
    let landed_unanswered = || {
        first_provider
            .creating()
            .iter()
            .any(|r| !sandbox.payouts_for_reference(id, r.as_str()).is_empty())
    };
    wait_for("half the batch, with requests at the provider", || {
        completed.load(Ordering::SeqCst) >= abort_after
            && first_provider.in_flight() > 0
            && (!abort_with_one_landed || landed_unanswered())
    })
    .await;
    task.abort();
    let aborted = task.await.expect_err("the task was aborted");
    assert!(aborted.is_cancelled());
    // Store writes the run had started finish; the file stays locked until the last of them
    // lets go of the store and it is closed (a new process would find it unlocked).
    wait_for("the aborted run's store writes", || {
        Arc::strong_count(&first_store) == 1
    })
    .await;
    first_store.close().await;
    drop(first_store);
    // Requests the provider was holding finish (or not) on its side; let them.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sandbox.clear_faults();

    let first_run: BTreeSet<Reference> = yielded.lock().expect("lock").iter().cloned().collect();
    assert!(first_run.len() as u64 >= abort_after);
    assert!(first_run.len() < requests.len(), "aborted before the end");
    let store = open(&path).await;
    let lost = in_flight(&store, id, &requests).await;
    assert!(
        !lost.is_empty() && lost.len() <= concurrency,
        "requests were in flight when the task died: {}",
        lost.len()
    );
    let landed: BTreeSet<&Reference> = lost
        .iter()
        .filter(|r| !sandbox.payouts_for_reference(id, r.as_str()).is_empty())
        .collect();
    let posts_before = posts(sandbox, post_path);

    // Run 2, same store file.
    let counting = Counting::new(provider);
    let runner = BatchRunner::new(counting.clone(), store.clone()).concurrency(concurrency);
    let items = by_reference(collect(runner.run_iter(requests.clone())).await);

    assert_eq!(items.len(), requests.len());
    for reference in &first_run {
        assert!(
            matches!(
                items[reference.as_str()].outcome,
                BatchOutcome::AlreadyDone(_)
            ),
            "{reference}: {:?}",
            items[reference.as_str()].outcome
        );
    }
    for reference in &lost {
        let outcome = &items[reference.as_str()].outcome;
        if landed.contains(reference) {
            assert!(
                matches!(outcome, BatchOutcome::Reconciled(p) if p.reference.as_ref() == Some(reference)),
                "{reference}: {outcome:?}"
            );
        } else {
            // Not in the ledger at the snapshot; a request still in the sandbox's socket buffer
            // may land later, and the re-run then finds it instead of sending it.
            assert!(
                matches!(outcome, BatchOutcome::Sent(_) | BatchOutcome::Reconciled(_)),
                "{reference}: {outcome:?}"
            );
        }
    }
    let counts = tally(&items);
    let done = counts.get("already_done").copied().unwrap_or(0);
    let reconciled = counts.get("reconciled").copied().unwrap_or(0);
    let sent = counts.get("sent").copied().unwrap_or(0);
    assert_eq!(done + reconciled + sent, requests.len(), "{counts:?}");
    assert!(
        (landed.len()..=lost.len()).contains(&reconciled),
        "{counts:?}"
    );
    assert_eq!(counting.finds.load(Ordering::SeqCst), lost.len() as u64);
    assert_eq!(counting.creates.load(Ordering::SeqCst), sent as u64);
    // The sandbox logs a POST of the first run that it handles late.
    let new_posts = posts(sandbox, post_path) - posts_before;
    assert!(
        (sent..=sent + lost.len()).contains(&new_posts),
        "{new_posts} POSTs for {sent} sent"
    );
    assert_paid_exactly_once(sandbox, id, &requests);

    // Run 3: everything is final now; nothing is sent or looked up.
    drop(runner);
    let runner = BatchRunner::new(counting.clone(), store.clone());
    let items = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert_eq!(tally(&items), [("already_done", requests.len())].into());
    assert_eq!(counting.creates.load(Ordering::SeqCst), sent as u64);
    assert_paid_exactly_once(sandbox, id, &requests);
    eprintln!(
        "{id}: first run yielded {}, in flight at abort {} (landed {}); rerun: already_done {done}, reconciled {reconciled}, sent {sent}",
        first_run.len(),
        lost.len(),
        landed.len()
    );
    (done, reconciled, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jpay_a_batch_aborted_halfway_then_rerun_pays_every_payout_exactly_once() {
    let sandbox = sandbox().await;
    let client = Arc::new(sandbox.jpay_client().expect("client"));
    // The provider commits each payout at once and answers 100 ms later: the payouts in flight
    // when the task dies are at the provider, and the rerun finds them.
    let (_, reconciled, _) = abort_and_resume(
        &sandbox,
        client,
        JPAY_POST,
        jpay_batch("abort", 300),
        150,
        Fault::CommitThenDelay(Duration::from_millis(100)),
        true,
    )
    .await;
    assert!(
        reconciled >= 1,
        "in-flight payouts reconciled: {reconciled}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payonify_a_batch_aborted_halfway_then_rerun_pays_every_payout_exactly_once() {
    let sandbox = sandbox().await;
    let client = Arc::new(sandbox.payonify_client().expect("client"));
    abort_and_resume(
        &sandbox,
        client,
        PAYONIFY_POST,
        payonify_batch("abort", 300),
        150,
        // The provider waits before handling: a request in flight when the task dies may or
        // may not be handled after its client is gone; the rerun finds it or sends it.
        Fault::Latency(Duration::from_millis(60)),
        false,
    )
    .await;
}

/// The provider committed every payout, and the process died before any outcome reached the
/// store: the rerun finds them all and sends nothing.
async fn outcomes_lost_after_commit(
    sandbox: &Sandbox,
    provider: Arc<dyn PayoutProvider>,
    requests: Vec<PayoutRequest>,
) -> Vec<disburse::batch::BatchItem> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = store_path(&dir);
    let first_store = open(&path).await;
    let losing = Arc::new(LosesOutcomes(first_store.clone()));
    let runner = BatchRunner::new(Arc::clone(&provider), losing);
    let first = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert_eq!(tally(&first), [("sent", requests.len())].into());
    drop(runner);
    first_store.close().await;
    drop(first_store);

    let store = open(&path).await;
    assert_eq!(
        in_flight(&store, provider.id(), &requests).await.len(),
        requests.len()
    );
    let counting = Counting::new(provider);
    let runner = BatchRunner::new(counting.clone(), store);
    let items = collect(runner.run_iter(requests.clone())).await;
    assert_eq!(
        counting.creates.load(Ordering::SeqCst),
        0,
        "nothing re-sent"
    );
    assert_eq!(counting.finds.load(Ordering::SeqCst), requests.len() as u64);
    assert_paid_exactly_once(sandbox, counting.id(), &requests);
    items
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_but_not_recorded_is_reconciled_on_restart_not_paid_twice() {
    let sandbox = sandbox().await;
    for (provider, requests) in [
        (
            Arc::new(sandbox.jpay_client().expect("client")) as Arc<dyn PayoutProvider>,
            jpay_batch("lost", 20),
        ),
        (
            Arc::new(sandbox.payonify_client().expect("client")) as Arc<dyn PayoutProvider>,
            payonify_batch("lost", 20),
        ),
    ] {
        let id = provider.id();
        let items = by_reference(outcomes_lost_after_commit(&sandbox, provider, requests).await);
        assert_eq!(tally(&items), [("reconciled", 20)].into(), "{id}");
        for (reference, item) in &items {
            let BatchOutcome::Reconciled(payout) = &item.outcome else {
                unreachable!()
            };
            let entries = sandbox.payouts_for_reference(id, reference);
            assert_eq!(payout.id, entries[0].id, "{id} {reference}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vesicash_in_flight_on_restart_is_unknown_and_never_resent() {
    let sandbox = sandbox().await;
    let provider = Arc::new(sandbox.vesicash_client().expect("client"));
    let items = outcomes_lost_after_commit(&sandbox, provider, vesicash_batch("lost", 10)).await;
    assert_eq!(items.len(), 10);
    for item in &items {
        assert!(
            matches!(
                &item.outcome,
                BatchOutcome::Unknown(Error::Unsupported {
                    provider: ProviderId::VESICASH,
                    operation: "find_payout"
                })
            ),
            "{:?}",
            item.outcome
        );
    }
    assert_eq!(posts(&sandbox, VESICASH_POST), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commit_then_drop_is_unknown_now_and_reconciled_by_the_next_run() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = store_path(&dir);
    // Three drops exhaust the HTTP layer's three attempts of the first payout.
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_POST),
        Fault::CommitThenDrop,
        3,
    );
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let requests = jpay_batch("drop", 5);
    let store = open(&path).await;
    let runner = BatchRunner::new(provider.clone(), store.clone()).concurrency(1);

    let first = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert_eq!(tally(&first), [("sent", 4), ("unknown", 1)].into());
    assert!(
        matches!(
            &first["drop-0000"].outcome,
            BatchOutcome::Unknown(Error::OutcomeUnknown {
                cause: Ambiguity::ConnectionLost,
                reference: Some(r),
                ..
            }) if r.as_str() == "drop-0000"
        ),
        "{:?}",
        first["drop-0000"].outcome
    );
    drop(runner);
    assert_eq!(
        state_of(&store, ProviderId::JPAY, "drop-0000").await,
        Some(ItemState::Unknown)
    );

    let runner = BatchRunner::new(provider.clone(), store.clone()).concurrency(1);
    let second = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert_eq!(
        tally(&second),
        [("already_done", 4), ("reconciled", 1)].into()
    );
    assert_eq!(provider.creates.load(Ordering::SeqCst), 5);
    assert_eq!(provider.finds.load(Ordering::SeqCst), 1);
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vesicash_commit_then_drop_is_unknown_and_stays_unknown() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = store_path(&dir);
    sandbox.inject(
        ProviderId::VESICASH,
        Route::post(VESICASH_POST),
        Fault::CommitThenDrop,
        1,
    );
    let provider = Counting::new(Arc::new(sandbox.vesicash_client().expect("client")));
    let requests = vesicash_batch("drop", 3);
    let store = open(&path).await;
    let runner = BatchRunner::new(provider.clone(), store.clone()).concurrency(1);
    let first = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert_eq!(tally(&first), [("sent", 2), ("unknown", 1)].into());
    drop(runner);

    let runner = BatchRunner::new(provider.clone(), store.clone()).concurrency(1);
    let second = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert_eq!(tally(&second), [("already_done", 2), ("unknown", 1)].into());
    assert!(
        matches!(
            &second["drop-0000"].outcome,
            BatchOutcome::Unknown(Error::Unsupported {
                provider: ProviderId::VESICASH,
                operation: "find_payout"
            })
        ),
        "{:?}",
        second["drop-0000"].outcome
    );
    assert_eq!(provider.creates.load(Ordering::SeqCst), 3, "never re-sent");
    assert_eq!(posts(&sandbox, VESICASH_POST), 3);
    assert_paid_exactly_once(&sandbox, ProviderId::VESICASH, &requests);
}

#[tokio::test]
async fn a_changed_request_under_a_stored_reference_is_refused_with_a_typed_error() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = store_path(&dir);
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let original = jpay_request("fp-1", "150.00", 6400);
    let store = open(&path).await;
    let runner = BatchRunner::new(provider.clone(), store.clone());
    collect(runner.run_iter([original.clone()])).await;
    drop(runner);

    // Same money to the same wallet with other words: the same payout.
    let reworded = jpay_request("fp-1", "150", 6400).with_narration("other words");
    let changed_amount = jpay_request("fp-1", "151.00", 6400);
    let changed_wallet = jpay_request("fp-1", "150.00", 6401);
    for (request, refused) in [
        (reworded, false),
        (changed_amount, true),
        (changed_wallet, true),
    ] {
        let runner = BatchRunner::new(provider.clone(), store.clone()).batch("another");
        let items = collect(runner.run_iter([request])).await;
        if refused {
            assert!(
                matches!(
                    &items[0].outcome,
                    BatchOutcome::Failed(Error::ReferenceConflict { provider: ProviderId::JPAY, reference, stored })
                        if reference.as_str() == "fp-1" && stored == "KES 150.00"
                ),
                "{:?}",
                items[0].outcome
            );
        } else {
            assert!(
                matches!(items[0].outcome, BatchOutcome::AlreadyDone(_)),
                "{:?}",
                items[0].outcome
            );
        }
    }
    assert_eq!(provider.creates.load(Ordering::SeqCst), 1);
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &[original]);
}

const CHILD_STORE: &str = "DISBURSE_BATCH_TEST_CHILD_STORE";
const CHILD_JPAY_URL: &str = "DISBURSE_BATCH_TEST_CHILD_JPAY_URL";
const KILL_BATCH: u32 = 300;

/// The child half of [`a_batch_process_killed_with_sigkill_is_resumed_without_double_payouts`]:
/// runs the batch against the parent's sandbox until the parent kills it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started as a child process by a_batch_process_killed_with_sigkill_is_resumed_without_double_payouts"]
async fn child_process_runs_a_batch_until_killed() {
    let (Ok(store), Ok(url)) = (std::env::var(CHILD_STORE), std::env::var(CHILD_JPAY_URL)) else {
        eprintln!("not started by the parent test; nothing to do");
        return;
    };
    let client = batch_support::jpay_client_for(&url);
    let runner =
        BatchRunner::new(Arc::new(client), open(std::path::Path::new(&store)).await).concurrency(8);
    let items = collect(runner.run_iter(jpay_batch("kill", KILL_BATCH))).await;
    eprintln!(
        "child finished all {} (the parent was too slow)",
        items.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_process_killed_with_sigkill_is_resumed_without_double_payouts() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = store_path(&dir);
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_POST),
        Fault::CommitThenDelay(Duration::from_millis(100)),
        10_000,
    );
    let exe = std::env::current_exe().expect("test binary");
    let mut child = std::process::Command::new(exe)
        .args([
            "child_process_runs_a_batch_until_killed",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(CHILD_STORE, &path)
        .env(CHILD_JPAY_URL, sandbox.base_url_jpay())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("child starts");

    wait_for("the child to pay a third of the batch", || {
        sandbox.ledger(ProviderId::JPAY).len() >= 100
    })
    .await;
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("child reaped");
    assert!(!status.success(), "killed, not finished: {status:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    sandbox.clear_faults();
    let paid_before = sandbox.ledger(ProviderId::JPAY).len();
    assert!(paid_before < KILL_BATCH as usize, "killed halfway");

    let requests = jpay_batch("kill", KILL_BATCH);
    let store = open(&path).await;
    let lost = in_flight(&store, ProviderId::JPAY, &requests).await;
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let runner = BatchRunner::new(provider.clone(), store).concurrency(8);
    let items = by_reference(collect(runner.run_iter(requests.clone())).await);

    let counts = tally(&items);
    let done = counts.get("already_done").copied().unwrap_or(0);
    let reconciled = counts.get("reconciled").copied().unwrap_or(0);
    let sent = counts.get("sent").copied().unwrap_or(0);
    assert_eq!(done + reconciled + sent, KILL_BATCH as usize, "{counts:?}");
    // A request the child sent just before it died may still be committed after `paid_before`
    // was read (the sandbox finishes what it received); at most the concurrency (8) were in flight.
    assert!(
        (paid_before..=paid_before + 8).contains(&(done + reconciled)),
        "paid before the re-run {paid_before}: {counts:?}"
    );
    assert!(
        reconciled >= 1,
        "payouts committed while the child died: {counts:?}"
    );
    assert_eq!(provider.finds.load(Ordering::SeqCst), lost.len() as u64);
    assert_eq!(provider.creates.load(Ordering::SeqCst), sent as u64);
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &requests);
    eprintln!(
        "killed after {paid_before} payouts with {} in flight; rerun: already_done {done}, reconciled {reconciled}, sent {sent}",
        lost.len()
    );
}
