//! MTN MoMo auth: `POST /disbursement/token/` (Basic `apiUser:apiKey` and the subscription key,
//! no body), and on every other call the subscription key, the Bearer token and the
//! `X-Target-Environment`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use serde::Serialize;
use tokio::time::Instant;

use super::types::DEFAULT_MTN_MOMO_TOKEN_LIFETIME;
use super::types::MTN_MOMO_CREDENTIALS;
use super::wire::{BAD_SUBSCRIPTION_KEY, error, gateway, rejected};
use crate::model::ProviderId;
use crate::money::Currency;
use crate::providers::mtn_momo::TargetEnvironment;
use crate::sandbox::respond::{Reply, finish, header, json};
use crate::sandbox::state::Shared;

/// Issued access tokens and when each expires.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    access: HashMap<String, Instant>,
}

impl TokenStore {
    fn add(&mut self, token: String, until: Instant) {
        let now = Instant::now();
        self.access.retain(|_, t| *t > now);
        self.access.insert(token, until);
    }

    fn valid(&self, token: &str) -> bool {
        self.access.get(token).is_some_and(|t| *t > Instant::now())
    }

    /// Every token issued so far stops working now.
    pub(crate) fn expire(&mut self) {
        self.access.clear();
    }
}

#[derive(Serialize)]
struct TokenAnswer {
    access_token: String,
    token_type: &'static str,
    expires_in: u64,
}

fn subscription_ok(headers: &HeaderMap) -> Result<(), Response> {
    match header(headers, "ocp-apim-subscription-key") {
        Some(key) if key == MTN_MOMO_CREDENTIALS.subscription_key => Ok(()),
        _ => Err(gateway(StatusCode::UNAUTHORIZED, BAD_SUBSCRIPTION_KEY)),
    }
}

/// `POST /disbursement/token/`.
pub(crate) async fn token(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(token_reply(&shared, &headers, &body))
}

fn token_reply(shared: &Shared, headers: &HeaderMap, body: &[u8]) -> Reply {
    subscription_ok(headers)?;
    if !body.is_empty() {
        return Err(rejected("The token request must not have a body."));
    }
    let expected = format!(
        "{}:{}",
        MTN_MOMO_CREDENTIALS.api_user, MTN_MOMO_CREDENTIALS.api_key
    );
    let basic = header(headers, "authorization")
        .and_then(|v| v.trim().strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        });
    if basic.as_deref() != Some(expected.as_bytes()) {
        #[derive(Serialize)]
        struct Refused {
            error: &'static str,
        }
        return Err(json(
            StatusCode::UNAUTHORIZED,
            &Refused {
                error: "login_failed",
            },
        ));
    }
    let lifetime = shared
        .settings
        .token_lifetime(ProviderId::MTN_MOMO, DEFAULT_MTN_MOMO_TOKEN_LIFETIME);
    let mut inner = shared.lock();
    let access = format!(
        "eyJ0eXAiOiJKV1QiLCJhbGciOiJSMjU2In0.{}",
        inner.random_alnum(48)
    );
    inner
        .own::<TokenStore>()
        .add(access.clone(), Instant::now() + lifetime);
    Ok(json(
        StatusCode::OK,
        &TokenAnswer {
            access_token: access,
            token_type: "access_token",
            expires_in: lifetime.as_secs(),
        },
    ))
}

/// The checks of every product call; the target environment's currency.
pub(crate) fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<Currency, Response> {
    subscription_ok(headers)?;
    let token = header(headers, "authorization").and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    match token {
        Some(t) if shared.lock().own::<TokenStore>().valid(t) => {}
        _ => {
            return Err(gateway(
                StatusCode::UNAUTHORIZED,
                "Access token is missing, invalid or expired.",
            ));
        }
    }
    let target = header(headers, "x-target-environment")
        .and_then(TargetEnvironment::parse)
        .ok_or_else(|| {
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "NOT_ALLOWED_TARGET_ENVIRONMENT",
                "Access to target environment is forbidden.",
            )
        })?;
    Ok(target.currency())
}
