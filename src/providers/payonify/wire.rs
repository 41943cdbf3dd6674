//! Payonify's JSON, as private serde structs, and the exhaustive mappings from its words to the
//! crate's: payout status, failure code, error body.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::error::{AuthFailure, Error, Refusal, RejectCode};
use crate::http::snippet;
use crate::model::{FailureReason, Payout, ProviderId, RecipientCheck, Reference, Status};
use crate::money::{Currency, Money};
use crate::raw::RawJson;

use super::REFERENCE_METADATA_KEY;

const PROVIDER: ProviderId = ProviderId::PAYONIFY;

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// `destination: {"mobile_money": {"ecocash": {"mobile_number": "771111111"}}}`.
#[derive(Debug, Serialize)]
pub(super) struct WireDestination<'a> {
    pub(super) mobile_money: WireMobileMoney<'a>,
}

#[derive(Debug, Serialize)]
pub(super) struct WireMobileMoney<'a> {
    pub(super) ecocash: WireEcocash<'a>,
}

#[derive(Debug, Serialize)]
pub(super) struct WireEcocash<'a> {
    pub(super) mobile_number: &'a str,
}

impl<'a> WireDestination<'a> {
    pub(super) fn ecocash(mobile_number: &'a str) -> Self {
        WireDestination {
            mobile_money: WireMobileMoney {
                ecocash: WireEcocash { mobile_number },
            },
        }
    }
}

/// The body of `POST /v1/payouts`.
#[derive(Debug, Serialize)]
pub(super) struct CreatePayoutBody<'a> {
    pub(super) amount: i64,
    pub(super) currency: &'static str,
    pub(super) destination: WireDestination<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) description: Option<&'a str>,
    pub(super) metadata: BTreeMap<&'a str, &'a str>,
}

/// The body of `POST /v1/payouts/validate`.
#[derive(Debug, Serialize)]
pub(super) struct ValidateBody<'a> {
    pub(super) destination: WireDestination<'a>,
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/// `{value, currency}`: `value` in integer minor units, like the create body's `amount`.
#[derive(Debug, Deserialize)]
pub(super) struct WireAmount {
    pub(super) value: i64,
    pub(super) currency: String,
}

/// The payout object. Only what the crate maps is typed; the rest (`livemode`,
/// `destination_details`, `description`) stays in the raw JSON kept on [`Payout::raw`].
#[derive(Debug, Deserialize)]
pub(super) struct WirePayout {
    pub(super) id: String,
    #[serde(default)]
    pub(super) amount: Option<WireAmount>,
    #[serde(default)]
    pub(super) created: Option<i64>,
    pub(super) status: String,
    #[serde(default)]
    pub(super) metadata: Option<BTreeMap<String, serde_json::Value>>,
    #[serde(default)]
    pub(super) failure_code: Option<String>,
    #[serde(default)]
    pub(super) failure_message: Option<String>,
}

impl WirePayout {
    /// The merchant reference this crate stored in the metadata, when it is a valid one.
    pub(super) fn reference(&self) -> Option<Reference> {
        let value = self
            .metadata
            .as_ref()?
            .get(REFERENCE_METADATA_KEY)?
            .as_str()?;
        Reference::new(value).ok()
    }

    /// The amount, when its currency is one this crate knows and the value is representable.
    pub(super) fn money(&self) -> Option<Money> {
        let amount = self.amount.as_ref()?;
        let currency = Currency::from_code(&amount.currency)?;
        Money::from_minor_units(amount.value, currency).ok()
    }

    /// The normalized status.
    pub(super) fn status(&self) -> Status {
        map_status(
            &self.status,
            self.failure_code.as_deref(),
            self.failure_message.as_deref(),
        )
    }

    /// The normalized payout, with `raw` kept for audit.
    pub(super) fn into_payout(self, raw: RawJson) -> Payout {
        let mut payout = Payout::new(PROVIDER, self.id.clone(), self.status());
        payout.reference = self.reference();
        payout.amount = self.money();
        payout.created_at = self
            .created
            .and_then(|secs| DateTime::<Utc>::from_timestamp(secs, 0));
        payout.raw = raw;
        payout
    }
}

/// `{object: "list", data: [...], paging: {...}}`.
#[derive(Debug, Deserialize)]
pub(super) struct WireList {
    pub(super) data: Vec<serde_json::Value>,
    pub(super) paging: WirePaging,
}

#[derive(Debug, Deserialize)]
pub(super) struct WirePaging {
    #[serde(default)]
    pub(super) has_next_page: bool,
    #[serde(default)]
    pub(super) end_cursor: Option<String>,
}

/// `{valid, recipient?: {first_name, last_name, account_status, mobile_number}}`.
#[derive(Debug, Deserialize)]
pub(super) struct WireValidation {
    pub(super) valid: bool,
    #[serde(default)]
    pub(super) recipient: Option<WireRecipient>,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireRecipient {
    #[serde(default)]
    pub(super) first_name: Option<String>,
    #[serde(default)]
    pub(super) last_name: Option<String>,
    #[serde(default)]
    pub(super) account_status: Option<String>,
}

impl WireValidation {
    pub(super) fn into_check(self, raw: RawJson) -> RecipientCheck {
        let mut check = RecipientCheck::new(self.valid, raw);
        if let Some(recipient) = self.recipient {
            let name = [recipient.first_name, recipient.last_name]
                .into_iter()
                .flatten()
                .map(|part| part.trim().to_owned())
                .filter(|part| !part.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            check.name = (!name.is_empty()).then_some(name);
            check.account_status = recipient.account_status;
        }
        check
    }
}

/// The webhook envelope `{id: "evt_…", object: "event", type, created, livemode, data: {object}}`.
#[derive(Debug, Deserialize)]
pub(super) struct WireEvent {
    pub(super) id: String,
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) data: WireEventData,
}

#[derive(Debug, Deserialize)]
pub(super) struct WireEventData {
    pub(super) object: serde_json::Value,
}

// ---------------------------------------------------------------------------------------------
// Status and failure reasons
// ---------------------------------------------------------------------------------------------

/// Payonify's status word to the crate's [`Status`]. Exhaustive over the documented words
/// (`pending`, `paid`, `failed`); any other word surfaces as [`Status::Unknown`].
pub(super) fn map_status(
    status: &str,
    failure_code: Option<&str>,
    failure_message: Option<&str>,
) -> Status {
    match status {
        "pending" => Status::Pending,
        "paid" => Status::Succeeded,
        "failed" => Status::failed(
            map_failure_code(failure_code),
            failure_message
                .filter(|m| !m.trim().is_empty())
                .or(failure_code)
                .map(str::to_owned),
        ),
        other => Status::Unknown(other.to_owned()),
    }
}

/// `failure_code` to [`FailureReason`]. Payonify documents the field but not its values; this
/// table is an assumption over the plausible codes (see the module docs). An unknown code is kept
/// verbatim in [`FailureReason::Other`].
pub(super) fn map_failure_code(code: Option<&str>) -> FailureReason {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return FailureReason::Other("unspecified".to_owned());
    };
    match code.to_ascii_lowercase().as_str() {
        "insufficient_funds" | "insufficient_balance" => FailureReason::InsufficientFunds,
        "account_not_found"
        | "invalid_account"
        | "invalid_mobile_number"
        | "invalid_recipient"
        | "recipient_not_found" => FailureReason::InvalidRecipient,
        "account_blocked" | "account_suspended" | "account_frozen" | "account_inactive" => {
            FailureReason::RecipientBlocked
        }
        "limit_exceeded" | "transaction_limit_exceeded" | "amount_limit_exceeded" => {
            FailureReason::LimitExceeded
        }
        "declined" | "transaction_declined" => FailureReason::Declined,
        "timeout" | "provider_timeout" => FailureReason::ProviderTimeout,
        _ => FailureReason::Other(code.to_owned()),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// `{type, code, message, param, doc_url}`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct WireError {
    #[serde(rename = "type", default)]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) code: Option<String>,
    #[serde(default)]
    pub(super) message: Option<String>,
    #[serde(default)]
    pub(super) param: Option<String>,
}

/// The flat form or the `{error: {...}}` form.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum WireErrorBody {
    Wrapped { error: WireError },
    Flat(WireError),
}

/// Reads an error body in either form; `None` when it is not JSON of that shape (or carries
/// neither a type nor a code nor a message).
pub(super) fn parse_error_body(body: &[u8]) -> Option<WireError> {
    let parsed: WireErrorBody = serde_json::from_slice(body).ok()?;
    let error = match parsed {
        WireErrorBody::Wrapped { error } => error,
        WireErrorBody::Flat(error) => error,
    };
    (error.kind.is_some() || error.code.is_some() || error.message.is_some()).then_some(error)
}

/// A non-2xx answer to the crate's [`Error`], by the body's `type` first, then by HTTP status.
///
/// | `type` / `code` | error |
/// |---|---|
/// | code `resource_missing` (any type) | `Rejected { code: NotFound }` |
/// | `authentication_error` | `Auth { kind: InvalidCredentials }` |
/// | `rate_limit_error` | `RateLimited` |
/// | `idempotency_error` | `Rejected { code: IdempotencyConflict }` |
/// | `invalid_request_error` | `Rejected { code: InvalidAmount / InvalidRecipient / InsufficientBalance / InvalidRequest, param }` |
/// | `api_error` | `ServerError` |
/// | anything else, or no JSON | by status: 401 auth, 403 forbidden, 404 not found, 429 rate limited, 5xx server error, other 4xx rejected (`Other`) |
pub(crate) fn map_error(status: StatusCode, body: &[u8]) -> Error {
    let code = status.as_u16();
    let parsed = parse_error_body(body);
    let message = parsed
        .as_ref()
        .and_then(|e| e.message.clone())
        .unwrap_or_else(|| snippet(body));
    let Some(error) = parsed else {
        return by_status(code, None, message, None);
    };
    let provider_code = error.code.clone();
    let param = error.param.clone();
    if provider_code.as_deref() == Some("resource_missing") {
        return rejected(code, RejectCode::NotFound, provider_code, message, param);
    }
    match error.kind.as_deref() {
        Some("authentication_error") => Error::auth(
            PROVIDER,
            Some(code),
            AuthFailure::InvalidCredentials,
            message,
        ),
        Some("rate_limit_error") => Error::RateLimited {
            provider: PROVIDER,
            retry_after: None,
            message,
        },
        Some("idempotency_error") => rejected(
            code,
            RejectCode::IdempotencyConflict,
            provider_code,
            message,
            param,
        ),
        Some("invalid_request_error") => {
            let reject = invalid_request_code(provider_code.as_deref(), param.as_deref());
            rejected(code, reject, provider_code, message, param)
        }
        Some("api_error") => Error::ServerError {
            provider: PROVIDER,
            status: code,
            message,
        },
        _ => by_status(code, provider_code, message, param),
    }
}

/// A closer [`RejectCode`] for an `invalid_request_error`, from its code and param.
fn invalid_request_code(code: Option<&str>, param: Option<&str>) -> RejectCode {
    match code {
        Some("insufficient_funds" | "insufficient_balance" | "balance_insufficient") => {
            return RejectCode::InsufficientBalance;
        }
        Some("amount_too_small" | "amount_too_large" | "amount_invalid") => {
            return RejectCode::InvalidAmount;
        }
        _ => {}
    }
    match param {
        Some("amount" | "currency") => RejectCode::InvalidAmount,
        Some(p) if param_root(p) == "destination" => RejectCode::InvalidRecipient,
        _ => RejectCode::InvalidRequest,
    }
}

/// The top-level field a `param` names, in the dotted form (`destination.mobile_money.ecocash`)
/// or the bracket form of Stripe-style APIs and Payonify's simulator
/// (`destination[mobile_money][ecocash][mobile_number]`).
fn param_root(param: &str) -> &str {
    param.split(['.', '[']).next().unwrap_or(param)
}

fn by_status(
    code: u16,
    provider_code: Option<String>,
    message: String,
    param: Option<String>,
) -> Error {
    let reject = if code == 404 {
        RejectCode::NotFound
    } else {
        RejectCode::Other
    };
    let refusal = Refusal::new(message)
        .with_provider_code(provider_code)
        .with_param(param);
    Error::from_status(PROVIDER, code, reject, refusal)
}

fn rejected(
    status: u16,
    code: RejectCode,
    provider_code: Option<String>,
    message: String,
    param: Option<String>,
) -> Error {
    Error::Rejected {
        provider: PROVIDER,
        status,
        code,
        provider_code,
        message,
        param,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_status_maps_and_unknown_words_surface() {
        assert_eq!(map_status("pending", None, None), Status::Pending);
        assert_eq!(map_status("paid", None, None), Status::Succeeded);
        assert_eq!(
            map_status(
                "failed",
                Some("insufficient_funds"),
                Some("Merchant balance too low")
            ),
            Status::failed(
                FailureReason::InsufficientFunds,
                Some("Merchant balance too low".into())
            )
        );
        assert_eq!(
            map_status("failed", Some("account_blocked"), None),
            Status::failed(
                FailureReason::RecipientBlocked,
                Some("account_blocked".into())
            )
        );
        assert_eq!(
            map_status("failed", None, None),
            Status::failed(FailureReason::Other("unspecified".into()), None)
        );
        assert_eq!(
            map_status("in_transit", None, None),
            Status::Unknown("in_transit".into())
        );
        // Case matters for status words: "PAID" is not documented, so it is not guessed.
        assert_eq!(
            map_status("PAID", None, None),
            Status::Unknown("PAID".into())
        );
    }

    #[test]
    fn a_destination_param_is_a_recipient_error_in_dotted_and_bracket_form() {
        for param in [
            "destination",
            "destination.mobile_money.ecocash.mobile_number",
            "destination[mobile_money][ecocash][mobile_number]",
        ] {
            assert_eq!(
                invalid_request_code(Some("parameter_invalid"), Some(param)),
                RejectCode::InvalidRecipient,
                "{param}"
            );
        }
        for param in ["destinations", "metadata[destination]", "description"] {
            assert_eq!(
                invalid_request_code(Some("parameter_invalid"), Some(param)),
                RejectCode::InvalidRequest,
                "{param}"
            );
        }
    }

    #[test]
    fn failure_code_table() {
        let cases = [
            ("insufficient_funds", FailureReason::InsufficientFunds),
            ("account_not_found", FailureReason::InvalidRecipient),
            ("invalid_account", FailureReason::InvalidRecipient),
            ("account_blocked", FailureReason::RecipientBlocked),
            ("limit_exceeded", FailureReason::LimitExceeded),
            ("declined", FailureReason::Declined),
            ("timeout", FailureReason::ProviderTimeout),
            ("TIMEOUT", FailureReason::ProviderTimeout),
            (
                "wallet_unreachable",
                FailureReason::Other("wallet_unreachable".into()),
            ),
        ];
        for (code, reason) in cases {
            assert_eq!(map_failure_code(Some(code)), reason, "{code}");
        }
        assert_eq!(
            map_failure_code(Some("  ")),
            FailureReason::Other("unspecified".into())
        );
    }

    #[test]
    fn error_bodies_map_in_both_forms() {
        let flat = br#"{"type":"invalid_request_error","code":"parameter_invalid","message":"Invalid mobile number","param":"destination.mobile_money.ecocash.mobile_number","doc_url":"https://docs.payonify.com/errors"}"#;
        let wrapped = br#"{"error":{"type":"invalid_request_error","code":"parameter_invalid","message":"Invalid mobile number","param":"destination.mobile_money.ecocash.mobile_number"}}"#;
        for body in [&flat[..], &wrapped[..]] {
            let err = map_error(StatusCode::BAD_REQUEST, body);
            assert!(
                matches!(
                    &err,
                    Error::Rejected { status: 400, code: RejectCode::InvalidRecipient, provider_code: Some(c), message, param: Some(p), .. }
                        if c == "parameter_invalid" && message == "Invalid mobile number"
                            && p == "destination.mobile_money.ecocash.mobile_number"
                ),
                "{err:?}"
            );
        }
    }

    #[test]
    fn unknown_type_and_non_json_fall_back_to_status() {
        let err = map_error(
            StatusCode::FORBIDDEN,
            br#"{"type":"permission_error","message":"Payouts not approved"}"#,
        );
        assert!(matches!(
            &err,
            Error::Auth { status: Some(403), kind: AuthFailure::Forbidden, message, .. } if message == "Payouts not approved"
        ));
        let err = map_error(StatusCode::BAD_GATEWAY, b"<html>bad gateway</html>");
        assert!(matches!(
            &err,
            Error::ServerError { status: 502, message, .. } if message == "<html>bad gateway</html>"
        ));
        let err = map_error(StatusCode::BAD_REQUEST, b"");
        assert!(matches!(
            &err,
            Error::Rejected {
                status: 400,
                code: RejectCode::Other,
                provider_code: None,
                param: None,
                ..
            }
        ));
        let err = map_error(StatusCode::UNAUTHORIZED, b"Unauthorized");
        assert!(matches!(
            &err,
            Error::Auth {
                status: Some(401),
                kind: AuthFailure::InvalidCredentials,
                ..
            }
        ));
    }

    #[test]
    fn invalid_request_codes_get_closer_reject_codes() {
        assert_eq!(
            invalid_request_code(Some("parameter_invalid"), Some("amount")),
            RejectCode::InvalidAmount
        );
        assert_eq!(
            invalid_request_code(Some("insufficient_funds"), None),
            RejectCode::InsufficientBalance
        );
        assert_eq!(
            invalid_request_code(Some("parameter_invalid"), Some("metadata")),
            RejectCode::InvalidRequest
        );
        assert_eq!(
            invalid_request_code(None, Some("destinations")),
            RejectCode::InvalidRequest
        );
    }
}

#[cfg(test)]
mod proptests {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #[test]
        fn error_mapping_never_panics(status in 400u16..600, body in prop::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(status) = StatusCode::from_u16(status) {
                let _ = map_error(status, &body);
            }
        }

        #[test]
        fn payout_objects_never_panic(value in any::<i64>(), created in any::<i64>(), currency in "[a-z]{0,4}", status in "[a-z_]{0,10}") {
            let raw = serde_json::json!({
                "id": "po_1", "object": "payout", "amount": {"value": value, "currency": currency},
                "created": created, "status": status, "metadata": {REFERENCE_METADATA_KEY: "r-1"}
            });
            if let Ok(wire) = serde_json::from_value::<WirePayout>(raw.clone()) {
                let _ = wire.into_payout(raw.into());
            }
        }
    }
}
