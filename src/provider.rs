//! The `PayoutProvider` trait: one interface over every provider, usable as
//! `Arc<dyn PayoutProvider>` so a backend can route at run time.

use std::fmt;

use async_trait::async_trait;

use crate::error::Error;
use crate::model::{
    Balance, Destination, Payout, PayoutRequest, ProviderId, RecipientCheck, Reference, Refund,
    RefundRequest,
};
use crate::money::Currency;
use crate::phone::Country;
use crate::settle::{Awaited, Wait};
use crate::webhook::{WebhookEvent, WebhookRequest};

/// How a provider handles refunds.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundSupport {
    /// No refunds through this crate.
    None,
    /// Refunds of an earlier payment, full or partial; the provider enforces that the refunded
    /// sum stays within the original.
    Partial,
    /// A refund is a payout to the customer; the provider does **not** check the sum against the
    /// original payment, so the merchant must.
    AsUncheckedPayout,
}

/// How a provider's webhooks are authenticated.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookAuth {
    /// HMAC-SHA256 of the raw body in a header.
    HmacBody,
    /// HMAC-SHA256 of a timestamp and the body, with a tolerance window.
    HmacTimestamped,
    /// The provider signs nothing; this crate puts an HMAC token in the callback URL.
    CallbackUrlToken,
}

/// What a provider does with a per-payout callback URL ([`PayoutRequest::callback_url`],
/// [`RefundRequest::callback_url`](crate::RefundRequest::callback_url)).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackUrlSupport {
    /// Every payout must carry one: the provider has no dashboard endpoint, and a payout
    /// without one is refused before anything is sent.
    Required,
    /// Taken per payout; without one, the endpoint configured for the client (or the
    /// provider's dashboard) receives the webhook.
    Optional,
    /// Refused before anything is sent: webhooks go to the endpoints set in the provider's
    /// dashboard.
    Refused,
}

/// What a provider can do, so a router can choose without trial and error.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Capabilities {
    /// Countries whose recipients it pays.
    pub countries: Vec<Country>,
    /// Currencies it pays out in.
    pub currencies: Vec<Currency>,
    /// Pays mobile-money wallets.
    pub mobile_money: bool,
    /// Pays bank accounts.
    pub bank_accounts: bool,
    /// Refund support.
    pub refunds: RefundSupport,
    /// Checks a recipient before paying ([`PayoutProvider::validate_recipient`]).
    pub recipient_validation: bool,
    /// Lists payouts (and so finds one by merchant reference without a local record).
    pub listing: bool,
    /// Reports a wallet balance ([`PayoutProvider::balance`]).
    pub balance: bool,
    /// Deduplicates creates on the merchant reference, so an unknown outcome can be re-sent.
    pub idempotent_create: bool,
    /// How webhooks are authenticated.
    pub webhook_auth: WebhookAuth,
    /// What it does with a per-payout callback URL.
    pub callback_url: CallbackUrlSupport,
}

impl Capabilities {
    /// The capabilities of a provider that pays recipients in `countries` in `currencies` and,
    /// until set otherwise, nothing more: no rail, no refunds, no listing, no balance, no
    /// recipient validation, no deduplication of creates, HMAC-of-the-body webhooks and an
    /// optional callback URL. An adapter outside this crate sets the rest on the value
    /// (`capabilities.mobile_money = true`); the fields stay public and the struct stays
    /// `#[non_exhaustive]`, so a capability added later gets its conservative default here.
    pub fn new(countries: Vec<Country>, currencies: Vec<Currency>) -> Capabilities {
        Capabilities {
            countries,
            currencies,
            mobile_money: false,
            bank_accounts: false,
            refunds: RefundSupport::None,
            recipient_validation: false,
            listing: false,
            balance: false,
            idempotent_create: false,
            webhook_auth: WebhookAuth::HmacBody,
            callback_url: CallbackUrlSupport::Optional,
        }
    }

    /// True when the provider pays this destination in this currency.
    pub fn supports(&self, destination: &Destination, currency: Currency) -> bool {
        let kind_ok = match destination {
            Destination::MobileWallet { .. } => self.mobile_money,
            Destination::BankAccount { .. } => self.bank_accounts,
        };
        let country_ok = destination
            .country()
            .is_some_and(|c| self.countries.contains(&c));
        kind_ok && country_ok && self.currencies.contains(&currency)
    }
}

/// One payout provider.
///
/// Every method validates its input before sending anything: bad input is
/// [`Error::InvalidRequest`] and nothing leaves the process. A money-moving call whose outcome
/// cannot be known is [`Error::OutcomeUnknown`]; reconcile it with [`PayoutProvider::find_payout`].
#[async_trait]
pub trait PayoutProvider: Send + Sync + fmt::Debug {
    /// The provider's id.
    fn id(&self) -> ProviderId;

    /// What it can do.
    fn capabilities(&self) -> &Capabilities;

    /// Sends money out.
    async fn create_payout(&self, request: &PayoutRequest) -> Result<Payout, Error>;

    /// Looks a payout up by the provider's id ([`Payout::id`]).
    async fn get_payout(&self, id: &str) -> Result<Payout, Error>;

    /// Looks a payout up by the merchant reference, to reconcile an unknown outcome.
    /// `Ok(None)` means the provider has no payout under that reference.
    async fn find_payout(&self, reference: &Reference) -> Result<Option<Payout>, Error>;

    /// Gives money back for an earlier payment.
    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, Error>;

    /// Authenticates a webhook delivery and normalizes it. Answer 2xx on `Ok`, and on an error
    /// whose [`WebhookError::should_acknowledge`](crate::WebhookError::should_acknowledge) is
    /// true (authentic, but not about a payout or refund); refuse anything else with a 4xx.
    fn parse_webhook(&self, delivery: &WebhookRequest<'_>) -> Result<WebhookEvent, Error>;

    /// Checks that a recipient can receive money. Unsupported by default.
    async fn validate_recipient(&self, destination: &Destination) -> Result<RecipientCheck, Error> {
        let _ = destination;
        Err(Error::unsupported(self.id(), "validate_recipient"))
    }

    /// Whether the recipient in `found` (a payout found under a request's reference) is
    /// `destination`, read from the provider's own record; `None` (the default) when the record
    /// does not say. Feeds [`found_is_sent`](crate::model::found_is_sent).
    fn recipient_matches(&self, destination: &Destination, found: &Payout) -> Option<bool> {
        let _ = (destination, found);
        None
    }

    /// The merchant's payout balance. Unsupported by default.
    async fn balance(&self) -> Result<Balance, Error> {
        Err(Error::unsupported(self.id(), "balance"))
    }

    /// Waits until `payout` is final or the wait's deadline passes, polling
    /// [`PayoutProvider::get_payout`] with backoff and waking at once on a matching webhook
    /// event. See [`crate::settle`] for the rules.
    async fn await_final(&self, payout: &Payout, wait: &Wait) -> Result<Awaited, Error> {
        crate::settle::await_final(self, payout, wait).await
    }
}
