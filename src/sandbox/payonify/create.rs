//! `POST /v1/payouts`: an EcoCash payout in `usd` or `zwg`, idempotent under `Idempotency-Key`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use chrono::Utc;
use serde_json::{Map, Value};

use super::auth::authorize;
use super::destination::ecocash_number;
use super::idempotency::{IdempotencyStore, Lookup, Stored};
use super::types::Payonify;
use super::types::PayonifyDetails;
use super::wire::{
    IDEMPOTENCY, INVALID_REQUEST, error, invalid, missing, payout_object, status_error,
};
use crate::model::ProviderId;
use crate::money::{Currency, Money};
use crate::sandbox::details::Details;
use crate::sandbox::ledger::{EntryKind, EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::{Reply, finish, header, raw_json};
use crate::sandbox::settle;
use crate::sandbox::state::Shared;

/// The header that carries the key.
pub(crate) const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// The header a replayed answer carries.
pub(crate) const REPLAYED_HEADER: &str = "idempotent-replayed";

pub(crate) const INVALID_JSON: &str = "Invalid JSON in request body.";
pub(crate) const INVALID_KEY: &str = "Invalid Idempotency-Key: it must be 1 to 255 characters.";
pub(crate) const AMOUNT_NOT_INTEGER: &str =
    "Invalid amount: it must be a positive integer in the smallest currency unit.";
pub(crate) const AMOUNT_TOO_SMALL: &str = "Invalid amount: the minimum is 100.";
pub(crate) const INVALID_CURRENCY: &str = "Invalid currency: it must be one of usd, zwg.";
pub(crate) const DESCRIPTION_TOO_LONG: &str =
    "Invalid description: it must be at most 150 characters.";
pub(crate) const METADATA_NOT_OBJECT: &str = "Invalid metadata: it must be an object.";
pub(crate) const METADATA_TOO_MANY_KEYS: &str = "Invalid metadata: at most 5 keys are allowed.";
pub(crate) const METADATA_KEY_TOO_LONG: &str =
    "Invalid metadata: keys must be at most 40 characters.";
pub(crate) const METADATA_VALUE_NOT_STRING: &str = "Invalid metadata value: it must be a string.";
pub(crate) const METADATA_VALUE_TOO_LONG: &str =
    "Invalid metadata value: it must be at most 500 characters.";
pub(crate) const INSUFFICIENT: &str =
    "You have insufficient funds in your Payonify balance for this payout.";

fn idempotency_conflict(key: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        IDEMPOTENCY,
        None,
        &format!(
            "Keys for idempotent requests can only be used with the same parameters they were \
             first used with. Try using a key other than '{key}' if you meant to execute a \
             different request."
        ),
        None,
    )
}

fn replay(stored: Stored) -> Response {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut response = raw_json(status, stored.body);
    response
        .headers_mut()
        .insert(REPLAYED_HEADER, HeaderValue::from_static("true"));
    response
}

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(create_reply(&shared, &headers, &body))
}

/// What a valid create body asks for.
struct Valid {
    money: Money,
    mobile_number: String,
    description: Option<String>,
    metadata: Map<String, Value>,
}

fn validate(body: &Value) -> Result<Valid, Response> {
    let minor = match body.get("amount") {
        None | Some(Value::Null) => return Err(missing("amount")),
        Some(v) => v
            .as_i64()
            .ok_or_else(|| invalid("amount", AMOUNT_NOT_INTEGER))?,
    };
    if minor < 100 {
        return Err(invalid("amount", AMOUNT_TOO_SMALL));
    }
    let currency = match body.get("currency") {
        None | Some(Value::Null) => return Err(missing("currency")),
        Some(v) => match v.as_str() {
            Some("usd") => Currency::USD,
            Some("zwg") => Currency::ZWG,
            _ => return Err(invalid("currency", INVALID_CURRENCY)),
        },
    };
    let money = Money::from_minor_units(minor, currency)
        .map_err(|_| invalid("amount", AMOUNT_NOT_INTEGER))?;
    let mobile_number = ecocash_number(body)?;
    let description = match body.get("description") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let d = v
                .as_str()
                .ok_or_else(|| invalid("description", DESCRIPTION_TOO_LONG))?;
            if d.chars().count() > 150 {
                return Err(invalid("description", DESCRIPTION_TOO_LONG));
            }
            Some(d.to_owned())
        }
    };
    let metadata = match body.get("metadata") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return Err(invalid("metadata", METADATA_NOT_OBJECT)),
    };
    if metadata.len() > 5 {
        return Err(invalid("metadata", METADATA_TOO_MANY_KEYS));
    }
    for (key, value) in &metadata {
        if key.chars().count() > 40 {
            return Err(invalid("metadata", METADATA_KEY_TOO_LONG));
        }
        let param = format!("metadata[{key}]");
        let text = value
            .as_str()
            .ok_or_else(|| invalid(&param, METADATA_VALUE_NOT_STRING))?;
        if text.chars().count() > 500 {
            return Err(invalid(&param, METADATA_VALUE_TOO_LONG));
        }
    }
    Ok(Valid {
        money,
        mobile_number,
        description,
        metadata,
    })
}

fn create_reply(shared: &Arc<Shared>, headers: &HeaderMap, body: &Bytes) -> Reply {
    authorize(headers)?;
    let key = match header(headers, IDEMPOTENCY_HEADER) {
        None => None,
        Some(k) if k.is_empty() || k.len() > 255 => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                INVALID_REQUEST,
                None,
                INVALID_KEY,
                None,
            ));
        }
        Some(k) => Some(k.to_owned()),
    };
    let request: Value = serde_json::from_slice(body).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            Some("parameter_invalid"),
            INVALID_JSON,
            None,
        )
    })?;
    if let Some(k) = &key {
        match shared.lock().own::<IdempotencyStore>().lookup(k, &request) {
            Lookup::Fresh => {}
            Lookup::Replay(stored) => return Ok(replay(stored)),
            Lookup::Conflict => return Err(idempotency_conflict(k)),
        }
    }
    let valid = validate(&request)?;
    if ScriptedOutcome::is_provider_error_amount(valid.money.amount()) {
        return Err(status_error(StatusCode::INTERNAL_SERVER_ERROR));
    }

    let mut inner = shared.lock();
    // Checked again under the same lock as the commit: a twin may have won the race.
    if let Some(k) = &key {
        match inner.own::<IdempotencyStore>().lookup(k, &request) {
            Lookup::Fresh => {}
            Lookup::Replay(stored) => return Ok(replay(stored)),
            Lookup::Conflict => return Err(idempotency_conflict(k)),
        }
    }
    if !inner.ledger.debit(ProviderId::PAYONIFY, &valid.money) {
        return Err(error(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            Some("balance_insufficient"),
            INSUFFICIENT,
            None,
        ));
    }
    let id = format!("po_{}", inner.random_alnum(24));
    let now = Utc::now();
    let provider_reference = format!("MP{}.{}", now.format("%y%m%d.%H%M"), inner.random_upper(6));
    let entry = LedgerEntry {
        provider: ProviderId::PAYONIFY,
        kind: EntryKind::Payout,
        id: id.clone(),
        reference: key.clone(),
        amount: valid.money,
        scripted: ScriptedOutcome::for_recipient(&valid.mobile_number),
        recipient: valid.mobile_number.clone(),
        status: EntryStatus::Pending,
        callback_url: None,
        payment_reference: None,
        request_body: String::from_utf8_lossy(body).into_owned(),
        created_at: now,
        settled_at: None,
        details: Details::new(PayonifyDetails {
            description: valid.description,
            metadata: valid.metadata,
            mobile_number: valid.mobile_number,
            created: now.timestamp(),
            provider_reference: Some(provider_reference),
        }),
    };
    let bytes = Bytes::from(
        serde_json::to_vec(&payout_object(&entry))
            .map_err(|_| status_error(StatusCode::INTERNAL_SERVER_ERROR))?,
    );
    inner.ledger.push(entry);
    if let Some(k) = key {
        inner.own::<IdempotencyStore>().keep(
            k,
            Stored {
                request,
                status: 200,
                body: bytes.clone(),
            },
        );
    }
    drop(inner);
    settle::schedule(shared, &Payonify, id);
    Ok(raw_json(StatusCode::OK, bytes))
}
