//! The notification Vesicash posts when a payout or refund is final, signed
//! `X-Vesicash-Signature: hex(HMAC-SHA256(webhook secret, raw body))`.

use serde::Serialize;

use super::types::VESICASH_CREDENTIALS;
use super::wire::{EntryData, word};
use crate::model::ProviderId;
use crate::sandbox::deliver::{Outgoing, Signing};
use crate::sandbox::ledger::{EntryKind, LedgerEntry};

/// The signature header.
pub(crate) const SIGNATURE_HEADER: &str = "X-Vesicash-Signature";

#[derive(Serialize)]
struct Notification {
    event: String,
    data: EntryData,
}

/// `{event: "payout.successful" | "payout.failed" | "refund.successful" | "refund.failed",
/// data: {reference, status, amount, reason?, payment_reference?}}`.
pub(crate) fn build(entry: &LedgerEntry, url: String) -> Option<Outgoing> {
    let object = match entry.kind {
        EntryKind::Payout => "payout",
        EntryKind::Refund => "refund",
    };
    let event = format!("{object}.{}", word(&entry.status));
    let body = serde_json::to_vec(&Notification {
        event: event.clone(),
        data: EntryData::of(entry),
    })
    .ok()?;
    Some(Outgoing {
        provider: ProviderId::VESICASH,
        event,
        entry_id: entry.id.clone(),
        url,
        method: reqwest::Method::POST,
        body,
        signing: Signing::BodyHex {
            header: SIGNATURE_HEADER,
            secret: VESICASH_CREDENTIALS.webhook_secret,
        },
    })
}
