//! Reconciling a payout whose outcome is unknown ([`Error::OutcomeUnknown`]), the same way on
//! every provider: [`PayoutProvider::reconcile`] answers found, not found, or cannot tell (with
//! the reason and what an operator needs to settle it by hand).
//!
//! ```no_run
//! # use disburse::{Error, PayoutProvider, PayoutRequest};
//! use disburse::reconcile::{Evidence, Reconciliation};
//!
//! # async fn run(provider: &dyn PayoutProvider, request: PayoutRequest, sent_at: chrono::DateTime<chrono::Utc>) -> Result<(), Error> {
//! match provider.create_payout(&request).await {
//!     Err(Error::OutcomeUnknown { .. }) => {
//!         // Later (a webhook may have arrived in between): the verified events received since.
//!         let evidence = Evidence::new(sent_at);
//!         match provider.reconcile(&request, &evidence).await? {
//!             Reconciliation::Found(payout) => println!("it went through: {}", payout.id),
//!             Reconciliation::NotFound => println!("nothing was sent: safe to send again"),
//!             Reconciliation::CannotTell(why) => println!("ask an operator: {why}"),
//!             _ => {}
//!         }
//!     }
//!     other => { other?; }
//! }
//! # Ok(()) }
//! ```
//!
//! How each answer is reached:
//! - Where the provider looks payouts up by merchant reference
//!   ([`PayoutProvider::find_payout`]: JPay, Payonify), that lookup decides. A payout found
//!   under the reference with another amount than the request's is not taken for it: that is
//!   [`Reconciliation::CannotTell`] (the reference was reused).
//! - Where it cannot (Vesicash never receives the merchant reference), the adapter matches the
//!   request against what the provider sent back since: the verified webhook events in the
//!   [`Evidence`]. One payout event with the request's amount, received after the request was
//!   sent and not already claimed by a known payout, is [`Reconciliation::Found`]; none or
//!   several are [`Reconciliation::CannotTell`], saying which. Such a provider never answers
//!   [`Reconciliation::NotFound`]: no answer it gives proves that nothing was paid.
//! - Nothing here sends money.

pub(crate) mod verdict;

pub use verdict::{CannotTell, Evidence, ReceivedEvent, Reconciliation, by_webhooks};

use crate::error::Error;
use crate::model::PayoutRequest;
use crate::provider::PayoutProvider;

/// Reconciles through [`PayoutProvider::find_payout`]: the default of
/// [`PayoutProvider::reconcile`].
pub async fn by_reference<P>(
    provider: &P,
    request: &PayoutRequest,
    evidence: &Evidence,
) -> Result<Reconciliation, Error>
where
    P: PayoutProvider + ?Sized,
{
    let found = provider.find_payout(&request.reference).await;
    verdict::of_lookup(provider.id(), request, evidence, found, |payout| {
        provider.recipient_matches(&request.destination, payout)
    })
}
