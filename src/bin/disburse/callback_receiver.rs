//! In sandbox mode, a loopback endpoint for providers whose results arrive only by callback
//! (M-Pesa Daraja): every delivery goes through the shared [`WebhookInbox`] to the same client's
//! `parse_webhook`, so that client's `get_payout` (a status query answered by callback) learns
//! the result and `status`/`--wait` can follow the payout to its end.
//!
//! Outside the sandbox the CLI receives nothing: results go to the provider's configured
//! callback URL, which is the merchant's server (see docs/CLI.md).

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use bytes::Bytes;
use disburse::{Error, PayoutProvider, WebhookInbox, WebhookRequest};
use tokio::net::TcpListener;

/// A bound, not yet serving, receiver.
pub struct CallbackReceiver {
    listener: TcpListener,
    base: String,
}

impl CallbackReceiver {
    /// Binds a free loopback port.
    pub async fn bind() -> Result<CallbackReceiver, Error> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| Error::Config {
                message: "cannot listen on loopback for the sandbox's callbacks".to_owned(),
                source: Some(Box::new(e)),
            })?;
        let port = listener.local_addr().map_err(|e| Error::Config {
            message: "cannot read the callback receiver's address".to_owned(),
            source: Some(Box::new(e)),
        })?;
        Ok(CallbackReceiver {
            listener,
            base: format!("http://127.0.0.1:{}", port.port()),
        })
    }

    /// The URL deliveries for `provider_name` go to.
    pub fn url(&self, provider_name: &str) -> String {
        format!("{}/{provider_name}", self.base)
    }

    /// Serves deliveries to `provider` (under its id) until the process ends.
    pub fn serve(self, provider: Arc<dyn PayoutProvider>) {
        let inbox = WebhookInbox::builder().provider(provider).build();
        let router = Router::new()
            .route("/{name}", post(deliver))
            .with_state(inbox);
        tokio::spawn(async move {
            let _ = axum::serve(self.listener, router).await;
        });
    }
}

async fn deliver(
    State(inbox): State<WebhookInbox>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let delivery = WebhookRequest::from_parts(&method, &uri, &headers, &body);
    inbox.handle_delivery(&name, &delivery).await.status()
}
