//! M-Pesa Daraja as a [`Simulator`]: what the shared sandbox asks of it.

use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use reqwest::Method;

use super::types::{MpesaDaraja, MpesaDarajaDetails, reference_in};
use super::{ROUTES, router, wire};
use crate::model::ProviderId;
use crate::money::Currency;
use crate::sandbox::deliver::{Outgoing, Signing};
use crate::sandbox::ledger::{EntryStatus, LedgerEntry};
use crate::sandbox::outcome::ScriptedOutcome;
use crate::sandbox::respond::body_field;
use crate::sandbox::routes::Endpoint;
use crate::sandbox::simulator::Simulator;
use crate::sandbox::state::{Inner, Shared};

impl Simulator for MpesaDaraja {
    fn id(&self) -> ProviderId {
        ProviderId::MPESA_DARAJA
    }

    fn prefix(&self) -> &'static str {
        "/mpesa_daraja"
    }

    fn endpoints(&self) -> Vec<Endpoint> {
        crate::sandbox::routes::endpoints(ROUTES)
    }

    fn router(&self, shared: Arc<Shared>) -> Router {
        router(shared)
    }

    fn opening_balances(&self) -> &'static [(Currency, i64)] {
        &[(Currency::KES, 10_000_000)]
    }

    /// The reference inside `OriginatorConversationID` (B2C) or `OriginalConversationID`
    /// (Transaction Status), after `{PartyA}_`.
    fn reference(&self, _: &HeaderMap, _: Option<&str>, body: &[u8]) -> Option<String> {
        let id = body_field(body, "OriginatorConversationID")
            .or_else(|| body_field(body, "OriginalConversationID"))?;
        Some(reference_in(body_field(body, "PartyA").as_deref(), &id))
    }

    fn status_error(&self, status: StatusCode, _retry_after: Option<u64>) -> Response {
        wire::status_error(status)
    }

    fn failure(&self, outcome: ScriptedOutcome) -> EntryStatus {
        wire::failure(outcome)
    }

    /// The request's own failure (bad credential, no balance) first, then the scripted one.
    fn final_status(&self, entry: &LedgerEntry) -> EntryStatus {
        if let Some(failure) = entry
            .details
            .get::<MpesaDarajaDetails>()
            .and_then(|d| d.forced_failure.clone())
        {
            return failure;
        }
        match entry.scripted.filter(|o| o.fails()) {
            None => EntryStatus::Succeeded,
            Some(outcome) => self.failure(outcome),
        }
    }

    fn debited(&self, entry: &LedgerEntry) -> bool {
        entry
            .details
            .get::<MpesaDarajaDetails>()
            .is_none_or(|d| d.debited)
    }

    /// The B2C `Result` to the `ResultURL`, unsigned.
    fn expire_tokens(&self, inner: &mut Inner, _refresh: bool) -> bool {
        inner.own::<super::auth::TokenStore>().expire();
        true
    }

    fn details_from_json(
        &self,
        value: serde_json::Value,
    ) -> Result<crate::sandbox::details::Details, String> {
        crate::sandbox::details::Details::from_json::<super::types::MpesaDarajaDetails>(value)
    }

    fn webhook(&self, entry: &LedgerEntry, url: String, inner: &mut Inner) -> Option<Outgoing> {
        let details = entry.details.get::<MpesaDarajaDetails>()?;
        let utility = inner
            .ledger
            .balance(ProviderId::MPESA_DARAJA, Currency::KES)
            .round_dp(2);
        let body = wire::payout_result(
            entry,
            &details.originator_conversation_id,
            &details.conversation_id,
            &details.transaction_id,
            &format!("{utility:.2}"),
        );
        Some(Outgoing {
            provider: ProviderId::MPESA_DARAJA,
            event: "result".to_owned(),
            entry_id: entry.id.clone(),
            url,
            body: serde_json::to_vec(&body).ok()?,
            signing: Signing::None,
            method: Method::POST,
        })
    }
}
