//! # MTN MoMo (Open API, Disbursement product): mobile-money payouts in a dozen African markets
//!
//! ## The API in brief
//!
//! | what | call |
//! |---|---|
//! | token | `POST /disbursement/token/`, Basic `apiUser:apiKey`, no body → `{access_token, token_type, expires_in}` (3600 s) |
//! | payout | `POST /disbursement/v1_0/transfer` (or `v1_0/deposit`, `v2_0/deposit`, [`PayoutMode`]) `{amount, currency, externalId, payee: {partyIdType, partyId}, payerMessage, payeeNote}` → `202`, no body |
//! | status | `GET /disbursement/v1_0/transfer/{X-Reference-Id}` (deposits: `v1_0/deposit/{id}`) → `{amount, currency, financialTransactionId, externalId, payee, status, reason}` |
//! | refund | `POST /disbursement/v2_0/refund` `{amount, currency, externalId, payerMessage, payeeNote, referenceIdToRefund}`; `GET /disbursement/v1_0/refund/{id}` |
//! | balance | `GET /disbursement/v1_0/account/balance[/{currency}]` → `{availableBalance, currency}` |
//! | recipient | `GET /disbursement/v1_0/accountholder/msisdn/{msisdn}/active` → `{result}`; `…/basicuserinfo` |
//! | callback | MTN PUTs or POSTs the status body to the `X-Callback-Url`, unsigned |
//!
//! Every call carries `Ocp-Apim-Subscription-Key` (the Disbursement product's key); every call but
//! the token's carries `Authorization: Bearer …` and `X-Target-Environment` ([`TargetEnvironment`]);
//! money-moving POSTs carry `X-Reference-Id`. Errors are `{code, message}`. Sandbox
//! `https://sandbox.momodeveloper.mtn.com` (target `sandbox`, EUR), production
//! `https://proxy.momoapi.mtn.com` ([`Environment`]).
//!
//! ## How the adapter sends a payout
//!
//! 1. Everything is checked before anything is sent: the amount is in the account's currency
//!    ([`MtnMomoConfig::payout_currency`]) and above zero, written with the currency's decimals
//!    (`"5000"` UGX, `"5.00"` EUR); the destination is a mobile wallet whose calling code is the
//!    target market's (any number in the sandbox), sent as digits without `+`; the narration
//!    (payer message and payee note) is at most 160 characters without apostrophes or quotes
//!    (see `validate.rs`); a callback URL's host is the registered callback host.
//! 2. The `X-Reference-Id` is derived from the API user, the target environment and the merchant
//!    reference (see `reference_id.rs` for the derivation and why): the same payout carries the
//!    same id from any process, after any crash.
//! 3. The token is fetched or renewed (single flight, see `token.rs`).
//! 4. The POST is [`Idempotency::KeyedRejectsDuplicate`]: MTN refuses a second POST with the
//!    same id (409 `RESOURCE_ALREADY_EXIST`) without processing it, so the core re-sends the
//!    identical bytes after a timeout or a 5xx, stops at a 409, and after a 401 renews the
//!    token once and repeats once.
//! 5. `202` is a pending payout whose [`Payout::id`] is the reference id. A 409 (directly, or
//!    after an earlier attempt timed out) means MTN holds a payout under this id: it is read back
//!    and returned when its amount and payee are this request's; otherwise the 409 stands as
//!    [`RejectCode::DuplicateReference`] (the merchant reused a reference for another payout).
//!
//! [`PayoutProvider::find_payout`] reads the derived id: `404` is `Ok(None)`, "never created",
//! and re-sending is safe whatever happened, since MTN deduplicates the id.
//!
//! ## Decisions on what MTN does not document
//!
//! - **`reason`** is read as a bare code or as `{code, message}`; every documented code maps to a
//!   [`FailureReason`](crate::FailureReason) (`wire::failure_reason`), an undocumented one is kept in
//!   [`FailureReason::Other`](crate::FailureReason::Other). A status word other than `PENDING`, `SUCCESSFUL`, `FAILED` is
//!   [`Status::Unknown`] (not final). `amount`, ids and `partyId` are read
//!   as strings or numbers. An amount in a currency this crate does not know leaves
//!   [`Payout::amount`] empty (the text stays in `raw`).
//! - **Callbacks.** MTN signs none and names no reference id in them. The callback URL sent
//!   in `X-Callback-Url` carries two more query parameters, [`CALLBACK_OBJECT_PARAM`] (`payout`
//!   or `refund`) and [`CALLBACK_TOKEN_PARAM`] = hex(HMAC-SHA256(callback secret,
//!   `"<object>:<merchant reference>"`)), checked in constant time against the body's
//!   `externalId` (see `callback.rs`); the event's `provider_reference` is the derived reference
//!   id. The token proves the callback is about this merchant's payout, not its outcome:
//!   [`MtnMomoClient::parse_webhook_confirmed`] reads the status from MTN (and refuses another
//!   amount), and with [`MtnMomoConfig::confirm_callbacks`] on, the synchronous
//!   `parse_webhook` refuses. PUT and POST deliveries are read alike.
//! - **Synchronous 500s.** MTN answers some refusals with HTTP 500 and a code
//!   (`INVALID_CURRENCY`, `NOT_ALLOWED`, …). On a payout they stay what the core makes of any 5xx
//!   to a money-moving call: re-sent with the same id, then [`Error::OutcomeUnknown`] with the
//!   mapped error as its source; `find_payout` settles it (a 404 means nothing was created).
//! - **Errors** without a code (empty bodies, HTML, the API gateway's `{statusCode, message}`)
//!   map by HTTP status: 401 → [`AuthFailure::TokenExpired`](crate::AuthFailure::TokenExpired) unless the message names the
//!   subscription key; 403 → [`AuthFailure::IpNotAllowed`](crate::AuthFailure::IpNotAllowed) when it names the IP.
//! - **Texts.** The payer message and the payee note are both the request's narration; without
//!   one, both are the merchant reference. Metadata is not sent (MTN has no such field).
//! - **Refunds** refund a Collection request-to-pay: [`RefundRequest::payment_reference`] must be
//!   that request's reference id (a UUID); MTN takes the payee from it, so the request's
//!   destination is not sent. Partial refunds are assumed to be checked by MTN
//!   ([`RefundSupport::Partial`]); MTN does not say.
//! - **Listing.** MTN has no list, but a payout is found by merchant reference alone (the id is
//!   derived from it), so [`Capabilities::listing`] is true.
//! - **Configuration.** Without `MTN_MOMO_BASE_URL`, [`MtnMomoConfig::from_env`] uses the
//!   sandbox; a sandbox target on the production host (or the reverse) is refused.

mod callback;
mod config;
pub(crate) mod reference_id;
mod token;
mod validate;
pub(crate) mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::ExposeSecret;

pub use self::config::{
    DEFAULT_REFRESH_MARGIN, Environment, LIVE_URL, MtnMomoConfig, PayoutMode, SANDBOX_URL,
    TargetEnvironment, URLS,
};
use self::reference_id::IdKind;
pub use self::validate::MAX_NOTE_CHARS;
use self::wire::{
    ActiveWire, BalanceWire, BasicUserInfoWire, PartyBody, RefundBody, TransferBody, TransferResult,
};
use crate::access_token::{BearerHooks, BearerSource, TokenManager};
use crate::config::CallbackTokens;
use crate::error::{Error, RejectCode};
use crate::http::{Call, HttpClient, Idempotency, PathId, ProviderHooks, credential_header};
use crate::model::found_is_sent;
use crate::model::{
    Balance, Destination, FoundPayout, Payout, PayoutRequest, ProviderId, RecipientCheck,
    Reference, Refund, RefundRequest, Status,
};
use crate::money::{Currency, Money};
use crate::provider::{
    CallbackUrlSupport, Capabilities, PayoutProvider, RefundSupport, WebhookAuth,
};
use crate::raw::RawJson;
use crate::webhook::{EventObject, WebhookError, WebhookEvent, WebhookRequest};

const PROVIDER: ProviderId = ProviderId::MTN_MOMO;
/// The query parameter of the callback URL that carries the callback token.
pub const CALLBACK_TOKEN_PARAM: &str = "disburse_token";
/// The query parameter of the callback URL that says what the token is about (`payout`,
/// `refund`).
pub const CALLBACK_OBJECT_PARAM: &str = "disburse_object";
/// The product key header, on every call.
const SUBSCRIPTION_KEY_HEADER: &str = "ocp-apim-subscription-key";
const TARGET_HEADER: &str = "x-target-environment";
const REFERENCE_ID_HEADER: &str = "x-reference-id";
const CALLBACK_URL_HEADER: &str = "x-callback-url";
const REFUND_PATH: &str = "/disbursement/v2_0/refund";
const REFUND_STATUS_PATH: &str = "/disbursement/v1_0/refund";
const BALANCE_PATH: &str = "/disbursement/v1_0/account/balance";
const ACCOUNT_HOLDER_PATH: &str = "/disbursement/v1_0/accountholder/msisdn";

/// Whether `text` is a version-4-form UUID, as MTN requires of an `X-Reference-Id` (the
/// simulator's check).
#[cfg(feature = "sandbox")]
pub(crate) fn reference_id_is_v4(text: &str) -> bool {
    reference_id::is_v4_form(text)
}

/// The MTN MoMo client. Cheap to clone (an `Arc` inside); usable as `Arc<dyn PayoutProvider>`.
#[derive(Clone)]
pub struct MtnMomoClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    hooks: MtnHooks,
    /// The API user, trimmed: part of every derived reference id.
    api_user: String,
    target: TargetEnvironment,
    currency: Currency,
    payout_mode: PayoutMode,
    callback_host: Option<String>,
    callback: CallbackTokens,
    capabilities: Capabilities,
}

crate::redact::redacted_debug! { MtnMomoClient, |c| {
    base_url: c.inner.http.base_url(), target: c.inner.target, currency: c.inner.currency,
    payout_mode: c.inner.payout_mode, callback_host: c.inner.callback_host,
    tokens: c.inner.hooks.tokens, ..
}}

/// Bearer token (the shared cache), subscription key and target environment on every call;
/// MTN's error bodies.
type MtnHooks = BearerHooks<BearerSource, MtnCalls>;

/// What MTN's calls carry beside the token, and how its errors read.
struct MtnCalls {
    subscription: HeaderValue,
    target: HeaderValue,
}

#[async_trait]
impl ProviderHooks for MtnCalls {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        headers.insert(SUBSCRIPTION_KEY_HEADER, self.subscription.clone());
        headers.insert(TARGET_HEADER, self.target.clone());
        Ok(())
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        wire::map_error(status, body)
    }
}

/// A checked payout or refund, ready to send.
struct Draft<B> {
    reference: Reference,
    reference_id: String,
    money: Money,
    /// The payee's digits (payouts only).
    payee: Option<String>,
    callback_url: Option<String>,
    body: B,
}

impl MtnMomoClient {
    /// A client for `config`. Refuses empty secrets, an API user that is not a UUID, a target
    /// on the wrong host, and a refresh margin of an hour or more.
    pub fn new(config: MtnMomoConfig) -> Result<MtnMomoClient, Error> {
        config.check()?;
        let currency = config.payout_currency();
        let http = config.settings.http_client(PROVIDER, &URLS)?;
        let subscription = credential_header(config.subscription_key.expose_secret().trim())
            .ok_or_else(|| {
                Error::config("mtn_momo: the subscription key cannot be sent in a header")
            })?;
        let target = HeaderValue::from_str(config.target.as_str()).map_err(|e| Error::Config {
            message: "mtn_momo: the target environment cannot be sent in a header".into(),
            source: Some(Box::new(e)),
        })?;
        let tokens = TokenManager::new(
            http.clone(),
            token::source(&config.api_user, &config.api_key, subscription.clone())?,
            config.refresh_margin,
            Arc::clone(&config.settings.clock),
        );
        let capabilities = Capabilities {
            countries: config.target.country().into_iter().collect(),
            currencies: vec![currency],
            mobile_money: true,
            bank_accounts: false,
            refunds: RefundSupport::Partial,
            recipient_validation: true,
            listing: true,
            balance: true,
            idempotent_create: true,
            webhook_auth: WebhookAuth::CallbackUrlToken,
            callback_url: CallbackUrlSupport::Optional,
        };
        Ok(MtnMomoClient {
            inner: Arc::new(Inner {
                http,
                hooks: MtnHooks {
                    tokens,
                    calls: MtnCalls {
                        subscription,
                        target,
                    },
                },
                api_user: config.api_user.expose_secret().trim().to_ascii_lowercase(),
                target: config.target,
                currency,
                payout_mode: config.payout_mode,
                callback_host: config.callback_host.map(|h| h.trim().to_ascii_lowercase()),
                callback: CallbackTokens::new(&config.settings, config.confirm_callbacks),
                capabilities,
            }),
        })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.http.base_url()
    }

    /// The `X-Reference-Id` a payout under `reference` is sent with (and found under).
    pub fn payout_reference_id(&self, reference: &Reference) -> String {
        self.reference_id(IdKind::Payout, reference)
    }

    /// The `X-Reference-Id` a refund under `reference` is sent with.
    pub fn refund_reference_id(&self, reference: &Reference) -> String {
        self.reference_id(IdKind::Refund, reference)
    }

    fn reference_id(&self, kind: IdKind, reference: &Reference) -> String {
        reference_id::derive(
            &self.inner.api_user,
            self.inner.target.as_str(),
            kind,
            reference,
        )
    }

    /// A refund by its id (`GET /disbursement/v1_0/refund/{id}`).
    pub async fn get_refund(&self, id: &str) -> Result<Refund, Error> {
        let id = check_id(id)?;
        let (result, raw) = self.read("get_refund", REFUND_STATUS_PATH, id).await?;
        Ok(self.refund_from(id, None, result, raw))
    }

    /// The refund sent under the merchant reference `reference` (its id is derived from it, as a
    /// payout's is), to reconcile an unknown outcome. `Ok(None)`: MTN never created it.
    pub async fn find_refund(&self, reference: &Reference) -> Result<Option<Refund>, Error> {
        let id = self.refund_reference_id(reference);
        match self.read("find_refund", REFUND_STATUS_PATH, &id).await {
            Ok((result, raw)) => Ok(Some(self.refund_from(&id, None, result, raw))),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The balance in `currency` (`GET …/account/balance/{currency}`), for an account that
    /// holds several.
    pub async fn balance_in(&self, currency: Currency) -> Result<Balance, Error> {
        self.read_balance(Call::get(
            "balance",
            format!("{BALANCE_PATH}/{}", currency.code()),
        ))
        .await
    }

    async fn read_balance(&self, call: Call) -> Result<Balance, Error> {
        let wire = self
            .inner
            .http
            .send_json::<BalanceWire>(&self.inner.hooks, &call)
            .await?;
        let money = balance_money(&wire.value).map_err(|source| Error::Decode {
            provider: PROVIDER,
            status: wire.status.as_u16(),
            snippet: String::new(),
            source: source.into(),
        })?;
        Ok(Balance::new(money))
    }

    /// The callback URL MTN is given for a payout (or refund) under `reference`: `url` with the
    /// callback token appended as [`CALLBACK_TOKEN_PARAM`] (see `callback.rs`).
    pub fn signed_callback_url(
        &self,
        url: &crate::model::CallbackUrl,
        object: EventObject,
        reference: &Reference,
    ) -> Result<String, Error> {
        callback::signed_url(&self.inner.callback.signer, url, object, reference)
    }

    /// Authenticates a callback like [`PayoutProvider::parse_webhook`], then reads the payout (or
    /// refund) from MTN under the id derived from the callback's reference and reports MTN's own
    /// status; a callback whose amount differs from MTN's record, or whose payout MTN does not
    /// know, is refused.
    pub async fn parse_webhook_confirmed(
        &self,
        delivery: &WebhookRequest<'_>,
    ) -> Result<WebhookEvent, Error> {
        let mut event = self.event(delivery)?;
        let reference = event
            .reference
            .as_deref()
            .and_then(|r| Reference::new(r).ok())
            .ok_or_else(|| WebhookError::InvalidBody("externalId is not a reference".into()))?;
        let (status, amount) = match event.object {
            EventObject::Refund => {
                let refund = self.find_refund(&reference).await?.ok_or_else(|| {
                    WebhookError::InvalidBody(format!("MTN has no refund under {reference}"))
                })?;
                (refund.status, refund.amount)
            }
            _ => {
                let payout = self.find_payout(&reference).await?.ok_or_else(|| {
                    WebhookError::InvalidBody(format!("MTN has no payout under {reference}"))
                })?;
                (payout.status, payout.amount)
            }
        };
        if let (Some(claimed), Some(actual)) = (event.amount, amount)
            && claimed != actual
        {
            return Err(WebhookError::InvalidBody(format!(
                "the callback's amount {claimed} differs from MTN's record {actual}"
            ))
            .into());
        }
        event.status = status;
        Ok(event)
    }

    /// An authenticated callback as an event, with the status the body claims.
    fn event(&self, delivery: &WebhookRequest<'_>) -> Result<WebhookEvent, WebhookError> {
        let (object, reference, result, raw) =
            callback::parse(&self.inner.callback.verifier, delivery.url, delivery.body)?;
        let id = match object {
            EventObject::Refund => self.refund_reference_id(&reference),
            _ => self.payout_reference_id(&reference),
        };
        Ok(WebhookEvent {
            provider: PROVIDER,
            event_id: None,
            object,
            provider_reference: Some(id),
            amount: result.money(self.inner.currency),
            status: result.status(),
            reference: Some(reference.as_str().to_owned()),
            raw,
        })
    }

    /// The callback URL sent with a payout or refund: the request's, on the registered host,
    /// with the callback token.
    fn callback_url(
        &self,
        url: Option<&crate::model::CallbackUrl>,
        object: EventObject,
        reference: &Reference,
    ) -> Result<Option<String>, Error> {
        let Some(url) = url else { return Ok(None) };
        if let Some(host) = &self.inner.callback_host {
            let actual = url.as_url().host_str().unwrap_or("").to_ascii_lowercase();
            if &actual != host {
                return Err(Error::invalid(
                    "callback_url",
                    format!(
                        "MTN MoMo calls back only the registered host {host:?}, got {actual:?}"
                    ),
                ));
            }
        }
        self.signed_callback_url(url, object, reference).map(Some)
    }

    fn prepare_payout(&self, request: &PayoutRequest) -> Result<Draft<TransferBody>, Error> {
        let amount = validate::amount(&request.amount, self.inner.currency)?;
        let payee = validate::payee_msisdn(&request.destination, &self.inner.target)?;
        let text = match &request.narration {
            Some(narration) => validate::note("narration", narration)?,
            None => request.reference.as_str().to_owned(),
        };
        let callback_url = self.callback_url(
            request.callback_url.as_ref(),
            EventObject::Payout,
            &request.reference,
        )?;
        Ok(Draft {
            reference: request.reference.clone(),
            reference_id: self.payout_reference_id(&request.reference),
            money: request.amount,
            payee: Some(payee.clone()),
            callback_url,
            body: TransferBody {
                amount,
                currency: self.inner.currency,
                external_id: request.reference.as_str().to_owned(),
                payee: PartyBody {
                    party_id_type: "MSISDN",
                    party_id: payee,
                },
                payer_message: text.clone(),
                payee_note: text,
            },
        })
    }

    fn prepare_refund(&self, request: &RefundRequest) -> Result<Draft<RefundBody>, Error> {
        let amount = validate::amount(&request.amount, self.inner.currency)?;
        let original = request.payment_reference.trim();
        if !reference_id::is_uuid(original) {
            return Err(Error::invalid(
                "payment_reference",
                "must be the reference id (a UUID) of the MTN MoMo request-to-pay to refund",
            ));
        }
        let text = match &request.reason {
            Some(reason) => validate::note("reason", reason)?,
            None => request.reference.as_str().to_owned(),
        };
        let callback_url = self.callback_url(
            request.callback_url.as_ref(),
            EventObject::Refund,
            &request.reference,
        )?;
        Ok(Draft {
            reference: request.reference.clone(),
            reference_id: self.refund_reference_id(&request.reference),
            money: request.amount,
            payee: None,
            callback_url,
            body: RefundBody {
                amount,
                currency: self.inner.currency,
                external_id: request.reference.as_str().to_owned(),
                payer_message: text.clone(),
                payee_note: text,
                reference_id_to_refund: original.to_ascii_lowercase(),
            },
        })
    }

    /// POSTs a draft; `Ok(())` on 202. A 409 (also behind an outcome-unknown) is returned as is
    /// for the caller to resolve.
    async fn post<B: serde::Serialize>(
        &self,
        operation: &'static str,
        path: &'static str,
        draft: &Draft<B>,
    ) -> Result<(), Error> {
        let mut call = Call::post_json(
            operation,
            path,
            &draft.body,
            Idempotency::KeyedRejectsDuplicate,
        )?
        .header(REFERENCE_ID_HEADER, &draft.reference_id)?
        .reference(&draft.reference);
        if let Some(url) = &draft.callback_url {
            call = call.header(CALLBACK_URL_HEADER, url)?;
        }
        self.inner.http.send(&self.inner.hooks, &call).await?;
        Ok(())
    }

    /// Reads a transfer, deposit or refund by id.
    async fn read(
        &self,
        operation: &'static str,
        base: &str,
        id: &str,
    ) -> Result<(TransferResult, RawJson), Error> {
        let call = Call::get(operation, format!("{base}/{id}"));
        let decoded = self
            .inner
            .http
            .send_json::<TransferResult>(&self.inner.hooks, &call)
            .await?;
        Ok((decoded.value, decoded.raw))
    }

    /// After a 409: the record MTN holds under the draft's id (as a payout record, whatever it
    /// is), when it is this request by the shared decision ([`found_is_sent`]: same amount, and
    /// for a payout the same payee); otherwise the 409 stands.
    async fn resolve_existing<B>(
        &self,
        operation: &'static str,
        base: &str,
        draft: &Draft<B>,
        rejection: Error,
    ) -> Result<Payout, Error> {
        let found = match self.read(operation, base, &draft.reference_id).await {
            Ok((result, raw)) => self.payout_from(&draft.reference_id, result, raw),
            Err(lookup) => {
                tracing::warn!(
                    reference = draft.reference.as_str(),
                    http_status = lookup.http_status(),
                    "409 for the reference id, and the existing record could not be read"
                );
                return Err(rejection);
            }
        };
        let recipient = draft.payee.as_deref().map(|payee| payee_is(&found, payee));
        match found_is_sent(&draft.money, &found, recipient) {
            FoundPayout::Same => {
                tracing::info!(
                    reference = draft.reference.as_str(),
                    "409 resolved to the existing identical record"
                );
                Ok(found)
            }
            judged => {
                tracing::warn!(
                    reference = draft.reference.as_str(),
                    judged = ?judged,
                    "409: MTN holds another record under this reference, or one it cannot judge"
                );
                Err(rejection)
            }
        }
    }

    fn payout_from(&self, id: &str, result: TransferResult, raw: RawJson) -> Payout {
        Payout {
            provider: PROVIDER,
            id: id.to_owned(),
            provider_reference: result.financial_transaction_id.clone(),
            reference: result
                .external_id
                .as_deref()
                .and_then(|r| Reference::new(r.trim()).ok()),
            amount: result.money(self.inner.currency),
            status: result.status(),
            created_at: None,
            raw,
        }
    }

    fn refund_from(
        &self,
        id: &str,
        original: Option<&str>,
        result: TransferResult,
        raw: RawJson,
    ) -> Refund {
        refund_of(self.payout_from(id, result, raw), original)
    }
}

/// A refund's record read as a payout's (the same body), as a refund. MTN's refund body does not
/// echo `referenceIdToRefund`: `original` is what the caller knows of it.
fn refund_of(record: Payout, original: Option<&str>) -> Refund {
    Refund {
        provider: PROVIDER,
        id: record.id,
        reference: record.reference,
        payment_reference: original.map(str::to_owned),
        amount: record.amount,
        status: record.status,
        created_at: record.created_at,
        raw: record.raw,
    }
}

/// Whether the `payee.partyId` of MTN's record is `digits` (a `+` tolerated); a record without
/// a readable payee matches nothing, so a 409 is never adopted on the amount alone.
fn payee_is(found: &Payout, digits: &str) -> bool {
    let raw = found.raw.to_value().unwrap_or_default();
    let party = raw.get("payee").and_then(|p| p.get("partyId"));
    let text = match party {
        Some(serde_json::Value::String(s)) => s.trim().trim_start_matches('+').to_owned(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => return false,
    };
    text == digits
}

/// Whether MTN said the reference id exists: as the answer, or as the last answer behind an
/// [`Error::OutcomeUnknown`] (an earlier attempt timed out, the re-send met what it created).
fn already_exists(error: &Error) -> bool {
    error.last_answer().reject_code() == Some(&RejectCode::DuplicateReference)
}

fn is_not_found(error: &Error) -> bool {
    matches!(
        error,
        Error::Rejected {
            status: 404,
            code: RejectCode::NotFound,
            ..
        }
    )
}

fn balance_money(wire: &BalanceWire) -> Result<Money, String> {
    let currency = wire
        .currency
        .trim()
        .parse::<Currency>()
        .map_err(|e| format!("balance currency: {e}"))?;
    Money::parse(wire.available_balance.trim(), currency)
        .map_err(|e| format!("availableBalance: {e}"))
}

/// An id as a path segment: a UUID, as every MTN resource id is.
fn check_id(id: &str) -> Result<&str, Error> {
    const REFERENCE_ID: PathId = PathId {
        what: "an MTN MoMo reference id (a UUID, 8-4-4-4-12 hexadecimal digits)",
        max_len: 36,
        trim: true,
        allowed: |c| c.is_ascii_hexdigit() || c == '-',
    };
    let id = REFERENCE_ID.check(id)?;
    if reference_id::is_uuid(id) {
        Ok(id)
    } else {
        Err(Error::invalid(
            "id",
            format!("must be {}", REFERENCE_ID.what),
        ))
    }
}

#[async_trait]
impl PayoutProvider for MtnMomoClient {
    crate::provider::identity!(PROVIDER);

    /// The record's `payee.partyId` against the wallet's digits.
    fn recipient_matches(&self, destination: &Destination, found: &Payout) -> Option<bool> {
        match destination {
            Destination::MobileWallet { msisdn, .. } => Some(payee_is(found, msisdn.digits())),
            _ => Some(false),
        }
    }

    async fn create_payout(&self, request: &PayoutRequest) -> Result<Payout, Error> {
        let draft = self.prepare_payout(request)?;
        let mode = self.inner.payout_mode;
        match self.post("create_payout", mode.create_path(), &draft).await {
            Ok(()) => {
                let mut payout = Payout::new(PROVIDER, draft.reference_id, Status::Pending);
                payout.reference = Some(draft.reference);
                payout.amount = Some(draft.money);
                Ok(payout)
            }
            Err(e) if already_exists(&e) => {
                self.resolve_existing("create_payout", mode.status_path(), &draft, e)
                    .await
            }
            Err(e) => Err(e),
        }
    }

    async fn get_payout(&self, id: &str) -> Result<Payout, Error> {
        let id = check_id(id)?;
        let (result, raw) = self
            .read("get_payout", self.inner.payout_mode.status_path(), id)
            .await?;
        Ok(self.payout_from(id, result, raw))
    }

    async fn find_payout(&self, reference: &Reference) -> Result<Option<Payout>, Error> {
        let id = self.payout_reference_id(reference);
        match self
            .read("find_payout", self.inner.payout_mode.status_path(), &id)
            .await
        {
            Ok((result, raw)) => Ok(Some(self.payout_from(&id, result, raw))),
            Err(e) if is_not_found(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A refund of a Collection request-to-pay (`referenceIdToRefund` is the request's
    /// [`RefundRequest::payment_reference`]); the destination is not sent (MTN takes the payee
    /// from the original).
    async fn create_refund(&self, request: &RefundRequest) -> Result<Refund, Error> {
        let draft = self.prepare_refund(request)?;
        let original = draft.body.reference_id_to_refund.clone();
        match self.post("create_refund", REFUND_PATH, &draft).await {
            Ok(()) => {
                let mut refund = Refund::new(PROVIDER, draft.reference_id, Status::Pending);
                refund.reference = Some(draft.reference);
                refund.payment_reference = Some(original);
                refund.amount = Some(draft.money);
                Ok(refund)
            }
            Err(e) if already_exists(&e) => {
                let found = self
                    .resolve_existing("create_refund", REFUND_STATUS_PATH, &draft, e)
                    .await?;
                Ok(refund_of(found, Some(&original)))
            }
            Err(e) => Err(e),
        }
    }

    /// Authenticates the callback token and reports the status the body claims; with
    /// [`MtnMomoConfig::confirm_callbacks`] on, refuses (use
    /// [`MtnMomoClient::parse_webhook_confirmed`]).
    fn parse_webhook(&self, delivery: &WebhookRequest<'_>) -> Result<WebhookEvent, Error> {
        self.inner.callback.refuse_unconfirmed(
            PROVIDER,
            "parse_webhook without confirmation (confirm_callbacks is on: use \
             MtnMomoClient::parse_webhook_confirmed)",
        )?;
        Ok(self.event(delivery)?)
    }

    /// `…/accountholder/msisdn/{msisdn}/active`; for an active holder, the name from
    /// `…/basicuserinfo` where MTN gives it. A 404 is "not valid".
    async fn validate_recipient(&self, destination: &Destination) -> Result<RecipientCheck, Error> {
        let msisdn = validate::payee_msisdn(destination, &self.inner.target)?;
        let call = Call::get(
            "validate_recipient",
            format!("{ACCOUNT_HOLDER_PATH}/{msisdn}/active"),
        );
        let active = match self
            .inner
            .http
            .send_json::<ActiveWire>(&self.inner.hooks, &call)
            .await
        {
            Ok(decoded) => decoded,
            Err(e) if is_not_found(&e) => return Ok(RecipientCheck::new(false, RawJson::empty())),
            Err(e) => return Err(e),
        };
        let mut check = RecipientCheck::new(active.value.result, active.raw);
        if active.value.result {
            let call = Call::get(
                "validate_recipient",
                format!("{ACCOUNT_HOLDER_PATH}/{msisdn}/basicuserinfo"),
            );
            match self
                .inner
                .http
                .send_json::<BasicUserInfoWire>(&self.inner.hooks, &call)
                .await
            {
                Ok(info) => {
                    check.name = info.value.full_name();
                    check.account_status = info.value.status.clone();
                }
                // The name is a courtesy: the holder is active whatever this answer.
                Err(e) => tracing::info!(
                    http_status = e.http_status(),
                    "basic user info unavailable; the check stands without a name"
                ),
            }
        }
        Ok(check)
    }

    async fn balance(&self) -> Result<Balance, Error> {
        self.read_balance(Call::get("balance", BALANCE_PATH)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;
    use std::collections::HashMap;

    const USER: &str = "0c8a8e3a-5b6f-4f0e-9d43-1b2c3d4e5f60";

    fn config() -> MtnMomoConfig {
        MtnMomoConfig::new(
            SecretString::from("sub-key"),
            SecretString::from(USER),
            SecretString::from("api-key"),
            SecretString::from("cb-secret"),
        )
    }

    #[test]
    fn debug_of_the_config_redacts_every_secret() {
        let shown = format!("{:?}", config());
        for secret in ["sub-key", USER, "api-key", "cb-secret"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        assert_eq!(
            shown,
            "MtnMomoConfig { subscription_key: ** redacted **, api_user: ** redacted **, \
             api_key: ** redacted **, target: Sandbox, currency: None, settings: ClientSettings { \
             environment: Sandbox, http: HttpConfig { connect_timeout: 10s, timeout: 30s, retry: \
             RetryPolicy { max_attempts: 3, initial_backoff: 200ms, max_backoff: 5s, \
             max_retry_after: 30s } }, http_client: None, webhook_secret: ** redacted **, \
             previous_webhook_secrets: [0 redacted], clock: SystemClock, strict_callback_url: false }, callback_host: None, \
             payout_mode: Transfer, refresh_margin: 600s, confirm_callbacks: false }"
        );
    }

    #[test]
    fn config_reads_the_environment_variables() {
        let vars: HashMap<&str, &str> = [
            ("MTN_MOMO_SUBSCRIPTION_KEY", "sub"),
            ("MTN_MOMO_API_USER", USER),
            ("MTN_MOMO_API_KEY", "key"),
            ("MTN_MOMO_CALLBACK_SECRET", "cb"),
            ("MTN_MOMO_TARGET_ENVIRONMENT", "mtnuganda"),
            ("MTN_MOMO_BASE_URL", "production"),
            ("MTN_MOMO_CALLBACK_HOST", "hooks.shop.example"),
            ("MTN_MOMO_PAYOUT_MODE", "deposit-v2"),
        ]
        .into_iter()
        .collect();
        let lookup = crate::config::lookup_in;
        let config = MtnMomoConfig::from_lookup(lookup(vars.clone())).unwrap();
        assert_eq!(config.subscription_key.expose_secret(), "sub");
        assert_eq!(config.api_user.expose_secret(), USER);
        assert_eq!(config.target, TargetEnvironment::Uganda);
        assert_eq!(config.payout_currency(), Currency::UGX);
        assert_eq!(config.settings.environment, Environment::Live);
        assert_eq!(config.callback_host.as_deref(), Some("hooks.shop.example"));
        assert_eq!(config.payout_mode, PayoutMode::DepositV2);
        assert!(MtnMomoClient::new(config).is_ok());

        let mut rwanda = vars.clone();
        rwanda.insert("MTN_MOMO_TARGET_ENVIRONMENT", "mtnrwanda");
        assert!(matches!(
            MtnMomoConfig::from_lookup(lookup(rwanda.clone())),
            Err(Error::Config { .. })
        ));
        rwanda.insert("MTN_MOMO_CURRENCY", "RWF");
        let config = MtnMomoConfig::from_lookup(lookup(rwanda)).unwrap();
        assert_eq!(
            config.target,
            TargetEnvironment::Other {
                name: "mtnrwanda".into(),
                currency: Currency::RWF
            }
        );

        let mut defaults = vars.clone();
        for name in [
            "MTN_MOMO_TARGET_ENVIRONMENT",
            "MTN_MOMO_BASE_URL",
            "MTN_MOMO_CALLBACK_HOST",
            "MTN_MOMO_PAYOUT_MODE",
        ] {
            defaults.remove(name);
        }
        let config = MtnMomoConfig::from_lookup(lookup(defaults)).unwrap();
        assert_eq!(config.target, TargetEnvironment::Sandbox);
        assert_eq!(config.payout_currency(), Currency::EUR);
        assert_eq!(config.settings.environment, Environment::Sandbox);
        assert_eq!(config.payout_mode, PayoutMode::Transfer);

        let mut missing = vars;
        missing.remove("MTN_MOMO_API_KEY");
        match MtnMomoConfig::from_lookup(lookup(missing)) {
            Err(Error::Config { message, .. }) => {
                assert_eq!(message, "environment variable MTN_MOMO_API_KEY is not set")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bad_configurations_are_refused() {
        let not_uuid = MtnMomoConfig::new(
            SecretString::from("sub"),
            SecretString::from("user"),
            SecretString::from("key"),
            SecretString::from("cb"),
        );
        let live_sandbox = config().with_environment(Environment::Live);
        let sandbox_uganda = config().with_target(TargetEnvironment::Uganda);
        let mut empty = config();
        empty.api_key = SecretString::from(" ");
        for bad in [not_uuid, live_sandbox, sandbox_uganda, empty] {
            assert!(matches!(MtnMomoClient::new(bad), Err(Error::Config { .. })));
        }
    }

    #[test]
    fn client_is_send_sync_and_a_dyn_provider() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<MtnMomoClient>();
        assert_send_sync::<MtnMomoConfig>();
        let provider: Arc<dyn PayoutProvider> = Arc::new(MtnMomoClient::new(config()).unwrap());
        assert_eq!(provider.id(), ProviderId::MTN_MOMO);
        assert_eq!(provider.capabilities().currencies, vec![Currency::EUR]);
    }
}
