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

pub use error::{Ambiguity, AuthFailure, Error, RejectCode, Result};
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
