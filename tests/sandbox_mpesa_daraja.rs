//! The simulated M-Pesa Daraja through raw HTTP: the OAuth token and its refusals, the B2C
//! request checked field by field (SecurityCredential decrypted), the duplicate refusal, results
//! POSTed to the `ResultURL` with the scripted result codes, Transaction Status and Account
//! Balance answered by callback, and an injected fault; then the Daraja adapter against it.
#![cfg(feature = "sandbox")]

mod sandbox_support;

use aws_lc_rs::rsa::{Pkcs1PublicEncryptingKey, PublicEncryptingKey};
use base64::Engine as _;
use disburse::providers::mpesa_daraja::DarajaClient;
use disburse::sandbox::{EntryStatus, Fault, MPESA_DARAJA_CREDENTIALS, Route, Sandbox};
use disburse::{
    CallbackUrl, Currency, Destination, Money, Msisdn, PayoutProvider, PayoutRequest, ProviderId,
    Reference, Status, WebhookRequest,
};
use sandbox_support::*;
use serde_json::{Value, json};

const B2C: &str = "/mpesa/b2c/v3/paymentrequest";
const STATUS: &str = "/mpesa/transactionstatus/v1/query";
const BALANCE: &str = "/mpesa/accountbalance/v1/query";

/// The initiator password encrypted as the adapter does it (RSA PKCS#1 v1.5 under the sandbox
/// certificate's key, base64).
fn credential(password: &str) -> String {
    let pem = include_str!("../fixtures/mpesa_daraja/keys/test_public_key.pem");
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    let key = Pkcs1PublicEncryptingKey::new(PublicEncryptingKey::from_der(&der).unwrap()).unwrap();
    let mut out = vec![0u8; key.ciphertext_size()];
    let sealed = key.encrypt(password.as_bytes(), &mut out).unwrap();
    base64::engine::general_purpose::STANDARD.encode(sealed)
}

async fn token(sandbox: &Sandbox) -> String {
    let (status, body) = answer(
        client()
            .get(format!(
                "{}/oauth/v1/generate?grant_type=client_credentials",
                sandbox.base_url_mpesa_daraja()
            ))
            .basic_auth(
                MPESA_DARAJA_CREDENTIALS.consumer_key,
                Some(MPESA_DARAJA_CREDENTIALS.consumer_secret),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body["access_token"].as_str().unwrap().to_owned()
}

async fn post(sandbox: &Sandbox, token: &str, path: &str, body: &Value) -> (u16, Value) {
    answer(
        client()
            .post(format!("{}{path}", sandbox.base_url_mpesa_daraja()))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// The documented B2C request, with this test's id, number and callback URLs.
fn b2c(reference: &str, party_b: &str, receiver: &Receiver) -> Value {
    json!({
        "OriginatorConversationID": format!("600997_{reference}"),
        "InitiatorName": "testapi",
        "SecurityCredential": credential(MPESA_DARAJA_CREDENTIALS.initiator_password),
        "CommandID": "BusinessPayment",
        "Amount": "10",
        "PartyA": "600997",
        "PartyB": party_b,
        "Remarks": "Test remarks",
        "QueueTimeOutURL": format!("{}/timeout/{reference}", receiver.base),
        "ResultURL": format!("{}/result/{reference}", receiver.base),
        "Occassion": "Christmas",
    })
}

fn daraja_error(code: &str, message: &str) -> Value {
    json!({"requestId": "sandbox-request", "errorCode": code, "errorMessage": message})
}

fn result_of(hit: &Hit) -> Value {
    serde_json::from_slice::<Value>(&hit.body).unwrap()["Result"].clone()
}

fn param(result: &Value, key: &str) -> Value {
    result["ResultParameters"]["ResultParameter"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["Key"] == key)
        .map(|p| p["Value"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_token_call_answers_the_documented_shape_and_refuses_bad_auth() {
    let sandbox = sandbox().await;
    let url = format!(
        "{}/oauth/v1/generate?grant_type=client_credentials",
        sandbox.base_url_mpesa_daraja()
    );
    let (status, body) = answer(
        client()
            .get(&url)
            .basic_auth(
                MPESA_DARAJA_CREDENTIALS.consumer_key,
                Some(MPESA_DARAJA_CREDENTIALS.consumer_secret),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["access_token", "expires_in"]);
    assert_eq!(body["expires_in"], "3599");

    let (status, body) = answer(
        client()
            .get(&url)
            .basic_auth(MPESA_DARAJA_CREDENTIALS.consumer_key, Some("wrong"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        daraja_error("400.008.01", "Invalid Authentication passed")
    );

    let (status, body) = answer(
        client()
            .get(format!(
                "{}/oauth/v1/generate",
                sandbox.base_url_mpesa_daraja()
            ))
            .basic_auth(
                MPESA_DARAJA_CREDENTIALS.consumer_key,
                Some(MPESA_DARAJA_CREDENTIALS.consumer_secret),
            )
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        daraja_error("400.008.02", "Invalid grant type passed")
    );
}

#[tokio::test]
async fn a_refused_token_is_404_001_03_and_a_new_token_replaces_the_old_in_single_token_mode() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let request = b2c("tok-1", "254708374149", &receiver);
    let (status, body) = post(&sandbox, "not-a-token", B2C, &request).await;
    assert_eq!(
        (status, body),
        (404, daraja_error("404.001.03", "Invalid Access Token"))
    );

    let first = token(&sandbox).await;
    sandbox.expire_mpesa_daraja_tokens();
    let (status, _) = post(&sandbox, &first, B2C, &request).await;
    assert_eq!(status, 404);

    sandbox.mpesa_daraja_single_token(true);
    let older = token(&sandbox).await;
    let newer = token(&sandbox).await;
    let (status, body) = post(&sandbox, &older, B2C, &request).await;
    assert_eq!(
        (status, body),
        (404, daraja_error("404.001.03", "Invalid Access Token"))
    );
    let (status, _) = post(&sandbox, &newer, B2C, &request).await;
    assert_eq!(status, 200);
    assert_eq!(sandbox.mpesa_daraja_tokens_issued(), 3);
}

#[tokio::test]
async fn a_b2c_request_is_acknowledged_then_its_result_is_posted_to_the_result_url() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let token = token(&sandbox).await;
    let before = sandbox
        .balance(ProviderId::MPESA_DARAJA, Currency::KES)
        .unwrap();

    let (status, ack) = post(
        &sandbox,
        &token,
        B2C,
        &b2c("order-1", "254708374149", &receiver),
    )
    .await;
    assert_eq!(status, 200, "{ack}");
    let keys: Vec<&String> = ack.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "ConversationID",
            "OriginatorConversationID",
            "ResponseCode",
            "ResponseDescription"
        ]
    );
    assert_eq!(ack["OriginatorConversationID"], "600997_order-1");
    assert_eq!(ack["ResponseCode"], "0");
    assert_eq!(
        ack["ResponseDescription"],
        "Accept the service request successfully."
    );
    let conversation = ack["ConversationID"].as_str().unwrap();
    assert!(conversation.starts_with("AG_"), "{conversation}");

    let hits = receiver.wait_for(1).await;
    assert_eq!(hits[0].uri, "/result/order-1");
    assert!(hits[0].headers.get("x-signature").is_none());
    let result = result_of(&hits[0]);
    assert_eq!(result["ResultType"], 0);
    assert_eq!(result["ResultCode"], 0);
    assert_eq!(
        result["ResultDesc"],
        "The service request is processed successfully."
    );
    assert_eq!(result["OriginatorConversationID"], "600997_order-1");
    assert_eq!(result["ConversationID"], conversation);
    assert_eq!(param(&result, "TransactionAmount"), 10);
    assert_eq!(
        param(&result, "TransactionReceipt"),
        result["TransactionID"]
    );
    assert_eq!(param(&result, "B2CRecipientIsRegisteredCustomer"), "Y");

    let paid = sandbox.payouts_for_reference(ProviderId::MPESA_DARAJA, "order-1");
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].status, EntryStatus::Succeeded);
    assert_eq!(paid[0].id, "600997_order-1");
    assert_eq!(paid[0].recipient, "254708374149");
    let after = sandbox
        .balance(ProviderId::MPESA_DARAJA, Currency::KES)
        .unwrap();
    assert_eq!(
        before.amount() - after.amount(),
        rust_decimal::Decimal::from(10)
    );
    let logged = sandbox
        .requests()
        .into_iter()
        .find(|r| r.path == B2C)
        .unwrap();
    assert_eq!(logged.reference.as_deref(), Some("order-1"));
}

#[tokio::test]
async fn a_reused_originator_conversation_id_is_refused_as_a_duplicate() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let token = token(&sandbox).await;
    let request = b2c("order-dup", "254708374149", &receiver);
    assert_eq!(post(&sandbox, &token, B2C, &request).await.0, 200);
    let (status, body) = post(&sandbox, &token, B2C, &request).await;
    assert_eq!(status, 500);
    assert_eq!(
        body,
        daraja_error("500.002.1001", "Duplicate OriginatorConversationID.")
    );
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::MPESA_DARAJA, "order-dup")
            .len(),
        1
    );
}

#[tokio::test]
async fn scripted_recipients_end_with_documented_result_codes() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let token = token(&sandbox).await;
    let table = [
        (
            "0001",
            "1",
            "The balance is insufficient for the transaction.",
        ),
        ("0002", "SFC_IC0003", "The operator does not exist."),
        (
            "0003",
            "2040",
            "Credit Party customer type (Unregistered or Registered Customer) can't be supported by the service.",
        ),
        (
            "0005",
            "8",
            "The amount would exceed the customer's maximum balance.",
        ),
    ];
    for (i, (ending, code, desc)) in table.iter().enumerate() {
        let reference = format!("scripted-{ending}");
        let request = b2c(&reference, &format!("25470837{ending}"), &receiver);
        assert_eq!(post(&sandbox, &token, B2C, &request).await.0, 200);
        let hits = receiver.wait_for(i + 1).await;
        let result = result_of(&hits[i]);
        let expected_code = code.parse::<u64>().map_or(json!(code), |n| json!(n));
        assert_eq!(result["ResultCode"], expected_code, "{ending}");
        assert_eq!(result["ResultDesc"], *desc);
        assert!(result.get("ResultParameters").is_none());
        let entry = &sandbox.payouts_for_reference(ProviderId::MPESA_DARAJA, &reference)[0];
        assert_eq!(
            entry.status,
            EntryStatus::Failed {
                code: (*code).to_owned(),
                message: (*desc).to_owned()
            }
        );
    }
    // 0004 stays pending: no result ever.
    let request = b2c("scripted-0004", "254708370004", &receiver);
    assert_eq!(post(&sandbox, &token, B2C, &request).await.0, 200);
    let entry = &sandbox.payouts_for_reference(ProviderId::MPESA_DARAJA, "scripted-0004")[0];
    assert_eq!(entry.status, EntryStatus::Pending);
}

#[tokio::test]
async fn a_wrong_security_credential_is_accepted_then_fails_with_2001_and_takes_nothing() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let token = token(&sandbox).await;
    let before = sandbox
        .balance(ProviderId::MPESA_DARAJA, Currency::KES)
        .unwrap();
    let mut request = b2c("order-cred", "254708374149", &receiver);
    request["SecurityCredential"] = json!(credential("not-the-password"));
    assert_eq!(post(&sandbox, &token, B2C, &request).await.0, 200);
    let result = result_of(&receiver.wait_for(1).await[0]);
    assert_eq!(result["ResultCode"], 2001);
    assert_eq!(
        result["ResultDesc"],
        "The initiator information is invalid."
    );
    let after = sandbox
        .balance(ProviderId::MPESA_DARAJA, Currency::KES)
        .unwrap();
    assert_eq!(before, after);
}

#[tokio::test]
async fn invalid_fields_are_refused_before_anything_is_recorded() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let token = token(&sandbox).await;
    let cases = [
        ("Amount", json!("10.50"), "Bad Request - Invalid Amount"),
        ("Amount", json!("0"), "Bad Request - Invalid Amount"),
        (
            "PartyB",
            json!("0708374149"),
            "Bad Request - Invalid PartyB",
        ),
        ("PartyA", json!("600000"), "Bad Request - Invalid PartyA"),
        ("Remarks", json!("x"), "Bad Request - Invalid Remarks"),
        (
            "CommandID",
            json!("Payment"),
            "Bad Request - Invalid CommandID",
        ),
        (
            "ResultURL",
            json!("not a url"),
            "Bad Request - Invalid ResultURL",
        ),
    ];
    for (field, value, message) in cases {
        let mut request = b2c("order-bad", "254708374149", &receiver);
        request[field] = value;
        let (status, body) = post(&sandbox, &token, B2C, &request).await;
        assert_eq!(
            (status, body),
            (400, daraja_error("400.002.02", message)),
            "{field}"
        );
    }
    let (status, body) = answer(
        client()
            .post(format!("{}{B2C}", sandbox.base_url_mpesa_daraja()))
            .bearer_auth(&token)
            .body("{not json")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, daraja_error("400.002.05", "Invalid Request Payload"))
    );
    assert!(sandbox.ledger(ProviderId::MPESA_DARAJA).is_empty());
}

fn query(command: &str, receiver: &Receiver, path: &str) -> Value {
    json!({
        "Initiator": "testapi",
        "SecurityCredential": credential(MPESA_DARAJA_CREDENTIALS.initiator_password),
        "CommandID": command,
        "PartyA": "600997",
        "IdentifierType": "4",
        "ResultURL": format!("{}/{path}", receiver.base),
        "QueueTimeOutURL": format!("{}/{path}-timeout", receiver.base),
        "Remarks": "status",
    })
}

#[tokio::test]
async fn transaction_status_and_account_balance_answer_by_callback() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let token = token(&sandbox).await;
    assert_eq!(
        post(
            &sandbox,
            &token,
            B2C,
            &b2c("order-q", "254708374149", &receiver)
        )
        .await
        .0,
        200
    );
    receiver.wait_for(1).await;

    let mut status_query = query("TransactionStatusQuery", &receiver, "status");
    status_query["OriginalConversationID"] = json!("600997_order-q");
    status_query["Occasion"] = json!("");
    let (status, ack) = post(&sandbox, &token, STATUS, &status_query).await;
    assert_eq!(status, 200, "{ack}");
    assert_eq!(ack["ResponseCode"], "0");
    let hits = receiver.wait_for(2).await;
    assert_eq!(hits[1].uri, "/status");
    let result = result_of(&hits[1]);
    assert_eq!(result["ResultCode"], 0);
    assert_eq!(
        result["OriginatorConversationID"],
        ack["OriginatorConversationID"]
    );
    assert_eq!(param(&result, "OriginatorConversationID"), "600997_order-q");
    assert_eq!(param(&result, "TransactionStatus"), "Completed");
    assert_eq!(param(&result, "Amount"), "10");

    status_query["OriginalConversationID"] = json!("600997_never-sent");
    assert_eq!(post(&sandbox, &token, STATUS, &status_query).await.0, 200);
    let result = result_of(&receiver.wait_for(3).await[2]);
    assert_eq!(result["ResultCode"], 2032);

    sandbox.set_balance(
        ProviderId::MPESA_DARAJA,
        Money::parse("228037", Currency::KES).unwrap(),
    );
    let (status, _) = post(
        &sandbox,
        &token,
        BALANCE,
        &query("AccountBalance", &receiver, "balance"),
    )
    .await;
    assert_eq!(status, 200);
    let hits = receiver.wait_for(4).await;
    assert_eq!(hits[3].uri, "/balance");
    let balance = param(&result_of(&hits[3]), "AccountBalance");
    assert!(
        balance
            .as_str()
            .unwrap()
            .contains("&Utility Account|KES|228037.00|228037.00|0.00|0.00&"),
        "{balance}"
    );
}

#[tokio::test]
async fn a_dropped_answer_commits_once_and_the_resend_is_a_duplicate() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let token = token(&sandbox).await;
    sandbox.inject(
        ProviderId::MPESA_DARAJA,
        Route::post(B2C).for_reference("order-drop"),
        Fault::CommitThenDrop,
        1,
    );
    let request = b2c("order-drop", "254708374149", &receiver);
    let dropped = client()
        .post(format!("{}{B2C}", sandbox.base_url_mpesa_daraja()))
        .bearer_auth(&token)
        .json(&request)
        .send()
        .await;
    assert!(dropped.is_err(), "{dropped:?}");
    let (status, body) = post(&sandbox, &token, B2C, &request).await;
    assert_eq!(status, 500);
    assert_eq!(body["errorCode"], "500.002.1001");
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::MPESA_DARAJA, "order-drop")
            .len(),
        1
    );
}

/// The adapter, pointed at the sandbox with its certificate, pays and reads the result.
#[tokio::test]
async fn the_daraja_adapter_pays_through_the_sandbox_and_reads_the_result() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let config = sandbox.mpesa_daraja_config(
        CallbackUrl::parse(&format!("{}/daraja/result", receiver.base)).unwrap(),
        CallbackUrl::parse(&format!("{}/daraja/timeout", receiver.base)).unwrap(),
    );
    let adapter = DarajaClient::new(config).unwrap();
    let request = PayoutRequest::new(
        Reference::new("order-adapter").unwrap(),
        Money::parse("150", Currency::KES).unwrap(),
        Destination::mobile(Msisdn::parse("+254708374149").unwrap()),
    );
    let created = adapter.create_payout(&request).await.unwrap();
    assert_eq!(created.status, Status::Pending);
    let hit = &receiver.wait_for(1).await[0];
    let url = format!("{}{}", receiver.base, hit.uri);
    let event = adapter
        .parse_webhook(&WebhookRequest {
            method: "POST",
            url: &url,
            headers: &hit.headers,
            body: &hit.body,
        })
        .unwrap();
    assert_eq!(event.reference.as_deref(), Some("order-adapter"));
    assert_eq!(event.status, Status::Succeeded);
    let entry = &sandbox.payouts_for_reference(ProviderId::MPESA_DARAJA, "order-adapter")[0];
    assert_eq!(entry.id, "600997_order-adapter");
    assert_eq!(entry.amount, Money::parse("150", Currency::KES).unwrap());
}
