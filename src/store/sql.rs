//! [`Store`]: the payout store on SQLite or PostgreSQL, one SQL text for both (sqlx binds `$N`
//! parameters on SQLite too); only the clock and row locking differ, in [`Queries`].

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use super::request_data;
use super::{
    Applied, ChangeSource, Claim, ClaimedItem, DEFAULT_LEASE, DeferredItem, ItemRecord, ItemState,
    NewItem, PayoutStore, StoredItem, WorkerId,
};
use crate::error::Error;
use crate::model::{ProviderId, Reference};

#[cfg(feature = "sqlite")]
mod batched;
#[cfg(feature = "sqlite")]
mod group;
mod ops;
#[cfg(feature = "postgres")]
mod pg_claims;
#[cfg(feature = "postgres")]
mod pg_writes;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

/// The payout store on a real database; see the [module docs](super).
///
/// ```no_run
/// # async fn demo() -> Result<(), disburse::Error> {
/// use disburse::store::Store;
/// let store = Store::open("sqlite://payouts.db").await?; // or postgres://user:pw@host/db
/// # Ok(()) }
/// ```
pub struct Store {
    pool: Pool,
    /// The database in words, for errors: a file path, or `host:port/database`.
    name: String,
    lease: Duration,
    /// SQLite's commit group (unused on PostgreSQL).
    #[cfg(feature = "sqlite")]
    group: group::Group,
    /// PostgreSQL's claim group (unused on SQLite).
    #[cfg(feature = "postgres")]
    claims: pg_claims::ClaimGroup,
}

enum Pool {
    #[cfg(feature = "sqlite")]
    Sqlite(sqlite::SqliteDb),
    #[cfg(feature = "postgres")]
    Postgres(sqlx::PgPool),
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(_) => "sqlite",
            #[cfg(feature = "postgres")]
            Pool::Postgres(_) => "postgres",
        };
        f.debug_struct("Store")
            .field("backend", &backend)
            .field("database", &self.name)
            .field("lease", &self.lease)
            .finish()
    }
}

/// The queries whose text differs by backend.
struct Queries {
    upsert_worker: &'static str,
    existing: &'static str,
    abandoned: &'static str,
}

/// The database's clock in milliseconds: SQLite.
#[cfg(feature = "sqlite")]
macro_rules! sqlite_now {
    () => {
        "CAST(unixepoch('subsec') * 1000 AS BIGINT)"
    };
}

/// The database's clock in milliseconds: PostgreSQL.
#[cfg(feature = "postgres")]
macro_rules! postgres_now {
    () => {
        "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)"
    };
}

/// The backend-specific queries for a clock (`$now`) and a row-locking clause.
macro_rules! queries {
    ($now:ident, $lock:literal, $skip_locked:literal) => {
        Queries {
            upsert_worker: concat!(
                "INSERT INTO workers (id, heartbeat_at) VALUES ($1, ",
                $now!(),
                ") ON CONFLICT (id) DO UPDATE SET heartbeat_at = ",
                $now!()
            ),
            existing: concat!(
                "SELECT p.fingerprint, p.state, p.worker, p.amount, p.currency, p.payout_id, \
                 p.status, p.detail, CAST(CASE WHEN EXISTS (SELECT 1 FROM workers w \
                 WHERE w.id = p.worker AND w.heartbeat_at > ",
                $now!(),
                " - $3) THEN 1 ELSE 0 END AS BIGINT) AS alive \
                 FROM payout_items p WHERE p.provider = $1 AND p.reference = $2",
                $lock
            ),
            abandoned: concat!(
                "UPDATE payout_items SET worker = $1, updated_at = $5 \
                 WHERE (provider, reference) IN (SELECT q.provider, q.reference \
                 FROM payout_items q WHERE q.batch = $2 AND q.provider = $3 \
                 AND q.state IN ('pending', 'in_flight') AND (q.worker IS NULL OR NOT EXISTS \
                 (SELECT 1 FROM workers w WHERE w.id = q.worker AND w.heartbeat_at > ",
                $now!(),
                " - $4)) ORDER BY CASE WHEN q.state = 'in_flight' THEN 0 ELSE 1 END, \
                 q.item_index LIMIT $6",
                $skip_locked,
                ") RETURNING reference, item_index, request, state, CAST(CASE WHEN EXISTS \
                 (SELECT 1 FROM deferred_items d WHERE d.worker = $1 \
                 AND d.provider = payout_items.provider \
                 AND d.reference = payout_items.reference) THEN 1 ELSE 0 END AS BIGINT) AS deferred"
            ),
        }
    };
}

#[cfg(feature = "sqlite")]
static SQLITE: Queries = queries!(sqlite_now, "", "");
#[cfg(feature = "postgres")]
static POSTGRES: Queries = queries!(postgres_now, " FOR UPDATE", " FOR UPDATE SKIP LOCKED");

/// Runs `$body` with `$pool` bound to the store's pool and `$q` to its backend's queries.
macro_rules! on_pool {
    ($store:expr, |$pool:ident, $q:ident| $body:expr) => {
        match &$store.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(db) => {
                let $q: &Queries = &SQLITE;
                let _ = $q;
                match db.acquire().await {
                    Ok(mut held) => {
                        let $pool = &mut *held;
                        $body
                    }
                    Err(e) => Err(e),
                }
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres($pool) => {
                let $q: &Queries = &POSTGRES;
                let _ = $q;
                $body
            }
        }
    };
}

const ITEM_COLUMNS: &str = "provider, reference, fingerprint, batch, item_index, request, state, \
     worker, attempts, payout_id, status, detail, created_at";

#[derive(sqlx::FromRow)]
struct ItemRow {
    provider: String,
    reference: String,
    fingerprint: String,
    batch: String,
    item_index: i64,
    request: String,
    state: String,
    worker: Option<String>,
    attempts: i64,
    payout_id: Option<String>,
    status: Option<String>,
    detail: Option<String>,
    /// Milliseconds since the Unix epoch.
    created_at: i64,
}

/// An existing row, as a claim reads it.
#[derive(sqlx::FromRow)]
struct ExistingRow {
    fingerprint: String,
    state: String,
    worker: Option<String>,
    amount: String,
    currency: String,
    payout_id: Option<String>,
    status: Option<String>,
    detail: Option<String>,
    alive: i64,
}

/// A status change as stored, for [`Store::status_changes`].
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
#[non_exhaustive]
pub struct StoredChange {
    /// The status word.
    pub status: String,
    /// What the word leaves out.
    pub detail: Option<String>,
    /// `send`, `reconcile`, `poll` or `webhook`.
    pub source: String,
    /// The provider's event id, for a webhook that gave one.
    pub event_id: Option<String>,
    /// The provider's payout id, where known.
    pub payout_id: Option<String>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn state_of(word: &str) -> Result<ItemState, Error> {
    ItemState::parse(word).ok_or_else(|| Error::store(format!("unknown item state {word:?}")))
}

fn lease_ms(lease: Duration) -> i64 {
    i64::try_from(lease.as_millis()).unwrap_or(i64::MAX)
}

impl Store {
    fn new(pool: Pool, name: String) -> Store {
        Store {
            pool,
            name,
            lease: DEFAULT_LEASE,
            #[cfg(feature = "sqlite")]
            group: group::Group::default(),
            #[cfg(feature = "postgres")]
            claims: pg_claims::ClaimGroup::default(),
        }
    }

    /// Opens the store a URL names: `sqlite://PATH` (created when missing), `sqlite::memory:`,
    /// or `postgres://user:password@host:port/database` (the database must exist). Migrations
    /// run before it returns.
    pub async fn open(url: &str) -> Result<Store, Error> {
        #[cfg(feature = "sqlite")]
        if url == "sqlite::memory:" {
            return Store::sqlite_in_memory().await;
        }
        #[cfg(feature = "sqlite")]
        if let Some(path) = url.strip_prefix("sqlite://") {
            return Store::sqlite(path).await;
        }
        #[cfg(feature = "postgres")]
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Store::postgres(url).await;
        }
        Err(Error::config(format!(
            "unsupported store URL (expected {}): {}",
            supported_schemes(),
            without_password(url)
        )))
    }

    /// The same store with another lease: how long a worker holds its items after its last
    /// heartbeat (every worker of a batch must use the same). Default [`DEFAULT_LEASE`].
    #[must_use]
    pub fn with_lease(mut self, lease: Duration) -> Store {
        self.lease = lease.max(Duration::from_millis(100));
        self
    }

    /// The database in words (a file path, or `host:port/database`), as errors name it.
    pub fn name(&self) -> &str {
        &self.name
    }

    fn err(&self, what: &str) -> impl Fn(sqlx::Error) -> Error + '_ {
        let what = what.to_owned();
        move |e| Error::store_with_source(format!("{}: {what}: {e}", self.name), e)
    }

    /// Closes the connections (waits for calls in progress). On SQLite the file is closed, and
    /// free for another opener, when this returns; later calls fail.
    pub async fn close(&self) {
        match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(db) => db.close().await,
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => pool.close().await,
        }
    }

    /// The stored item of `reference` at `provider`, if any.
    pub async fn item(
        &self,
        provider: ProviderId,
        reference: &Reference,
    ) -> Result<Option<StoredItem>, Error> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM payout_items WHERE provider = $1 AND reference = $2"
        );
        let row: Option<ItemRow> = on_pool!(self, |pool, _q| sqlx::query_as(&sql)
            .bind(provider.as_str())
            .bind(reference.as_str())
            .fetch_optional(pool)
            .await)
        .map_err(self.err("reading an item"))?;
        row.map(stored_item).transpose()
    }

    /// Every item of `batch`, by index; with `state`, only those in it (e.g.
    /// [`ItemState::Unknown`]: what needs reconciliation, with its data).
    pub async fn items(
        &self,
        batch: &str,
        state: Option<ItemState>,
    ) -> Result<Vec<StoredItem>, Error> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM payout_items WHERE batch = $1 \
             AND ($2 = '' OR state = $2) ORDER BY provider, item_index, reference"
        );
        let rows: Vec<ItemRow> = on_pool!(self, |pool, _q| sqlx::query_as(&sql)
            .bind(batch)
            .bind(state.map_or("", ItemState::as_str))
            .fetch_all(pool)
            .await)
        .map_err(self.err("reading a batch"))?;
        rows.into_iter().map(stored_item).collect()
    }

    /// How many items of `batch` are in each state.
    pub async fn count_by_state(&self, batch: &str) -> Result<BTreeMap<String, u64>, Error> {
        let sql = "SELECT state, COUNT(*) FROM payout_items WHERE batch = $1 GROUP BY state";
        let rows: Vec<(String, i64)> = on_pool!(self, |pool, _q| sqlx::query_as(sql)
            .bind(batch)
            .fetch_all(pool)
            .await)
        .map_err(self.err("counting a batch"))?;
        Ok(rows
            .into_iter()
            .map(|(state, n)| (state, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// The status changes recorded for `reference` at `provider`, oldest first.
    pub async fn status_changes(
        &self,
        provider: ProviderId,
        reference: &str,
    ) -> Result<Vec<StoredChange>, Error> {
        let sql = "SELECT status, detail, source, event_id, payout_id FROM status_changes \
                   WHERE provider = $1 AND reference = $2 ORDER BY id";
        on_pool!(self, |pool, _q| sqlx::query_as(sql)
            .bind(provider.as_str())
            .bind(reference)
            .fetch_all(pool)
            .await)
        .map_err(self.err("reading status changes"))
    }
}

fn stored_item(row: ItemRow) -> Result<StoredItem, Error> {
    let reference = Reference::new(row.reference)?;
    Ok(StoredItem {
        request: request_data::decode(&reference, &row.request)?,
        provider: row.provider,
        batch: row.batch,
        index: u64::try_from(row.item_index).unwrap_or(0),
        fingerprint: row.fingerprint,
        record: ItemRecord {
            state: state_of(&row.state)?,
            payout_id: row.payout_id,
            status: row.status,
            detail: row.detail,
        },
        attempts: u32::try_from(row.attempts).unwrap_or(u32::MAX),
        worker: row.worker,
        claimed_at: chrono::DateTime::from_timestamp_millis(row.created_at).unwrap_or_default(),
    })
}

fn supported_schemes() -> &'static str {
    match (cfg!(feature = "sqlite"), cfg!(feature = "postgres")) {
        (true, true) => "sqlite://PATH, sqlite::memory: or postgres://",
        (true, false) => {
            "sqlite://PATH or sqlite::memory: (postgres:// needs the `postgres` feature)"
        }
        _ => "postgres:// (sqlite:// needs the `sqlite` feature)",
    }
}

/// Runs a write: on SQLite through the commit group; on PostgreSQL in a transaction of its own
/// (PostgreSQL groups concurrent commits itself), or as the write's own PostgreSQL form says
/// (`postgres(pool, args) => …`: the claim group, one-statement intents and outcomes).
macro_rules! write_op {
    ($store:expr, $variant:ident, $op:ident, $args:expr) => {
        write_op!($store, $variant, $args, postgres(pool, args) => async {
            let mut transaction = pool.begin().await?;
            let value = ops::postgres_ops::$op(&mut transaction, &args).await?;
            transaction.commit().await?;
            Ok(value)
        }
        .await)
    };
    ($store:expr, $variant:ident, $args:expr, postgres($pool:ident, $pg_args:ident) => $pg:expr) => {{
        let args = $args;
        match &$store.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(db) => match $store.group.run(db, group::Op::$variant(args)).await {
                Ok(group::Reply::$variant(value)) => Ok(value),
                Ok(_) => Err(group::mismatch()),
                Err(e) => Err(e),
            },
            #[cfg(feature = "postgres")]
            Pool::Postgres($pool) => {
                let $pg_args = args;
                $pg
            }
        }
    }};
}

#[async_trait]
impl PayoutStore for Store {
    fn lease(&self) -> Duration {
        self.lease
    }

    async fn register_worker(&self, worker: &WorkerId) -> Result<(), Error> {
        self.heartbeat(worker).await
    }

    async fn heartbeat(&self, worker: &WorkerId) -> Result<(), Error> {
        write_op!(self, Heartbeat, heartbeat, worker.as_str().to_owned())
            .map_err(self.err("renewing a worker's heartbeat"))
    }

    async fn retire_worker(&self, worker: &WorkerId) -> Result<(), Error> {
        write_op!(self, Retire, retire, worker.as_str().to_owned())
            .map_err(self.err("retiring a worker"))
    }

    async fn claim(&self, worker: &WorkerId, item: NewItem<'_>) -> Result<Claim, Error> {
        let request = item.request;
        let args = ops::ClaimArgs {
            provider: item.provider.as_str(),
            reference: request.reference.as_str().to_owned(),
            fingerprint: item.fingerprint.to_owned(),
            batch: item.batch.to_owned(),
            index: i64::try_from(item.index).unwrap_or(i64::MAX),
            request: request_data::encode(request),
            amount: request.amount.amount().to_string(),
            currency: request.amount.currency().code(),
            worker: worker.as_str().to_owned(),
            now: now_ms(),
            lease: lease_ms(self.lease),
        };
        // On PostgreSQL, claims made at once are decided together (see `pg_claims`).
        let claimed = write_op!(self, Claim, args, postgres(pool, args) =>
            self.claims.claim(pool, args).await);
        claimed.map_err(self.err(&format!("claiming {}", request.reference)))
    }

    async fn claim_abandoned(
        &self,
        worker: &WorkerId,
        batch: &str,
        provider: ProviderId,
        limit: u32,
    ) -> Result<Vec<ClaimedItem>, Error> {
        let args = ops::AbandonedArgs {
            worker: worker.as_str().to_owned(),
            batch: batch.to_owned(),
            provider: provider.as_str(),
            lease: lease_ms(self.lease),
            now: now_ms(),
            limit: i64::from(limit),
        };
        let rows = write_op!(self, Abandoned, abandoned, args)
            .map_err(self.err("taking over abandoned items"))?;
        rows.into_iter()
            .map(|row| {
                let reference = Reference::new(row.reference)?;
                Ok(ClaimedItem {
                    deferred: row.deferred != 0,
                    index: u64::try_from(row.item_index).unwrap_or(0),
                    request: request_data::decode(&reference, &row.request)?,
                    claim: match state_of(&row.state)? {
                        ItemState::Pending => Claim::Send,
                        _ => Claim::Reconcile,
                    },
                })
            })
            .collect()
    }

    async fn take_deferred(
        &self,
        worker: &WorkerId,
        batch: &str,
        provider: ProviderId,
        limit: u32,
    ) -> Result<Vec<DeferredItem>, Error> {
        let args = ops::DeferredArgs {
            worker: worker.as_str().to_owned(),
            batch: batch.to_owned(),
            provider: provider.as_str(),
            limit: i64::from(limit),
        };
        let rows = write_op!(self, Deferred, deferred, args)
            .map_err(self.err("handing back the items held elsewhere"))?;
        rows.into_iter()
            .map(|row| {
                Ok(DeferredItem {
                    index: u64::try_from(row.item_index).unwrap_or(0),
                    reference: Reference::new(row.reference)?,
                    record: ItemRecord {
                        state: state_of(&row.state)?,
                        payout_id: row.payout_id,
                        status: row.status,
                        detail: row.detail,
                    },
                })
            })
            .collect()
    }

    async fn held_elsewhere(
        &self,
        worker: &WorkerId,
        batch: &str,
        provider: ProviderId,
    ) -> Result<u64, Error> {
        let (provider, worker) = (provider.as_str(), worker.as_str());
        let n: Result<i64, sqlx::Error> = match &self.pool {
            #[cfg(feature = "sqlite")]
            Pool::Sqlite(db) => {
                async {
                    let mut conn = db.acquire().await?;
                    ops::sqlite_ops::held_elsewhere(&mut conn, batch, provider, worker).await
                }
                .await
            }
            #[cfg(feature = "postgres")]
            Pool::Postgres(pool) => {
                async {
                    let mut conn = pool.acquire().await?;
                    ops::postgres_ops::held_elsewhere(&mut conn, batch, provider, worker).await
                }
                .await
            }
        };
        let n = n.map_err(self.err("counting items held by other workers"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn record_intent(
        &self,
        worker: &WorkerId,
        provider: ProviderId,
        reference: &Reference,
    ) -> Result<(), Error> {
        let args = ops::IntentArgs {
            provider: provider.as_str(),
            reference: reference.as_str().to_owned(),
            worker: worker.as_str().to_owned(),
            now: now_ms(),
        };
        // On PostgreSQL, one statement committed on its own: one round trip (see `pg_writes`).
        let updated = write_op!(self, Intent, args, postgres(pool, args) =>
            pg_writes::intent(pool, &args).await)
        .map_err(self.err(&format!("recording the intent of {reference}; not sent")))?;
        if updated != 1 {
            return Err(Error::store(format!(
                "{}: {reference} is no longer held by worker {worker} (its lease ran out and \
                 another worker took it); not sent",
                self.name
            )));
        }
        Ok(())
    }

    async fn record_outcome(
        &self,
        worker: &WorkerId,
        provider: ProviderId,
        reference: &Reference,
        record: &ItemRecord,
    ) -> Result<(), Error> {
        let source = if record.state == ItemState::Reconciled {
            ChangeSource::Reconcile
        } else {
            ChangeSource::Send
        };
        let args = ops::OutcomeArgs {
            provider: provider.as_str(),
            reference: reference.as_str().to_owned(),
            worker: worker.as_str().to_owned(),
            record: record.clone(),
            source: source.as_str(),
            now: now_ms(),
        };
        // On PostgreSQL, one statement committed on its own: one round trip (see `pg_writes`).
        let updated = write_op!(self, Outcome, args, postgres(pool, args) =>
            pg_writes::outcome(pool, &args).await)
        .map_err(self.err(&format!("recording the outcome of {reference}")))?;
        if updated != 1 {
            return Err(Error::store(format!(
                "{}: {reference} is no longer held by worker {worker}; its outcome ({}) was not \
                 recorded",
                self.name, record.state
            )));
        }
        Ok(())
    }

    async fn record_status(&self, change: &super::StatusChange) -> Result<Applied, Error> {
        let args = ops::StatusArgs {
            provider: change.provider.as_str(),
            reference: change.reference.clone(),
            payout_id: change.payout_id.clone(),
            status: change.status.clone(),
            detail: change.detail.clone(),
            source: change.source.as_str(),
            event_id: change.event_id().map(str::to_owned),
            now: now_ms(),
        };
        write_op!(self, Status, status, args).map_err(self.err("recording a status change"))
    }
}

/// Maps a migration failure to a clear error: a schema newer than this crate, or a changed one.
fn migrate_error(
    name: &str,
    migrator: &sqlx::migrate::Migrator,
    e: sqlx::migrate::MigrateError,
) -> Error {
    use sqlx::migrate::MigrateError;
    let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    let message = match &e {
        MigrateError::VersionMissing(v) => format!(
            "{name}: its schema is at version {v}, newer than this version of disburse knows \
             (up to {known}); refusing to use it: upgrade disburse"
        ),
        MigrateError::VersionMismatch(v) => format!(
            "{name}: schema migration {v} was changed after it was applied; refusing to use it"
        ),
        _ => format!("{name}: cannot migrate the schema: {e}"),
    };
    Error::store_with_source(message, e)
}

/// A database URL without its password, for messages.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                let _ = parsed.set_password(Some("***"));
            }
            parsed.to_string()
        }
        Err(_) => "(a URL that does not parse)".to_owned(),
    }
}
