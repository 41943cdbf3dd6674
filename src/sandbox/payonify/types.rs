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

/// Payonify: the test key pair for HTTP Basic auth and the webhook signing secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PayonifyCredentials {
    /// The publishable key, the Basic-auth user (not a secret).
    pub publishable_key: &'static str,
    /// The secret key, the Basic-auth password.
    pub secret_key: &'static str,
    /// The `whsec_…` secret the sandbox signs `Payonify-Signature` with.
    pub webhook_secret: &'static str,
}

/// The credentials the simulated Payonify accepts.
pub const PAYONIFY_CREDENTIALS: PayonifyCredentials = PayonifyCredentials {
    publishable_key: "pk_test_sandbox_51HzQ2sAnDbOx",
    secret_key: "sk_test_sandbox_4eC39HqLyjWDarjtT1zdp7dc",
    webhook_secret: "whsec_sandbox_9f8e7d6c5b4a3f2e",
};

crate::redact::redacted_debug! { PayonifyCredentials, |c| { publishable_key: c.publishable_key, secret_key: SECRET_TEXT, webhook_secret: SECRET_TEXT, } }
