//! # JPay (Kenya): M-Pesa, Airtel Money, T-Kash and bank payouts in KES
//!
//! ## The API in brief
//!
//! | what | call |
//! |---|---|
//! | token | `POST /auth/app/token` `{app_key, app_secret}` → `{access, refresh, merchant_id, app_code, products}` (15 min / 7 days) |
//! | refresh | `POST /auth/refresh` `{refresh}` → `{access, refresh?}` |
//! | payout | `POST /payments/payouts/initiate` `{payto, amount, ref_no, callback_url, category, narration, channel, app_code}` |
//! | status | `GET /payments/payouts/{id}`; list `GET /payments/payouts` |
//! | channels | `GET /channels?type=&active_only=&page=&page_size=` |
//! | balance | `GET /wallets/balance` |
//! | callback | JPay POSTs `{notification: {type, event}, data: {result_code, result_description, amount, ref_no, …}}` to `callback_url`, unsigned |
//!
//! Every call but the token calls carries `Authorization: Bearer <access>`. Errors are
//! `{"detail": "…"}`. Sandbox `https://sandbox.api.jpay.africa/api/v1`, live
//! `https://api.jpay.africa/api/v1` ([`Environment`]).
//!
//! ## How the adapter sends a payout
//!
//! 1. Everything is validated before anything is sent: KES only; 1.00–999 999.99, written with
//!    exactly two decimals ([`Money::to_fixed_2`]); a Kenyan number (`payto` is E.164 with `+`) or
//!    a Kenyan bank account (`payto` is the account number); `narration` ≤ 200 characters; a
//!    callback URL (JPay requires one); the `ref_no` is the merchant [`Reference`] (≤ 50).
//! 2. The channel: the caller's [`PayoutRequest::channel`] wins (it must be a positive integer);
//!    else a phone's network (the caller's override, else the prefix) picks it — Safaricom
//!    [`MPESA_CHANNEL`], Airtel [`AIRTEL_MONEY_CHANNEL`], Telkom [`TKASH_CHANNEL`] — and a
//!    number whose network is unknown, or not one of these three, is refused; a bank account uses
//!    its `bank_code` as the channel when it is an integer (JPay's bank channel codes, see
//!    [`JpayClient::channels`]), and is refused otherwise.
//! 3. The token is fetched or renewed (single flight, see `token.rs`); a token whose `products`
//!    lacks `payouts` ends the call with [`AuthFailure::ProductNotEnabled`] before the payout is
//!    sent. `app_code` comes from [`JpayConfig::app_code`], else from the token response.
//! 4. The POST is [`Idempotency::Keyed`]: JPay's `ref_no` is unique, so the core re-sends the
//!    identical bytes after a timeout or a 5xx, and after a 401 renews the token once and repeats
//!    once.
//!
//! ## Decisions on what JPay does not document
//!
//! Each open point, decided here and nowhere else:
//!
//! - **Callback authentication.** JPay signs no callback. The callback URL sent with each payout
//!   carries one more query parameter, [`CALLBACK_TOKEN_PARAM`] = hex(HMAC-SHA256(callback secret,
//!   `ref_no`)); the merchant's own query is kept verbatim. [`PayoutProvider::parse_webhook`] reads
//!   the token from [`WebhookRequest::url`] and the `ref_no` from the body and verifies them in
//!   constant time (the core [`HmacVerifier`](crate::webhook::HmacVerifier)): a missing token is
//!   [`WebhookError::MissingSignature`], a token for another `ref_no` or made with another secret
//!   [`WebhookError::SignatureMismatch`]. The token proves the callback is about a payout this
//!   merchant sent; it cannot prove the outcome it reports (anyone who saw the URL could replay or
//!   alter it). [`JpayClient::parse_webhook_confirmed`] therefore also looks the payout up and
//!   reports JPay's own status; with [`JpayConfig::confirm_callbacks`] on, the synchronous
//!   `parse_webhook` refuses with [`Error::Unsupported`] so that an unconfirmed outcome is never
//!   trusted by mistake.
//! - **Duplicate reference.** JPay does not document its answer to a reused `ref_no`. Any 4xx
//!   whose message names the reference (`ref_no`, `ref no`, `reference`, or DRF's field error
//!   `{"ref_no": [...]}`) and says it exists or is a duplicate (`exist`, `duplicate`, `already
//!   used`) is [`RejectCode::DuplicateReference`]. On it, `create_payout` looks the payout up by
//!   `ref_no` and returns it when its amount and `payto` equal the request's (the merchant re-sent
//!   the same payout, e.g. after [`Error::OutcomeUnknown`]); when they differ, or it cannot be
//!   compared, the rejection stands.
//! - **Listing.** `GET /payments/payouts` is undocumented beyond its existence. `find_payout` sends
//!   `ref_no=<reference>` as a filter hint and `page`/`page_size` as for channels, checks each
//!   item's `ref_no` itself, and pages on while the page says there is more (`has_next`,
//!   `total_pages`, `total`, a `next` link, else a full page). `Ok(None)` is returned only when
//!   the last page was seen; a list that does not end within 200 pages, or repeats a page, is an
//!   [`Error::Decode`] rather than a false "not found".
//! - **`created_at` time zone.** `DD/MM/YYYY HH:MM:SS` carries no zone. It is read as **UTC**:
//!   JPay's own example pairs a payout `created_at` of `12/04/2024 14:30:45` with a callback
//!   `transaction_date` of `2024-04-12T14:35:00.000Z` (documented as UTC), four minutes apart; read
//!   as EAT (+03:00) the callback would precede the payout by almost three hours. Other formats
//!   (RFC 3339) are read too; anything else leaves `created_at` empty, with the text kept in `raw`.
//! - **Token details.** `products` is read as a list of names, a list of objects with a
//!   `name`/`code`, or an object of flags; another shape is not checked. When the access token is
//!   a JWT with `iat` and `exp`, a lifetime shorter than the documented 15 minutes is honoured.
//!   A refresh answer without `refresh` keeps the old refresh token. A 4xx answer to the refresh
//!   falls back to a new token; a transport error or 5xx does not.
//! - **After a 401.** The token is renewed once; a caller whose 401 arrives while another renewal
//!   runs, or within 5 seconds after one, reuses it instead of renewing again.
//! - **Failures.** A payout or callback failure's reason is read from JPay's description
//!   (`insufficient` → insufficient funds, `limit`, `timeout`, `blocked`, `invalid`/`not found` with
//!   `account`/`number`, `declined`/`cancelled`), else kept verbatim. A `transaction.completed` callback
//!   without a `result_code` is not taken as success
//!   ([`Status::Unknown`](crate::Status::Unknown)); any non-zero `result_code` is a failure. The
//!   callback's `trans_id` (else `external_ref`) is the event's `provider_reference`; JPay gives
//!   no event id. A callback whose `notification.type` is not `payout` is refused. A payout
//!   object's `result_description`/`failure_reason` and `trans_id` are not documented; they are
//!   read when present.
//! - **Errors.** "App not found" (404) is [`RejectCode::NotFound`] with `param` `app_code`, to set
//!   it apart from a payout that does not exist. Any other 400 is [`RejectCode::InvalidRequest`].
//! - **Refunds.** JPay's docs name payouts as the way to refund: [`JpayClient::create_refund`]
//!   sends a payout to the refund's mobile wallet with the narration `Refund of payment <payment
//!   reference>` (`: <reason>` appended when given). JPay does not check the sum against the
//!   original payment ([`RefundSupport::AsUncheckedPayout`]): the merchant must.
//! - **Not sent.** [`PayoutRequest::metadata`] is not sent (JPay has no such field). The category
//!   is [`JpayConfig::category`] unless [`JpayClient::create_payout_in`] names one.
//! - **Channel types.** `GET /channels`' `type` is assumed to be `mobile_money` / `bank`; see
//!   [`ChannelType`].
//! - **Configuration.** Without `JPAY_BASE_URL`, [`JpayConfig::from_env`] uses the sandbox, so a
//!   missing variable never sends real money.

pub(crate) mod callback;
mod channel;
pub(crate) mod token;
pub(crate) mod wire;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde::{Serialize, Serializer};
use serde_json::Value;

pub use channel::{Channel, ChannelPage, ChannelQuery, ChannelType};

use self::token::{JpayHooks, TokenManager};
use self::wire::{BalanceWire, ChannelWire, PageWire, PayoutBody, PayoutWire};
use crate::access_token::ErrorTable;
pub use crate::config::Environment;
use crate::config::{CallbackTokens, ClientSettings, EnvVars, ProviderUrls};
use crate::error::{AuthFailure, Error, RejectCode};
use crate::http::{Call, HttpClient, Idempotency, PathId};
use crate::model::found_is_sent;
use crate::model::{
    Balance, CallbackUrl, Destination, FoundPayout, Payout, PayoutRequest, ProviderId, Reference,
    Refund, RefundRequest,
};
use crate::money::{Currency, Money};
use crate::phone::{Country, Msisdn, Network};
use crate::provider::{
    CallbackUrlSupport, Capabilities, PayoutProvider, RefundSupport, WebhookAuth,
};
use crate::raw::RawJson;
use crate::webhook::{WebhookError, WebhookEvent, WebhookRequest};

/// The sandbox base URL.
pub const SANDBOX_URL: &str = "https://sandbox.api.jpay.africa/api/v1";
/// The live base URL.
pub const LIVE_URL: &str = "https://api.jpay.africa/api/v1";
/// The query parameter of the callback URL that carries the callback token.
pub const CALLBACK_TOKEN_PARAM: &str = "disburse_token";
/// M-Pesa (Safaricom).
pub const MPESA_CHANNEL: u32 = 63902;
/// Airtel Money.
pub const AIRTEL_MONEY_CHANNEL: u32 = 63903;
/// T-Kash (Telkom).
pub const TKASH_CHANNEL: u32 = 63907;
/// The longest narration JPay takes, in characters.
pub const MAX_NARRATION_CHARS: usize = 200;
/// The default refresh margin: a token is renewed when less than this is left.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(60);

const PROVIDER: ProviderId = ProviderId::JPAY;
const PAYOUT_PATH: &str = "/payments/payouts/initiate";
const PAYOUTS_PATH: &str = "/payments/payouts";
/// Items asked per page when listing payouts.
const LIST_PAGE_SIZE: u64 = 100;
/// Pages read at most when listing.
const MAX_LIST_PAGES: u64 = 200;

fn min_amount() -> Decimal {
    Decimal::new(100, 2)
}

fn max_amount() -> Decimal {
    Decimal::new(99_999_999, 2)
}

/// JPay's sandbox and live base URLs.
pub const URLS: ProviderUrls = ProviderUrls {
    sandbox: SANDBOX_URL,
    live: LIVE_URL,
};

/// JPay's transaction category (`category`), for reporting and compliance.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Category {
    /// `ecommerce`.
    Ecommerce,
    /// `gaming`.
    Gaming,
    /// `adult_content`.
    AdultContent,
    /// `forex`.
    Forex,
    /// `other`, JPay's default.
    #[default]
    Other,
}

impl Category {
    /// The wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            Category::Ecommerce => "ecommerce",
            Category::Gaming => "gaming",
            Category::AdultContent => "adult_content",
            Category::Forex => "forex",
            Category::Other => "other",
        }
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Everything a [`JpayClient`] needs.
#[non_exhaustive]
#[derive(Clone)]
pub struct JpayConfig {
    /// The app key.
    pub app_key: SecretString,
    /// The app secret.
    pub app_secret: SecretString,
    /// The app code; `None` takes the one in the token response.
    pub app_code: Option<u64>,
    /// What every adapter's config shares: environment, timeouts, the clock token expiry is
    /// measured on, and the webhook secret, which for JPay is the secret the callback tokens are
    /// made with (any string only this merchant knows); earlier ones are still accepted.
    pub settings: ClientSettings,
    /// The category of payouts sent through [`PayoutProvider::create_payout`].
    pub category: Category,
    /// A token is renewed when less than this is left of it (less than 15 minutes).
    pub refresh_margin: Duration,
    /// When on, [`PayoutProvider::parse_webhook`] refuses and callbacks must go through
    /// [`JpayClient::parse_webhook_confirmed`], which checks the outcome with JPay.
    pub confirm_callbacks: bool,
    /// The callback URL of a payout or refund whose request names none (JPay needs one on
    /// every payout). With it, [`Capabilities::callback_url`] is
    /// [`CallbackUrlSupport::Optional`]; without it, `Required`.
    pub notification_url: Option<CallbackUrl>,
}

crate::redact::redacted_debug! { JpayConfig, |c| {
    app_key: SECRET, app_secret: SECRET, app_code: c.app_code, settings: c.settings,
    category: c.category, refresh_margin: c.refresh_margin,
    confirm_callbacks: c.confirm_callbacks,
    notification_url: url(c.notification_url.as_ref().map(CallbackUrl::as_str)),
}}

impl JpayConfig {
    /// A sandbox configuration with default timeouts, category `other` and a 60 s margin.
    pub fn new(
        app_key: SecretString,
        app_secret: SecretString,
        callback_secret: SecretString,
    ) -> JpayConfig {
        JpayConfig {
            app_key,
            app_secret,
            app_code: None,
            settings: ClientSettings::new(callback_secret, Environment::Sandbox),
            category: Category::Other,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            confirm_callbacks: false,
            notification_url: None,
        }
    }

    fn from_vars(env: &EnvVars<'_>) -> Result<JpayConfig, Error> {
        let ([app_key, app_secret], settings) =
            env.secrets_and_settings(["APP_KEY", "APP_SECRET"])?;
        let mut config = JpayConfig::new(app_key, app_secret, settings.webhook_secret.clone());
        config.settings = settings;
        if let Some(code) = env.optional("APP_CODE")? {
            let code = code.parse::<u64>().map_err(|e| Error::Config {
                message: "JPAY_APP_CODE must be an unsigned integer".into(),
                source: Some(Box::new(e)),
            })?;
            config.app_code = Some(code);
        }
        if let Some(url) = env.optional("NOTIFICATION_URL")? {
            let url = CallbackUrl::parse(&url).map_err(|e| Error::Config {
                message: "JPAY_NOTIFICATION_URL is not a usable callback URL".into(),
                source: Some(Box::new(e)),
            })?;
            config.notification_url = Some(url);
        }
        Ok(config)
    }
}

crate::config::setters! { JpayConfig {
    /// Sets the app code.
    with_app_code(app_code: u64) => app_code = Some(app_code);
    /// Sets the default category.
    with_category(category: Category) => category = category;
    /// Sets the callback URL of payouts and refunds whose request names none (see
    /// [`JpayConfig::notification_url`]).
    with_notification_url(url: CallbackUrl) => notification_url = Some(url);
}}

crate::config::from_env! {
/// Reads `JPAY_APP_KEY`, `JPAY_APP_SECRET` (required), `JPAY_APP_CODE` (an integer),
/// `JPAY_NOTIFICATION_URL` ([`JpayConfig::notification_url`]) and the variables every adapter
/// reads ([`crate::config`]): `JPAY_WEBHOOK_SECRET` (required; the callback-token secret,
/// also read as `JPAY_CALLBACK_SECRET`), `JPAY_PREVIOUS_WEBHOOK_SECRET`, `JPAY_BASE_URL`
/// (`sandbox`, `live` or a URL; the sandbox when unset), `JPAY_TIMEOUT_SECS`,
/// `JPAY_STRICT_CALLBACK_URL`.
    JpayConfig, "JPAY"
}

crate::config::client_settings_builders!(JpayConfig);
crate::config::refresh_margin_builder!(JpayConfig);
crate::config::confirm_callbacks_builder!(JpayConfig);

/// The JPay client. Cheap to clone (an `Arc` inside); usable as `Arc<dyn PayoutProvider>`.
#[derive(Clone)]
pub struct JpayClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    hooks: JpayHooks,
    app_code: Option<u64>,
    category: Category,
    callback: CallbackTokens,
    /// The callback URL of a request that names none.
    notification_url: Option<CallbackUrl>,
    capabilities: Capabilities,
}

crate::redact::redacted_debug! { JpayClient, |c| {
    base_url: c.inner.http.base_url(), app_code: c.inner.app_code, category: c.inner.category,
    confirm_callbacks: c.inner.callback.confirm, tokens: c.inner.hooks.tokens, ..
}}

/// A validated payout, ready to be sent once the app code is known.
struct Draft {
    recipient: Recipient,
    payto: String,
    money: Money,
    amount: String,
    ref_no: Reference,
    callback_url: String,
    category: Category,
    narration: Option<String>,
    channel: u32,
}

enum Recipient {
    Phone(Msisdn),
    Account(String),
}

impl Draft {
    fn body(&self, app_code: u64) -> PayoutBody {
        PayoutBody {
            payto: self.payto.clone(),
            amount: self.amount.clone(),
            ref_no: self.ref_no.as_str().to_owned(),
            callback_url: self.callback_url.clone(),
            category: self.category,
            narration: self.narration.clone(),
            channel: self.channel,
            app_code,
        }
    }

    /// Whether an existing payout (found under the same `ref_no`) is this one: the shared
    /// decision ([`found_is_sent`]) with JPay's `payto` as the recipient detail.
    fn judge(&self, existing: &Payout) -> FoundPayout {
        found_is_sent(
            &self.money,
            existing,
            payto_matches(&self.recipient, existing),
        )
    }
}

/// Whether the `payto` of JPay's record is `recipient`; a record without a readable `payto`
/// matches nothing (`Some(false)`), so a duplicate is never adopted on the amount alone.
fn payto_matches(recipient: &Recipient, existing: &Payout) -> Option<bool> {
    let raw = existing.raw.to_value().unwrap_or_default();
    let payto = raw.get("payto").and_then(Value::as_str);
    Some(payto.is_some_and(|p| {
        match recipient {
            Recipient::Phone(msisdn) => Msisdn::parse_with_default(p, Country::Kenya)
                .is_ok_and(|m| m.digits() == msisdn.digits()),
            Recipient::Account(account) => p.trim() == account,
        }
    }))
}

impl JpayClient {
    /// A client for `config`. Refuses empty secrets and a refresh margin of 15 minutes or more.
    pub fn new(config: JpayConfig) -> Result<JpayClient, Error> {
        crate::config::check_secrets! { config, "jpay": app_key, app_secret }?;
        if config.refresh_margin >= token::ACCESS_LIFETIME {
            return Err(Error::config(
                "jpay: the refresh margin must be shorter than the 15-minute token lifetime",
            ));
        }
        let http = config.settings.http_client(PROVIDER, &URLS)?;
        let callback = CallbackTokens::new(&config.settings, config.confirm_callbacks);
        let tokens = TokenManager::new(
            http.clone(),
            token::JpayTokens {
                app_key: config.app_key,
                app_secret: config.app_secret,
            },
            config.refresh_margin,
            config.settings.clock,
        );
        Ok(JpayClient {
            inner: Arc::new(Inner {
                http,
                hooks: JpayHooks {
                    tokens,
                    calls: ErrorTable(wire::map_error),
                },
                app_code: config.app_code,
                category: config.category,
                callback,
                notification_url: config.notification_url.clone(),
                capabilities: Capabilities {
                    countries: vec![Country::Kenya],
                    currencies: vec![Currency::KES],
                    mobile_money: true,
                    bank_accounts: true,
                    refunds: RefundSupport::AsUncheckedPayout,
                    recipient_validation: false,
                    listing: true,
                    balance: true,
                    idempotent_create: true,
                    webhook_auth: WebhookAuth::CallbackUrlToken,
                    callback_url: if config.notification_url.is_some() {
                        CallbackUrlSupport::Optional
                    } else {
                        CallbackUrlSupport::Required
                    },
                },
            }),
        })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.http.base_url()
    }

    /// The callback URL JPay is given for a payout under `reference`: `url` with the callback
    /// token appended as [`CALLBACK_TOKEN_PARAM`].
    pub fn signed_callback_url(
        &self,
        url: &crate::model::CallbackUrl,
        reference: &Reference,
    ) -> Result<String, Error> {
        callback::signed_url(&self.inner.callback.signer, url, reference)
    }

    /// Sends a payout in `category` (instead of [`JpayConfig::category`]).
    pub async fn create_payout_in(
        &self,
        request: &PayoutRequest,
        category: Category,
    ) -> Result<Payout, Error> {
        let draft = self.prepare(request, category)?;
        self.send_payout(&draft, "create_payout").await
    }

    /// One page of JPay's payment channels.
    pub async fn channels(&self, query: &ChannelQuery) -> Result<ChannelPage, Error> {
        if query.page == 0 {
            return Err(Error::invalid("page", "pages start at 1"));
        }
        if query.page_size == 0 {
            return Err(Error::invalid("page_size", "must be at least 1"));
        }
        let mut call = Call::get("list_channels", "/channels");
        if let Some(kind) = &query.kind {
            call = call.query("type", kind.as_str());
        }
        if let Some(active_only) = query.active_only {
            call = call.query("active_only", active_only.to_string());
        }
        let call = call
            .query("page", query.page.to_string())
            .query("page_size", query.page_size.to_string());
        let page = self
            .inner
            .http
            .send_json::<PageWire<ChannelWire>>(&self.inner.hooks, &call)
            .await?
            .value;
        let has_more = page.has_more(u64::from(query.page), u64::from(query.page_size));
        let total = page.total();
        Ok(ChannelPage {
            channels: page.items.into_iter().map(Channel::from).collect(),
            page: query.page,
            has_more,
            total,
        })
    }

    /// Every channel matching `query`, reading its pages from `query.page` on.
    pub async fn all_channels(&self, query: ChannelQuery) -> Result<Vec<Channel>, Error> {
        let mut query = query;
        let mut all = Vec::new();
        for _ in 0..MAX_LIST_PAGES {
            let page = self.channels(&query).await?;
            all.extend(page.channels);
            if !page.has_more {
                return Ok(all);
            }
            query.page = query.page.saturating_add(1);
        }
        Err(paging_error("list_channels"))
    }

    /// Authenticates a callback like [`PayoutProvider::parse_webhook`], then looks the payout up
    /// by its `ref_no` and reports JPay's own status (and refuses a callback whose amount differs
    /// from JPay's record, or whose payout JPay does not know).
    pub async fn parse_webhook_confirmed(
        &self,
        delivery: &WebhookRequest<'_>,
    ) -> Result<WebhookEvent, Error> {
        let mut event = callback::parse(&self.inner.callback.verifier, delivery)?;
        let reference = event
            .reference
            .as_deref()
            .and_then(|r| Reference::new(r).ok())
            .ok_or_else(|| WebhookError::InvalidBody("ref_no is not a valid reference".into()))?;
        let payout = self.find(&reference).await?.ok_or_else(|| {
            WebhookError::InvalidBody(format!("JPay has no payout under ref_no {reference}"))
        })?;
        if let (Some(claimed), Some(actual)) = (event.amount, payout.amount)
            && claimed.amount() != actual.amount()
        {
            return Err(WebhookError::InvalidBody(format!(
                "the callback's amount {claimed} differs from JPay's record {actual}"
            ))
            .into());
        }
        event.status = payout.status;
        Ok(event)
    }

    /// Validates a payout request; nothing is sent.
    fn prepare(&self, request: &PayoutRequest, category: Category) -> Result<Draft, Error> {
        let money = request.amount;
        if money.currency() != Currency::KES {
            return Err(Error::invalid(
                "amount",
                format!("JPay pays out in KES only, got {}", money.currency()),
            ));
        }
        if money.amount() < min_amount() || money.amount() > max_amount() {
            return Err(Error::invalid(
                "amount",
                format!(
                    "must be between 1.00 and 999999.99 KES, got {}",
                    money.amount()
                ),
            ));
        }
        let amount = money.to_fixed_2().map_err(|e| {
            Error::invalid_with_source("amount", "cannot be written with two decimals", e)
        })?;
        let caller_channel = request.channel.as_deref().map(parse_channel).transpose()?;
        let (recipient, payto, channel) = match &request.destination {
            Destination::MobileWallet { msisdn, .. } => {
                if msisdn.country() != Some(Country::Kenya) {
                    return Err(Error::invalid(
                        "destination.msisdn",
                        "JPay pays Kenyan (+254) numbers only",
                    ));
                }
                let channel = match caller_channel {
                    Some(channel) => channel,
                    None => channel_for_network(request.destination.network())?,
                };
                (Recipient::Phone(msisdn.clone()), msisdn.e164(), channel)
            }
            Destination::BankAccount(account) => {
                let account_number = account.account_number();
                if account.country() != Country::Kenya {
                    return Err(Error::invalid(
                        "destination.country",
                        "JPay pays Kenyan bank accounts only",
                    ));
                }
                let channel = match caller_channel {
                    Some(channel) => channel,
                    None => parse_channel(account.bank_code()).map_err(|_| {
                        Error::invalid(
                            "channel",
                            "a JPay bank payout needs the bank's channel code: set the request's \
                             channel, or use the numeric channel code as bank_code \
                             (see JpayClient::channels)",
                        )
                    })?,
                };
                (
                    Recipient::Account(account_number.to_owned()),
                    account_number.to_owned(),
                    channel,
                )
            }
        };
        let narration = match &request.narration {
            None => None,
            Some(text) if text.trim().is_empty() => {
                return Err(Error::invalid(
                    "narration",
                    "must not be blank (leave it unset for JPay's default)",
                ));
            }
            Some(text) if text.chars().count() > MAX_NARRATION_CHARS => {
                return Err(Error::invalid(
                    "narration",
                    format!(
                        "must be at most {MAX_NARRATION_CHARS} characters, got {}",
                        text.chars().count()
                    ),
                ));
            }
            Some(text) => Some(text.clone()),
        };
        let callback = request
            .callback_url
            .as_ref()
            .or(self.inner.notification_url.as_ref())
            .ok_or_else(|| {
                Error::invalid(
                    "callback_url",
                    "JPay requires a callback URL for every payout: name one in the request, \
                     or set JpayConfig::with_notification_url (JPAY_NOTIFICATION_URL)",
                )
            })?;
        let callback_url =
            callback::signed_url(&self.inner.callback.signer, callback, &request.reference)?;
        Ok(Draft {
            recipient,
            payto,
            money,
            amount,
            ref_no: request.reference.clone(),
            callback_url,
            category,
            narration,
            channel,
        })
    }

    /// Sends a validated payout for `operation` (`create_payout`, or `create_refund`: a JPay
    /// refund is a payout to the customer, and its errors name the refund); resolves a duplicate
    /// reference to the existing payout.
    async fn send_payout(&self, draft: &Draft, operation: &'static str) -> Result<Payout, Error> {
        let token = self.inner.hooks.tokens.token().await?;
        let session = &token.extra;
        if let Some(products) = &session.products
            && !wire::has_payouts(products)
        {
            return Err(Error::auth(
                PROVIDER,
                None,
                AuthFailure::ProductNotEnabled,
                format!(
                    "the JPay app's token lists the products {products:?}, without payouts: \
                     enable the payouts product for this app; nothing was sent"
                ),
            ));
        }
        let app_code = self.inner.app_code.or(session.app_code).ok_or_else(|| {
            Error::config(
                "jpay: no app_code: set JpayConfig::app_code (the token response carried none)",
            )
        })?;
        let call = payout_call(draft, app_code, operation)?;
        let answer = match self.inner.http.send(&self.inner.hooks, &call).await {
            Ok(reply) => payout_answer(&call, reply.status, &reply.body),
            Err(e) => Err(e),
        };
        match answer {
            Ok(payout) => Ok(payout),
            Err(rejection) if duplicate_reference(&rejection) => {
                self.resolve_duplicate(draft, rejection).await
            }
            Err(e) => Err(e),
        }
    }

    /// JPay says the `ref_no` exists: return that payout when it is this one.
    async fn resolve_duplicate(&self, draft: &Draft, rejection: Error) -> Result<Payout, Error> {
        let existing = match self.find(&draft.ref_no).await {
            Ok(existing) => existing,
            Err(lookup) => {
                // Not the error's text: a decode error quotes the list body (phone numbers).
                tracing::warn!(
                    reference = draft.ref_no.as_str(),
                    http_status = lookup.http_status(),
                    retryable = lookup.is_retryable(),
                    "duplicate ref_no: the existing payout could not be looked up"
                );
                return Err(rejection);
            }
        };
        let judged = existing.map(|payout| {
            let judged = draft.judge(&payout);
            (payout, judged)
        });
        match judged {
            Some((payout, FoundPayout::Same)) => {
                tracing::info!(
                    reference = draft.ref_no.as_str(),
                    id = payout.id.as_str(),
                    "duplicate ref_no resolved to the existing identical payout"
                );
                Ok(payout)
            }
            Some((payout, FoundPayout::Differs { .. })) => Err(match rejection {
                Error::Rejected {
                    provider,
                    status,
                    code,
                    provider_code,
                    message,
                    param,
                } => Error::Rejected {
                    provider,
                    status,
                    code,
                    provider_code,
                    message: format!(
                        "{message} (the payout {} under this reference has another amount or \
                         recipient)",
                        payout.id
                    ),
                    param,
                },
                other => other,
            }),
            Some(_) | None => Err(rejection),
        }
    }

    /// Pages through `GET /payments/payouts` for the payout with `ref_no` = `reference`.
    async fn find(&self, reference: &Reference) -> Result<Option<Payout>, Error> {
        let mut previous_first: Option<String> = None;
        for page in 1..=MAX_LIST_PAGES {
            let call = Call::get("find_payout", PAYOUTS_PATH)
                .query("ref_no", reference.as_str())
                .query("page", page.to_string())
                .query("page_size", LIST_PAGE_SIZE.to_string())
                .reference(reference);
            let reply = self.inner.http.send(&self.inner.hooks, &call).await?;
            let scan = scan_page(&call, reference, page, reply.status, &reply.body)?;
            if page > 1 && scan.first.is_some() && scan.first == previous_first {
                return Err(paging_error("find_payout"));
            }
            if scan.found.is_some() || !scan.has_more {
                return Ok(scan.found);
            }
            previous_first = scan.first;
        }
        Err(paging_error("find_payout"))
    }
}

/// Whether JPay said the `ref_no` exists: as the answer, or as the last answer behind an
/// [`Error::OutcomeUnknown`] (an earlier attempt timed out, then the retry met the payout it
/// created).
fn duplicate_reference(error: &Error) -> bool {
    error.last_answer().reject_code() == Some(&RejectCode::DuplicateReference)
}

// What follows reads JPay's answers from what the network gave (or what `crate::internals`
// feeds it) and nothing else, so the adapter and the fuzzers run one path.

/// The payout in a 2xx answer to `call` (create or get).
pub(crate) fn payout_answer(call: &Call, status: StatusCode, body: &[u8]) -> Result<Payout, Error> {
    let decoded = crate::http::decode_reply::<PayoutWire>(PROVIDER, call, status, body)?;
    Ok(decoded.value.into_payout(decoded.raw))
}

/// What page `page` of `GET /payments/payouts` holds for a search by `ref_no`.
#[derive(Debug)]
pub(crate) struct PageScan {
    /// The payout whose `ref_no` is the reference, when on this page.
    pub found: Option<Payout>,
    /// Whether another page follows.
    pub has_more: bool,
    /// The first item's id (a page repeated by a server that ignores `page` is an error).
    pub first: Option<String>,
}

/// Reads page `page` (asked with [`LIST_PAGE_SIZE`]) of a search for `reference`.
pub(crate) fn scan_page(
    call: &Call,
    reference: &Reference,
    page: u64,
    status: StatusCode,
    body: &[u8],
) -> Result<PageScan, Error> {
    let decoded = crate::http::decode_reply::<PageWire<PayoutWire>>(PROVIDER, call, status, body)?;
    let has_more = decoded.value.has_more(page, LIST_PAGE_SIZE);
    let first = decoded.value.items.first().map(|p| p.id.clone());
    let found = decoded
        .value
        .items
        .into_iter()
        .enumerate()
        .find(|(_, item)| item.ref_no.as_deref().map(str::trim) == Some(reference.as_str()))
        .map(|(index, item)| {
            // The page is parsed into a tree only to cut out the item that was found.
            let page = decoded.raw.to_value().unwrap_or_default();
            let raw = wire::raw_items(&page).get(index).map(RawJson::from);
            item.into_payout(raw.unwrap_or_default())
        });
    Ok(PageScan {
        found,
        has_more,
        first,
    })
}

/// A refund sent as a payout under `reference` for the payment `payment_reference`.
pub(crate) fn refund_from(sent: Payout, reference: &Reference, payment_reference: &str) -> Refund {
    Refund {
        provider: PROVIDER,
        id: sent.id,
        reference: sent.reference.or_else(|| Some(reference.clone())),
        payment_reference: Some(payment_reference.to_owned()),
        amount: sent.amount,
        status: sent.status,
        created_at: sent.created_at,
        raw: sent.raw,
    }
}

/// A payout record read back as the refund it carries (JPay refunds are payouts).
fn refund_of(payout: Payout) -> Refund {
    let payment_reference = payout
        .raw
        .to_value()
        .ok()
        .and_then(|raw| {
            raw.get("narration")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        })
        .and_then(|narration| refunded_payment(&narration));
    let mut refund = Refund::new(PROVIDER, payout.id, payout.status);
    refund.reference = payout.reference;
    refund.payment_reference = payment_reference;
    refund.amount = payout.amount;
    refund.created_at = payout.created_at;
    refund.raw = payout.raw;
    refund
}

/// The payment reference in a narration `Refund of payment <reference>[: <reason>]`.
fn refunded_payment(narration: &str) -> Option<String> {
    let rest = narration.strip_prefix("Refund of payment ")?;
    let reference = rest.split_once(": ").map_or(rest, |(r, _)| r).trim();
    (!reference.is_empty()).then(|| reference.to_owned())
}

/// The payout POST of a validated draft for `operation`, the body serialized once.
fn payout_call(draft: &Draft, app_code: u64, operation: &'static str) -> Result<Call, Error> {
    Ok(Call::post_json(
        operation,
        PAYOUT_PATH,
        &draft.body(app_code),
        Idempotency::Keyed,
    )?
    .reference(&draft.ref_no))
}

#[cfg(feature = "internals")]
impl JpayClient {
    /// The checks and the POST of [`PayoutProvider::create_payout`] with `app_code` given
    /// instead of read from the token (the benchmarks' door, through `crate::internals`).
    pub(crate) fn encoded_payout(
        &self,
        request: &PayoutRequest,
        app_code: u64,
    ) -> Result<Call, Error> {
        let draft = self.prepare(request, self.inner.category)?;
        payout_call(&draft, app_code, "create_payout")
    }

    /// Checks a callback's URL token against `ref_no` without reading the body (the
    /// benchmarks' door; `parse_webhook` reads `ref_no` from the body first).
    pub(crate) fn verify_callback_token(
        &self,
        url: &str,
        ref_no: &str,
    ) -> Result<(), WebhookError> {
        callback::verify_token(&self.inner.callback.verifier, url, ref_no)
    }
}

/// A list that does not end (or repeats itself): never read as "not found".
fn paging_error(operation: &'static str) -> Error {
    Error::Decode {
        provider: PROVIDER,
        status: 200,
        snippet: String::new(),
        source: format!(
            "{operation}: the list did not end within {MAX_LIST_PAGES} pages, or repeated a page"
        )
        .into(),
    }
}

/// A channel code: a positive integer.
fn parse_channel(text: &str) -> Result<u32, Error> {
    let text = text.trim();
    match text.parse::<u32>() {
        Ok(code) if code > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(code),
        _ => Err(Error::invalid(
            "channel",
            format!("must be a JPay channel code (a positive integer), got {text:?}"),
        )),
    }
}

/// The mobile-money channel of a network.
fn channel_for_network(network: Option<Network>) -> Result<u32, Error> {
    match network {
        Some(Network::Safaricom) => Ok(MPESA_CHANNEL),
        Some(Network::Airtel) => Ok(AIRTEL_MONEY_CHANNEL),
        Some(Network::Telkom) => Ok(TKASH_CHANNEL),
        Some(other) => Err(Error::invalid(
            "destination.network",
            format!("JPay has no channel for {other:?} wallets; set the request's channel"),
        )),
        None => Err(Error::invalid(
            "destination.network",
            "the number's network could not be determined: name it (Destination::mobile_on) or \
             set the request's channel",
        )),
    }
}

/// A payout id as a path segment: no separators, no escapes, no spaces.
fn check_id(id: &str) -> Result<&str, Error> {
    const PAYOUT_ID: PathId = PathId {
        what: "a JPay payout id: 1-100 characters, none of '/', '?', '#', '%', '\\', \
               white space or control characters",
        max_len: 100,
        trim: true,
        allowed: PathId::path_segment_char,
    };
    PAYOUT_ID.check(id)
}

#[async_trait]
impl PayoutProvider for JpayClient {
    crate::provider::identity!(PROVIDER);

    fn recipient_matches(&self, destination: &Destination, found: &Payout) -> Option<bool> {
        let recipient = match destination {
            Destination::MobileWallet { msisdn, .. } => Recipient::Phone(msisdn.clone()),
            Destination::BankAccount(account) => {
                Recipient::Account(account.account_number().to_owned())
            }
        };
        payto_matches(&recipient, found)
    }

    async fn create_payout(&self, request: &PayoutRequest) -> Result<Payout, Error> {
        self.create_payout_in(request, self.inner.category).await
    }

    async fn get_payout(&self, id: &str) -> Result<Payout, Error> {
        let id = check_id(id)?;
        let call = Call::get("get_payout", format!("{PAYOUTS_PATH}/{id}"));
        let reply = self.inner.http.send(&self.inner.hooks, &call).await?;
        payout_answer(&call, reply.status, &reply.body)
    }

    async fn find_payout(&self, reference: &Reference) -> Result<Option<Payout>, Error> {
        self.find(reference).await
    }

    /// A JPay refund is a payout: the payout lookup, as a refund. The refunded payment is read
    /// back from the narration `create_refund` wrote (`Refund of payment <reference>…`) where
    /// JPay echoes it.
    async fn get_refund(&self, id: &str) -> Result<Refund, Error> {
        let payout = self.get_payout(id).await?;
        Ok(refund_of(payout))
    }

    /// The payout listing by `ref_no`, as a refund.
    async fn find_refund(&self, reference: &Reference) -> Result<Option<Refund>, Error> {
        Ok(self.find(reference).await?.map(refund_of))
    }

    /// A payout to the customer's wallet naming the original payment; JPay does not check the
    /// sum against that payment.
    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        if !matches!(request.destination, Destination::MobileWallet { .. }) {
            return Err(Error::invalid(
                "destination",
                "a JPay refund goes to the customer's mobile wallet",
            ));
        }
        let payment_reference = request.payment_reference.trim();
        if payment_reference.is_empty() {
            return Err(Error::invalid("payment_reference", "must not be empty"));
        }
        let mut narration = format!("Refund of payment {payment_reference}");
        if let Some(reason) = request
            .reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            narration.push_str(": ");
            narration.push_str(reason);
        }
        if narration.chars().count() > MAX_NARRATION_CHARS {
            return Err(Error::invalid(
                "reason",
                format!(
                    "the narration `Refund of payment <payment_reference>: <reason>` must be at \
                     most {MAX_NARRATION_CHARS} characters"
                ),
            ));
        }
        let mut payout = PayoutRequest::new(
            request.reference.clone(),
            request.amount,
            request.destination.clone(),
        )
        .with_narration(narration);
        payout.callback_url = request.callback_url.clone();
        let draft = self.prepare(&payout, self.inner.category)?;
        let sent = self.send_payout(&draft, "create_refund").await?;
        Ok(refund_from(sent, &request.reference, payment_reference))
    }

    fn parse_webhook(&self, delivery: &WebhookRequest<'_>) -> Result<WebhookEvent, Error> {
        self.inner.callback.refuse_unconfirmed(
            PROVIDER,
            "parse_webhook without confirmation (confirm_callbacks is on: use \
             JpayClient::parse_webhook_confirmed)",
        )?;
        Ok(callback::parse(&self.inner.callback.verifier, delivery)?)
    }

    async fn balance(&self) -> Result<Balance, Error> {
        let call = Call::get("balance", "/wallets/balance");
        let wire = self
            .inner
            .http
            .send_json::<BalanceWire>(&self.inner.hooks, &call)
            .await?
            .value;
        let mut balance = Balance::new(wire.payout_wallet_balance.0);
        balance.collection = wire.collection_wallet_balance.map(|a| a.0);
        balance.total = wire.total_balance.map(|a| a.0);
        Ok(balance)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;
    use std::collections::HashMap;

    fn config() -> JpayConfig {
        JpayConfig::new(
            SecretString::from("key-123"),
            SecretString::from("secret-456"),
            SecretString::from("cb-789"),
        )
    }

    #[test]
    fn debug_of_the_config_redacts_every_secret() {
        let config = config().with_app_code(12345);
        assert_eq!(
            format!("{config:?}"),
            "JpayConfig { app_key: ** redacted **, app_secret: ** redacted **, \
             app_code: Some(12345), settings: ClientSettings { environment: Sandbox, http: \
             HttpConfig { connect_timeout: 10s, timeout: 30s, retry: RetryPolicy { \
             max_attempts: 3, initial_backoff: 200ms, max_backoff: 5s, max_retry_after: 30s } }, \
             http_client: None, webhook_secret: ** redacted **, previous_webhook_secrets: \
             [0 redacted], clock: SystemClock, strict_callback_url: false }, category: Other, refresh_margin: 60s, \
             confirm_callbacks: false, notification_url: None }"
        );
    }

    #[test]
    fn config_reads_the_environment_variables() {
        let vars: HashMap<&str, &str> = [
            ("JPAY_APP_KEY", "key"),
            ("JPAY_APP_SECRET", "secret"),
            ("JPAY_CALLBACK_SECRET", "cb"),
            ("JPAY_APP_CODE", "12345"),
            ("JPAY_BASE_URL", "live"),
        ]
        .into_iter()
        .collect();
        let lookup = crate::config::lookup_in;
        let config = JpayConfig::from_lookup(lookup(vars.clone())).unwrap();
        assert_eq!(config.notification_url, None);
        let mut notified = vars.clone();
        notified.insert("JPAY_NOTIFICATION_URL", "https://shop.example/hooks/jpay");
        let with_url = JpayConfig::from_lookup(lookup(notified.clone())).unwrap();
        assert_eq!(
            with_url.notification_url.as_ref().map(CallbackUrl::as_str),
            Some("https://shop.example/hooks/jpay")
        );
        notified.insert("JPAY_NOTIFICATION_URL", "http://shop.example/plain");
        assert!(matches!(
            JpayConfig::from_lookup(lookup(notified)),
            Err(Error::Config { .. })
        ));
        assert_eq!(config.app_key.expose_secret(), "key");
        assert_eq!(config.app_secret.expose_secret(), "secret");
        assert_eq!(config.settings.webhook_secret.expose_secret(), "cb");
        assert_eq!(config.app_code, Some(12345));
        assert_eq!(config.settings.environment, Environment::Live);

        let mut no_url = vars.clone();
        no_url.remove("JPAY_BASE_URL");
        no_url.remove("JPAY_APP_CODE");
        let config = JpayConfig::from_lookup(lookup(no_url)).unwrap();
        assert_eq!(config.settings.environment, Environment::Sandbox);
        assert_eq!(config.app_code, None);

        let mut custom = vars.clone();
        custom.insert("JPAY_BASE_URL", "http://127.0.0.1:9999/api/v1/");
        let config = JpayConfig::from_lookup(lookup(custom)).unwrap();
        assert_eq!(
            config.settings.environment,
            Environment::Custom("http://127.0.0.1:9999/api/v1".into())
        );

        let mut bad_code = vars.clone();
        bad_code.insert("JPAY_APP_CODE", "12a");
        assert!(matches!(
            JpayConfig::from_lookup(lookup(bad_code)),
            Err(Error::Config { .. })
        ));

        let mut missing = vars;
        missing.remove("JPAY_CALLBACK_SECRET");
        match JpayConfig::from_lookup(lookup(missing)) {
            Err(Error::Config { message, .. }) => assert_eq!(
                message,
                "environment variable JPAY_WEBHOOK_SECRET is not set"
            ),
            other => panic!("expected a config error, got {other:?}"),
        }
    }

    #[test]
    fn empty_secrets_and_long_margins_are_refused() {
        let mut empty = config();
        empty.settings.webhook_secret = SecretString::from(" ");
        assert!(matches!(JpayClient::new(empty), Err(Error::Config { .. })));
        let long = config().with_refresh_margin(Duration::from_secs(900));
        assert!(matches!(JpayClient::new(long), Err(Error::Config { .. })));
    }

    #[test]
    fn channel_codes_are_positive_integers() {
        assert_eq!(parse_channel(" 63902 ").unwrap(), 63902);
        for bad in ["", "0", "-1", "+5", "63902a", "M-Pesa", "99999999999"] {
            assert!(
                matches!(
                    parse_channel(bad),
                    Err(Error::InvalidRequest {
                        field: "channel",
                        ..
                    })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn client_is_send_sync_and_a_dyn_provider() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<JpayClient>();
        assert_send_sync::<JpayConfig>();
        let client = JpayClient::new(config()).unwrap();
        let provider: Arc<dyn PayoutProvider> = Arc::new(client);
        assert_eq!(provider.id(), ProviderId::JPAY);
        assert_eq!(
            provider.capabilities().refunds,
            RefundSupport::AsUncheckedPayout
        );
    }
}
