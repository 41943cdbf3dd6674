//! JPay's token lifecycle: issue, refresh ahead of expiry, renew after a 401, single flight.
//!
//! - `POST /auth/app/token` `{app_key, app_secret}` issues an access token (15 minutes) and a
//!   refresh token (7 days), with the app's `app_code` and `products`.
//! - `POST /auth/refresh` `{refresh}` issues a new access token (and possibly a new refresh token).
//!   When JPay rejects the refresh token (a 4xx answer), a new token is issued instead.
//! - Caching, the single flight, the published snapshot and renewal after a 401 are the shared
//!   token cache's ([`crate::access_token`]); this module is JPay's [`TokenSource`]: which
//!   request to make and how to read the answer.
//! - Lifetimes are the documented ones, shortened when the token is a JWT whose `exp - iat` says
//!   less, and measured on the configured clock from the moment the token request was sent. A
//!   token is renewed when less than the refresh margin is left (at most half its lifetime, so a
//!   token shorter than the margin is still used once before it is renewed).
//! - After a 401 on a call, the cache renews once, unless the token the call was signed with has
//!   been replaced since (a concurrent caller renewed): then the call is repeated with the current
//!   token. A renewed token rejected again is renewed again.
//! - Tokens are held as `SecretString`; no `Debug`, log or error shows them (a token response that
//!   fails to decode gives an error without a body snippet).

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use reqwest::StatusCode;
use secrecy::{ExposeSecret, SecretString};

use super::wire::{self, RefreshRequest, TokenRequest, TokenResponse};
use crate::access_token::{self, Token, TokenCallHooks, TokenRequester, TokenSource};
use crate::error::{AuthFailure, Error};
use crate::http::{Call, Idempotency, credential_header};
use crate::model::ProviderId;

/// How long an access token lives, as documented.
pub(super) const ACCESS_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long a refresh token lives, as documented.
pub(super) const REFRESH_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What comes with a JPay access token.
pub(crate) struct Session {
    pub(crate) refresh: Option<SecretString>,
    /// Unix second from which the refresh token is no longer used.
    pub(crate) refresh_until: i64,
    pub(crate) app_code: Option<u64>,
    pub(crate) products: Option<Vec<String>>,
}

/// JPay's tokens, cached by the shared manager.
pub(super) type TokenManager = access_token::TokenManager<JpayTokens>;

/// Bearer auth from the token manager; JPay's error bodies.
pub(super) type JpayHooks = access_token::BearerHooks<JpayTokens, access_token::ErrorTable>;

/// How JPay issues and refreshes tokens. See the module docs.
pub(super) struct JpayTokens {
    pub(super) app_key: SecretString,
    pub(super) app_secret: SecretString,
}

#[async_trait]
impl TokenSource for JpayTokens {
    type Extra = Session;

    fn label(&self) -> &'static str {
        "JPay"
    }

    /// Refreshes when a refresh token is usable, else (or when JPay rejects it) issues a new
    /// token.
    async fn request(
        &self,
        requester: &TokenRequester<'_>,
        current: Option<&Token<Session>>,
    ) -> Result<Token<Session>, Error> {
        if let Some(current) = current
            && let Some(refresh) = &current.extra.refresh
            && requester.now() < current.extra.refresh_until
        {
            match self.request_refresh(requester, refresh).await {
                Ok(fresh) => return Ok(merge(fresh, &current.extra)),
                Err(e @ (Error::Auth { .. } | Error::Rejected { .. })) => {
                    tracing::info!(error = %e, "JPay refused the refresh token; requesting a new token");
                }
                Err(e) => return Err(e),
            }
        }
        self.request_token(requester).await
    }

    fn debug_extra(&self, extra: &Session, out: &mut fmt::DebugStruct<'_, '_>) {
        out.field("app_code", &extra.app_code)
            .field("products", &extra.products);
    }
}

impl JpayTokens {
    async fn request_token(&self, requester: &TokenRequester<'_>) -> Result<Token<Session>, Error> {
        let body = TokenRequest {
            app_key: self.app_key.expose_secret(),
            app_secret: self.app_secret.expose_secret(),
        };
        // Issuing a token moves no money and may be repeated freely: a read for the retry policy.
        let call = Call::post_json("issue_token", "/auth/app/token", &body, Idempotency::Read)?;
        let (reply, sent) = requester
            .send(&hooks(AuthFailure::InvalidCredentials), &call)
            .await?;
        token_answer(
            &call,
            reply.status,
            &reply.body,
            sent,
            requester.margin(),
            None,
        )
    }

    async fn request_refresh(
        &self,
        requester: &TokenRequester<'_>,
        refresh: &SecretString,
    ) -> Result<Token<Session>, Error> {
        let body = RefreshRequest {
            refresh: refresh.expose_secret(),
        };
        let call = Call::post_json("refresh_token", "/auth/refresh", &body, Idempotency::Read)?;
        let (reply, sent) = requester
            .send(&hooks(AuthFailure::TokenExpired), &call)
            .await?;
        token_answer(
            &call,
            reply.status,
            &reply.body,
            sent,
            requester.margin(),
            Some(refresh),
        )
    }
}

/// Hooks for the token endpoints: no authorization, and a 400 or 401 is an auth failure of
/// `on_refusal`.
fn hooks(on_refusal: AuthFailure) -> TokenCallHooks {
    TokenCallHooks {
        provider: ProviderId::JPAY,
        headers: Vec::new(),
        refusals: &[400, 401],
        kind: on_refusal,
        message: |body| wire::error_text(body).0,
        fallback: wire::map_error,
    }
}

/// Reads a 2xx answer to a token call (sent at Unix second `sent`) without ever putting its body
/// into an error.
pub(crate) fn token_answer(
    call: &Call,
    status: StatusCode,
    body: &[u8],
    sent: i64,
    margin: Duration,
    previous_refresh: Option<&SecretString>,
) -> Result<Token<Session>, Error> {
    let response = access_token::decode::<TokenResponse>(ProviderId::JPAY, call, status, body)?;
    if response.access.trim().is_empty() {
        return Err(access_token::withheld(
            ProviderId::JPAY,
            StatusCode::OK,
            "the token response has an empty access token",
        ));
    }
    let renewal = |sent, lifetime| access_token::renewal_point(sent, lifetime, margin);
    let renew_at = renewal(sent, lifetime(&response.access, ACCESS_LIFETIME));
    let (refresh, refresh_until) = match response.refresh.filter(|r| !r.trim().is_empty()) {
        Some(refresh) => {
            let until = renewal(sent, lifetime(&refresh, REFRESH_LIFETIME));
            (Some(SecretString::from(refresh)), until)
        }
        // Refreshed without rotation: the old refresh token stays. Its expiry is not known
        // better than "it worked just now", so it is kept for at most a documented lifetime.
        None => (previous_refresh.cloned(), renewal(sent, REFRESH_LIFETIME)),
    };
    Ok(Token {
        authorization: credential_header(&format!("Bearer {}", response.access)),
        renew_at,
        extra: Session {
            refresh,
            refresh_until,
            app_code: response.app_code,
            products: response.products.as_ref().and_then(wire::product_names),
        },
    })
}

/// A refresh answer may carry only `access`: keep what it leaves out from the previous tokens.
fn merge(mut fresh: Token<Session>, previous: &Session) -> Token<Session> {
    if fresh.extra.app_code.is_none() {
        fresh.extra.app_code = previous.app_code;
    }
    if fresh.extra.products.is_none() {
        fresh.extra.products = previous.products.clone();
    }
    fresh
}

/// The documented lifetime, shortened when the token is a JWT that says it lives less: by
/// `exp - iat` when both are present (immune to clock skew). A JWT without `iat` is not read: its
/// `exp` would have to be compared with this machine's clock.
fn lifetime(token: &str, documented: Duration) -> Duration {
    jwt_lifetime(token).map_or(documented, |l| l.min(documented))
}

fn jwt_lifetime(token: &str) -> Option<Duration> {
    #[derive(serde::Deserialize)]
    struct Claims {
        exp: Option<i64>,
        iat: Option<i64>,
    }
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    let claims: Claims = serde_json::from_slice(&bytes).ok()?;
    let secs = claims.exp?.saturating_sub(claims.iat?).max(0);
    Some(Duration::from_secs(u64::try_from(secs).unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let enc = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!(
            "{}.{}.sig",
            enc(r#"{"alg":"HS256","typ":"JWT"}"#),
            enc(claims)
        )
    }

    #[test]
    fn lifetime_is_documented_unless_the_jwt_says_less() {
        assert_eq!(lifetime("opaque-token", ACCESS_LIFETIME), ACCESS_LIFETIME);
        let short = jwt(r#"{"exp": 1712932275, "iat": 1712932245}"#);
        assert_eq!(lifetime(&short, ACCESS_LIFETIME), Duration::from_secs(30));
        let long = jwt(r#"{"exp": 1712999999, "iat": 1712932245}"#);
        assert_eq!(lifetime(&long, ACCESS_LIFETIME), ACCESS_LIFETIME);
        let backwards = jwt(r#"{"exp": 1000, "iat": 2000}"#);
        assert_eq!(lifetime(&backwards, ACCESS_LIFETIME), Duration::ZERO);
        let no_iat = jwt(r#"{"exp": 1000}"#);
        assert_eq!(lifetime(&no_iat, ACCESS_LIFETIME), ACCESS_LIFETIME);
        assert_eq!(lifetime("a.!!!.c", ACCESS_LIFETIME), ACCESS_LIFETIME);
    }
}
