//! SQLite's commit group writes the engine's three writes per payout (claim, intent, outcome)
//! for a whole group at once: one statement for the group's claims, one for its intents, two
//! for its outcomes, instead of one to three per write, each a round trip to sqlx's SQLite
//! thread. The writes travel as one JSON array bound to one parameter and read back with
//! `json_each`, so each statement's text is the same for any number of writes and stays
//! prepared.
//!
//! Each function takes writes of distinct keys and says, per write, whether it changed its row;
//! [`super::group`] answers the rest on their own, and runs every write on its own again when a
//! statement fails, so one bad write still fails alone, with its own error.

use std::collections::HashSet;

use sqlx::{Acquire, SqliteConnection};

use super::ops::{ClaimArgs, IntentArgs, OutcomeArgs};

/// The claims' rows, inserted unless their (provider, reference) exists (the same insert as
/// [`super::ops`]' claim).
const CLAIMS: &str = "INSERT INTO payout_items (provider, reference, fingerprint, batch, \
     item_index, request, amount, currency, state, worker, attempts, created_at, updated_at) \
     SELECT value->>0, value->>1, value->>2, value->>3, value->>4, value->>5, value->>6, \
     value->>7, 'pending', value->>8, 0, value->>9, value->>9 FROM json_each($1) WHERE true \
     ON CONFLICT (provider, reference) DO NOTHING RETURNING provider, reference";
/// The intents (the same update as [`super::ops`]' intent, per row).
const INTENTS: &str = "UPDATE payout_items SET state = 'in_flight', attempts = attempts + 1, \
     updated_at = j.value->>3 FROM json_each($1) AS j \
     WHERE payout_items.provider = j.value->>0 AND payout_items.reference = j.value->>1 \
     AND payout_items.worker = j.value->>2 AND payout_items.state IN ('pending', 'in_flight') \
     RETURNING provider, reference, worker";
/// The outcomes (the same update as [`super::ops`]' outcome, per row).
const OUTCOMES: &str = "UPDATE payout_items SET state = j.value->>3, \
     payout_id = COALESCE(j.value->>4, payout_id), status = COALESCE(j.value->>5, status), \
     detail = j.value->>6, updated_at = j.value->>7 FROM json_each($1) AS j \
     WHERE payout_items.provider = j.value->>0 AND payout_items.reference = j.value->>1 \
     AND payout_items.worker = j.value->>2 RETURNING provider, reference, worker";
/// The status changes of the outcomes that changed their row and carry a status.
const CHANGES: &str = "INSERT INTO status_changes (provider, reference, payout_id, status, \
     detail, source, event_id, recorded_at) SELECT value->>0, value->>1, value->>2, value->>3, \
     value->>4, value->>5, NULL, value->>6 FROM json_each($1) WHERE true \
     ON CONFLICT (provider, event_id) DO NOTHING";

fn json<T: serde::Serialize>(rows: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(e.into()))
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
    let inserted: Vec<(String, String)> = sqlx::query_as(CLAIMS)
        .bind(json(&rows)?)
        .fetch_all(&mut *conn)
        .await?;
    let inserted: HashSet<(String, String)> = inserted.into_iter().collect();
    Ok(claims
        .iter()
        .map(|a| inserted.contains(&(a.provider.to_owned(), a.reference.clone())))
        .collect())
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
    let updated: Vec<(String, String, String)> = sqlx::query_as(INTENTS)
        .bind(json(&rows)?)
        .fetch_all(&mut *conn)
        .await?;
    let updated: HashSet<_> = updated.into_iter().collect();
    Ok(intents
        .iter()
        .map(|a| updated.contains(&(a.provider.to_owned(), a.reference.clone(), a.worker.clone())))
        .collect())
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
        let updated: Vec<(String, String, String)> = sqlx::query_as(OUTCOMES)
            .bind(rows?)
            .fetch_all(&mut *savepoint)
            .await?;
        let updated: HashSet<_> = updated.into_iter().collect();
        let updated: Vec<bool> = outcomes
            .iter()
            .map(|a| {
                updated.contains(&(a.provider.to_owned(), a.reference.clone(), a.worker.clone()))
            })
            .collect();
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
