//! The ledger: balances per provider and currency, every payout and refund the sandbox accepted,
//! and the Vesicash payments a test created to refund.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::details::Details;
use super::outcome::ScriptedOutcome;
use crate::model::ProviderId;
use crate::money::{Currency, Money};

/// Payout or refund.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryKind {
    /// Money sent to a recipient.
    Payout,
    /// Money returned to a payer (Vesicash refunds).
    Refund,
}

/// Where an entry is in its life: pending until it settles, then succeeded or failed.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum EntryStatus {
    /// Accepted, not settled yet (or scripted to stay pending).
    Pending,
    /// Delivered to the recipient.
    Succeeded,
    /// Not delivered; the amount went back to the balance.
    Failed {
        /// The provider's failure word: Vesicash `INSUFFICIENT_FUNDS`, JPay's `result_code`
        /// (`"1"`), Payonify `insufficient_funds`.
        code: String,
        /// The provider's failure text.
        message: String,
    },
}

impl EntryStatus {
    /// True once the entry succeeded or failed.
    pub fn is_final(&self) -> bool {
        !matches!(self, EntryStatus::Pending)
    }
}

/// One payout or refund the sandbox accepted (committed to the ledger).
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    /// The provider that accepted it.
    pub provider: ProviderId,
    /// Payout or refund.
    pub kind: EntryKind,
    /// The provider's identifier (`PY_…`, JPay's payout id, `po_…`, Vesicash refunds `RF_…`).
    pub id: String,
    /// The merchant reference as the provider sees it: JPay `ref_no`, Payonify
    /// `Idempotency-Key`, Vesicash `reason` (else `narration`).
    pub reference: Option<String>,
    /// The amount.
    pub amount: Money,
    /// The recipient as sent (phone number or account number).
    pub recipient: String,
    /// The status.
    pub status: EntryStatus,
    /// The scripted outcome the recipient triggered, if any.
    pub scripted: Option<ScriptedOutcome>,
    /// The callback URL the request named (`webhook_url`, `callback_url`), if any.
    pub callback_url: Option<String>,
    /// For refunds: the payment refunded.
    pub payment_reference: Option<String>,
    /// The request body exactly as received.
    pub request_body: String,
    /// When it was accepted.
    pub created_at: DateTime<Utc>,
    /// When it reached its final status.
    pub settled_at: Option<DateTime<Utc>>,
    pub(crate) details: Details,
}

impl LedgerEntry {
    /// Whether `reference` names this entry: its provider id, its merchant reference, or what
    /// the provider's own fields name (a Payonify metadata value, a whole word of a Vesicash
    /// `reason`/`narration`).
    pub fn matches_reference(&self, reference: &str) -> bool {
        if self.id == reference || self.reference.as_deref() == Some(reference) {
            return true;
        }
        self.details.names(reference)
    }

    /// Whether the entry was scripted to stay pending.
    pub(crate) fn stuck(&self) -> bool {
        self.scripted == Some(ScriptedOutcome::StaysPending)
    }
}

/// A Vesicash payment a test created so it can be refunded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Payment {
    pub(crate) reference: String,
    pub(crate) amount: Money,
}

/// Balances, entries and payments.
#[derive(Debug)]
pub(crate) struct Ledger {
    entries: Vec<LedgerEntry>,
    /// Where each entry is in `entries`, by provider and id (the first entry of an id: an
    /// entry's id never changes), so finding one does not read them all.
    positions: HashMap<ProviderId, HashMap<String, usize>>,
    balances: HashMap<(ProviderId, Currency), Decimal>,
    payments: Vec<Payment>,
}

impl Ledger {
    /// A ledger with these opening balances.
    pub(crate) fn new(
        opening: impl IntoIterator<Item = (ProviderId, Currency, Decimal)>,
    ) -> Ledger {
        Ledger {
            entries: Vec::new(),
            positions: HashMap::new(),
            balances: opening
                .into_iter()
                .map(|(provider, currency, amount)| ((provider, currency), amount))
                .collect(),
            payments: Vec::new(),
        }
    }

    pub(crate) fn balance(&self, provider: ProviderId, currency: Currency) -> Decimal {
        self.balances
            .get(&(provider, currency))
            .copied()
            .unwrap_or(Decimal::ZERO)
    }

    pub(crate) fn set_balance(&mut self, provider: ProviderId, amount: Money) {
        self.balances
            .insert((provider, amount.currency()), amount.amount());
    }

    /// Takes `amount` from the balance; false (and nothing taken) when it is not there.
    pub(crate) fn debit(&mut self, provider: ProviderId, amount: &Money) -> bool {
        let balance = self.balance(provider, amount.currency());
        if balance < amount.amount() {
            return false;
        }
        self.balances
            .insert((provider, amount.currency()), balance - amount.amount());
        true
    }

    pub(crate) fn credit(&mut self, provider: ProviderId, amount: &Money) {
        let balance = self.balance(provider, amount.currency());
        self.balances
            .insert((provider, amount.currency()), balance + amount.amount());
    }

    pub(crate) fn push(&mut self, entry: LedgerEntry) {
        self.positions
            .entry(entry.provider)
            .or_default()
            .entry(entry.id.clone())
            .or_insert(self.entries.len());
        self.entries.push(entry);
    }

    fn position(&self, provider: ProviderId, id: &str) -> Option<usize> {
        self.positions.get(&provider)?.get(id).copied()
    }

    pub(crate) fn entries(&self, provider: ProviderId) -> impl Iterator<Item = &LedgerEntry> {
        self.entries.iter().filter(move |e| e.provider == provider)
    }

    pub(crate) fn get(&self, provider: ProviderId, id: &str) -> Option<&LedgerEntry> {
        self.entries.get(self.position(provider, id)?)
    }

    /// The entry, to change (never its provider or id: the index finds entries by them).
    pub(crate) fn get_mut(&mut self, provider: ProviderId, id: &str) -> Option<&mut LedgerEntry> {
        let position = self.position(provider, id)?;
        self.entries.get_mut(position)
    }

    /// Every entry of every provider, oldest first.
    pub(crate) fn all_entries(&self) -> &[LedgerEntry] {
        &self.entries
    }

    /// Every balance: provider, currency, amount.
    pub(crate) fn balances(&self) -> Vec<(ProviderId, Currency, Decimal)> {
        self.balances
            .iter()
            .map(|(&(kind, currency), &amount)| (kind, currency, amount))
            .collect()
    }

    /// The payments tests created to refund.
    pub(crate) fn payments(&self) -> &[Payment] {
        &self.payments
    }

    /// A ledger with these entries, balances and payments (a saved state read back).
    pub(crate) fn restore(
        entries: Vec<LedgerEntry>,
        balances: Vec<(ProviderId, Currency, Decimal)>,
        payments: Vec<Payment>,
    ) -> Ledger {
        let mut ledger = Ledger {
            entries: Vec::new(),
            positions: HashMap::new(),
            balances: balances
                .into_iter()
                .map(|(kind, currency, amount)| ((kind, currency), amount))
                .collect(),
            payments,
        };
        for entry in entries {
            ledger.push(entry);
        }
        ledger
    }

    pub(crate) fn add_payment(&mut self, payment: Payment) {
        self.payments.push(payment);
    }

    pub(crate) fn payment(&self, reference: &str) -> Option<&Payment> {
        self.payments.iter().find(|p| p.reference == reference)
    }

    /// The amount already refunded (or being refunded) from a payment: failed refunds do not
    /// count.
    pub(crate) fn refunded(&self, provider: ProviderId, payment_reference: &str) -> Decimal {
        self.entries(provider)
            .filter(|e| {
                e.kind == EntryKind::Refund
                    && e.payment_reference.as_deref() == Some(payment_reference)
                    && !matches!(e.status, EntryStatus::Failed { .. })
            })
            .map(|e| e.amount.amount())
            .sum()
    }
}
