//! Webhook delivery: POST (or PUT) the body to the URL, signed as the provider signs, retrying a few times
//! with a short doubling backoff on anything but a 2xx, and log the outcome.

use std::sync::Arc;

use chrono::Utc;
use reqwest::header::CONTENT_TYPE;

use super::log::WebhookDelivery;
use super::state::Shared;
use crate::model::ProviderId;
use crate::webhook::{SignatureEncoding, sign};

/// How a delivery is signed.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Signing {
    /// Not signed (JPay).
    None,
    /// `header: hex(HMAC-SHA256(secret, body))` (Vesicash).
    BodyHex {
        header: &'static str,
        secret: &'static str,
    },
    /// `header: t=<unix>,v1=hex(HMAC-SHA256(secret, "{t}.{body}"))`, fresh per attempt
    /// (Payonify).
    Timestamped {
        header: &'static str,
        secret: &'static str,
    },
}

impl Signing {
    fn header(&self, body: &[u8], now: i64) -> Option<(&'static str, String)> {
        match *self {
            Signing::None => None,
            Signing::BodyHex { header, secret } => Some((
                header,
                sign(secret.as_bytes(), body, SignatureEncoding::Hex),
            )),
            Signing::Timestamped { header, secret } => {
                let mut message = format!("{now}.").into_bytes();
                message.extend_from_slice(body);
                let v1 = sign(secret.as_bytes(), &message, SignatureEncoding::Hex);
                Some((header, format!("t={now},v1={v1}")))
            }
        }
    }
}

/// One webhook to send.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) provider: ProviderId,
    pub(crate) event: String,
    pub(crate) entry_id: String,
    pub(crate) url: String,
    pub(crate) body: Vec<u8>,
    pub(crate) signing: Signing,
    /// POST for every provider but MTN MoMo's v2 operations (PUT).
    pub(crate) method: reqwest::Method,
}

pub(crate) async fn deliver(shared: Arc<Shared>, out: Outgoing) {
    let settings = &shared.settings;
    let mut attempts = 0;
    let mut status = None;
    let mut delivered = false;
    let mut signature = None;
    let mut backoff = settings.webhook_backoff;
    while attempts < settings.webhook_attempts.max(1) {
        if attempts > 0 {
            tokio::time::sleep(backoff).await;
            backoff = backoff.saturating_mul(2);
        }
        attempts += 1;
        let mut request = shared
            .http
            .request(out.method.clone(), &out.url)
            .timeout(settings.webhook_timeout)
            .header(CONTENT_TYPE, "application/json")
            .body(out.body.clone());
        let signed = out.signing.header(&out.body, Utc::now().timestamp());
        if let Some((name, value)) = &signed {
            request = request.header(*name, value.as_str());
        }
        signature = signed.map(|(_, value)| value);
        match request.send().await {
            Ok(response) => {
                status = Some(response.status().as_u16());
                if response.status().is_success() {
                    delivered = true;
                    break;
                }
            }
            Err(_) => status = None,
        }
    }
    tracing::debug!(
        provider = %out.provider,
        event = %out.event,
        entry = %out.entry_id,
        attempts,
        status,
        delivered,
        "sandbox webhook delivery"
    );
    shared.lock().log_webhook(WebhookDelivery {
        provider: out.provider,
        event: out.event,
        entry_id: out.entry_id,
        url: out.url,
        body: String::from_utf8_lossy(&out.body).into_owned(),
        signature,
        attempts,
        status,
        delivered,
    });
}
