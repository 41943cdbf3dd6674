//! JPay auth: `POST /auth/app/token`, `POST /auth/refresh`, and the Bearer check on every other
//! call. Access tokens live for the configured lifetime (15 minutes by default), refresh tokens 7
//! days; a refresh issues a new pair and leaves the old refresh token valid until it expires.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::types::JPAY_CREDENTIALS;
use super::types::{DEFAULT_JPAY_TOKEN_LIFETIME, JPAY_REFRESH_LIFETIME};
use super::wire::{
    CREDENTIALS_REQUIRED, INVALID_CREDENTIALS, INVALID_TOKEN, JSON_PARSE, REFRESH_REQUIRED, bad,
    detail,
};
use crate::model::ProviderId;
use crate::sandbox::respond::{Reply, finish, header, json};
use crate::sandbox::state::Shared;

/// The merchant id the token call reports.
pub(crate) const MERCHANT_ID: &str = "MCH-SANDBOX-0001";

/// Issued tokens and when each expires.
#[derive(Debug, Default)]
pub(crate) struct TokenStore {
    access: HashMap<String, Instant>,
    refresh: HashMap<String, Instant>,
}

impl TokenStore {
    fn add(
        &mut self,
        access: String,
        access_until: Instant,
        refresh: String,
        refresh_until: Instant,
    ) {
        let now = Instant::now();
        self.access.retain(|_, until| *until > now);
        self.refresh.retain(|_, until| *until > now);
        self.access.insert(access, access_until);
        self.refresh.insert(refresh, refresh_until);
    }

    fn access_valid(&self, token: &str) -> bool {
        self.access
            .get(token)
            .is_some_and(|until| *until > Instant::now())
    }

    fn refresh_valid(&self, token: &str) -> bool {
        self.refresh
            .get(token)
            .is_some_and(|until| *until > Instant::now())
    }

    /// Every access token issued so far stops working now.
    pub(crate) fn expire_access(&mut self) {
        self.access.clear();
    }

    /// Every refresh token issued so far stops working now.
    pub(crate) fn expire_refresh(&mut self) {
        self.refresh.clear();
    }
}

#[derive(Deserialize)]
struct AppTokenBody {
    app_key: Option<String>,
    app_secret: Option<String>,
}

#[derive(Serialize)]
struct TokenPair {
    access: String,
    refresh: String,
    merchant_id: &'static str,
    app_code: u32,
    products: [&'static str; 2],
}

#[derive(Deserialize)]
struct RefreshBody {
    refresh: Option<String>,
}

#[derive(Serialize)]
struct Refreshed {
    access: String,
    refresh: String,
}

/// Issues a new access and refresh token.
fn issue(shared: &Shared) -> (String, String) {
    let mut inner = shared.lock();
    let access = format!("jpay_at_{}", inner.random_hex(40));
    let refresh = format!("jpay_rt_{}", inner.random_hex(40));
    let now = Instant::now();
    inner.own::<TokenStore>().add(
        access.clone(),
        now + shared
            .settings
            .token_lifetime(ProviderId::JPAY, DEFAULT_JPAY_TOKEN_LIFETIME),
        refresh.clone(),
        now + JPAY_REFRESH_LIFETIME,
    );
    (access, refresh)
}

/// `POST /auth/app/token {app_key, app_secret}`.
pub(crate) async fn app_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    finish(app_token_reply(&shared, &body))
}

fn app_token_reply(shared: &Shared, body: &[u8]) -> Reply {
    let req: AppTokenBody = serde_json::from_slice(body).map_err(|_| bad(JSON_PARSE))?;
    let (Some(key), Some(secret)) = (req.app_key, req.app_secret) else {
        return Err(bad(CREDENTIALS_REQUIRED));
    };
    if key != JPAY_CREDENTIALS.app_key || secret != JPAY_CREDENTIALS.app_secret {
        return Err(detail(StatusCode::UNAUTHORIZED, INVALID_CREDENTIALS));
    }
    let (access, refresh) = issue(shared);
    Ok(json(
        StatusCode::OK,
        &TokenPair {
            access,
            refresh,
            merchant_id: MERCHANT_ID,
            app_code: JPAY_CREDENTIALS.app_code,
            products: ["payouts", "collections"],
        },
    ))
}

/// `POST /auth/refresh {refresh}`.
pub(crate) async fn refresh(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    finish(refresh_reply(&shared, &body))
}

fn refresh_reply(shared: &Shared, body: &[u8]) -> Reply {
    let req: RefreshBody = serde_json::from_slice(body).map_err(|_| bad(JSON_PARSE))?;
    let token = req.refresh.ok_or_else(|| bad(REFRESH_REQUIRED))?;
    if !shared.lock().own::<TokenStore>().refresh_valid(&token) {
        return Err(detail(StatusCode::UNAUTHORIZED, INVALID_TOKEN));
    }
    let (access, refresh) = issue(shared);
    Ok(json(StatusCode::OK, &Refreshed { access, refresh }))
}

/// The Bearer check: `Ok(())` or 401 `{"detail": "Invalid or expired token"}`.
pub(crate) fn authorize(shared: &Shared, headers: &HeaderMap) -> Result<(), Response> {
    let token = header(headers, "authorization").and_then(|value| {
        let (scheme, token) = value.trim().split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    });
    match token {
        Some(t) if shared.lock().own::<TokenStore>().access_valid(t) => Ok(()),
        _ => Err(detail(StatusCode::UNAUTHORIZED, INVALID_TOKEN)),
    }
}
