//! The journal trait, what it records, the compact state a run starts from, and an in-memory
//! journal for tests.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::fmt;
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::fingerprint::key;
use crate::error::Error;
use crate::model::{Payout, Reference};

/// Where the engine writes down what it is about to send and what became of it.
///
/// Calls are synchronous and may block (the engine makes them on tokio's blocking pool). An
/// implementation must make [`record_intent`](Journal::record_intent) durable before it returns:
/// the engine sends the request only after it returned `Ok`. A database can stand in for the
/// default [`FileJournal`](super::FileJournal): store the two kinds of event per reference, and
/// rebuild a [`JournalState`] from them in [`load`](Journal::load), in the order they were written.
pub trait Journal: Send + Sync + fmt::Debug {
    /// What earlier runs recorded, by reference (the latest event of each wins).
    fn load(&self) -> Result<JournalState, Error>;

    /// Records that the request under `reference`, with this
    /// [`fingerprint`](super::fingerprint()), is about to be sent. Durable before it returns.
    fn record_intent(&self, reference: &Reference, fingerprint: &str) -> Result<(), Error>;

    /// Records what became of the request under `reference`.
    fn record_outcome(&self, reference: &Reference, record: &JournalRecord) -> Result<(), Error>;
}

/// What became of a request, as journaled.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedOutcome {
    /// The provider accepted it in that run.
    Sent,
    /// An earlier run's request was found at the provider with `find_payout`.
    Reconciled,
    /// The provider refused it, or it was invalid: nothing moved, and it is final.
    Failed,
    /// It certainly did not reach the provider (could not connect, or still throttled after the
    /// engine's retries): the next run sends it.
    NotSent,
    /// It may have reached the provider and could not be confirmed: the next run reconciles it
    /// before anything else, and never re-sends it blindly.
    Unknown,
}

impl RecordedOutcome {
    /// True when a re-run skips the reference ([`BatchOutcome::AlreadyDone`](super::BatchOutcome)).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RecordedOutcome::Sent | RecordedOutcome::Reconciled | RecordedOutcome::Failed
        )
    }

    /// The word used in the journal file (`"sent"`, `"not_sent"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            RecordedOutcome::Sent => "sent",
            RecordedOutcome::Reconciled => "reconciled",
            RecordedOutcome::Failed => "failed",
            RecordedOutcome::NotSent => "not_sent",
            RecordedOutcome::Unknown => "unknown",
        }
    }
}

impl fmt::Display for RecordedOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One journaled outcome: compact (no request, no provider JSON), enough to report a skipped item.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JournalRecord {
    /// What became of the request.
    pub outcome: RecordedOutcome,
    /// The provider's payout id ([`Payout::id`]), when there is a payout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payout_id: Option<String>,
    /// The payout's status when it was recorded (`pending`, `succeeded`, `failed`, or the
    /// provider's unknown word).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The error, or the failure reason of a failed payout, in words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl JournalRecord {
    /// A record with only the outcome.
    pub fn new(outcome: RecordedOutcome) -> JournalRecord {
        JournalRecord {
            outcome,
            payout_id: None,
            status: None,
            detail: None,
        }
    }

    /// A record of a payout the provider holds.
    pub fn from_payout(outcome: RecordedOutcome, payout: &Payout) -> JournalRecord {
        let (status, detail) = (payout.status.word().to_owned(), payout.status.detail());
        JournalRecord {
            outcome,
            payout_id: Some(payout.id.clone()),
            status: Some(status),
            detail,
        }
    }

    /// A record of an error.
    pub fn from_error(outcome: RecordedOutcome, error: &Error) -> JournalRecord {
        JournalRecord {
            detail: Some(error.to_string()),
            ..JournalRecord::new(outcome)
        }
    }
}

/// What earlier runs recorded about one reference.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct RefState {
    /// A key of the fingerprint journaled with the last intent; `None` when the journal holds an
    /// outcome without an intent (written by something other than the engine).
    pub(crate) fingerprint: Option<u128>,
    /// The outcome recorded after the last intent, if any.
    pub(crate) record: Option<JournalRecord>,
}

/// The state earlier runs left, by reference: per reference a 128-bit key, a fingerprint key and
/// the latest [`JournalRecord`], never the request itself, so it stays small.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct JournalState {
    by_reference: HashMap<u128, RefState>,
}

impl fmt::Debug for JournalState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JournalState")
            .field("references", &self.by_reference.len())
            .finish()
    }
}

impl JournalState {
    /// An empty state (nothing journaled yet).
    pub fn new() -> JournalState {
        JournalState::default()
    }

    /// Applies an intent event: a new attempt is in flight, any earlier outcome no longer holds.
    pub fn apply_intent(&mut self, reference: &Reference, fingerprint: &str) {
        self.by_reference.insert(
            key(reference.as_str()),
            RefState {
                fingerprint: Some(key(fingerprint)),
                record: None,
            },
        );
    }

    /// Applies an outcome event.
    pub fn apply_outcome(&mut self, reference: &Reference, record: JournalRecord) {
        match self.by_reference.entry(key(reference.as_str())) {
            Entry::Occupied(mut e) => e.get_mut().record = Some(record),
            Entry::Vacant(e) => {
                e.insert(RefState {
                    fingerprint: None,
                    record: Some(record),
                });
            }
        }
    }

    /// How many references have an entry.
    pub fn len(&self) -> usize {
        self.by_reference.len()
    }

    /// True when nothing is journaled.
    pub fn is_empty(&self) -> bool {
        self.by_reference.is_empty()
    }

    /// True when `reference` has an entry.
    pub fn contains(&self, reference: &Reference) -> bool {
        self.by_reference.contains_key(&key(reference.as_str()))
    }

    /// The latest outcome recorded for `reference`: `None` when it has none (never journaled,
    /// or an intent without an outcome).
    pub fn record(&self, reference: &Reference) -> Option<&JournalRecord> {
        self.by_reference
            .get(&key(reference.as_str()))
            .and_then(|s| s.record.as_ref())
    }

    /// True when `reference` has an intent with no outcome after it: its request may be in
    /// flight, or lost with a crash.
    pub fn is_in_flight(&self, reference: &Reference) -> bool {
        self.by_reference
            .get(&key(reference.as_str()))
            .is_some_and(|s| s.record.is_none())
    }

    /// Removes and returns the entry of a reference key (the engine takes each once).
    pub(crate) fn take(&mut self, reference_key: u128) -> Option<RefState> {
        self.by_reference.remove(&reference_key)
    }
}

/// A journal held in memory, for tests and for callers who keep their own records: it survives a
/// dropped batch stream, not a process exit.
#[derive(Default)]
pub struct MemoryJournal {
    state: Mutex<JournalState>,
    events: Mutex<u64>,
}

impl fmt::Debug for MemoryJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryJournal")
            .field("references", &lock(&self.state).len())
            .field("events", &self.events())
            .finish()
    }
}

impl MemoryJournal {
    /// An empty journal.
    pub fn new() -> MemoryJournal {
        MemoryJournal::default()
    }

    /// A copy of what it holds.
    pub fn snapshot(&self) -> JournalState {
        lock(&self.state).clone()
    }

    /// How many events (intents and outcomes) were recorded.
    pub fn events(&self) -> u64 {
        *lock(&self.events)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep using it.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Journal for MemoryJournal {
    fn load(&self) -> Result<JournalState, Error> {
        Ok(self.snapshot())
    }

    fn record_intent(&self, reference: &Reference, fingerprint: &str) -> Result<(), Error> {
        lock(&self.state).apply_intent(reference, fingerprint);
        *lock(&self.events) += 1;
        Ok(())
    }

    fn record_outcome(&self, reference: &Reference, record: &JournalRecord) -> Result<(), Error> {
        lock(&self.state).apply_outcome(reference, record.clone());
        *lock(&self.events) += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> Reference {
        Reference::new(text).expect("reference")
    }

    #[test]
    fn the_latest_event_wins() {
        let mut state = JournalState::new();
        state.apply_intent(&r("a"), "fp");
        assert!(state.is_in_flight(&r("a")));
        state.apply_outcome(&r("a"), JournalRecord::new(RecordedOutcome::NotSent));
        assert_eq!(
            state.record(&r("a")).map(|x| x.outcome),
            Some(RecordedOutcome::NotSent)
        );
        state.apply_intent(&r("a"), "fp");
        assert!(state.is_in_flight(&r("a")));
        assert_eq!(state.record(&r("a")), None);
        assert!(!state.contains(&r("b")));
        assert_eq!(state.len(), 1);
    }

    #[test]
    fn only_sent_reconciled_and_failed_are_final() {
        assert!(RecordedOutcome::Sent.is_final());
        assert!(RecordedOutcome::Reconciled.is_final());
        assert!(RecordedOutcome::Failed.is_final());
        assert!(!RecordedOutcome::NotSent.is_final());
        assert!(!RecordedOutcome::Unknown.is_final());
    }

    #[test]
    fn records_serialize_compactly() {
        let record = JournalRecord::new(RecordedOutcome::NotSent);
        assert_eq!(
            serde_json::to_string(&record).expect("json"),
            r#"{"outcome":"not_sent"}"#
        );
    }
}
