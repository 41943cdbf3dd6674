//! Small helpers every adapter's configuration uses: reading the environment and base URLs.

use secrecy::SecretString;

use crate::error::Error;

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
