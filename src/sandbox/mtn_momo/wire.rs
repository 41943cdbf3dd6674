//! MTN MoMo's wire forms: `{code, message}` errors, the TransferResult body, status words.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::types::MtnMomoDetails;
use crate::sandbox::ledger::{EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::json;

/// The 409 of a reused `X-Reference-Id` (the wording seen in the wild).
pub(crate) const DUPLICATE: &str = "Duplicated reference id. Creation of resource failed.";
/// The 404 of an unknown id (the wording seen in the wild).
pub(crate) const NOT_FOUND: &str = "Requested resource was not found.";
/// The API gateway's 401 for a missing or wrong subscription key.
pub(crate) const BAD_SUBSCRIPTION_KEY: &str = "Access denied due to invalid subscription key. \
     Make sure to provide a valid key for an active subscription.";

#[derive(Serialize)]
struct ErrorReason<'a> {
    code: &'a str,
    message: &'a str,
}

/// `{"code": code, "message": message}` with `status`.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    json(status, &ErrorReason { code, message })
}

#[derive(Serialize)]
struct Gateway<'a> {
    #[serde(rename = "statusCode")]
    status_code: u16,
    message: &'a str,
}

/// The API gateway's own shape, `{"statusCode", "message"}` (401 and 403 before MTN's code).
pub(crate) fn gateway(status: StatusCode, message: &str) -> Response {
    json(
        status,
        &Gateway {
            status_code: status.as_u16(),
            message,
        },
    )
}

/// A 400 for a request that breaks the spec (MTN gives no code).
pub(crate) fn rejected(message: &str) -> Response {
    #[derive(Serialize)]
    struct Message<'a> {
        message: &'a str,
    }
    json(StatusCode::BAD_REQUEST, &Message { message })
}

/// The error body for an injected status (5xx, 429).
pub(crate) fn status_error(status: StatusCode) -> Response {
    match status {
        StatusCode::INTERNAL_SERVER_ERROR => error(
            status,
            "INTERNAL_PROCESSING_ERROR",
            "An internal error occurred while processing.",
        ),
        StatusCode::SERVICE_UNAVAILABLE => error(
            status,
            "SERVICE_UNAVAILABLE",
            "The service is currently unavailable.",
        ),
        StatusCode::TOO_MANY_REQUESTS => gateway(status, "Rate limit is exceeded."),
        _ => gateway(status, status.canonical_reason().unwrap_or("Error")),
    }
}

/// The status word.
pub(crate) fn word(status: &EntryStatus) -> &'static str {
    match status {
        EntryStatus::Pending => "PENDING",
        EntryStatus::Succeeded => "SUCCESSFUL",
        EntryStatus::Failed { .. } => "FAILED",
    }
}

/// A failure of the crate-wide scripted outcomes, in MTN's codes.
pub(crate) fn failure(outcome: ScriptedOutcome) -> EntryStatus {
    let (code, message) = match outcome {
        ScriptedOutcome::InsufficientFunds => {
            ("NOT_ENOUGH_FUNDS", "The payer does not have enough funds.")
        }
        ScriptedOutcome::InvalidAccount => ("PAYEE_NOT_FOUND", "Payee does not exist"),
        ScriptedOutcome::AccountBlocked => (
            "PAYEE_NOT_ALLOWED_TO_RECEIVE",
            "The payee is not allowed to receive.",
        ),
        _ => ("APPROVAL_REJECTED", "Approval was rejected."),
    };
    EntryStatus::Failed {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Party<'a> {
    party_id_type: &'static str,
    party_id: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct TransferResult<'a> {
    amount: String,
    currency: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    financial_transaction_id: Option<&'a str>,
    external_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    payee: Option<Party<'a>>,
    payer_message: &'a str,
    payee_note: &'a str,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<ErrorReason<'a>>,
}

/// The GET body (and the callback body) of a transfer, deposit or refund.
pub(crate) fn result_json(entry: &LedgerEntry) -> Option<Vec<u8>> {
    let MtnMomoDetails {
        operation,
        payer_message,
        payee_note,
        financial_transaction_id,
        ..
    } = entry.details.get::<MtnMomoDetails>()?;
    let currency = entry.amount.currency();
    let body = TransferResult {
        amount: entry.amount.to_fixed(currency.minor_units()).ok()?,
        currency: currency.code(),
        financial_transaction_id: matches!(entry.status, EntryStatus::Succeeded)
            .then_some(financial_transaction_id.as_str()),
        external_id: entry.reference.as_deref().unwrap_or(""),
        payee: (!operation.is_refund()).then_some(Party {
            party_id_type: "MSISDN",
            party_id: &entry.recipient,
        }),
        payer_message,
        payee_note,
        status: word(&entry.status),
        reason: match &entry.status {
            EntryStatus::Failed { code, message } => Some(ErrorReason { code, message }),
            _ => None,
        },
    };
    serde_json::to_vec(&body).ok()
}
