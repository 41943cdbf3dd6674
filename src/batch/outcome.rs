//! One result of a batch: the row it answers and what became of it. A leaf of the engine, so
//! progress counting and the engine share it without importing each other.

use crate::error::Error;
use crate::model::{Payout, Reference};
use crate::store::ItemRecord;

/// One result of a batch.
#[non_exhaustive]
#[derive(Debug)]
pub struct BatchItem {
    /// The request's position in the input, from 0: results arrive as they complete, and a
    /// reference repeated in the input gives two items, so this is what ties an item to its
    /// input row.
    pub index: u64,
    /// The request's reference.
    pub reference: Reference,
    /// What became of it.
    pub outcome: BatchOutcome,
}

/// What became of one request.
#[non_exhaustive]
#[derive(Debug)]
pub enum BatchOutcome {
    /// Created at the provider in this run.
    Sent(Payout),
    /// Finished in an earlier run or batch (sent, reconciled or failed); nothing was sent.
    AlreadyDone(ItemRecord),
    /// An earlier run lost track of it (crash, unknown outcome) and `find_payout` found it;
    /// nothing was sent.
    Reconciled(Payout),
    /// A definitive failure: nothing moved. Includes a reference repeated in the input
    /// ([`Error::InvalidRequest`]), a reference stored with a different request
    /// ([`Error::ReferenceConflict`]), and a store that failed before the intent was durable
    /// ([`Error::Store`]: the batch stops).
    Failed(Error),
    /// Money may have moved and it cannot be confirmed now (the provider's answer was lost, or
    /// the provider cannot be asked, like Vesicash). Never re-sent automatically; the next run
    /// tries to reconcile it again.
    Unknown(Error),
    /// Another live worker of the batch held it (PostgreSQL, several processes) and reported its
    /// outcome. Reported at the end of the run; a row this worker took over after its holder
    /// died is reported by the takeover's result instead (one result per input row either way).
    Elsewhere,
}

impl BatchOutcome {
    /// A short word for reports: `sent`, `already_done`, `reconciled`, `failed`, `unknown`,
    /// `elsewhere`.
    pub fn as_str(&self) -> &'static str {
        match self {
            BatchOutcome::Sent(_) => "sent",
            BatchOutcome::AlreadyDone(_) => "already_done",
            BatchOutcome::Reconciled(_) => "reconciled",
            BatchOutcome::Failed(_) => "failed",
            BatchOutcome::Unknown(_) => "unknown",
            BatchOutcome::Elsewhere => "elsewhere",
        }
    }

    /// The payout, for [`BatchOutcome::Sent`] and [`BatchOutcome::Reconciled`].
    pub fn payout(&self) -> Option<&Payout> {
        match self {
            BatchOutcome::Sent(p) | BatchOutcome::Reconciled(p) => Some(p),
            _ => None,
        }
    }

    /// The error, for [`BatchOutcome::Failed`] and [`BatchOutcome::Unknown`].
    pub fn error(&self) -> Option<&Error> {
        match self {
            BatchOutcome::Failed(e) | BatchOutcome::Unknown(e) => Some(e),
            _ => None,
        }
    }
}
