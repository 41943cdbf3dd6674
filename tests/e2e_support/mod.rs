//! Helpers for the end-to-end tests: a started sandbox, a webhook receiver that records raw
//! deliveries, and polling with a deadline.
#![allow(dead_code)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::any;
use disburse::sandbox::Sandbox;
use disburse::{CallbackUrl, Reference, WebhookRequest};
use tokio::time::Instant;

/// How long a poll waits before failing the test (generous: the machine is shared).
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A sandbox whose payouts settle at once.
pub async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .settle_after(Duration::ZERO)
        .start()
        .await
        .expect("sandbox starts")
}

/// A merchant reference.
pub fn reference(text: &str) -> Reference {
    Reference::new(text).expect("valid reference")
}

/// Polls `check` every 10 ms until it gives a value, failing the test after [`DEADLINE`].
pub async fn wait_until<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + DEADLINE;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// One raw delivery the receiver got.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub method: String,
    /// The full URL, query included, as the sender addressed it.
    pub url: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Delivery {
    /// The delivery as the crate's webhook input.
    pub fn request(&self) -> WebhookRequest<'_> {
        WebhookRequest {
            method: &self.method,
            url: &self.url,
            headers: &self.headers,
            body: &self.body,
        }
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

#[derive(Clone)]
struct ReceiverState {
    base: String,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
}

/// A loopback HTTP server on `127.0.0.1:0` that records every request and answers 200.
pub struct Receiver {
    pub base: String,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let deliveries = Arc::new(Mutex::new(Vec::new()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let state = ReceiverState {
            base: base.clone(),
            deliveries: Arc::clone(&deliveries),
        };
        let app = axum::Router::new()
            .route("/{*path}", any(receive))
            .with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            base,
            deliveries,
            task,
        }
    }

    /// `base` + `path` as a callback URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn callback(&self, path: &str) -> CallbackUrl {
        CallbackUrl::parse(&self.url(path)).expect("loopback callback URL")
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.deliveries.lock().expect("lock").clone()
    }

    /// Waits for a delivery whose body contains `needle`.
    pub async fn wait_for(&self, needle: &str) -> Delivery {
        wait_until(&format!("a webhook mentioning {needle}"), || async {
            self.deliveries()
                .into_iter()
                .find(|d| String::from_utf8_lossy(&d.body).contains(needle))
        })
        .await
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    state.deliveries.lock().expect("lock").push(Delivery {
        method: method.to_string(),
        url: format!("{}{uri}", state.base),
        headers,
        body,
    });
    StatusCode::OK
}
