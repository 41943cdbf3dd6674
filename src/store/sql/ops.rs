//! The store's writes, each one transaction's worth of statements on one connection, written
//! once and instantiated per backend (`sqlite_ops`, `postgres_ops`). Their arguments are owned,
//! so a write can wait in SQLite's commit group ([`super::group`]).

use std::sync::{Mutex, MutexGuard};

use super::super::{Applied, Claim, ItemRecord, ItemState};
use super::{ExistingRow, Queries, state_of};

/// [`PayoutStore::claim`](super::super::PayoutStore::claim)'s arguments.
pub(super) struct ClaimArgs {
    pub provider: &'static str,
    pub reference: String,
    pub fingerprint: String,
    pub batch: String,
    pub index: i64,
    pub request: String,
    pub amount: String,
    pub currency: &'static str,
    pub worker: String,
    pub now: i64,
    pub lease: i64,
}

/// [`PayoutStore::record_intent`](super::super::PayoutStore::record_intent)'s arguments.
pub(super) struct IntentArgs {
    pub provider: &'static str,
    pub reference: String,
    pub worker: String,
    pub now: i64,
}

/// [`PayoutStore::record_outcome`](super::super::PayoutStore::record_outcome)'s arguments.
pub(super) struct OutcomeArgs {
    pub provider: &'static str,
    pub reference: String,
    pub worker: String,
    pub record: ItemRecord,
    pub source: &'static str,
    pub now: i64,
}

/// [`PayoutStore::record_status`](super::super::PayoutStore::record_status)'s arguments.
pub(super) struct StatusArgs {
    pub provider: &'static str,
    pub reference: Option<String>,
    pub payout_id: Option<String>,
    pub status: String,
    pub detail: Option<String>,
    pub source: &'static str,
    pub event_id: Option<String>,
    pub now: i64,
}

/// [`PayoutStore::claim_abandoned`](super::super::PayoutStore::claim_abandoned)'s arguments.
pub(super) struct AbandonedArgs {
    pub worker: String,
    pub batch: String,
    pub provider: &'static str,
    pub lease: i64,
    pub now: i64,
    pub limit: i64,
}

/// A row taken over by [`AbandonedArgs`].
#[derive(sqlx::FromRow)]
pub(super) struct AbandonedRow {
    pub reference: String,
    pub item_index: i64,
    pub request: String,
    pub state: String,
    /// 1 when the taking worker had found the row held by another ([`DEFER`]).
    pub deferred: i64,
}

/// [`PayoutStore::take_deferred`](super::super::PayoutStore::take_deferred)'s arguments.
pub(super) struct DeferredArgs {
    pub worker: String,
    pub batch: String,
    pub provider: &'static str,
    pub limit: i64,
}

/// A row a worker found held by another, with what became of it.
#[derive(sqlx::FromRow)]
pub(super) struct DeferredRow {
    pub item_index: i64,
    pub reference: String,
    pub state: String,
    pub payout_id: Option<String>,
    pub status: Option<String>,
    pub detail: Option<String>,
}

/// What a claim decided about an existing row.
pub(super) enum Decision {
    Answer(Claim),
    Take(ItemState, Claim),
    /// A not-sent item whose request changed: the new request replaces it, to be sent.
    Replace,
}

/// Locks a commit group's queue (a panic while it was held left nothing half-done: the queue
/// is a list of waiting writes, each answered on its own).
pub(super) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An error of the store's own making, in sqlx's type.
pub(super) fn other(message: &str) -> sqlx::Error {
    sqlx::Error::Io(std::io::Error::other(message.to_owned()))
}

/// Decides a claim on an existing row: a repeat within this worker's run first, then a changed
/// request, then by state.
pub(super) fn decide(
    worker: &str,
    fingerprint: &str,
    row: ExistingRow,
) -> Result<Decision, sqlx::Error> {
    if row.worker.as_deref() == Some(worker) {
        return Ok(Decision::Answer(Claim::Repeat));
    }
    let state = state_of(&row.state).map_err(|e| sqlx::Error::Decode(e.into()))?;
    // Nothing was sent for a not-sent item (never connected, or refused as invalid): a changed
    // request (the row fixed) takes its place.
    if row.fingerprint != fingerprint && state == ItemState::NotSent {
        return Ok(Decision::Replace);
    }
    if row.fingerprint != fingerprint {
        return Ok(Decision::Answer(Claim::Conflict {
            stored: format!("{} {}", row.currency, row.amount),
        }));
    }
    if state.is_final() {
        return Ok(Decision::Answer(Claim::Done(ItemRecord {
            state,
            payout_id: row.payout_id,
            status: row.status,
            detail: row.detail,
        })));
    }
    let held = matches!(state, ItemState::Pending | ItemState::InFlight);
    if held && row.alive != 0 {
        return Ok(Decision::Answer(Claim::Busy));
    }
    Ok(match state {
        ItemState::Pending | ItemState::NotSent => Decision::Take(ItemState::Pending, Claim::Send),
        _ => Decision::Take(ItemState::InFlight, Claim::Reconcile),
    })
}

const INSERT_ITEM: &str = "INSERT INTO payout_items (provider, reference, fingerprint, batch, \
     item_index, request, amount, currency, state, worker, attempts, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, 0, $10, $10) \
     ON CONFLICT (provider, reference) DO NOTHING";
const TAKE_ITEM: &str = "UPDATE payout_items SET worker = $3, state = $4, batch = $5, \
     item_index = $6, updated_at = $7 WHERE provider = $1 AND reference = $2";
const REPLACE_ITEM: &str = "UPDATE payout_items SET worker = $3, state = 'pending', batch = $4, \
     item_index = $5, fingerprint = $6, request = $7, amount = $8, currency = $9, \
     payout_id = NULL, status = NULL, detail = NULL, updated_at = $10 \
     WHERE provider = $1 AND reference = $2 AND state = 'not_sent'";
const INTENT: &str = "UPDATE payout_items SET state = 'in_flight', attempts = attempts + 1, \
     updated_at = $4 WHERE provider = $1 AND reference = $2 AND worker = $3 \
     AND state IN ('pending', 'in_flight')";
const OUTCOME: &str = "UPDATE payout_items SET state = $4, payout_id = COALESCE($5, payout_id), \
     status = COALESCE($6, status), detail = $7, updated_at = $8 \
     WHERE provider = $1 AND reference = $2 AND worker = $3";
const INSERT_CHANGE: &str = "INSERT INTO status_changes (provider, reference, payout_id, status, \
     detail, source, event_id, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
     ON CONFLICT (provider, event_id) DO NOTHING";
const APPLY_STATUS: &str = "UPDATE payout_items SET status = $3, detail = COALESCE($4, detail), \
     payout_id = COALESCE(payout_id, $5), updated_at = $6 \
     WHERE provider = $1 AND ((reference = $2) OR (payout_id = $5)) \
     AND NOT (status IN ('succeeded', 'failed') AND $3 NOT IN ('succeeded', 'failed'))";
/// A row found held by another live worker, remembered for the finding worker.
const DEFER: &str = "INSERT INTO deferred_items (worker, provider, reference, batch, item_index) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (worker, provider, reference) DO NOTHING";
/// A worker that took rows over reports them itself: they are no longer deferred.
const UNDEFER_HELD: &str = "DELETE FROM deferred_items WHERE worker = $1 AND provider = $2 \
     AND EXISTS (SELECT 1 FROM payout_items p WHERE p.provider = deferred_items.provider \
     AND p.reference = deferred_items.reference AND p.worker = $1)";
const DEFERRED: &str = "SELECT d.item_index, d.reference, p.state, p.payout_id, p.status, \
     p.detail FROM deferred_items d JOIN payout_items p ON p.provider = d.provider \
     AND p.reference = d.reference WHERE d.worker = $1 AND d.batch = $2 AND d.provider = $3 \
     ORDER BY d.item_index LIMIT $4";
const FORGET_DEFERRED: &str = "DELETE FROM deferred_items WHERE worker = $1 AND batch = $2 \
     AND provider = $3 AND item_index <= $4";
const HELD_ELSEWHERE: &str = "SELECT COUNT(*) FROM payout_items WHERE batch = $1 \
     AND provider = $2 AND state IN ('pending', 'in_flight') AND (worker IS NULL OR worker <> $3)";

/// The writes for one backend's connection type and queries.
macro_rules! backend_ops {
    ($module:ident, $conn:ty, $queries:expr) => {
        pub(super) mod $module {
            use super::*;

            fn q() -> &'static Queries {
                &$queries
            }

            /// Decides and writes one claim. PostgreSQL's instance goes uncalled: it decides
            /// claims a group at a time (`pg_claims`, by the same [`decide`]).
            #[allow(dead_code)]
            pub(in super::super) async fn claim(
                conn: &mut $conn,
                a: &ClaimArgs,
            ) -> Result<Claim, sqlx::Error> {
                let inserted = sqlx::query(INSERT_ITEM)
                    .bind(a.provider)
                    .bind(&a.reference)
                    .bind(&a.fingerprint)
                    .bind(&a.batch)
                    .bind(a.index)
                    .bind(&a.request)
                    .bind(&a.amount)
                    .bind(a.currency)
                    .bind(&a.worker)
                    .bind(a.now)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                if inserted == 1 {
                    return Ok(Claim::Send);
                }
                let row: ExistingRow = sqlx::query_as(q().existing)
                    .bind(a.provider)
                    .bind(&a.reference)
                    .bind(a.lease)
                    .fetch_one(&mut *conn)
                    .await?;
                match decide(&a.worker, &a.fingerprint, row)? {
                    // Remembered, so this worker reports the row once: as its takeover's result
                    // or at the end of its run. Already remembered: the input repeats it.
                    Decision::Answer(Claim::Busy) => {
                        let remembered = sqlx::query(DEFER)
                            .bind(&a.worker)
                            .bind(a.provider)
                            .bind(&a.reference)
                            .bind(&a.batch)
                            .bind(a.index)
                            .execute(&mut *conn)
                            .await?
                            .rows_affected();
                        Ok(if remembered == 1 {
                            Claim::Busy
                        } else {
                            Claim::Repeat
                        })
                    }
                    Decision::Answer(claim) => Ok(claim),
                    Decision::Take(state, claim) => {
                        take(conn, a, state).await?;
                        Ok(claim)
                    }
                    Decision::Replace => {
                        replace(conn, a).await?;
                        Ok(Claim::Send)
                    }
                }
            }

            /// Takes an existing row over for the claiming worker, in `state`.
            pub(in super::super) async fn take(
                conn: &mut $conn,
                a: &ClaimArgs,
                state: ItemState,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(TAKE_ITEM)
                    .bind(a.provider)
                    .bind(&a.reference)
                    .bind(&a.worker)
                    .bind(state.as_str())
                    .bind(&a.batch)
                    .bind(a.index)
                    .bind(a.now)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            /// Puts a changed request in the place of a not-sent row, pending for the worker.
            pub(in super::super) async fn replace(
                conn: &mut $conn,
                a: &ClaimArgs,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(REPLACE_ITEM)
                    .bind(a.provider)
                    .bind(&a.reference)
                    .bind(&a.worker)
                    .bind(&a.batch)
                    .bind(a.index)
                    .bind(&a.fingerprint)
                    .bind(&a.request)
                    .bind(&a.amount)
                    .bind(a.currency)
                    .bind(a.now)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            /// Rows updated: 1 when the worker holds the item.
            pub(in super::super) async fn intent(
                conn: &mut $conn,
                a: &IntentArgs,
            ) -> Result<u64, sqlx::Error> {
                Ok(sqlx::query(INTENT)
                    .bind(a.provider)
                    .bind(&a.reference)
                    .bind(&a.worker)
                    .bind(a.now)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected())
            }

            /// Rows updated: 1 when the worker holds the item. PostgreSQL's instance goes
            /// uncalled: it writes the outcome and its status change as one statement
            /// (`pg_writes`).
            #[allow(dead_code)]
            pub(in super::super) async fn outcome(
                conn: &mut $conn,
                a: &OutcomeArgs,
            ) -> Result<u64, sqlx::Error> {
                let record = &a.record;
                let updated = sqlx::query(OUTCOME)
                    .bind(a.provider)
                    .bind(&a.reference)
                    .bind(&a.worker)
                    .bind(record.state.as_str())
                    .bind(record.payout_id.as_deref())
                    .bind(record.status.as_deref())
                    .bind(record.detail.as_deref())
                    .bind(a.now)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                if let (1, Some(status)) = (updated, &record.status) {
                    sqlx::query(INSERT_CHANGE)
                        .bind(a.provider)
                        .bind(&a.reference)
                        .bind(record.payout_id.as_deref())
                        .bind(status.as_str())
                        .bind(record.detail.as_deref())
                        .bind(a.source)
                        .bind(None::<String>)
                        .bind(a.now)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(updated)
            }

            pub(in super::super) async fn status(
                conn: &mut $conn,
                a: &StatusArgs,
            ) -> Result<Applied, sqlx::Error> {
                let inserted = sqlx::query(INSERT_CHANGE)
                    .bind(a.provider)
                    .bind(a.reference.as_deref())
                    .bind(a.payout_id.as_deref())
                    .bind(&a.status)
                    .bind(a.detail.as_deref())
                    .bind(a.source)
                    .bind(a.event_id.as_deref())
                    .bind(a.now)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                if inserted == 0 {
                    return Ok(Applied::Duplicate);
                }
                let matched = sqlx::query(APPLY_STATUS)
                    .bind(a.provider)
                    .bind(a.reference.as_deref())
                    .bind(&a.status)
                    .bind(a.detail.as_deref())
                    .bind(a.payout_id.as_deref())
                    .bind(a.now)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                Ok(Applied::Applied {
                    matched: matched > 0,
                })
            }

            pub(in super::super) async fn heartbeat(
                conn: &mut $conn,
                worker: &str,
            ) -> Result<(), sqlx::Error> {
                sqlx::query(q().upsert_worker)
                    .bind(worker)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub(in super::super) async fn retire(
                conn: &mut $conn,
                worker: &str,
            ) -> Result<(), sqlx::Error> {
                sqlx::query("DELETE FROM workers WHERE id = $1")
                    .bind(worker)
                    .execute(&mut *conn)
                    .await?;
                sqlx::query("DELETE FROM deferred_items WHERE worker = $1")
                    .bind(worker)
                    .execute(&mut *conn)
                    .await?;
                Ok(())
            }

            pub(in super::super) async fn abandoned(
                conn: &mut $conn,
                a: &AbandonedArgs,
            ) -> Result<Vec<AbandonedRow>, sqlx::Error> {
                let rows: Vec<AbandonedRow> = sqlx::query_as(q().abandoned)
                    .bind(&a.worker)
                    .bind(&a.batch)
                    .bind(a.provider)
                    .bind(a.lease)
                    .bind(a.now)
                    .bind(a.limit)
                    .fetch_all(&mut *conn)
                    .await?;
                if rows.iter().any(|row| row.deferred != 0) {
                    sqlx::query(UNDEFER_HELD)
                        .bind(&a.worker)
                        .bind(a.provider)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(rows)
            }

            pub(in super::super) async fn deferred(
                conn: &mut $conn,
                a: &DeferredArgs,
            ) -> Result<Vec<DeferredRow>, sqlx::Error> {
                let rows: Vec<DeferredRow> = sqlx::query_as(DEFERRED)
                    .bind(&a.worker)
                    .bind(&a.batch)
                    .bind(a.provider)
                    .bind(a.limit)
                    .fetch_all(&mut *conn)
                    .await?;
                if let Some(last) = rows.last() {
                    sqlx::query(FORGET_DEFERRED)
                        .bind(&a.worker)
                        .bind(&a.batch)
                        .bind(a.provider)
                        .bind(last.item_index)
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(rows)
            }

            pub(in super::super) async fn held_elsewhere(
                conn: &mut $conn,
                batch: &str,
                provider: &str,
                worker: &str,
            ) -> Result<i64, sqlx::Error> {
                let (n,): (i64,) = sqlx::query_as(HELD_ELSEWHERE)
                    .bind(batch)
                    .bind(provider)
                    .bind(worker)
                    .fetch_one(&mut *conn)
                    .await?;
                Ok(n)
            }
        }
    };
}

#[cfg(feature = "sqlite")]
backend_ops!(
    sqlite_ops,
    sqlx::SqliteConnection,
    crate::store::sql::SQLITE
);
#[cfg(feature = "postgres")]
backend_ops!(
    postgres_ops,
    sqlx::PgConnection,
    crate::store::sql::POSTGRES
);
