//! Payonify's test hooks on [`Sandbox`](crate::sandbox::Sandbox) and
//! [`SandboxBuilder`](crate::sandbox::SandboxBuilder).

use super::types::{PAYONIFY_CREDENTIALS, Payonify};
use crate::error::Error;
use crate::providers::payonify::{PayonifyClient, PayonifyConfig};
use crate::sandbox::clients::{sandbox_http_config, secret};
use crate::sandbox::server::Sandbox;
use crate::sandbox::simulator::Simulator;

impl Sandbox {
    /// Payonify's base URL, `http://127.0.0.1:PORT/payonify` (paths `/v1/…`).
    pub fn base_url_payonify(&self) -> String {
        format!("{}{}", self.base_url(), Payonify.prefix())
    }
}

impl Sandbox {
    /// A Payonify configuration for this sandbox.
    pub fn payonify_config(&self) -> PayonifyConfig {
        PayonifyConfig::new(
            secret(PAYONIFY_CREDENTIALS.publishable_key),
            secret(PAYONIFY_CREDENTIALS.secret_key),
            secret(PAYONIFY_CREDENTIALS.webhook_secret),
        )
        .with_base_url(self.base_url_payonify())
        .with_http(sandbox_http_config())
    }

    /// A Payonify client talking to this sandbox.
    pub fn payonify_client(&self) -> Result<PayonifyClient, Error> {
        PayonifyClient::new(self.payonify_config())
    }
}
