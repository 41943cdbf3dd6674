//! End to end: the Vesicash adapter against the embedded sandbox.
#![cfg(feature = "sandbox")]

mod e2e_support;

use disburse::sandbox::{EntryKind, EntryStatus, Fault, Route};
use disburse::{
    Ambiguity, Currency, Destination, Error, EventObject, FailureReason, Money, Msisdn,
    PayoutProvider, PayoutRequest, ProviderId, RefundRequest, RejectCode, Status, WebhookError,
};
use e2e_support::{Receiver, reference, sandbox, wait_until};

const PAYOUT_PATH: &str = "/v1/payment/payout/process";

fn zmw(text: &str) -> Money {
    Money::parse(text, Currency::ZMW).expect("amount")
}

fn wallet(number: &str) -> Destination {
    Destination::mobile(Msisdn::parse(number).expect("Zambian mobile number"))
}

fn payout(reference_text: &str, number: &str, receiver: &Receiver) -> PayoutRequest {
    PayoutRequest::new(reference(reference_text), zmw("150.00"), wallet(number))
        .with_callback_url(receiver.callback("/hooks/vesicash"))
}

#[tokio::test]
async fn payout_webhook_verifies_and_status_is_succeeded() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.vesicash_client().expect("client");

    let created = client
        .create_payout(&payout("order-v-ok", "+260977123456", &receiver))
        .await
        .expect("payout accepted");
    assert!(created.id.starts_with("PY_"), "{}", created.id);

    // The webhook may arrive before the create answer; wait for the one about this payout.
    let delivery = receiver.wait_for(&created.id).await;
    assert_eq!(delivery.method, "POST");
    let event = client
        .parse_webhook(&delivery.request())
        .expect("signature verifies");
    assert_eq!(event.provider, ProviderId::VESICASH);
    assert_eq!(event.object, EventObject::Payout);
    assert_eq!(event.status, Status::Succeeded);
    assert_eq!(
        event.provider_reference.as_deref(),
        Some(created.id.as_str())
    );

    let fetched = client.get_payout(&created.id).await.expect("status");
    assert_eq!(fetched.id, created.id);
    assert_eq!(fetched.status, Status::Succeeded);
}

#[tokio::test]
async fn a_tampered_webhook_is_refused() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.vesicash_client().expect("client");
    let created = client
        .create_payout(&payout("order-v-tamper", "+260977123457", &receiver))
        .await
        .expect("payout accepted");
    let mut delivery = receiver.wait_for(&created.id).await;
    delivery.body = String::from_utf8_lossy(&delivery.body)
        .replace("successful", "failed")
        .into_bytes()
        .into();
    let refused = client.parse_webhook(&delivery.request());
    assert!(
        matches!(
            &refused,
            Err(Error::Webhook(WebhookError::SignatureMismatch))
        ),
        "{refused:?}"
    );
}

#[tokio::test]
async fn scripted_failures_map_to_failure_reasons() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.vesicash_client().expect("client");
    let cases = [
        (
            "+260977120001",
            FailureReason::InsufficientFunds,
            "INSUFFICIENT_FUNDS",
        ),
        (
            "+260977120002",
            FailureReason::InvalidRecipient,
            "ACCOUNT_NOT_FOUND",
        ),
        (
            "+260977120003",
            FailureReason::RecipientBlocked,
            "ACCOUNT_BLOCKED",
        ),
        (
            "+260977120005",
            FailureReason::Declined,
            "DECLINED_TRANSACTION",
        ),
    ];
    for (i, (number, reason, code)) in cases.into_iter().enumerate() {
        let created = client
            .create_payout(&payout(&format!("order-v-fail-{i}"), number, &receiver))
            .await
            .expect("payout accepted");
        let delivery = receiver.wait_for(&created.id).await;
        let event = client.parse_webhook(&delivery.request()).expect("verifies");
        assert!(
            matches!(&event.status, Status::Failed { reason: r, detail } if *r == reason && detail.as_deref() == Some(code)),
            "{number}: webhook {:?}",
            event.status
        );
        let fetched = client.get_payout(&created.id).await.expect("status");
        assert!(
            matches!(&fetched.status, Status::Failed { reason: r, detail } if *r == reason && detail.as_deref() == Some(code)),
            "{number}: get_payout {:?}",
            fetched.status
        );
    }
}

#[tokio::test]
async fn pending_forever_stays_pending() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.vesicash_client().expect("client");
    let created = client
        .create_payout(&payout("order-v-pending", "+260977120004", &receiver))
        .await
        .expect("payout accepted");
    let fetched = client.get_payout(&created.id).await.expect("status");
    assert_eq!(fetched.status, Status::Pending);
}

#[tokio::test]
async fn partial_refund_then_refund_beyond_the_remaining_balance_is_rejected() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.vesicash_client().expect("client");
    let payment = sandbox.vesicash_create_payment(zmw("100.00"));

    let first = RefundRequest::new(
        reference("refund-v-1"),
        payment.clone(),
        zmw("40.00"),
        wallet("+260977123458"),
    )
    .with_callback_url(receiver.callback("/hooks/vesicash"));
    let refund = client.create_refund(&first).await.expect("partial refund");
    let delivery = receiver.wait_for(&refund.id).await;
    let event = client.parse_webhook(&delivery.request()).expect("verifies");
    assert_eq!(event.object, EventObject::Refund);
    assert_eq!(event.status, Status::Succeeded);
    assert_eq!(sandbox.vesicash_refunded(&payment), zmw("40.00").amount());

    let second = RefundRequest::new(
        reference("refund-v-2"),
        payment.clone(),
        zmw("70.00"),
        wallet("+260977123458"),
    );
    let err = client.create_refund(&second).await.expect_err("exceeds");
    assert!(
        matches!(
            &err,
            Error::Rejected { status: 400, code: RejectCode::RefundExceedsRefundableBalance, message, .. }
                if message == "Refund amount exceeds the remaining refundable balance"
        ),
        "{err:?}"
    );
    assert_eq!(sandbox.vesicash_refunded(&payment), zmw("40.00").amount());
}

#[tokio::test]
async fn commit_then_drop_is_outcome_unknown_after_one_request_and_one_ledger_entry() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.vesicash_client().expect("client");
    // Warm the countries cache so the only request counted below is the payout.
    client
        .create_payout(&payout("order-v-warm", "+260977123459", &receiver))
        .await
        .expect("warm-up payout");

    sandbox.inject(
        ProviderId::VESICASH,
        Route::post(PAYOUT_PATH),
        Fault::CommitThenDrop,
        1,
    );
    let before = sandbox.requests().len();
    let err = client
        .create_payout(&payout("order-v-drop", "+260977123460", &receiver))
        .await
        .expect_err("dropped");
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown { reference: Some(r), cause: Ambiguity::ConnectionLost, .. }
                if r.as_str() == "order-v-drop"
        ),
        "{err:?}"
    );
    let sent: Vec<_> = sandbox.requests()[before..]
        .iter()
        .filter(|r| r.path == PAYOUT_PATH)
        .cloned()
        .collect();
    assert_eq!(sent.len(), 1, "Unprotected: never re-sent: {sent:?}");

    // Vesicash has no lookup by merchant reference: find_payout is Unsupported. Reconciliation
    // needs the merchant's own record (or the webhook / dashboard) to learn the PY_ reference.
    assert!(matches!(
        client.find_payout(&reference("order-v-drop")).await,
        Err(Error::Unsupported { .. })
    ));
    // The adapter sends no merchant reference to Vesicash (only the narration, as `reason`), so
    // the ledger is searched by recipient.
    let entries: Vec<_> = sandbox
        .ledger(ProviderId::VESICASH)
        .into_iter()
        .filter(|e| e.kind == EntryKind::Payout && e.recipient == "260977123460")
        .collect();
    assert_eq!(
        entries.len(),
        1,
        "exactly one payout committed: {entries:?}"
    );
    // With the PY_ reference from the sandbox's record (standing in for the webhook the merchant
    // would receive), get_payout resolves it.
    let id = entries[0].id.clone();
    wait_until("the payout to settle", || async {
        sandbox
            .entry(ProviderId::VESICASH, &id)
            .filter(|e| e.status == EntryStatus::Succeeded)
    })
    .await;
    let resolved = client.get_payout(&id).await.expect("status");
    assert_eq!(resolved.status, Status::Succeeded);
}

#[tokio::test]
async fn documented_errors_map_to_reject_codes() {
    let sandbox = sandbox().await;
    let client = sandbox.vesicash_client().expect("client");

    // "payment not found": a refund of an unknown payment.
    let unknown = RefundRequest::new(
        reference("refund-v-unknown"),
        "PAY_DOES_NOT_EXIST",
        zmw("10.00"),
        wallet("+260977123461"),
    );
    let err = client.create_refund(&unknown).await.expect_err("unknown");
    assert!(
        matches!(&err, Error::Rejected { status: 400, code: RejectCode::PaymentNotFound, message, .. } if message == "payment not found"),
        "{err:?}"
    );

    // "Insufficient funds or wallet error preventing refund processing": an empty balance.
    sandbox.set_balance(ProviderId::VESICASH, zmw("1.00"));
    let request = PayoutRequest::new(
        reference("order-v-broke"),
        zmw("150.00"),
        wallet("+260977123462"),
    );
    let err = client.create_payout(&request).await.expect_err("broke");
    assert!(
        matches!(&err, Error::Rejected { status: 400, code: RejectCode::InsufficientBalance, message, .. }
            if message == "Insufficient funds or wallet error preventing refund processing"),
        "{err:?}"
    );
    assert!(
        sandbox
            .payouts_for_reference(ProviderId::VESICASH, "order-v-broke")
            .is_empty()
    );
}
