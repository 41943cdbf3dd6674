//! What every adapter's configuration shares: [`ClientSettings`] (base URL or environment,
//! timeouts and retries, a caller's `reqwest::Client`, webhook secrets current and previous, the
//! clock, strict callback URLs) with one set of builders, and the helpers that read the
//! environment.
//!
//! # The same builders on every config
//!
//! An adapter's config holds a `settings: ClientSettings` beside what only it knows, and a
//! crate-internal macro gives [`VesicashConfig`](crate::providers::vesicash::VesicashConfig),
//! [`JpayConfig`](crate::providers::jpay::JpayConfig),
//! [`PayonifyConfig`](crate::providers::payonify::PayonifyConfig),
//! [`MtnMomoConfig`](crate::providers::mtn_momo::MtnMomoConfig) and
//! [`DarajaConfig`](crate::providers::mpesa_daraja::DarajaConfig) the same builder names, each
//! written once here (`tests/config_api.rs` calls each on each config):
//!
//! | builder | sets |
//! |---|---|
//! | `with_environment(Environment)` | sandbox, live or a custom base URL |
//! | `with_base_url(impl AsRef<str>)` | the same, from text: `sandbox`, `live` or a URL |
//! | `with_http(HttpConfig)` | timeouts and retries |
//! | `with_timeout(Duration)` | the per-attempt timeout |
//! | `with_http_client(reqwest::Client)` | the client requests go through (proxies, an allow-listed egress IP, a shared pool) |
//! | `with_webhook_secret(SecretString)` | the webhook (or callback-token) secret |
//! | `with_previous_webhook_secret(SecretString)` | an earlier secret still accepted during a rotation |
//! | `with_clock(Arc<dyn Clock>)` | the clock (tests) |
//! | `with_strict_callback_url(bool)` | refuse, rather than ignore, a callback URL the provider cannot honour |
//!
//! `with_http_client` is the one place a `reqwest` type appears in the public API.
//!
//! # The same environment variables
//!
//! Every adapter's `from_env` reads its own credentials and these, named
//! `<PREFIX>_<NAME>` with the prefix `VESICASH`, `JPAY`, `PAYONIFY`, `MTN_MOMO` or
//! `MPESA_DARAJA` (empty counts as unset):
//!
//! | variable | meaning |
//! |---|---|
//! | `<PREFIX>_WEBHOOK_SECRET` | required; `<PREFIX>_CALLBACK_SECRET` is read when it is unset |
//! | `<PREFIX>_PREVIOUS_WEBHOOK_SECRET` | an earlier secret still accepted |
//! | `<PREFIX>_BASE_URL` | `sandbox`, `live` (or `production`) or a URL; the sandbox when unset, so a missing variable never moves real money |
//! | `<PREFIX>_TIMEOUT_SECS` | the per-attempt timeout in seconds (`2.5` allowed) |
//! | `<PREFIX>_STRICT_CALLBACK_URL` | `true` or `false` |

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use secrecy::SecretString;

use crate::error::Error;
use crate::http::{HttpClient, HttpConfig};
use crate::model::ProviderId;
use crate::webhook::signature::{Clock, HmacVerifier, SystemClock};

/// The client setup every adapter shares.
///
/// `Debug` never prints a secret.
#[non_exhaustive]
#[derive(Clone)]
pub struct ClientSettings {
    /// Sandbox, live, or another base URL.
    pub environment: Environment,
    /// Timeouts and retries.
    pub http: HttpConfig,
    /// A `reqwest::Client` (and its connection pool) the caller built; `None` builds one.
    pub http_client: Option<reqwest::Client>,
    /// The secret webhook deliveries are authenticated with.
    pub webhook_secret: SecretString,
    /// Earlier webhook secrets still accepted while a rotation is under way.
    pub previous_webhook_secrets: Vec<SecretString>,
    /// The clock webhook windows and token expiry are measured on.
    pub clock: Arc<dyn Clock>,
    /// Refuse a request whose callback URL the provider could only ignore (Payonify's
    /// dashboard-level webhooks), instead of accepting it and recording the dropped URL. See
    /// [`CallbackUrlSupport`](crate::CallbackUrlSupport).
    pub strict_callback_url: bool,
}

impl fmt::Debug for ClientSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSettings")
            .field("environment", &self.environment)
            .field("http", &self.http)
            .field(
                "http_client",
                &self.http_client.as_ref().map(|_| "caller's"),
            )
            .field("webhook_secret", &crate::redact::SECRET)
            .field(
                "previous_webhook_secrets",
                &format_args!("[{} redacted]", self.previous_webhook_secrets.len()),
            )
            .field("clock", &self.clock)
            .field("strict_callback_url", &self.strict_callback_url)
            .finish()
    }
}

impl ClientSettings {
    /// Settings for `environment` with `webhook_secret`, default timeouts and retries, a client
    /// of its own and the system clock.
    pub fn new(webhook_secret: SecretString, environment: Environment) -> ClientSettings {
        ClientSettings {
            environment,
            http: HttpConfig::default(),
            http_client: None,
            webhook_secret,
            previous_webhook_secrets: Vec::new(),
            clock: Arc::new(SystemClock),
            strict_callback_url: false,
        }
    }

    /// Sets the environment.
    #[must_use]
    pub fn with_environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// Sets the base URL (`sandbox`, `live` or a URL, read as [`Environment::parse`] reads it).
    #[must_use]
    pub fn with_base_url(mut self, base_url: impl AsRef<str>) -> Self {
        self.environment = Environment::parse(base_url.as_ref());
        self
    }

    /// Sets timeouts and retries.
    #[must_use]
    pub fn with_http(mut self, http: HttpConfig) -> Self {
        self.http = http;
        self
    }

    /// Sets the per-attempt timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.http = self.http.with_timeout(timeout);
        self
    }

    /// Sends through `client` (sharing its connection pool); the per-attempt timeout still comes
    /// from [`ClientSettings::http`].
    #[must_use]
    pub fn with_http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Sets the webhook secret.
    #[must_use]
    pub fn with_webhook_secret(mut self, secret: SecretString) -> Self {
        self.webhook_secret = secret;
        self
    }

    /// Accepts an earlier webhook secret too (during a rotation).
    #[must_use]
    pub fn with_previous_webhook_secret(mut self, secret: SecretString) -> Self {
        self.previous_webhook_secrets.push(secret);
        self
    }

    /// Sets the clock (tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Refuses (`true`) rather than ignores a callback URL the provider cannot honour.
    #[must_use]
    pub fn with_strict_callback_url(mut self, strict: bool) -> Self {
        self.strict_callback_url = strict;
        self
    }

    /// A verifier for the webhook secret and the previous ones, on this clock (the timestamp
    /// window is the verifier's default until the adapter sets its own).
    pub fn webhook_verifier(&self) -> HmacVerifier {
        let mut verifier =
            HmacVerifier::new(self.webhook_secret.clone()).with_clock(Arc::clone(&self.clock));
        for secret in &self.previous_webhook_secrets {
            verifier = verifier.with_secret(secret.clone());
        }
        verifier
    }

    /// The base URL for a provider with `urls`.
    pub fn base_url<'a>(&'a self, urls: &'a ProviderUrls) -> &'a str {
        self.environment.base_url(urls)
    }

    /// The shared HTTP client for `provider` at this environment's base URL.
    pub fn http_client(
        &self,
        provider: ProviderId,
        urls: &ProviderUrls,
    ) -> Result<HttpClient, Error> {
        let base_url = self.base_url(urls);
        match &self.http_client {
            Some(client) => {
                HttpClient::with_client(provider, base_url, self.http.clone(), client.clone())
            }
            None => HttpClient::new(provider, base_url, self.http.clone()),
        }
    }
}

/// Gives an adapter's config, which holds a `settings: ClientSettings` field, the shared builder
/// names: each forwards to the [`ClientSettings`] method of the same name.
macro_rules! client_settings_builders {
    ($config:ty) => {
        impl $config {
            /// Sets the environment.
            #[must_use]
            pub fn with_environment(mut self, environment: $crate::config::Environment) -> Self {
                self.settings = self.settings.with_environment(environment);
                self
            }

            /// Sets the base URL: `sandbox`, `live` or a URL.
            #[must_use]
            pub fn with_base_url(mut self, base_url: impl AsRef<str>) -> Self {
                self.settings = self.settings.with_base_url(base_url);
                self
            }

            /// Sets timeouts and retries.
            #[must_use]
            pub fn with_http(mut self, http: $crate::http::HttpConfig) -> Self {
                self.settings = self.settings.with_http(http);
                self
            }

            /// Sets the per-attempt timeout.
            #[must_use]
            pub fn with_timeout(mut self, timeout: ::std::time::Duration) -> Self {
                self.settings = self.settings.with_timeout(timeout);
                self
            }

            /// Sends through a `reqwest::Client` the caller built (sharing its pool).
            #[must_use]
            pub fn with_http_client(mut self, client: ::reqwest::Client) -> Self {
                self.settings = self.settings.with_http_client(client);
                self
            }

            /// Sets the webhook secret.
            #[must_use]
            pub fn with_webhook_secret(mut self, secret: ::secrecy::SecretString) -> Self {
                self.settings = self.settings.with_webhook_secret(secret);
                self
            }

            /// Accepts an earlier webhook secret too (during a rotation).
            #[must_use]
            pub fn with_previous_webhook_secret(mut self, secret: ::secrecy::SecretString) -> Self {
                self.settings = self.settings.with_previous_webhook_secret(secret);
                self
            }

            /// Sets the clock (tests).
            #[must_use]
            pub fn with_clock(
                mut self,
                clock: ::std::sync::Arc<dyn $crate::webhook::Clock>,
            ) -> Self {
                self.settings = self.settings.with_clock(clock);
                self
            }

            /// Refuses (`true`) rather than ignores a per-payout callback URL this provider
            /// cannot honour (see [`CallbackUrlSupport`]($crate::CallbackUrlSupport)).
            #[must_use]
            pub fn with_strict_callback_url(mut self, strict: bool) -> Self {
                self.settings = self.settings.with_strict_callback_url(strict);
                self
            }
        }
    };
}

/// Gives a config or a query its own builders, one line each after its docs:
/// `with_category(category: Category) => category = category;` makes a `#[must_use] pub fn`
/// that sets the field to the value and returns the builder.
macro_rules! setters {
    ($ty:ty {
        $($(#[$doc:meta])* $name:ident($arg:ident: $arg_ty:ty) => $field:ident = $value:expr;)*
    }) => {
        impl $ty {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $name(mut self, $arg: $arg_ty) -> Self {
                    self.$field = $value;
                    self
                }
            )*
        }
    };
}

/// Gives a token provider's config, which holds a `refresh_margin: Duration` field,
/// `with_refresh_margin`.
macro_rules! refresh_margin_builder {
    ($config:ty) => {
        impl $config {
            /// Sets the refresh margin: the access token is renewed when less than this is left
            /// of it.
            #[must_use]
            pub fn with_refresh_margin(mut self, margin: ::std::time::Duration) -> Self {
                self.refresh_margin = margin;
                self
            }
        }
    };
}

/// Gives a config that can confirm callbacks with its provider, which holds a
/// `confirm_callbacks: bool` field, `with_confirm_callbacks`.
macro_rules! confirm_callbacks_builder {
    ($config:ty) => {
        impl $config {
            /// Requires callbacks to be confirmed with the provider before they are trusted (see
            /// the config's `confirm_callbacks` field).
            #[must_use]
            pub fn with_confirm_callbacks(mut self, confirm: bool) -> Self {
                self.confirm_callbacks = confirm;
                self
            }
        }
    };
}

/// Gives an adapter's config `from_env` (documented at the call) and, for tests, `from_lookup`,
/// both reading the variables named `<PREFIX>_<NAME>` through [`EnvVars`] and the config's own
/// `fn from_vars(env: &EnvVars<'_>) -> Result<Self, Error>`.
macro_rules! from_env {
    ($(#[$doc:meta])* $config:ident, $prefix:literal) => {
        impl $config {
            $(#[$doc])*
            pub fn from_env() -> Result<$config, $crate::error::Error> {
                Self::from_lookup($crate::config::env_optional)
            }

            /// [`Self::from_env`], each variable looked up by its full name through `get`.
            pub(crate) fn from_lookup(
                get: impl Fn(&str) -> Result<Option<String>, $crate::error::Error>,
            ) -> Result<$config, $crate::error::Error> {
                Self::from_vars(&$crate::config::EnvVars::new($prefix, &get))
            }
        }
    };
}

/// [`require_secrets`] over the named secret fields of `$config` and then its webhook secret,
/// named `callback_secret`: `check_secrets!(config, "jpay": app_key, app_secret)`.
macro_rules! check_secrets {
    ($config:expr, $provider:literal: $($field:ident),+) => {
        $crate::config::require_secrets(
            $provider,
            &[
                $((::std::stringify!($field), &$config.$field),)+
                ("callback_secret", &$config.settings.webhook_secret),
            ],
        )
    };
}

/// Refuses a credential that is empty or only white space, naming it:
/// `"<provider>: <name> is empty"`. Nothing is sent with such a config.
pub(crate) fn require_secrets(
    provider: &str,
    secrets: &[(&str, &SecretString)],
) -> Result<(), Error> {
    use secrecy::ExposeSecret;
    match secrets
        .iter()
        .find(|(_, secret)| secret.expose_secret().trim().is_empty())
    {
        Some((name, _)) => Err(Error::config(format!("{provider}: {name} is empty"))),
        None => Ok(()),
    }
}

/// The per-payout callback tokens of a provider whose callbacks carry no signature of their own
/// (JPay, MTN MoMo): each callback URL carries a token made with the webhook secret, checked
/// against it and the earlier ones; with `confirm` on, a callback is only trusted once confirmed
/// with the provider.
pub(crate) struct CallbackTokens {
    /// Signs the callback token of each payout (pre-keyed with the callback secret).
    pub(crate) signer: crate::webhook::signature::HmacSigner,
    /// Checks a delivered token against the current and earlier secrets.
    pub(crate) verifier: HmacVerifier,
    /// Callbacks must be confirmed with the provider (`parse_webhook` refuses).
    pub(crate) confirm: bool,
}

impl CallbackTokens {
    /// The tokens of `settings`' webhook secrets; `confirm` from the config.
    pub(crate) fn new(settings: &ClientSettings, confirm: bool) -> CallbackTokens {
        CallbackTokens {
            signer: crate::webhook::signature::HmacSigner::new(&settings.webhook_secret),
            verifier: settings.webhook_verifier(),
            confirm,
        }
    }

    /// Refuses `parse_webhook` when callbacks must be confirmed; `operation` names the
    /// confirming method to use instead.
    pub(crate) fn refuse_unconfirmed(
        &self,
        provider: ProviderId,
        operation: &'static str,
    ) -> Result<(), Error> {
        if self.confirm {
            return Err(Error::unsupported(provider, operation));
        }
        Ok(())
    }
}

/// Reads a required environment variable as a secret.
pub fn env_secret(name: &str) -> Result<SecretString, Error> {
    env_string(name).map(SecretString::from)
}

/// Reads a required environment variable.
pub fn env_string(name: &str) -> Result<String, Error> {
    match env_optional(name)? {
        Some(value) => Ok(value),
        None => Err(Error::config(format!(
            "environment variable {name} is not set"
        ))),
    }
}

/// Reads an optional environment variable; empty counts as unset, non-UTF-8 is an error.
pub fn env_optional(name: &str) -> Result<Option<String>, Error> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::config(format!(
            "environment variable {name} is not valid UTF-8"
        ))),
    }
}

/// Looks up one variable by its full name (the environment, or a map in tests).
pub(crate) type Lookup<'a> = &'a dyn Fn(&str) -> Result<Option<String>, Error>;

/// One provider's variables, each named `<PREFIX>_<NAME>`: what every adapter's `from_env`
/// reads through, so the pattern is the same for all (see the module docs).
pub(crate) struct EnvVars<'a> {
    prefix: &'static str,
    get: Lookup<'a>,
}

impl<'a> EnvVars<'a> {
    /// The variables of the provider whose names start with `prefix` (`JPAY`, `MTN_MOMO`).
    pub(crate) fn new(prefix: &'static str, get: Lookup<'a>) -> EnvVars<'a> {
        EnvVars { prefix, get }
    }

    /// The full name of `name` (`BASE_URL` → `JPAY_BASE_URL`).
    pub(crate) fn name(&self, name: &str) -> String {
        format!("{}_{name}", self.prefix)
    }

    /// An optional variable; empty counts as unset.
    pub(crate) fn optional(&self, name: &str) -> Result<Option<String>, Error> {
        (self.get)(&self.name(name))
    }

    /// A required variable.
    pub(crate) fn required(&self, name: &str) -> Result<String, Error> {
        let full = self.name(name);
        (self.get)(&full)?
            .ok_or_else(|| Error::config(format!("environment variable {full} is not set")))
    }

    /// A required variable, as a secret.
    pub(crate) fn secret(&self, name: &str) -> Result<SecretString, Error> {
        self.required(name).map(SecretString::from)
    }

    /// The required secrets `names`, read in order, and then the shared settings
    /// ([`EnvVars::settings`]): what every adapter's `from_env` starts with.
    pub(crate) fn secrets_and_settings<const N: usize>(
        &self,
        names: [&str; N],
    ) -> Result<([SecretString; N], ClientSettings), Error> {
        let mut secrets = Vec::with_capacity(N);
        for name in names {
            secrets.push(self.secret(name)?);
        }
        let secrets = <[SecretString; N]>::try_from(secrets)
            .map_err(|_| Error::config("environment: a secret went missing while read"))?;
        Ok((secrets, self.settings()?))
    }

    /// The shared settings: `<P>_WEBHOOK_SECRET` (required; `<P>_CALLBACK_SECRET` is read when
    /// it is unset), `<P>_PREVIOUS_WEBHOOK_SECRET`, `<P>_BASE_URL` (`sandbox`, `live` or a URL;
    /// the sandbox when unset, so a missing variable never moves real money), `<P>_TIMEOUT_SECS`
    /// (the per-attempt timeout, in seconds, decimals allowed) and `<P>_STRICT_CALLBACK_URL`
    /// (`true` or `false`).
    pub(crate) fn settings(&self) -> Result<ClientSettings, Error> {
        let webhook_secret = match self.optional("WEBHOOK_SECRET")? {
            Some(secret) => secret,
            None => self.optional("CALLBACK_SECRET")?.ok_or_else(|| {
                Error::config(format!(
                    "environment variable {} is not set",
                    self.name("WEBHOOK_SECRET")
                ))
            })?,
        };
        let mut settings =
            ClientSettings::new(SecretString::from(webhook_secret), Environment::Sandbox);
        if let Some(previous) = self.optional("PREVIOUS_WEBHOOK_SECRET")? {
            settings = settings.with_previous_webhook_secret(SecretString::from(previous));
        }
        if let Some(base_url) = self.optional("BASE_URL")? {
            settings = settings.with_base_url(base_url);
        }
        if let Some(text) = self.optional("TIMEOUT_SECS")? {
            let timeout = text
                .parse::<f64>()
                .ok()
                .filter(|secs| *secs > 0.0)
                .and_then(|secs| Duration::try_from_secs_f64(secs).ok())
                .ok_or_else(|| {
                    Error::config(format!(
                        "{} must be a positive number of seconds, got {text:?}",
                        self.name("TIMEOUT_SECS")
                    ))
                })?;
            settings = settings.with_timeout(timeout);
        }
        if let Some(text) = self.optional("STRICT_CALLBACK_URL")? {
            let strict = match text.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => {
                    return Err(Error::config(format!(
                        "{} must be true or false, got {text:?}",
                        self.name("STRICT_CALLBACK_URL")
                    )));
                }
            };
            settings = settings.with_strict_callback_url(strict);
        }
        Ok(settings)
    }
}

/// Which of a provider's environments a client talks to.
///
/// Each adapter names its own URLs in a [`ProviderUrls`]; this enum only says which one.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Environment {
    /// The provider's public sandbox (the default: never real money by accident).
    #[default]
    Sandbox,
    /// The provider's live API: real money.
    Live,
    /// Any other base URL (the embedded sandbox, a mock server, a proxy), without a trailing slash.
    Custom(String),
}

/// A provider's sandbox and live base URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProviderUrls {
    /// The sandbox base URL.
    pub sandbox: &'static str,
    /// The live base URL.
    pub live: &'static str,
}

impl Environment {
    /// Reads `sandbox`, `live` or `production` (any case), or else takes the text as a base URL.
    pub fn parse(text: &str) -> Environment {
        let text = text.trim().trim_end_matches('/');
        if text.eq_ignore_ascii_case("sandbox") {
            Environment::Sandbox
        } else if text.eq_ignore_ascii_case("live") || text.eq_ignore_ascii_case("production") {
            Environment::Live
        } else {
            Environment::Custom(text.to_owned())
        }
    }

    /// The base URL this environment means for a provider with these URLs.
    pub fn base_url<'a>(&'a self, urls: &ProviderUrls) -> &'a str {
        match self {
            Environment::Sandbox => urls.sandbox,
            Environment::Live => urls.live,
            Environment::Custom(url) => url,
        }
    }

    /// True for the live environment, or a custom URL equal to the live one.
    pub fn is_live(&self, urls: &ProviderUrls) -> bool {
        self.base_url(urls) == urls.live
    }
}

pub(crate) use check_secrets;
pub(crate) use client_settings_builders;
pub(crate) use confirm_callbacks_builder;
pub(crate) use from_env;
pub(crate) use refresh_margin_builder;
pub(crate) use setters;

/// Looks variables up in `vars` instead of the environment (tests of `from_lookup`).
#[cfg(test)]
pub(crate) fn lookup_in(
    vars: std::collections::HashMap<&'static str, &'static str>,
) -> impl Fn(&str) -> Result<Option<String>, Error> {
    move |name: &str| Ok(vars.get(name).map(|v| (*v).to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const URLS: ProviderUrls = ProviderUrls {
        sandbox: "https://sandbox.example",
        live: "https://api.example",
    };

    #[test]
    fn environments_parse_and_resolve() {
        assert_eq!(Environment::parse(" LIVE "), Environment::Live);
        assert_eq!(Environment::parse("production"), Environment::Live);
        assert_eq!(Environment::parse("Sandbox"), Environment::Sandbox);
        assert_eq!(
            Environment::parse("http://127.0.0.1:9/"),
            Environment::Custom("http://127.0.0.1:9".into())
        );
        assert_eq!(
            Environment::default().base_url(&URLS),
            "https://sandbox.example"
        );
        assert_eq!(Environment::Live.base_url(&URLS), "https://api.example");
        assert!(Environment::Custom("https://api.example".into()).is_live(&URLS));
        assert!(!Environment::Sandbox.is_live(&URLS));
    }
}
