//! The marks that carry a fault between the request log (`record`) and the
//! fault injector (`inject`): a leaf both import, so neither imports the other.

use std::sync::{Arc, Mutex, PoisonError};

use super::fault::Fault;

/// Where the fault injector notes the fault it applied, so a request dropped mid-fault is logged
/// with it.
#[derive(Debug, Clone, Default)]
pub(crate) struct FaultSlot(Arc<Mutex<Option<Fault>>>);

impl FaultSlot {
    pub(crate) fn set(&self, fault: &Fault) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(fault.clone());
    }

    pub(crate) fn get(&self) -> Option<Fault> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Marks a response with the fault applied to it, for the request log.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    pub(crate) fault: Fault,
    /// True when no answer reaches the client.
    pub(crate) dropped: bool,
}
