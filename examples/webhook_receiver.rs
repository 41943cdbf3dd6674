//! A minimal webhook receiver: each provider's deliveries verified with the crate.
//!
//! Routes `/webhooks/vesicash`, `/webhooks/jpay` and `/webhooks/payonify` hand the raw delivery
//! (method, full URL, headers, body bytes) to that provider's `parse_webhook`, and answer
//! `200` on `Ok`, `400` on `Error::Webhook` (bad signature, stale timestamp, malformed body: the
//! provider should not retry a forgery) and `500` otherwise (so that the provider retries).
//!
//! Run: `cargo run --example webhook_receiver`. It starts the embedded sandbox, serves the
//! receiver on `127.0.0.1:0`, triggers one payout per provider, prints each verified event,
//! shows a forged delivery refused with 400, and exits (non-zero if anything was off). With
//! `-- --serve` it keeps serving afterwards, for deliveries from the `disburse-sandbox` binary
//! or your own tests.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::routing::post;
use disburse::sandbox::Sandbox;
use disburse::{
    CallbackUrl, Country, Currency, Destination, Error, Money, Msisdn, PayoutProvider,
    PayoutRequest, ProviderId, Reference, WebhookEvent, WebhookRequest,
};
use tokio::sync::mpsc;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone)]
struct Receiver {
    /// Where this server is reachable, to rebuild the full URL (JPay's token is in its query).
    base: String,
    vesicash: Arc<dyn PayoutProvider>,
    jpay: Arc<dyn PayoutProvider>,
    payonify: Arc<dyn PayoutProvider>,
    events: mpsc::UnboundedSender<WebhookEvent>,
}

async fn webhook(
    State(receiver): State<Receiver>,
    Path(name): Path<String>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let provider = match name.as_str() {
        "vesicash" => &receiver.vesicash,
        "jpay" => &receiver.jpay,
        "payonify" => &receiver.payonify,
        _ => return StatusCode::NOT_FOUND,
    };
    let url = format!("{}{uri}", receiver.base);
    let delivery = WebhookRequest {
        method: method.as_str(),
        url: &url,
        headers: &headers,
        body: &body,
    };
    match provider.parse_webhook(&delivery) {
        Ok(event) => {
            // Record the event durably here (idempotently: deliveries repeat), then answer 2xx.
            let _ = receiver.events.send(event);
            StatusCode::OK
        }
        Err(Error::Webhook(e)) if e.should_acknowledge() => {
            // Authentic, but not about a payout or refund: 2xx, or the provider redelivers it.
            println!("ignored a {name} delivery: {e}");
            StatusCode::OK
        }
        Err(Error::Webhook(e)) => {
            println!("refused a {name} delivery: {e}");
            StatusCode::BAD_REQUEST
        }
        Err(e) => {
            println!("could not handle a {name} delivery: {e}");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let serve_forever = std::env::args().any(|a| a == "--serve");
    let sandbox = Sandbox::builder()
        .settle_after(Duration::from_millis(200))
        .start()
        .await?;
    let vesicash: Arc<dyn PayoutProvider> = Arc::new(sandbox.vesicash_client()?);
    let jpay: Arc<dyn PayoutProvider> = Arc::new(sandbox.jpay_client()?);
    let payonify: Arc<dyn PayoutProvider> = Arc::new(sandbox.payonify_client()?);

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (events, mut received) = mpsc::unbounded_channel();
    let app = Router::new()
        .route("/webhooks/{provider}", post(webhook))
        .with_state(Receiver {
            base: base.clone(),
            vesicash: vesicash.clone(),
            jpay: jpay.clone(),
            payonify: payonify.clone(),
            events,
        });
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    println!("receiver on {base}/webhooks/{{vesicash,jpay,payonify}}");
    sandbox.set_webhook_url(
        ProviderId::PAYONIFY,
        Some(&format!("{base}/webhooks/payonify")),
    );

    // Self-demo: one payout per provider; their webhooks come back to the routes above.
    let hook = |name: &str| CallbackUrl::parse(&format!("{base}/webhooks/{name}"));
    let payouts = [
        (
            &vesicash,
            PayoutRequest::new(
                Reference::new("wr-vesicash-1")?,
                Money::parse("80.00", Currency::ZMW)?,
                Destination::mobile(Msisdn::parse("260999993000")?),
            )
            .with_callback_url(hook("vesicash")?),
        ),
        (
            &jpay,
            PayoutRequest::new(
                Reference::new("wr-jpay-1")?,
                Money::parse("250.00", Currency::KES)?,
                Destination::mobile(Msisdn::parse_with_default("0712345678", Country::Kenya)?),
            )
            .with_callback_url(hook("jpay")?),
        ),
        (
            &payonify,
            PayoutRequest::new(
                Reference::new("wr-payonify-1")?,
                Money::parse("12.50", Currency::USD)?,
                Destination::mobile(Msisdn::parse_with_default("0771111111", Country::Zimbabwe)?),
            ),
        ),
    ];
    for (provider, request) in &payouts {
        let payout = provider.create_payout(request).await?;
        println!("sent {} payout {}", provider.id(), payout.id);
    }

    let mut ok = true;
    for _ in 0..payouts.len() {
        match tokio::time::timeout(Duration::from_secs(10), received.recv()).await {
            Ok(Some(event)) => println!(
                "verified {} {:?} event: provider ref {:?}, your ref {:?}, status {:?}",
                event.provider,
                event.object,
                event.provider_reference.as_deref().unwrap_or("-"),
                event.reference.as_deref().unwrap_or("-"),
                event.status
            ),
            _ => {
                println!("FAIL: a webhook did not arrive within 10 s");
                ok = false;
            }
        }
    }

    // A forged delivery: the right shape, no valid signature. Answered 400.
    let forged = reqwest::Client::new()
        .post(format!("{base}/webhooks/vesicash"))
        .header("content-type", "application/json")
        .header("x-vesicash-signature", "00".repeat(32))
        .body(r#"{"event":"payout.successful","data":{"reference":"PY_FAKE","status":"successful","amount":1000000}}"#)
        .send()
        .await?;
    println!("forged Vesicash delivery answered {}", forged.status());
    ok &= forged.status() == reqwest::StatusCode::BAD_REQUEST;

    if serve_forever {
        println!("serving until interrupted");
        server.await??;
    }
    sandbox.shutdown().await;
    if !ok {
        std::process::exit(1);
    }
    Ok(())
}
