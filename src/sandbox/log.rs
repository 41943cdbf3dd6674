//! What the sandbox received and what it sent, for tests to inspect.

use chrono::{DateTime, Utc};

use super::fault::Fault;
use crate::model::ProviderId;

/// One request the sandbox received. No header is kept, so no credential is.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The provider addressed.
    pub provider: ProviderId,
    /// The HTTP method.
    pub method: String,
    /// The path relative to the provider's base URL (`/v1/payouts`).
    pub path: String,
    /// The query string, if any.
    pub query: Option<String>,
    /// The merchant reference the request names, read as the provider reads it: JPay `ref_no`
    /// (in the body, else in the list query), Payonify `Idempotency-Key`, Vesicash `reason`
    /// (else `narration`). `None` for requests that name none (lookups by id, tokens).
    pub reference: Option<String>,
    /// The status answered; `None` when the connection was dropped without an answer, or the
    /// client gave up before the answer was ready.
    pub status: Option<u16>,
    /// The fault injected into this request, if any.
    pub fault: Option<Fault>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// One webhook the sandbox delivered (or gave up delivering), after all its attempts.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookDelivery {
    /// The provider that sent it.
    pub provider: ProviderId,
    /// The event (`payout.successful`, `transaction.completed`, `payout.succeeded`, …).
    pub event: String,
    /// The ledger entry it is about.
    pub entry_id: String,
    /// The URL it was posted to, as the request gave it.
    pub url: String,
    /// The body, exactly as sent.
    pub body: String,
    /// The signature header of the last attempt (`X-Vesicash-Signature`, `Payonify-Signature`);
    /// `None` for JPay, which does not sign.
    pub signature: Option<String>,
    /// How many attempts were made.
    pub attempts: u32,
    /// The status of the last attempt; `None` if it got no HTTP answer.
    pub status: Option<u16>,
    /// Whether an attempt got a 2xx.
    pub delivered: bool,
}
