//! Webhook deliveries: their authentication ([`signature`], re-exported here) and the
//! normalized [`WebhookEvent`] every adapter turns a verified delivery into.
//!
//! Each adapter states its signature scheme as a [`WebhookScheme`] value (or, for a scheme that
//! is not an HMAC in a header, calls [`HmacVerifier`] directly) and reads the verified body into
//! a [`WebhookEvent`].

use std::fmt;

use crate::model::{ProviderId, Status};
use crate::money::Money;

pub mod signature;

pub(crate) use signature::HmacSigner;
pub use signature::{
    Clock, DEFAULT_TOLERANCE, FixedClock, HmacVerifier, SignatureEncoding, SignedMessage,
    SystemClock, WebhookError, WebhookRequest, WebhookScheme, sign,
};

/// What a webhook event is about.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventObject {
    /// A payout.
    Payout,
    /// A refund.
    Refund,
}

/// A verified webhook delivery, normalized.
///
/// `Debug` shows `raw` redacted (phone and account numbers masked, URL query values withheld);
/// the field itself is the payload unchanged.
#[non_exhaustive]
#[derive(Clone, PartialEq)]
pub struct WebhookEvent {
    /// The provider that sent it.
    pub provider: ProviderId,
    /// The provider's event id, where it gives one: use it to drop redelivered events.
    pub event_id: Option<String>,
    /// Payout or refund.
    pub object: EventObject,
    /// The provider's identifier of the payout or refund.
    pub provider_reference: Option<String>,
    /// The merchant's reference, where the payload carries it.
    pub reference: Option<String>,
    /// The amount, where the payload carries it.
    pub amount: Option<Money>,
    /// The normalized status the event reports.
    pub status: Status,
    /// The payload, kept for audit.
    pub raw: crate::RawJson,
}

impl fmt::Debug for WebhookEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookEvent")
            .field("provider", &self.provider)
            .field("event_id", &self.event_id)
            .field("object", &self.object)
            .field("provider_reference", &self.provider_reference)
            .field("reference", &self.reference)
            .field("amount", &self.amount)
            .field("status", &self.status)
            .field("raw", &self.raw)
            .finish()
    }
}

impl WebhookEvent {
    /// An event with the required fields; the rest start empty.
    pub fn new(provider: ProviderId, object: EventObject, status: Status) -> WebhookEvent {
        WebhookEvent {
            provider,
            event_id: None,
            object,
            provider_reference: None,
            reference: None,
            amount: None,
            status,
            raw: crate::RawJson::empty(),
        }
    }
}
