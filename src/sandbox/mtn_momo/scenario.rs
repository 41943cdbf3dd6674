//! MTN's documented sandbox numbers (the "Sandbox Use Cases" table): payees and account holders
//! that end a known way.
//!
//! MTN names the scenarios but not how each surfaces; the choices, isolated here:
//!
//! | payee (transfer, deposit) | scenario | here |
//! |---|---|---|
//! | `46733123450` | Failed | accepted, then `FAILED` `INTERNAL_PROCESSING_ERROR` |
//! | `46733123451` | Rejected | accepted, then `FAILED` `APPROVAL_REJECTED` |
//! | `46733123452` | Expired | accepted, then `FAILED` `EXPIRED` |
//! | `46733123453` | Ongoing | accepted, stays `PENDING` (no callback) |
//! | `46733123454` | Delayed | accepted, `SUCCESSFUL` after four settle delays |
//! | `46733123455` | NotEnoughFunds | accepted, then `FAILED` `NOT_ENOUGH_FUNDS` |
//! | `46733123456` | PayerLimitReached | accepted, then `FAILED` `PAYER_LIMIT_REACHED` |
//! | `46733123457` | PayeeNotFound | accepted, then `FAILED` `PAYEE_NOT_FOUND` |
//! | `46733123458` | NotAllowed | 500 `NOT_ALLOWED`, nothing recorded |
//! | `46733123459` | NotAllowedTargetEnvironment | 500 `NOT_ALLOWED_TARGET_ENVIRONMENT`, nothing recorded |
//! | `46733123460` | InvalidCallbackUrlHost | 500 `INVALID_CALLBACK_URL_HOST`, nothing recorded |
//! | `46733123461` | InvalidCurrency | 500 `INVALID_CURRENCY`, nothing recorded |
//! | `46733123462` | InternalProcessingError | 500 `INTERNAL_PROCESSING_ERROR`, nothing recorded |
//! | `46733123463` | ServiceUnavailable | 503 `SERVICE_UNAVAILABLE`, nothing recorded |
//!
//! Deposits use the transfer table (MTN numbers deposits differently from `…455` on; one table
//! keeps a test number meaning one thing). Account holders (`…/active`): `…450` not found (404),
//! `…451` not active (`result: false`), `…452` 500 `NOT_ALLOWED`, `…453` 500
//! `NOT_ALLOWED_TARGET_ENVIRONMENT`, `…454` 500 `INTERNAL_PROCESSING_ERROR`, `…455` 503
//! `SERVICE_UNAVAILABLE`; any other number is active.

use axum::http::StatusCode;

/// What a payee number does to a transfer or deposit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Payee {
    /// Accepted, then failed with this reason code and message.
    FailsWith(&'static str, &'static str),
    /// Accepted, never settles.
    Ongoing,
    /// Accepted, succeeds late.
    Delayed,
    /// Refused synchronously: nothing recorded.
    Refused(StatusCode, &'static str, &'static str),
}

/// The scenario of a transfer payee, if it is one of MTN's test numbers.
pub(crate) fn payee(party_id: &str) -> Option<Payee> {
    let last = party_id.strip_prefix("467331234")?;
    let e500 = StatusCode::INTERNAL_SERVER_ERROR;
    Some(match last {
        "50" => Payee::FailsWith(
            "INTERNAL_PROCESSING_ERROR",
            "An internal error occurred while processing.",
        ),
        "51" => Payee::FailsWith("APPROVAL_REJECTED", "Approval was rejected."),
        "52" => Payee::FailsWith("EXPIRED", "The request expired."),
        "53" => Payee::Ongoing,
        "54" => Payee::Delayed,
        "55" => Payee::FailsWith("NOT_ENOUGH_FUNDS", "The payer does not have enough funds."),
        "56" => Payee::FailsWith(
            "PAYER_LIMIT_REACHED",
            "The payer's limit has been breached.",
        ),
        "57" => Payee::FailsWith("PAYEE_NOT_FOUND", "Payee does not exist"),
        "58" => Payee::Refused(
            e500,
            "NOT_ALLOWED",
            "Authorization failed. Insufficient permissions.",
        ),
        "59" => Payee::Refused(
            e500,
            "NOT_ALLOWED_TARGET_ENVIRONMENT",
            "Access to target environment is forbidden.",
        ),
        "60" => Payee::Refused(
            e500,
            "INVALID_CALLBACK_URL_HOST",
            "The callback URL host is not the registered one.",
        ),
        "61" => Payee::Refused(e500, "INVALID_CURRENCY", "Currency not supported."),
        "62" => Payee::Refused(
            e500,
            "INTERNAL_PROCESSING_ERROR",
            "An internal error occurred while processing.",
        ),
        "63" => Payee::Refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is currently unavailable.",
        ),
        _ => return None,
    })
}

/// What an account-holder number answers to `…/active`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holder {
    Active,
    NotFound,
    NotActive,
    Refused(StatusCode, &'static str, &'static str),
}

pub(crate) fn holder(msisdn: &str) -> Holder {
    let e500 = StatusCode::INTERNAL_SERVER_ERROR;
    match msisdn.strip_prefix("467331234") {
        Some("50") => Holder::NotFound,
        Some("51") => Holder::NotActive,
        Some("52") => Holder::Refused(
            e500,
            "NOT_ALLOWED",
            "Authorization failed. Insufficient permissions.",
        ),
        Some("53") => Holder::Refused(
            e500,
            "NOT_ALLOWED_TARGET_ENVIRONMENT",
            "Access to target environment is forbidden.",
        ),
        Some("54") => Holder::Refused(
            e500,
            "INTERNAL_PROCESSING_ERROR",
            "An internal error occurred while processing.",
        ),
        Some("55") => Holder::Refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is currently unavailable.",
        ),
        _ => Holder::Active,
    }
}
