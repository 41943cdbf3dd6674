//! The answers of a reconciliation and how they are reached from what a provider said, with no
//! provider in it; [`super`] ties it to [`PayoutProvider`](crate::PayoutProvider).

use std::fmt;

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::model::{FoundPayout, Payout, PayoutRequest, ProviderId, found_is_sent};
use crate::webhook::WebhookEvent;

/// The answer of [`PayoutProvider::reconcile`](crate::PayoutProvider::reconcile).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum Reconciliation {
    /// The provider has this payout: it was sent (whatever its status).
    Found(Payout),
    /// The provider has no payout for this request: nothing was paid, and the request may be
    /// sent again under the same reference.
    NotFound,
    /// Neither can be shown from what the provider offers: do not send again; an operator
    /// settles it.
    CannotTell(CannotTell),
}

/// Why a reconciliation could not decide, and what an operator needs to decide by hand.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CannotTell {
    /// Why the provider's answers do not decide.
    pub reason: String,
    /// What to look for (in the provider's dashboard or statement), with the request's amount,
    /// masked recipient and time.
    pub operator: String,
    /// Provider ids of payouts that may be this one (several matching webhooks, or a payout
    /// under the reference with another amount).
    pub candidates: Vec<String>,
}

impl fmt::Display for CannotTell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}; {}", self.reason, self.operator)?;
        if !self.candidates.is_empty() {
            write!(f, " (candidates: {})", self.candidates.join(", "))?;
        }
        Ok(())
    }
}

/// A verified webhook event and when the merchant's server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReceivedEvent {
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// The event, as [`PayoutProvider::parse_webhook`](crate::PayoutProvider::parse_webhook) returned it.
    pub event: WebhookEvent,
}

/// What the merchant knows beside the request: when it was sent, the verified webhook events
/// received since, and the ids of payouts it already holds records for (which no event can be
/// this request's).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// When the request was sent (before the call).
    pub sent_at: DateTime<Utc>,
    /// Verified events received (any provider; each adapter reads its own).
    pub events: Vec<ReceivedEvent>,
    /// Provider ids already tied to other requests.
    pub known_ids: Vec<String>,
}

impl Evidence {
    /// Evidence for a request sent at `sent_at`, with no events yet.
    pub fn new(sent_at: DateTime<Utc>) -> Evidence {
        Evidence {
            sent_at,
            events: Vec::new(),
            known_ids: Vec::new(),
        }
    }

    /// Adds a verified event received at `received_at`.
    #[must_use]
    pub fn with_event(mut self, received_at: DateTime<Utc>, event: WebhookEvent) -> Evidence {
        self.events.push(ReceivedEvent { received_at, event });
        self
    }

    /// Adds the provider id of a payout already tied to another request.
    #[must_use]
    pub fn with_known_id(mut self, id: impl Into<String>) -> Evidence {
        self.known_ids.push(id.into());
        self
    }
}

/// What to tell an operator to look for.
fn operator_hint(provider: &str, request: &PayoutRequest, sent_at: DateTime<Utc>) -> String {
    let recipient = match &request.destination {
        crate::Destination::MobileWallet { msisdn, .. } => msisdn.masked(),
        other => format!("{other:?}"),
    };
    format!(
        "look in the {provider} dashboard for a payout of {} to {recipient} sent from {} on; \
         until it is settled, do not send reference {} again",
        request.amount,
        sent_at.format("%Y-%m-%d %H:%M:%S UTC"),
        request.reference
    )
}

/// The verdict on what the provider's `find_payout` answered for `request`
/// (`recipient_matches` is its hook for the found payout's recipient): [`super::by_reference`]
/// and [`PayoutProvider::reconcile`](crate::PayoutProvider::reconcile)(crate::PayoutProvider::reconcile)'s default.
pub(crate) fn of_lookup(
    provider: ProviderId,
    request: &PayoutRequest,
    evidence: &Evidence,
    found: Result<Option<Payout>, Error>,
    recipient_matches: impl FnOnce(&Payout) -> Option<bool>,
) -> Result<Reconciliation, Error> {
    match found {
        Ok(Some(payout)) => {
            let recipient = recipient_matches(&payout);
            let why = match found_is_sent(&request.amount, &payout, recipient) {
                FoundPayout::Differs { why } => format!(
                    "{} holds {why} under reference {}: the reference was used for another \
                     payout",
                    provider, request.reference
                ),
                FoundPayout::CannotTell => format!(
                    "{} holds payout {} under reference {}, with no amount to compare with the \
                     request's {}",
                    provider, payout.id, request.reference, request.amount
                ),
                _ => return Ok(Reconciliation::Found(payout)),
            };
            Ok(Reconciliation::CannotTell(CannotTell {
                reason: why,
                operator: operator_hint(provider.as_str(), request, evidence.sent_at),
                candidates: vec![payout.id],
            }))
        }
        Ok(None) => Ok(Reconciliation::NotFound),
        Err(Error::Unsupported { .. }) => Ok(Reconciliation::CannotTell(CannotTell {
            reason: format!("{} cannot look a payout up by merchant reference", provider),
            operator: operator_hint(provider.as_str(), request, evidence.sent_at),
            candidates: Vec::new(),
        })),
        Err(e) => Err(e),
    }
}

/// Reconciles by matching the request against the provider's payout webhooks: for a provider
/// that cannot look a payout up by merchant reference. `amount_of` reads an event's amount in
/// the request's currency (the adapter knows where its payload puts it).
pub fn by_webhooks(
    provider: crate::ProviderId,
    request: &PayoutRequest,
    evidence: &Evidence,
    amount_of: impl Fn(&WebhookEvent) -> Option<rust_decimal::Decimal>,
) -> Reconciliation {
    let mut matches: Vec<&WebhookEvent> = Vec::new();
    for received in &evidence.events {
        let event = &received.event;
        let Some(id) = event.provider_reference.as_deref() else {
            continue;
        };
        let candidate = event.provider == provider
            && event.object == crate::EventObject::Payout
            && received.received_at >= evidence.sent_at
            && !evidence.known_ids.iter().any(|known| known == id)
            && amount_of(event) == Some(request.amount.amount());
        // Several events about one payout (pending, then final) are one candidate.
        if candidate
            && !matches
                .iter()
                .any(|m| m.provider_reference.as_deref() == Some(id))
        {
            matches.push(event);
        }
    }
    let operator = operator_hint(provider.as_str(), request, evidence.sent_at);
    match matches.as_slice() {
        [one] => {
            let id = one.provider_reference.clone().unwrap_or_default();
            let mut payout = Payout::new(provider, id, one.status.clone());
            payout.reference = Some(request.reference.clone());
            payout.amount = Some(request.amount);
            payout.raw = one.raw.clone();
            Reconciliation::Found(payout)
        }
        [] => Reconciliation::CannotTell(CannotTell {
            reason: format!(
                "{provider} cannot look a payout up by merchant reference, and no payout \
                 webhook for {} received since the request was sent is unclaimed (a payout \
                 may still be processing, or its webhook not delivered yet)",
                request.amount
            ),
            operator,
            candidates: Vec::new(),
        }),
        several => Reconciliation::CannotTell(CannotTell {
            reason: format!(
                "{} unclaimed payout webhooks for {} arrived since the request was sent",
                several.len(),
                request.amount
            ),
            operator,
            candidates: several
                .iter()
                .filter_map(|e| e.provider_reference.clone())
                .collect(),
        }),
    }
}
