//! Claims in flight at once, decided in input order for a reference the input repeats.
//!
//! The engine claims up to twice `concurrency` requests at once (ahead of its request slots),
//! so their writes share a commit (on
//! SQLite, one fsync for many claims). Concurrent claims of one reference would race, and the
//! store answers [`Claim::Repeat`](crate::store::Claim::Repeat) to whichever comes second: the
//! rule is that the *first occurrence* in the input is processed. So an occurrence whose
//! reference has an earlier claim still in progress waits for that claim before making its own.
//! Only claims in progress are held (at most twice the engine's concurrency): memory stays
//! flat.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

use tokio::sync::oneshot;

/// The references whose claims are in progress, each with the latest occurrence's signal.
#[derive(Default)]
pub(super) struct ClaimOrder {
    in_progress: Mutex<HashMap<String, (u64, oneshot::Receiver<()>)>>,
}

/// One occurrence's place in line: wait for the earlier occurrence's claim (if any), claim,
/// then [`Turn::done`].
pub(super) struct Turn {
    reference: String,
    index: u64,
    earlier: Option<oneshot::Receiver<()>>,
    /// Dropped (or sent) when this occurrence's claim is decided: the next one may go.
    decided: oneshot::Sender<()>,
}

impl ClaimOrder {
    fn lock(&self) -> MutexGuard<'_, HashMap<String, (u64, oneshot::Receiver<()>)>> {
        self.in_progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes a place in line for `reference`, at input position `index`. Must be called in
    /// input order (the engine calls it as it pulls each request).
    pub(super) fn enter(&self, reference: &str, index: u64) -> Turn {
        let (decided, receiver) = oneshot::channel();
        let earlier = self
            .lock()
            .insert(reference.to_owned(), (index, receiver))
            .map(|(_, earlier)| earlier);
        Turn {
            reference: reference.to_owned(),
            index,
            earlier,
            decided,
        }
    }

    /// Leaves the line once the claim is decided, letting a later occurrence claim.
    pub(super) fn done(&self, turn: Turn) {
        let mut in_progress = self.lock();
        // A later occurrence may have taken the entry (it holds this turn's receiver).
        if in_progress
            .get(&turn.reference)
            .is_some_and(|(index, _)| *index == turn.index)
        {
            in_progress.remove(&turn.reference);
        }
        drop(in_progress);
        let _ = turn.decided.send(());
    }

    /// How many claims are in progress (for tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().len()
    }
}

impl Turn {
    /// Waits until the earlier occurrence's claim, if any, is decided (or abandoned).
    pub(super) async fn wait(&mut self) {
        if let Some(earlier) = self.earlier.take() {
            let _ = earlier.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_repeated_reference_waits_for_the_earlier_claim_and_the_line_empties() {
        let order = ClaimOrder::default();
        let first = order.enter("pay-1", 0);
        let other = order.enter("pay-2", 1);
        let mut second = order.enter("pay-1", 2);
        assert!(first.earlier.is_none() && other.earlier.is_none());
        // The second occurrence cannot go while the first is undecided.
        let waiting = tokio::time::timeout(std::time::Duration::from_millis(20), second.wait());
        assert!(waiting.await.is_err(), "waited for the first occurrence");
        // `wait` consumed the receiver on the timed-out attempt; start over to show the release.
        let mut third = order.enter("pay-1", 3);
        order.done(first);
        order.done(other);
        order.done(second);
        third.wait().await;
        assert_eq!(order.len(), 1, "only the last occurrence is still in line");
        order.done(third);
        assert_eq!(order.len(), 0);
    }
}
