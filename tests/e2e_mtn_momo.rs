//! End to end: the MTN MoMo adapter against the embedded sandbox, callbacks included.
#![cfg(feature = "sandbox")]

mod e2e_support;

use disburse::providers::mtn_momo::{MtnMomoClient, PayoutMode};
use disburse::{
    Currency, Destination, Error, EventObject, FailureReason, Money, Msisdn, PayoutProvider,
    PayoutRequest, ProviderId, RefundRequest, Status, WebhookError, WebhookRequest,
};
use e2e_support::{Receiver, reference, sandbox};

fn eur(text: &str) -> Money {
    Money::parse(text, Currency::EUR).expect("amount")
}

fn payout(reference_text: &str, number: &str, receiver: &Receiver) -> PayoutRequest {
    PayoutRequest::new(
        reference(reference_text),
        eur("15.00"),
        Destination::mobile(Msisdn::parse(number).expect("number")),
    )
    .with_narration("Salary June")
    .with_callback_url(receiver.callback("/hooks/mtn?shop=7"))
}

#[tokio::test]
async fn a_transfer_callback_verifies_and_is_confirmed_with_mtn() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.mtn_momo_client().expect("client");
    let created = client
        .create_payout(&payout("order-m-ok", "+46733123999", &receiver))
        .await
        .expect("accepted");

    let delivery = receiver.wait_for("order-m-ok").await;
    assert_eq!(delivery.method, "POST", "a transfer's callback is a POST");
    assert!(delivery.url.contains("shop=7"), "{}", delivery.url);
    assert!(
        delivery.url.contains("disburse_object=payout"),
        "{}",
        delivery.url
    );
    let event = client
        .parse_webhook(&delivery.request())
        .expect("callback token verifies");
    assert_eq!(event.provider, ProviderId::MTN_MOMO);
    assert_eq!(event.object, EventObject::Payout);
    assert_eq!(event.status, Status::Succeeded);
    assert_eq!(event.reference.as_deref(), Some("order-m-ok"));
    assert_eq!(
        event.provider_reference.as_deref(),
        Some(created.id.as_str())
    );
    assert_eq!(event.amount, Some(eur("15.00")));

    let confirmed = client
        .parse_webhook_confirmed(&delivery.request())
        .await
        .expect("confirmed");
    assert_eq!(confirmed.status, Status::Succeeded);

    // A body claiming another outcome keeps its token (about the same reference) but is not
    // believed: the confirmed status is MTN's.
    let forged = String::from_utf8(delivery.body.to_vec())
        .unwrap()
        .replace("SUCCESSFUL", "FAILED");
    let forged = WebhookRequest::post(&delivery.url, &delivery.headers, forged.as_bytes());
    assert_eq!(
        client.parse_webhook(&forged).unwrap().status,
        Status::failed(FailureReason::Other("FAILED".into()), None)
    );
    let confirmed = client.parse_webhook_confirmed(&forged).await.unwrap();
    assert_eq!(confirmed.status, Status::Succeeded, "MTN's own word wins");

    // Another amount is refused; a callback for another reference does not verify.
    let other_amount = String::from_utf8(delivery.body.to_vec())
        .unwrap()
        .replace("15.00", "1500.00");
    let other_amount =
        WebhookRequest::post(&delivery.url, &delivery.headers, other_amount.as_bytes());
    assert!(matches!(
        client.parse_webhook_confirmed(&other_amount).await,
        Err(Error::Webhook(WebhookError::InvalidBody(_)))
    ));
    let other_reference = String::from_utf8(delivery.body.to_vec())
        .unwrap()
        .replace("order-m-ok", "order-m-xx");
    let other_reference =
        WebhookRequest::post(&delivery.url, &delivery.headers, other_reference.as_bytes());
    assert!(matches!(
        client.parse_webhook(&other_reference),
        Err(Error::Webhook(WebhookError::SignatureMismatch))
    ));
    let without_token = delivery.url.split('?').next().unwrap().to_owned();
    let without_token = WebhookRequest::post(&without_token, &delivery.headers, &delivery.body);
    assert!(matches!(
        client.parse_webhook(&without_token),
        Err(Error::Webhook(WebhookError::MissingSignature(_)))
    ));

    // With confirmation required, the synchronous parse refuses.
    let strict =
        MtnMomoClient::new(sandbox.mtn_momo_config().with_confirm_callbacks(true)).unwrap();
    assert!(matches!(
        strict.parse_webhook(&delivery.request()),
        Err(Error::Unsupported { .. })
    ));
}

#[tokio::test]
async fn a_failed_deposit_v2_calls_back_with_put_and_a_refund_callback_names_the_refund() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = MtnMomoClient::new(
        sandbox
            .mtn_momo_config()
            .with_payout_mode(PayoutMode::DepositV2),
    )
    .unwrap();
    client
        .create_payout(&payout("order-m-fail", "+46733123457", &receiver))
        .await
        .expect("accepted");
    let delivery = receiver.wait_for("order-m-fail").await;
    assert_eq!(delivery.method, "PUT", "a v2 deposit's callback is a PUT");
    let event = client.parse_webhook(&delivery.request()).unwrap();
    let expected = Status::failed(
        FailureReason::InvalidRecipient,
        Some("PAYEE_NOT_FOUND: Payee does not exist".into()),
    );
    assert_eq!(event.status, expected);
    let confirmed = client
        .parse_webhook_confirmed(&delivery.request())
        .await
        .unwrap();
    assert_eq!(confirmed.status, expected);

    let payment = sandbox.mtn_momo_create_payment(eur("20.00"));
    let refund = RefundRequest::new(
        reference("refund-m-1"),
        payment,
        eur("5.00"),
        Destination::mobile(Msisdn::parse("+46733123999").unwrap()),
    )
    .with_callback_url(receiver.callback("/hooks/mtn"));
    let created = client.create_refund(&refund).await.unwrap();
    let delivery = receiver.wait_for("refund-m-1").await;
    assert_eq!(delivery.method, "PUT", "a v2 refund's callback is a PUT");
    let event = client
        .parse_webhook_confirmed(&delivery.request())
        .await
        .unwrap();
    assert_eq!(event.object, EventObject::Refund);
    assert_eq!(
        event.provider_reference.as_deref(),
        Some(created.id.as_str())
    );
    assert_eq!(event.status, Status::Succeeded);
}
