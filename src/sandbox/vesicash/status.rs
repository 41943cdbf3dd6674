//! `GET /v1/payment/payout/status/{reference}` and `GET /v1/payment/{reference}`: the status of a
//! payout or refund, or a payment a test created.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;

use super::auth::authorize;
use super::wire::{EntryData, PAYMENT_NOT_FOUND, error, success};
use crate::model::ProviderId;
use crate::money::JsonDecimal;
use crate::sandbox::ledger::EntryKind;
use crate::sandbox::respond::{Reply, finish};
use crate::sandbox::state::Shared;

#[derive(Serialize)]
struct PaymentData {
    reference: String,
    status: &'static str,
    amount: JsonDecimal,
    currency: &'static str,
    refunded_amount: JsonDecimal,
}

pub(crate) async fn lookup(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(reference): Path<String>,
) -> Response {
    finish(lookup_reply(&shared, &headers, &reference))
}

fn lookup_reply(shared: &Shared, headers: &HeaderMap, reference: &str) -> Reply {
    authorize(headers, true)?;
    let inner = shared.lock();
    if let Some(entry) = inner.ledger.get(ProviderId::VESICASH, reference) {
        let message = match entry.kind {
            EntryKind::Refund => "refund status retrieved successfully",
            EntryKind::Payout => "payout status retrieved successfully",
        };
        return Ok(success(message, EntryData::of(entry)));
    }
    if let Some(payment) = inner.ledger.payment(reference) {
        let data = PaymentData {
            reference: payment.reference.clone(),
            status: "successful",
            amount: payment.amount.to_json_number(),
            currency: payment.amount.currency().code(),
            refunded_amount: JsonDecimal(inner.ledger.refunded(ProviderId::VESICASH, reference)),
        };
        return Ok(success("payment retrieved successfully", data));
    }
    Err(error(StatusCode::BAD_REQUEST, PAYMENT_NOT_FOUND))
}
