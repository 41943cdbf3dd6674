//! Helpers for the sandbox tests: a started sandbox, raw clients per provider, a webhook
//! receiver, and polling with a deadline.
#![allow(dead_code)]

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use disburse::sandbox::{JPAY_CREDENTIALS, PAYONIFY_CREDENTIALS, Sandbox, VESICASH_CREDENTIALS};
use serde_json::Value;
use tokio::time::Instant;

/// How long a poll waits before failing the test (generous: the machine is shared, and a
/// passing test never waits this long).
pub const DEADLINE: Duration = Duration::from_secs(30);

/// A sandbox whose payouts settle at once.
pub async fn sandbox() -> Sandbox {
    Sandbox::builder()
        .settle_after(Duration::ZERO)
        .start()
        .await
        .expect("sandbox starts")
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// Status and JSON body (`Value::Null` when the body is not JSON).
pub async fn answer(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Polls `check` every 10 ms until it gives a value, failing the test after [`DEADLINE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
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

// --- Vesicash ---

pub async fn vesicash_post(sandbox: &Sandbox, path: &str, body: &str) -> (u16, Value) {
    let response = client()
        .post(format!("{}{path}", sandbox.base_url_vesicash()))
        .header("secret-key", VESICASH_CREDENTIALS.secret_key)
        .header("public-key", VESICASH_CREDENTIALS.public_key)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("sent");
    answer(response).await
}

pub async fn vesicash_get(sandbox: &Sandbox, path: &str) -> (u16, Value) {
    let response = client()
        .get(format!("{}{path}", sandbox.base_url_vesicash()))
        .header("secret-key", VESICASH_CREDENTIALS.secret_key)
        .header("public-key", VESICASH_CREDENTIALS.public_key)
        .send()
        .await
        .expect("sent");
    answer(response).await
}

/// `{"status": "error", "code": N, "message": …}`.
pub fn vesicash_error(code: u16, message: &str) -> Value {
    serde_json::json!({"status": "error", "code": code, "message": message})
}

// --- JPay ---

pub async fn jpay_token(sandbox: &Sandbox) -> (String, String) {
    let (status, body) = answer(
        client()
            .post(format!("{}/auth/app/token", sandbox.base_url_jpay()))
            .json(&serde_json::json!({
                "app_key": JPAY_CREDENTIALS.app_key,
                "app_secret": JPAY_CREDENTIALS.app_secret,
            }))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    (
        body["access"].as_str().expect("access").to_owned(),
        body["refresh"].as_str().expect("refresh").to_owned(),
    )
}

pub async fn jpay_post(sandbox: &Sandbox, token: &str, path: &str, body: &str) -> (u16, Value) {
    let response = client()
        .post(format!("{}{path}", sandbox.base_url_jpay()))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .expect("sent");
    answer(response).await
}

pub async fn jpay_get(sandbox: &Sandbox, token: &str, path: &str) -> (u16, Value) {
    let response = client()
        .get(format!("{}{path}", sandbox.base_url_jpay()))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    answer(response).await
}

/// A payout body in the docs' form, with the given phone, amount and ref_no.
pub fn jpay_payout(payto: &str, amount: &str, ref_no: &str) -> String {
    format!(
        r#"{{"payto": "{payto}", "amount": "{amount}", "ref_no": "{ref_no}", "callback_url": "https://yourdomain.com/webhook", "category": "other", "narration": "Commission Payment #456", "app_code": 12345}}"#
    )
}

pub fn jpay_detail(message: &str) -> Value {
    serde_json::json!({ "detail": message })
}

// --- Payonify ---

pub fn payonify_request(
    sandbox: &Sandbox,
    method: reqwest::Method,
    path: &str,
) -> reqwest::RequestBuilder {
    client()
        .request(method, format!("{}{path}", sandbox.base_url_payonify()))
        .basic_auth(
            PAYONIFY_CREDENTIALS.publishable_key,
            Some(PAYONIFY_CREDENTIALS.secret_key),
        )
}

pub async fn payonify_post(
    sandbox: &Sandbox,
    path: &str,
    key: Option<&str>,
    body: &str,
) -> (u16, Value) {
    let mut request = payonify_request(sandbox, reqwest::Method::POST, path)
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(k) = key {
        request = request.header("Idempotency-Key", k);
    }
    answer(request.send().await.expect("sent")).await
}

pub async fn payonify_get(sandbox: &Sandbox, path: &str) -> (u16, Value) {
    answer(
        payonify_request(sandbox, reqwest::Method::GET, path)
            .send()
            .await
            .expect("sent"),
    )
    .await
}

/// A create body: `amount` minor units of `currency` to an EcoCash `number`.
pub fn payonify_payout(amount: i64, currency: &str, number: &str) -> String {
    format!(
        r#"{{"amount": {amount}, "currency": "{currency}", "destination": {{"mobile_money": {{"ecocash": {{"mobile_number": "{number}"}}}}}}, "description": "Winnings", "metadata": {{"order_id": "ORD-1"}}}}"#
    )
}

/// `{type: "invalid_request_error", code, message, param, doc_url}`.
pub fn payonify_invalid(code: &str, message: &str, param: &str) -> Value {
    serde_json::json!({
        "type": "invalid_request_error",
        "code": code,
        "message": message,
        "param": param,
        "doc_url": format!("https://docs.payonify.com/api/errors#{code}"),
    })
}

// --- webhook receiver ---

/// One delivery the receiver got.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Path and query as received.
    pub uri: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

#[derive(Clone)]
struct ReceiverState {
    hits: Arc<Mutex<Vec<Hit>>>,
    fail_first: usize,
}

/// A loopback HTTP server that records POSTs and answers 500 to the first `fail_first` of them,
/// 200 afterwards.
pub struct Receiver {
    pub base: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Receiver {
    pub async fn start(fail_first: usize) -> Receiver {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let state = ReceiverState {
            hits: Arc::clone(&hits),
            fail_first,
        };
        let app = axum::Router::new()
            .route("/{*path}", post(receive))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { base, hits, task }
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("lock").clone()
    }

    /// Waits for the `n`th delivery.
    pub async fn wait_for(&self, n: usize) -> Vec<Hit> {
        eventually("webhook deliveries", || async {
            let hits = self.hits();
            (hits.len() >= n).then_some(hits)
        })
        .await
    }
}

async fn receive(
    State(state): State<ReceiverState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let mut hits = state.hits.lock().expect("lock");
    hits.push(Hit {
        uri: uri.to_string(),
        headers,
        body,
    });
    if hits.len() <= state.fail_first {
        StatusCode::INTERNAL_SERVER_ERROR
    } else {
        StatusCode::OK
    }
}
