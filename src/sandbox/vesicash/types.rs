//! Vesicash's own types: the simulator's marker type, the fields its ledger entries carry, and
//! its constants. A leaf: every other file of the folder may import it.

use crate::sandbox::details::EntryDetails;

/// The simulated Vesicash.
#[derive(Debug)]
pub(crate) struct Vesicash;

/// What Vesicash's wire form needs of an entry.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct VesicashDetails {
    /// The `amount` JSON token as received (`1000.5` or `"1000.50"`), echoed back as is.
    pub(crate) amount_json: String,
    pub(crate) reason: Option<String>,
    pub(crate) narration: Option<String>,
}

impl EntryDetails for VesicashDetails {
    /// A whole word of `reason` or `narration`.
    fn names(&self, reference: &str) -> bool {
        [&self.reason, &self.narration]
            .into_iter()
            .flatten()
            .any(|text| words(text).any(|w| w == reference))
    }
}

/// Splits on everything a [`Reference`](crate::Reference) cannot contain.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty())
}

/// Vesicash: the `secret-key` and `public-key` headers, and the webhook signing secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VesicashCredentials {
    /// The `secret-key` header value.
    pub secret_key: &'static str,
    /// The `public-key` header value (not a secret).
    pub public_key: &'static str,
    /// The secret the sandbox signs `X-Vesicash-Signature` with.
    pub webhook_secret: &'static str,
}

/// The credentials the simulated Vesicash accepts.
pub const VESICASH_CREDENTIALS: VesicashCredentials = VesicashCredentials {
    secret_key: "v_sandbox_sk_5f2c9e1a7b3d4f60",
    public_key: "v_sandbox_pk_8a41d0c3e2b7f915",
    webhook_secret: "v_sandbox_whsec_3b9f0c27d1e8",
};

crate::redact::redacted_debug! { VesicashCredentials, |c| { secret_key: SECRET_TEXT, public_key: c.public_key, webhook_secret: SECRET_TEXT, } }
