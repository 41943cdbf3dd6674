//! JPay's token lifecycle: issue, refresh ahead of expiry, renew after a 401, single flight.
//!
//! - `POST /auth/app/token` `{app_key, app_secret}` issues an access token (15 minutes) and a
//!   refresh token (7 days), with the app's `app_code` and `products`.
//! - `POST /auth/refresh` `{refresh}` issues a new access token (and possibly a new refresh token).
//!   When JPay rejects the refresh token (a 4xx answer), a new token is issued instead.
//! - The state lives behind one `tokio::sync::Mutex`, held across the token request: concurrent
//!   callers on a cold or expiring client wait for the first one's request and reuse its token,
//!   so 100 simultaneous payouts cause one token request. A fresh token is also published as a
//!   shared snapshot (`Arc<Session>` under a `std::sync::RwLock`), so the common case, a token
//!   that is not due for renewal, is read without queueing on the async mutex and without
//!   copying the token; the snapshot is withdrawn before a renewal after a 401, so callers then
//!   wait for the renewal as before.
//! - Lifetimes are the documented ones, shortened when the token is a JWT whose `exp - iat` says
//!   less, and measured on the configured clock from the moment the token request was sent. A
//!   token is renewed when less than the refresh margin is left (at most half its lifetime, so a
//!   token shorter than the margin is still used once before it is renewed).
//! - After a 401 on a call, [`TokenManager::renew_after_rejection`] renews once, unless the token
//!   the call was signed with has been replaced since (a concurrent caller renewed): then the
//!   call is repeated with the current token. A renewed token rejected again is renewed again.
//! - Tokens are held as `SecretString`; no `Debug`, log or error shows them (a token response that
//!   fails to decode gives an error without a body snippet).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::sync::Mutex;

use super::wire::{self, RefreshRequest, TokenRequest, TokenResponse};
use crate::error::{AuthFailure, Error};
use crate::http::{Call, HttpClient, Idempotency, ProviderHooks, credential_header};
use crate::model::ProviderId;
use crate::webhook::Clock;

/// How long an access token lives, as documented.
pub(super) const ACCESS_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long a refresh token lives, as documented.
pub(super) const REFRESH_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What a call needs from the current token.
#[derive(Clone)]
pub(super) struct Session {
    /// `Bearer <access>`, made once per token rather than per request, marked sensitive (kept
    /// out of logs by hyper); none when the token cannot be a header value.
    pub authorization: Option<HeaderValue>,
    pub app_code: Option<u64>,
    pub products: Option<Vec<String>>,
}

pub(crate) struct Tokens {
    access: SecretString,
    /// Unix second from which the access token is renewed before use.
    pub(crate) renew_at: i64,
    pub(crate) refresh: Option<SecretString>,
    /// Unix second from which the refresh token is no longer used.
    pub(crate) refresh_until: i64,
    pub(crate) app_code: Option<u64>,
    pub(crate) products: Option<Vec<String>>,
}

impl Tokens {
    /// Whether `authorization` is this access token's `Bearer` header.
    fn signs(&self, authorization: &HeaderValue) -> bool {
        authorization
            .as_bytes()
            .strip_prefix(b"Bearer ")
            .is_some_and(|token| token == self.access.expose_secret().as_bytes())
    }

    fn session(&self) -> Session {
        let authorization = credential_header(&format!("Bearer {}", self.access.expose_secret()));
        Session {
            authorization,
            app_code: self.app_code,
            products: self.products.clone(),
        }
    }
}

#[derive(Default)]
struct State {
    tokens: Option<Tokens>,
}

/// Owns JPay's tokens. See the module docs.
pub(super) struct TokenManager {
    http: HttpClient,
    app_key: SecretString,
    app_secret: SecretString,
    margin: Duration,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    /// Bumped on every new token, read without the lock by callers about to wait for it.
    generation: AtomicU64,
    /// The current session and its `renew_at`, published after every renewal.
    current: RwLock<Option<(Arc<Session>, i64)>>,
}

impl fmt::Debug for TokenManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("TokenManager");
        s.field("margin", &self.margin)
            .field("generation", &self.generation.load(Ordering::Relaxed));
        match self.state.try_lock() {
            Ok(state) => match &state.tokens {
                Some(t) => s
                    .field("token", &"** redacted **")
                    .field(
                        "renew_in_secs",
                        &t.renew_at.saturating_sub(self.clock.now_unix()),
                    )
                    .field("app_code", &t.app_code)
                    .field("products", &t.products),
                None => s.field("token", &"none"),
            },
            Err(_) => s.field("token", &"being renewed"),
        };
        s.finish()
    }
}

impl TokenManager {
    pub(super) fn new(
        http: HttpClient,
        app_key: SecretString,
        app_secret: SecretString,
        margin: Duration,
        clock: Arc<dyn Clock>,
    ) -> TokenManager {
        TokenManager {
            http,
            app_key,
            app_secret,
            margin,
            clock,
            state: Mutex::new(State::default()),
            generation: AtomicU64::new(0),
            current: RwLock::new(None),
        }
    }

    /// The current token and what came with it, renewed first when it is missing or near expiry.
    pub(super) async fn session(&self) -> Result<Arc<Session>, Error> {
        if let Some(session) = self.published() {
            return Ok(session);
        }
        let mut state = self.state.lock().await;
        if let Some(tokens) = &state.tokens
            && self.clock.now_unix() < tokens.renew_at
        {
            let session = Arc::new(tokens.session());
            *self.current.write().unwrap_or_else(PoisonError::into_inner) =
                Some((Arc::clone(&session), tokens.renew_at));
            return Ok(session);
        }
        self.renew_locked(&mut state).await?;
        self.publish(&state)
            .ok_or_else(|| Error::config("JPay token state lost after renewal"))
    }

    /// The published session, when there is one and it is not due for renewal.
    fn published(&self) -> Option<Arc<Session>> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        match &*current {
            Some((session, renew_at)) if self.clock.now_unix() < *renew_at => {
                Some(Arc::clone(session))
            }
            _ => None,
        }
    }

    /// Publishes the state's tokens (or withdraws the snapshot when there are none); returns the
    /// published session.
    fn publish(&self, state: &State) -> Option<Arc<Session>> {
        let snapshot = state
            .tokens
            .as_ref()
            .map(|t| (Arc::new(t.session()), t.renew_at));
        let session = snapshot.as_ref().map(|(s, _)| Arc::clone(s));
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = snapshot;
        session
    }

    fn withdraw(&self) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Renews the tokens after JPay answered 401 to a call that carried `refused` (its
    /// `Authorization` header), unless the tokens were renewed since that call was signed (by a
    /// concurrent caller, or moments ago): then the call is repeated with the current token.
    ///
    /// What decides is the token the call was signed with, not the one current when the 401
    /// arrives nor how recent the last renewal is: a renewed token that JPay rejects again is
    /// renewed again, however soon.
    pub(super) async fn renew_after_rejection(
        &self,
        refused: Option<&HeaderValue>,
    ) -> Result<(), Error> {
        // Callers arriving from now on wait on the mutex for the renewal, as before.
        self.withdraw();
        let mut state = self.state.lock().await;
        let renewed_since = match (&state.tokens, refused) {
            (Some(tokens), Some(refused)) => !tokens.signs(refused),
            // No token yet: the call was signed by a token that is gone.
            (None, _) => false,
            // The call carried no credentials this manager can recognise: renew.
            (Some(_), None) => false,
        };
        if renewed_since {
            self.publish(&state);
            return Ok(());
        }
        let renewed = self.renew_locked(&mut state).await;
        self.publish(&state);
        renewed
    }

    /// Refreshes when a refresh token is usable, else (or when JPay rejects it) issues a new
    /// token. Called with the lock held: this is the single flight.
    async fn renew_locked(&self, state: &mut State) -> Result<(), Error> {
        let now = self.clock.now_unix();
        let usable_refresh = state
            .tokens
            .as_ref()
            .filter(|t| now < t.refresh_until)
            .and_then(|t| t.refresh.clone());
        if let Some(refresh) = usable_refresh {
            match self.request_refresh(&refresh).await {
                Ok(fresh) => {
                    let previous = state.tokens.take();
                    state.tokens = Some(merge(fresh, previous));
                    self.generation.fetch_add(1, Ordering::AcqRel);
                    return Ok(());
                }
                Err(e @ (Error::Auth { .. } | Error::Rejected { .. })) => {
                    tracing::info!(error = %e, "JPay refused the refresh token; requesting a new token");
                }
                Err(e) => return Err(e),
            }
        }
        let fresh = self.request_token().await?;
        state.tokens = Some(fresh);
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(())
    }

    async fn request_token(&self) -> Result<Tokens, Error> {
        let body = TokenRequest {
            app_key: self.app_key.expose_secret(),
            app_secret: self.app_secret.expose_secret(),
        };
        // Issuing a token moves no money and may be repeated freely: a read for the retry policy.
        let call = Call::post_json("issue_token", "/auth/app/token", &body, Idempotency::Read)?;
        let hooks = TokenHooks {
            on_refusal: AuthFailure::InvalidCredentials,
        };
        let sent = self.clock.now_unix();
        let reply = self.http.send(&hooks, &call).await?;
        token_answer(&call, reply.status, &reply.body, sent, self.margin, None)
    }

    async fn request_refresh(&self, refresh: &SecretString) -> Result<Tokens, Error> {
        let body = RefreshRequest {
            refresh: refresh.expose_secret(),
        };
        let call = Call::post_json("refresh_token", "/auth/refresh", &body, Idempotency::Read)?;
        let hooks = TokenHooks {
            on_refusal: AuthFailure::TokenExpired,
        };
        let sent = self.clock.now_unix();
        let reply = self.http.send(&hooks, &call).await?;
        token_answer(
            &call,
            reply.status,
            &reply.body,
            sent,
            self.margin,
            Some(refresh),
        )
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
) -> Result<Tokens, Error> {
    let response = serde_json::from_slice::<TokenResponse>(body).map_err(|e| Error::Decode {
        provider: ProviderId::JPAY,
        status: status.as_u16(),
        snippet: "(token response withheld)".to_owned(),
        source: format!(
            "{} answer is not a token response ({:?} at line {} column {})",
            call.operation(),
            e.classify(),
            e.line(),
            e.column()
        )
        .into(),
    })?;
    tokens_from(response, sent, margin, previous_refresh)
}

/// A refresh answer may carry only `access`: keep what it leaves out from the previous tokens.
fn merge(mut fresh: Tokens, previous: Option<Tokens>) -> Tokens {
    if let Some(previous) = previous {
        if fresh.app_code.is_none() {
            fresh.app_code = previous.app_code;
        }
        if fresh.products.is_none() {
            fresh.products = previous.products;
        }
    }
    fresh
}

fn tokens_from(
    response: TokenResponse,
    sent: i64,
    margin: Duration,
    previous_refresh: Option<&SecretString>,
) -> Result<Tokens, Error> {
    if response.access.trim().is_empty() {
        return Err(Error::Decode {
            provider: ProviderId::JPAY,
            status: 200,
            snippet: "(token response withheld)".to_owned(),
            source: "the token response has an empty access token".into(),
        });
    }
    let renew_at = renewal_point(sent, lifetime(&response.access, ACCESS_LIFETIME), margin);
    let (refresh, refresh_until) = match response.refresh.filter(|r| !r.trim().is_empty()) {
        Some(refresh) => {
            let until = renewal_point(sent, lifetime(&refresh, REFRESH_LIFETIME), margin);
            (Some(SecretString::from(refresh)), until)
        }
        // Refreshed without rotation: the old refresh token stays. Its expiry is not known
        // better than "it worked just now", so it is kept for at most a documented lifetime.
        None => (
            previous_refresh.cloned(),
            renewal_point(sent, REFRESH_LIFETIME, margin),
        ),
    };
    Ok(Tokens {
        access: SecretString::from(response.access),
        renew_at,
        refresh,
        refresh_until,
        app_code: response.app_code,
        products: response.products.as_ref().and_then(wire::product_names),
    })
}

/// The Unix second from which a token issued at `sent` and living `lifetime` is renewed: `margin`
/// before it expires, but no earlier than half-way through its life.
fn renewal_point(sent: i64, lifetime: Duration, margin: Duration) -> i64 {
    let early = margin.min(lifetime / 2);
    let usable = lifetime.saturating_sub(early).as_secs();
    sent.saturating_add(i64::try_from(usable).unwrap_or(i64::MAX))
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

/// Hooks for the token endpoints: no authorization, and a refusal is an auth failure.
struct TokenHooks {
    on_refusal: AuthFailure,
}

#[async_trait]
impl ProviderHooks for TokenHooks {
    async fn authorize(&self, _headers: &mut HeaderMap) -> Result<(), Error> {
        Ok(())
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        match status.as_u16() {
            400 | 401 => Error::Auth {
                provider: ProviderId::JPAY,
                status: Some(status.as_u16()),
                kind: self.on_refusal.clone(),
                message: wire::error_text(body).0,
            },
            _ => wire::map_error(status, body),
        }
    }
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
    fn the_published_session_is_shared_until_due_and_withdrawn_before_a_rejection_renewal() {
        use crate::webhook::FixedClock;
        let http = HttpClient::new(
            ProviderId::JPAY,
            "http://127.0.0.1:9",
            crate::http::HttpConfig::default(),
        )
        .unwrap();
        let at = |now: i64| {
            TokenManager::new(
                http.clone(),
                SecretString::from("k"),
                SecretString::from("s"),
                Duration::from_secs(60),
                Arc::new(FixedClock(now)),
            )
        };
        let state = State {
            tokens: Some(Tokens {
                access: SecretString::from("access-1"),
                renew_at: 1_000,
                refresh: None,
                refresh_until: 0,
                app_code: Some(7),
                products: None,
            }),
        };
        let before = at(999);
        assert!(before.published().is_none());
        let published = before.publish(&state).unwrap();
        let read = before.published().unwrap();
        assert!(Arc::ptr_eq(&published, &read));
        let authorization = read.authorization.as_ref().unwrap();
        assert_eq!(authorization, "Bearer access-1");
        assert!(authorization.is_sensitive());
        assert_eq!(read.app_code, Some(7));
        before.withdraw();
        assert!(before.published().is_none());

        // Due for renewal: never served from the snapshot.
        let due = at(1_000);
        due.publish(&state);
        assert!(due.published().is_none());
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

    #[test]
    fn renewal_is_a_margin_early_but_never_before_half_life() {
        let minute = Duration::from_secs(60);
        assert_eq!(renewal_point(1000, ACCESS_LIFETIME, minute), 1000 + 840);
        assert_eq!(renewal_point(1000, Duration::from_secs(30), minute), 1015);
        assert_eq!(renewal_point(1000, Duration::ZERO, minute), 1000);
    }
}
