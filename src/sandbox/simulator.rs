//! The one trait a simulated provider implements: everything the shared sandbox needs to know
//! about a provider, so the shared modules name none. Adding a provider's simulator is a folder
//! with a type implementing [`Simulator`] plus one line in `registry.rs`.

use std::fmt;
use std::sync::Arc;

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::deliver::Outgoing;
use super::details::Details;
use super::ledger::{EntryStatus, LedgerEntry};
use super::outcome::ScriptedOutcome;
use super::routes::Endpoint;
use super::state::{Inner, Shared};
use crate::model::ProviderId;
use crate::money::Currency;

/// One simulated provider.
pub(crate) trait Simulator: fmt::Debug + Send + Sync + 'static {
    /// Which provider it simulates.
    fn id(&self) -> ProviderId;

    /// The path prefix it is served under (its base URL's path), e.g. `/payonify`.
    fn prefix(&self) -> &'static str;

    /// Every endpoint it serves, relative to its base URL.
    fn endpoints(&self) -> Vec<Endpoint>;

    /// Its router: its routes, its auth, its wire shapes, its not-found answer.
    fn router(&self, shared: Arc<Shared>) -> Router;

    /// The balances it opens with (major units): generous, so only tests that lower them see
    /// insufficient funds.
    fn opening_balances(&self) -> &'static [(Currency, i64)];

    /// The merchant reference a request names, as the provider reads it: what the request log
    /// records and what [`Route::for_reference`](super::Route::for_reference) matches. The same
    /// field the ledger keeps as [`LedgerEntry::reference`].
    fn reference(&self, headers: &HeaderMap, query: Option<&str>, body: &[u8]) -> Option<String>;

    /// The provider's own error body for a status it did not choose (an injected 5xx or 429;
    /// `retry_after` in whole seconds for a 429).
    fn status_error(&self, status: StatusCode, retry_after: Option<u64>) -> Response;

    /// The failed status, in the provider's words, of an entry whose recipient scripted a
    /// failing `outcome`.
    fn failure(&self, outcome: ScriptedOutcome) -> EntryStatus;

    /// The status a pending entry settles to: its scripted failure, else success.
    fn final_status(&self, entry: &LedgerEntry) -> EntryStatus {
        match entry.scripted.filter(|o| o.fails()) {
            None => EntryStatus::Succeeded,
            Some(outcome) => self.failure(outcome),
        }
    }

    /// Whether the entry's amount was taken from the balance, and so goes back when it fails
    /// (an entry the provider accepts only to fail it later may have taken nothing).
    fn debited(&self, _entry: &LedgerEntry) -> bool {
        true
    }

    /// Reads back the details this simulator keeps on its entries (a saved sandbox state;
    /// `Details::from_json` with its own details type).
    fn details_from_json(&self, value: serde_json::Value) -> Result<Details, String>;

    /// Makes every access token issued so far invalid (and, with `refresh`, every refresh token
    /// too), as when they expire. `false` for a provider that issues no tokens (fixed keys).
    fn expire_tokens(&self, _inner: &mut Inner, _refresh: bool) -> bool {
        false
    }

    /// The webhook announcing a final entry to `url`, signed as the provider signs; `None` when
    /// the provider sends none for it.
    fn webhook(&self, entry: &LedgerEntry, url: String, inner: &mut Inner) -> Option<Outgoing>;
}
