//! The ledger: balances per provider and currency, every payout and refund the sandbox accepted,
//! and the Vesicash payments a test created to refund.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use super::kind::ProviderKind;
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
#[derive(Debug, Clone, PartialEq, Eq)]
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

/// What each provider's wire form needs beyond the common fields.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Details {
    Vesicash {
        /// The `amount` JSON token as received (`1000.5` or `"1000.50"`), echoed back as is.
        amount_json: String,
        reason: Option<String>,
        narration: Option<String>,
    },
    Jpay {
        channel: u32,
        category: String,
        narration: String,
        created_at: String,
        trans_id: String,
        external_ref: String,
    },
    Payonify {
        description: Option<String>,
        metadata: serde_json::Map<String, serde_json::Value>,
        mobile_number: String,
        created: i64,
        provider_reference: Option<String>,
    },
    MtnMomo {
        operation: super::mtn_momo::Operation,
        payer_message: String,
        payee_note: String,
        financial_transaction_id: String,
        /// The failure MTN's sandbox number scripts, if any.
        scenario_failure: Option<EntryStatus>,
    },
}

impl LedgerEntry {
    /// Whether `reference` names this entry: its provider id, its merchant reference, a Payonify
    /// metadata value, or a whole word of a Vesicash `reason`/`narration`.
    pub fn matches_reference(&self, reference: &str) -> bool {
        if self.id == reference || self.reference.as_deref() == Some(reference) {
            return true;
        }
        match &self.details {
            Details::Vesicash {
                reason, narration, ..
            } => [reason, narration]
                .into_iter()
                .flatten()
                .any(|text| words(text).any(|w| w == reference)),
            Details::Payonify { metadata, .. } => {
                metadata.values().any(|v| v.as_str() == Some(reference))
            }
            Details::Jpay { .. } | Details::MtnMomo { .. } => false,
        }
    }

    /// Whether the entry was scripted to stay pending.
    pub(crate) fn stuck(&self) -> bool {
        self.scripted == Some(ScriptedOutcome::StaysPending)
    }
}

/// Splits on everything a [`Reference`](crate::Reference) cannot contain.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .filter(|w| !w.is_empty())
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
    balances: HashMap<(ProviderKind, Currency), Decimal>,
    payments: Vec<Payment>,
}

/// The opening balances: generous, so only tests that lower them see insufficient funds.
const OPENING: &[(ProviderKind, Currency, i64)] = &[
    (ProviderKind::Vesicash, Currency::NGN, 10_000_000),
    (ProviderKind::Vesicash, Currency::GHS, 1_000_000),
    (ProviderKind::Vesicash, Currency::KES, 10_000_000),
    (ProviderKind::Vesicash, Currency::ZMW, 1_000_000),
    (ProviderKind::Vesicash, Currency::UGX, 100_000_000),
    (ProviderKind::Vesicash, Currency::TZS, 100_000_000),
    (ProviderKind::Vesicash, Currency::RWF, 100_000_000),
    (ProviderKind::Jpay, Currency::KES, 1_000_000),
    (ProviderKind::Payonify, Currency::USD, 10_000),
    (ProviderKind::Payonify, Currency::ZWG, 250_000),
    (ProviderKind::MtnMomo, Currency::EUR, 1_000_000),
    (ProviderKind::MtnMomo, Currency::UGX, 1_000_000_000),
    (ProviderKind::MtnMomo, Currency::GHS, 1_000_000),
    (ProviderKind::MtnMomo, Currency::XOF, 1_000_000_000),
    (ProviderKind::MtnMomo, Currency::ZMW, 1_000_000),
    (ProviderKind::MtnMomo, Currency::XAF, 1_000_000_000),
    (ProviderKind::MtnMomo, Currency::SZL, 1_000_000),
    (ProviderKind::MtnMomo, Currency::GNF, 10_000_000_000),
    (ProviderKind::MtnMomo, Currency::ZAR, 1_000_000),
    (ProviderKind::MtnMomo, Currency::LRD, 1_000_000),
];

impl Ledger {
    pub(crate) fn new() -> Ledger {
        Ledger {
            entries: Vec::new(),
            balances: OPENING
                .iter()
                .map(|&(kind, currency, amount)| ((kind, currency), Decimal::from(amount)))
                .collect(),
            payments: Vec::new(),
        }
    }

    pub(crate) fn balance(&self, kind: ProviderKind, currency: Currency) -> Decimal {
        self.balances
            .get(&(kind, currency))
            .copied()
            .unwrap_or(Decimal::ZERO)
    }

    pub(crate) fn set_balance(&mut self, kind: ProviderKind, amount: Money) {
        self.balances
            .insert((kind, amount.currency()), amount.amount());
    }

    /// Takes `amount` from the balance; false (and nothing taken) when it is not there.
    pub(crate) fn debit(&mut self, kind: ProviderKind, amount: &Money) -> bool {
        let balance = self.balance(kind, amount.currency());
        if balance < amount.amount() {
            return false;
        }
        self.balances
            .insert((kind, amount.currency()), balance - amount.amount());
        true
    }

    pub(crate) fn credit(&mut self, kind: ProviderKind, amount: &Money) {
        let balance = self.balance(kind, amount.currency());
        self.balances
            .insert((kind, amount.currency()), balance + amount.amount());
    }

    pub(crate) fn push(&mut self, entry: LedgerEntry) {
        self.entries.push(entry);
    }

    pub(crate) fn entries(&self, kind: ProviderKind) -> impl Iterator<Item = &LedgerEntry> {
        let id = kind.id();
        self.entries.iter().filter(move |e| e.provider == id)
    }

    pub(crate) fn get(&self, kind: ProviderKind, id: &str) -> Option<&LedgerEntry> {
        self.entries(kind).find(|e| e.id == id)
    }

    pub(crate) fn get_mut(&mut self, kind: ProviderKind, id: &str) -> Option<&mut LedgerEntry> {
        let provider = kind.id();
        self.entries
            .iter_mut()
            .find(|e| e.provider == provider && e.id == id)
    }

    /// Every entry of every provider, oldest first.
    pub(crate) fn all_entries(&self) -> &[LedgerEntry] {
        &self.entries
    }

    /// Every balance: provider, currency, amount.
    pub(crate) fn balances(&self) -> Vec<(ProviderKind, Currency, Decimal)> {
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
        balances: Vec<(ProviderKind, Currency, Decimal)>,
        payments: Vec<Payment>,
    ) -> Ledger {
        Ledger {
            entries,
            balances: balances
                .into_iter()
                .map(|(kind, currency, amount)| ((kind, currency), amount))
                .collect(),
            payments,
        }
    }

    pub(crate) fn add_payment(&mut self, payment: Payment) {
        self.payments.push(payment);
    }

    pub(crate) fn payment(&self, reference: &str) -> Option<&Payment> {
        self.payments.iter().find(|p| p.reference == reference)
    }

    /// The amount already refunded (or being refunded) from a payment: failed refunds do not
    /// count.
    pub(crate) fn refunded(&self, kind: ProviderKind, payment_reference: &str) -> Decimal {
        self.entries(kind)
            .filter(|e| {
                e.kind == EntryKind::Refund
                    && e.payment_reference.as_deref() == Some(payment_reference)
                    && !matches!(e.status, EntryStatus::Failed { .. })
            })
            .map(|e| e.amount.amount())
            .sum()
    }
}
