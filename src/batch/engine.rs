//! The batch engine: bounded concurrency, rate limiting, journaling and reconciliation.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};

use futures_util::stream::{self, Stream, StreamExt};

use super::fingerprint::{fingerprint, key};
use super::journal::{Journal, JournalRecord, JournalState, RecordedOutcome};
use super::progress::{Progress, ProgressFn, Tracker};
use super::rate::RateLimiter;
use super::seen::SeenReferences;
use crate::error::{Error, RejectCode};
use crate::model::FoundPayout;
use crate::model::{Payout, PayoutRequest, Reference};
use crate::provider::PayoutProvider;

/// Requests sent at once unless [`BatchRunner::concurrency`] says otherwise.
pub const DEFAULT_CONCURRENCY: usize = 8;

/// How many times one call is made when the provider keeps answering 429 (after the HTTP layer's
/// own retries); the item then fails with [`Error::RateLimited`] and is journaled
/// [`RecordedOutcome::NotSent`], so the next run sends it.
pub const MAX_THROTTLED_ATTEMPTS: u32 = 10;

/// One result of a batch.
#[non_exhaustive]
#[derive(Debug)]
pub struct BatchItem {
    /// The request's position in the input, from 0: results arrive as they complete, and a
    /// reference repeated in the input gives two items, so this is what ties an item to its
    /// input row.
    pub index: u64,
    /// The request's reference.
    pub reference: Reference,
    /// What became of it.
    pub outcome: BatchOutcome,
}

/// What became of one request.
#[non_exhaustive]
#[derive(Debug)]
pub enum BatchOutcome {
    /// Created at the provider in this run.
    Sent(Payout),
    /// Finished in an earlier run (sent, reconciled or failed); nothing was sent.
    AlreadyDone(JournalRecord),
    /// An earlier run lost track of it (crash, unknown outcome) and `find_payout` found it;
    /// nothing was sent.
    Reconciled(Payout),
    /// A definitive failure: nothing moved. Includes a reference repeated in the input and a
    /// reference journaled with a different request ([`Error::InvalidRequest`]).
    Failed(Error),
    /// Money may have moved and it cannot be confirmed now (the provider's answer was lost, or
    /// the provider cannot be asked, like Vesicash). Never re-sent automatically; the next run
    /// tries to reconcile it again.
    Unknown(Error),
}

impl BatchOutcome {
    /// A short word for reports: `sent`, `already_done`, `reconciled`, `failed`, `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            BatchOutcome::Sent(_) => "sent",
            BatchOutcome::AlreadyDone(_) => "already_done",
            BatchOutcome::Reconciled(_) => "reconciled",
            BatchOutcome::Failed(_) => "failed",
            BatchOutcome::Unknown(_) => "unknown",
        }
    }

    /// The payout, for [`BatchOutcome::Sent`] and [`BatchOutcome::Reconciled`].
    pub fn payout(&self) -> Option<&Payout> {
        match self {
            BatchOutcome::Sent(p) | BatchOutcome::Reconciled(p) => Some(p),
            _ => None,
        }
    }

    /// The error, for [`BatchOutcome::Failed`] and [`BatchOutcome::Unknown`].
    pub fn error(&self) -> Option<&Error> {
        match self {
            BatchOutcome::Failed(e) | BatchOutcome::Unknown(e) => Some(e),
            _ => None,
        }
    }
}

/// Sends many payouts through one provider; see the [module docs](super) for the rules.
#[derive(Clone)]
pub struct BatchRunner {
    provider: Arc<dyn PayoutProvider>,
    journal: Arc<dyn Journal>,
    concurrency: usize,
    rate_limit: Option<u32>,
    on_progress: Option<ProgressFn>,
}

impl fmt::Debug for BatchRunner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BatchRunner")
            .field("provider", &self.provider.id())
            .field("journal", &self.journal)
            .field("concurrency", &self.concurrency)
            .field("rate_limit", &self.rate_limit)
            .field("on_progress", &self.on_progress.is_some())
            .finish()
    }
}

impl BatchRunner {
    /// A runner sending through `provider` and journaling in `journal`, [`DEFAULT_CONCURRENCY`]
    /// requests at once, without a rate limit.
    pub fn new(provider: Arc<dyn PayoutProvider>, journal: Arc<dyn Journal>) -> BatchRunner {
        BatchRunner {
            provider,
            journal,
            concurrency: DEFAULT_CONCURRENCY,
            rate_limit: None,
            on_progress: None,
        }
    }

    /// How many requests may be in flight at once (at least 1).
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

    /// Sends every request, yielding each result as it completes (not in input order).
    ///
    /// The input is pulled only when a slot frees, so a stream of any length runs in flat
    /// memory. Nothing happens until the stream is polled; dropping it stops the batch where it
    /// is, and a later run with the same journal picks up from there.
    pub fn run<'a, S>(&self, requests: S) -> impl Stream<Item = BatchItem> + Send + use<'a, S>
    where
        S: Stream<Item = PayoutRequest> + Send + 'a,
    {
        let runner = self.clone();
        stream::once(async move {
            let loaded = blocking(&runner.journal, |j| j.load()).await;
            let concurrency = runner.concurrency;
            let run = Arc::new(Run::new(runner, loaded));
            let admitting = Arc::clone(&run);
            requests
                .enumerate()
                .map(move |(index, request)| Arc::clone(&admitting).admit(index as u64, request))
                .buffer_unordered(concurrency)
                .map(move |item| {
                    run.tracker.completed(&item.outcome, run.limiter.current());
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

/// Runs a journal call on the blocking pool.
async fn blocking<T, F>(journal: &Arc<dyn Journal>, f: F) -> Result<T, Error>
where
    T: Send + 'static,
    F: FnOnce(&dyn Journal) -> Result<T, Error> + Send + 'static,
{
    let journal = Arc::clone(journal);
    tokio::task::spawn_blocking(move || f(&*journal))
        .await
        .map_err(|e| Error::journal_with_source("the journal call did not finish", e))?
}

/// One run: what earlier runs left, what this run has seen, the limiter and the counters.
struct Run {
    provider: Arc<dyn PayoutProvider>,
    journal: Arc<dyn Journal>,
    limiter: RateLimiter,
    tracker: Tracker,
    state: Mutex<RunState>,
}

struct RunState {
    /// What earlier runs recorded, entries taken as their references come up; or why it could
    /// not be read.
    prior: Result<JournalState, String>,
    /// Keys of the references taken from the input in this run.
    seen: SeenReferences,
}

enum Plan {
    /// Decided without a call (boxed: a payout record is large, and this is the rare case).
    Done(Box<BatchOutcome>),
    Reconcile,
    Send,
}

impl Run {
    fn new(runner: BatchRunner, loaded: Result<JournalState, Error>) -> Run {
        let prior = loaded.map_err(|e| {
            tracing::error!(error = %e, "batch: cannot load the journal; nothing will be sent");
            e.to_string()
        });
        Run {
            provider: runner.provider,
            journal: runner.journal,
            limiter: RateLimiter::new(runner.rate_limit),
            tracker: Tracker::new(runner.on_progress, runner.rate_limit),
            state: Mutex::new(RunState {
                prior,
                seen: SeenReferences::default(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, RunState> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Decides, in input order, what to do with a request; the returned future does it.
    fn admit(
        self: Arc<Self>,
        index: u64,
        request: PayoutRequest,
    ) -> impl Future<Output = BatchItem> + Send {
        self.tracker.submitted();
        let print = fingerprint(&request);
        let plan = self.plan(&request.reference, &print);
        async move {
            let reference = request.reference.clone();
            let outcome = match plan {
                Plan::Done(outcome) => *outcome,
                Plan::Reconcile => self.reconcile(request, print).await,
                Plan::Send => self.send(request, print).await,
            };
            BatchItem {
                index,
                reference,
                outcome,
            }
        }
    }

    fn plan(&self, reference: &Reference, print: &str) -> Plan {
        let mut guard = self.lock();
        let state = &mut *guard;
        let prior = match &mut state.prior {
            Ok(prior) => prior,
            Err(message) => {
                return Plan::Done(Box::new(BatchOutcome::Failed(Error::journal(format!(
                    "not sent: the journal could not be loaded: {message}"
                )))));
            }
        };
        let reference_key = key(reference.as_str());
        // The top 64 bits of the reference's key (see `SeenReferences` on collisions).
        if !state.seen.insert((reference_key >> 64) as u64) {
            return Plan::Done(Box::new(BatchOutcome::Failed(Error::invalid(
                "reference",
                format!(
                    "{reference} appears more than once in this batch; only its first occurrence is \
                     processed (if it does not, it shares a 64-bit index key with an earlier \
                     reference, a chance of about 1 in 10^10: send it in another batch)"
                ),
            ))));
        }
        let Some(earlier) = prior.take(reference_key) else {
            return Plan::Send;
        };
        if earlier.fingerprint.is_some_and(|f| f != key(print)) {
            return Plan::Done(Box::new(BatchOutcome::Failed(Error::invalid(
                "reference",
                format!(
                    "{reference} was journaled with a different amount, currency or destination; \
                     a changed payout needs a new reference"
                ),
            ))));
        }
        match earlier.record {
            Some(record) if record.outcome.is_final() => {
                Plan::Done(Box::new(BatchOutcome::AlreadyDone(record)))
            }
            Some(record) if record.outcome == RecordedOutcome::NotSent => Plan::Send,
            // An intent without an outcome, or an unknown outcome: ask the provider first.
            _ => Plan::Reconcile,
        }
    }

    async fn reconcile(&self, request: PayoutRequest, print: String) -> BatchOutcome {
        let found = self
            .throttled(|| self.provider.find_payout(&request.reference))
            .await;
        match found {
            Ok(Some(payout)) => self.adopt(&request, payout, None).await,
            // The provider has no payout under the reference: the earlier request never arrived.
            Ok(None) => self.send(request, print).await,
            Err(e) => {
                self.record(
                    &request.reference,
                    JournalRecord::from_error(RecordedOutcome::Unknown, &e),
                )
                .await;
                BatchOutcome::Unknown(e)
            }
        }
    }

    async fn send(&self, request: PayoutRequest, print: String) -> BatchOutcome {
        let reference = request.reference.clone();
        if let Err(e) = blocking(&self.journal, move |j| j.record_intent(&reference, &print)).await
        {
            return BatchOutcome::Failed(e);
        }
        match self
            .throttled(|| self.provider.create_payout(&request))
            .await
        {
            Ok(payout) => {
                self.record(
                    &request.reference,
                    JournalRecord::from_payout(RecordedOutcome::Sent, &payout),
                )
                .await;
                BatchOutcome::Sent(payout)
            }
            // The reference is taken at the provider (an earlier attempt arrived after all, or
            // the reference was used outside this journal): report the payout that holds it.
            Err(e) if e.reject_code() == Some(&RejectCode::DuplicateReference) => {
                self.resolve_duplicate(&request, e).await
            }
            Err(e) => {
                let recorded = classify(&e);
                self.record(&request.reference, JournalRecord::from_error(recorded, &e))
                    .await;
                match recorded {
                    RecordedOutcome::Unknown => BatchOutcome::Unknown(e),
                    _ => BatchOutcome::Failed(e),
                }
            }
        }
    }

    async fn resolve_duplicate(&self, request: &PayoutRequest, refusal: Error) -> BatchOutcome {
        let reference = &request.reference;
        match self
            .throttled(|| self.provider.find_payout(reference))
            .await
        {
            Ok(Some(payout)) => self.adopt(request, payout, Some(refusal)).await,
            Ok(None) | Err(_) => {
                self.record(
                    reference,
                    JournalRecord::from_error(RecordedOutcome::Unknown, &refusal),
                )
                .await;
                BatchOutcome::Unknown(refusal)
            }
        }
    }

    /// Takes `payout`, found at the provider under the request's reference, as this request's
    /// payout only when its amount says so: the reference may have been used, outside this
    /// journal, for another payout, and reporting that one as this row's would leave the row's
    /// recipient unpaid while the batch says done. Another amount is a final failure (a changed
    /// payout needs a new reference); a record without an amount cannot be judged and is
    /// unknown (`refusal` is the provider's duplicate-reference answer, when there was one).
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
                    JournalRecord::from_payout(RecordedOutcome::Reconciled, &payout),
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
                self.record(
                    reference,
                    JournalRecord::from_error(RecordedOutcome::Failed, &e),
                )
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
                self.record(
                    reference,
                    JournalRecord::from_error(RecordedOutcome::Unknown, &e),
                )
                .await;
                BatchOutcome::Unknown(e)
            }
        }
    }

    /// Makes a call in the limiter's slots, backing off and repeating it on a 429.
    async fn throttled<T, F, Fut>(&self, mut call: F) -> Result<T, Error>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Error>>,
    {
        let mut attempt = 1;
        loop {
            self.limiter.acquire().await;
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

    /// Journals an outcome. A failure is logged, not fatal: the intent is on disk, so the next
    /// run reconciles the reference instead of trusting a missing outcome.
    async fn record(&self, reference: &Reference, record: JournalRecord) {
        let owned = reference.clone();
        if let Err(e) = blocking(&self.journal, move |j| j.record_outcome(&owned, &record)).await {
            tracing::error!(reference = %reference, error = %e, "batch: cannot journal an outcome; the next run will reconcile it");
        }
    }
}

/// How a failed create is journaled.
fn classify(error: &Error) -> RecordedOutcome {
    match error {
        Error::OutcomeUnknown { .. } | Error::ServerError { .. } | Error::Network { .. } => {
            RecordedOutcome::Unknown
        }
        Error::NotSent { .. } | Error::RateLimited { .. } => RecordedOutcome::NotSent,
        _ => RecordedOutcome::Failed,
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
