//! `POST /payments/payouts/initiate`: a payout to a Kenyan phone (channel inferred from the
//! carrier) or a bank account (channel required), unique per `ref_no`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::Utc;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

use super::channels::{channel, inferred};
use super::refusal::Refusing;
use super::token::authorize;
use super::types::JPAY_CREDENTIALS;
use super::types::Jpay;
use super::types::JpayDetails;
use super::wire::{
    APP_NOT_FOUND, CALLBACK_INVALID, CALLBACK_REQUIRED, CHANNEL_REQUIRED, INSUFFICIENT,
    INVALID_ACCOUNT, INVALID_AMOUNT, INVALID_PHONE, JSON_PARSE, NARRATION_TOO_LONG,
    REF_NO_REQUIRED, REF_NO_TOO_LONG, bad, detail, duplicate_ref_no, invalid_category,
    invalid_channel, payout_json, status_error,
};
use crate::model::ProviderId;
use crate::money::{Currency, Money};
use crate::phone::{Country, Msisdn};
use crate::sandbox::details::Details;
use crate::sandbox::ledger::{EntryKind, EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::{Reply, finish, is_callback_url, json};
use crate::sandbox::settle;
use crate::sandbox::state::Shared;

/// The categories JPay accepts.
pub(crate) const CATEGORIES: [&str; 5] = ["ecommerce", "gaming", "adult_content", "forex", "other"];

/// Field types are checked here rather than by serde, so a wrong type gets JPay's message.
#[derive(Deserialize)]
struct InitiateBody {
    payto: Option<Value>,
    amount: Option<Value>,
    ref_no: Option<Value>,
    callback_url: Option<Value>,
    category: Option<Value>,
    narration: Option<Value>,
    channel: Option<Value>,
    app_code: Option<Value>,
}

pub(crate) async fn initiate(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(initiate_reply(&shared, &headers, &body))
}

/// `"1000.00"`: a string with exactly two decimals, 1.00 to 999999.99.
fn amount(value: Option<&Value>) -> Option<Money> {
    let text = value?.as_str()?;
    let (whole, cents) = text.split_once('.')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(cents) || cents.len() != 2 || whole.len() > 6 {
        return None;
    }
    let money = Money::parse(text, Currency::KES).ok()?;
    (money.amount() >= Decimal::ONE).then_some(money)
}

fn text(value: Option<&Value>) -> Option<&str> {
    value.and_then(Value::as_str)
}

fn initiate_reply(shared: &Arc<Shared>, headers: &HeaderMap, body: &Bytes) -> Reply {
    authorize(shared, headers)?;
    if let Some(refusal) = shared.lock().own::<Refusing>().0 {
        return Err(refusal.response());
    }
    let req: InitiateBody = serde_json::from_slice(body).map_err(|_| bad(JSON_PARSE))?;
    if let Some(code) = &req.app_code
        && code.as_u64() != Some(u64::from(JPAY_CREDENTIALS.app_code))
    {
        return Err(detail(StatusCode::NOT_FOUND, APP_NOT_FOUND));
    }
    let money = amount(req.amount.as_ref()).ok_or_else(|| bad(INVALID_AMOUNT))?;
    let given_channel = match &req.channel {
        None | Some(Value::Null) => None,
        Some(value) => {
            let shown = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            let known = value
                .as_u64()
                .and_then(|c| u32::try_from(c).ok())
                .and_then(channel)
                .filter(|c| c.active);
            Some(known.ok_or_else(|| bad(&invalid_channel(&shown)))?)
        }
    };
    let payto = text(req.payto.as_ref())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| bad(INVALID_PHONE))?;
    let channel_code = match given_channel {
        Some(c) if c.bank => {
            let valid =
                (5..=20).contains(&payto.len()) && payto.bytes().all(|b| b.is_ascii_alphanumeric());
            if !valid {
                return Err(bad(INVALID_ACCOUNT));
            }
            c.code
        }
        _ if payto.starts_with('+') => {
            let phone = Msisdn::parse(payto)
                .ok()
                .filter(|m| m.country() == Some(Country::Kenya) && m.e164() == payto)
                .ok_or_else(|| bad(INVALID_PHONE))?;
            given_channel.map_or_else(|| inferred(phone.network()), |c| c.code)
        }
        None if payto.bytes().all(|b| b.is_ascii_digit()) => {
            return Err(bad(CHANNEL_REQUIRED));
        }
        _ => return Err(bad(INVALID_PHONE)),
    };
    let ref_no = text(req.ref_no.as_ref())
        .filter(|r| !r.is_empty())
        .ok_or_else(|| bad(REF_NO_REQUIRED))?;
    if ref_no.chars().count() > 50 {
        return Err(bad(REF_NO_TOO_LONG));
    }
    let callback_url = text(req.callback_url.as_ref())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| bad(CALLBACK_REQUIRED))?;
    if !is_callback_url(callback_url) {
        return Err(bad(CALLBACK_INVALID));
    }
    let category = match &req.category {
        None | Some(Value::Null) => "other".to_owned(),
        Some(value) => match value.as_str() {
            Some(c) if CATEGORIES.contains(&c) => c.to_owned(),
            _ => {
                let shown = value
                    .as_str()
                    .map_or_else(|| value.to_string(), str::to_owned);
                return Err(bad(&invalid_category(&shown)));
            }
        },
    };
    let narration = match &req.narration {
        None | Some(Value::Null) => "Disbursement".to_owned(),
        Some(value) => {
            let n = value.as_str().ok_or_else(|| bad(NARRATION_TOO_LONG))?;
            if n.chars().count() > 200 {
                return Err(bad(NARRATION_TOO_LONG));
            }
            n.to_owned()
        }
    };
    if ScriptedOutcome::is_provider_error_amount(money.amount()) {
        return Err(status_error(StatusCode::INTERNAL_SERVER_ERROR, None));
    }

    let mut inner = shared.lock();
    let taken = inner
        .ledger
        .entries(ProviderId::JPAY)
        .any(|e| e.reference.as_deref() == Some(ref_no));
    if taken {
        return Err(bad(&duplicate_ref_no(ref_no)));
    }
    if !inner.ledger.debit(ProviderId::JPAY, &money) {
        return Err(bad(INSUFFICIENT));
    }
    let id = format!("{ref_no}-{}", inner.random_upper(6));
    let trans_id = format!("Q{}", inner.random_upper(9));
    let external_ref = format!("PR{}", inner.random_from(b"0123456789", 5));
    let now = Utc::now();
    let entry = LedgerEntry {
        provider: ProviderId::JPAY,
        kind: EntryKind::Payout,
        id: id.clone(),
        reference: Some(ref_no.to_owned()),
        amount: money,
        recipient: payto.to_owned(),
        status: EntryStatus::Pending,
        scripted: ScriptedOutcome::for_recipient(payto),
        callback_url: Some(callback_url.to_owned()),
        payment_reference: None,
        request_body: String::from_utf8_lossy(body).into_owned(),
        created_at: now,
        settled_at: None,
        details: Details::new(JpayDetails {
            channel: channel_code,
            category,
            narration,
            created_at: now.format("%d/%m/%Y %H:%M:%S").to_string(),
            trans_id,
            external_ref,
        }),
    };
    let response = payout_json(&entry);
    inner.ledger.push(entry);
    drop(inner);
    settle::schedule(shared, &Jpay, id);
    Ok(json(StatusCode::OK, &response))
}
