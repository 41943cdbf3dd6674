//! The one place requests are sent: auth hook, timeouts, retries, error mapping, decoding, tracing.
//!
//! Every adapter describes a request as a [`Call`] and hands it to [`HttpClient::send`] (or
//! [`HttpClient::send_json`]) together with its [`ProviderHooks`]: how to authorize a request, how
//! to renew credentials after a 401, and how to read the provider's error bodies. Everything else
//! lives here, once.
//!
//! # Retry policy
//!
//! | what happened | read (`GET`) | money-moving, provider deduplicates ([`Idempotency::Keyed`]) | money-moving, no deduplication ([`Idempotency::Unprotected`]) |
//! |---|---|---|---|
//! | connect failed (nothing left) | retry | retry | retry |
//! | timeout / connection lost after sending | retry | retry, byte-identical | **outcome unknown**, no retry |
//! | 500, 502, 503, 504 | retry | retry, byte-identical | **outcome unknown**, no retry |
//! | 429 (throttled before processing) | retry | retry | retry |
//! | 408 | retry | retry | **outcome unknown** |
//! | 409 | no | retry (a concurrent twin holds the key); [`Idempotency::KeyedRejectsDuplicate`]: no (the key's resource exists) | no |
//! | 401, or another answer [`ProviderHooks::credentials_rejected`] names (Daraja's `404.001.03`) | renew credentials once, repeat once | same | same |
//! | any other 4xx | no | no | no |
//!
//! Attempts are capped by [`RetryPolicy::max_attempts`] (3 by default) with jittered exponential
//! backoff. A `Retry-After` (seconds or HTTP date) is honoured up to [`RetryPolicy::max_retry_after`];
//! a longer wait is not slept through but returned as [`Error::RateLimited`].

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use reqwest::{Method, StatusCode};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tracing::Instrument as _;

use crate::error::{Ambiguity, BoxError, Error};
use crate::model::{ProviderId, Reference};
use crate::raw::RawJson;

/// The crate's `User-Agent`.
pub const USER_AGENT: &str = concat!("disburse/", env!("CARGO_PKG_VERSION"));

/// The largest response body read; a longer one is an undecodable response.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// Timeouts and retries, shared by every adapter's config.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpConfig {
    /// How long to wait for a connection.
    pub connect_timeout: Duration,
    /// How long one attempt may take, from sending to the last body byte.
    pub timeout: Duration,
    /// When and how often to retry.
    pub retry: RetryPolicy,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
        }
    }
}

impl HttpConfig {
    /// Sets the per-attempt timeout.
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the connect timeout.
    #[must_use]
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the retry policy.
    #[must_use]
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
}

/// How often and how patiently to retry.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 disables retries).
    pub max_attempts: u32,
    /// The backoff before the first retry; it doubles each time.
    pub initial_backoff: Duration,
    /// The longest backoff.
    pub max_backoff: Duration,
    /// The longest `Retry-After` slept through; longer ones end the call with `RateLimited`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_retry_after: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// Sets the number of attempts (at least 1).
    #[must_use]
    pub fn with_max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the initial and maximum backoff.
    #[must_use]
    pub fn with_backoff(mut self, initial: Duration, max: Duration) -> Self {
        self.initial_backoff = initial;
        self.max_backoff = max.max(initial);
        self
    }

    /// Sets the longest `Retry-After` honoured.
    #[must_use]
    pub fn with_max_retry_after(mut self, max: Duration) -> Self {
        self.max_retry_after = max;
        self
    }

    /// The jittered backoff before retry number `retry` (1 for the first retry): between half and
    /// all of `initial × 2^(retry-1)`, capped at `max_backoff`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32 << retry.saturating_sub(1).min(16);
        let full = self
            .initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff);
        full / 2 + full / 2 * fastrand::u32(0..=100) / 100
    }
}

/// Whether a call may be repeated, and why.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// A read: repeating it changes nothing.
    Read,
    /// Moves money, and the provider deduplicates on a key that is identical on every attempt
    /// (Payonify's `Idempotency-Key`, JPay's unique `ref_no`).
    Keyed,
    /// Moves money, and the provider refuses a second request with the key (409) without
    /// processing it, rather than replaying the first answer (MTN MoMo's `X-Reference-Id`).
    /// Re-sent like [`Idempotency::Keyed`], except that a 409 ends the call: the resource
    /// exists, and the adapter reads it.
    KeyedRejectsDuplicate,
    /// Moves money with no deduplication: never repeated once it may have left.
    Unprotected,
}

impl Idempotency {
    fn moves_money(self) -> bool {
        !matches!(self, Idempotency::Read)
    }
}

/// One request, described once and sent as often as the policy allows, byte for byte the same.
#[derive(Clone)]
pub struct Call {
    operation: &'static str,
    method: Method,
    path: String,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    body: Option<Bytes>,
    idempotency: Idempotency,
    reference: Option<Reference>,
}

impl fmt::Debug for Call {
    // Bodies and headers may hold personal data or secrets: only the shape is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Call")
            .field("operation", &self.operation)
            .field("method", &self.method)
            .field("path", &self.path)
            .field("idempotency", &self.idempotency)
            .field("reference", &self.reference)
            .field("body_bytes", &self.body.as_ref().map(|b| b.len()))
            .finish_non_exhaustive()
    }
}

impl Call {
    /// A read.
    pub fn get(operation: &'static str, path: impl Into<String>) -> Call {
        Call {
            operation,
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: None,
            idempotency: Idempotency::Read,
            reference: None,
        }
    }

    /// A POST with a JSON body, serialized once here. Its [`Idempotency`] must be stated.
    pub fn post_json<T: Serialize + ?Sized>(
        operation: &'static str,
        path: impl Into<String>,
        body: &T,
        idempotency: Idempotency,
    ) -> Result<Call, Error> {
        let bytes = serde_json::to_vec(body).map_err(|e| Error::InvalidRequest {
            field: "body",
            reason: "could not be encoded as JSON".into(),
            source: Some(Box::new(e)),
        })?;
        Ok(Call {
            operation,
            method: Method::POST,
            path: path.into(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: Some(Bytes::from(bytes)),
            idempotency,
            reference: None,
        })
    }

    /// A POST without a body (MTN MoMo's token call, which refuses one). Its [`Idempotency`]
    /// must be stated.
    pub fn post_empty(
        operation: &'static str,
        path: impl Into<String>,
        idempotency: Idempotency,
    ) -> Call {
        Call {
            operation,
            method: Method::POST,
            path: path.into(),
            query: Vec::new(),
            headers: HeaderMap::new(),
            body: None,
            idempotency,
            reference: None,
        }
    }

    /// Adds a query parameter.
    #[must_use]
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Adds a header (e.g. `Idempotency-Key`).
    pub fn header(mut self, name: &'static str, value: &str) -> Result<Self, Error> {
        let value = HeaderValue::from_str(value)
            .map_err(|e| Error::invalid_with_source("header", format!("{name} is not valid"), e))?;
        self.headers.insert(HeaderName::from_static(name), value);
        Ok(self)
    }

    /// Names the merchant reference, for tracing and for [`Error::OutcomeUnknown`].
    #[must_use]
    pub fn reference(mut self, reference: &Reference) -> Self {
        self.reference = Some(reference.clone());
        self
    }

    /// The operation name.
    pub fn operation(&self) -> &'static str {
        self.operation
    }

    /// The serialized body, if any.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }
}

/// A 2xx answer.
#[derive(Clone)]
pub struct Reply {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
    /// How many attempts it took.
    pub attempts: u32,
}

/// A decoded 2xx answer with the raw JSON kept for audit.
#[derive(Clone)]
pub struct Decoded<T> {
    /// The typed value.
    pub value: T,
    /// The whole body, as received.
    pub raw: RawJson,
    /// The HTTP status.
    pub status: StatusCode,
}

impl fmt::Debug for Reply {
    // The body may hold personal data or tokens (JPay's token answer): only its size is shown.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body_bytes", &self.body.len())
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl<T> fmt::Debug for Decoded<T> {
    // The typed value is not shown (it may be a token answer); the raw JSON is shown redacted.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Decoded")
            .field("raw", &self.raw)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// What an adapter contributes to sending: auth and error reading.
#[async_trait]
pub trait ProviderHooks: Send + Sync {
    /// Adds credentials to an outgoing request's headers (a key, basic auth, a bearer token).
    ///
    /// `headers` already hold the call's own headers, `Accept` and (with a body)
    /// `Content-Type`; a credential header inserted here replaces one of the same name. The
    /// map is the `http` crate's [`HeaderMap`], so an adapter outside this
    /// crate needs no `reqwest` dependency.
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error>;

    /// Called once after a 401 (or another refusal [`ProviderHooks::credentials_rejected`] names), with the headers of the request the 401 answered (the refused
    /// credentials). Return `Ok(true)` when credentials were renewed, or had already been renewed
    /// since that request was signed, and the call should be repeated once (the same bytes, the
    /// same reference).
    ///
    /// The refused headers, not the credentials current when the 401 arrives, are what tells a
    /// renewal by a concurrent caller (reuse it) from a second rejection of renewed credentials
    /// (renew again).
    async fn renew_credentials(&self, refused: &HeaderMap) -> Result<bool, Error> {
        let _ = refused;
        Ok(false)
    }

    /// Turns a non-2xx answer into the crate's error, reading the provider's error body.
    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error;

    /// Whether a non-2xx answer says the credentials were refused, so that they are renewed once
    /// and the call repeated once. A 401 by default; a provider that refuses an expired token
    /// with another status (M-Pesa Daraja answers `404.001.03 Invalid Access Token`) names it here.
    fn credentials_rejected(&self, status: StatusCode, body: &[u8]) -> bool {
        let _ = body;
        status == StatusCode::UNAUTHORIZED
    }

    /// Opens the provider's envelope of a 2xx answer: whether the body reports success, a
    /// refusal, or cannot be read at all. The shared path applies the ambiguity rule to the
    /// verdict (see [`judge_answer`]); the default accepts every 2xx answer.
    fn check_answer(&self, status: StatusCode, body: &[u8]) -> AnswerCheck {
        let _ = (status, body);
        AnswerCheck::Accepted
    }
}

/// What a provider's envelope says of a 2xx answer ([`ProviderHooks::check_answer`]).
#[non_exhaustive]
#[derive(Debug)]
pub enum AnswerCheck {
    /// The body reports success (or the provider has no envelope).
    Accepted,
    /// The body reports an error: `code` is the status the envelope states (its `code` mirror,
    /// else the HTTP status), `error` the refusal as the adapter maps it.
    Refused {
        /// The status the envelope states; a 5xx on a money-moving call is outcome-unknown.
        code: u16,
        /// The refusal.
        error: Error,
    },
    /// The body cannot be read ([`Error::Decode`] with the HTTP status).
    Unreadable(Error),
}

/// The one ambiguity rule for a 2xx answer to `call`, applied to what the provider's envelope
/// said of it: an unreadable answer is [`Error::Decode`] for a read and
/// [`Error::OutcomeUnknown`] for a money-moving call; a refusal whose stated code is 5xx is
/// outcome-unknown on a money-moving call and the refusal itself otherwise.
pub fn judge_answer(provider: ProviderId, call: &Call, check: AnswerCheck) -> Result<(), Error> {
    match check {
        AnswerCheck::Accepted => Ok(()),
        AnswerCheck::Refused { code, error } => {
            tracing::warn!(
                operation = call.operation,
                code,
                "the provider answered with an error envelope"
            );
            if call.idempotency.moves_money() && (500..=599).contains(&code) {
                Err(Error::OutcomeUnknown {
                    provider,
                    operation: call.operation,
                    reference: call.reference.clone(),
                    cause: Ambiguity::ServerError { status: code },
                    source: Some(Box::new(error)),
                })
            } else {
                Err(error)
            }
        }
        AnswerCheck::Unreadable(error) => Err(unreadable_answer(provider, call, error)),
    }
}

/// A 2xx answer to `call` that cannot be read (`decode`, an [`Error::Decode`]): the decode error
/// itself for a read, [`Error::OutcomeUnknown`] for a money-moving call (the provider said yes to
/// *something*).
pub fn unreadable_answer(provider: ProviderId, call: &Call, decode: Error) -> Error {
    if !call.idempotency.moves_money() {
        return decode;
    }
    Error::OutcomeUnknown {
        provider,
        operation: call.operation,
        reference: call.reference.clone(),
        cause: Ambiguity::UndecodableResponse {
            status: decode.http_status().unwrap_or(200),
        },
        source: Some(Box::new(decode)),
    }
}

/// The shared HTTP client: one connection pool, one retry policy, per provider base URL.
///
/// Cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

struct Inner {
    client: reqwest::Client,
    base_url: String,
    provider: ProviderId,
    config: HttpConfig,
}

impl fmt::Debug for HttpClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HttpClient")
            .field("provider", &self.inner.provider)
            .field("base_url", &self.inner.base_url)
            .field("config", &self.inner.config)
            .finish()
    }
}

impl HttpClient {
    /// A client for `provider` at `base_url` (`https://api.example.com/v1`; paths are appended).
    pub fn new(provider: ProviderId, base_url: &str, config: HttpConfig) -> Result<Self, Error> {
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .connect_timeout(config.connect_timeout)
            .build()
            .map_err(|e| Error::Config {
                message: "could not build the HTTP client".into(),
                source: Some(Box::new(e)),
            })?;
        Self::with_client(provider, base_url, config, client)
    }

    /// Like [`HttpClient::new`], sharing a `reqwest::Client` (and its connection pool) the
    /// caller built. The per-attempt timeout still comes from `config`.
    pub fn with_client(
        provider: ProviderId,
        base_url: &str,
        config: HttpConfig,
        client: reqwest::Client,
    ) -> Result<Self, Error> {
        let parsed = url::Url::parse(base_url).map_err(|e| Error::Config {
            message: format!("{provider}: base URL is not a URL"),
            source: Some(Box::new(e)),
        })?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(Error::config(format!(
                "{provider}: base URL must be http(s), got {}",
                parsed.scheme()
            )));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(Error::config(format!(
                "{provider}: base URL must not have a query or fragment"
            )));
        }
        Ok(HttpClient {
            inner: Arc::new(Inner {
                client,
                base_url: base_url.trim_end_matches('/').to_owned(),
                provider,
                config,
            }),
        })
    }

    /// The provider this client talks to.
    pub fn provider(&self) -> ProviderId {
        self.inner.provider
    }

    /// The base URL, without a trailing slash.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The configuration.
    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// Sends `call`, retrying as the policy allows; returns the 2xx answer or the mapped error.
    pub async fn send(&self, hooks: &dyn ProviderHooks, call: &Call) -> Result<Reply, Error> {
        let span = tracing::info_span!(
            "disburse.http",
            provider = %self.inner.provider,
            operation = call.operation,
            reference = call.reference.as_ref().map(Reference::as_str),
            method = %call.method,
            // A path may name a phone number (MTN MoMo's account-holder checks): masked like
            // every body snippet.
            path = %crate::redact::mask_digit_runs(&call.path),
        );
        self.send_inner(hooks, call).instrument(span).await
    }

    /// Sends `call` and decodes the 2xx body into `T`, keeping the raw JSON.
    ///
    /// A 2xx body that does not decode is [`Error::Decode`] for a read, and
    /// [`Error::OutcomeUnknown`] for a money-moving call (the provider said yes to *something*).
    pub async fn send_json<T: DeserializeOwned>(
        &self,
        hooks: &dyn ProviderHooks,
        call: &Call,
    ) -> Result<Decoded<T>, Error> {
        let reply = self.send(hooks, call).await?;
        decode_reply(self.inner.provider, call, reply.status, &reply.body)
    }

    /// Sends with retries. When an earlier attempt of a money-moving call may have been
    /// processed (a timeout or lost connection after sending, a 5xx, a 408) and the last attempt
    /// ends in any other error (a 4xx, a 429, a failed connect or token renewal), the error is
    /// [`Error::OutcomeUnknown`] with the earlier cause and the last error as its source: the
    /// last answer cannot say that nothing was paid.
    async fn send_inner(&self, hooks: &dyn ProviderHooks, call: &Call) -> Result<Reply, Error> {
        let mut earlier = None;
        let result = self.send_attempts(hooks, call, &mut earlier).await;
        match (result, earlier) {
            (Err(last), Some(cause))
                if call.idempotency.moves_money() && !last.is_outcome_unknown() =>
            {
                tracing::warn!(
                    http_status = last.http_status(),
                    "an earlier attempt may have been processed: outcome unknown"
                );
                Err(Error::OutcomeUnknown {
                    provider: self.inner.provider,
                    operation: call.operation,
                    reference: call.reference.clone(),
                    cause,
                    source: Some(Box::new(last)),
                })
            }
            (result, _) => result,
        }
    }

    /// The attempts; `earlier` is set to the cause of the latest attempt that may have been
    /// processed without an answer saying so.
    async fn send_attempts(
        &self,
        hooks: &dyn ProviderHooks,
        call: &Call,
        earlier: &mut Option<Ambiguity>,
    ) -> Result<Reply, Error> {
        let policy = &self.inner.config.retry;
        let mut attempt: u32 = 0;
        let mut renewed = false;
        loop {
            attempt += 1;
            let started = Instant::now();
            let outcome = self.attempt_once(hooks, call).await?;
            let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            let can_retry = attempt < policy.max_attempts.max(1);
            match outcome {
                Outcome::Transport(err) => {
                    let connect = err.is_connect();
                    tracing::warn!(
                        attempt,
                        elapsed_ms,
                        connect,
                        timeout = err.is_timeout(),
                        "request failed in transport"
                    );
                    let safe = connect || call.idempotency != Idempotency::Unprotected;
                    if !connect {
                        *earlier = Some(if err.is_timeout() {
                            Ambiguity::Timeout
                        } else {
                            Ambiguity::ConnectionLost
                        });
                    }
                    if safe && can_retry {
                        tokio::time::sleep(policy.backoff(attempt)).await;
                        continue;
                    }
                    return Err(self.transport_error(call, err));
                }
                Outcome::Answer {
                    status,
                    headers,
                    body,
                    sent,
                } => {
                    tracing::info!(attempt, elapsed_ms, http_status = status.as_u16(), "answer");
                    if status.is_success() {
                        let check = hooks.check_answer(status, &body);
                        judge_answer(self.inner.provider, call, check)?;
                        return Ok(Reply {
                            status,
                            headers,
                            body,
                            attempts: attempt,
                        });
                    }
                    if !renewed && hooks.credentials_rejected(status, &body) {
                        renewed = true;
                        if hooks.renew_credentials(&sent).await? {
                            tracing::info!(
                                http_status = status.as_u16(),
                                "credentials renewed after a refusal; repeating once"
                            );
                            attempt -= 1;
                            continue;
                        }
                    }
                    let retry_after = parse_retry_after(&headers);
                    let code = status.as_u16();
                    if status.is_server_error() || code == 408 {
                        *earlier = Some(if code == 408 {
                            Ambiguity::Timeout
                        } else {
                            Ambiguity::ServerError { status: code }
                        });
                    }
                    if can_retry && self.status_is_retryable(status, call.idempotency) {
                        let wait = match retry_after {
                            Some(wait) if wait > policy.max_retry_after => None,
                            Some(wait) => Some(wait),
                            None => Some(policy.backoff(attempt)),
                        };
                        if let Some(wait) = wait {
                            tracing::warn!(
                                attempt,
                                http_status = status.as_u16(),
                                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                                "retrying"
                            );
                            tokio::time::sleep(wait).await;
                            continue;
                        }
                    }
                    return Err(self.answer_error(hooks, call, status, retry_after, &body));
                }
            }
        }
    }

    fn status_is_retryable(&self, status: StatusCode, idempotency: Idempotency) -> bool {
        match status.as_u16() {
            429 => true,
            408 | 500 | 502 | 503 | 504 => idempotency != Idempotency::Unprotected,
            409 => idempotency == Idempotency::Keyed,
            _ => false,
        }
    }

    async fn attempt_once(&self, hooks: &dyn ProviderHooks, call: &Call) -> Result<Outcome, Error> {
        let url = format!("{}{}", self.inner.base_url, call.path);
        let mut headers = call.headers.clone();
        headers.insert(
            reqwest::header::ACCEPT,
            HeaderValue::from_static("application/json"),
        );
        if call.body.is_some() {
            headers.insert(
                reqwest::header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        hooks.authorize(&mut headers).await?;
        let mut request = self
            .inner
            .client
            .request(call.method.clone(), url)
            .timeout(self.inner.config.timeout)
            .headers(headers);
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        let (client, request) = request.build_split();
        let request = match request {
            Ok(request) => request,
            Err(e) => return Ok(Outcome::Transport(e)),
        };
        let sent = request.headers().clone();
        let response = match client.execute(request).await {
            Ok(response) => response,
            Err(e) => return Ok(Outcome::Transport(e)),
        };
        let status = response.status();
        let headers = response.headers().clone();
        match read_body(response).await {
            Ok(body) => Ok(Outcome::Answer {
                status,
                headers,
                body,
                sent,
            }),
            Err(BodyError::Transport(e)) => Ok(Outcome::Transport(e)),
            Err(BodyError::TooLarge) => {
                let decode = Error::Decode {
                    provider: self.inner.provider,
                    status: status.as_u16(),
                    snippet: String::new(),
                    source: format!("body larger than {MAX_BODY_BYTES} bytes").into(),
                };
                // Unread, whatever its status: for a call that moves money, as ambiguous as any
                // answer that cannot be decoded (see `decode_reply`).
                Err(unreadable_answer(self.inner.provider, call, decode))
            }
        }
    }

    fn transport_error(&self, call: &Call, err: reqwest::Error) -> Error {
        let provider = self.inner.provider;
        let operation = call.operation;
        if err.is_connect() {
            return Error::NotSent {
                provider,
                operation,
                source: Box::new(err),
            };
        }
        if call.idempotency.moves_money() {
            let cause = if err.is_timeout() {
                Ambiguity::Timeout
            } else {
                Ambiguity::ConnectionLost
            };
            return Error::OutcomeUnknown {
                provider,
                operation,
                reference: call.reference.clone(),
                cause,
                source: Some(Box::new(err)),
            };
        }
        Error::Network {
            provider,
            operation,
            source: Box::new(err),
        }
    }

    fn answer_error(
        &self,
        hooks: &dyn ProviderHooks,
        call: &Call,
        status: StatusCode,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Error {
        let provider = self.inner.provider;
        let code = status.as_u16();
        let ambiguous = call.idempotency.moves_money() && (status.is_server_error() || code == 408);
        if ambiguous {
            let mapped = hooks.map_error(status, body);
            return Error::OutcomeUnknown {
                provider,
                operation: call.operation,
                reference: call.reference.clone(),
                cause: if code == 408 {
                    Ambiguity::Timeout
                } else {
                    Ambiguity::ServerError { status: code }
                },
                source: Some(Box::new(mapped) as BoxError),
            };
        }
        let mapped = hooks.map_error(status, body);
        if code == 429 {
            return match mapped {
                Error::RateLimited {
                    provider,
                    retry_after: own,
                    message,
                } => Error::RateLimited {
                    provider,
                    retry_after: own.or(retry_after),
                    message,
                },
                other => Error::RateLimited {
                    provider,
                    retry_after,
                    message: other.to_string(),
                },
            };
        }
        mapped
    }
}

// Returned once per attempt and taken apart at once: its size costs a move, a box an allocation.
#[allow(clippy::large_enum_variant)]
enum Outcome {
    Transport(reqwest::Error),
    Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: Vec<u8>,
        /// The headers the request carried (its credentials), for a renewal after a 401.
        sent: HeaderMap,
    },
}

enum BodyError {
    Transport(reqwest::Error),
    TooLarge,
}

async fn read_body(mut response: reqwest::Response) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// Decodes the body of a 2xx answer to `call` as [`HttpClient::send_json`] does: an undecodable
/// body is [`Error::Decode`] for a read and [`Error::OutcomeUnknown`] for a money-moving call.
/// Adapters that send with [`HttpClient::send`] decode their answers through this, so the same
/// bytes take the same path whether they came from the network or from a fuzzer.
pub fn decode_reply<T: DeserializeOwned>(
    provider: ProviderId,
    call: &Call,
    status: StatusCode,
    body: &[u8],
) -> Result<Decoded<T>, Error> {
    match decode_json::<T>(provider, status.as_u16(), body) {
        Ok((value, raw)) => Ok(Decoded { value, raw, status }),
        Err(e) => Err(unreadable_answer(provider, call, e)),
    }
}

/// A credential as a header value marked sensitive (hyper keeps it out of its logs and `Debug`),
/// made once when a client is built rather than on every request; `None` when the text cannot
/// be a header value. Like every header reqwest sends, the copy is not zeroized on drop.
pub fn credential_header(text: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::from_str(text).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// The sensitive `Authorization` value of HTTP Basic auth (`Basic base64(user:password)`), or
/// `None` when it cannot be a header value.
pub fn basic_auth(user: &str, password: &str) -> Option<HeaderValue> {
    use base64::Engine as _;
    let pair = format!("{user}:{password}");
    credential_header(&format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    ))
}

/// How a provider's ids may be written, checked before one is put in a request path (so an id
/// like `../balance` or `po_1?x=1` never reaches the URL).
#[derive(Debug, Clone, Copy)]
pub struct PathId {
    /// What the id is, for the error (`"a JPay payout id"`).
    pub what: &'static str,
    /// The longest id accepted, in bytes.
    pub max_len: usize,
    /// Whether surrounding white space is trimmed first (else it is refused).
    pub trim: bool,
    /// The characters an id may hold.
    pub allowed: fn(char) -> bool,
}

impl PathId {
    /// Letters, digits, `_` and `-`.
    pub fn word_char(c: char) -> bool {
        c.is_ascii_alphanumeric() || c == '_' || c == '-'
    }

    /// Any character but the URL's delimiters (`/ ? # % \`), white space and control characters.
    pub fn path_segment_char(c: char) -> bool {
        !(matches!(c, '/' | '?' | '#' | '%' | '\\') || c.is_whitespace() || c.is_control())
    }

    /// `id`, trimmed when [`PathId::trim`] says so, or [`Error::InvalidRequest`] on `id` when it
    /// is empty, longer than [`PathId::max_len`] or holds a character not allowed.
    pub fn check<'a>(&self, id: &'a str) -> Result<&'a str, Error> {
        let id = if self.trim { id.trim() } else { id };
        if id.is_empty() || id.len() > self.max_len || !id.chars().all(self.allowed) {
            return Err(Error::invalid("id", format!("must be {}", self.what)));
        }
        Ok(id)
    }
}

/// `Retry-After` as seconds or an HTTP date.
pub fn parse_retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let date = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    let wait = date.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(wait.to_std().unwrap_or(Duration::ZERO))
}

/// Decodes a JSON body into `T`, keeping its text as [`RawJson`], or an [`Error::Decode`] with a
/// snippet. The body is parsed once: the text is kept as received, not parsed into a tree.
///
/// Adapters use this for error bodies and webhook payloads too, so "undecodable" means one thing.
pub fn decode_json<T: DeserializeOwned>(
    provider: ProviderId,
    status: u16,
    body: &[u8],
) -> Result<(T, RawJson), Error> {
    let decode_error = |e: BoxError| Error::Decode {
        provider,
        status,
        snippet: snippet(body),
        source: e,
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(decode_error("empty body".into()));
    }
    let text = std::str::from_utf8(body).map_err(|e| decode_error(e.into()))?;
    // serde's message quotes the offending value ("invalid type: string \"+2547…\""): it is
    // kept as text with its digit runs masked, like the snippet.
    let value: T = serde_json::from_str(text)
        .map_err(|e| decode_error(crate::redact::mask_digit_runs(&e.to_string()).into()))?;
    Ok((value, RawJson::from_decoded_text(text)))
}

/// The first 200 characters of a body, lossily decoded, for error messages, with digit runs of 6
/// or more (phone and account numbers a provider may echo) masked so they never reach a log (see
/// the rules in `redact.rs`: `+254712345678` → `+2547*****678`, `0712345678` → `*******678`).
pub fn snippet(body: &[u8]) -> String {
    const MAX: usize = 200;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX * 4)]);
    let mut out: String =
        crate::redact::mask_digit_runs(&text.chars().take(MAX).collect::<String>());
    if text.chars().count() > MAX {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_mask_long_digit_runs_and_keep_short_ones() {
        assert_eq!(
            snippet(br#"{"detail":"Invalid phone number +254712345678","amount":"1000.00"}"#),
            r#"{"detail":"Invalid phone number +2547*****678","amount":"1000.00"}"#
        );
        assert_eq!(
            snippet(
                br#"{"mobile_number":"+263771234567","n":"0712345678","account":"62049173385"}"#
            ),
            r#"{"mobile_number":"+2637*****567","n":"*******678","account":"********385"}"#
        );
        assert_eq!(snippet(b"ecocash 771234567"), "ecocash ******567");
        assert_eq!(snippet(b"HTTP 502 at 2024-04-12"), "HTTP 502 at 2024-04-12");
        assert_eq!(snippet(&[b'x'; 300]).chars().count(), 201);
        assert_eq!(snippet(&[0xff, 0xfe]), "\u{fffd}\u{fffd}");
    }

    #[test]
    fn decode_errors_mask_the_value_serde_quotes() {
        #[derive(Debug, serde::Deserialize)]
        struct Wire {
            #[allow(dead_code)]
            amount: u64,
        }
        let body = br#"{"amount": "+254712345678"}"#;
        let err = decode_json::<Wire>(ProviderId::JPAY, 200, body).expect_err("wrong type");
        let Error::Decode {
            snippet, source, ..
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(snippet, r#"{"amount": "+2547*****678"}"#);
        assert_eq!(
            source.to_string(),
            r#"invalid type: string "+2547*****678", expected u64 at line 1 column 26"#
        );
        assert!(!format!("{err:?}").contains("712345678"), "{err:?}");
    }

    #[test]
    fn reply_and_decoded_debug_show_no_body() {
        let reply = Reply {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: br#"{"access":"jpay_at_0123"}"#.to_vec(),
            attempts: 1,
        };
        assert_eq!(
            format!("{reply:?}"),
            "Reply { status: 200, headers: {}, body_bytes: 25, attempts: 1 }"
        );
        let decoded = Decoded {
            value: "jpay_at_0123".to_owned(),
            raw: RawJson::from(serde_json::json!({"payto": "+254712345678"})),
            status: StatusCode::OK,
        };
        assert_eq!(
            format!("{decoded:?}"),
            r#"Decoded { raw: {"payto":"+2547*****678"}, status: 200, .. }"#
        );
    }

    #[test]
    fn backoff_stays_within_half_and_full_of_the_capped_exponential() {
        let policy = RetryPolicy::default()
            .with_backoff(Duration::from_millis(100), Duration::from_millis(1000));
        for _ in 0..200 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let tenth = policy.backoff(10);
            assert!(tenth >= Duration::from_millis(500) && tenth <= Duration::from_millis(1000));
        }
    }
}
