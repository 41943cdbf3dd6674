//! The simulated MTN MoMo (Disbursement): token, transfers, deposits, refunds and their status,
//! balance, account holders; callbacks; MTN's documented sandbox numbers (see `scenario.rs`).

pub(crate) mod account;
pub(crate) mod auth;
pub(crate) mod hooks;
pub(crate) mod query;
pub(crate) mod scenario;
pub(crate) mod sim;
pub(crate) mod transfer;
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

/// Which money-moving operation an entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Operation {
    Transfer,
    DepositV1,
    DepositV2,
    RefundV1,
    RefundV2,
}

impl Operation {
    pub(crate) fn is_refund(self) -> bool {
        matches!(self, Operation::RefundV1 | Operation::RefundV2)
    }

    /// The v2 operations call back with PUT.
    pub(crate) fn is_v2(self) -> bool {
        matches!(self, Operation::DepositV2 | Operation::RefundV2)
    }
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum Op {
    Token,
    Create(Operation),
    GetTransfer,
    GetDeposit,
    GetRefund,
    Balance,
    BalanceIn,
    Active,
    BasicUserInfo,
}

/// Every MTN MoMo endpoint, relative to the base URL.
pub(crate) const ROUTES: &[(Endpoint, Op)] = &[
    (Endpoint::post("/disbursement/token/"), Op::Token),
    (
        Endpoint::post("/disbursement/v1_0/transfer"),
        Op::Create(Operation::Transfer),
    ),
    (
        Endpoint::get("/disbursement/v1_0/transfer/{id}"),
        Op::GetTransfer,
    ),
    (
        Endpoint::post("/disbursement/v1_0/deposit"),
        Op::Create(Operation::DepositV1),
    ),
    (
        Endpoint::post("/disbursement/v2_0/deposit"),
        Op::Create(Operation::DepositV2),
    ),
    (
        Endpoint::get("/disbursement/v1_0/deposit/{id}"),
        Op::GetDeposit,
    ),
    (
        Endpoint::post("/disbursement/v1_0/refund"),
        Op::Create(Operation::RefundV1),
    ),
    (
        Endpoint::post("/disbursement/v2_0/refund"),
        Op::Create(Operation::RefundV2),
    ),
    (
        Endpoint::get("/disbursement/v1_0/refund/{id}"),
        Op::GetRefund,
    ),
    (
        Endpoint::get("/disbursement/v1_0/account/balance"),
        Op::Balance,
    ),
    (
        Endpoint::get("/disbursement/v1_0/account/balance/{currency}"),
        Op::BalanceIn,
    ),
    (
        Endpoint::get("/disbursement/v1_0/accountholder/msisdn/{msisdn}/active"),
        Op::Active,
    ),
    (
        Endpoint::get("/disbursement/v1_0/accountholder/msisdn/{msisdn}/basicuserinfo"),
        Op::BasicUserInfo,
    ),
];

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    crate::sandbox::routes::router(ROUTES, |op, filter| match op {
        Op::Token => on(filter, auth::token),
        Op::Create(Operation::Transfer) => on(filter, transfer::transfer),
        Op::Create(Operation::DepositV1) => on(filter, transfer::deposit_v1),
        Op::Create(Operation::DepositV2) => on(filter, transfer::deposit_v2),
        Op::Create(Operation::RefundV1) => on(filter, transfer::refund_v1),
        Op::Create(Operation::RefundV2) => on(filter, transfer::refund_v2),
        Op::GetTransfer => on(filter, query::transfer),
        Op::GetDeposit => on(filter, query::deposit),
        Op::GetRefund => on(filter, query::refund),
        Op::Balance => on(filter, account::balance),
        Op::BalanceIn => on(filter, account::balance_in),
        Op::Active => on(filter, account::active),
        Op::BasicUserInfo => on(filter, account::basic_user_info),
    })
    .fallback(not_found)
    .with_state(shared)
}

async fn not_found() -> Response {
    wire::error(StatusCode::NOT_FOUND, "RESOURCE_NOT_FOUND", wire::NOT_FOUND)
}
