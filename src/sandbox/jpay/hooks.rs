//! JPay's test hooks on [`Sandbox`](crate::sandbox::Sandbox) and
//! [`SandboxBuilder`](crate::sandbox::SandboxBuilder).

use std::time::Duration;

use super::refusal::{JpayRefusal, Refusing};
use super::token::TokenStore;
use super::types::{JPAY_CREDENTIALS, Jpay};
use crate::config::Environment;
use crate::error::Error;
use crate::model::ProviderId;
use crate::providers::jpay::{JpayClient, JpayConfig};
use crate::sandbox::clients::{sandbox_http_config, secret};
use crate::sandbox::server::{Sandbox, SandboxBuilder};
use crate::sandbox::simulator::Simulator;

impl SandboxBuilder {
    /// How long a JPay access token lives (default 15 minutes).
    pub fn jpay_token_lifetime(self, lifetime: Duration) -> Self {
        self.token_lifetime(ProviderId::JPAY, lifetime)
    }
}

impl Sandbox {
    /// JPay's base URL, `http://127.0.0.1:PORT/jpay/api/v1` (paths `/auth/…`, `/payments/…`).
    pub fn base_url_jpay(&self) -> String {
        format!("{}{}", self.base_url(), Jpay.prefix())
    }

    /// Makes every JPay access token issued so far invalid (the next call gets 401 "Invalid or
    /// expired token"); refresh tokens keep working.
    pub fn expire_jpay_tokens(&self) {
        self.shared.lock().own::<TokenStore>().expire_access();
    }

    /// Makes every JPay refresh token issued so far invalid, so only a new app token helps.
    pub fn expire_jpay_refresh_tokens(&self) {
        self.shared.lock().own::<TokenStore>().expire_refresh();
    }

    /// Makes JPay refuse every payout with the documented 403 for `refusal` (the account's
    /// state, not the request's fault); `None` lifts it.
    pub fn jpay_refuse(&self, refusal: Option<JpayRefusal>) {
        self.shared.lock().own::<Refusing>().0 = refusal;
    }
}

impl Sandbox {
    /// A JPay configuration for this sandbox.
    pub fn jpay_config(&self) -> JpayConfig {
        JpayConfig::new(
            secret(JPAY_CREDENTIALS.app_key),
            secret(JPAY_CREDENTIALS.app_secret),
            secret(JPAY_CREDENTIALS.callback_secret),
        )
        .with_environment(Environment::Custom(self.base_url_jpay()))
        .with_http(sandbox_http_config())
    }

    /// A JPay client talking to this sandbox.
    pub fn jpay_client(&self) -> Result<JpayClient, Error> {
        JpayClient::new(self.jpay_config())
    }
}
