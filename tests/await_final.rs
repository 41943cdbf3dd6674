//! `await_final`: the polling schedule (on tokio's paused clock, so exact and independent of the
//! machine's speed), waking on webhook events, error handling, and one run against the sandbox.

mod e2e_support;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use disburse::settle::{Awaited, EventFeed, Wait, await_final};
use disburse::{
    AuthFailure, Capabilities, Error, EventObject, FailureReason, Msisdn, Payout, PayoutProvider,
    PayoutRequest, ProviderId, Reference, Refund, RefundRequest, Status, WebhookEvent,
    WebhookRequest,
};
use disburse::{Currency, Destination, Money};
use tokio::time::Instant;

/// A provider whose `get_payout` answers from a script and records when it was asked.
#[derive(Debug)]
struct Scripted {
    answers: Mutex<VecDeque<Result<Status, Error>>>,
    polls: Mutex<Vec<Duration>>,
    start: Instant,
}

impl Scripted {
    fn new(answers: Vec<Result<Status, Error>>) -> Arc<Scripted> {
        Arc::new(Scripted {
            answers: Mutex::new(answers.into()),
            polls: Mutex::new(Vec::new()),
            start: Instant::now(),
        })
    }

    /// Seconds after the start at which each poll happened.
    fn poll_times(&self) -> Vec<f64> {
        self.polls
            .lock()
            .unwrap()
            .iter()
            .map(|d| d.as_secs_f64())
            .collect()
    }
}

fn unused(what: &'static str) -> Error {
    Error::unsupported(ProviderId::JPAY, what)
}

#[async_trait]
impl PayoutProvider for Scripted {
    fn id(&self) -> ProviderId {
        ProviderId::JPAY
    }
    fn capabilities(&self) -> &Capabilities {
        unreachable!("not used by await_final")
    }
    async fn create_payout(&self, _: &PayoutRequest) -> Result<Payout, Error> {
        Err(unused("create_payout"))
    }
    async fn get_payout(&self, id: &str) -> Result<Payout, Error> {
        self.polls.lock().unwrap().push(self.start.elapsed());
        let next = self
            .answers
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(Ok(Status::Pending));
        next.map(|status| Payout::new(ProviderId::JPAY, id, status))
    }
    async fn find_payout(&self, _: &Reference) -> Result<Option<Payout>, Error> {
        Err(unused("find_payout"))
    }
    async fn create_refund(&self, _: &RefundRequest) -> Result<Refund, Error> {
        Err(unused("create_refund"))
    }
    fn parse_webhook(&self, _: &WebhookRequest<'_>) -> Result<WebhookEvent, Error> {
        Err(unused("parse_webhook"))
    }
}

fn pending(id: &str) -> Payout {
    Payout::new(ProviderId::JPAY, id, Status::Pending)
}

fn server_error() -> Error {
    Error::ServerError {
        provider: ProviderId::JPAY,
        status: 503,
        message: "busy".into(),
    }
}

fn quick() -> Wait {
    Wait::new()
        .timeout(Duration::from_secs(30))
        .first_delay(Duration::from_secs(2))
        .max_delay(Duration::from_secs(60))
        .factor(2)
}

#[tokio::test(start_paused = true)]
async fn a_final_payout_returns_at_once_without_a_request() {
    let provider = Scripted::new(vec![]);
    let done = Payout::new(ProviderId::JPAY, "T1", Status::Succeeded);
    let outcome = await_final(provider.as_ref(), &done, &quick())
        .await
        .unwrap();
    assert_eq!(outcome, Awaited::Final(done));
    assert!(provider.poll_times().is_empty());
}

#[tokio::test(start_paused = true)]
async fn polls_with_doubling_backoff_until_final() {
    let provider = Scripted::new(vec![
        Ok(Status::Pending),
        Ok(Status::Pending),
        Ok(Status::Succeeded),
    ]);
    let outcome = await_final(provider.as_ref(), &pending("T1"), &quick())
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Awaited::Final(Payout::new(ProviderId::JPAY, "T1", Status::Succeeded))
    );
    // 2 s, then 4 s more, then 8 s more.
    assert_eq!(provider.poll_times(), vec![2.0, 6.0, 14.0]);
}

#[tokio::test(start_paused = true)]
async fn the_deadline_returns_the_last_record_after_a_last_poll_at_the_deadline() {
    let provider = Scripted::new(vec![]);
    let outcome = await_final(provider.as_ref(), &pending("T1"), &quick())
        .await
        .unwrap();
    assert_eq!(outcome, Awaited::DeadlineReached(pending("T1")));
    assert!(!outcome.is_final());
    // 2, 6, 14, then 30 (the next step, 30, is clamped to the 30 s deadline).
    assert_eq!(provider.poll_times(), vec![2.0, 6.0, 14.0, 30.0]);
}

#[tokio::test(start_paused = true)]
async fn the_interval_is_capped_at_max_delay() {
    let provider = Scripted::new(vec![]);
    let wait = quick()
        .timeout(Duration::from_secs(20))
        .first_delay(Duration::from_secs(1))
        .max_delay(Duration::from_secs(5))
        .factor(3);
    await_final(provider.as_ref(), &pending("T1"), &wait)
        .await
        .unwrap();
    // 1, +3, +5 (9 capped), +5, +5 → 1, 4, 9, 14, 19, then 20 at the deadline.
    assert_eq!(provider.poll_times(), vec![1.0, 4.0, 9.0, 14.0, 19.0, 20.0]);
}

#[tokio::test(start_paused = true)]
async fn retryable_errors_are_polled_through() {
    let provider = Scripted::new(vec![
        Err(server_error()),
        Ok(Status::Pending),
        Err(server_error()),
        Ok(Status::failed(FailureReason::InsufficientFunds, None)),
    ]);
    let outcome = await_final(provider.as_ref(), &pending("T1"), &quick())
        .await
        .unwrap();
    assert_eq!(
        outcome.payout().status,
        Status::failed(FailureReason::InsufficientFunds, None)
    );
    assert_eq!(provider.poll_times().len(), 4);
}

#[tokio::test(start_paused = true)]
async fn a_non_retryable_error_is_returned_at_once() {
    let provider = Scripted::new(vec![
        Ok(Status::Pending),
        Err(Error::Auth {
            provider: ProviderId::JPAY,
            status: Some(401),
            kind: AuthFailure::InvalidCredentials,
            message: "bad key".into(),
        }),
    ]);
    let error = await_final(provider.as_ref(), &pending("T1"), &quick())
        .await
        .unwrap_err();
    assert!(matches!(
        error,
        Error::Auth {
            kind: AuthFailure::InvalidCredentials,
            status: Some(401),
            ..
        }
    ));
    assert_eq!(provider.poll_times(), vec![2.0, 6.0]);
}

#[tokio::test(start_paused = true)]
async fn only_errors_until_the_deadline_return_the_last_error() {
    let provider = Scripted::new((0..10).map(|_| Err(server_error())).collect());
    let error = await_final(provider.as_ref(), &pending("T1"), &quick())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::ServerError { status: 503, .. }));
    assert_eq!(provider.poll_times(), vec![2.0, 6.0, 14.0, 30.0]);
}

#[tokio::test(start_paused = true)]
async fn an_error_after_a_good_poll_at_the_deadline_returns_the_last_record() {
    let provider = Scripted::new(vec![
        Ok(Status::Pending),
        Ok(Status::Pending),
        Ok(Status::Pending),
        Err(server_error()),
    ]);
    let outcome = await_final(provider.as_ref(), &pending("T1"), &quick())
        .await
        .unwrap();
    assert_eq!(outcome, Awaited::DeadlineReached(pending("T1")));
}

fn event(provider: ProviderId, id: &str, status: Status) -> WebhookEvent {
    let mut event = WebhookEvent::new(provider, EventObject::Payout, status);
    event.provider_reference = Some(id.to_owned());
    event
}

#[tokio::test(start_paused = true)]
async fn a_matching_final_event_wakes_the_wait_and_wins_over_a_lagging_read() {
    let provider = Scripted::new(vec![Ok(Status::Pending)]);
    let feed = EventFeed::new();
    let wait = quick().first_delay(Duration::from_secs(20)).events(&feed);
    let publisher = {
        let feed = feed.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            // Not ours: another payout, another provider, a refund.
            feed.publish(&event(ProviderId::JPAY, "OTHER", Status::Succeeded));
            feed.publish(&event(ProviderId::PAYONIFY, "T1", Status::Succeeded));
            let mut refund = event(ProviderId::JPAY, "T1", Status::Succeeded);
            refund.object = EventObject::Refund;
            feed.publish(&refund);
            tokio::time::sleep(Duration::from_secs(2)).await;
            feed.publish(&event(
                ProviderId::JPAY,
                "T1",
                Status::failed(FailureReason::RecipientBlocked, Some("blocked".into())),
            ));
        })
    };
    let outcome = await_final(provider.as_ref(), &pending("T1"), &wait)
        .await
        .unwrap();
    publisher.await.unwrap();
    assert_eq!(
        outcome,
        Awaited::Final(Payout::new(
            ProviderId::JPAY,
            "T1",
            Status::failed(FailureReason::RecipientBlocked, Some("blocked".into()))
        ))
    );
    // One poll, at the event (3 s), not at the first scheduled poll (20 s).
    assert_eq!(provider.poll_times(), vec![3.0]);
}

#[tokio::test(start_paused = true)]
async fn an_event_matches_by_merchant_reference_too() {
    let provider = Scripted::new(vec![Ok(Status::Succeeded)]);
    let feed = EventFeed::new();
    let wait = quick().first_delay(Duration::from_secs(25)).events(&feed);
    let mut payout = pending("T1");
    payout.reference = Some(Reference::new("order-9").unwrap());
    let publisher = {
        let feed = feed.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(4)).await;
            let mut by_reference =
                WebhookEvent::new(ProviderId::JPAY, EventObject::Payout, Status::Pending);
            by_reference.reference = Some("order-9".into());
            feed.publish(&by_reference);
        })
    };
    let outcome = await_final(provider.as_ref(), &payout, &wait)
        .await
        .unwrap();
    publisher.await.unwrap();
    assert!(outcome.is_final());
    assert_eq!(provider.poll_times(), vec![4.0]);
}

#[tokio::test(start_paused = true)]
async fn works_through_the_trait_on_a_dyn_provider() {
    let provider: Arc<dyn PayoutProvider> =
        Scripted::new(vec![Ok(Status::Pending), Ok(Status::Succeeded)]);
    let outcome = provider
        .await_final(&pending("T1"), &quick())
        .await
        .unwrap();
    assert_eq!(outcome.into_payout().status, Status::Succeeded);
}

/// Against the sandbox: a Payonify payout settles after a delay; the webhook receiver publishes
/// verified events into the feed, which ends the wait long before the first scheduled poll.
#[tokio::test]
async fn sandbox_payout_is_awaited_through_the_webhook_feed() {
    let sandbox = disburse::sandbox::Sandbox::builder()
        .settle_after(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let receiver = Arc::new(e2e_support::Receiver::start().await);
    sandbox.set_webhook_url(ProviderId::PAYONIFY, Some(&receiver.url("/payonify")));
    let client: Arc<dyn PayoutProvider> = Arc::new(sandbox.payonify_client().unwrap());

    let request = PayoutRequest::new(
        Reference::new("await-feed-1").unwrap(),
        Money::parse("12.50", Currency::USD).unwrap(),
        Destination::mobile(Msisdn::parse("+263771234567").unwrap()),
    );
    let created = client.create_payout(&request).await.unwrap();
    assert_eq!(created.status, Status::Pending);

    let feed = EventFeed::new();
    let forward = {
        let (client, feed, receiver) = (client.clone(), feed.clone(), receiver.clone());
        let id = created.id.clone();
        tokio::spawn(async move {
            let delivery = receiver.wait_for(&id).await;
            feed.publish(&client.parse_webhook(&delivery.request()).unwrap());
        })
    };
    let wait = Wait::new()
        .timeout(Duration::from_secs(60))
        .first_delay(Duration::from_secs(3600))
        .events(&feed);
    let outcome = client.await_final(&created, &wait).await.unwrap();
    forward.await.unwrap();
    assert_eq!(outcome.payout().status, Status::Succeeded);
    assert_eq!(outcome.payout().id, created.id);
    let status_reads = sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.ends_with(&created.id))
        .count();
    assert_eq!(status_reads, 1, "one read, triggered by the event");
}

/// Against the sandbox without webhooks: plain polling reaches the final status.
#[tokio::test]
async fn sandbox_payout_is_awaited_by_polling() {
    let sandbox = disburse::sandbox::Sandbox::builder()
        .settle_after(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let client = sandbox.payonify_client().unwrap();
    let request = PayoutRequest::new(
        Reference::new("await-poll-1").unwrap(),
        Money::parse("3.00", Currency::USD).unwrap(),
        Destination::mobile(Msisdn::parse("+263771234568").unwrap()),
    );
    let created = client.create_payout(&request).await.unwrap();
    let wait = Wait::new()
        .timeout(Duration::from_secs(60))
        .first_delay(Duration::from_millis(50))
        .max_delay(Duration::from_millis(400));
    let outcome = client.await_final(&created, &wait).await.unwrap();
    assert_eq!(outcome.payout().status, Status::Succeeded);
    assert!(outcome.is_final());
}
