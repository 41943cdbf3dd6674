//! What every adapter's configuration shares: [`ClientSettings`] (base URL or environment,
//! timeouts and retries, a caller's `reqwest::Client`, webhook secrets current and previous, the
//! clock) with one set of builders, and the helpers that read the environment.
//!
//! An adapter's config holds a `settings: ClientSettings` beside what only it knows, and
//! a crate-internal macro gives it the shared builder
//! names (`with_environment`, `with_base_url`, `with_http`, `with_timeout`, `with_http_client`,
//! `with_webhook_secret`, `with_previous_webhook_secret`, `with_clock`), each written once here.

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
            .field("webhook_secret", &format_args!("** redacted **"))
            .field(
                "previous_webhook_secrets",
                &format_args!("[{} redacted]", self.previous_webhook_secrets.len()),
            )
            .field("clock", &self.clock)
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
            /// Sets the environment .
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
        }
    };
}

/// Reads a required environment variable as a secret.
pub fn env_secret(name: &'static str) -> Result<SecretString, Error> {
    env_string(name).map(SecretString::from)
}

/// Reads a required environment variable.
pub fn env_string(name: &'static str) -> Result<String, Error> {
    match env_optional(name)? {
        Some(value) => Ok(value),
        None => Err(Error::config(format!(
            "environment variable {name} is not set"
        ))),
    }
}

/// Reads an optional environment variable; empty counts as unset, non-UTF-8 is an error.
pub fn env_optional(name: &'static str) -> Result<Option<String>, Error> {
    match std::env::var(name) {
        Ok(value) if value.trim().is_empty() => Ok(None),
        Ok(value) => Ok(Some(value.trim().to_owned())),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::config(format!(
            "environment variable {name} is not valid UTF-8"
        ))),
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

pub(crate) use client_settings_builders;

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
