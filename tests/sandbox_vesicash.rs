//! The simulated Vesicash through raw HTTP: auth, reference data, payouts, refunds, the
//! documented error messages word for word, scripted outcomes.
#![cfg(feature = "sandbox")]

mod sandbox_support;

use std::str::FromStr;

use disburse::sandbox::{EntryKind, EntryStatus, ScriptedOutcome, VESICASH_CREDENTIALS};
use disburse::{Currency, Money, ProviderId};
use rust_decimal::Decimal;
use sandbox_support::*;
use serde_json::{Value, json};

const PAYOUT: &str = "/v1/payment/payout/process";
const REFUND: &str = "/v1/payment/refunds/process";

fn zmw(text: &str) -> Money {
    Money::parse(text, Currency::ZMW).unwrap()
}

fn momo_payout(amount: &str, number: &str, reason: &str) -> String {
    format!(
        r#"{{"amount": {amount}, "country_id": "4", "transfer_to": "mobile_number", "momo_phone_number": "{number}", "reason": "{reason}"}}"#
    )
}

fn refund(amount: &str, payment: &str, number: &str) -> String {
    format!(
        r#"{{"amount": {amount}, "payment_reference": "{payment}", "country_id": "1", "transfer_to": "mobile_number", "momo_phone_number": "{number}", "reason": "refund"}}"#
    )
}

async fn status_of(sandbox: &disburse::sandbox::Sandbox, reference: &str) -> Value {
    let (status, body) =
        vesicash_get(sandbox, &format!("/v1/payment/payout/status/{reference}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn final_status(sandbox: &disburse::sandbox::Sandbox, reference: &str) -> Value {
    eventually("a final Vesicash status", || async {
        let body = status_of(sandbox, reference).await;
        (body["data"]["status"] != "processing").then_some(body)
    })
    .await
}

#[tokio::test]
async fn countries_need_the_public_key_only_and_list_ng_zm_gh_ke() {
    let sandbox = sandbox().await;
    let url = format!("{}/v1/countries", sandbox.base_url_vesicash());
    let (status, body) = answer(
        client()
            .get(&url)
            .header("public-key", VESICASH_CREDENTIALS.public_key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "success");
    assert_eq!(body["code"], 200);
    let codes: Vec<&str> = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["country_code"].as_str().unwrap())
        .collect();
    for code in ["NG", "ZM", "GH", "KE"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    assert_eq!(
        body["data"][3],
        json!({"id": "4", "name": "Zambia", "country_code": "ZM", "currency_code": "ZMW"})
    );

    let (status, body) = answer(client().get(&url).send().await.unwrap()).await;
    assert_eq!(
        (status, body),
        (401, vesicash_error(401, "invalid public key"))
    );
}

#[tokio::test]
async fn a_payout_without_the_secret_key_is_401() {
    let sandbox = sandbox().await;
    let (status, body) = answer(
        client()
            .post(format!("{}{PAYOUT}", sandbox.base_url_vesicash()))
            .header("public-key", VESICASH_CREDENTIALS.public_key)
            .header("secret-key", "wrong")
            .body(momo_payout("10", "260999993000", "A-1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (401, vesicash_error(401, "invalid secret key"))
    );
    assert!(sandbox.ledger(ProviderId::VESICASH).is_empty());
}

#[tokio::test]
async fn banks_are_listed_per_country_under_either_query_name() {
    let sandbox = sandbox().await;
    let (status, body) = vesicash_get(&sandbox, "/v1/banks?country_id=4").await;
    assert_eq!(status, 200);
    assert_eq!(
        body["data"],
        json!([
            {"id": "401", "name": "Zanaco", "code": "010", "country_id": "4"},
            {"id": "402", "name": "Stanbic Bank Zambia", "code": "040", "country_id": "4"},
        ])
    );
    let (_, by_country) = vesicash_get(&sandbox, "/v1/banks?country=4").await;
    assert_eq!(by_country["data"], body["data"]);
    let (status, body) = vesicash_get(&sandbox, "/v1/banks?country_id=99").await;
    assert_eq!(
        (status, body),
        (400, vesicash_error(400, "country not found"))
    );
}

#[tokio::test]
async fn a_mobile_payout_is_processing_then_successful_and_debits_the_balance() {
    let sandbox = sandbox().await;
    let before = sandbox
        .balance(ProviderId::VESICASH, Currency::ZMW)
        .unwrap();

    let (status, body) = vesicash_post(
        &sandbox,
        PAYOUT,
        &momo_payout("1000.50", "260999993000", "ORDER-1"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let reference = body["data"]["reference"].as_str().unwrap().to_owned();
    assert!(reference.starts_with("PY_"), "{reference}");
    assert_eq!(
        body,
        json!({
            "status": "success",
            "code": 200,
            "message": "payout is being processed",
            "data": {"reference": reference, "status": "processing", "amount": 1000.50},
        })
    );
    let after = sandbox
        .balance(ProviderId::VESICASH, Currency::ZMW)
        .unwrap();
    assert_eq!(
        before.amount() - after.amount(),
        Decimal::from_str("1000.50").unwrap()
    );

    let settled = final_status(&sandbox, &reference).await;
    assert_eq!(
        settled["data"],
        json!({"reference": reference, "status": "successful", "amount": 1000.50})
    );
    let (_, other_route) = vesicash_get(&sandbox, &format!("/v1/payment/{reference}")).await;
    assert_eq!(other_route, settled);

    let entries = sandbox.payouts_for_reference(ProviderId::VESICASH, "ORDER-1");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].id, reference);
    assert_eq!(entries[0].kind, EntryKind::Payout);
    assert_eq!(entries[0].reference.as_deref(), Some("ORDER-1"));
    assert_eq!(entries[0].status, EntryStatus::Succeeded);
    assert_eq!(entries[0].amount, zmw("1000.50"));
}

#[tokio::test]
async fn the_plural_payout_path_and_a_string_amount_work_and_the_amount_is_echoed_as_sent() {
    let sandbox = sandbox().await;
    let body = r#"{"amount": "250.00", "country_id": 4, "transfer_to": "mobile_number", "momo_phone_number": "260999993000", "narration": "Payout ORDER-9 weekly"}"#;
    let (status, answer) = vesicash_post(&sandbox, "/v1/payment/payouts/process", body).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["data"]["amount"], "250.00");
    let found = sandbox.payouts_for_reference(ProviderId::VESICASH, "ORDER-9");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].request_body, body);
}

#[tokio::test]
async fn a_bank_payout_needs_a_bank_of_the_country() {
    let sandbox = sandbox().await;
    let bank = r#"{"amount": 500, "country_id": "4", "transfer_to": "bank", "bank_id": "401", "account_number": "1234567890", "reason": "B-1"}"#;
    let (status, body) = vesicash_post(&sandbox, PAYOUT, bank).await;
    assert_eq!(status, 200, "{body}");
    let wrong_bank = bank.replace("\"401\"", "\"101\"");
    let (status, body) = vesicash_post(&sandbox, PAYOUT, &wrong_bank).await;
    assert_eq!((status, body), (400, vesicash_error(400, "bank not found")));
}

#[tokio::test]
async fn error_payout_amount_is_less_that_0() {
    let sandbox = sandbox().await;
    for amount in ["0", "-5", "\"abc\"", "null", "1.234"] {
        let (status, body) =
            vesicash_post(&sandbox, PAYOUT, &momo_payout(amount, "260999993000", "A")).await;
        assert_eq!(
            (status, body),
            (400, vesicash_error(400, "payout amount is less that 0")),
            "amount {amount}"
        );
    }
    assert!(sandbox.ledger(ProviderId::VESICASH).is_empty());
}

#[tokio::test]
async fn error_payout_provider_service_returned_an_error() {
    let sandbox = sandbox().await;
    // With a '+', a Nigerian number for a Zambian payout, too short, letters.
    for number in ["+260999993000", "2348031234567", "26099999", "26099999300O"] {
        let (status, body) = vesicash_post(&sandbox, PAYOUT, &momo_payout("10", number, "A")).await;
        assert_eq!(
            (status, body),
            (
                400,
                vesicash_error(400, "Payout Provider service returned an error")
            ),
            "number {number}"
        );
    }
}

#[tokio::test]
async fn error_insufficient_funds_on_a_payout() {
    let sandbox = sandbox().await;
    sandbox.set_balance(ProviderId::VESICASH, zmw("99.99"));
    let (status, body) =
        vesicash_post(&sandbox, PAYOUT, &momo_payout("100", "260999993000", "A")).await;
    assert_eq!(
        (status, body),
        (
            400,
            vesicash_error(
                400,
                "Insufficient funds or wallet error preventing refund processing"
            )
        )
    );
    assert_eq!(
        sandbox.balance(ProviderId::VESICASH, Currency::ZMW),
        Some(zmw("99.99"))
    );
}

#[tokio::test]
async fn error_payment_not_found() {
    let sandbox = sandbox().await;
    let (status, body) =
        vesicash_post(&sandbox, REFUND, &refund("10", "PAY_NOPE", "2348031234567")).await;
    assert_eq!(
        (status, body),
        (400, vesicash_error(400, "payment not found"))
    );
    let (status, body) = vesicash_get(&sandbox, "/v1/payment/payout/status/PY_UNKNOWN").await;
    assert_eq!(
        (status, body),
        (400, vesicash_error(400, "payment not found"))
    );
}

#[tokio::test]
async fn refunds_never_exceed_the_payment_in_total() {
    let sandbox = sandbox().await;
    let payment = sandbox.vesicash_create_payment(Money::parse("1000", Currency::NGN).unwrap());
    let exceeds = vesicash_error(
        400,
        "Refund amount exceeds the remaining refundable balance",
    );

    let (status, body) =
        vesicash_post(&sandbox, REFUND, &refund("600", &payment, "2348031234567")).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body["data"]["reference"]
            .as_str()
            .unwrap()
            .starts_with("RF_")
    );
    assert_eq!(body["data"]["status"], "processing");
    let (status, body) = vesicash_post(
        &sandbox,
        REFUND,
        &refund("400.01", &payment, "2348031234567"),
    )
    .await;
    assert_eq!((status, body), (400, exceeds.clone()));
    let (status, _) =
        vesicash_post(&sandbox, REFUND, &refund("400", &payment, "2348031234567")).await;
    assert_eq!(status, 200);
    for amount in ["0.01", "0", "-1"] {
        let (status, body) =
            vesicash_post(&sandbox, REFUND, &refund(amount, &payment, "2348031234567")).await;
        assert_eq!((status, body), (400, exceeds.clone()), "amount {amount}");
    }
    assert_eq!(sandbox.vesicash_refunded(&payment), Decimal::from(1000));
    let (_, lookup) = vesicash_get(&sandbox, &format!("/v1/payment/{payment}")).await;
    assert_eq!(
        lookup["data"],
        json!({"reference": payment, "status": "successful", "amount": 1000, "currency": "NGN", "refunded_amount": 1000})
    );
}

#[tokio::test]
async fn a_failed_refund_frees_its_amount_again() {
    let sandbox = sandbox().await;
    let payment = sandbox.vesicash_create_payment(Money::parse("100", Currency::NGN).unwrap());
    let (status, body) =
        vesicash_post(&sandbox, REFUND, &refund("100", &payment, "2348031230001")).await;
    assert_eq!(status, 200, "{body}");
    let reference = body["data"]["reference"].as_str().unwrap().to_owned();
    let settled = final_status(&sandbox, &reference).await;
    assert_eq!(settled["data"]["status"], "failed");
    assert_eq!(settled["data"]["reason"], "INSUFFICIENT_FUNDS");
    assert_eq!(settled["data"]["payment_reference"], payment.as_str());
    let (status, _) =
        vesicash_post(&sandbox, REFUND, &refund("100", &payment, "2348031234567")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn error_refund_provider_service_returned_an_error() {
    let sandbox = sandbox().await;
    let payment = sandbox.vesicash_create_payment(Money::parse("100", Currency::NGN).unwrap());
    for number in ["+2348031234567", "080312345", "2609999930000"] {
        let (status, body) = vesicash_post(&sandbox, REFUND, &refund("10", &payment, number)).await;
        assert_eq!(
            (status, body),
            (
                400,
                vesicash_error(400, "Refund Provider service returned an error")
            ),
            "number {number}"
        );
    }
}

#[tokio::test]
async fn error_insufficient_funds_on_a_refund() {
    let sandbox = sandbox().await;
    let payment = sandbox.vesicash_create_payment(Money::parse("100", Currency::NGN).unwrap());
    sandbox.set_balance(
        ProviderId::VESICASH,
        Money::parse("5", Currency::NGN).unwrap(),
    );
    let (status, body) =
        vesicash_post(&sandbox, REFUND, &refund("10", &payment, "2348031234567")).await;
    assert_eq!(
        (status, body),
        (
            400,
            vesicash_error(
                400,
                "Insufficient funds or wallet error preventing refund processing"
            )
        )
    );
    assert_eq!(sandbox.vesicash_refunded(&payment), Decimal::ZERO);
}

#[tokio::test]
async fn scripted_recipients_fail_with_vesicash_codes_and_give_the_money_back() {
    let sandbox = sandbox().await;
    let start = sandbox
        .balance(ProviderId::VESICASH, Currency::ZMW)
        .unwrap();
    let cases = [
        ("260999990001", "INSUFFICIENT_FUNDS"),
        ("260999990002", "ACCOUNT_NOT_FOUND"),
        ("260999990003", "ACCOUNT_BLOCKED"),
        ("260999990005", "DECLINED_TRANSACTION"),
    ];
    for (number, code) in cases {
        let (status, body) = vesicash_post(&sandbox, PAYOUT, &momo_payout("10", number, "S")).await;
        assert_eq!(status, 200, "{body}");
        let reference = body["data"]["reference"].as_str().unwrap().to_owned();
        let settled = final_status(&sandbox, &reference).await;
        assert_eq!(
            settled["data"],
            json!({"reference": reference, "status": "failed", "amount": 10, "reason": code})
        );
        let entry = sandbox.entry(ProviderId::VESICASH, &reference).unwrap();
        assert!(matches!(entry.status, EntryStatus::Failed { code: ref c, .. } if c == code));
    }
    assert_eq!(
        sandbox.balance(ProviderId::VESICASH, Currency::ZMW),
        Some(start)
    );

    let (_, body) = vesicash_post(&sandbox, PAYOUT, &momo_payout("10", "260999990004", "P")).await;
    let reference = body["data"]["reference"].as_str().unwrap().to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(
        status_of(&sandbox, &reference).await["data"]["status"],
        "processing"
    );
    let entry = sandbox.entry(ProviderId::VESICASH, &reference).unwrap();
    assert_eq!(entry.scripted, Some(ScriptedOutcome::StaysPending));
    assert_eq!(entry.status, EntryStatus::Pending);
}

#[tokio::test]
async fn the_scripted_amount_is_a_500_that_records_nothing() {
    let sandbox = sandbox().await;
    let start = sandbox.balance(ProviderId::VESICASH, Currency::ZMW);
    let (status, body) = vesicash_post(
        &sandbox,
        PAYOUT,
        &momo_payout("666.66", "260999993000", "E"),
    )
    .await;
    assert_eq!(
        (status, body),
        (500, vesicash_error(500, "internal server error"))
    );
    assert!(sandbox.ledger(ProviderId::VESICASH).is_empty());
    assert_eq!(sandbox.balance(ProviderId::VESICASH, Currency::ZMW), start);
}

#[tokio::test]
async fn undocumented_failures_use_the_sandbox_words() {
    let sandbox = sandbox().await;
    let cases = [
        ("not json", "invalid request body"),
        (
            r#"{"amount": 10, "transfer_to": "mobile_number"}"#,
            "country_id is required",
        ),
        (r#"{"amount": 10, "country_id": "77"}"#, "country not found"),
        (
            r#"{"amount": 10, "country_id": "4"}"#,
            "transfer_to is required",
        ),
        (
            r#"{"amount": 10, "country_id": "4", "transfer_to": "card"}"#,
            "transfer_to must be one of mobile_number, bank",
        ),
        (
            r#"{"amount": 10, "country_id": "4", "transfer_to": "bank"}"#,
            "bank_id is required",
        ),
        (
            r#"{"amount": 10, "country_id": "4", "transfer_to": "bank", "bank_id": "401"}"#,
            "account_number is required",
        ),
        (
            r#"{"amount": 10, "country_id": "4", "transfer_to": "bank", "bank_id": "401", "account_number": "12-34"}"#,
            "invalid account number",
        ),
        (
            r#"{"amount": 10, "country_id": "4", "transfer_to": "mobile_number", "momo_phone_number": "260999993000", "webhook_url": "not a url"}"#,
            "webhook_url must be a valid URL",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = vesicash_post(&sandbox, PAYOUT, body).await;
        assert_eq!(
            (status, answer),
            (400, vesicash_error(400, message)),
            "{body}"
        );
    }
    let (status, answer) = vesicash_get(&sandbox, "/v1/nowhere").await;
    assert_eq!(
        (status, answer),
        (404, vesicash_error(404, "route not found"))
    );
}
