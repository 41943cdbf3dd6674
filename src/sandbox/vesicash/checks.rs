//! Checks shared by payouts and refunds: body, amount, phone number, webhook URL.

use axum::http::StatusCode;
use axum::response::Response;
use rust_decimal::Decimal;
use serde_json::value::RawValue;

use super::wire::{INVALID_BODY, TransferBody, WEBHOOK_URL_INVALID, error};
use crate::money::JsonDecimal;
use crate::phone::{Country, Msisdn};
use crate::sandbox::respond::is_callback_url;

pub(crate) fn parse_body(bytes: &[u8]) -> Result<TransferBody, Response> {
    serde_json::from_slice(bytes).map_err(|_| error(StatusCode::BAD_REQUEST, INVALID_BODY))
}

/// The amount as a positive decimal, with its JSON token as received; `None` when it is missing,
/// not a number, zero or negative.
pub(crate) fn amount(raw: Option<&RawValue>) -> Option<(Decimal, String)> {
    let raw = raw?;
    let JsonDecimal(value) = serde_json::from_str(raw.get()).ok()?;
    (value > Decimal::ZERO).then(|| (value, raw.get().trim().to_owned()))
}

/// Whether `number` is Vesicash's form of a mobile number (digits with the country code, no `+`)
/// of `country` when one is given.
pub(crate) fn momo_number(number: Option<&str>, country: Option<Country>) -> Option<String> {
    let number = number?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let parsed = Msisdn::parse(number).ok()?;
    if parsed.digits() != number {
        return None;
    }
    match country {
        Some(c) if parsed.country() != Some(c) => None,
        _ => Some(number.to_owned()),
    }
}

/// The webhook URL, if given and valid.
pub(crate) fn webhook_url(url: Option<&str>) -> Result<Option<String>, Response> {
    match url.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(u) if is_callback_url(u) => Ok(Some(u.to_owned())),
        Some(_) => Err(error(StatusCode::BAD_REQUEST, WEBHOOK_URL_INVALID)),
    }
}
