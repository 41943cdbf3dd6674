//! An adapter written outside the crate (examples/acme, a made-up provider) on the public API
//! alone, run against wiremock: the shared HTTP path's rules hold for it as for the crate's own.

#[path = "../examples/acme/mod.rs"]
mod acme;

use std::time::Duration;

use acme::{AcmeClient, AcmeConfig};
use disburse::http::{HttpConfig, RetryPolicy};
use disburse::{
    Ambiguity, Currency, Destination, Error, Money, Msisdn, PayoutProvider, PayoutRequest,
    Reference, Status,
};
use secrecy::SecretString;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn request() -> PayoutRequest {
    PayoutRequest::new(
        Reference::new("order-77").unwrap(),
        Money::parse("150.25", Currency::KES).unwrap(),
        Destination::mobile(Msisdn::parse("+254712345678").unwrap()),
    )
}

fn client(server: &MockServer, keyed: bool, timeout: Duration) -> AcmeClient {
    let http = HttpConfig::default().with_timeout(timeout).with_retry(
        RetryPolicy::default()
            .with_max_attempts(3)
            .with_backoff(Duration::from_millis(1), Duration::from_millis(5)),
    );
    let mut config = AcmeConfig::new(SecretString::from("ak_1"), SecretString::from("whsec"))
        .with_idempotency_keys(keyed);
    config.settings = config.settings.with_base_url(server.uri()).with_http(http);
    AcmeClient::new(config).unwrap()
}

const BODY: &str =
    r#"{"reference":"order-77","amount_minor":15025,"currency":"KES","msisdn":"+254712345678"}"#;

#[tokio::test]
async fn a_keyed_create_is_retried_byte_identical_after_a_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/transfers"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/transfers"))
        .and(header("idempotency-key", "order-77"))
        .respond_with(ResponseTemplate::new(201).set_body_string(
            r#"{"id":"tr_1","reference":"order-77","status":"pending","amount_minor":15025,"currency":"KES"}"#,
        ))
        .mount(&server)
        .await;

    let payout = client(&server, true, Duration::from_secs(5))
        .create_payout(&request())
        .await
        .unwrap();
    assert_eq!(payout.id, "tr_1");
    assert_eq!(payout.status, Status::Pending);
    assert_eq!(
        payout.amount,
        Some(Money::parse("150.25", Currency::KES).unwrap())
    );

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 2);
    for sent in &received {
        assert_eq!(std::str::from_utf8(&sent.body).unwrap(), BODY);
        assert_eq!(sent.headers["idempotency-key"], "order-77");
        assert_eq!(sent.headers["authorization"], "Bearer ak_1");
    }
    assert_eq!(received[0].body, received[1].body);
}

#[tokio::test]
async fn an_unkeyed_create_that_times_out_is_outcome_unknown_after_one_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/transfers"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_string(r#"{"id":"tr_2","status":"pending"}"#)
                .set_delay(Duration::from_secs(2)),
        )
        .mount(&server)
        .await;

    let err = client(&server, false, Duration::from_millis(200))
        .create_payout(&request())
        .await
        .unwrap_err();
    let Error::OutcomeUnknown {
        provider,
        operation,
        reference,
        cause,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*provider, acme::ACME);
    assert_eq!(*operation, "create_payout");
    assert_eq!(reference.as_ref().map(Reference::as_str), Some("order-77"));
    assert_eq!(*cause, Ambiguity::Timeout);

    let received = server.received_requests().await.unwrap();
    assert_eq!(received.len(), 1);
    assert_eq!(std::str::from_utf8(&received[0].body).unwrap(), BODY);
    assert!(!received[0].headers.contains_key("idempotency-key"));
}

#[tokio::test]
async fn a_refusal_maps_through_the_shared_status_table() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1/transfers/tr_9"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_string(r#"{"error":{"message":"no such transfer"}}"#),
        )
        .mount(&server)
        .await;
    let err = client(&server, true, Duration::from_secs(5))
        .get_payout("tr_9")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Rejected { status: 404, code: disburse::RejectCode::NotFound, message, .. } if message == "no such transfer"),
        "{err:?}"
    );
    let bad = client(&server, true, Duration::from_secs(5))
        .get_payout("../balance")
        .await
        .unwrap_err();
    assert!(
        matches!(bad, Error::InvalidRequest { field: "id", .. }),
        "{bad:?}"
    );
}
