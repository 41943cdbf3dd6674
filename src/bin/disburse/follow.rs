//! Following payouts to a final status: polls each provider for the payouts that are not final,
//! at most `rate` calls per second per provider, records what it says in the store, and
//! updates the results.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use disburse::store::{PayoutStore, StatusChange, Store};
use futures_util::StreamExt;
use tokio::sync::Mutex;
use tokio::time::{Instant, Interval};

use crate::args::ProviderName;
use crate::output::error_line;
use crate::results::Entry;
use crate::target::Targets;

/// How often, and for how long, to poll.
pub struct Follow {
    /// Gives up when it passes (`None`: one round only).
    pub deadline: Option<Instant>,
    /// Calls per second per provider.
    pub rate: u32,
    /// Calls in flight at once.
    pub concurrency: usize,
}

/// Polls the open entries until none is left, the deadline passes or `stop` is set. Returns how
/// many are still open.
pub async fn follow(
    targets: &Targets,
    store: &Store,
    entries: &mut [Entry],
    how: &Follow,
    stop: &AtomicBool,
) -> usize {
    let every = Duration::from_secs(1) / how.rate.max(1);
    let mut pacers: HashMap<ProviderName, Mutex<Interval>> = HashMap::new();
    let mut delay = Duration::from_millis(200);
    let mut warned = false;
    loop {
        let open: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].is_open())
            .collect();
        if open.is_empty() || stop.load(Ordering::SeqCst) {
            return open.len();
        }
        for i in &open {
            if let Some(p) = entries[*i].provider {
                pacers
                    .entry(p)
                    .or_insert_with(|| Mutex::new(tokio::time::interval(every)));
            }
        }
        let pacers = &pacers;
        let polls = futures_util::stream::iter(open.iter().map(|&i| {
            let (provider, id) = (entries[i].provider, entries[i].payout_id.clone());
            async move {
                let provider = provider?;
                let client = targets.get(provider).ok()?;
                if let Some(pacer) = pacers.get(&provider) {
                    pacer.lock().await.tick().await;
                }
                Some((i, client.get_payout(&id).await))
            }
        }))
        .buffer_unordered(how.concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
        for (i, answer) in polls.into_iter().flatten() {
            match answer {
                Ok(payout) => {
                    let (status, detail) = crate::output::status_words(&payout.status);
                    entries[i].status = status.to_owned();
                    if !detail.is_empty() {
                        entries[i].detail = detail;
                    }
                    if let Err(e) = store.record_status(&StatusChange::from_poll(&payout)).await {
                        eprintln!("disburse: cannot record a status: {e}");
                    }
                }
                Err(error) if !warned => {
                    warned = true;
                    eprintln!(
                        "disburse: {} {}: cannot read its status: {}",
                        entries[i].reference,
                        entries[i].payout_id,
                        error_line(&error)
                    );
                }
                Err(_) => {}
            }
        }
        let Some(deadline) = how.deadline else {
            return entries.iter().filter(|e| e.is_open()).count();
        };
        if Instant::now() + delay >= deadline {
            return entries.iter().filter(|e| e.is_open()).count();
        }
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
