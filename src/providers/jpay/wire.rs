//! JPay's wire format: private serde structs, and the one exhaustive mapping of its statuses and
//! error bodies onto the crate's vocabulary.

use chrono::{DateTime, NaiveDateTime, Utc};
use reqwest::StatusCode;
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Category;
use crate::error::{AuthFailure, Error, Refusal, RejectCode};
use crate::model::{FailureReason, Payout, ProviderId, Reference, Status};
use crate::money::{Currency, JsonDecimal, Money};
use crate::raw::RawJson;

const PROVIDER: ProviderId = ProviderId::JPAY;

// ---------------------------------------------------------------------------------------------
// Auth
// ---------------------------------------------------------------------------------------------

/// `POST /auth/app/token`.
#[derive(Serialize)]
pub(super) struct TokenRequest<'a> {
    pub app_key: &'a str,
    pub app_secret: &'a str,
}

/// `POST /auth/refresh`.
#[derive(Serialize)]
pub(super) struct RefreshRequest<'a> {
    pub refresh: &'a str,
}

/// The answer of both token endpoints. `/auth/refresh` may leave out everything but `access`.
#[derive(Deserialize)]
pub(super) struct TokenResponse {
    pub access: String,
    #[serde(default)]
    pub refresh: Option<String>,
    #[serde(default, deserialize_with = "lenient_u64")]
    pub app_code: Option<u64>,
    #[serde(default)]
    pub products: Option<Value>,
}

/// The product names a token response lists, from any of the shapes it might take: an array of
/// names (`["collections", "payouts"]`), an array of objects with a `name`/`code`/`slug`, or an
/// object of flags (`{"payouts": true}`). `None` when the shape is none of these (not checked).
pub(super) fn product_names(products: &Value) -> Option<Vec<String>> {
    match products {
        Value::Array(items) => items
            .iter()
            .map(|item| match item {
                Value::String(name) => Some(name.clone()),
                Value::Object(fields) => ["name", "code", "slug", "product"]
                    .iter()
                    .find_map(|key| fields.get(*key).and_then(Value::as_str))
                    .map(str::to_owned),
                _ => None,
            })
            .collect(),
        Value::Object(flags) => Some(
            flags
                .iter()
                .filter(|(_, on)| !matches!(on, Value::Bool(false) | Value::Null))
                .map(|(name, _)| name.clone())
                .collect(),
        ),
        _ => None,
    }
}

/// True when the product list enables payouts.
pub(super) fn has_payouts(products: &[String]) -> bool {
    products.iter().any(|p| {
        let p = p.trim();
        p.eq_ignore_ascii_case("payouts") || p.eq_ignore_ascii_case("payout")
    })
}

// ---------------------------------------------------------------------------------------------
// Payouts
// ---------------------------------------------------------------------------------------------

/// `POST /payments/payouts/initiate`, field for field as documented.
#[derive(Debug, Clone, Serialize)]
pub(super) struct PayoutBody {
    pub payto: String,
    pub amount: String,
    pub ref_no: String,
    pub callback_url: String,
    pub category: Category,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub narration: Option<String>,
    pub channel: u32,
    pub app_code: u64,
}

/// A payout as JPay returns it (create, get and list). Only `id` and `status` are required;
/// `payto` is read from the raw JSON where it is needed.
#[derive(Deserialize)]
pub(super) struct PayoutWire {
    #[serde(deserialize_with = "string_or_number")]
    pub id: String,
    #[serde(default)]
    pub amount: Option<KesAmount>,
    #[serde(default)]
    pub ref_no: Option<String>,
    pub status: String,
    /// Not documented on the payout object; read where JPay gives a reason for a failure.
    #[serde(default, alias = "failure_reason")]
    pub result_description: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// Not documented on the payout object; the gateway's code where JPay gives it.
    #[serde(default)]
    pub trans_id: Option<String>,
}

impl PayoutWire {
    /// The normalized record, with `raw` kept for audit.
    pub fn into_payout(self, raw: RawJson) -> Payout {
        let status = payout_status(&self.status, self.result_description.as_deref());
        Payout {
            provider: PROVIDER,
            id: self.id,
            provider_reference: self.trans_id.filter(|t| !t.trim().is_empty()),
            reference: self.ref_no.and_then(|r| Reference::new(r).ok()),
            amount: self.amount.map(|a| a.0),
            status,
            created_at: self.created_at.as_deref().and_then(parse_created_at),
            raw,
        }
    }
}

/// JPay's payout status words, exhaustively. An unknown word surfaces as [`Status::Unknown`].
pub(super) fn payout_status(word: &str, description: Option<&str>) -> Status {
    match word.trim().to_ascii_lowercase().as_str() {
        "pending" | "processing" => Status::Pending,
        "completed" => Status::Succeeded,
        "failed" => failed(description),
        _ => Status::Unknown(word.to_owned()),
    }
}

/// A failure, its reason read from JPay's description where there is one.
pub(super) fn failed(description: Option<&str>) -> Status {
    let description = description.map(str::trim).filter(|d| !d.is_empty());
    Status::failed(failure_reason(description), description.map(str::to_owned))
}

/// The normalized reason for a failure description. JPay documents no failure codes, only a free
/// `result_description` (the gateway's words), so a few unambiguous phrases are recognised and
/// everything else is kept verbatim in [`FailureReason::Other`].
pub(super) fn failure_reason(description: Option<&str>) -> FailureReason {
    let Some(text) = description else {
        return FailureReason::Other("failed".to_owned());
    };
    let lower = text.to_ascii_lowercase();
    if lower.contains("insufficient") {
        FailureReason::InsufficientFunds
    } else if lower.contains("limit") {
        FailureReason::LimitExceeded
    } else if lower.contains("timed out") || lower.contains("timeout") {
        FailureReason::ProviderTimeout
    } else if lower.contains("blocked") || lower.contains("suspended") {
        FailureReason::RecipientBlocked
    } else if (lower.contains("invalid") || lower.contains("not found"))
        && ["account", "number", "msisdn", "recipient", "receiver"]
            .iter()
            .any(|w| lower.contains(w))
    {
        FailureReason::InvalidRecipient
    } else if lower.contains("declined") || lower.contains("cancelled") {
        FailureReason::Declined
    } else {
        FailureReason::Other(text.to_owned())
    }
}

/// `DD/MM/YYYY HH:MM:SS`, read as UTC (see the module docs for why); RFC 3339 is accepted too.
/// `None` for anything else: the text stays in the record's `raw`.
pub(super) fn parse_created_at(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(naive) = NaiveDateTime::parse_from_str(text, "%d/%m/%Y %H:%M:%S") {
        return Some(naive.and_utc());
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// An amount in KES, from a decimal string (`"1000.00"`) or a JSON number, exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct KesAmount(pub Money);

impl<'de> Deserialize<'de> for KesAmount {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let JsonDecimal(amount) = JsonDecimal::deserialize(d)?;
        Money::new(amount, Currency::KES)
            .map(KesAmount)
            .map_err(de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Lists
// ---------------------------------------------------------------------------------------------

/// One page of a list (`/channels`, `/payments/payouts`): `{items, pagination}` as documented for
/// channels; DRF's `{results, next, count}` is read too.
#[derive(Deserialize)]
pub(super) struct PageWire<T> {
    #[serde(alias = "results", alias = "data")]
    pub items: Vec<T>,
    #[serde(default)]
    pub pagination: Option<PaginationWire>,
    /// `Some(Value::Null)` when present as `null`: the last page.
    #[serde(default, deserialize_with = "present")]
    pub next: Option<Value>,
    #[serde(default)]
    pub count: Option<u64>,
}

/// The `pagination` object. Its fields are not documented; each name JPay might use is read.
#[derive(Deserialize, Default)]
pub(super) struct PaginationWire {
    #[serde(default)]
    pub page: Option<u64>,
    #[serde(default, alias = "total_items", alias = "count")]
    pub total: Option<u64>,
    #[serde(default, alias = "pages", alias = "num_pages")]
    pub total_pages: Option<u64>,
    #[serde(default, alias = "has_next_page")]
    pub has_next: Option<bool>,
    #[serde(default, deserialize_with = "present")]
    pub next: Option<Value>,
}

impl<T> PageWire<T> {
    /// The total count of items, where JPay reports it.
    pub fn total(&self) -> Option<u64> {
        self.pagination
            .as_ref()
            .and_then(|p| p.total)
            .or(self.count)
    }

    /// Whether another page follows page `page` (asked with `page_size`), from the most explicit
    /// signal present: `has_next`, `total_pages`, `total`, a `next` link, else "the page was full".
    pub fn has_more(&self, page: u64, page_size: u64) -> bool {
        let got = self.items.len() as u64;
        if got == 0 {
            return false;
        }
        let p = self.pagination.as_ref();
        if let Some(has_next) = p.and_then(|p| p.has_next) {
            return has_next;
        }
        let page = p.and_then(|p| p.page).unwrap_or(page);
        if let Some(pages) = p.and_then(|p| p.total_pages) {
            return page < pages;
        }
        if let Some(total) = self.total() {
            return page.saturating_mul(page_size) < total;
        }
        if let Some(next) = p.and_then(|p| p.next.as_ref()).or(self.next.as_ref()) {
            return !next.is_null();
        }
        got >= page_size
    }
}

/// The index-aligned raw JSON of a page's items, for each record's `raw`.
pub(super) fn raw_items(raw: &Value) -> &[Value] {
    ["items", "results", "data"]
        .iter()
        .find_map(|key| raw.get(*key).and_then(Value::as_array))
        .map_or(&[], Vec::as_slice)
}

// ---------------------------------------------------------------------------------------------
// Channels and balance
// ---------------------------------------------------------------------------------------------

/// One item of `GET /channels`.
#[derive(Deserialize)]
pub(super) struct ChannelWire {
    #[serde(deserialize_with = "required_u32")]
    pub code: u32,
    pub name: String,
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub type_display: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// `GET /wallets/balance`.
#[derive(Deserialize)]
pub(super) struct BalanceWire {
    pub payout_wallet_balance: KesAmount,
    #[serde(default)]
    pub collection_wallet_balance: Option<KesAmount>,
    #[serde(default)]
    pub total_balance: Option<KesAmount>,
}

// ---------------------------------------------------------------------------------------------
// Callbacks
// ---------------------------------------------------------------------------------------------

/// The callback JPay POSTs to the `callback_url`.
#[derive(Deserialize)]
pub(super) struct CallbackWire {
    pub notification: NotificationWire,
    pub data: CallbackDataWire,
}

#[derive(Deserialize)]
pub(super) struct NotificationWire {
    #[serde(rename = "type")]
    pub kind: String,
    pub event: String,
}

#[derive(Deserialize)]
pub(super) struct CallbackDataWire {
    #[serde(default, deserialize_with = "lenient_i64")]
    pub result_code: Option<i64>,
    #[serde(default)]
    pub result_description: Option<String>,
    #[serde(default)]
    pub amount: Option<KesAmount>,
    pub ref_no: String,
    #[serde(default)]
    pub external_ref: Option<String>,
    #[serde(default)]
    pub trans_id: Option<String>,
}

/// A callback's status: `transaction.created` → pending; `transaction.completed` with
/// `result_code` 0 → succeeded; `transaction.failed`, or any non-zero `result_code` → failed with
/// the description. A completion without a result code is not taken as success.
pub(super) fn callback_status(
    event: &str,
    result_code: Option<i64>,
    description: Option<&str>,
) -> Status {
    let event = event.trim();
    if matches!(result_code, Some(code) if code != 0) || event == "transaction.failed" {
        return failed(description);
    }
    match (event, result_code) {
        ("transaction.created", _) => Status::Pending,
        ("transaction.completed", Some(0)) => Status::Succeeded,
        _ => Status::Unknown(event.to_owned()),
    }
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

/// The provider's words from an error body: `{"detail": "…"}`, or DRF's field errors
/// (`{"ref_no": ["…"]}`, the field returned as the blamed parameter), or a body snippet.
pub(super) fn error_text(body: &[u8]) -> (String, Option<String>) {
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return (crate::http::snippet(body), None);
    };
    if let Some(detail) = fields.get("detail") {
        return (text_of(detail), None);
    }
    for (field, value) in &fields {
        let text = text_of(value);
        if !text.is_empty() {
            let param = (field != "non_field_errors").then(|| field.clone());
            return (text, param);
        }
    }
    (crate::http::snippet(body), None)
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text_of).collect::<Vec<_>>().join("; "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Whether a rejection says the `ref_no` was used before. JPay documents no such error; this
/// matches a message that names the reference (`ref_no`, `ref no`, `reference`, or the field
/// `ref_no`) and says it exists or is a duplicate, e.g. `"Payout with this ref_no already
/// exists"` or DRF's `{"ref_no": ["payout with this ref no already exists."]}`.
pub(super) fn is_duplicate_reference(message: &str, param: Option<&str>) -> bool {
    let lower = message.to_ascii_lowercase();
    let names_reference = param == Some("ref_no")
        || lower.contains("ref_no")
        || lower.contains("ref no")
        || lower.contains("reference");
    let says_duplicate = lower.contains("exist")
        || lower.contains("duplicate")
        || lower.contains("already used")
        || lower.contains("already been used");
    names_reference && says_duplicate
}

/// Turns a non-2xx answer into the crate's error, one row per documented error.
pub(crate) fn map_error(status: StatusCode, body: &[u8]) -> Error {
    let code = status.as_u16();
    let (message, param) = error_text(body);
    let lower = message.trim().trim_end_matches('.').to_ascii_lowercase();
    let rejected = |code_: RejectCode, param: Option<String>| Error::Rejected {
        provider: PROVIDER,
        status: code,
        code: code_,
        provider_code: None,
        message: message.clone(),
        param,
    };
    let auth = |kind: AuthFailure| Error::auth(PROVIDER, Some(code), kind, message.clone());
    if status.is_client_error() && is_duplicate_reference(&message, param.as_deref()) {
        return rejected(
            RejectCode::DuplicateReference,
            param.or_else(|| Some("ref_no".to_owned())),
        );
    }
    match code {
        400 | 422 => {
            let reject = if lower.starts_with("invalid phone number") {
                RejectCode::InvalidRecipient
            } else if lower.starts_with("invalid amount") {
                RejectCode::InvalidAmount
            } else if lower.starts_with("insufficient balance") {
                RejectCode::InsufficientBalance
            } else if lower.starts_with("invalid channel code") {
                RejectCode::InvalidChannel
            } else {
                // Includes "Channel is required for bank account payouts".
                RejectCode::InvalidRequest
            };
            rejected(reject, param)
        }
        401 => auth(if lower.contains("token") {
            AuthFailure::TokenExpired
        } else {
            AuthFailure::InvalidCredentials
        }),
        403 => auth(if lower.contains("not approved") {
            AuthFailure::MerchantNotApproved
        } else if lower.contains("not active") {
            AuthFailure::AppInactive
        } else if lower.contains("product") {
            AuthFailure::ProductNotEnabled
        } else if lower.contains("ip address") {
            AuthFailure::IpNotAllowed
        } else {
            AuthFailure::Forbidden
        }),
        404 if lower.starts_with("app not found") => {
            rejected(RejectCode::NotFound, Some("app_code".to_owned()))
        }
        404 => rejected(RejectCode::NotFound, param),
        _ => Error::from_status(
            PROVIDER,
            code,
            RejectCode::Other,
            Refusal::new(message).with_param(param),
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// Lenient scalars
// ---------------------------------------------------------------------------------------------

/// A field that is present, `null` included (which `Option` alone would read as absent).
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = Value::deserialize(d)?;
    scalar_text(&value)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| de::Error::custom("expected a non-empty string or a number"))
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(value) => scalar_text(&value)
            .and_then(|s| s.parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| de::Error::custom("expected an unsigned integer")),
    }
}

fn lenient_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(value) => scalar_text(&value)
            .and_then(|s| s.parse::<i64>().ok())
            .map(Some)
            .ok_or_else(|| de::Error::custom("expected an integer")),
    }
}

fn required_u32<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    let value = Value::deserialize(d)?;
    scalar_text(&value)
        .and_then(|s| s.parse::<u32>().ok())
        .ok_or_else(|| de::Error::custom("expected an unsigned integer"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn every_payout_status_word_maps() {
        assert_eq!(payout_status("pending", None), Status::Pending);
        assert_eq!(payout_status("processing", None), Status::Pending);
        assert_eq!(payout_status("completed", None), Status::Succeeded);
        assert_eq!(
            payout_status("failed", None),
            Status::failed(FailureReason::Other("failed".into()), None)
        );
        assert_eq!(
            payout_status(
                "failed",
                Some("The balance is insufficient for the transaction")
            ),
            Status::failed(
                FailureReason::InsufficientFunds,
                Some("The balance is insufficient for the transaction".into())
            )
        );
        assert_eq!(
            payout_status("reversed", None),
            Status::Unknown("reversed".into())
        );
    }

    #[test]
    fn every_callback_event_maps() {
        assert_eq!(
            callback_status("transaction.created", Some(0), None),
            Status::Pending
        );
        assert_eq!(
            callback_status("transaction.completed", Some(0), Some("ok")),
            Status::Succeeded
        );
        assert_eq!(
            callback_status("transaction.completed", Some(2001), Some("Invalid account")),
            Status::failed(
                FailureReason::InvalidRecipient,
                Some("Invalid account".into())
            )
        );
        assert_eq!(
            callback_status("transaction.failed", Some(0), Some("Declined by user")),
            Status::failed(FailureReason::Declined, Some("Declined by user".into()))
        );
        assert_eq!(
            callback_status("transaction.completed", None, None),
            Status::Unknown("transaction.completed".into())
        );
        assert_eq!(
            callback_status("transaction.reversed", Some(0), None),
            Status::Unknown("transaction.reversed".into())
        );
    }

    #[test]
    fn created_at_is_day_first_and_read_as_utc() {
        assert_eq!(
            parse_created_at("12/04/2024 14:30:45"),
            Some(Utc.with_ymd_and_hms(2024, 4, 12, 14, 30, 45).unwrap())
        );
        assert_eq!(
            parse_created_at("2024-04-12T14:30:45+03:00"),
            Some(Utc.with_ymd_and_hms(2024, 4, 12, 11, 30, 45).unwrap())
        );
        assert_eq!(parse_created_at("31/02/2024 10:00:00"), None);
        assert_eq!(parse_created_at("04/12/2024"), None);
    }

    #[test]
    fn product_lists_in_every_shape() {
        let names = |v: Value| product_names(&v);
        assert_eq!(
            names(json!(["collections", "payouts"])),
            Some(vec!["collections".to_owned(), "payouts".to_owned()])
        );
        assert_eq!(
            names(json!([{"name": "payouts", "enabled": true}])),
            Some(vec!["payouts".to_owned()])
        );
        assert_eq!(
            names(json!({"payouts": true, "collections": false})),
            Some(vec!["payouts".to_owned()])
        );
        assert_eq!(names(json!("payouts")), None);
        assert!(has_payouts(&["Payouts".to_owned()]));
        assert!(!has_payouts(&["collections".to_owned()]));
    }

    #[test]
    fn duplicate_reference_texts() {
        assert!(is_duplicate_reference(
            "Payout with this ref_no already exists",
            None
        ));
        assert!(is_duplicate_reference(
            "payout with this ref no already exists.",
            Some("ref_no")
        ));
        assert!(is_duplicate_reference("Duplicate reference number", None));
        assert!(!is_duplicate_reference("Invalid amount", None));
        assert!(!is_duplicate_reference("App not found", None));
    }

    #[test]
    fn drf_field_errors_name_the_parameter() {
        let (message, param) = error_text(br#"{"amount": ["A valid number is required."]}"#);
        assert_eq!(message, "A valid number is required.");
        assert_eq!(param.as_deref(), Some("amount"));
        let (message, param) = error_text(b"<html>Bad Gateway</html>");
        assert_eq!(message, "<html>Bad Gateway</html>");
        assert_eq!(param, None);
    }

    #[test]
    fn pages_end_on_the_most_explicit_signal() {
        let page = |v: Value| serde_json::from_value::<PageWire<Value>>(v).unwrap();
        let one = json!([{}]);
        assert!(!page(json!({"items": one, "pagination": {"has_next": false}})).has_more(1, 1));
        assert!(
            page(json!({"items": one, "pagination": {"page": 1, "total_pages": 2}})).has_more(1, 1)
        );
        assert!(
            !page(json!({"items": one, "pagination": {"page": 2, "total_pages": 2}}))
                .has_more(2, 1)
        );
        assert!(page(json!({"items": one, "pagination": {"total": 3}})).has_more(2, 1));
        assert!(!page(json!({"results": one, "next": null})).has_more(1, 1));
        assert!(page(json!({"results": one, "next": "https://x/?page=2"})).has_more(1, 1));
        assert!(page(json!({"items": one})).has_more(1, 1));
        assert!(!page(json!({"items": one})).has_more(1, 2));
        assert!(!page(json!({"items": [], "pagination": {"has_next": true}})).has_more(1, 1));
    }
}
