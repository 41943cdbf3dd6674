//! One webhook endpoint for every provider, framework-free: verify, parse, answer per
//! [`WebhookError::should_acknowledge`](crate::WebhookError::should_acknowledge), drop a repeated event, and hand each new event to the
//! merchant's callback and to an [`EventFeed`].
//!
//! [`WebhookInbox::handle`] takes an `http::Request<Bytes>` (hyper's, axum's;
//! actix users build one from their request) and gives the `http::StatusCode`
//! to answer. With the `axum` feature, [`WebhookInbox::router`] mounts it as one route per
//! provider.
//!
//! | delivery | answer | callback |
//! |---|---|---|
//! | authentic, new | 200 once the callback returned `Ok` (500 if it failed: the provider redelivers) | once |
//! | authentic, seen before (redelivered) | 200 | not again |
//! | authentic, not about a payout or refund ([`WebhookError::should_acknowledge`](crate::WebhookError::should_acknowledge)) | 200 | no |
//! | forged, stale or malformed ([`Error::Webhook`]) | 400 | no |
//! | any other error (a client that cannot parse webhooks as configured) | 500 | no |
//! | unknown provider name | 404 | no |
//!
//! A repeat is recognised by the provider's event id when the payload has one, else by the
//! SHA-256 of the raw body (a redelivery repeats the body byte for byte). Seen keys live in a
//! [`SeenEvents`] store: [`MemorySeen`] (bounded, the default) or a persistent one. A key is
//! claimed before the callback runs, so two concurrent deliveries of one event reach the
//! callback once, and released when the callback fails, so the redelivery is handled.

use std::collections::{HashSet, VecDeque};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};

use ::http::{Request, StatusCode};
use async_trait::async_trait;
use sha2::{Digest, Sha256};

use crate::error::{BoxError, Error};
use crate::provider::PayoutProvider;
use crate::settle::EventFeed;
use crate::webhook::{WebhookEvent, WebhookRequest};

/// The merchant's handler of each new event.
type Callback = dyn Fn(WebhookEvent) -> Pin<Box<dyn Future<Output = Result<(), BoxError>> + Send>>
    + Send
    + Sync;

/// Where the keys of handled events are kept.
#[async_trait]
pub trait SeenEvents: Send + Sync + fmt::Debug {
    /// Claims `key`: `Ok(true)` when it was not seen (nor claimed) before, and is now.
    async fn claim(&self, key: &str) -> Result<bool, Error>;
    /// Gives a claimed key up (its callback failed), so a redelivery is handled.
    async fn release(&self, key: &str) -> Result<(), Error>;
}

/// The default [`SeenEvents`]: the most recent `capacity` keys in memory (older ones are
/// forgotten first). Redeliveries come within hours; size it for that many events.
#[derive(Debug)]
pub struct MemorySeen {
    capacity: usize,
    keys: Mutex<(HashSet<String>, VecDeque<String>)>,
}

impl MemorySeen {
    /// The default bound: 100,000 keys (about 10 MB).
    pub const DEFAULT_CAPACITY: usize = 100_000;

    /// A store keeping at most `capacity` keys (at least 1).
    pub fn new(capacity: usize) -> MemorySeen {
        MemorySeen {
            capacity: capacity.max(1),
            keys: Mutex::new((HashSet::new(), VecDeque::new())),
        }
    }
}

impl Default for MemorySeen {
    fn default() -> Self {
        MemorySeen::new(MemorySeen::DEFAULT_CAPACITY)
    }
}

#[async_trait]
impl SeenEvents for MemorySeen {
    async fn claim(&self, key: &str) -> Result<bool, Error> {
        let mut guard = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        let (set, order) = &mut *guard;
        if set.contains(key) {
            return Ok(false);
        }
        if set.len() >= self.capacity
            && let Some(oldest) = order.pop_front()
        {
            set.remove(&oldest);
        }
        set.insert(key.to_owned());
        order.push_back(key.to_owned());
        Ok(true)
    }

    async fn release(&self, key: &str) -> Result<(), Error> {
        let mut guard = self.keys.lock().unwrap_or_else(PoisonError::into_inner);
        let (set, order) = &mut *guard;
        set.remove(key);
        order.retain(|k| k != key);
        Ok(())
    }
}

/// One endpoint for every provider's webhooks. See the [module docs](self).
///
/// Cheap to clone (an `Arc` inside).
#[derive(Clone)]
pub struct WebhookInbox {
    inner: Arc<Inner>,
}

struct Inner {
    providers: Vec<(String, Arc<dyn PayoutProvider>)>,
    seen: Arc<dyn SeenEvents>,
    feed: Option<EventFeed>,
    callback: Option<Arc<Callback>>,
}

impl fmt::Debug for WebhookInbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.names().collect();
        f.debug_struct("WebhookInbox")
            .field("providers", &names)
            .field("seen", &self.inner.seen)
            .field("feed", &self.inner.feed.is_some())
            .field("callback", &self.inner.callback.is_some())
            .finish()
    }
}

/// Builds a [`WebhookInbox`].
pub struct WebhookInboxBuilder {
    providers: Vec<(String, Arc<dyn PayoutProvider>)>,
    seen: Arc<dyn SeenEvents>,
    feed: Option<EventFeed>,
    callback: Option<Arc<Callback>>,
}

impl fmt::Debug for WebhookInboxBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookInboxBuilder")
            .field("providers", &self.providers.len())
            .finish_non_exhaustive()
    }
}

impl WebhookInboxBuilder {
    /// Receives `provider`'s webhooks under its name ([`ProviderId::as_str`](crate::ProviderId::as_str):
    /// `/vesicash`, `/jpay`, `/payonify` in the router).
    #[must_use]
    pub fn provider(self, provider: Arc<dyn PayoutProvider>) -> Self {
        let name = provider.id().as_str().to_owned();
        self.provider_at(name, provider)
    }

    /// Receives `provider`'s webhooks under `name` (two clients of one provider, say).
    #[must_use]
    pub fn provider_at(
        mut self,
        name: impl Into<String>,
        provider: Arc<dyn PayoutProvider>,
    ) -> Self {
        self.providers.push((name.into(), provider));
        self
    }

    /// Where seen event keys are kept (default: [`MemorySeen::default`]).
    #[must_use]
    pub fn seen_events(mut self, store: Arc<dyn SeenEvents>) -> Self {
        self.seen = store;
        self
    }

    /// Publishes each new event to `feed` (so `await_final` waiters wake).
    #[must_use]
    pub fn feed(mut self, feed: &EventFeed) -> Self {
        self.feed = Some(feed.clone());
        self
    }

    /// Calls `callback` with each new event; an `Err` answers 500 so the provider redelivers.
    #[must_use]
    pub fn on_event<F, Fut>(mut self, callback: F) -> Self
    where
        F: Fn(WebhookEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.callback = Some(Arc::new(move |event| Box::pin(callback(event))));
        self
    }

    /// The inbox.
    pub fn build(self) -> WebhookInbox {
        WebhookInbox {
            inner: Arc::new(Inner {
                providers: self.providers,
                seen: self.seen,
                feed: self.feed,
                callback: self.callback,
            }),
        }
    }
}

/// What [`WebhookInbox::handle`] did with a delivery, beside the status to answer.
#[non_exhaustive]
#[derive(Debug)]
pub enum Handled {
    /// A new event, passed to the callback and the feed.
    Delivered(WebhookEvent),
    /// An event seen before: acknowledged, not passed on again.
    Repeated(WebhookEvent),
    /// Authentic but not about a payout or refund: acknowledged.
    Ignored(Error),
    /// Refused (forged, stale, malformed): 4xx.
    Refused(Error),
    /// No provider under that name: 404.
    UnknownProvider,
    /// The client could not parse it, the seen store failed, or the callback failed: 500, so
    /// the provider redelivers.
    Failed(BoxError),
}

impl Handled {
    /// The status to answer the provider with.
    pub fn status(&self) -> StatusCode {
        match self {
            Handled::Delivered(_) | Handled::Repeated(_) | Handled::Ignored(_) => StatusCode::OK,
            Handled::Refused(_) => StatusCode::BAD_REQUEST,
            Handled::UnknownProvider => StatusCode::NOT_FOUND,
            Handled::Failed(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl WebhookInbox {
    /// A builder with no provider, the in-memory seen store, no feed and no callback.
    pub fn builder() -> WebhookInboxBuilder {
        WebhookInboxBuilder {
            providers: Vec::new(),
            seen: Arc::new(MemorySeen::default()),
            feed: None,
            callback: None,
        }
    }

    /// The provider names routes are mounted under.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.inner.providers.iter().map(|(name, _)| name.as_str())
    }

    /// Handles one delivery to the provider named `provider` (the route's last segment).
    pub async fn handle<B: AsRef<[u8]>>(&self, provider: &str, request: &Request<B>) -> Handled {
        self.handle_delivery(provider, &WebhookRequest::from_http(request))
            .await
    }

    /// [`WebhookInbox::handle`] for a delivery already taken apart.
    pub async fn handle_delivery(&self, provider: &str, delivery: &WebhookRequest<'_>) -> Handled {
        let Some((_, client)) = self
            .inner
            .providers
            .iter()
            .find(|(name, _)| name == provider)
        else {
            return Handled::UnknownProvider;
        };
        let event = match client.parse_webhook(delivery) {
            Ok(event) => event,
            Err(Error::Webhook(e)) if e.should_acknowledge() => {
                return Handled::Ignored(Error::Webhook(e));
            }
            Err(e @ Error::Webhook(_)) => {
                tracing::warn!(provider, error = %e, "webhook refused");
                return Handled::Refused(e);
            }
            Err(e) => return Handled::Failed(Box::new(e)),
        };
        let key = seen_key(provider, &event, delivery.body);
        match self.inner.seen.claim(&key).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(provider, "repeated webhook event acknowledged and dropped");
                return Handled::Repeated(event);
            }
            Err(e) => return Handled::Failed(Box::new(e)),
        }
        if let Some(callback) = &self.inner.callback
            && let Err(e) = callback(event.clone()).await
        {
            if let Err(release) = self.inner.seen.release(&key).await {
                tracing::error!(provider, error = %release, "could not release a webhook key");
            }
            return Handled::Failed(e);
        }
        if let Some(feed) = &self.inner.feed {
            feed.publish(&event);
        }
        Handled::Delivered(event)
    }
}

/// The event's identity: the provider's event id, else the SHA-256 of the raw body.
fn seen_key(provider: &str, event: &WebhookEvent, body: &[u8]) -> String {
    match event.event_id.as_deref().filter(|id| !id.trim().is_empty()) {
        Some(id) => format!("{provider}:id:{id}"),
        None => format!("{provider}:body:{}", hex::encode(Sha256::digest(body))),
    }
}

#[cfg(feature = "axum")]
mod router {
    use ::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::Router;
    use axum::extract::State;
    use axum::routing::post;
    use bytes::Bytes;

    use super::WebhookInbox;
    use crate::webhook::WebhookRequest;

    impl WebhookInbox {
        /// An axum router with a `POST /{name}` route per provider (nest it where webhooks
        /// arrive: `Router::new().nest("/webhooks", inbox.router())`). Each route reads the raw
        /// body, the URI with its query (JPay's token) and the headers, and answers as
        /// [`WebhookInbox::handle`] decides.
        pub fn router(&self) -> Router {
            let mut router = Router::new();
            for name in self.names() {
                let owned = name.to_owned();
                let handler = move |State(inbox): State<WebhookInbox>,
                                    method: Method,
                                    uri: Uri,
                                    headers: HeaderMap,
                                    body: Bytes| {
                    let name = owned.clone();
                    async move {
                        let delivery = WebhookRequest::from_parts(&method, &uri, &headers, &body);
                        let status: StatusCode =
                            inbox.handle_delivery(&name, &delivery).await.status();
                        status
                    }
                };
                router = router.route(&format!("/{name}"), post(handler));
            }
            router.with_state(self.clone())
        }
    }
}
