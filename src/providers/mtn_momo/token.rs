//! MTN MoMo's access token: `POST /disbursement/token/` with Basic auth, cached, shared by
//! concurrent callers, renewed ahead of expiry and once after a 401.
//!
//! - One `tokio::sync::Mutex` is held across the token request: callers on a cold or expiring
//!   client wait for the first one's request and reuse its token, so a burst of 100 payouts
//!   makes one token request. The current token is also published under a `std::sync::RwLock`,
//!   so a token that is not due is read without queueing on the mutex.
//! - A token lives `expires_in` seconds (3600 documented; 3600 when absent), measured on the
//!   configured clock from the moment the request was sent, and is renewed when less than the
//!   margin is left (MTN advises ten minutes; at most half the lifetime).
//! - After a 401 on a call, [`TokenManager::renew_after_rejection`] renews once; callers whose
//!   401 arrives while another renewal runs, or within 5 seconds after one, reuse it.
//! - The token is a sensitive header value; no `Debug`, log or error shows it (a token answer
//!   that fails to decode gives an error without a body snippet).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::wire::{self, TokenResponse};
use super::{PROVIDER, SUBSCRIPTION_KEY_HEADER};
use crate::error::{AuthFailure, Error};
use crate::http::{Call, HttpClient, Idempotency, ProviderHooks, credential_header};
use crate::webhook::Clock;

/// The documented token lifetime, used when the answer has no `expires_in`.
pub(super) const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// The token path (the trailing slash is in every official sample).
pub(super) const TOKEN_PATH: &str = "/disbursement/token/";

/// A token ready to be sent.
struct Token {
    /// `Bearer <access_token>`, sensitive.
    authorization: HeaderValue,
    /// Unix second from which it is renewed before use.
    renew_at: i64,
}

#[derive(Default)]
struct State {
    token: Option<Arc<Token>>,
}

/// Owns the access token. See the module docs.
pub(super) struct TokenManager {
    http: HttpClient,
    hooks: TokenHooks,
    margin: Duration,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    /// Bumped on every new token.
    generation: AtomicU64,
    /// The current token, read without the mutex.
    current: RwLock<Option<Arc<Token>>>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .map(|t| t.renew_at.saturating_sub(self.clock.now_unix()));
        f.debug_struct("TokenManager")
            .field("margin", &self.margin)
            .field("generation", &self.generation.load(Ordering::Relaxed))
            .field("token", &current.map(|_| "** redacted **"))
            .field("renew_in_secs", &current)
            .finish()
    }
}

impl TokenManager {
    /// A manager for the API user and key; `subscription` is the product's key header.
    pub(super) fn new(
        http: HttpClient,
        api_user: &SecretString,
        api_key: &SecretString,
        subscription: HeaderValue,
        margin: Duration,
        clock: Arc<dyn Clock>,
    ) -> Result<TokenManager, Error> {
        let pair = format!(
            "{}:{}",
            api_user.expose_secret().trim(),
            api_key.expose_secret()
        );
        let basic = credential_header(&format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        ))
        .ok_or_else(|| Error::config("mtn_momo: the API user or key cannot be sent in a header"))?;
        Ok(TokenManager {
            http,
            hooks: TokenHooks {
                basic,
                subscription,
            },
            margin,
            clock,
            state: Mutex::new(State::default()),
            generation: AtomicU64::new(0),
            current: RwLock::new(None),
        })
    }

    /// The `Authorization` header of the current token, renewed first when missing or due.
    pub(super) async fn authorization(&self) -> Result<HeaderValue, Error> {
        if let Some(token) = self.published() {
            return Ok(token.authorization.clone());
        }
        let mut state = self.state.lock().await;
        if let Some(token) = &state.token
            && self.clock.now_unix() < token.renew_at
        {
            let token = Arc::clone(token);
            self.publish(Some(Arc::clone(&token)));
            return Ok(token.authorization.clone());
        }
        let token = self.renew_locked(&mut state).await?;
        Ok(token.authorization.clone())
    }

    fn published(&self) -> Option<Arc<Token>> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|t| self.clock.now_unix() < t.renew_at)
            .cloned()
    }

    fn publish(&self, token: Option<Arc<Token>>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = token;
    }

    /// Renews the token after MTN answered 401 to a call, unless another caller renewed it
    /// since the call was signed. `refused` is the `Authorization` header the 401 answered:
    /// what decides is the token the call was signed with, not the one current when the 401
    /// arrives nor how recent the last renewal is, so a renewed token that MTN rejects again is
    /// renewed again, however soon (the bug JPay's manager had, issue 19).
    pub(super) async fn renew_after_rejection(
        &self,
        refused: Option<&HeaderValue>,
    ) -> Result<(), Error> {
        // Callers arriving from now on wait on the mutex for the renewal.
        self.publish(None);
        let mut state = self.state.lock().await;
        let renewed_since = match (&state.token, refused) {
            (Some(token), Some(refused)) => token.authorization != *refused,
            // No token yet, or a call without credentials this manager recognises: renew.
            _ => false,
        };
        if renewed_since {
            self.publish(state.token.clone());
            return Ok(());
        }
        self.renew_locked(&mut state).await?;
        Ok(())
    }

    /// Requests a token with the lock held: the single flight.
    async fn renew_locked(&self, state: &mut State) -> Result<Arc<Token>, Error> {
        // A token request moves no money and may be repeated freely: a read for the retry policy.
        let call = Call::post_empty("issue_token", TOKEN_PATH, Idempotency::Read);
        let sent = self.clock.now_unix();
        let reply = self.http.send(&self.hooks, &call).await?;
        let token = Arc::new(token_answer(
            &call,
            reply.status,
            &reply.body,
            sent,
            self.margin,
        )?);
        state.token = Some(Arc::clone(&token));
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.publish(Some(Arc::clone(&token)));
        Ok(token)
    }
}

/// Reads a 2xx answer to the token call (sent at Unix second `sent`) without ever putting its
/// body into an error.
fn token_answer(
    call: &Call,
    status: StatusCode,
    body: &[u8],
    sent: i64,
    margin: Duration,
) -> Result<Token, Error> {
    let withheld = |source: String| Error::Decode {
        provider: PROVIDER,
        status: status.as_u16(),
        snippet: "(token response withheld)".to_owned(),
        source: source.into(),
    };
    let response = serde_json::from_slice::<TokenResponse>(body).map_err(|e| {
        withheld(format!(
            "{} answer is not a token response ({:?} at line {} column {})",
            call.operation(),
            e.classify(),
            e.line(),
            e.column()
        ))
    })?;
    let access = response.access_token.trim();
    if access.is_empty() {
        return Err(withheld(
            "the token response has an empty access_token".into(),
        ));
    }
    let authorization = credential_header(&format!("Bearer {access}"))
        .ok_or_else(|| withheld("the access_token cannot be sent in a header".into()))?;
    let lifetime = response
        .expires_in
        .map_or(DEFAULT_LIFETIME, Duration::from_secs);
    Ok(Token {
        authorization,
        renew_at: renewal_point(sent, lifetime, margin),
    })
}

/// The Unix second from which a token issued at `sent` and living `lifetime` is renewed: `margin`
/// before it expires, but no earlier than half-way through its life.
fn renewal_point(sent: i64, lifetime: Duration, margin: Duration) -> i64 {
    let early = margin.min(lifetime / 2);
    let usable = lifetime.saturating_sub(early).as_secs();
    sent.saturating_add(i64::try_from(usable).unwrap_or(i64::MAX))
}

/// Hooks for the token call: Basic auth and the subscription key; a refusal is an auth failure.
struct TokenHooks {
    basic: HeaderValue,
    subscription: HeaderValue,
}

#[async_trait]
impl ProviderHooks for TokenHooks {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        headers.insert(AUTHORIZATION, self.basic.clone());
        headers.insert(SUBSCRIPTION_KEY_HEADER, self.subscription.clone());
        Ok(())
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        match status.as_u16() {
            // `{"error": "..."}`: the API user, the key or the subscription key is wrong.
            401 => Error::Auth {
                provider: PROVIDER,
                status: Some(401),
                kind: AuthFailure::InvalidCredentials,
                message: wire::error_body(body).message,
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
        let ten = Duration::from_secs(600);
        assert_eq!(renewal_point(1000, DEFAULT_LIFETIME, ten), 1000 + 3000);
        assert_eq!(renewal_point(1000, Duration::from_secs(60), ten), 1030);
        assert_eq!(renewal_point(1000, Duration::ZERO, ten), 1000);
    }

    #[test]
    fn token_answers_are_read_without_showing_the_token() {
        let call = Call::post_empty("issue_token", TOKEN_PATH, Idempotency::Read);
        let token = token_answer(
            &call,
            StatusCode::OK,
            br#"{"access_token":"eyJ0.abc","token_type":"access_token","expires_in":3600}"#,
            100,
            Duration::from_secs(600),
        )
        .unwrap();
        assert_eq!(token.authorization, "Bearer eyJ0.abc");
        assert!(token.authorization.is_sensitive());
        assert_eq!(token.renew_at, 100 + 3000);
        for body in [
            &b"<html>"[..],
            br#"{"access_token":""}"#,
            br#"{"access_token":"s3cret","expires_in":"x"}"#,
        ] {
            let err = token_answer(&call, StatusCode::OK, body, 0, Duration::ZERO)
                .err()
                .unwrap();
            assert!(
                matches!(&err, Error::Decode { snippet, .. } if snippet == "(token response withheld)"),
                "{err:?}"
            );
            assert!(!format!("{err:?}").contains("s3cret"));
        }
    }
}
