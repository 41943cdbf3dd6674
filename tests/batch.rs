//! The batch engine against the embedded sandbox: exactly-once payouts, exact outcomes,
//! concurrency bound, rate limiting and refusals.
#![cfg(feature = "sandbox")]

mod batch_support;

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use batch_support::{
    Counting, assert_paid_exactly_once, by_reference, collect, jpay_batch, jpay_request,
    memory_store, payonify_batch, payonify_request, posts, reference, sandbox, state_of, tally,
};
use disburse::batch::{BatchOutcome, BatchRunner, DEFAULT_BATCH, Progress};
use disburse::http::RetryPolicy;
use disburse::providers::jpay::JpayClient;
use disburse::sandbox::{EntryStatus, Fault, Route, Sandbox, sandbox_http_config};
use disburse::store::ItemState;
use disburse::{
    Ambiguity, Currency, Error, FailureReason, Money, PayoutProvider, PayoutRequest, ProviderId,
    RejectCode, Status,
};

const JPAY_POST: &str = "/payments/payouts/initiate";
const PAYONIFY_POST: &str = "/v1/payouts";

/// Waits until the ledger entry of `reference` is final and returns its status.
async fn settled(sandbox: &Sandbox, provider: ProviderId, reference: &str) -> EntryStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let entries = sandbox.payouts_for_reference(provider, reference);
        assert_eq!(entries.len(), 1, "{reference}: {entries:?}");
        if entries[0].status.is_final() {
            return entries[0].status.clone();
        }
        assert!(Instant::now() < deadline, "{reference} never settled");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn failed(code: &str, message: &str) -> EntryStatus {
    EntryStatus::Failed {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clean_run_of_200_pays_every_payout_exactly_once_with_exact_outcomes() {
    let sandbox = sandbox().await;

    // JPay: 96 ordinary, two scripted failures, one HTTP 500, one invalid amount.
    let mut jpay_requests = jpay_batch("jp", 96);
    jpay_requests.push(jpay_request("jp-insufficient", "150.00", 1));
    jpay_requests.push(jpay_request("jp-declined", "150.00", 5));
    jpay_requests.push(jpay_request("jp-500", "666.66", 7000));
    jpay_requests.push(jpay_request("jp-too-small", "0.50", 7001));
    // Payonify: 97 ordinary, two scripted failures, one HTTP 500.
    let mut payonify_requests = payonify_batch("po", 97);
    payonify_requests.push(payonify_request("po-not-found", "5.00", 2));
    payonify_requests.push(payonify_request("po-blocked", "5.00", 3));
    payonify_requests.push(payonify_request("po-500", "666.66", 7000));

    let store = memory_store().await;
    let jpay_progress: Arc<Mutex<Vec<Progress>>> = Arc::default();
    let seen = Arc::clone(&jpay_progress);
    let jpay = BatchRunner::new(
        Arc::new(sandbox.jpay_client().expect("client")),
        store.clone(),
    )
    .concurrency(16)
    .on_progress(move |p| seen.lock().expect("lock").push(p.clone()));
    let payonify = BatchRunner::new(
        Arc::new(sandbox.payonify_client().expect("client")),
        store.clone(),
    )
    .concurrency(16);

    let (jpay_items, payonify_items) = tokio::join!(
        collect(jpay.run_iter(jpay_requests.clone())),
        collect(payonify.run_iter(payonify_requests.clone())),
    );
    let jpay_items = by_reference(jpay_items);
    let payonify_items = by_reference(payonify_items);
    assert_eq!(jpay_items.len() + payonify_items.len(), 200);

    // JPay outcomes, exactly.
    assert_eq!(
        tally(&jpay_items),
        [("failed", 1), ("sent", 98), ("unknown", 1)].into()
    );
    assert!(
        matches!(
            &jpay_items["jp-500"].outcome,
            BatchOutcome::Unknown(Error::OutcomeUnknown {
                provider: ProviderId::JPAY,
                operation: "create_payout",
                reference: Some(r),
                cause: Ambiguity::ServerError { status: 500 },
                ..
            }) if r.as_str() == "jp-500"
        ),
        "{:?}",
        jpay_items["jp-500"].outcome
    );
    assert!(
        matches!(
            &jpay_items["jp-too-small"].outcome,
            BatchOutcome::Failed(Error::InvalidRequest { field: "amount", reason, .. })
                if reason == "must be between 1.00 and 999999.99 KES, got 0.50"
        ),
        "{:?}",
        jpay_items["jp-too-small"].outcome
    );
    // Payonify outcomes, exactly.
    assert_eq!(
        tally(&payonify_items),
        [("sent", 99), ("unknown", 1)].into()
    );
    assert!(
        matches!(
            &payonify_items["po-500"].outcome,
            BatchOutcome::Unknown(Error::OutcomeUnknown {
                provider: ProviderId::PAYONIFY,
                cause: Ambiguity::ServerError { status: 500 },
                ..
            })
        ),
        "{:?}",
        payonify_items["po-500"].outcome
    );

    // The ledger: every accepted payout exactly once, nothing else; the 500s recorded nothing;
    // the keyed 500s were retried by the HTTP layer (3 attempts), the invalid amount never left.
    let jpay_sent: Vec<PayoutRequest> = jpay_requests[..98].to_vec();
    let payonify_sent: Vec<PayoutRequest> = payonify_requests[..99].to_vec();
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &jpay_sent);
    assert_paid_exactly_once(&sandbox, ProviderId::PAYONIFY, &payonify_sent);
    assert_eq!(posts(&sandbox, JPAY_POST), 98 + 3);
    assert_eq!(posts(&sandbox, PAYONIFY_POST), 99 + 3);
    for item in jpay_items.values().chain(payonify_items.values()) {
        if let BatchOutcome::Sent(payout) = &item.outcome {
            assert_eq!(payout.reference.as_ref(), Some(&item.reference));
        }
    }

    // Scripted failures: accepted, then failed with the provider's exact reason.
    assert_eq!(
        settled(&sandbox, ProviderId::JPAY, "jp-insufficient").await,
        failed("1", "The balance is insufficient for the transaction.")
    );
    assert_eq!(
        settled(&sandbox, ProviderId::JPAY, "jp-declined").await,
        failed(
            "2042",
            "The transaction was declined by the recipient's provider."
        )
    );
    let client = sandbox.jpay_client().expect("client");
    let BatchOutcome::Sent(created) = &jpay_items["jp-insufficient"].outcome else {
        panic!("{:?}", jpay_items["jp-insufficient"].outcome)
    };
    let fetched = client.get_payout(&created.id).await.expect("status");
    assert!(
        matches!(
            &fetched.status,
            Status::Failed {
                reason: FailureReason::InsufficientFunds,
                ..
            }
        ),
        "{:?}",
        fetched.status
    );
    let not_found = settled(&sandbox, ProviderId::PAYONIFY, "po-not-found").await;
    assert!(
        matches!(&not_found, EntryStatus::Failed { code, .. } if code == "account_not_found"),
        "{not_found:?}"
    );
    let blocked = settled(&sandbox, ProviderId::PAYONIFY, "po-blocked").await;
    assert!(
        matches!(&blocked, EntryStatus::Failed { code, .. } if code == "account_blocked"),
        "{blocked:?}"
    );

    // The store: one row per request, one intent each, the exact states.
    let stored = store.items(DEFAULT_BATCH, None).await.expect("items");
    assert_eq!(stored.len(), 200);
    assert!(
        stored.iter().all(|i| i.attempts == 1),
        "one intent per request"
    );
    // The invalid amount moved nothing and is not final: fixed, the next run sends it.
    assert_eq!(
        store.count_by_state(DEFAULT_BATCH).await.expect("counts"),
        [
            ("not_sent".to_owned(), 1),
            ("sent".to_owned(), 197),
            ("unknown".to_owned(), 2)
        ]
        .into()
    );
    let jpay = ProviderId::JPAY;
    assert_eq!(
        state_of(&store, jpay, "jp-0000").await,
        Some(ItemState::Sent)
    );
    assert_eq!(
        state_of(&store, jpay, "jp-500").await,
        Some(ItemState::Unknown)
    );
    assert_eq!(
        state_of(&store, jpay, "jp-too-small").await,
        Some(ItemState::NotSent)
    );
    let sent = store
        .item(jpay, &reference("jp-0000"))
        .await
        .expect("read")
        .expect("stored");
    let BatchOutcome::Sent(payout) = &jpay_items["jp-0000"].outcome else {
        unreachable!()
    };
    assert_eq!(sent.record.payout_id.as_deref(), Some(payout.id.as_str()));
    assert_eq!(sent.request, jpay_requests[0]);
    assert_eq!(sent.index, 0);

    // Progress: one callback per completion, in order, ending with the exact counts.
    let reports = jpay_progress.lock().expect("lock").clone();
    assert_eq!(reports.len(), 100);
    for (i, p) in reports.iter().enumerate() {
        assert_eq!(p.completed, i as u64 + 1);
        assert_eq!(p.in_flight, p.submitted - p.completed);
        // Taken from the input: the 16 request slots and as many claims made ahead of them.
        assert!(p.in_flight <= 32, "{p:?}");
    }
    let last = reports.last().expect("reports");
    assert_eq!(
        (
            last.submitted,
            last.completed,
            last.sent,
            last.skipped,
            last.reconciled,
            last.failed,
            last.unknown,
            last.in_flight,
            last.throttled
        ),
        (100, 100, 98, 0, 0, 1, 1, 0, 0)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_than_the_concurrency_is_in_flight() {
    let sandbox = sandbox().await;
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_POST),
        Fault::Latency(Duration::from_millis(50)),
        40,
    );
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let requests = jpay_batch("conc", 40);
    let runner = BatchRunner::new(provider.clone(), memory_store().await).concurrency(4);

    let items = by_reference(collect(runner.run_iter(requests.clone())).await);

    assert_eq!(tally(&items), [("sent", 40)].into());
    assert_eq!(provider.creates.load(Ordering::SeqCst), 40);
    // Each create waits 50 ms at the provider, so the four slots fill; never a fifth.
    assert_eq!(provider.max_in_flight.load(Ordering::SeqCst), 4);
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_slows_the_engine_and_every_payout_still_lands_once() {
    let sandbox = sandbox().await;
    // No HTTP-layer retries, so each 429 reaches the engine.
    let client = JpayClient::new(
        sandbox
            .jpay_config()
            .with_http(sandbox_http_config().with_retry(RetryPolicy::none())),
    )
    .expect("client");
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_POST),
        Fault::TooManyRequests {
            retry_after: Duration::ZERO,
        },
        5,
    );
    let provider = Counting::new(Arc::new(client));
    let rates: Arc<Mutex<Vec<Option<u32>>>> = Arc::default();
    let seen = Arc::clone(&rates);
    let runner = BatchRunner::new(provider.clone(), memory_store().await)
        .concurrency(1)
        .rate_limit(Some(20))
        .on_progress(move |p| seen.lock().expect("lock").push(p.rate_limit));
    let requests = jpay_batch("rl", 30);

    let started = Instant::now();
    let items = by_reference(collect(runner.run_iter(requests.clone())).await);
    let elapsed = started.elapsed();

    assert_eq!(tally(&items), [("sent", 30)].into());
    assert_eq!(
        provider.creates.load(Ordering::SeqCst),
        35,
        "30 + 5 throttled"
    );
    assert_eq!(posts(&sandbox, JPAY_POST), 35);
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &requests);
    // The 429s slowed the engine below its configured 20/s (exactly how far depends on how
    // the five spread over the real clock; the halving rule itself is tested on a paused clock
    // in src/batch/rate.rs).
    let rates = rates.lock().expect("lock").clone();
    let min = rates.iter().flatten().min().copied();
    assert!(min.is_some_and(|rate| rate < 20), "{rates:?}");
    // 35 sends at most 20 per second take at least 34 × 50 ms (a lower bound only).
    assert!(elapsed >= Duration::from_millis(1700), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttled_past_the_engines_retries_is_failed_and_sent_by_the_next_run() {
    let sandbox = sandbox().await;
    let client = Arc::new(
        JpayClient::new(
            sandbox
                .jpay_config()
                .with_http(sandbox_http_config().with_retry(RetryPolicy::none())),
        )
        .expect("client"),
    );
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_POST),
        Fault::TooManyRequests {
            retry_after: Duration::ZERO,
        },
        disburse::batch::MAX_THROTTLED_ATTEMPTS,
    );
    let store = memory_store().await;
    let runner = BatchRunner::new(client, store.clone()).rate_limit(Some(1000));
    let request = jpay_request("rl-give-up", "150.00", 6100);

    let items = collect(runner.run_iter([request.clone()])).await;
    assert!(
        matches!(
            &items[0].outcome,
            BatchOutcome::Failed(Error::RateLimited {
                provider: ProviderId::JPAY,
                ..
            })
        ),
        "{:?}",
        items[0].outcome
    );
    assert_eq!(
        state_of(&store, ProviderId::JPAY, "rl-give-up").await,
        Some(ItemState::NotSent)
    );
    assert!(sandbox.ledger(ProviderId::JPAY).is_empty());

    let again = collect(runner.run_iter([request.clone()])).await;
    assert!(
        matches!(&again[0].outcome, BatchOutcome::Sent(_)),
        "{:?}",
        again[0].outcome
    );
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &[request]);
}

#[tokio::test]
async fn a_reference_twice_in_one_input_is_refused_and_paid_once() {
    let sandbox = sandbox().await;
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let store = memory_store().await;
    let runner = BatchRunner::new(provider.clone(), store.clone());
    assert_eq!(
        format!("{runner:?}"),
        "BatchRunner { provider: jpay, store: Store { backend: \"sqlite\", database: \"sqlite::memory:\", lease: 30s }, batch: \"default\", concurrency: 8, rate_limit: None, on_progress: false }"
    );
    let first = jpay_request("dup-a", "150.00", 6200);
    let other = jpay_request("dup-b", "150.00", 6201);
    let again = jpay_request("dup-a", "999.00", 6202);

    let items = collect(runner.run_iter([first.clone(), other.clone(), again])).await;

    assert_eq!(items.len(), 3, "{items:?}");
    let refused: Vec<_> = items
        .iter()
        .filter(|i| matches!(i.outcome, BatchOutcome::Failed(_)))
        .collect();
    assert_eq!(refused.len(), 1);
    assert!(
        matches!(
            &refused[0].outcome,
            BatchOutcome::Failed(Error::InvalidRequest { field: "reference", reason, .. })
                if reason == "dup-a appears more than once in this batch; only its first occurrence is \
                    processed"
        ),
        "{:?}",
        refused[0].outcome
    );
    assert_eq!(provider.creates.load(Ordering::SeqCst), 2);
    let stored = store.items(DEFAULT_BATCH, None).await.expect("items");
    assert_eq!(stored.len(), 2, "nothing stored for the duplicate");
    assert_eq!(
        stored[0].request, first,
        "the first occurrence is stored, not the repeat"
    );
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &[first, other]);
}

#[tokio::test]
async fn a_rejection_is_final_and_skipped_by_the_next_run() {
    let sandbox = sandbox().await;
    sandbox.set_balance(
        ProviderId::JPAY,
        Money::parse("200.00", Currency::KES).expect("amount"),
    );
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let runner = BatchRunner::new(provider.clone(), memory_store().await).concurrency(1);
    let requests = vec![
        jpay_request("rej-1", "150.00", 6300),
        jpay_request("rej-2", "150.00", 6301),
    ];

    let items = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert!(matches!(items["rej-1"].outcome, BatchOutcome::Sent(_)));
    assert!(
        matches!(
            &items["rej-2"].outcome,
            BatchOutcome::Failed(Error::Rejected {
                provider: ProviderId::JPAY,
                status: 400,
                code: RejectCode::InsufficientBalance,
                message,
                ..
            }) if message == "Insufficient balance in payout wallet"
        ),
        "{:?}",
        items["rej-2"].outcome
    );

    let rerun = by_reference(collect(runner.run_iter(requests.clone())).await);
    for r in ["rej-1", "rej-2"] {
        assert!(
            matches!(rerun[r].outcome, BatchOutcome::AlreadyDone(_)),
            "{r}: {:?}",
            rerun[r].outcome
        );
    }
    let BatchOutcome::AlreadyDone(record) = &rerun["rej-2"].outcome else {
        unreachable!()
    };
    assert_eq!(record.state, ItemState::Failed);
    assert_eq!(
        record.detail.as_deref(),
        Some(
            "jpay: rejected with HTTP 400 (InsufficientBalance): Insufficient balance in payout wallet"
        )
    );
    let BatchOutcome::AlreadyDone(record) = &rerun["rej-1"].outcome else {
        unreachable!()
    };
    assert_eq!(record.state, ItemState::Sent);
    assert_eq!(
        provider.creates.load(Ordering::SeqCst),
        2,
        "nothing re-sent"
    );
    assert_eq!(posts(&sandbox, JPAY_POST), 2);
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &requests[..1]);
}

/// A reference already used at the provider for another payout (outside this store) is not
/// that row's payout: the row fails, nothing is sent twice, and the batch never reports the
/// other payout as this row's (which would leave the row's recipient unpaid while it says done).
/// The same reference for the same payout is that payout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reference_taken_at_the_provider_by_another_amount_fails_and_is_not_adopted() {
    let sandbox = sandbox().await;
    let client = Arc::new(sandbox.jpay_client().expect("client"));
    let earlier = client
        .create_payout(&jpay_request("taken-1", "150.00", 6300))
        .await
        .expect("the earlier payout");
    let same = client
        .create_payout(&jpay_request("taken-2", "80.00", 6301))
        .await
        .expect("the earlier payout");
    let posts_before = posts(&sandbox, JPAY_POST);

    let provider = Counting::new(client);
    let runner = BatchRunner::new(provider.clone(), memory_store().await);
    let items = by_reference(
        collect(runner.run_iter([
            jpay_request("taken-1", "200.00", 6300),
            jpay_request("taken-2", "80.00", 6301),
        ]))
        .await,
    );

    assert!(
        matches!(
            &items["taken-1"].outcome,
            BatchOutcome::Failed(Error::InvalidRequest { field: "reference", reason, .. })
                if *reason == format!(
                    "taken-1 is taken at the provider by payout {} of 150.00 KES, not \
                     200.00 KES; a changed payout needs a new reference",
                    earlier.id
                )
        ),
        "{:?}",
        items["taken-1"].outcome
    );
    // Same amount and wallet: JPay's adapter resolves its own duplicate answer to the payout.
    assert!(
        matches!(&items["taken-2"].outcome, BatchOutcome::Sent(p) if p.id == same.id),
        "{:?}",
        items["taken-2"].outcome
    );
    // One POST each (refused as duplicates), no payout added.
    assert_eq!(posts(&sandbox, JPAY_POST) - posts_before, 2);
    let taken = sandbox.payouts_for_reference(ProviderId::JPAY, "taken-1");
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].id, earlier.id);
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::JPAY, "taken-2")
            .len(),
        1
    );
}
