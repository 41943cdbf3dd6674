//! Killing a batch halfway and running it again: every payout lands exactly once.
//!
//! The sandbox runs in this process, so its ledger outlives the batch that is killed: a task
//! aborted mid-flight, a journal that loses outcomes after the provider committed, and a child
//! process killed with SIGKILL.
#![cfg(feature = "sandbox")]

mod batch_support;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use batch_support::{
    Counting, LosesOutcomes, assert_paid_exactly_once, by_reference, collect, jpay_batch,
    jpay_request, payonify_batch, posts, sandbox, tally, vesicash_batch,
};
use disburse::batch::{
    BatchOutcome, BatchRunner, FileJournal, Journal, JournalState, RecordedOutcome,
};
use disburse::sandbox::{Fault, Route, Sandbox};
use disburse::{Ambiguity, Error, PayoutProvider, PayoutRequest, ProviderId, Reference};
use futures_util::StreamExt;

const JPAY_POST: &str = "/payments/payouts/initiate";
const PAYONIFY_POST: &str = "/v1/payouts";
const VESICASH_POST: &str = "/v1/payment/payout/process";

fn journal_path(dir: &tempfile::TempDir) -> std::path::PathBuf {
    dir.path().join("batch.journal")
}

fn open(path: &std::path::Path) -> Arc<FileJournal> {
    Arc::new(FileJournal::open(path).expect("journal opens"))
}

fn in_flight(state: &JournalState, requests: &[PayoutRequest]) -> Vec<Reference> {
    requests
        .iter()
        .filter(|r| state.is_in_flight(&r.reference))
        .map(|r| r.reference.clone())
        .collect()
}

async fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Runs `requests` in a task, aborts it once `abort_after` have completed (with `concurrency`
/// requests held at the provider by `fault`), waits for the provider to finish what it
/// was handling, and runs the batch again with the same journal file. Checks and returns the
/// second run's tally.
async fn abort_and_resume(
    sandbox: &Sandbox,
    provider: Arc<dyn PayoutProvider>,
    post_path: &str,
    requests: Vec<PayoutRequest>,
    abort_after: u64,
    fault: Fault,
) -> (usize, usize, usize) {
    let id = provider.id();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = journal_path(&dir);
    let concurrency = 16;
    sandbox.inject(id, Route::post(post_path), fault, 10_000);

    // Run 1, aborted halfway.
    let completed = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&completed);
    let journal = open(&path);
    let runner = BatchRunner::new(
        Arc::clone(&provider),
        Arc::clone(&journal) as Arc<dyn Journal>,
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
    wait_for("half the batch", || {
        completed.load(Ordering::SeqCst) >= abort_after
    })
    .await;
    task.abort();
    let aborted = task.await.expect_err("the task was aborted");
    assert!(aborted.is_cancelled());
    // Journal writes the run had started finish on the blocking pool; the journal stays locked
    // (and its contents may still change) until the last of them lets go of it.
    wait_for("the aborted run's journal writes", || {
        Arc::strong_count(&journal) == 1
    })
    .await;
    drop(journal);
    // Requests the provider was holding finish (or not) on its side; let them.
    tokio::time::sleep(Duration::from_millis(500)).await;
    sandbox.clear_faults();

    let first_run: BTreeSet<Reference> = yielded.lock().expect("lock").iter().cloned().collect();
    assert!(first_run.len() as u64 >= abort_after);
    assert!(first_run.len() < requests.len(), "aborted before the end");
    let before = FileJournal::open(&path)
        .expect("journal")
        .load()
        .expect("state");
    let lost = in_flight(&before, &requests);
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

    // Run 2, same journal file.
    let counting = Counting::new(provider);
    let runner = BatchRunner::new(counting.clone(), open(&path)).concurrency(concurrency);
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
    let runner = BatchRunner::new(counting.clone(), open(&path));
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
    )
    .await;
}

/// The provider committed every payout, and the process died before any outcome reached the
/// journal: the rerun finds them all and sends nothing.
async fn outcomes_lost_after_commit(
    sandbox: &Sandbox,
    provider: Arc<dyn PayoutProvider>,
    requests: Vec<PayoutRequest>,
) -> Vec<disburse::batch::BatchItem> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = journal_path(&dir);
    let losing = Arc::new(LosesOutcomes(open(&path)));
    let runner = BatchRunner::new(Arc::clone(&provider), losing);
    let first = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert_eq!(tally(&first), [("sent", requests.len())].into());
    drop(runner);
    let state = FileJournal::open(&path)
        .expect("journal")
        .load()
        .expect("state");
    assert_eq!(in_flight(&state, &requests).len(), requests.len());

    let counting = Counting::new(provider);
    let runner = BatchRunner::new(counting.clone(), open(&path));
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
async fn committed_but_not_journaled_is_reconciled_on_restart_not_paid_twice() {
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
    let path = journal_path(&dir);
    // Three drops exhaust the HTTP layer's three attempts of the first payout.
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_POST),
        Fault::CommitThenDrop,
        3,
    );
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let requests = jpay_batch("drop", 5);
    let runner = BatchRunner::new(provider.clone(), open(&path)).concurrency(1);

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
    let state = FileJournal::open(&path)
        .expect("journal")
        .load()
        .expect("state");
    assert_eq!(
        state.record(&requests[0].reference).map(|r| r.outcome),
        Some(RecordedOutcome::Unknown)
    );

    let runner = BatchRunner::new(provider.clone(), open(&path)).concurrency(1);
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
    let path = journal_path(&dir);
    sandbox.inject(
        ProviderId::VESICASH,
        Route::post(VESICASH_POST),
        Fault::CommitThenDrop,
        1,
    );
    let provider = Counting::new(Arc::new(sandbox.vesicash_client().expect("client")));
    let requests = vesicash_batch("drop", 3);
    let runner = BatchRunner::new(provider.clone(), open(&path)).concurrency(1);
    let first = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert_eq!(tally(&first), [("sent", 2), ("unknown", 1)].into());
    drop(runner);

    let runner = BatchRunner::new(provider.clone(), open(&path)).concurrency(1);
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
async fn a_torn_last_line_is_dropped_reported_and_the_batch_resumes() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = journal_path(&dir);
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let requests = jpay_batch("torn", 3);
    let runner = BatchRunner::new(provider.clone(), open(&path)).concurrency(1);
    collect(runner.run_iter(requests.clone())).await;
    drop(runner);

    let whole = std::fs::metadata(&path).expect("journal").len();
    let text = std::fs::read_to_string(&path).expect("journal");
    assert_eq!(text.lines().count(), 6, "{text}");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("journal");
    let torn = br#"{"event":"outcome","reference":"torn-00"#;
    file.write_all(torn).expect("write");
    drop(file);

    let journal = FileJournal::open(&path).expect("a torn tail is not fatal");
    let tail = journal.torn_tail().expect("reported");
    assert_eq!(
        (tail.line, tail.offset, tail.bytes),
        (7, whole, torn.len() as u64),
        "{journal:?}"
    );
    assert_eq!(std::fs::metadata(&path).expect("journal").len(), whole);
    let runner = BatchRunner::new(provider.clone(), Arc::new(journal));
    let items = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert_eq!(tally(&items), [("already_done", 3)].into());
    assert_eq!(provider.creates.load(Ordering::SeqCst), 3);
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &requests);
}

/// Two runs of one batch at once would each send what the other has not journaled yet: the
/// journal is locked while open (flock locks conflict between two opens of the file, in one
/// process as in two).
#[test]
fn a_journal_in_use_refuses_a_second_opener_until_it_is_closed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = journal_path(&dir);
    let first = FileJournal::open(&path).expect("first opener");

    let err = FileJournal::open(&path).expect_err("second opener");
    assert!(
        matches!(&err, Error::Journal { message, source: None }
        if *message == format!(
            "{}: in use by another run (locked); two runs of one batch at once could pay \
             twice, so wait for it to finish",
            path.display()
        )),
        "{err:?}"
    );

    drop(first);
    FileJournal::open(&path).expect("free again once the first is closed");
}

#[test]
fn a_corrupt_line_before_the_end_refuses_to_open() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = journal_path(&dir);
    std::fs::write(
        &path,
        "{\"event\":\"intent\",\"reference\":\"a\",\"fingerprint\":\"f\"}\nnot json\n{\"event\":\"intent\",\"reference\":\"b\",\"fingerprint\":\"f\"}\n",
    )
    .expect("write");
    let err = FileJournal::open(&path).expect_err("corrupt");
    assert!(
        matches!(&err, Error::Journal { message, source: Some(_) }
            if *message == format!("{}: line 2 is not a journal event (the file is corrupt)", path.display())),
        "{err:?}"
    );
    assert_eq!(
        std::fs::read_to_string(&path)
            .expect("read")
            .lines()
            .count(),
        3,
        "left as it was"
    );
}

#[tokio::test]
async fn a_changed_request_under_a_journaled_reference_is_refused() {
    let sandbox = sandbox().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = journal_path(&dir);
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let original = jpay_request("fp-1", "150.00", 6400);
    let runner = BatchRunner::new(provider.clone(), open(&path));
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
        let runner = BatchRunner::new(provider.clone(), open(&path));
        let items = collect(runner.run_iter([request])).await;
        if refused {
            assert!(
                matches!(
                    &items[0].outcome,
                    BatchOutcome::Failed(Error::InvalidRequest { field: "reference", reason, .. })
                        if reason == "fp-1 was journaled with a different amount, currency or destination; a changed payout needs a new reference"
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

const CHILD_JOURNAL: &str = "DISBURSE_BATCH_TEST_CHILD_JOURNAL";
const CHILD_JPAY_URL: &str = "DISBURSE_BATCH_TEST_CHILD_JPAY_URL";
const KILL_BATCH: u32 = 300;

/// The child half of [`a_batch_process_killed_with_sigkill_is_resumed_without_double_payouts`]:
/// runs the batch against the parent's sandbox until the parent kills it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started as a child process by a_batch_process_killed_with_sigkill_is_resumed_without_double_payouts"]
async fn child_process_runs_a_batch_until_killed() {
    let (Ok(journal), Ok(url)) = (std::env::var(CHILD_JOURNAL), std::env::var(CHILD_JPAY_URL))
    else {
        eprintln!("not started by the parent test; nothing to do");
        return;
    };
    let client = batch_support::jpay_client_for(&url);
    let runner =
        BatchRunner::new(Arc::new(client), open(std::path::Path::new(&journal))).concurrency(8);
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
    let path = journal_path(&dir);
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
        .env(CHILD_JOURNAL, &path)
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
    let journal = open(&path);
    let state = journal.load().expect("state");
    let lost = in_flight(&state, &requests);
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let runner = BatchRunner::new(provider.clone(), journal).concurrency(8);
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
