//! MTN MoMo as a [`Simulator`]: what the shared sandbox asks of it.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::types::{MtnMomo, MtnMomoDetails};
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

impl Simulator for MtnMomo {
    fn id(&self) -> ProviderId {
        ProviderId::MTN_MOMO
    }

    fn prefix(&self) -> &'static str {
        "/mtn_momo"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        crate::sandbox::routes::endpoints(ROUTES)
    }

    fn router(&self, shared: Arc<Shared>) -> Router {
        router(shared)
    }

    fn opening_balances(&self) -> &'static [(Currency, i64)] {
        &[
            (Currency::EUR, 1_000_000),
            (Currency::UGX, 1_000_000_000),
            (Currency::GHS, 1_000_000),
            (Currency::XOF, 1_000_000_000),
            (Currency::ZMW, 1_000_000),
            (Currency::XAF, 1_000_000_000),
            (Currency::SZL, 1_000_000),
            (Currency::GNF, 10_000_000_000),
            (Currency::ZAR, 1_000_000),
            (Currency::LRD, 1_000_000),
        ]
    }

    /// `externalId`.
    fn reference(&self, _: &HeaderMap, _: Option<&str>, body: &[u8]) -> Option<String> {
        body_field(body, "externalId")
    }

    fn status_error(&self, status: StatusCode, _retry_after: Option<u64>) -> Response {
        wire::status_error(status)
    }

    fn failure(&self, outcome: ScriptedOutcome) -> EntryStatus {
        wire::failure(outcome)
    }

    /// A scripted recipient's failure, else the failure MTN's sandbox number scripts, else
    /// success.
    fn final_status(&self, entry: &LedgerEntry) -> EntryStatus {
        match entry.scripted.filter(|o| o.fails()) {
            Some(outcome) => self.failure(outcome),
            None => entry
                .details
                .get::<MtnMomoDetails>()
                .and_then(|d| d.scenario_failure.clone())
                .unwrap_or(EntryStatus::Succeeded),
        }
    }

    fn expire_tokens(&self, inner: &mut Inner, _refresh: bool) -> bool {
        inner.own::<super::auth::TokenStore>().expire();
        true
    }

    fn details_from_json(
        &self,
        value: serde_json::Value,
    ) -> Result<crate::sandbox::details::Details, String> {
        crate::sandbox::details::Details::from_json::<super::types::MtnMomoDetails>(value)
    }

    fn webhook(&self, entry: &LedgerEntry, url: String, _: &mut Inner) -> Option<Outgoing> {
        webhook::build(entry, url)
    }
}
