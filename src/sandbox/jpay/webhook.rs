//! The callback JPay posts to the payout's `callback_url` (as given, token and all) when it is
//! final. JPay does not sign callbacks.

use serde::Serialize;

use super::types::JpayDetails;
use super::wire::{SUCCESS_CODE, SUCCESS_DESCRIPTION};
use crate::model::ProviderId;
use crate::sandbox::deliver::{Outgoing, Signing};
use crate::sandbox::ledger::{EntryStatus, LedgerEntry};

#[derive(Serialize)]
struct Callback {
    notification: Notification,
    data: Data,
}

#[derive(Serialize)]
struct Notification {
    #[serde(rename = "type")]
    kind: &'static str,
    event: String,
}

#[derive(Serialize)]
struct Data {
    result_code: i64,
    result_description: String,
    amount: String,
    ref_no: String,
    beneficiary: Beneficiary,
    transaction_date: String,
    external_ref: String,
    trans_id: String,
}

#[derive(Serialize)]
struct Beneficiary {
    account: String,
    kyc: Option<String>,
}

/// `{notification: {type: "payout", event: "transaction.completed" | "transaction.failed"},
/// data: {result_code, result_description, amount, ref_no, beneficiary: {account, kyc},
/// transaction_date, external_ref, trans_id}}`.
pub(crate) fn build(entry: &LedgerEntry, url: String) -> Option<Outgoing> {
    let JpayDetails {
        trans_id,
        external_ref,
        ..
    } = entry.details.get::<JpayDetails>()?;
    let (event, result_code, result_description, trans_id) = match &entry.status {
        EntryStatus::Pending => return None,
        EntryStatus::Succeeded => (
            "transaction.completed",
            SUCCESS_CODE,
            SUCCESS_DESCRIPTION.to_owned(),
            trans_id.clone(),
        ),
        EntryStatus::Failed { code, message } => (
            "transaction.failed",
            code.parse().unwrap_or(1),
            message.clone(),
            String::new(),
        ),
    };
    let when = entry.settled_at.unwrap_or(entry.created_at);
    let body = serde_json::to_vec(&Callback {
        notification: Notification {
            kind: "payout",
            event: event.to_owned(),
        },
        data: Data {
            result_code,
            result_description,
            amount: entry.amount.to_fixed_2().unwrap_or_default(),
            ref_no: entry.reference.clone().unwrap_or_default(),
            beneficiary: Beneficiary {
                account: entry.recipient.clone(),
                kyc: None,
            },
            transaction_date: when.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
            external_ref: external_ref.clone(),
            trans_id,
        },
    })
    .ok()?;
    Some(Outgoing {
        provider: ProviderId::JPAY,
        event: event.to_owned(),
        entry_id: entry.id.clone(),
        url,
        method: reqwest::Method::POST,
        body,
        signing: Signing::None,
    })
}
