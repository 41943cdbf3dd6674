//! M-Pesa Daraja's own types: the simulator's marker type, the fields its ledger entries carry, and
//! its constants. A leaf: every other file of the folder may import it.

use std::time::Duration;

use crate::sandbox::details::EntryDetails;
use crate::sandbox::ledger::EntryStatus;

/// The default Daraja access-token lifetime: `expires_in` 3599, as the portal's sample.
pub const DEFAULT_MPESA_DARAJA_TOKEN_LIFETIME: Duration = Duration::from_secs(3599);

/// M-Pesa Daraja: the consumer key pair for the token call, the B2C shortcode and initiator, and
/// the certificate whose key the sandbox decrypts the SecurityCredential with.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MpesaDarajaCredentials {
    /// The consumer key, the Basic-auth user of the token call.
    pub consumer_key: &'static str,
    /// The consumer secret, the Basic-auth password of the token call.
    pub consumer_secret: &'static str,
    /// The B2C shortcode (`PartyA`).
    pub shortcode: &'static str,
    /// The API operator (`InitiatorName`).
    pub initiator_name: &'static str,
    /// The operator's password, sent encrypted as the `SecurityCredential`.
    pub initiator_password: &'static str,
    /// The sandbox's certificate (PEM): point `DarajaConfig::with_certificate_pem` at it. Its
    /// private key is the test key of `fixtures/mpesa_daraja/keys/`, never used outside tests.
    pub certificate_pem: &'static str,
    /// A secret for the adapter's own signed token in the callback URLs. Daraja does not sign
    /// callbacks; the sandbox delivers to the URLs as given and never reads this value.
    pub callback_secret: &'static str,
}

crate::redact::redacted_debug! { MpesaDarajaCredentials, |c| { consumer_key: c.consumer_key, shortcode: c.shortcode, initiator_name: c.initiator_name, .. } }

/// The credentials the simulated Daraja accepts.
pub const MPESA_DARAJA_CREDENTIALS: MpesaDarajaCredentials = MpesaDarajaCredentials {
    consumer_key: "sandbox-consumer-key",
    consumer_secret: "sandbox-consumer-secret",
    shortcode: "600997",
    initiator_name: "testapi",
    initiator_password: "Safaricom999!*!",
    certificate_pem: include_str!("../../../fixtures/mpesa_daraja/keys/test_certificate.cer"),
    callback_secret: "sandbox-daraja-callback-secret",
};

/// The simulated M-Pesa Daraja.
#[derive(Debug)]
pub(crate) struct MpesaDaraja;

/// What Daraja's wire form needs of a payout.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub(crate) struct MpesaDarajaDetails {
    pub(crate) originator_conversation_id: String,
    pub(crate) conversation_id: String,
    pub(crate) transaction_id: String,
    /// The `QueueTimeOutURL` the request named.
    pub(crate) timeout_url: String,
    /// A failure the request itself decided (an invalid SecurityCredential: `2001`; a balance
    /// that cannot cover it: `1`), reported by the result like any other.
    pub(crate) forced_failure: Option<EntryStatus>,
    /// Whether the amount was taken from the balance (and so goes back if it fails).
    pub(crate) debited: bool,
}

impl EntryDetails for MpesaDarajaDetails {
    /// The whole `OriginatorConversationID`.
    fn names(&self, reference: &str) -> bool {
        self.originator_conversation_id == reference
    }
}

/// The merchant reference inside an id of the form `{PartyA}_{reference}`, else the id.
pub(crate) fn reference_in(party_a: Option<&str>, id: &str) -> String {
    party_a
        .and_then(|p| id.strip_prefix(p))
        .and_then(|rest| rest.strip_prefix('_'))
        .filter(|rest| !rest.is_empty())
        .unwrap_or(id)
        .to_owned()
}
