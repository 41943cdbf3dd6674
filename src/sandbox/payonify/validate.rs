//! `POST /v1/payouts/validate`: checks an EcoCash recipient without moving money.

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;

use super::auth::authorize;
use super::create::INVALID_JSON;
use super::destination::ecocash_number;
use super::holder::names;
use super::wire::{INVALID_REQUEST, error};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::{Reply, finish, json};

#[derive(Serialize)]
struct Validation {
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    recipient: Option<Recipient>,
}

#[derive(Serialize)]
struct Recipient {
    first_name: &'static str,
    last_name: &'static str,
    account_status: &'static str,
    mobile_number: String,
}

pub(crate) async fn validate(headers: HeaderMap, body: Bytes) -> Response {
    finish(validate_reply(&headers, &body))
}

fn validate_reply(headers: &HeaderMap, body: &[u8]) -> Reply {
    authorize(headers)?;
    let request: Value = serde_json::from_slice(body).map_err(|_| {
        error(
            StatusCode::BAD_REQUEST,
            INVALID_REQUEST,
            Some("parameter_invalid"),
            INVALID_JSON,
            None,
        )
    })?;
    let number = ecocash_number(&request)?;
    let refused = matches!(
        ScriptedOutcome::for_recipient(&number),
        Some(ScriptedOutcome::InvalidAccount | ScriptedOutcome::AccountBlocked)
    );
    let answer = if refused {
        Validation {
            valid: false,
            recipient: None,
        }
    } else {
        let (first_name, last_name) = names(&number);
        Validation {
            valid: true,
            recipient: Some(Recipient {
                first_name,
                last_name,
                account_status: "active",
                mobile_number: number,
            }),
        }
    };
    Ok(json(StatusCode::OK, &answer))
}
