//! Daraja's wire shapes: the error body, the acknowledgement, the `Result` callbacks, and the
//! result codes the scripted recipients end with.

use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Value, json};

use crate::sandbox::ledger::{EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond;

/// `{requestId, errorCode, errorMessage}` with `status`.
pub(crate) fn error(status: StatusCode, code: &str, message: &str) -> Response {
    respond::json(
        status,
        &json!({
            "requestId": "sandbox-request",
            "errorCode": code,
            "errorMessage": message,
        }),
    )
}

/// `Bad Request - Invalid <field>` (`400.002.02`).
pub(crate) fn invalid(field: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        "400.002.02",
        &format!("Bad Request - Invalid {field}"),
    )
}

/// The token refusal every API call answers a missing, unknown or replaced token with.
pub(crate) fn invalid_token() -> Response {
    error(StatusCode::NOT_FOUND, "404.001.03", "Invalid Access Token")
}

/// The documented duplicate refusal.
pub(crate) const DUPLICATE_CODE: &str = "500.002.1001";

/// An injected 5xx or 429: Daraja's spike arrest for 429, its internal error otherwise.
pub(crate) fn status_error(status: StatusCode) -> Response {
    if status == StatusCode::TOO_MANY_REQUESTS {
        error(status, "500.003.02", "Spike Arrest Violation")
    } else {
        error(status, "500.003.1001", "Internal Server Error")
    }
}

/// The acknowledgement of B2C, Transaction Status and Account Balance.
pub(crate) fn ack(conversation_id: &str, originator_conversation_id: &str) -> Value {
    json!({
        "ConversationID": conversation_id,
        "OriginatorConversationID": originator_conversation_id,
        "ResponseCode": "0",
        "ResponseDescription": "Accept the service request successfully.",
    })
}

/// The result code and description each failing scripted outcome ends with.
pub(crate) fn failure(outcome: ScriptedOutcome) -> EntryStatus {
    let (code, message) = match outcome {
        ScriptedOutcome::InsufficientFunds => {
            ("1", "The balance is insufficient for the transaction.")
        }
        ScriptedOutcome::InvalidAccount => ("SFC_IC0003", "The operator does not exist."),
        ScriptedOutcome::AccountBlocked => (
            "2040",
            "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service.",
        ),
        _ => (
            "8",
            "The amount would exceed the customer's maximum balance.",
        ),
    };
    EntryStatus::Failed {
        code: code.to_owned(),
        message: message.to_owned(),
    }
}

/// The result code and description of a final entry.
fn code_of(status: &EntryStatus) -> (&str, &str) {
    match status {
        EntryStatus::Failed { code, message } => (code, message),
        _ => ("0", "The service request is processed successfully."),
    }
}

/// The `ReferenceData` Daraja's samples carry: its own internal URL, which clients ignore.
fn reference_data(kind: &str) -> Value {
    json!({"ReferenceItem": {
        "Key": "QueueTimeoutURL",
        "Value": format!("https://internalsandbox.safaricom.co.ke/mpesa/{kind}/v1/submit"),
    }})
}

/// The B2C result POSTed to the `ResultURL` of a final payout. Success carries the documented
/// `ResultParameters`; a failure none.
pub(crate) fn payout_result(
    entry: &LedgerEntry,
    originator_conversation_id: &str,
    conversation_id: &str,
    transaction_id: &str,
    utility_balance: &str,
) -> Value {
    let (code, desc) = code_of(&entry.status);
    let mut result = json!({
        "ResultType": 0,
        "ResultCode": result_code_json(code),
        "ResultDesc": desc,
        "OriginatorConversationID": originator_conversation_id,
        "ConversationID": conversation_id,
        "TransactionID": transaction_id,
        "ReferenceData": reference_data("b2cresults"),
    });
    if matches!(entry.status, EntryStatus::Succeeded) {
        let completed = entry
            .settled_at
            .unwrap_or(entry.created_at)
            .format("%d.%m.%Y %H:%M:%S")
            .to_string();
        result["ResultParameters"] = json!({"ResultParameter": [
            {"Key": "TransactionAmount", "Value": whole(entry)},
            {"Key": "TransactionReceipt", "Value": transaction_id},
            {"Key": "ReceiverPartyPublicName", "Value": format!("{} - SANDBOX RECIPIENT", entry.recipient)},
            {"Key": "TransactionCompletedDateTime", "Value": completed},
            {"Key": "B2CUtilityAccountAvailableFunds", "Value": utility_balance},
            {"Key": "B2CWorkingAccountAvailableFunds", "Value": "0.00"},
            {"Key": "B2CRecipientIsRegisteredCustomer", "Value": "Y"},
            {"Key": "B2CChargesPaidAccountAvailableFunds", "Value": "0.00"},
        ]});
    }
    json!({ "Result": result })
}

/// A numeric code as a JSON number (as Daraja's samples write them), another as a string.
fn result_code_json(code: &str) -> Value {
    code.parse::<u64>()
        .map_or_else(|_| json!(code), |n| json!(n))
}

/// The amount in whole shillings, as a JSON number.
fn whole(entry: &LedgerEntry) -> Value {
    let amount = entry.amount.amount().trunc().to_string();
    amount
        .parse::<u64>()
        .map_or_else(|_| json!(amount), |n| json!(n))
}

/// The word Transaction Status reports for an entry.
fn transaction_status(status: &EntryStatus) -> &'static str {
    match status {
        EntryStatus::Pending => "Pending",
        EntryStatus::Succeeded => "Completed",
        EntryStatus::Failed { .. } => "Declined",
    }
}

/// The Transaction Status result for a payout the query found.
pub(crate) fn status_found(
    entry: &LedgerEntry,
    originator_conversation_id: &str,
    payout_conversation_id: &str,
    transaction_id: &str,
    query_ids: (&str, &str),
) -> Value {
    let (query_originator, query_conversation) = query_ids;
    json!({"Result": {
        "ResultType": 0,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": query_originator,
        "ConversationID": query_conversation,
        "TransactionID": transaction_id,
        "ResultParameters": {"ResultParameter": [
            {"Key": "DebitPartyName", "Value": "600997 - Safaricom B2C"},
            {"Key": "CreditPartyName", "Value": format!("{} - SANDBOX RECIPIENT", entry.recipient)},
            {"Key": "OriginatorConversationID", "Value": originator_conversation_id},
            {"Key": "DebitAccountType", "Value": "Utility Account"},
            {"Key": "ReasonType", "Value": "Business Payment to Customer via API"},
            {"Key": "TransactionStatus", "Value": transaction_status(&entry.status)},
            {"Key": "Amount", "Value": entry.amount.amount().trunc().to_string()},
            {"Key": "ConversationID", "Value": payout_conversation_id},
            {"Key": "ReceiptNo", "Value": transaction_id},
        ]},
        "ReferenceData": {"ReferenceItem": {"Key": "Occasion"}},
    }})
}

/// The Transaction Status result for an id no payout has: Daraja documents no code for it; the
/// sandbox answers `2032` ("no such transaction"), a non-zero code as the adapter expects.
pub(crate) fn status_not_found(query_ids: (&str, &str)) -> Value {
    json!({"Result": {
        "ResultType": 0,
        "ResultCode": 2032,
        "ResultDesc": "The transaction was not found.",
        "OriginatorConversationID": query_ids.0,
        "ConversationID": query_ids.1,
        "TransactionID": "OA90000000",
        "ReferenceData": reference_data("tsresults"),
    }})
}

/// The Account Balance result: the documented `AccountBalance` text, the Utility Account holding
/// the sandbox's KES balance.
pub(crate) fn balance_result(utility: &str, query_ids: (&str, &str)) -> Value {
    let accounts = format!(
        "Working Account|KES|0.00|0.00|0.00|0.00&Float Account|KES|0.00|0.00|0.00|0.00&Utility Account|KES|{utility}|{utility}|0.00|0.00&Charges Paid Account|KES|0.00|0.00|0.00|0.00&Organization Settlement Account|KES|0.00|0.00|0.00|0.00"
    );
    json!({"Result": {
        "ResultType": 0,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "OriginatorConversationID": query_ids.0,
        "ConversationID": query_ids.1,
        "TransactionID": "OA90000000",
        "ResultParameters": {"ResultParameter": [
            {"Key": "AccountBalance", "Value": accounts},
            {"Key": "BOCompletedTime", "Value": 20200109125710_u64},
        ]},
        "ReferenceData": reference_data("abresults"),
    }})
}
