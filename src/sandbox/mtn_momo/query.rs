//! `GET /disbursement/v1_0/transfer/{id}`, `v1_0/deposit/{id}`, `v1_0/refund/{id}`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::Operation;
use super::auth::authorize;
use super::types::MtnMomoDetails;
use super::wire::{NOT_FOUND, error, result_json};
use crate::model::ProviderId;
use crate::sandbox::respond::{Reply, finish, raw_json};
use crate::sandbox::state::Shared;

/// Which resource family a GET path reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    Transfer,
    Deposit,
    Refund,
}

impl Family {
    fn holds(self, op: Operation) -> bool {
        match self {
            Family::Transfer => op == Operation::Transfer,
            Family::Deposit => matches!(op, Operation::DepositV1 | Operation::DepositV2),
            Family::Refund => op.is_refund(),
        }
    }
}

pub(crate) async fn transfer(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(read(&shared, Family::Transfer, &headers, &id))
}

pub(crate) async fn deposit(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(read(&shared, Family::Deposit, &headers, &id))
}

pub(crate) async fn refund(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(read(&shared, Family::Refund, &headers, &id))
}

fn read(shared: &Shared, family: Family, headers: &HeaderMap, id: &str) -> Reply {
    authorize(shared, headers)?;
    let not_found = || error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", NOT_FOUND);
    let inner = shared.lock();
    let entry = inner
        .ledger
        .get(ProviderId::MTN_MOMO, id)
        .filter(|e| {
            e.details
                .get::<MtnMomoDetails>()
                .is_some_and(|d| family.holds(d.operation))
        })
        .ok_or_else(not_found)?;
    let body = result_json(entry).ok_or_else(not_found)?;
    Ok(raw_json(StatusCode::OK, Bytes::from(body)))
}
