//! `GET /wallets/balance`: the payout wallet is the ledger's KES balance; the collection wallet is
//! a fixed amount the sandbox never moves.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use rust_decimal::Decimal;
use serde::Serialize;

use super::token::authorize;
use crate::model::ProviderId;
use crate::money::Currency;
use crate::sandbox::respond::{Reply, finish, json};
use crate::sandbox::state::Shared;

/// The collection wallet balance, KES.
const COLLECTION_WALLET: Decimal = Decimal::from_parts(25_000_000, 0, 0, false, 2);

#[derive(Serialize)]
struct Balances {
    collection_wallet_balance: String,
    payout_wallet_balance: String,
    total_balance: String,
}

fn fixed_2(value: Decimal) -> String {
    let mut v = value;
    v.rescale(2);
    v.to_string()
}

pub(crate) async fn balance(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    finish(balance_reply(&shared, &headers))
}

fn balance_reply(shared: &Shared, headers: &HeaderMap) -> Reply {
    authorize(shared, headers)?;
    let payout = shared
        .lock()
        .ledger
        .balance(ProviderId::JPAY, Currency::KES);
    Ok(json(
        StatusCode::OK,
        &Balances {
            collection_wallet_balance: fixed_2(COLLECTION_WALLET),
            payout_wallet_balance: fixed_2(payout),
            total_balance: fixed_2(COLLECTION_WALLET + payout),
        },
    ))
}
