//! The Vesicash adapter against wiremock: every acceptance item of issue 3.

mod common;

use std::sync::Arc;
use std::time::Duration;

use disburse::http::{HttpConfig, RetryPolicy};
use disburse::providers::vesicash::{
    Environment, SignedMessage, TIMESTAMP_HEADER, VesicashBank, VesicashClient, VesicashConfig,
};
use disburse::webhook::{FixedClock, SignatureEncoding, sign};
use disburse::{
    Ambiguity, AuthFailure, CallbackUrl, Country, Currency, Destination, Error, EventObject,
    FailureReason, Money, Msisdn, Payout, PayoutProvider, PayoutRequest, ProviderId, Reference,
    RefundRequest, RejectCode, Status, WebhookError, WebhookRequest,
};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use secrecy::SecretString;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{catch_all, fixture, fixture_json};

const SECRET_KEY: &str = "sk_test_5f2a9c0e7d3b";
const PUBLIC_KEY: &str = "pk_test_8e1d4a6b2c0f";
const WEBHOOK_SECRET: &str = "whsec_vesicash_fixture_secret";
const WEBHOOK_URL: &str = "https://merchant.example.com/webhooks/vesicash";
const PAYOUT_PATH: &str = "/v1/payment/payout/process";
const REFUND_PATH: &str = "/v1/payment/refunds/process";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn config(server: &MockServer) -> VesicashConfig {
    VesicashConfig::new(
        SecretString::from(SECRET_KEY),
        SecretString::from(PUBLIC_KEY),
        SecretString::from(WEBHOOK_SECRET),
        Environment::Custom(server.uri()),
    )
    .with_http(
        HttpConfig::default()
            .with_timeout(Duration::from_secs(20))
            .with_retry(
                RetryPolicy::default()
                    .with_backoff(Duration::from_millis(5), Duration::from_millis(20)),
            ),
    )
}

fn client(server: &MockServer) -> VesicashClient {
    VesicashClient::new(config(server)).unwrap()
}

fn json_response(status: u16, body: String) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.into_bytes(), "application/json")
}

/// `GET /v1/countries` with both keys, answering the fixture, called exactly `times`.
async fn mount_countries(server: &MockServer, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v1/countries"))
        .and(header("secret-key", SECRET_KEY))
        .and(header("public-key", PUBLIC_KEY))
        .respond_with(json_response(200, fixture("vesicash/countries.json")))
        .expect(times)
        .named("GET /v1/countries")
        .mount(server)
        .await;
}

fn msisdn(text: &str) -> Msisdn {
    Msisdn::parse(text).unwrap()
}

fn zmw(amount: &str) -> Money {
    Money::parse(amount, Currency::ZMW).unwrap()
}

fn reference(text: &str) -> Reference {
    Reference::new(text).unwrap()
}

fn callback() -> CallbackUrl {
    CallbackUrl::parse(WEBHOOK_URL).unwrap()
}

fn mobile_payout(amount: &str) -> PayoutRequest {
    PayoutRequest::new(
        reference("order-1042"),
        zmw(amount),
        Destination::mobile(msisdn("+260 99 999 3000")),
    )
    .with_narration("Winnings payout")
    .with_callback_url(callback())
}

fn bank_payout() -> PayoutRequest {
    PayoutRequest::new(
        reference("settle-2024-07"),
        zmw("1000.50"),
        Destination::bank(Country::Zambia, "11", "0123456789012").unwrap(),
    )
    .with_narration("Supplier settlement")
    .with_callback_url(callback())
}

fn refund() -> RefundRequest {
    RefundRequest::new(
        reference("refund-77"),
        "VSC_PAY_7781",
        zmw("0.29"),
        Destination::mobile(msisdn("260971234567")),
    )
    .with_reason("Partial refund: damaged item")
    .with_callback_url(callback())
}

/// The bodies of the requests the server received on `at`, as text.
async fn bodies_sent_to(server: &MockServer, at: &str) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == at)
        .map(|r| String::from_utf8(r.body).unwrap())
        .collect()
}

/// Mounts countries once and a payout answering `status` with the error fixture `name`.
async fn payout_refused_with(server: &MockServer, status: u16, name: &str) -> Error {
    catch_all(server).await;
    mount_countries(server, 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(json_response(
            status,
            fixture(&format!("vesicash/errors/{name}")),
        ))
        .expect(1)
        .mount(server)
        .await;
    client(server)
        .create_payout(&mobile_payout("150"))
        .await
        .unwrap_err()
}

/// Mounts countries once and a refund answering `status` with the error fixture `name`.
async fn refund_refused_with(server: &MockServer, status: u16, name: &str) -> Error {
    catch_all(server).await;
    mount_countries(server, 1).await;
    Mock::given(method("POST"))
        .and(path(REFUND_PATH))
        .respond_with(json_response(
            status,
            fixture(&format!("vesicash/errors/{name}")),
        ))
        .expect(1)
        .mount(server)
        .await;
    client(server).create_refund(&refund()).await.unwrap_err()
}

fn assert_rejected(err: &Error, expected_status: u16, expected: RejectCode, text: &str) {
    assert!(
        matches!(
            err,
            Error::Rejected { provider, status, code, message, .. }
                if *provider == ProviderId::VESICASH
                    && *status == expected_status
                    && *code == expected
                    && message == text
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert!(!err.is_outcome_unknown());
}

// ---------------------------------------------------------------------------------------------
// Payouts and refunds on the wire
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn mobile_payout_sends_the_fixture_body_with_both_keys_and_maps_the_answer() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header("secret-key", SECRET_KEY))
        .and(header("public-key", PUBLIC_KEY))
        .and(header("content-type", "application/json"))
        .and(body_json(fixture_json(
            "vesicash/payout_mobile_request.json",
        )))
        .respond_with(json_response(
            200,
            fixture("vesicash/payout_mobile_response.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let payout = client(&server)
        .create_payout(&mobile_payout("150"))
        .await
        .unwrap();

    assert_eq!(payout.provider, ProviderId::VESICASH);
    assert_eq!(payout.id, "PY_8f2c1d9e4b7a");
    assert_eq!(payout.status, Status::Pending);
    assert_eq!(payout.reference, Some(reference("order-1042")));
    assert_eq!(payout.amount, Some(zmw("150")));
    assert_eq!(
        payout.raw,
        fixture_json("vesicash/payout_mobile_response.json")
    );
    // Kept byte for byte, not re-serialized.
    assert_eq!(
        payout.raw.as_str(),
        Some(fixture("vesicash/payout_mobile_response.json").as_str())
    );
    assert_eq!(
        bodies_sent_to(&server, PAYOUT_PATH).await,
        vec![fixture("vesicash/payout_mobile_request.json")]
    );
}

#[tokio::test]
async fn bank_payout_sends_the_fixture_body_with_both_keys_and_maps_the_answer() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header("secret-key", SECRET_KEY))
        .and(header("public-key", PUBLIC_KEY))
        .and(body_json(fixture_json("vesicash/payout_bank_request.json")))
        .respond_with(json_response(
            200,
            fixture("vesicash/payout_bank_response.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let payout = client(&server).create_payout(&bank_payout()).await.unwrap();

    assert_eq!(payout.id, "PY_1a2b3c4d5e6f");
    assert_eq!(payout.status, Status::Pending);
    assert_eq!(payout.reference, Some(reference("settle-2024-07")));
    let amount = payout.amount.unwrap();
    assert_eq!(amount.amount().to_string(), "1000.50");
    assert_eq!(amount.currency(), Currency::ZMW);
    assert_eq!(
        bodies_sent_to(&server, PAYOUT_PATH).await,
        vec![fixture("vesicash/payout_bank_request.json")]
    );
}

#[tokio::test]
async fn refund_sends_the_fixture_body_with_both_keys_and_maps_the_answer() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(REFUND_PATH))
        .and(header("secret-key", SECRET_KEY))
        .and(header("public-key", PUBLIC_KEY))
        .and(body_json(fixture_json("vesicash/refund_request.json")))
        .respond_with(json_response(200, fixture("vesicash/refund_response.json")))
        .expect(1)
        .mount(&server)
        .await;

    let refund = client(&server).create_refund(&refund()).await.unwrap();

    assert_eq!(refund.provider, ProviderId::VESICASH);
    assert_eq!(refund.id, "RF_5d1e0c7b2a90");
    assert_eq!(refund.status, Status::Pending);
    assert_eq!(refund.reference, Some(reference("refund-77")));
    assert_eq!(refund.payment_reference.as_deref(), Some("VSC_PAY_7781"));
    assert_eq!(refund.amount.unwrap().amount().to_string(), "0.29");
    assert_eq!(refund.raw, fixture_json("vesicash/refund_response.json"));
    assert_eq!(
        bodies_sent_to(&server, REFUND_PATH).await,
        vec![fixture("vesicash/refund_request.json")]
    );
}

#[tokio::test]
async fn amounts_go_out_as_exactly_those_json_numbers() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(json_response(
            200,
            fixture("vesicash/payout_mobile_response.json"),
        ))
        .expect(3)
        .mount(&server)
        .await;
    let client = client(&server);

    for amount in ["0.29", "1000.50", "150"] {
        client.create_payout(&mobile_payout(amount)).await.unwrap();
    }

    let bodies = bodies_sent_to(&server, PAYOUT_PATH).await;
    let expected: Vec<String> = ["0.29", "1000.50", "150"]
        .iter()
        .map(|amount| {
            format!(
                r#"{{"amount":{amount},"country_id":"2","transfer_to":"mobile_number","momo_phone_number":"260999993000","webhook_url":"{WEBHOOK_URL}","reason":"Winnings payout"}}"#
            )
        })
        .collect();
    assert_eq!(bodies, expected);
}

#[tokio::test]
async fn the_payout_path_is_overridable() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path("/v1/payment/payouts/process"))
        .respond_with(json_response(
            200,
            fixture("vesicash/payout_mobile_response.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client =
        VesicashClient::new(config(&server).with_payout_path("/v1/payment/payouts/process"))
            .unwrap();

    let payout = client.create_payout(&mobile_payout("150")).await.unwrap();
    assert_eq!(payout.id, "PY_8f2c1d9e4b7a");
}

#[tokio::test]
async fn the_default_webhook_url_is_sent_when_the_request_names_none() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(body_json(serde_json::json!({
            "amount": 150,
            "country_id": "2",
            "transfer_to": "mobile_number",
            "momo_phone_number": "260999993000",
            "webhook_url": "https://hooks.example.com/vesicash"
        })))
        .respond_with(json_response(
            200,
            fixture("vesicash/payout_mobile_response.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = VesicashClient::new(config(&server).with_default_webhook_url(
        CallbackUrl::parse("https://hooks.example.com/vesicash").unwrap(),
    ))
    .unwrap();
    let request = PayoutRequest::new(
        reference("order-1043"),
        zmw("150"),
        Destination::mobile(msisdn("+260999993000")),
    )
    .with_narration("   ");

    client.create_payout(&request).await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Countries and banks
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_payouts_fetch_the_countries_once() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/countries"))
        .respond_with(
            json_response(200, fixture("vesicash/countries.json"))
                .set_delay(Duration::from_millis(300)),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(json_response(
            200,
            fixture("vesicash/payout_mobile_response.json"),
        ))
        .expect(50)
        .mount(&server)
        .await;
    let client = client(&server);

    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let client = client.clone();
            tokio::spawn(async move {
                let mut request = mobile_payout("150");
                request.reference = reference(&format!("order-{i}"));
                client.create_payout(&request).await
            })
        })
        .collect();
    for task in tasks {
        let payout = task.await.unwrap().unwrap();
        assert_eq!(payout.id, "PY_8f2c1d9e4b7a");
    }
}

#[tokio::test]
async fn countries_and_banks_are_typed_and_cached_per_client() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1/banks"))
        .and(query_param("country_id", "2"))
        .and(header("secret-key", SECRET_KEY))
        .and(header("public-key", PUBLIC_KEY))
        .respond_with(json_response(200, fixture("vesicash/banks.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    let countries = client.countries().await.unwrap();
    let banks = client.banks(Country::Zambia).await.unwrap();
    let again = client.clone().banks(Country::Zambia).await.unwrap();

    let ids: Vec<_> = countries
        .iter()
        .map(|c| (c.id.as_str(), c.country_code.as_str()))
        .collect();
    assert_eq!(ids, [("1", "NG"), ("2", "ZM"), ("3", "KE")]);
    assert_eq!(countries[1].name.as_deref(), Some("Zambia"));
    assert_eq!(countries[1].currency(), Some(Currency::ZMW));
    let first: &VesicashBank = &banks[0];
    assert_eq!(first.id, "11");
    assert_eq!(
        first.name.as_deref(),
        Some("Zambia National Commercial Bank")
    );
    assert_eq!(first.code.as_deref(), Some("010"));
    assert_eq!(banks.len(), 2);
    assert_eq!(banks, again);
}

#[tokio::test]
async fn the_banks_query_parameter_is_configurable() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("GET"))
        .and(path("/v1/banks"))
        .and(query_param("country", "1"))
        .respond_with(json_response(200, fixture("vesicash/banks.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = VesicashClient::new(config(&server).with_banks_country_param("country")).unwrap();

    assert_eq!(client.banks(Country::Nigeria).await.unwrap().len(), 2);
}

#[tokio::test]
async fn a_failed_countries_fetch_is_not_cached() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/countries"))
        .respond_with(ResponseTemplate::new(503).set_body_string("maintenance"))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_countries(&server, 1).await;
    let client = VesicashClient::new(
        config(&server).with_http(HttpConfig::default().with_retry(RetryPolicy::none())),
    )
    .unwrap();

    let first = client.countries().await.unwrap_err();
    assert!(
        matches!(&first, Error::ServerError { status: 503, message, .. } if message == "maintenance"),
        "{first:?}"
    );
    assert_eq!(client.countries().await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_empty_countries_list_is_a_decode_error_and_not_cached() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/countries"))
        .respond_with(json_response(
            200,
            r#"{"status":"success","code":200,"message":"ok","data":[]}"#.into(),
        ))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_countries(&server, 1).await;
    let client = client(&server);

    let err = client.countries().await.unwrap_err();
    assert!(matches!(&err, Error::Decode { status: 200, .. }), "{err:?}");
    assert_eq!(client.countries().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_failed_countries_fetch_stops_the_payout_before_it_is_sent() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/countries"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_raw(fixture("vesicash/errors/bad_gateway.html"), "text/html"),
        )
        .expect(3)
        .mount(&server)
        .await;

    let err = client(&server)
        .create_payout(&mobile_payout("150"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ServerError { status: 502, message, .. } if message.contains("502 Bad Gateway")),
        "{err:?}"
    );
    assert!(!err.is_outcome_unknown());
}

// ---------------------------------------------------------------------------------------------
// Documented errors, one per row
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn payout_amount_is_less_that_0_maps_to_invalid_amount() {
    let server = MockServer::start().await;
    let err = payout_refused_with(&server, 400, "payout_amount_less_that_0.json").await;
    assert_rejected(
        &err,
        400,
        RejectCode::InvalidAmount,
        "payout amount is less that 0",
    );
}

#[tokio::test]
async fn payment_not_found_maps_to_payment_not_found() {
    let server = MockServer::start().await;
    let err = refund_refused_with(&server, 400, "payment_not_found.json").await;
    assert_rejected(&err, 400, RejectCode::PaymentNotFound, "payment not found");
}

#[tokio::test]
async fn refund_exceeding_the_refundable_balance_maps_to_refund_exceeds_balance() {
    let server = MockServer::start().await;
    let err = refund_refused_with(&server, 400, "refund_exceeds_refundable_balance.json").await;
    assert_rejected(
        &err,
        400,
        RejectCode::RefundExceedsRefundableBalance,
        "Refund amount exceeds the remaining refundable balance",
    );
}

#[tokio::test]
async fn insufficient_funds_maps_to_insufficient_balance() {
    let server = MockServer::start().await;
    let err = refund_refused_with(&server, 400, "insufficient_funds.json").await;
    assert_rejected(
        &err,
        400,
        RejectCode::InsufficientBalance,
        "Insufficient funds or wallet error preventing refund processing",
    );
}

#[tokio::test]
async fn payout_provider_error_maps_to_invalid_recipient() {
    let server = MockServer::start().await;
    let err = payout_refused_with(&server, 400, "payout_provider_error.json").await;
    assert_rejected(
        &err,
        400,
        RejectCode::InvalidRecipient,
        "Payout Provider service returned an error",
    );
}

#[tokio::test]
async fn refund_provider_error_maps_to_invalid_recipient() {
    let server = MockServer::start().await;
    let err = refund_refused_with(&server, 400, "refund_provider_error.json").await;
    assert_rejected(
        &err,
        400,
        RejectCode::InvalidRecipient,
        "Refund Provider service returned an error",
    );
}

#[tokio::test]
async fn http_401_maps_to_invalid_credentials_without_a_retry() {
    let server = MockServer::start().await;
    let err = payout_refused_with(&server, 401, "unauthorized.json").await;
    assert!(
        matches!(
            &err,
            Error::Auth {
                provider,
                status: Some(401),
                kind: AuthFailure::InvalidCredentials,
                message,
            } if *provider == ProviderId::VESICASH && message == "Invalid secret key"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_error_envelope_with_http_200_is_a_rejection() {
    let server = MockServer::start().await;
    let err = refund_refused_with(&server, 200, "payment_not_found.json").await;
    assert_rejected(&err, 400, RejectCode::PaymentNotFound, "payment not found");
}

#[tokio::test]
async fn documented_messages_match_without_regard_to_case() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(REFUND_PATH))
        .respond_with(json_response(
            400,
            r#"{"status":"error","code":400,"message":"REFUND AMOUNT EXCEEDS THE REMAINING REFUNDABLE BALANCE"}"#.into(),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).create_refund(&refund()).await.unwrap_err();
    assert_rejected(
        &err,
        400,
        RejectCode::RefundExceedsRefundableBalance,
        "REFUND AMOUNT EXCEEDS THE REMAINING REFUNDABLE BALANCE",
    );
}

// ---------------------------------------------------------------------------------------------
// Undecodable answers and unknown outcomes
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_html_502_on_a_payout_is_outcome_unknown_after_one_request() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_raw(fixture("vesicash/errors/bad_gateway.html"), "text/html"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .create_payout(&mobile_payout("150"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                provider,
                operation: "create_payout",
                reference: Some(r),
                cause: Ambiguity::ServerError { status: 502 },
                ..
            } if *provider == ProviderId::VESICASH && r.as_str() == "order-1042"
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_empty_200_on_a_payout_is_outcome_unknown_undecodable() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .create_payout(&mobile_payout("150"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                operation: "create_payout",
                reference: Some(r),
                cause: Ambiguity::UndecodableResponse { status: 200 },
                ..
            } if r.as_str() == "order-1042"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_html_502_on_the_status_lookup_is_a_server_error_after_retries() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/payment/PY_8f2c1d9e4b7a"))
        .respond_with(
            ResponseTemplate::new(502)
                .set_body_raw(fixture("vesicash/errors/bad_gateway.html"), "text/html"),
        )
        .expect(3)
        .mount(&server)
        .await;

    let err = client(&server)
        .get_payout("PY_8f2c1d9e4b7a")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::ServerError { status: 502, message, .. } if message.starts_with("<html>")),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_empty_200_on_the_status_lookup_is_a_decode_error() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/payment/PY_8f2c1d9e4b7a"))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .get_payout("PY_8f2c1d9e4b7a")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Decode { status: 200, snippet, .. } if snippet.is_empty()),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_success_answer_without_a_reference_is_outcome_unknown() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(json_response(
            200,
            r#"{"status":"success","code":200,"message":"ok","data":{"status":"processing"}}"#
                .into(),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .create_payout(&mobile_payout("150"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                provider,
                operation: "create_payout",
                reference: Some(r),
                cause: Ambiguity::UndecodableResponse { status: 200 },
                ..
            } if *provider == ProviderId::VESICASH && r.as_str() == "order-1042"
        ),
        "{err:?}"
    );
    assert!(err.may_have_been_sent());
}

#[tokio::test]
async fn an_error_envelope_with_a_5xx_code_on_a_payout_is_outcome_unknown() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(json_response(
            200,
            r#"{"status":"error","code":500,"message":"internal error","data":null}"#.into(),
        ))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server)
        .create_payout(&mobile_payout("150"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                provider,
                operation: "create_payout",
                reference: Some(r),
                cause: Ambiguity::ServerError { status: 500 },
                ..
            } if *provider == ProviderId::VESICASH && r.as_str() == "order-1042"
        ),
        "{err:?}"
    );
    assert!(err.may_have_been_sent());
}

#[tokio::test]
async fn a_delayed_payout_is_outcome_unknown_after_exactly_one_request() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(
            json_response(200, fixture("vesicash/payout_mobile_response.json"))
                .set_delay(Duration::from_secs(30)),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = VesicashClient::new(
        config(&server).with_http(HttpConfig::default().with_timeout(Duration::from_secs(3))),
    )
    .unwrap();

    let err = client
        .create_payout(&mobile_payout("150"))
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                provider,
                operation: "create_payout",
                reference: Some(r),
                cause: Ambiguity::Timeout,
                ..
            } if *provider == ProviderId::VESICASH && r.as_str() == "order-1042"
        ),
        "{err:?}"
    );
    assert_eq!(err.reference(), Some(&reference("order-1042")));
    assert!(err.may_have_been_sent());
}

// ---------------------------------------------------------------------------------------------
// Status
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn every_status_word_maps_as_specified() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let cases: Vec<(&str, Option<&str>, Status)> = vec![
        ("processing", None, Status::Pending),
        ("pending", None, Status::Pending),
        ("successful", None, Status::Succeeded),
        (
            "failed",
            None,
            Status::failed(FailureReason::Other("failed".into()), None),
        ),
        (
            "failed",
            Some("INSUFFICIENT_FUNDS"),
            Status::failed(
                FailureReason::InsufficientFunds,
                Some("INSUFFICIENT_FUNDS".into()),
            ),
        ),
        (
            "failed",
            Some("ACCOUNT_NOT_FOUND"),
            Status::failed(
                FailureReason::InvalidRecipient,
                Some("ACCOUNT_NOT_FOUND".into()),
            ),
        ),
        (
            "failed",
            Some("ACCOUNT_BLOCKED"),
            Status::failed(
                FailureReason::RecipientBlocked,
                Some("ACCOUNT_BLOCKED".into()),
            ),
        ),
        (
            "failed",
            Some("INVALID_PIN"),
            Status::failed(FailureReason::Declined, Some("INVALID_PIN".into())),
        ),
        (
            "failed",
            Some("TRANSACTION_LIMIT_EXCEEDED"),
            Status::failed(
                FailureReason::LimitExceeded,
                Some("TRANSACTION_LIMIT_EXCEEDED".into()),
            ),
        ),
        (
            "failed",
            Some("DECLINED_TRANSACTION"),
            Status::failed(FailureReason::Declined, Some("DECLINED_TRANSACTION".into())),
        ),
        (
            "failed",
            Some("ABANDONED_TRANSACTION"),
            Status::failed(
                FailureReason::Declined,
                Some("ABANDONED_TRANSACTION".into()),
            ),
        ),
        (
            "failed",
            Some("PROVIDER_TIMEOUT"),
            Status::failed(
                FailureReason::ProviderTimeout,
                Some("PROVIDER_TIMEOUT".into()),
            ),
        ),
        (
            "failed",
            Some("TRNASACTION_FAILED"),
            Status::failed(
                FailureReason::Other("TRNASACTION_FAILED".into()),
                Some("TRNASACTION_FAILED".into()),
            ),
        ),
        ("reversed", None, Status::Unknown("reversed".into())),
    ];
    for (i, (word, code, _)) in cases.iter().enumerate() {
        let mut data = serde_json::json!({
            "reference": format!("PY_case{i}"),
            "status": word,
            "amount": "150",
        });
        if let Some(code) = code {
            data["failure_reason"] = serde_json::json!(code);
        }
        let body =
            serde_json::json!({"status": "success", "code": 200, "message": "ok", "data": data});
        Mock::given(method("GET"))
            .and(path(format!("/v1/payment/PY_case{i}")))
            .and(header("secret-key", SECRET_KEY))
            .and(header("public-key", PUBLIC_KEY))
            .respond_with(json_response(200, body.to_string()))
            .expect(1)
            .mount(&server)
            .await;
    }
    let client = client(&server);

    for (i, (word, code, expected)) in cases.into_iter().enumerate() {
        let payout = client.get_payout(&format!("PY_case{i}")).await.unwrap();
        assert_eq!(payout.status, expected, "{word} {code:?}");
        assert_eq!(payout.id, format!("PY_case{i}"));
    }
}

#[tokio::test]
async fn status_fixtures_map_with_amount_only_when_the_currency_is_given() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/payment/PY_8f2c1d9e4b7a"))
        .respond_with(json_response(
            200,
            fixture("vesicash/status_successful.json"),
        ))
        .up_to_n_times(1)
        .expect(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/payment/PY_8f2c1d9e4b7a"))
        .respond_with(json_response(200, fixture("vesicash/status_failed.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server);

    let done: Payout = client.get_payout("PY_8f2c1d9e4b7a").await.unwrap();
    assert_eq!(done.status, Status::Succeeded);
    assert_eq!(done.amount.unwrap().amount().to_string(), "150.00");
    assert_eq!(done.reference, None);
    assert_eq!(done.raw, fixture_json("vesicash/status_successful.json"));

    let failed = client.get_payout("PY_8f2c1d9e4b7a").await.unwrap();
    assert_eq!(
        failed.status,
        Status::failed(
            FailureReason::InsufficientFunds,
            Some("INSUFFICIENT_FUNDS".into())
        )
    );
    assert_eq!(failed.amount, None);
}

#[tokio::test]
async fn the_status_path_is_configurable() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    Mock::given(method("GET"))
        .and(path("/v1/payment/payouts/PY_8f2c1d9e4b7a/status"))
        .respond_with(json_response(
            200,
            fixture("vesicash/status_successful.json"),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let client = VesicashClient::new(
        config(&server).with_status_path("/v1/payment/payouts/{reference}/status"),
    )
    .unwrap();

    let payout = client.get_payout("PY_8f2c1d9e4b7a").await.unwrap();
    assert_eq!(payout.status, Status::Succeeded);
}

#[tokio::test]
async fn find_payout_is_unsupported_and_sends_nothing() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);

    let err = client
        .find_payout(&reference("order-1042"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported { provider, operation: "find_payout" } if *provider == ProviderId::VESICASH),
        "{err:?}"
    );
    assert!(!client.capabilities().listing);
    assert!(!client.capabilities().idempotent_create);
}

// ---------------------------------------------------------------------------------------------
// Validation: nothing is sent
// ---------------------------------------------------------------------------------------------

fn assert_invalid(err: &Error, expected_field: &str) {
    assert!(
        matches!(err, Error::InvalidRequest { field, .. } if *field == expected_field),
        "{err:?}"
    );
    assert!(!err.may_have_been_sent());
}

#[tokio::test]
async fn a_zero_amount_is_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);

    let err = client
        .create_payout(&mobile_payout("0.00"))
        .await
        .unwrap_err();
    assert_invalid(&err, "amount");
    let mut zero_refund = refund();
    zero_refund.amount = zmw("0");
    let err = client.create_refund(&zero_refund).await.unwrap_err();
    assert_invalid(&err, "amount");
}

#[tokio::test]
async fn a_bank_payout_without_bank_id_or_account_is_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);

    let no_bank = Destination::BankAccount {
        country: Country::Zambia,
        bank_code: "  ".into(),
        account_number: "0123456789012".into(),
    };
    let err = client
        .create_payout(&PayoutRequest::new(reference("b-1"), zmw("10"), no_bank))
        .await
        .unwrap_err();
    assert_invalid(&err, "destination.bank_code");

    let no_account = Destination::BankAccount {
        country: Country::Zambia,
        bank_code: "11".into(),
        account_number: String::new(),
    };
    let err = client
        .create_payout(&PayoutRequest::new(reference("b-2"), zmw("10"), no_account))
        .await
        .unwrap_err();
    assert_invalid(&err, "destination.account_number");
}

#[tokio::test]
async fn a_refund_to_a_bank_is_unsupported_and_sends_nothing() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let mut request = refund();
    request.destination = Destination::bank(Country::Zambia, "11", "0123456789012").unwrap();

    let err = client(&server).create_refund(&request).await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Unsupported { provider, operation: "refund to a destination other than a mobile-money wallet" }
                if *provider == ProviderId::VESICASH
        ),
        "{err:?}"
    );
    assert!(!err.may_have_been_sent());
}

#[tokio::test]
async fn a_landline_number_is_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);

    // Nairobi and Lusaka landlines never become an `Msisdn`: the phone module refuses them.
    for landline in ["+254 20 2222222", "+260 211 234567"] {
        assert!(
            matches!(
                Msisdn::parse(landline),
                Err(disburse::PhoneError::NotMobile { .. })
            ),
            "{landline}"
        );
    }
    // A number of a country Vesicash cannot pay (generic E.164, no country) is refused by the
    // adapter before anything is sent.
    let foreign = Msisdn::parse("+44 7911 123456").unwrap();
    let request = PayoutRequest::new(reference("l-1"), zmw("10"), Destination::mobile(foreign));
    let err = client.create_payout(&request).await.unwrap_err();
    assert_invalid(&err, "destination.msisdn");
}

#[tokio::test]
async fn a_payout_with_a_channel_code_is_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;

    let err = client(&server)
        .create_payout(&mobile_payout("150").with_channel("63902"))
        .await
        .unwrap_err();
    assert_invalid(&err, "channel");
}

#[tokio::test]
async fn a_currency_other_than_the_countrys_is_refused_before_the_payout() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    let mut request = mobile_payout("150");
    request.amount = Money::parse("150", Currency::KES).unwrap();

    let err = client(&server).create_payout(&request).await.unwrap_err();
    assert_invalid(&err, "amount.currency");
}

#[tokio::test]
async fn a_country_vesicash_does_not_list_is_refused_before_the_payout() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    mount_countries(&server, 1).await;
    let request = PayoutRequest::new(
        reference("zw-1"),
        Money::parse("5", Currency::USD).unwrap(),
        Destination::mobile(msisdn("+263 77 123 4567")),
    );

    let err = client(&server).create_payout(&request).await.unwrap_err();
    assert_invalid(&err, "destination");
}

#[tokio::test]
async fn a_status_id_that_is_not_a_reference_is_refused_before_sending() {
    let server = MockServer::start().await;
    catch_all(&server).await;

    for bad in ["", "../countries", "PY_1?x=1", "PY 1"] {
        let err = client(&server).get_payout(bad).await.unwrap_err();
        assert_invalid(&err, "id");
    }
}

// ---------------------------------------------------------------------------------------------
// Webhooks
// ---------------------------------------------------------------------------------------------

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn deliver(
    client: &VesicashClient,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<disburse::WebhookEvent, Error> {
    client.parse_webhook(&WebhookRequest::post(WEBHOOK_URL, headers, body))
}

#[tokio::test]
async fn the_webhook_fixture_verifies_and_parses() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let body = fixture("vesicash/webhook_payout.json");
    let signature = fixture("vesicash/webhook_payout.signature");

    let event = deliver(
        &client(&server),
        &headers(&[("X-VESICASH-SIGNATURE", &signature)]),
        body.as_bytes(),
    )
    .unwrap();

    assert_eq!(event.provider, ProviderId::VESICASH);
    assert_eq!(event.object, EventObject::Payout);
    assert_eq!(event.provider_reference.as_deref(), Some("PY_8f2c1d9e4b7a"));
    assert_eq!(event.reference, None);
    assert_eq!(event.status, Status::Succeeded);
    let amount = event.amount.unwrap();
    assert_eq!(amount.amount().to_string(), "150.00");
    assert_eq!(amount.currency(), Currency::ZMW);
    assert_eq!(event.raw, fixture_json("vesicash/webhook_payout.json"));
}

#[tokio::test]
async fn the_docs_mor_signature_header_and_upper_case_hex_are_accepted() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let body = fixture("vesicash/webhook_refund.json");
    let signature = fixture("vesicash/webhook_refund.signature").to_uppercase();

    let event = deliver(
        &client(&server),
        &headers(&[("mor-signature", &signature)]),
        body.as_bytes(),
    )
    .unwrap();

    assert_eq!(event.object, EventObject::Refund);
    assert_eq!(event.provider_reference.as_deref(), Some("RF_5d1e0c7b2a90"));
    assert_eq!(
        event.status,
        Status::failed(
            FailureReason::RecipientBlocked,
            Some("ACCOUNT_BLOCKED".into())
        )
    );
    assert_eq!(event.amount.unwrap().amount().to_string(), "0.29");
}

#[tokio::test]
async fn a_webhook_with_a_flipped_byte_is_rejected() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let mut body = fixture("vesicash/webhook_payout.json").into_bytes();
    let at = body.len() / 2;
    body[at] ^= 0x01;
    let signature = fixture("vesicash/webhook_payout.signature");

    let err = deliver(
        &client(&server),
        &headers(&[("X-Vesicash-Signature", &signature)]),
        &body,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Webhook(WebhookError::SignatureMismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_webhook_signed_with_another_secret_is_rejected() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let body = fixture("vesicash/webhook_payout.json");
    let signature = sign(
        b"whsec_someone_else",
        body.as_bytes(),
        SignatureEncoding::Hex,
    );

    let err = deliver(
        &client(&server),
        &headers(&[("X-Vesicash-Signature", &signature)]),
        body.as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Webhook(WebhookError::SignatureMismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_webhook_without_the_signature_header_is_rejected() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let body = fixture("vesicash/webhook_payout.json");

    let err = deliver(
        &client(&server),
        &headers(&[("content-type", "application/json")]),
        body.as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Webhook(WebhookError::MissingSignature(what)) if what == "header X-Vesicash-Signature"),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_webhook_signature_for_another_body_is_rejected() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let body = fixture("vesicash/webhook_payout.json");
    let other_signature = fixture("vesicash/webhook_refund.signature");

    let err = deliver(
        &client(&server),
        &headers(&[("X-Vesicash-Signature", &other_signature)]),
        body.as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Webhook(WebhookError::SignatureMismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn webhook_header_names_are_configurable() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let body = fixture("vesicash/webhook_payout.json");
    let signature = fixture("vesicash/webhook_payout.signature");
    let client = VesicashClient::new(config(&server).with_webhook_scheme(
        disburse::providers::vesicash::webhook_scheme().with_signature_headers(["X-Signature"]),
    ))
    .unwrap();

    let err = deliver(
        &client,
        &headers(&[("X-Vesicash-Signature", &signature)]),
        body.as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Webhook(WebhookError::MissingSignature(_))),
        "{err:?}"
    );
    let event = deliver(
        &client,
        &headers(&[("x-signature", &signature)]),
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(event.status, Status::Succeeded);
}

#[tokio::test]
async fn the_timestamped_signed_message_is_selectable() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let now = 1_720_000_000_i64;
    let client = VesicashClient::new(
        config(&server).with_webhook_scheme(
            disburse::providers::vesicash::webhook_scheme()
                .with_signed_message(SignedMessage::timestamp_dot_body(TIMESTAMP_HEADER)),
        ),
    )
    .unwrap()
    .with_webhook_clock(Arc::new(FixedClock(now)));
    let body = fixture("vesicash/webhook_payout.json");
    let signed = |ts: i64| {
        sign(
            WEBHOOK_SECRET.as_bytes(),
            format!("{ts}.{body}").as_bytes(),
            SignatureEncoding::Hex,
        )
    };

    let fresh = now.to_string();
    let event = deliver(
        &client,
        &headers(&[
            ("X-Vesicash-Signature", &signed(now)),
            ("X-Vesicash-Timestamp", &fresh),
        ]),
        body.as_bytes(),
    )
    .unwrap();
    assert_eq!(event.status, Status::Succeeded);

    // The body-only signature no longer verifies.
    let err = deliver(
        &client,
        &headers(&[
            (
                "X-Vesicash-Signature",
                &fixture("vesicash/webhook_payout.signature"),
            ),
            ("X-Vesicash-Timestamp", &fresh),
        ]),
        body.as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Webhook(WebhookError::SignatureMismatch)),
        "{err:?}"
    );

    let stale = (now - 3600).to_string();
    let err = deliver(
        &client,
        &headers(&[
            ("X-Vesicash-Signature", &signed(now - 3600)),
            ("X-Vesicash-Timestamp", &stale),
        ]),
        body.as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Webhook(WebhookError::TimestampOutOfWindow {
                skew_secs: -3600,
                tolerance_secs: 300
            })
        ),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_client_never_prints_a_key_and_refuses_an_empty_one() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let text = format!("{:?}", client(&server));
    for secret in [SECRET_KEY, PUBLIC_KEY, WEBHOOK_SECRET] {
        assert!(!text.contains(secret), "{secret} leaked in {text}");
    }

    let mut empty = config(&server);
    empty.public_key = SecretString::from("");
    assert!(matches!(
        VesicashClient::new(empty),
        Err(Error::Config { .. })
    ));
}

#[test]
fn from_env_needs_the_keys() {
    if std::env::var_os("VESICASH_SECRET_KEY").is_some() {
        return; // a developer's real environment: nothing to assert.
    }
    let err = VesicashConfig::from_env().unwrap_err();
    assert!(
        matches!(&err, Error::Config { message, .. } if message.contains("VESICASH_SECRET_KEY")),
        "{err:?}"
    );
}
