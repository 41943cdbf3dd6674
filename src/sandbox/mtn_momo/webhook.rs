//! The callback MTN sends to the `X-Callback-Url` once a transfer, deposit or refund is final:
//! the status body, unsigned; PUT for the v2 operations, POST otherwise.

use reqwest::Method;

use super::types::MtnMomoDetails;
use super::wire::{result_json, word};
use crate::model::ProviderId;
use crate::sandbox::deliver::{Outgoing, Signing};
use crate::sandbox::ledger::{EntryStatus, LedgerEntry};

pub(crate) fn build(entry: &LedgerEntry, url: String) -> Option<Outgoing> {
    let MtnMomoDetails { operation, .. } = entry.details.get::<MtnMomoDetails>()?;
    if matches!(entry.status, EntryStatus::Pending) {
        return None;
    }
    Some(Outgoing {
        provider: ProviderId::MTN_MOMO,
        event: word(&entry.status).to_owned(),
        entry_id: entry.id.clone(),
        url,
        body: result_json(entry)?,
        signing: Signing::None,
        method: if operation.is_v2() {
            Method::PUT
        } else {
            Method::POST
        },
    })
}
