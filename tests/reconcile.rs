//! `PayoutProvider::reconcile` on every provider, in each state it can answer: found, not found,
//! cannot tell (against the embedded sandbox's real HTTP).
#![cfg(feature = "sandbox")]

mod e2e_support;

use disburse::reconcile::{CannotTell, Evidence, Reconciliation};
use disburse::{
    Currency, Destination, Money, Msisdn, PayoutProvider, PayoutRequest, ProviderId, Utc,
};
use e2e_support::{Receiver, reference, sandbox};

fn request(reference_text: &str, amount: &str, currency: Currency, number: &str) -> PayoutRequest {
    PayoutRequest::new(
        reference(reference_text),
        Money::parse(amount, currency).unwrap(),
        Destination::mobile(Msisdn::parse(number).unwrap()),
    )
}

fn cannot_tell(answer: Reconciliation) -> CannotTell {
    match answer {
        Reconciliation::CannotTell(why) => why,
        other => panic!("expected cannot tell, got {other:?}"),
    }
}

/// Found, not found, and a reference reused with another amount (cannot tell), for a provider
/// that looks payouts up by merchant reference.
async fn by_reference_states(client: &dyn PayoutProvider, sent: PayoutRequest, other_amount: &str) {
    let evidence = Evidence::new(Utc::now());
    let created = client.create_payout(&sent).await.unwrap();

    match client.reconcile(&sent, &evidence).await.unwrap() {
        Reconciliation::Found(payout) => {
            assert_eq!(payout.id, created.id);
            assert_eq!(payout.provider, client.id());
        }
        other => panic!("expected found, got {other:?}"),
    }

    let never_sent = PayoutRequest::new(
        reference("never-sent-1"),
        sent.amount,
        sent.destination.clone(),
    );
    assert_eq!(
        client.reconcile(&never_sent, &evidence).await.unwrap(),
        Reconciliation::NotFound
    );

    let reused = PayoutRequest::new(
        sent.reference.clone(),
        Money::parse(other_amount, sent.amount.currency()).unwrap(),
        sent.destination.clone(),
    );
    let why = cannot_tell(client.reconcile(&reused, &evidence).await.unwrap());
    assert!(
        why.reason
            .contains("the reference was used for another payout"),
        "{why}"
    );
    assert_eq!(why.candidates, vec![created.id.clone()]);
    assert!(why.operator.contains(sent.reference.as_str()), "{why}");
}

#[tokio::test]
async fn jpay_reconciles_by_reference() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.jpay_client().unwrap();
    let sent = request("rec-j-1", "150.00", Currency::KES, "+254712345678")
        .with_callback_url(receiver.callback("/hooks/jpay"));
    by_reference_states(&client, sent, "151.00").await;
}

#[tokio::test]
async fn payonify_reconciles_by_reference() {
    let sandbox = sandbox().await;
    let client = sandbox.payonify_client().unwrap();
    let sent = request("rec-p-1", "10.00", Currency::USD, "+263771234567");
    by_reference_states(&client, sent, "11.00").await;
}

#[tokio::test]
async fn mtn_momo_reconciles_by_reference() {
    let sandbox = sandbox().await;
    let client = sandbox.mtn_momo_client().unwrap();
    // MTN's own sandbox target: EUR, a Swedish test number.
    let sent = request("rec-m-1", "10.00", Currency::EUR, "+46733123999");
    by_reference_states(&client, sent, "11.00").await;
}

// M-Pesa Daraja answers a status query only by callback, so its three states are tested where
// the test drives that callback: tests/mpesa_daraja.rs, `reconcile_is_found_cannot_tell_and_not_found`.

#[tokio::test]
async fn vesicash_reconciles_by_the_webhooks_it_sent_back() {
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    let client = sandbox.vesicash_client().unwrap();
    let sent_at = Utc::now();
    let sent = request("rec-v-1", "150.00", Currency::ZMW, "+260977123456")
        .with_callback_url(receiver.callback("/hooks/vesicash"));
    let created = client.create_payout(&sent).await.unwrap();
    let delivery = receiver.wait_for(&created.id).await;
    let event = client.parse_webhook(&delivery.request()).unwrap();

    // Nothing came back yet: Vesicash cannot be asked by reference, so it cannot tell (never
    // "not found").
    let why = cannot_tell(
        client
            .reconcile(&sent, &Evidence::new(sent_at))
            .await
            .unwrap(),
    );
    assert!(
        why.reason
            .contains("cannot look a payout up by merchant reference"),
        "{why}"
    );
    assert!(why.candidates.is_empty());
    assert!(
        why.operator.contains("ZMW 150.00") || why.operator.contains("150.00"),
        "{why}"
    );

    // Its webhook, received after the request was sent, with the request's amount: found.
    let evidence = Evidence::new(sent_at).with_event(Utc::now(), event.clone());
    match client.reconcile(&sent, &evidence).await.unwrap() {
        Reconciliation::Found(payout) => {
            assert_eq!(payout.id, created.id);
            assert_eq!(payout.provider, ProviderId::VESICASH);
            assert_eq!(payout.status, event.status);
            assert_eq!(payout.reference, Some(sent.reference.clone()));
        }
        other => panic!("expected found, got {other:?}"),
    }

    // Another amount does not match; an event received before the request was sent neither.
    let other_amount = request("rec-v-1", "151.00", Currency::ZMW, "+260977123456");
    cannot_tell(client.reconcile(&other_amount, &evidence).await.unwrap());
    let before = Evidence::new(Utc::now()).with_event(sent_at, event.clone());
    cannot_tell(client.reconcile(&sent, &before).await.unwrap());

    // Two payouts of the same amount: cannot tell which, unless one is already known.
    let twin = request("rec-v-2", "150.00", Currency::ZMW, "+260977123457")
        .with_callback_url(receiver.callback("/hooks/vesicash"));
    let twin_created = client.create_payout(&twin).await.unwrap();
    let twin_event = client
        .parse_webhook(&receiver.wait_for(&twin_created.id).await.request())
        .unwrap();
    let both = evidence.clone().with_event(Utc::now(), twin_event);
    let why = cannot_tell(client.reconcile(&sent, &both).await.unwrap());
    assert_eq!(
        why.candidates,
        vec![created.id.clone(), twin_created.id.clone()]
    );
    match client
        .reconcile(&sent, &both.with_known_id(twin_created.id.clone()))
        .await
        .unwrap()
    {
        Reconciliation::Found(payout) => assert_eq!(payout.id, created.id),
        other => panic!("expected found, got {other:?}"),
    }
}
