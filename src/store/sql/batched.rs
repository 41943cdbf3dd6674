//! SQLite's commit group writes the engine's three writes per payout (claim, intent, outcome)
//! for a whole group at once, in one round trip to sqlx's SQLite thread instead of one to
//! three per write: one script ([`SCRIPT`]) of two statements for the group's claims (which
//! rows exist, then the insert), one for its intents, two for its outcomes, a transaction of
//! its own (`BEGIN IMMEDIATE` … `COMMIT`, so the round trip includes the commit). The writes of
//! each kind travel as one JSON array bound to one parameter and read back with `json_each`,
//! so the script's text is the same for any number of writes and stays prepared.
//!
//! Only the claims' query returns a row (one text of the positions of the claims whose row
//! exists): sqlx hands each row back as a message of its own, a thread wake-up each. Each
//! statement's count of changed rows says whether every intent and outcome changed its row,
//! as they do unless a worker lost an item; only then does one query name those that did.
//!
//! The writes passed are of distinct keys; [`super::group`] answers the rest on their own, and
//! runs every write on its own when the script fails (it is rolled back whole), so one bad write
//! still fails alone, with its own error.

use std::sync::LazyLock;

use futures_util::TryStreamExt;
use sqlx::{Either, SqliteConnection};

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
/// After the script, the positions of the intents that updated their row: a row it left has
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
/// After the script, the positions of the outcomes that updated their row (it leaves the
/// worker as it was).
const RECORDED: &str = "SELECT group_concat(j.key) FROM json_each($1) AS j JOIN payout_items p \
     ON p.provider = j.value->>0 AND p.reference = j.value->>1 WHERE p.worker = j.value->>2";
/// The status changes of the outcomes that changed their row (those whose worker holds it, as
/// [`RECORDED`] says) and carry a status.
const CHANGES: &str = "INSERT INTO status_changes (provider, reference, payout_id, status, \
     detail, source, event_id, recorded_at) SELECT j.value->>0, j.value->>1, j.value->>4, \
     j.value->>5, j.value->>6, j.value->>8, NULL, j.value->>7 FROM json_each($3) AS j \
     JOIN payout_items p ON p.provider = j.value->>0 AND p.reference = j.value->>1 \
     WHERE p.worker = j.value->>2 AND j.value->>5 IS NOT NULL \
     ON CONFLICT (provider, event_id) DO NOTHING";

/// The group's statements, in one script: the claims ($1), the intents ($2), the outcomes
/// ($3), in a transaction of their own: one round trip writes the group durably; [`group`]
/// rolls it back when a statement fails. A transaction left open on the connection (sqlx knows
/// only of those it began) makes its `BEGIN` fail, rather than the script nesting in it and
/// its `COMMIT` committing nothing.
static SCRIPT: LazyLock<String> = LazyLock::new(|| {
    [
        "BEGIN IMMEDIATE",
        EXISTING,
        CLAIMS,
        &INTENTS.replace("$1", "$2"),
        &OUTCOMES.replace("$1", "$3"),
        CHANGES,
        "COMMIT",
    ]
    .join(";\n")
});

/// The script's statements: each answers a count of changed rows, the claims' query a row too.
const STATEMENTS: usize = 7;

fn json<T: serde::Serialize>(rows: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(e.into()))
}

/// Per write (`n` of them): true when it is at one of `positions` (`group_concat` of
/// `json_each`'s keys; `None` for none).
fn positions(positions: Option<String>, n: usize) -> Result<Vec<bool>, sqlx::Error> {
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
    let (named,): (Option<String>,) = sqlx::query_as(query)
        .bind(rows)
        .fetch_one(&mut *conn)
        .await?;
    let at = positions(named, n)?;
    if at.iter().filter(|changed| **changed).count() as u64 != changed {
        return Err(other(
            "a batched write's changed rows do not match its statement's count",
        ));
    }
    Ok(at)
}

/// What the group's writes changed: per write, true when it changed its row (a claim inserted
/// it: [`Claim::Send`](super::super::Claim); an intent or an outcome found its worker holding
/// it).
pub(super) struct Changed {
    pub claims: Vec<bool>,
    pub intents: Vec<bool>,
    pub outcomes: Vec<bool>,
}

/// Writes the group's claims, intents and outcomes (each of distinct keys) with [`SCRIPT`], a
/// transaction of its own: durable when this returns. Called outside a transaction. The inner
/// error is the script's: it wrote nothing (rolled back whole). The outer one is any other: the
/// group cannot go on.
pub(super) async fn group(
    conn: &mut SqliteConnection,
    claims: &[&ClaimArgs],
    intents: &[&IntentArgs],
    outcomes: &[&OutcomeArgs],
) -> Result<Result<Changed, sqlx::Error>, sqlx::Error> {
    let (claim_rows, intent_rows, outcome_rows) = match rows(claims, intents, outcomes) {
        Ok(rows) => rows,
        Err(e) => return Ok(Err(e)),
    };
    // Multi-statement prepared queries are deprecated in sqlx (only its SQLite driver runs
    // them); `raw_sql` would take the writes as literals in the SQL text instead of bound
    // parameters, and parse it anew each time.
    #[allow(deprecated)]
    let results: Result<Vec<_>, _> = sqlx::query(&SCRIPT)
        .bind(&claim_rows)
        .bind(&intent_rows)
        .bind(&outcome_rows)
        .fetch_many(&mut *conn)
        .try_collect()
        .await;
    let results = match results {
        Ok(results) => results,
        Err(e) => {
            // A failed `COMMIT` may have ended the transaction already, and a failed `BEGIN`
            // leaves the one it met: this ends either (or fails, and the group with it).
            sqlx::query("ROLLBACK").execute(&mut *conn).await?;
            return Ok(Err(e));
        }
    };
    let mut existing = None;
    let mut changes = Vec::with_capacity(STATEMENTS);
    for result in results {
        match result {
            Either::Left(done) => changes.push(done.rows_affected()),
            Either::Right(row) => {
                existing = Some(sqlx::Row::try_get::<Option<String>, _>(&row, 0)?)
            }
        }
    }
    // BEGIN, the claims' query, its insert, the intents, the outcomes, the changes, COMMIT.
    let [_, _, inserted, intended, recorded, _, _] = changes[..] else {
        return Err(other(
            "the group's script answered another number of statements",
        ));
    };
    let existing = positions(existing.flatten(), claims.len())?;
    let claimed: Vec<bool> = existing.iter().map(|exists| !exists).collect();
    if claimed.iter().filter(|new| **new).count() as u64 != inserted {
        return Err(other(
            "a batched claim inserted other rows than those found missing",
        ));
    }
    let intents = changed_rows(conn, INTENDED, &intent_rows, intents.len(), intended).await?;
    let outcomes = changed_rows(conn, RECORDED, &outcome_rows, outcomes.len(), recorded).await?;
    Ok(Ok(Changed {
        claims: claimed,
        intents,
        outcomes,
    }))
}

/// The writes as the script's three JSON arrays.
fn rows(
    claims: &[&ClaimArgs],
    intents: &[&IntentArgs],
    outcomes: &[&OutcomeArgs],
) -> Result<(String, String, String), sqlx::Error> {
    let claims: Vec<_> = claims
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
    let intents: Vec<_> = intents
        .iter()
        .map(|a| (a.provider, &a.reference, &a.worker, a.now))
        .collect();
    let outcomes: Vec<_> = outcomes
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
                a.source,
            )
        })
        .collect();
    Ok((json(&claims)?, json(&intents)?, json(&outcomes)?))
}
