//! MTN MoMo's test hooks on [`Sandbox`](crate::sandbox::Sandbox) and
//! [`SandboxBuilder`](crate::sandbox::SandboxBuilder).

use std::time::Duration;

use super::auth::TokenStore;
use super::types::{MTN_MOMO_CREDENTIALS, MtnMomo};
use crate::config::Environment;
use crate::error::Error;
use crate::model::ProviderId;
use crate::money::Money;
use crate::providers::mtn_momo::{MtnMomoClient, MtnMomoConfig};
use crate::sandbox::clients::{sandbox_http_config, secret};
use crate::sandbox::ledger::Payment;
use crate::sandbox::server::{Sandbox, SandboxBuilder};
use crate::sandbox::simulator::Simulator;

impl SandboxBuilder {
    /// How long an MTN MoMo access token lives (default an hour; whole seconds are reported in
    /// `expires_in`).
    pub fn mtn_momo_token_lifetime(self, lifetime: Duration) -> Self {
        self.token_lifetime(ProviderId::MTN_MOMO, lifetime)
    }
}

impl Sandbox {
    /// MTN MoMo's base URL, `http://127.0.0.1:PORT/mtn_momo` (paths `/disbursement/…`).
    pub fn base_url_mtn_momo(&self) -> String {
        format!("{}{}", self.base_url(), MtnMomo.prefix())
    }

    /// Makes every MTN MoMo access token issued so far invalid (the next call gets 401).
    pub fn expire_mtn_momo_tokens(&self) {
        self.shared.lock().own::<TokenStore>().expire();
    }

    /// Records a successful MTN MoMo Collection request-to-pay of `amount` and returns its
    /// reference id (a UUID), the `referenceIdToRefund` of refund tests.
    pub fn mtn_momo_create_payment(&self, amount: Money) -> String {
        let mut inner = self.shared.lock();
        let hex = inner.random_hex(32);
        let reference = format!(
            "{}-{}-4{}-a{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        );
        inner.ledger.add_payment(Payment {
            reference: reference.clone(),
            amount,
        });
        reference
    }
}

impl Sandbox {
    /// An MTN MoMo configuration for this sandbox: target environment `sandbox` (EUR), like
    /// MTN's own sandbox; any named target works with its currency.
    pub fn mtn_momo_config(&self) -> MtnMomoConfig {
        MtnMomoConfig::new(
            secret(MTN_MOMO_CREDENTIALS.subscription_key),
            secret(MTN_MOMO_CREDENTIALS.api_user),
            secret(MTN_MOMO_CREDENTIALS.api_key),
            secret(MTN_MOMO_CREDENTIALS.callback_secret),
        )
        .with_environment(Environment::Custom(self.base_url_mtn_momo()))
        .with_http(sandbox_http_config())
    }

    /// An MTN MoMo client talking to this sandbox.
    pub fn mtn_momo_client(&self) -> Result<MtnMomoClient, Error> {
        MtnMomoClient::new(self.mtn_momo_config())
    }
}
