//! The simulated JPay: app tokens, payouts, payout queries, channels, wallet balance.

pub(crate) mod channel_list;
pub(crate) mod channels;
pub(crate) mod hooks;
pub(crate) mod page;
pub(crate) mod payout;
pub(crate) mod query;
pub(crate) mod refusal;
pub(crate) mod sim;
pub(crate) mod token;
pub(crate) mod types;
pub(crate) mod wallet;
pub(crate) mod webhook;
pub(crate) mod wire;

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::on;

use super::routes::Endpoint;
use super::state::Shared;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    AppToken,
    Refresh,
    Initiate,
    Get,
    List,
    Channels,
    Balance,
}

/// Every JPay endpoint, relative to `…/jpay/api/v1`.
pub(crate) const ROUTES: &[(Endpoint, Op)] = &[
    (Endpoint::post("/auth/app/token"), Op::AppToken),
    (Endpoint::post("/auth/refresh"), Op::Refresh),
    (Endpoint::post("/payments/payouts/initiate"), Op::Initiate),
    (Endpoint::get("/payments/payouts/{id}"), Op::Get),
    (Endpoint::get("/payments/payouts"), Op::List),
    (Endpoint::get("/channels"), Op::Channels),
    (Endpoint::get("/wallets/balance"), Op::Balance),
];

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    crate::sandbox::routes::router(ROUTES, |op, filter| match op {
        Op::AppToken => on(filter, token::app_token),
        Op::Refresh => on(filter, token::refresh),
        Op::Initiate => on(filter, payout::initiate),
        Op::Get => on(filter, query::get),
        Op::List => on(filter, query::list),
        Op::Channels => on(filter, channel_list::list),
        Op::Balance => on(filter, wallet::balance),
    })
    .fallback(not_found)
    .with_state(shared)
}

async fn not_found() -> Response {
    wire::detail(StatusCode::NOT_FOUND, wire::NOT_FOUND)
}
