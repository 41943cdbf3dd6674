//! The event Payonify posts to the account's webhook endpoint when a payout is final, signed
//! `Payonify-Signature: t=<unix>,v1=hex(HMAC-SHA256(whsec, "{t}.{body}"))`.

use chrono::Utc;
use serde::Serialize;

use super::types::PAYONIFY_CREDENTIALS;
use super::wire::{PayoutObject, payout_object};
use crate::model::ProviderId;
use crate::sandbox::deliver::{Outgoing, Signing};
use crate::sandbox::ledger::{EntryStatus, LedgerEntry};

/// The signature header.
pub(crate) const SIGNATURE_HEADER: &str = "Payonify-Signature";

#[derive(Serialize)]
struct Event {
    id: String,
    object: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    created: i64,
    livemode: bool,
    data: EventData,
}

#[derive(Serialize)]
struct EventData {
    object: PayoutObject,
}

/// `{id: "evt_…", object: "event", type: "payout.succeeded" | "payout.failed", created,
/// livemode: false, data: {object: <payout>}}`.
pub(crate) fn build(entry: &LedgerEntry, url: String, event_id: String) -> Option<Outgoing> {
    let kind = match entry.status {
        EntryStatus::Pending => return None,
        EntryStatus::Succeeded => "payout.succeeded",
        EntryStatus::Failed { .. } => "payout.failed",
    };
    let body = serde_json::to_vec(&Event {
        id: event_id,
        object: "event",
        kind,
        created: Utc::now().timestamp(),
        livemode: false,
        data: EventData {
            object: payout_object(entry),
        },
    })
    .ok()?;
    Some(Outgoing {
        provider: ProviderId::PAYONIFY,
        event: kind.to_owned(),
        entry_id: entry.id.clone(),
        url,
        method: reqwest::Method::POST,
        body,
        signing: Signing::Timestamped {
            header: SIGNATURE_HEADER,
            secret: PAYONIFY_CREDENTIALS.webhook_secret,
        },
    })
}
