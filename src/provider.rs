//! The `PayoutProvider` trait: one interface over every provider, usable as
//! `Arc<dyn PayoutProvider>` so a backend can route at run time.

use std::fmt;

use async_trait::async_trait;

use crate::error::Error;
use crate::model::{
    Balance, CallbackUrl, Destination, Payout, PayoutRequest, ProviderId, RecipientCheck,
    Reference, Refund, RefundRequest,
};
use crate::money::Currency;
use crate::phone::Country;
use crate::reconcile::verdict::{self, Evidence, Reconciliation};
use crate::settle::poll::{self, Awaited, Wait};
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
///
/// A router can send one identical request, callback URL included, to every provider whose
/// currency and destination fit: only a client configured to need one (`Required`) or to refuse
/// one (`Refused`, opted into with
/// [`ClientSettings::with_strict_callback_url`](crate::config::ClientSettings::with_strict_callback_url))
/// turns a request away over its callback URL, before anything is sent.
///
/// | provider | per-payout URL | without one |
/// |---|---|---|
/// | Vesicash | `Optional`: sent as `webhook_url` | the client's default, else the dashboard's |
/// | JPay | `Optional` with a client-level notification URL, else `Required` | the client's notification URL |
/// | Payonify | `Ignored` (dashboard-level endpoints only); `Refused` when strict | the dashboard's |
/// | MTN MoMo | `Optional`: sent as `X-Callback-Url` (on the registered host) | none: read by polling |
/// | M-Pesa Daraja | `Optional`: replaces the client's result URL | the client's result URL |
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallbackUrlSupport {
    /// Every payout must carry one: the provider has no dashboard endpoint and the client has
    /// no default, and a payout without one is refused before anything is sent.
    Required,
    /// Honoured per payout; without one, the endpoint configured for the client (or the
    /// provider's dashboard) receives the webhook.
    Optional,
    /// Accepted and not sent: the provider takes webhook endpoints only from its dashboard, so
    /// the webhook goes there. Each dropped URL is recorded as a `WARN` tracing event
    /// (`disburse::callback_url`) naming the provider and the merchant reference.
    Ignored,
    /// Refused before anything is sent, because the client was configured strict
    /// ([`ClientSettings::with_strict_callback_url`](crate::config::ClientSettings::with_strict_callback_url))
    /// and the provider could only have ignored it.
    Refused,
}

impl CallbackUrlSupport {
    /// The support of a provider that takes webhook endpoints only from its dashboard:
    /// [`CallbackUrlSupport::Refused`] for a client configured strict, else
    /// [`CallbackUrlSupport::Ignored`].
    pub fn dashboard_only(strict: bool) -> CallbackUrlSupport {
        if strict {
            CallbackUrlSupport::Refused
        } else {
            CallbackUrlSupport::Ignored
        }
    }

    /// Applies this support to a request's callback URL before anything is sent: `Refused`
    /// turns a URL away with [`Error::InvalidRequest`] on `callback_url`; `Ignored` lets the
    /// request through and records the dropped URL as a tracing event (the adapter does not
    /// send it); `Required` and `Optional` leave the URL to the adapter.
    pub(crate) fn admit(
        self,
        provider: ProviderId,
        url: Option<&CallbackUrl>,
        reference: &Reference,
    ) -> Result<(), Error> {
        let Some(url) = url else { return Ok(()) };
        match self {
            CallbackUrlSupport::Refused => Err(Error::invalid(
                "callback_url",
                format!(
                    "{provider} sends webhooks to the endpoints set in its dashboard, and this \
                     client is strict: a per-payout callback URL cannot be honoured"
                ),
            )),
            CallbackUrlSupport::Ignored => {
                tracing::warn!(
                    target: "disburse::callback_url",
                    provider = %provider,
                    reference = reference.as_str(),
                    callback_url = ?crate::redact::Url(url.as_str()),
                    "callback URL not sent: {provider} sends webhooks to the endpoints set in \
                     its dashboard",
                );
                Ok(())
            }
            CallbackUrlSupport::Required | CallbackUrlSupport::Optional => Ok(()),
        }
    }
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
            Destination::BankAccount(_) => self.bank_accounts,
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
/// cannot be known is [`Error::OutcomeUnknown`]; reconcile it with [`PayoutProvider::reconcile`].
///
/// # The methods are `async fn`
///
/// The trait is used as `Arc<dyn PayoutProvider>`, which native `async fn` in traits does not
/// allow (it is not dyn-compatible), so it is written with the `async-trait` crate: each `async fn`
/// below appears in these docs as a `fn` returning `Pin<Box<dyn Future<Output = …> + Send>>`.
/// Read, call and implement them as these `async fn`s (the futures are `Send`, so they run on
/// any Tokio runtime and inside `tokio::spawn`); an implementation outside the crate puts
/// `#[async_trait::async_trait]` on its `impl` block:
///
/// ```text
/// async fn create_payout(&self, request: &PayoutRequest) -> Result<Payout, Error>;
/// async fn get_payout(&self, id: &str) -> Result<Payout, Error>;
/// async fn find_payout(&self, reference: &Reference) -> Result<Option<Payout>, Error>;
/// async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, Error>;              // default: Unsupported
/// async fn validate_recipient(&self, destination: &Destination) -> Result<RecipientCheck, Error>; // default: Unsupported
/// async fn balance(&self) -> Result<Balance, Error>;                                              // default: Unsupported
/// async fn await_final(&self, payout: &Payout, wait: &Wait) -> Result<Awaited, Error>;            // default: crate::settle
/// ```
///
/// # Example
///
/// A payout sent, read back by id, and found by the merchant's reference, through
/// `Arc<dyn PayoutProvider>`: here the real Payonify adapter against the embedded sandbox
/// (feature `sandbox`).
///
/// ```
/// # #[cfg(feature = "sandbox")]
/// # #[tokio::main]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use std::time::Duration;
/// use disburse::sandbox::Sandbox;
/// use disburse::{Currency, Destination, Money, Msisdn};
/// use disburse::{PayoutProvider, PayoutRequest, ProviderId, Reference};
///
/// let sandbox = Sandbox::builder().settle_after(Duration::ZERO).start().await?;
/// let provider: Arc<dyn PayoutProvider> = Arc::new(sandbox.payonify_client()?);
/// assert_eq!(provider.id(), ProviderId::PAYONIFY);
///
/// let request = PayoutRequest::new(
///     Reference::new("order-42")?,
///     Money::parse("25.00", Currency::USD)?,
///     Destination::mobile(Msisdn::parse("+263771234567")?), // Econet: EcoCash
/// );
/// let payout = provider.create_payout(&request).await?;
/// assert_eq!(payout.reference.as_ref(), Some(&request.reference));
///
/// let read = provider.get_payout(&payout.id).await?;
/// assert_eq!(read.id, payout.id);
///
/// // After an `OutcomeUnknown`, this is how the payout is reconciled instead of re-sent.
/// let found = provider.find_payout(&request.reference).await?;
/// assert_eq!(found.map(|p| p.id), Some(payout.id));
/// assert!(provider.find_payout(&Reference::new("never-sent")?).await?.is_none());
/// # Ok(())
/// # }
/// # #[cfg(not(feature = "sandbox"))]
/// # fn main() {}
/// ```
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

    /// Reconciles a payout whose outcome is unknown ([`Error::OutcomeUnknown`]): found, not
    /// found, or cannot tell with the reason and what an operator needs. Works on every
    /// provider; see [`crate::reconcile`]. By default, through
    /// [`find_payout`](PayoutProvider::find_payout) ([`crate::reconcile::by_reference`]).
    async fn reconcile(
        &self,
        request: &PayoutRequest,
        evidence: &Evidence,
    ) -> Result<Reconciliation, Error> {
        let found = self.find_payout(&request.reference).await;
        verdict::of_lookup(self.id(), request, evidence, found, |payout| {
            self.recipient_matches(&request.destination, payout)
        })
    }

    /// Gives money back for an earlier payment. Unsupported by default (a provider without
    /// refunds).
    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        let _ = request;
        Err(Error::unsupported(self.id(), "create_refund"))
    }

    /// Looks a refund up by the provider's id ([`Refund::id`]). Unsupported by default (a
    /// provider without refunds).
    async fn get_refund(&self, id: &str) -> Result<Refund, Error> {
        let _ = id;
        Err(Error::unsupported(self.id(), "get_refund"))
    }

    /// Looks a refund up by the merchant reference, where the provider allows it.
    /// `Ok(None)` means the provider has no refund under that reference. Unsupported by
    /// default.
    async fn find_refund(&self, reference: &Reference) -> Result<Option<Refund>, Error> {
        let _ = reference;
        Err(Error::unsupported(self.id(), "find_refund"))
    }

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
    ///
    /// # Example
    ///
    /// Against the embedded sandbox (feature `sandbox`), where a recipient ending in `0001`
    /// fails with insufficient funds:
    ///
    /// ```
    /// # #[cfg(feature = "sandbox")]
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use disburse::sandbox::Sandbox;
    /// use disburse::settle::{Awaited, Wait};
    /// use disburse::{Currency, Destination, FailureReason, Money, Msisdn};
    /// use disburse::{PayoutProvider, PayoutRequest, Reference, Status};
    ///
    /// let sandbox = Sandbox::builder().settle_after(Duration::from_millis(50)).start().await?;
    /// let payonify = sandbox.payonify_client()?;
    /// let pay = |reference: &str, phone: &str| -> Result<PayoutRequest, Box<dyn std::error::Error>> {
    ///     Ok(PayoutRequest::new(
    ///         Reference::new(reference)?,
    ///         Money::parse("10.00", Currency::USD)?,
    ///         Destination::mobile(Msisdn::parse(phone)?),
    ///     ))
    /// };
    /// let paid = payonify.create_payout(&pay("wages-1", "+263771234567")?).await?;
    /// let refused = payonify.create_payout(&pay("wages-2", "+263771230001")?).await?;
    ///
    /// // Polls with backoff until final; no fixed sleep.
    /// let wait = Wait::new()
    ///     .first_delay(Duration::from_millis(10))
    ///     .timeout(Duration::from_secs(30));
    /// let done = payonify.await_final(&paid, &wait).await?;
    /// assert!(matches!(&done, Awaited::Final(p) if p.status == Status::Succeeded));
    ///
    /// let done = payonify.await_final(&refused, &wait).await?;
    /// assert!(matches!(
    ///     done.payout().status,
    ///     Status::Failed { reason: FailureReason::InsufficientFunds, .. }
    /// ));
    /// # Ok(())
    /// # }
    /// # #[cfg(not(feature = "sandbox"))]
    /// # fn main() {}
    /// ```
    async fn await_final(&self, payout: &Payout, wait: &Wait) -> Result<Awaited, Error> {
        let id = payout.id.as_str();
        poll::payout_final(self.id(), payout, wait, || self.get_payout(id)).await
    }

    /// Waits until `refund` is final or the wait's deadline passes, polling
    /// [`PayoutProvider::get_refund`] under the same rules as
    /// [`await_final`](PayoutProvider::await_final).
    async fn await_refund(&self, refund: &Refund, wait: &Wait) -> Result<Awaited<Refund>, Error> {
        let id = refund.id.as_str();
        poll::refund_final(self.id(), refund, wait, || self.get_refund(id)).await
    }
}

/// Inside an in-crate adapter's `impl PayoutProvider`: `id` answers `$provider`, and
/// `capabilities` the client's `self.inner.capabilities`, the same way in every adapter.
macro_rules! identity {
    ($provider:expr) => {
        fn id(&self) -> $crate::model::ProviderId {
            $provider
        }

        fn capabilities(&self) -> &$crate::provider::Capabilities {
            &self.inner.capabilities
        }
    };
}

pub(crate) use identity;
