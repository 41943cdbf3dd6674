//! Payonify's own types: the simulator's marker type, the fields its ledger entries carry, and
//! its constants. A leaf: every other file of the folder may import it.

use crate::sandbox::details::EntryDetails;

/// The simulated Payonify.
#[derive(Debug)]
pub(crate) struct Payonify;

/// What Payonify's wire form needs of an entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct PayonifyDetails {
    pub(crate) description: Option<String>,
    pub(crate) metadata: serde_json::Map<String, serde_json::Value>,
    pub(crate) mobile_number: String,
    pub(crate) created: i64,
    pub(crate) provider_reference: Option<String>,
}

impl EntryDetails for PayonifyDetails {
    /// Any metadata value.
    fn names(&self, reference: &str) -> bool {
        self.metadata
            .values()
            .any(|v| v.as_str() == Some(reference))
    }
}
