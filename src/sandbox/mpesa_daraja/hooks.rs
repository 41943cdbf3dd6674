//! M-Pesa Daraja's test hooks on [`Sandbox`](crate::sandbox::Sandbox) and
//! [`SandboxBuilder`](crate::sandbox::SandboxBuilder).

use std::time::Duration;

use secrecy::SecretString;

use super::auth::TokenStore;
use super::types::{MPESA_DARAJA_CREDENTIALS, MpesaDaraja};
use crate::config::Environment;
use crate::model::{CallbackUrl, ProviderId};
use crate::providers::mpesa_daraja::{DarajaConfig, DarajaCredentials};
use crate::sandbox::clients::sandbox_http_config;
use crate::sandbox::server::{Sandbox, SandboxBuilder};
use crate::sandbox::simulator::Simulator;

impl SandboxBuilder {
    /// How long a Daraja access token lives (default 3599 s, reported in `expires_in`).
    pub fn mpesa_daraja_token_lifetime(self, lifetime: Duration) -> Self {
        self.token_lifetime(ProviderId::MPESA_DARAJA, lifetime)
    }
}

impl Sandbox {
    /// M-Pesa Daraja's base URL, `http://127.0.0.1:PORT/mpesa_daraja` (paths `/oauth/…`,
    /// `/mpesa/…`).
    pub fn base_url_mpesa_daraja(&self) -> String {
        format!("{}{}", self.base_url(), MpesaDaraja.prefix())
    }

    /// A Daraja configuration for this sandbox: its credentials, its certificate (whose key
    /// decrypts the SecurityCredential), and the merchant's `ResultURL` and `QueueTimeOutURL`
    /// (Daraja results only ever arrive there).
    pub fn mpesa_daraja_config(
        &self,
        result_url: CallbackUrl,
        timeout_url: CallbackUrl,
    ) -> DarajaConfig {
        let secret = |text: &str| SecretString::from(text.to_owned());
        let credentials = DarajaCredentials::new(
            secret(MPESA_DARAJA_CREDENTIALS.consumer_key),
            secret(MPESA_DARAJA_CREDENTIALS.consumer_secret),
            MPESA_DARAJA_CREDENTIALS.shortcode,
            MPESA_DARAJA_CREDENTIALS.initiator_name,
            secret(MPESA_DARAJA_CREDENTIALS.initiator_password),
            secret(MPESA_DARAJA_CREDENTIALS.callback_secret),
        );
        DarajaConfig::new(credentials, result_url, timeout_url)
            .with_environment(Environment::Custom(self.base_url_mpesa_daraja()))
            .with_http(sandbox_http_config())
            .with_certificate_pem(MPESA_DARAJA_CREDENTIALS.certificate_pem)
    }

    /// The callback sink's `ResultURL` and `QueueTimeOutURL` for Daraja
    /// (`/_sandbox/callbacks/mpesa_daraja/result` and `…/timeout`): they answer 200 and keep
    /// nothing, so a client configured with them never learns a result by callback.
    pub fn mpesa_daraja_sink_urls(&self) -> (String, String) {
        let sink = format!("{}/_sandbox/callbacks/mpesa_daraja", self.base_url());
        (format!("{sink}/result"), format!("{sink}/timeout"))
    }

    /// Makes every Daraja access token issued so far invalid (the next call gets `404.001.03`).
    pub fn expire_mpesa_daraja_tokens(&self) {
        self.shared.lock().own::<TokenStore>().expire();
    }

    /// With `on`, a new Daraja token invalidates every earlier one, as the portal says the live
    /// API does; off (the default), tokens live until they expire, so several clients without a
    /// shared store can share one sandbox.
    pub fn mpesa_daraja_single_token(&self, on: bool) {
        self.shared.lock().own::<TokenStore>().single = on;
    }

    /// How many Daraja tokens the sandbox has issued.
    pub fn mpesa_daraja_tokens_issued(&self) -> u32 {
        self.shared.lock().own::<TokenStore>().issued
    }
}
