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

/// JPay: the app key and secret exchanged for tokens, the app code, and a callback secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JpayCredentials {
    /// `app_key` for `POST /auth/app/token` (not a secret).
    pub app_key: &'static str,
    /// `app_secret` for `POST /auth/app/token`.
    pub app_secret: &'static str,
    /// The app's `app_code`, sent in payout bodies.
    pub app_code: u32,
    /// A secret for the adapter's own signed token in the callback URL. JPay does not sign
    /// callbacks; the sandbox delivers to the URL as given and never reads this value.
    pub callback_secret: &'static str,
}

/// The credentials the simulated JPay accepts.
pub const JPAY_CREDENTIALS: JpayCredentials = JpayCredentials {
    app_key: "jpay_sandbox_app_key_7c1e02",
    app_secret: "jpay_sandbox_app_secret_94d2b6a1",
    app_code: 12345,
    callback_secret: "jpay_sandbox_callback_secret_e05a7f",
};

crate::redact::redacted_debug! { JpayCredentials, |c| { app_key: c.app_key, app_secret: SECRET_TEXT, app_code: c.app_code, callback_secret: SECRET_TEXT, } }
