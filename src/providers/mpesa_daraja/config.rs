//! [`DarajaConfig`]: credentials, shortcode, initiator, environment, command and callback URLs.

use std::time::Duration;

use secrecy::SecretString;

use crate::config::{ClientSettings, EnvVars, Environment, ProviderUrls};
use crate::error::Error;
use crate::model::CallbackUrl;

/// The sandbox base URL.
pub const SANDBOX_URL: &str = "https://sandbox.safaricom.co.ke";
/// The production base URL.
pub const LIVE_URL: &str = "https://api.safaricom.co.ke";
/// Daraja's sandbox and production base URLs.
pub const URLS: ProviderUrls = ProviderUrls {
    sandbox: SANDBOX_URL,
    live: LIVE_URL,
};
/// The default refresh margin: the token (3599 s) is renewed when less than this is left.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(120);
/// How long `find_payout` and `balance` wait for the callback that carries their answer.
pub const DEFAULT_RESULT_WAIT: Duration = Duration::from_secs(30);
/// The `Remarks` sent when a payout has no narration.
pub const DEFAULT_REMARKS: &str = "Payout";

/// The B2C `CommandID`.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommandId {
    /// `BusinessPayment`: to registered customers (the default).
    #[default]
    BusinessPayment,
    /// `SalaryPayment`.
    SalaryPayment,
    /// `PromotionPayment`: with a congratulatory SMS; registered customers only.
    PromotionPayment,
}

impl CommandId {
    /// The wire value.
    pub const fn as_str(self) -> &'static str {
        match self {
            CommandId::BusinessPayment => "BusinessPayment",
            CommandId::SalaryPayment => "SalaryPayment",
            CommandId::PromotionPayment => "PromotionPayment",
        }
    }

    /// Reads a wire value (any case).
    pub fn parse(text: &str) -> Result<CommandId, Error> {
        let text = text.trim();
        [
            CommandId::BusinessPayment,
            CommandId::SalaryPayment,
            CommandId::PromotionPayment,
        ]
        .into_iter()
        .find(|c| c.as_str().eq_ignore_ascii_case(text))
        .ok_or_else(|| {
            Error::config(format!(
                "mpesa_daraja: command id must be BusinessPayment, SalaryPayment or \
                 PromotionPayment, got {text:?}"
            ))
        })
    }
}

/// Everything a [`DarajaClient`](super::DarajaClient) needs. `Debug` never prints a secret.
#[non_exhaustive]
#[derive(Clone)]
pub struct DarajaConfig {
    /// The app's consumer key.
    pub consumer_key: SecretString,
    /// The app's consumer secret.
    pub consumer_secret: SecretString,
    /// The B2C shortcode (`PartyA`), 5–9 digits.
    pub shortcode: String,
    /// The API operator's user name (`InitiatorName`).
    pub initiator_name: String,
    /// The API operator's password, encrypted into the `SecurityCredential`.
    pub initiator_password: SecretString,
    /// Where Daraja posts results (`ResultURL`); the token parameters are appended.
    pub result_url: CallbackUrl,
    /// Where Daraja posts queue timeouts (`QueueTimeOutURL`); the token parameters are appended.
    pub timeout_url: CallbackUrl,
    /// What every adapter's config shares: environment, timeouts, the clock token expiry is
    /// measured on, and the webhook secret, which for Daraja is the secret the callback tokens
    /// are made with (any string only this merchant knows); earlier ones are still accepted.
    pub settings: ClientSettings,
    /// The B2C command.
    pub command_id: CommandId,
    /// Safaricom's certificate (or public key) in PEM; `None` uses the one shipped for the
    /// environment (the sandbox one for a custom base URL).
    pub certificate_pem: Option<String>,
    /// The token is renewed when less than this is left of it.
    pub refresh_margin: Duration,
    /// How long `find_payout` and `balance` wait for their callback.
    pub result_wait: Duration,
    /// The `Remarks` of a payout without a narration (2–100 characters).
    pub default_remarks: String,
}

crate::redact::redacted_debug! { DarajaConfig, |c| {
    consumer_key: SECRET, consumer_secret: SECRET, shortcode: c.shortcode,
    initiator_name: c.initiator_name, initiator_password: SECRET,
    result_url: Url(c.result_url.as_str()), timeout_url: Url(c.timeout_url.as_str()),
    settings: c.settings, command_id: c.command_id,
    certificate_pem: c.certificate_pem.as_ref().map(|_| "custom"),
    refresh_margin: c.refresh_margin, result_wait: c.result_wait, default_remarks: c.default_remarks,
}}

/// The credentials and names a [`DarajaConfig`] cannot do without.
#[derive(Clone)]
#[non_exhaustive]
pub struct DarajaCredentials {
    /// The app's consumer key.
    pub consumer_key: SecretString,
    /// The app's consumer secret.
    pub consumer_secret: SecretString,
    /// The B2C shortcode (`PartyA`).
    pub shortcode: String,
    /// The API operator's user name.
    pub initiator_name: String,
    /// The API operator's password.
    pub initiator_password: SecretString,
    /// The callback-token secret.
    pub callback_secret: SecretString,
}

impl DarajaCredentials {
    /// The six values.
    pub fn new(
        consumer_key: SecretString,
        consumer_secret: SecretString,
        shortcode: impl Into<String>,
        initiator_name: impl Into<String>,
        initiator_password: SecretString,
        callback_secret: SecretString,
    ) -> DarajaCredentials {
        DarajaCredentials {
            consumer_key,
            consumer_secret,
            shortcode: shortcode.into(),
            initiator_name: initiator_name.into(),
            initiator_password,
            callback_secret,
        }
    }
}

crate::redact::redacted_debug! { DarajaCredentials, |c| {
    shortcode: c.shortcode, initiator_name: c.initiator_name, ..
}}

impl DarajaConfig {
    /// A sandbox configuration: `BusinessPayment`, default timeouts, the shipped certificate.
    pub fn new(
        credentials: DarajaCredentials,
        result_url: CallbackUrl,
        timeout_url: CallbackUrl,
    ) -> DarajaConfig {
        DarajaConfig {
            consumer_key: credentials.consumer_key,
            consumer_secret: credentials.consumer_secret,
            shortcode: credentials.shortcode,
            initiator_name: credentials.initiator_name,
            initiator_password: credentials.initiator_password,
            result_url,
            timeout_url,
            settings: ClientSettings::new(credentials.callback_secret, Environment::Sandbox),
            command_id: CommandId::BusinessPayment,
            certificate_pem: None,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            result_wait: DEFAULT_RESULT_WAIT,
            default_remarks: DEFAULT_REMARKS.to_owned(),
        }
    }

    fn from_vars(env: &EnvVars<'_>) -> Result<DarajaConfig, Error> {
        let url = |name: &str| {
            CallbackUrl::parse(&env.required(name)?).map_err(|e| Error::Config {
                message: format!("{} is not a callback URL", env.name(name)),
                source: Some(Box::new(e)),
            })
        };
        let consumer_key = env.secret("CONSUMER_KEY")?;
        let consumer_secret = env.secret("CONSUMER_SECRET")?;
        let shortcode = env.required("SHORTCODE")?;
        let initiator_name = env.required("INITIATOR_NAME")?;
        let initiator_password = env.secret("INITIATOR_PASSWORD")?;
        let settings = env.settings()?;
        let credentials = DarajaCredentials::new(
            consumer_key,
            consumer_secret,
            shortcode,
            initiator_name,
            initiator_password,
            settings.webhook_secret.clone(),
        );
        let mut config = DarajaConfig::new(credentials, url("RESULT_URL")?, url("TIMEOUT_URL")?);
        config.settings = settings;
        if let Some(command) = env.optional("COMMAND_ID")? {
            config.command_id = CommandId::parse(&command)?;
        }
        if let Some(path) = env.optional("CERTIFICATE")? {
            let pem = std::fs::read_to_string(&path).map_err(|e| Error::Config {
                message: format!("MPESA_DARAJA_CERTIFICATE: cannot read {path}"),
                source: Some(Box::new(e)),
            })?;
            config.certificate_pem = Some(pem);
        }
        Ok(config)
    }

    /// The PEM the SecurityCredential is encrypted under.
    pub(crate) fn certificate(&self) -> &str {
        match (&self.certificate_pem, &self.settings.environment) {
            (Some(pem), _) => pem,
            (None, Environment::Live) => super::credential::PRODUCTION_CERTIFICATE,
            (None, env) if env.is_live(&URLS) => super::credential::PRODUCTION_CERTIFICATE,
            (None, _) => super::credential::SANDBOX_CERTIFICATE,
        }
    }
}

crate::config::setters! { DarajaConfig {
    /// Sets the command.
    with_command_id(command_id: CommandId) => command_id = command_id;
    /// Encrypts the initiator password under this PEM certificate or public key instead of the
    /// shipped one (a rotated Safaricom certificate, or a test key).
    with_certificate_pem(pem: impl Into<String>) => certificate_pem = Some(pem.into());
    /// Sets how long `find_payout` and `balance` wait for their callback.
    with_result_wait(wait: Duration) => result_wait = wait;
    /// Sets the default `Remarks`.
    with_default_remarks(remarks: impl Into<String>) => default_remarks = remarks.into();
}}

crate::config::from_env! {
/// Reads `MPESA_DARAJA_CONSUMER_KEY`, `MPESA_DARAJA_CONSUMER_SECRET`,
/// `MPESA_DARAJA_SHORTCODE`, `MPESA_DARAJA_INITIATOR_NAME`,
/// `MPESA_DARAJA_INITIATOR_PASSWORD`, `MPESA_DARAJA_RESULT_URL`, `MPESA_DARAJA_TIMEOUT_URL`
/// (required), `MPESA_DARAJA_COMMAND_ID`, `MPESA_DARAJA_CERTIFICATE` (a path to a PEM
/// certificate or public key), and the variables every adapter reads ([`crate::config`]):
/// `MPESA_DARAJA_WEBHOOK_SECRET` (required; the callback-token secret, also read as
/// `MPESA_DARAJA_CALLBACK_SECRET`), `MPESA_DARAJA_PREVIOUS_WEBHOOK_SECRET`,
/// `MPESA_DARAJA_BASE_URL` (`sandbox`, `production` or a URL; the sandbox when unset),
/// `MPESA_DARAJA_TIMEOUT_SECS`, `MPESA_DARAJA_STRICT_CALLBACK_URL`.
    DarajaConfig, "MPESA_DARAJA"
}

crate::config::client_settings_builders!(DarajaConfig);
crate::config::refresh_margin_builder!(DarajaConfig);

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use secrecy::ExposeSecret;

    use super::*;

    #[test]
    fn config_reads_the_environment_and_debug_redacts() {
        let vars: HashMap<&str, &str> = [
            ("MPESA_DARAJA_CONSUMER_KEY", "ck"),
            ("MPESA_DARAJA_CONSUMER_SECRET", "cs"),
            ("MPESA_DARAJA_SHORTCODE", "600997"),
            ("MPESA_DARAJA_INITIATOR_NAME", "testapi"),
            ("MPESA_DARAJA_INITIATOR_PASSWORD", "pw"),
            ("MPESA_DARAJA_CALLBACK_SECRET", "cb"),
            (
                "MPESA_DARAJA_RESULT_URL",
                "https://shop.example/daraja/result",
            ),
            (
                "MPESA_DARAJA_TIMEOUT_URL",
                "https://shop.example/daraja/timeout",
            ),
            ("MPESA_DARAJA_BASE_URL", "production"),
            ("MPESA_DARAJA_COMMAND_ID", "salarypayment"),
        ]
        .into_iter()
        .collect();
        let lookup = crate::config::lookup_in;
        let config = DarajaConfig::from_lookup(lookup(vars.clone())).unwrap();
        assert_eq!(config.consumer_key.expose_secret(), "ck");
        assert_eq!(config.shortcode, "600997");
        assert_eq!(config.settings.environment, Environment::Live);
        assert_eq!(config.command_id, CommandId::SalaryPayment);
        assert_eq!(
            config.certificate(),
            super::super::credential::PRODUCTION_CERTIFICATE
        );
        let debug = format!("{config:?}");
        for secret in ["\"ck\"", "\"cs\"", "\"pw\"", "\"cb\""] {
            assert!(!debug.contains(secret), "{debug}");
        }
        let mut no_base = vars.clone();
        no_base.remove("MPESA_DARAJA_BASE_URL");
        let config = DarajaConfig::from_lookup(lookup(no_base)).unwrap();
        assert_eq!(config.settings.environment, Environment::Sandbox);
        assert_eq!(
            config.certificate(),
            super::super::credential::SANDBOX_CERTIFICATE
        );
        let mut missing = vars.clone();
        missing.remove("MPESA_DARAJA_INITIATOR_PASSWORD");
        match DarajaConfig::from_lookup(lookup(missing)) {
            Err(Error::Config { message, .. }) => assert_eq!(
                message,
                "environment variable MPESA_DARAJA_INITIATOR_PASSWORD is not set"
            ),
            other => panic!("{other:?}"),
        }
        let mut bad = vars;
        bad.insert("MPESA_DARAJA_COMMAND_ID", "Refund");
        assert!(matches!(
            DarajaConfig::from_lookup(lookup(bad)),
            Err(Error::Config { .. })
        ));
    }
}
