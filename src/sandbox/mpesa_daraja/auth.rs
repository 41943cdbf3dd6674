//! `GET /oauth/v1/generate?grant_type=client_credentials` (Basic consumer key and secret), the
//! Bearer check of every other call, and the SecurityCredential check (the initiator password
//! decrypted with the sandbox's private key).

use std::time::Instant;

use aws_lc_rs::rsa::{Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use serde_json::json;

use super::types::{DEFAULT_MPESA_DARAJA_TOKEN_LIFETIME, MPESA_DARAJA_CREDENTIALS};
use super::wire::{error, invalid_token};
use crate::model::ProviderId;
use crate::sandbox::respond::{Reply, finish, header, json};
use crate::sandbox::state::Shared;
use std::sync::Arc;

/// The private key of the sandbox's certificate (`fixtures/mpesa_daraja/keys/`, test-only).
const PRIVATE_KEY_PEM: &str =
    include_str!("../../../fixtures/mpesa_daraja/keys/test_private_key.pem");

/// Issued tokens. With `single` on (the portal's rule, [`Sandbox::mpesa_daraja_single_token`]),
/// only the newest is valid.
///
/// [`Sandbox::mpesa_daraja_single_token`]: crate::sandbox::Sandbox::mpesa_daraja_single_token
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    tokens: Vec<(String, Instant)>,
    pub(crate) single: bool,
    pub(crate) issued: u32,
}

impl TokenStore {
    fn add(&mut self, token: String, expires: Instant) {
        let now = Instant::now();
        if self.single {
            self.tokens.clear();
        }
        self.tokens.retain(|(_, until)| *until > now);
        self.tokens.push((token, expires));
        self.issued += 1;
    }

    fn valid(&self, token: &str) -> bool {
        let now = Instant::now();
        self.tokens
            .iter()
            .any(|(t, until)| t == token && *until > now)
    }

    pub(crate) fn expire(&mut self) {
        self.tokens.clear();
    }
}

pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    finish(issue(&shared, query.as_deref(), &headers))
}

fn issue(shared: &Shared, query: Option<&str>, headers: &HeaderMap) -> Reply {
    let grant = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "grant_type")
        .map(|(_, value)| value.into_owned());
    if grant.as_deref() != Some("client_credentials") {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "400.008.02",
            "Invalid grant type passed",
        ));
    }
    let Some(basic) = header(headers, "authorization").and_then(|v| v.strip_prefix("Basic "))
    else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "400.008.01",
            "Invalid Authentication passed",
        ));
    };
    let expected = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        MPESA_DARAJA_CREDENTIALS.consumer_key, MPESA_DARAJA_CREDENTIALS.consumer_secret
    ));
    if basic.trim() != expected {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "400.008.01",
            "Invalid Authentication passed",
        ));
    }
    let lifetime = shared.settings.token_lifetime(
        ProviderId::MPESA_DARAJA,
        DEFAULT_MPESA_DARAJA_TOKEN_LIFETIME,
    );
    let mut inner = shared.lock();
    let access = inner.random_alnum(28);
    inner
        .own::<TokenStore>()
        .add(access.clone(), Instant::now() + lifetime);
    // `expires_in` as a numeric string, the form the SDKs guard against.
    Ok(json(
        StatusCode::OK,
        &json!({"access_token": access, "expires_in": lifetime.as_secs().to_string()}),
    ))
}

/// A valid `Authorization: Bearer` token, else `404.001.03` "Invalid Access Token".
pub(crate) fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    match header(headers, "authorization").and_then(|v| v.strip_prefix("Bearer ")) {
        Some(t) if shared.lock().own::<TokenStore>().valid(t.trim()) => Ok(()),
        _ => Err(invalid_token()),
    }
}

/// Whether a SecurityCredential is the sandbox initiator's password encrypted (RSA PKCS#1 v1.5)
/// under the sandbox certificate, base64.
pub(crate) fn credential_valid(credential: &str) -> bool {
    decrypt(credential).as_deref() == Some(MPESA_DARAJA_CREDENTIALS.initiator_password)
}

fn decrypt(credential: &str) -> Option<String> {
    let b64: String = PRIVATE_KEY_PEM
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
    let key = Pkcs1PrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&der).ok()?).ok()?;
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(credential.trim())
        .ok()?;
    let mut out = vec![0u8; key.min_output_size()];
    let plain = key.decrypt(&sealed, &mut out).ok()?;
    String::from_utf8(plain.to_vec()).ok()
}
