//! Acme Pay, a made-up provider, as an adapter written outside the `disburse` crate with only
//! its public API: [`ClientSettings`] for the client setup, [`HttpClient`] and [`Call`] for the
//! one HTTP path (retries, timeouts, the outcome-unknown rule), [`ProviderHooks`] for auth and
//! error bodies, [`WebhookScheme`] for the signature, [`Capabilities::new`] for what it can do.
//!
//! Acme's API (invented): `POST /v1/transfers` `{reference, amount_minor, currency, msisdn}`
//! answered `{id, reference, status, amount_minor, currency}`; `GET /v1/transfers/{id}`;
//! `GET /v1/transfers?reference=…` answered `{data: [...]}`; errors `{error: {message}}`;
//! webhooks signed with a hex HMAC-SHA256 of the body in `X-Acme-Signature`. Acme deduplicates
//! creates on an `Idempotency-Key` only when the account has the feature
//! ([`AcmeConfig::with_idempotency_keys`]): keyed creates are then retried byte-identical, and
//! unkeyed ones are never re-sent once they may have left.
#![allow(dead_code)]

use std::sync::Arc;

use async_trait::async_trait;
use disburse::config::{ClientSettings, Environment, ProviderUrls};
use disburse::error::Refusal;
use disburse::http::{
    Call, HttpClient, Idempotency, PathId, ProviderHooks, credential_header, decode_reply,
};
use disburse::http_types::StatusCode;
use disburse::http_types::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use disburse::webhook::{
    EventObject, HmacVerifier, SignatureEncoding, WebhookEvent, WebhookRequest, WebhookScheme,
};
use disburse::{
    Capabilities, Currency, Destination, Error, FailureReason, Money, Payout, PayoutProvider,
    PayoutRequest, ProviderId, Reference, RefundRequest, RejectCode, Status,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

/// Acme's id: a custom one, since Acme is not in the crate.
pub const ACME: ProviderId = ProviderId::custom("acme");

const URLS: ProviderUrls = ProviderUrls {
    sandbox: "https://sandbox.acme.example",
    live: "https://api.acme.example",
};

/// The client's configuration: the API key, whether the account deduplicates, and the shared
/// settings (base URL, timeouts, webhook secrets, clock).
#[derive(Debug, Clone)]
pub struct AcmeConfig {
    api_key: SecretString,
    idempotency_keys: bool,
    /// What every adapter's configuration shares.
    pub settings: ClientSettings,
}

impl AcmeConfig {
    /// A sandbox configuration.
    pub fn new(api_key: SecretString, webhook_secret: SecretString) -> AcmeConfig {
        AcmeConfig {
            api_key,
            idempotency_keys: false,
            settings: ClientSettings::new(webhook_secret, Environment::Sandbox),
        }
    }

    /// Sends an `Idempotency-Key` (the merchant reference) on creates.
    #[must_use]
    pub fn with_idempotency_keys(mut self, on: bool) -> Self {
        self.idempotency_keys = on;
        self
    }
}

/// The Acme client.
#[derive(Debug, Clone)]
pub struct AcmeClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: HttpClient,
    hooks: Hooks,
    keyed: bool,
    scheme: WebhookScheme,
    verifier: HmacVerifier,
    capabilities: Capabilities,
}

struct Hooks {
    authorization: HeaderValue,
}

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Hooks(** redacted **)")
    }
}

#[async_trait]
impl ProviderHooks for Hooks {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        headers.insert(AUTHORIZATION, self.authorization.clone());
        Ok(())
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        #[derive(Deserialize)]
        struct Body {
            error: Detail,
        }
        #[derive(Deserialize)]
        struct Detail {
            message: String,
        }
        let message = serde_json::from_slice::<Body>(body)
            .map(|b| b.error.message)
            .unwrap_or_else(|_| disburse::http::snippet(body));
        let reject = match status.as_u16() {
            400 | 422 => RejectCode::InvalidRequest,
            404 => RejectCode::NotFound,
            _ => RejectCode::Other,
        };
        Error::from_status(ACME, status.as_u16(), reject, Refusal::new(message))
    }
}

#[derive(Serialize)]
struct TransferBody<'a> {
    reference: &'a str,
    amount_minor: i64,
    currency: &'a str,
    msisdn: String,
}

#[derive(Deserialize)]
struct TransferWire {
    id: String,
    reference: Option<String>,
    status: String,
    amount_minor: Option<i64>,
    currency: Option<String>,
}

#[derive(Deserialize)]
struct ListWire {
    data: Vec<TransferWire>,
}

fn status(word: &str) -> Status {
    match word {
        "pending" => Status::Pending,
        "paid" => Status::Succeeded,
        "failed" => Status::failed(FailureReason::Other("failed".into()), None),
        other => Status::Unknown(other.to_owned()),
    }
}

fn payout_from(wire: TransferWire, raw: disburse::RawJson) -> Payout {
    let mut payout = Payout::new(ACME, wire.id, status(&wire.status));
    payout.reference = wire.reference.and_then(|r| Reference::new(r).ok());
    payout.amount = match (wire.amount_minor, wire.currency.as_deref()) {
        (Some(minor), Some(code)) => {
            Currency::from_code(code).and_then(|c| Money::from_minor_units(minor, c).ok())
        }
        _ => None,
    };
    payout.raw = raw;
    payout
}

impl AcmeClient {
    /// A client for `config`.
    pub fn new(config: AcmeConfig) -> Result<AcmeClient, Error> {
        let authorization =
            credential_header(&format!("Bearer {}", config.api_key.expose_secret()))
                .ok_or_else(|| Error::config("acme: the API key is not header text"))?;
        let http = config.settings.http_client(ACME, &URLS)?;
        let scheme = WebhookScheme::hmac_body(["X-Acme-Signature"], SignatureEncoding::Hex);
        let verifier = config.settings.webhook_verifier();
        let mut capabilities =
            Capabilities::new(vec![disburse::Country::Kenya], vec![Currency::KES]);
        capabilities.mobile_money = true;
        capabilities.listing = true;
        capabilities.idempotent_create = config.idempotency_keys;
        Ok(AcmeClient {
            inner: Arc::new(Inner {
                http,
                hooks: Hooks { authorization },
                keyed: config.idempotency_keys,
                scheme,
                verifier,
                capabilities,
            }),
        })
    }
}

#[async_trait]
impl PayoutProvider for AcmeClient {
    fn id(&self) -> ProviderId {
        ACME
    }

    fn capabilities(&self) -> &Capabilities {
        &self.inner.capabilities
    }

    async fn create_payout(&self, request: &PayoutRequest) -> Result<Payout, Error> {
        let Destination::MobileWallet { msisdn, .. } = &request.destination else {
            return Err(Error::unsupported(ACME, "payout to a bank account"));
        };
        let body = TransferBody {
            reference: request.reference.as_str(),
            amount_minor: request.amount.to_minor_units()?,
            currency: request.amount.currency().code(),
            msisdn: msisdn.e164(),
        };
        let idempotency = if self.inner.keyed {
            Idempotency::Keyed
        } else {
            Idempotency::Unprotected
        };
        let mut call = Call::post_json("create_payout", "/v1/transfers", &body, idempotency)?
            .reference(&request.reference);
        if self.inner.keyed {
            call = call.header("idempotency-key", request.reference.as_str())?;
        }
        let decoded = self
            .inner
            .http
            .send_json::<TransferWire>(&self.inner.hooks, &call)
            .await?;
        Ok(payout_from(decoded.value, decoded.raw))
    }

    async fn get_payout(&self, id: &str) -> Result<Payout, Error> {
        const ID: PathId = PathId {
            what: "an Acme transfer id",
            max_len: 64,
            trim: true,
            allowed: PathId::word_char,
        };
        let call = Call::get("get_payout", format!("/v1/transfers/{}", ID.check(id)?));
        let reply = self.inner.http.send(&self.inner.hooks, &call).await?;
        let decoded = decode_reply::<TransferWire>(ACME, &call, reply.status, &reply.body)?;
        Ok(payout_from(decoded.value, decoded.raw))
    }

    async fn find_payout(&self, reference: &Reference) -> Result<Option<Payout>, Error> {
        let call = Call::get("find_payout", "/v1/transfers")
            .query("reference", reference.as_str())
            .reference(reference);
        let decoded = self
            .inner
            .http
            .send_json::<ListWire>(&self.inner.hooks, &call)
            .await?;
        let raw = decoded.raw;
        Ok(decoded
            .value
            .data
            .into_iter()
            .find(|t| t.reference.as_deref() == Some(reference.as_str()))
            .map(|t| payout_from(t, raw.clone())))
    }

    async fn create_refund(&self, _request: &RefundRequest) -> Result<disburse::Refund, Error> {
        Err(Error::unsupported(ACME, "create_refund"))
    }

    fn parse_webhook(&self, delivery: &WebhookRequest<'_>) -> Result<WebhookEvent, Error> {
        self.inner.scheme.verify(&self.inner.verifier, delivery)?;
        let (wire, raw) = disburse::http::decode_json::<TransferWire>(ACME, 200, delivery.body)?;
        let mut event = WebhookEvent::new(ACME, EventObject::Payout, status(&wire.status));
        event.provider_reference = Some(wire.id);
        event.reference = wire.reference;
        event.raw = raw;
        Ok(event)
    }
}
