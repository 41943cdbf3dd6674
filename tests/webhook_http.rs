//! Webhook deliveries handed over as the `http` crate's types (`http::Request<Bytes>`, or method,
//! URI, headers and body as a framework extracts them), named through `disburse`'s re-exports.

mod common;

use disburse::http_types::{HeaderMap, HeaderValue, Method, Request, Uri};
use disburse::providers::jpay::{Environment, JpayClient, JpayConfig};
use disburse::providers::vesicash::{self, VesicashClient, VesicashConfig};
use disburse::webhook::{SignatureEncoding, sign};
use disburse::{
    Bytes, Error, PayoutProvider, ProviderId, SecretString, Status, WebhookError, WebhookRequest,
};

use common::fixture;

const CALLBACK_SECRET: &str = "test-callback-secret";

fn jpay() -> JpayClient {
    JpayClient::new(
        JpayConfig::new(
            SecretString::from("k"),
            SecretString::from("s"),
            SecretString::from(CALLBACK_SECRET),
        )
        .with_environment(Environment::Custom("http://127.0.0.1:9".into())),
    )
    .unwrap()
}

#[test]
fn a_jpay_callback_as_an_http_request_verifies_by_its_query_token() {
    let body = Bytes::from(fixture("jpay/callback-completed.json"));
    let token = sign(
        CALLBACK_SECRET.as_bytes(),
        b"PAYOUT-2024-001",
        SignatureEncoding::Hex,
    );
    let request = Request::post(format!("/webhooks/jpay?disburse_token={token}"))
        .body(body.clone())
        .unwrap();

    let event = jpay()
        .parse_webhook(&WebhookRequest::from_http(&request))
        .unwrap();
    assert_eq!(event.provider, ProviderId::JPAY);
    assert_eq!(event.reference.as_deref(), Some("PAYOUT-2024-001"));
    assert_eq!(event.status, Status::Succeeded);

    // The absolute form a proxy may pass on reads the same query.
    let absolute: Uri = format!("https://shop.example/webhooks/jpay?disburse_token={token}")
        .parse()
        .unwrap();
    let headers = HeaderMap::new();
    let delivery = WebhookRequest::from_parts(&Method::POST, &absolute, &headers, &body);
    assert_eq!(
        delivery.url,
        format!("/webhooks/jpay?disburse_token={token}")
    );
    assert_eq!(jpay().parse_webhook(&delivery).unwrap(), event);

    // A forged token is refused.
    let forged = Request::post("/webhooks/jpay?disburse_token=00ff")
        .body(body)
        .unwrap();
    let err = jpay()
        .parse_webhook(&WebhookRequest::from_http(&forged))
        .unwrap_err();
    assert!(
        matches!(err, Error::Webhook(WebhookError::SignatureMismatch)),
        "{err:?}"
    );
}

#[test]
fn a_vesicash_delivery_as_an_http_request_verifies_by_its_header() {
    let secret = "whsec_vesicash_fixture_secret";
    let client = VesicashClient::new(VesicashConfig::new(
        SecretString::from("sk"),
        SecretString::from("pk"),
        SecretString::from(secret),
        vesicash::Environment::Custom("http://127.0.0.1:9".into()),
    ))
    .unwrap();
    let body = fixture("vesicash/webhook_payout.json");
    let signature = sign(secret.as_bytes(), body.as_bytes(), SignatureEncoding::Hex);
    let mut request = Request::post("/webhooks/vesicash")
        .body(body.clone().into_bytes())
        .unwrap();
    request.headers_mut().insert(
        vesicash::SIGNATURE_HEADER,
        HeaderValue::from_str(&signature).unwrap(),
    );

    let event = client
        .parse_webhook(&WebhookRequest::from_http(&request))
        .unwrap();
    assert_eq!(event.provider, ProviderId::VESICASH);

    request
        .headers_mut()
        .insert(vesicash::SIGNATURE_HEADER, HeaderValue::from_static("00"));
    let err = client
        .parse_webhook(&WebhookRequest::from_http(&request))
        .unwrap_err();
    assert!(
        matches!(err, Error::Webhook(WebhookError::SignatureMismatch)),
        "{err:?}"
    );
}
