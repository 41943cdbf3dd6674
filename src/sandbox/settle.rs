//! Settlement: after the configured delay a pending entry becomes final (scripted failures fail,
//! the rest succeed), a failed one gives its amount back, and the provider's webhook goes out.

use std::sync::Arc;

use chrono::Utc;

use super::deliver::{Outgoing, deliver};
use super::kind::ProviderKind;
use super::ledger::{Details, EntryStatus};
use super::state::Shared;
use super::{jpay, mtn_momo, payonify, vesicash};

/// Settles entry `id` of `kind` after the settle delay, in the background.
pub(crate) fn schedule(shared: &Arc<Shared>, kind: ProviderKind, id: String) {
    schedule_after(shared, kind, id, 1);
}

/// Settles entry `id` of `kind` after `factor` settle delays, in the background.
pub(crate) fn schedule_after(shared: &Arc<Shared>, kind: ProviderKind, id: String, factor: u32) {
    let job_shared = Arc::clone(shared);
    shared.spawn(async move {
        let wait = job_shared.settings.settle_after.saturating_mul(factor);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        if let Some(outgoing) = settle_now(&job_shared, kind, &id) {
            deliver(job_shared, outgoing).await;
        }
    });
}

/// Makes the entry final and builds its webhook, if it has somewhere to go.
pub(crate) fn settle_now(shared: &Shared, kind: ProviderKind, id: &str) -> Option<Outgoing> {
    let mut inner = shared.lock();
    let entry = inner.ledger.get_mut(kind, id)?;
    if entry.status.is_final() || entry.stuck() {
        return None;
    }
    let scenario = match &entry.details {
        Details::MtnMomo {
            scenario_failure, ..
        } => scenario_failure.clone(),
        _ => None,
    };
    entry.status = match entry.scripted.filter(|o| o.fails()) {
        None => scenario.unwrap_or(EntryStatus::Succeeded),
        Some(outcome) => match kind {
            ProviderKind::Vesicash => vesicash::wire::failure(outcome),
            ProviderKind::Jpay => jpay::wire::failure(outcome),
            ProviderKind::Payonify => payonify::wire::failure(outcome),
            ProviderKind::MtnMomo => mtn_momo::wire::failure(outcome),
        },
    };
    entry.settled_at = Some(Utc::now());
    let entry = entry.clone();
    if matches!(entry.status, EntryStatus::Failed { .. }) {
        inner.ledger.credit(kind, &entry.amount);
    }
    let url = entry
        .callback_url
        .clone()
        .or_else(|| inner.webhook_urls.get(&kind).cloned())?;
    match kind {
        ProviderKind::Vesicash => vesicash::webhook::build(&entry, url),
        ProviderKind::Jpay => jpay::webhook::build(&entry, url),
        ProviderKind::MtnMomo => mtn_momo::webhook::build(&entry, url),
        ProviderKind::Payonify => {
            let event_id = format!("evt_{}", inner.random_alnum(24));
            payonify::webhook::build(&entry, url, event_id)
        }
    }
}
