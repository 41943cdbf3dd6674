//! `GET /disbursement/v1_0/account/balance[/{currency}]` and
//! `GET /disbursement/v1_0/accountholder/msisdn/{msisdn}/active|basicuserinfo`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::json;

use super::auth::authorize;
use super::scenario::{self, Holder};
use super::wire::{NOT_FOUND, error};
use crate::model::ProviderId;
use crate::money::Currency;
use crate::sandbox::respond::{Reply, finish, json};
use crate::sandbox::state::Shared;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BalanceJson {
    available_balance: String,
    currency: &'static str,
}

pub(crate) async fn balance(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    finish(balance_reply(&shared, &headers, None))
}

pub(crate) async fn balance_in(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(currency): Path<String>,
) -> Response {
    finish(balance_reply(&shared, &headers, Some(&currency)))
}

fn balance_reply(shared: &Shared, headers: &HeaderMap, asked: Option<&str>) -> Reply {
    let own = authorize(shared, headers)?;
    let currency = match asked {
        None => own,
        Some(code) => code.parse::<Currency>().map_err(|_| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INVALID_CURRENCY",
                "Currency not supported.",
            )
        })?,
    };
    let amount = shared.lock().ledger.balance(ProviderId::MTN_MOMO, currency);
    Ok(json(
        StatusCode::OK,
        &BalanceJson {
            available_balance: amount.normalize().to_string(),
            currency: currency.code(),
        },
    ))
}

pub(crate) async fn active(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(msisdn): Path<String>,
) -> Response {
    finish(holder_reply(&shared, &headers, &msisdn, false))
}

pub(crate) async fn basic_user_info(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(msisdn): Path<String>,
) -> Response {
    finish(holder_reply(&shared, &headers, &msisdn, true))
}

fn holder_reply(shared: &Shared, headers: &HeaderMap, msisdn: &str, info: bool) -> Reply {
    authorize(shared, headers)?;
    let not_found = || error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", NOT_FOUND);
    if msisdn.is_empty() || !msisdn.bytes().all(|b| b.is_ascii_digit()) {
        return Err(not_found());
    }
    let active = match scenario::holder(msisdn) {
        Holder::Active => true,
        Holder::NotActive => false,
        Holder::NotFound => return Err(not_found()),
        Holder::Refused(status, code, message) => return Err(error(status, code, message)),
    };
    if !info {
        return Ok(json(StatusCode::OK, &json!({ "result": active })));
    }
    // MTN's own sandbox mock of basic user info.
    Ok(json(
        StatusCode::OK,
        &json!({
            "sub": "0",
            "name": "Sand Box",
            "given_name": "Sand",
            "family_name": "Box",
            "birthdate": "1976-08-13",
            "locale": "sv_SE",
            "gender": "MALE",
            "updated_at": "1676978048",
            "status": if active { "ACTIVE" } else { "INACTIVE" },
        }),
    ))
}
