//! SQLite's commit group writes the engine's three writes per payout (claim, intent, outcome)
//! for a whole group at once: two statements for the group's claims (which rows exist, then the
//! insert), one for its intents, two for its outcomes, instead of one to three per write, each a round trip to sqlx's SQLite
//! thread. The writes travel as one JSON array bound to one parameter and read back with
//! `json_each`, so each statement's text is the same for any number of writes and stays
//! prepared.
//!
//! No statement returns a row per write: sqlx hands each row from its SQLite thread to the
//! caller as a message of its own (a thread wake-up each). A claim learns which of its rows
//! exist from one query answering one text (their positions in the array); an intent or an
//! outcome from its statement's count of changed rows, which says every write changed its row
//! unless a worker lost an item, and only then does one such query name those that did.
//!
//! Each function takes writes of distinct keys and says, per write, whether it changed its row;
//! [`super::group`] answers the rest on their own, and runs every write on its own again when a
//! statement fails, so one bad write still fails alone, with its own error.

use sqlx::{Acquire, SqliteConnection};

use super::ops::{ClaimArgs, IntentArgs, OutcomeArgs, other};

/// The claims' rows, inserted unless their (provider, reference) exists (the same insert as
/// [`super::ops`]' claim).
const CLAIMS: &str = "INSERT INTO payout_items (provider, reference, fingerprint, batch, \
     item_index, request, amount, currency, state, worker, attempts, created_at, updated_at) \
     SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, \
     value->>7, 'pending', value->>8, 0, value->>9, value->>9 FROM json_each($1) WHERE true \
     ON CONFLICT (provider, reference) DO NOTHING";
/// The positions of the claims whose row exists (before [`CLAIMS`], in its transaction: the
/// file has one writer, so the rest are the rows it inserts).
const EXISTING: &str = "SELECT group_concat(j.key) FROM json_each($1) AS j WHERE EXISTS \
     (SELECT 1 FROM payout_items p WHERE p.provider = j.value->>0 AND p.reference = j.value->>1)";
/// The intents (the same update as [`super::ops`]' intent, per row).
const INTENTS: &str = "UPDATE payout_items SET state = 'in_flight', attempts = attempts + 1, \
     updated_at = j.value->>3 FROM json_each($1) AS j \
     WHERE payout_items.provider = j.value->>0 AND payout_items.reference = j.value->>1 \
     AND payout_items.worker = j.value->>2 AND payout_items.state IN ('pending', 'in_flight')";
/// After [`INTENTS`], the positions of the intents that updated their row: a row it left has
/// another worker, or a state other than pending or in flight, so it is not in flight for the
/// intent's worker.
const INTENDED: &str = "SELECT group_concat(j.key) FROM json_each($1) AS j JOIN payout_items p \
     ON p.provider = j.value->>0 AND p.reference = j.value->>1 \
     WHERE p.worker = j.value->>2 AND p.state = 'in_flight'";
/// The outcomes (the same update as [`super::ops`]' outcome, per row).
const OUTCOMES: &str = "UPDATE payout_items SET state = j.value->>3, \
     payout_id = COALESCE(j.value->>4, payout_id), status = COALESCE(j.value->>5, status), \
     detail = j.value->>6, updated_at = j.value->>7 FROM json_each($1) AS j \
     WHERE payout_items.provider = j.value->>0 AND payout_items.reference = j.value->>1 \
     AND payout_items.worker = j.value->>2";
/// After [`OUTCOMES`], the positions of the outcomes that updated their row (it leaves the
/// worker as it was).
const RECORDED: &str = "SELECT group_concat(j.key) FROM json_each($1) AS j JOIN payout_items p \
     ON p.provider = j.value->>0 AND p.reference = j.value->>1 WHERE p.worker = j.value->>2";
/// The status changes of the outcomes that changed their row and carry a status.
const CHANGES: &str = "INSERT INTO status_changes (provider, reference, payout_id, status, \
     detail, source, event_id, recorded_at) SELECT value->>0, value->>1, value->>2, value->>3, \
     value->>4, value->>5, NULL, value->>6 FROM json_each($1) WHERE true \
     ON CONFLICT (provider, event_id) DO NOTHING";

fn json<T: serde::Serialize>(rows: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(e.into()))
}

/// Per write of `rows` (`n` of them, a JSON array): true when it is at one of the positions
/// `query` names (`group_concat` of `json_each`'s keys; `NULL` for none).
async fn at_positions(
    conn: &mut SqliteConnection,
    query: &'static str,
    rows: &str,
    n: usize,
) -> Result<Vec<bool>, sqlx::Error> {
    let (positions,): (Option<String>,) = sqlx::query_as(query)
        .bind(rows)
        .fetch_one(&mut *conn)
        .await?;
    let mut at = vec![false; n];
    for position in positions.iter().flat_map(|p| p.split(',')) {
        let slot = position
            .parse::<usize>()
            .ok()
            .and_then(|i| at.get_mut(i))
            .ok_or_else(|| other("a batched write's position is not one of the group's"))?;
        *slot = true;
    }
    Ok(at)
}

/// Per write: true when `changed` (the statement's count of changed rows) covers every write,
/// else as `query` names them (its count must agree with the statement's).
async fn changed_rows(
    conn: &mut SqliteConnection,
    query: &'static str,
    rows: &str,
    n: usize,
    changed: u64,
) -> Result<Vec<bool>, sqlx::Error> {
    if changed == n as u64 {
        return Ok(vec![true; n]);
    }
    let at = at_positions(conn, query, rows, n).await?;
    if at.iter().filter(|changed| **changed).count() as u64 != changed {
        return Err(other(
            "a batched write's changed rows do not match its statement's count",
        ));
    }
    Ok(at)
}

/// Per claim: true when it inserted its row (the claim is [`Claim::Send`](super::super::Claim)).
pub(super) async fn claims(
    conn: &mut SqliteConnection,
    claims: &[&ClaimArgs],
) -> Result<Vec<bool>, sqlx::Error> {
    let rows: Vec<_> = claims
        .iter()
        .map(|a| {
            (
                a.provider,
                &a.reference,
                &a.fingerprint,
                &a.batch,
                a.index,
                &a.request,
                &a.amount,
                a.currency,
                &a.worker,
                a.now,
            )
        })
        .collect();
    let rows = json(&rows)?;
    let existing = at_positions(conn, EXISTING, &rows, claims.len()).await?;
    let inserted = sqlx::query(CLAIMS)
        .bind(&rows)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    let new: Vec<bool> = existing.iter().map(|exists| !exists).collect();
    if new.iter().filter(|new| **new).count() as u64 != inserted {
        return Err(other(
            "a batched claim inserted other rows than those found missing",
        ));
    }
    Ok(new)
}

/// Per intent: true when it updated its row (its worker holds the item).
pub(super) async fn intents(
    conn: &mut SqliteConnection,
    intents: &[&IntentArgs],
) -> Result<Vec<bool>, sqlx::Error> {
    let rows: Vec<_> = intents
        .iter()
        .map(|a| (a.provider, &a.reference, &a.worker, a.now))
        .collect();
    let rows = json(&rows)?;
    let updated = sqlx::query(INTENTS)
        .bind(&rows)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    changed_rows(conn, INTENDED, &rows, intents.len(), updated).await
}

/// Per outcome: true when it updated its row (its worker holds the item); the status changes of
/// those with a status are recorded with them, all or none (in a savepoint). The outer error is
/// the savepoint's own: the transaction cannot go on.
pub(super) async fn outcomes(
    conn: &mut SqliteConnection,
    outcomes: &[&OutcomeArgs],
) -> Result<Result<Vec<bool>, sqlx::Error>, sqlx::Error> {
    let rows: Vec<_> = outcomes
        .iter()
        .map(|a| {
            let r = &a.record;
            (
                a.provider,
                &a.reference,
                &a.worker,
                r.state.as_str(),
                &r.payout_id,
                &r.status,
                &r.detail,
                a.now,
            )
        })
        .collect();
    let rows = json(&rows);
    let mut savepoint = conn.begin().await?;
    let result = async {
        let rows = rows?;
        let updated = sqlx::query(OUTCOMES)
            .bind(&rows)
            .execute(&mut *savepoint)
            .await?
            .rows_affected();
        let updated =
            changed_rows(&mut savepoint, RECORDED, &rows, outcomes.len(), updated).await?;
        let changes: Vec<_> = outcomes
            .iter()
            .zip(&updated)
            .filter(|(_, updated)| **updated)
            .filter_map(|(a, _)| {
                let r = &a.record;
                let status = r.status.as_deref()?;
                Some((
                    a.provider,
                    &a.reference,
                    &r.payout_id,
                    status,
                    &r.detail,
                    a.source,
                    a.now,
                ))
            })
            .collect();
        if !changes.is_empty() {
            sqlx::query(CHANGES)
                .bind(json(&changes)?)
                .execute(&mut *savepoint)
                .await?;
        }
        Ok::<_, sqlx::Error>(updated)
    }
    .await;
    match result {
        Ok(updated) => {
            savepoint.commit().await?;
            Ok(Ok(updated))
        }
        Err(e) => {
            savepoint.rollback().await?;
            Ok(Err(e))
        }
    }
}
