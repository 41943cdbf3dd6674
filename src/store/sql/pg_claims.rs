//! PostgreSQL's claim group: the claims that arrive while a group is being decided are decided
//! together in the next one, with a few multi-row statements instead of a transaction of three
//! to five round trips each.
//!
//! Why: several workers reading one input meet each other's rows, and every row each worker
//! reads is claimed (most of them found held by another worker: [`Claim::Busy`]). Claimed one
//! transaction each, those claims cost more of the machine than the payouts themselves; claimed
//! a group at a time, a worker skims the rows held elsewhere for a few statements per group.
//!
//! Each claim is decided exactly as [`ops::decide`] decides it on its own, by the same rules:
//!
//! 1. every request is inserted as pending (`ON CONFLICT DO NOTHING`, one statement), in
//!    (provider, reference) order so that two groups wait for each other's new rows in one
//!    order; an inserted row is [`Claim::Send`];
//! 2. the existing rows are read (no lock) and decided. An answer that writes nothing but the
//!    worker's own `deferred_items` (done, conflict, repeat, busy) needs no lock: a final state
//!    stays final, and a row found busy is reported at the end of the run from what it then
//!    holds. A row to take over or replace is locked (`FOR UPDATE`, in order) and decided
//!    again on what the lock sees before it is written;
//! 3. the rows found busy are remembered in one statement (already remembered: the input repeats
//!    them, [`Claim::Repeat`]).
//!
//! Each statement but the takeover is committed on its own, so a group's new rows are locked
//! only while its insert runs, not for the round trips of a transaction: another worker's group
//! inserting the same rows waits that long at most. Nothing needs them together: each insert,
//! read and remembered row stands on its own, and a group that fails half-way (the database
//! stopped) fails every claim in it, the batch stops, and the rows it inserted are pending
//! under this worker, taken over by the next claimer once its lease runs out, as after a
//! crash.
//!
//! A group holds a (provider, reference) once; a second claim of it (two workers of one process)
//! waits for the next group. A deadlock or serialization failure in the takeover transaction is
//! retried: it rolled back whole, so nothing was taken.

use std::collections::HashSet;
use std::sync::Mutex;

use sqlx::{PgConnection, PgPool};
use tokio::sync::oneshot;

use super::super::Claim;
use super::ExistingRow;
use super::ops::{self, ClaimArgs, Decision, lock, other};

/// The database's clock in milliseconds (as in [`super::POSTGRES`]).
macro_rules! now_ms {
    () => {
        "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
    };
}

/// Inserts the group's requests, in key order; returns the keys inserted.
const INSERT_MANY: &str = "INSERT INTO payout_items (provider, reference, fingerprint, batch, \
     item_index, request, amount, currency, state, worker, attempts, created_at, updated_at) \
     SELECT t.provider, t.reference, t.fingerprint, t.batch, t.item_index, t.request, t.amount, \
     t.currency, 'pending', t.worker, 0, t.now, t.now \
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[], \
     $7::text[], $8::text[], $9::text[], $10::bigint[]) \
     AS t(provider, reference, fingerprint, batch, item_index, request, amount, currency, worker, \
     now) ORDER BY t.provider, t.reference \
     ON CONFLICT (provider, reference) DO NOTHING RETURNING provider, reference";

/// The existing rows of the given keys, as a claim decides on them (`$4`: lock them).
macro_rules! existing_many {
    ($lock:literal) => {
        concat!(
            "SELECT p.provider, p.reference, p.fingerprint, p.state, p.worker, p.amount, \
             p.currency, p.payout_id, p.status, p.detail, CAST(CASE WHEN EXISTS (SELECT 1 \
             FROM workers w WHERE w.id = p.worker AND w.heartbeat_at > ",
            now_ms!(),
            " - $3) THEN 1 ELSE 0 END AS BIGINT) AS alive FROM payout_items p \
             JOIN unnest($1::text[], $2::text[]) AS t(provider, reference) \
             ON p.provider = t.provider AND p.reference = t.reference \
             ORDER BY p.provider, p.reference",
            $lock
        )
    };
}
const EXISTING_MANY: &str = existing_many!("");
const EXISTING_MANY_LOCKED: &str = existing_many!(" FOR UPDATE OF p");

/// Remembers rows found held elsewhere for the finding worker; returns the keys remembered.
const DEFER_MANY: &str = "INSERT INTO deferred_items (worker, provider, reference, batch, \
     item_index) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], \
     $5::bigint[]) ON CONFLICT (worker, provider, reference) DO NOTHING \
     RETURNING provider, reference";

/// How many times a group is tried when PostgreSQL breaks a deadlock or a serialization
/// conflict by rolling it back.
const ATTEMPTS: u32 = 5;

type Answer = oneshot::Sender<Result<Claim, sqlx::Error>>;
type Waiting = (ClaimArgs, Answer);

/// The claims waiting for the next claim transaction, and who makes it.
#[derive(Default)]
pub(super) struct ClaimGroup {
    queue: Mutex<Vec<Waiting>>,
    leader: tokio::sync::Mutex<()>,
}

impl ClaimGroup {
    /// Queues a claim and returns once the transaction that decided it is committed (or
    /// failed).
    pub(super) async fn claim(&self, pool: &PgPool, args: ClaimArgs) -> Result<Claim, sqlx::Error> {
        let (reply, mut answer) = oneshot::channel();
        lock(&self.queue).push((args, reply));
        loop {
            {
                let _leader = self.leader.lock().await;
                // The previous leader's transaction may have decided this claim.
                if let Ok(result) = answer.try_recv() {
                    return result;
                }
                let waiting = std::mem::take(&mut *lock(&self.queue));
                if !waiting.is_empty() {
                    // In a task of its own: a caller that stops waiting cannot cut a transaction
                    // that decides other callers' claims in half.
                    let left = tokio::spawn(decide_group(pool.clone(), waiting))
                        .await
                        .unwrap_or_default();
                    // Claims of a key already in that group go first in the next one.
                    if !left.is_empty() {
                        let mut queue = lock(&self.queue);
                        let later = std::mem::replace(&mut *queue, left);
                        queue.extend(later);
                    }
                }
            }
            match answer.try_recv() {
                Ok(result) => return result,
                Err(oneshot::error::TryRecvError::Closed) => {
                    return Err(other("the transaction deciding this claim was lost"));
                }
                // Left for the next group (its key was in this one): lead or wait again.
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
        }
    }
}

/// Decides the claims whose keys are distinct and answers them; returns the claims left for
/// the next group.
async fn decide_group(pool: PgPool, waiting: Vec<Waiting>) -> Vec<Waiting> {
    let mut keys = HashSet::new();
    let (mut group, mut left) = (Vec::new(), Vec::new());
    for claim in waiting {
        if keys.insert((claim.0.provider, claim.0.reference.clone())) {
            group.push(claim);
        } else {
            left.push(claim);
        }
    }
    group.sort_by(|a, b| (a.0.provider, &a.0.reference).cmp(&(b.0.provider, &b.0.reference)));
    let (args, answers): (Vec<ClaimArgs>, Vec<Answer>) = group.into_iter().unzip();
    match decide_once(&pool, &args).await {
        Ok(claims) => {
            for (claim, answer) in claims.into_iter().zip(answers) {
                let _ = answer.send(Ok(claim));
            }
        }
        Err(e) => {
            let message = e.to_string();
            for answer in answers {
                let _ = answer.send(Err(other(&message)));
            }
        }
    }
    left
}

/// A deadlock (`40P01`) or a serialization failure (`40001`): PostgreSQL rolled the
/// transaction back, and trying again is safe.
fn is_retryable(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|code| code == "40P01" || code == "40001")
}

/// An existing row with its key.
#[derive(sqlx::FromRow)]
struct KeyedRow {
    provider: String,
    reference: String,
    #[sqlx(flatten)]
    row: ExistingRow,
}

/// What one claim of the group came to, while the transaction runs.
enum Pending {
    Decided(Claim),
    /// Found held by another live worker: remembered, or a repeat if it already was.
    Defer,
    /// To take over or replace: decided again under a lock.
    Lock,
}

async fn decide_once(pool: &PgPool, args: &[ClaimArgs]) -> Result<Vec<Claim>, sqlx::Error> {
    let column = |f: fn(&ClaimArgs) -> String| args.iter().map(f).collect::<Vec<String>>();
    // One statement, its own transaction: the new rows' locks last only while it runs.
    let inserted: Vec<(String, String)> = sqlx::query_as(INSERT_MANY)
        .bind(column(|a| a.provider.to_owned()))
        .bind(column(|a| a.reference.clone()))
        .bind(column(|a| a.fingerprint.clone()))
        .bind(column(|a| a.batch.clone()))
        .bind(args.iter().map(|a| a.index).collect::<Vec<i64>>())
        .bind(column(|a| a.request.clone()))
        .bind(column(|a| a.amount.clone()))
        .bind(column(|a| a.currency.to_owned()))
        .bind(column(|a| a.worker.clone()))
        .bind(args.iter().map(|a| a.now).collect::<Vec<i64>>())
        .fetch_all(pool)
        .await?;
    let inserted: HashSet<(String, String)> = inserted.into_iter().collect();
    let key = |a: &ClaimArgs| (a.provider.to_owned(), a.reference.clone());
    let mut pending: Vec<Option<Pending>> = args
        .iter()
        .map(|a| {
            inserted
                .contains(&key(a))
                .then_some(Pending::Decided(Claim::Send))
        })
        .collect();

    // The rest, read without a lock and decided.
    let rest: Vec<usize> = (0..args.len()).filter(|&i| pending[i].is_none()).collect();
    if !rest.is_empty() {
        let mut conn = pool.acquire().await?;
        let mut rows = existing(&mut conn, args, &rest, EXISTING_MANY).await?;
        for i in rest {
            let a = &args[i];
            let row = rows
                .remove(&key(a))
                .ok_or_else(|| other(&format!("{} vanished while being claimed", a.reference)))?;
            pending[i] = Some(match ops::decide(&a.worker, &a.fingerprint, row)? {
                Decision::Answer(Claim::Busy) => Pending::Defer,
                Decision::Answer(claim) => Pending::Decided(claim),
                Decision::Take(..) | Decision::Replace => Pending::Lock,
            });
        }
    }

    // Rows to take over or replace: locked, decided again on what the lock sees, written, in
    // one transaction (tried again on a deadlock: it rolled back whole).
    let locked: Vec<usize> = (0..args.len())
        .filter(|&i| matches!(pending[i], Some(Pending::Lock)))
        .collect();
    if !locked.is_empty() {
        let mut attempt = 1;
        let decided = loop {
            match take_over(pool, args, &locked).await {
                Err(e) if attempt < ATTEMPTS && is_retryable(&e) => attempt += 1,
                result => break result?,
            }
        };
        for (i, now) in locked.into_iter().zip(decided) {
            pending[i] = Some(now);
        }
    }

    // Rows held elsewhere, remembered for their finding worker in one statement.
    let deferred: Vec<usize> = (0..args.len())
        .filter(|&i| matches!(pending[i], Some(Pending::Defer)))
        .collect();
    let mut remembered = HashSet::new();
    if !deferred.is_empty() {
        let pick = |f: fn(&ClaimArgs) -> String| {
            deferred
                .iter()
                .map(|&i| f(&args[i]))
                .collect::<Vec<String>>()
        };
        let rows: Vec<(String, String)> = sqlx::query_as(DEFER_MANY)
            .bind(pick(|a| a.worker.clone()))
            .bind(pick(|a| a.provider.to_owned()))
            .bind(pick(|a| a.reference.clone()))
            .bind(pick(|a| a.batch.clone()))
            .bind(
                deferred
                    .iter()
                    .map(|&i| args[i].index)
                    .collect::<Vec<i64>>(),
            )
            .fetch_all(pool)
            .await?;
        remembered.extend(rows);
    }
    Ok(args
        .iter()
        .zip(pending)
        .map(|(a, pending)| match pending {
            Some(Pending::Decided(claim)) => claim,
            // Already remembered: this worker's input repeats the reference.
            Some(Pending::Defer) if !remembered.contains(&key(a)) => Claim::Repeat,
            _ => Claim::Busy,
        })
        .collect())
}

/// Locks the rows of `args[i]` for `i` in `which`, decides each again on what the lock sees,
/// takes over or replaces those still to take, and commits.
async fn take_over(
    pool: &PgPool,
    args: &[ClaimArgs],
    which: &[usize],
) -> Result<Vec<Pending>, sqlx::Error> {
    let mut transaction = pool.begin().await?;
    let conn: &mut PgConnection = &mut transaction;
    let mut rows = existing(conn, args, which, EXISTING_MANY_LOCKED).await?;
    let mut decided = Vec::with_capacity(which.len());
    for &i in which {
        let a = &args[i];
        let row = rows
            .remove(&(a.provider.to_owned(), a.reference.clone()))
            .ok_or_else(|| other(&format!("{} vanished while being claimed", a.reference)))?;
        decided.push(match ops::decide(&a.worker, &a.fingerprint, row)? {
            Decision::Answer(Claim::Busy) => Pending::Defer,
            Decision::Answer(claim) => Pending::Decided(claim),
            Decision::Take(state, claim) => {
                ops::postgres_ops::take(conn, a, state).await?;
                Pending::Decided(claim)
            }
            Decision::Replace => {
                ops::postgres_ops::replace(conn, a).await?;
                Pending::Decided(Claim::Send)
            }
        });
    }
    transaction.commit().await?;
    Ok(decided)
}

/// The existing rows of `args[i]` for `i` in `which`, by key.
async fn existing(
    conn: &mut PgConnection,
    args: &[ClaimArgs],
    which: &[usize],
    sql: &str,
) -> Result<std::collections::HashMap<(String, String), ExistingRow>, sqlx::Error> {
    let rows: Vec<KeyedRow> = sqlx::query_as(sql)
        .bind(
            which
                .iter()
                .map(|&i| args[i].provider.to_owned())
                .collect::<Vec<String>>(),
        )
        .bind(
            which
                .iter()
                .map(|&i| args[i].reference.clone())
                .collect::<Vec<String>>(),
        )
        .bind(args[which[0]].lease)
        .fetch_all(&mut *conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ((r.provider, r.reference), r.row))
        .collect())
}
