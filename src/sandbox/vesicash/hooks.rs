//! Vesicash's test hooks on [`Sandbox`](crate::sandbox::Sandbox) and
//! [`SandboxBuilder`](crate::sandbox::SandboxBuilder).

use rust_decimal::Decimal;

use super::types::{VESICASH_CREDENTIALS, Vesicash};
use crate::config::Environment;
use crate::error::Error;
use crate::model::ProviderId;
use crate::money::Money;
use crate::providers::vesicash::{VesicashClient, VesicashConfig};
use crate::sandbox::clients::{sandbox_http_config, secret};
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

impl Sandbox {
    /// A Vesicash configuration for this sandbox (change anything before building a client).
    pub fn vesicash_config(&self) -> VesicashConfig {
        VesicashConfig::new(
            secret(VESICASH_CREDENTIALS.secret_key),
            secret(VESICASH_CREDENTIALS.public_key),
            secret(VESICASH_CREDENTIALS.webhook_secret),
            Environment::Custom(self.base_url_vesicash()),
        )
        .with_http(sandbox_http_config())
    }

    /// A Vesicash client talking to this sandbox.
    pub fn vesicash_client(&self) -> Result<VesicashClient, Error> {
        VesicashClient::new(self.vesicash_config())
    }
}
