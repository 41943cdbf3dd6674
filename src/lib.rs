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
//! - [`batch`]: bulk payouts with bounded concurrency, rate limiting, progress and a crash-safe journal.
//! - [`http`]: the single HTTP path every adapter uses (timeouts, retries, error mapping, tracing).
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

pub mod batch;
pub mod config;
pub mod error;
pub mod http;
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals;
pub mod model;
pub mod money;
pub mod phone;
pub mod provider;
pub mod providers;
mod raw;
mod redact;
#[cfg(feature = "sandbox")]
pub mod sandbox;
pub mod settle;
mod url_token;
pub mod webhook;

pub use error::{Ambiguity, AuthFailure, Error, Refusal, RejectCode, Result};
pub use model::{
    Balance, CallbackUrl, Destination, FailureReason, Payout, PayoutRequest, ProviderId,
    RecipientCheck, Reference, Refund, RefundRequest, Status,
};
pub use money::{Currency, Money, MoneyError};
pub use phone::{Country, Msisdn, Network, PhoneError};
pub use provider::{CallbackUrlSupport, Capabilities, PayoutProvider, RefundSupport, WebhookAuth};
pub use raw::RawJson;
pub use webhook::{EventObject, WebhookError, WebhookEvent, WebhookRequest};

/// The README's code blocks, compiled as doctests so they cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
