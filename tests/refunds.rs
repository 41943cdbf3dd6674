//! Refunds are first-class: read back by id (`get_refund`), by merchant reference where the
//! provider allows it (`find_refund`), and awaited like payouts (`await_refund`), against the
//! embedded sandbox's real HTTP.
#![cfg(feature = "sandbox")]

use std::time::Duration;

use disburse::sandbox::Sandbox;
use disburse::settle::{Awaited, Wait};
use disburse::{
    CallbackUrl, Currency, Destination, Error, Money, Msisdn, PayoutProvider, ProviderId,
    Reference, RefundRequest, Status,
};

async fn sandbox() -> Sandbox {
    // Refunds stay pending for a moment, so the wait has something to wait for.
    Sandbox::builder()
        .settle_after(Duration::from_millis(300))
        .start()
        .await
        .expect("sandbox starts")
}

fn wait() -> Wait {
    Wait::new()
        .first_delay(Duration::from_millis(50))
        .max_delay(Duration::from_millis(200))
        .timeout(Duration::from_secs(60))
}

fn wallet(number: &str) -> Destination {
    Destination::mobile(Msisdn::parse(number).unwrap())
}

#[tokio::test]
async fn vesicash_refunds_are_read_back_and_awaited() {
    let sandbox = sandbox().await;
    let client = sandbox.vesicash_client().unwrap();
    let payment = sandbox.vesicash_create_payment(Money::parse("100", Currency::ZMW).unwrap());
    let request = RefundRequest::new(
        Reference::new("refund-await-v").unwrap(),
        payment.clone(),
        Money::parse("40.00", Currency::ZMW).unwrap(),
        wallet("+260977123458"),
    );
    let created = client.create_refund(&request).await.unwrap();
    assert!(created.id.starts_with("RF_"), "{}", created.id);
    assert_eq!(created.status, Status::Pending);

    let read = client.get_refund(&created.id).await.unwrap();
    assert_eq!(read.provider, ProviderId::VESICASH);
    assert_eq!(read.id, created.id);
    assert_eq!(read.payment_reference.as_deref(), Some(payment.as_str()));

    let awaited = client.await_refund(&created, &wait()).await.unwrap();
    let Awaited::Final(done) = awaited else {
        panic!("not final: {awaited:?}")
    };
    assert_eq!(done.id, created.id);
    assert_eq!(done.status, Status::Succeeded);
    assert_eq!(
        client.get_refund(&created.id).await.unwrap().status,
        Status::Succeeded
    );
    // Already final: returned as is, without a request.
    let before = sandbox.requests().len();
    let again = client.await_refund(&done, &wait()).await.unwrap();
    assert_eq!(again, Awaited::Final(done));
    assert_eq!(sandbox.requests().len(), before);

    // Vesicash never receives the merchant reference: no lookup by it.
    let err = client
        .find_refund(&Reference::new("refund-await-v").unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported { provider, operation } if *provider == ProviderId::VESICASH && *operation == "find_refund"),
        "{err:?}"
    );
}

#[tokio::test]
async fn jpay_refunds_are_read_back_by_id_and_reference_and_awaited() {
    let sandbox = sandbox().await;
    let client = sandbox.jpay_client().unwrap();
    let request = RefundRequest::new(
        Reference::new("refund-await-j").unwrap(),
        "ORDER-PAY-77",
        Money::parse("250.00", Currency::KES).unwrap(),
        wallet("+254712345678"),
    )
    .with_reason("damaged item")
    .with_callback_url(CallbackUrl::parse("http://127.0.0.1:9/hooks/jpay").unwrap());
    let created = client.create_refund(&request).await.unwrap();
    assert_eq!(created.status, Status::Pending);

    let read = client.get_refund(&created.id).await.unwrap();
    assert_eq!(read.provider, ProviderId::JPAY);
    assert_eq!(read.id, created.id);
    assert_eq!(read.reference, Some(request.reference.clone()));
    assert_eq!(read.payment_reference.as_deref(), Some("ORDER-PAY-77"));
    assert_eq!(read.amount, Some(request.amount));

    let found = client
        .find_refund(&request.reference)
        .await
        .unwrap()
        .expect("found by reference");
    assert_eq!(found.id, created.id);
    assert_eq!(
        client
            .find_refund(&Reference::new("refund-never-sent").unwrap())
            .await
            .unwrap(),
        None
    );

    let awaited = client.await_refund(&created, &wait()).await.unwrap();
    assert!(awaited.is_final(), "{awaited:?}");
    assert_eq!(awaited.refund().status, Status::Succeeded);
    assert_eq!(
        awaited.refund().payment_reference.as_deref(),
        Some("ORDER-PAY-77")
    );
}

#[tokio::test]
async fn payonify_has_no_refunds_to_read() {
    let sandbox = sandbox().await;
    let client = sandbox.payonify_client().unwrap();
    let err = client.get_refund("re_1").await.unwrap_err();
    assert!(
        matches!(&err, Error::Unsupported { provider, operation } if *provider == ProviderId::PAYONIFY && *operation == "get_refund"),
        "{err:?}"
    );
}
