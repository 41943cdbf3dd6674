//! `POST /disbursement/v1_0/transfer`, `v1_0/deposit`, `v2_0/deposit`, `v1_0/refund`,
//! `v2_0/refund`: accepted under the client's `X-Reference-Id` with `202` and no body; a reused
//! id is `409 RESOURCE_ALREADY_EXIST`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::Value;

use super::Operation;
use super::auth::authorize;
use super::scenario::{self, Payee};
use super::types::MtnMomo;
use super::types::MtnMomoDetails;
use super::wire::{DUPLICATE, NOT_FOUND, error, rejected};
use crate::model::ProviderId;
use crate::money::{Currency, Money};
use crate::providers::mtn_momo::{MAX_NOTE_CHARS, reference_id_is_v4};
use crate::sandbox::details::Details;
use crate::sandbox::ledger::{EntryKind, EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::{Reply, finish, header, is_callback_url};
use crate::sandbox::settle;
use crate::sandbox::state::Shared;

macro_rules! handler {
    ($name:ident, $op:expr) => {
        pub(crate) async fn $name(
            State(shared): State<Arc<Shared>>,
            headers: HeaderMap,
            body: Bytes,
        ) -> Response {
            finish(create(&shared, $op, &headers, &body))
        }
    };
}

handler!(transfer, Operation::Transfer);
handler!(deposit_v1, Operation::DepositV1);
handler!(deposit_v2, Operation::DepositV2);
handler!(refund_v1, Operation::RefundV1);
handler!(refund_v2, Operation::RefundV2);

fn text<'a>(body: &'a Value, field: &str) -> Option<&'a str> {
    body.get(field).and_then(Value::as_str)
}

/// A payer message or payee note: at most 160 characters, no apostrophe.
fn note(body: &Value, field: &str) -> Result<String, Response> {
    let value = match body.get(field) {
        None | Some(Value::Null) => return Ok(String::new()),
        Some(Value::String(s)) => s,
        Some(_) => return Err(rejected(&format!("{field} must be a string."))),
    };
    if value.chars().count() > MAX_NOTE_CHARS {
        return Err(rejected(&format!(
            "{field} must be at most {MAX_NOTE_CHARS} characters."
        )));
    }
    if value.contains('\'') {
        return Err(rejected(&format!(
            "{field} contains an unsupported character."
        )));
    }
    Ok(value.clone())
}

/// `"5000"`, `"5.00"`: a positive decimal string with at most the currency's decimals.
fn amount(body: &Value, currency: Currency) -> Result<Money, Response> {
    let invalid = || rejected("amount must be a positive decimal string.");
    let text = text(body, "amount").ok_or_else(invalid)?;
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err(invalid());
    }
    let value = text.parse::<Decimal>().map_err(|_| invalid())?;
    let money = Money::new(value, currency).map_err(|_| invalid())?;
    if money.is_zero() {
        return Err(invalid());
    }
    Ok(money)
}

fn create(shared: &Arc<Shared>, op: Operation, headers: &HeaderMap, body: &[u8]) -> Reply {
    let currency = authorize(shared, headers)?;
    let id = header(headers, "x-reference-id")
        .unwrap_or("")
        .trim()
        .to_owned();
    if !reference_id_is_v4(&id) {
        return Err(rejected("X-Reference-Id must be a UUID version 4."));
    }
    let callback_url = match header(headers, "x-callback-url") {
        None => None,
        Some(url) if is_callback_url(url) => Some(url.to_owned()),
        Some(_) => {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INVALID_CALLBACK_URL_HOST",
                "The callback URL is not valid.",
            ));
        }
    };
    let body: Value = serde_json::from_slice(body).map_err(|_| rejected("Invalid JSON body."))?;
    match text(&body, "currency") {
        Some(c) if c == currency.code() => {}
        _ => {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INVALID_CURRENCY",
                "Currency not supported.",
            ));
        }
    }
    let money = amount(&body, currency)?;
    let payer_message = note(&body, "payerMessage")?;
    let payee_note = note(&body, "payeeNote")?;
    let external_id = text(&body, "externalId").unwrap_or("").to_owned();
    let (recipient, payment_reference, scripted) = if op.is_refund() {
        let original = text(&body, "referenceIdToRefund").unwrap_or("").trim();
        (String::new(), Some(original.to_owned()), None)
    } else {
        let payee = body.get("payee").unwrap_or(&Value::Null);
        if text(payee, "partyIdType") != Some("MSISDN") {
            return Err(rejected("payee.partyIdType must be MSISDN."));
        }
        let party = text(payee, "partyId").unwrap_or("");
        if !(8..=15).contains(&party.len()) || !party.bytes().all(|b| b.is_ascii_digit()) {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "PAYEE_NOT_FOUND",
                "Payee does not exist",
            ));
        }
        (party.to_owned(), None, scenario::payee(party))
    };
    if let Some(Payee::Refused(status, code, message)) = scripted {
        return Err(error(status, code, message));
    }
    if ScriptedOutcome::is_provider_error_amount(money.amount()) {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_PROCESSING_ERROR",
            "An internal error occurred while processing.",
        ));
    }

    let mut inner = shared.lock();
    if inner.ledger.get(ProviderId::MTN_MOMO, &id).is_some() {
        return Err(error(
            StatusCode::CONFLICT,
            "RESOURCE_ALREADY_EXIST",
            DUPLICATE,
        ));
    }
    if let Some(original) = &payment_reference {
        let Some(payment) = inner.ledger.payment(original).cloned() else {
            return Err(error(
                StatusCode::NOT_FOUND,
                "RESOURCE_NOT_FOUND",
                NOT_FOUND,
            ));
        };
        let refunded = inner.ledger.refunded(ProviderId::MTN_MOMO, original);
        if payment.amount.currency() != currency
            || refunded + money.amount() > payment.amount.amount()
        {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "NOT_ENOUGH_FUNDS",
                "The refund is more than what is left of the payment.",
            ));
        }
    }
    if !inner.ledger.debit(ProviderId::MTN_MOMO, &money) {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "NOT_ENOUGH_FUNDS",
            "The payer does not have enough funds.",
        ));
    }
    let financial_transaction_id = inner.random_from(b"0123456789", 9);
    let crate_scripted = match scripted {
        Some(Payee::Ongoing) => Some(ScriptedOutcome::StaysPending),
        _ => ScriptedOutcome::for_recipient(&recipient),
    };
    let scenario_failure = match scripted {
        Some(Payee::FailsWith(code, message)) => Some(EntryStatus::Failed {
            code: code.to_owned(),
            message: message.to_owned(),
        }),
        _ => None,
    };
    inner.ledger.push(LedgerEntry {
        provider: ProviderId::MTN_MOMO,
        kind: if op.is_refund() {
            EntryKind::Refund
        } else {
            EntryKind::Payout
        },
        id: id.clone(),
        reference: (!external_id.is_empty()).then_some(external_id),
        amount: money,
        recipient,
        status: EntryStatus::Pending,
        scripted: crate_scripted,
        callback_url,
        payment_reference,
        request_body: String::from_utf8_lossy(&serde_json::to_vec(&body).unwrap_or_default())
            .into_owned(),
        created_at: Utc::now(),
        settled_at: None,
        details: Details::new(MtnMomoDetails {
            operation: op,
            payer_message,
            payee_note,
            financial_transaction_id,
            scenario_failure,
        }),
    });
    drop(inner);
    let factor = if scripted == Some(Payee::Delayed) {
        4
    } else {
        1
    };
    settle::schedule_after(shared, &MtnMomo, id, factor);
    Ok(StatusCode::ACCEPTED.into_response())
}
