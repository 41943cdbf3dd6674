//! `POST /v1/payment/refunds/process`: a full or partial refund of a payment, never more in total
//! than the payment.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;

use super::auth::authorize;
use super::catalog::country;
use super::checks::{amount, momo_number, parse_body, webhook_url};
use super::types::Vesicash;
use super::types::VesicashDetails;
use super::wire::{
    COUNTRY_NOT_FOUND, EntryData, INSUFFICIENT, PAYMENT_NOT_FOUND, REFUND_AMOUNT, REFUND_PROVIDER,
    REFUND_TRANSFER_TO_INVALID, error, id_text, status_error, success,
};
use crate::model::ProviderId;
use crate::money::Money;
use crate::sandbox::details::Details;
use crate::sandbox::ledger::{EntryKind, EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::{Reply, finish};
use crate::sandbox::settle;
use crate::sandbox::state::Shared;

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(create_reply(&shared, &headers, &body))
}

fn bad(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

fn create_reply(shared: &Arc<Shared>, headers: &HeaderMap, body: &Bytes) -> Reply {
    authorize(headers, true)?;
    let req = parse_body(body)?;
    let payment_reference = req
        .payment_reference
        .clone()
        .ok_or_else(|| bad(PAYMENT_NOT_FOUND))?;
    let country = match id_text(req.country_id.as_ref()) {
        None => None,
        Some(id) => Some(country(&id).ok_or_else(|| bad(COUNTRY_NOT_FOUND))?),
    };
    let mut inner = shared.lock();
    let payment = inner
        .ledger
        .payment(&payment_reference)
        .cloned()
        .ok_or_else(|| bad(PAYMENT_NOT_FOUND))?;
    let (value, amount_json) = amount(req.amount.as_deref()).ok_or_else(|| bad(REFUND_AMOUNT))?;
    let money = Money::new(value, payment.amount.currency()).map_err(|_| bad(REFUND_AMOUNT))?;
    let remaining = payment.amount.amount()
        - inner
            .ledger
            .refunded(ProviderId::VESICASH, &payment_reference);
    if value > remaining {
        return Err(bad(REFUND_AMOUNT));
    }
    match req.transfer_to.as_deref() {
        None | Some("mobile_number") => {}
        Some(_) => return Err(bad(REFUND_TRANSFER_TO_INVALID)),
    }
    let recipient = momo_number(req.momo_phone_number.as_deref(), country.map(|c| c.country))
        .ok_or_else(|| bad(REFUND_PROVIDER))?;
    let callback_url = webhook_url(req.webhook_url.as_deref())?;
    if ScriptedOutcome::is_provider_error_amount(value) {
        return Err(status_error(StatusCode::INTERNAL_SERVER_ERROR));
    }
    if !inner.ledger.debit(ProviderId::VESICASH, &money) {
        return Err(bad(INSUFFICIENT));
    }
    let id = format!("RF_{}", inner.random_upper(20));
    let entry = LedgerEntry {
        provider: ProviderId::VESICASH,
        kind: EntryKind::Refund,
        id: id.clone(),
        reference: req.reason.clone().or_else(|| req.narration.clone()),
        amount: money,
        scripted: ScriptedOutcome::for_recipient(&recipient),
        recipient,
        status: EntryStatus::Pending,
        callback_url,
        payment_reference: Some(payment_reference),
        request_body: String::from_utf8_lossy(body).into_owned(),
        created_at: Utc::now(),
        settled_at: None,
        details: Details::new(VesicashDetails {
            amount_json,
            reason: req.reason,
            narration: req.narration,
        }),
    };
    let data = EntryData::of(&entry);
    inner.ledger.push(entry);
    drop(inner);
    settle::schedule(shared, &Vesicash, id);
    Ok(success("refund is being processed", data))
}
