//! The simulated Vesicash: countries, banks, payouts, refunds, status lookups.

pub(crate) mod auth;
pub(crate) mod catalog;
pub(crate) mod checks;
pub(crate) mod hooks;
pub(crate) mod payout;
pub(crate) mod refund;
pub(crate) mod sim;
pub(crate) mod status;
pub(crate) mod types;
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
    Countries,
    Banks,
    Payout,
    Refund,
    Status,
}

/// Every Vesicash endpoint. The payout path appears twice because the docs disagree; the status
/// lookup twice because the docs name none (see the module docs).
pub(crate) const ROUTES: &[(Endpoint, Op)] = &[
    (Endpoint::get("/v1/countries"), Op::Countries),
    (Endpoint::get("/v1/banks"), Op::Banks),
    (Endpoint::post("/v1/payment/payout/process"), Op::Payout),
    (Endpoint::post("/v1/payment/payouts/process"), Op::Payout),
    (Endpoint::post("/v1/payment/refunds/process"), Op::Refund),
    (
        Endpoint::get("/v1/payment/payout/status/{reference}"),
        Op::Status,
    ),
    (Endpoint::get("/v1/payment/{reference}"), Op::Status),
];

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    crate::sandbox::routes::router(ROUTES, |op, filter| match op {
        Op::Countries => on(filter, catalog::countries),
        Op::Banks => on(filter, catalog::banks),
        Op::Payout => on(filter, payout::create),
        Op::Refund => on(filter, refund::create),
        Op::Status => on(filter, status::lookup),
    })
    .fallback(not_found)
    .with_state(shared)
}

async fn not_found() -> Response {
    wire::error(StatusCode::NOT_FOUND, wire::ROUTE_NOT_FOUND)
}
