//! # disburse
//!
//! Send money out (payouts) and give money back (refunds) through African mobile-money and bank
//! rails, with one typed API over several providers:
//!
//! | provider | countries | rails |
//! |---|---|---|
//! | Vesicash | Nigeria, Zambia and more | mobile money, bank |
//! | JPay | Kenya | M-Pesa, Airtel Money, T-Kash, banks |
//! | M-Pesa Daraja (Safaricom, direct) | Kenya | M-Pesa |
//! | Payonify | Zimbabwe | EcoCash (USD, ZWG) |
//! | MTN MoMo | Uganda, Ghana, Côte d'Ivoire, Zambia, Cameroon, Benin, Congo, Eswatini, Guinea, South Africa, Liberia | MTN Mobile Money (the Open API's Disbursement product) |
//!
//! # Example
//!
//! One payout, end to end, with the real Payonify adapter pointed at the embedded simulator
//! (feature `sandbox`; in production the client comes from `PayonifyConfig::from_env()`):
//!
//! ```
//! # #[cfg(feature = "sandbox")]
//! # #[tokio::main]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use std::time::Duration;
//! use disburse::sandbox::Sandbox;
//! use disburse::settle::{Awaited, Wait};
//! use disburse::{Country, Currency, Destination, Money, Msisdn, Network};
//! use disburse::{PayoutProvider, PayoutRequest, Reference, Status};
//!
//! let sandbox = Sandbox::builder().settle_after(Duration::ZERO).start().await?;
//! let provider: Arc<dyn PayoutProvider> = Arc::new(sandbox.payonify_client()?);
//!
//! let phone = Msisdn::parse_with_default("077 123 4567", Country::Zimbabwe)?;
//! assert_eq!(phone.network(), Some(Network::Econet)); // EcoCash
//! let request = PayoutRequest::new(
//!     Reference::new("invoice-2026-0042")?, // your idempotency key
//!     Money::parse("25.00", Currency::USD)?,
//!     Destination::mobile(phone),
//! );
//!
//! let payout = match provider.create_payout(&request).await {
//!     Ok(payout) => payout,
//!     // The provider may have it: look it up, never pay again blindly.
//!     Err(e) if e.is_outcome_unknown() => match provider.find_payout(&request.reference).await? {
//!         Some(found) => found,
//!         None => return Err(e.into()),
//!     },
//!     Err(e) => return Err(e.into()),
//! };
//!
//! let wait = Wait::new().first_delay(Duration::from_millis(10)).timeout(Duration::from_secs(30));
//! match provider.await_final(&payout, &wait).await? {
//!     Awaited::Final(done) => assert_eq!(done.status, Status::Succeeded),
//!     other => panic!("not final in time: {other:?}"),
//! }
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "sandbox"))]
//! # fn main() {}
//! ```
//!
//! The pieces:
//! - [`Money`] and [`Currency`]: exact decimal amounts, converted exactly to each provider's wire
//!   form (JSON number, two-decimal string, integer minor units) or refused.
//! - [`Msisdn`]: every common way of writing a mobile number, canonical E.164 inside.
//! - [`PayoutRequest`], [`RefundRequest`], [`Payout`], [`Refund`], [`Status`]: one model.
//! - [`Error`]: one error that says which phase failed and whether money may have moved.
//! - [`PayoutProvider`]: one trait, usable as `Arc<dyn PayoutProvider>`.
//! - [`webhook`]: constant-time HMAC verification and one [`WebhookEvent`].
//! - [`settle`]: wait for a payout's final status, by polling with backoff and by webhook.
//! - [`batch`]: bulk payouts with bounded concurrency, rate limiting, progress, resumable after a
//!   crash and shared by several workers.
//! - [`store`]: the payout ledger on SQLite (default) or PostgreSQL: intents, outcomes, status
//!   changes; the database enforces one payout per reference.
//! - [`http`]: the single HTTP path every adapter uses (timeouts, retries, error mapping, tracing).
//!
//! # The `serde` feature
//!
//! With `features = ["serde"]`, [`Payout`], [`Refund`], [`PayoutRequest`], [`RefundRequest`],
//! [`Money`], [`Status`], [`FailureReason`], [`WebhookEvent`] (and what they hold: [`Reference`],
//! [`Msisdn`], [`Currency`], [`Destination`], [`CallbackUrl`], [`ProviderId`], [`Country`],
//! [`Network`], [`EventObject`], [`RawJson`]) are `Serialize` and `Deserialize`, in these JSON
//! shapes:
//!
//! | type | JSON |
//! |---|---|
//! | `Money` | `{"amount": "1000.50", "currency": "KES"}`: the amount is a decimal **string** with the digits it has, never a JSON number |
//! | `Currency` | `"KES"` |
//! | `Reference` | `"order-1042"` |
//! | `Msisdn` | `"+254712345678"` (E.164) |
//! | `ProviderId` | `"jpay"` |
//! | `Country` | `"KE"` (ISO 3166 alpha-2) |
//! | `Network` | `"safaricom"` (lower case) |
//! | `CallbackUrl` | `"https://shop.example/hooks/payouts"` |
//! | `FailureReason` | `"insufficient_funds"`, `"invalid_recipient"`, `"recipient_blocked"`, `"limit_exceeded"`, `"declined"`, `"provider_timeout"`, or `{"other": "the provider's words"}` |
//! | `Status` | `{"status": "pending"}`, `{"status": "succeeded"}`, `{"status": "failed", "reason": <FailureReason>, "detail"?: "…"}`, `{"status": "unknown", "word": "in_transit"}` |
//! | `Destination` | `{"type": "mobile_wallet", "msisdn": "+254…", "network"?: "safaricom"}` or `{"type": "bank_account", "country": "KE", "bank_code": "68", "account_number": "0123456789"}` |
//! | `PayoutRequest` | `{"reference", "amount": <Money>, "destination": <Destination>, "narration"?, "callback_url"?, "channel"?, "metadata"?: {…}}` |
//! | `RefundRequest` | `{"reference", "payment_reference", "amount": <Money>, "destination", "reason"?, "callback_url"?}` |
//! | `Payout` | `{"provider", "id", "provider_reference", "reference", "amount": <Money> or null, "status": <Status>, "created_at": RFC 3339 or null, "raw": the provider's JSON or null}` |
//! | `Refund` | as `Payout`, with `payment_reference` instead of `provider_reference` |
//! | `WebhookEvent` | `{"provider", "event_id", "object": "payout" or "refund", "provider_reference", "reference", "amount", "status", "raw"}` |
//!
//! Deserializing goes through the public constructors and refuses what they refuse (a JSON
//! number as an amount, more decimals than the currency has, a malformed phone number, an empty
//! or over-long reference, a plain-http callback URL), with the constructor's error text; `?`
//! fields may be left out. `raw` embeds the provider's JSON text as it is, so serialize with
//! `serde_json` (other formats cannot hold raw JSON). A `ProviderId` other than the three
//! built-in ones is interned on first sight (at most 64 distinct names per process).
//!
//! # Writing an adapter outside this crate
//!
//! An adapter in another crate implements [`PayoutProvider`] with the same building blocks the
//! crate's own adapters use, all covered by semantic versioning (the `internals` feature is not):
//!
//! | piece | what it gives |
//! |---|---|
//! | [`ProviderId::custom`], [`Capabilities::new`] | the provider's id and what it can do (unset capabilities default to "no") |
//! | [`config::ClientSettings`] | base URL or environment, timeouts, a caller's `reqwest::Client`, webhook secrets, clock, with their builders |
//! | [`http::HttpClient`], [`http::Call`], [`http::Idempotency`] | the one HTTP path: retries, byte-identical re-sends of keyed calls, `OutcomeUnknown` for unkeyed ones that may have gone through |
//! | [`http::ProviderHooks`] | auth, credential renewal, error bodies, and an envelope check for 2xx answers ([`http::AnswerCheck`]) |
//! | [`http::decode_reply`], [`http::decode_json`], [`http::credential_header`], [`http::PathId`] | decoding with the ambiguity rule, sensitive headers, ids safe in a path |
//! | [`Error::from_status`], [`error::Refusal`] | the shared status-code table |
//! | [`webhook::WebhookScheme`], [`webhook::HmacVerifier`], [`WebhookEvent`] | signature checks as a value, and the normalized event |
//!
//! `examples/external_adapter.rs` (with `examples/acme/mod.rs`) is such an adapter, for a
//! made-up provider; `tests/external_adapter.rs` runs it against a mock server.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// docs.rs (nightly, `--cfg disburse_doc_cfg`): a "feature" badge on every feature-gated item.
// Not under `docsrs` alone, which stable rustdoc also receives and where `doc(cfg)` is refused.
#![cfg_attr(disburse_doc_cfg, feature(doc_cfg))]

mod access_token;
pub mod batch;
pub mod config;
pub mod error;
pub mod http;
mod ids;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals;
pub mod model;
pub mod money;
pub mod phone;
pub mod provider;
pub mod providers;
mod raw;
pub mod reconcile;
mod redact;
#[cfg(feature = "sandbox")]
#[cfg_attr(disburse_doc_cfg, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
#[cfg(feature = "serde")]
mod serde_impls;
pub mod settle;
pub mod store;
mod url_token;
pub mod webhook;
mod webhook_http;
pub mod webhook_inbox;

pub use error::{Ambiguity, AuthFailure, Error, Refusal, RejectCode, Result};
pub use model::{
    Balance, BankAccount, CallbackUrl, Destination, FailureReason, Payout, PayoutRequest,
    ProviderId, RecipientCheck, Reference, Refund, RefundRequest, Status,
};
pub use money::{Currency, Money, MoneyError};
pub use phone::{Country, Msisdn, Network, PhoneError};
pub use provider::{CallbackUrlSupport, Capabilities, PayoutProvider, RefundSupport, WebhookAuth};
pub use raw::RawJson;
pub use webhook::{EventObject, WebhookError, WebhookEvent, WebhookRequest};
pub use webhook_inbox::WebhookInbox;

/// The `http` crate (1.x): [`HeaderMap`](http_types::HeaderMap),
/// [`Request`](http_types::Request), [`Uri`](http_types::Uri) and the rest, which webhook
/// handling takes ([`WebhookRequest::from_http`]) and hyper, axum and reqwest share;
/// re-exported so no extra dependency is needed to name them.
pub use ::http as http_types;
/// The raw body type of [`http_types::Request`]s (the `bytes` crate's), re-exported so a
/// webhook handler needs no dependency of its own.
pub use bytes::Bytes;
/// Times in records and reconciliation evidence are `chrono`'s, re-exported so no extra
/// dependency is needed to name them.
pub use chrono::{DateTime, Utc};
/// Secrets in configurations (keys, webhook secrets) are `secrecy`'s `SecretString`,
/// re-exported so no extra dependency is needed to build one.
pub use secrecy::{ExposeSecret, SecretString};

/// The README's code blocks, compiled as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
