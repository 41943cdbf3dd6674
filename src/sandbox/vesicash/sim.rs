//! Vesicash as a [`Simulator`]: what the shared sandbox asks of it.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::types::Vesicash;
use super::{ROUTES, router, webhook, wire};
use crate::model::ProviderId;
use crate::money::Currency;
use crate::sandbox::deliver::Outgoing;
use crate::sandbox::ledger::{EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::body_field;
use crate::sandbox::routes::Endpoint;
use crate::sandbox::simulator::Simulator;
use crate::sandbox::state::{Inner, Shared};

impl Simulator for Vesicash {
    fn id(&self) -> ProviderId {
        ProviderId::VESICASH
    }

    fn prefix(&self) -> &'static str {
        "/vesicash"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        crate::sandbox::routes::endpoints(ROUTES)
    }

    fn router(&self, shared: Arc<Shared>) -> Router {
        router(shared)
    }

    fn opening_balances(&self) -> &'static [(Currency, i64)] {
        &[
            (Currency::NGN, 10_000_000),
            (Currency::GHS, 1_000_000),
            (Currency::KES, 10_000_000),
            (Currency::ZMW, 1_000_000),
            (Currency::UGX, 100_000_000),
            (Currency::TZS, 100_000_000),
            (Currency::RWF, 100_000_000),
        ]
    }

    /// `reason`, else `narration`.
    fn reference(&self, _: &HeaderMap, _: Option<&str>, body: &[u8]) -> Option<String> {
        body_field(body, "reason").or_else(|| body_field(body, "narration"))
    }

    fn status_error(&self, status: StatusCode, _retry_after: Option<u64>) -> Response {
        wire::status_error(status)
    }

    fn failure(&self, outcome: ScriptedOutcome) -> EntryStatus {
        wire::failure(outcome)
    }

    fn details_from_json(
        &self,
        value: serde_json::Value,
    ) -> Result<crate::sandbox::details::Details, String> {
        crate::sandbox::details::Details::from_json::<super::types::VesicashDetails>(value)
    }

    fn webhook(&self, entry: &LedgerEntry, url: String, _: &mut Inner) -> Option<Outgoing> {
        webhook::build(entry, url)
    }
}
