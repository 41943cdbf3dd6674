//! Vesicash's wire forms: the `{status, code, message, data}` envelope, the request body, the
//! documented error messages, status words and failure codes.

use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::types::VesicashDetails;
use crate::sandbox::ledger::{EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::json;

/// Documented (sic): the payout amount is zero, negative or not a number.
pub(crate) const PAYOUT_AMOUNT: &str = "payout amount is less that 0";
/// Documented: the payment (or payout) reference matches nothing.
pub(crate) const PAYMENT_NOT_FOUND: &str = "payment not found";
/// Documented: the refund amount is zero, negative or above what is left to refund.
pub(crate) const REFUND_AMOUNT: &str = "Refund amount exceeds the remaining refundable balance";
/// Documented, for payouts and refunds alike: the wallet cannot cover the amount.
pub(crate) const INSUFFICIENT: &str =
    "Insufficient funds or wallet error preventing refund processing";
/// Documented: `momo_phone_number` is not a valid E.164 mobile-money number (payouts).
pub(crate) const PAYOUT_PROVIDER: &str = "Payout Provider service returned an error";
/// Documented: `momo_phone_number` is not a valid E.164 mobile-money number (refunds).
pub(crate) const REFUND_PROVIDER: &str = "Refund Provider service returned an error";

// Undocumented situations: the sandbox's own words.
pub(crate) const INVALID_BODY: &str = "invalid request body";
pub(crate) const INVALID_PUBLIC_KEY: &str = "invalid public key";
pub(crate) const INVALID_SECRET_KEY: &str = "invalid secret key";
pub(crate) const COUNTRY_REQUIRED: &str = "country_id is required";
pub(crate) const COUNTRY_NOT_FOUND: &str = "country not found";
pub(crate) const TRANSFER_TO_REQUIRED: &str = "transfer_to is required";
pub(crate) const TRANSFER_TO_INVALID: &str = "transfer_to must be one of mobile_number, bank";
pub(crate) const REFUND_TRANSFER_TO_INVALID: &str = "transfer_to must be mobile_number";
pub(crate) const BANK_ID_REQUIRED: &str = "bank_id is required";
pub(crate) const BANK_NOT_FOUND: &str = "bank not found";
pub(crate) const ACCOUNT_REQUIRED: &str = "account_number is required";
pub(crate) const ACCOUNT_INVALID: &str = "invalid account number";
pub(crate) const WEBHOOK_URL_INVALID: &str = "webhook_url must be a valid URL";
pub(crate) const ROUTE_NOT_FOUND: &str = "route not found";

/// The body of payouts and refunds. Fields are lenient in type where the docs disagree (`amount`
/// number or numeric string, ids string or number) and strict elsewhere.
#[derive(Debug, Deserialize)]
pub(crate) struct TransferBody {
    pub(crate) amount: Option<Box<RawValue>>,
    pub(crate) country_id: Option<serde_json::Value>,
    pub(crate) transfer_to: Option<String>,
    pub(crate) momo_phone_number: Option<String>,
    pub(crate) bank_id: Option<serde_json::Value>,
    pub(crate) account_number: Option<String>,
    pub(crate) webhook_url: Option<String>,
    pub(crate) reason: Option<String>,
    pub(crate) narration: Option<String>,
    pub(crate) payment_reference: Option<String>,
}

/// An id given as a JSON string or number, as text.
pub(crate) fn id_text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    status: &'a str,
    code: u16,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<T>,
}

/// `{status: "success", code: 200, message, data}`.
pub(crate) fn success<T: Serialize>(message: &str, data: T) -> Response {
    json(
        StatusCode::OK,
        &Envelope {
            status: "success",
            code: 200,
            message,
            data: Some(data),
        },
    )
}

/// `{status: "error", code, message}` with the same HTTP status.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    json(
        status,
        &Envelope::<()> {
            status: "error",
            code: status.as_u16(),
            message,
            data: None,
        },
    )
}

/// The error envelope for an injected status (5xx, 429).
pub(crate) fn status_error(status: StatusCode) -> Response {
    let message = status
        .canonical_reason()
        .unwrap_or("error")
        .to_ascii_lowercase();
    error(status, &message)
}

/// A payout's or refund's `data`: `{reference, status, amount, reason?, payment_reference?}`.
#[derive(Debug, Serialize)]
pub(crate) struct EntryData {
    pub(crate) reference: String,
    pub(crate) status: &'static str,
    pub(crate) amount: Option<Box<RawValue>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payment_reference: Option<String>,
}

impl EntryData {
    pub(crate) fn of(entry: &LedgerEntry) -> EntryData {
        let amount_json = match entry.details.get::<VesicashDetails>() {
            Some(details) => details.amount_json.clone(),
            None => entry.amount.amount().to_string(),
        };
        EntryData {
            reference: entry.id.clone(),
            status: word(&entry.status),
            amount: raw(amount_json),
            reason: match &entry.status {
                EntryStatus::Failed { code, .. } => Some(code.clone()),
                _ => None,
            },
            payment_reference: entry.payment_reference.clone(),
        }
    }
}

/// A JSON token kept as received (written as `null` if it somehow is not JSON).
pub(crate) fn raw(text: String) -> Option<Box<RawValue>> {
    RawValue::from_string(text).ok()
}

/// The Vesicash status word.
pub(crate) fn word(status: &EntryStatus) -> &'static str {
    match status {
        EntryStatus::Pending => "processing",
        EntryStatus::Succeeded => "successful",
        EntryStatus::Failed { .. } => "failed",
    }
}

/// The failed status a scripted outcome ends in, with Vesicash's failure codes.
pub(crate) fn failure(outcome: ScriptedOutcome) -> EntryStatus {
    let (code, message) = match outcome {
        ScriptedOutcome::InsufficientFunds => ("INSUFFICIENT_FUNDS", "insufficient funds"),
        ScriptedOutcome::InvalidAccount => ("ACCOUNT_NOT_FOUND", "account not found"),
        ScriptedOutcome::AccountBlocked => ("ACCOUNT_BLOCKED", "account blocked"),
        _ => ("DECLINED_TRANSACTION", "transaction declined"),
    };
    EntryStatus::Failed {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}
