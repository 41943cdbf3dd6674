//! HTTP Basic auth with the test keys: publishable key as the user, secret key as the password.

use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;

use super::types::PAYONIFY_CREDENTIALS;
use super::wire::{AUTHENTICATION, BAD_KEY, error};
use crate::sandbox::respond::header;

pub(crate) const NO_KEY: &str = "You did not provide an API key. Use HTTP Basic auth with your \
publishable key as the user name and your secret key as the password.";

/// `Ok(())` or the 401 `authentication_error`.
pub(crate) fn authorize(headers: &HeaderMap) -> Result<(), Response> {
    let Some(value) = header(headers, "authorization") else {
        return Err(error(
            StatusCode::UNAUTHORIZED,
            AUTHENTICATION,
            Some("missing_api_key"),
            NO_KEY,
            None,
        ));
    };
    let decoded = value
        .trim()
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, b64)| {
            base64::engine::general_purpose::STANDARD
                .decode(b64.trim())
                .ok()
        })
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let expected = format!(
        "{}:{}",
        PAYONIFY_CREDENTIALS.publishable_key, PAYONIFY_CREDENTIALS.secret_key
    );
    if decoded.as_deref() == Some(expected.as_str()) {
        Ok(())
    } else {
        Err(error(
            StatusCode::UNAUTHORIZED,
            AUTHENTICATION,
            Some("invalid_api_key"),
            BAD_KEY,
            None,
        ))
    }
}
