//! Ready-configured clients for the embedded sandbox: the same adapters a merchant uses in
//! production, pointed at the simulator with its test credentials and loopback-sized timeouts.

use std::time::Duration;

use secrecy::SecretString;

use crate::config::Environment;
use crate::error::Error;
use crate::http::{HttpConfig, RetryPolicy};
use crate::model::CallbackUrl;
use crate::providers::jpay::{JpayClient, JpayConfig};
use crate::providers::mpesa_daraja::{DarajaConfig, DarajaCredentials};
use crate::providers::mtn_momo::{MtnMomoClient, MtnMomoConfig};
use crate::providers::payonify::{PayonifyClient, PayonifyConfig};
use crate::providers::vesicash::{VesicashClient, VesicashConfig};

use super::credentials::{
    JPAY_CREDENTIALS, MTN_MOMO_CREDENTIALS, PAYONIFY_CREDENTIALS, VESICASH_CREDENTIALS,
};
use super::mpesa_daraja::types::MPESA_DARAJA_CREDENTIALS;
use super::server::Sandbox;

/// Timeouts and retries suited to a simulator on loopback: 10 s per attempt (a third of the
/// production default), long enough that a stalled CI machine does not turn a healthy answer
/// into a timeout, short enough that an injected hang fails a test quickly. A test of timeouts
/// sets its own with [`HttpConfig::with_timeout`].
pub fn sandbox_http_config() -> HttpConfig {
    HttpConfig::default()
        .with_connect_timeout(Duration::from_secs(10))
        .with_timeout(Duration::from_secs(10))
        .with_retry(
            RetryPolicy::default()
                .with_backoff(Duration::from_millis(20), Duration::from_millis(200))
                .with_max_retry_after(Duration::from_secs(2)),
        )
}

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
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

    /// A Vesicash client talking to this sandbox.
    pub fn vesicash_client(&self) -> Result<VesicashClient, Error> {
        VesicashClient::new(self.vesicash_config())
    }

    /// A JPay client talking to this sandbox.
    pub fn jpay_client(&self) -> Result<JpayClient, Error> {
        JpayClient::new(self.jpay_config())
    }

    /// A Payonify client talking to this sandbox.
    pub fn payonify_client(&self) -> Result<PayonifyClient, Error> {
        PayonifyClient::new(self.payonify_config())
    }
}

impl Sandbox {
    /// An M-Pesa Daraja configuration for this sandbox: its credentials, its certificate, and
    /// `result_url`/`timeout_url` as the `ResultURL` and `QueueTimeOutURL` (Daraja's results
    /// arrive only there: hand each delivery to the client's `parse_webhook`).
    pub fn mpesa_daraja_config(
        &self,
        result_url: CallbackUrl,
        timeout_url: CallbackUrl,
    ) -> DarajaConfig {
        let c = MPESA_DARAJA_CREDENTIALS;
        DarajaConfig::new(
            DarajaCredentials::new(
                secret(c.consumer_key),
                secret(c.consumer_secret),
                c.shortcode,
                c.initiator_name,
                secret(c.initiator_password),
                secret(c.callback_secret),
            ),
            result_url,
            timeout_url,
        )
        .with_base_url(self.base_url_mpesa_daraja())
        .with_http(sandbox_http_config())
        .with_certificate_pem(c.certificate_pem)
    }

    /// The callback sink's `ResultURL` and `QueueTimeOutURL` for Daraja
    /// (`/_sandbox/callbacks/mpesa_daraja/result` and `…/timeout`): they answer 200 and keep
    /// nothing, so a client configured with them never learns a result by callback.
    pub fn mpesa_daraja_sink_urls(&self) -> (String, String) {
        let sink = format!("{}/_sandbox/callbacks/mpesa_daraja", self.base_url());
        (format!("{sink}/result"), format!("{sink}/timeout"))
    }
}
