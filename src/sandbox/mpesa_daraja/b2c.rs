//! `POST /mpesa/b2c/v3/paymentrequest`: every documented field checked, a reused
//! `OriginatorConversationID` refused as a duplicate, the amount debited, the result delivered
//! to the `ResultURL` once the payout settles.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::auth::{authorize, credential_valid};
use super::types::MpesaDaraja;
use super::types::{MPESA_DARAJA_CREDENTIALS, MpesaDarajaDetails, reference_in};
use super::wire::{self, DUPLICATE_CODE, error, invalid};
use crate::model::ProviderId;
use crate::money::{Currency, Money};
use crate::sandbox::details::Details;
use crate::sandbox::ledger::{EntryKind, EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::{Reply, finish, is_callback_url, json};
use crate::sandbox::settle;
use crate::sandbox::state::{Inner, Shared};

/// The command ids B2C accepts.
pub(crate) const COMMAND_IDS: [&str; 3] = ["BusinessPayment", "SalaryPayment", "PromotionPayment"];

/// The per-transaction limits in whole shillings.
const MIN_AMOUNT: i64 = 1;
const MAX_AMOUNT: i64 = 150_000;

pub(crate) async fn payment_request(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(create(&shared, &headers, &body))
}

/// The JSON object of a request, else `400.002.05` "Invalid Request Payload".
pub(crate) fn object(body: &[u8]) -> Result<Map<String, Value>, Response> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(error(
            StatusCode::BAD_REQUEST,
            "400.002.05",
            "Invalid Request Payload",
        )),
    }
}

/// A non-empty text field (a number counts as its text), else `Bad Request - Invalid <field>`.
pub(crate) fn text(req: &Map<String, Value>, field: &str) -> Result<String, Response> {
    match req.get(field) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::Number(n)) => Ok(n.to_string()),
        _ => Err(invalid(field)),
    }
}

/// A callback URL field.
pub(crate) fn url(req: &Map<String, Value>, field: &str) -> Result<String, Response> {
    let url = text(req, field)?;
    if is_callback_url(&url) {
        Ok(url)
    } else {
        Err(invalid(field))
    }
}

/// Whether the initiator and its SecurityCredential are the sandbox's: the check Daraja reports
/// as result `2001` when they are not.
pub(crate) fn initiator_valid(name: &str, credential: &str) -> bool {
    name == MPESA_DARAJA_CREDENTIALS.initiator_name && credential_valid(credential)
}

/// `AG_<yyyymmdd>_<20 hex>`, the form of Daraja's `ConversationID`.
pub(crate) fn conversation_id(inner: &mut Inner) -> String {
    format!(
        "AG_{}_{}",
        Utc::now().format("%Y%m%d"),
        inner.random_hex(20)
    )
}

fn create(shared: &Arc<Shared>, headers: &HeaderMap, body: &[u8]) -> Reply {
    authorize(shared, headers)?;
    let req = object(body)?;
    let originator = text(&req, "OriginatorConversationID")?;
    let initiator = text(&req, "InitiatorName")?;
    let credential = text(&req, "SecurityCredential")?;
    let command = text(&req, "CommandID")?;
    if !COMMAND_IDS.contains(&command.as_str()) {
        return Err(invalid("CommandID"));
    }
    let amount = whole_shillings(&req).ok_or_else(|| invalid("Amount"))?;
    let party_a = text(&req, "PartyA")?;
    if party_a != MPESA_DARAJA_CREDENTIALS.shortcode {
        return Err(invalid("PartyA"));
    }
    let party_b = text(&req, "PartyB")?;
    if !(party_b.len() == 12
        && party_b.starts_with("254")
        && party_b.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid("PartyB"));
    }
    let remarks = text(&req, "Remarks")?;
    if !(2..=100).contains(&remarks.chars().count()) {
        return Err(invalid("Remarks"));
    }
    if let Some(occasion) = req.get("Occassion")
        && !occasion
            .as_str()
            .is_some_and(|o| (1..=100).contains(&o.chars().count()))
    {
        return Err(invalid("Occassion"));
    }
    let timeout_url = url(&req, "QueueTimeOutURL")?;
    let result_url = url(&req, "ResultURL")?;
    let initiator_ok = initiator_valid(&initiator, &credential);

    let mut inner = shared.lock();
    let duplicate = inner.ledger.entries(ProviderId::MPESA_DARAJA).any(|e| {
        e.details
            .get::<MpesaDarajaDetails>()
            .is_some_and(|d| d.originator_conversation_id == originator)
    });
    if duplicate {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            DUPLICATE_CODE,
            "Duplicate OriginatorConversationID.",
        ));
    }
    let money = Money::new(Decimal::from(amount), Currency::KES).map_err(|_| invalid("Amount"))?;
    let debited = initiator_ok && inner.ledger.debit(ProviderId::MPESA_DARAJA, &money);
    let forced_failure = if !initiator_ok {
        Some(EntryStatus::Failed {
            code: "2001".to_owned(),
            message: "The initiator information is invalid.".to_owned(),
        })
    } else if !debited {
        Some(wire::failure(ScriptedOutcome::InsufficientFunds))
    } else {
        None
    };
    let conversation = conversation_id(&mut inner);
    let transaction_id = inner.random_upper(10);
    let entry = LedgerEntry {
        provider: ProviderId::MPESA_DARAJA,
        kind: EntryKind::Payout,
        id: originator.clone(),
        reference: Some(reference_in(Some(&party_a), &originator)),
        amount: money,
        recipient: party_b.clone(),
        status: EntryStatus::Pending,
        scripted: ScriptedOutcome::for_recipient(&party_b),
        callback_url: Some(result_url),
        payment_reference: None,
        request_body: String::from_utf8_lossy(body).into_owned(),
        created_at: Utc::now(),
        settled_at: None,
        details: Details::new(MpesaDarajaDetails {
            originator_conversation_id: originator.clone(),
            conversation_id: conversation.clone(),
            transaction_id,
            timeout_url,
            forced_failure,
            debited,
        }),
    };
    inner.ledger.push(entry);
    drop(inner);
    settle::schedule(shared, &MpesaDaraja, originator.clone());
    Ok(json(StatusCode::OK, &wire::ack(&conversation, &originator)))
}

/// `Amount` as whole shillings within the limits: a numeric string or a JSON integer; a decimal
/// is refused (Daraja's docs say whole numbers only).
fn whole_shillings(req: &Map<String, Value>) -> Option<i64> {
    let amount = match req.get("Amount")? {
        Value::String(s) => s.trim().parse::<i64>().ok()?,
        Value::Number(n) => n.as_i64()?,
        _ => return None,
    };
    (MIN_AMOUNT..=MAX_AMOUNT)
        .contains(&amount)
        .then_some(amount)
}
