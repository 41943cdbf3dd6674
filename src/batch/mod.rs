//! Bulk payouts: bounded concurrency, a client-side rate limit, progress, and a payout store
//! ([`crate::store`]) that makes a re-run after a crash, another batch, or another worker send
//! nothing twice.
//!
//! ```
//! # #[cfg(all(feature = "sandbox", feature = "sqlite"))]
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use futures_util::StreamExt;
//! use disburse::batch::{BatchOutcome, BatchRunner};
//! use disburse::sandbox::Sandbox;
//! use disburse::store::Store;
//! use disburse::{Currency, Destination, Money, Msisdn, PayoutProvider, PayoutRequest, Reference};
//!
//! let sandbox = Sandbox::builder().settle_after(Duration::ZERO).start().await?;
//! let provider: Arc<dyn PayoutProvider> = Arc::new(sandbox.payonify_client()?);
//! let requests = (1..=5)
//!     .map(|n| -> Result<PayoutRequest, Box<dyn std::error::Error>> {
//!         Ok(PayoutRequest::new(
//!             Reference::new(format!("payroll-2026-11-{n}"))?,
//!             Money::parse("12.50", Currency::USD)?,
//!             Destination::mobile(Msisdn::parse(&format!("+26377123456{n}"))?),
//!         ))
//!     })
//!     .collect::<Result<Vec<_>, _>>()?;
//!
//! // A real database: `sqlite://payouts.db` in production, in memory here.
//! let store = Arc::new(Store::open("sqlite::memory:").await?);
//! let runner = BatchRunner::new(provider, store)
//!     .batch("payroll-2026-11")
//!     .concurrency(32)
//!     .rate_limit(Some(50))
//!     .on_progress(|p| eprintln!("{}/{} done", p.completed, p.submitted));
//!
//! let mut sent = 0;
//! let mut results = std::pin::pin!(runner.run_iter(requests.clone()));
//! while let Some(item) = results.next().await {
//!     match &item.outcome {
//!         BatchOutcome::Sent(_) => sent += 1,
//!         BatchOutcome::Unknown(e) => eprintln!("{}: check by hand: {e}", item.reference),
//!         other => eprintln!("{}: {}", item.reference, other.as_str()),
//!     }
//! }
//! assert_eq!(sent, 5);
//!
//! // The same input again pays nobody twice: every reference is already done.
//! let again: Vec<_> = runner.run_iter(requests).collect().await;
//! assert!(again.iter().all(|item| matches!(item.outcome, BatchOutcome::AlreadyDone(_))));
//! assert_eq!(sandbox.payouts_for_reference(disburse::ProviderId::PAYONIFY, "payroll-2026-11-1").len(), 1);
//! # Ok(())
//! # }
//! # #[cfg(not(all(feature = "sandbox", feature = "sqlite")))]
//! # fn main() {}
//! ```
//!
//! # The rules
//!
//! 1. **One reference, one payout, in the database.** Each request is claimed in the store
//!    ([`PayoutStore::claim`](crate::store::PayoutStore::claim)) under a unique (provider,
//!    reference): across runs, batches, file names, processes and machines.
//! 2. **Intent before sending, after the slot.** The intent is recorded, durably, when the
//!    request is about to leave: after its rate-limit slot. A request still waiting for its
//!    slot when the process dies is [`ItemState::Pending`](crate::store::ItemState::Pending)
//!    (not sent), and the next run sends it. Its outcome is recorded after.
//! 3. **Finished references are skipped.** A reference whose state is final (sent, reconciled
//!    or failed, in any batch) is [`BatchOutcome::AlreadyDone`]; nothing is sent.
//! 4. **Lost references are reconciled first.** A reference in flight when its worker died, or
//!    with an unknown outcome, is looked up with
//!    [`find_payout`](crate::PayoutProvider::find_payout):
//!    - found: [`BatchOutcome::Reconciled`], recorded, nothing sent;
//!    - `Ok(None)`: the request never arrived, so it is sent (intent recorded again first);
//!    - an error, or [`Error::Unsupported`](crate::Error::Unsupported) (Vesicash cannot look a
//!      payout up by reference): [`BatchOutcome::Unknown`], recorded, **not** re-sent. It
//!      stays for an operator ([`Store::items`](crate::store::Store::items) lists it with its
//!      data), or a later run once the provider answers.
//! 5. **A changed payout needs a new reference.** A reference stored with another amount,
//!    currency or destination is [`BatchOutcome::Failed`] with
//!    [`Error::ReferenceConflict`](crate::Error::ReferenceConflict); the same reference twice in
//!    one input is [`BatchOutcome::Failed`] with
//!    [`Error::InvalidRequest`](crate::Error::InvalidRequest) for field `reference` (the first
//!    occurrence is processed). Nothing is sent for either.
//! 6. **Failures are final.** A refusal ([`Error::Rejected`](crate::Error::Rejected), auth) is
//!    recorded failed and not retried: the HTTP layer already retried what is safe. Only what
//!    certainly did not reach the provider or moved nothing
//!    ([`Error::NotSent`](crate::Error::NotSent), a request refused as invalid
//!    ([`Error::InvalidRequest`](crate::Error::InvalidRequest)), or 429s beyond
//!    [`MAX_THROTTLED_ATTEMPTS`]) is recorded
//!    [`ItemState::NotSent`](crate::store::ItemState::NotSent) and sent by the next run (an
//!    invalid one once fixed: a not-sent item takes the fixed request in its place). An
//!    [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) is [`BatchOutcome::Unknown`] and
//!    reconciled by the next run. A refusal because the reference is already taken at the
//!    provider ([`RejectCode::DuplicateReference`](crate::RejectCode::DuplicateReference)) is
//!    looked up with `find_payout` and reported [`BatchOutcome::Reconciled`] (else unknown).
//! 7. **Many workers.** Several processes may run one batch against one PostgreSQL store. A
//!    reference another live worker holds is reported once: by the takeover's result if this
//!    worker takes it over, else as [`BatchOutcome::Elsewhere`] at the end of the run (the store
//!    remembers such rows, not the worker's memory). After its input, a
//!    worker takes over the batch's items whose worker's lease ran out
//!    ([`PayoutStore::claim_abandoned`](crate::store::PayoutStore::claim_abandoned), `FOR
//!    UPDATE SKIP LOCKED`), items in flight first and reconciled as in rule 4, and ends when
//!    no other worker holds any.
//! 8. **Flat memory.** The input is pulled only as slots free (at most
//!    [`concurrency`](BatchRunner::concurrency) requests out, and as many claimed ahead of
//!    them); what earlier runs did is asked of the database per reference, never loaded.
//! 9. **Rate limits.** Sends are spaced by the client-side limit, and a 429 that survives the
//!    HTTP layer's retries pauses every send for the `Retry-After`, halves the rate and repeats
//!    the call; the rate recovers gradually ([`rate`]).
//! 10. **Progress** is reported through the callback after every completion.
//!
//! If the store fails (the database stopped, the disk is full) the batch stops: the item that
//! hit it is [`BatchOutcome::Failed`] with [`Error::Store`](crate::Error::Store), naming the
//! database, no further item is taken, and nothing is sent without a durable intent. An outcome
//! that cannot be recorded is logged; its intent is durable, so the next run reconciles it.

mod claim_order;
mod engine;
mod fingerprint;
mod outcome;
mod progress;
pub mod rate;

pub use engine::{BatchRunner, DEFAULT_BATCH, DEFAULT_CONCURRENCY, MAX_THROTTLED_ATTEMPTS};
pub use fingerprint::fingerprint;
pub use outcome::{BatchItem, BatchOutcome};
pub use progress::Progress;
