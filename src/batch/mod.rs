//! Bulk payouts: bounded concurrency, a client-side rate limit, progress, and a journal that
//! makes a re-run after a crash send nothing twice.
//!
//! ```no_run
//! # async fn demo(provider: std::sync::Arc<dyn disburse::PayoutProvider>, requests: Vec<disburse::PayoutRequest>) -> Result<(), disburse::Error> {
//! use std::sync::Arc;
//! use futures_util::StreamExt;
//! use disburse::batch::{BatchOutcome, BatchRunner, FileJournal};
//!
//! let journal = Arc::new(FileJournal::open("payroll-2026-11.journal")?);
//! let runner = BatchRunner::new(provider, journal)
//!     .concurrency(32)
//!     .rate_limit(Some(50))
//!     .on_progress(|p| eprintln!("{}/{} done", p.completed, p.submitted));
//! let mut results = std::pin::pin!(runner.run_iter(requests));
//! while let Some(item) = results.next().await {
//!     if let BatchOutcome::Unknown(e) = &item.outcome {
//!         eprintln!("{}: check by hand: {e}", item.reference);
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! # The rules
//!
//! 1. **Intent before sending.** A reference's intent (with the request's [`fingerprint()`]) is
//!    journaled, durably, before its request leaves; its outcome is journaled after.
//! 2. **Finished references are skipped.** On a re-run, a reference whose latest outcome is
//!    final (sent, reconciled or failed) is [`BatchOutcome::AlreadyDone`]; nothing is sent.
//! 3. **Lost references are reconciled first.** A reference with an intent and no outcome (the
//!    process died with it in flight), or with an unknown outcome, is looked up with
//!    [`find_payout`](crate::PayoutProvider::find_payout):
//!    - found: [`BatchOutcome::Reconciled`], journaled, nothing sent;
//!    - `Ok(None)`: the request never arrived, so it is sent (intent journaled again first);
//!    - an error, or [`Error::Unsupported`](crate::Error::Unsupported) (Vesicash cannot look a
//!      payout up by reference): [`BatchOutcome::Unknown`], journaled, **not** re-sent. It stays
//!      for a human, or a later run once the provider answers.
//! 4. **A reference is one payout.** The same reference twice in one input, or a reference whose
//!    fingerprint (amount, currency, destination) differs from the journaled one, is
//!    [`BatchOutcome::Failed`] with [`Error::InvalidRequest`](crate::Error::InvalidRequest) for
//!    field `reference`; nothing is sent or journaled for it. Repeats within one input are found
//!    by a 64-bit key per reference: two different references share one with a chance of about
//!    3 × 10⁻¹⁰ in a batch of 100,000, and the second is then refused the same way (never sent
//!    twice; send it in another batch).
//! 5. **Failures are final.** A refusal ([`Error::Rejected`](crate::Error::Rejected), invalid
//!    input, auth) is journaled failed and not retried: the HTTP layer already retried what is
//!    safe. Only what certainly did not reach the provider
//!    ([`Error::NotSent`](crate::Error::NotSent), or 429s beyond
//!    [`MAX_THROTTLED_ATTEMPTS`]) is journaled [`RecordedOutcome::NotSent`] and sent by the next
//!    run. An [`Error::OutcomeUnknown`](crate::Error::OutcomeUnknown) is
//!    [`BatchOutcome::Unknown`] and reconciled by the next run. A refusal because the
//!    reference is already taken at the provider
//!    ([`RejectCode::DuplicateReference`](crate::RejectCode::DuplicateReference)) is looked up
//!    with `find_payout` and reported [`BatchOutcome::Reconciled`] (else unknown).
//! 6. **Flat memory.** The input is pulled only as slots free (at most
//!    [`concurrency`](BatchRunner::concurrency) requests held), and the state kept per reference
//!    is a 64-bit key (about 10 bytes with its index) and, for references journaled by earlier
//!    runs, two 128-bit keys and their compact [`JournalRecord`] until they come up; never a
//!    request.
//! 7. **Rate limits.** Sends are spaced by the client-side limit, and a 429 that survives the
//!    HTTP layer's retries pauses every send for the `Retry-After`, halves the rate and repeats
//!    the call; the rate recovers gradually ([`rate`]).
//! 8. **Progress** is reported through the callback after every completion.
//!
//! If an outcome cannot be journaled (disk full) the item still reports what happened and the
//! error is logged; its intent is on disk, so the next run reconciles it. If the intent cannot be
//! journaled, the item is [`BatchOutcome::Failed`] with [`Error::Journal`](crate::Error::Journal)
//! and nothing is sent.

mod engine;
mod file_journal;
mod fingerprint;
mod journal;
mod progress;
pub mod rate;
mod seen;

pub use engine::{
    BatchItem, BatchOutcome, BatchRunner, DEFAULT_CONCURRENCY, MAX_THROTTLED_ATTEMPTS,
};
pub use file_journal::{FileJournal, TornLine};
pub use fingerprint::fingerprint;
pub use journal::{Journal, JournalRecord, JournalState, MemoryJournal, RecordedOutcome};
pub use progress::Progress;
