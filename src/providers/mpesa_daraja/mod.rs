//! # Safaricom M-Pesa B2C, directly through the Daraja API (Kenya, KES)
//!
//! For merchants that hold their own B2C shortcode: payouts to M-Pesa wallets without an
//! aggregator such as JPay.
//!
//! ## The API in brief
//!
//! | what | call |
//! |---|---|
//! | token | `GET /oauth/v1/generate?grant_type=client_credentials`, Basic auth (consumer key and secret) → `{access_token, expires_in}` |
//! | payout | `POST /mpesa/b2c/v3/paymentrequest` `{OriginatorConversationID, InitiatorName, SecurityCredential, CommandID, Amount, PartyA, PartyB, Remarks, QueueTimeOutURL, ResultURL, Occassion}` → `{ConversationID, OriginatorConversationID, ResponseCode: "0", ResponseDescription}` |
//! | status | `POST /mpesa/transactionstatus/v1/query` → acknowledgement; the answer arrives at its `ResultURL` |
//! | balance | `POST /mpesa/accountbalance/v1/query` → acknowledgement; the answer arrives at its `ResultURL` |
//! | result | Daraja POSTs `{Result: {ResultType, ResultCode, ResultDesc, OriginatorConversationID, ConversationID, TransactionID, ResultParameters, ReferenceData}}` to the `ResultURL`, unsigned |
//!
//! Every call but the token carries `Authorization: Bearer <token>`. Errors are
//! `{requestId, errorCode, errorMessage}`. Sandbox `https://sandbox.safaricom.co.ke`, production
//! `https://api.safaricom.co.ke` ([`Environment`]).
//!
//! ## How the adapter sends a payout
//!
//! 1. Everything is validated before anything is sent: KES in **whole shillings** (a decimal
//!    amount is refused, never rounded), 1–150,000; a Kenyan Safaricom number, sent as `PartyB`
//!    `2547XXXXXXXX`; `Remarks` (the narration, else [`DarajaConfig::default_remarks`]) 2–100
//!    characters; `Occassion` (metadata `occasion`) 1–100.
//! 2. `OriginatorConversationID` = `{shortcode}_{reference}` (the documented sample's form): the
//!    same reference always gives the same id, so a payout re-sent after a crash or an unknown
//!    outcome is refused by Daraja as a duplicate (`500.002.1001`) instead of paying twice.
//! 3. The `ResultURL` and `QueueTimeOutURL` carry a per-payout token (`callback.rs`).
//! 4. The POST is [`Idempotency::Keyed`] (Daraja deduplicates on the id): the core re-sends the
//!    identical bytes after a timeout or a 5xx, and renews the token once after a refusal
//!    (`404.001.03` and its siblings, [`ProviderHooks::credentials_rejected`]).
//! 5. `ResponseCode "0"` means *accepted*, not paid: the payout is [`Status::Pending`], its id the
//!    `OriginatorConversationID`. The outcome arrives by callback.
//! 6. A duplicate refusal (directly, or behind an [`Error::OutcomeUnknown`] whose retry met it) is
//!    resolved by [`PayoutProvider::find_payout`]: the original is returned when its amount (where
//!    Daraja reports it) is the request's; otherwise the refusal stands.
//!
//! ## Results, reconciliation and balance: all by callback
//!
//! The merchant's endpoint hands every delivery to [`PayoutProvider::parse_webhook`], which
//! authenticates it, reads it, and records it in the client's result book (`results.rs`).
//! [`PayoutProvider::find_payout`] answers from the book when the payout's result arrived;
//! otherwise it sends a Transaction Status query (`OriginalConversationID` = the payout's id) and
//! waits up to [`DarajaConfig::result_wait`] for its callback (or the payout's own). No answer in
//! time is [`Error::OutcomeUnknown`] (operation `find_payout`): ask again later.
//! [`PayoutProvider::balance`] works the same way with an Account Balance query.
//! [`PayoutProvider::await_final`] (the shared one) polls `get_payout`, which is `find_payout` by
//! the id, so it wakes on the result callback as soon as it is recorded.
//!
//! ## Decisions on what Daraja does not document
//!
//! 1. **Endpoint version.** v3 (`/mpesa/b2c/v3/paymentrequest`), the only one with a
//!    caller-supplied id: v1 has no idempotency at all.
//! 2. **Occasion spelling.** v3's table and sample spell the key `Occassion` (sic); it is sent
//!    so, and only when given (it is optional). The v1 spelling `Occasion` is used on the
//!    Transaction Status query, whose page spells it so.
//! 3. **Amount on the wire.** A numeric JSON string of whole shillings (`"10"`), as the official
//!    sample writes it; `PartyA`/`PartyB` likewise strings.
//! 4. **Amount limits.** 1–150,000 KES is checked before sending (the per-transaction ceiling
//!    of M-Pesa; Safaricom's B2C minimum is not published and arrives as result code 2).
//! 5. **`expires_in`.** Read as a number or a numeric string.
//! 6. **Token refusal.** Daraja's pages give three codes for "Invalid Access Token"
//!    (`404.001.03`, `401.002.01`, `400.003.01`): any of them, or a 401, renews once and
//!    repeats once.
//! 7. **Result codes.** Every documented code is in `result_code.rs`. `15` (duplicate detected)
//!    and any undocumented code read as [`Status::Unknown`], never as a failure: the original
//!    under the same id may have paid. `ResultType 1` (more messages follow) is pending.
//! 8. **Callbacks are unsigned.** Each `ResultURL`/`QueueTimeOutURL` carries `disburse_ref`,
//!    `disburse_for` and `disburse_token` = hex(HMAC-SHA256(callback secret, `"{for}:{ref}"`)).
//!    A missing or wrong token, a result whose `OriginatorConversationID` is another payout's, or
//!    a different final result for a payout whose result is recorded (a replay or a forgery), is
//!    refused. Merchants should also accept callbacks only from Safaricom's addresses (a list
//!    circulates, e.g. `196.201.214.200`, `.206`–`.208`, `196.201.213.114`, `196.201.213.44`,
//!    `196.201.212.127`, `.129`, `.136`, `.138`, `.69`, `.74`; Safaricom publishes none
//!    officially, so it is not enforced here) and answer `200` with
//!    `{"ResultCode":0,"ResultDesc":"Accepted"}` promptly.
//! 9. **Queue timeouts.** Their payload is not documented: any authenticated POST to a
//!    `QueueTimeOutURL` is an event with [`Status::Unknown`] for the payout (reconcile with
//!    `find_payout`), whatever its body.
//! 10. **Transaction Status answers.** `ResultCode 0` with `TransactionStatus` `Completed` is paid;
//!     `Declined`/`Cancelled`/`Expired` failed ([`FailureReason::Declined`](crate::FailureReason::Declined)); other words pending.
//!     A non-zero `ResultCode` is read as "no such transaction" (`find_payout` → `Ok(None)`): no
//!     code for it is documented. Re-sending after it is safe: the same id is refused as a
//!     duplicate if the original exists after all.
//! 11. **Refunds.** Daraja's Reversal is documented for payments *into* a paybill; whether it
//!     reverses a B2C payout is not: `create_refund` is [`Error::Unsupported`].
//! 12. **Certificates.** Safaricom's sandbox and production certificates (as the portal and the
//!     SDKs ship them; expired, still the ones in use) are bundled and chosen by environment (the
//!     sandbox one for a custom base URL); [`DarajaConfig::with_certificate_pem`] overrides them.
//! 13. **Balance.** The Utility Account's available funds are the payout balance (B2C pays from
//!     it); the total is the sum of every account's available funds.

mod callback;
mod config;
pub mod credential;
mod result_code;
mod results;
mod token;
mod validate;
mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::{ExposeSecret, SecretString};

pub use self::callback::{FOR_PARAM, REF_PARAM, TOKEN_PARAM};
pub use self::config::{
    CommandId, DEFAULT_REFRESH_MARGIN, DEFAULT_REMARKS, DEFAULT_RESULT_WAIT, DarajaConfig,
    DarajaCredentials, LIVE_URL, SANDBOX_URL, URLS,
};
pub use self::validate::{
    MAX_AMOUNT, MIN_AMOUNT, OCCASION_CHARS, OCCASION_METADATA_KEY, REMARKS_CHARS,
};

use self::callback::Purpose;
use self::results::{Entry, Key, ResultBook};
use self::wire::{Ack, B2cRequest, BalanceQuery, StatusQuery};
use crate::access_token::{BearerHooks, BearerSource, TokenManager};
pub use crate::config::Environment;
use crate::error::{Error, RejectCode};
use crate::http::{AnswerCheck, Call, HttpClient, Idempotency, PathId, ProviderHooks};
use crate::model::{Balance, Payout, PayoutRequest, ProviderId, Reference, Status};
use crate::model::{FoundPayout, found_is_sent};
use crate::money::Currency;
use crate::phone::Country;
use crate::provider::{
    CallbackUrlSupport, Capabilities, PayoutProvider, RefundSupport, WebhookAuth,
};
use crate::webhook::{HmacSigner, HmacVerifier, WebhookEvent, WebhookRequest};

pub(crate) const PROVIDER: ProviderId = ProviderId::MPESA_DARAJA;
/// The B2C path.
pub const PAYOUT_PATH: &str = "/mpesa/b2c/v3/paymentrequest";
/// The Transaction Status path.
pub const STATUS_PATH: &str = "/mpesa/transactionstatus/v1/query";
/// The Account Balance path.
pub const BALANCE_PATH: &str = "/mpesa/accountbalance/v1/query";
/// The token path.
pub const TOKEN_PATH: &str = token::TOKEN_PATH;

/// The Daraja client. Cheap to clone (an `Arc` inside); usable as `Arc<dyn PayoutProvider>`.
#[derive(Clone)]
pub struct DarajaClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: HttpClient,
    hooks: DarajaHooks,
    shortcode: String,
    initiator_name: String,
    security_credential: SecretString,
    command_id: CommandId,
    result_url: crate::model::CallbackUrl,
    timeout_url: crate::model::CallbackUrl,
    signer: HmacSigner,
    verifier: HmacVerifier,
    default_remarks: String,
    result_wait: std::time::Duration,
    book: ResultBook,
    capabilities: Capabilities,
}

crate::redact::redacted_debug! { DarajaClient, |c| {
    base_url: c.inner.http.base_url(), shortcode: c.inner.shortcode,
    initiator_name: c.inner.initiator_name, command_id: c.inner.command_id,
    tokens: c.inner.hooks.tokens, ..
}}

/// Bearer auth from the shared token cache; Daraja's error bodies, token refusals and answers.
type DarajaHooks = BearerHooks<BearerSource, DarajaCalls>;

/// How Daraja's calls read: its error bodies, its token refusals, its acknowledgements.
struct DarajaCalls;

#[async_trait]
impl ProviderHooks for DarajaCalls {
    async fn authorize(&self, _headers: &mut HeaderMap) -> Result<(), Error> {
        Ok(())
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        wire::map_error(status, body)
    }

    fn credentials_rejected(&self, status: StatusCode, body: &[u8]) -> bool {
        wire::token_refused(status, body)
    }

    /// B2C, Transaction Status and Account Balance acknowledge with `ResponseCode "0"`; another
    /// code is a refusal, an unreadable body outcome-unknown for a payout (the shared rule).
    fn check_answer(&self, status: StatusCode, body: &[u8]) -> AnswerCheck {
        match crate::http::decode_json::<Ack>(PROVIDER, status.as_u16(), body) {
            Err(decode) => AnswerCheck::Unreadable(decode),
            Ok((ack, _)) if ack.response_code.as_str() == "0" => AnswerCheck::Accepted,
            Ok((ack, _)) => AnswerCheck::Refused {
                code: status.as_u16(),
                error: Error::Rejected {
                    provider: PROVIDER,
                    status: status.as_u16(),
                    code: RejectCode::Other,
                    provider_code: Some(ack.response_code.as_str().to_owned()),
                    message: ack.response_description.unwrap_or_default(),
                    param: None,
                },
            },
        }
    }
}

impl DarajaClient {
    /// A client for `config`. Refuses empty secrets, a shortcode that is not 5–9 digits, default
    /// remarks outside 2–100 characters, and a certificate that gives no RSA key.
    pub fn new(config: DarajaConfig) -> Result<DarajaClient, Error> {
        crate::config::check_secrets! {
            config, "mpesa_daraja": consumer_key, consumer_secret, initiator_password
        }?;
        if config.initiator_name.trim().is_empty() {
            return Err(Error::config("mpesa_daraja: initiator_name is empty"));
        }
        validate::check_shortcode(&config.shortcode)?;
        validate::check_length("default_remarks", &config.default_remarks, REMARKS_CHARS)
            .map_err(|e| Error::config(format!("mpesa_daraja: {e}")))?;
        let key = credential::public_key(config.certificate())?;
        let security_credential =
            credential::security_credential(&key, &config.initiator_password)?;
        let http = config.settings.http_client(PROVIDER, &URLS)?;
        let verifier = config.settings.webhook_verifier();
        let signer = HmacSigner::new(&config.settings.webhook_secret);
        let tokens = TokenManager::new(
            http.clone(),
            token::source(&config.consumer_key, &config.consumer_secret)?,
            config.refresh_margin,
            config.settings.clock,
        );
        Ok(DarajaClient {
            inner: Arc::new(Inner {
                http,
                hooks: DarajaHooks {
                    tokens,
                    calls: DarajaCalls,
                },
                shortcode: config.shortcode,
                initiator_name: config.initiator_name,
                security_credential,
                command_id: config.command_id,
                result_url: config.result_url,
                timeout_url: config.timeout_url,
                signer,
                verifier,
                default_remarks: config.default_remarks,
                result_wait: config.result_wait,
                book: ResultBook::default(),
                capabilities: Capabilities {
                    countries: vec![Country::Kenya],
                    currencies: vec![Currency::KES],
                    mobile_money: true,
                    bank_accounts: false,
                    refunds: RefundSupport::None,
                    recipient_validation: false,
                    listing: false,
                    balance: true,
                    idempotent_create: true,
                    webhook_auth: WebhookAuth::CallbackUrlToken,
                    callback_url: CallbackUrlSupport::Optional,
                },
            }),
        })
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        self.inner.http.base_url()
    }

    /// The `OriginatorConversationID` of the payout under `reference` (its [`Payout::id`]).
    pub fn payout_id(&self, reference: &Reference) -> String {
        validate::originator_conversation_id(&self.inner.shortcode, reference)
    }

    /// The B2C request body of a payout, checked: what [`PayoutProvider::create_payout`] sends.
    fn payout_call(&self, request: &PayoutRequest) -> Result<Call, Error> {
        let checked = validate::check_payout(request, &self.inner.default_remarks)?;
        let id = self.payout_id(&request.reference);
        let result_base = request
            .callback_url
            .as_ref()
            .unwrap_or(&self.inner.result_url);
        let (result_url, timeout_url) = callback::urls(
            &self.inner.signer,
            result_base,
            &self.inner.timeout_url,
            Purpose::Payout,
            request.reference.as_str(),
        )?;
        let body = B2cRequest {
            originator_conversation_id: &id,
            initiator_name: &self.inner.initiator_name,
            security_credential: self.inner.security_credential.expose_secret(),
            command_id: self.inner.command_id.as_str(),
            amount: checked.amount.to_string(),
            party_a: &self.inner.shortcode,
            party_b: checked.party_b,
            remarks: &checked.remarks,
            queue_timeout_url: timeout_url,
            result_url,
            occasion: checked.occasion.as_deref(),
        };
        Ok(
            Call::post_json("create_payout", PAYOUT_PATH, &body, Idempotency::Keyed)?
                .reference(&request.reference),
        )
    }

    /// Sends a Transaction Status query about the payout under `reference`.
    async fn query_status(&self, reference: &Reference) -> Result<(), Error> {
        let id = self.payout_id(reference);
        let (result_url, timeout_url) = callback::urls(
            &self.inner.signer,
            &self.inner.result_url,
            &self.inner.timeout_url,
            Purpose::Status,
            reference.as_str(),
        )?;
        let body = StatusQuery {
            initiator: &self.inner.initiator_name,
            security_credential: self.inner.security_credential.expose_secret(),
            command_id: "TransactionStatusQuery",
            original_conversation_id: &id,
            party_a: &self.inner.shortcode,
            identifier_type: "4",
            result_url,
            queue_timeout_url: timeout_url,
            remarks: "Status of a payout",
            occasion: reference.as_str(),
        };
        // A query moves no money: a read for the retry policy.
        let call = Call::post_json("find_payout", STATUS_PATH, &body, Idempotency::Read)?
            .reference(reference);
        self.acknowledged(&call).await.map(|_| ())
    }

    /// Sends `call` and reads Daraja's acknowledgement: `ResponseCode "0"` or a refusal.
    async fn acknowledged(&self, call: &Call) -> Result<Ack, Error> {
        let reply = self.inner.http.send(&self.inner.hooks, call).await?;
        ack_answer(call, reply.status, &reply.body)
    }

    /// The payout under `reference` when its final result is recorded.
    fn recorded(&self, reference: &Reference) -> Option<Payout> {
        let entry = self
            .inner
            .book
            .get(&Key::Payout(reference.as_str().to_owned()))?;
        entry
            .status
            .is_final()
            .then(|| self.payout_from(reference, &entry))
    }

    fn payout_from(&self, reference: &Reference, entry: &Entry) -> Payout {
        let mut payout = Payout::new(PROVIDER, self.payout_id(reference), entry.status.clone());
        payout.provider_reference = entry.transaction_id.clone();
        payout.reference = Some(reference.clone());
        payout.amount = entry.amount;
        payout.raw = entry.raw.clone();
        payout
    }

    /// Resolves a duplicate refusal of `request` to the original payout, when it is this one.
    async fn resolve_duplicate(
        &self,
        request: &PayoutRequest,
        rejection: Error,
    ) -> Result<Payout, Error> {
        match self.find(&request.reference).await {
            // Daraja's status answer carries the amount; an answer without one cannot be
            // judged, and the refusal stands.
            Ok(Some(original))
                if found_is_sent(&request.amount, &original, None) == FoundPayout::Same =>
            {
                tracing::info!(
                    reference = request.reference.as_str(),
                    status = original.status.word(),
                    "duplicate OriginatorConversationID resolved to the original payout"
                );
                Ok(original)
            }
            Ok(_) => Err(rejection),
            Err(lookup) => {
                tracing::warn!(
                    reference = request.reference.as_str(),
                    retryable = lookup.is_retryable(),
                    "duplicate OriginatorConversationID: the original could not be looked up"
                );
                Err(rejection)
            }
        }
    }

    /// `find_payout`: the book, else a status query answered by callback.
    async fn find(&self, reference: &Reference) -> Result<Option<Payout>, Error> {
        if let Some(known) = self.recorded(reference) {
            return Ok(Some(known));
        }
        let status_key = Key::Status(reference.as_str().to_owned());
        let payout_key = Key::Payout(reference.as_str().to_owned());
        self.inner.book.forget(&status_key);
        self.query_status(reference).await?;
        let answer = self
            .inner
            .book
            .wait_for(
                &[payout_key, status_key],
                self.inner.result_wait,
                |key, entry| !matches!(key, Key::Payout(_)) || entry.status.is_final(),
            )
            .await;
        match answer {
            Some((_, entry)) if entry.not_found => Ok(None),
            Some((_, entry)) => Ok(Some(self.payout_from(reference, &entry))),
            // A lookup moves no money: a missing answer is a read that failed in transit, and
            // reconciliation reads it as "cannot tell yet".
            None => Err(Error::Network {
                provider: PROVIDER,
                operation: "find_payout",
                source: format!(
                    "no Transaction Status callback within {:?}",
                    self.inner.result_wait
                )
                .into(),
            }),
        }
    }

    /// Records an authenticated callback and returns its event (see
    /// [`PayoutProvider::parse_webhook`]).
    fn handle_callback(&self, delivery: &WebhookRequest<'_>) -> Result<WebhookEvent, Error> {
        let parsed = callback::parse(&self.inner.verifier, &self.inner.shortcode, delivery)?;
        if let Some((key, entry)) = parsed.record {
            self.inner.book.record(key, entry)?;
        }
        Ok(parsed.event?)
    }
}

/// Whether Daraja refused the id as a duplicate: as the answer, or as the last answer behind an
/// [`Error::OutcomeUnknown`] (an earlier attempt timed out, then the retry met the original).
fn duplicate_id(error: &Error) -> bool {
    error.last_answer().reject_code() == Some(&RejectCode::DuplicateReference)
}

/// Reads a 2xx acknowledgement ([`DarajaHooks::check_answer`] already accepted it).
pub(crate) fn ack_answer(call: &Call, status: StatusCode, body: &[u8]) -> Result<Ack, Error> {
    Ok(crate::http::decode_reply::<Ack>(PROVIDER, call, status, body)?.value)
}

#[async_trait]
impl PayoutProvider for DarajaClient {
    crate::provider::identity!(PROVIDER);

    async fn create_payout(&self, request: &PayoutRequest) -> Result<Payout, Error> {
        let call = self.payout_call(request)?;
        match self.acknowledged(&call).await {
            Ok(ack) => {
                let mut payout = Payout::new(
                    PROVIDER,
                    self.payout_id(&request.reference),
                    Status::Pending,
                );
                payout.provider_reference = ack.conversation_id;
                payout.reference = Some(request.reference.clone());
                payout.amount = Some(request.amount);
                Ok(payout)
            }
            Err(e) if duplicate_id(&e) => self.resolve_duplicate(request, e).await,
            Err(e) => Err(e),
        }
    }

    /// By [`Payout::id`] (the `OriginatorConversationID`): [`PayoutProvider::find_payout`] of
    /// the reference it was made from; a payout Daraja does not know is
    /// [`RejectCode::NotFound`].
    async fn get_payout(&self, id: &str) -> Result<Payout, Error> {
        const PAYOUT_ID: PathId = PathId {
            what: "an OriginatorConversationID ({shortcode}_{reference})",
            max_len: 60,
            trim: true,
            allowed: PathId::word_char,
        };
        let id = PAYOUT_ID.check(id)?;
        let reference = validate::reference_of(&self.inner.shortcode, id).ok_or_else(|| {
            Error::invalid(
                "id",
                "must be an OriginatorConversationID of this shortcode ({shortcode}_{reference})",
            )
        })?;
        self.find(&reference).await?.ok_or_else(|| Error::Rejected {
            provider: PROVIDER,
            status: 200,
            code: RejectCode::NotFound,
            provider_code: None,
            message: "the Transaction Status query found no such payout".into(),
            param: Some("id".into()),
        })
    }

    async fn find_payout(&self, reference: &Reference) -> Result<Option<Payout>, Error> {
        self.find(reference).await
    }

    /// Authenticates a callback, records it for `find_payout` and `balance`, and normalizes it.
    /// An Account Balance result is recorded and answered with
    /// [`WebhookError::UnhandledEvent`](crate::WebhookError::UnhandledEvent) (acknowledge it).
    fn parse_webhook(&self, delivery: &WebhookRequest<'_>) -> Result<WebhookEvent, Error> {
        self.handle_callback(delivery)
    }

    async fn balance(&self) -> Result<Balance, Error> {
        let nonce = format!("b{:016x}", fastrand::u64(..));
        let (result_url, timeout_url) = callback::urls(
            &self.inner.signer,
            &self.inner.result_url,
            &self.inner.timeout_url,
            Purpose::Balance,
            &nonce,
        )?;
        let body = BalanceQuery {
            initiator: &self.inner.initiator_name,
            security_credential: self.inner.security_credential.expose_secret(),
            command_id: "AccountBalance",
            party_a: &self.inner.shortcode,
            identifier_type: "4",
            remarks: "Balance",
            queue_timeout_url: timeout_url,
            result_url,
        };
        let call = Call::post_json("balance", BALANCE_PATH, &body, Idempotency::Read)?;
        self.acknowledged(&call).await?;
        let key = Key::Balance(nonce);
        let answer = self
            .inner
            .book
            .wait_for(
                std::slice::from_ref(&key),
                self.inner.result_wait,
                |_, _| true,
            )
            .await;
        self.inner.book.forget(&key);
        match answer {
            Some((
                _,
                Entry {
                    balance: Some(balance),
                    ..
                },
            )) => Ok(balance),
            Some((_, entry)) => Err(Error::Rejected {
                provider: PROVIDER,
                status: 200,
                code: RejectCode::Other,
                provider_code: None,
                message: format!("the Account Balance query failed: {:?}", entry.status),
                param: None,
            }),
            None => Err(Error::ServerError {
                provider: PROVIDER,
                status: 200,
                message: format!(
                    "no Account Balance callback within {:?}",
                    self.inner.result_wait
                ),
            }),
        }
    }
}
