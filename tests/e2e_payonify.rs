//! End to end: the Payonify adapter against the embedded sandbox.
#![cfg(feature = "sandbox")]

mod e2e_support;

use disburse::sandbox::{Fault, Route, Sandbox};
use disburse::{
    Ambiguity, Currency, Destination, Error, EventObject, FailureReason, Money, Msisdn,
    PayoutProvider, PayoutRequest, ProviderId, RejectCode, Status, WebhookError,
};
use e2e_support::{Receiver, reference, sandbox};

const PAYOUT_PATH: &str = "/v1/payouts";

fn usd(text: &str) -> Money {
    Money::parse(text, Currency::USD).expect("amount")
}

fn payout(reference_text: &str, number: &str) -> PayoutRequest {
    PayoutRequest::new(
        reference(reference_text),
        usd("10.00"),
        Destination::mobile(Msisdn::parse(number).expect("EcoCash number")),
    )
    .with_narration("Winnings")
}

/// Payonify has no per-request callback: the dashboard URL points at the receiver.
async fn with_receiver(sandbox: &Sandbox) -> Receiver {
    let receiver = Receiver::start().await;
    sandbox.set_webhook_url(ProviderId::PAYONIFY, Some(&receiver.url("/hooks/payonify")));
    receiver
}

fn create_requests(sandbox: &Sandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == PAYOUT_PATH)
        .count()
}

#[tokio::test]
async fn payout_webhook_verifies_and_status_is_succeeded() {
    let sandbox = sandbox().await;
    let receiver = with_receiver(&sandbox).await;
    let client = sandbox.payonify_client().expect("client");

    let created = client
        .create_payout(&payout("order-p-ok", "+263771234567"))
        .await
        .expect("payout accepted");
    assert!(created.id.starts_with("po_"), "{}", created.id);

    let delivery = receiver.wait_for(&created.id).await;
    assert_eq!(delivery.method, "POST");
    let event = client
        .parse_webhook(&delivery.request())
        .expect("signature verifies");
    assert_eq!(event.provider, ProviderId::PAYONIFY);
    assert_eq!(event.object, EventObject::Payout);
    assert_eq!(event.status, Status::Succeeded);
    assert_eq!(
        event.provider_reference.as_deref(),
        Some(created.id.as_str())
    );
    assert_eq!(event.reference.as_deref(), Some("order-p-ok"));

    let fetched = client.get_payout(&created.id).await.expect("status");
    assert_eq!(fetched.status, Status::Succeeded);
}

#[tokio::test]
async fn a_tampered_webhook_is_refused() {
    let sandbox = sandbox().await;
    let receiver = with_receiver(&sandbox).await;
    let client = sandbox.payonify_client().expect("client");
    let created = client
        .create_payout(&payout("order-p-tamper", "+263771234568"))
        .await
        .expect("payout accepted");
    let mut delivery = receiver.wait_for(&created.id).await;
    delivery.body = String::from_utf8_lossy(&delivery.body)
        .replace("\"paid\"", "\"failed\"")
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
    let receiver = with_receiver(&sandbox).await;
    let client = sandbox.payonify_client().expect("client");
    let cases = [
        ("+263771230001", FailureReason::InsufficientFunds),
        ("+263771230002", FailureReason::InvalidRecipient),
        ("+263771230003", FailureReason::RecipientBlocked),
        ("+263771230005", FailureReason::Declined),
    ];
    for (i, (number, reason)) in cases.into_iter().enumerate() {
        let created = client
            .create_payout(&payout(&format!("order-p-fail-{i}"), number))
            .await
            .expect("payout accepted");
        let delivery = receiver.wait_for(&created.id).await;
        let event = client.parse_webhook(&delivery.request()).expect("verifies");
        assert!(
            matches!(&event.status, Status::Failed { reason: r, .. } if *r == reason),
            "{number}: webhook {:?}",
            event.status
        );
        let fetched = client.get_payout(&created.id).await.expect("status");
        assert!(
            matches!(&fetched.status, Status::Failed { reason: r, .. } if *r == reason),
            "{number}: get_payout {:?}",
            fetched.status
        );
    }
}

#[tokio::test]
async fn a_replayed_create_returns_the_same_payout_and_the_ledger_shows_one() {
    let sandbox = sandbox().await;
    let _receiver = with_receiver(&sandbox).await;
    let client = sandbox.payonify_client().expect("client");
    let request = payout("order-p-replay", "+263771234569");
    let first = client.create_payout(&request).await.expect("first");
    let second = client.create_payout(&request).await.expect("replay");
    assert_eq!(first.id, second.id);
    assert_eq!(create_requests(&sandbox), 2);
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::PAYONIFY, "order-p-replay")
            .len(),
        1
    );
}

#[tokio::test]
async fn commit_then_drop_once_is_resolved_by_the_keyed_retry() {
    let sandbox = sandbox().await;
    let _receiver = with_receiver(&sandbox).await;
    let client = sandbox.payonify_client().expect("client");
    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::post(PAYOUT_PATH),
        Fault::CommitThenDrop,
        1,
    );
    let created = client
        .create_payout(&payout("order-p-drop1", "+263771234570"))
        .await
        .expect("the retry with the same Idempotency-Key gets the first answer");
    assert_eq!(create_requests(&sandbox), 2);
    let entries = sandbox.payouts_for_reference(ProviderId::PAYONIFY, "order-p-drop1");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(created.id, entries[0].id);
}

#[tokio::test]
async fn commit_then_drop_past_the_retries_is_outcome_unknown_then_find_payout_resolves() {
    let sandbox = sandbox().await;
    let _receiver = with_receiver(&sandbox).await;
    let client = sandbox.payonify_client().expect("client");
    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::post(PAYOUT_PATH),
        Fault::CommitThenDrop,
        3,
    );
    let err = client
        .create_payout(&payout("order-p-drop3", "+263771234571"))
        .await
        .expect_err("every attempt dropped");
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown { reference: Some(r), cause: Ambiguity::ConnectionLost, .. }
                if r.as_str() == "order-p-drop3"
        ),
        "{err:?}"
    );
    assert_eq!(create_requests(&sandbox), 3);
    sandbox.clear_faults();

    let entries = sandbox.payouts_for_reference(ProviderId::PAYONIFY, "order-p-drop3");
    assert_eq!(
        entries.len(),
        1,
        "one payout for the reference: {entries:?}"
    );
    let found = client
        .find_payout(&reference("order-p-drop3"))
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(found.id, entries[0].id);
}

#[tokio::test]
async fn documented_errors_map_to_reject_codes() {
    let sandbox = sandbox().await;
    let _receiver = with_receiver(&sandbox).await;
    let client = sandbox.payonify_client().expect("client");

    // idempotency_error: the same reference (Idempotency-Key) with another body.
    client
        .create_payout(&payout("order-p-key", "+263771234572"))
        .await
        .expect("first");
    let mut other = payout("order-p-key", "+263771234572");
    other.amount = usd("11.00");
    let err = client.create_payout(&other).await.expect_err("conflict");
    assert!(
        matches!(
            &err,
            Error::Rejected {
                status: 400,
                code: RejectCode::IdempotencyConflict,
                ..
            }
        ),
        "{err:?}"
    );

    // resource_missing: an unknown payout id.
    let err = client.get_payout("po_doesnotexist").await.expect_err("404");
    assert!(
        matches!(&err, Error::Rejected { status: 404, code: RejectCode::NotFound, provider_code: Some(c), .. } if c == "resource_missing"),
        "{err:?}"
    );

    // balance_insufficient
    sandbox.set_balance(ProviderId::PAYONIFY, usd("1.00"));
    let err = client
        .create_payout(&payout("order-p-broke", "+263771234573"))
        .await
        .expect_err("broke");
    assert!(
        matches!(&err, Error::Rejected { status: 400, code: RejectCode::InsufficientBalance, provider_code: Some(c), .. } if c == "balance_insufficient"),
        "{err:?}"
    );
    assert!(
        sandbox
            .payouts_for_reference(ProviderId::PAYONIFY, "order-p-broke")
            .is_empty()
    );
}
