//! What a provider's wire form needs of a ledger entry beyond the common fields: a value each
//! simulator defines for itself and reads back by type, so the shared ledger names no provider.

use std::any::Any;
use std::fmt;

/// A simulator's own fields of an entry.
pub(crate) trait EntryDetails: DetailsObject + fmt::Debug + Send + Sync {
    /// Whether `reference` names the entry beyond its id and merchant reference (a Payonify
    /// metadata value, a word of a Vesicash `reason`).
    fn names(&self, _reference: &str) -> bool {
        false
    }
}

/// Cloning, comparing and downcasting a boxed [`EntryDetails`]; implemented for every
/// `Clone + PartialEq` one.
pub(crate) trait DetailsObject: Any {
    fn clone_box(&self) -> Box<dyn EntryDetails>;
    fn eq_any(&self, other: &dyn Any) -> bool;
    fn as_any(&self) -> &dyn Any;
}

impl<T: EntryDetails + Clone + PartialEq> DetailsObject for T {
    fn clone_box(&self) -> Box<dyn EntryDetails> {
        Box::new(self.clone())
    }

    fn eq_any(&self, other: &dyn Any) -> bool {
        other.downcast_ref::<T>() == Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The details of one entry.
#[derive(Debug)]
pub(crate) struct Details(Box<dyn EntryDetails>);

impl Details {
    pub(crate) fn new(details: impl EntryDetails) -> Details {
        Details(Box::new(details))
    }

    /// The details as the simulator that wrote them, `None` for another's.
    pub(crate) fn get<T: EntryDetails>(&self) -> Option<&T> {
        self.0.as_any().downcast_ref()
    }

    pub(crate) fn names(&self, reference: &str) -> bool {
        self.0.names(reference)
    }
}

impl Clone for Details {
    fn clone(&self) -> Self {
        Details(self.0.clone_box())
    }
}

impl PartialEq for Details {
    fn eq(&self, other: &Self) -> bool {
        self.0.eq_any(other.0.as_any())
    }
}
