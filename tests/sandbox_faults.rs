//! Each injected fault as a raw client sees it, and what the ledger holds afterwards.
#![cfg(feature = "sandbox")]

mod sandbox_support;

use std::time::{Duration, Instant};

use disburse::ProviderId;
use disburse::sandbox::{
    Fault, JPAY_CREDENTIALS, PAYONIFY_CREDENTIALS, Route, Sandbox, VESICASH_CREDENTIALS,
};
use reqwest::Method;
use sandbox_support::*;
use serde_json::{Value, json};

const VESICASH_PAYOUT: &str = "/v1/payment/payout/process";
const JPAY_INITIATE: &str = "/payments/payouts/initiate";

fn vesicash_body(reason: &str) -> String {
    format!(
        r#"{{"amount": 10, "country_id": "4", "transfer_to": "mobile_number", "momo_phone_number": "260999993000", "reason": "{reason}"}}"#
    )
}

/// Sends a Vesicash payout and returns the raw result, transport errors included.
async fn vesicash_raw(
    sandbox: &Sandbox,
    reason: &str,
    timeout: Duration,
) -> reqwest::Result<reqwest::Response> {
    client()
        .post(format!("{}{VESICASH_PAYOUT}", sandbox.base_url_vesicash()))
        .timeout(timeout)
        .header("secret-key", VESICASH_CREDENTIALS.secret_key)
        .header("public-key", VESICASH_CREDENTIALS.public_key)
        .body(vesicash_body(reason))
        .send()
        .await
}

#[tokio::test]
async fn vesicash_commit_then_drop_is_a_transport_error_and_the_payout_exists() {
    let sandbox = sandbox().await;
    sandbox.inject(
        ProviderId::VESICASH,
        Route::post(VESICASH_PAYOUT),
        Fault::CommitThenDrop,
        1,
    );
    let error = vesicash_raw(&sandbox, "DROP-1", Duration::from_secs(5))
        .await
        .unwrap_err();
    assert!(
        !error.is_connect() && !error.is_timeout() && error.status().is_none(),
        "{error:?}"
    );
    let entries = sandbox.payouts_for_reference(ProviderId::VESICASH, "DROP-1");
    assert_eq!(entries.len(), 1);
    let record = sandbox.requests().pop().unwrap();
    assert_eq!(
        (record.status, record.fault),
        (None, Some(Fault::CommitThenDrop))
    );
    // The status endpoint resolves it.
    let (status, body) = vesicash_get(&sandbox, &format!("/v1/payment/{}", entries[0].id)).await;
    assert_eq!(status, 200, "{body}");
}

#[tokio::test]
async fn jpay_commit_then_drop_then_retry_is_a_duplicate_and_the_list_finds_the_payout() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_INITIATE),
        Fault::CommitThenDrop,
        1,
    );
    let body = jpay_payout("+254712345678", "10.00", "DROP-2");
    let error = client()
        .post(format!("{}{JPAY_INITIATE}", sandbox.base_url_jpay()))
        .bearer_auth(&token)
        .body(body.clone())
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_connect() && error.status().is_none(), "{error:?}");
    let (status, answer) = jpay_post(&sandbox, &token, JPAY_INITIATE, &body).await;
    assert_eq!(
        (status, answer),
        (
            400,
            jpay_detail("Duplicate ref_no: a payout with ref_no DROP-2 already exists")
        )
    );
    let (_, list) = jpay_get(&sandbox, &token, "/payments/payouts?ref_no=DROP-2").await;
    assert_eq!(list["pagination"]["total"], 1);
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::JPAY, "DROP-2")
            .len(),
        1
    );
}

#[tokio::test]
async fn payonify_commit_then_drop_then_retry_with_the_key_returns_the_same_payout() {
    let sandbox = sandbox().await;
    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::post("/v1/payouts"),
        Fault::CommitThenDrop,
        1,
    );
    let body = payonify_payout(1000, "usd", "771111111");
    let error = payonify_request(&sandbox, Method::POST, "/v1/payouts")
        .header("Idempotency-Key", "DROP-3")
        .body(body.clone())
        .send()
        .await
        .unwrap_err();
    assert!(!error.is_connect() && error.status().is_none(), "{error:?}");
    let committed = sandbox.payouts_for_reference(ProviderId::PAYONIFY, "DROP-3");
    assert_eq!(committed.len(), 1);
    let (status, replayed) = payonify_post(&sandbox, "/v1/payouts", Some("DROP-3"), &body).await;
    assert_eq!(status, 200);
    assert_eq!(replayed["id"], committed[0].id.as_str());
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::PAYONIFY, "DROP-3")
            .len(),
        1
    );
}

#[tokio::test]
async fn commit_then_delay_outlasts_the_client_timeout_but_commits() {
    let sandbox = sandbox().await;
    sandbox.inject(
        ProviderId::VESICASH,
        Route::post(VESICASH_PAYOUT),
        Fault::CommitThenDelay(Duration::from_secs(30)),
        1,
    );
    let error = vesicash_raw(&sandbox, "SLOW-1", Duration::from_secs(2))
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    // The commit comes first on the sandbox's side, but the sandbox shares this test's thread:
    // give it the turn (a stalled thread can let the client's timer fire before the handler ran).
    eventually("the commit", || async {
        let found = sandbox.payouts_for_reference(ProviderId::VESICASH, "SLOW-1");
        (!found.is_empty()).then_some(found.len())
    })
    .await;
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::VESICASH, "SLOW-1")
            .len(),
        1
    );
}

#[tokio::test]
async fn latency_delays_a_normal_answer() {
    let sandbox = sandbox().await;
    sandbox.inject(
        ProviderId::JPAY,
        Route::any(),
        Fault::Latency(Duration::from_millis(300)),
        1,
    );
    let started = Instant::now();
    let (token, _) = jpay_token(&sandbox).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(!token.is_empty());
}

#[tokio::test]
async fn a_status_fault_answers_the_provider_error_body_for_n_requests_and_commits_nothing() {
    let sandbox = sandbox().await;
    sandbox.inject(
        ProviderId::VESICASH,
        Route::post(VESICASH_PAYOUT),
        Fault::Status(503),
        2,
    );
    for _ in 0..2 {
        let (status, body) = vesicash_post(&sandbox, VESICASH_PAYOUT, &vesicash_body("S-1")).await;
        assert_eq!(
            (status, body),
            (503, vesicash_error(503, "service unavailable"))
        );
    }
    assert!(sandbox.ledger(ProviderId::VESICASH).is_empty());
    assert_eq!(
        vesicash_post(&sandbox, VESICASH_PAYOUT, &vesicash_body("S-1"))
            .await
            .0,
        200
    );

    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::post("/v1/payouts"),
        Fault::Status(500),
        1,
    );
    let (status, body) = payonify_post(
        &sandbox,
        "/v1/payouts",
        Some("S-2"),
        &payonify_payout(100, "usd", "771111111"),
    )
    .await;
    assert_eq!(status, 500);
    assert_eq!(body["type"], "api_error");
    assert!(sandbox.ledger(ProviderId::PAYONIFY).is_empty());
}

#[tokio::test]
async fn too_many_requests_carries_retry_after_and_the_provider_body() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    sandbox.inject(
        ProviderId::JPAY,
        Route::get("/payments/payouts/{id}"),
        Fault::TooManyRequests {
            retry_after: Duration::from_millis(1500),
        },
        1,
    );
    // Another route is not affected.
    assert_eq!(jpay_get(&sandbox, &token, "/wallets/balance").await.0, 200);
    let response = client()
        .get(format!(
            "{}/payments/payouts/ANY-1",
            sandbox.base_url_jpay()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    assert_eq!(response.headers()["retry-after"], "2");
    let (_, body) = answer(response).await;
    assert_eq!(
        body,
        jpay_detail("Request was throttled. Expected available in 2 seconds.")
    );

    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::any(),
        Fault::TooManyRequests {
            retry_after: Duration::from_secs(1),
        },
        1,
    );
    let (status, body) = payonify_get(&sandbox, "/v1/payouts").await;
    assert_eq!(status, 429);
    assert_eq!(
        (body["type"].clone(), body["code"].clone()),
        (json!("rate_limit_error"), json!("rate_limit"))
    );
}

#[tokio::test]
async fn malformed_json_keeps_the_status_and_commits() {
    let sandbox = sandbox().await;
    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::post("/v1/payouts"),
        Fault::MalformedJson,
        1,
    );
    let response = payonify_request(&sandbox, Method::POST, "/v1/payouts")
        .header("Idempotency-Key", "MAL-1")
        .body(payonify_payout(100, "usd", "771111111"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let bytes = response.bytes().await.unwrap();
    assert!(!bytes.is_empty());
    assert!(serde_json::from_slice::<Value>(&bytes).is_err());
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::PAYONIFY, "MAL-1")
            .len(),
        1
    );
}

#[tokio::test]
async fn a_truncated_body_declares_more_than_it_sends_and_commits() {
    let sandbox = sandbox().await;
    sandbox.inject(
        ProviderId::VESICASH,
        Route::post(VESICASH_PAYOUT),
        Fault::TruncatedBody,
        1,
    );
    let response = vesicash_raw(&sandbox, "TRUNC-1", Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let declared: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(declared > 0);
    let error = response.bytes().await.unwrap_err();
    assert!(
        error.is_body() || error.is_decode() || error.is_request(),
        "{error:?}"
    );
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::VESICASH, "TRUNC-1")
            .len(),
        1
    );
}

#[tokio::test]
async fn an_html_error_page_is_a_502_that_commits_nothing() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_INITIATE),
        Fault::HtmlErrorPage,
        1,
    );
    let response = client()
        .post(format!("{}{JPAY_INITIATE}", sandbox.base_url_jpay()))
        .bearer_auth(&token)
        .body(jpay_payout("+254712345678", "10.00", "HTML-1"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 502);
    assert_eq!(response.headers()["content-type"], "text/html");
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("<title>502 Bad Gateway</title>")
    );
    assert!(sandbox.ledger(ProviderId::JPAY).is_empty());
}

#[tokio::test]
async fn faults_fire_in_order_per_provider_and_can_be_cleared() {
    let sandbox = sandbox().await;
    sandbox.inject(ProviderId::VESICASH, Route::any(), Fault::Status(502), 1);
    sandbox.inject(ProviderId::VESICASH, Route::any(), Fault::Status(504), 1);
    sandbox.inject(ProviderId::VESICASH, Route::any(), Fault::Status(500), 5);
    assert_eq!(vesicash_get(&sandbox, "/v1/banks").await.0, 502);
    assert_eq!(vesicash_get(&sandbox, "/v1/banks").await.0, 504);
    assert_eq!(vesicash_get(&sandbox, "/v1/banks").await.0, 500);
    sandbox.clear_faults();
    assert_eq!(vesicash_get(&sandbox, "/v1/banks").await.0, 200);
}

#[tokio::test]
async fn the_request_log_has_paths_and_statuses_but_no_credentials() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    jpay_get(&sandbox, &token, "/channels?type=bank").await;
    payonify_get(&sandbox, "/v1/payouts?limit=1").await;
    vesicash_get(&sandbox, "/v1/banks").await;
    let log = sandbox.requests();
    type Seen<'a> = (String, &'a str, &'a str, Option<&'a str>, Option<u16>);
    let seen: Vec<Seen<'_>> = log
        .iter()
        .map(|r| {
            (
                r.provider.to_string(),
                r.method.as_str(),
                r.path.as_str(),
                r.query.as_deref(),
                r.status,
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            (
                "jpay".to_owned(),
                "POST",
                "/auth/app/token",
                None,
                Some(200)
            ),
            (
                "jpay".to_owned(),
                "GET",
                "/channels",
                Some("type=bank"),
                Some(200)
            ),
            (
                "payonify".to_owned(),
                "GET",
                "/v1/payouts",
                Some("limit=1"),
                Some(200)
            ),
            ("vesicash".to_owned(), "GET", "/v1/banks", None, Some(200)),
        ]
    );
    let debug = format!("{log:?}");
    for secret in [
        JPAY_CREDENTIALS.app_secret,
        token.as_str(),
        PAYONIFY_CREDENTIALS.secret_key,
        VESICASH_CREDENTIALS.secret_key,
    ] {
        assert!(!debug.contains(secret));
    }
}

#[tokio::test]
async fn the_same_seed_gives_the_same_ids() {
    let mut ids = Vec::new();
    for _ in 0..2 {
        let sandbox = Sandbox::builder()
            .seed(7)
            .settle_after(Duration::ZERO)
            .start()
            .await
            .unwrap();
        let (_, body) = vesicash_post(&sandbox, VESICASH_PAYOUT, &vesicash_body("SEED")).await;
        ids.push(body["data"]["reference"].as_str().unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1]);
    let other = Sandbox::builder().seed(8).start().await.unwrap();
    let (_, body) = vesicash_post(&other, VESICASH_PAYOUT, &vesicash_body("SEED")).await;
    assert_ne!(body["data"]["reference"].as_str().unwrap(), ids[0]);
}

#[test]
fn public_types_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Sandbox>();
    assert_send_sync::<disburse::sandbox::LedgerEntry>();
    assert_send_sync::<disburse::sandbox::RequestRecord>();
    assert_send_sync::<disburse::sandbox::WebhookDelivery>();
    assert_send_sync::<Fault>();
}

#[test]
fn the_route_lists_are_what_the_module_docs_say() {
    use disburse::sandbox::routes;
    let list = |p| -> Vec<String> {
        routes(p)
            .iter()
            .map(|e| format!("{} {}", e.method, e.path))
            .collect()
    };
    assert_eq!(
        list(ProviderId::VESICASH),
        [
            "GET /v1/countries",
            "GET /v1/banks",
            "POST /v1/payment/payout/process",
            "POST /v1/payment/payouts/process",
            "POST /v1/payment/refunds/process",
            "GET /v1/payment/payout/status/{reference}",
            "GET /v1/payment/{reference}",
        ]
    );
    assert_eq!(
        list(ProviderId::JPAY),
        [
            "POST /auth/app/token",
            "POST /auth/refresh",
            "POST /payments/payouts/initiate",
            "GET /payments/payouts/{id}",
            "GET /payments/payouts",
            "GET /channels",
            "GET /wallets/balance",
        ]
    );
    assert_eq!(
        list(ProviderId::PAYONIFY),
        [
            "POST /v1/payouts/validate",
            "POST /v1/payouts",
            "GET /v1/payouts",
            "GET /v1/payouts/{id}",
        ]
    );
    assert!(routes(ProviderId::custom("other")).is_empty());
}
