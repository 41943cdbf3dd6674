//! The one access-token cache every token provider shares (JPay, MTN MoMo, M-Pesa Daraja): what
//! a provider asks for a token with and how it reads the answer stay in its adapter, as a
//! [`TokenSource`]; caching, renewal ahead of expiry, renewal after a refusal and the single
//! flight live here, once.
//!
//! - The state lives behind one `tokio::sync::Mutex`, held across the token request: concurrent
//!   callers on a cold or expiring client wait for the first one's request and reuse its token,
//!   so 100 simultaneous payouts cause one token request. A fresh token is also published as a
//!   shared snapshot (`Arc` under a `std::sync::RwLock`), so the common case, a token that is not
//!   due for renewal, is read without queueing on the async mutex and without copying the token;
//!   the snapshot is withdrawn before a renewal after a refusal, so callers then wait for it.
//! - Lifetimes are measured on the configured clock from the moment the token request was sent.
//!   A token is renewed when less than the refresh margin is left (at most half its lifetime, so
//!   a token shorter than the margin is still used once before it is renewed):
//!   [`TokenRequester::renew_at`].
//! - After a refusal, [`TokenManager::renew_after_refusal`] renews once, unless the token the
//!   refused call was signed with has been replaced since (a concurrent caller renewed): then the
//!   call is repeated with the current token. What decides is the token the call was signed
//!   with, not the one current when the refusal arrives nor how recent the last renewal is, so a
//!   renewed token refused again is renewed again, however soon (issue 19).
//! - Tokens are sensitive header values; no `Debug`, log or error shows them, and a token answer
//!   that fails to decode gives an error without a body snippet ([`TokenRequester::decode`]).

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use tokio::sync::Mutex;

use crate::error::{AuthFailure, Error};
use crate::http::{Call, HttpClient, ProviderHooks, Reply};
use crate::model::ProviderId;
use crate::webhook::Clock;

/// What a body-less token error shows instead of the body.
const WITHHELD: &str = "(token response withheld)";

/// A token as the cache holds it: its `Authorization` value, when it is renewed, and what else
/// the provider sent with it (JPay's app code and refresh token).
pub(crate) struct Token<E> {
    /// `Bearer <token>`, marked sensitive; `None` when the token cannot be a header value (the
    /// call is then refused before anything is sent).
    pub(crate) authorization: Option<HeaderValue>,
    /// Unix second from which it is renewed before use.
    pub(crate) renew_at: i64,
    /// What came with it.
    pub(crate) extra: E,
}

/// How one provider asks for a token and reads the answer: the adapter's part of the cache.
#[async_trait]
pub(crate) trait TokenSource: Send + Sync + 'static {
    /// What a token carries beside the `Authorization` value.
    type Extra: Send + Sync + 'static;

    /// The provider's name in messages (`JPay`).
    fn label(&self) -> &'static str;

    /// Asks for a new token; `current` is the token it replaces, when there is one (JPay
    /// refreshes with it).
    async fn request(
        &self,
        requester: &TokenRequester<'_>,
        current: Option<&Token<Self::Extra>>,
    ) -> Result<Token<Self::Extra>, Error>;

    /// The fields `Debug` shows of a token beside its state (never a secret).
    fn debug_extra(&self, extra: &Self::Extra, out: &mut fmt::DebugStruct<'_, '_>) {
        let _ = (extra, out);
    }
}

/// What a [`TokenSource`] sends its token requests through.
pub(crate) struct TokenRequester<'a> {
    http: &'a HttpClient,
    clock: &'a dyn Clock,
    margin: Duration,
}

impl TokenRequester<'_> {
    /// Sends a token call; returns the answer and the Unix second it was sent at.
    pub(crate) async fn send(
        &self,
        hooks: &dyn ProviderHooks,
        call: &Call,
    ) -> Result<(Reply, i64), Error> {
        let sent = self.clock.now_unix();
        let reply = self.http.send(hooks, call).await?;
        Ok((reply, sent))
    }

    /// The Unix second now, on the configured clock.
    pub(crate) fn now(&self) -> i64 {
        self.clock.now_unix()
    }

    /// The refresh margin.
    pub(crate) fn margin(&self) -> Duration {
        self.margin
    }
}

/// Reads the JSON answer (`status`, `body`) to the token call `call` without ever putting its
/// body into an error.
pub(crate) fn decode<T: DeserializeOwned>(
    provider: ProviderId,
    call: &Call,
    status: StatusCode,
    body: &[u8],
) -> Result<T, Error> {
    serde_json::from_slice::<T>(body).map_err(|e| {
        withheld(
            provider,
            status,
            format!(
                "{} answer is not a token response ({:?} at line {} column {})",
                call.operation(),
                e.classify(),
                e.line(),
                e.column()
            ),
        )
    })
}

/// The `Authorization` value of the bearer token `access` from a token answer with `status`:
/// refused (its body withheld) when the token is empty or cannot be a header value.
pub(crate) fn bearer(
    provider: ProviderId,
    status: StatusCode,
    access: &str,
) -> Result<HeaderValue, Error> {
    let access = access.trim();
    if access.is_empty() {
        return Err(withheld(
            provider,
            status,
            "the token response has an empty access token",
        ));
    }
    crate::http::credential_header(&format!("Bearer {access}")).ok_or_else(|| {
        withheld(
            provider,
            status,
            "the access token cannot be sent in a header",
        )
    })
}

/// [`Error::Decode`] for a token answer, its body withheld.
pub(crate) fn withheld(provider: ProviderId, status: StatusCode, why: impl Into<String>) -> Error {
    Error::Decode {
        provider,
        status: status.as_u16(),
        snippet: WITHHELD.to_owned(),
        source: why.into().into(),
    }
}

/// The Unix second from which a token issued at `sent` and living `lifetime` is renewed: `margin`
/// before it expires, but no earlier than half-way through its life.
pub(crate) fn renewal_point(sent: i64, lifetime: Duration, margin: Duration) -> i64 {
    let early = margin.min(lifetime / 2);
    let usable = lifetime.saturating_sub(early).as_secs();
    sent.saturating_add(i64::try_from(usable).unwrap_or(i64::MAX))
}

/// The hooks of a token call: the provider's credentials for it (Basic auth, a key header, or
/// none), and a refusal with one of `refusals` read as an auth failure of `kind` (the message
/// read from the body by `message`); any other status as the adapter's `fallback` maps it.
pub(crate) struct TokenCallHooks {
    /// The provider.
    pub(crate) provider: ProviderId,
    /// Headers every token call carries.
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    /// The statuses that refuse the credentials.
    pub(crate) refusals: &'static [u16],
    /// What such a refusal means.
    pub(crate) kind: AuthFailure,
    /// The refusal's message, read from the provider's error body.
    pub(crate) message: fn(&[u8]) -> String,
    /// The adapter's error table, for every other status.
    pub(crate) fallback: fn(StatusCode, &[u8]) -> Error,
}

#[async_trait]
impl ProviderHooks for TokenCallHooks {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        for (name, value) in &self.headers {
            headers.insert(name.clone(), value.clone());
        }
        Ok(())
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        if self.refusals.contains(&status.as_u16()) {
            return Error::auth(
                self.provider,
                Some(status.as_u16()),
                self.kind.clone(),
                (self.message)(body),
            );
        }
        (self.fallback)(status, body)
    }
}

/// Reads the access token and its lifetime from a 2xx answer to a token call.
pub(crate) type ReadToken = fn(&Call, &Reply) -> Result<(String, Duration), Error>;

/// A token source for the common OAuth client-credentials shape (MTN MoMo, M-Pesa Daraja): one
/// call made by `call` with `hooks`, whose answer `read` turns into the access token and its
/// lifetime.
pub(crate) struct BearerSource {
    /// The provider's name in messages.
    pub(crate) label: &'static str,
    /// The token call.
    pub(crate) call: fn() -> Call,
    /// Its credentials and refusals.
    pub(crate) hooks: TokenCallHooks,
    /// The access token and its lifetime, from a 2xx answer (see [`decode`], [`withheld`]).
    pub(crate) read: ReadToken,
}

#[async_trait]
impl TokenSource for BearerSource {
    type Extra = ();

    fn label(&self) -> &'static str {
        self.label
    }

    async fn request(
        &self,
        requester: &TokenRequester<'_>,
        _current: Option<&Token<()>>,
    ) -> Result<Token<()>, Error> {
        let call = (self.call)();
        let (reply, sent) = requester.send(&self.hooks, &call).await?;
        let margin = requester.margin();
        bearer_token(self.hooks.provider, &call, &reply, sent, margin, self.read)
    }
}

/// The token `read` finds in `provider`'s answer `reply` to `call` (sent at Unix second `sent`).
pub(crate) fn bearer_token(
    provider: ProviderId,
    call: &Call,
    reply: &Reply,
    sent: i64,
    margin: Duration,
    read: ReadToken,
) -> Result<Token<()>, Error> {
    let (access, lifetime) = read(call, reply)?;
    Ok(Token {
        authorization: Some(bearer(provider, reply.status, &access)?),
        renew_at: renewal_point(sent, lifetime, margin),
        extra: (),
    })
}

/// The adapter's part of [`BearerHooks`] for a provider that adds nothing to its calls but its
/// error table.
pub(crate) struct ErrorTable(pub(crate) fn(StatusCode, &[u8]) -> Error);

#[async_trait]
impl ProviderHooks for ErrorTable {
    async fn authorize(&self, _headers: &mut HeaderMap) -> Result<(), Error> {
        Ok(())
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        (self.0)(status, body)
    }
}

/// The hooks of a token provider's calls: the bearer token from `tokens`, renewed after a
/// refusal, then whatever else the adapter's `calls` hooks add (a key header) and how they read
/// errors and answers.
pub(crate) struct BearerHooks<S: TokenSource, H> {
    /// The token cache.
    pub(crate) tokens: TokenManager<S>,
    /// The adapter's own hooks: extra headers, its error table, its answer envelope.
    pub(crate) calls: H,
}

#[async_trait]
impl<S: TokenSource, H: ProviderHooks> ProviderHooks for BearerHooks<S, H> {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        self.tokens.authorize(headers).await?;
        self.calls.authorize(headers).await
    }

    async fn renew_credentials(&self, refused: &HeaderMap) -> Result<bool, Error> {
        self.tokens.renew_after_refusal(refused).await?;
        Ok(true)
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        self.calls.map_error(status, body)
    }

    fn credentials_rejected(&self, status: StatusCode, body: &[u8]) -> bool {
        self.calls.credentials_rejected(status, body)
    }

    fn check_answer(&self, status: StatusCode, body: &[u8]) -> crate::http::AnswerCheck {
        self.calls.check_answer(status, body)
    }
}

/// Owns one client's token. See the module docs.
pub(crate) struct TokenManager<S: TokenSource> {
    http: HttpClient,
    source: S,
    margin: Duration,
    clock: Arc<dyn Clock>,
    state: Mutex<Option<Arc<Token<S::Extra>>>>,
    /// Bumped on every new token.
    generation: AtomicU64,
    /// The current token, published after every renewal, read without the mutex.
    current: RwLock<Option<Arc<Token<S::Extra>>>>,
}

impl<S: TokenSource> fmt::Debug for TokenManager<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = f.debug_struct("TokenManager");
        s.field("margin", &self.margin)
            .field("generation", &self.generation.load(Ordering::Relaxed));
        match self.state.try_lock() {
            Ok(state) => match &*state {
                Some(token) => {
                    s.field("token", &crate::redact::SECRET).field(
                        "renew_in_secs",
                        &token.renew_at.saturating_sub(self.clock.now_unix()),
                    );
                    self.source.debug_extra(&token.extra, &mut s);
                }
                None => {
                    s.field("token", &"none");
                }
            },
            Err(_) => {
                s.field("token", &"being renewed");
            }
        }
        s.finish()
    }
}

impl<S: TokenSource> TokenManager<S> {
    /// A cache of `source`'s tokens, requested through `http`, renewed `margin` ahead of expiry
    /// as measured on `clock`.
    pub(crate) fn new(
        http: HttpClient,
        source: S,
        margin: Duration,
        clock: Arc<dyn Clock>,
    ) -> TokenManager<S> {
        TokenManager {
            http,
            source,
            margin,
            clock,
            state: Mutex::new(None),
            generation: AtomicU64::new(0),
            current: RwLock::new(None),
        }
    }

    /// The current token, renewed first when it is missing or due.
    pub(crate) async fn token(&self) -> Result<Arc<Token<S::Extra>>, Error> {
        if let Some(token) = self.published() {
            return Ok(token);
        }
        let mut state = self.state.lock().await;
        if let Some(token) = &*state
            && self.clock.now_unix() < token.renew_at
        {
            let token = Arc::clone(token);
            self.publish(Some(Arc::clone(&token)));
            return Ok(token);
        }
        self.renew_locked(&mut state).await
    }

    /// Puts the current token's `Authorization` into `headers` and returns the token. A token
    /// that cannot be a header value cannot be sent: nothing leaves the process.
    pub(crate) async fn authorize(
        &self,
        headers: &mut HeaderMap,
    ) -> Result<Arc<Token<S::Extra>>, Error> {
        let token = self.token().await?;
        let authorization = token.authorization.clone().ok_or_else(|| {
            Error::auth(
                self.http.provider(),
                None,
                AuthFailure::InvalidCredentials,
                format!(
                    "{}'s access token cannot be sent as an HTTP header value",
                    self.source.label()
                ),
            )
        })?;
        headers.insert(AUTHORIZATION, authorization);
        Ok(token)
    }

    fn published(&self) -> Option<Arc<Token<S::Extra>>> {
        let current = self.current.read().unwrap_or_else(PoisonError::into_inner);
        current
            .as_ref()
            .filter(|t| self.clock.now_unix() < t.renew_at)
            .cloned()
    }

    fn publish(&self, token: Option<Arc<Token<S::Extra>>>) {
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = token;
    }

    /// Renews the token after the provider refused a call whose `Authorization` was `refused`
    /// (the refused request's headers), unless the token was renewed since that call was signed:
    /// then the call is repeated with the current token.
    pub(crate) async fn renew_after_refusal(&self, refused: &HeaderMap) -> Result<(), Error> {
        let refused = refused.get(AUTHORIZATION);
        // Callers arriving from now on wait on the mutex for the renewal.
        self.publish(None);
        let mut state = self.state.lock().await;
        let renewed_since = match (&*state, refused) {
            (Some(token), Some(refused)) => token.authorization.as_ref() != Some(refused),
            // No token yet (the call was signed by a token that is gone), or a call without
            // credentials this manager can recognise: renew.
            _ => false,
        };
        if renewed_since {
            self.publish(state.clone());
            return Ok(());
        }
        let renewed = self.renew_locked(&mut state).await;
        self.publish(state.clone());
        renewed.map(|_| ())
    }

    /// Requests a token with the lock held: the single flight.
    async fn renew_locked(
        &self,
        state: &mut Option<Arc<Token<S::Extra>>>,
    ) -> Result<Arc<Token<S::Extra>>, Error> {
        let requester = TokenRequester {
            http: &self.http,
            clock: self.clock.as_ref(),
            margin: self.margin,
        };
        let token = Arc::new(self.source.request(&requester, state.as_deref()).await?);
        *state = Some(Arc::clone(&token));
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.publish(Some(Arc::clone(&token)));
        Ok(token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::FixedClock;

    /// Issues `Bearer t1`, `Bearer t2`, ..., each renewed from second 1000.
    struct Counting(AtomicU64);

    #[async_trait]
    impl TokenSource for Counting {
        type Extra = u64;

        fn label(&self) -> &'static str {
            "Test"
        }

        async fn request(
            &self,
            _requester: &TokenRequester<'_>,
            _current: Option<&Token<u64>>,
        ) -> Result<Token<u64>, Error> {
            let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Token {
                authorization: crate::http::credential_header(&format!("Bearer t{n}")),
                renew_at: 1000,
                extra: n,
            })
        }
    }

    fn manager(now: i64) -> TokenManager<Counting> {
        let http = HttpClient::new(
            ProviderId::JPAY,
            "http://127.0.0.1:9",
            crate::http::HttpConfig::default(),
        )
        .unwrap();
        TokenManager::new(
            http,
            Counting(AtomicU64::new(0)),
            Duration::from_secs(60),
            Arc::new(FixedClock(now)),
        )
    }

    fn signed_with(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(token).unwrap());
        headers
    }

    #[tokio::test]
    async fn a_token_is_shared_until_due_and_renewed_once_per_refused_token() {
        let tokens = manager(999);
        let first = tokens.token().await.unwrap();
        assert!(Arc::ptr_eq(&first, &tokens.token().await.unwrap()));
        let mut headers = HeaderMap::new();
        tokens.authorize(&mut headers).await.unwrap();
        assert_eq!(headers[AUTHORIZATION], "Bearer t1");
        assert!(headers[AUTHORIZATION].is_sensitive());
        assert_eq!(tokens.source.0.load(Ordering::SeqCst), 1);

        // A refusal of a token already replaced: the current one is reused.
        tokens
            .renew_after_refusal(&signed_with("Bearer t0"))
            .await
            .unwrap();
        assert_eq!(tokens.token().await.unwrap().extra, 1);
        // A refusal of the current token renews it, and a second refusal of the renewed one
        // renews again.
        tokens
            .renew_after_refusal(&signed_with("Bearer t1"))
            .await
            .unwrap();
        assert_eq!(tokens.token().await.unwrap().extra, 2);
        tokens
            .renew_after_refusal(&signed_with("Bearer t2"))
            .await
            .unwrap();
        assert_eq!(tokens.token().await.unwrap().extra, 3);
        let shown = format!("{tokens:?}");
        assert!(
            shown.contains("** redacted **") && !shown.contains("t3"),
            "{shown}"
        );

        // Due for renewal: never served from the snapshot.
        let due = manager(1000);
        due.token().await.unwrap();
        due.token().await.unwrap();
        assert_eq!(due.source.0.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn renewal_is_a_margin_early_but_never_before_half_life() {
        let minute = Duration::from_secs(60);
        assert_eq!(
            renewal_point(1000, Duration::from_secs(15 * 60), minute),
            1000 + 840
        );
        assert_eq!(renewal_point(1000, Duration::from_secs(30), minute), 1015);
        assert_eq!(renewal_point(1000, Duration::ZERO, minute), 1000);
        let ten = Duration::from_secs(600);
        assert_eq!(
            renewal_point(1000, Duration::from_secs(3600), ten),
            1000 + 3000
        );
    }
}
