//! MTN MoMo's own types: the simulator's marker type, the fields its ledger entries carry, and
//! its constants. A leaf: every other file of the folder may import it.

use std::time::Duration;

use super::Operation;
use crate::sandbox::details::EntryDetails;
use crate::sandbox::ledger::EntryStatus;

/// The default MTN MoMo access-token lifetime, as documented (`expires_in` 3600).
pub const DEFAULT_MTN_MOMO_TOKEN_LIFETIME: Duration = Duration::from_secs(3600);

/// The simulated MTN MoMo.
#[derive(Debug)]
pub(crate) struct MtnMomo;

/// What MTN MoMo's wire form needs of an entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct MtnMomoDetails {
    pub(crate) operation: Operation,
    pub(crate) payer_message: String,
    pub(crate) payee_note: String,
    pub(crate) financial_transaction_id: String,
    /// The failure MTN's sandbox number scripts, if any.
    pub(crate) scenario_failure: Option<EntryStatus>,
}

impl EntryDetails for MtnMomoDetails {}
