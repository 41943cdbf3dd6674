//! Vesicash's JSON, as private serde structs, and the exhaustive status and error mappings.

use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, Refusal, RejectCode};
use crate::model::{FailureReason, ProviderId, Status};
use crate::money::JsonDecimal;

const PROVIDER: ProviderId = ProviderId::VESICASH;

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// `transfer_to` for a mobile-money wallet.
pub(crate) const TRANSFER_TO_MOBILE: &str = "mobile_number";
/// `transfer_to` for a bank account.
pub(crate) const TRANSFER_TO_BANK: &str = "bank";

/// `POST /v1/payment/payout/process`. Field order is the order on the wire.
#[derive(Debug, Serialize)]
pub(crate) struct PayoutBody<'a> {
    pub amount: JsonDecimal,
    pub country_id: &'a str,
    pub transfer_to: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub momo_phone_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bank_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

/// `POST /v1/payment/refunds/process`. Field order is the order on the wire.
#[derive(Debug, Serialize)]
pub(crate) struct RefundBody<'a> {
    pub amount: JsonDecimal,
    pub payment_reference: &'a str,
    pub country_id: &'a str,
    pub transfer_to: &'static str,
    pub momo_phone_number: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'a str>,
}

// ---------------------------------------------------------------------------------------------
// The envelope
// ---------------------------------------------------------------------------------------------

/// `{status, code, message, data}`, read leniently: `data` stays raw so amounts keep their
/// digits and an error envelope with a `null` or odd `data` still decodes.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    #[serde(default)]
    pub status: Option<Value>,
    #[serde(default)]
    pub code: Option<Value>,
    #[serde(default)]
    pub message: Option<Value>,
    #[serde(default)]
    pub error: Option<Value>,
    #[serde(default)]
    pub data: Option<Box<RawValue>>,
}

/// What the top-level `status` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// `"success"` (or no status word at all, or `true`).
    Success,
    /// `"error"`/`"failed"`/`"fail"` or `false`: a rejection, whatever the HTTP status.
    Error,
    /// Any other word: the answer cannot be trusted either way.
    Unrecognized(String),
}

impl Envelope {
    pub fn outcome(&self) -> Outcome {
        match &self.status {
            None | Some(Value::Null) | Some(Value::Bool(true)) => Outcome::Success,
            Some(Value::Bool(false)) => Outcome::Error,
            Some(Value::String(word)) => {
                let w = word.trim().to_ascii_lowercase();
                match w.as_str() {
                    "success" | "successful" | "ok" => Outcome::Success,
                    "error" | "failed" | "fail" | "failure" => Outcome::Error,
                    _ => Outcome::Unrecognized(word.clone()),
                }
            }
            Some(other) => Outcome::Unrecognized(other.to_string()),
        }
    }

    /// The `code` mirror, when it is an HTTP-like status (number or numeric string).
    pub fn code(&self) -> Option<u16> {
        let code = match &self.code {
            Some(Value::Number(n)) => n.as_u64().and_then(|n| u16::try_from(n).ok()),
            Some(Value::String(s)) => s.trim().parse::<u16>().ok(),
            _ => None,
        }?;
        (100..=599).contains(&code).then_some(code)
    }

    /// The provider's message: `message`, else `error`, as text.
    pub fn message_text(&self) -> Option<String> {
        [&self.message, &self.error]
            .into_iter()
            .flatten()
            .find_map(value_text)
    }
}

fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) if s.trim().is_empty() => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

/// Decodes a raw JSON fragment into `T` from its text (so [`JsonDecimal`] keeps the digits).
pub(crate) fn from_raw<T: DeserializeOwned>(raw: &RawValue) -> Result<T, serde_json::Error> {
    serde_json::from_str(raw.get())
}

// ---------------------------------------------------------------------------------------------
// Payout and refund data
// ---------------------------------------------------------------------------------------------

/// `data` of a payout, refund or status answer, and of a webhook: `{reference, status, amount}`
/// and whatever else may come.
#[derive(Debug, Deserialize)]
pub(crate) struct TransferData {
    pub reference: String,
    pub status: String,
    #[serde(default)]
    pub amount: Option<Box<RawValue>>,
    #[serde(default)]
    pub currency: Option<Value>,
    #[serde(default)]
    pub currency_code: Option<Value>,
    #[serde(default)]
    pub reason: Option<Value>,
    #[serde(default)]
    pub failure_reason: Option<Value>,
    #[serde(default)]
    pub error_code: Option<Value>,
    #[serde(default)]
    pub payment_reference: Option<Value>,
    #[serde(default)]
    pub created_at: Option<Value>,
}

impl TransferData {
    /// The amount, when it is a number or a numeric string; anything else is ignored.
    pub fn amount(&self) -> Option<rust_decimal::Decimal> {
        let raw = self.amount.as_deref()?;
        from_raw::<JsonDecimal>(raw).ok().map(|d| d.0)
    }

    /// The currency code, when one is given.
    pub fn currency(&self) -> Option<String> {
        [&self.currency, &self.currency_code]
            .into_iter()
            .flatten()
            .find_map(value_text)
    }

    /// The failure code or text, first of `failure_reason`, `error_code`, `reason`.
    pub fn failure_detail(&self) -> Option<String> {
        [&self.failure_reason, &self.error_code, &self.reason]
            .into_iter()
            .flatten()
            .find_map(value_text)
    }

    /// The original payment's reference (refunds).
    pub fn payment_reference(&self) -> Option<String> {
        self.payment_reference.as_ref().and_then(value_text)
    }

    /// `created_at` as RFC 3339, when it is one.
    pub fn created_at(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        let text = self.created_at.as_ref().and_then(value_text)?;
        chrono::DateTime::parse_from_rfc3339(text.trim())
            .ok()
            .map(|d| d.with_timezone(&chrono::Utc))
    }

    /// The normalized status.
    pub fn status(&self) -> Status {
        map_status(&self.status, self.failure_detail().as_deref())
    }
}

/// Vesicash's status word (and, for `failed`, its failure code) in the one vocabulary.
///
/// | word | status |
/// |---|---|
/// | `processing`, `pending` | [`Status::Pending`] |
/// | `successful` | [`Status::Succeeded`] |
/// | `failed` | [`Status::Failed`] with [`map_failure_reason`] |
/// | anything else | [`Status::Unknown`] with the word as given |
///
/// Words are compared without regard to case or surrounding blanks.
pub(crate) fn map_status(word: &str, failure: Option<&str>) -> Status {
    match word.trim().to_ascii_lowercase().as_str() {
        "processing" | "pending" => Status::Pending,
        "successful" => Status::Succeeded,
        "failed" => {
            let detail = failure.map(str::trim).filter(|d| !d.is_empty());
            let reason = match detail {
                Some(code) => map_failure_reason(code),
                None => FailureReason::Other("failed".to_owned()),
            };
            Status::failed(reason, detail.map(str::to_owned))
        }
        _ => Status::Unknown(word.to_owned()),
    }
}

/// Vesicash's failure codes (their spelling, `TRNASACTION_FAILED` included):
///
/// | code | reason |
/// |---|---|
/// | `INSUFFICIENT_FUNDS` | [`FailureReason::InsufficientFunds`] |
/// | `ACCOUNT_NOT_FOUND` | [`FailureReason::InvalidRecipient`] |
/// | `ACCOUNT_BLOCKED` | [`FailureReason::RecipientBlocked`] |
/// | `TRANSACTION_LIMIT_EXCEEDED` | [`FailureReason::LimitExceeded`] |
/// | `DECLINED_TRANSACTION`, `ABANDONED_TRANSACTION`, `INVALID_PIN` | [`FailureReason::Declined`] |
/// | `PROVIDER_TIMEOUT` | [`FailureReason::ProviderTimeout`] |
/// | `TRNASACTION_FAILED`, `TRANSACTION_FAILED`, anything else | [`FailureReason::Other`] with the code |
pub(crate) fn map_failure_reason(code: &str) -> FailureReason {
    let code = code.trim();
    match code.to_ascii_uppercase().as_str() {
        "INSUFFICIENT_FUNDS" => FailureReason::InsufficientFunds,
        "ACCOUNT_NOT_FOUND" => FailureReason::InvalidRecipient,
        "ACCOUNT_BLOCKED" => FailureReason::RecipientBlocked,
        "TRANSACTION_LIMIT_EXCEEDED" => FailureReason::LimitExceeded,
        "DECLINED_TRANSACTION" | "ABANDONED_TRANSACTION" | "INVALID_PIN" => FailureReason::Declined,
        "PROVIDER_TIMEOUT" => FailureReason::ProviderTimeout,
        // "TRNASACTION_FAILED" (sic), its corrected spelling and any new code: kept as given.
        _ => FailureReason::Other(code.to_owned()),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// The documented error messages, matched without regard to case (a message containing the
/// text matches), and the normalized code each means.
pub(crate) const ERROR_MESSAGES: &[(&str, RejectCode)] = &[
    // (sic) "less that 0"
    ("payout amount is less that 0", RejectCode::InvalidAmount),
    ("payment not found", RejectCode::PaymentNotFound),
    (
        "refund amount exceeds the remaining refundable balance",
        RejectCode::RefundExceedsRefundableBalance,
    ),
    (
        "insufficient funds or wallet error preventing refund processing",
        RejectCode::InsufficientBalance,
    ),
    (
        "payout provider service returned an error",
        RejectCode::InvalidRecipient,
    ),
    (
        "refund provider service returned an error",
        RejectCode::InvalidRecipient,
    ),
];

/// The normalized code of a documented message, if it is one.
pub(crate) fn classify_message(message: &str) -> Option<RejectCode> {
    let lower = message.to_lowercase();
    ERROR_MESSAGES
        .iter()
        .find(|(text, _)| lower.contains(text))
        .map(|(_, code)| code.clone())
}

/// A refusal (HTTP status or envelope `code` mirror, and the provider's message) as an error:
/// 401 and 403 are [`Error::Auth`], 429 [`Error::RateLimited`], 5xx [`Error::ServerError`],
/// and any other status [`Error::Rejected`] with the code of [`ERROR_MESSAGES`] (else by status:
/// 400/422 invalid request, 404 not found, other).
pub(crate) fn refusal(status: u16, message: String) -> Error {
    let reject = classify_message(&message).unwrap_or(match status {
        400 | 422 => RejectCode::InvalidRequest,
        404 => RejectCode::NotFound,
        _ => RejectCode::Other,
    });
    Error::from_status(PROVIDER, status, reject, Refusal::new(message))
}

/// A non-2xx answer as an error, reading the envelope's message where the body is one and a
/// snippet of the body otherwise (an HTML error page).
pub(crate) fn map_http_error(status: StatusCode, body: &[u8]) -> Error {
    let message = serde_json::from_slice::<Envelope>(body)
        .ok()
        .and_then(|e| e.message_text())
        .unwrap_or_else(|| {
            let snippet = crate::http::snippet(body);
            if snippet.trim().is_empty() {
                status.canonical_reason().unwrap_or("no message").to_owned()
            } else {
                snippet
            }
        });
    refusal(status.as_u16(), message)
}

// ---------------------------------------------------------------------------------------------
// Countries and banks
// ---------------------------------------------------------------------------------------------

/// One entry of `GET /v1/countries`. The spec names the id field `country_id`, the docs `id`:
/// both are read, `country_id` first; numbers and strings are both accepted.
#[derive(Debug, Deserialize)]
pub(crate) struct CountryWire {
    #[serde(default)]
    pub country_id: Option<Value>,
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub name: Option<Value>,
    #[serde(default)]
    pub country_code: Option<Value>,
    #[serde(default)]
    pub currency_code: Option<Value>,
}

impl CountryWire {
    pub fn id(&self) -> Option<String> {
        [&self.country_id, &self.id]
            .into_iter()
            .flatten()
            .find_map(id_text)
    }
}

/// One entry of `GET /v1/banks`: `id` (or `bank_id`), `name` (or `bank_name`), maybe a code.
#[derive(Debug, Deserialize)]
pub(crate) struct BankWire {
    #[serde(default)]
    pub bank_id: Option<Value>,
    #[serde(default)]
    pub id: Option<Value>,
    #[serde(default)]
    pub name: Option<Value>,
    #[serde(default)]
    pub bank_name: Option<Value>,
    #[serde(default)]
    pub code: Option<Value>,
    #[serde(default)]
    pub bank_code: Option<Value>,
}

impl BankWire {
    pub fn id(&self) -> Option<String> {
        [&self.bank_id, &self.id]
            .into_iter()
            .flatten()
            .find_map(id_text)
    }

    pub fn name(&self) -> Option<String> {
        [&self.name, &self.bank_name]
            .into_iter()
            .flatten()
            .find_map(value_text)
    }

    pub fn code(&self) -> Option<String> {
        [&self.code, &self.bank_code]
            .into_iter()
            .flatten()
            .find_map(id_text)
    }
}

/// A list that is either the array itself or `{banks: [...]}` / `{countries: [...]}`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ListData<T> {
    Plain(Vec<T>),
    Wrapped {
        #[serde(alias = "banks", alias = "countries", alias = "items")]
        list: Vec<T>,
    },
}

impl<T> ListData<T> {
    pub fn into_vec(self) -> Vec<T> {
        match self {
            ListData::Plain(list) | ListData::Wrapped { list } => list,
        }
    }
}

/// An identifier given as a string or a whole number, as text.
pub(crate) fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) if n.is_u64() || n.is_i64() => Some(n.to_string()),
        _ => None,
    }
}

/// A string field as text.
pub(crate) fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(value_text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_word_maps() {
        assert_eq!(map_status("processing", None), Status::Pending);
        assert_eq!(map_status("pending", None), Status::Pending);
        assert_eq!(map_status(" Successful ", None), Status::Succeeded);
        assert_eq!(
            map_status("failed", None),
            Status::failed(FailureReason::Other("failed".into()), None)
        );
        assert_eq!(
            map_status("reversed", None),
            Status::Unknown("reversed".into())
        );
        assert_eq!(map_status("", None), Status::Unknown(String::new()));
    }

    #[test]
    fn every_failure_code_maps() {
        let cases = [
            ("INSUFFICIENT_FUNDS", FailureReason::InsufficientFunds),
            ("ACCOUNT_NOT_FOUND", FailureReason::InvalidRecipient),
            ("ACCOUNT_BLOCKED", FailureReason::RecipientBlocked),
            ("INVALID_PIN", FailureReason::Declined),
            ("TRANSACTION_LIMIT_EXCEEDED", FailureReason::LimitExceeded),
            ("DECLINED_TRANSACTION", FailureReason::Declined),
            ("ABANDONED_TRANSACTION", FailureReason::Declined),
            ("PROVIDER_TIMEOUT", FailureReason::ProviderTimeout),
            (
                "TRNASACTION_FAILED",
                FailureReason::Other("TRNASACTION_FAILED".into()),
            ),
            (
                "SOMETHING_NEW",
                FailureReason::Other("SOMETHING_NEW".into()),
            ),
        ];
        for (code, reason) in cases {
            assert_eq!(
                map_status("failed", Some(code)),
                Status::failed(reason, Some(code.to_owned())),
                "{code}"
            );
        }
    }

    #[test]
    fn documented_messages_match_without_regard_to_case() {
        assert_eq!(
            classify_message("PAYMENT NOT FOUND"),
            Some(RejectCode::PaymentNotFound)
        );
        assert_eq!(
            classify_message("Payout amount is less that 0"),
            Some(RejectCode::InvalidAmount)
        );
        assert_eq!(classify_message("something else"), None);
    }

    #[test]
    fn envelope_outcomes() {
        let e: Envelope = serde_json::from_str(r#"{"status":"error","code":"400"}"#).unwrap();
        assert_eq!(e.outcome(), Outcome::Error);
        assert_eq!(e.code(), Some(400));
        let e: Envelope = serde_json::from_str(r#"{"status":"Success","data":null}"#).unwrap();
        assert_eq!(e.outcome(), Outcome::Success);
        assert!(e.data.is_none());
        let e: Envelope = serde_json::from_str(r#"{"status":"queued"}"#).unwrap();
        assert_eq!(e.outcome(), Outcome::Unrecognized("queued".into()));
    }

    #[test]
    fn html_error_page_keeps_a_snippet() {
        let err = map_http_error(StatusCode::BAD_REQUEST, b"<html>bad</html>");
        assert!(matches!(
            err,
            Error::Rejected { status: 400, code: RejectCode::InvalidRequest, ref message, .. }
                if message == "<html>bad</html>"
        ));
    }
}
