//! Daraja's OAuth token: `GET /oauth/v1/generate?grant_type=client_credentials` with Basic auth
//! (consumer key and secret) → `{access_token, expires_in}`.
//!
//! - `expires_in` is read as a number or a numeric string (the SDKs disagree; see `wire::Code`).
//! - One token per client, behind one `tokio::sync::Mutex` held across the request: concurrent
//!   callers on a cold or expiring client wait for the first one's request and share its token
//!   (100 simultaneous payouts, one token request). The portal says a new token invalidates the
//!   previous one, so a token is never fetched while the current one is good.
//! - It is renewed when less than the refresh margin (at most half its lifetime) is left,
//!   measured on the configured clock from the moment the request was sent.
//! - After a refusal (`404.001.03` and its siblings, or a 401), it is renewed once; callers
//!   whose refusal arrives while another renewal runs, or within seconds after one, reuse it.
//! - The token is a `SecretString`; no `Debug`, log or error shows it.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::PROVIDER;
use super::wire::{self, TokenAnswer};
use crate::error::{AuthFailure, Error};
use crate::http::{Call, HttpClient, ProviderHooks, credential_header};
use crate::webhook::Clock;

/// The path of the token call.
pub(crate) const TOKEN_PATH: &str = "/oauth/v1/generate";

struct Token {
    /// `Bearer <token>`, marked sensitive.
    authorization: HeaderValue,
    /// Unix second from which the token is renewed before use.
    renew_at: i64,
}

/// Owns the client's token. See the module docs.
pub(crate) struct TokenManager {
    http: HttpClient,
    /// `Basic base64(key:secret)`, marked sensitive.
    basic: HeaderValue,
    margin: Duration,
    clock: Arc<dyn Clock>,
    state: Mutex<Option<Token>>,
    /// Bumped on every new token, read without the lock by callers about to renew.
    generation: AtomicU64,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("TokenManager");
        s.field("margin", &self.margin);
        match self.state.try_lock() {
            Ok(state) => match &*state {
                Some(t) => s
                    .field("token", &"** redacted **")
                    .field("renew_in_secs", &(t.renew_at - self.clock.now_unix())),
                None => s.field("token", &"none"),
            },
            Err(_) => s.field("token", &"being renewed"),
        };
        s.finish()
    }
}

impl TokenManager {
    pub(crate) fn new(
        http: HttpClient,
        consumer_key: &SecretString,
        consumer_secret: &SecretString,
        margin: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<TokenManager, Error> {
        use base64::Engine as _;
        let pair = format!(
            "{}:{}",
            consumer_key.expose_secret(),
            consumer_secret.expose_secret()
        );
        let basic = credential_header(&format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        ))
        .ok_or_else(|| Error::config("mpesa_daraja: the consumer key or secret is not valid"))?;
        Ok(TokenManager {
            http,
            basic,
            margin,
            clock,
            state: Mutex::new(None),
            generation: AtomicU64::new(0),
        })
    }

    /// The `Authorization` value of the current token, fetched first when missing or due.
    pub(crate) async fn authorization(&self) -> Result<HeaderValue, Error> {
        let mut state = self.state.lock().await;
        if let Some(token) = &*state
            && self.clock.now_unix() < token.renew_at
        {
            return Ok(token.authorization.clone());
        }
        let token = self.fetch().await?;
        let out = token.authorization.clone();
        *state = Some(token);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(out)
    }

    /// Renews the token after Daraja refused it, unless another caller renewed it since the
    /// refused call was signed. `refused` is the `Authorization` header Daraja refused: what
    /// decides is the token the call was signed with, not the one current when the refusal
    /// arrives nor how recent the last renewal is (the bug JPay's manager had, issue 19).
    pub(crate) async fn renew_after_refusal(
        &self,
        refused: Option<&HeaderValue>,
    ) -> Result<(), Error> {
        let mut state = self.state.lock().await;
        if let (Some(token), Some(refused)) = (state.as_ref(), refused)
            && token.authorization != *refused
        {
            return Ok(());
        }
        let token = self.fetch().await?;
        *state = Some(token);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    async fn fetch(&self) -> Result<Token, Error> {
        let call = Call::get("issue_token", TOKEN_PATH).query("grant_type", "client_credentials");
        let hooks = TokenHooks {
            basic: self.basic.clone(),
        };
        let sent = self.clock.now_unix();
        let reply = self.http.send(&hooks, &call).await?;
        let answer =
            serde_json::from_slice::<TokenAnswer>(&reply.body).map_err(|e| Error::Decode {
                provider: PROVIDER,
                status: reply.status.as_u16(),
                snippet: "(token response withheld)".to_owned(),
                source: format!(
                    "not a token response ({:?} at line {} column {})",
                    e.classify(),
                    e.line(),
                    e.column()
                )
                .into(),
            })?;
        let undecodable = |why: &str| Error::Decode {
            provider: PROVIDER,
            status: reply.status.as_u16(),
            snippet: "(token response withheld)".to_owned(),
            source: why.to_owned().into(),
        };
        let lifetime = answer
            .expires_in
            .as_str()
            .parse::<u64>()
            .map_err(|_| undecodable("expires_in is not a whole number of seconds"))?;
        let token = answer.access_token.trim();
        if token.is_empty() {
            return Err(undecodable("the access token is empty"));
        }
        let authorization = credential_header(&format!("Bearer {token}"))
            .ok_or_else(|| undecodable("the access token is not a header value"))?;
        Ok(Token {
            authorization,
            renew_at: renewal_point(sent, Duration::from_secs(lifetime), self.margin),
        })
    }
}

/// The Unix second from which a token issued at `sent` and living `lifetime` is renewed: `margin`
/// before it expires, but no earlier than half-way through its life.
pub(crate) fn renewal_point(sent: i64, lifetime: Duration, margin: Duration) -> i64 {
    let early = margin.min(lifetime / 2);
    let usable = lifetime.saturating_sub(early).as_secs();
    sent.saturating_add(i64::try_from(usable).unwrap_or(i64::MAX))
}

/// Basic auth, and a refusal is an auth failure.
struct TokenHooks {
    basic: HeaderValue,
}

#[async_trait]
impl ProviderHooks for TokenHooks {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        headers.insert(AUTHORIZATION, self.basic.clone());
        Ok(())
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        match status.as_u16() {
            400 | 401 | 403 => Error::Auth {
                provider: PROVIDER,
                status: Some(status.as_u16()),
                kind: AuthFailure::InvalidCredentials,
                message: wire::error_text(body).1,
            },
            _ => wire::map_error(status, body),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renewal_is_a_margin_early_but_never_before_half_life() {
        let minute = Duration::from_secs(60);
        assert_eq!(
            renewal_point(1000, Duration::from_secs(3599), minute),
            1000 + 3539
        );
        assert_eq!(renewal_point(1000, Duration::from_secs(30), minute), 1015);
        assert_eq!(renewal_point(1000, Duration::ZERO, minute), 1000);
    }
}
