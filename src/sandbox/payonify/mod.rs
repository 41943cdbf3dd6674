//! The simulated Payonify: recipient validation, payouts, payout retrieval and listing.

pub(crate) mod auth;
pub(crate) mod create;
pub(crate) mod destination;
pub(crate) mod holder;
pub(crate) mod hooks;
pub(crate) mod idempotency;
pub(crate) mod list;
pub(crate) mod sim;
pub(crate) mod types;
pub(crate) mod validate;
pub(crate) mod webhook;
pub(crate) mod wire;

use std::sync::Arc;

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::on;

use super::routes::Endpoint;
use super::state::Shared;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    Validate,
    Create,
    Retrieve,
    List,
}

/// Every Payonify endpoint, relative to `…/payonify`.
pub(crate) const ROUTES: &[(Endpoint, Op)] = &[
    (Endpoint::post("/v1/payouts/validate"), Op::Validate),
    (Endpoint::post("/v1/payouts"), Op::Create),
    (Endpoint::get("/v1/payouts"), Op::List),
    (Endpoint::get("/v1/payouts/{id}"), Op::Retrieve),
];

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    crate::sandbox::routes::router(ROUTES, |op, filter| match op {
        Op::Validate => on(filter, validate::validate),
        Op::Create => on(filter, create::create),
        Op::Retrieve => on(filter, list::retrieve),
        Op::List => on(filter, list::list),
    })
    .fallback(not_found)
    .with_state(shared)
}

async fn not_found(request: Request) -> Response {
    wire::error(
        StatusCode::NOT_FOUND,
        wire::INVALID_REQUEST,
        None,
        &format!(
            "Unrecognized request URL ({}: {}).",
            request.method(),
            request.uri().path()
        ),
        None,
    )
}
