//! Vesicash's test hooks on [`Sandbox`](crate::sandbox::Sandbox) and
//! [`SandboxBuilder`](crate::sandbox::SandboxBuilder).

use rust_decimal::Decimal;

use super::types::Vesicash;
use crate::model::ProviderId;
use crate::money::Money;
use crate::sandbox::ledger::Payment;
use crate::sandbox::server::Sandbox;
use crate::sandbox::simulator::Simulator;

impl Sandbox {
    /// Vesicash's base URL, `http://127.0.0.1:PORT/vesicash` (paths `/v1/…`).
    pub fn base_url_vesicash(&self) -> String {
        format!("{}{}", self.base_url(), Vesicash.prefix())
    }

    /// Records a successful Vesicash payment of `amount` (credited to the balance) and returns
    /// its reference, for refund tests.
    pub fn vesicash_create_payment(&self, amount: Money) -> String {
        let mut inner = self.shared.lock();
        let reference = format!("PAY_{}", inner.random_upper(16));
        inner.ledger.add_payment(Payment {
            reference: reference.clone(),
            amount,
        });
        inner.ledger.credit(ProviderId::VESICASH, &amount);
        reference
    }

    /// How much of a Vesicash payment is refunded or being refunded.
    pub fn vesicash_refunded(&self, payment_reference: &str) -> Decimal {
        self.shared
            .lock()
            .ledger
            .refunded(ProviderId::VESICASH, payment_reference)
    }
}
