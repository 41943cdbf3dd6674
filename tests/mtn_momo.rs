//! MTN MoMo adapter against a wiremock MTN: the acceptance items of issue 15.
//!
//! Every test mounts `common::catch_all` (an unexpected request fails it) and puts `.expect(n)` on
//! every mock. Fixtures live in `fixtures/mtn_momo/`.

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use disburse::http::{HttpConfig, RetryPolicy};
use disburse::providers::mtn_momo::{
    Environment, MtnMomoClient, MtnMomoConfig, PayoutMode, TargetEnvironment,
};
use disburse::webhook::Clock;
use disburse::{
    Ambiguity, AuthFailure, CallbackUrl, Currency, Destination, Error, FailureReason, Money,
    Msisdn, PayoutProvider, PayoutRequest, ProviderId, Reference, RefundRequest, RejectCode,
    Status,
};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use common::{catch_all, fixture, fixture_json};

const SUBSCRIPTION_KEY: &str = "f1db798c98df4bcf83b538175893bbf0";
const API_USER: &str = "0c8a8e3a-5b6f-4f0e-9d43-1b2c3d4e5f60";
const API_KEY: &str = "b0431db58a9b41faa8f5860230xxxxxx";
const CALLBACK_SECRET: &str = "test-callback-secret";
const TRANSFER: &str = "/disbursement/v1_0/transfer";
const TOKEN: &str = "/disbursement/token/";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn answer(status: u16, fixture_path: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(fixture_path), "application/json")
}

fn config(server: &MockServer, target: TargetEnvironment) -> MtnMomoConfig {
    MtnMomoConfig::new(
        SecretString::from(SUBSCRIPTION_KEY),
        SecretString::from(API_USER),
        SecretString::from(API_KEY),
        SecretString::from(CALLBACK_SECRET),
    )
    .with_target(target)
    .with_environment(Environment::Custom(server.uri()))
    .with_http(HttpConfig::default().with_retry(RetryPolicy::none()))
}

fn uganda(server: &MockServer) -> MtnMomoClient {
    MtnMomoClient::new(config(server, TargetEnvironment::Uganda)).unwrap()
}

fn reference(text: &str) -> Reference {
    Reference::new(text).unwrap()
}

fn ugx(text: &str) -> Money {
    Money::parse(text, Currency::UGX).unwrap()
}

fn bearer(fixture_path: &str) -> String {
    format!(
        "Bearer {}",
        fixture_json(fixture_path)["access_token"].as_str().unwrap()
    )
}

fn basic() -> String {
    let pair = format!("{API_USER}:{API_KEY}");
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The token call exactly: Basic auth, the subscription key, no body, no target header.
async fn mount_token(server: &MockServer, fixture_path: &str, times: u64) {
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .and(header("Authorization", basic().as_str()))
        .and(header("Ocp-Apim-Subscription-Key", SUBSCRIPTION_KEY))
        .and(|r: &Request| r.body.is_empty() && !r.headers.contains_key("x-target-environment"))
        .respond_with(answer(200, fixture_path))
        .named("token")
        .expect(times)
        .mount(server)
        .await;
}

/// The headers every product call carries.
fn product_call(
    verb: &'static str,
    at: impl Into<String>,
    target: &'static str,
) -> wiremock::MockBuilder {
    Mock::given(method(verb))
        .and(path(at.into()))
        .and(header(
            "Authorization",
            bearer("mtn_momo/token.json").as_str(),
        ))
        .and(header("Ocp-Apim-Subscription-Key", SUBSCRIPTION_KEY))
        .and(header("X-Target-Environment", target))
}

fn salary_request() -> PayoutRequest {
    PayoutRequest::new(
        reference("payout-000123"),
        ugx("5000"),
        Destination::mobile(Msisdn::parse("+256 772 123456").unwrap()),
    )
    .with_narration("Salary June")
}

async fn received(server: &MockServer, verb: &str, at: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == at)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// The exact transfer request
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_documented_transfer_goes_out_exactly_as_the_fixture_and_is_pending_under_its_id() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    let client = uganda(&server);
    let id = client.payout_reference_id(&reference("payout-000123"));
    product_call("POST", TRANSFER, "mtnuganda")
        .and(header("X-Reference-Id", id.as_str()))
        .and(header("Content-Type", "application/json"))
        .and(|r: &Request| !r.headers.contains_key("x-callback-url"))
        .and(body_json(fixture_json("mtn_momo/transfer-request.json")))
        .respond_with(ResponseTemplate::new(202))
        .named("transfer")
        .expect(1)
        .mount(&server)
        .await;

    let payout = client.create_payout(&salary_request()).await.unwrap();

    assert_eq!(payout.provider, ProviderId::MTN_MOMO);
    assert_eq!(payout.id, id);
    assert_eq!(payout.reference, Some(reference("payout-000123")));
    assert_eq!(payout.amount, Some(ugx("5000")));
    assert_eq!(payout.status, Status::Pending);
    // The body's field order is the documented one.
    let sent = received(&server, "POST", TRANSFER).await;
    let text = String::from_utf8(sent[0].body.clone()).unwrap();
    assert_eq!(
        text,
        r#"{"amount":"5000","currency":"UGX","externalId":"payout-000123","payee":{"partyIdType":"MSISDN","partyId":"256772123456"},"payerMessage":"Salary June","payeeNote":"Salary June"}"#
    );
}

#[tokio::test]
async fn a_sandbox_payout_without_narration_and_a_deposit_v2_go_out_as_their_fixture() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    let client = MtnMomoClient::new(
        config(&server, TargetEnvironment::Sandbox).with_payout_mode(PayoutMode::DepositV2),
    )
    .unwrap();
    let id = client.payout_reference_id(&reference("payout-000124"));
    product_call("POST", "/disbursement/v2_0/deposit", "sandbox")
        .and(header("X-Reference-Id", id.as_str()))
        .and(body_json(fixture_json(
            "mtn_momo/transfer-request-sandbox.json",
        )))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    product_call("GET", format!("/disbursement/v1_0/deposit/{id}"), "sandbox")
        .respond_with(answer(200, "mtn_momo/status-pending.json"))
        .expect(1)
        .mount(&server)
        .await;

    let request = PayoutRequest::new(
        reference("payout-000124"),
        Money::parse("5", Currency::EUR).unwrap(),
        Destination::mobile(Msisdn::parse("+46733123453").unwrap()),
    );
    let payout = client.create_payout(&request).await.unwrap();
    assert_eq!(payout.status, Status::Pending);
    let read = client.get_payout(&payout.id).await.unwrap();
    assert_eq!(read.status, Status::Pending);
}

#[tokio::test]
async fn a_callback_url_goes_out_with_its_token_on_the_registered_host() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    let client = MtnMomoClient::new(
        config(&server, TargetEnvironment::Uganda).with_callback_host("Hooks.Shop.Example"),
    )
    .unwrap();
    let token = disburse::webhook::sign(
        CALLBACK_SECRET.as_bytes(),
        b"payout:payout-000123",
        disburse::webhook::SignatureEncoding::Hex,
    );
    let expected = format!(
        "https://hooks.shop.example/mtn?shop=7&disburse_object=payout&disburse_token={token}"
    );
    product_call("POST", TRANSFER, "mtnuganda")
        .and(header("X-Callback-Url", expected.as_str()))
        .and(body_json(fixture_json("mtn_momo/transfer-request.json")))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let request = salary_request()
        .with_callback_url(CallbackUrl::parse("https://hooks.shop.example/mtn?shop=7").unwrap());
    client.create_payout(&request).await.unwrap();
}

#[tokio::test]
async fn bad_input_is_refused_before_anything_is_sent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = MtnMomoClient::new(
        config(&server, TargetEnvironment::Uganda).with_callback_host("hooks.shop.example"),
    )
    .unwrap();
    let cases: Vec<(PayoutRequest, &str, &str)> = vec![
        (
            salary_request().with_narration("Jane's salary"),
            "narration",
            "MTN MoMo refuses the character '\\'' (apostrophes and quotes included)",
        ),
        (
            salary_request().with_narration("x".repeat(161)),
            "narration",
            "must be at most 160 characters for MTN MoMo, got 161",
        ),
        (
            PayoutRequest::new(
                reference("r-1"),
                Money::parse("10", Currency::KES).unwrap(),
                Destination::mobile(Msisdn::parse("+256772123456").unwrap()),
            ),
            "amount",
            "this MTN MoMo account pays out in UGX, got KES",
        ),
        (
            PayoutRequest::new(
                reference("r-2"),
                ugx("10"),
                Destination::mobile(Msisdn::parse("+233241234567").unwrap()),
            ),
            "destination.msisdn",
            "the target environment mtnuganda pays +256 numbers only, got +2332*****567",
        ),
        (
            salary_request()
                .with_callback_url(CallbackUrl::parse("https://other.example/hook").unwrap()),
            "callback_url",
            "MTN MoMo calls back only the registered host \"hooks.shop.example\", got \"other.example\"",
        ),
    ];
    for (request, field, why) in cases {
        match client.create_payout(&request).await {
            Err(Error::InvalidRequest {
                field: f, reason, ..
            }) => {
                assert_eq!((f, reason.as_str()), (field, why));
            }
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(matches!(
        client.get_payout("../balance").await,
        Err(Error::InvalidRequest { field: "id", .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Token
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_hundred_concurrent_payouts_on_a_cold_client_make_one_token_request() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(answer(200, "mtn_momo/token.json").set_delay(Duration::from_millis(300)))
        .named("token")
        .expect(1)
        .mount(&server)
        .await;
    product_call("POST", TRANSFER, "mtnuganda")
        .respond_with(ResponseTemplate::new(202))
        .named("transfer")
        .expect(100)
        .mount(&server)
        .await;
    let client = uganda(&server);

    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut request = salary_request();
                request.reference = reference(&format!("burst-{i}"));
                client.create_payout(&request).await
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().status, Status::Pending);
    }
    let ids: std::collections::HashSet<String> = received(&server, "POST", TRANSFER)
        .await
        .iter()
        .map(|r| r.headers["x-reference-id"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 100, "one reference id per merchant reference");
}

/// A clock the test moves.
#[derive(Debug, Clone, Default)]
struct TestClock(Arc<AtomicI64>);

impl Clock for TestClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

#[tokio::test]
async fn the_token_is_renewed_ten_minutes_before_expiry_and_once_after_a_401() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(answer(200, "mtn_momo/token.json"))
        .up_to_n_times(1)
        .with_priority(1)
        .named("first token")
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(answer(200, "mtn_momo/token-renewed.json"))
        .named("later tokens")
        .expect(2)
        .mount(&server)
        .await;
    product_call("GET", "/disbursement/v1_0/account/balance", "mtnuganda")
        .respond_with(answer(200, "mtn_momo/balance-number.json"))
        .named("balance with the first token")
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/disbursement/v1_0/account/balance"))
        .and(header(
            "Authorization",
            bearer("mtn_momo/token-renewed.json").as_str(),
        ))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "statusCode": 401, "message": "Access token expired"
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .named("a 401 for the renewed token")
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/disbursement/v1_0/account/balance"))
        .and(header(
            "Authorization",
            bearer("mtn_momo/token-renewed.json").as_str(),
        ))
        .respond_with(answer(200, "mtn_momo/balance-number.json"))
        .named("balance after the 401")
        .expect(1)
        .mount(&server)
        .await;
    let clock = TestClock::default();
    clock.0.store(1_000_000, Ordering::SeqCst);
    let client = MtnMomoClient::new(
        config(&server, TargetEnvironment::Uganda).with_clock(Arc::new(clock.clone())),
    )
    .unwrap();

    let balance = client.balance().await.unwrap();
    assert_eq!(balance.payout, ugx("250000"));
    // 50 minutes later: inside the 10-minute margin, so a new token before the call.
    clock.0.store(1_000_000 + 3000, Ordering::SeqCst);
    // That call meets a 401: one renewal, one repeat.
    let balance = client.balance().await.unwrap();
    assert_eq!(balance.payout, ugx("250000"));
}

#[tokio::test]
async fn refused_credentials_are_an_auth_error_and_nothing_else_is_sent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(answer(401, "mtn_momo/token-401.json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = uganda(&server)
        .create_payout(&salary_request())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Auth { status: Some(401), kind: AuthFailure::InvalidCredentials, message, .. }
            if message == "login_failed"),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Idempotency across attempts: timeouts, 409, 404
// ---------------------------------------------------------------------------------------------

/// A tiny MTN ledger: the first POST of an `X-Reference-Id` books the transfer (and answers too
/// late for the client); any later POST of that id is a 409; the GET reads the book.
#[derive(Clone, Default)]
struct Ledger(Arc<Mutex<Vec<(String, Value)>>>);

struct LedgerTransfer(Ledger, Duration);

impl Respond for LedgerTransfer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id = request.headers["x-reference-id"]
            .to_str()
            .unwrap()
            .to_owned();
        let body: Value = request.body_json().unwrap();
        let mut book = (self.0).0.lock().unwrap();
        if book.iter().any(|(known, _)| *known == id) {
            return answer(409, "mtn_momo/errors/resource_already_exist.json");
        }
        let mut record = body;
        record["status"] = json!("PENDING");
        book.push((id, record));
        ResponseTemplate::new(202).set_delay(self.1)
    }
}

struct LedgerStatus(Ledger);

impl Respond for LedgerStatus {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id = request.url.path().rsplit('/').next().unwrap();
        let book = (self.0).0.lock().unwrap();
        match book.iter().find(|(known, _)| known == id) {
            Some((_, record)) => ResponseTemplate::new(200).set_body_json(record),
            None => answer(404, "mtn_momo/errors/resource_not_found.json"),
        }
    }
}

fn retrying(timeout: Duration) -> HttpConfig {
    HttpConfig::default().with_timeout(timeout).with_retry(
        RetryPolicy::default()
            .with_max_attempts(2)
            .with_backoff(Duration::from_millis(10), Duration::from_millis(20)),
    )
}

#[tokio::test]
async fn a_timeout_after_mtn_accepted_resent_and_answered_409_resolves_to_the_existing_transfer() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    let ledger = Ledger::default();
    let client = MtnMomoClient::new(
        config(&server, TargetEnvironment::Uganda).with_http(retrying(Duration::from_secs(2))),
    )
    .unwrap();
    let id = client.payout_reference_id(&reference("payout-000123"));
    product_call("POST", TRANSFER, "mtnuganda")
        .and(header("X-Reference-Id", id.as_str()))
        .and(body_json(fixture_json("mtn_momo/transfer-request.json")))
        .respond_with(LedgerTransfer(ledger.clone(), Duration::from_secs(30)))
        .named("transfer")
        .expect(2)
        .mount(&server)
        .await;
    product_call("GET", format!("{TRANSFER}/{id}"), "mtnuganda")
        .respond_with(LedgerStatus(ledger.clone()))
        .named("status")
        .expect(1)
        .mount(&server)
        .await;

    let payout = client.create_payout(&salary_request()).await.unwrap();

    assert_eq!(payout.id, id);
    assert_eq!(payout.reference, Some(reference("payout-000123")));
    assert_eq!(payout.amount, Some(ugx("5000")));
    assert_eq!(payout.status, Status::Pending);
    let posts = received(&server, "POST", TRANSFER).await;
    assert_eq!(posts.len(), 2);
    assert_eq!(
        posts[0].body, posts[1].body,
        "the re-send is byte-identical"
    );
    assert_eq!(ledger.0.lock().unwrap().len(), 1, "MTN booked one transfer");
}

#[tokio::test]
async fn a_409_for_another_payout_under_the_same_reference_stays_a_rejection() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    let client = uganda(&server);
    let id = client.payout_reference_id(&reference("payout-000123"));
    product_call("POST", TRANSFER, "mtnuganda")
        .respond_with(answer(409, "mtn_momo/errors/resource_already_exist.json"))
        .expect(1)
        .mount(&server)
        .await;
    let mut other = fixture_json("mtn_momo/status-successful.json");
    other["amount"] = json!("7500");
    product_call("GET", format!("{TRANSFER}/{id}"), "mtnuganda")
        .respond_with(ResponseTemplate::new(200).set_body_json(other))
        .expect(1)
        .mount(&server)
        .await;

    let err = client.create_payout(&salary_request()).await.unwrap_err();
    assert!(
        matches!(&err, Error::Rejected { status: 409, code: RejectCode::DuplicateReference, provider_code: Some(c), param: Some(p), .. }
            if c == "RESOURCE_ALREADY_EXIST" && p == "X-Reference-Id"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_404_on_the_status_read_after_a_lost_post_means_not_created() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    let client = MtnMomoClient::new(
        config(&server, TargetEnvironment::Uganda).with_http(
            HttpConfig::default()
                .with_timeout(Duration::from_secs(1))
                .with_retry(RetryPolicy::none()),
        ),
    )
    .unwrap();
    let id = client.payout_reference_id(&reference("payout-000123"));
    // The POST is lost: no answer in time, and nothing booked.
    product_call("POST", TRANSFER, "mtnuganda")
        .respond_with(ResponseTemplate::new(202).set_delay(Duration::from_secs(30)))
        .expect(1)
        .mount(&server)
        .await;
    product_call("GET", format!("{TRANSFER}/{id}"), "mtnuganda")
        .respond_with(answer(404, "mtn_momo/errors/resource_not_found.json"))
        .expect(1)
        .mount(&server)
        .await;

    let err = client.create_payout(&salary_request()).await.unwrap_err();
    assert!(
        matches!(&err, Error::OutcomeUnknown { cause: Ambiguity::Timeout, reference: Some(r), .. }
            if r.as_str() == "payout-000123"),
        "{err:?}"
    );
    assert_eq!(
        client
            .find_payout(&reference("payout-000123"))
            .await
            .unwrap(),
        None,
        "not created"
    );
}

// ---------------------------------------------------------------------------------------------
// Status, failure reasons and error codes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn statuses_and_every_failure_reason_and_error_code_map_to_their_variant() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    // Two tokens: the second is the renewal after the 401 at the end.
    mount_token(&server, "mtn_momo/token.json", 2).await;
    let client = uganda(&server);
    let id = "5cecb5a7-8bd0-4f49-87b1-8eb9ecc7b7bc";
    let at = format!("{TRANSFER}/{id}");

    // Status bodies, as fixtures.
    let failed = |reason, detail: &str| Status::failed(reason, Some(detail.to_owned()));
    let statuses = [
        ("mtn_momo/status-pending.json", Status::Pending),
        ("mtn_momo/status-successful.json", Status::Succeeded),
        ("mtn_momo/status-successful-numbers.json", Status::Succeeded),
        (
            "mtn_momo/status-failed.json",
            failed(FailureReason::InsufficientFunds, "NOT_ENOUGH_FUNDS"),
        ),
        (
            "mtn_momo/status-failed-object.json",
            failed(
                FailureReason::InvalidRecipient,
                "PAYEE_NOT_FOUND: Payee does not exist",
            ),
        ),
    ];
    // Every documented failure reason, as a bare code and as {code, message}: HTTP 200 FAILED is
    // a failed payout, not an error.
    let other = |code: &str| FailureReason::Other(code.to_owned());
    let reasons = [
        ("PAYEE_NOT_FOUND", FailureReason::InvalidRecipient),
        ("PAYER_NOT_FOUND", other("PAYER_NOT_FOUND")),
        ("NOT_ENOUGH_FUNDS", FailureReason::InsufficientFunds),
        ("PAYER_LIMIT_REACHED", FailureReason::LimitExceeded),
        (
            "PAYEE_NOT_ALLOWED_TO_RECEIVE",
            FailureReason::RecipientBlocked,
        ),
        ("NOT_ALLOWED", FailureReason::Declined),
        (
            "NOT_ALLOWED_TARGET_ENVIRONMENT",
            other("NOT_ALLOWED_TARGET_ENVIRONMENT"),
        ),
        (
            "INVALID_CALLBACK_URL_HOST",
            other("INVALID_CALLBACK_URL_HOST"),
        ),
        ("INVALID_CURRENCY", other("INVALID_CURRENCY")),
        (
            "INTERNAL_PROCESSING_ERROR",
            other("INTERNAL_PROCESSING_ERROR"),
        ),
        ("SERVICE_UNAVAILABLE", FailureReason::ProviderTimeout),
        (
            "COULD_NOT_PERFORM_TRANSACTION",
            FailureReason::ProviderTimeout,
        ),
        ("APPROVAL_REJECTED", FailureReason::Declined),
        ("EXPIRED", FailureReason::ProviderTimeout),
        ("PAYMENT_NOT_APPROVED", FailureReason::Declined),
        ("TRANSACTION_CANCELED", FailureReason::Declined),
        ("RESOURCE_NOT_FOUND", other("RESOURCE_NOT_FOUND")),
        ("RESOURCE_ALREADY_EXIST", other("RESOURCE_ALREADY_EXIST")),
        (
            "SENDER_ACCOUNT_NOT_ACTIVE",
            other("SENDER_ACCOUNT_NOT_ACTIVE"),
        ),
        ("TRANSACTION_NOT_FOUND", other("TRANSACTION_NOT_FOUND")),
        ("PAYER_FAILED", other("PAYER_FAILED")),
        ("PAYER_ONGOING", other("PAYER_ONGOING")),
        ("PAYER_DELAYED", other("PAYER_DELAYED")),
        ("A_CODE_MTN_ADDS_LATER", other("A_CODE_MTN_ADDS_LATER")),
    ];
    // Every documented error code, as fixtures, with the HTTP status MTN uses for it.
    type Check = Box<dyn Fn(&Error) -> bool>;
    let rejected = |http: u16, code: RejectCode, param: Option<&'static str>| -> Check {
        Box::new(move |e: &Error| {
            matches!(e, Error::Rejected { status, code: c, param: p, provider_code: Some(_), .. }
                if *status == http && *c == code && p.as_deref() == param)
        })
    };
    let auth = |http: u16, kind: AuthFailure| -> Check {
        Box::new(
            move |e: &Error| matches!(e, Error::Auth { status: Some(s), kind: k, .. } if *s == http && *k == kind),
        )
    };
    let server_error = |http: u16| -> Check {
        Box::new(move |e: &Error| matches!(e, Error::ServerError { status, .. } if *status == http))
    };
    let errors: Vec<(u16, &str, Check)> = vec![
        (
            500,
            "payee_not_found",
            rejected(500, RejectCode::InvalidRecipient, Some("payee")),
        ),
        (
            500,
            "payee_not_allowed_to_receive",
            rejected(500, RejectCode::InvalidRecipient, Some("payee")),
        ),
        (
            500,
            "payer_not_found",
            rejected(500, RejectCode::Other, Some("payer")),
        ),
        (
            500,
            "not_enough_funds",
            rejected(500, RejectCode::InsufficientBalance, None),
        ),
        (
            500,
            "payer_limit_reached",
            rejected(500, RejectCode::InvalidAmount, Some("amount")),
        ),
        (
            500,
            "invalid_currency",
            rejected(500, RejectCode::InvalidRequest, Some("currency")),
        ),
        (
            500,
            "invalid_callback_url_host",
            rejected(500, RejectCode::InvalidRequest, Some("X-Callback-Url")),
        ),
        (
            500,
            "not_allowed_target_environment",
            rejected(
                500,
                RejectCode::InvalidRequest,
                Some("X-Target-Environment"),
            ),
        ),
        (
            409,
            "resource_already_exist",
            rejected(409, RejectCode::DuplicateReference, Some("X-Reference-Id")),
        ),
        (
            404,
            "resource_not_found",
            rejected(404, RejectCode::NotFound, None),
        ),
        (
            404,
            "transaction_not_found",
            rejected(404, RejectCode::NotFound, None),
        ),
        (
            500,
            "could_not_perform_transaction",
            rejected(500, RejectCode::Other, None),
        ),
        (
            500,
            "approval_rejected",
            rejected(500, RejectCode::Other, None),
        ),
        (500, "expired", rejected(500, RejectCode::Other, None)),
        (
            500,
            "payment_not_approved",
            rejected(500, RejectCode::Other, None),
        ),
        (
            500,
            "transaction_canceled",
            rejected(500, RejectCode::Other, None),
        ),
        (500, "payer_failed", rejected(500, RejectCode::Other, None)),
        (500, "payer_ongoing", rejected(500, RejectCode::Other, None)),
        (500, "payer_delayed", rejected(500, RejectCode::Other, None)),
        (500, "not_allowed", auth(500, AuthFailure::Forbidden)),
        (
            500,
            "sender_account_not_active",
            auth(500, AuthFailure::AppInactive),
        ),
        (500, "internal_processing_error", server_error(500)),
        (503, "service_unavailable", server_error(503)),
        (403, "gateway-403-ip", auth(403, AuthFailure::IpNotAllowed)),
        // A 401 renews the token once and repeats once: two answers for one call.
        (
            401,
            "gateway-401",
            auth(401, AuthFailure::InvalidCredentials),
        ),
    ];

    let total = (statuses.len() + 2 * reasons.len() + errors.len() + 1) as u64;
    let script: Arc<Mutex<Vec<ResponseTemplate>>> = Arc::new(Mutex::new(Vec::new()));
    {
        let mut script = script.lock().unwrap();
        for (fixture_path, _) in &statuses {
            script.push(answer(200, fixture_path));
        }
        for (code, _) in &reasons {
            let mut body = fixture_json("mtn_momo/status-failed.json");
            body["reason"] = json!(code);
            script.push(ResponseTemplate::new(200).set_body_json(&body));
            body["reason"] = json!({"code": code, "message": "why"});
            script.push(ResponseTemplate::new(200).set_body_json(&body));
        }
        for (http, name, _) in &errors {
            script.push(answer(*http, &format!("mtn_momo/errors/{name}.json")));
        }
        script.push(answer(401, "mtn_momo/errors/gateway-401.json"));
        script.reverse();
    }
    let next = Arc::clone(&script);
    product_call("GET", at.as_str(), "mtnuganda")
        .respond_with(move |_: &Request| next.lock().unwrap().pop().unwrap())
        .named("status reads")
        .expect(total)
        .mount(&server)
        .await;

    for (fixture_path, expected) in statuses {
        assert_eq!(
            client.get_payout(id).await.unwrap().status,
            expected,
            "{fixture_path}"
        );
    }
    for (code, expected) in reasons {
        let bare = client.get_payout(id).await.unwrap().status;
        assert_eq!(
            bare,
            Status::failed(expected.clone(), Some(code.to_owned())),
            "{code}"
        );
        let object = client.get_payout(id).await.unwrap().status;
        assert_eq!(
            object,
            Status::failed(expected, Some(format!("{code}: why"))),
            "{code}"
        );
    }
    for (http, name, check) in errors {
        let err = client.get_payout(id).await.unwrap_err();
        assert!(check(&err), "{http} {name}: {err:?}");
        assert!(!err.is_outcome_unknown(), "a read is never outcome-unknown");
    }
}

#[tokio::test]
async fn empty_and_non_json_bodies_are_typed_errors() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    let client = MtnMomoClient::new(
        config(&server, TargetEnvironment::Uganda).with_http(
            HttpConfig::default()
                .with_retry(RetryPolicy::none())
                .with_timeout(Duration::from_secs(5)),
        ),
    )
    .unwrap();
    let id = "5cecb5a7-8bd0-4f49-87b1-8eb9ecc7b7bc";
    let at = format!("{TRANSFER}/{id}");
    let script = Arc::new(Mutex::new(vec![
        ResponseTemplate::new(200).set_body_string("not json"),
        ResponseTemplate::new(200),
        ResponseTemplate::new(502)
            .set_body_raw(fixture("mtn_momo/errors/bad-gateway.html"), "text/html"),
        ResponseTemplate::new(400),
        ResponseTemplate::new(200).set_body_json(json!({"status": "REVERSED"})),
    ]));
    script.lock().unwrap().reverse();
    let next = Arc::clone(&script);
    product_call("GET", at.as_str(), "mtnuganda")
        .respond_with(move |_: &Request| next.lock().unwrap().pop().unwrap())
        .expect(5)
        .mount(&server)
        .await;

    let err = client.get_payout(id).await.unwrap_err();
    assert!(
        matches!(&err, Error::Decode { status: 200, snippet, .. } if snippet == "not json"),
        "{err:?}"
    );
    let err = client.get_payout(id).await.unwrap_err();
    assert!(matches!(&err, Error::Decode { status: 200, .. }), "{err:?}");
    let err = client.get_payout(id).await.unwrap_err();
    assert!(
        matches!(&err, Error::ServerError { status: 502, message, .. } if message.starts_with("<html>")),
        "{err:?}"
    );
    let err = client.get_payout(id).await.unwrap_err();
    assert!(
        matches!(&err, Error::Rejected { status: 400, code: RejectCode::InvalidRequest, message, provider_code: None, .. } if message == "(empty body)"),
        "{err:?}"
    );
    let payout = client.get_payout(id).await.unwrap();
    assert_eq!(
        payout.status,
        Status::Unknown("REVERSED".into()),
        "an unknown word is not final"
    );
}

// ---------------------------------------------------------------------------------------------
// find_payout, refunds, balance, recipient validation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn find_payout_reads_the_derived_id() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    let client = uganda(&server);
    let id = client.payout_reference_id(&reference("payout-000123"));
    product_call("GET", format!("{TRANSFER}/{id}"), "mtnuganda")
        .respond_with(answer(200, "mtn_momo/status-successful.json"))
        .expect(1)
        .mount(&server)
        .await;

    let payout = client
        .find_payout(&reference("payout-000123"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(payout.id, id);
    assert_eq!(payout.status, Status::Succeeded);
    assert_eq!(payout.provider_reference.as_deref(), Some("363440463"));
    assert_eq!(payout.reference, Some(reference("payout-000123")));
    assert_eq!(payout.amount, Some(ugx("5000")));
    assert_eq!(
        payout.raw.to_value().unwrap(),
        fixture_json("mtn_momo/status-successful.json")
    );
}

#[tokio::test]
async fn a_refund_goes_out_as_the_fixture_and_a_409_resolves_to_it() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    let client = uganda(&server);
    let id = client.refund_reference_id(&reference("rf-1"));
    assert_ne!(id, client.payout_reference_id(&reference("rf-1")));
    product_call("POST", "/disbursement/v2_0/refund", "mtnuganda")
        .and(header("X-Reference-Id", id.as_str()))
        .and(body_json(fixture_json("mtn_momo/refund-request.json")))
        .respond_with(ResponseTemplate::new(202))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    product_call("POST", "/disbursement/v2_0/refund", "mtnuganda")
        .respond_with(answer(409, "mtn_momo/errors/resource_already_exist.json"))
        .expect(1)
        .mount(&server)
        .await;
    product_call(
        "GET",
        format!("/disbursement/v1_0/refund/{id}"),
        "mtnuganda",
    )
    .respond_with(answer(200, "mtn_momo/refund-status-successful.json"))
    .expect(1)
    .mount(&server)
    .await;
    let request = RefundRequest::new(
        reference("rf-1"),
        "5cecb5a7-8bd0-4f49-87b1-8eb9ecc7b7bc",
        ugx("100"),
        Destination::mobile(Msisdn::parse("+256772123456").unwrap()),
    )
    .with_reason("Refund");

    let refund = client.create_refund(&request).await.unwrap();
    assert_eq!(refund.id, id);
    assert_eq!(refund.status, Status::Pending);
    assert_eq!(
        refund.payment_reference.as_deref(),
        Some("5cecb5a7-8bd0-4f49-87b1-8eb9ecc7b7bc")
    );
    let again = client.create_refund(&request).await.unwrap();
    assert_eq!(again.id, id);
    assert_eq!(again.status, Status::Succeeded);

    let not_uuid = RefundRequest::new(
        reference("rf-2"),
        "order-1",
        ugx("100"),
        request.destination.clone(),
    );
    assert!(matches!(
        client.create_refund(&not_uuid).await,
        Err(Error::InvalidRequest {
            field: "payment_reference",
            ..
        })
    ));
}

#[tokio::test]
async fn balance_and_recipient_validation() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    let client = MtnMomoClient::new(config(&server, TargetEnvironment::Sandbox)).unwrap();
    product_call("GET", "/disbursement/v1_0/account/balance", "sandbox")
        .respond_with(answer(200, "mtn_momo/balance.json"))
        .expect(1)
        .mount(&server)
        .await;
    product_call("GET", "/disbursement/v1_0/account/balance/UGX", "sandbox")
        .respond_with(answer(200, "mtn_momo/balance-number.json"))
        .expect(1)
        .mount(&server)
        .await;
    let holder = "/disbursement/v1_0/accountholder/msisdn";
    product_call("GET", format!("{holder}/46733123459/active"), "sandbox")
        .respond_with(answer(200, "mtn_momo/accountholder-active.json"))
        .expect(1)
        .mount(&server)
        .await;
    product_call(
        "GET",
        format!("{holder}/46733123459/basicuserinfo"),
        "sandbox",
    )
    .respond_with(answer(200, "mtn_momo/basicuserinfo.json"))
    .expect(1)
    .mount(&server)
    .await;
    product_call("GET", format!("{holder}/46733123451/active"), "sandbox")
        .respond_with(answer(200, "mtn_momo/accountholder-inactive.json"))
        .expect(1)
        .mount(&server)
        .await;
    product_call("GET", format!("{holder}/46733123450/active"), "sandbox")
        .respond_with(answer(404, "mtn_momo/errors/resource_not_found.json"))
        .expect(1)
        .mount(&server)
        .await;

    assert_eq!(
        client.balance().await.unwrap().payout,
        Money::parse("1000", Currency::EUR).unwrap()
    );
    assert_eq!(
        client.balance_in(Currency::UGX).await.unwrap().payout,
        ugx("250000")
    );
    let wallet = |n: &str| Destination::mobile(Msisdn::parse(n).unwrap());
    let active = client
        .validate_recipient(&wallet("+46733123459"))
        .await
        .unwrap();
    assert!(active.valid);
    assert_eq!(active.name.as_deref(), Some("Sand Box"));
    assert!(
        !client
            .validate_recipient(&wallet("+46733123451"))
            .await
            .unwrap()
            .valid
    );
    assert!(
        !client
            .validate_recipient(&wallet("+46733123450"))
            .await
            .unwrap()
            .valid
    );
}

// ---------------------------------------------------------------------------------------------
// Routing
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_request_built_for_another_provider_in_a_supported_currency_routes_to_mtn_unchanged() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_token(&server, "mtn_momo/token.json", 1).await;
    // As tests/vesicash.rs builds a Zambian mobile payout: Vesicash's sandbox number, ZMW.
    let request = PayoutRequest::new(
        reference("VES-ZM-0001"),
        Money::parse("150.50", Currency::ZMW).unwrap(),
        Destination::mobile(Msisdn::parse("260999993000").unwrap()),
    )
    .with_narration("Payout for order 1001");
    let zambia = MtnMomoClient::new(config(&server, TargetEnvironment::Zambia)).unwrap();
    let id = zambia.payout_reference_id(&request.reference);
    product_call("POST", TRANSFER, "mtnzambia")
        .and(header("X-Reference-Id", id.as_str()))
        .and(body_json(json!({
            "amount": "150.50",
            "currency": "ZMW",
            "externalId": "VES-ZM-0001",
            "payee": {"partyIdType": "MSISDN", "partyId": "260999993000"},
            "payerMessage": "Payout for order 1001",
            "payeeNote": "Payout for order 1001",
        })))
        .respond_with(ResponseTemplate::new(202))
        .expect(1)
        .mount(&server)
        .await;
    let uganda = uganda(&server);
    let providers: Vec<Arc<dyn PayoutProvider>> = vec![Arc::new(uganda), Arc::new(zambia)];

    let chosen = providers
        .iter()
        .find(|p| {
            p.capabilities()
                .supports(&request.destination, request.amount.currency())
        })
        .expect("MTN Zambia pays it");
    let payout = chosen.create_payout(&request).await.unwrap();
    assert_eq!(payout.id, id);
    assert_eq!(payout.amount, Some(request.amount));
}

/// Issues `access-1`, `access-2`, … in order, one per token request.
struct NumberedTokens(std::sync::atomic::AtomicUsize);

impl Respond for NumberedTokens {
    fn respond(&self, _request: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": format!("access-{n}"),
            "token_type": "access_token",
            "expires_in": 3600
        }))
    }
}

/// Answers the balance like MTN expiring tokens on its side: `access-1` is already expired,
/// `access-2` works once and then expires too, `access-3` works.
struct ExpiringBalance(std::sync::atomic::AtomicUsize);

impl Respond for ExpiringBalance {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let expired = ResponseTemplate::new(401).set_body_json(json!({
            "statusCode": 401, "message": "Access token expired"
        }));
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        match auth {
            "Bearer access-1" => expired,
            "Bearer access-2" if self.0.fetch_add(1, Ordering::SeqCst) == 0 => {
                answer(200, "mtn_momo/balance-number.json")
            }
            "Bearer access-2" => expired,
            "Bearer access-3" => answer(200, "mtn_momo/balance-number.json"),
            _ => ResponseTemplate::new(418),
        }
    }
}

#[tokio::test]
async fn tokens_expired_twice_one_second_apart_are_renewed_once_per_call() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(NumberedTokens(Default::default()))
        .named("tokens")
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/disbursement/v1_0/account/balance"))
        .respond_with(ExpiringBalance(Default::default()))
        .named("balance")
        .expect(4)
        .mount(&server)
        .await;
    let clock = TestClock::default();
    clock.0.store(1_000_000, Ordering::SeqCst);
    let client = MtnMomoClient::new(
        config(&server, TargetEnvironment::Uganda).with_clock(Arc::new(clock.clone())),
    )
    .unwrap();

    // MTN expired the first token: one renewal, then the balance.
    assert_eq!(client.balance().await.unwrap().payout, ugx("250000"));
    assert_eq!(received(&server, "POST", TOKEN).await.len(), 2);
    // One second later MTN expires the renewed token too: renewed again, not reused.
    clock.0.store(1_000_001, Ordering::SeqCst);
    assert_eq!(client.balance().await.unwrap().payout, ugx("250000"));
    assert_eq!(received(&server, "POST", TOKEN).await.len(), 3);

    let auths: Vec<String> = received(&server, "GET", "/disbursement/v1_0/account/balance")
        .await
        .iter()
        .map(|r| r.headers["authorization"].to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        auths,
        [
            "Bearer access-1",
            "Bearer access-2",
            "Bearer access-2",
            "Bearer access-3"
        ]
    );
}
