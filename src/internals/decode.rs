//! Raw bytes in, the adapter's result out: one function per answer an adapter reads.
//!
//! A response decoder takes the body of a `200 OK` answer and runs what the adapter runs after
//! the shared HTTP path returned that answer: the same `decode_reply` (an undecodable body is
//! [`Error::Decode`] for a read and [`Error::OutcomeUnknown`] for a money-moving call), the same
//! envelope and status mapping, the same record building. The request it answers is described
//! by its operation name, its idempotency and, for money-moving calls, the merchant reference
//! given here; nothing else of the request reaches decoding. A `map_error` function takes a
//! non-2xx status and body and runs the adapter's `ProviderHooks::map_error`.
//!
//! Not covered by semantic versioning (see [`crate::internals`]).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use secrecy::SecretString;

use crate::error::Error;
use crate::http::{Call, Idempotency};
use crate::model::{Payout, RecipientCheck, Reference, Refund};
use crate::money::Currency;
use crate::providers::{jpay, payonify, vesicash};
use crate::webhook::{HmacVerifier, WebhookEvent, WebhookRequest};

/// A money-moving call (operation `operation`) as the adapter describes it to the HTTP path.
fn money_call(
    operation: &'static str,
    idempotency: Idempotency,
    reference: &Reference,
) -> Result<Call, Error> {
    Ok(Call::post_json(operation, "/", &(), idempotency)?.reference(reference))
}

/// A status as `http::StatusCode`; outside 100-999 it is refused as an invalid request.
fn status_code(status: u16) -> Result<StatusCode, Error> {
    StatusCode::from_u16(status)
        .map_err(|_| Error::invalid("status", format!("{status} is not an HTTP status")))
}

// ---------------------------------------------------------------------------------------------
// Vesicash
// ---------------------------------------------------------------------------------------------

/// Vesicash: the answer to `POST /v1/payment/payout/process` sent under `reference` in
/// `currency` (Vesicash sends no idempotency key: an unreadable answer is outcome-unknown).
pub fn vesicash_create_payout(
    reference: &Reference,
    currency: Currency,
    body: &[u8],
) -> Result<Payout, Error> {
    let call = money_call("create_payout", Idempotency::Unprotected, reference)?;
    let opened = vesicash::open(&call, StatusCode::OK, body)?;
    vesicash::created_payout(opened, reference, currency)
}

/// Vesicash: the answer to the status lookup `GET /v1/payment/{reference}`.
pub fn vesicash_get_payout(body: &[u8]) -> Result<Payout, Error> {
    let call = Call::get("get_payout", "/");
    let opened = vesicash::open(&call, StatusCode::OK, body)?;
    vesicash::fetched_payout(opened)
}

/// Vesicash: the answer to `POST /v1/payment/refunds/process` sent under `reference`, in
/// `currency`, for the payment `payment_reference`.
pub fn vesicash_create_refund(
    reference: &Reference,
    currency: Currency,
    payment_reference: &str,
    body: &[u8],
) -> Result<Refund, Error> {
    let call = money_call("create_refund", Idempotency::Unprotected, reference)?;
    let opened = vesicash::open(&call, StatusCode::OK, body)?;
    vesicash::created_refund(opened, reference, currency, payment_reference.trim())
}

/// Vesicash: the answer to `GET /v1/countries` (the list every payout and refund reads first).
pub fn vesicash_countries(body: &[u8]) -> Result<Vec<vesicash::VesicashCountry>, Error> {
    let call = Call::get("countries", "/");
    let opened = vesicash::open(&call, StatusCode::OK, body)?;
    Ok(vesicash::countries_from(&opened)?.to_vec())
}

/// Vesicash: a non-2xx answer with status `status` and body `body`, as its hooks map it.
pub fn vesicash_map_error(status: u16, body: &[u8]) -> Result<Error, Error> {
    Ok(vesicash::wire::map_http_error(status_code(status)?, body))
}

/// Vesicash: a webhook body, read as the adapter reads it once the signature has verified.
pub fn vesicash_webhook_body(body: &[u8]) -> Result<WebhookEvent, Error> {
    vesicash::webhook::parse(body)
}

// ---------------------------------------------------------------------------------------------
// JPay
// ---------------------------------------------------------------------------------------------

/// JPay: the answer to `POST /payments/payouts/initiate` with `ref_no` = `reference` (keyed:
/// an unreadable answer is outcome-unknown).
pub fn jpay_create_payout(reference: &Reference, body: &[u8]) -> Result<Payout, Error> {
    let call = money_call("create_payout", Idempotency::Keyed, reference)?;
    jpay::payout_answer(&call, StatusCode::OK, body)
}

/// JPay: the answer to `GET /payments/payouts/{id}`.
pub fn jpay_get_payout(body: &[u8]) -> Result<Payout, Error> {
    jpay::payout_answer(&Call::get("get_payout", "/"), StatusCode::OK, body)
}

/// What one page of a JPay search by `ref_no` holds.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct JpayPageScan {
    /// The payout whose `ref_no` is the reference searched for, when on this page.
    pub found: Option<Payout>,
    /// Whether the page says another follows.
    pub has_more: bool,
    /// The id of the page's first item (a repeated page ends the search with an error).
    pub first_id: Option<String>,
}

/// JPay: page `page` of `GET /payments/payouts?ref_no=…` searched for `reference`.
pub fn jpay_find_page(
    reference: &Reference,
    page: u64,
    body: &[u8],
) -> Result<JpayPageScan, Error> {
    let call = Call::get("find_payout", "/").reference(reference);
    let scan = jpay::scan_page(&call, reference, page, StatusCode::OK, body)?;
    Ok(JpayPageScan {
        found: scan.found,
        has_more: scan.has_more,
        first_id: scan.first,
    })
}

/// JPay: the answer to a refund, which JPay takes as a payout under `reference` naming the
/// payment `payment_reference`.
pub fn jpay_create_refund(
    reference: &Reference,
    payment_reference: &str,
    body: &[u8],
) -> Result<Refund, Error> {
    let call = money_call("create_refund", Idempotency::Keyed, reference)?;
    let sent = jpay::payout_answer(&call, StatusCode::OK, body)?;
    Ok(jpay::refund_from(sent, reference, payment_reference.trim()))
}

/// What a JPay token answer gave, without the tokens themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JpayTokenAnswer {
    /// The app code, when the answer carries one.
    pub app_code: Option<u64>,
    /// The product names, when listed in a shape the adapter reads.
    pub products: Option<Vec<String>>,
    /// Seconds after sending from which the access token is renewed.
    pub renew_after_secs: i64,
    /// Whether a refresh token came with it.
    pub has_refresh_token: bool,
    /// Seconds after sending from which the refresh token is no longer used.
    pub refresh_until_secs: i64,
}

/// JPay: the answer to `POST /auth/app/token` (sent at second 0, with the default margin).
pub fn jpay_token(body: &[u8]) -> Result<JpayTokenAnswer, Error> {
    let call = Call::post_json("issue_token", "/", &(), Idempotency::Read)?;
    let margin: Duration = jpay::DEFAULT_REFRESH_MARGIN;
    let tokens = jpay::token::token_answer(&call, StatusCode::OK, body, 0, margin, None)?;
    Ok(JpayTokenAnswer {
        app_code: tokens.extra.app_code,
        products: tokens.extra.products,
        renew_after_secs: tokens.renew_at,
        has_refresh_token: tokens.extra.refresh.is_some(),
        refresh_until_secs: tokens.extra.refresh_until,
    })
}

/// JPay: a non-2xx answer with status `status` and body `body`, as its hooks map it.
pub fn jpay_map_error(status: u16, body: &[u8]) -> Result<Error, Error> {
    Ok(jpay::wire::map_error(status_code(status)?, body))
}

/// JPay: a callback POSTed to `url` (which carries the callback token) with `body`, checked
/// against `callback_secret` as a client configured with it checks it.
pub fn jpay_callback(callback_secret: &str, url: &str, body: &[u8]) -> Result<WebhookEvent, Error> {
    let verifier = HmacVerifier::new(SecretString::from(callback_secret.to_owned()));
    let headers = HeaderMap::new();
    Ok(jpay::callback::parse(
        &verifier,
        &WebhookRequest::post(url, &headers, body),
    )?)
}

// ---------------------------------------------------------------------------------------------
// Payonify
// ---------------------------------------------------------------------------------------------

/// Payonify: the answer to `POST /v1/payouts` with the idempotency key `reference`.
pub fn payonify_create_payout(reference: &Reference, body: &[u8]) -> Result<Payout, Error> {
    let call = money_call("create_payout", Idempotency::Keyed, reference)?;
    payonify::payout_answer(&call, StatusCode::OK, body)
}

/// Payonify: the answer to `GET /v1/payouts/{id}`.
pub fn payonify_get_payout(body: &[u8]) -> Result<Payout, Error> {
    payonify::payout_answer(&Call::get("get_payout", "/"), StatusCode::OK, body)
}

/// Payonify: one page of `GET /v1/payouts` (what `list_payouts`, `list_stream` and
/// `find_payout` read).
pub fn payonify_list_page(body: &[u8]) -> Result<payonify::Page, Error> {
    payonify::list::list_page(&Call::get("list_payouts", "/"), StatusCode::OK, body)
}

/// Payonify: the answer to `POST /v1/payouts/validate`.
pub fn payonify_validate(body: &[u8]) -> Result<RecipientCheck, Error> {
    let call = Call::post_json("validate_recipient", "/", &(), Idempotency::Read)?;
    payonify::validation_answer(&call, StatusCode::OK, body)
}

/// Payonify: a non-2xx answer with status `status` and body `body`, as its hooks map it.
pub fn payonify_map_error(status: u16, body: &[u8]) -> Result<Error, Error> {
    Ok(payonify::wire::map_error(status_code(status)?, body))
}

/// Payonify: the `Payonify-Signature` header (`t=…,v1=…[,v1=…]`) as the adapter splits it: the
/// timestamp and the `v1` signatures, before any of them is checked.
pub fn payonify_signature_header(header: &str) -> Result<(String, Vec<String>), Error> {
    let parsed = payonify::webhook::parse_signature_header(header)?;
    Ok((
        parsed.timestamp.to_owned(),
        parsed.signatures.into_iter().map(str::to_owned).collect(),
    ))
}

/// Payonify: a webhook body, read as the adapter reads it once the signature has verified.
pub fn payonify_webhook_body(body: &[u8]) -> Result<WebhookEvent, Error> {
    Ok(payonify::webhook::to_event(body)?)
}
