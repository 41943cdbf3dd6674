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

/// MTN MoMo: the Disbursement subscription key, the API user and key, and a callback secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MtnMomoCredentials {
    /// The `Ocp-Apim-Subscription-Key` of the Disbursement product.
    pub subscription_key: &'static str,
    /// The API user (a UUID; not a secret on its own, but redacted like the key).
    pub api_user: &'static str,
    /// The API key of that user.
    pub api_key: &'static str,
    /// A secret for the adapter's own token in the callback URL. MTN does not sign callbacks;
    /// the sandbox calls the URL as given and never reads this value.
    pub callback_secret: &'static str,
}

/// The credentials the simulated MTN MoMo accepts.
pub const MTN_MOMO_CREDENTIALS: MtnMomoCredentials = MtnMomoCredentials {
    subscription_key: "f1db798c98df4bcf83b538175893bbf0",
    api_user: "0c8a8e3a-5b6f-4f0e-9d43-1b2c3d4e5f60",
    api_key: "b0431db58a9b41faa8f5860230sandbox",
    callback_secret: "mtn_sandbox_callback_secret_51c0",
};

crate::redact::redacted_debug! { MtnMomoCredentials, |c| { subscription_key: SECRET_TEXT, api_user: SECRET_TEXT, api_key: SECRET_TEXT, callback_secret: SECRET_TEXT, } }
