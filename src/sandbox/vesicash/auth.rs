//! The `public-key` and `secret-key` header check.

use axum::http::{HeaderMap, StatusCode};

use super::types::VESICASH_CREDENTIALS;
use super::wire::{INVALID_PUBLIC_KEY, INVALID_SECRET_KEY, error};
use crate::sandbox::respond::header;

/// Checks the public key, and the secret key when `secret` is true. `Ok(())` or the 401 answer.
pub(crate) fn authorize(headers: &HeaderMap, secret: bool) -> Result<(), axum::response::Response> {
    if header(headers, "public-key") != Some(VESICASH_CREDENTIALS.public_key) {
        return Err(error(StatusCode::UNAUTHORIZED, INVALID_PUBLIC_KEY));
    }
    if secret && header(headers, "secret-key") != Some(VESICASH_CREDENTIALS.secret_key) {
        return Err(error(StatusCode::UNAUTHORIZED, INVALID_SECRET_KEY));
    }
    Ok(())
}
