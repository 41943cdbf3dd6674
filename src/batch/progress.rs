//! Progress counters, reported through the runner's callback after every completion.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};

use super::outcome::BatchOutcome;

/// Where a batch stands. Every completion moves `completed` and exactly one of `sent`, `skipped`,
/// `reconciled`, `failed`, `unknown`, `elsewhere`.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Progress {
    /// Requests taken from the input so far.
    pub submitted: u64,
    /// Requests with a result.
    pub completed: u64,
    /// Created at the provider in this run ([`BatchOutcome::Sent`]).
    pub sent: u64,
    /// Finished in an earlier run ([`BatchOutcome::AlreadyDone`]).
    pub skipped: u64,
    /// Found at the provider after an earlier run lost track ([`BatchOutcome::Reconciled`]).
    pub reconciled: u64,
    /// Definitive failures ([`BatchOutcome::Failed`]).
    pub failed: u64,
    /// Outcomes that need a human or a later reconciliation ([`BatchOutcome::Unknown`]).
    pub unknown: u64,
    /// Held by another live worker of the batch ([`BatchOutcome::Elsewhere`]).
    pub elsewhere: u64,
    /// Taken from the input and not completed yet: being sent, claimed in the store ahead of a
    /// request slot, or found held by another worker (completed at the end of the run, as
    /// [`BatchOutcome::Elsewhere`](super::BatchOutcome::Elsewhere), unless taken over).
    pub in_flight: u64,
    /// 429 answers the engine backed off from (after the HTTP layer's own retries).
    pub throttled: u64,
    /// The client-side rate limit now, per second (`None`: unlimited).
    pub rate_limit: Option<u32>,
}

/// The progress callback.
pub(crate) type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// The counters of one run and its callback.
pub(crate) struct Tracker {
    progress: Mutex<Progress>,
    callback: Option<ProgressFn>,
}

impl fmt::Debug for Tracker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tracker")
            .field("progress", &*self.lock())
            .field("callback", &self.callback.is_some())
            .finish()
    }
}

impl Tracker {
    pub(crate) fn new(callback: Option<ProgressFn>, rate_limit: Option<u32>) -> Tracker {
        Tracker {
            progress: Mutex::new(Progress {
                rate_limit,
                ..Progress::default()
            }),
            callback,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Progress> {
        self.progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn submitted(&self) {
        let mut p = self.lock();
        p.submitted += 1;
        p.in_flight += 1;
    }

    pub(crate) fn throttled(&self, rate_limit: Option<u32>) {
        let mut p = self.lock();
        p.throttled += 1;
        p.rate_limit = rate_limit;
    }

    /// Counts a completion and calls the callback (under the lock, so calls arrive in order).
    pub(crate) fn completed(&self, outcome: &BatchOutcome, rate_limit: Option<u32>) {
        let mut p = self.lock();
        p.completed += 1;
        p.in_flight = p.in_flight.saturating_sub(1);
        p.rate_limit = rate_limit;
        match outcome {
            BatchOutcome::Sent(_) => p.sent += 1,
            BatchOutcome::AlreadyDone(_) => p.skipped += 1,
            BatchOutcome::Reconciled(_) => p.reconciled += 1,
            BatchOutcome::Failed(_) => p.failed += 1,
            BatchOutcome::Unknown(_) => p.unknown += 1,
            BatchOutcome::Elsewhere => p.elsewhere += 1,
        }
        if let Some(callback) = &self.callback {
            callback(&p);
        }
    }
}
