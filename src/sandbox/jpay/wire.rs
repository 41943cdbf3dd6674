//! JPay's wire forms: `{"detail": …}` errors word for word, the payout object, status words,
//! result codes, and the `{items, pagination}` page.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::channels::channel;
use super::types::JpayDetails;
use crate::sandbox::ledger::{EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::json;

// Documented messages, word for word.
pub(crate) const INVALID_TOKEN: &str = "Invalid or expired token";
pub(crate) const INVALID_PHONE: &str = "Invalid phone number";
pub(crate) const INVALID_AMOUNT: &str = "Invalid amount";
pub(crate) const INSUFFICIENT: &str = "Insufficient balance in payout wallet";
pub(crate) const CHANNEL_REQUIRED: &str = "Channel is required for bank account payouts";
pub(crate) const APP_NOT_FOUND: &str = "App not found";
pub(crate) const SERVER_ERROR: &str = "Internal server error";

/// Documented: `Invalid channel code: 99999`.
pub(crate) fn invalid_channel(code: &str) -> String {
    format!("Invalid channel code: {code}")
}

/// Not in the docs; the wording the integration agreed on.
pub(crate) fn duplicate_ref_no(ref_no: &str) -> String {
    format!("Duplicate ref_no: a payout with ref_no {ref_no} already exists")
}

// Undocumented situations: the sandbox's own words.
pub(crate) const JSON_PARSE: &str = "JSON parse error";
pub(crate) const INVALID_CREDENTIALS: &str = "Invalid app credentials";
pub(crate) const CREDENTIALS_REQUIRED: &str = "app_key and app_secret are required";
pub(crate) const REFRESH_REQUIRED: &str = "refresh is required";
pub(crate) const REF_NO_REQUIRED: &str = "ref_no is required";
pub(crate) const REF_NO_TOO_LONG: &str = "ref_no must be at most 50 characters";
pub(crate) const CALLBACK_REQUIRED: &str = "callback_url is required";
pub(crate) const CALLBACK_INVALID: &str = "Invalid callback_url";
pub(crate) const NARRATION_TOO_LONG: &str = "Narration must be at most 200 characters";
pub(crate) const INVALID_ACCOUNT: &str = "Invalid account number";
pub(crate) const PAYOUT_NOT_FOUND: &str = "Payout not found";
pub(crate) const NOT_FOUND: &str = "Not found.";
pub(crate) const INVALID_PAGE: &str = "Invalid page.";

pub(crate) fn invalid_category(category: &str) -> String {
    format!("Invalid category: {category}")
}

#[derive(Serialize)]
struct Detail<'a> {
    detail: &'a str,
}

/// `{"detail": message}` with `status`.
pub(crate) fn detail(status: StatusCode, message: &str) -> Response {
    json(status, &Detail { detail: message })
}

/// `{"detail": …}` with status 400.
pub(crate) fn bad(message: &str) -> Response {
    detail(StatusCode::BAD_REQUEST, message)
}

/// The error body for an injected status (5xx, 429).
pub(crate) fn status_error(status: StatusCode, retry_after: Option<u64>) -> Response {
    let message = match (status, retry_after) {
        (StatusCode::TOO_MANY_REQUESTS, Some(secs)) => {
            format!("Request was throttled. Expected available in {secs} seconds.")
        }
        (StatusCode::INTERNAL_SERVER_ERROR, _) => SERVER_ERROR.to_owned(),
        _ => status.canonical_reason().unwrap_or("Error").to_owned(),
    };
    detail(status, &message)
}

/// The JPay status word.
pub(crate) fn word(status: &EntryStatus) -> &'static str {
    match status {
        EntryStatus::Pending => "pending",
        EntryStatus::Succeeded => "completed",
        EntryStatus::Failed { .. } => "failed",
    }
}

/// The success result of a callback.
pub(crate) const SUCCESS_CODE: i64 = 0;
pub(crate) const SUCCESS_DESCRIPTION: &str = "The service request is processed successfully";

/// The failed status a scripted outcome ends in: `result_code` and `result_description`.
pub(crate) fn failure(outcome: ScriptedOutcome) -> EntryStatus {
    let (code, message) = match outcome {
        ScriptedOutcome::InsufficientFunds => {
            ("1", "The balance is insufficient for the transaction.")
        }
        ScriptedOutcome::InvalidAccount => ("2040", "The recipient account was not found."),
        ScriptedOutcome::AccountBlocked => ("2041", "The recipient account is blocked."),
        _ => (
            "2042",
            "The transaction was declined by the recipient's provider.",
        ),
    };
    EntryStatus::Failed {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// The payout object as the initiate call documents it.
#[derive(Debug, Serialize)]
pub(crate) struct PayoutJson {
    pub(crate) id: String,
    pub(crate) payto: String,
    pub(crate) amount: String,
    pub(crate) ref_no: String,
    pub(crate) status: &'static str,
    pub(crate) category: String,
    pub(crate) channel: u32,
    pub(crate) channel_name: &'static str,
    pub(crate) channel_type: &'static str,
    pub(crate) created_at: String,
}

/// The payout object of `GET /payments/payouts/{id}` and the list: the initiate fields, then
/// `narration`, `result_code`, `result_description`, `trans_id` (null until final).
#[derive(Debug, Serialize)]
pub(crate) struct PayoutDetailJson {
    #[serde(flatten)]
    pub(crate) payout: PayoutJson,
    pub(crate) narration: String,
    pub(crate) result_code: Option<i64>,
    pub(crate) result_description: Option<String>,
    pub(crate) trans_id: Option<String>,
}

pub(crate) fn payout_json(entry: &LedgerEntry) -> PayoutJson {
    let (channel_code, category, created_at) = match entry.details.get::<JpayDetails>() {
        Some(JpayDetails {
            channel,
            category,
            created_at,
            ..
        }) => (*channel, category.clone(), created_at.clone()),
        _ => (0, String::new(), String::new()),
    };
    let known = channel(channel_code);
    PayoutJson {
        id: entry.id.clone(),
        payto: entry.recipient.clone(),
        amount: entry.amount.to_fixed_2().unwrap_or_default(),
        ref_no: entry.reference.clone().unwrap_or_default(),
        status: word(&entry.status),
        category,
        channel: channel_code,
        channel_name: known.map_or("", |c| c.name),
        channel_type: known.map_or("", |c| c.type_display()),
        created_at,
    }
}

pub(crate) fn payout_detail_json(entry: &LedgerEntry) -> PayoutDetailJson {
    let (narration, trans_id) = match entry.details.get::<JpayDetails>() {
        Some(JpayDetails {
            narration,
            trans_id,
            ..
        }) => (narration.clone(), trans_id.clone()),
        _ => (String::new(), String::new()),
    };
    let (result_code, result_description, trans_id) = match &entry.status {
        EntryStatus::Pending => (None, None, None),
        EntryStatus::Succeeded => (
            Some(SUCCESS_CODE),
            Some(SUCCESS_DESCRIPTION.to_owned()),
            Some(trans_id),
        ),
        EntryStatus::Failed { code, message } => (
            code.parse().ok(),
            Some(message.clone()),
            Some(String::new()),
        ),
    };
    PayoutDetailJson {
        payout: payout_json(entry),
        narration,
        result_code,
        result_description,
        trans_id,
    }
}
