//! The normalized model every provider maps onto: requests, records and one status vocabulary.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use chrono::{DateTime, Utc};
use url::Url;

use crate::error::Error;
use crate::money::Money;
use crate::phone::{Country, Msisdn, Network};
use crate::raw::RawJson;
use crate::redact::Account;

/// Which provider a record, event or error comes from.
///
/// A newtype over a static name rather than an enum, so an adapter outside this crate can name
/// itself too.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderId(&'static str);

impl ProviderId {
    /// Vesicash.
    pub const VESICASH: ProviderId = ProviderId("vesicash");
    /// JPay (Kenya).
    pub const JPAY: ProviderId = ProviderId("jpay");
    /// Payonify (Zimbabwe).
    pub const PAYONIFY: ProviderId = ProviderId("payonify");
    /// Safaricom M-Pesa, directly through the Daraja API (Kenya).
    pub const MPESA_DARAJA: ProviderId = ProviderId("mpesa_daraja");

    /// A provider id for an adapter outside this crate.
    pub const fn custom(name: &'static str) -> ProviderId {
        ProviderId(name)
    }

    /// The provider's name in lower case (`"jpay"`).
    pub const fn as_str(&self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for ProviderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The merchant's own reference for a payout or refund: the idempotency key.
///
/// 1–50 characters of `[A-Za-z0-9_-]`, which every provider accepts unchanged (JPay's `ref_no`
/// allows 50, Payonify's `Idempotency-Key` and metadata values more).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Reference(String);

impl Reference {
    /// The longest reference accepted.
    pub const MAX_LEN: usize = 50;

    /// Validates a reference.
    pub fn new(value: impl Into<String>) -> Result<Reference, Error> {
        let value = value.into();
        if value.is_empty() {
            return Err(Error::invalid("reference", "must not be empty"));
        }
        if value.len() > Self::MAX_LEN {
            return Err(Error::invalid(
                "reference",
                format!(
                    "must be at most {} characters, got {}",
                    Self::MAX_LEN,
                    value.len()
                ),
            ));
        }
        if let Some(bad) = value
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
        {
            return Err(Error::invalid(
                "reference",
                format!("may hold only A-Z, a-z, 0-9, '_' and '-', found {bad:?}"),
            ));
        }
        Ok(Reference(value))
    }

    /// The reference text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Reference {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Reference::new(s).map_err(serde::de::Error::custom)
    }
}

/// A URL the provider notifies when a payout or refund changes state.
///
/// HTTPS only, except `http` on a loopback address (`localhost`, `127.0.0.0/8`, `[::1]`) for
/// local development and the embedded sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallbackUrl(Url);

impl CallbackUrl {
    /// Validates a callback URL.
    pub fn parse(text: &str) -> Result<CallbackUrl, Error> {
        let url = Url::parse(text)
            .map_err(|e| Error::invalid_with_source("callback_url", "is not an absolute URL", e))?;
        CallbackUrl::try_from(url)
    }

    /// The URL.
    pub fn as_url(&self) -> &Url {
        &self.0
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl TryFrom<Url> for CallbackUrl {
    type Error = Error;

    fn try_from(url: Url) -> Result<Self, Error> {
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(Error::invalid(
                    "callback_url",
                    "must use https (plain http is allowed only on a loopback address)",
                ));
            }
            other => {
                return Err(Error::invalid(
                    "callback_url",
                    format!("must use https, got scheme {other:?}"),
                ));
            }
        }
        if url.host().is_none() {
            return Err(Error::invalid("callback_url", "has no host"));
        }
        Ok(CallbackUrl(url))
    }
}

impl fmt::Display for CallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// Where the money goes.
///
/// `Debug` masks the number: a wallet shows [`Msisdn::masked`], an account number only its last
/// 4 characters (`"*******3385"`).
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub enum Destination {
    /// A mobile-money wallet.
    MobileWallet {
        /// The wallet's phone number.
        msisdn: Msisdn,
        /// The wallet's network, when the caller knows better than the prefix (numbers are
        /// portable in Kenya). `None` uses [`Msisdn::network`].
        network: Option<Network>,
    },
    /// A bank account.
    BankAccount {
        /// The country the bank is in.
        country: Country,
        /// The provider's identifier of the bank (Vesicash `bank_id`, JPay bank channel code).
        bank_code: String,
        /// The account number.
        account_number: String,
    },
}

impl fmt::Debug for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::MobileWallet { msisdn, network } => f
                .debug_struct("MobileWallet")
                .field("msisdn", msisdn)
                .field("network", network)
                .finish(),
            Destination::BankAccount {
                country,
                bank_code,
                account_number,
            } => f
                .debug_struct("BankAccount")
                .field("country", country)
                .field("bank_code", bank_code)
                .field("account_number", &Account(account_number))
                .finish(),
        }
    }
}

impl Destination {
    /// A mobile wallet, with the network detected from the number's prefix.
    pub fn mobile(msisdn: Msisdn) -> Destination {
        Destination::MobileWallet {
            msisdn,
            network: None,
        }
    }

    /// A mobile wallet on a network the caller names (overrides prefix detection).
    pub fn mobile_on(msisdn: Msisdn, network: Network) -> Destination {
        Destination::MobileWallet {
            msisdn,
            network: Some(network),
        }
    }

    /// A bank account; the bank code and account number must not be blank.
    pub fn bank(
        country: Country,
        bank_code: impl Into<String>,
        account_number: impl Into<String>,
    ) -> Result<Destination, Error> {
        let bank_code = bank_code.into().trim().to_owned();
        let account_number = account_number.into().trim().to_owned();
        if bank_code.is_empty() {
            return Err(Error::invalid("destination.bank_code", "must not be empty"));
        }
        if account_number.is_empty() {
            return Err(Error::invalid(
                "destination.account_number",
                "must not be empty",
            ));
        }
        if !account_number.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                "destination.account_number",
                "may hold only letters and digits",
            ));
        }
        Ok(Destination::BankAccount {
            country,
            bank_code,
            account_number,
        })
    }

    /// The country of the destination, where it is known.
    pub fn country(&self) -> Option<Country> {
        match self {
            Destination::MobileWallet { msisdn, .. } => msisdn.country(),
            Destination::BankAccount { country, .. } => Some(*country),
        }
    }

    /// The network the money goes to: the caller's override, else the prefix's network.
    pub fn network(&self) -> Option<Network> {
        match self {
            Destination::MobileWallet { msisdn, network } => network.or_else(|| msisdn.network()),
            Destination::BankAccount { .. } => None,
        }
    }
}

/// A request to send money out.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRequest {
    /// The merchant's reference: the idempotency key.
    pub reference: Reference,
    /// How much.
    pub amount: Money,
    /// To whom.
    pub destination: Destination,
    /// A narration or reason shown to the provider (and sometimes the recipient).
    pub narration: Option<String>,
    /// Where the provider reports the outcome.
    pub callback_url: Option<CallbackUrl>,
    /// The provider's channel code, where it routes by channel (JPay: `63902` M-Pesa, a bank's
    /// code). `None` lets the adapter choose from the destination.
    pub channel: Option<String>,
    /// Key-value pairs stored with the payout where the provider supports it.
    pub metadata: BTreeMap<String, String>,
}

impl PayoutRequest {
    /// A payout of `amount` to `destination` under the merchant's `reference`.
    pub fn new(reference: Reference, amount: Money, destination: Destination) -> PayoutRequest {
        PayoutRequest {
            reference,
            amount,
            destination,
            narration: None,
            callback_url: None,
            channel: None,
            metadata: BTreeMap::new(),
        }
    }

    /// Sets the narration.
    #[must_use]
    pub fn with_narration(mut self, narration: impl Into<String>) -> Self {
        self.narration = Some(narration.into());
        self
    }

    /// Sets the callback URL.
    #[must_use]
    pub fn with_callback_url(mut self, url: CallbackUrl) -> Self {
        self.callback_url = Some(url);
        self
    }

    /// Sets the provider channel code.
    #[must_use]
    pub fn with_channel(mut self, channel: impl Into<String>) -> Self {
        self.channel = Some(channel.into());
        self
    }

    /// Adds a metadata pair.
    #[must_use]
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }
}

/// A request to give money back for an earlier payment.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    /// The merchant's reference for this refund.
    pub reference: Reference,
    /// The provider's reference of the original payment.
    pub payment_reference: String,
    /// How much to give back (all or part of the original).
    pub amount: Money,
    /// Where the refund goes.
    pub destination: Destination,
    /// Why.
    pub reason: Option<String>,
    /// Where the provider reports the outcome.
    pub callback_url: Option<CallbackUrl>,
}

impl RefundRequest {
    /// A refund of `amount` of the payment `payment_reference`, to `destination`.
    pub fn new(
        reference: Reference,
        payment_reference: impl Into<String>,
        amount: Money,
        destination: Destination,
    ) -> RefundRequest {
        RefundRequest {
            reference,
            payment_reference: payment_reference.into(),
            amount,
            destination,
            reason: None,
            callback_url: None,
        }
    }

    /// Sets the reason.
    #[must_use]
    pub fn with_reason(mut self, reason: impl Into<String>) -> Self {
        self.reason = Some(reason.into());
        self
    }

    /// Sets the callback URL.
    #[must_use]
    pub fn with_callback_url(mut self, url: CallbackUrl) -> Self {
        self.callback_url = Some(url);
        self
    }
}

/// Why a payout or refund failed, normalized across providers.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FailureReason {
    /// The merchant's wallet or the provider's float could not cover it.
    InsufficientFunds,
    /// The recipient does not exist or cannot receive (unknown account, wrong number).
    InvalidRecipient,
    /// The recipient's account is blocked or suspended.
    RecipientBlocked,
    /// A transaction or daily limit was exceeded.
    LimitExceeded,
    /// The recipient's provider declined, or the recipient abandoned, the transaction.
    Declined,
    /// The downstream network timed out.
    ProviderTimeout,
    /// Any other reason, in the provider's words.
    Other(String),
}

/// The one status vocabulary.
///
/// An unknown provider word surfaces as [`Status::Unknown`]; it is never folded into pending.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Status {
    /// Accepted and not final yet.
    Pending,
    /// The money arrived.
    Succeeded,
    /// It failed; the money did not leave (or came back).
    Failed {
        /// The normalized reason.
        reason: FailureReason,
        /// The provider's code or text, where it gave one.
        detail: Option<String>,
    },
    /// A status word this crate does not know.
    Unknown(String),
}

impl Status {
    /// A failure with a reason and the provider's detail.
    pub fn failed(reason: FailureReason, detail: Option<String>) -> Status {
        Status::Failed { reason, detail }
    }

    /// True for succeeded and failed: the status will not change again.
    pub fn is_final(&self) -> bool {
        matches!(self, Status::Succeeded | Status::Failed { .. })
    }

    /// The status as one word of this crate's vocabulary: `pending`, `succeeded`, `failed` or
    /// `unknown`, for logs, journals and CSV files.
    pub fn word(&self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Succeeded => "succeeded",
            Status::Failed { .. } => "failed",
            Status::Unknown(_) => "unknown",
        }
    }

    /// What the word leaves out: a failure's reason code and the provider's detail
    /// (`insufficient_funds: balance too low`), or the provider's unknown status word.
    pub fn detail(&self) -> Option<String> {
        match self {
            Status::Pending | Status::Succeeded => None,
            Status::Failed { reason, detail } => Some(match detail {
                Some(detail) => format!("{}: {detail}", reason.code()),
                None => reason.code().to_owned(),
            }),
            Status::Unknown(word) => Some(word.clone()),
        }
    }
}

impl FailureReason {
    /// The reason as a snake_case code (`insufficient_funds`), or the provider's own words for
    /// [`FailureReason::Other`].
    pub fn code(&self) -> &str {
        match self {
            FailureReason::InsufficientFunds => "insufficient_funds",
            FailureReason::InvalidRecipient => "invalid_recipient",
            FailureReason::RecipientBlocked => "recipient_blocked",
            FailureReason::LimitExceeded => "limit_exceeded",
            FailureReason::Declined => "declined",
            FailureReason::ProviderTimeout => "provider_timeout",
            FailureReason::Other(text) => text,
        }
    }
}

/// A payout as the provider reports it.
///
/// `Debug` shows `raw` redacted (phone and account numbers masked, URL query values withheld);
/// the field itself is the provider's JSON unchanged.
#[non_exhaustive]
#[derive(Clone, PartialEq)]
pub struct Payout {
    /// The provider that holds it.
    pub provider: ProviderId,
    /// The provider's identifier, the one `get_payout` takes (`PY_…`, `po_…`).
    pub id: String,
    /// A further provider reference where there is one (JPay's gateway transaction code).
    pub provider_reference: Option<String>,
    /// The merchant's reference, where the provider echoes it back.
    pub reference: Option<Reference>,
    /// The amount, where the provider reports it.
    pub amount: Option<Money>,
    /// The normalized status.
    pub status: Status,
    /// When the provider created it.
    pub created_at: Option<DateTime<Utc>>,
    /// The provider's JSON as it sent it, kept for audit.
    pub raw: RawJson,
}

/// A refund as the provider reports it.
///
/// `Debug` shows `raw` redacted (phone and account numbers masked, URL query values withheld);
/// the field itself is the provider's JSON unchanged.
#[non_exhaustive]
#[derive(Clone, PartialEq)]
pub struct Refund {
    /// The provider that holds it.
    pub provider: ProviderId,
    /// The provider's identifier of the refund.
    pub id: String,
    /// The merchant's reference for the refund.
    pub reference: Option<Reference>,
    /// The provider's reference of the refunded payment.
    pub payment_reference: Option<String>,
    /// The amount, where the provider reports it.
    pub amount: Option<Money>,
    /// The normalized status.
    pub status: Status,
    /// When the provider created it.
    pub created_at: Option<DateTime<Utc>>,
    /// The provider's JSON as it sent it, kept for audit.
    pub raw: RawJson,
}

impl fmt::Debug for Payout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Payout")
            .field("provider", &self.provider)
            .field("id", &self.id)
            .field("provider_reference", &self.provider_reference)
            .field("reference", &self.reference)
            .field("amount", &self.amount)
            .field("status", &self.status)
            .field("created_at", &self.created_at)
            .field("raw", &self.raw)
            .finish()
    }
}

impl fmt::Debug for Refund {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Refund")
            .field("provider", &self.provider)
            .field("id", &self.id)
            .field("reference", &self.reference)
            .field("payment_reference", &self.payment_reference)
            .field("amount", &self.amount)
            .field("status", &self.status)
            .field("created_at", &self.created_at)
            .field("raw", &self.raw)
            .finish()
    }
}

impl fmt::Debug for RecipientCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecipientCheck")
            .field("valid", &self.valid)
            .field("name", &self.name)
            .field("account_status", &self.account_status)
            .field("raw", &self.raw)
            .finish()
    }
}

impl Payout {
    /// A record with the required fields; the rest start empty.
    pub fn new(provider: ProviderId, id: impl Into<String>, status: Status) -> Payout {
        Payout {
            provider,
            id: id.into(),
            provider_reference: None,
            reference: None,
            amount: None,
            status,
            created_at: None,
            raw: RawJson::empty(),
        }
    }
}

impl Refund {
    /// A record with the required fields; the rest start empty.
    pub fn new(provider: ProviderId, id: impl Into<String>, status: Status) -> Refund {
        Refund {
            provider,
            id: id.into(),
            reference: None,
            payment_reference: None,
            amount: None,
            status,
            created_at: None,
            raw: RawJson::empty(),
        }
    }
}

/// A recipient check's answer (Payonify's validate endpoint).
///
/// `Debug` shows `raw` redacted, like [`Payout`]'s.
#[non_exhaustive]
#[derive(Clone, PartialEq, Eq)]
pub struct RecipientCheck {
    /// Whether the account can receive payouts.
    pub valid: bool,
    /// The account holder's name, when valid and reported.
    pub name: Option<String>,
    /// The account status in the provider's words, when reported.
    pub account_status: Option<String>,
    /// The provider's JSON as it sent it, kept for audit.
    pub raw: RawJson,
}

/// Wallet balances (JPay's wallet endpoint).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Balance {
    /// Funds available for payouts.
    pub payout: Money,
    /// Funds collected and not yet moved.
    pub collection: Option<Money>,
    /// The provider's total.
    pub total: Option<Money>,
}

impl RecipientCheck {
    /// A check result.
    pub fn new(valid: bool, raw: RawJson) -> RecipientCheck {
        RecipientCheck {
            valid,
            name: None,
            account_status: None,
            raw,
        }
    }
}

impl Balance {
    /// Balances with the payout wallet only.
    pub fn new(payout: Money) -> Balance {
        Balance {
            payout,
            collection: None,
            total: None,
        }
    }
}

/// Whether a payout found at the provider under a request's reference is the payout that
/// request sent ([`found_is_sent`]).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoundPayout {
    /// Same amount, and the provider's detail (the recipient, where it can tell) agrees.
    Same,
    /// Another amount, or another recipient: the reference was used for another payout.
    Differs {
        /// What differs, for the error.
        why: String,
    },
    /// The record reports no amount: it cannot be judged.
    CannotTell,
}

/// The one decision "is the payout found under this reference the one I sent?", used by every
/// adapter and by the batch engine: the amounts (currency included) must be equal, and
/// `recipient_matches`, the provider's reading of the recipient in its record (see
/// [`PayoutProvider::recipient_matches`](crate::PayoutProvider::recipient_matches); `None` when
/// it cannot tell), must not say otherwise.
pub fn found_is_sent(sent: &Money, found: &Payout, recipient_matches: Option<bool>) -> FoundPayout {
    match found.amount {
        None => FoundPayout::CannotTell,
        Some(amount) if amount != *sent => FoundPayout::Differs {
            why: format!("payout {} of {amount}, not {sent}", found.id),
        },
        Some(_) if recipient_matches == Some(false) => FoundPayout::Differs {
            why: format!("payout {} to another recipient", found.id),
        },
        Some(_) => FoundPayout::Same,
    }
}

#[cfg(test)]
mod found_tests {
    use super::*;
    use crate::money::Currency;

    #[test]
    fn the_found_payout_is_the_sent_one_only_with_the_same_amount_and_no_other_recipient() {
        let sent = Money::parse("150", Currency::KES).unwrap();
        let mut found = Payout::new(ProviderId::JPAY, "po_1", Status::Pending);
        assert_eq!(
            found_is_sent(&sent, &found, Some(true)),
            FoundPayout::CannotTell
        );
        found.amount = Some(sent);
        assert_eq!(found_is_sent(&sent, &found, None), FoundPayout::Same);
        assert_eq!(found_is_sent(&sent, &found, Some(true)), FoundPayout::Same);
        assert_eq!(
            found_is_sent(&sent, &found, Some(false)),
            FoundPayout::Differs {
                why: "payout po_1 to another recipient".into()
            }
        );
        found.amount = Some(Money::parse("200", Currency::KES).unwrap());
        assert_eq!(
            found_is_sent(&sent, &found, Some(true)),
            FoundPayout::Differs {
                why: "payout po_1 of 200 KES, not 150 KES".into()
            }
        );
    }
}
