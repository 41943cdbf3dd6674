//! The payout store's rules, enforced by the database, on both backends (a real SQLite file and
//! a real PostgreSQL server): one payout per reference across batches and file names, a changed
//! request refused with a typed error before sending, a webhook event applied once, the intent
//! recorded only after the rate-limit slot, and databases that are not ours refused.
#![cfg(all(feature = "sandbox", feature = "sqlite", feature = "postgres"))]

mod batch_support;
mod pg_support;
mod sandbox_support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use batch_support::{
    Counting, assert_paid_exactly_once, by_reference, collect, jpay_batch, jpay_request,
    payonify_batch, payonify_request, sandbox, state_of, tally, vesicash_batch,
};
use disburse::batch::{BatchOutcome, BatchRunner};
use disburse::sandbox::{Fault, Route, Sandbox};
use disburse::store::{Applied, ItemState, PayoutStore, StatusChange, Store};
use disburse::{Error, PayoutProvider, PayoutRequest, ProviderId, Reference, WebhookRequest};
use futures_util::StreamExt;
use sandbox_support::Receiver;

#[derive(Debug, Clone, Copy)]
enum Backend {
    Sqlite,
    Postgres,
}

const BACKENDS: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];

/// A store on a fresh database and what keeps it alive.
struct TestStore {
    store: Arc<Store>,
    url: String,
    _dir: tempfile::TempDir,
    _pg: Option<pg_support::TestDb>,
}

async fn test_store(backend: Backend, name: &str) -> TestStore {
    let dir = tempfile::tempdir().expect("temp dir");
    let (url, pg) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}", dir.path().join("payouts.db").display()),
            None,
        ),
        Backend::Postgres => {
            let db = pg_support::test_database(name).await;
            (db.url.clone(), Some(db))
        }
    };
    let store = Arc::new(
        Store::open(&url)
            .await
            .expect("store opens")
            .with_lease(Duration::from_secs(2)),
    );
    TestStore {
        store,
        url,
        _dir: dir,
        _pg: pg,
    }
}

fn clients(sandbox: &Sandbox) -> Vec<(Arc<Counting>, Vec<PayoutRequest>)> {
    vec![
        (
            Counting::new(Arc::new(sandbox.jpay_client().expect("client"))),
            jpay_batch("again", 20),
        ),
        (
            Counting::new(Arc::new(sandbox.payonify_client().expect("client"))),
            payonify_batch("again", 20),
        ),
        (
            Counting::new(Arc::new(sandbox.vesicash_client().expect("client"))),
            vesicash_batch("again", 20),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_references_under_another_file_name_or_batch_are_never_paid_twice() {
    for backend in BACKENDS {
        let sandbox = sandbox().await;
        let t = test_store(backend, "again").await;
        for (provider, requests) in clients(&sandbox) {
            let id = provider.id();
            // The CLI names a batch after its file: the same rows under two file names, then
            // in a batch of another name.
            for (run, batch) in ["payroll.csv", "payroll (copy).csv", "december"]
                .into_iter()
                .enumerate()
            {
                let runner = BatchRunner::new(provider.clone(), t.store.clone()).batch(batch);
                let items = by_reference(collect(runner.run_iter(requests.clone())).await);
                let expected = if run == 0 { "sent" } else { "already_done" };
                assert_eq!(
                    tally(&items),
                    [(expected, requests.len())].into(),
                    "{backend:?} {id} {batch}"
                );
            }
            assert_eq!(
                provider.creates.load(Ordering::SeqCst),
                20,
                "{backend:?} {id}"
            );
            assert_eq!(provider.finds.load(Ordering::SeqCst), 0, "{backend:?} {id}");
            assert_paid_exactly_once(&sandbox, id, &requests);
        }
        // The rows stay in the batch that sent them.
        assert_eq!(
            t.store
                .items("payroll.csv", None)
                .await
                .expect("items")
                .len(),
            60,
            "{backend:?}"
        );
        assert!(
            t.store
                .items("december", None)
                .await
                .expect("items")
                .is_empty()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_request_under_a_stored_reference_is_refused_before_anything_is_sent() {
    for backend in BACKENDS {
        let sandbox = sandbox().await;
        let t = test_store(backend, "changed").await;
        let provider = Counting::new(Arc::new(sandbox.payonify_client().expect("client")));
        let original = payonify_request("changed-1", "5.00", 6500);
        let runner = BatchRunner::new(provider.clone(), t.store.clone()).batch("first");
        collect(runner.run_iter([original.clone()])).await;

        let runner = BatchRunner::new(provider.clone(), t.store.clone()).batch("second");
        let items = collect(runner.run_iter([
            payonify_request("changed-1", "6.00", 6500),
            payonify_request("changed-1", "5.00", 6501),
        ]))
        .await;
        assert_eq!(items.len(), 2);
        for item in &items {
            assert!(
                matches!(
                    &item.outcome,
                    BatchOutcome::Failed(Error::ReferenceConflict {
                        provider: ProviderId::PAYONIFY,
                        reference,
                        stored,
                    }) if reference.as_str() == "changed-1" && stored == "USD 5.00"
                ),
                "{backend:?}: {:?}",
                item.outcome
            );
        }
        assert_eq!(provider.creates.load(Ordering::SeqCst), 1, "{backend:?}");
        assert_paid_exactly_once(
            &sandbox,
            ProviderId::PAYONIFY,
            std::slice::from_ref(&original),
        );
        let stored = t
            .store
            .item(ProviderId::PAYONIFY, &original.reference)
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(
            stored.request, original,
            "{backend:?}: the stored request is unchanged"
        );
        assert_eq!(stored.batch, "first");
    }
}

/// A real, signed Payonify webhook from the sandbox, verified by the adapter.
async fn payonify_webhook(sandbox: &Sandbox, store: &Arc<Store>) -> disburse::WebhookEvent {
    let receiver = Receiver::start(0).await;
    sandbox.set_webhook_url(
        ProviderId::PAYONIFY,
        Some(&format!("{}/payonify", receiver.base)),
    );
    let client = Arc::new(sandbox.payonify_client().expect("client"));
    let runner = BatchRunner::new(client.clone(), store.clone()).batch("hooks");
    let items = collect(runner.run_iter([payonify_request("hook-1", "5.00", 6600)])).await;
    assert!(
        matches!(items[0].outcome, BatchOutcome::Sent(_)),
        "{:?}",
        items[0].outcome
    );
    let hit = receiver.wait_for(1).await.remove(0);
    let url = format!("{}{}", receiver.base, hit.uri);
    client
        .parse_webhook(&WebhookRequest::post(&url, &hit.headers, &hit.body))
        .expect("an authentic event")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_delivered_twice_and_to_two_workers_at_once_is_applied_once() {
    for backend in BACKENDS {
        let sandbox = sandbox().await;
        let t = test_store(backend, "webhook").await;
        let event = payonify_webhook(&sandbox, &t.store).await;
        let change = StatusChange::from_webhook(&event);
        assert!(change.event_id().is_some(), "Payonify events carry an id");
        assert_eq!(change.status, "succeeded");

        // Two workers at the same moment: on PostgreSQL two stores (two processes' pools) on
        // one database; on SQLite, one process, two tasks.
        let other: Arc<Store> = match backend {
            Backend::Postgres => Arc::new(Store::open(&t.url).await.expect("second instance")),
            Backend::Sqlite => t.store.clone(),
        };
        let (a, b) = tokio::join!(
            tokio::spawn({
                let (store, change) = (t.store.clone(), change.clone());
                async move { store.record_status(&change).await }
            }),
            tokio::spawn({
                let (store, change) = (other.clone(), change.clone());
                async move { store.record_status(&change).await }
            }),
        );
        let mut answers = [a.expect("task").expect("a"), b.expect("task").expect("b")];
        answers.sort_by_key(|a| matches!(a, Applied::Duplicate));
        assert_eq!(
            answers,
            [Applied::Applied { matched: true }, Applied::Duplicate],
            "{backend:?}"
        );
        // Redelivered later: still once.
        assert_eq!(
            t.store.record_status(&change).await.expect("again"),
            Applied::Duplicate
        );

        let changes = t
            .store
            .status_changes(ProviderId::PAYONIFY, "hook-1")
            .await
            .expect("changes");
        let sources: Vec<(&str, &str, Option<&str>)> = changes
            .iter()
            .map(|c| (c.source.as_str(), c.status.as_str(), c.event_id.as_deref()))
            .collect();
        assert_eq!(
            sources,
            [
                ("send", "pending", None),
                ("webhook", "succeeded", event.event_id.as_deref())
            ],
            "{backend:?}"
        );
        let item = t
            .store
            .item(
                ProviderId::PAYONIFY,
                &Reference::new("hook-1").expect("reference"),
            )
            .await
            .expect("read")
            .expect("stored");
        assert_eq!(item.record.state, ItemState::Sent);
        assert_eq!(item.record.status.as_deref(), Some("succeeded"));
        assert_eq!(item.record.payout_id, event.provider_reference);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_waiting_for_its_rate_limit_slot_when_the_run_dies_is_not_sent_and_the_rerun_sends_it()
 {
    for backend in BACKENDS {
        let sandbox = sandbox().await;
        let t = test_store(backend, "slot").await;
        let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
        // One send per second and eight rows in flight at once: the first goes at once, the
        // others wait for their slots, the last for seven seconds. However slow the machine,
        // the last is claimed and waiting when the run dies.
        const ROWS: u32 = 8;
        let requests = jpay_batch("slot", ROWS);
        let last = &requests[ROWS as usize - 1].reference;
        let runner = BatchRunner::new(provider.clone(), t.store.clone())
            .concurrency(ROWS as usize)
            .rate_limit(Some(1))
            .batch("slots");
        // The run, in a task that dies (aborted) once the last row is claimed.
        let input = requests.clone();
        let run = tokio::spawn(async move {
            let mut results = Box::pin(runner.run_iter(input));
            while results.next().await.is_some() {}
        });
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        while t
            .store
            .item(ProviderId::JPAY, last)
            .await
            .expect("read")
            .is_none()
        {
            assert!(std::time::Instant::now() < deadline, "never claimed");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        run.abort();
        assert!(run.await.expect_err("aborted").is_cancelled());
        // What the run left: rows whose slot came are sent (or in flight when it died); the
        // rest are claimed and not sent, the last among them.
        let mut left = BTreeMap::new();
        for request in &requests {
            let state = t
                .store
                .item(ProviderId::JPAY, &request.reference)
                .await
                .expect("read")
                .map(|item| (item.record.state, item.attempts));
            left.insert(request.reference.clone(), state);
        }
        assert_eq!(
            left[last],
            Some((ItemState::Pending, 0)),
            "{backend:?}: waiting for its slot, not sent"
        );
        let sent_before = left
            .values()
            .filter(|s| matches!(s, Some((ItemState::Sent, _))))
            .count();
        let pending = left
            .values()
            .filter(|s| matches!(s, Some((ItemState::Pending, 0))))
            .count();

        let runner = BatchRunner::new(provider.clone(), t.store.clone()).batch("slots");
        let items = by_reference(collect(runner.run_iter(requests.clone())).await);
        assert!(
            matches!(items[last.as_str()].outcome, BatchOutcome::Sent(_)),
            "{backend:?}: the rerun sends the row that waited: {:?}",
            items[last.as_str()].outcome
        );
        let counts = tally(&items);
        // At least the rows stored as sent when the run died (an outcome whose write was under
        // way may land after the snapshot).
        assert!(
            counts.get("already_done").copied().unwrap_or(0) >= sent_before,
            "{backend:?}: {counts:?}"
        );
        // Every row that was waiting for its slot is sent by the rerun, none reconciled.
        for (reference, state) in &left {
            if *state == Some((ItemState::Pending, 0)) {
                assert!(
                    matches!(items[reference.as_str()].outcome, BatchOutcome::Sent(_)),
                    "{backend:?}: {reference}: {:?}",
                    items[reference.as_str()].outcome
                );
            }
        }
        assert!(
            provider.finds.load(Ordering::SeqCst) <= (ROWS as usize - pending) as u64,
            "only rows that may have been sent are looked up"
        );
        assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &requests);
        for request in &requests {
            let state = state_of(&t.store, ProviderId::JPAY, request.reference.as_str()).await;
            let expected: &[ItemState] =
                if left[&request.reference] == Some((ItemState::Pending, 0)) {
                    &[ItemState::Sent]
                } else {
                    // In flight when the run died: found by the rerun.
                    &[ItemState::Sent, ItemState::Reconciled]
                };
            assert!(
                state.is_some_and(|s| expected.contains(&s)),
                "{backend:?}: {}: {state:?}",
                request.reference
            );
        }
    }
}

#[tokio::test]
async fn an_sqlite_file_that_is_not_ours_or_is_in_use_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("temp dir");

    // Not a database at all.
    let garbage = dir.path().join("garbage.db");
    std::fs::write(
        &garbage,
        b"this is not an SQLite database, it is a text file!",
    )
    .expect("write");
    let err = Store::sqlite(&garbage).await.expect_err("not a database");
    assert!(
        matches!(&err, Error::Store { message, source: Some(_) }
            if message.starts_with(&format!("{}: cannot open: ", garbage.display()))
                && message.ends_with("(the file is not an SQLite database)")),
        "{err:?}"
    );

    // An SQLite database of another application.
    let foreign = dir.path().join("foreign.db");
    {
        use sqlx::Connection;
        let mut c =
            sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=rwc", foreign.display()))
                .await
                .expect("create");
        sqlx::query("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total TEXT)")
            .execute(&mut c)
            .await
            .expect("create table");
        c.close().await.expect("close");
    }
    let err = Store::sqlite(&foreign).await.expect_err("not ours");
    assert!(
        matches!(&err, Error::Store { message, source: None }
            if *message == format!("{} is not a disburse payout store (it holds other tables: invoices); refusing to touch it", foreign.display())),
        "{err:?}"
    );

    // In use by another store (another process on SQLite).
    let ours = dir.path().join("payouts.db");
    let first = Store::sqlite(&ours).await.expect("first opener");
    let err = Store::sqlite(&ours).await.expect_err("second opener");
    assert!(
        matches!(&err, Error::Store { message, .. }
            if message.starts_with(&format!("{}: cannot open: ", ours.display()))
                && message.ends_with("(another process has it open: one process at a time on SQLite; use PostgreSQL for several)")),
        "{err:?}"
    );
    first.close().await;
    Store::sqlite(&ours)
        .await
        .expect("free again once the first is closed (not dropped)");
}

/// `Store::close` frees an SQLite file before it returns: right after it, with the closed store
/// still alive (not dropped), a plain connection and a new store open the same file and write,
/// at once (no retry: a file still locked fails the test).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_sqlite_store_frees_its_file_at_once() {
    use sqlx::{ConnectOptions, Connection};
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("payouts.db");
    let sandbox = sandbox().await;
    let provider = Counting::new(Arc::new(sandbox.payonify_client().expect("client")));
    let requests = payonify_batch("close", 20);

    for round in 0..3 {
        let first = Arc::new(Store::sqlite(&path).await.expect("open"));
        // Every path that holds the connection has held it: the commit group (claims,
        // intents, outcomes, the worker's heartbeat) and the reads, the last one just before
        // closing.
        let runner = BatchRunner::new(provider.clone(), first.clone()).batch("close");
        let items = by_reference(collect(runner.run_iter(requests.clone())).await);
        let expected = if round == 0 { "sent" } else { "already_done" };
        assert_eq!(tally(&items), [(expected, 20)].into(), "round {round}");
        let stored = first.items("close", None).await.expect("items");
        assert_eq!(stored.len(), 20);
        first.close().await;

        // A plain connection, locking the file as the store does, writes at once.
        let mut c = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .locking_mode(sqlx::sqlite::SqliteLockingMode::Exclusive)
            .busy_timeout(Duration::ZERO)
            .connect()
            .await
            .expect("connect right after close");
        sqlx::query("INSERT INTO workers (id, heartbeat_at) VALUES ('probe', 1)")
            .execute(&mut c)
            .await
            .expect("write right after close");
        c.close().await.expect("close the plain connection");

        // A new store opens it and writes (a status change) at once.
        let second = Store::sqlite(&path)
            .await
            .expect("the file is free once the first store is closed");
        let applied = second
            .record_status(&StatusChange::new(
                ProviderId::PAYONIFY,
                Some(requests[0].reference.as_str().to_owned()),
                None,
                &disburse::Status::Succeeded,
                disburse::store::ChangeSource::Poll,
            ))
            .await
            .expect("write through the new store");
        assert_eq!(applied, Applied::Applied { matched: true });
        second.close().await;

        // The closed store refuses calls with a typed error naming its file.
        let err = first
            .item(ProviderId::PAYONIFY, &requests[0].reference)
            .await
            .expect_err("closed");
        assert!(
            matches!(&err, Error::Store { message, .. }
                if message.starts_with(&format!("{}: reading an item: ", path.display()))),
            "{err:?}"
        );
        // Only now is the first store dropped.
        drop(first);
    }
    assert_eq!(provider.creates.load(Ordering::SeqCst), 20);
    assert_paid_exactly_once(&sandbox, ProviderId::PAYONIFY, &requests);
}

/// Marks `url`'s schema as migrated by a later version of the crate.
async fn add_future_migration(store: &Store, url: &str) {
    store.close().await;
    let sql = "INSERT INTO _sqlx_migrations (version, description, success, checksum, \
               execution_time) VALUES (99, 'from the future', TRUE, X'00', 1)";
    use sqlx::Connection;
    if url.starts_with("sqlite") {
        let mut c = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query(sql).execute(&mut c).await.expect("insert");
        c.close().await.expect("close");
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query(&sql.replace("X'00'", "'\\x00'::bytea"))
            .execute(&mut c)
            .await
            .expect("insert");
        c.close().await.expect("close");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_newer_than_this_crate_is_refused_before_anything_is_sent() {
    for backend in BACKENDS {
        let t = test_store(backend, "future").await;
        // Closed, not dropped: the file is free once `close` returns.
        add_future_migration(&t.store, &t.url).await;
        let err = Store::open(&t.url).await.expect_err("newer schema");
        let name = match backend {
            Backend::Sqlite => t.url.trim_start_matches("sqlite://").to_owned(),
            Backend::Postgres => {
                let url = url::Url::parse(&t.url).expect("url");
                format!(
                    "postgres {}:{}{}",
                    url.host_str().expect("host"),
                    url.port().expect("port"),
                    url.path()
                )
            }
        };
        assert!(
            matches!(&err, Error::Store { message, source: Some(_) }
                if *message == format!("{name}: its schema is at version 99, newer than this version of disburse knows (up to 2); refusing to use it: upgrade disburse")),
            "{backend:?}: {err:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payout_request_reads_back_whole_from_both_backends() {
    for backend in BACKENDS {
        let sandbox = sandbox().await;
        let t = test_store(backend, "readback").await;
        let request = jpay_request("rb-1", "1234.56", 6700).with_metadata("cost-centre", "ops");
        let runner = BatchRunner::new(
            Arc::new(sandbox.jpay_client().expect("client")),
            t.store.clone(),
        )
        .batch("rb");
        let before = chrono::Utc::now().timestamp_millis();
        collect(runner.run_iter([request.clone()])).await;
        let after = chrono::Utc::now().timestamp_millis();
        let stored = t
            .store
            .items("rb", Some(ItemState::Sent))
            .await
            .expect("items");
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].request, request, "{backend:?}");
        assert_eq!(stored[0].provider, "jpay");
        assert_eq!(stored[0].attempts, 1);
        // When it was claimed, read back as it was written (milliseconds): the lower bound
        // `disburse reconcile` gives an operator for when it may have been sent.
        let claimed = stored[0].claimed_at.timestamp_millis();
        assert!(
            (before..=after).contains(&claimed),
            "{backend:?}: claimed at {claimed}, run from {before} to {after}"
        );
        assert_eq!(
            t.store.count_by_state("rb").await.expect("counts"),
            [("sent".to_owned(), 1)].into()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_mid_batch_stops_it_naming_the_database_and_the_rerun_pays_nothing_twice()
{
    let sandbox = sandbox().await;
    sandbox.inject(
        ProviderId::JPAY,
        disburse::sandbox::Route::post("/payments/payouts/initiate"),
        disburse::sandbox::Fault::Latency(Duration::from_millis(20)),
        u32::MAX,
    );
    // A server of its own, to stop and start again.
    let cluster = tokio::task::spawn_blocking(pg_support::PgCluster::start)
        .await
        .expect("PostgreSQL starts");
    let url = pg_support::create_database(&cluster.url(), "stopped").await;
    let database = url::Url::parse(&url).expect("url").path().to_owned();
    let name = format!("postgres 127.0.0.1:{}{database}", cluster.port);
    let store = Arc::new(
        Store::open(&url)
            .await
            .expect("store")
            .with_lease(Duration::from_secs(1)),
    );
    let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
    let requests = jpay_batch("pgstop", 200);
    let runner = BatchRunner::new(provider.clone(), store.clone())
        .concurrency(8)
        .batch("stopped");
    let cluster = Arc::new(cluster);
    let mut results = Box::pin(runner.run_iter(requests.clone()));
    let mut items = Vec::new();
    while let Some(item) = results.next().await {
        items.push(item);
        if items.len() == 50 {
            let cluster = cluster.clone();
            tokio::task::spawn_blocking(move || cluster.stop())
                .await
                .expect("PostgreSQL stops");
        }
    }
    drop(results);
    drop(runner);

    // The batch stopped with an error naming the database, well before its end.
    assert!(
        items.len() < requests.len(),
        "stopped: {} items",
        items.len()
    );
    let store_errors: Vec<&Error> = items
        .iter()
        .filter_map(|i| match &i.outcome {
            BatchOutcome::Failed(e @ Error::Store { .. }) => Some(e),
            _ => None,
        })
        .collect();
    assert!(!store_errors.is_empty(), "{items:?}");
    for e in &store_errors {
        assert!(
            // The row whose write failed names the database first; rows claimed with it in the
            // same commit say so and quote that error.
            matches!(e, Error::Store { message, .. }
                if message.starts_with(&format!("{name}: "))
                    || message.contains(&format!("payout store: {name}: "))),
            "{e:?}"
        );
    }
    let sent_before = provider.creates.load(Ordering::SeqCst);

    // Restarted: every payout the provider holds had its intent stored first, and the re-run
    // resumes and pays nothing twice.
    let cluster_again = cluster.clone();
    tokio::task::spawn_blocking(move || cluster_again.start_server())
        .await
        .expect("PostgreSQL starts again");
    let store = Arc::new(
        Store::open(&url)
            .await
            .expect("store again")
            .with_lease(Duration::from_secs(1)),
    );
    let stored = store.items("stopped", None).await.expect("items");
    let intents: u64 = stored.iter().map(|i| u64::from(i.attempts)).sum();
    assert!(
        intents >= sent_before,
        "{intents} intents for {sent_before} creates"
    );
    for entry in sandbox.ledger(ProviderId::JPAY) {
        let reference = entry.reference.clone().expect("JPay's ref_no");
        let row = stored
            .iter()
            .find(|i| i.request.reference.as_str() == reference)
            .unwrap_or_else(|| panic!("{reference} was paid without a stored intent"));
        assert!(row.attempts >= 1, "{reference}: {row:?}");
    }
    let runner = BatchRunner::new(provider.clone(), store.clone()).batch("stopped");
    let items = by_reference(collect(runner.run_iter(requests.clone())).await);
    assert_eq!(items.len(), requests.len());
    assert!(
        items.values().all(|i| matches!(
            i.outcome,
            BatchOutcome::Sent(_) | BatchOutcome::AlreadyDone(_) | BatchOutcome::Reconciled(_)
        )),
        "{:?}",
        tally(&items)
    );
    assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &requests);
}

const JPAY_POST: &str = "/payments/payouts/initiate";

/// Waits, on a slow machine too, until `done` holds.
async fn until(what: &str, mut done: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while !done().await {
        assert!(std::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Two workers of one batch in one process (the store is shared like a database between
/// processes): worker A holds 8 JPay rows in flight (the sandbox committed them and holds the
/// answers); worker B runs the same 8 rows and 8 more. Whether A dies and B takes the rows over,
/// or A finishes them, B gives exactly one result per input row: the takeover's (reconciled), or
/// `elsewhere`. It used to give `elsewhere` and then the takeover's result for the same index.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_row_held_by_another_worker_is_reported_once_whether_taken_over_or_finished_there() {
    for backend in BACKENDS {
        for holder_dies in [true, false] {
            let case = format!("{backend:?}, holder dies: {holder_dies}");
            let sandbox = sandbox().await;
            let t = test_store(backend, "elsewhere").await;
            let provider = Counting::new(Arc::new(sandbox.jpay_client().expect("client")));
            let held = jpay_batch("held", 8);
            let all: Vec<PayoutRequest> =
                held.iter().cloned().chain(jpay_batch("free", 8)).collect();
            sandbox.inject(
                ProviderId::JPAY,
                Route::post(JPAY_POST),
                Fault::CommitThenDelay(Duration::from_secs(if holder_dies { 60 } else { 5 })),
                8,
            );
            let a = BatchRunner::new(provider.clone(), t.store.clone())
                .batch("shared")
                .concurrency(8);
            let a_task = tokio::spawn(collect(a.run_iter(held.clone())));
            until("A's 8 payouts committed at the sandbox", async || {
                sandbox.ledger(ProviderId::JPAY).len() == 8
            })
            .await;

            let b = BatchRunner::new(provider.clone(), t.store.clone())
                .batch("shared")
                .concurrency(8);
            let b_task = tokio::spawn(collect(b.run_iter(all.clone())));
            let a_items = if holder_dies {
                // B has taken its whole input (in order: the held rows first) once the free
                // rows are sent; then A dies with its 8 rows in flight.
                until("B's free rows sent", async || {
                    sandbox.ledger(ProviderId::JPAY).len() == 16
                })
                .await;
                a_task.abort();
                assert!(a_task.await.expect_err("aborted").is_cancelled());
                Vec::new()
            } else {
                a_task.await.expect("A finishes")
            };
            let b_items = b_task.await.expect("B finishes");

            let mut indices: Vec<u64> = b_items.iter().map(|item| item.index).collect();
            indices.sort_unstable();
            assert_eq!(
                indices,
                (0..16).collect::<Vec<u64>>(),
                "{case}: one result per row"
            );
            for item in &b_items {
                assert_eq!(
                    item.reference, all[item.index as usize].reference,
                    "{case}: index and reference agree"
                );
                let expected = match (item.index < 8, holder_dies) {
                    (false, _) => "sent",
                    (true, true) => "reconciled",
                    (true, false) => "elsewhere",
                };
                assert_eq!(item.outcome.as_str(), expected, "{case}: {item:?}");
            }
            if !holder_dies {
                assert_eq!(
                    tally(&by_reference(a_items)),
                    [("sent", 8)].into(),
                    "{case}"
                );
            }
            assert_eq!(provider.creates.load(Ordering::SeqCst), 16, "{case}");
            let finds = if holder_dies { 8 } else { 0 };
            assert_eq!(provider.finds.load(Ordering::SeqCst), finds, "{case}");
            assert_paid_exactly_once(&sandbox, ProviderId::JPAY, &all);
        }
    }
}

/// Every table's columns as the migrations built them: (table, column) → (not null, position in
/// the primary key, 0 when not in it). The migration bookkeeping table is left out.
type Schema = BTreeMap<(String, String), (bool, i64)>;

const SQLITE_COLUMNS: &str = "SELECT m.name, p.name, p.\"notnull\", p.pk FROM sqlite_master m \
     JOIN pragma_table_info(m.name) p WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
     AND m.name <> '_sqlx_migrations'";

const POSTGRES_COLUMNS: &str = "SELECT c.table_name::text, c.column_name::text, \
     CAST(CASE WHEN c.is_nullable = 'NO' THEN 1 ELSE 0 END AS BIGINT), \
     CAST(COALESCE((SELECT k.ordinal_position FROM information_schema.table_constraints t \
     JOIN information_schema.key_column_usage k ON k.constraint_name = t.constraint_name \
     AND k.table_schema = t.table_schema AND k.table_name = t.table_name \
     WHERE t.constraint_type = 'PRIMARY KEY' AND t.table_schema = c.table_schema \
     AND t.table_name = c.table_name AND k.column_name = c.column_name), 0) AS BIGINT) \
     FROM information_schema.columns c WHERE c.table_schema = current_schema() \
     AND c.table_name <> '_sqlx_migrations'";

/// The columns of `rows`; a primary-key column is not null whatever SQLite's pragma says
/// (PostgreSQL makes it so; SQLite only refuses NULL where the column says NOT NULL).
fn schema(rows: Vec<(String, String, i64, i64)>) -> Schema {
    rows.into_iter()
        .map(|(table, column, not_null, pk)| ((table, column), (not_null != 0 || pk > 0, pk)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlite_and_postgres_migrations_build_the_same_tables_columns_and_keys() {
    use sqlx::Connection as _;
    let mut schemas = Vec::new();
    for backend in BACKENDS {
        let t = test_store(backend, "schema_parity").await;
        t.store.close().await;
        let rows: Vec<(String, String, i64, i64)> = match backend {
            Backend::Sqlite => {
                let mut conn = sqlx::SqliteConnection::connect(&t.url)
                    .await
                    .expect("sqlite");
                sqlx::query_as(SQLITE_COLUMNS)
                    .fetch_all(&mut conn)
                    .await
                    .expect("sqlite columns")
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&t.url).await.expect("postgres");
                sqlx::query_as(POSTGRES_COLUMNS)
                    .fetch_all(&mut conn)
                    .await
                    .expect("postgres columns")
            }
        };
        schemas.push(schema(rows));
    }
    let (sqlite, postgres) = (&schemas[0], &schemas[1]);
    assert!(
        sqlite.contains_key(&("payout_items".to_owned(), "reference".to_owned())),
        "the migrations ran: {sqlite:?}"
    );
    let only = |a: &Schema, b: &Schema| -> Vec<String> {
        a.iter()
            .filter(|(k, v)| b.get(*k) != Some(*v))
            .map(|((table, column), (not_null, pk))| {
                format!("{table}.{column} (not null {not_null}, key {pk})")
            })
            .collect()
    };
    assert_eq!(
        (only(sqlite, postgres), only(postgres, sqlite)),
        (Vec::<String>::new(), Vec::<String>::new()),
        "columns that differ: (SQLite's, PostgreSQL's)"
    );
}
