//! The one HTTP path: retry policy, outcome-unknown, Retry-After, credential renewal, decoding.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use disburse::http::{Call, HttpClient, HttpConfig, Idempotency, ProviderHooks, RetryPolicy};
use disburse::{Ambiguity, Error, ProviderId, Reference, RejectCode};
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TEST: ProviderId = ProviderId::custom("test");

/// Hooks that add a fixed bearer token, count renewals, and map errors by status.
#[derive(Default)]
struct Hooks {
    renewals: AtomicUsize,
    renew_succeeds: bool,
}

#[async_trait]
impl ProviderHooks for Hooks {
    async fn authorize(&self, headers: &mut HeaderMap) -> Result<(), Error> {
        let n = self.renewals.load(Ordering::SeqCst);
        let value = HeaderValue::from_str(&format!("Bearer token-{n}")).expect("header value");
        headers.insert(AUTHORIZATION, value);
        Ok(())
    }

    async fn renew_credentials(&self, _refused: &HeaderMap) -> Result<bool, Error> {
        self.renewals.fetch_add(1, Ordering::SeqCst);
        Ok(self.renew_succeeds)
    }

    fn map_error(&self, status: StatusCode, body: &[u8]) -> Error {
        let message = disburse::http::snippet(body);
        match status.as_u16() {
            401 => Error::Auth {
                provider: TEST,
                status: Some(401),
                kind: disburse::AuthFailure::InvalidCredentials,
                message,
            },
            s if s >= 500 => Error::ServerError {
                provider: TEST,
                status: s,
                message,
            },
            s => Error::Rejected {
                provider: TEST,
                status: s,
                code: RejectCode::InvalidRequest,
                provider_code: None,
                message,
                param: None,
            },
        }
    }
}

fn client(server: &MockServer) -> HttpClient {
    client_with(server, HttpConfig::default())
}

fn client_with(server: &MockServer, config: HttpConfig) -> HttpClient {
    let config = config.with_retry(
        RetryPolicy::default().with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
    );
    HttpClient::new(TEST, &server.uri(), config).unwrap()
}

fn reference() -> Reference {
    Reference::new("order-42").unwrap()
}

fn create_call(idempotency: Idempotency) -> Call {
    Call::post_json(
        "create_payout",
        "/payouts",
        &json!({"amount": 100, "to": "+254712345678"}),
        idempotency,
    )
    .unwrap()
    .reference(&reference())
}

#[tokio::test]
async fn get_retried_through_503_503_then_200_takes_exactly_three_requests() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/payouts/1"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .expect(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/payouts/1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "1"})))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;

    let reply = client(&server)
        .send_json::<serde_json::Value>(&Hooks::default(), &Call::get("get_payout", "/payouts/1"))
        .await
        .unwrap();
    assert_eq!(reply.value, json!({"id": "1"}));
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn get_gives_up_after_three_attempts_with_the_mapped_server_error() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad gateway</html>"))
        .expect(3)
        .mount(&server)
        .await;
    let err = client(&server)
        .send(&Hooks::default(), &Call::get("get_payout", "/payouts/1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ServerError { status: 502, message, .. } if message.contains("Bad gateway")),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn unprotected_post_that_times_out_after_arrival_is_outcome_unknown_after_one_request() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/payouts"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .expect(1)
        .mount(&server)
        .await;
    let http = client_with(
        &server,
        HttpConfig::default().with_timeout(Duration::from_secs(3)),
    );
    let err = http
        .send(&Hooks::default(), &create_call(Idempotency::Unprotected))
        .await
        .unwrap_err();
    match &err {
        Error::OutcomeUnknown {
            reference,
            cause,
            operation,
            ..
        } => {
            assert_eq!(reference.as_ref(), Some(&reference_value()));
            assert_eq!(cause, &Ambiguity::Timeout);
            assert_eq!(*operation, "create_payout");
        }
        other => panic!("expected OutcomeUnknown, got {other:?}"),
    }
    assert!(err.may_have_been_sent());
    assert!(!err.is_retryable());
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

fn reference_value() -> Reference {
    reference()
}

#[tokio::test]
async fn unprotected_post_answered_5xx_is_outcome_unknown_and_not_resent() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .send(&Hooks::default(), &create_call(Idempotency::Unprotected))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::OutcomeUnknown {
                operation: "create_payout",
                reference: Some(ref r),
                cause: Ambiguity::ServerError { status: 503 },
                ..
            } if r.as_str() == "order-42"
        ),
        "{err:?}"
    );
    assert_eq!(err.http_status(), Some(503));
}

#[tokio::test]
async fn keyed_post_is_retried_with_byte_identical_body_and_key() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    let expected_body = json!({"amount": 100, "to": "+254712345678"});
    Mock::given(method("POST"))
        .and(header("idempotency-key", "order-42"))
        .and(body_json(&expected_body))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("idempotency-key", "order-42"))
        .and(body_json(&expected_body))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "po_1"})))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let call = create_call(Idempotency::Keyed)
        .header("idempotency-key", "order-42")
        .unwrap();
    let reply = client(&server)
        .send(&Hooks::default(), &call)
        .await
        .unwrap();
    assert_eq!(reply.attempts, 2);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].body, requests[1].body,
        "bodies must be byte-identical"
    );
    assert_eq!(
        requests[0].headers.get("idempotency-key"),
        requests[1].headers.get("idempotency-key")
    );
}

#[tokio::test]
async fn keyed_post_that_times_out_is_resent_with_the_same_key() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(30)))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "po_1"})))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let http = client_with(
        &server,
        HttpConfig::default().with_timeout(Duration::from_secs(3)),
    );
    let call = create_call(Idempotency::Keyed)
        .header("idempotency-key", "order-42")
        .unwrap();
    let reply = http
        .send_json::<serde_json::Value>(&Hooks::default(), &call)
        .await
        .unwrap();
    assert_eq!(reply.value["id"], "po_1");
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].body, requests[1].body);
    assert_eq!(
        requests[1].headers.get("idempotency-key").unwrap(),
        "order-42"
    );
}

#[tokio::test]
async fn keyed_post_still_failing_after_all_attempts_is_outcome_unknown() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(500))
        .expect(3)
        .mount(&server)
        .await;
    let err = client(&server)
        .send(&Hooks::default(), &create_call(Idempotency::Keyed))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::OutcomeUnknown {
            operation: "create_payout",
            reference: Some(ref r),
            cause: Ambiguity::ServerError { status: 500 },
            ..
        } if r.as_str() == "order-42"
    ));
}

#[tokio::test]
async fn bad_request_is_sent_once() {
    for idempotency in [
        Idempotency::Read,
        Idempotency::Keyed,
        Idempotency::Unprotected,
    ] {
        let server = MockServer::start().await;
        common::catch_all(&server).await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(400).set_body_string("bad amount"))
            .expect(1)
            .mount(&server)
            .await;
        let call = Call::post_json("op", "/x", &json!({}), idempotency).unwrap();
        let err = client(&server)
            .send(&Hooks::default(), &call)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Rejected { status: 400, message, .. } if message == "bad amount"),
            "{err:?}"
        );
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn retry_after_one_second_is_honoured() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .with_priority(2)
        .mount(&server)
        .await;
    let started = Instant::now();
    client(&server)
        .send(&Hooks::default(), &Call::get("get", "/x"))
        .await
        .unwrap();
    // Backoff is 5-20 ms here, so only the Retry-After explains a wait of a second.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retry_after_beyond_the_cap_is_returned_not_slept_through() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "3600"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .send(&Hooks::default(), &create_call(Idempotency::Unprotected))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(3600)),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn unauthorized_renews_once_and_repeats_once() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer token-0"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(header("authorization", "Bearer token-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"ok": true})))
        .expect(1)
        .mount(&server)
        .await;
    let hooks = Hooks {
        renew_succeeds: true,
        ..Hooks::default()
    };
    client(&server)
        .send(&hooks, &create_call(Idempotency::Unprotected))
        .await
        .unwrap();
    assert_eq!(hooks.renewals.load(Ordering::SeqCst), 1);
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests[0].body, requests[1].body);
}

#[tokio::test]
async fn a_second_401_is_not_renewed_again() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_string("Invalid or expired token"))
        .expect(2)
        .mount(&server)
        .await;
    let hooks = Hooks {
        renew_succeeds: true,
        ..Hooks::default()
    };
    let err = client(&server)
        .send(&hooks, &Call::get("get", "/x"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Auth {
                status: Some(401),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(hooks.renewals.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn connect_failure_is_not_sent_even_for_unprotected_posts() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let http = HttpClient::new(
        TEST,
        &format!("http://{addr}"),
        HttpConfig::default().with_retry(
            RetryPolicy::default().with_backoff(Duration::from_millis(1), Duration::from_millis(2)),
        ),
    )
    .unwrap();
    let err = http
        .send(&Hooks::default(), &create_call(Idempotency::Unprotected))
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotSent {
                operation: "create_payout",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.may_have_been_sent());
    assert!(err.is_retryable());
    assert!(
        std::error::Error::source(&err).is_some(),
        "the transport cause is chained"
    );
}

#[tokio::test]
async fn undecodable_answers_are_typed_errors() {
    for (body, content_type) in [
        ("", "application/json"),
        ("<html><body>502 Bad Gateway</body></html>", "text/html"),
        ("{\"id\": ", "application/json"),
        ("{\"id\": 5}", "application/json"),
    ] {
        let server = MockServer::start().await;
        common::catch_all(&server).await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, content_type))
            .expect(1)
            .mount(&server)
            .await;
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Typed {
            id: String,
        }
        let err = client(&server)
            .send_json::<Typed>(&Hooks::default(), &Call::get("get", "/x"))
            .await
            .unwrap_err();
        assert!(
            matches!(&err, Error::Decode { status: 200, snippet, .. } if body.starts_with(snippet.as_str())),
            "{body:?}: {err:?}"
        );
    }
}

#[tokio::test]
async fn undecodable_answer_to_a_money_moving_call_is_outcome_unknown() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html>ok</html>", "text/html"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(&server)
        .send_json::<serde_json::Value>(&Hooks::default(), &create_call(Idempotency::Unprotected))
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        Error::OutcomeUnknown {
            operation: "create_payout",
            reference: Some(ref r),
            cause: Ambiguity::UndecodableResponse { status: 200 },
            ..
        } if r.as_str() == "order-42"
    ));
}

#[tokio::test]
async fn user_agent_names_the_crate_and_version() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("GET"))
        .and(header(
            "user-agent",
            concat!("disburse/", env!("CARGO_PKG_VERSION")),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .send(&Hooks::default(), &Call::get("get", "/x"))
        .await
        .unwrap();
}

#[tokio::test]
async fn concurrent_clients_share_one_pool_and_are_send_sync() {
    fn assert_send_sync<T: Send + Sync + Clone + 'static>(_: &T) {}
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(20)
        .mount(&server)
        .await;
    let http = client(&server);
    assert_send_sync(&http);
    let hooks = Arc::new(Hooks::default());
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let http = http.clone();
            let hooks = hooks.clone();
            tokio::spawn(async move { http.send(hooks.as_ref(), &Call::get("get", "/x")).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
}

/// An answer larger than `MAX_BODY_BYTES` is not read: a typed decode error for a read, and for
/// a call that moves money an unknown outcome (whatever the status: it was never read), so a
/// caller reconciles instead of taking it as a refusal.
#[tokio::test]
async fn an_oversized_answer_is_a_decode_error_for_a_read_and_an_unknown_outcome_for_a_create() {
    let server = MockServer::start().await;
    common::catch_all(&server).await;
    let huge = vec![b'x'; disburse::http::MAX_BODY_BYTES + 1];
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(400).set_body_bytes(huge.clone()))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(huge))
        .expect(1)
        .mount(&server)
        .await;
    let http = client(&server);

    let err = http
        .send(&Hooks::default(), &create_call(Idempotency::Unprotected))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                operation: "create_payout",
                reference: Some(r),
                cause: Ambiguity::UndecodableResponse { status: 400 },
                source: Some(_),
                ..
            } if r.as_str() == "order-42"
        ),
        "{err:?}"
    );

    let err = http
        .send(&Hooks::default(), &Call::get("get_payout", "/payouts/1"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { status: 200, snippet, .. } if snippet.is_empty()),
        "{err:?}"
    );
}
