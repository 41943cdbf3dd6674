//! JPay adapter against a wiremock JPay: every acceptance item of issue 4.
//!
//! Every test mounts `common::catch_all` (an unexpected request fails it) and puts `.expect(n)` on
//! every mock. Fixtures live in `fixtures/jpay/`; the documented examples are copied from the spec
//! (the payout request's `callback_url` additionally carries the callback token, as the adapter
//! sends it).

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use disburse::http::{HttpConfig, RetryPolicy};
use disburse::providers::jpay::{
    Category, ChannelQuery, ChannelType, Environment, JpayClient, JpayConfig,
};
use disburse::webhook::{Clock, SignatureEncoding};
use disburse::{
    Ambiguity, AuthFailure, CallbackUrl, Country, Currency, Destination, Error, EventObject,
    FailureReason, Money, Msisdn, Network, Payout, PayoutProvider, PayoutRequest, ProviderId,
    Reference, RefundRequest, RefundSupport, RejectCode, Status, WebhookAuth, WebhookError,
    WebhookRequest,
};
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{
    body_json, body_partial_json, header, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use common::{catch_all, fixture, fixture_json};

const APP_KEY: &str = "test-app-key";
const APP_SECRET: &str = "test-app-secret";
const CALLBACK_SECRET: &str = "test-callback-secret";
const PAYOUT_PATH: &str = "/payments/payouts/initiate";
const MERCHANT_CALLBACK: &str = "https://yourdomain.com/webhook";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn answer(status: u16, fixture_path: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(fixture_path), "application/json")
}

fn config(server: &MockServer) -> JpayConfig {
    JpayConfig::new(
        SecretString::from(APP_KEY),
        SecretString::from(APP_SECRET),
        SecretString::from(CALLBACK_SECRET),
    )
    .with_environment(Environment::Custom(server.uri()))
    .with_http(HttpConfig::default().with_retry(RetryPolicy::none()))
}

fn client(server: &MockServer) -> JpayClient {
    JpayClient::new(config(server)).unwrap()
}

fn token_field(fixture_path: &str, field: &str) -> String {
    fixture_json(fixture_path)[field]
        .as_str()
        .unwrap()
        .to_owned()
}

fn bearer(fixture_path: &str) -> String {
    format!("Bearer {}", token_field(fixture_path, "access"))
}

async fn mount_token(server: &MockServer, fixture_path: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path("/auth/app/token"))
        .and(body_json(
            json!({"app_key": APP_KEY, "app_secret": APP_SECRET}),
        ))
        .respond_with(answer(200, fixture_path))
        .named("token")
        .expect(times)
        .mount(server)
        .await;
}

async fn mount_refresh(server: &MockServer, response: ResponseTemplate, times: u64) {
    Mock::given(method("POST"))
        .and(path("/auth/refresh"))
        .and(body_json(
            json!({"refresh": token_field("jpay/token.json", "refresh")}),
        ))
        .respond_with(response)
        .named("refresh")
        .expect(times)
        .mount(server)
        .await;
}

fn kes(amount: &str) -> Money {
    Money::parse(amount, Currency::KES).unwrap()
}

fn phone(number: &str) -> Msisdn {
    Msisdn::parse(number).unwrap()
}

fn reference(text: &str) -> Reference {
    Reference::new(text).unwrap()
}

fn callback_url(text: &str) -> CallbackUrl {
    CallbackUrl::parse(text).unwrap()
}

/// The documented example: 1000.00 KES by M-Pesa.
fn mpesa_request() -> PayoutRequest {
    PayoutRequest::new(
        reference("PAYOUT-2024-001"),
        kes("1000.00"),
        Destination::mobile(phone("+254712345678")),
    )
    .with_narration("Commission Payment #456")
    .with_callback_url(callback_url(MERCHANT_CALLBACK))
}

fn request_to(reference_text: &str, amount: &str, destination: Destination) -> PayoutRequest {
    PayoutRequest::new(reference(reference_text), kes(amount), destination)
        .with_callback_url(callback_url(MERCHANT_CALLBACK))
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, s).unwrap()
}

/// A clock the test moves by hand.
#[derive(Debug)]
struct ManualClock(AtomicI64);

impl ManualClock {
    fn new() -> Arc<ManualClock> {
        Arc::new(ManualClock(AtomicI64::new(1_800_000_000)))
    }

    fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

async fn received(server: &MockServer, http_method: &str, url_path: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.method.as_str() == http_method && r.url.path() == url_path)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Token lifecycle
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn hundred_concurrent_payouts_on_a_cold_client_make_one_token_request() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    // The token answer is slow, so every payout arrives while it is in flight.
    Mock::given(method("POST"))
        .and(path("/auth/app/token"))
        .respond_with(answer(200, "jpay/token.json").set_delay(Duration::from_millis(500)))
        .named("token")
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header("authorization", bearer("jpay/token.json").as_str()))
        .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
        .named("payout")
        .expect(100)
        .mount(&server)
        .await;
    let client = client(&server);

    let payouts = futures_util::future::join_all((0..100).map(|i| {
        let client = client.clone();
        async move {
            let request = request_to(
                &format!("CONCURRENT-{i:03}"),
                "10.00",
                Destination::mobile(phone("+254712345678")),
            );
            client.create_payout(&request).await
        }
    }))
    .await;

    assert!(payouts.iter().all(Result::is_ok), "{payouts:?}");
    let refs: std::collections::BTreeSet<String> = received(&server, "POST", PAYOUT_PATH)
        .await
        .iter()
        .map(|r| {
            r.body_json::<Value>().unwrap()["ref_no"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(refs.len(), 100);
    assert_eq!(received(&server, "POST", "/auth/app/token").await.len(), 1);
}

#[tokio::test]
async fn a_token_near_expiry_is_refreshed_before_the_call() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    mount_refresh(&server, answer(200, "jpay/refresh.json"), 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header("authorization", bearer("jpay/token.json").as_str()))
        .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
        .named("payout with the first token")
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header(
            "authorization",
            bearer("jpay/refresh.json").as_str(),
        ))
        .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
        .named("payout with the refreshed token")
        .expect(1)
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let client = JpayClient::new(config(&server).with_clock(clock.clone())).unwrap();

    client.create_payout(&mpesa_request()).await.unwrap();
    // 10 of 15 minutes gone: still fresh.
    clock.advance(600);
    client.create_payout(&mpesa_request()).await.unwrap();
    // 14.5 minutes gone: within the 60 s margin, refreshed before the call.
    clock.advance(270);
    client.create_payout(&mpesa_request()).await.unwrap();

    let order: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(
        order,
        [
            "/auth/app/token",
            PAYOUT_PATH,
            PAYOUT_PATH,
            "/auth/refresh",
            PAYOUT_PATH
        ]
    );
}

#[tokio::test]
async fn a_rejected_refresh_token_falls_back_to_a_new_token() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 2).await;
    mount_refresh(&server, answer(401, "jpay/error-refresh-rejected.json"), 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header("authorization", bearer("jpay/token.json").as_str()))
        .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let client = JpayClient::new(config(&server).with_clock(clock.clone())).unwrap();

    client.create_payout(&mpesa_request()).await.unwrap();
    clock.advance(870);
    client.create_payout(&mpesa_request()).await.unwrap();
}

#[tokio::test]
async fn an_expired_refresh_token_is_not_tried() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 2).await;
    mount_refresh(&server, answer(200, "jpay/refresh.json"), 0).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
        .expect(2)
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let client = JpayClient::new(config(&server).with_clock(clock.clone())).unwrap();

    client.create_payout(&mpesa_request()).await.unwrap();
    clock.advance(8 * 24 * 3600);
    client.create_payout(&mpesa_request()).await.unwrap();
}

#[tokio::test]
async fn a_401_refreshes_once_and_repeats_the_payout_once_with_the_same_ref_no() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    mount_refresh(&server, answer(200, "jpay/refresh.json"), 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header("authorization", bearer("jpay/token.json").as_str()))
        .respond_with(answer(401, "jpay/error-invalid-token.json"))
        .named("payout with the revoked token")
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header(
            "authorization",
            bearer("jpay/refresh.json").as_str(),
        ))
        .and(body_json(fixture_json("jpay/payout-request-mpesa.json")))
        .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
        .named("repeated payout")
        .expect(1)
        .mount(&server)
        .await;

    let payout = client(&server)
        .create_payout(&mpesa_request())
        .await
        .unwrap();

    assert_eq!(payout.id, "PAYOUT-2024-001-ABC123");
    let attempts = received(&server, "POST", PAYOUT_PATH).await;
    assert_eq!(attempts.len(), 2);
    assert_eq!(
        attempts[0].body, attempts[1].body,
        "the repeat is byte-identical"
    );
    assert_eq!(
        attempts[0].body_json::<Value>().unwrap(),
        fixture_json("jpay/payout-request-mpesa.json")
    );
}

#[tokio::test]
async fn a_second_401_after_the_refresh_is_an_expired_token_error() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    mount_refresh(&server, answer(200, "jpay/refresh.json"), 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(answer(401, "jpay/error-invalid-token.json"))
        .expect(2)
        .mount(&server)
        .await;

    let err = client(&server)
        .create_payout(&mpesa_request())
        .await
        .unwrap_err();

    assert!(
        matches!(
            &err,
            Error::Auth { provider, status: Some(401), kind: AuthFailure::TokenExpired, message }
                if *provider == ProviderId::JPAY && message == "Invalid or expired token"
        ),
        "{err:?}"
    );
}

/// Answers `GET /wallets/balance` like JPay expiring tokens on its side: the first token is
/// already expired, the refreshed one works once and then expires, the next one works.
struct ExpiringBalance {
    b_answers: std::sync::atomic::AtomicUsize,
}

impl Respond for ExpiringBalance {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if auth == bearer("jpay/token.json") {
            answer(401, "jpay/error-invalid-token.json")
        } else if auth == bearer("jpay/refresh.json") {
            if self.b_answers.fetch_add(1, Ordering::SeqCst) == 0 {
                answer(200, "jpay/balance.json")
            } else {
                answer(401, "jpay/error-invalid-token.json")
            }
        } else if auth == "Bearer access-third" {
            answer(200, "jpay/balance.json")
        } else {
            ResponseTemplate::new(418)
        }
    }
}

#[tokio::test]
async fn tokens_expired_twice_one_second_apart_are_renewed_once_per_call() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    // First renewal: the issued refresh token; the answer rotates it.
    mount_refresh(&server, answer(200, "jpay/refresh.json"), 1).await;
    // Second renewal: the rotated refresh token.
    Mock::given(method("POST"))
        .and(path("/auth/refresh"))
        .and(body_json(
            json!({"refresh": token_field("jpay/refresh.json", "refresh")}),
        ))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access": "access-third", "refresh": "refresh-third"})),
        )
        .named("second refresh")
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/wallets/balance"))
        .respond_with(ExpiringBalance {
            b_answers: Default::default(),
        })
        .expect(4)
        .mount(&server)
        .await;
    let clock = ManualClock::new();
    let client = JpayClient::new(config(&server).with_clock(clock.clone())).unwrap();

    // JPay expired the first token: one refresh, then the balance.
    assert_eq!(client.balance().await.unwrap().payout, kes("8250.00"));
    let refreshes = received(&server, "POST", "/auth/refresh").await.len();
    assert_eq!(refreshes, 1);
    // One second later JPay expires the renewed token too: renewed again, not reused.
    clock.advance(1);
    assert_eq!(client.balance().await.unwrap().payout, kes("8250.00"));
    assert_eq!(received(&server, "POST", "/auth/refresh").await.len(), 2);

    let auths: Vec<String> = received(&server, "GET", "/wallets/balance")
        .await
        .iter()
        .map(|r| r.headers["authorization"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        auths,
        [
            bearer("jpay/token.json"),
            bearer("jpay/refresh.json"),
            bearer("jpay/refresh.json"),
            "Bearer access-third".to_owned(),
        ]
    );
}

#[tokio::test]
async fn a_token_without_the_payouts_product_stops_the_payout_before_it_is_sent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token-without-payouts.json", 1).await;

    let err = client(&server)
        .create_payout(&mpesa_request())
        .await
        .unwrap_err();

    assert!(
        matches!(
            &err,
            Error::Auth { status: None, kind: AuthFailure::ProductNotEnabled, message, .. }
                if message.contains("without payouts")
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_app_credentials_are_an_invalid_credentials_error() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path("/auth/app/token"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"detail": "Invalid app credentials"})),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).balance().await.unwrap_err();

    assert!(
        matches!(
            &err,
            Error::Auth { status: Some(401), kind: AuthFailure::InvalidCredentials, message, .. }
                if message == "Invalid app credentials"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn debug_output_never_shows_a_token_or_secret() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("GET"))
        .and(path("/wallets/balance"))
        .respond_with(answer(200, "jpay/balance.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    client.balance().await.unwrap();

    let shown = format!("{client:?} {:?}", config(&server));
    for secret in [
        token_field("jpay/token.json", "access"),
        token_field("jpay/token.json", "refresh"),
        APP_KEY.to_owned(),
        APP_SECRET.to_owned(),
        CALLBACK_SECRET.to_owned(),
    ] {
        assert!(!shown.contains(&secret), "{shown}");
    }
    assert!(shown.contains("** redacted **"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Payout bodies
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_mpesa_payout_sends_the_documented_body_and_maps_the_answer() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header("authorization", bearer("jpay/token.json").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_json(fixture_json("jpay/payout-request-mpesa.json")))
        .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
        .expect(1)
        .mount(&server)
        .await;
    let provider: Arc<dyn PayoutProvider> = Arc::new(client(&server));

    let payout = provider.create_payout(&mpesa_request()).await.unwrap();

    let mut expected = Payout::new(ProviderId::JPAY, "PAYOUT-2024-001-ABC123", Status::Pending);
    expected.reference = Some(reference("PAYOUT-2024-001"));
    expected.amount = Some(kes("1000.00"));
    expected.created_at = Some(utc(2024, 4, 12, 14, 30, 45));
    // The answer is kept byte for byte, not re-serialized.
    let answer_text = fixture("jpay/payout-response-mpesa.json");
    assert_eq!(payout.raw.as_str(), Some(answer_text.as_str()));
    expected.raw = payout.raw.clone();
    assert_eq!(payout, expected);
}

#[tokio::test]
async fn an_airtel_payout_sends_its_fixture_body_keeping_the_callback_query() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(body_json(fixture_json("jpay/payout-request-airtel.json")))
        .respond_with(answer(200, "jpay/payout-response-airtel.json"))
        .expect(1)
        .mount(&server)
        .await;
    let request = PayoutRequest::new(
        reference("PAYOUT-2024-002"),
        kes("250.5"),
        Destination::mobile(phone("+254733123456")),
    )
    .with_narration("Cashback order 42")
    .with_callback_url(callback_url("https://shop.example/hooks/jpay?order=42"));

    let payout = client(&server)
        .create_payout_in(&request, Category::Ecommerce)
        .await
        .unwrap();

    assert_eq!(payout.id, "PAYOUT-2024-002-DEF456");
    assert_eq!(payout.amount, Some(kes("250.50")));
    assert_eq!(payout.status, Status::Pending);
}

#[tokio::test]
async fn a_bank_payout_sends_its_fixture_body_with_the_bank_code_as_channel() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(body_json(fixture_json("jpay/payout-request-bank.json")))
        .respond_with(answer(200, "jpay/payout-response-bank.json"))
        .expect(1)
        .mount(&server)
        .await;
    let request = request_to(
        "PAYOUT-2024-003",
        "150000",
        Destination::bank(Country::Kenya, "68", "1234567890123").unwrap(),
    )
    .with_narration("Supplier invoice INV-789");

    let payout = client(&server).create_payout(&request).await.unwrap();

    assert_eq!(payout.id, "PAYOUT-2024-003-GHI789");
    assert_eq!(payout.status, Status::Pending, "processing is pending");
    assert_eq!(payout.created_at, Some(utc(2024, 4, 13, 9, 15, 0)));
}

#[tokio::test]
async fn the_app_code_of_the_config_wins_over_the_token_response() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(body_partial_json(json!({"app_code": 777})))
        .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = JpayClient::new(config(&server).with_app_code(777)).unwrap();

    client.create_payout(&mpesa_request()).await.unwrap();
}

#[tokio::test]
async fn amounts_are_written_with_exactly_two_decimals() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    let cases = [
        ("AMOUNT-1", "1000", "1000.00"),
        ("AMOUNT-2", "1000.5", "1000.50"),
        ("AMOUNT-3", "1", "1.00"),
        ("AMOUNT-4", "999999.99", "999999.99"),
    ];
    for (ref_no, _, wire) in cases {
        Mock::given(method("POST"))
            .and(path(PAYOUT_PATH))
            .and(body_partial_json(json!({"ref_no": ref_no, "amount": wire})))
            .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);

    for (ref_no, amount, _) in cases {
        let request = request_to(ref_no, amount, Destination::mobile(phone("+254712345678")));
        client.create_payout(&request).await.unwrap();
    }
}

#[tokio::test]
async fn amounts_outside_the_rules_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let wallet = || Destination::mobile(phone("+254712345678"));

    // 0.999 has more decimals than KES: it cannot even become an amount.
    assert!(Money::parse("0.999", Currency::KES).is_err());

    for amount in ["1000000", "1000000.00", "0.99", "0"] {
        let err = client
            .create_payout(&request_to("AMOUNT-X", amount, wallet()))
            .await
            .unwrap_err();
        assert!(
            matches!(
                &err,
                Error::InvalidRequest {
                    field: "amount",
                    ..
                }
            ),
            "{amount}: {err:?}"
        );
    }
    let dollars = PayoutRequest::new(
        reference("AMOUNT-USD"),
        Money::parse("10", Currency::USD).unwrap(),
        wallet(),
    )
    .with_callback_url(callback_url(MERCHANT_CALLBACK));
    let err = client.create_payout(&dollars).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidRequest { field: "amount", reason, .. } if reason.contains("KES"))
    );
}

#[tokio::test]
async fn other_invalid_requests_are_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);

    let long = mpesa_request().with_narration("x".repeat(201));
    let no_callback = PayoutRequest::new(
        reference("NO-CALLBACK"),
        kes("10"),
        Destination::mobile(phone("+254712345678")),
    );
    let zimbabwe = request_to("ZW-1", "10", Destination::mobile(phone("+263771234567")));
    let cases = [
        (long, "narration"),
        (no_callback, "callback_url"),
        (zimbabwe, "destination.msisdn"),
    ];
    for (request, expected_field) in cases {
        let err = client.create_payout(&request).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest { field, .. } if *field == expected_field),
            "{err:?}"
        );
        assert!(!err.may_have_been_sent());
    }
}

// ---------------------------------------------------------------------------------------------
// Channels
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn each_network_prefix_picks_its_channel() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    let cases = [
        ("NET-SAFARICOM", "+254712345678", 63902),
        ("NET-AIRTEL", "+254733123456", 63903),
        ("NET-TELKOM", "+254771234567", 63907),
    ];
    for (ref_no, number, channel) in cases {
        Mock::given(method("POST"))
            .and(path(PAYOUT_PATH))
            .and(body_partial_json(
                json!({"ref_no": ref_no, "payto": number, "channel": channel}),
            ))
            .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);

    for (ref_no, number, _) in cases {
        let request = request_to(ref_no, "10", Destination::mobile(phone(number)));
        client.create_payout(&request).await.unwrap();
    }
}

#[tokio::test]
async fn the_callers_channel_and_network_win_over_the_prefix() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    for (ref_no, channel) in [("CH-CALLER", 63907), ("CH-NETWORK", 63903), ("CH-BANK", 7)] {
        Mock::given(method("POST"))
            .and(path(PAYOUT_PATH))
            .and(body_partial_json(
                json!({"ref_no": ref_no, "channel": channel}),
            ))
            .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);

    let safaricom = Destination::mobile(phone("+254712345678"));
    client
        .create_payout(&request_to("CH-CALLER", "10", safaricom).with_channel("63907"))
        .await
        .unwrap();
    // A ported number: the caller names the network.
    let ported = Destination::mobile_on(phone("+254712345678"), Network::Airtel);
    client
        .create_payout(&request_to("CH-NETWORK", "10", ported))
        .await
        .unwrap();
    let bank = Destination::bank(Country::Kenya, "NCBA", "0011223344").unwrap();
    client
        .create_payout(&request_to("CH-BANK", "10", bank).with_channel("7"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_bank_payout_without_a_channel_sends_nothing() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);

    let by_name = Destination::bank(Country::Kenya, "EQUITY", "1234567890123").unwrap();
    let err = client
        .create_payout(&request_to("BANK-NO-CHANNEL", "10", by_name))
        .await
        .unwrap_err();

    assert!(
        matches!(
            &err,
            Error::InvalidRequest {
                field: "channel",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn unusable_channels_and_networks_are_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);

    let wallet = Destination::mobile(phone("+254712345678"));
    let err = client
        .create_payout(&request_to("CH-TEXT", "10", wallet).with_channel("M-Pesa"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidRequest {
                field: "channel",
                ..
            }
        ),
        "{err:?}"
    );

    let econet = Destination::mobile_on(phone("+254712345678"), Network::Econet);
    let err = client
        .create_payout(&request_to("CH-ECONET", "10", econet))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidRequest {
                field: "destination.network",
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn channels_are_typed_and_read_page_by_page() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    for (page, fixture_path) in [
        ("1", "jpay/channels.json"),
        ("2", "jpay/channels-page-2.json"),
    ] {
        Mock::given(method("GET"))
            .and(path("/channels"))
            .and(query_param("active_only", "true"))
            .and(query_param("page", page))
            .and(query_param("page_size", "4"))
            .and(query_param_is_missing("type"))
            .respond_with(answer(200, fixture_path))
            .expect(1)
            .mount(&server)
            .await;
    }
    Mock::given(method("GET"))
        .and(path("/channels"))
        .and(query_param("type", "bank"))
        .and(query_param("page", "1"))
        .and(query_param("page_size", "50"))
        .and(query_param_is_missing("active_only"))
        .respond_with(answer(200, "jpay/channels-page-2.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    let all = client
        .all_channels(ChannelQuery::new().active_only(true).page_size(4))
        .await
        .unwrap();
    let banks = client
        .channels(&ChannelQuery::new().kind(ChannelType::Bank))
        .await
        .unwrap();

    let summary: Vec<(u32, &str, ChannelType, bool)> = all
        .iter()
        .map(|c| (c.code, c.name.as_str(), c.kind.clone(), c.active))
        .collect();
    assert_eq!(
        summary,
        [
            (63902, "M-Pesa", ChannelType::MobileMoney, true),
            (63903, "Airtel Money", ChannelType::MobileMoney, true),
            (63907, "T-Kash", ChannelType::MobileMoney, false),
            (1, "KCB Bank", ChannelType::Bank, true),
            (7, "NCBA Bank", ChannelType::Bank, true),
            (68, "Equity Bank", ChannelType::Bank, true),
        ]
    );
    assert_eq!(all[0].kind_display.as_deref(), Some("Mobile Money"));
    assert_eq!(banks.page, 1);
    assert_eq!(banks.total, Some(6));
    assert!(!banks.has_more, "page 2 of 2 is the last");
    assert_eq!(banks.channels.len(), 2);
}

// ---------------------------------------------------------------------------------------------
// Errors: one test per documented row
// ---------------------------------------------------------------------------------------------

async fn payout_answered(status: u16, fixture_path: &str) -> Error {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(answer(status, fixture_path).insert_header("retry-after", "60"))
        .expect(1)
        .mount(&server)
        .await;
    client(&server)
        .create_payout(&mpesa_request())
        .await
        .unwrap_err()
}

fn is_rejected(err: &Error, status: u16, code: RejectCode, text: &str) -> bool {
    matches!(
        err,
        Error::Rejected { provider, status: s, code: c, provider_code: None, message, param: None }
            if *provider == ProviderId::JPAY && *s == status && *c == code && message == text
    )
}

fn is_forbidden(err: &Error, kind: AuthFailure, text: &str) -> bool {
    matches!(
        err,
        Error::Auth { status: Some(403), kind: k, message, .. } if *k == kind && message == text
    )
}

#[tokio::test]
async fn error_invalid_phone_number_is_an_invalid_recipient() {
    let err = payout_answered(400, "jpay/error-invalid-phone.json").await;
    assert!(
        is_rejected(
            &err,
            400,
            RejectCode::InvalidRecipient,
            "Invalid phone number"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_invalid_amount_is_an_invalid_amount() {
    let err = payout_answered(400, "jpay/error-invalid-amount.json").await;
    assert!(
        is_rejected(&err, 400, RejectCode::InvalidAmount, "Invalid amount"),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_insufficient_balance_is_insufficient_balance() {
    let err = payout_answered(400, "jpay/error-insufficient-balance.json").await;
    assert!(
        is_rejected(
            &err,
            400,
            RejectCode::InsufficientBalance,
            "Insufficient balance in payout wallet"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_invalid_channel_code_is_an_invalid_channel() {
    let err = payout_answered(400, "jpay/error-invalid-channel.json").await;
    assert!(
        is_rejected(
            &err,
            400,
            RejectCode::InvalidChannel,
            "Invalid channel code: 99999"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_channel_required_is_an_invalid_request() {
    let err = payout_answered(400, "jpay/error-channel-required.json").await;
    assert!(
        is_rejected(
            &err,
            400,
            RejectCode::InvalidRequest,
            "Channel is required for bank account payouts"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_merchant_not_approved_is_its_own_forbidden_reason() {
    let err = payout_answered(403, "jpay/error-merchant-not-approved.json").await;
    assert!(
        is_forbidden(
            &err,
            AuthFailure::MerchantNotApproved,
            "Your merchant profile is not approved. Please ensure your profile has been verified \
             before initiating payouts."
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_app_not_active_is_its_own_forbidden_reason() {
    let err = payout_answered(403, "jpay/error-app-inactive.json").await;
    assert!(
        is_forbidden(&err, AuthFailure::AppInactive, "App is not active"),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_payouts_product_not_enabled_is_its_own_forbidden_reason() {
    let err = payout_answered(403, "jpay/error-product-not-enabled.json").await;
    assert!(
        is_forbidden(
            &err,
            AuthFailure::ProductNotEnabled,
            "App does not have payouts product enabled"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_ip_not_allowed_is_its_own_forbidden_reason() {
    let err = payout_answered(403, "jpay/error-ip-not-allowed.json").await;
    assert!(
        is_forbidden(
            &err,
            AuthFailure::IpNotAllowed,
            "Access denied: IP address not allowed"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_app_not_found_is_not_found_blaming_the_app_code() {
    let err = payout_answered(404, "jpay/error-app-not-found.json").await;
    assert!(
        matches!(
            &err,
            Error::Rejected { status: 404, code: RejectCode::NotFound, message, param: Some(p), .. }
                if message == "App not found" && p == "app_code"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_429_is_rate_limited_with_the_retry_after() {
    let err = payout_answered(429, "jpay/error-rate-limited.json").await;
    assert!(
        matches!(
            &err,
            Error::RateLimited { retry_after: Some(wait), message, .. }
                if *wait == Duration::from_secs(60)
                    && message == "Request was throttled. Expected available in 60 seconds."
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn error_500_on_a_payout_is_an_outcome_unknown_provider_error() {
    let err = payout_answered(500, "jpay/error-server-error.json").await;
    let Error::OutcomeUnknown {
        provider: ProviderId::JPAY,
        operation: "create_payout",
        cause: Ambiguity::ServerError { status: 500 },
        reference: Some(reference),
        source: Some(source),
    } = &err
    else {
        panic!("expected an unknown outcome, got {err:?}");
    };
    assert_eq!(reference.as_str(), "PAYOUT-2024-001");
    assert!(
        matches!(
            source.downcast_ref::<Error>(),
            Some(Error::ServerError { status: 500, message, .. }) if message == "Internal server error"
        ),
        "{source:?}"
    );
}

#[tokio::test]
async fn error_500_on_a_read_is_a_server_error() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("GET"))
        .and(path("/wallets/balance"))
        .respond_with(answer(500, "jpay/error-server-error.json"))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).balance().await.unwrap_err();

    assert!(
        matches!(
            &err,
            Error::ServerError { status: 500, message, .. } if message == "Internal server error"
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Duplicate reference after an unknown outcome
// ---------------------------------------------------------------------------------------------

/// A tiny JPay ledger: the first POST of a `ref_no` books the payout (and answers too late for
/// the client); any later POST of that `ref_no` is refused as a duplicate; the list shows the book.
#[derive(Clone, Default)]
struct Ledger(Arc<Mutex<Vec<Value>>>);

impl Ledger {
    fn payouts(&self) -> Vec<Value> {
        self.0.lock().unwrap().clone()
    }
}

struct LedgerInitiate(Ledger, Duration);

impl Respond for LedgerInitiate {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let body: Value = request.body_json().unwrap();
        let mut book = (self.0).0.lock().unwrap();
        if book.iter().any(|p| p["ref_no"] == body["ref_no"]) {
            return answer(400, "jpay/error-duplicate-reference.json");
        }
        let payout = json!({
            "id": format!("{}-ABC123", body["ref_no"].as_str().unwrap()),
            "payto": body["payto"],
            "amount": body["amount"],
            "ref_no": body["ref_no"],
            "status": "pending",
            "category": body["category"],
            "channel": body["channel"],
            "channel_name": "M-Pesa",
            "channel_type": "Mobile Money",
            "created_at": "12/04/2024 14:30:45",
        });
        book.push(payout.clone());
        ResponseTemplate::new(200)
            .set_body_json(payout)
            .set_delay(self.1)
    }
}

struct LedgerList(Ledger);

impl Respond for LedgerList {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let items = self.0.payouts();
        ResponseTemplate::new(200).set_body_json(json!({
            "items": items,
            "pagination": {"page": 1, "page_size": 100, "total": items.len(), "total_pages": 1},
        }))
    }
}

#[tokio::test]
async fn a_timed_out_payout_resent_and_refused_as_duplicate_resolves_to_the_existing_one() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    let ledger = Ledger::default();
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(body_json(fixture_json("jpay/payout-request-mpesa.json")))
        .respond_with(LedgerInitiate(ledger.clone(), Duration::from_secs(30)))
        .named("initiate")
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/payments/payouts"))
        .and(query_param("ref_no", "PAYOUT-2024-001"))
        .and(query_param("page", "1"))
        .respond_with(LedgerList(ledger.clone()))
        .named("list")
        .expect(1)
        .mount(&server)
        .await;
    let http = HttpConfig::default()
        .with_timeout(Duration::from_secs(3))
        .with_retry(
            RetryPolicy::default()
                .with_max_attempts(2)
                .with_backoff(Duration::from_millis(10), Duration::from_millis(20)),
        );
    let client = JpayClient::new(config(&server).with_http(http)).unwrap();

    let payout = client.create_payout(&mpesa_request()).await.unwrap();

    assert_eq!(payout.id, "PAYOUT-2024-001-ABC123");
    assert_eq!(payout.reference, Some(reference("PAYOUT-2024-001")));
    assert_eq!(payout.amount, Some(kes("1000.00")));
    assert_eq!(payout.status, Status::Pending);
    let posts = received(&server, "POST", PAYOUT_PATH).await;
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[0].body, posts[1].body,
        "the re-send is byte-identical"
    );
    assert_eq!(ledger.payouts().len(), 1, "JPay booked one payout");
}

#[tokio::test]
async fn a_duplicate_reference_for_a_different_payout_stays_a_rejection() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(answer(400, "jpay/error-duplicate-reference.json"))
        .expect(1)
        .mount(&server)
        .await;
    let mut other = fixture_json("jpay/payout-response-mpesa.json");
    other["amount"] = json!("75.00");
    Mock::given(method("GET"))
        .and(path("/payments/payouts"))
        .and(query_param("ref_no", "PAYOUT-2024-001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [other],
            "pagination": {"page": 1, "total_pages": 1}
        })))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .create_payout(&mpesa_request())
        .await
        .unwrap_err();

    assert!(
        matches!(
            &err,
            Error::Rejected { provider, status: 400, code: RejectCode::DuplicateReference, message, param: Some(p), .. }
                if *provider == ProviderId::JPAY
                    && message.starts_with("Payout with this ref_no already exists")
                    && message.contains("another amount or recipient")
                    && p == "ref_no"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_duplicate_reference_jpay_cannot_list_stays_a_rejection() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(answer(400, "jpay/error-duplicate-reference.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/payments/payouts"))
        .and(query_param("ref_no", "PAYOUT-2024-001"))
        .respond_with(answer(200, "jpay/payouts-empty.json"))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .create_payout(&mpesa_request())
        .await
        .unwrap_err();

    assert!(
        is_rejected_duplicate(&err, "Payout with this ref_no already exists"),
        "{err:?}"
    );
}

fn is_rejected_duplicate(err: &Error, text: &str) -> bool {
    matches!(
        err,
        Error::Rejected { provider, status: 400, code: RejectCode::DuplicateReference, message, param: Some(p), .. }
            if *provider == ProviderId::JPAY && message == text && p == "ref_no"
    )
}

// ---------------------------------------------------------------------------------------------
// Status and reconciliation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn get_payout_maps_every_status() {
    let cases = [
        (fixture("jpay/payout-processing.json"), Status::Pending),
        (fixture("jpay/payout-response-mpesa.json"), Status::Pending),
        (fixture("jpay/payout-completed.json"), Status::Succeeded),
        (
            fixture("jpay/payout-failed.json"),
            Status::failed(FailureReason::Other("failed".into()), None),
        ),
        (
            json!({"id": "PAYOUT-2024-001-ABC123", "status": "reversed"}).to_string(),
            Status::Unknown("reversed".into()),
        ),
    ];
    for (body, expected) in cases {
        let server = MockServer::start().await;
        catch_all(&server).await;
        mount_token(&server, "jpay/token.json", 1).await;
        Mock::given(method("GET"))
            .and(path("/payments/payouts/PAYOUT-2024-001-ABC123"))
            .and(header("authorization", bearer("jpay/token.json").as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .expect(1)
            .mount(&server)
            .await;

        let payout = client(&server)
            .get_payout("PAYOUT-2024-001-ABC123")
            .await
            .unwrap();

        assert_eq!(payout.status, expected);
        assert_eq!(payout.id, "PAYOUT-2024-001-ABC123");
    }
}

#[tokio::test]
async fn get_payout_of_an_unknown_id_is_not_found_and_a_bad_id_is_not_sent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("GET"))
        .and(path("/payments/payouts/NOPE"))
        .respond_with(answer(404, "jpay/error-payout-not-found.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    let err = client.get_payout("NOPE").await.unwrap_err();
    assert!(
        is_rejected(&err, 404, RejectCode::NotFound, "Not found."),
        "{err:?}"
    );
    for bad in ["", "../wallets/balance", "a b", "x?y=1"] {
        let err = client.get_payout(bad).await.unwrap_err();
        assert!(
            matches!(&err, Error::InvalidRequest { field: "id", .. }),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn find_payout_pages_through_the_list() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    for (page, fixture_path) in [
        ("1", "jpay/payouts-page-1.json"),
        ("2", "jpay/payouts-page-2.json"),
    ] {
        Mock::given(method("GET"))
            .and(path("/payments/payouts"))
            .and(query_param("ref_no", "PAYOUT-2024-001"))
            .and(query_param("page", page))
            .and(query_param("page_size", "100"))
            .respond_with(answer(200, fixture_path))
            .expect(1)
            .mount(&server)
            .await;
    }

    let found = client(&server)
        .find_payout(&reference("PAYOUT-2024-001"))
        .await
        .unwrap()
        .unwrap();

    assert_eq!(found.id, "PAYOUT-2024-001-ABC123");
    assert_eq!(found.raw, fixture_json("jpay/payout-response-mpesa.json"));
}

#[tokio::test]
async fn find_payout_says_none_only_after_the_last_page() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("GET"))
        .and(path("/payments/payouts"))
        .and(query_param("page", "1"))
        .respond_with(answer(200, "jpay/payouts-empty.json"))
        .expect(1)
        .mount(&server)
        .await;

    let found = client(&server)
        .find_payout(&reference("PAYOUT-2024-404"))
        .await
        .unwrap();

    assert_eq!(found, None);
}

#[tokio::test]
async fn find_payout_refuses_a_list_that_repeats_instead_of_saying_none() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    // A server that ignores `page`: page 2 is page 1 again.
    Mock::given(method("GET"))
        .and(path("/payments/payouts"))
        .respond_with(answer(200, "jpay/payouts-page-1.json"))
        .expect(2)
        .mount(&server)
        .await;

    let err = client(&server)
        .find_payout(&reference("PAYOUT-2024-404"))
        .await
        .unwrap_err();

    assert!(matches!(&err, Error::Decode { status: 200, .. }), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Refunds and balance
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_refund_is_a_payout_naming_the_original_payment() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(body_json(fixture_json("jpay/refund-request.json")))
        .respond_with(answer(200, "jpay/refund-response.json"))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);
    let request = RefundRequest::new(
        reference("REFUND-2024-001"),
        "PAY-7781",
        kes("500"),
        Destination::mobile(phone("+254712345678")),
    )
    .with_reason("damaged item")
    .with_callback_url(callback_url(MERCHANT_CALLBACK));

    let refund = client.create_refund(&request).await.unwrap();

    assert_eq!(refund.provider, ProviderId::JPAY);
    assert_eq!(refund.id, "REFUND-2024-001-JKL012");
    assert_eq!(refund.reference, Some(reference("REFUND-2024-001")));
    assert_eq!(refund.payment_reference.as_deref(), Some("PAY-7781"));
    assert_eq!(refund.amount, Some(kes("500.00")));
    assert_eq!(refund.status, Status::Pending);
    assert_eq!(refund.created_at, Some(utc(2024, 4, 14, 10, 0, 0)));
    assert_eq!(
        client.capabilities().refunds,
        RefundSupport::AsUncheckedPayout
    );

    let to_bank = RefundRequest::new(
        reference("REFUND-2024-002"),
        "PAY-7781",
        kes("500"),
        Destination::bank(Country::Kenya, "68", "1234567890123").unwrap(),
    )
    .with_callback_url(callback_url(MERCHANT_CALLBACK));
    let err = client.create_refund(&to_bank).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::InvalidRequest {
                field: "destination",
                ..
            }
        ),
        "{err:?}"
    );
}

/// A JPay refund travels as a payout, but an ambiguous answer names the refund, so a caller's
/// logs and alerts say which operation to reconcile.
#[tokio::test]
async fn a_refund_answered_500_is_an_unknown_outcome_of_create_refund() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(body_json(fixture_json("jpay/refund-request.json")))
        .respond_with(answer(500, "jpay/error-server-error.json"))
        .expect(1)
        .mount(&server)
        .await;
    let request = RefundRequest::new(
        reference("REFUND-2024-001"),
        "PAY-7781",
        kes("500"),
        Destination::mobile(phone("+254712345678")),
    )
    .with_reason("damaged item")
    .with_callback_url(callback_url(MERCHANT_CALLBACK));

    let err = client(&server).create_refund(&request).await.unwrap_err();

    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                provider,
                operation: "create_refund",
                reference: Some(r),
                cause: Ambiguity::ServerError { status: 500 },
                ..
            } if *provider == ProviderId::JPAY && r.as_str() == "REFUND-2024-001"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_balance_is_three_exact_kes_amounts() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("GET"))
        .and(path("/wallets/balance"))
        .and(header("authorization", bearer("jpay/token.json").as_str()))
        .respond_with(answer(200, "jpay/balance.json"))
        .expect(1)
        .mount(&server)
        .await;

    let balance = client(&server).balance().await.unwrap();

    let text = |m: &Money| format!("{} {}", m.amount(), m.currency());
    assert_eq!(text(&balance.payout), "8250.00 KES");
    assert_eq!(
        balance.collection.as_ref().map(text).as_deref(),
        Some("15000.50 KES")
    );
    assert_eq!(
        balance.total.as_ref().map(text).as_deref(),
        Some("23250.50 KES")
    );
}

#[tokio::test]
async fn capabilities_describe_jpay() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let caps = client.capabilities();

    assert_eq!(caps.countries, [Country::Kenya]);
    assert_eq!(caps.currencies, [Currency::KES]);
    assert!(caps.mobile_money && caps.bank_accounts && caps.listing && caps.balance);
    assert!(caps.idempotent_create);
    assert!(!caps.recipient_validation);
    assert_eq!(caps.webhook_auth, WebhookAuth::CallbackUrlToken);
    assert!(caps.supports(&Destination::mobile(phone("+254712345678")), Currency::KES));
    assert!(!caps.supports(&Destination::mobile(phone("+254712345678")), Currency::USD));
}

// ---------------------------------------------------------------------------------------------
// Callbacks
// ---------------------------------------------------------------------------------------------

/// The callback URL the adapter gave JPay for the documented M-Pesa payout.
fn signed_mpesa_callback_url() -> String {
    fixture_json("jpay/payout-request-mpesa.json")["callback_url"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn deliver(client: &JpayClient, url: &str, body: &str) -> Result<disburse::WebhookEvent, Error> {
    let headers = HeaderMap::new();
    client.parse_webhook(&WebhookRequest::post(url, &headers, body.as_bytes()))
}

#[tokio::test]
async fn each_callback_fixture_parses_to_its_event() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let url = signed_mpesa_callback_url();
    let cases = [
        (
            "jpay/callback-completed.json",
            Status::Succeeded,
            Some("QGX7654321"),
        ),
        (
            "jpay/callback-failed.json",
            Status::failed(
                FailureReason::InsufficientFunds,
                Some("The balance is insufficient for the transaction".into()),
            ),
            Some("PR52345"),
        ),
        ("jpay/callback-created.json", Status::Pending, None),
    ];
    for (fixture_path, status, provider_reference) in cases {
        let event = deliver(&client, &url, &fixture(fixture_path)).unwrap();

        assert_eq!(event.provider, ProviderId::JPAY);
        assert_eq!(event.object, EventObject::Payout);
        assert_eq!(event.event_id, None);
        assert_eq!(event.status, status, "{fixture_path}");
        assert_eq!(event.reference.as_deref(), Some("PAYOUT-2024-001"));
        assert_eq!(event.provider_reference.as_deref(), provider_reference);
        assert_eq!(event.amount, Some(kes("1000.00")));
        assert_eq!(event.raw, fixture_json(fixture_path));
    }
    // The path-and-query form a web framework hands over works too.
    let relative = url.trim_start_matches("https://yourdomain.com");
    let event = deliver(&client, relative, &fixture("jpay/callback-completed.json")).unwrap();
    assert_eq!(event.status, Status::Succeeded);
}

#[tokio::test]
async fn a_callback_without_its_token_is_rejected() {
    let server = MockServer::start().await;
    catch_all(&server).await;

    let err = deliver(
        &client(&server),
        "https://yourdomain.com/webhook",
        &fixture("jpay/callback-completed.json"),
    )
    .unwrap_err();

    assert!(
        matches!(&err, Error::Webhook(WebhookError::MissingSignature(what)) if what == "query parameter disburse_token"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_callback_with_the_token_of_another_payout_is_rejected() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    // The token the Airtel payout (PAYOUT-2024-002) was given, replayed on PAYOUT-2024-001.
    let other = fixture_json("jpay/payout-request-airtel.json")["callback_url"]
        .as_str()
        .unwrap()
        .to_owned();

    let client = client(&server);

    let err = deliver(&client, &other, &fixture("jpay/callback-completed.json")).unwrap_err();
    assert!(
        matches!(&err, Error::Webhook(WebhookError::SignatureMismatch)),
        "{err:?}"
    );

    // And the other way round: PAYOUT-2024-001's valid token on a body about PAYOUT-2024-002.
    let mut about_other = fixture_json("jpay/callback-completed.json");
    about_other["data"]["ref_no"] = json!("PAYOUT-2024-002");
    let err = deliver(
        &client,
        &signed_mpesa_callback_url(),
        &about_other.to_string(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Webhook(WebhookError::SignatureMismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_callback_with_a_token_made_with_another_secret_is_rejected() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let forged = disburse::webhook::sign(
        b"another-secret",
        b"PAYOUT-2024-001",
        SignatureEncoding::Hex,
    );
    let client = client(&server);

    let err = deliver(
        &client,
        &format!("https://yourdomain.com/webhook?disburse_token={forged}"),
        &fixture("jpay/callback-completed.json"),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Webhook(WebhookError::SignatureMismatch)),
        "{err:?}"
    );

    let err = deliver(
        &client,
        "https://yourdomain.com/webhook?disburse_token=not-hex",
        &fixture("jpay/callback-completed.json"),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Webhook(WebhookError::BadEncoding("hex"))),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_callback_that_is_not_a_jpay_payout_callback_is_rejected() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let url = signed_mpesa_callback_url();

    let err = deliver(&client, &url, "not json").unwrap_err();
    assert!(
        matches!(&err, Error::Webhook(WebhookError::InvalidBody(_))),
        "{err:?}"
    );

    let mut collection = fixture_json("jpay/callback-completed.json");
    collection["notification"]["type"] = json!("collection");
    let err = deliver(&client, &url, &collection.to_string()).unwrap_err();
    assert!(
        matches!(&err, Error::Webhook(WebhookError::InvalidBody(_))),
        "{err:?}"
    );
}

#[tokio::test]
async fn confirmed_callbacks_report_jpays_own_status() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("GET"))
        .and(path("/payments/payouts"))
        .and(query_param("ref_no", "PAYOUT-2024-001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": [fixture_json("jpay/payout-processing.json")],
            "pagination": {"page": 1, "total_pages": 1}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let client = JpayClient::new(config(&server).with_confirm_callbacks(true)).unwrap();
    let url = signed_mpesa_callback_url();
    let body = fixture("jpay/callback-completed.json");
    let headers = HeaderMap::new();
    let delivery = WebhookRequest::post(&url, &headers, body.as_bytes());

    // With confirmation on, the unconfirmed path refuses.
    let err = client.parse_webhook(&delivery).unwrap_err();
    assert!(matches!(&err, Error::Unsupported { .. }), "{err:?}");

    let event = client.parse_webhook_confirmed(&delivery).await.unwrap();
    assert_eq!(
        event.status,
        Status::Pending,
        "JPay still says processing, whatever the callback claims"
    );
    assert_eq!(event.reference.as_deref(), Some("PAYOUT-2024-001"));
}

#[tokio::test]
async fn the_signed_callback_url_is_what_the_payout_carries() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);

    let url = client
        .signed_callback_url(
            &callback_url(MERCHANT_CALLBACK),
            &reference("PAYOUT-2024-001"),
        )
        .unwrap();

    assert_eq!(url, signed_mpesa_callback_url());
}

#[tokio::test]
async fn a_request_without_a_callback_url_uses_the_client_level_notification_url() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    // The documented example body: its callback_url is the signed MERCHANT_CALLBACK.
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(body_json(fixture_json("jpay/payout-request-mpesa.json")))
        .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
        .expect(2)
        .mount(&server)
        .await;
    let config = config(&server).with_notification_url(callback_url(MERCHANT_CALLBACK));
    let client = JpayClient::new(config).unwrap();
    assert_eq!(
        client.capabilities().callback_url,
        disburse::CallbackUrlSupport::Optional
    );
    assert_eq!(
        client_required_capability(&server),
        disburse::CallbackUrlSupport::Required
    );

    let mut without = mpesa_request();
    without.callback_url = None;
    client.create_payout(&without).await.unwrap();
    // A request's own URL still wins (here the same one, so the body is the fixture's again).
    client.create_payout(&mpesa_request()).await.unwrap();
}

fn client_required_capability(server: &MockServer) -> disburse::CallbackUrlSupport {
    client(server).capabilities().callback_url
}

#[tokio::test]
async fn a_request_naming_its_own_callback_url_overrides_the_notification_url() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "jpay/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(body_json(fixture_json("jpay/payout-request-mpesa.json")))
        .respond_with(answer(200, "jpay/payout-response-mpesa.json"))
        .expect(1)
        .mount(&server)
        .await;
    let config = config(&server)
        .with_notification_url(callback_url("https://elsewhere.example/jpay-default"));
    let client = JpayClient::new(config).unwrap();
    client.create_payout(&mpesa_request()).await.unwrap();
}
