//! JPay as a [`Simulator`]: what the shared sandbox asks of it.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::types::Jpay;
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

impl Simulator for Jpay {
    fn id(&self) -> ProviderId {
        ProviderId::JPAY
    }

    fn prefix(&self) -> &'static str {
        "/jpay/api/v1"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        crate::sandbox::routes::endpoints(ROUTES)
    }

    fn router(&self, shared: Arc<Shared>) -> Router {
        router(shared)
    }

    fn opening_balances(&self) -> &'static [(Currency, i64)] {
        &[(Currency::KES, 1_000_000)]
    }

    /// `ref_no` of the body, else of the list query.
    fn reference(&self, _: &HeaderMap, query: Option<&str>, body: &[u8]) -> Option<String> {
        body_field(body, "ref_no").or_else(|| {
            url::form_urlencoded::parse(query?.as_bytes())
                .find(|(name, _)| name == "ref_no")
                .map(|(_, value)| value.into_owned())
        })
    }

    fn status_error(&self, status: StatusCode, retry_after: Option<u64>) -> Response {
        wire::status_error(status, retry_after)
    }

    fn failure(&self, outcome: ScriptedOutcome) -> EntryStatus {
        wire::failure(outcome)
    }

    fn expire_tokens(&self, inner: &mut Inner, refresh: bool) -> bool {
        let tokens = inner.own::<super::token::TokenStore>();
        tokens.expire_access();
        if refresh {
            tokens.expire_refresh();
        }
        true
    }

    fn details_from_json(
        &self,
        value: serde_json::Value,
    ) -> Result<crate::sandbox::details::Details, String> {
        crate::sandbox::details::Details::from_json::<super::types::JpayDetails>(value)
    }

    fn webhook(&self, entry: &LedgerEntry, url: String, _: &mut Inner) -> Option<Outgoing> {
        webhook::build(entry, url)
    }
}
