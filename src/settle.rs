//! Waiting for a payout's final status.
//!
//! The answer to a create is almost never final: mobile-money rails settle seconds to minutes
//! later. [`await_final`] (also [`PayoutProvider::await_final`]) polls
//! [`PayoutProvider::get_payout`] with exponential backoff until the payout is
//! [final](crate::Status::is_final) or a deadline passes, and wakes at once when the merchant's
//! webhook handler feeds it the provider's event through an [`EventFeed`].
//!
//! ```no_run
//! # use std::sync::Arc;
//! # use std::time::Duration;
//! # use disburse::{Error, Payout, PayoutProvider, WebhookEvent};
//! use disburse::settle::{Awaited, EventFeed, Wait};
//!
//! # async fn run(provider: Arc<dyn PayoutProvider>, payout: Payout) -> Result<(), Error> {
//! // One feed per process; the webhook handler publishes every verified event into it.
//! let feed = EventFeed::new();
//! # let event: Option<WebhookEvent> = None;
//! # if let Some(event) = event { feed.publish(&event); }
//!
//! let wait = Wait::new().timeout(Duration::from_secs(120)).events(&feed);
//! match provider.await_final(&payout, &wait).await? {
//!     Awaited::Final(done) => println!("{} is {:?}", done.id, done.status),
//!     Awaited::DeadlineReached(last) => println!("{} still {:?}; keep waiting", last.id, last.status),
//!     _ => {}
//! }
//! # Ok(()) }
//! ```
//!
//! Rules:
//! - The first poll happens after [`Wait::first_delay`]; each later one waits
//!   [`Wait::factor`] times longer, capped at [`Wait::max_delay`], and never past the deadline.
//!   One last poll is made at the deadline.
//! - A published event that matches the payout (same provider, and the payout's id or merchant
//!   reference) triggers a poll at once. If that poll is still not final but the event is, the
//!   event wins: it was authenticated by [`PayoutProvider::parse_webhook`], and providers often
//!   update their read endpoint after they send the webhook. The returned record is the polled
//!   one with the event's status.
//! - A poll that fails with a retryable error ([`Error::is_retryable`]) is retried on the
//!   schedule; any other error is returned at once. If the deadline passes and no poll ever
//!   succeeded, the last error is returned.
//! - Nothing here sends money: it only reads.

use std::time::Duration;

use tokio::sync::broadcast;
use tokio::time::Instant;
use tracing::Instrument as _;

use crate::error::Error;
use crate::model::{Payout, Reference};
use crate::provider::PayoutProvider;
use crate::webhook::{EventObject, WebhookEvent};

/// How many published events a slow waiter may fall behind before it simply polls.
const FEED_CAPACITY: usize = 1024;

/// What [`await_final`] ended with.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Awaited {
    /// The payout reached a final status (succeeded or failed).
    Final(Payout),
    /// The deadline passed first; this is the last record seen, not final yet.
    DeadlineReached(Payout),
}

impl Awaited {
    /// The payout record, final or not.
    pub fn payout(&self) -> &Payout {
        match self {
            Awaited::Final(payout) | Awaited::DeadlineReached(payout) => payout,
        }
    }

    /// The payout record, final or not.
    pub fn into_payout(self) -> Payout {
        match self {
            Awaited::Final(payout) | Awaited::DeadlineReached(payout) => payout,
        }
    }

    /// True when the payout reached a final status.
    pub fn is_final(&self) -> bool {
        matches!(self, Awaited::Final(_))
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

    /// Publishes one event, already verified by [`PayoutProvider::parse_webhook`].
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

/// Waits until `payout` is final or `wait.timeout` passes; see the [module docs](self).
///
/// A payout that is already final is returned at once, without a request.
pub async fn await_final<P>(provider: &P, payout: &Payout, wait: &Wait) -> Result<Awaited, Error>
where
    P: PayoutProvider + ?Sized,
{
    // Every poll (its HTTP span included) carries the provider, the merchant reference and the
    // provider's payout id: never an amount, a number or a secret.
    let span = tracing::info_span!(
        "disburse.await_final",
        provider = %provider.id(),
        reference = payout.reference.as_ref().map(Reference::as_str),
        payout = %payout.id,
    );
    poll_until_final(provider, payout, wait)
        .instrument(span)
        .await
}

/// [`await_final`]'s loop, inside its span.
async fn poll_until_final<P>(provider: &P, payout: &Payout, wait: &Wait) -> Result<Awaited, Error>
where
    P: PayoutProvider + ?Sized,
{
    if payout.status.is_final() {
        return Ok(Awaited::Final(payout.clone()));
    }
    let deadline = Instant::now() + wait.timeout;
    let mut events = wait.events.as_ref().map(EventFeed::subscribe);
    let mut last = payout.clone();
    let mut last_error: Option<Error>;
    let mut polled_ok = false;
    let mut delay = wait.first_delay;

    loop {
        let wake_at = (Instant::now() + delay).min(deadline);
        let event = next_wake(events.as_mut(), payout, wake_at).await;
        match provider.get_payout(&payout.id).await {
            Ok(mut fresh) => {
                polled_ok = true;
                last_error = None;
                if !fresh.status.is_final()
                    && let Some(status) = event.map(|e| e.status).filter(|s| s.is_final())
                {
                    fresh.status = status;
                }
                if fresh.status.is_final() {
                    return Ok(Awaited::Final(fresh));
                }
                last = fresh;
            }
            Err(error) if error.is_retryable() => {
                if let Some(status) = event.map(|e| e.status).filter(|s| s.is_final()) {
                    let mut settled = last;
                    settled.status = status;
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
async fn next_wake(
    events: Option<&mut broadcast::Receiver<WebhookEvent>>,
    payout: &Payout,
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
                Ok(event) if concerns(&event, payout) => return Some(event),
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

/// Whether a verified event is about this payout.
fn concerns(event: &WebhookEvent, payout: &Payout) -> bool {
    if event.provider != payout.provider || event.object != EventObject::Payout {
        return false;
    }
    let same_id = event
        .provider_reference
        .as_deref()
        .is_some_and(|id| id == payout.id || payout.provider_reference.as_deref() == Some(id));
    let same_reference = match (&event.reference, &payout.reference) {
        (Some(theirs), Some(ours)) => theirs == ours.as_str(),
        _ => false,
    };
    same_id || same_reference
}
