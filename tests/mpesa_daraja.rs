//! M-Pesa Daraja B2C against a wiremock Daraja: the acceptance items of issue 16.
//!
//! Every test mounts `common::catch_all` (an unexpected request fails it) and puts `.expect(n)`
//! on every mock. Fixtures live in `fixtures/mpesa_daraja/`. The SecurityCredential is checked by
//! decrypting it with the test key pair in `fixtures/mpesa_daraja/keys/` (see its README).

mod common;

use std::time::Duration;

use aws_lc_rs::rsa::{Pkcs1PrivateDecryptingKey, PrivateDecryptingKey};
use base64::Engine as _;
use disburse::http::{HttpConfig, RetryPolicy};
use disburse::providers::mpesa_daraja::{
    DarajaClient, DarajaConfig, DarajaCredentials, Environment, PAYOUT_PATH, STATUS_PATH,
    TOKEN_PATH,
};
use disburse::webhook::SignatureEncoding;
use disburse::{
    Ambiguity, CallbackUrl, Currency, Destination, Error, FailureReason, Money, Msisdn,
    PayoutProvider, PayoutRequest, Reference, RejectCode, Status, WebhookError, WebhookRequest,
};
use reqwest::header::HeaderMap;
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use common::{catch_all, fixture, fixture_json};

const CONSUMER_KEY: &str = "test-consumer-key";
const CONSUMER_SECRET: &str = "test-consumer-secret";
const SHORTCODE: &str = "600997";
const INITIATOR: &str = "testapi";
const PASSWORD: &str = "Safaricom999!*!";
const CALLBACK_SECRET: &str = "test-callback-secret";
const RESULT_URL: &str = "https://mydomain.com/b2c/result";
const TIMEOUT_URL: &str = "https://mydomain.com/b2c/queue";
const REFERENCE: &str = "Test_32et3241ed8yu";
const BEARER: &str = "Bearer c9SQxWWhmdVRlyh0zh8gZDTkubVF";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn answer(status: u16, fixture_path: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(fixture(fixture_path), "application/json")
}

fn config(server: &MockServer) -> DarajaConfig {
    DarajaConfig::new(
        DarajaCredentials::new(
            SecretString::from(CONSUMER_KEY),
            SecretString::from(CONSUMER_SECRET),
            SHORTCODE,
            INITIATOR,
            SecretString::from(PASSWORD),
            SecretString::from(CALLBACK_SECRET),
        ),
        CallbackUrl::parse(RESULT_URL).unwrap(),
        CallbackUrl::parse(TIMEOUT_URL).unwrap(),
    )
    .with_environment(Environment::Custom(server.uri()))
    .with_certificate_pem(fixture("mpesa_daraja/keys/test_certificate.cer"))
    .with_http(HttpConfig::default().with_retry(RetryPolicy::none()))
    .with_result_wait(Duration::from_secs(20))
}

fn client(server: &MockServer) -> DarajaClient {
    DarajaClient::new(config(server)).unwrap()
}

fn basic() -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD
            .encode(format!("{CONSUMER_KEY}:{CONSUMER_SECRET}"))
    )
}

async fn mount_token(server: &MockServer, fixture_path: &str, times: u64) {
    Mock::given(method("GET"))
        .and(path(TOKEN_PATH))
        .and(query_param("grant_type", "client_credentials"))
        .and(header("authorization", basic().as_str()))
        .respond_with(answer(200, fixture_path))
        .expect(times)
        .named("token")
        .mount(server)
        .await;
}

fn kes(amount: &str) -> Money {
    Money::new(amount.parse().unwrap(), Currency::KES).unwrap()
}

fn safaricom(number: &str) -> Destination {
    Destination::mobile(Msisdn::parse(number).unwrap())
}

/// The documented example: 10 KES to 254705912645 with the documented remarks and occasion.
fn documented_request() -> PayoutRequest {
    let mut request = PayoutRequest::new(
        Reference::new(REFERENCE).unwrap(),
        kes("10"),
        safaricom("+254705912645"),
    )
    .with_narration("here are my remarks");
    request
        .metadata
        .insert("occasion".to_owned(), "Christmas".to_owned());
    request
}

fn token(purpose: &str, reference: &str) -> String {
    disburse::webhook::sign(
        CALLBACK_SECRET.as_bytes(),
        format!("{purpose}:{reference}").as_bytes(),
        SignatureEncoding::Hex,
    )
}

fn callback_url(base: &str, purpose: &str, reference: &str) -> String {
    format!(
        "{base}?disburse_ref={reference}&disburse_for={purpose}&disburse_token={}",
        token(purpose, reference)
    )
}

/// The initiator password, decrypted from a SecurityCredential with the test private key.
fn decrypt(credential: &str) -> String {
    let pem = fixture("mpesa_daraja/keys/test_private_key.pem");
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let key =
        Pkcs1PrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&der).unwrap()).unwrap();
    let sealed = base64::engine::general_purpose::STANDARD
        .decode(credential)
        .unwrap();
    let mut out = vec![0u8; key.min_output_size()];
    let plain = key.decrypt(&sealed, &mut out).unwrap();
    String::from_utf8(plain.to_vec()).unwrap()
}

async fn requests_to(server: &MockServer, to: &str) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r.url.path() == to)
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

/// Waits (without a fixed sleep) until `server` has received `n` requests to `to`.
async fn wait_for_requests(server: &MockServer, to: &str, n: usize) -> Vec<Value> {
    for _ in 0..2_000 {
        let seen = requests_to(server, to).await;
        if seen.len() >= n {
            return seen;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("{to} did not receive {n} requests");
}

fn deliver(client: &DarajaClient, url: &str, body: &[u8]) -> Result<disburse::WebhookEvent, Error> {
    let headers = HeaderMap::new();
    client.parse_webhook(&WebhookRequest::post(url, &headers, body))
}

/// A result callback for `reference` with `code` (as JSON), the documented failure's shape.
fn result_body(reference: &str, code: Value, conversation: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "Result": {
            "ResultType": 0,
            "ResultCode": code,
            "ResultDesc": "as Safaricom words it",
            "OriginatorConversationID": format!("{SHORTCODE}_{reference}"),
            "ConversationID": conversation,
            "TransactionID": "SG722NMVXQ"
        }
    }))
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Payouts
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn the_documented_payout_sends_the_exact_b2c_body_and_is_pending() {
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header("authorization", BEARER))
        .and(header("content-type", "application/json"))
        .respond_with(answer(200, "mpesa_daraja/b2c-accepted.json"))
        .expect(1)
        .named("b2c")
        .mount(&server)
        .await;
    catch_all(&server).await;

    let payout = client(&server)
        .create_payout(&documented_request())
        .await
        .unwrap();

    assert_eq!(payout.id, "600997_Test_32et3241ed8yu");
    assert_eq!(payout.status, Status::Pending);
    assert_eq!(
        payout.provider_reference.as_deref(),
        Some("AG_20240706_20106e9209f64bebd05b")
    );
    assert_eq!(
        payout.reference.as_ref().map(Reference::as_str),
        Some(REFERENCE)
    );
    let sent = requests_to(&server, PAYOUT_PATH).await.remove(0);
    let credential = sent["SecurityCredential"].as_str().unwrap().to_owned();
    assert_eq!(decrypt(&credential), PASSWORD);
    let mut expected = fixture_json("mpesa_daraja/b2c-request.json");
    expected["SecurityCredential"] = json!(credential);
    expected["ResultURL"] = json!(callback_url(RESULT_URL, "payout", REFERENCE));
    expected["QueueTimeOutURL"] = json!(callback_url(TIMEOUT_URL, "payout_timeout", REFERENCE));
    assert_eq!(sent, expected);
}

#[tokio::test]
async fn expires_in_as_a_string_is_read_and_the_credential_is_made_once() {
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token-string-expiry.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header("authorization", BEARER))
        .respond_with(answer(200, "mpesa_daraja/b2c-accepted.json"))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    let mut second = documented_request();
    second.reference = Reference::new("SECOND-1").unwrap();
    second.metadata.clear();
    client.create_payout(&documented_request()).await.unwrap();
    client.create_payout(&second).await.unwrap();
    let sent = requests_to(&server, PAYOUT_PATH).await;
    assert_eq!(sent[0]["SecurityCredential"], sent[1]["SecurityCredential"]);
    assert_eq!(sent[1]["OriginatorConversationID"], "600997_SECOND-1");
    assert!(sent[1].get("Occassion").is_none(), "{}", sent[1]);
}

#[tokio::test]
async fn hundred_concurrent_payouts_on_a_cold_client_make_one_token_request() {
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .and(header("authorization", BEARER))
        .respond_with(answer(200, "mpesa_daraja/b2c-accepted.json"))
        .expect(100)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    let payouts = futures_util::future::join_all((0..100).map(|i| {
        let client = client.clone();
        async move {
            let mut request = documented_request();
            request.reference = Reference::new(format!("BULK-{i}")).unwrap();
            client.create_payout(&request).await
        }
    }))
    .await;
    assert!(
        payouts
            .iter()
            .all(|p| p.as_ref().is_ok_and(|p| p.status == Status::Pending))
    );
    let mut ids: Vec<String> = requests_to(&server, PAYOUT_PATH)
        .await
        .iter()
        .map(|b| b["OriginatorConversationID"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 100);
}

#[tokio::test]
async fn bad_input_sends_nothing() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let with = |f: &dyn Fn(&mut PayoutRequest)| {
        let mut request = documented_request();
        f(&mut request);
        request
    };
    let cases: Vec<(&str, PayoutRequest, &str)> = vec![
        (
            "decimal amount",
            with(&|r| r.amount = kes("10.50")),
            "amount",
        ),
        ("a cent", with(&|r| r.amount = kes("0.01")), "amount"),
        ("zero", with(&|r| r.amount = kes("0")), "amount"),
        (
            "above the ceiling",
            with(&|r| r.amount = kes("150001")),
            "amount",
        ),
        (
            "another currency",
            with(&|r| r.amount = Money::new(10.into(), Currency::UGX).unwrap()),
            "amount",
        ),
        (
            "remarks of 101 characters",
            with(&|r| r.narration = Some("r".repeat(101))),
            "narration",
        ),
        (
            "remarks of 1 character",
            with(&|r| r.narration = Some("r".into())),
            "narration",
        ),
        (
            "occasion of 101 characters",
            with(&|r| {
                r.metadata.insert("occasion".into(), "o".repeat(101));
            }),
            "metadata.occasion",
        ),
        (
            "an Airtel number",
            with(&|r| r.destination = safaricom("+254733123456")),
            "destination.network",
        ),
        (
            "a Ugandan number",
            with(&|r| r.destination = safaricom("+256772123456")),
            "destination.msisdn",
        ),
        (
            "a bank account",
            with(&|r| {
                r.destination = Destination::bank(disburse::Country::Kenya, "01", "123456").unwrap()
            }),
            "destination",
        ),
    ];
    for (what, request, field) in cases {
        match client.create_payout(&request).await {
            Err(Error::InvalidRequest { field: got, .. }) => assert_eq!(got, field, "{what}"),
            other => panic!("{what}: {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_refused_token_is_renewed_once_and_the_payout_repeated_once() {
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token.json", 2).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(answer(404, "mpesa_daraja/invalid-access-token.json"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(answer(200, "mpesa_daraja/b2c-accepted.json"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let payout = client(&server)
        .create_payout(&documented_request())
        .await
        .unwrap();
    assert_eq!(payout.status, Status::Pending);
    let sent = requests_to(&server, PAYOUT_PATH).await;
    assert_eq!(
        sent[0], sent[1],
        "the repeat is byte for byte the same request"
    );
}

#[tokio::test]
async fn a_token_refused_twice_is_an_auth_error() {
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token.json", 2).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(answer(404, "mpesa_daraja/invalid-access-token.json"))
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let err = client(&server)
        .create_payout(&documented_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Auth {
                status: Some(404),
                kind: disburse::AuthFailure::TokenExpired,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn an_invalid_phone_is_a_rejection_naming_the_recipient() {
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(answer(400, "mpesa_daraja/invalid-phone.json"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let err = client(&server)
        .create_payout(&documented_request())
        .await
        .unwrap_err();
    match err {
        Error::Rejected {
            status: 400,
            code: RejectCode::InvalidRecipient,
            provider_code,
            message,
            ..
        } => {
            assert_eq!(provider_code.as_deref(), Some("400.002.02"));
            assert_eq!(message, "Bad Request - Invalid PhoneNumber");
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Unknown outcome, duplicate, reconciliation by the status query's callback
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_timed_out_payout_resent_is_a_duplicate_resolved_by_the_status_callback() {
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token.json", 1).await;
    // Safaricom accepts the first request (the mock's ledger: one payment) but answers too late.
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(
            answer(200, "mpesa_daraja/b2c-accepted.json").set_delay(Duration::from_secs(3)),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .named("b2c: accepted (the one payment)")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(answer(500, "mpesa_daraja/b2c-duplicate.json"))
        .expect(1)
        .named("b2c: duplicate OriginatorConversationID")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(STATUS_PATH))
        .and(header("authorization", BEARER))
        .respond_with(answer(200, "mpesa_daraja/b2c-accepted.json"))
        .expect(1)
        .named("transaction status")
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = DarajaClient::new(
        config(&server).with_http(
            HttpConfig::default()
                .with_retry(RetryPolicy::none())
                .with_timeout(Duration::from_millis(500)),
        ),
    )
    .unwrap();

    let first = client
        .create_payout(&documented_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &first,
            Error::OutcomeUnknown {
                cause: Ambiguity::Timeout,
                ..
            }
        ),
        "{first:?}"
    );

    // The merchant re-sends; meanwhile its webhook endpoint receives the status query's answer.
    let resend = {
        let client = client.clone();
        tokio::spawn(async move { client.create_payout(&documented_request()).await })
    };
    let query = wait_for_requests(&server, STATUS_PATH, 1).await.remove(0);
    let result_url = query["ResultURL"].as_str().unwrap().to_owned();
    assert_eq!(result_url, callback_url(RESULT_URL, "status", REFERENCE));
    let mut expected_query = json!({
        "Initiator": INITIATOR,
        "SecurityCredential": query["SecurityCredential"],
        "CommandID": "TransactionStatusQuery",
        "OriginalConversationID": "600997_Test_32et3241ed8yu",
        "PartyA": SHORTCODE,
        "IdentifierType": "4",
        "ResultURL": result_url,
        "QueueTimeOutURL": callback_url(TIMEOUT_URL, "status_timeout", REFERENCE),
        "Remarks": "Status of a payout",
        "Occasion": REFERENCE,
    });
    assert_eq!(
        decrypt(query["SecurityCredential"].as_str().unwrap()),
        PASSWORD
    );
    assert_eq!(query, expected_query.take());
    let event = deliver(
        &client,
        &result_url,
        fixture("mpesa_daraja/status-result-completed.json").as_bytes(),
    )
    .unwrap();
    assert_eq!(event.status, Status::Succeeded);

    let original = resend.await.unwrap().unwrap();
    assert_eq!(original.id, "600997_Test_32et3241ed8yu");
    assert_eq!(original.status, Status::Succeeded);
    assert_eq!(original.provider_reference.as_deref(), Some("SG632NMUAB"));
    assert_eq!(original.amount, Some(kes("10")));
    // Both B2C mocks are checked on drop: one accepted (one payment), one duplicate.
}

#[tokio::test]
async fn find_payout_answers_from_the_recorded_result_without_a_query() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let url = callback_url(RESULT_URL, "payout", REFERENCE);
    let event = deliver(
        &client,
        &url,
        fixture("mpesa_daraja/result-success.json").as_bytes(),
    )
    .unwrap();
    assert_eq!(event.status, Status::Succeeded);
    assert_eq!(event.amount, Some(kes("10")));
    assert_eq!(event.provider_reference.as_deref(), Some("SG632NMUAB"));
    assert_eq!(event.reference.as_deref(), Some(REFERENCE));
    let found = client
        .find_payout(&Reference::new(REFERENCE).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, Status::Succeeded);
    assert_eq!(found.id, "600997_Test_32et3241ed8yu");
    let by_id = client
        .get_payout("600997_Test_32et3241ed8yu")
        .await
        .unwrap();
    assert_eq!(by_id, found);
}

#[tokio::test]
async fn a_status_query_without_an_answer_is_outcome_unknown() {
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(STATUS_PATH))
        .respond_with(answer(200, "mpesa_daraja/b2c-accepted.json"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client =
        DarajaClient::new(config(&server).with_result_wait(Duration::from_millis(50))).unwrap();
    let err = client
        .find_payout(&Reference::new(REFERENCE).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::Network {
                operation: "find_payout",
                source,
                ..
            } if source.to_string() == "no Transaction Status callback within 50ms"
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn balance_is_read_from_the_account_balance_callback() {
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path("/mpesa/accountbalance/v1/query"))
        .respond_with(answer(200, "mpesa_daraja/b2c-accepted.json"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    let asking = {
        let client = client.clone();
        tokio::spawn(async move { client.balance().await })
    };
    let query = wait_for_requests(&server, "/mpesa/accountbalance/v1/query", 1)
        .await
        .remove(0);
    assert_eq!(query["CommandID"], "AccountBalance");
    assert_eq!(query["PartyA"], SHORTCODE);
    assert_eq!(query["IdentifierType"], "4");
    let err = deliver(
        &client,
        query["ResultURL"].as_str().unwrap(),
        fixture("mpesa_daraja/balance-result.json").as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Webhook(e) if e.should_acknowledge()),
        "{err:?}"
    );
    let balance = asking.await.unwrap().unwrap();
    assert_eq!(balance.payout, kes("228037.00"));
    assert_eq!(balance.total, Some(kes("926497.00")));
}

// ---------------------------------------------------------------------------------------------
// Callbacks
// ---------------------------------------------------------------------------------------------

/// Every documented result code, as a number and as a string, and what it reports.
#[tokio::test]
async fn every_documented_result_code_maps_to_its_status() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let failed = |reason: FailureReason| Some(reason);
    let other = |tag: &str| Some(FailureReason::Other(tag.to_owned()));
    // code, Some(reason) for a failure, None for the rows checked below the table.
    let table: Vec<(&str, Option<FailureReason>)> = vec![
        ("1", failed(FailureReason::InsufficientFunds)),
        ("2", failed(FailureReason::LimitExceeded)),
        ("3", failed(FailureReason::LimitExceeded)),
        ("4", failed(FailureReason::LimitExceeded)),
        ("8", failed(FailureReason::LimitExceeded)),
        ("11", other("debit_party_invalid_state")),
        ("17", other("internal_failure")),
        ("18", other("initiator_credential_check_failed")),
        ("19", other("message_sequencing_failure")),
        ("20", other("unresolved_initiator")),
        ("21", other("initiator_not_allowed")),
        ("22", other("initiator_not_active")),
        ("24", other("missing_mandatory_fields")),
        ("25", other("invalid_request_parameters")),
        ("26", failed(FailureReason::ProviderTimeout)),
        ("29", other("invalid_command")),
        ("2001", other("initiator_information_invalid")),
        ("2006", other("account_status_disallows")),
        ("2028", other("shortcode_not_permitted")),
        ("2040", failed(FailureReason::InvalidRecipient)),
        ("8006", other("security_credential_locked")),
        ("SFC_IC0003", failed(FailureReason::InvalidRecipient)),
        ("100000001", failed(FailureReason::ProviderTimeout)),
        ("100000002", failed(FailureReason::ProviderTimeout)),
        ("100000004", other("internal_error")),
        ("100000005", other("invalid_input_value")),
        ("100000007", other("service_abnormal")),
        ("100000009", other("api_abnormal")),
        ("100000010", other("insufficient_permissions")),
        ("100000011", failed(FailureReason::ProviderTimeout)),
    ];
    let mut n = 0;
    let mut check = |code: Value, expected: Status| {
        n += 1;
        let reference = format!("CODE-{n}");
        let url = callback_url(RESULT_URL, "payout", &reference);
        let event = deliver(
            &client,
            &url,
            &result_body(&reference, code.clone(), "AG_1"),
        )
        .unwrap_or_else(|e| panic!("{code}: {e:?}"));
        assert_eq!(event.status, expected, "{code}");
    };
    for (code, reason) in table {
        let expected = Status::failed(
            reason.unwrap(),
            Some(format!("{code}: as Safaricom words it")),
        );
        if let Ok(number) = code.parse::<u64>() {
            check(json!(number), expected.clone());
        }
        check(json!(code), expected);
    }
    check(json!(0), Status::Succeeded);
    check(json!("0"), Status::Succeeded);
    check(
        json!(15),
        Status::Unknown("result code 15 (duplicate detected)".into()),
    );
    check(json!(100000000), Status::Pending);
    check(json!("9999"), Status::Unknown("result code 9999".into()));
}

#[tokio::test]
async fn forged_replayed_and_misdirected_callbacks_are_refused() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let success = fixture("mpesa_daraja/result-success.json");
    let good = callback_url(RESULT_URL, "payout", REFERENCE);
    let refused = |url: &str, body: &[u8]| match deliver(&client, url, body) {
        Err(Error::Webhook(e)) => e,
        other => panic!("{url}: {other:?}"),
    };

    assert_eq!(
        refused(RESULT_URL, success.as_bytes()),
        WebhookError::MissingSignature("query parameter disburse_ref".into())
    );
    let forged = format!(
        "{RESULT_URL}?disburse_ref={REFERENCE}&disburse_for=payout&disburse_token={}",
        "0".repeat(64)
    );
    assert_eq!(
        refused(&forged, success.as_bytes()),
        WebhookError::SignatureMismatch
    );
    // Another payout's valid token, with this payout's body.
    let other_token = callback_url(RESULT_URL, "payout", "OTHER-1");
    assert!(matches!(
        refused(&other_token, success.as_bytes()),
        WebhookError::InvalidBody(_)
    ));
    // This payout's token, for another purpose than the URL claims.
    let swapped = format!(
        "{RESULT_URL}?disburse_ref={REFERENCE}&disburse_for=status&disburse_token={}",
        token("payout", REFERENCE)
    );
    assert_eq!(
        refused(&swapped, success.as_bytes()),
        WebhookError::SignatureMismatch
    );
    // Garbage with a valid token.
    assert!(matches!(
        refused(&good, b"<html>nope</html>"),
        WebhookError::InvalidBody(_)
    ));

    // The real result, then Daraja's retry of it: accepted twice, same event id.
    let first = deliver(&client, &good, success.as_bytes()).unwrap();
    let again = deliver(&client, &good, success.as_bytes()).unwrap();
    assert_eq!(first.event_id, again.event_id);
    assert_eq!(
        first.event_id.as_deref(),
        Some("AG_20240706_2010759fd5662ef6d054:result:0")
    );
    // A replayed failure for the same payout is refused; the record stays paid.
    let failure = fixture("mpesa_daraja/result-failure-2001.json");
    assert!(matches!(
        refused(&good, failure.as_bytes()),
        WebhookError::InvalidBody(_)
    ));
    let found = client
        .find_payout(&Reference::new(REFERENCE).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, Status::Succeeded);
}

#[tokio::test]
async fn a_queue_timeout_callback_reports_an_unknown_outcome() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let url = callback_url(TIMEOUT_URL, "payout_timeout", REFERENCE);
    let event = deliver(&client, &url, b"{\"anything\": true}").unwrap();
    assert_eq!(event.reference.as_deref(), Some(REFERENCE));
    assert!(matches!(event.status, Status::Unknown(_)), "{event:?}");
    // A timeout token does not open the result URL.
    let misuse = format!(
        "{RESULT_URL}?disburse_ref={REFERENCE}&disburse_for=payout&disburse_token={}",
        token("payout_timeout", REFERENCE)
    );
    assert!(matches!(
        deliver(
            &client,
            &misuse,
            fixture("mpesa_daraja/result-success.json").as_bytes()
        ),
        Err(Error::Webhook(WebhookError::SignatureMismatch))
    ));
}

#[tokio::test]
async fn a_refusing_acknowledgement_and_an_unreadable_one_are_told_apart() {
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ConversationID": "",
            "OriginatorConversationID": "600997_Test_32et3241ed8yu",
            "ResponseCode": 1,
            "ResponseDescription": "Rejected"
        })))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>gateway</html>"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    match client.create_payout(&documented_request()).await {
        Err(Error::Rejected {
            status: 200,
            code: RejectCode::Other,
            provider_code,
            message,
            ..
        }) => {
            assert_eq!(provider_code.as_deref(), Some("1"));
            assert_eq!(message, "Rejected");
        }
        other => panic!("{other:?}"),
    }
    let err = client
        .create_payout(&documented_request())
        .await
        .unwrap_err();
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                cause: Ambiguity::UndecodableResponse { status: 200 },
                ..
            }
        ),
        "{err:?}"
    );
}

/// Issues `access-1`, `access-2`, … in order, one per token request.
struct NumberedTokens(std::sync::atomic::AtomicUsize);

impl wiremock::Respond for NumberedTokens {
    fn respond(&self, _request: &wiremock::Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        ResponseTemplate::new(200)
            .set_body_json(json!({"access_token": format!("access-{n}"), "expires_in": "3599"}))
    }
}

/// Answers B2C requests like Daraja expiring tokens on its side: `access-1` is already
/// expired, `access-2` works once and then expires too, `access-3` works.
struct ExpiringPayouts(std::sync::atomic::AtomicUsize);

impl wiremock::Respond for ExpiringPayouts {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let auth = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let expired = answer(404, "mpesa_daraja/invalid-access-token.json");
        let accepted = answer(200, "mpesa_daraja/b2c-accepted.json");
        match auth {
            "Bearer access-1" => expired,
            "Bearer access-2" if self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 0 => {
                accepted
            }
            "Bearer access-2" => expired,
            "Bearer access-3" => accepted,
            _ => ResponseTemplate::new(418),
        }
    }
}

/// A clock the test moves.
#[derive(Debug, Clone, Default)]
struct TestClock(std::sync::Arc<std::sync::atomic::AtomicI64>);

impl disburse::webhook::Clock for TestClock {
    fn now_unix(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

#[tokio::test]
async fn tokens_expired_twice_one_second_apart_are_renewed_once_per_call() {
    use std::sync::atomic::Ordering;
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(TOKEN_PATH))
        .and(header("authorization", basic().as_str()))
        .respond_with(NumberedTokens(Default::default()))
        .named("tokens")
        .expect(3)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(PAYOUT_PATH))
        .respond_with(ExpiringPayouts(Default::default()))
        .named("b2c")
        .expect(4)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let clock = TestClock::default();
    clock.0.store(1_000_000, Ordering::SeqCst);
    let client =
        DarajaClient::new(config(&server).with_clock(std::sync::Arc::new(clock.clone()))).unwrap();
    // Daraja expired the first token: one renewal, then the payout.
    let first = client.create_payout(&documented_request()).await.unwrap();
    assert_eq!(first.status, Status::Pending);
    assert_eq!(requests_to_path(&server, TOKEN_PATH).await, 2);
    // One second later Daraja expires the renewed token too: renewed again, not reused.
    clock.0.store(1_000_001, Ordering::SeqCst);
    let mut second = documented_request();
    second.reference = Reference::new("Test_second").unwrap();
    assert_eq!(
        client.create_payout(&second).await.unwrap().status,
        Status::Pending
    );
    assert_eq!(requests_to_path(&server, TOKEN_PATH).await, 3);

    let auths: Vec<String> = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == PAYOUT_PATH)
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

/// `PayoutProvider::reconcile` on Daraja in each state: found (the result callback recorded),
/// cannot tell (the reference holds another amount), not found (the Transaction Status answer
/// says Safaricom has no such transaction).
#[tokio::test]
async fn reconcile_is_found_cannot_tell_and_not_found() {
    use disburse::reconcile::{Evidence, Reconciliation};
    let server = MockServer::start().await;
    mount_token(&server, "mpesa_daraja/token.json", 1).await;
    Mock::given(method("POST"))
        .and(path(STATUS_PATH))
        .respond_with(answer(200, "mpesa_daraja/b2c-accepted.json"))
        .expect(1)
        .named("transaction status of the never-sent payout")
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    let evidence = Evidence::new(disburse::Utc::now());

    // Found: the result callback of the documented payout (10 KES) was received.
    deliver(
        &client,
        &callback_url(RESULT_URL, "payout", REFERENCE),
        fixture("mpesa_daraja/result-success.json").as_bytes(),
    )
    .unwrap();
    match client
        .reconcile(&documented_request(), &evidence)
        .await
        .unwrap()
    {
        Reconciliation::Found(payout) => {
            assert_eq!(payout.id, "600997_Test_32et3241ed8yu");
            assert_eq!(payout.status, Status::Succeeded);
        }
        other => panic!("expected found, got {other:?}"),
    }

    // Cannot tell: the same reference with another amount.
    let mut reused = documented_request();
    reused.amount = kes("11");
    match client.reconcile(&reused, &evidence).await.unwrap() {
        Reconciliation::CannotTell(why) => {
            assert!(
                why.reason
                    .contains("the reference was used for another payout"),
                "{why}"
            );
            assert_eq!(why.candidates, vec!["600997_Test_32et3241ed8yu".to_owned()]);
            assert!(why.operator.contains(REFERENCE), "{why}");
        }
        other => panic!("expected cannot tell, got {other:?}"),
    }

    // Not found: a Transaction Status query, answered by a callback with a non-zero code.
    let never_sent = PayoutRequest::new(
        Reference::new("never-sent-1").unwrap(),
        kes("10"),
        safaricom("+254705912645"),
    );
    let asking = {
        let client = client.clone();
        let evidence = evidence.clone();
        tokio::spawn(async move { client.reconcile(&never_sent, &evidence).await })
    };
    let query = wait_for_requests(&server, STATUS_PATH, 1).await.remove(0);
    let result_url = query["ResultURL"].as_str().unwrap().to_owned();
    assert_eq!(
        result_url,
        callback_url(RESULT_URL, "status", "never-sent-1")
    );
    deliver(
        &client,
        &result_url,
        &result_body("never-sent-1", json!("R000001"), "AG_20240706_0000"),
    )
    .unwrap();
    assert_eq!(asking.await.unwrap().unwrap(), Reconciliation::NotFound);
}

/// How many requests `server` received at `to` (whatever their body).
async fn requests_to_path(server: &MockServer, to: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path() == to)
        .count()
}
