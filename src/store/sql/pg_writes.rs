//! PostgreSQL's per-payout writes in one round trip each: an intent and an outcome are single
//! statements committed on their own (autocommit), instead of `BEGIN`, the statements and
//! `COMMIT` (three and four round trips). Each is as atomic and as durable as before: a
//! statement is its own transaction, and its commit is flushed before it returns.

use sqlx::PgPool;

use super::ops::{IntentArgs, OutcomeArgs, postgres_ops};

/// The outcome and, when it carries a status, its status change: [`ops`](super::ops)' `OUTCOME`
/// and `INSERT_CHANGE` as one statement (a data-modifying `WITH`), so they commit together.
/// Returns the rows updated: 1 when the worker holds the item (the change is inserted only
/// then).
const OUTCOME_WITH_CHANGE: &str = "WITH updated AS (UPDATE payout_items SET state = $4, \
     payout_id = COALESCE($5, payout_id), status = COALESCE($6, status), detail = $7, \
     updated_at = $8 WHERE provider = $1 AND reference = $2 AND worker = $3 RETURNING 1), \
     change AS (INSERT INTO status_changes (provider, reference, payout_id, status, detail, \
     source, event_id, recorded_at) SELECT $1, $2, $5, $6, $7, $9, NULL, $8 \
     WHERE $6::text IS NOT NULL AND (SELECT COUNT(*) FROM updated) = 1 \
     ON CONFLICT (provider, event_id) DO NOTHING) \
     SELECT COUNT(*) FROM updated";

/// Records an intent (rows updated: 1 when the worker holds the item).
pub(super) async fn intent(pool: &PgPool, a: &IntentArgs) -> Result<u64, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    postgres_ops::intent(&mut conn, a).await
}

/// Records an outcome (rows updated: 1 when the worker holds the item).
pub(super) async fn outcome(pool: &PgPool, a: &OutcomeArgs) -> Result<u64, sqlx::Error> {
    let record = &a.record;
    let (updated,): (i64,) = sqlx::query_as(OUTCOME_WITH_CHANGE)
        .bind(a.provider)
        .bind(&a.reference)
        .bind(&a.worker)
        .bind(record.state.as_str())
        .bind(record.payout_id.as_deref())
        .bind(record.status.as_deref())
        .bind(record.detail.as_deref())
        .bind(a.now)
        .bind(a.source)
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(updated).unwrap_or(0))
}
