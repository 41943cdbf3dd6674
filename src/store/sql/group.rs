//! SQLite's commit group: the writes that arrive while a commit is being made are committed
//! together, each in a savepoint of its own (one failing leaves the others), so one fsync covers
//! them all. The file journal this store replaced shared its fsyncs the same way.

use std::sync::{Mutex, MutexGuard};

use sqlx::{Acquire, SqliteConnection, SqlitePool};
use tokio::sync::oneshot;

use super::super::{Applied, Claim};
use super::ops::sqlite_ops;
use super::ops::{AbandonedArgs, AbandonedRow, ClaimArgs, IntentArgs, OutcomeArgs, StatusArgs};

/// A write.
pub(super) enum Op {
    Claim(ClaimArgs),
    Intent(IntentArgs),
    Outcome(OutcomeArgs),
    Status(StatusArgs),
    Heartbeat(String),
    Retire(String),
    Abandoned(AbandonedArgs),
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
}

type Waiting = (Op, oneshot::Sender<Result<Reply, sqlx::Error>>);

/// The writes waiting for the next commit, and who makes it.
#[derive(Default)]
pub(super) struct Group {
    queue: Mutex<Vec<Waiting>>,
    leader: tokio::sync::Mutex<()>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn other(message: &str) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(message.to_owned()))
}

/// A reply of another write's kind (cannot happen: each op is answered by its own variant).
pub(super) fn mismatch() -> sqlx::Error {
    other("the commit group answered a write with another write's reply")
}

impl Group {
    /// Queues `op` and returns once a commit holding it is durable (or failed).
    pub(super) async fn run(&self, pool: &SqlitePool, op: Op) -> Result<Reply, sqlx::Error> {
        let (reply, mut answer) = oneshot::channel();
        lock(&self.queue).push((op, reply));
        {
            let _leader = self.leader.lock().await;
            // The previous leader's commit may have held this write.
            if let Ok(result) = answer.try_recv() {
                return result;
            }
            let waiting = std::mem::take(&mut *lock(&self.queue));
            if !waiting.is_empty() {
                // In a task of its own: a caller that stops waiting cannot cut a commit that
                // holds other callers' writes in half.
                let _ = tokio::spawn(commit(pool.clone(), waiting)).await;
            }
        }
        answer
            .await
            .unwrap_or_else(|_| Err(other("the commit holding this write was lost")))
    }
}

async fn commit(pool: SqlitePool, waiting: Vec<Waiting>) {
    let (ops, replies): (Vec<Op>, Vec<_>) = waiting.into_iter().unzip();
    match run_all(&pool, ops).await {
        Ok(results) => {
            for (result, reply) in results.into_iter().zip(replies) {
                let _ = reply.send(result);
            }
        }
        Err(e) => {
            let message = e.to_string();
            for reply in replies {
                let _ = reply.send(Err(other(&message)));
            }
        }
    }
}

async fn run_all(
    pool: &SqlitePool,
    ops: Vec<Op>,
) -> Result<Vec<Result<Reply, sqlx::Error>>, sqlx::Error> {
    let mut connection = pool.acquire().await?;
    let mut transaction = connection.begin().await?;
    let mut results = Vec::with_capacity(ops.len());
    for op in ops {
        let mut savepoint = transaction.begin().await?;
        let result = execute(&mut savepoint, op).await;
        if result.is_ok() {
            savepoint.commit().await?;
        } else {
            savepoint.rollback().await?;
        }
        results.push(result);
    }
    transaction.commit().await?;
    Ok(results)
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
    })
}
