//! Waiting for a payout's (or a refund's) final status.
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

pub(crate) mod poll;

pub use poll::{Awaited, EventFeed, Wait};

use crate::error::Error;
use crate::model::{Payout, Refund};
use crate::provider::PayoutProvider;

/// Waits until `payout` is final or `wait.timeout` passes; see the [module docs](self).
///
/// A payout that is already final is returned at once, without a request.
pub async fn await_final<P>(provider: &P, payout: &Payout, wait: &Wait) -> Result<Awaited, Error>
where
    P: PayoutProvider + ?Sized,
{
    let id = payout.id.as_str();
    poll::payout_final(provider.id(), payout, wait, || provider.get_payout(id)).await
}

/// Waits until `refund` is final or `wait.timeout` passes, polling
/// [`PayoutProvider::get_refund`] and waking on a matching event, under the same rules as
/// [`await_final`] (see the [module docs](self)).
///
/// A refund that is already final is returned at once, without a request.
pub async fn await_refund<P>(
    provider: &P,
    refund: &Refund,
    wait: &Wait,
) -> Result<Awaited<Refund>, Error>
where
    P: PayoutProvider + ?Sized,
{
    let id = refund.id.as_str();
    poll::refund_final(provider.id(), refund, wait, || provider.get_refund(id)).await
}
