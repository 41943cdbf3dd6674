//! Payonify (Zimbabwe): EcoCash payouts in USD and ZWG.
//!
//! # The API in brief
//!
//! | operation | call | here |
//! |---|---|---|
//! | validate a recipient | `POST /v1/payouts/validate` `{destination}` → `{valid, recipient?}` | [`PayoutProvider::validate_recipient`] |
//! | create a payout | `POST /v1/payouts` with `Idempotency-Key` | [`PayoutProvider::create_payout`] |
//! | retrieve a payout | `GET /v1/payouts/{po_…}` | [`PayoutProvider::get_payout`] |
//! | list payouts | `GET /v1/payouts?limit&after&status&currency&start_date&end_date` | [`PayonifyClient::list_payouts`], [`PayonifyClient::list_stream`] |
//! | find by merchant reference | a newest-first scan of the list | [`PayoutProvider::find_payout`] |
//! | webhooks | `Payonify-Signature: t=…,v1=…` over `"{t}.{body}"` | [`PayoutProvider::parse_webhook`] |
//! | refunds | part of Payonify's charges API, not covered | [`Error::Unsupported`] |
//!
//! Every call is authenticated with HTTP Basic: the publishable key as user, the secret key as
//! password. The secret key's prefix says live (`sk_live_`) or test (`sk_test_`) mode
//! ([`PayonifyClient::mode`]); the same base URL serves both.
//!
//! A create body looks like this (the merchant reference is also the `Idempotency-Key` header):
//!
//! ```json
//! {"amount": 100, "currency": "usd",
//!  "destination": {"mobile_money": {"ecocash": {"mobile_number": "771111111"}}},
//!  "description": "March stipend",
//!  "metadata": {"disburse_reference": "po-2024-0001", "order_id": "A-1001"}}
//! ```
//!
//! # Checked before anything is sent
//!
//! - currency USD or ZWG; amount at least 1.00 (100 minor units). A third decimal cannot even be
//!   expressed: [`Money`](crate::Money) refuses `12.345 USD` itself.
//! - destination: a Zimbabwean mobile wallet on Econet (077, 078, 079), the only network EcoCash
//!   reaches. NetOne and Telecel numbers, other countries and bank accounts are refused.
//! - `narration` (sent as `description`) at most 150 characters.
//! - `metadata` at most 5 keys **in all**: one, [`REFERENCE_METADATA_KEY`], holds the merchant
//!   reference, which leaves **4 keys to the caller**; a caller key of that name is refused. Keys
//!   1–40 characters, values at most 500 characters.
//!
//! # Decisions on the open points
//!
//! Every point Payonify's documentation leaves open is decided here, in one place.
//!
//! 1. **Phone format.** `mobile_number` is the 9-digit national number without `0` or `+263`
//!    ([`Msisdn::national_number`](crate::Msisdn::national_number)), as in the official SDK's
//!    examples; the SDK is the only source, so this is its reading.
//! 2. **Network.** Zimbabwe has no number portability, so the number's prefix decides: it must be
//!    Econet. A caller-named network ([`Destination::mobile_on`]) must be Econet too; it cannot
//!    turn a NetOne number into an EcoCash wallet.
//! 3. **Merchant reference.** Sent as `Idempotency-Key` and stored under
//!    [`REFERENCE_METADATA_KEY`], so [`PayoutProvider::find_payout`] can find the payout from the
//!    list without a local record. Because Payonify answers a repeated key with the first
//!    response, creates are [`Idempotency::Keyed`]: after a timeout or a 5xx the core re-sends
//!    the byte-identical body with the same key. When the attempts run out the error is still
//!    [`Error::OutcomeUnknown`].
//! 4. **Idempotency-key lifetime** is not documented. Re-sending a create with the same reference
//!    long after the first attempt may no longer be deduplicated: reconcile with `find_payout`
//!    first.
//! 5. **`find_payout` window.** The list is scanned newest-first from
//!    `today − find_window_days` (30 by default, [`PayonifyConfig::find_window_days`], "today"
//!    from the configured clock, UTC), 100 per page, stopping at the first payout whose metadata
//!    carries the reference. `Ok(None)` means "none created in the window", and only payouts
//!    created through this crate carry the metadata key.
//! 6. **Paging.** Forward paging only: `limit` (1–100) and `after` = the previous page's
//!    `paging.end_cursor`; `first`/`last`/`before` are not used. A page that says
//!    `has_next_page` without a new cursor ends the stream with [`Error::Decode`] rather than
//!    silently: a scan that stopped early could hide a payout.
//! 7. **Amounts in the payout object.** `amount.value` is read as integer minor units, like the
//!    create body's `amount`. A currency this crate does not know leaves [`Payout::amount`]
//!    empty; the raw JSON keeps it. `livemode`, `description` and `destination_details` are kept
//!    in [`Payout::raw`].
//! 8. **Failure codes.** Payonify documents `failure_code` but not its values. Assumed table
//!    (case-insensitive), with `failure_message` (else the code) kept as the detail:
//!
//!    | `failure_code` | [`FailureReason`](crate::FailureReason) |
//!    |---|---|
//!    | `insufficient_funds`, `insufficient_balance` | `InsufficientFunds` |
//!    | `account_not_found`, `invalid_account`, `invalid_mobile_number`, `invalid_recipient`, `recipient_not_found` | `InvalidRecipient` |
//!    | `account_blocked`, `account_suspended`, `account_frozen`, `account_inactive` | `RecipientBlocked` |
//!    | `limit_exceeded`, `transaction_limit_exceeded`, `amount_limit_exceeded` | `LimitExceeded` |
//!    | `declined`, `transaction_declined` | `Declined` |
//!    | `timeout`, `provider_timeout` | `ProviderTimeout` |
//!    | anything else | `Other(code)`; no code at all is `Other("unspecified")` |
//!
//! 9. **Errors.** The body shape `{type, code, message, param, doc_url}` comes from third-party
//!    specs; the `{error: {…}}` form is read too. By type: `authentication_error` →
//!    [`Error::Auth`] (`InvalidCredentials`), `rate_limit_error` → [`Error::RateLimited`],
//!    `idempotency_error` → [`Error::Rejected`] with [`RejectCode::IdempotencyConflict`](crate::RejectCode::IdempotencyConflict),
//!    `invalid_request_error` → [`Error::Rejected`] with the `param` and a code read from it
//!    (`amount`/`currency` → `InvalidAmount`, `destination…` → `InvalidRecipient`, else
//!    `InvalidRequest`), code `resource_missing` → `Rejected` with [`RejectCode::NotFound`](crate::RejectCode::NotFound),
//!    `api_error` → [`Error::ServerError`]. A body that is not such JSON maps by HTTP status: a
//!    **non-JSON 500 on a read is [`Error::ServerError`]** carrying a body snippet (retryable);
//!    on a create the core turns any 5xx into [`Error::OutcomeUnknown`]. A 409 on a create is a
//!    concurrent twin holding the key: the core retries it.
//! 10. **Webhook signature.** From third-party integrations: `Payonify-Signature:
//!     t=<unix>,v1=<hex>[,v1=<hex>…]`, HMAC-SHA256 of `"{t}.{raw body}"`. The header is parsed
//!     strictly (one `t`, digits only; at least one `v1`; an empty `v1=` refused; other schemes
//!     such as `v0=` ignored). The webhook secret is the HMAC key exactly as Payonify shows it,
//!     `whsec_` prefix included. Any `v1` may match under the current or a previous secret
//!     (rotation). The signature is checked first, then the symmetric 300 s window
//!     ([`PayonifyConfig::webhook_tolerance`]), so a window error is about an authentic delivery.
//! 11. **Webhook events.** Any `payout.*` event whose `data.object` is a payout is normalized;
//!     the status, amount and merchant reference come from that embedded payout (the event type is
//!     not trusted over it). `event_id` is the `evt_…` id: Payonify retries a delivery up to 10
//!     times over ~17 minutes, so drop ids already handled. Other event types (`charge.*`, …),
//!     authentic but not about a payout, give
//!     [`WebhookError::UnhandledEvent`](crate::WebhookError::UnhandledEvent), which
//!     [`should_acknowledge`](crate::WebhookError::should_acknowledge): answer them 2xx, or
//!     Payonify redelivers them for 17 minutes. A `payout.*` event whose `data.object` is not a
//!     payout is [`WebhookError::InvalidBody`](crate::WebhookError::InvalidBody).
//! 12. **Per-payout callback URLs and channels.** Payonify sends webhooks to the endpoints set in
//!     its dashboard and has one channel. A [`PayoutRequest::callback_url`] is accepted and not
//!     sent, so one request routes to every provider unchanged: [`Capabilities::callback_url`] is
//!     [`CallbackUrlSupport::Ignored`] and each dropped URL is a `WARN` tracing event
//!     (`disburse::callback_url`). A client built with
//!     [`PayonifyConfig::with_strict_callback_url`]`(true)` refuses such a request instead
//!     ([`CallbackUrlSupport::Refused`], [`Error::InvalidRequest`] on `callback_url`, nothing
//!     sent). [`PayoutRequest::channel`] may only be `ecocash`.
//! 13. **Keys.** The publishable key must carry the same mode as the secret key (`pk_test_` with
//!     `sk_test_`), so test and live keys are never mixed.
//! 14. **Refunds.** Payonify's refunds belong to its charges API: [`PayoutProvider::create_refund`]
//!     is [`Error::Unsupported`] and [`Capabilities::refunds`] is [`RefundSupport::None`].

pub(crate) mod list;
pub(crate) mod webhook;
pub(crate) mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use crate::config::{ClientSettings, EnvVars, Environment, ProviderUrls};
use crate::error::Error;
use crate::http::{Call, HttpClient, Idempotency, PathId, ProviderHooks, basic_auth};
use crate::model::{Destination, Payout, PayoutRequest, ProviderId, RecipientCheck, Reference};
use crate::money::Currency;
use crate::phone::{Country, Network};
use crate::provider::{
    CallbackUrlSupport, Capabilities, PayoutProvider, RefundSupport, WebhookAuth,
};
use crate::webhook::{Clock, DEFAULT_TOLERANCE, HmacVerifier, WebhookEvent, WebhookRequest};

pub use list::{ListParams, MAX_PAGE_SIZE, Page, StatusFilter};
pub use webhook::SIGNATURE_HEADER;

use wire::{CreatePayoutBody, ValidateBody, WireDestination, WirePayout, WireValidation};

/// The live API (test or live mode is chosen by the keys).
pub const DEFAULT_BASE_URL: &str = "https://api.payonify.com";

/// The metadata key that holds the merchant reference. It counts against Payonify's 5 keys,
/// leaving 4 to the caller, and a caller key of this name is refused.
pub const REFERENCE_METADATA_KEY: &str = "disburse_reference";

/// The smallest payout, in minor units (1.00).
pub const MIN_AMOUNT_MINOR: i64 = 100;

/// The longest `description` (the request's narration), in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 150;

/// Metadata keys in all, the merchant reference's included.
pub const MAX_METADATA_KEYS: usize = 5;

/// The longest metadata key, in characters.
pub const MAX_METADATA_KEY_CHARS: usize = 40;

/// The longest metadata value, in characters.
pub const MAX_METADATA_VALUE_CHARS: usize = 500;

/// How many days back [`PayoutProvider::find_payout`] looks by default.
pub const DEFAULT_FIND_WINDOW_DAYS: u32 = 30;

const PROVIDER: ProviderId = ProviderId::PAYONIFY;

/// Live or test mode, read from the secret key's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// `sk_live_…`: real money.
    Live,
    /// `sk_test_…`: Payonify's test mode.
    Test,
}

impl Mode {
    fn secret_prefix(self) -> &'static str {
        match self {
            Mode::Live => "sk_live_",
            Mode::Test => "sk_test_",
        }
    }

    fn publishable_prefix(self) -> &'static str {
        match self {
            Mode::Live => "pk_live_",
            Mode::Test => "pk_test_",
        }
    }
}

/// How to reach Payonify and verify its webhooks.
///
/// `Debug` never prints a key or secret.
#[non_exhaustive]
#[derive(Clone)]
pub struct PayonifyConfig {
    /// The publishable key (`pk_test_…`/`pk_live_…`): the Basic-auth user.
    pub publishable_key: SecretString,
    /// The secret key (`sk_test_…`/`sk_live_…`): the Basic-auth password; its prefix sets the
    /// mode.
    pub secret_key: SecretString,
    /// What every adapter's config shares: base URL ([`DEFAULT_BASE_URL`] for both
    /// environments; a sandbox or a mock in tests), timeouts, the webhook signing secret
    /// (`whsec_…`) and earlier ones, the clock (the webhook window and `find_payout`'s date
    /// window).
    pub settings: ClientSettings,
    /// How far a webhook's `t` may be from now, either way (300 s).
    pub webhook_tolerance: Duration,
    /// How many days back `find_payout` looks ([`DEFAULT_FIND_WINDOW_DAYS`]).
    pub find_window_days: u32,
}

crate::redact::redacted_debug! { PayonifyConfig, |c| {
    // Payonify's keys have always shown as quoted text (`"** redacted **"`).
    mode: c.mode().ok(), publishable_key: SECRET_TEXT, secret_key: SECRET_TEXT, settings: c.settings,
    webhook_tolerance: c.webhook_tolerance, find_window_days: c.find_window_days,
}}

impl PayonifyConfig {
    /// A configuration with the given keys and every default: [`DEFAULT_BASE_URL`], default
    /// timeouts and retries, a 300 s webhook window, the system clock, a 30-day find window.
    pub fn new(
        publishable_key: SecretString,
        secret_key: SecretString,
        webhook_secret: SecretString,
    ) -> PayonifyConfig {
        PayonifyConfig {
            publishable_key,
            secret_key,
            settings: ClientSettings::new(webhook_secret, Environment::Sandbox),
            webhook_tolerance: DEFAULT_TOLERANCE,
            find_window_days: DEFAULT_FIND_WINDOW_DAYS,
        }
    }

    fn from_vars(env: &EnvVars<'_>) -> Result<PayonifyConfig, Error> {
        let ([publishable_key, secret_key], settings) =
            env.secrets_and_settings(["PUBLISHABLE_KEY", "SECRET_KEY"])?;
        let mut config =
            PayonifyConfig::new(publishable_key, secret_key, settings.webhook_secret.clone());
        config.settings = settings;
        Ok(config)
    }

    /// The mode the secret key's prefix says, or a [`Error::Config`] for any other prefix.
    pub fn mode(&self) -> Result<Mode, Error> {
        let key = self.secret_key.expose_secret();
        [Mode::Live, Mode::Test]
            .into_iter()
            .find(|mode| {
                key.strip_prefix(mode.secret_prefix())
                    .is_some_and(|rest| !rest.is_empty())
            })
            .ok_or_else(|| {
                Error::config("payonify: the secret key must start with sk_live_ or sk_test_")
            })
    }
}

crate::config::setters! { PayonifyConfig {
    /// Sets the webhook timestamp window (either way).
    with_webhook_tolerance(tolerance: Duration) => webhook_tolerance = tolerance;
    /// Sets how many days back `find_payout` looks.
    with_find_window_days(days: u32) => find_window_days = days;
}}

crate::config::from_env! {
/// Reads `PAYONIFY_PUBLISHABLE_KEY`, `PAYONIFY_SECRET_KEY` (required) and the variables
/// every adapter reads ([`crate::config`]): `PAYONIFY_WEBHOOK_SECRET` (required),
/// `PAYONIFY_PREVIOUS_WEBHOOK_SECRET`, `PAYONIFY_BASE_URL`, `PAYONIFY_TIMEOUT_SECS`,
/// `PAYONIFY_STRICT_CALLBACK_URL`.
    PayonifyConfig, "PAYONIFY"
}

crate::config::client_settings_builders!(PayonifyConfig);

/// Payonify's one host, for both environments (the key's prefix sets the mode).
const URLS: ProviderUrls = ProviderUrls {
    sandbox: DEFAULT_BASE_URL,
    live: DEFAULT_BASE_URL,
};

/// The Payonify client. Cheap to clone (an `Arc` inside); usable as
/// `Arc<dyn PayoutProvider>`.
#[derive(Clone)]
pub struct PayonifyClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    hooks: Hooks,
    mode: Mode,
    verifier: HmacVerifier,
    clock: Arc<dyn Clock>,
    find_window_days: u32,
    capabilities: Capabilities,
}

crate::redact::redacted_debug! { PayonifyClient, |c| {
    mode: c.inner.mode, http: c.inner.http, verifier: c.inner.verifier,
    find_window_days: c.inner.find_window_days, ..
}}

/// Basic auth, and Payonify's error bodies.
struct Hooks {
    /// `Basic base64(publishable:secret)`, sensitive, built once.
    authorization: HeaderValue,
}

#[async_trait]
impl ProviderHooks for Hooks {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        headers.insert(AUTHORIZATION, self.authorization.clone());
        Ok(())
    }

    fn map_error(&self, status: reqwest::StatusCode, body: &[u8]) -> Error {
        wire::map_error(status, body)
    }
}

impl PayonifyClient {
    /// Builds a client, checking the keys (the secret key's prefix sets the mode; the
    /// publishable key must be of the same mode) and the base URL.
    pub fn new(config: PayonifyConfig) -> Result<PayonifyClient, Error> {
        let mode = config.mode()?;
        let publishable = config.publishable_key.expose_secret();
        let prefix = mode.publishable_prefix();
        if publishable.strip_prefix(prefix).is_none_or(str::is_empty) {
            return Err(Error::config(format!(
                "payonify: the secret key is a {mode:?}-mode key, so the publishable key must \
                 start with {prefix}"
            )));
        }
        if publishable.contains(':') {
            return Err(Error::config(
                "payonify: the publishable key must not contain ':'",
            ));
        }
        let authorization = basic_auth(publishable, config.secret_key.expose_secret())
            .ok_or_else(|| Error::config("payonify: the API keys are not valid header text"))?;
        let http = config.settings.http_client(PROVIDER, &URLS)?;
        let verifier = config
            .settings
            .webhook_verifier()
            .with_tolerance(config.webhook_tolerance);
        Ok(PayonifyClient {
            inner: Arc::new(Inner {
                http,
                hooks: Hooks { authorization },
                mode,
                verifier,
                clock: config.settings.clock,
                find_window_days: config.find_window_days,
                capabilities: capabilities(config.settings.strict_callback_url),
            }),
        })
    }

    /// Live or test mode, from the secret key.
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    fn http(&self) -> &HttpClient {
        &self.inner.http
    }

    fn hooks(&self) -> &Hooks {
        &self.inner.hooks
    }

    fn clock(&self) -> &dyn Clock {
        self.inner.clock.as_ref()
    }

    fn find_window_days(&self) -> u32 {
        self.inner.find_window_days
    }
}

fn capabilities(strict_callback_url: bool) -> Capabilities {
    Capabilities {
        countries: vec![Country::Zimbabwe],
        currencies: vec![Currency::USD, Currency::ZWG],
        mobile_money: true,
        bank_accounts: false,
        refunds: RefundSupport::None,
        recipient_validation: true,
        listing: true,
        balance: false,
        idempotent_create: true,
        webhook_auth: WebhookAuth::HmacTimestamped,
        callback_url: CallbackUrlSupport::dashboard_only(strict_callback_url),
    }
}

/// Payonify's lower-case currency code, for the currencies it pays out in.
fn wire_currency(currency: Currency, field: &'static str) -> Result<&'static str, Error> {
    match currency {
        Currency::USD => Ok("usd"),
        Currency::ZWG => Ok("zwg"),
        other => Err(Error::invalid(
            field,
            format!("Payonify pays out in USD or ZWG only, got {other}"),
        )),
    }
}

/// The 9-digit national number of an EcoCash wallet, or why the destination cannot receive.
fn ecocash_number(destination: &Destination) -> Result<&str, Error> {
    const ONLY: &str =
        "Payonify pays EcoCash wallets only, and EcoCash reaches Econet numbers (077, 078, 079)";
    let (msisdn, named) = match destination {
        Destination::MobileWallet { msisdn, network } => (msisdn, *network),
        Destination::BankAccount(_) => {
            return Err(Error::invalid(
                "destination",
                format!("{ONLY}; bank accounts are not supported"),
            ));
        }
    };
    if msisdn.country() != Some(Country::Zimbabwe) {
        return Err(Error::invalid(
            "destination",
            format!("{ONLY}; this is not a Zimbabwean (+263) number"),
        ));
    }
    match msisdn.network() {
        Some(Network::Econet) => {}
        Some(other) => {
            return Err(Error::invalid(
                "destination",
                format!("{ONLY}; this number is on {other:?}"),
            ));
        }
        None => {
            return Err(Error::invalid(
                "destination",
                format!("{ONLY}; this number's network is not known"),
            ));
        }
    }
    if let Some(named) = named.filter(|n| *n != Network::Econet) {
        return Err(Error::invalid(
            "destination",
            format!("{ONLY}; the destination names {named:?}"),
        ));
    }
    let national = msisdn.national_number();
    if national.len() != 9 || !national.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::invalid(
            "destination",
            "is not a 9-digit Zimbabwean mobile number",
        ));
    }
    Ok(national)
}

/// Checks a payout request against Payonify's rules and builds the wire body.
fn create_body(request: &PayoutRequest) -> Result<CreatePayoutBody<'_>, Error> {
    let currency = wire_currency(request.amount.currency(), "currency")?;
    let amount = request
        .amount
        .to_minor_units()
        .map_err(|e| Error::invalid_with_source("amount", "cannot be written in minor units", e))?;
    if amount < MIN_AMOUNT_MINOR {
        return Err(Error::invalid(
            "amount",
            format!(
                "must be at least 1.00 {} ({MIN_AMOUNT_MINOR} minor units), got {}",
                request.amount.currency(),
                request.amount
            ),
        ));
    }
    let mobile_number = ecocash_number(&request.destination)?;
    if let Some(channel) = &request.channel
        && !channel.eq_ignore_ascii_case("ecocash")
    {
        return Err(Error::invalid(
            "channel",
            format!("Payonify has one channel, ecocash; got {channel:?}"),
        ));
    }
    // A callback URL is never sent: what the client does with one is
    // `CallbackUrlSupport::admit`'s (in `create_payout`).
    let description = request.narration.as_deref().filter(|n| !n.is_empty());
    if let Some(description) = description {
        let chars = description.chars().count();
        if chars > MAX_DESCRIPTION_CHARS {
            return Err(Error::invalid(
                "narration",
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters, got {chars}"),
            ));
        }
    }
    let metadata = metadata(request)?;
    Ok(CreatePayoutBody {
        amount,
        currency,
        destination: WireDestination::ecocash(mobile_number),
        description,
        metadata,
    })
}

/// The payout POST: checks, the body serialized once, the `Idempotency-Key` header.
pub(crate) fn payout_call(request: &PayoutRequest) -> Result<Call, Error> {
    let body = create_body(request)?;
    Ok(
        Call::post_json("create_payout", "/v1/payouts", &body, Idempotency::Keyed)?
            .header("idempotency-key", request.reference.as_str())?
            .reference(&request.reference),
    )
}

#[cfg(feature = "internals")]
impl PayonifyClient {
    /// Verifies a delivery's signature and timestamp without reading its body (the
    /// benchmarks' door, through `crate::internals`).
    pub(crate) fn verify_webhook(
        &self,
        delivery: &WebhookRequest<'_>,
    ) -> Result<(), crate::webhook::WebhookError> {
        webhook::verify(&self.inner.verifier, delivery)
    }
}

/// The caller's metadata plus the merchant reference, checked against Payonify's limits.
fn metadata(request: &PayoutRequest) -> Result<BTreeMap<&str, &str>, Error> {
    let own = MAX_METADATA_KEYS - 1;
    if request.metadata.len() > own {
        return Err(Error::invalid(
            "metadata",
            format!(
                "Payonify allows {MAX_METADATA_KEYS} keys and one ({REFERENCE_METADATA_KEY}) \
                 holds the merchant reference: at most {own} of your own, got {}",
                request.metadata.len()
            ),
        ));
    }
    let mut out = BTreeMap::new();
    for (key, value) in &request.metadata {
        if key == REFERENCE_METADATA_KEY {
            return Err(Error::invalid(
                "metadata",
                format!(
                    "the key {REFERENCE_METADATA_KEY:?} is reserved for the merchant reference"
                ),
            ));
        }
        let key_chars = key.chars().count();
        if key_chars == 0 || key_chars > MAX_METADATA_KEY_CHARS {
            return Err(Error::invalid(
                "metadata",
                format!("keys must be 1 to {MAX_METADATA_KEY_CHARS} characters, got {key_chars}"),
            ));
        }
        let value_chars = value.chars().count();
        if value_chars > MAX_METADATA_VALUE_CHARS {
            return Err(Error::invalid(
                "metadata",
                format!(
                    "the value of {key:?} must be at most {MAX_METADATA_VALUE_CHARS} characters, \
                     got {value_chars}"
                ),
            ));
        }
        out.insert(key.as_str(), value.as_str());
    }
    out.insert(REFERENCE_METADATA_KEY, request.reference.as_str());
    Ok(out)
}

/// A payout id as it may appear in a path.
fn checked_id(id: &str) -> Result<&str, Error> {
    const PAYOUT_ID: PathId = PathId {
        what: "a Payonify payout id (po_…): letters, digits, '_' and '-'",
        max_len: 255,
        trim: false,
        allowed: PathId::word_char,
    };
    PAYOUT_ID.check(id)
}

/// The payout in a 2xx answer to `call` (create or get). The adapter and `crate::internals` (the
/// fuzzers) both read answers through this.
pub(crate) fn payout_answer(
    call: &Call,
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<Payout, Error> {
    let decoded = crate::http::decode_reply::<WirePayout>(PROVIDER, call, status, body)?;
    Ok(decoded.value.into_payout(decoded.raw))
}

/// The check in a 2xx answer to the recipient validation `call`.
pub(crate) fn validation_answer(
    call: &Call,
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<RecipientCheck, Error> {
    let decoded = crate::http::decode_reply::<WireValidation>(PROVIDER, call, status, body)?;
    Ok(decoded.value.into_check(decoded.raw))
}

#[async_trait]
impl PayoutProvider for PayonifyClient {
    crate::provider::identity!(PROVIDER);

    async fn create_payout(&self, request: &PayoutRequest) -> Result<Payout, Error> {
        let call = payout_call(request)?;
        self.inner.capabilities.callback_url.admit(
            PROVIDER,
            request.callback_url.as_ref(),
            &request.reference,
        )?;
        let reply = self.http().send(self.hooks(), &call).await?;
        payout_answer(&call, reply.status, &reply.body)
    }

    async fn get_payout(&self, id: &str) -> Result<Payout, Error> {
        let id = checked_id(id)?;
        let call = Call::get("get_payout", format!("/v1/payouts/{id}"));
        let reply = self.http().send(self.hooks(), &call).await?;
        payout_answer(&call, reply.status, &reply.body)
    }

    async fn find_payout(&self, reference: &Reference) -> Result<Option<Payout>, Error> {
        self.find_by_reference(reference).await
    }

    fn parse_webhook(&self, delivery: &WebhookRequest<'_>) -> Result<WebhookEvent, Error> {
        webhook::parse(&self.inner.verifier, delivery).map_err(Error::Webhook)
    }

    async fn validate_recipient(&self, destination: &Destination) -> Result<RecipientCheck, Error> {
        let mobile_number = ecocash_number(destination)?;
        let body = ValidateBody {
            destination: WireDestination::ecocash(mobile_number),
        };
        // Validation moves no money: it may be repeated freely.
        let call = Call::post_json(
            "validate_recipient",
            "/v1/payouts/validate",
            &body,
            Idempotency::Read,
        )?;
        let reply = self.http().send(self.hooks(), &call).await?;
        validation_answer(&call, reply.status, &reply.body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use crate::phone::Msisdn;

    fn config(secret: &str, publishable: &str) -> PayonifyConfig {
        PayonifyConfig::new(
            SecretString::from(publishable),
            SecretString::from(secret),
            SecretString::from("whsec_abc"),
        )
    }

    #[test]
    fn config_debug_redacts_every_secret() {
        let config = config("sk_test_secret123", "pk_test_public123")
            .with_previous_webhook_secret(SecretString::from("whsec_old"));
        assert_eq!(
            format!("{config:?}"),
            "PayonifyConfig { mode: Some(Test), publishable_key: \"** redacted **\", \
             secret_key: \"** redacted **\", settings: ClientSettings { environment: Sandbox, \
             http: HttpConfig { connect_timeout: 10s, timeout: 30s, retry: RetryPolicy { \
             max_attempts: 3, initial_backoff: 200ms, max_backoff: 5s, max_retry_after: 30s } }, \
             http_client: None, webhook_secret: ** redacted **, previous_webhook_secrets: \
             [1 redacted], clock: SystemClock, strict_callback_url: false }, webhook_tolerance: 300s, find_window_days: 30 }"
        );
        let client = PayonifyClient::new(config).map(|c| format!("{c:?}"));
        let Ok(client) = client else {
            panic!("client: {client:?}")
        };
        for secret in ["secret123", "public123", "whsec_abc", "whsec_old"] {
            assert!(!client.contains(secret), "{client}");
        }
    }

    #[test]
    fn mode_comes_from_the_secret_key_prefix() {
        let mode = |sk: &str, pk: &str| PayonifyClient::new(config(sk, pk)).map(|c| c.mode());
        assert!(matches!(mode("sk_live_x", "pk_live_y"), Ok(Mode::Live)));
        assert!(matches!(mode("sk_test_x", "pk_test_y"), Ok(Mode::Test)));
        for (sk, pk) in [
            ("rk_live_x", "pk_live_y"),
            ("sk_test_", "pk_test_y"),
            ("", "pk_test_y"),
            ("SK_TEST_x", "pk_test_y"),
        ] {
            let err = mode(sk, pk);
            assert!(
                matches!(&err, Err(Error::Config { message, .. })
                    if message == "payonify: the secret key must start with sk_live_ or sk_test_"),
                "{sk}: {err:?}"
            );
        }
        let err = mode("sk_live_x", "pk_test_y");
        assert!(
            matches!(&err, Err(Error::Config { message, .. })
                if message == "payonify: the secret key is a Live-mode key, so the publishable key must start with pk_live_"),
            "{err:?}"
        );
    }

    #[test]
    fn bad_base_url_is_a_config_error() {
        let err = PayonifyClient::new(
            config("sk_test_x", "pk_test_y").with_base_url("ftp://api.payonify.com"),
        );
        assert!(matches!(err, Err(Error::Config { .. })));
    }

    fn request(amount: &str) -> PayoutRequest {
        let (Ok(reference), Ok(money), Ok(msisdn)) = (
            Reference::new("po-1"),
            Money::parse(amount, Currency::USD),
            Msisdn::parse("+263771111111"),
        ) else {
            panic!("valid test inputs")
        };
        PayoutRequest::new(reference, money, Destination::mobile(msisdn))
    }

    #[test]
    fn narration_and_metadata_limits() {
        let ok = request("1.00").with_narration("é".repeat(150));
        assert!(create_body(&ok).is_ok());
        let long = request("1.00").with_narration("x".repeat(151));
        assert!(matches!(
            create_body(&long),
            Err(Error::InvalidRequest { field: "narration", reason, .. })
                if reason == "must be at most 150 characters, got 151"
        ));
        let key = request("1.00").with_metadata("k".repeat(41), "v");
        assert!(matches!(
            create_body(&key),
            Err(Error::InvalidRequest { field: "metadata", reason, .. })
                if reason == "keys must be 1 to 40 characters, got 41"
        ));
        let value = request("1.00").with_metadata("k", "v".repeat(501));
        assert!(matches!(
            create_body(&value),
            Err(Error::InvalidRequest { field: "metadata", reason, .. })
                if reason == "the value of \"k\" must be at most 500 characters, got 501"
        ));
        let edge = request("1.00")
            .with_metadata("k".repeat(40), "v".repeat(500))
            .with_metadata("a", "1");
        assert!(create_body(&edge).is_ok());
        let reserved = request("1.00").with_metadata(REFERENCE_METADATA_KEY, "other");
        assert!(matches!(
            create_body(&reserved),
            Err(Error::InvalidRequest { field: "metadata", reason, .. })
                if reason == "the key \"disburse_reference\" is reserved for the merchant reference"
        ));
    }

    #[test]
    fn channel_and_callback_url() {
        let ok = request("1.00").with_channel("EcoCash");
        assert!(create_body(&ok).is_ok());
        let other = request("1.00").with_channel("onemoney");
        assert!(matches!(
            create_body(&other),
            Err(Error::InvalidRequest {
                field: "channel",
                ..
            })
        ));
        let Ok(url) = crate::model::CallbackUrl::parse("https://merchant.example/hooks") else {
            panic!("valid url")
        };
        // Never on the wire: the body is the one without it.
        let callback = request("1.00").with_callback_url(url.clone());
        let plain = request("1.00");
        let (Ok(with), Ok(without)) = (create_body(&callback), create_body(&plain)) else {
            panic!("both accepted")
        };
        assert_eq!(
            serde_json::to_value(&with).ok(),
            serde_json::to_value(&without).ok()
        );
        let reference = callback.reference.clone();
        assert!(
            CallbackUrlSupport::Ignored
                .admit(PROVIDER, Some(&url), &reference)
                .is_ok()
        );
        assert!(matches!(
            CallbackUrlSupport::Refused.admit(PROVIDER, Some(&url), &reference),
            Err(Error::InvalidRequest {
                field: "callback_url",
                ..
            })
        ));
        assert!(
            CallbackUrlSupport::Refused
                .admit(PROVIDER, None, &reference)
                .is_ok()
        );
    }

    #[test]
    fn destination_rules() {
        let Ok(zm) = Msisdn::parse("260971234567") else {
            panic!("valid number")
        };
        assert!(matches!(
            ecocash_number(&Destination::mobile(zm)),
            Err(Error::InvalidRequest { field: "destination", reason, .. })
                if reason.ends_with("this is not a Zimbabwean (+263) number")
        ));
        let Ok(econet) = Msisdn::parse("+263781234567") else {
            panic!("valid number")
        };
        assert!(matches!(
            ecocash_number(&Destination::mobile_on(econet.clone(), Network::NetOne)),
            Err(Error::InvalidRequest { field: "destination", reason, .. })
                if reason.ends_with("the destination names NetOne")
        ));
        assert!(matches!(
            ecocash_number(&Destination::mobile_on(econet, Network::Econet)),
            Ok("781234567")
        ));
        let Ok(bank) = Destination::bank(Country::Zimbabwe, "CBZ", "1234567") else {
            panic!("valid bank")
        };
        assert!(matches!(
            ecocash_number(&bank),
            Err(Error::InvalidRequest { field: "destination", reason, .. })
                if reason.ends_with("bank accounts are not supported")
        ));
    }

    proptest::proptest! {
        #[test]
        fn amounts_convert_exactly_or_are_refused(minor in 0i64..=1_000_000_000_000) {
            let (Ok(reference), Ok(money), Ok(msisdn)) = (
                Reference::new("po-1"),
                Money::from_minor_units(minor, Currency::USD),
                Msisdn::parse("+263771111111"),
            ) else {
                panic!("valid test inputs")
            };
            let request = PayoutRequest::new(reference, money, Destination::mobile(msisdn));
            match create_body(&request) {
                Ok(body) => {
                    proptest::prop_assert!(minor >= MIN_AMOUNT_MINOR);
                    proptest::prop_assert_eq!(body.amount, minor);
                }
                Err(e) => {
                    proptest::prop_assert!(minor < MIN_AMOUNT_MINOR);
                    let is_amount = matches!(e, Error::InvalidRequest { field: "amount", .. });
                    proptest::prop_assert!(is_amount);
                }
            }
        }

        #[test]
        fn metadata_validation_never_panics(
            entries in proptest::collection::btree_map(".{0,45}", ".{0,510}", 0..7),
            narration in proptest::option::of(".{0,160}"),
        ) {
            let (Ok(reference), Ok(money), Ok(msisdn)) = (
                Reference::new("po-1"),
                Money::parse("1.00", Currency::USD),
                Msisdn::parse("+263771111111"),
            ) else {
                panic!("valid test inputs")
            };
            let mut request = PayoutRequest::new(reference, money, Destination::mobile(msisdn));
            request.metadata = entries;
            request.narration = narration;
            if let Ok(body) = create_body(&request) {
                proptest::prop_assert!(body.metadata.len() <= MAX_METADATA_KEYS);
                proptest::prop_assert_eq!(body.metadata.get(REFERENCE_METADATA_KEY), Some(&"po-1"));
            }
        }
    }

    #[test]
    fn checked_ids() {
        assert!(checked_id("po_1NXWPnCo6bFb1KQto6C8OWvE").is_ok());
        for bad in ["", "../balance", "po_1?x=1", "po 1"] {
            assert!(checked_id(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn client_is_send_sync_and_object_safe() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<PayonifyClient>();
        assert_send_sync::<PayonifyConfig>();
        assert_send_sync::<Page>();
        assert_send_sync::<ListParams>();
        let Ok(client) = PayonifyClient::new(config("sk_test_x", "pk_test_y")) else {
            panic!("client")
        };
        let provider: Arc<dyn PayoutProvider> = Arc::new(client);
        assert_eq!(provider.id(), ProviderId::PAYONIFY);
    }
}
