//! SQLite's commit group: the writes that arrive while a commit is being made are committed
//! together, so one fsync covers them all (the file journal this store replaced shared its
//! fsyncs the same way). One task makes the commits, one group after another. The group's
//! claims, intents and outcomes are written together, by one script ([`super::batched`]);
//! every other write, and any the script leaves open, on its own, in a savepoint of its own
//! where it has several statements: one failing leaves the others.

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use sqlx::{Acquire, SqliteConnection};
use tokio::sync::{Notify, oneshot};

use super::super::{Applied, Claim};
use super::batched;
use super::ops::sqlite_ops;
use super::ops::{
    AbandonedArgs, AbandonedRow, ClaimArgs, DeferredArgs, DeferredRow, IntentArgs, OutcomeArgs,
    StatusArgs, lock, other,
};
use super::sqlite::{SqliteDb, WeakSqliteDb};

/// A write.
pub(super) enum Op {
    Claim(ClaimArgs),
    Intent(IntentArgs),
    Outcome(OutcomeArgs),
    Status(StatusArgs),
    Heartbeat(String),
    Retire(String),
    Abandoned(AbandonedArgs),
    Deferred(DeferredArgs),
}

impl Op {
    /// True when the write makes at most one change to the database (one `INSERT`, `UPDATE` or
    /// `DELETE`): a claim inserts its row or, when it exists, updates it or remembers it as
    /// held elsewhere; an intent and a heartbeat are one statement each. An outcome and a
    /// status change write the item and a status change, a retirement the worker and its
    /// deferred rows, a takeover and a hand-back the items and the deferred rows: two.
    fn writes_once(&self) -> bool {
        matches!(self, Op::Claim(_) | Op::Intent(_) | Op::Heartbeat(_))
    }
}

/// Its answer (the variant of its [`Op`]).
pub(super) enum Reply {
    Claim(Claim),
    Intent(u64),
    Outcome(u64),
    Status(Applied),
    Heartbeat(()),
    Retire(()),
    Abandoned(Vec<AbandonedRow>),
    Deferred(Vec<DeferredRow>),
}

type Answer = oneshot::Sender<Result<Reply, sqlx::Error>>;
type Waiting = (Op, Answer);

/// The writes waiting for the next commit, and the task that makes the commits.
///
/// One task writes: while it commits a group, the writes that arrive queue for the next, and it
/// takes them as soon as the commit returns. A caller that stops waiting cannot cut a commit
/// that holds other callers' writes in half: the task, not the caller, makes it.
pub(super) struct Group {
    shared: Arc<Shared>,
}

struct Shared {
    queue: Mutex<Vec<Waiting>>,
    /// Wakes the writer when a write is queued (a permit is kept if it is busy).
    queued: Notify,
    /// True while a writer task runs ([`Writing`]). It clears this when it ends, however it
    /// ends, so a write after a runtime shut down (dropping its tasks) starts another on the
    /// caller's runtime. A store is meant for one runtime: a write queued on another while the
    /// first shuts down waits for the next write to start a writer.
    writing: AtomicBool,
    /// Set when the store is dropped: the writer ends once the queue is empty.
    dropped: AtomicBool,
}

impl Default for Group {
    fn default() -> Group {
        Group {
            shared: Arc::new(Shared {
                queue: Mutex::new(Vec::new()),
                queued: Notify::new(),
                writing: AtomicBool::new(false),
                dropped: AtomicBool::new(false),
            }),
        }
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        self.shared.dropped.store(true, Ordering::SeqCst);
        self.shared.queued.notify_one();
    }
}

/// A reply of another write's kind (cannot happen: each op is answered by its own variant).
pub(super) fn mismatch() -> sqlx::Error {
    other("the commit group answered a write with another write's reply")
}

impl Group {
    /// Queues `op` and returns once a commit holding it is durable (or failed).
    pub(super) async fn run(&self, db: &SqliteDb, op: Op) -> Result<Reply, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        lock(&self.shared.queue).push((op, reply));
        if let Some(writing) = Writing::start(&self.shared) {
            tokio::spawn(write(writing, db.downgrade()));
        }
        self.shared.queued.notify_one();
        answer
            .await
            .unwrap_or_else(|_| Err(other("the commit holding this write was lost")))
    }
}

/// The writer's claim on [`Shared::writing`], made before its task is spawned and cleared when
/// dropped: when the writer ends, or when its task is dropped before it ran (or never spawned).
struct Writing(Arc<Shared>);

impl Writing {
    /// `None` when a writer already runs.
    fn start(shared: &Arc<Shared>) -> Option<Writing> {
        (!shared.writing.swap(true, Ordering::SeqCst)).then(|| Writing(Arc::clone(shared)))
    }
}

impl Drop for Writing {
    fn drop(&mut self) {
        self.0.writing.store(false, Ordering::SeqCst);
    }
}

/// The writer: commits what is queued, a group at a time, until the store is dropped. It holds
/// the connection only while it commits, so dropping the store closes it.
async fn write(writing: Writing, db: WeakSqliteDb) {
    let shared = &writing.0;
    loop {
        let waiting = std::mem::take(&mut *lock(&shared.queue));
        if waiting.is_empty() {
            if shared.dropped.load(Ordering::SeqCst) {
                return;
            }
            shared.queued.notified().await;
            continue;
        }
        match db.upgrade() {
            Some(db) => commit(db, waiting).await,
            None => {
                for (_, reply) in waiting {
                    let _ = reply.send(Err(sqlx::Error::PoolClosed));
                }
            }
        }
    }
}

/// Commits one group and answers its writes.
async fn commit(db: SqliteDb, waiting: Vec<Waiting>) {
    let mut unanswered = Vec::with_capacity(waiting.len());
    if let Err(e) = run_all(&db, waiting, &mut unanswered).await {
        let message = e.to_string();
        for (_, reply) in unanswered {
            let _ = reply.send(Err(other(&message)));
        }
        return;
    }
    for (result, reply) in unanswered {
        let _ = reply.send(result);
    }
}

/// A write waiting in the group, with its place in it.
type Queued<A> = (usize, A, Answer);

/// Runs the writes in at most two transactions: the script's (the first claim, intent and
/// outcome of each key), answered once it committed; then, when there are any, the writes left
/// and the others, each on its own, in one more. There a claim is answered as soon as it is
/// decided; every other write waits in `unanswered` for the commit.
///
/// Why a claim need not wait: it decides, and registers the row as pending, which promises
/// nothing to anyone else (the file is this process's alone), and what must be durable before a
/// request leaves is its intent, a later write in a later commit. The intent is a conditional
/// update of the row this claim registered: should this commit fail, the row is not there, the
/// intent updates nothing, and [`record_intent`](super::super::PayoutStore::record_intent)
/// fails: nothing is sent. A crash before this commit leaves no row, which is "not sent" too.
/// This saves each payout one of its three waits for an fsync.
///
/// The order: the script (the first claim, intent and outcome of each key: new rows inserted,
/// intents, outcomes), then the claims left (rows that exist, repeated keys), the intents and
/// outcomes left (repeated keys, or all of them when the script failed), then the other writes
/// as they came. Any order is one the callers could have seen: the writes of one group are all
/// still waiting for their answer, and a caller makes its next write only once its last is
/// answered (a claim answered early here is followed by an intent in a later group). Claims
/// keep their order among themselves, so of two claims of one reference the first is the one
/// that registers the row.
async fn run_all(
    db: &SqliteDb,
    waiting: Vec<Waiting>,
    unanswered: &mut Vec<(Result<Reply, sqlx::Error>, Answer)>,
) -> Result<(), sqlx::Error> {
    let mut connection = db.acquire().await?;
    let (mut claims, mut intents, mut outcomes, mut others) = (vec![], vec![], vec![], vec![]);
    for (place, (op, reply)) in waiting.into_iter().enumerate() {
        match op {
            Op::Claim(a) => claims.push((place, a, reply)),
            Op::Intent(a) => intents.push((place, a, reply)),
            Op::Outcome(a) => outcomes.push((place, a, reply)),
            op => others.push((op, reply)),
        }
    }

    let (claims, mut claims_left) = firsts(claims, |a| (a.provider, a.reference.clone()));
    let (intents, mut intents_left) = firsts(intents, |a| {
        (a.provider, a.reference.clone(), a.worker.clone())
    });
    let (outcomes, mut outcomes_left) = firsts(outcomes, |a| {
        (a.provider, a.reference.clone(), a.worker.clone())
    });
    if !(claims.is_empty() && intents.is_empty() && outcomes.is_empty()) {
        let changed = batched::group(
            &mut connection,
            &args(&claims),
            &args(&intents),
            &args(&outcomes),
        )
        .await;
        let changed = match changed {
            Ok(changed) => changed,
            // The group cannot go on: these writes are answered with its error (the script may
            // have committed, but what it changed is not known).
            Err(e) => {
                let replies = claims.into_iter().map(|(_, _, reply)| reply);
                let replies = replies.chain(intents.into_iter().map(|(_, _, reply)| reply));
                let replies = replies.chain(outcomes.into_iter().map(|(_, _, reply)| reply));
                unanswered
                    .extend(replies.map(|reply| (Err(other("the commit group failed")), reply)));
                return Err(e);
            }
        };
        match changed {
            Ok(changed) => {
                for (queued, inserted) in claims.into_iter().zip(changed.claims) {
                    if inserted {
                        let _ = queued.2.send(Ok(Reply::Claim(Claim::Send)));
                    } else {
                        claims_left.push(queued);
                    }
                }
                // Durable: the script committed.
                for ((_, _, reply), updated) in intents.into_iter().zip(changed.intents) {
                    let _ = reply.send(Ok(Reply::Intent(u64::from(updated))));
                }
                for ((_, _, reply), updated) in outcomes.into_iter().zip(changed.outcomes) {
                    let _ = reply.send(Ok(Reply::Outcome(u64::from(updated))));
                }
            }
            // Each on its own below, with its own error.
            Err(_) => {
                claims_left.extend(claims);
                intents_left.extend(intents);
                outcomes_left.extend(outcomes);
            }
        }
    }
    if claims_left.is_empty()
        && intents_left.is_empty()
        && outcomes_left.is_empty()
        && others.is_empty()
    {
        return Ok(());
    }
    let mut transaction = connection.begin().await?;
    claims_left.sort_by_key(|(place, _, _)| *place);
    for (_, a, reply) in claims_left {
        let _ = reply.send(one(&mut transaction, Op::Claim(a)).await?);
    }
    intents_left.sort_by_key(|(place, _, _)| *place);
    for (_, a, reply) in intents_left {
        unanswered.push((one(&mut transaction, Op::Intent(a)).await?, reply));
    }
    outcomes_left.sort_by_key(|(place, _, _)| *place);
    for (_, a, reply) in outcomes_left {
        unanswered.push((one(&mut transaction, Op::Outcome(a)).await?, reply));
    }

    for (op, reply) in others {
        unanswered.push((one(&mut transaction, op).await?, reply));
    }
    transaction.commit().await?;
    Ok(())
}

/// The writes' arguments.
fn args<A>(writes: &[Queued<A>]) -> Vec<&A> {
    writes.iter().map(|(_, a, _)| a).collect()
}

/// Splits writes into the first of each key and the repeats (both in their order): a batched
/// statement changes a row once, a repeat runs on its own after it.
fn firsts<A, K: Eq + Hash>(
    writes: Vec<Queued<A>>,
    key: impl Fn(&A) -> K,
) -> (Vec<Queued<A>>, Vec<Queued<A>>) {
    let mut seen = HashSet::with_capacity(writes.len());
    writes
        .into_iter()
        .partition(|(_, a, _)| seen.insert(key(a)))
}

/// Runs one write on its own: its result, or (the outer error) a savepoint that failed, which
/// ends the transaction.
async fn one(
    transaction: &mut SqliteConnection,
    op: Op,
) -> Result<Result<Reply, sqlx::Error>, sqlx::Error> {
    // A write of one statement is atomic on its own (SQLite undoes a failed statement and
    // keeps the transaction); only one of several statements needs a savepoint.
    if op.writes_once() {
        return Ok(execute(transaction, op).await);
    }
    let mut savepoint = transaction.begin().await?;
    let result = execute(&mut savepoint, op).await;
    if result.is_ok() {
        savepoint.commit().await?;
    } else {
        savepoint.rollback().await?;
    }
    Ok(result)
}

async fn execute(conn: &mut SqliteConnection, op: Op) -> Result<Reply, sqlx::Error> {
    Ok(match op {
        Op::Claim(a) => Reply::Claim(sqlite_ops::claim(conn, &a).await?),
        Op::Intent(a) => Reply::Intent(sqlite_ops::intent(conn, &a).await?),
        Op::Outcome(a) => Reply::Outcome(sqlite_ops::outcome(conn, &a).await?),
        Op::Status(a) => Reply::Status(sqlite_ops::status(conn, &a).await?),
        Op::Heartbeat(worker) => Reply::Heartbeat(sqlite_ops::heartbeat(conn, &worker).await?),
        Op::Retire(worker) => Reply::Retire(sqlite_ops::retire(conn, &worker).await?),
        Op::Abandoned(a) => Reply::Abandoned(sqlite_ops::abandoned(conn, &a).await?),
        Op::Deferred(a) => Reply::Deferred(sqlite_ops::deferred(conn, &a).await?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{ItemRecord, ItemState};

    fn claim(reference: &str) -> Op {
        Op::Claim(ClaimArgs {
            provider: "payonify",
            reference: reference.to_owned(),
            fingerprint: "f".to_owned(),
            batch: "b".to_owned(),
            index: 0,
            request: "{}".to_owned(),
            amount: "1.00".to_owned(),
            currency: "USD",
            worker: "w".to_owned(),
            now: 1,
            lease: 30_000,
        })
    }

    fn intent(reference: &str) -> Op {
        Op::Intent(IntentArgs {
            provider: "payonify",
            reference: reference.to_owned(),
            worker: "w".to_owned(),
            now: 2,
        })
    }

    fn outcome(reference: &str, source: &'static str) -> Op {
        Op::Outcome(OutcomeArgs {
            provider: "payonify",
            reference: reference.to_owned(),
            worker: "w".to_owned(),
            record: ItemRecord {
                state: ItemState::Sent,
                payout_id: Some(format!("po-{reference}")),
                status: Some("pending".to_owned()),
                detail: None,
            },
            source,
            now: 3,
        })
    }

    async fn state(db: &SqliteDb, reference: &str) -> (String, i64) {
        let mut conn = db.acquire().await.unwrap();
        sqlx::query_as("SELECT state, attempts FROM payout_items WHERE reference = $1")
            .bind(reference)
            .fetch_one(&mut *conn)
            .await
            .unwrap()
    }

    /// Writes queued together are written by the group's one script; when a write makes it
    /// fail (here a status change whose source the table's check refuses), the script is rolled
    /// back and every write runs on its own: the bad one fails alone, the others are written.
    #[tokio::test]
    async fn a_write_that_fails_the_groups_script_fails_alone() {
        let file = tempfile::tempdir().unwrap();
        let store = crate::store::Store::sqlite(file.path().join("group.db"))
            .await
            .unwrap();
        let (group, db) = match &store.pool {
            super::super::Pool::Sqlite(db) => (&store.group, db),
            #[allow(unreachable_patterns)]
            _ => unreachable!(),
        };
        let (a, b) = tokio::join!(group.run(db, claim("a")), group.run(db, claim("b")));
        assert!(matches!(a.unwrap(), Reply::Claim(Claim::Send)));
        assert!(matches!(b.unwrap(), Reply::Claim(Claim::Send)));
        let (c, a, b, b_out) = tokio::join!(
            group.run(db, claim("c")),
            group.run(db, intent("a")),
            group.run(db, intent("b")),
            group.run(db, outcome("b", "nowhere")),
        );
        assert!(matches!(c.unwrap(), Reply::Claim(Claim::Send)));
        assert!(matches!(a.unwrap(), Reply::Intent(1)));
        assert!(matches!(b.unwrap(), Reply::Intent(1)));
        let refused = b_out.err().expect("the status change's source is refused");
        assert!(refused.to_string().contains("CHECK"), "{refused}");
        assert_eq!(state(db, "a").await, ("in_flight".to_owned(), 1));
        assert_eq!(state(db, "b").await, ("in_flight".to_owned(), 1));
        assert_eq!(state(db, "c").await, ("pending".to_owned(), 0));
        // A good outcome then goes through the script, with its status change.
        let sent = group.run(db, outcome("b", "send")).await.unwrap();
        assert!(matches!(sent, Reply::Outcome(1)));
        assert_eq!(state(db, "b").await, ("sent".to_owned(), 1));
    }

    /// sqlx knows only of the transactions it began: one left open on the connection (here
    /// begun by hand, with a status change in it) must not swallow the group's script, whose
    /// commit would then commit nothing while its writes are answered as durable.
    #[tokio::test]
    async fn a_transaction_left_open_on_the_connection_is_rolled_back_not_joined() {
        let file = tempfile::tempdir().unwrap();
        let path = file.path().join("group.db");
        let store = crate::store::Store::sqlite(&path).await.unwrap();
        let (group, db) = match &store.pool {
            super::super::Pool::Sqlite(db) => (&store.group, db),
            #[allow(unreachable_patterns)]
            _ => unreachable!(),
        };
        {
            let mut conn = db.acquire().await.unwrap();
            sqlx::query("BEGIN").execute(&mut *conn).await.unwrap();
            sqlx::query(
                "INSERT INTO status_changes (provider, reference, status, source, recorded_at) \
                 VALUES ('payonify', 'left-open', 'pending', 'poll', 0)",
            )
            .execute(&mut *conn)
            .await
            .unwrap();
        }
        let claimed = group.run(db, claim("a")).await.unwrap();
        assert!(matches!(claimed, Reply::Claim(Claim::Send)));
        store.close().await;
        drop(store);

        let reopened = crate::store::Store::sqlite(&path).await.unwrap();
        let db = match &reopened.pool {
            super::super::Pool::Sqlite(db) => db,
            #[allow(unreachable_patterns)]
            _ => unreachable!(),
        };
        assert_eq!(state(db, "a").await, ("pending".to_owned(), 0));
        let mut conn = db.acquire().await.unwrap();
        let (left,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM status_changes WHERE reference = 'left-open'")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
        assert_eq!(left, 0);
    }
}
