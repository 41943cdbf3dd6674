//! The simulated MTN MoMo, driven by the MTN MoMo adapter (and raw HTTP where the adapter would
//! refuse to send): payouts that settle, MTN's documented sandbox numbers, token expiry, the
//! 409 replay, refunds, balance, account holders, fault injection.
#![cfg(feature = "sandbox")]

mod sandbox_support;

use std::time::Duration;

use disburse::http::RetryPolicy;
use disburse::providers::mtn_momo::{MtnMomoClient, PayoutMode};
use disburse::sandbox::{EntryStatus, Fault, MTN_MOMO_CREDENTIALS, Route, Sandbox};
use disburse::settle::Wait;
use disburse::{
    Currency, Destination, Error, FailureReason, Money, Msisdn, PayoutProvider, PayoutRequest,
    ProviderId, Reference, RefundRequest, Status,
};
use sandbox_support::*;

const MTN: ProviderId = ProviderId::MTN_MOMO;

fn eur(text: &str) -> Money {
    Money::parse(text, Currency::EUR).unwrap()
}

fn request(reference: &str, number: &str) -> PayoutRequest {
    PayoutRequest::new(
        Reference::new(reference).unwrap(),
        eur("5.00"),
        Destination::mobile(Msisdn::parse(number).unwrap()),
    )
}

async fn settled(client: &MtnMomoClient, reference: &str, number: &str) -> Status {
    let payout = client
        .create_payout(&request(reference, number))
        .await
        .expect("accepted");
    assert_eq!(payout.status, Status::Pending);
    let awaited = client
        .await_final(&payout, &Wait::new().timeout(DEADLINE))
        .await
        .expect("settles");
    awaited.payout().status.clone()
}

#[tokio::test]
async fn a_payout_is_accepted_pending_and_settles_with_one_ledger_entry() {
    let sandbox = sandbox().await;
    let client = sandbox.mtn_momo_client().unwrap();
    let status = settled(&client, "order-1", "+46733123999").await;
    assert_eq!(status, Status::Succeeded);
    let entries = sandbox.payouts_for_reference(MTN, "order-1");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].id,
        client.payout_reference_id(&Reference::new("order-1").unwrap())
    );
    assert_eq!(entries[0].recipient, "46733123999");
    assert_eq!(entries[0].amount, eur("5.00"));
    let found = client
        .find_payout(&Reference::new("order-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.status, Status::Succeeded);
    assert!(
        found.provider_reference.is_some(),
        "financialTransactionId once paid"
    );
    assert_eq!(
        sandbox.balance(MTN, Currency::EUR),
        Some(eur("999995.00")),
        "the payout was debited"
    );
}

#[tokio::test]
async fn mtn_documented_sandbox_numbers_end_as_scripted() {
    let sandbox = Sandbox::builder()
        .settle_after(Duration::from_millis(20))
        .start()
        .await
        .unwrap();
    let client = sandbox.mtn_momo_client().unwrap();
    let failed = |reason: FailureReason, code: &str, message: &str| {
        Status::failed(reason, Some(format!("{code}: {message}")))
    };
    let cases = [
        (
            "46733123450",
            failed(
                FailureReason::Other("INTERNAL_PROCESSING_ERROR".into()),
                "INTERNAL_PROCESSING_ERROR",
                "An internal error occurred while processing.",
            ),
        ),
        (
            "46733123451",
            failed(
                FailureReason::Declined,
                "APPROVAL_REJECTED",
                "Approval was rejected.",
            ),
        ),
        (
            "46733123452",
            failed(
                FailureReason::ProviderTimeout,
                "EXPIRED",
                "The request expired.",
            ),
        ),
        ("46733123454", Status::Succeeded),
        (
            "46733123455",
            failed(
                FailureReason::InsufficientFunds,
                "NOT_ENOUGH_FUNDS",
                "The payer does not have enough funds.",
            ),
        ),
        (
            "46733123456",
            failed(
                FailureReason::LimitExceeded,
                "PAYER_LIMIT_REACHED",
                "The payer's limit has been breached.",
            ),
        ),
        (
            "46733123457",
            failed(
                FailureReason::InvalidRecipient,
                "PAYEE_NOT_FOUND",
                "Payee does not exist",
            ),
        ),
    ];
    for (number, expected) in cases {
        let status = settled(&client, &format!("n-{number}"), &format!("+{number}")).await;
        assert_eq!(status, expected, "{number}");
    }

    // Ongoing: stays pending.
    let ongoing = client
        .create_payout(&request("n-ongoing", "+46733123453"))
        .await
        .unwrap();
    let awaited = client
        .await_final(&ongoing, &Wait::new().timeout(Duration::from_millis(300)))
        .await
        .unwrap();
    assert_eq!(awaited.payout().status, Status::Pending);

    // Refused at once, nothing recorded: the adapter retries the same id, then reports an
    // unknown outcome that find_payout settles as "not created".
    let quick = MtnMomoClient::new(
        sandbox
            .mtn_momo_config()
            .with_http(disburse::sandbox::sandbox_http_config().with_retry(RetryPolicy::none())),
    )
    .unwrap();
    for (number, code) in [
        ("46733123458", "NOT_ALLOWED"),
        ("46733123459", "NOT_ALLOWED_TARGET_ENVIRONMENT"),
        ("46733123460", "INVALID_CALLBACK_URL_HOST"),
        ("46733123461", "INVALID_CURRENCY"),
        ("46733123462", "INTERNAL_PROCESSING_ERROR"),
        ("46733123463", "SERVICE_UNAVAILABLE"),
    ] {
        let reference = format!("n-{number}");
        let err = quick
            .create_payout(&request(&reference, &format!("+{number}")))
            .await
            .unwrap_err();
        assert!(err.is_outcome_unknown(), "{number}: {err:?}");
        let Error::OutcomeUnknown {
            source: Some(source),
            ..
        } = &err
        else {
            unreachable!()
        };
        assert!(format!("{source:?}").contains(code), "{number}: {source:?}");
        let reference = Reference::new(reference).unwrap();
        assert_eq!(
            quick.find_payout(&reference).await.unwrap(),
            None,
            "{number}"
        );
        assert!(
            sandbox
                .payouts_for_reference(MTN, reference.as_str())
                .is_empty()
        );
    }
}

#[tokio::test]
async fn expired_tokens_are_renewed_once_and_the_call_repeated() {
    let sandbox = sandbox().await;
    let client = sandbox.mtn_momo_client().unwrap();
    client.balance().await.unwrap();
    sandbox.expire_mtn_momo_tokens();
    assert_eq!(client.balance().await.unwrap().payout, eur("1000000"));
    let tokens = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.provider == MTN && r.path == "/disbursement/token/")
        .map(|r| r.status)
        .collect::<Vec<_>>();
    assert_eq!(tokens, [Some(200), Some(200)]);
    let balances = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.provider == MTN && r.path == "/disbursement/v1_0/account/balance")
        .map(|r| r.status)
        .collect::<Vec<_>>();
    assert_eq!(balances, [Some(200), Some(401), Some(200)]);
}

#[tokio::test]
async fn a_resend_of_the_same_reference_meets_409_and_resolves_to_the_one_transfer() {
    let sandbox = sandbox().await;
    let client = sandbox.mtn_momo_client().unwrap();
    let first = client
        .create_payout(&request("order-2", "+46733123999"))
        .await
        .unwrap();
    // Another process, after a crash: a new client, the same reference.
    let other = sandbox.mtn_momo_client().unwrap();
    let again = other
        .create_payout(&request("order-2", "+46733123999"))
        .await
        .unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(sandbox.payouts_for_reference(MTN, "order-2").len(), 1);
    let statuses: Vec<_> = sandbox
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/disbursement/v1_0/transfer")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [Some(202), Some(409)]);
}

#[tokio::test]
async fn a_dropped_answer_is_resent_with_the_same_id_and_paid_once() {
    let sandbox = sandbox().await;
    let client = sandbox.mtn_momo_client().unwrap();
    sandbox.inject(
        MTN,
        Route::post("/disbursement/v1_0/transfer").for_reference("order-3"),
        Fault::CommitThenDrop,
        1,
    );
    let payout = client
        .create_payout(&request("order-3", "+46733123999"))
        .await
        .unwrap();
    assert_eq!(sandbox.payouts_for_reference(MTN, "order-3").len(), 1);
    assert_eq!(
        payout.id,
        sandbox.payouts_for_reference(MTN, "order-3")[0].id
    );
}

#[tokio::test]
async fn deposits_refunds_balance_and_account_holders() {
    let sandbox = sandbox().await;
    let client = MtnMomoClient::new(
        sandbox
            .mtn_momo_config()
            .with_payout_mode(PayoutMode::DepositV2),
    )
    .unwrap();
    let status = settled(&client, "dep-1", "+46733123999").await;
    assert_eq!(status, Status::Succeeded);

    let payment = sandbox.mtn_momo_create_payment(eur("10.00"));
    let refund = |reference: &str, amount: &str| {
        RefundRequest::new(
            Reference::new(reference).unwrap(),
            payment.clone(),
            eur(amount),
            Destination::mobile(Msisdn::parse("+46733123999").unwrap()),
        )
    };
    let first = client.create_refund(&refund("rf-1", "6.00")).await.unwrap();
    assert_eq!(first.status, Status::Pending);
    let err = client
        .create_refund(&refund("rf-2", "6.00"))
        .await
        .unwrap_err();
    assert!(
        err.is_outcome_unknown(),
        "a 500 to a refund is not proof: {err:?}"
    );
    assert_eq!(
        sandbox
            .ledger(MTN)
            .iter()
            .filter(|e| e.payment_reference.is_some())
            .count(),
        1
    );
    eventually("the refund settles", || async {
        let entry = sandbox.entry(MTN, &first.id)?;
        (entry.status == EntryStatus::Succeeded).then_some(())
    })
    .await;
    let found = client
        .find_refund(&Reference::new("rf-1").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (found.id.as_str(), &found.status),
        (first.id.as_str(), &Status::Succeeded)
    );
    assert_eq!(found.amount, Some(eur("6.00")));
    assert_eq!(
        client.get_refund(&first.id).await.unwrap().status,
        Status::Succeeded
    );
    assert_eq!(
        client
            .find_refund(&Reference::new("rf-2").unwrap())
            .await
            .unwrap(),
        None,
        "the refused refund was never created"
    );

    assert_eq!(
        client.balance().await.unwrap().payout.currency(),
        Currency::EUR
    );
    assert_eq!(
        client.balance_in(Currency::UGX).await.unwrap().payout,
        Money::parse("1000000000", Currency::UGX).unwrap()
    );
    let wallet = |n: &str| Destination::mobile(Msisdn::parse(n).unwrap());
    let active = client
        .validate_recipient(&wallet("+46733123999"))
        .await
        .unwrap();
    assert!(active.valid);
    assert_eq!(active.name.as_deref(), Some("Sand Box"));
    assert!(
        !client
            .validate_recipient(&wallet("+46733123450"))
            .await
            .unwrap()
            .valid
    );
    assert!(
        !client
            .validate_recipient(&wallet("+46733123451"))
            .await
            .unwrap()
            .valid
    );
}

#[tokio::test]
async fn raw_requests_that_break_the_spec_are_refused() {
    let sandbox = sandbox().await;
    let base = sandbox.base_url_mtn_momo();
    let token = client()
        .post(format!("{base}/disbursement/token/"))
        .basic_auth(
            MTN_MOMO_CREDENTIALS.api_user,
            Some(MTN_MOMO_CREDENTIALS.api_key),
        )
        .header(
            "Ocp-Apim-Subscription-Key",
            MTN_MOMO_CREDENTIALS.subscription_key,
        )
        .send()
        .await
        .unwrap();
    let (status, body) = answer(token).await;
    assert_eq!(status, 200);
    assert_eq!(body["token_type"], "access_token");
    assert_eq!(body["expires_in"], 3600);
    let access = body["access_token"].as_str().unwrap().to_owned();
    let transfer = |id: &str, body: &str| {
        client()
            .post(format!("{base}/disbursement/v1_0/transfer"))
            .bearer_auth(&access)
            .header(
                "Ocp-Apim-Subscription-Key",
                MTN_MOMO_CREDENTIALS.subscription_key,
            )
            .header("X-Target-Environment", "sandbox")
            .header("X-Reference-Id", id)
            .header("Content-Type", "application/json")
            .body(body.to_owned())
            .send()
    };
    let good = r#"{"amount":"5","currency":"EUR","externalId":"x","payee":{"partyIdType":"MSISDN","partyId":"46733123999"},"payerMessage":"a","payeeNote":"b"}"#;
    // A v5 UUID: refused.
    let (status, _) = answer(
        transfer("5cecb5a7-8bd0-5f49-87b1-8eb9ecc7b7bc", good)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    let apostrophe = good.replace("\"a\"", "\"Jane's\"");
    let (status, _) = answer(
        transfer("5cecb5a7-8bd0-4f49-87b1-8eb9ecc7b7bc", &apostrophe)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 400);
    let ugx = good.replace("EUR", "UGX");
    let (status, body) = answer(
        transfer("5cecb5a7-8bd0-4f49-87b1-8eb9ecc7b7bc", &ugx)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (500, Some("INVALID_CURRENCY"))
    );
    let (status, _) = answer(
        transfer("5cecb5a7-8bd0-4f49-87b1-8eb9ecc7b7bc", good)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 202);
    let (status, body) = answer(
        transfer("5cecb5a7-8bd0-4f49-87b1-8eb9ecc7b7bc", good)
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("RESOURCE_ALREADY_EXIST"))
    );
}
