//! The control endpoints under `/_sandbox` on the main port: steer the sandbox over HTTP from a
//! test in any language (inject a fault, settle now, expire tokens, set a balance, reset, read
//! the ledger). Bodies and answers are JSON; amounts are decimal strings, never numbers.
//!
//! | method and path | body | answer |
//! |---|---|---|
//! | `POST /_sandbox/faults` | `{provider, fault, method?, path?, reference?, times?, status?, ms?}` (`times`: 1 by default, a whole number, or `"always"` until cleared) | `201` the injection as understood |
//! | `DELETE /_sandbox/faults` | none | `{cleared: true}` |
//! | `POST /_sandbox/settle` | `{provider?, id?, reference?}` | `{settled: [entry…]}`: the pending entries it made final |
//! | `POST /_sandbox/tokens/expire` | `{provider?, refresh?}` | `{expired: ["jpay", "mtn_momo", "mpesa_daraja"]}` |
//! | `PUT /_sandbox/balances` | `{provider, currency, amount}` | `{provider, currency, amount}` |
//! | `POST /_sandbox/reset` | none | `{reset: true}` |
//! | `GET /_sandbox/ledger?provider=&reference=` | none | `{entries: [entry…], balances: [{provider, currency, amount}]}` |
//! | `GET /_sandbox/ledger/count?provider=&reference=` | none | `{count: N}`: how many entries the ledger would list |
//! | `POST`/`PUT /_sandbox/callbacks/{anything}` | anything | `{received: true}`: a sink for callback URLs nobody listens to |
//!
//! Every refusal is `400 {"error": "<what is wrong>"}` (`404` for an unknown path).

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{any, get, post, put};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::deliver::deliver;
use super::fault::{Fault, Route};
use super::ledger::{EntryKind, EntryStatus, LedgerEntry};
use super::outcome::ScriptedOutcome;
use super::registry;
use super::respond::json as json_answer;
use super::settle::settle_now;
use super::simulator::Simulator;
use super::state::Shared;
use crate::money::{Currency, Money};

/// Where the control endpoints live on the main port.
pub(crate) const PREFIX: &str = "/_sandbox";

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/faults", post(inject_fault).delete(clear_faults))
        .route("/settle", post(settle))
        .route("/tokens/expire", post(expire_tokens))
        .route("/balances", put(set_balance))
        .route("/reset", post(reset))
        .route("/ledger", get(ledger))
        .route("/ledger/count", get(ledger_count))
        .route("/callbacks/{*rest}", any(callback_sink))
        .fallback(|| async {
            refuse_with(
                StatusCode::NOT_FOUND,
                "not a control endpoint: see docs/SANDBOX.md",
            )
        })
        .with_state(shared)
}

/// The simulator of the provider named `name` (`vesicash`, `jpay`, `payonify`, …).
pub(crate) fn kind_named(name: &str) -> Option<&'static dyn Simulator> {
    registry::by_name(name)
}

fn refuse_with(status: StatusCode, message: &str) -> Response {
    json_answer(status, &json!({ "error": message }))
}

fn refuse(message: &str) -> Response {
    refuse_with(StatusCode::BAD_REQUEST, message)
}

type Answer = Result<Response, Response>;

/// The body as a JSON object; an empty body is an empty object.
fn object(body: &[u8]) -> Result<serde_json::Map<String, Value>, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(serde_json::Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(refuse("the body must be a JSON object")),
        Err(e) => Err(refuse(&format!("the body is not JSON: {e}"))),
    }
}

fn text<'a>(
    body: &'a serde_json::Map<String, Value>,
    field: &str,
) -> Result<Option<&'a str>, Response> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(refuse(&format!("{field} must be a string"))),
    }
}

fn number(body: &serde_json::Map<String, Value>, field: &str) -> Result<Option<u64>, Response> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .map(Some)
            .ok_or_else(|| refuse(&format!("{field} must be a whole number"))),
    }
}

fn provider(
    body: &serde_json::Map<String, Value>,
) -> Result<Option<&'static dyn Simulator>, Response> {
    text(body, "provider")?.map(known).transpose()
}

/// The simulator named `name`, or the refusal naming the ones there are.
fn known(name: &str) -> Result<&'static dyn Simulator, Response> {
    kind_named(name).ok_or_else(|| {
        refuse(&format!(
            "unknown provider {name:?}: one of {}",
            registry::names()
        ))
    })
}

/// The fault names, for messages.
const FAULTS: &str = "latency, status, too_many_requests, commit_then_drop, commit_then_delay, \
malformed_json, truncated_body, html_error_page, slow_body";

fn fault(body: &serde_json::Map<String, Value>) -> Result<Fault, Response> {
    let name = text(body, "fault")?.ok_or_else(|| refuse("fault is required"))?;
    let ms = |what: &str| {
        number(body, "ms")?
            .map(Duration::from_millis)
            .ok_or_else(|| refuse(&format!("fault {what} needs ms")))
    };
    Ok(match name {
        "latency" => Fault::Latency(ms(name)?),
        "status" => {
            let status = number(body, "status")?
                .filter(|s| (100..=599).contains(s))
                .ok_or_else(|| refuse("fault status needs status, an HTTP status (100-599)"))?;
            Fault::Status(u16::try_from(status).unwrap_or(500))
        }
        "too_many_requests" => Fault::TooManyRequests {
            retry_after: ms(name)?,
        },
        "commit_then_drop" => Fault::CommitThenDrop,
        "commit_then_delay" => Fault::CommitThenDelay(ms(name)?),
        "malformed_json" => Fault::MalformedJson,
        "truncated_body" => Fault::TruncatedBody,
        "html_error_page" => Fault::HtmlErrorPage,
        "slow_body" => Fault::SlowBody(ms(name)?),
        other => return Err(refuse(&format!("unknown fault {other:?}: one of {FAULTS}"))),
    })
}

/// The `times` word that makes an injection fire for every matching request until cleared.
const ALWAYS: &str = "always";

/// How many requests an injection fires for: a whole number from 1 (1 when absent), or `None`
/// for `"always"`.
fn times(body: &serde_json::Map<String, Value>) -> Result<Option<u32>, Response> {
    const WHAT: &str = "times must be a whole number from 1 or \"always\"";
    let times = match body.get("times") {
        None | Some(Value::Null) => 1,
        Some(Value::String(s)) if s == ALWAYS => return Ok(None),
        Some(v) => v.as_u64().ok_or_else(|| refuse(WHAT))?,
    };
    match u32::try_from(times) {
        Ok(0) => Err(refuse(WHAT)),
        Ok(n) => Ok(Some(n)),
        Err(_) => Err(refuse("times is too large")),
    }
}

async fn inject_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let answer: Answer = (|| {
        let body = object(&body)?;
        let kind = provider(&body)?.ok_or_else(|| refuse("provider is required"))?;
        let fault = fault(&body)?;
        let method = text(&body, "method")?;
        let path = text(&body, "path")?;
        let reference = text(&body, "reference")?;
        let times = times(&body)?;
        let mut route = match (method, path) {
            (None, None) => Route::any(),
            (Some(m), Some(p)) => Route::new(m, p),
            _ => return Err(refuse("method and path go together: give both or neither")),
        };
        if let Some(r) = reference {
            route = route.for_reference(r);
        }
        let mut inner = shared.lock();
        let times = match times {
            Some(n) => {
                inner.faults.add(kind.id(), route, fault, n);
                json!(n)
            }
            None => {
                inner.faults.add_always(kind.id(), route, fault);
                json!(ALWAYS)
            }
        };
        drop(inner);
        Ok(json_answer(
            StatusCode::CREATED,
            &json!({
                "provider": kind.id().as_str(),
                "fault": body.get("fault"),
                "method": method.map(str::to_ascii_uppercase),
                "path": path,
                "reference": reference,
                "times": times,
            }),
        ))
    })();
    answer.unwrap_or_else(|e| e)
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    shared.lock().faults.clear();
    json_answer(StatusCode::OK, &json!({ "cleared": true }))
}

async fn settle(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let answer: Answer = (|| {
        let body = object(&body)?;
        let kind = provider(&body)?;
        let id = text(&body, "id")?;
        let reference = text(&body, "reference")?;
        let due: Vec<(&'static dyn Simulator, String)> = shared
            .lock()
            .ledger
            .all_entries()
            .iter()
            .filter(|e| !e.status.is_final())
            .filter(|e| kind.is_none_or(|k| k.id() == e.provider))
            .filter(|e| id.is_none_or(|i| i == e.id))
            .filter(|e| reference.is_none_or(|r| e.matches_reference(r)))
            .filter_map(|e| kind_named(e.provider.as_str()).map(|k| (k, e.id.clone())))
            .collect();
        let mut settled = Vec::new();
        for (kind, id) in due {
            if let Some(outgoing) = settle_now(&shared, kind, &id) {
                let job = Arc::clone(&shared);
                shared.spawn(async move { deliver(job, outgoing).await });
            }
            let inner = shared.lock();
            if let Some(entry) = inner.ledger.get(kind.id(), &id)
                && entry.status.is_final()
            {
                settled.push(serde_json::to_value(EntryView::of(entry)).unwrap_or_default());
            }
        }
        Ok(json_answer(StatusCode::OK, &json!({ "settled": settled })))
    })();
    answer.unwrap_or_else(|e| e)
}

async fn expire_tokens(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let answer: Answer = (|| {
        let body = object(&body)?;
        let kind = provider(&body)?;
        let refresh = match body.get("refresh") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(refuse("refresh must be true or false")),
        };
        let mut expired = Vec::new();
        let mut inner = shared.lock();
        for &sim in registry::SIMULATORS {
            if kind.is_none_or(|k| k.id() == sim.id()) && sim.expire_tokens(&mut inner, refresh) {
                expired.push(sim.id().as_str());
            }
        }
        if expired.is_empty() {
            return Err(refuse(&format!(
                "{} issues no tokens (it signs every call with fixed keys)",
                kind.map(|k| k.id().as_str()).unwrap_or("no provider")
            )));
        }
        Ok(json_answer(StatusCode::OK, &json!({ "expired": expired })))
    })();
    answer.unwrap_or_else(|e| e)
}

async fn set_balance(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let answer: Answer = (|| {
        let body = object(&body)?;
        let kind = provider(&body)?.ok_or_else(|| refuse("provider is required"))?;
        let currency: Currency = text(&body, "currency")?
            .ok_or_else(|| refuse("currency is required"))?
            .parse()
            .map_err(|_| refuse("currency is not an ISO 4217 code this crate knows"))?;
        let amount = match body.get("amount") {
            Some(Value::String(s)) => s
                .parse::<Decimal>()
                .map_err(|_| refuse(&format!("amount {s:?} is not a decimal")))?,
            None | Some(Value::Null) => return Err(refuse("amount is required")),
            Some(_) => {
                return Err(refuse(
                    "amount must be a decimal string such as \"100.00\", never a JSON number",
                ));
            }
        };
        let money = Money::new(amount, currency)
            .map_err(|e| refuse(&format!("amount {amount} {currency}: {e}")))?;
        shared.lock().ledger.set_balance(kind.id(), money);
        Ok(json_answer(
            StatusCode::OK,
            &BalanceView {
                provider: kind.id().as_str(),
                currency: currency.code(),
                amount: money.amount().to_string(),
            },
        ))
    })();
    answer.unwrap_or_else(|e| e)
}

async fn reset(State(shared): State<Arc<Shared>>) -> Response {
    let mut inner = shared.lock();
    inner.ledger = registry::opening_ledger();
    inner.requests.clear();
    inner.webhooks.clear();
    inner.faults.clear();
    inner.reset_own();
    drop(inner);
    json_answer(StatusCode::OK, &json!({ "reset": true }))
}

#[derive(Debug, Deserialize)]
struct LedgerQuery {
    provider: Option<String>,
    reference: Option<String>,
}

impl LedgerQuery {
    /// The provider asked for, if any; a refusal for a name the sandbox does not know.
    fn kind(&self) -> Result<Option<&'static dyn Simulator>, Response> {
        self.provider.as_deref().map(known).transpose()
    }

    /// Whether `entry` is one the query asks for.
    fn wants(&self, kind: Option<&'static dyn Simulator>, entry: &LedgerEntry) -> bool {
        kind.is_none_or(|k| k.id() == entry.provider)
            && self
                .reference
                .as_deref()
                .is_none_or(|r| entry.matches_reference(r))
    }
}

async fn ledger(State(shared): State<Arc<Shared>>, Query(query): Query<LedgerQuery>) -> Response {
    let kind = match query.kind() {
        Ok(kind) => kind,
        Err(refusal) => return refusal,
    };
    let inner = shared.lock();
    let entries: Vec<EntryView<'_>> = inner
        .ledger
        .all_entries()
        .iter()
        .filter(|e| query.wants(kind, e))
        .map(EntryView::of)
        .collect();
    let mut balances: Vec<BalanceView> = inner
        .ledger
        .balances()
        .into_iter()
        .filter(|(k, _, _)| kind.is_none_or(|want| want.id() == *k))
        .map(|(k, currency, amount)| BalanceView {
            provider: k.as_str(),
            currency: currency.code(),
            amount: amount.to_string(),
        })
        .collect();
    balances.sort_by(|a, b| (a.provider, a.currency).cmp(&(b.provider, b.currency)));
    json_answer(
        StatusCode::OK,
        &json!({ "entries": entries, "balances": balances }),
    )
}

/// How many entries `GET /_sandbox/ledger` would list, without listing them: cheap enough to
/// poll while a run fills the ledger.
async fn ledger_count(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<LedgerQuery>,
) -> Response {
    let kind = match query.kind() {
        Ok(kind) => kind,
        Err(refusal) => return refusal,
    };
    let count = shared
        .lock()
        .ledger
        .all_entries()
        .iter()
        .filter(|e| query.wants(kind, e))
        .count();
    json_answer(StatusCode::OK, &json!({ "count": count }))
}

async fn callback_sink() -> Response {
    json_answer(StatusCode::OK, &json!({ "received": true }))
}

/// A balance as the control endpoints show it.
#[derive(Debug, Serialize)]
struct BalanceView {
    provider: &'static str,
    currency: &'static str,
    amount: String,
}

/// A ledger entry as the control endpoints show it.
#[derive(Debug, Serialize)]
struct EntryView<'a> {
    provider: &'static str,
    kind: &'static str,
    id: &'a str,
    reference: Option<&'a str>,
    amount: String,
    currency: &'static str,
    recipient: &'a str,
    status: &'static str,
    failure_code: Option<&'a str>,
    failure_message: Option<&'a str>,
    scripted: Option<&'static str>,
    payment_reference: Option<&'a str>,
    created_at: String,
    settled_at: Option<String>,
}

impl<'a> EntryView<'a> {
    fn of(entry: &'a LedgerEntry) -> EntryView<'a> {
        let (status, failure_code, failure_message) = match &entry.status {
            EntryStatus::Pending => ("pending", None, None),
            EntryStatus::Succeeded => ("succeeded", None, None),
            EntryStatus::Failed { code, message } => {
                ("failed", Some(code.as_str()), Some(message.as_str()))
            }
        };
        EntryView {
            provider: entry.provider.as_str(),
            kind: entry_kind_name(entry.kind),
            id: &entry.id,
            reference: entry.reference.as_deref(),
            amount: entry.amount.amount().to_string(),
            currency: entry.amount.currency().code(),
            recipient: &entry.recipient,
            status,
            failure_code,
            failure_message,
            scripted: entry.scripted.map(scripted_name),
            payment_reference: entry.payment_reference.as_deref(),
            created_at: entry.created_at.to_rfc3339(),
            settled_at: entry.settled_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// `payout` or `refund`.
pub(crate) fn entry_kind_name(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Payout => "payout",
        EntryKind::Refund => "refund",
    }
}

/// The scripted outcome's name in snake case.
pub(crate) fn scripted_name(outcome: ScriptedOutcome) -> &'static str {
    match outcome {
        ScriptedOutcome::InsufficientFunds => "insufficient_funds",
        ScriptedOutcome::InvalidAccount => "invalid_account",
        ScriptedOutcome::AccountBlocked => "account_blocked",
        ScriptedOutcome::StaysPending => "stays_pending",
        ScriptedOutcome::Declined => "declined",
        ScriptedOutcome::ProviderError => "provider_error",
    }
}
