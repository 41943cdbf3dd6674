//! The waiting itself, with no provider in it: [`Awaited`], [`Wait`], [`EventFeed`] and the
//! poll-and-wake loop; [`super`] ties it to [`PayoutProvider`](crate::PayoutProvider).

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::error::Error;
use crate::model::{Payout, ProviderId, Reference, Refund, Status};
use crate::webhook::{EventObject, WebhookEvent};

/// How many published events a slow waiter may fall behind before it simply polls.
const FEED_CAPACITY: usize = 1024;

/// What [`await_final`](super::await_final) (a payout) or [`await_refund`](super::await_refund) (a refund) ended with.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Awaited<T = Payout> {
    /// The record reached a final status (succeeded or failed).
    Final(T),
    /// The deadline passed first; this is the last record seen, not final yet.
    DeadlineReached(T),
}

impl<T> Awaited<T> {
    /// The record, final or not.
    pub fn record(&self) -> &T {
        match self {
            Awaited::Final(record) | Awaited::DeadlineReached(record) => record,
        }
    }

    /// The record, final or not.
    pub fn into_record(self) -> T {
        match self {
            Awaited::Final(record) | Awaited::DeadlineReached(record) => record,
        }
    }

    /// True when the record reached a final status.
    pub fn is_final(&self) -> bool {
        matches!(self, Awaited::Final(_))
    }
}

impl Awaited<Payout> {
    /// The payout record, final or not.
    pub fn payout(&self) -> &Payout {
        self.record()
    }

    /// The payout record, final or not.
    pub fn into_payout(self) -> Payout {
        self.into_record()
    }
}

impl Awaited<Refund> {
    /// The refund record, final or not.
    pub fn refund(&self) -> &Refund {
        self.record()
    }

    /// The refund record, final or not.
    pub fn into_refund(self) -> Refund {
        self.into_record()
    }
}

/// Where verified webhook events are published so that waiters wake at once.
///
/// Cheap to clone; all clones share one channel. Publishing never blocks and never fails: with
/// nobody waiting, the event is dropped (waiters poll anyway).
#[derive(Debug, Clone)]
pub struct EventFeed {
    sender: broadcast::Sender<WebhookEvent>,
}

impl EventFeed {
    /// An empty feed.
    pub fn new() -> EventFeed {
        let (sender, _) = broadcast::channel(FEED_CAPACITY);
        EventFeed { sender }
    }

    /// Publishes one event, already verified by [`PayoutProvider::parse_webhook`](crate::PayoutProvider::parse_webhook).
    pub fn publish(&self, event: &WebhookEvent) {
        // An error only means nobody is waiting right now.
        let _ = self.sender.send(event.clone());
    }

    fn subscribe(&self) -> broadcast::Receiver<WebhookEvent> {
        self.sender.subscribe()
    }
}

impl Default for EventFeed {
    fn default() -> Self {
        EventFeed::new()
    }
}

/// How long and how often to wait. The defaults suit mobile money: a first look after 2 s,
/// doubling to at most 60 s between looks, for up to 10 minutes.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub struct Wait {
    /// The whole wait, from the call.
    pub timeout: Duration,
    /// The wait before the first poll.
    pub first_delay: Duration,
    /// The longest wait between two polls.
    pub max_delay: Duration,
    /// How much longer each wait is than the one before (at least 1).
    pub factor: u32,
    /// Where webhook events arrive, if the caller has a handler.
    pub events: Option<EventFeed>,
}

impl Wait {
    /// The defaults: 10 minutes, first poll after 2 s, doubling up to 60 s, no event feed.
    pub fn new() -> Wait {
        Wait {
            timeout: Duration::from_secs(600),
            first_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(60),
            factor: 2,
            events: None,
        }
    }

    /// Sets the whole wait.
    pub fn timeout(mut self, timeout: Duration) -> Wait {
        self.timeout = timeout;
        self
    }

    /// Sets the wait before the first poll.
    pub fn first_delay(mut self, delay: Duration) -> Wait {
        self.first_delay = delay;
        self
    }

    /// Sets the longest wait between two polls.
    pub fn max_delay(mut self, delay: Duration) -> Wait {
        self.max_delay = delay;
        self
    }

    /// Sets the backoff factor (values below 1 count as 1: a fixed interval).
    pub fn factor(mut self, factor: u32) -> Wait {
        self.factor = factor;
        self
    }

    /// Wakes on matching events published to `feed`.
    pub fn events(mut self, feed: &EventFeed) -> Wait {
        self.events = Some(feed.clone());
        self
    }

    fn next_delay(&self, previous: Duration) -> Duration {
        previous
            .saturating_mul(self.factor.max(1))
            .min(self.max_delay)
    }
}

impl Default for Wait {
    fn default() -> Self {
        Wait::new()
    }
}

/// Waits until `payout` is final, polling with `get` (the provider's `get_payout` for its id):
/// [`super::await_final`] and [`PayoutProvider::await_final`](crate::PayoutProvider::await_final)'s
/// default, in one span.
pub(crate) async fn payout_final<F, Fut>(
    provider: ProviderId,
    payout: &Payout,
    wait: &Wait,
    get: F,
) -> Result<Awaited, Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Payout, Error>>,
{
    // Every poll (its HTTP span included) carries the provider, the merchant reference and the
    // provider's payout id: never an amount, a number or a secret.
    let span = tracing::info_span!(
        "disburse.await_final",
        provider = %provider,
        reference = payout.reference.as_ref().map(Reference::as_str),
        payout = %payout.id,
    );
    settle(payout, wait, get).instrument(span).await
}

/// Waits until `refund` is final, polling with `get` (the provider's `get_refund` for its id),
/// in one span.
pub(crate) async fn refund_final<F, Fut>(
    provider: ProviderId,
    refund: &Refund,
    wait: &Wait,
    get: F,
) -> Result<Awaited<Refund>, Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<Refund, Error>>,
{
    let span = tracing::info_span!(
        "disburse.await_final",
        provider = %provider,
        reference = refund.reference.as_ref().map(Reference::as_str),
        refund = %refund.id,
    );
    settle(refund, wait, get).instrument(span).await
}

/// A record [`settle`] can wait on: a payout or a refund.
trait Settling: Clone {
    fn status(&self) -> &Status;
    fn set_status(&mut self, status: Status);
    /// Whether a verified event is about this record.
    fn concerns(&self, event: &WebhookEvent) -> bool;
}

impl Settling for Payout {
    fn status(&self) -> &Status {
        &self.status
    }
    fn set_status(&mut self, status: Status) {
        self.status = status;
    }
    fn concerns(&self, event: &WebhookEvent) -> bool {
        event.object == EventObject::Payout
            && same_record(
                event,
                self.provider,
                &self.id,
                self.provider_reference.as_deref(),
                self.reference.as_ref(),
            )
    }
}

impl Settling for Refund {
    fn status(&self) -> &Status {
        &self.status
    }
    fn set_status(&mut self, status: Status) {
        self.status = status;
    }
    /// An event about a refund, or about a payout with the refund's own id or reference: where
    /// a refund is a payout to the customer (JPay), the provider reports it as a payout.
    fn concerns(&self, event: &WebhookEvent) -> bool {
        same_record(
            event,
            self.provider,
            &self.id,
            None,
            self.reference.as_ref(),
        )
    }
}

/// Same provider, and the record's id (or further provider reference) or merchant reference.
fn same_record(
    event: &WebhookEvent,
    provider: ProviderId,
    id: &str,
    provider_reference: Option<&str>,
    reference: Option<&Reference>,
) -> bool {
    if event.provider != provider {
        return false;
    }
    let same_id = event
        .provider_reference
        .as_deref()
        .is_some_and(|theirs| theirs == id || provider_reference == Some(theirs));
    let same_reference = match (&event.reference, reference) {
        (Some(theirs), Some(ours)) => theirs == ours.as_str(),
        _ => false,
    };
    same_id || same_reference
}

/// The waiting loop shared by payouts and refunds; `fetch` reads the record by its id.
async fn settle<R, F, Fut>(record: &R, wait: &Wait, fetch: F) -> Result<Awaited<R>, Error>
where
    R: Settling,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<R, Error>>,
{
    if record.status().is_final() {
        return Ok(Awaited::Final(record.clone()));
    }
    let deadline = Instant::now() + wait.timeout;
    let mut events = wait.events.as_ref().map(EventFeed::subscribe);
    let mut last = record.clone();
    let mut last_error: Option<Error>;
    let mut polled_ok = false;
    let mut delay = wait.first_delay;

    loop {
        let wake_at = (Instant::now() + delay).min(deadline);
        let event = next_wake(events.as_mut(), record, wake_at).await;
        match fetch().await {
            Ok(mut fresh) => {
                polled_ok = true;
                last_error = None;
                if !fresh.status().is_final()
                    && let Some(status) = event.map(|e| e.status).filter(|s| s.is_final())
                {
                    fresh.set_status(status);
                }
                if fresh.status().is_final() {
                    return Ok(Awaited::Final(fresh));
                }
                last = fresh;
            }
            Err(error) if error.is_retryable() => {
                if let Some(status) = event.map(|e| e.status).filter(|s| s.is_final()) {
                    let mut settled = last;
                    settled.set_status(status);
                    return Ok(Awaited::Final(settled));
                }
                last_error = Some(error);
            }
            Err(error) => return Err(error),
        }
        if Instant::now() >= deadline {
            return match last_error {
                Some(error) if !polled_ok => Err(error),
                _ => Ok(Awaited::DeadlineReached(last)),
            };
        }
        delay = wait.next_delay(delay);
    }
}

/// Sleeps until `wake_at`, or until a matching event arrives (returned). A feed that fell behind
/// or closed wakes the caller too, with no event, so that it polls.
async fn next_wake<R: Settling>(
    events: Option<&mut broadcast::Receiver<WebhookEvent>>,
    record: &R,
    wake_at: Instant,
) -> Option<WebhookEvent> {
    let Some(events) = events else {
        tokio::time::sleep_until(wake_at).await;
        return None;
    };
    let sleep = tokio::time::sleep_until(wake_at);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return None,
            received = events.recv() => match received {
                Ok(event) if record.concerns(&event) => return Some(event),
                Ok(_) => continue,
                Err(broadcast::error::RecvError::Lagged(_)) => return None,
                Err(broadcast::error::RecvError::Closed) => {
                    sleep.as_mut().await;
                    return None;
                }
            },
        }
    }
}
