//! JPay's own types: the simulator's marker type, the fields its ledger entries carry, and
//! its constants. A leaf: every other file of the folder may import it.

use std::time::Duration;

use crate::sandbox::details::EntryDetails;

/// The default JPay access-token lifetime, as documented.
pub const DEFAULT_JPAY_TOKEN_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The JPay refresh-token lifetime, as documented.
pub const JPAY_REFRESH_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// The simulated JPay.
#[derive(Debug)]
pub(crate) struct Jpay;

/// What JPay's wire form needs of an entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct JpayDetails {
    pub(crate) channel: u32,
    pub(crate) category: String,
    pub(crate) narration: String,
    pub(crate) created_at: String,
    pub(crate) trans_id: String,
    pub(crate) external_ref: String,
}

impl EntryDetails for JpayDetails {}
