//! A loopback webhook receiver that files each delivery under its URL path, so a run can wait for
//! the webhook about its own reference without scanning everyone else's. Clients whose answers
//! arrive only by callback (M-Pesa Daraja's status queries) are registered with
//! [`Receiver::forward_to`]: every delivery is also handed to their `parse_webhook`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use disburse::{CallbackUrl, PayoutProvider, WebhookRequest};
use tokio::time::Instant;

/// One delivery as received.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub url: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Delivery {
    pub fn request(&self) -> WebhookRequest<'_> {
        WebhookRequest {
            method: "POST",
            url: &self.url,
            headers: &self.headers,
            body: &self.body,
        }
    }
}

type Filed = Arc<Mutex<HashMap<String, Vec<Delivery>>>>;
type Forward = Arc<Mutex<Vec<Arc<dyn PayoutProvider>>>>;

#[derive(Clone)]
struct ReceiverState {
    base: String,
    filed: Filed,
    forward: Forward,
}

pub struct Receiver {
    base: String,
    filed: Filed,
    forward: Forward,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the receiver");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let filed: Filed = Arc::default();
        let forward: Forward = Arc::default();
        let state = ReceiverState {
            base: base.clone(),
            filed: Arc::clone(&filed),
            forward: Arc::clone(&forward),
        };
        let app = axum::Router::new()
            .route("/{*path}", post(receive))
            .with_state(state);
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            base,
            filed,
            forward,
            task,
        }
    }

    /// Hands every later delivery to `client`'s `parse_webhook` too (what it refuses is ignored:
    /// a delivery about another client's query, say).
    pub fn forward_to(&self, client: Arc<dyn PayoutProvider>) {
        self.forward.lock().expect("lock").push(client);
    }

    pub fn callback(&self, path: &str) -> CallbackUrl {
        CallbackUrl::parse(&format!("{}{path}", self.base)).expect("loopback callback URL")
    }

    /// The deliveries to `path` so far.
    pub fn at(&self, path: &str) -> Vec<Delivery> {
        self.filed
            .lock()
            .expect("lock")
            .get(path)
            .cloned()
            .unwrap_or_default()
    }

    /// Waits up to `deadline` for a delivery to `path`.
    pub async fn wait_at(&self, path: &str, deadline: Duration) -> Option<Delivery> {
        let end = Instant::now() + deadline;
        loop {
            if let Some(d) = self.at(path).into_iter().next() {
                return Some(d);
            }
            if Instant::now() >= end {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let delivery = Delivery {
        url: format!("{}{uri}", state.base),
        headers,
        body,
    };
    let clients = state.forward.lock().expect("lock").clone();
    for client in clients {
        let _ = client.parse_webhook(&delivery.request());
    }
    state
        .filed
        .lock()
        .expect("lock")
        .entry(uri.path().to_owned())
        .or_default()
        .push(delivery);
    StatusCode::OK
}
