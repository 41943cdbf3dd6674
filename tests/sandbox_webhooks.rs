//! Webhooks from the sandbox reach a loopback receiver, signed exactly as the adapters verify
//! them (checked with the crate's own `HmacVerifier`), and are retried on non-2xx.
#![cfg(feature = "sandbox")]

mod sandbox_support;

use std::time::Duration;

use disburse::sandbox::{PAYONIFY_CREDENTIALS, Sandbox, VESICASH_CREDENTIALS};
use disburse::webhook::{HmacVerifier, SignatureEncoding, WebhookError};
use disburse::{Currency, Money, ProviderId};
use sandbox_support::*;
use secrecy::SecretString;
use serde_json::{Value, json};

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

#[tokio::test]
async fn vesicash_payout_webhooks_are_signed_hex_hmac_of_the_body() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let body = format!(
        r#"{{"amount": 75.25, "country_id": "4", "transfer_to": "mobile_number", "momo_phone_number": "260999993000", "webhook_url": "{}/vesicash", "reason": "W-1"}}"#,
        receiver.base
    );
    let (status, answer) = vesicash_post(&sandbox, "/v1/payment/payout/process", &body).await;
    assert_eq!(status, 200, "{answer}");
    let reference = answer["data"]["reference"].as_str().unwrap();

    let hit = receiver.wait_for(1).await.remove(0);
    assert_eq!(hit.uri, "/vesicash");
    let signature = hit.headers["x-vesicash-signature"].to_str().unwrap();
    let verifier = HmacVerifier::new(secret(VESICASH_CREDENTIALS.webhook_secret));
    verifier
        .verify(&hit.body, &[signature], SignatureEncoding::Hex)
        .unwrap();
    assert_eq!(
        HmacVerifier::new(secret("other")).verify(&hit.body, &[signature], SignatureEncoding::Hex),
        Err(WebhookError::SignatureMismatch)
    );
    let payload: Value = serde_json::from_slice(&hit.body).unwrap();
    assert_eq!(
        payload,
        json!({"event": "payout.successful", "data": {"reference": reference, "status": "successful", "amount": 75.25}})
    );
    assert!(
        std::str::from_utf8(&hit.body)
            .unwrap()
            .contains("\"amount\":75.25")
    );

    let log = eventually("the delivery log", || async {
        sandbox.webhooks().into_iter().next()
    })
    .await;
    assert_eq!(log.provider, ProviderId::VESICASH);
    assert_eq!(log.event, "payout.successful");
    assert_eq!(log.entry_id, reference);
    assert_eq!(
        (log.attempts, log.status, log.delivered),
        (1, Some(200), true)
    );
    assert_eq!(log.signature.as_deref(), Some(signature));
}

#[tokio::test]
async fn vesicash_refund_and_failed_payout_webhooks_name_the_outcome() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    sandbox.set_webhook_url(
        ProviderId::VESICASH,
        Some(&format!("{}/dashboard", receiver.base)),
    );
    let payment = sandbox.vesicash_create_payment(Money::parse("50", Currency::NGN).unwrap());
    let refund = format!(
        r#"{{"amount": 20, "payment_reference": "{payment}", "country_id": "1", "transfer_to": "mobile_number", "momo_phone_number": "2348031234567", "reason": "R-1"}}"#
    );
    assert_eq!(
        vesicash_post(&sandbox, "/v1/payment/refunds/process", &refund)
            .await
            .0,
        200
    );
    let hits = receiver.wait_for(1).await;
    let refund_event: Value = serde_json::from_slice(&hits[0].body).unwrap();
    assert_eq!(refund_event["event"], "refund.successful");
    assert_eq!(refund_event["data"]["payment_reference"], payment.as_str());
    assert_eq!(hits[0].uri, "/dashboard");

    let failing = r#"{"amount": 5, "country_id": "4", "transfer_to": "mobile_number", "momo_phone_number": "260999990003", "reason": "R-2"}"#;
    assert_eq!(
        vesicash_post(&sandbox, "/v1/payment/payout/process", failing)
            .await
            .0,
        200
    );
    let hits = receiver.wait_for(2).await;
    let failed: Value = serde_json::from_slice(&hits[1].body).unwrap();
    assert_eq!(failed["event"], "payout.failed");
    assert_eq!(failed["data"]["status"], "failed");
    assert_eq!(failed["data"]["reason"], "ACCOUNT_BLOCKED");
}

#[tokio::test]
async fn jpay_callbacks_go_to_the_callback_url_as_given_in_the_documented_shape() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let (token, _) = jpay_token(&sandbox).await;
    let callback = format!("{}/jpay/callback?token=abc.def%2B1", receiver.base);
    let body = format!(
        r#"{{"payto": "+254712345678", "amount": "1000.00", "ref_no": "PAYOUT-2024-001", "callback_url": "{callback}"}}"#
    );
    let (status, answer) = jpay_post(&sandbox, &token, "/payments/payouts/initiate", &body).await;
    assert_eq!(status, 200, "{answer}");

    let hit = receiver.wait_for(1).await.remove(0);
    assert_eq!(hit.uri, "/jpay/callback?token=abc.def%2B1");
    assert!(hit.headers.get("x-vesicash-signature").is_none());
    let payload: Value = serde_json::from_slice(&hit.body).unwrap();
    let date = payload["data"]["transaction_date"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        chrono::DateTime::parse_from_rfc3339(&date).is_ok()
            && date.ends_with('Z')
            && date.len() == 24,
        "{date}"
    );
    let trans_id = payload["data"]["trans_id"].as_str().unwrap().to_owned();
    let external_ref = payload["data"]["external_ref"].as_str().unwrap().to_owned();
    assert!(
        external_ref.starts_with("PR") && external_ref.len() == 7,
        "{external_ref}"
    );
    assert_eq!(
        payload,
        json!({
            "notification": {"type": "payout", "event": "transaction.completed"},
            "data": {
                "result_code": 0,
                "result_description": "The service request is processed successfully",
                "amount": "1000.00",
                "ref_no": "PAYOUT-2024-001",
                "beneficiary": {"account": "+254712345678", "kyc": null},
                "transaction_date": date,
                "external_ref": external_ref,
                "trans_id": trans_id,
            }
        })
    );
    let (_, payout) = jpay_get(
        &sandbox,
        &token,
        &format!("/payments/payouts/{}", answer["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(payout["trans_id"], trans_id.as_str());
}

#[tokio::test]
async fn jpay_failed_callbacks_carry_a_nonzero_result_code() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    let (token, _) = jpay_token(&sandbox).await;
    let body = format!(
        r#"{{"payto": "+254712340001", "amount": "10.00", "ref_no": "F-1", "callback_url": "{}/cb"}}"#,
        receiver.base
    );
    assert_eq!(
        jpay_post(&sandbox, &token, "/payments/payouts/initiate", &body)
            .await
            .0,
        200
    );
    let payload: Value = serde_json::from_slice(&receiver.wait_for(1).await[0].body).unwrap();
    assert_eq!(payload["notification"]["event"], "transaction.failed");
    assert_eq!(payload["data"]["result_code"], 1);
    assert_eq!(
        payload["data"]["result_description"],
        "The balance is insufficient for the transaction."
    );
    assert_eq!(payload["data"]["trans_id"], "");
}

#[tokio::test]
async fn payonify_events_are_signed_t_v1_and_carry_the_payout() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start(0).await;
    sandbox.set_webhook_url(
        ProviderId::PAYONIFY,
        Some(&format!("{}/payonify", receiver.base)),
    );
    let (status, created) = payonify_post(
        &sandbox,
        "/v1/payouts",
        Some("evt-1"),
        &payonify_payout(2500, "usd", "771110005"),
    )
    .await;
    assert_eq!(status, 200);

    let hit = receiver.wait_for(1).await.remove(0);
    let header = hit.headers["payonify-signature"].to_str().unwrap();
    let (t, v1) = header
        .split_once(',')
        .and_then(|(t, v)| Some((t.strip_prefix("t=")?, v.strip_prefix("v1=")?)))
        .unwrap();
    let verifier = HmacVerifier::new(secret(PAYONIFY_CREDENTIALS.webhook_secret));
    verifier.check_timestamp(t).unwrap();
    let mut signed = format!("{t}.").into_bytes();
    signed.extend_from_slice(&hit.body);
    verifier
        .verify(&signed, &[v1], SignatureEncoding::Hex)
        .unwrap();
    assert_eq!(
        verifier.verify(&hit.body, &[v1], SignatureEncoding::Hex),
        Err(WebhookError::SignatureMismatch)
    );

    let event: Value = serde_json::from_slice(&hit.body).unwrap();
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(event["object"], "event");
    assert_eq!(event["type"], "payout.failed");
    assert_eq!(event["livemode"], false);
    assert!(event["created"].is_i64());
    let payout = &event["data"]["object"];
    assert_eq!(payout["id"], created["id"]);
    assert_eq!(payout["status"], "failed");
    assert_eq!(payout["failure_code"], "declined");
}

#[tokio::test]
async fn payonify_sends_nothing_without_a_webhook_endpoint() {
    let sandbox = sandbox().await;
    let (status, body) = payonify_post(
        &sandbox,
        "/v1/payouts",
        None,
        &payonify_payout(2500, "usd", "771111111"),
    )
    .await;
    assert_eq!(status, 200);
    let id = body["id"].as_str().unwrap().to_owned();
    eventually("the payout to settle", || async {
        sandbox
            .entry(ProviderId::PAYONIFY, &id)
            .filter(|e| e.status.is_final())
    })
    .await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(sandbox.webhooks().is_empty());
}

#[tokio::test]
async fn deliveries_are_retried_until_a_2xx_and_given_up_after_the_last_attempt() {
    let sandbox = Sandbox::builder()
        .settle_after(Duration::ZERO)
        .webhook_retries(3, Duration::from_millis(10))
        .start()
        .await
        .unwrap();
    let flaky = Receiver::start(2).await;
    sandbox.set_webhook_url(ProviderId::PAYONIFY, Some(&format!("{}/hook", flaky.base)));
    assert_eq!(
        payonify_post(
            &sandbox,
            "/v1/payouts",
            None,
            &payonify_payout(100, "usd", "771111111")
        )
        .await
        .0,
        200
    );
    let delivery = eventually("a logged delivery", || async {
        sandbox.webhooks().into_iter().next()
    })
    .await;
    assert_eq!(
        (delivery.attempts, delivery.status, delivery.delivered),
        (3, Some(200), true)
    );
    let hits = flaky.hits();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0].body, hits[2].body);

    let down = Receiver::start(usize::MAX).await;
    sandbox.set_webhook_url(ProviderId::PAYONIFY, Some(&format!("{}/hook", down.base)));
    assert_eq!(
        payonify_post(
            &sandbox,
            "/v1/payouts",
            None,
            &payonify_payout(100, "usd", "771111111")
        )
        .await
        .0,
        200
    );
    let given_up = eventually("a second logged delivery", || async {
        sandbox.webhooks().into_iter().nth(1)
    })
    .await;
    assert_eq!(
        (given_up.attempts, given_up.status, given_up.delivered),
        (3, Some(500), false)
    );
}
