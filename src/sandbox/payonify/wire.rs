//! Payonify's wire forms: `{type, code, message, param, doc_url}` errors, the payout object,
//! status words and failure codes.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;

use super::types::PayonifyDetails;
use crate::sandbox::ledger::{EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::json;

/// Where `doc_url` points.
const DOCS: &str = "https://docs.payonify.com/api/errors";

pub(crate) const BAD_KEY: &str = "Invalid API key provided.";
pub(crate) const INVALID_REQUEST: &str = "invalid_request_error";
pub(crate) const AUTHENTICATION: &str = "authentication_error";
pub(crate) const IDEMPOTENCY: &str = "idempotency_error";
pub(crate) const API: &str = "api_error";
pub(crate) const RATE_LIMIT: &str = "rate_limit_error";

/// The param name of the EcoCash number.
pub(crate) const PARAM_MOBILE_NUMBER: &str = "destination[mobile_money][ecocash][mobile_number]";

#[derive(Serialize)]
struct ApiError<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    code: Option<&'a str>,
    message: &'a str,
    param: Option<&'a str>,
    doc_url: String,
}

/// `{type, code, message, param, doc_url}` with `status`.
pub(crate) fn error(
    status: StatusCode,
    kind: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
) -> Response {
    let doc_url = match code {
        Some(c) => format!("{DOCS}#{c}"),
        None => DOCS.to_owned(),
    };
    json(
        status,
        &ApiError {
            kind,
            code,
            message,
            param,
            doc_url,
        },
    )
}

/// 400 `invalid_request_error` / `parameter_invalid` naming `param`.
pub(crate) fn invalid(param: &str, message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        INVALID_REQUEST,
        Some("parameter_invalid"),
        message,
        Some(param),
    )
}

/// 400 `invalid_request_error` / `parameter_missing` naming `param`.
pub(crate) fn missing(param: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        INVALID_REQUEST,
        Some("parameter_missing"),
        &format!("Missing required param: {param}."),
        Some(param),
    )
}

/// The error body for an injected status: `rate_limit_error` for 429, `authentication_error`
/// for 401, `invalid_request_error` for another 4xx, `api_error` otherwise.
pub(crate) fn status_error(status: StatusCode) -> Response {
    if status == StatusCode::UNAUTHORIZED {
        return error(status, AUTHENTICATION, None, BAD_KEY, None);
    }
    if status.is_client_error() && status != StatusCode::TOO_MANY_REQUESTS {
        let message = status.canonical_reason().unwrap_or("Invalid request");
        return error(status, INVALID_REQUEST, None, message, None);
    }
    if status == StatusCode::TOO_MANY_REQUESTS {
        return error(
            status,
            RATE_LIMIT,
            Some("rate_limit"),
            "Too many requests hit the API too quickly. We recommend an exponential backoff of \
             your requests.",
            None,
        );
    }
    error(
        status,
        API,
        None,
        "An unexpected error occurred on Payonify's end. Please try again later.",
        None,
    )
}

/// The Payonify status word.
pub(crate) fn word(status: &EntryStatus) -> &'static str {
    match status {
        EntryStatus::Pending => "pending",
        EntryStatus::Succeeded => "paid",
        EntryStatus::Failed { .. } => "failed",
    }
}

/// The failed status a scripted outcome ends in: `failure_code` and `failure_message`.
pub(crate) fn failure(outcome: ScriptedOutcome) -> EntryStatus {
    let (code, message) = match outcome {
        ScriptedOutcome::InsufficientFunds => (
            "insufficient_funds",
            "The payout could not be completed because of insufficient funds.",
        ),
        ScriptedOutcome::InvalidAccount => (
            "account_not_found",
            "No EcoCash account exists for this mobile number.",
        ),
        ScriptedOutcome::AccountBlocked => (
            "account_blocked",
            "The EcoCash account for this mobile number is blocked.",
        ),
        _ => (
            "declined",
            "The payout was declined by the mobile money provider.",
        ),
    };
    EntryStatus::Failed {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

#[derive(Debug, Serialize)]
pub(crate) struct AmountJson {
    value: i64,
    currency: String,
}

#[derive(Debug, Serialize)]
pub(crate) struct DestinationDetails {
    #[serde(rename = "type")]
    kind: &'static str,
    mobile_money: MobileMoneyDetails,
}

/// `destination_details.mobile_money` as Payonify's official Node SDK types it
/// (`PayoutDestinationDetails`).
#[derive(Debug, Serialize)]
pub(crate) struct MobileMoneyDetails {
    /// `ecocash`, the only destination Payonify pays out to.
    brand: &'static str,
    /// The mobile-money transaction reference, once paid.
    reference: Option<String>,
    /// The EcoCash number, in its 9-digit national form.
    recipient_number: String,
    /// The account holder's name, as validate shows it.
    recipient_name: String,
    /// The merchant channel the money left from (a sandbox choice: the SDK names the field,
    /// nothing says its form).
    channel_number: &'static str,
    /// The network: `econet`.
    network: &'static str,
}

/// The sandbox merchant's EcoCash channel number.
pub(crate) const CHANNEL_NUMBER: &str = "263770000000";

/// The payout object.
#[derive(Debug, Serialize)]
pub(crate) struct PayoutObject {
    id: String,
    object: &'static str,
    amount: AmountJson,
    livemode: bool,
    created: i64,
    status: &'static str,
    description: Option<String>,
    metadata: serde_json::Map<String, serde_json::Value>,
    destination_details: DestinationDetails,
    failure_code: Option<String>,
    failure_message: Option<String>,
}

pub(crate) fn payout_object(entry: &LedgerEntry) -> PayoutObject {
    let (description, metadata, mobile_number, created, reference) =
        match entry.details.get::<PayonifyDetails>() {
            Some(PayonifyDetails {
                description,
                metadata,
                mobile_number,
                created,
                provider_reference,
            }) => (
                description.clone(),
                metadata.clone(),
                mobile_number.clone(),
                *created,
                provider_reference.clone(),
            ),
            _ => (None, serde_json::Map::new(), String::new(), 0, None),
        };
    let (failure_code, failure_message) = match &entry.status {
        EntryStatus::Failed { code, message } => (Some(code.clone()), Some(message.clone())),
        _ => (None, None),
    };
    PayoutObject {
        id: entry.id.clone(),
        object: "payout",
        amount: AmountJson {
            value: entry.amount.to_minor_units().unwrap_or_default(),
            currency: entry.amount.currency().code().to_ascii_lowercase(),
        },
        livemode: false,
        created,
        status: word(&entry.status),
        description,
        metadata,
        destination_details: DestinationDetails {
            kind: "mobile_money",
            mobile_money: MobileMoneyDetails {
                brand: "ecocash",
                reference: reference.filter(|_| entry.status == EntryStatus::Succeeded),
                recipient_name: super::holder::recipient_name(&mobile_number),
                recipient_number: mobile_number,
                channel_number: CHANNEL_NUMBER,
                network: "econet",
            },
        },
        failure_code,
        failure_message,
    }
}
