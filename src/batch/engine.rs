//! The batch engine: bounded concurrency, rate limiting, the store's claims and reconciliation.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures_util::stream::{self, Stream, StreamExt};
use tracing::Instrument as _;

use super::claim_order::ClaimOrder;
use super::fingerprint::fingerprint;
use super::outcome::{BatchItem, BatchOutcome};
use super::progress::{Progress, ProgressFn, Tracker};
use super::rate::RateLimiter;
use crate::error::{Error, RejectCode};
use crate::model::FoundPayout;
use crate::model::{Payout, PayoutRequest, Reference};
use crate::provider::PayoutProvider;
use crate::store::{Claim, ClaimedItem, ItemRecord, ItemState, NewItem, PayoutStore, WorkerId};

/// Requests sent at once unless [`BatchRunner::concurrency`] says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How many times one call is made when the provider keeps answering 429 (after the HTTP layer's
/// own retries); the item then fails with [`Error::RateLimited`] and is journaled
/// [`ItemState::NotSent`], so the next run sends it.
pub const MAX_THROTTLED_ATTEMPTS: u32 = 10;

/// How often, at most, a worker that finished its input checks whether other workers still hold
/// items of the batch.
const SWEEP_POLL: Duration = Duration::from_millis(100);
/// The first of those waits; each next one is twice as long, up to [`SWEEP_POLL`].
const SWEEP_FIRST_POLL: Duration = Duration::from_millis(20);

/// How many rows found held elsewhere are handed back per call at the end of a run (at least;
/// the concurrency when larger): small records, a few round trips for thousands of rows.
const DEFERRED_PAGE: usize = 256;

/// Sends many payouts through one provider; see the [module docs](super) for the rules.
#[derive(Clone)]
pub struct BatchRunner {
    provider: Arc<dyn PayoutProvider>,
    store: Arc<dyn PayoutStore>,
    batch: String,
    concurrency: usize,
    rate_limit: Option<u32>,
    on_progress: Option<ProgressFn>,
    stop: Option<Arc<AtomicBool>>,
}

impl fmt::Debug for BatchRunner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchRunner")
            .field("provider", &self.provider.id())
            .field("store", &self.store)
            .field("batch", &self.batch)
            .field("concurrency", &self.concurrency)
            .field("rate_limit", &self.rate_limit)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

/// The batch name unless [`BatchRunner::batch`] says otherwise.
pub const DEFAULT_BATCH: &str = "default";

impl BatchRunner {
    /// A runner sending through `provider` and recording in `store`, in batch
    /// [`DEFAULT_BATCH`], [`DEFAULT_CONCURRENCY`] requests at once, without a rate limit.
    pub fn new(provider: Arc<dyn PayoutProvider>, store: Arc<dyn PayoutStore>) -> BatchRunner {
        BatchRunner {
            provider,
            store,
            batch: DEFAULT_BATCH.to_owned(),
            concurrency: DEFAULT_CONCURRENCY,
            rate_limit: None,
            on_progress: None,
            stop: None,
        }
    }

    /// The batch the requests belong to: workers running the same batch share its items, and
    /// take over those of a worker that died. A reference is sent at most once whatever the
    /// batch.
    #[must_use]
    pub fn batch(mut self, name: impl Into<String>) -> Self {
        self.batch = name.into();
        self
    }

    /// How many requests may be in flight at once (at least 1). The store's claims run ahead of
    /// them: up to as many items again are claimed, waiting for a request slot.
    #[must_use]
    pub fn concurrency(mut self, n: usize) -> Self {
        self.concurrency = n.max(1);
        self
    }

    /// The most requests started per second (`None`: unlimited). The engine slows down on a 429
    /// either way; see [`rate`](super::rate).
    #[must_use]
    pub fn rate_limit(mut self, per_second: Option<u32>) -> Self {
        self.rate_limit = per_second;
        self
    }

    /// Called after every completion with the counters so far (in order, from the task polling
    /// the stream: keep it quick).
    #[must_use]
    pub fn on_progress(mut self, f: impl Fn(&Progress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(f));
        self
    }

    /// A flag that stops the run gracefully once set (a Ctrl-C handler sets it): no further
    /// request is taken from the input, the requests already taken finish (those being sent,
    /// and those claimed ahead of a request slot: up to twice the concurrency), the take-over of
    /// abandoned items is skipped, the worker retires and the stream ends. Nothing is lost: a
    /// request not taken stays wherever the input keeps it, and the next run picks it up.
    #[must_use]
    pub fn stop_when(mut self, flag: Arc<AtomicBool>) -> Self {
        self.stop = Some(flag);
        self
    }

    /// Sends every request, yielding each result as it completes (not in input order); then
    /// takes over the batch's items left by workers that died, and ends when no other worker
    /// holds any.
    ///
    /// The input is pulled only when a slot frees, so a stream of any length runs in flat
    /// memory. Nothing happens until the stream is polled; dropping it stops the batch where it
    /// is, and a later run with the same store picks up from there.
    pub fn run<'a, S>(&self, requests: S) -> impl Stream<Item = BatchItem> + Send + use<'a, S>
    where
        S: Stream<Item = PayoutRequest> + Send + 'a,
    {
        self.run_indexed(requests.enumerate().map(|(i, r)| (i as u64, r)))
    }

    /// [`run`](BatchRunner::run) with the caller's own input positions ([`BatchItem::index`],
    /// and the index the store keeps): for a caller that splits one input between several
    /// runners (one per provider) and wants every item to keep its position in that input.
    pub fn run_indexed<'a, S>(
        &self,
        requests: S,
    ) -> impl Stream<Item = BatchItem> + Send + use<'a, S>
    where
        S: Stream<Item = (u64, PayoutRequest)> + Send + 'a,
    {
        let runner = self.clone();
        stream::once(async move {
            let concurrency = runner.concurrency;
            let run = Arc::new(Run::new(runner));
            if let Err(e) = run.store.register_worker(&run.worker).await {
                run.halt(&e);
            }
            let heartbeat = Heartbeat::start(&run);
            let (claiming, tracking, sweeping) =
                (Arc::clone(&run), Arc::clone(&run), Arc::clone(&run));
            let halted = Arc::clone(&claiming);
            let input = requests
                .take_while(move |_| std::future::ready(!halted.is_halted() && !halted.stopped()))
                // Claimed as they are pulled, so concurrent claims share a commit (in input
                // order for a repeated reference: `ClaimOrder`), and ahead of the request
                // slots: up to `concurrency` items more than the slots are claimed, or wait
                // for a slot, while `concurrency` requests are out. A slot's time is the
                // request's, not the claim's too, and a row found held elsewhere takes none.
                .map(move |(index, request)| Arc::clone(&claiming).admit(index, request))
                .buffer_unordered(concurrency.saturating_mul(2))
                .filter_map(std::future::ready);
            let deferred = run.deferred(concurrency);
            input
                .chain(sweeping.sweep(concurrency))
                .chain(deferred)
                .map(move |item| {
                    // The heartbeat lives as long as the stream.
                    let _ = &heartbeat;
                    tracking
                        .tracker
                        .completed(&item.outcome, tracking.limiter.current());
                    item
                })
        })
        .flatten()
    }

    /// [`run`](BatchRunner::run) over an iterator.
    pub fn run_iter<'a, I>(&self, requests: I) -> impl Stream<Item = BatchItem> + Send + use<'a, I>
    where
        I: IntoIterator<Item = PayoutRequest>,
        I::IntoIter: Send + 'a,
    {
        self.run(stream::iter(requests))
    }
}

/// Renews the worker's heartbeat every third of the lease until dropped; dropped (the batch
/// stream dropped before its end), it retires the worker, so the items it held are left to the
/// next claimer at once rather than when the lease runs out.
struct Heartbeat {
    task: tokio::task::JoinHandle<()>,
    store: Arc<dyn PayoutStore>,
    worker: WorkerId,
}

impl Heartbeat {
    fn start(run: &Arc<Run>) -> Heartbeat {
        let (store, worker) = (Arc::clone(&run.store), run.worker.clone());
        let every = store.lease() / 3;
        let task = tokio::spawn({
            let (store, worker) = (Arc::clone(&store), worker.clone());
            async move {
                loop {
                    tokio::time::sleep(every).await;
                    if let Err(e) = store.heartbeat(&worker).await {
                        tracing::error!(error = %e, "batch: cannot renew the worker's heartbeat");
                    }
                }
            }
        });
        Heartbeat {
            task,
            store,
            worker,
        }
    }
}

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.task.abort();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (store, worker) = (Arc::clone(&self.store), self.worker.clone());
            runtime.spawn(async move {
                if let Err(e) = store.retire_worker(&worker).await {
                    tracing::warn!(error = %e, "batch: cannot retire the worker");
                }
            });
        }
    }
}

/// One run: one worker of a batch, its limiter and its counters.
struct Run {
    provider: Arc<dyn PayoutProvider>,
    store: Arc<dyn PayoutStore>,
    batch: String,
    worker: WorkerId,
    limiter: RateLimiter,
    tracker: Tracker,
    /// Why the run stopped taking items (the store failed), if it did.
    halted: Mutex<Option<String>>,
    /// Set by the caller to stop gracefully ([`BatchRunner::stop_when`]).
    stop: Option<Arc<AtomicBool>>,
    /// Claims in progress, so a repeated reference is claimed in input order.
    claim_order: ClaimOrder,
    /// The request slots: an item claimed to send or reconcile takes one for its calls to the
    /// provider ([`BatchRunner::concurrency`] of them).
    slots: tokio::sync::Semaphore,
}

impl Run {
    fn new(runner: BatchRunner) -> Run {
        Run {
            provider: runner.provider,
            store: runner.store,
            batch: runner.batch,
            worker: WorkerId::generate(),
            limiter: RateLimiter::new(runner.rate_limit),
            tracker: Tracker::new(runner.on_progress, runner.rate_limit),
            halted: Mutex::new(None),
            stop: runner.stop,
            claim_order: ClaimOrder::default(),
            slots: tokio::sync::Semaphore::new(
                runner.concurrency.min(tokio::sync::Semaphore::MAX_PERMITS),
            ),
        }
    }

    /// True once the caller asked the run to stop.
    fn stopped(&self) -> bool {
        self.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
    }

    fn halted(&self) -> MutexGuard<'_, Option<String>> {
        self.halted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn is_halted(&self) -> bool {
        self.halted().is_some()
    }

    /// Stops taking items: the store failed, so nothing more may be sent.
    fn halt(&self, error: &Error) {
        let mut halted = self.halted();
        if halted.is_none() {
            tracing::error!(error = %error, "batch: the store failed; the batch stops");
            *halted = Some(error.to_string());
        }
    }

    /// Takes a request from the input (called in input order), claims it in the store and does
    /// what the claim says.
    fn admit(
        self: Arc<Self>,
        index: u64,
        request: PayoutRequest,
    ) -> impl Future<Output = Option<BatchItem>> + Send {
        self.tracker.submitted();
        let mut turn = self.claim_order.enter(request.reference.as_str(), index);
        async move {
            turn.wait().await;
            let print = fingerprint(&request);
            let claimed = self
                .store
                .claim(
                    &self.worker,
                    NewItem {
                        provider: self.provider.id(),
                        batch: &self.batch,
                        index,
                        request: &request,
                        fingerprint: &print,
                    },
                )
                .await;
            self.claim_order.done(turn);
            if let Err(e) = &claimed {
                self.halt(e);
            }
            match claimed {
                // Reported once, later: as the takeover's result if its worker dies and this
                // one takes it over, else at the end of the run (`deferred`).
                Ok(Claim::Busy) => None,
                claimed => Some(Arc::clone(&self).process(index, request, claimed).await),
            }
        }
    }

    /// Takes over, after the input, the batch's items whose workers died; ends when no other
    /// worker holds any.
    fn sweep(self: Arc<Self>, concurrency: usize) -> impl Stream<Item = BatchItem> + Send {
        let limit = u32::try_from(concurrency).unwrap_or(u32::MAX);
        // What is usually awaited here is other workers finishing their last requests, a
        // request's latency away: checked after 20 ms, then at twice the wait each time up to
        // 100 ms (one count each), never every fifth of the lease, so a worker does not idle
        // long after the batch is done. A dead worker's items come free only when its lease
        // runs out, whatever the pace.
        let longest = (self.store.lease() / 5).clamp(SWEEP_FIRST_POLL, SWEEP_POLL);
        let processing = Arc::clone(&self);
        stream::unfold(self, move |run| async move {
            let mut poll = SWEEP_FIRST_POLL;
            loop {
                if run.is_halted() {
                    return None;
                }
                if run.stopped() {
                    if let Err(e) = run.store.retire_worker(&run.worker).await {
                        tracing::warn!(error = %e, "batch: cannot retire the worker");
                    }
                    return None;
                }
                let provider = run.provider.id();
                match run
                    .store
                    .claim_abandoned(&run.worker, &run.batch, provider, limit)
                    .await
                {
                    Ok(items) if !items.is_empty() => {
                        // A row this run found held elsewhere was counted when it was taken
                        // from the input.
                        for _ in items.iter().filter(|item| !item.deferred) {
                            run.tracker.submitted();
                        }
                        return Some((stream::iter(items), run));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        run.halt(&e);
                        return None;
                    }
                }
                match run
                    .store
                    .held_elsewhere(&run.worker, &run.batch, provider)
                    .await
                {
                    Ok(0) => return None,
                    // Their workers finish them, or die and leave them to this one.
                    Ok(_) => {
                        tokio::time::sleep(poll).await;
                        poll = (poll * 2).min(longest);
                    }
                    Err(e) => {
                        run.halt(&e);
                        return None;
                    }
                }
            }
        })
        .flatten()
        .map(move |item: ClaimedItem| {
            Arc::clone(&processing).process(item.index, item.request, Ok(item.claim))
        })
        .buffer_unordered(concurrency)
    }

    /// Last, the rows this run found held by another live worker and did not take over: one
    /// [`BatchOutcome::Elsewhere`] each, from the store, a page at a time; then retires the
    /// worker.
    fn deferred(self: Arc<Self>, page: usize) -> impl Stream<Item = BatchItem> + Send {
        let page = u32::try_from(page.max(DEFERRED_PAGE)).unwrap_or(u32::MAX);
        stream::unfold(Some(self), move |run| async move {
            let run = run?;
            if run.is_halted() {
                return None;
            }
            let taken = run
                .store
                .take_deferred(&run.worker, &run.batch, run.provider.id(), page)
                .await;
            match taken {
                Ok(items) if !items.is_empty() => {
                    let items = items.into_iter().map(|item| BatchItem {
                        index: item.index,
                        reference: item.reference,
                        outcome: BatchOutcome::Elsewhere,
                    });
                    Some((stream::iter(items), Some(run)))
                }
                Ok(_) => {
                    if let Err(e) = run.store.retire_worker(&run.worker).await {
                        tracing::warn!(error = %e, "batch: cannot retire the worker");
                    }
                    None
                }
                Err(e) => {
                    run.halt(&e);
                    None
                }
            }
        })
        .flatten()
    }

    /// Does what a claim says (an error: the store failed, nothing is sent).
    fn process(
        self: Arc<Self>,
        index: u64,
        request: PayoutRequest,
        claim: Result<Claim, Error>,
    ) -> impl Future<Output = BatchItem> + Send {
        // Every event of this item (its HTTP calls included) carries these fields: the
        // reference and provider, never an amount, a number or a secret.
        let span = tracing::info_span!(
            "disburse.batch.item",
            provider = %self.provider.id(),
            batch = %self.batch,
            index,
            reference = %request.reference,
        );
        async move {
            let reference = request.reference.clone();
            let outcome = match claim {
                Ok(Claim::Send) => {
                    let _slot = self.slots.acquire().await;
                    self.send(request).await
                }
                Ok(Claim::Reconcile) => {
                    let _slot = self.slots.acquire().await;
                    self.reconcile(request).await
                }
                Ok(Claim::Done(record)) => BatchOutcome::AlreadyDone(record),
                Ok(Claim::Conflict { stored }) => BatchOutcome::Failed(Error::ReferenceConflict {
                    provider: self.provider.id(),
                    reference: reference.clone(),
                    stored,
                }),
                Ok(Claim::Repeat) => BatchOutcome::Failed(Error::invalid(
                    "reference",
                    format!(
                        "{reference} appears more than once in this batch; only its first \
                         occurrence is processed"
                    ),
                )),
                Ok(Claim::Busy) => BatchOutcome::Elsewhere,
                Err(e) => BatchOutcome::Failed(e),
            };
            BatchItem {
                index,
                reference,
                outcome,
            }
        }
        .instrument(span)
    }

    async fn reconcile(&self, request: PayoutRequest) -> BatchOutcome {
        let found = self
            .throttled(false, || self.provider.find_payout(&request.reference))
            .await;
        match found {
            Ok(Some(payout)) => self.adopt(&request, payout, None).await,
            // The provider has no payout under the reference: the earlier request never arrived.
            Ok(None) => self.send(request).await,
            Err(e) => {
                self.record(
                    &request.reference,
                    ItemRecord::from_error(ItemState::Unknown, &e),
                )
                .await;
                BatchOutcome::Unknown(e)
            }
        }
    }

    async fn send(&self, request: PayoutRequest) -> BatchOutcome {
        // The intent is recorded when the request is about to leave: after its rate-limit slot,
        // so a request still waiting for one when the process dies is not sent, not unknown.
        self.limiter.acquire().await;
        // Claims made at once with the one that found the store failing send nothing either.
        if let Some(why) = self.halted().clone() {
            return BatchOutcome::Failed(Error::store(format!(
                "{} not sent: the batch stopped: {why}",
                request.reference
            )));
        }
        if let Err(e) = self
            .store
            .record_intent(&self.worker, self.provider.id(), &request.reference)
            .await
        {
            self.halt(&e);
            return BatchOutcome::Failed(e);
        }
        match self
            .throttled(true, || self.provider.create_payout(&request))
            .await
        {
            Ok(payout) => {
                self.record(
                    &request.reference,
                    ItemRecord::from_payout(ItemState::Sent, &payout),
                )
                .await;
                BatchOutcome::Sent(payout)
            }
            // The reference is taken at the provider (an earlier attempt arrived after all, or
            // the reference was used outside this store): report the payout that holds it.
            Err(e) if e.reject_code() == Some(&RejectCode::DuplicateReference) => {
                self.resolve_duplicate(&request, e).await
            }
            Err(e) => {
                let state = classify(&e);
                self.record(&request.reference, ItemRecord::from_error(state, &e))
                    .await;
                match state {
                    ItemState::Unknown => BatchOutcome::Unknown(e),
                    _ => BatchOutcome::Failed(e),
                }
            }
        }
    }

    async fn resolve_duplicate(&self, request: &PayoutRequest, refusal: Error) -> BatchOutcome {
        let reference = &request.reference;
        match self
            .throttled(false, || self.provider.find_payout(reference))
            .await
        {
            Ok(Some(payout)) => self.adopt(request, payout, Some(refusal)).await,
            Ok(None) | Err(_) => {
                self.record(
                    reference,
                    ItemRecord::from_error(ItemState::Unknown, &refusal),
                )
                .await;
                BatchOutcome::Unknown(refusal)
            }
        }
    }

    /// Takes `payout`, found at the provider under the request's reference, as this request's
    /// payout only when [`crate::model::found_is_sent`] says it is the one this row sent: the reference may
    /// have been used, outside this store, for another payout, and reporting that one as this
    /// row's would leave the row's recipient unpaid while the batch says done. Another payout
    /// is a final failure (a changed payout needs a new reference); one that cannot be judged
    /// is unknown (`refusal` is the provider's duplicate-reference answer, when there was one).
    async fn adopt(
        &self,
        request: &PayoutRequest,
        payout: Payout,
        refusal: Option<Error>,
    ) -> BatchOutcome {
        let reference = &request.reference;
        let recipient = self
            .provider
            .recipient_matches(&request.destination, &payout);
        match crate::model::found_is_sent(&request.amount, &payout, recipient) {
            FoundPayout::Same => {
                self.record(
                    reference,
                    ItemRecord::from_payout(ItemState::Reconciled, &payout),
                )
                .await;
                BatchOutcome::Reconciled(payout)
            }
            FoundPayout::Differs { why } => {
                let e = Error::invalid(
                    "reference",
                    format!(
                        "{reference} is taken at the provider by {why}; a changed payout needs a \
                         new reference"
                    ),
                );
                self.record(reference, ItemRecord::from_error(ItemState::Failed, &e))
                    .await;
                BatchOutcome::Failed(e)
            }
            FoundPayout::CannotTell => {
                let e = refusal.unwrap_or_else(|| {
                    Error::invalid(
                        "reference",
                        format!(
                            "{reference} is taken at the provider by payout {}, whose amount it \
                             does not report: check it before sending this row again",
                            payout.id
                        ),
                    )
                });
                self.record(reference, ItemRecord::from_error(ItemState::Unknown, &e))
                    .await;
                BatchOutcome::Unknown(e)
            }
        }
    }

    /// Makes a call in the limiter's slots (the first one already taken when `slot_taken`),
    /// backing off and repeating it on a 429.
    async fn throttled<T, F, Fut>(&self, slot_taken: bool, mut call: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut attempt = 1;
        let mut have_slot = slot_taken;
        loop {
            if !have_slot {
                self.limiter.acquire().await;
            }
            have_slot = false;
            match call().await {
                Err(Error::RateLimited { retry_after, .. }) if attempt < MAX_THROTTLED_ATTEMPTS => {
                    self.limiter.on_throttled(retry_after);
                    self.tracker.throttled(self.limiter.current());
                    attempt += 1;
                }
                Err(e) => {
                    if let Error::RateLimited { retry_after, .. } = &e {
                        self.limiter.on_throttled(*retry_after);
                        self.tracker.throttled(self.limiter.current());
                    }
                    return Err(e);
                }
                Ok(value) => {
                    self.limiter.on_success();
                    return Ok(value);
                }
            }
        }
    }

    /// Records an outcome. A failure is logged, not fatal: the intent is durable, so the next
    /// run reconciles the reference instead of trusting a missing outcome.
    async fn record(&self, reference: &Reference, record: ItemRecord) {
        if let Err(e) = self
            .store
            .record_outcome(&self.worker, self.provider.id(), reference, &record)
            .await
        {
            tracing::error!(reference = %reference, error = %e, "batch: cannot record an outcome; the next run will reconcile it");
        }
    }
}

/// How a failed create is recorded.
fn classify(error: &Error) -> ItemState {
    match error {
        Error::OutcomeUnknown { .. } | Error::ServerError { .. } | Error::Network { .. } => {
            ItemState::Unknown
        }
        // Refused before it was sent (the adapter's checks), or never connected: nothing
        // moved, so it is not final; fixed and run again, it is sent.
        Error::NotSent { .. } | Error::RateLimited { .. } | Error::InvalidRequest { .. } => {
            ItemState::NotSent
        }
        _ => ItemState::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_types_are_send_and_sync() {
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send_sync::<BatchRunner>();
        assert_send_sync::<BatchItem>();
        assert_send_sync::<Progress>();
    }
}
