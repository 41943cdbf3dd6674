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
    /// The details as JSON, for a saved sandbox state; the simulator reads them back with
    /// [`Simulator::details_from_json`](super::simulator::Simulator::details_from_json).
    fn to_json(&self) -> serde_json::Value;
}

impl<T: EntryDetails + Clone + PartialEq + serde::Serialize> DetailsObject for T {
    fn clone_box(&self) -> Box<dyn EntryDetails> {
        Box::new(self.clone())
    }

    fn eq_any(&self, other: &dyn Any) -> bool {
        other.downcast_ref::<T>() == Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_default()
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

    /// The details as JSON (a saved sandbox state).
    pub(crate) fn to_json(&self) -> serde_json::Value {
        self.0.to_json()
    }

    /// Details of type `T` read back from [`Details::to_json`]'s JSON.
    pub(crate) fn from_json<T: EntryDetails + serde::de::DeserializeOwned>(
        value: serde_json::Value,
    ) -> Result<Details, String> {
        serde_json::from_value::<T>(value)
            .map(Details::new)
            .map_err(|e| format!("entry details: {e}"))
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
