//! Settlement: after the configured delay a pending entry becomes final (scripted failures fail,
//! the rest succeed), a failed one gives its amount back, and the provider's webhook goes out.

use std::sync::Arc;

use chrono::Utc;

use super::deliver::{Outgoing, deliver};
use super::ledger::EntryStatus;
use super::simulator::Simulator;
use super::state::Shared;

/// Settles entry `id` of `sim` after the settle delay, in the background.
pub(crate) fn schedule(shared: &Arc<Shared>, sim: &'static dyn Simulator, id: String) {
    schedule_after(shared, sim, id, 1);
}

/// Settles entry `id` of `sim` after `factor` settle delays, in the background.
pub(crate) fn schedule_after(
    shared: &Arc<Shared>,
    sim: &'static dyn Simulator,
    id: String,
    factor: u32,
) {
    let job_shared = Arc::clone(shared);
    shared.spawn(async move {
        let wait = job_shared.settings.settle_after.saturating_mul(factor);
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
        if let Some(outgoing) = settle_now(&job_shared, sim, &id) {
            deliver(job_shared, outgoing).await;
        }
    });
}

/// Makes the entry final and builds its webhook, if it has somewhere to go.
pub(crate) fn settle_now(shared: &Shared, sim: &dyn Simulator, id: &str) -> Option<Outgoing> {
    let provider = sim.id();
    let mut inner = shared.lock();
    let entry = inner.ledger.get_mut(provider, id)?;
    if entry.status.is_final() || entry.stuck() {
        return None;
    }
    entry.status = sim.final_status(entry);
    entry.settled_at = Some(Utc::now());
    let entry = entry.clone();
    if matches!(entry.status, EntryStatus::Failed { .. }) && sim.debited(&entry) {
        inner.ledger.credit(provider, &entry.amount);
    }
    let url = entry
        .callback_url
        .clone()
        .or_else(|| inner.webhook_urls.get(&provider).cloned())?;
    sim.webhook(&entry, url, &mut inner)
}
