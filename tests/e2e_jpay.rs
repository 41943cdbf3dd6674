//! End to end: the JPay adapter against the embedded sandbox.
#![cfg(feature = "sandbox")]

mod e2e_support;

use disburse::sandbox::{Fault, Route};
use disburse::{
    Ambiguity, Currency, Destination, Error, EventObject, FailureReason, Money, Msisdn,
    PayoutProvider, PayoutRequest, ProviderId, RejectCode, Status, WebhookError,
};
use e2e_support::{Receiver, reference, sandbox};

const PAYOUT_PATH: &str = "/payments/payouts/initiate";

fn kes(text: &str) -> Money {
    Money::parse(text, Currency::KES).expect("amount")
}

fn payout(reference_text: &str, number: &str, receiver: &Receiver) -> PayoutRequest {
    PayoutRequest::new(
        reference(reference_text),
        kes("150.00"),
        Destination::mobile(Msisdn::parse(number).expect("Kenyan mobile number")),
    )
    .with_narration("Commission payment")
    .with_callback_url(receiver.callback("/hooks/jpay?shop=7"))
}

fn payout_requests(sandbox: &disburse::sandbox::Sandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == PAYOUT_PATH)
        .count()
}

#[tokio::test]
async fn payout_callback_verifies_and_status_is_succeeded() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.jpay_client().expect("client");

    let created = client
        .create_payout(&payout("order-j-ok", "+254712345678", &receiver))
        .await
        .expect("payout accepted");
    assert_eq!(
        created.reference.as_ref().map(|r| r.as_str()),
        Some("order-j-ok")
    );

    let delivery = receiver.wait_for("order-j-ok").await;
    assert_eq!(delivery.method, "POST");
    assert!(delivery.url.contains("shop=7"), "{}", delivery.url);
    let event = client
        .parse_webhook(&delivery.request())
        .expect("callback token verifies");
    assert_eq!(event.provider, ProviderId::JPAY);
    assert_eq!(event.object, EventObject::Payout);
    assert_eq!(event.status, Status::Succeeded);
    assert_eq!(event.reference.as_deref(), Some("order-j-ok"));

    let fetched = client.get_payout(&created.id).await.expect("status");
    assert_eq!(fetched.status, Status::Succeeded);
}

#[tokio::test]
async fn a_callback_without_its_token_is_refused() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.jpay_client().expect("client");
    client
        .create_payout(&payout("order-j-notoken", "+254712345679", &receiver))
        .await
        .expect("payout accepted");
    let mut delivery = receiver.wait_for("order-j-notoken").await;
    delivery.url = receiver.url("/hooks/jpay?shop=7");
    let refused = client.parse_webhook(&delivery.request());
    assert!(
        matches!(&refused, Err(Error::Webhook(WebhookError::MissingSignature(m))) if m == "query parameter disburse_token"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn scripted_failures_map_to_failure_reasons() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.jpay_client().expect("client");
    let cases = [
        ("+254712340001", FailureReason::InsufficientFunds),
        ("+254712340002", FailureReason::InvalidRecipient),
        ("+254712340003", FailureReason::RecipientBlocked),
        ("+254712340005", FailureReason::Declined),
    ];
    for (i, (number, reason)) in cases.into_iter().enumerate() {
        let reference_text = format!("order-j-fail-{i}");
        let created = client
            .create_payout(&payout(&reference_text, number, &receiver))
            .await
            .expect("payout accepted");
        let delivery = receiver.wait_for(&reference_text).await;
        let event = client.parse_webhook(&delivery.request()).expect("verifies");
        assert!(
            matches!(&event.status, Status::Failed { reason: r, .. } if *r == reason),
            "{number}: callback {:?}",
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
async fn token_expiry_mid_run_is_transparent() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.jpay_client().expect("client");

    let first = client
        .create_payout(&payout("order-j-tok-1", "+254712345680", &receiver))
        .await
        .expect("first payout");
    sandbox.expire_jpay_tokens();
    let second = client
        .create_payout(&payout("order-j-tok-2", "+254712345681", &receiver))
        .await
        .expect("second payout after the token expired");

    for (created, reference_text) in [(first, "order-j-tok-1"), (second, "order-j-tok-2")] {
        let delivery = receiver.wait_for(reference_text).await;
        let event = client.parse_webhook(&delivery.request()).expect("verifies");
        assert_eq!(event.status, Status::Succeeded);
        let fetched = client.get_payout(&created.id).await.expect("status");
        assert_eq!(fetched.status, Status::Succeeded);
    }

    // The log shows the refused call and the renewal between the two payouts.
    let log: Vec<(String, Option<u16>)> = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .map(|r| (r.path, r.status))
        .collect();
    let renewal = log
        .iter()
        .position(|(path, status)| {
            (path == "/auth/refresh" || path == "/auth/app/token") && *status == Some(200)
        })
        .and_then(|first_token| {
            log.iter()
                .skip(first_token + 1)
                .position(|(path, _)| path == "/auth/refresh")
        });
    assert!(renewal.is_some(), "no refresh in {log:?}");
    assert!(
        log.contains(&(PAYOUT_PATH.to_owned(), Some(401))),
        "the expired token was refused once: {log:?}"
    );
    assert_eq!(payout_requests(&sandbox), 3, "{log:?}");
}

#[tokio::test]
async fn commit_then_drop_once_is_resolved_by_the_keyed_retry() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.jpay_client().expect("client");
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(PAYOUT_PATH),
        Fault::CommitThenDrop,
        1,
    );
    let created = client
        .create_payout(&payout("order-j-drop1", "+254712345682", &receiver))
        .await
        .expect("the retry with the same ref_no finds the committed payout");
    let entries = sandbox.payouts_for_reference(ProviderId::JPAY, "order-j-drop1");
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(created.id, entries[0].id);
    assert_eq!(
        created.reference.as_ref().map(|r| r.as_str()),
        Some("order-j-drop1")
    );
}

#[tokio::test]
async fn commit_then_drop_past_the_retries_is_outcome_unknown_then_find_payout_resolves() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.jpay_client().expect("client");
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(PAYOUT_PATH),
        Fault::CommitThenDrop,
        3,
    );
    let err = client
        .create_payout(&payout("order-j-drop3", "+254712345683", &receiver))
        .await
        .expect_err("every attempt dropped");
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown { reference: Some(r), cause: Ambiguity::ConnectionLost, .. }
                if r.as_str() == "order-j-drop3"
        ),
        "{err:?}"
    );
    assert_eq!(payout_requests(&sandbox), 3);
    sandbox.clear_faults();

    let entries = sandbox.payouts_for_reference(ProviderId::JPAY, "order-j-drop3");
    assert_eq!(
        entries.len(),
        1,
        "one payout for the reference: {entries:?}"
    );
    let found = client
        .find_payout(&reference("order-j-drop3"))
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(found.id, entries[0].id);
    let fetched = client.get_payout(&found.id).await.expect("status");
    assert!(fetched.status == Status::Succeeded || fetched.status == Status::Pending);
}

#[tokio::test]
async fn documented_errors_map_to_reject_codes() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.jpay_client().expect("client");

    // "Invalid channel code: N"
    let request = payout("order-j-chan", "+254712345684", &receiver).with_channel("99999");
    let err = client.create_payout(&request).await.expect_err("channel");
    assert!(
        matches!(&err, Error::Rejected { status: 400, code: RejectCode::InvalidChannel, message, .. }
            if message == "Invalid channel code: 99999"),
        "{err:?}"
    );

    // "Duplicate ref_no: …" with a different amount: the rejection stands.
    client
        .create_payout(&payout("order-j-dup", "+254712345685", &receiver))
        .await
        .expect("first");
    let mut other = payout("order-j-dup", "+254712345685", &receiver);
    other.amount = kes("151.00");
    let err = client.create_payout(&other).await.expect_err("duplicate");
    assert!(
        matches!(&err, Error::Rejected { status: 400, code: RejectCode::DuplicateReference, message, .. }
            if message.starts_with("Duplicate ref_no: a payout with ref_no order-j-dup already exists")),
        "{err:?}"
    );
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::JPAY, "order-j-dup")
            .len(),
        1
    );

    // "Insufficient balance in payout wallet"
    sandbox.set_balance(ProviderId::JPAY, kes("1.00"));
    let err = client
        .create_payout(&payout("order-j-broke", "+254712345686", &receiver))
        .await
        .expect_err("broke");
    assert!(
        matches!(&err, Error::Rejected { status: 400, code: RejectCode::InsufficientBalance, message, .. }
            if message == "Insufficient balance in payout wallet"),
        "{err:?}"
    );
}
