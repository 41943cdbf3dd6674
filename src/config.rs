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
