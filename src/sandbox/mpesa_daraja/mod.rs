//! The simulated M-Pesa Daraja (B2C): OAuth tokens (a new one invalidates the last), B2C payment
//! requests checked down to the SecurityCredential, results delivered to the `ResultURL`,
//! Transaction Status and Account Balance queries answered by callback.

pub(crate) mod auth;
pub(crate) mod b2c;
pub(crate) mod hooks;
pub(crate) mod query;
pub(crate) mod sim;
pub(crate) mod types;
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
    Token,
    Payment,
    Status,
    Balance,
}

/// Every Daraja endpoint, relative to the base URL.
pub(crate) const ROUTES: &[(Endpoint, Op)] = &[
    (Endpoint::get("/oauth/v1/generate"), Op::Token),
    (Endpoint::post("/mpesa/b2c/v3/paymentrequest"), Op::Payment),
    (
        Endpoint::post("/mpesa/transactionstatus/v1/query"),
        Op::Status,
    ),
    (
        Endpoint::post("/mpesa/accountbalance/v1/query"),
        Op::Balance,
    ),
];

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    crate::sandbox::routes::router(ROUTES, |op, filter| match op {
        Op::Token => on(filter, auth::token),
        Op::Payment => on(filter, b2c::payment_request),
        Op::Status => on(filter, query::transaction_status),
        Op::Balance => on(filter, query::account_balance),
    })
    .fallback(not_found)
    .with_state(shared)
}

async fn not_found() -> Response {
    wire::error(StatusCode::NOT_FOUND, "404.001.01", "Resource not found")
}
