//! `POST /v1/payment/payout/process` (and `/v1/payment/payouts/process`): a payout to a mobile
//! wallet or a bank account.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;

use super::auth::authorize;
use super::catalog::{bank, country};
use super::checks::{amount, momo_number, parse_body, webhook_url};
use super::types::Vesicash;
use super::types::VesicashDetails;
use super::wire::{
    ACCOUNT_INVALID, ACCOUNT_REQUIRED, BANK_ID_REQUIRED, BANK_NOT_FOUND, COUNTRY_NOT_FOUND,
    COUNTRY_REQUIRED, EntryData, INSUFFICIENT, PAYOUT_AMOUNT, PAYOUT_PROVIDER, TRANSFER_TO_INVALID,
    TRANSFER_TO_REQUIRED, error, id_text, status_error, success,
};
use crate::model::ProviderId;
use crate::money::Money;
use crate::sandbox::details::Details;
use crate::sandbox::ledger::{EntryKind, EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::{Reply, finish};
use crate::sandbox::settle;
use crate::sandbox::state::Shared;

pub(crate) async fn create(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(create_reply(&shared, &headers, &body))
}

fn bad(message: &str) -> Response {
    error(StatusCode::BAD_REQUEST, message)
}

fn create_reply(shared: &Arc<Shared>, headers: &HeaderMap, body: &Bytes) -> Reply {
    authorize(headers, true)?;
    let req = parse_body(body)?;
    let (value, amount_json) = amount(req.amount.as_deref()).ok_or_else(|| bad(PAYOUT_AMOUNT))?;
    let country_id = id_text(req.country_id.as_ref()).ok_or_else(|| bad(COUNTRY_REQUIRED))?;
    let country = country(&country_id).ok_or_else(|| bad(COUNTRY_NOT_FOUND))?;
    let money = Money::new(value, country.currency).map_err(|_| bad(PAYOUT_AMOUNT))?;
    let recipient = match req.transfer_to.as_deref() {
        None | Some("") => return Err(bad(TRANSFER_TO_REQUIRED)),
        Some("mobile_number") => {
            momo_number(req.momo_phone_number.as_deref(), Some(country.country))
                .ok_or_else(|| bad(PAYOUT_PROVIDER))?
        }
        Some("bank") => {
            let bank_id = id_text(req.bank_id.as_ref()).ok_or_else(|| bad(BANK_ID_REQUIRED))?;
            bank(&bank_id, country.id).ok_or_else(|| bad(BANK_NOT_FOUND))?;
            let account = req
                .account_number
                .as_deref()
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .ok_or_else(|| bad(ACCOUNT_REQUIRED))?;
            let digits = account.bytes().all(|b| b.is_ascii_digit());
            if !digits || !(6..=20).contains(&account.len()) {
                return Err(bad(ACCOUNT_INVALID));
            }
            account.to_owned()
        }
        Some(_) => return Err(bad(TRANSFER_TO_INVALID)),
    };
    let callback_url = webhook_url(req.webhook_url.as_deref())?;
    if ScriptedOutcome::is_provider_error_amount(value) {
        return Err(status_error(StatusCode::INTERNAL_SERVER_ERROR));
    }

    let mut inner = shared.lock();
    if !inner.ledger.debit(ProviderId::VESICASH, &money) {
        return Err(bad(INSUFFICIENT));
    }
    let id = format!("PY_{}", inner.random_upper(20));
    let entry = LedgerEntry {
        provider: ProviderId::VESICASH,
        kind: EntryKind::Payout,
        id: id.clone(),
        reference: req.reason.clone().or_else(|| req.narration.clone()),
        amount: money,
        scripted: ScriptedOutcome::for_recipient(&recipient),
        recipient,
        status: EntryStatus::Pending,
        callback_url,
        payment_reference: None,
        request_body: String::from_utf8_lossy(body).into_owned(),
        created_at: Utc::now(),
        settled_at: None,
        details: Details::new(VesicashDetails {
            amount_json,
            reason: req.reason,
            narration: req.narration,
        }),
    };
    let data = EntryData::of(&entry);
    inner.ledger.push(entry);
    drop(inner);
    settle::schedule(shared, &Vesicash, id);
    Ok(success("payout is being processed", data))
}
