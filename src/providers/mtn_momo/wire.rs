//! MTN MoMo's wire format: private serde structs, and the one mapping of its statuses, failure
//! reasons and error codes onto the crate's vocabulary.

use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{AuthFailure, Error, Refusal, RejectCode};
use crate::model::{FailureReason, ProviderId, Status};
use crate::money::{Currency, Money};

const PROVIDER: ProviderId = ProviderId::MTN_MOMO;

// ---------------------------------------------------------------------------------------------
// Token
// ---------------------------------------------------------------------------------------------

/// `POST /disbursement/token/`.
#[derive(Deserialize)]
pub(super) struct TokenResponse {
    pub access_token: String,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub expires_in: Option<u64>,
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// A party: `{"partyIdType": "MSISDN", "partyId": "256772123456"}`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct PartyBody {
    pub party_id_type: &'static str,
    pub party_id: String,
}

/// `POST /disbursement/v1_0/transfer` (and the deposits), field for field, in the documented
/// order.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TransferBody {
    pub amount: String,
    pub currency: Currency,
    pub external_id: String,
    pub payee: PartyBody,
    pub payer_message: String,
    pub payee_note: String,
}

/// `POST /disbursement/v2_0/refund`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct RefundBody {
    pub amount: String,
    pub currency: Currency,
    pub external_id: String,
    pub payer_message: String,
    pub payee_note: String,
    pub reference_id_to_refund: String,
}

// ---------------------------------------------------------------------------------------------
// Results
// ---------------------------------------------------------------------------------------------

/// A transfer, deposit or refund as MTN reports it (the GET body, also the callback body).
/// Every field is optional but `status`; `amount` and ids are read as a string or a number
/// (MTN's own examples have both). The payee echoed back is read from the raw JSON where it is
/// needed (a 409's record, `recipient_matches`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct TransferResult {
    #[serde(default, deserialize_with = "lenient_text")]
    pub amount: Option<String>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub financial_transaction_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_text")]
    pub external_id: Option<String>,
    pub status: String,
    #[serde(default)]
    pub reason: Option<ReasonWire>,
}

/// `reason`: a bare code (`"NOT_ENOUGH_FUNDS"`) or an ErrorReason (`{"code", "message"}`).
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum ReasonWire {
    Code(String),
    Object {
        #[serde(default)]
        code: Option<String>,
        #[serde(default)]
        message: Option<String>,
    },
}

impl ReasonWire {
    fn parts(&self) -> (Option<&str>, Option<&str>) {
        fn clean(s: &str) -> Option<&str> {
            let s = s.trim();
            (!s.is_empty()).then_some(s)
        }
        match self {
            ReasonWire::Code(code) => (clean(code), None),
            ReasonWire::Object { code, message } => (
                code.as_deref().and_then(clean),
                message.as_deref().and_then(clean),
            ),
        }
    }
}

impl TransferResult {
    /// The normalized status.
    pub fn status(&self) -> Status {
        transfer_status(&self.status, self.reason.as_ref())
    }

    /// The amount, when it is a decimal in a currency this crate knows (the body's, else
    /// `fallback`).
    pub fn money(&self, fallback: Currency) -> Option<Money> {
        let currency = match self.currency.as_deref() {
            Some(code) => code.trim().parse::<Currency>().ok()?,
            None => fallback,
        };
        let amount = self.amount.as_deref()?.trim().parse::<Decimal>().ok()?;
        Money::new(amount, currency).ok()
    }
}

/// MTN's status words. An unknown word is [`Status::Unknown`] (not final: keep polling).
pub(super) fn transfer_status(word: &str, reason: Option<&ReasonWire>) -> Status {
    match word.trim().to_ascii_uppercase().as_str() {
        "PENDING" => Status::Pending,
        "SUCCESSFUL" => Status::Succeeded,
        "FAILED" => {
            let (code, message) = reason.map_or((None, None), ReasonWire::parts);
            let detail = match (code, message) {
                (Some(code), Some(message)) => Some(format!("{code}: {message}")),
                (Some(text), None) | (None, Some(text)) => Some(text.to_owned()),
                (None, None) => None,
            };
            Status::failed(failure_reason(code), detail)
        }
        _ => Status::Unknown(word.to_owned()),
    }
}

/// Every failure reason MTN documents, to the normalized reason. An undocumented code is kept
/// in [`FailureReason::Other`] (MTN says it keeps refining the list).
pub(super) fn failure_reason(code: Option<&str>) -> FailureReason {
    let Some(code) = code else {
        return FailureReason::Other("FAILED".to_owned());
    };
    match code.to_ascii_uppercase().as_str() {
        "NOT_ENOUGH_FUNDS" => FailureReason::InsufficientFunds,
        "PAYEE_NOT_FOUND" => FailureReason::InvalidRecipient,
        "PAYEE_NOT_ALLOWED_TO_RECEIVE" => FailureReason::RecipientBlocked,
        "PAYER_LIMIT_REACHED" => FailureReason::LimitExceeded,
        "NOT_ALLOWED" | "APPROVAL_REJECTED" | "PAYMENT_NOT_APPROVED" | "TRANSACTION_CANCELED" => {
            FailureReason::Declined
        }
        "COULD_NOT_PERFORM_TRANSACTION" | "EXPIRED" | "SERVICE_UNAVAILABLE" => {
            FailureReason::ProviderTimeout
        }
        // Documented, with no normalized counterpart: PAYER_NOT_FOUND, SENDER_ACCOUNT_NOT_ACTIVE,
        // NOT_ALLOWED_TARGET_ENVIRONMENT, INVALID_CALLBACK_URL_HOST, INVALID_CURRENCY,
        // INTERNAL_PROCESSING_ERROR, RESOURCE_NOT_FOUND, RESOURCE_ALREADY_EXIST,
        // TRANSACTION_NOT_FOUND, PAYER_FAILED, PAYER_ONGOING, PAYER_DELAYED.
        _ => FailureReason::Other(code.to_owned()),
    }
}

/// `GET /disbursement/v1_0/account/balance[/{currency}]`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct BalanceWire {
    #[serde(deserialize_with = "required_text")]
    pub available_balance: String,
    pub currency: String,
}

/// `GET …/accountholder/msisdn/{msisdn}/active`.
#[derive(Deserialize)]
pub(super) struct ActiveWire {
    pub result: bool,
}

/// `GET …/accountholder/msisdn/{msisdn}/basicuserinfo` (only what is used).
#[derive(Deserialize)]
pub(super) struct BasicUserInfoWire {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub given_name: Option<String>,
    #[serde(default)]
    pub family_name: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

impl BasicUserInfoWire {
    /// `name`, else `given_name family_name`.
    pub fn full_name(&self) -> Option<String> {
        let clean = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        clean(&self.name).or_else(|| {
            let parts: Vec<String> = [clean(&self.given_name), clean(&self.family_name)]
                .into_iter()
                .flatten()
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// What an error body says: `{code, message}` (the ErrorReason), `{error}` (the token's 401),
/// `{statusCode, message}` (the API gateway's answers), else a snippet of the body.
pub(super) struct ErrorBody {
    pub code: Option<String>,
    pub message: String,
}

pub(super) fn error_body(body: &[u8]) -> ErrorBody {
    let text = |v: Option<&Value>| match v {
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(fields)) => {
            let code = text(fields.get("code")).filter(|c| !c.is_empty());
            let message = text(fields.get("message"))
                .or_else(|| text(fields.get("error")))
                .filter(|m| !m.is_empty())
                .or_else(|| code.clone())
                .unwrap_or_else(|| crate::http::snippet(body));
            ErrorBody { code, message }
        }
        _ => ErrorBody {
            code: None,
            message: if body.iter().all(u8::is_ascii_whitespace) {
                "(empty body)".to_owned()
            } else {
                crate::http::snippet(body)
            },
        },
    }
}

/// Turns a non-2xx answer into the crate's error: the documented code first (one row per code),
/// then the HTTP status for a body without a code (empty, HTML, the gateway's own shape).
pub(crate) fn map_error(status: StatusCode, body: &[u8]) -> Error {
    let http = status.as_u16();
    let ErrorBody { code, message } = error_body(body);
    if let Some(code) = code.as_deref()
        && let Some(error) = map_code(http, code, &message)
    {
        return error;
    }
    map_status(http, code, message)
}

/// One row per documented error code; `None` for a code MTN does not document.
pub(super) fn map_code(http: u16, code: &str, message: &str) -> Option<Error> {
    let rejected = |reject: RejectCode, param: Option<&str>| Error::Rejected {
        provider: PROVIDER,
        status: http,
        code: reject,
        provider_code: Some(code.to_owned()),
        message: message.to_owned(),
        param: param.map(str::to_owned),
    };
    let auth =
        |kind: AuthFailure| Error::auth(PROVIDER, Some(http), kind, format!("{code}: {message}"));
    let server = || Error::ServerError {
        provider: PROVIDER,
        status: http,
        message: format!("{code}: {message}"),
    };
    Some(match code.trim().to_ascii_uppercase().as_str() {
        "PAYEE_NOT_FOUND" | "PAYEE_NOT_ALLOWED_TO_RECEIVE" => {
            rejected(RejectCode::InvalidRecipient, Some("payee"))
        }
        "NOT_ENOUGH_FUNDS" => rejected(RejectCode::InsufficientBalance, None),
        "PAYER_LIMIT_REACHED" => rejected(RejectCode::InvalidAmount, Some("amount")),
        "INVALID_CURRENCY" => rejected(RejectCode::InvalidRequest, Some("currency")),
        "INVALID_CALLBACK_URL_HOST" => rejected(RejectCode::InvalidRequest, Some("X-Callback-Url")),
        "NOT_ALLOWED_TARGET_ENVIRONMENT" => {
            rejected(RejectCode::InvalidRequest, Some("X-Target-Environment"))
        }
        "RESOURCE_ALREADY_EXIST" | "RESOURCE_ALREADY_EXISTS" => {
            rejected(RejectCode::DuplicateReference, Some("X-Reference-Id"))
        }
        "RESOURCE_NOT_FOUND" | "TRANSACTION_NOT_FOUND" => rejected(RejectCode::NotFound, None),
        "PAYER_NOT_FOUND" => rejected(RejectCode::Other, Some("payer")),
        "COULD_NOT_PERFORM_TRANSACTION"
        | "APPROVAL_REJECTED"
        | "EXPIRED"
        | "PAYMENT_NOT_APPROVED"
        | "TRANSACTION_CANCELED"
        | "PAYER_FAILED"
        | "PAYER_ONGOING"
        | "PAYER_DELAYED" => rejected(RejectCode::Other, None),
        "NOT_ALLOWED" => auth(AuthFailure::Forbidden),
        "SENDER_ACCOUNT_NOT_ACTIVE" => auth(AuthFailure::AppInactive),
        "INTERNAL_PROCESSING_ERROR" | "SERVICE_UNAVAILABLE" => server(),
        _ => return None,
    })
}

/// The error for an answer without a documented code: MTN's gateway words where they say more
/// than the status (a 401 about the token rather than the subscription key, a 403 about the
/// caller's IP), else the shared status table ([`Error::from_status`]).
fn map_status(http: u16, code: Option<String>, message: String) -> Error {
    let upper = message.to_ascii_uppercase();
    let auth =
        |kind: AuthFailure, message: String| Error::auth(PROVIDER, Some(http), kind, message);
    match http {
        401 if !(upper.contains("SUBSCRIPTION KEY") || upper.contains("CREDENTIAL")) => {
            auth(AuthFailure::TokenExpired, message)
        }
        403 if upper.contains("IP") => auth(AuthFailure::IpNotAllowed, message),
        _ => {
            let reject = match http {
                404 => RejectCode::NotFound,
                409 => RejectCode::DuplicateReference,
                400 | 422 => RejectCode::InvalidRequest,
                _ => RejectCode::Other,
            };
            Error::from_status(
                PROVIDER,
                http,
                reject,
                Refusal::new(message).with_provider_code(code),
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Lenient scalars
// ---------------------------------------------------------------------------------------------

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A string or a number, as text; absent or `null` is `None`.
fn lenient_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(value) => scalar_text(&value)
            .map(Some)
            .ok_or_else(|| de::Error::custom("expected a string or a number")),
    }
}

fn required_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    lenient_text(d)?
        .filter(|s| !s.is_empty())
        .ok_or_else(|| de::Error::custom("expected a non-empty string or a number"))
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match lenient_text(d)? {
        None => Ok(None),
        Some(text) => text
            .parse::<u64>()
            .map(Some)
            .map_err(|_| de::Error::custom("expected an unsigned integer")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever MTN (or a proxy in front of it) answers, reading it never panics.
        #[test]
        fn error_and_result_bodies_never_panic(status in 100u16..600, body in proptest::collection::vec(any::<u8>(), 0..300)) {
            let status = StatusCode::from_u16(status).unwrap();
            let _ = map_error(status, &body);
            if let Ok(result) = serde_json::from_slice::<TransferResult>(&body) {
                let _ = result.status();
                let _ = result.money(Currency::EUR);
            }
        }

        /// Any JSON shape in the fields MTN fills is read or refused, never a panic.
        #[test]
        fn result_fields_of_any_json_type_never_panic(
            amount in prop_oneof![Just(json_value("\"5000\"")), Just(json_value("5000")), Just(json_value("-1e400")), Just(json_value("null")), Just(json_value("[]"))],
            reason in prop_oneof![Just(json_value("\"NOT_ENOUGH_FUNDS\"")), Just(json_value("{\"code\":7}")), Just(json_value("{}")), Just(json_value("null")), Just(json_value("12"))],
            status in "[A-Z]{0,12}",
        ) {
            let body = serde_json::json!({"amount": amount, "currency": "UGX", "status": status, "reason": reason});
            if let Ok(result) = serde_json::from_value::<TransferResult>(body) {
                let _ = result.status();
                let _ = result.money(Currency::UGX);
            }
        }
    }

    fn json_value(text: &str) -> Value {
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    #[test]
    fn a_reason_without_a_code_keeps_its_message() {
        let reason: ReasonWire = serde_json::from_str(r#"{"message": "Payee blocked"}"#).unwrap();
        assert_eq!(
            transfer_status("failed", Some(&reason)),
            Status::failed(
                FailureReason::Other("FAILED".into()),
                Some("Payee blocked".into())
            )
        );
        assert_eq!(
            transfer_status("FAILED", None),
            Status::failed(FailureReason::Other("FAILED".into()), None)
        );
    }
}
