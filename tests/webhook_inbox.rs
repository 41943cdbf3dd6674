//! `WebhookInbox` mounted as a real axum server on loopback, receiving the sandbox's real HTTP
//! webhook deliveries for all three providers: every genuine event reaches the callback exactly
//! once, a redelivered one is acknowledged and not passed on again, a forged one gets a 4xx.
#![cfg(all(feature = "sandbox", feature = "axum"))]

mod e2e_support;

use std::sync::{Arc, Mutex};

use disburse::settle::EventFeed;
use disburse::{
    Currency, Destination, Money, Msisdn, PayoutProvider, PayoutRequest, ProviderId, WebhookEvent,
    WebhookInbox,
};
use e2e_support::{reference, sandbox, wait_until};

fn request(reference_text: &str, amount: &str, currency: Currency, number: &str) -> PayoutRequest {
    PayoutRequest::new(
        reference(reference_text),
        Money::parse(amount, currency).unwrap(),
        Destination::mobile(Msisdn::parse(number).unwrap()),
    )
}

fn signature_header(provider: ProviderId) -> Option<&'static str> {
    match provider {
        p if p == ProviderId::VESICASH => Some("X-Vesicash-Signature"),
        p if p == ProviderId::PAYONIFY => Some("Payonify-Signature"),
        _ => None,
    }
}

#[tokio::test]
async fn a_real_axum_server_gets_each_genuine_event_once_and_refuses_forgeries() {
    let sandbox = sandbox().await;
    let vesicash: Arc<dyn PayoutProvider> = Arc::new(sandbox.vesicash_client().unwrap());
    let jpay: Arc<dyn PayoutProvider> = Arc::new(sandbox.jpay_client().unwrap());
    let payonify: Arc<dyn PayoutProvider> = Arc::new(sandbox.payonify_client().unwrap());

    let received: Arc<Mutex<Vec<WebhookEvent>>> = Arc::default();
    let feed = EventFeed::new();
    let sink = received.clone();
    let inbox = WebhookInbox::builder()
        .provider(vesicash.clone())
        .provider(jpay.clone())
        .provider(payonify.clone())
        .feed(&feed)
        .on_event(move |event| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(event);
                Ok(())
            }
        })
        .build();
    let app = axum::Router::new().nest("/webhooks", inbox.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/webhooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    sandbox.set_webhook_url(ProviderId::PAYONIFY, Some(&format!("{base}/payonify")));
    let hook = |name: &str| disburse::CallbackUrl::parse(&format!("{base}/{name}")).unwrap();

    let created = [
        vesicash
            .create_payout(
                &request("inbox-v-1", "150.00", Currency::ZMW, "+260977123456")
                    .with_callback_url(hook("vesicash")),
            )
            .await
            .unwrap(),
        jpay.create_payout(
            &request("inbox-j-1", "150.00", Currency::KES, "+254712345678")
                .with_callback_url(hook("jpay?shop=7")),
        )
        .await
        .unwrap(),
        payonify
            .create_payout(&request(
                "inbox-p-1",
                "10.00",
                Currency::USD,
                "+263771234567",
            ))
            .await
            .unwrap(),
    ];

    // Every delivery the sandbox made was answered 2xx, and each reached the callback once.
    let deliveries = wait_until("every payout's webhooks delivered", || async {
        let all = sandbox.webhooks();
        let done = created
            .iter()
            .all(|p| all.iter().any(|d| d.entry_id == p.id))
            && all.iter().all(|d| d.delivered);
        done.then_some(all)
    })
    .await;
    let events = received.lock().unwrap().clone();
    assert_eq!(events.len(), deliveries.len(), "{events:?}");
    for delivery in &deliveries {
        let matching = events
            .iter()
            .filter(|e| e.raw.as_str() == Some(delivery.body.as_str()))
            .count();
        assert_eq!(matching, 1, "{}", delivery.body);
    }
    for payout in &created {
        assert!(
            events.iter().any(|e| e.provider == payout.provider
                && (e.provider_reference.as_deref() == Some(payout.id.as_str())
                    || e.reference.as_deref() == payout.reference.as_ref().map(|r| r.as_str()))),
            "no event for {payout:?}"
        );
    }

    // Redelivered byte for byte: acknowledged, not passed on again.
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    for delivery in &deliveries {
        let mut post = http.post(&delivery.url).body(delivery.body.clone());
        if let (Some(name), Some(value)) =
            (signature_header(delivery.provider), &delivery.signature)
        {
            post = post.header(name, value);
        }
        let status = post.send().await.unwrap().status();
        assert_eq!(status, 200, "redelivery to {}", delivery.url);
    }
    assert_eq!(received.lock().unwrap().len(), deliveries.len());

    // Forged: a bad signature, a bad JPay token, no signature at all. Each a 4xx, none passed on.
    for delivery in &deliveries {
        let (url, header) = match signature_header(delivery.provider) {
            Some(name) => (delivery.url.clone(), Some((name, "t=1,v1=00".to_owned()))),
            None => {
                let (path, _) = delivery.url.split_once('?').unwrap();
                (format!("{path}?shop=7&disburse_token=00ff"), None)
            }
        };
        let forged_body = delivery.body.replace("150", "999");
        let mut post = http.post(&url).body(forged_body);
        if let Some((name, value)) = header {
            post = post.header(name, value);
        }
        let status = post.send().await.unwrap().status();
        assert!(status.is_client_error(), "{status} for a forgery to {url}");
    }
    let status = http
        .post(format!("{base}/vesicash"))
        .body("{}")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 400);
    assert_eq!(
        http.post(format!("{base}/nobody"))
            .body("{}")
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(received.lock().unwrap().len(), deliveries.len());
}

/// The framework-free path over `http::Request<Bytes>`: a failed callback answers 500 and
/// releases the event, so the redelivery is handled once.
#[tokio::test]
async fn a_failed_callback_is_retried_by_the_redelivery_and_then_delivered_once() {
    use disburse::http_types::Request;
    use disburse::webhook::{SignatureEncoding, sign};
    use disburse::webhook_inbox::Handled;
    use disburse::{Bytes, SecretString};

    let secret = "whsec_inbox";
    let client = disburse::providers::vesicash::VesicashClient::new(
        disburse::providers::vesicash::VesicashConfig::new(
            SecretString::from("sk"),
            SecretString::from("pk"),
            SecretString::from(secret),
            disburse::providers::vesicash::Environment::Custom("http://127.0.0.1:9".into()),
        ),
    )
    .unwrap();
    let calls = Arc::new(Mutex::new(0u32));
    let counter = calls.clone();
    let inbox = WebhookInbox::builder()
        .provider(Arc::new(client))
        .on_event(move |_event| {
            let counter = counter.clone();
            async move {
                let mut n = counter.lock().unwrap();
                *n += 1;
                if *n == 1 {
                    Err("database down".into())
                } else {
                    Ok(())
                }
            }
        })
        .build();
    let body = br#"{"event":"payout.successful","data":{"reference":"PY_1","status":"successful","amount":"1.00"}}"#;
    let request = Request::post("/vesicash")
        .header(
            "X-Vesicash-Signature",
            sign(secret.as_bytes(), body, SignatureEncoding::Hex),
        )
        .body(Bytes::from_static(body))
        .unwrap();

    let first = inbox.handle("vesicash", &request).await;
    assert!(matches!(first, Handled::Failed(_)), "{first:?}");
    assert_eq!(first.status(), 500);
    let second = inbox.handle("vesicash", &request).await;
    assert!(matches!(second, Handled::Delivered(_)), "{second:?}");
    let third = inbox.handle("vesicash", &request).await;
    assert!(matches!(third, Handled::Repeated(_)), "{third:?}");
    assert_eq!(third.status(), 200);
    assert_eq!(*calls.lock().unwrap(), 2);
}
