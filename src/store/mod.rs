//! The payout store: what the crate must remember about every payout, in a real database.
//!
//! One mechanism for the batch engine, the CLI and webhook ingestion. Per payout, under a unique
//! `(provider, reference)`:
//!
//! - the **request** (its data and [`fingerprint`](crate::batch::fingerprint())), registered
//!   when a worker takes it from its input ([`ItemState::Pending`]: nothing sent);
//! - the **intent**, durable before the request leaves and only after its rate-limit slot
//!   ([`ItemState::InFlight`]);
//! - the **outcome** ([`ItemState::Sent`], [`Reconciled`](ItemState::Reconciled),
//!   [`Failed`](ItemState::Failed), [`NotSent`](ItemState::NotSent),
//!   [`Unknown`](ItemState::Unknown)), with the provider's payout id;
//! - every **status change** after it, with its source (send, reconciliation, poll, or webhook
//!   with the provider's event id, applied once however many instances receive it);
//! - the **batch** it belongs to and its index there, and the **worker** that holds it.
//!
//! # The database enforces the rules
//!
//! - A reference is registered once per provider (a primary key): it is sent at most once
//!   across processes, machines, batches and file names.
//! - The same reference with another amount, currency or destination is refused with
//!   [`Error::ReferenceConflict`] before anything is sent.
//! - A webhook event id is stored once per provider (a unique key): a redelivered event, or one
//!   delivered to two instances at the same moment, is applied once ([`Applied::Duplicate`]).
//! - An intent is recorded only by the worker holding the item (a conditional update): a worker
//!   that lost its claim sends nothing.
//!
//! # Workers and leases
//!
//! A worker ([`WorkerId`]) holds the items it took (pending or in flight) while its heartbeat is
//! younger than the store's [`lease`](PayoutStore::lease). A worker that dies leaves them to the
//! next one that claims them ([`PayoutStore::claim_abandoned`], `FOR UPDATE SKIP LOCKED` on
//! PostgreSQL), which reconciles items that were in flight before anything else and never
//! re-sends them blindly. Heartbeats and their ages are read from the database's clock, so
//! machines' clocks need not agree.
//!
//! # Backends
//!
//! - **SQLite** (feature `sqlite`, the default): `sqlite://payouts.db` or
//!   [`Store::sqlite`]; [`Store::sqlite_in_memory`] for tests. One process at a time (the file
//!   is locked exclusively while open), any number of tasks in it.
//! - **PostgreSQL** (feature `postgres`): `postgres://user:password@host/db`; several processes
//!   on several machines share one batch.
//!
//! Both run the crate's versioned migrations on open, and refuse a database that is not a
//! `disburse` store or whose schema is newer than this version of the crate, before anything is
//! sent.

mod request_data;
#[cfg(any(feature = "sqlite", feature = "postgres"))]
mod sql;

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

use crate::error::Error;
use crate::model::{Payout, PayoutRequest, ProviderId, Reference, Status};
use crate::webhook::WebhookEvent;

#[cfg(any(feature = "sqlite", feature = "postgres"))]
#[cfg_attr(
    disburse_doc_cfg,
    doc(cfg(any(feature = "sqlite", feature = "postgres")))
)]
pub use sql::Store;

/// How long a worker's claim outlives its last heartbeat unless the store says otherwise.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(30);

/// Where a payout stands in the store.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemState {
    /// Taken by a worker; nothing has been sent (it may be waiting for its rate-limit slot).
    Pending,
    /// The intent is recorded and the request may have left: until an outcome, reconcile it
    /// before anything else.
    InFlight,
    /// The provider accepted it.
    Sent,
    /// An earlier attempt was found at the provider with `find_payout`.
    Reconciled,
    /// The provider refused it, or it was invalid: nothing moved, and it is final.
    Failed,
    /// It certainly did not reach the provider (could not connect, or still throttled after the
    /// engine's retries): the next run sends it.
    NotSent,
    /// It may have reached the provider and could not be confirmed: reconciled before anything
    /// else by the next run, never re-sent blindly; on a provider that cannot be asked
    /// (Vesicash) it waits for an operator.
    Unknown,
}

impl ItemState {
    /// Every state, in lifecycle order.
    pub const ALL: [ItemState; 7] = [
        ItemState::Pending,
        ItemState::InFlight,
        ItemState::Sent,
        ItemState::Reconciled,
        ItemState::Failed,
        ItemState::NotSent,
        ItemState::Unknown,
    ];

    /// True when a re-run skips the item: sent, reconciled or failed.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ItemState::Sent | ItemState::Reconciled | ItemState::Failed
        )
    }

    /// The word stored in the database (`"pending"`, `"in_flight"`, `"not_sent"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Pending => "pending",
            ItemState::InFlight => "in_flight",
            ItemState::Sent => "sent",
            ItemState::Reconciled => "reconciled",
            ItemState::Failed => "failed",
            ItemState::NotSent => "not_sent",
            ItemState::Unknown => "unknown",
        }
    }

    /// The state a stored word names.
    pub fn parse(word: &str) -> Option<ItemState> {
        ItemState::ALL.into_iter().find(|s| s.as_str() == word)
    }
}

impl fmt::Display for ItemState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An item's state and what is known of its payout: compact, enough to report a skipped item.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRecord {
    /// Where it stands.
    pub state: ItemState,
    /// The provider's payout id ([`Payout::id`]), when there is a payout.
    pub payout_id: Option<String>,
    /// The payout's latest status word (`pending`, `succeeded`, `failed`, `unknown`).
    pub status: Option<String>,
    /// The error, or the failure reason of a failed payout, in words.
    pub detail: Option<String>,
}

impl ItemRecord {
    /// A record with only the state.
    pub fn new(state: ItemState) -> ItemRecord {
        ItemRecord {
            state,
            payout_id: None,
            status: None,
            detail: None,
        }
    }

    /// A record of a payout the provider holds.
    pub fn from_payout(state: ItemState, payout: &Payout) -> ItemRecord {
        ItemRecord {
            state,
            payout_id: Some(payout.id.clone()),
            status: Some(payout.status.word().to_owned()),
            detail: payout.status.detail(),
        }
    }

    /// A record of an error.
    pub fn from_error(state: ItemState, error: &Error) -> ItemRecord {
        ItemRecord {
            detail: Some(error.to_string()),
            ..ItemRecord::new(state)
        }
    }
}

/// One payout as the store holds it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem {
    /// The provider's name (`"jpay"`).
    pub provider: String,
    /// The batch it belongs to.
    pub batch: String,
    /// Its position in that batch's input, from 0.
    pub index: u64,
    /// The request, read back.
    pub request: PayoutRequest,
    /// The request's [`fingerprint`](crate::batch::fingerprint()).
    pub fingerprint: String,
    /// Where it stands and what is known of its payout.
    pub record: ItemRecord,
    /// How many intents were recorded for it (requests that may have left).
    pub attempts: u32,
    /// The worker that last took it.
    pub worker: Option<String>,
    /// When it was first claimed: no request for it left before then, so an operator looking
    /// for its payout looks from then on.
    pub claimed_at: chrono::DateTime<chrono::Utc>,
}

/// A worker: one run of the batch engine, holding the items it took while its heartbeat is
/// fresh.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WorkerId(String);

impl WorkerId {
    /// A new, unique worker id (process id and 64 random bits).
    pub fn generate() -> WorkerId {
        WorkerId(format!(
            "w-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ))
    }

    /// The id as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WorkerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A request taken from a batch's input, offered to [`PayoutStore::claim`].
#[derive(Debug, Clone, Copy)]
pub struct NewItem<'a> {
    /// The provider it goes through.
    pub provider: ProviderId,
    /// The batch it belongs to.
    pub batch: &'a str,
    /// Its position in the batch's input.
    pub index: u64,
    /// The request.
    pub request: &'a PayoutRequest,
    /// The request's [`fingerprint`](crate::batch::fingerprint()).
    pub fingerprint: &'a str,
}

/// What [`PayoutStore::claim`] decided about a request.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// This worker holds the item, and nothing was sent for it: send it.
    Send,
    /// This worker holds the item, which may have reached the provider earlier (in flight when
    /// its worker died, or unknown): reconcile it before anything else.
    Reconcile,
    /// Finished earlier (sent, reconciled or failed): nothing to do.
    Done(ItemRecord),
    /// The reference is stored with another amount, currency or destination; `stored` says
    /// what the stored payout moves.
    Conflict {
        /// The stored amount and currency (`"KES 150.00"`).
        stored: String,
    },
    /// This worker already took the reference in this run: it is repeated in the input.
    Repeat,
    /// Another live worker holds it; that worker reports its outcome. The store remembers
    /// that this worker found it so ([`PayoutStore::take_deferred`]); a second occurrence in
    /// this worker's input is [`Claim::Repeat`].
    Busy,
}

/// An item taken over from a worker whose lease ran out ([`PayoutStore::claim_abandoned`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedItem {
    /// Its position in its batch's input.
    pub index: u64,
    /// The request, read back.
    pub request: PayoutRequest,
    /// [`Claim::Reconcile`] for an item that was in flight, [`Claim::Send`] for one that was
    /// still pending.
    pub claim: Claim,
    /// True when this worker had found the item held by another ([`Claim::Busy`]) and not
    /// reported it yet: the takeover's result is its one report.
    pub deferred: bool,
}

/// A row a worker found held by another live worker ([`Claim::Busy`]) and did not take over,
/// handed back at the end of its run ([`PayoutStore::take_deferred`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeferredItem {
    /// Its position in the worker's input.
    pub index: u64,
    /// Its reference.
    pub reference: Reference,
    /// What became of it (its holder's report, as stored).
    pub record: ItemRecord,
}

/// Where a status change came from.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeSource {
    /// The create call's answer.
    Send,
    /// A `find_payout` that found an earlier attempt.
    Reconcile,
    /// A `get_payout` poll.
    Poll,
    /// A webhook delivery, with the provider's event id where it gives one.
    Webhook {
        /// The provider's event id: the same id is applied once.
        event_id: Option<String>,
    },
}

impl ChangeSource {
    /// The word stored in the database.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeSource::Send => "send",
            ChangeSource::Reconcile => "reconcile",
            ChangeSource::Poll => "poll",
            ChangeSource::Webhook { .. } => "webhook",
        }
    }

    fn event_id(&self) -> Option<&str> {
        match self {
            ChangeSource::Webhook { event_id } => event_id.as_deref(),
            _ => None,
        }
    }
}

/// A payout's status as a poll or a webhook reported it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The provider.
    pub provider: ProviderId,
    /// The merchant's reference, where known.
    pub reference: Option<String>,
    /// The provider's payout id, where known.
    pub payout_id: Option<String>,
    /// The status word ([`Status::word`]).
    pub status: String,
    /// What the word leaves out ([`Status::detail`]).
    pub detail: Option<String>,
    /// Where it came from.
    pub source: ChangeSource,
}

impl StatusChange {
    /// A change of `status` for a payout, from `source`.
    pub fn new(
        provider: ProviderId,
        reference: Option<String>,
        payout_id: Option<String>,
        status: &Status,
        source: ChangeSource,
    ) -> StatusChange {
        StatusChange {
            provider,
            reference,
            payout_id,
            status: status.word().to_owned(),
            detail: status.detail(),
            source,
        }
    }

    /// What a verified webhook event reports (its event id makes it apply once).
    pub fn from_webhook(event: &WebhookEvent) -> StatusChange {
        StatusChange::new(
            event.provider,
            event.reference.clone(),
            event.provider_reference.clone(),
            &event.status,
            ChangeSource::Webhook {
                event_id: event.event_id.clone(),
            },
        )
    }

    /// What a poll (`get_payout`, `find_payout`) found.
    pub fn from_poll(payout: &Payout) -> StatusChange {
        StatusChange::new(
            payout.provider,
            payout.reference.as_ref().map(|r| r.as_str().to_owned()),
            Some(payout.id.clone()),
            &payout.status,
            ChangeSource::Poll,
        )
    }

    /// The provider's event id, for a webhook that gives one.
    pub fn event_id(&self) -> Option<&str> {
        self.source.event_id()
    }
}

/// What [`PayoutStore::record_status`] did.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// Recorded; `matched` is true when it names a stored payout, whose status it updated.
    Applied {
        /// True when a stored payout's status was updated.
        matched: bool,
    },
    /// A webhook event id already applied: nothing changed.
    Duplicate,
}

/// The store the batch engine works through. [`Store`] implements it on SQLite and PostgreSQL;
/// the trait exists so a caller can wrap it (to log, or to inject faults in tests).
///
/// Every write is durable when it returns `Ok`, with one exception: [`Store`] on SQLite
/// answers a [`claim`](PayoutStore::claim) once decided, and makes it durable with the commit
/// under way (the file is locked by one process, so nobody else relies on it). What must be
/// durable before a request leaves is its intent, which fails if its claim was lost.
#[async_trait]
pub trait PayoutStore: Send + Sync + fmt::Debug {
    /// How long a worker holds its items after its last heartbeat.
    fn lease(&self) -> Duration;

    /// Registers a worker with a fresh heartbeat.
    async fn register_worker(&self, worker: &WorkerId) -> Result<(), Error>;

    /// Renews a worker's heartbeat (call at least every third of the lease).
    async fn heartbeat(&self, worker: &WorkerId) -> Result<(), Error>;

    /// Removes a finished worker (its items are final or left for reconciliation).
    async fn retire_worker(&self, worker: &WorkerId) -> Result<(), Error>;

    /// Registers a request taken from a batch's input and decides, atomically, what `worker`
    /// does with it (see [`Claim`]). On [`Claim::Send`] and [`Claim::Reconcile`] the worker
    /// holds the item.
    async fn claim(&self, worker: &WorkerId, item: NewItem<'_>) -> Result<Claim, Error>;

    /// Takes up to `limit` items of `batch` for `provider` that are pending or in flight under
    /// a worker whose lease ran out (items in flight first), for `worker`; rows another worker
    /// is taking at the same moment are skipped, not waited for.
    async fn claim_abandoned(
        &self,
        worker: &WorkerId,
        batch: &str,
        provider: ProviderId,
        limit: u32,
    ) -> Result<Vec<ClaimedItem>, Error>;

    /// How many items of `batch` for `provider` are pending or in flight under workers other
    /// than `worker` (alive or not).
    async fn held_elsewhere(
        &self,
        worker: &WorkerId,
        batch: &str,
        provider: ProviderId,
    ) -> Result<u64, Error>;

    /// Hands back, and forgets, up to `limit` of the rows of `batch` for `provider` that `worker`
    /// found held by another live worker ([`Claim::Busy`]) and did not take over since, by
    /// index. The engine reports each such row once, at the end of its run; until then the
    /// store, not the worker's memory, keeps them.
    async fn take_deferred(
        &self,
        worker: &WorkerId,
        batch: &str,
        provider: ProviderId,
        limit: u32,
    ) -> Result<Vec<DeferredItem>, Error>;

    /// Records, durably, that `worker` is about to send the item's request
    /// ([`ItemState::InFlight`]). Fails, and nothing may be sent, when `worker` no longer holds
    /// the item.
    async fn record_intent(
        &self,
        worker: &WorkerId,
        provider: ProviderId,
        reference: &Reference,
    ) -> Result<(), Error>;

    /// Records what became of the item `worker` holds (and its payout's status as a change
    /// from [`ChangeSource::Send`] or [`ChangeSource::Reconcile`]).
    async fn record_outcome(
        &self,
        worker: &WorkerId,
        provider: ProviderId,
        reference: &Reference,
        record: &ItemRecord,
    ) -> Result<(), Error>;

    /// Records a later status change (poll or webhook) and updates the stored payout it names
    /// (by reference, else by payout id). A webhook event id is applied once.
    async fn record_status(&self, change: &StatusChange) -> Result<Applied, Error>;
}
