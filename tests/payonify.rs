//! The Payonify adapter against a mock Payonify: every acceptance item of issue 5.

mod common;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate};
use futures_util::TryStreamExt as _;
use reqwest::header::{HeaderMap, HeaderValue};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::Value;
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use disburse::http::{HttpConfig, RetryPolicy};
use disburse::providers::payonify::{
    ListParams, Mode, PayonifyClient, PayonifyConfig, REFERENCE_METADATA_KEY, StatusFilter,
};
use disburse::webhook::{FixedClock, SignatureEncoding, sign};
use disburse::{
    Ambiguity, AuthFailure, Currency, Destination, Error, FailureReason, Money, MoneyError, Msisdn,
    PayoutProvider, PayoutRequest, ProviderId, Reference, RefundRequest, RefundSupport, RejectCode,
    Status, WebhookAuth, WebhookError, WebhookRequest,
};

use common::{catch_all, fixture, fixture_json};

const PUBLISHABLE: &str = "pk_test_51Hq8ZvKx2pLmN4rT";
const SECRET: &str = "sk_test_51Hq8ZvKx9sWqB7yU";
/// `Basic base64("pk_test_51Hq8ZvKx2pLmN4rT:sk_test_51Hq8ZvKx9sWqB7yU")`.
const BASIC: &str = "Basic cGtfdGVzdF81MUhxOFp2S3gycExtTjRyVDpza190ZXN0XzUxSHE4WnZLeDlzV3FCN3lV";
const WEBHOOK_SECRET: &str = "whsec_test_KeDo8bT3p1u9vYxJ";
/// The `t` of the webhook fixtures: 2024-06-03 09:01:00 UTC.
const WEBHOOK_T: i64 = 1_717_405_260;
const REFERENCE: &str = "po-2024-0001";

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().with_backoff(Duration::from_millis(10), Duration::from_millis(20))
}

fn config(server: &MockServer) -> PayonifyConfig {
    PayonifyConfig::new(
        SecretString::from(PUBLISHABLE),
        SecretString::from(SECRET),
        SecretString::from(WEBHOOK_SECRET),
    )
    .with_base_url(server.uri())
    .with_http(
        HttpConfig::default()
            .with_timeout(Duration::from_secs(10))
            .with_retry(fast_retries()),
    )
    .with_clock(Arc::new(FixedClock(WEBHOOK_T)))
}

fn client_with(config: PayonifyConfig) -> PayonifyClient {
    PayonifyClient::new(config).expect("valid test config")
}

/// A mock server with the catch-all mounted, and a client pointed at it.
async fn setup() -> (MockServer, PayonifyClient) {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client_with(config(&server));
    (server, client)
}

/// Like [`setup`], without retries, for error mapping.
async fn setup_no_retry() -> (MockServer, PayonifyClient) {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client_with(
        config(&server).with_http(HttpConfig::default().with_retry(RetryPolicy::none())),
    );
    (server, client)
}

fn reference(text: &str) -> Reference {
    Reference::new(text).expect("valid reference")
}

fn usd(text: &str) -> Money {
    Money::parse(text, Currency::USD).expect("valid amount")
}

fn econet() -> Destination {
    Destination::mobile(Msisdn::parse("+263771111111").expect("valid number"))
}

/// The request of `fixtures/payonify/create_request.json`.
fn fixture_request() -> PayoutRequest {
    PayoutRequest::new(reference(REFERENCE), usd("1.00"), econet())
        .with_narration("March stipend")
        .with_metadata("order_id", "A-1001")
}

fn json_response(status: u16, fixture_path: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("content-type", "application/json")
        .set_body_string(fixture(fixture_path))
}

async fn posts_to_payouts(server: &MockServer) -> Vec<Request> {
    server
        .received_requests()
        .await
        .expect("request recording is on")
        .into_iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/v1/payouts")
        .collect()
}

fn header_text<'a>(request: &'a Request, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Create
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn create_sends_the_fixture_body_basic_auth_and_idempotency_key() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts"))
        .and(header("authorization", BASIC))
        .and(header("idempotency-key", REFERENCE))
        .and(header("content-type", "application/json"))
        .and(body_json(fixture_json("payonify/create_request.json")))
        .respond_with(json_response(200, "payonify/payout_created.json"))
        .expect(1)
        .mount(&server)
        .await;

    let payout = client
        .create_payout(&fixture_request())
        .await
        .expect("created");

    assert_eq!(payout.provider, ProviderId::PAYONIFY);
    assert_eq!(payout.id, "po_1PNa7qGx2bV5mKd9Lw3Hs8Ty");
    assert_eq!(payout.status, Status::Pending);
    assert_eq!(payout.reference, Some(reference(REFERENCE)));
    assert_eq!(payout.amount, Some(usd("1.00")));
    assert_eq!(
        payout.created_at,
        DateTime::from_timestamp(1_717_401_600, 0)
    );
    assert_eq!(payout.raw, fixture_json("payonify/payout_created.json"));
    // Kept byte for byte, not re-serialized.
    assert_eq!(
        payout.raw.as_str(),
        Some(fixture("payonify/payout_created.json").as_str())
    );
    // 1.00 USD went out as the integer 100, byte for byte.
    let sent = posts_to_payouts(&server).await;
    let body = String::from_utf8(sent[0].body.clone()).expect("utf-8");
    assert!(
        body.starts_with(r#"{"amount":100,"currency":"usd","#),
        "{body}"
    );
}

#[tokio::test]
async fn zwg_is_sent_in_lower_case_minor_units() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts"))
        .and(header("idempotency-key", "zwg-1"))
        .and(body_json(serde_json::json!({
            "amount": 250000,
            "currency": "zwg",
            "destination": {"mobile_money": {"ecocash": {"mobile_number": "781234567"}}},
            "metadata": {REFERENCE_METADATA_KEY: "zwg-1"}
        })))
        .respond_with(json_response(200, "payonify/payout_created.json"))
        .expect(1)
        .mount(&server)
        .await;
    let request = PayoutRequest::new(
        reference("zwg-1"),
        Money::parse("2500", Currency::ZWG).expect("amount"),
        Destination::mobile(Msisdn::parse("+263781234567").expect("number")),
    );
    client.create_payout(&request).await.expect("created");
}

#[tokio::test]
async fn amounts_below_one_or_with_a_third_decimal_or_in_other_currencies_are_refused_before_sending()
 {
    let (_server, client) = setup().await;

    let below = PayoutRequest::new(reference("r-1"), usd("0.99"), econet());
    let err = client.create_payout(&below).await.expect_err("refused");
    assert!(
        matches!(&err, Error::InvalidRequest { field: "amount", reason, .. }
            if reason == "must be at least 1.00 USD (100 minor units), got 0.99 USD"),
        "{err:?}"
    );
    assert!(!err.may_have_been_sent());

    // A third decimal cannot even be expressed in USD: Money refuses it.
    assert_eq!(
        Money::parse("12.345", Currency::USD),
        Err(MoneyError::TooManyDecimals {
            currency: Currency::USD,
            allowed: 2,
            actual: 3,
        })
    );
    // Nor can EUR: the crate has no such currency.
    assert_eq!(
        "EUR".parse::<Currency>(),
        Err(MoneyError::UnknownCurrency("EUR".into()))
    );
    // A currency the crate knows but Payonify does not pay out in.
    let zar = PayoutRequest::new(
        reference("r-2"),
        Money::parse("10.00", Currency::ZAR).expect("amount"),
        econet(),
    );
    let err = client.create_payout(&zar).await.expect_err("refused");
    assert!(
        matches!(&err, Error::InvalidRequest { field: "currency", reason, .. }
            if reason == "Payonify pays out in USD or ZWG only, got ZAR"),
        "{err:?}"
    );
    // The smallest allowed amount is accepted by the validator (sent in the fixture test).
    assert_eq!(usd("1.00").to_minor_units(), Ok(100));
    assert_eq!(usd("0.99").amount(), Decimal::new(99, 2));
}

#[tokio::test]
async fn netone_and_telecel_numbers_are_refused_before_sending() {
    let (_server, client) = setup().await;
    let netone = Msisdn::parse("+263712345678").expect("valid number");
    let request = PayoutRequest::new(reference("r-3"), usd("5.00"), Destination::mobile(netone));
    let err = client.create_payout(&request).await.expect_err("refused");
    assert!(
        matches!(&err, Error::InvalidRequest { field: "destination", reason, .. }
            if reason == "Payonify pays EcoCash wallets only, and EcoCash reaches Econet numbers \
                          (077, 078, 079); this number is on NetOne"),
        "{err:?}"
    );

    let telecel = Msisdn::parse("+263731234567").expect("valid number");
    let request = PayoutRequest::new(reference("r-4"), usd("5.00"), Destination::mobile(telecel));
    let err = client.create_payout(&request).await.expect_err("refused");
    assert!(
        matches!(&err, Error::InvalidRequest { field: "destination", reason, .. }
            if reason.starts_with("Payonify pays EcoCash wallets only, and EcoCash reaches Econet numbers (077, 078, 079); ")),
        "{err:?}"
    );

    // Recipient validation refuses the same numbers without a request.
    let netone = Msisdn::parse("+263712345678").expect("valid number");
    let err = client
        .validate_recipient(&Destination::mobile(netone))
        .await
        .expect_err("refused");
    assert!(matches!(
        err,
        Error::InvalidRequest {
            field: "destination",
            ..
        }
    ));
}

#[tokio::test]
async fn four_caller_metadata_keys_are_sent_and_a_fifth_is_refused() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts"))
        .and(body_json(serde_json::json!({
            "amount": 100,
            "currency": "usd",
            "destination": {"mobile_money": {"ecocash": {"mobile_number": "771111111"}}},
            "metadata": {"a": "1", "b": "2", "c": "3", "d": "4", "disburse_reference": "meta-1"}
        })))
        .respond_with(json_response(200, "payonify/payout_created.json"))
        .expect(1)
        .mount(&server)
        .await;
    let four = PayoutRequest::new(reference("meta-1"), usd("1.00"), econet())
        .with_metadata("a", "1")
        .with_metadata("b", "2")
        .with_metadata("c", "3")
        .with_metadata("d", "4");
    client.create_payout(&four).await.expect("sent");

    // The sixth key in all: four of the caller's plus the reference are five already.
    let five = four.clone().with_metadata("e", "5");
    let err = client.create_payout(&five).await.expect_err("refused");
    assert!(
        matches!(&err, Error::InvalidRequest { field: "metadata", reason, .. }
            if reason == "Payonify allows 5 keys and one (disburse_reference) holds the merchant \
                          reference: at most 4 of your own, got 5"),
        "{err:?}"
    );
    let reserved = PayoutRequest::new(reference("meta-2"), usd("1.00"), econet())
        .with_metadata(REFERENCE_METADATA_KEY, "spoof");
    let err = client.create_payout(&reserved).await.expect_err("refused");
    assert!(matches!(
        err,
        Error::InvalidRequest {
            field: "metadata",
            ..
        }
    ));
}

// ---------------------------------------------------------------------------------------------
// Re-sending a create
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_create_that_gets_503_then_200_is_sent_twice_byte_identical() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts"))
        .respond_with(ResponseTemplate::new(503).set_body_string("upstream unavailable"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts"))
        .and(header("idempotency-key", REFERENCE))
        .and(body_json(fixture_json("payonify/create_request.json")))
        .respond_with(json_response(200, "payonify/payout_created.json"))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;

    let payout = client
        .create_payout(&fixture_request())
        .await
        .expect("created");
    assert_eq!(payout.id, "po_1PNa7qGx2bV5mKd9Lw3Hs8Ty");

    let sent = posts_to_payouts(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body, sent[1].body);
    assert_eq!(header_text(&sent[0], "idempotency-key"), REFERENCE);
    assert_eq!(header_text(&sent[1], "idempotency-key"), REFERENCE);
    assert_eq!(header_text(&sent[0], "authorization"), BASIC);
    assert_eq!(header_text(&sent[1], "authorization"), BASIC);
}

#[tokio::test]
async fn a_create_that_times_out_is_resent_with_the_same_key() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client_with(
        config(&server).with_http(
            HttpConfig::default()
                .with_timeout(Duration::from_secs(3))
                .with_retry(fast_retries()),
        ),
    );
    Mock::given(method("POST"))
        .and(path("/v1/payouts"))
        .respond_with(
            json_response(200, "payonify/payout_created.json").set_delay(Duration::from_secs(30)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts"))
        .and(header("idempotency-key", REFERENCE))
        .and(body_json(fixture_json("payonify/create_request.json")))
        .respond_with(json_response(200, "payonify/payout_created.json"))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;

    let payout = client
        .create_payout(&fixture_request())
        .await
        .expect("created on the second attempt");
    assert_eq!(payout.status, Status::Pending);

    let sent = posts_to_payouts(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(sent[0].body, sent[1].body);
    assert_eq!(header_text(&sent[0], "idempotency-key"), REFERENCE);
    assert_eq!(header_text(&sent[1], "idempotency-key"), REFERENCE);
}

#[tokio::test]
async fn a_create_whose_every_attempt_fails_is_outcome_unknown_with_the_reference() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts"))
        .respond_with(json_response(500, "payonify/errors/api_error.json"))
        .expect(3)
        .mount(&server)
        .await;

    let err = client
        .create_payout(&fixture_request())
        .await
        .expect_err("unknown");
    assert!(
        matches!(&err, Error::OutcomeUnknown { provider, operation: "create_payout", reference: Some(r), cause: Ambiguity::ServerError { status: 500 }, .. }
            if *provider == ProviderId::PAYONIFY && r.as_str() == REFERENCE),
        "{err:?}"
    );
    let sent = posts_to_payouts(&server).await;
    assert!(sent.windows(2).all(|w| w[0].body == w[1].body));
}

// ---------------------------------------------------------------------------------------------
// Retrieve, validate, refunds, capabilities
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn retrieve_maps_paid_and_failed_payouts() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/payouts/po_paid"))
        .and(header("authorization", BASIC))
        .respond_with(json_response(200, "payonify/payout_paid.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payouts/po_failed"))
        .respond_with(json_response(200, "payonify/payout_failed.json"))
        .expect(1)
        .mount(&server)
        .await;

    let paid = client.get_payout("po_paid").await.expect("paid");
    assert_eq!(paid.status, Status::Succeeded);
    let raw = paid.raw.to_value().expect("the answer's JSON");
    assert_eq!(raw["livemode"], Value::Bool(false));
    assert_eq!(
        raw["destination_details"]["mobile_money"]["mobile_number"],
        "771111111"
    );

    let failed = client.get_payout("po_failed").await.expect("failed");
    assert_eq!(
        failed.status,
        Status::Failed {
            reason: FailureReason::InsufficientFunds,
            detail: Some("The merchant balance is too low for this payout.".into()),
        }
    );

    let err = client.get_payout("../balance").await.expect_err("refused");
    assert!(matches!(err, Error::InvalidRequest { field: "id", .. }));
}

#[tokio::test]
async fn validate_recipient_reports_valid_with_name_and_invalid() {
    let (server, client) = setup().await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts/validate"))
        .and(header("authorization", BASIC))
        .and(body_json(fixture_json("payonify/validate_request.json")))
        .respond_with(json_response(200, "payonify/validate_valid.json"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts/validate"))
        .and(body_json(fixture_json("payonify/validate_request.json")))
        .respond_with(json_response(200, "payonify/validate_invalid.json"))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;

    let valid = client.validate_recipient(&econet()).await.expect("checked");
    assert!(valid.valid);
    assert_eq!(valid.name.as_deref(), Some("Tendai Moyo"));
    assert_eq!(valid.account_status.as_deref(), Some("active"));
    assert_eq!(valid.raw, fixture_json("payonify/validate_valid.json"));

    let invalid = client.validate_recipient(&econet()).await.expect("checked");
    assert!(!invalid.valid);
    assert_eq!(invalid.name, None);
    assert_eq!(invalid.account_status, None);
}

#[tokio::test]
async fn refunds_are_unsupported_and_capabilities_say_what_payonify_does() {
    let (_server, client) = setup().await;
    let provider: Arc<dyn PayoutProvider> = Arc::new(client.clone());
    let refund = RefundRequest::new(reference("rf-1"), "ch_123", usd("1.00"), econet());
    let err = provider
        .create_refund(&refund)
        .await
        .expect_err("unsupported");
    assert!(
        matches!(&err, Error::Unsupported { provider, operation: "create_refund" } if *provider == ProviderId::PAYONIFY),
        "{err:?}"
    );

    let caps = provider.capabilities();
    assert_eq!(caps.refunds, RefundSupport::None);
    assert!(caps.recipient_validation);
    assert!(caps.listing);
    assert!(caps.idempotent_create);
    assert!(caps.mobile_money);
    assert!(!caps.bank_accounts);
    assert!(!caps.balance);
    assert_eq!(caps.currencies, vec![Currency::USD, Currency::ZWG]);
    assert_eq!(caps.countries, vec![disburse::Country::Zimbabwe]);
    assert_eq!(caps.webhook_auth, WebhookAuth::HmacTimestamped);
    assert!(caps.supports(&econet(), Currency::USD));
    assert!(!caps.supports(&econet(), Currency::KES));
    assert_eq!(client.mode(), Mode::Test);
}

// ---------------------------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------------------------

const CURSOR_1: &str = "Y3Vyc29yOnBvXzJQTmJM";

#[tokio::test]
async fn the_stream_over_a_two_page_list_yields_every_payout_once_in_order_with_two_requests() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/payouts"))
        .and(header("authorization", BASIC))
        .and(query_param("limit", "2"))
        .and(query_param_is_missing("after"))
        .respond_with(json_response(200, "payonify/list_page_1.json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payouts"))
        .and(query_param("limit", "2"))
        .and(query_param("after", CURSOR_1))
        .respond_with(json_response(200, "payonify/list_page_2.json"))
        .expect(1)
        .mount(&server)
        .await;

    let payouts: Vec<_> = client
        .list_stream(ListParams::new().limit(2))
        .try_collect()
        .await
        .expect("every page");
    let ids: Vec<&str> = payouts.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "po_3PNcQ1Gx2bV5mKd9Zr7Aa1Bc",
            "po_2PNbL4Gx2bV5mKd9Qe5Xy2Zw",
            "po_1PNa7qGx2bV5mKd9Lw3Hs8Ty"
        ]
    );
    assert_eq!(
        payouts[0].amount,
        Some(Money::parse("2500.00", Currency::ZWG).expect("amount"))
    );
    assert_eq!(
        payouts[1].status,
        Status::Failed {
            reason: FailureReason::InvalidRecipient,
            detail: Some("The EcoCash account does not exist.".into()),
        }
    );
    assert_eq!(payouts[2].status, Status::Succeeded);
    assert_eq!(server.received_requests().await.map(|r| r.len()), Some(2));
}

#[tokio::test]
async fn list_payouts_sends_the_filters_and_returns_one_page() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/payouts"))
        .and(query_param("limit", "2"))
        .and(query_param("status", "failed"))
        .and(query_param("currency", "usd"))
        .and(query_param("start_date", "2024-06-01"))
        .and(query_param("end_date", "2024-06-30"))
        .and(query_param_is_missing("after"))
        .respond_with(json_response(200, "payonify/list_page_1.json"))
        .expect(1)
        .mount(&server)
        .await;

    let params = ListParams::new()
        .limit(2)
        .status(StatusFilter::Failed)
        .currency(Currency::USD)
        .start_date(NaiveDate::from_ymd_opt(2024, 6, 1).expect("date"))
        .end_date(NaiveDate::from_ymd_opt(2024, 6, 30).expect("date"));
    let page = client.list_payouts(&params).await.expect("page");
    assert_eq!(page.data.len(), 2);
    assert!(page.has_next_page);
    assert_eq!(page.end_cursor.as_deref(), Some(CURSOR_1));

    for limit in [0, 101] {
        let err = client
            .list_payouts(&ListParams::new().limit(limit))
            .await
            .expect_err("refused");
        assert!(
            matches!(&err, Error::InvalidRequest { field: "limit", reason, .. }
                if *reason == format!("must be between 1 and 100, got {limit}")),
            "{err:?}"
        );
    }
}

#[tokio::test]
async fn a_page_that_claims_more_without_a_new_cursor_ends_the_stream_with_an_error() {
    let (server, client) = setup().await;
    let mut page = fixture_json("payonify/list_page_1.json");
    page["paging"]["end_cursor"] = Value::Null;
    Mock::given(method("GET"))
        .and(path("/v1/payouts"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .expect(1)
        .mount(&server)
        .await;
    let result: Result<Vec<_>, _> = client.list_stream(ListParams::new()).try_collect().await;
    assert!(
        matches!(&result, Err(Error::Decode { status: 200, .. })),
        "{result:?}"
    );
}

/// 2024-06-04 12:00:00 UTC: with the 30-day window the scan starts on 2024-05-05.
const FIND_NOW: i64 = 1_717_502_400;

async fn find_setup() -> (MockServer, PayonifyClient) {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client_with(config(&server).with_clock(Arc::new(FixedClock(FIND_NOW))));
    (server, client)
}

async fn mount_find_page_1(server: &MockServer, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v1/payouts"))
        .and(query_param("limit", "100"))
        .and(query_param("start_date", "2024-05-05"))
        .and(query_param_is_missing("after"))
        .respond_with(json_response(200, "payonify/list_page_1.json"))
        .expect(times)
        .mount(server)
        .await;
}

async fn mount_find_page_2(server: &MockServer, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v1/payouts"))
        .and(query_param("limit", "100"))
        .and(query_param("start_date", "2024-05-05"))
        .and(query_param("after", CURSOR_1))
        .respond_with(json_response(200, "payonify/list_page_2.json"))
        .expect(times)
        .mount(server)
        .await;
}

#[tokio::test]
async fn find_payout_follows_pages_within_the_window_until_the_reference_matches() {
    let (server, client) = find_setup().await;
    mount_find_page_1(&server, 1).await;
    mount_find_page_2(&server, 1).await;
    let found = client
        .find_payout(&reference(REFERENCE))
        .await
        .expect("searched");
    let found = found.expect("found on page 2");
    assert_eq!(found.id, "po_1PNa7qGx2bV5mKd9Lw3Hs8Ty");
    assert_eq!(found.reference, Some(reference(REFERENCE)));
}

#[tokio::test]
async fn find_payout_stops_at_the_first_match() {
    let (server, client) = find_setup().await;
    mount_find_page_1(&server, 1).await;
    mount_find_page_2(&server, 0).await;
    let found = client
        .find_payout(&reference("po-2024-0003"))
        .await
        .expect("searched");
    assert_eq!(
        found.map(|p| p.id),
        Some("po_3PNcQ1Gx2bV5mKd9Zr7Aa1Bc".to_owned())
    );
}

#[tokio::test]
async fn find_payout_is_none_after_the_last_page() {
    let (server, client) = find_setup().await;
    mount_find_page_1(&server, 1).await;
    mount_find_page_2(&server, 1).await;
    let found = client
        .find_payout(&reference("po-never-sent"))
        .await
        .expect("searched");
    assert_eq!(found, None);
}

#[tokio::test]
async fn find_payout_window_is_configurable() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client_with(
        config(&server)
            .with_clock(Arc::new(FixedClock(FIND_NOW)))
            .with_find_window_days(7),
    );
    Mock::given(method("GET"))
        .and(path("/v1/payouts"))
        .and(query_param("limit", "100"))
        .and(query_param("start_date", "2024-05-28"))
        .respond_with(json_response(200, "payonify/list_page_2.json"))
        .expect(1)
        .mount(&server)
        .await;
    let found = client
        .find_payout(&reference(REFERENCE))
        .await
        .expect("searched");
    assert!(found.is_some());
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

async fn mount_get_error(server: &MockServer, id: &str, status: u16, fixture_path: &str) {
    Mock::given(method("GET"))
        .and(path(format!("/v1/payouts/{id}")))
        .respond_with(json_response(status, fixture_path))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn authentication_error_maps_to_auth_invalid_credentials() {
    let (server, client) = setup_no_retry().await;
    mount_get_error(
        &server,
        "po_a",
        401,
        "payonify/errors/authentication_error.json",
    )
    .await;
    let err = client.get_payout("po_a").await.expect_err("error");
    assert!(
        matches!(&err, Error::Auth { provider, status: Some(401), kind: AuthFailure::InvalidCredentials, message }
            if *provider == ProviderId::PAYONIFY && message == "Invalid API key provided."),
        "{err:?}"
    );
}

#[tokio::test]
async fn rate_limit_error_maps_to_rate_limited_with_retry_after() {
    let (server, client) = setup_no_retry().await;
    Mock::given(method("GET"))
        .and(path("/v1/payouts/po_r"))
        .respond_with(
            json_response(429, "payonify/errors/rate_limit_error.json")
                .insert_header("retry-after", "7"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client.get_payout("po_r").await.expect_err("error");
    assert!(
        matches!(&err, Error::RateLimited { retry_after: Some(wait), message, .. }
            if *wait == Duration::from_secs(7) && message == "Too many requests. Please retry later."),
        "{err:?}"
    );
}

#[tokio::test]
async fn idempotency_error_in_the_wrapped_form_maps_to_an_idempotency_conflict() {
    let (server, client) = setup_no_retry().await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts"))
        .respond_with(json_response(400, "payonify/errors/idempotency_error.json"))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_payout(&fixture_request())
        .await
        .expect_err("error");
    assert!(
        matches!(&err, Error::Rejected { status: 400, code: RejectCode::IdempotencyConflict, provider_code: Some(c), message, param: None, .. }
            if c == "idempotency_key_in_use"
                && message == "Keys for idempotent requests can only be used with the same parameters they were first used with."),
        "{err:?}"
    );
}

#[tokio::test]
async fn invalid_request_error_maps_to_rejected_with_the_param() {
    let (server, client) = setup_no_retry().await;
    Mock::given(method("POST"))
        .and(path("/v1/payouts"))
        .respond_with(json_response(
            400,
            "payonify/errors/invalid_request_error.json",
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client
        .create_payout(&fixture_request())
        .await
        .expect_err("error");
    assert!(
        matches!(&err, Error::Rejected { status: 400, code: RejectCode::InvalidAmount, provider_code: Some(c), message, param: Some(p), .. }
            if c == "parameter_invalid" && message == "Invalid amount: must be at least 100." && p == "amount"),
        "{err:?}"
    );
}

#[tokio::test]
async fn resource_missing_on_retrieve_maps_to_not_found() {
    let (server, client) = setup_no_retry().await;
    mount_get_error(
        &server,
        "po_missing",
        404,
        "payonify/errors/resource_missing.json",
    )
    .await;
    let err = client.get_payout("po_missing").await.expect_err("error");
    assert!(
        matches!(&err, Error::Rejected { status: 404, code: RejectCode::NotFound, provider_code: Some(c), param: Some(p), .. }
            if c == "resource_missing" && p == "id"),
        "{err:?}"
    );
}

#[tokio::test]
async fn api_error_maps_to_server_error() {
    let (server, client) = setup_no_retry().await;
    mount_get_error(&server, "po_e", 500, "payonify/errors/api_error.json").await;
    let err = client.get_payout("po_e").await.expect_err("error");
    assert!(
        matches!(&err, Error::ServerError { status: 500, message, .. }
            if message == "An unexpected error occurred on Payonify's servers."),
        "{err:?}"
    );
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_non_json_500_on_a_read_is_retried_then_maps_to_server_error() {
    let (server, client) = setup().await;
    Mock::given(method("GET"))
        .and(path("/v1/payouts/po_html"))
        .respond_with(
            ResponseTemplate::new(500)
                .insert_header("content-type", "text/html")
                .set_body_string("<html><body>Internal Server Error</body></html>"),
        )
        .expect(3)
        .mount(&server)
        .await;
    let err = client.get_payout("po_html").await.expect_err("error");
    assert!(
        matches!(&err, Error::ServerError { provider, status: 500, message }
            if *provider == ProviderId::PAYONIFY
                && message == "<html><body>Internal Server Error</body></html>"),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------

const HOOK_URL: &str = "https://merchant.example/payonify/webhooks";

fn signature_headers(value: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(
        "payonify-signature",
        HeaderValue::from_str(value).expect("header text"),
    );
    headers
}

fn parse(
    client: &PayonifyClient,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<disburse::WebhookEvent, Error> {
    client.parse_webhook(&WebhookRequest::post(HOOK_URL, headers, body))
}

fn signed_header(secret: &str, t: i64, body: &[u8]) -> String {
    let mut message = format!("{t}.").into_bytes();
    message.extend_from_slice(body);
    format!(
        "t={t},v1={}",
        sign(secret.as_bytes(), &message, SignatureEncoding::Hex)
    )
}

fn webhook_error(result: Result<disburse::WebhookEvent, Error>) -> WebhookError {
    match result {
        Err(Error::Webhook(e)) => e,
        other => panic!("expected a webhook error, got {other:?}"),
    }
}

#[tokio::test]
async fn the_webhook_fixtures_verify_at_their_timestamp() {
    let (_server, client) = setup().await;

    let body = fixture("payonify/webhooks/payout_succeeded.json");
    let headers = signature_headers(&fixture("payonify/webhooks/payout_succeeded.signature"));
    let event = parse(&client, &headers, body.as_bytes()).expect("verified");
    assert_eq!(event.provider, ProviderId::PAYONIFY);
    assert_eq!(
        event.event_id.as_deref(),
        Some("evt_1PNaB2Gx2bV5mKd9Hc4Rt6Uv")
    );
    assert_eq!(event.object, disburse::EventObject::Payout);
    assert_eq!(event.status, Status::Succeeded);
    assert_eq!(
        event.provider_reference.as_deref(),
        Some("po_1PNa7qGx2bV5mKd9Lw3Hs8Ty")
    );
    assert_eq!(event.reference.as_deref(), Some(REFERENCE));
    assert_eq!(event.amount, Some(usd("1.00")));
    assert_eq!(
        event.raw,
        fixture_json("payonify/webhooks/payout_succeeded.json")
    );

    let body = fixture("payonify/webhooks/payout_failed.json");
    let headers = signature_headers(&fixture("payonify/webhooks/payout_failed.signature"));
    let event = parse(&client, &headers, body.as_bytes()).expect("verified");
    assert_eq!(
        event.event_id.as_deref(),
        Some("evt_1PNaC7Gx2bV5mKd9Jm8Wq2Ex")
    );
    assert_eq!(
        event.status,
        Status::Failed {
            reason: FailureReason::InsufficientFunds,
            detail: Some("The merchant balance is too low for this payout.".into()),
        }
    );
    assert_eq!(event.reference.as_deref(), Some(REFERENCE));
}

#[tokio::test]
async fn a_webhook_301_seconds_either_way_is_rejected_and_300_accepted() {
    let (_server, client) = setup().await;
    let body = fixture("payonify/webhooks/payout_succeeded.json");
    for (skew, expected) in [
        (
            -301,
            Err(WebhookError::TimestampOutOfWindow {
                skew_secs: -301,
                tolerance_secs: 300,
            }),
        ),
        (
            301,
            Err(WebhookError::TimestampOutOfWindow {
                skew_secs: 301,
                tolerance_secs: 300,
            }),
        ),
        (-300, Ok(())),
        (300, Ok(())),
    ] {
        let headers = signature_headers(&signed_header(
            WEBHOOK_SECRET,
            WEBHOOK_T + skew,
            body.as_bytes(),
        ));
        let result = parse(&client, &headers, body.as_bytes());
        match expected {
            Ok(()) => assert!(result.is_ok(), "{skew}: {result:?}"),
            Err(e) => assert_eq!(webhook_error(result), e, "{skew}"),
        }
    }
}

#[tokio::test]
async fn a_tampered_webhook_body_is_rejected() {
    let (_server, client) = setup().await;
    let body = fixture("payonify/webhooks/payout_succeeded.json").replace("\"paid\"", "\"failed\"");
    let headers = signature_headers(&fixture("payonify/webhooks/payout_succeeded.signature"));
    assert_eq!(
        webhook_error(parse(&client, &headers, body.as_bytes())),
        WebhookError::SignatureMismatch
    );
    // One byte more (a trailing newline) is tampering too.
    let body = format!("{}\n", fixture("payonify/webhooks/payout_succeeded.json"));
    assert_eq!(
        webhook_error(parse(&client, &headers, body.as_bytes())),
        WebhookError::SignatureMismatch
    );
}

#[tokio::test]
async fn a_webhook_signed_with_another_secret_is_rejected() {
    let (_server, client) = setup().await;
    let body = fixture("payonify/webhooks/payout_succeeded.json");
    let headers = signature_headers(&signed_header(
        "whsec_someone_else",
        WEBHOOK_T,
        body.as_bytes(),
    ));
    assert_eq!(
        webhook_error(parse(&client, &headers, body.as_bytes())),
        WebhookError::SignatureMismatch
    );
}

#[tokio::test]
async fn a_webhook_with_only_an_unknown_scheme_is_rejected() {
    let (_server, client) = setup().await;
    let body = fixture("payonify/webhooks/payout_succeeded.json");
    let good = fixture("payonify/webhooks/payout_succeeded.signature");
    let v0 = good.replace("v1=", "v0=");
    assert_eq!(
        webhook_error(parse(&client, &signature_headers(&v0), body.as_bytes())),
        WebhookError::NoSupportedScheme
    );
}

#[tokio::test]
async fn a_webhook_with_an_empty_v1_is_rejected() {
    let (_server, client) = setup().await;
    let body = fixture("payonify/webhooks/payout_succeeded.json");
    let header = format!("t={WEBHOOK_T},v1=");
    assert_eq!(
        webhook_error(parse(&client, &signature_headers(&header), body.as_bytes())),
        WebhookError::EmptySignature
    );
}

#[tokio::test]
async fn malformed_missing_and_duplicate_signature_headers_are_rejected() {
    let (_server, client) = setup().await;
    let body = fixture("payonify/webhooks/payout_succeeded.json");
    let good = fixture("payonify/webhooks/payout_succeeded.signature");
    let v1 = good
        .split_once(",v1=")
        .map(|(_, sig)| sig.to_owned())
        .expect("fixture header");
    let cases = [
        (
            format!("v1={v1}"),
            WebhookError::MalformedHeader("no t= timestamp".into()),
        ),
        (format!("t=soon,v1={v1}"), WebhookError::InvalidTimestamp),
        (format!("t={WEBHOOK_T}"), WebhookError::NoSupportedScheme),
        (
            format!("t={WEBHOOK_T},t={WEBHOOK_T},v1={v1}"),
            WebhookError::MalformedHeader("more than one t= timestamp".into()),
        ),
        (
            "sha256=abc".to_owned(),
            WebhookError::MalformedHeader("no t= timestamp".into()),
        ),
        (
            "garbage".to_owned(),
            WebhookError::MalformedHeader("item \"garbage\" is not key=value".into()),
        ),
        (
            format!("t={WEBHOOK_T},v1=zz{}", &v1[2..]),
            WebhookError::BadEncoding("hex"),
        ),
    ];
    for (header, expected) in cases {
        assert_eq!(
            webhook_error(parse(&client, &signature_headers(&header), body.as_bytes())),
            expected,
            "{header}"
        );
    }

    let none = HeaderMap::new();
    assert_eq!(
        webhook_error(parse(&client, &none, body.as_bytes())),
        WebhookError::MissingSignature("header Payonify-Signature".into())
    );
    let mut twice = signature_headers(&good);
    twice.append(
        "payonify-signature",
        HeaderValue::from_str(&good).expect("header"),
    );
    assert_eq!(
        webhook_error(parse(&client, &twice, body.as_bytes())),
        WebhookError::DuplicateHeader("Payonify-Signature".into())
    );
}

#[tokio::test]
async fn with_two_v1_values_one_right_is_enough_and_a_previous_secret_still_verifies() {
    let (server, client) = setup().await;
    let body = fixture("payonify/webhooks/payout_succeeded.json");
    let good = fixture("payonify/webhooks/payout_succeeded.signature");
    let v1 = good
        .split_once(",v1=")
        .map(|(_, sig)| sig.to_owned())
        .expect("fixture header");
    let wrong = "0".repeat(64);
    for header in [
        format!("t={WEBHOOK_T},v1={wrong},v1={v1}"),
        format!("t={WEBHOOK_T},v1={v1},v1={wrong}"),
        format!("v0={wrong},t={WEBHOOK_T},v1={wrong},v1={v1}"),
    ] {
        let event = parse(&client, &signature_headers(&header), body.as_bytes());
        assert!(event.is_ok(), "{header}: {event:?}");
    }
    let both_wrong = format!("t={WEBHOOK_T},v1={wrong},v1={}", "1".repeat(64));
    assert_eq!(
        webhook_error(parse(
            &client,
            &signature_headers(&both_wrong),
            body.as_bytes()
        )),
        WebhookError::SignatureMismatch
    );

    // Rotation: the new secret signs, the old one is configured as previous, both verify.
    let rotation = config(&server)
        .with_previous_webhook_secret(SecretString::from(WEBHOOK_SECRET))
        .with_webhook_secret(SecretString::from("whsec_test_new_after_rotation"));
    let rotated = client_with(rotation);
    assert!(parse(&rotated, &signature_headers(&good), body.as_bytes()).is_ok());
    let new_header = signed_header("whsec_test_new_after_rotation", WEBHOOK_T, body.as_bytes());
    assert!(parse(&rotated, &signature_headers(&new_header), body.as_bytes()).is_ok());
}

/// A `charge.*` event at the same endpoint is authentic: the merchant should answer it 2xx
/// (else Payonify redelivers it), so it is told apart from a malformed body.
#[tokio::test]
async fn an_authentic_event_that_is_not_about_a_payout_is_acknowledged_not_refused() {
    let (_server, client) = setup().await;
    let body = br#"{"id":"evt_9","object":"event","type":"charge.succeeded","created":1717405260,"livemode":false,"data":{"object":{"id":"ch_1","object":"charge"}}}"#;
    let headers = signature_headers(&signed_header(WEBHOOK_SECRET, WEBHOOK_T, body));
    let error = webhook_error(parse(&client, &headers, body));
    assert_eq!(
        error,
        WebhookError::UnhandledEvent("Payonify event type \"charge.succeeded\"".into())
    );
    assert!(error.should_acknowledge());

    // Not authentic: refused before the type is read, whatever the type.
    let forged = signature_headers(&signed_header("whsec_wrong", WEBHOOK_T, body));
    let refused = webhook_error(parse(&client, &forged, body));
    assert_eq!(refused, WebhookError::SignatureMismatch);
    assert!(!refused.should_acknowledge());

    // A payout event whose object is something else is malformed, not merely unhandled.
    let odd = br#"{"id":"evt_10","object":"event","type":"payout.paid","created":1717405260,"livemode":false,"data":{"object":{"id":"ch_1","object":"charge"}}}"#;
    let headers = signature_headers(&signed_header(WEBHOOK_SECRET, WEBHOOK_T, odd));
    assert_eq!(
        webhook_error(parse(&client, &headers, odd)),
        WebhookError::InvalidBody(
            "a \"payout.paid\" event whose data.object is not a payout".into()
        )
    );
}
