//! Vesicash: mobile-money and bank payouts, partial refunds, countries and banks, signed
//! webhooks.
//!
//! # The API in brief
//!
//! | call | request | used by |
//! |---|---|---|
//! | `GET /v1/countries` | — | [`VesicashClient::countries`], and every payout and refund (for `country_id`) |
//! | `GET /v1/banks?country_id=…` | — | [`VesicashClient::banks`] |
//! | `POST /v1/payment/payout/process` | `{amount, country_id, transfer_to, momo_phone_number \| bank_id + account_number, webhook_url, reason}` | [`PayoutProvider::create_payout`] |
//! | `POST /v1/payment/refunds/process` | `{amount, payment_reference, country_id, transfer_to: "mobile_number", momo_phone_number, webhook_url, reason}` | [`PayoutProvider::create_refund`] |
//! | `GET /v1/payment/{reference}` | — | [`PayoutProvider::get_payout`] (see below) |
//!
//! Every call carries the `secret-key` and `public-key` headers (marked sensitive; the names are
//! an open point, see 17 below). Answers are
//! an envelope `{status: "success" | "error", code, message, data}`; `data` of a payout or refund
//! is `{reference (PY_…), status, amount}`, the amount a JSON number or a string. Amounts go out
//! as exact JSON numbers in major units (`0.29`, `1000.50`, `150`), phone numbers as E.164 digits
//! without `+` (`260999993000`).
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use disburse::providers::vesicash::{VesicashClient, VesicashConfig};
//! use disburse::{Currency, Destination, Money, Msisdn, PayoutProvider, PayoutRequest, Reference};
//!
//! let client = VesicashClient::new(VesicashConfig::from_env()?)?;
//! let request = PayoutRequest::new(
//!     Reference::new("order-1042")?,
//!     Money::parse("150", Currency::ZMW)?,
//!     Destination::mobile(Msisdn::parse("+260 99 999 3000")?),
//! );
//! let payout = client.create_payout(&request).await?;
//! println!("{} is {:?}", payout.id, payout.status);
//! # Ok(()) }
//! ```
//!
//! # Decisions on what the documentation leaves open
//!
//! Each point below is decided here and nowhere else:
//!
//! 1. **Payout path.** The spec's `/v1/payment/payout/process` ([`PAYOUT_PATH`]); the docs'
//!    heading shows `/v1/payment/payouts/process`: select it with
//!    [`VesicashConfig::with_payout_path`].
//! 2. **Idempotency.** Vesicash documents none, and the request carries no merchant reference.
//!    Payout and refund POSTs are therefore [`Idempotency::Unprotected`]: never re-sent once they
//!    may have left. A timeout, a lost connection or a 5xx after sending is
//!    [`Error::OutcomeUnknown`] with the merchant reference, after exactly one request; so is a
//!    2xx answer that cannot be read, and an `"error"` envelope whose `code` is 5xx.
//! 3. **Looking a payout up by merchant reference.** Impossible: Vesicash never receives the
//!    merchant reference and documents no listing. [`PayoutProvider::find_payout`] is
//!    [`Error::Unsupported`] and [`Capabilities::listing`] is false.
//!    [`PayoutProvider::reconcile`] matches an unknown outcome against the payout webhooks
//!    received since the request was sent, by amount and time (the payload carries no
//!    recipient and no merchant reference; [`crate::reconcile::by_webhooks`]): one unclaimed
//!    match is found, none or several cannot tell (never "not found": no Vesicash answer proves
//!    that nothing was paid).
//! 4. **Status endpoint.** None is documented for payouts. The default [`STATUS_PATH`] is
//!    `GET /v1/payment/{reference}`, the one lookup by reference the docs show (for payments),
//!    expected to answer with the same envelope; change it with
//!    [`VesicashConfig::with_status_path`]. The answer's amount is reported only when it names
//!    its currency.
//! 5. **`country_id`.** Read from `GET /v1/countries`: the entry whose `country_code` equals the
//!    destination country's ISO alpha-2 code, compared without regard to case (the phone number's
//!    country for a wallet, the account's country for a bank). Its id is read from `country_id`
//!    (the spec's name) or else `id` (the docs'), number or string, and always sent as a string.
//!    When the entry gives a `currency_code`, the amount's currency must be it, or the request is
//!    [`Error::InvalidRequest`] before the payout is sent.
//! 6. **Caches.** The countries list is fetched once per client (concurrent first callers share
//!    the one fetch) and the banks list once per country; a failed fetch is not cached. The lists
//!    are kept for the client's life: build a new client to refresh them.
//! 7. **Banks query.** `country_id` ([`BANKS_COUNTRY_PARAM`]; docs revisions disagree):
//!    [`VesicashConfig::with_banks_country_param`].
//! 8. **Keys.** Both keys go on every call, the countries list included (the docs say it needs
//!    only the public key; the secret key goes to the same TLS host either way).
//! 9. **Narration.** Sent as `reason`, and left out when blank. A `webhook_url` is sent from the
//!    request, else [`VesicashConfig::default_webhook_url`], else left out (the dashboard's URL
//!    applies). [`PayoutRequest::channel`] is refused (Vesicash routes by destination);
//!    [`PayoutRequest::metadata`] is not sent (Vesicash stores none).
//! 10. **Refunds** go to a mobile-money wallet only (`transfer_to: "mobile_number"`, the one
//!     value the refund spec allows); a bank refund is [`Error::Unsupported`]. Vesicash checks
//!     the cumulative refunded sum, so [`RefundSupport::Partial`].
//! 11. **Errors.** A 2xx with an `"error"` envelope is a refusal like a 4xx. Documented messages
//!     map, without regard to case, as: "payout amount is less that 0" (sic) → invalid amount,
//!     "payment not found" → payment not found, "Refund amount exceeds the remaining refundable
//!     balance" → refund exceeds refundable balance, "Insufficient funds or wallet error
//!     preventing refund processing" → insufficient balance, "Payout/Refund Provider service
//!     returned an error" → invalid recipient; the provider's own text stays in the `message` of
//!     [`Error::Rejected`]. Other messages map by HTTP status (400/422
//!     invalid request, 404 not found, else other). 401 is
//!     [`AuthFailure::InvalidCredentials`](crate::AuthFailure::InvalidCredentials), 403
//!     `Forbidden`, 429 rate limited, 5xx a server error (outcome unknown on a POST).
//! 12. **Statuses.** `processing`/`pending` → pending, `successful` → succeeded, `failed` →
//!     failed, anything else → [`Status::Unknown`](crate::Status). Failure codes:
//!     `INSUFFICIENT_FUNDS` → insufficient funds, `ACCOUNT_NOT_FOUND` → invalid recipient,
//!     `ACCOUNT_BLOCKED` → recipient blocked, `TRANSACTION_LIMIT_EXCEEDED` → limit exceeded,
//!     `DECLINED_TRANSACTION`/`ABANDONED_TRANSACTION`/`INVALID_PIN` → declined,
//!     `PROVIDER_TIMEOUT` → provider timeout, `TRNASACTION_FAILED` (sic) and unknown codes →
//!     other, with the code kept. The code is read from `failure_reason`, `error_code` or `reason`.
//! 13. **Webhook signature.** HMAC-SHA256 of the raw body with the webhook secret, hex (either
//!     case, an optional `sha256=` prefix), from `X-Vesicash-Signature` or else the docs'
//!     `mor-signature` (names case-insensitive). The other docs revision, HMAC of
//!     `timestamp + "." + body` with a 300 s window, is [`SignedMessage::TimestampDotBody`]; its
//!     timestamp header is undocumented ([`TIMESTAMP_HEADER`] by default). Header names, message
//!     and encoding live in [`WebhookScheme`].
//! 14. **Webhook payload** (undocumented). Read leniently as `{event?, data: {reference, status,
//!     amount, reason?}}` or the same fields flat; a missing reference or status is refused.
//!     Refund rather than payout when the `event`/`type` word contains "refund", else when the
//!     reference starts `RF_`/`REF_`, else when a `payment_reference` is present; otherwise a
//!     payout. The amount is reported only when a `currency` is given. The raw JSON is kept.
//! 15. **Mobile numbers.** Refused before sending when the number has no known country or is
//!     not in its country's mobile ranges (a landline): a small table in this adapter until the
//!     phone module can say whether a number is mobile.
//! 16. **`from_env`** without `VESICASH_BASE_URL` uses the sandbox, never live.
//! 17. **Key header names** (open). The spec's `secret-key` and `public-key` by default;
//!     Vesicash's official Node, Python and PHP SDKs all send `V-Private-Key` (and the Node SDK
//!     `V-Public-Key`), which [`AuthHeaders::sdk`] selects through
//!     [`VesicashConfig::with_auth_headers`]; any other names through [`AuthHeaders::new`].

mod config;
mod validate;
pub(crate) mod webhook;
pub(crate) mod wire;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use tokio::sync::OnceCell;

pub use crate::webhook::{SignedMessage, WebhookScheme};
pub use config::{
    AuthHeaders, BANKS_COUNTRY_PARAM, BANKS_PATH, COUNTRIES_PATH, DOCS_SIGNATURE_HEADER,
    Environment, LIVE_BASE_URL, PAYOUT_PATH, PUBLIC_KEY_HEADER, REFERENCE_PLACEHOLDER, REFUND_PATH,
    SANDBOX_BASE_URL, SDK_PUBLIC_KEY_HEADER, SDK_SECRET_KEY_HEADER, SECRET_KEY_HEADER,
    SIGNATURE_HEADER, STATUS_PATH, TIMESTAMP_HEADER, VesicashConfig, webhook_scheme,
};

use crate::error::Error;
use crate::http::{
    AnswerCheck, Call, HttpClient, Idempotency, PathId, ProviderHooks, credential_header,
    judge_answer, unreadable_answer,
};
use crate::model::{Payout, PayoutRequest, ProviderId, Reference, Refund, RefundRequest};
use crate::money::{Currency, Money};
use crate::phone::Country;
use crate::provider::{
    CallbackUrlSupport, Capabilities, PayoutProvider, RefundSupport, WebhookAuth,
};
use crate::raw::RawJson;
use crate::reconcile::{Evidence, Reconciliation};
use crate::webhook::{HmacVerifier, WebhookEvent, WebhookRequest};
use validate::Target;
use wire::{Envelope, Outcome, TransferData};

const PROVIDER: ProviderId = ProviderId::VESICASH;

/// A country as Vesicash lists it (`GET /v1/countries`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VesicashCountry {
    /// The `country_id` payouts and refunds send (as text, whatever the list's JSON type).
    pub id: String,
    /// The country's name.
    pub name: Option<String>,
    /// The ISO 3166 alpha-2 code as listed (`"NG"`).
    pub country_code: String,
    /// The currency code as listed (`"NGN"`), when given.
    pub currency_code: Option<String>,
}

impl VesicashCountry {
    /// The listed currency, when it is one this crate knows.
    pub fn currency(&self) -> Option<Currency> {
        self.currency_code.as_deref().and_then(Currency::from_code)
    }
}

/// A bank as Vesicash lists it (`GET /v1/banks`).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VesicashBank {
    /// The `bank_id` a bank payout sends (put it in [`Destination::bank`](crate::Destination::bank)).
    pub id: String,
    /// The bank's name.
    pub name: Option<String>,
    /// The bank's code (sort code, CBN code), when given.
    pub code: Option<String>,
}

/// One country's banks, fetched at most once (concurrent callers share the fetch).
type BanksCell = Arc<OnceCell<Arc<[VesicashBank]>>>;

/// The Vesicash client. Cheap to clone: clones share the connection pool and the caches.
#[derive(Clone)]
pub struct VesicashClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    hooks: Hooks,
    config: VesicashConfig,
    verifier: HmacVerifier,
    capabilities: Capabilities,
    countries: OnceCell<Arc<[VesicashCountry]>>,
    banks: Mutex<HashMap<String, BanksCell>>,
}

crate::redact::redacted_debug! { VesicashClient, |c| {
    base_url: c.inner.http.base_url(), config: c.inner.config, ..
}}

impl VesicashClient {
    /// A client for `config`; refuses empty keys, a bad base URL and malformed paths.
    pub fn new(config: VesicashConfig) -> Result<VesicashClient, Error> {
        config.validate()?;
        let http = config.settings.http_client(PROVIDER, &config::URLS)?;
        let verifier = config
            .webhook
            .verifier(
                config.settings.webhook_secret.clone(),
                &config.settings.previous_webhook_secrets,
            )
            .with_clock(Arc::clone(&config.settings.clock));
        let hooks = Hooks::new(&config)?;
        let capabilities = Capabilities {
            countries: vec![Country::Nigeria, Country::Zambia],
            currencies: vec![Currency::NGN, Currency::ZMW],
            mobile_money: true,
            bank_accounts: true,
            refunds: RefundSupport::Partial,
            recipient_validation: false,
            listing: false,
            balance: false,
            idempotent_create: false,
            webhook_auth: WebhookAuth::HmacBody,
            callback_url: CallbackUrlSupport::Optional,
        };
        Ok(VesicashClient {
            inner: Arc::new(Inner {
                http,
                hooks,
                config,
                verifier,
                capabilities,
                countries: OnceCell::new(),
                banks: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// Replaces the webhook verifier's clock (tests of the timestamped scheme). The returned
    /// client starts with empty countries and banks caches.
    #[must_use]
    pub fn with_webhook_clock(self, clock: Arc<dyn crate::webhook::Clock>) -> Self {
        let inner = &self.inner;
        let verifier = inner.verifier.clone().with_clock(clock);
        VesicashClient {
            inner: Arc::new(Inner {
                http: inner.http.clone(),
                hooks: inner.hooks.clone(),
                config: inner.config.clone(),
                verifier,
                capabilities: inner.capabilities.clone(),
                countries: OnceCell::new(),
                banks: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &VesicashConfig {
        &self.inner.config
    }

    /// The countries Vesicash pays into (`GET /v1/countries`), fetched once per client.
    pub async fn countries(&self) -> Result<Vec<VesicashCountry>, Error> {
        Ok(self.countries_cached().await?.to_vec())
    }

    /// The banks of `country` (`GET /v1/banks?country_id=…`), fetched once per client and
    /// country. Use a bank's [`VesicashBank::id`] as the bank code of a bank destination.
    pub async fn banks(&self, country: Country) -> Result<Vec<VesicashBank>, Error> {
        let listed = self.country(country).await?;
        let cell = {
            let mut map = self
                .inner
                .banks
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(map.entry(listed.id.clone()).or_default())
        };
        let banks = cell
            .get_or_try_init(|| self.fetch_banks(&listed.id))
            .await?;
        Ok(banks.to_vec())
    }

    async fn countries_cached(&self) -> Result<&Arc<[VesicashCountry]>, Error> {
        self.inner
            .countries
            .get_or_try_init(|| self.fetch_countries())
            .await
    }

    async fn fetch_countries(&self) -> Result<Arc<[VesicashCountry]>, Error> {
        let call = Call::get("countries", COUNTRIES_PATH);
        let data = self.send(&call).await?;
        countries_from(&data)
    }

    async fn fetch_banks(&self, country_id: &str) -> Result<Arc<[VesicashBank]>, Error> {
        let call = Call::get("banks", BANKS_PATH)
            .query(self.inner.config.banks_country_param.clone(), country_id);
        let data = self.send(&call).await?;
        let list: wire::ListData<wire::BankWire> = decode_data(&data)?;
        let banks = list
            .into_vec()
            .into_iter()
            .filter_map(|b| {
                Some(VesicashBank {
                    id: b.id()?,
                    name: b.name(),
                    code: b.code(),
                })
            })
            .collect::<Vec<_>>();
        Ok(banks.into())
    }

    /// The listed entry for `country`, matched on its ISO alpha-2 code.
    async fn country(&self, country: Country) -> Result<VesicashCountry, Error> {
        let countries = self.countries_cached().await?;
        countries
            .iter()
            .find(|c| c.country_code.eq_ignore_ascii_case(country.iso_alpha2()))
            .cloned()
            .ok_or_else(|| {
                Error::invalid(
                    "destination",
                    format!(
                        "Vesicash does not list the country {} in GET {COUNTRIES_PATH}",
                        country.iso_alpha2()
                    ),
                )
            })
    }

    /// The `country_id` for `target`, after checking the amount's currency against the list.
    async fn country_id_for(&self, target: &Target, amount: &Money) -> Result<String, Error> {
        let listed = self.country(target.country()).await?;
        if let Some(code) = &listed.currency_code
            && !code.eq_ignore_ascii_case(amount.currency().code())
        {
            return Err(Error::invalid(
                "amount.currency",
                format!(
                    "Vesicash pays {} in {code}, not {}",
                    listed.country_code,
                    amount.currency()
                ),
            ));
        }
        Ok(listed.id)
    }

    fn webhook_url<'a>(&'a self, own: Option<&'a crate::CallbackUrl>) -> Option<&'a str> {
        own.or(self.inner.config.default_webhook_url.as_ref())
            .map(crate::CallbackUrl::as_str)
    }

    /// `GET` the status path for the Vesicash reference `id` (a payout's or a refund's).
    async fn lookup(&self, operation: &'static str, id: &str) -> Result<Opened, Error> {
        const REFERENCE: PathId = PathId {
            what: "a Vesicash reference (letters, digits, '_' and '-')",
            max_len: usize::MAX,
            trim: true,
            allowed: PathId::word_char,
        };
        let id = REFERENCE.check(id)?;
        let path = self
            .inner
            .config
            .status_path
            .replace(REFERENCE_PLACEHOLDER, id);
        let call = Call::get(operation, path);
        self.send(&call).await
    }

    /// Sends `call` and opens the envelope: a refusal in a 2xx envelope becomes an error here.
    async fn send(&self, call: &Call) -> Result<Opened, Error> {
        let reply = self.inner.http.send(&self.inner.hooks, call).await?;
        open(call, reply.status, &reply.body)
    }

    /// The payout POST for a checked `target` and its `country_id`, the body serialized once.
    fn payout_call(
        &self,
        request: &PayoutRequest,
        target: &Target,
        country_id: &str,
    ) -> Result<Call, Error> {
        let reason = validate::free_text("narration", request.narration.as_deref())?;
        let webhook_url = self.webhook_url(request.callback_url.as_ref());
        let body = match target {
            Target::Mobile { digits, .. } => wire::PayoutBody {
                amount: request.amount.to_json_number(),
                country_id,
                transfer_to: wire::TRANSFER_TO_MOBILE,
                momo_phone_number: Some(digits),
                bank_id: None,
                account_number: None,
                webhook_url,
                reason,
            },
            Target::Bank {
                bank_id,
                account_number,
                ..
            } => wire::PayoutBody {
                amount: request.amount.to_json_number(),
                country_id,
                transfer_to: wire::TRANSFER_TO_BANK,
                momo_phone_number: None,
                bank_id: Some(bank_id),
                account_number: Some(account_number),
                webhook_url,
                reason,
            },
        };
        Ok(Call::post_json(
            "create_payout",
            self.inner.config.payout_path.clone(),
            &body,
            Idempotency::Unprotected,
        )?
        .reference(&request.reference))
    }

    /// The checks and the POST of [`PayoutProvider::create_payout`] with `country_id` given
    /// instead of looked up (the benchmarks' door, through `crate::internals`).
    #[cfg(feature = "internals")]
    pub(crate) fn encoded_payout(
        &self,
        request: &PayoutRequest,
        country_id: &str,
    ) -> Result<Call, Error> {
        let target = checked_payout(request)?;
        self.payout_call(request, &target, country_id)
    }

    /// Verifies a delivery's signature without reading its body (the benchmarks' door).
    #[cfg(feature = "internals")]
    pub(crate) fn verify_webhook(
        &self,
        delivery: &WebhookRequest<'_>,
    ) -> Result<(), crate::webhook::WebhookError> {
        self.inner
            .config
            .webhook
            .verify(&self.inner.verifier, delivery)
    }
}

/// Everything about a payout that can be refused without the network: a positive amount, a
/// destination Vesicash pays, no channel code, a narration without control characters.
fn checked_payout(request: &PayoutRequest) -> Result<Target, Error> {
    validate::amount(&request.amount)?;
    let target = validate::destination(&request.destination)?;
    if request.channel.is_some() {
        return Err(Error::invalid(
            "channel",
            "Vesicash routes by destination and takes no channel code",
        ));
    }
    validate::free_text("narration", request.narration.as_deref())?;
    Ok(target)
}

// What follows reads Vesicash's answers. Each function takes what the network gave (or what
// `crate::internals` feeds it) and nothing else, so the adapter and the fuzzers run one path.

/// Vesicash's envelope of a 2xx answer, judged ([`ProviderHooks::check_answer`]): `"success"`
/// is accepted, `"error"` is a refusal stating its `code` mirror (else the HTTP status), any other
/// word or a body that is not an envelope cannot be read. The ambiguity rule is applied to this
/// verdict by the shared path ([`crate::http::judge_answer`]).
pub(crate) fn check_envelope(status: StatusCode, body: &[u8]) -> AnswerCheck {
    match crate::http::decode_json::<Envelope>(PROVIDER, status.as_u16(), body) {
        Ok((envelope, raw)) => verdict(&envelope, status.as_u16(), &raw),
        Err(e) => AnswerCheck::Unreadable(e),
    }
}

fn verdict(envelope: &Envelope, status: u16, raw: &RawJson) -> AnswerCheck {
    match envelope.outcome() {
        Outcome::Success => AnswerCheck::Accepted,
        Outcome::Error => {
            let code = envelope
                .code()
                .filter(|c| *c >= 400)
                .unwrap_or(if status >= 400 { status } else { 400 });
            let message = envelope
                .message_text()
                .unwrap_or_else(|| "error without a message".to_owned());
            AnswerCheck::Refused {
                code,
                error: wire::refusal(code, message),
            }
        }
        Outcome::Unrecognized(word) => AnswerCheck::Unreadable(decode_error(
            status,
            format!("envelope status {word:?} is neither success nor error"),
            raw.as_str().unwrap_or_default(),
        )),
    }
}

/// Opens the envelope of a 2xx answer to `call`: returns `data` and the whole body as JSON; a
/// refusal in the envelope becomes an error through the shared rule.
pub(crate) fn open(call: &Call, http_status: StatusCode, body: &[u8]) -> Result<Opened, Error> {
    let decoded = crate::http::decode_reply::<Envelope>(PROVIDER, call, http_status, body)?;
    let status = decoded.status.as_u16();
    judge_answer(
        PROVIDER,
        call,
        verdict(&decoded.value, status, &decoded.raw),
    )?;
    Ok(Opened {
        call: call.clone(),
        status,
        data: decoded.value.data,
        raw: decoded.raw,
    })
}

/// Decodes `data` into `T`; a missing or odd `data` is unreadable (outcome unknown for a
/// money-moving call, by the shared rule).
fn decode_data<T: DeserializeOwned>(opened: &Opened) -> Result<T, Error> {
    let result = match &opened.data {
        Some(raw) => wire::from_raw::<T>(raw).map_err(|e| e.to_string()),
        None => Err("the answer has no data".to_owned()),
    };
    result.map_err(|why| {
        let body = opened.raw.as_str().unwrap_or_default();
        unreadable_answer(
            PROVIDER,
            &opened.call,
            decode_error(opened.status, why, body),
        )
    })
}

fn decode_error(status: u16, why: String, body: &str) -> Error {
    Error::Decode {
        provider: PROVIDER,
        status,
        snippet: crate::http::snippet(body.as_bytes()),
        source: why.into(),
    }
}

fn payout_from(data: TransferData, raw: RawJson, currency: Option<Currency>) -> Payout {
    let currency = currency.or_else(|| data.currency().as_deref().and_then(Currency::from_code));
    let amount = match (data.amount(), currency) {
        (Some(amount), Some(currency)) => Money::new(amount, currency).ok(),
        _ => None,
    };
    let mut payout = Payout::new(PROVIDER, data.reference.trim(), data.status());
    payout.amount = amount;
    payout.created_at = data.created_at();
    payout.raw = raw;
    payout
}

/// The payout in an opened answer to the payout POST sent under `reference` in `currency`.
pub(crate) fn created_payout(
    opened: Opened,
    reference: &Reference,
    currency: Currency,
) -> Result<Payout, Error> {
    let data: TransferData = decode_data(&opened)?;
    let mut payout = payout_from(data, opened.raw, Some(currency));
    payout.reference = Some(reference.clone());
    Ok(payout)
}

/// The refund in an opened answer to the status lookup (its currency only when named).
pub(crate) fn fetched_refund(opened: Opened) -> Result<Refund, Error> {
    let data: TransferData = decode_data(&opened)?;
    let currency = data.currency().as_deref().and_then(Currency::from_code);
    let amount = match (data.amount(), currency) {
        (Some(amount), Some(currency)) => Money::new(amount, currency).ok(),
        _ => None,
    };
    let mut refund = Refund::new(PROVIDER, data.reference.trim(), data.status());
    refund.payment_reference = data.payment_reference();
    refund.amount = amount;
    refund.created_at = data.created_at();
    refund.raw = opened.raw;
    Ok(refund)
}

/// The payout in an opened answer to the status lookup.
pub(crate) fn fetched_payout(opened: Opened) -> Result<Payout, Error> {
    let data: TransferData = decode_data(&opened)?;
    Ok(payout_from(data, opened.raw, None))
}

/// The refund in an opened answer to the refund POST sent under `reference`, in `currency`, for
/// the payment `payment_reference` (already trimmed).
pub(crate) fn created_refund(
    opened: Opened,
    reference: &Reference,
    currency: Currency,
    payment_reference: &str,
) -> Result<Refund, Error> {
    let data: TransferData = decode_data(&opened)?;
    let amount = data.amount().and_then(|a| Money::new(a, currency).ok());
    let mut refund = Refund::new(PROVIDER, data.reference.trim(), data.status());
    refund.reference = Some(reference.clone());
    refund.payment_reference = data
        .payment_reference()
        .or_else(|| Some(payment_reference.to_owned()));
    refund.amount = amount;
    refund.created_at = data.created_at();
    refund.raw = opened.raw;
    Ok(refund)
}

/// The countries list of an opened answer; an empty list is undecodable (and not cached).
pub(crate) fn countries_from(data: &Opened) -> Result<Arc<[VesicashCountry]>, Error> {
    let list: wire::ListData<wire::CountryWire> = decode_data(data)?;
    let countries = list
        .into_vec()
        .into_iter()
        .filter_map(|c| {
            let id = c.id()?;
            let country_code = wire::text(c.country_code.as_ref())?;
            Some(VesicashCountry {
                id,
                name: wire::text(c.name.as_ref()),
                country_code: country_code.trim().to_owned(),
                currency_code: wire::text(c.currency_code.as_ref()).map(|s| s.trim().to_owned()),
            })
        })
        .collect::<Vec<_>>();
    if countries.is_empty() {
        // Not cached: an empty list would refuse every payout for the client's life.
        return Err(Error::Decode {
            provider: PROVIDER,
            status: data.status,
            snippet: crate::http::snippet(data.raw.as_str().unwrap_or_default().as_bytes()),
            source: "the countries list has no entry with an id and a country_code".into(),
        });
    }
    tracing::debug!(count = countries.len(), "vesicash countries fetched");
    Ok(countries.into())
}

/// An opened success envelope.
pub(crate) struct Opened {
    /// The call answered (its idempotency and reference decide what "unreadable" means).
    call: Call,
    status: u16,
    data: Option<Box<RawValue>>,
    raw: RawJson,
}

#[async_trait]
impl PayoutProvider for VesicashClient {
    crate::provider::identity!(PROVIDER);

    async fn create_payout(&self, request: &PayoutRequest) -> Result<Payout, Error> {
        // Everything that can be refused without the network is refused first.
        let target = checked_payout(request)?;
        let country_id = self.country_id_for(&target, &request.amount).await?;
        let call = self.payout_call(request, &target, &country_id)?;
        let opened = self.send(&call).await?;
        created_payout(opened, &request.reference, request.amount.currency())
    }

    async fn get_payout(&self, id: &str) -> Result<Payout, Error> {
        let opened = self.lookup("get_payout", id).await?;
        fetched_payout(opened)
    }

    /// The same status lookup as [`PayoutProvider::get_payout`], with the refund's reference.
    async fn get_refund(&self, id: &str) -> Result<Refund, Error> {
        let opened = self.lookup("get_refund", id).await?;
        fetched_refund(opened)
    }

    /// Unsupported: Vesicash never receives the merchant reference and documents no listing.
    async fn find_payout(&self, reference: &Reference) -> Result<Option<Payout>, Error> {
        let _ = reference;
        Err(Error::unsupported(PROVIDER, "find_payout"))
    }

    /// Vesicash never receives the merchant reference: the request is matched against the
    /// payout webhooks received since it was sent, by amount and time
    /// ([`crate::reconcile::by_webhooks`]); never [`Reconciliation::NotFound`].
    async fn reconcile(
        &self,
        request: &PayoutRequest,
        evidence: &Evidence,
    ) -> Result<Reconciliation, Error> {
        Ok(crate::reconcile::by_webhooks(
            PROVIDER,
            request,
            evidence,
            webhook::stated_amount,
        ))
    }

    /// Unsupported, as [`PayoutProvider::find_payout`].
    async fn find_refund(&self, reference: &Reference) -> Result<Option<Refund>, Error> {
        let _ = reference;
        Err(Error::unsupported(PROVIDER, "find_refund"))
    }

    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        validate::amount(&request.amount)?;
        let payment_reference = request.payment_reference.trim();
        if payment_reference.is_empty() {
            return Err(Error::invalid("payment_reference", "must not be empty"));
        }
        let target = validate::refund_destination(&request.destination)?;
        let reason = validate::free_text("reason", request.reason.as_deref())?;
        let webhook_url = self.webhook_url(request.callback_url.as_ref());
        let Target::Mobile { digits, .. } = &target else {
            return Err(Error::unsupported(PROVIDER, "refund to a bank account"));
        };

        let country_id = self.country_id_for(&target, &request.amount).await?;
        let body = wire::RefundBody {
            amount: request.amount.to_json_number(),
            payment_reference,
            country_id: &country_id,
            transfer_to: wire::TRANSFER_TO_MOBILE,
            momo_phone_number: digits,
            webhook_url,
            reason,
        };
        let call = Call::post_json(
            "create_refund",
            self.inner.config.refund_path.clone(),
            &body,
            Idempotency::Unprotected,
        )?
        .reference(&request.reference);
        let opened = self.send(&call).await?;
        created_refund(
            opened,
            &request.reference,
            request.amount.currency(),
            payment_reference,
        )
    }

    fn parse_webhook(&self, delivery: &WebhookRequest<'_>) -> Result<WebhookEvent, Error> {
        self.inner
            .config
            .webhook
            .verify(&self.inner.verifier, delivery)?;
        webhook::parse(delivery.body)
    }
}

/// The key headers (by default `secret-key` and `public-key`), and Vesicash's error bodies.
#[derive(Clone)]
struct Hooks {
    /// The secret key's header: its name, and its value, sensitive, made once.
    secret_key: (HeaderName, HeaderValue),
    /// The public key's header, when one is sent.
    public_key: Option<(HeaderName, HeaderValue)>,
}

impl Hooks {
    /// The headers of `config`'s keys ([`VesicashConfig::validate`] checked they are header text).
    fn new(config: &VesicashConfig) -> Result<Hooks, Error> {
        let header = |name: &str, secret: &SecretString| {
            credential_header(secret.expose_secret()).ok_or_else(|| {
                Error::config(format!("vesicash: the {name} is not a valid header value"))
            })
        };
        let name = |name: &str| {
            HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                Error::config(format!("vesicash: {name:?} is not a valid header name"))
            })
        };
        let names = &config.auth_headers;
        Ok(Hooks {
            secret_key: (
                name(&names.secret_key)?,
                header("secret key", &config.secret_key)?,
            ),
            public_key: match &names.public_key {
                Some(public) => Some((name(public)?, header("public key", &config.public_key)?)),
                None => None,
            },
        })
    }
}

#[async_trait]
impl ProviderHooks for Hooks {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        let (name, value) = &self.secret_key;
        headers.insert(name.clone(), value.clone());
        if let Some((name, value)) = &self.public_key {
            headers.insert(name.clone(), value.clone());
        }
        Ok(())
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        wire::map_http_error(status, body)
    }

    fn check_answer(&self, status: StatusCode, body: &[u8]) -> AnswerCheck {
        check_envelope(status, body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync_clone<T: Send + Sync + Clone + 'static>() {}

    #[test]
    fn client_is_send_sync_clone_and_a_trait_object() {
        assert_send_sync_clone::<VesicashClient>();
        let config = VesicashConfig::new(
            SecretString::from("sk"),
            SecretString::from("pk"),
            SecretString::from("wh"),
            Environment::Sandbox,
        );
        let client: Arc<dyn PayoutProvider> = Arc::new(VesicashClient::new(config).unwrap());
        assert_eq!(client.id(), ProviderId::VESICASH);
        assert!(!client.capabilities().listing);
        assert!(!client.capabilities().idempotent_create);
    }
}
