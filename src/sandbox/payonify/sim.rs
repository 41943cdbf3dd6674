//! Payonify as a [`Simulator`]: what the shared sandbox asks of it.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::create::IDEMPOTENCY_HEADER;
use super::types::Payonify;
use super::{ROUTES, router, webhook, wire};
use crate::model::ProviderId;
use crate::money::Currency;
use crate::sandbox::deliver::Outgoing;
use crate::sandbox::ledger::{EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::header;
use crate::sandbox::routes::Endpoint;
use crate::sandbox::simulator::Simulator;
use crate::sandbox::state::{Inner, Shared};

impl Simulator for Payonify {
    fn id(&self) -> ProviderId {
        ProviderId::PAYONIFY
    }

    fn prefix(&self) -> &'static str {
        "/payonify"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        crate::sandbox::routes::endpoints(ROUTES)
    }

    fn router(&self, shared: Arc<Shared>) -> Router {
        router(shared)
    }

    fn opening_balances(&self) -> &'static [(Currency, i64)] {
        &[(Currency::USD, 10_000), (Currency::ZWG, 250_000)]
    }

    /// The `Idempotency-Key` header.
    fn reference(&self, headers: &HeaderMap, _: Option<&str>, _: &[u8]) -> Option<String> {
        header(headers, IDEMPOTENCY_HEADER).map(str::to_owned)
    }

    fn status_error(&self, status: StatusCode, _retry_after: Option<u64>) -> Response {
        wire::status_error(status)
    }

    fn failure(&self, outcome: ScriptedOutcome) -> EntryStatus {
        wire::failure(outcome)
    }

    /// Each event has a fresh `evt_…` id.
    fn details_from_json(
        &self,
        value: serde_json::Value,
    ) -> Result<crate::sandbox::details::Details, String> {
        crate::sandbox::details::Details::from_json::<super::types::PayonifyDetails>(value)
    }

    fn webhook(&self, entry: &LedgerEntry, url: String, inner: &mut Inner) -> Option<Outgoing> {
        let event_id = format!("evt_{}", inner.random_alnum(24));
        webhook::build(entry, url, event_id)
    }
}
