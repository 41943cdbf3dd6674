//! The simulated Payonify through raw HTTP: Basic auth, validate, create with idempotent replay,
//! validation errors, retrieval, cursor paging, scripted outcomes.
#![cfg(feature = "sandbox")]

mod sandbox_support;

use std::time::Duration;

use disburse::sandbox::{EntryStatus, PAYONIFY_CREDENTIALS, Sandbox};
use disburse::{Currency, Money, ProviderId};
use reqwest::Method;
use sandbox_support::*;
use serde_json::{Value, json};

const PAYOUTS: &str = "/v1/payouts";

async fn final_payout(sandbox: &Sandbox, id: &str) -> Value {
    eventually("a final Payonify status", || async {
        let (status, body) = payonify_get(sandbox, &format!("{PAYOUTS}/{id}")).await;
        assert_eq!(status, 200, "{body}");
        (body["status"] != "pending").then_some(body)
    })
    .await
}

fn usd(text: &str) -> Money {
    Money::parse(text, Currency::USD).unwrap()
}

#[tokio::test]
async fn requests_without_the_test_keys_are_authentication_errors() {
    let sandbox = sandbox().await;
    let url = format!("{}{PAYOUTS}", sandbox.base_url_payonify());
    let (status, body) = answer(client().get(&url).send().await.unwrap()).await;
    assert_eq!(status, 401);
    assert_eq!(body["type"], "authentication_error");
    assert_eq!(body["code"], "missing_api_key");
    let (status, body) = answer(
        client()
            .get(&url)
            .basic_auth(PAYONIFY_CREDENTIALS.publishable_key, Some("sk_test_wrong"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            401,
            json!({
                "type": "authentication_error", "code": "invalid_api_key",
                "message": "Invalid API key provided.", "param": null,
                "doc_url": "https://docs.payonify.com/api/errors#invalid_api_key",
            })
        )
    );
}

#[tokio::test]
async fn validate_names_the_recipient_or_says_invalid() {
    let sandbox = sandbox().await;
    let body = |n: &str| {
        format!(
            r#"{{"destination": {{"mobile_money": {{"ecocash": {{"mobile_number": "{n}"}}}}}}}}"#
        )
    };
    let (status, answer) =
        payonify_post(&sandbox, "/v1/payouts/validate", None, &body("771111111")).await;
    assert_eq!(status, 200);
    assert_eq!(answer["valid"], true);
    assert_eq!(answer["recipient"]["account_status"], "active");
    assert_eq!(answer["recipient"]["mobile_number"], "771111111");
    for n in ["771110002", "771110003"] {
        let (status, answer) =
            payonify_post(&sandbox, "/v1/payouts/validate", None, &body(n)).await;
        assert_eq!((status, answer), (200, json!({"valid": false})), "{n}");
    }
    assert!(sandbox.ledger(ProviderId::PAYONIFY).is_empty());
}

#[tokio::test]
async fn a_payout_is_pending_then_paid_and_debits_the_balance() {
    let sandbox = sandbox().await;
    let (status, body) = payonify_post(
        &sandbox,
        PAYOUTS,
        Some("order-42"),
        &payonify_payout(1050, "usd", "0771111111"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("po_"), "{id}");
    let created = body["created"].as_i64().unwrap();
    assert_eq!(
        body,
        json!({
            "id": id, "object": "payout", "amount": {"value": 1050, "currency": "usd"},
            "livemode": false, "created": created, "status": "pending", "description": "Winnings",
            "metadata": {"order_id": "ORD-1"},
            "destination_details": {"type": "mobile_money", "mobile_money": {
                "brand": "ecocash", "reference": null, "recipient_number": "771111111",
                "recipient_name": "Tatenda Mpofu", "channel_number": "263770000000", "network": "econet",
            }},
            "failure_code": null, "failure_message": null,
        })
    );
    assert_eq!(
        sandbox.balance(ProviderId::PAYONIFY, Currency::USD),
        Some(usd("9989.50"))
    );
    let settled = final_payout(&sandbox, &id).await;
    assert_eq!(settled["status"], "paid");
    assert!(
        settled["destination_details"]["mobile_money"]["reference"]
            .as_str()
            .unwrap()
            .starts_with("MP")
    );
    let entries = sandbox.payouts_for_reference(ProviderId::PAYONIFY, "order-42");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].status, EntryStatus::Succeeded);
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::PAYONIFY, "ORD-1")
            .len(),
        1
    );
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_answer_byte_for_byte() {
    let sandbox = sandbox().await;
    let body = payonify_payout(500, "usd", "771111111");
    let send = || async {
        payonify_request(&sandbox, Method::POST, PAYOUTS)
            .header("Idempotency-Key", "replay-1")
            .body(body.clone())
            .send()
            .await
            .unwrap()
    };
    let first = send().await;
    assert_eq!(first.status(), 200);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first = first.bytes().await.unwrap();
    // Let it settle: the replay still shows the first answer (pending), not the current state.
    let id = serde_json::from_slice::<Value>(&first).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    final_payout(&sandbox, &id).await;
    let second = send().await;
    assert_eq!(second.status(), 200);
    assert_eq!(second.headers()["idempotent-replayed"], "true");
    assert_eq!(second.bytes().await.unwrap(), first);
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::PAYONIFY, "replay-1")
            .len(),
        1
    );
    assert_eq!(sandbox.ledger(ProviderId::PAYONIFY).len(), 1);
    assert_eq!(
        sandbox.balance(ProviderId::PAYONIFY, Currency::USD),
        Some(usd("9995.00"))
    );
}

#[tokio::test]
async fn the_same_key_with_another_body_is_an_idempotency_error() {
    let sandbox = sandbox().await;
    assert_eq!(
        payonify_post(
            &sandbox,
            PAYOUTS,
            Some("k-2"),
            &payonify_payout(500, "usd", "771111111")
        )
        .await
        .0,
        200
    );
    let (status, body) = payonify_post(
        &sandbox,
        PAYOUTS,
        Some("k-2"),
        &payonify_payout(600, "usd", "771111111"),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({
                "type": "idempotency_error", "code": null,
                "message": "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'k-2' if you meant to execute a different request.",
                "param": null, "doc_url": "https://docs.payonify.com/api/errors",
            })
        )
    );
    assert_eq!(sandbox.ledger(ProviderId::PAYONIFY).len(), 1);
}

#[tokio::test]
async fn invalid_parameters_are_named() {
    let sandbox = sandbox().await;
    let number = "destination[mobile_money][ecocash][mobile_number]";
    let with = |field: &str, value: &str| {
        let mut body: Value =
            serde_json::from_str(&payonify_payout(1000, "usd", "771111111")).unwrap();
        body[field] = serde_json::from_str(value).unwrap();
        body.to_string()
    };
    let long_key = format!(r#"{{"{}": "v"}}"#, "k".repeat(41));
    let long_value = format!(r#"{{"order": "{}"}}"#, "v".repeat(501));
    let description = format!(r#""{}""#, "d".repeat(151));
    let cases = [
        (
            with("amount", "99"),
            "amount",
            "Invalid amount: the minimum is 100.",
        ),
        (
            with("amount", "100.5"),
            "amount",
            "Invalid amount: it must be a positive integer in the smallest currency unit.",
        ),
        (
            with("amount", "\"1000\""),
            "amount",
            "Invalid amount: it must be a positive integer in the smallest currency unit.",
        ),
        (
            with("currency", "\"eur\""),
            "currency",
            "Invalid currency: it must be one of usd, zwg.",
        ),
        (
            with("currency", "\"USD\""),
            "currency",
            "Invalid currency: it must be one of usd, zwg.",
        ),
        (
            payonify_payout(1000, "usd", "712345678"),
            number,
            "Invalid mobile_number: it must be an Econet (EcoCash) number such as 771111111 (077, 078 or 079).",
        ),
        (
            payonify_payout(1000, "usd", "77111"),
            number,
            "Invalid mobile_number: it must be an Econet (EcoCash) number such as 771111111 (077, 078 or 079).",
        ),
        (
            with("description", &description),
            "description",
            "Invalid description: it must be at most 150 characters.",
        ),
        (
            with(
                "metadata",
                r#"{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"}"#,
            ),
            "metadata",
            "Invalid metadata: at most 5 keys are allowed.",
        ),
        (
            with("metadata", &long_key),
            "metadata",
            "Invalid metadata: keys must be at most 40 characters.",
        ),
        (
            with("metadata", &long_value),
            "metadata[order]",
            "Invalid metadata value: it must be at most 500 characters.",
        ),
        (
            with("metadata", r#"{"n": 5}"#),
            "metadata[n]",
            "Invalid metadata value: it must be a string.",
        ),
    ];
    for (body, param, message) in cases {
        let (status, answer) = payonify_post(&sandbox, PAYOUTS, None, &body).await;
        assert_eq!(
            (status, answer),
            (400, payonify_invalid("parameter_invalid", message, param)),
            "{body}"
        );
    }
    for (body, param) in [
        (r#"{"currency": "usd"}"#, "amount"),
        (r#"{"amount": 1000}"#, "currency"),
        (r#"{"amount": 1000, "currency": "zwg"}"#, "destination"),
        (
            r#"{"amount": 1000, "currency": "zwg", "destination": {"mobile_money": {}}}"#,
            number,
        ),
    ] {
        let (status, answer) = payonify_post(&sandbox, PAYOUTS, None, body).await;
        let message = format!("Missing required param: {param}.");
        assert_eq!(
            (status, answer),
            (400, payonify_invalid("parameter_missing", &message, param)),
            "{body}"
        );
    }
    // The limits themselves are fine.
    let ok = with(
        "metadata",
        &format!(r#"{{"{}": "{}"}}"#, "k".repeat(40), "v".repeat(500)),
    );
    assert_eq!(payonify_post(&sandbox, PAYOUTS, None, &ok).await.0, 200);
    assert_eq!(
        payonify_post(&sandbox, PAYOUTS, None, &with("amount", "100"))
            .await
            .0,
        200
    );
    assert_eq!(sandbox.ledger(ProviderId::PAYONIFY).len(), 2);
}

#[tokio::test]
async fn a_onemoney_or_bank_destination_is_refused_as_unsupported() {
    let sandbox = sandbox().await;
    let onemoney = r#"{"amount": 1000, "currency": "usd", "destination": {"mobile_money": {"onemoney": {"mobile_number": "711111111"}}}}"#;
    let bank = r#"{"amount": 1000, "currency": "usd", "destination": {"bank": {"account_number": "12345"}}}"#;
    for (path, body, param, name) in [
        (
            PAYOUTS,
            onemoney,
            "destination[mobile_money][onemoney]",
            "OneMoney",
        ),
        (
            "/v1/payouts/validate",
            onemoney,
            "destination[mobile_money][onemoney]",
            "OneMoney",
        ),
        (PAYOUTS, bank, "destination[bank]", "bank"),
    ] {
        let (status, answer) = payonify_post(&sandbox, path, None, body).await;
        let message = format!(
            "Unsupported destination: {name} payouts are not available yet. EcoCash mobile money \
             is the only supported destination."
        );
        assert_eq!(
            (status, answer),
            (400, payonify_invalid("parameter_invalid", &message, param)),
            "{path} {body}"
        );
    }
    assert!(sandbox.ledger(ProviderId::PAYONIFY).is_empty());
}

#[tokio::test]
async fn an_unknown_payout_is_resource_missing() {
    let sandbox = sandbox().await;
    let (status, body) = payonify_get(&sandbox, "/v1/payouts/po_nope").await;
    assert_eq!(
        (status, body),
        (
            404,
            payonify_invalid("resource_missing", "No such payout: 'po_nope'", "id")
        )
    );
}

#[tokio::test]
async fn an_empty_balance_is_balance_insufficient() {
    let sandbox = sandbox().await;
    sandbox.set_balance(
        ProviderId::PAYONIFY,
        Money::parse("5", Currency::ZWG).unwrap(),
    );
    let (status, body) = payonify_post(
        &sandbox,
        PAYOUTS,
        Some("b-1"),
        &payonify_payout(501, "zwg", "781111111"),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["type"], "invalid_request_error");
    assert_eq!(body["code"], "balance_insufficient");
    assert_eq!(
        payonify_post(
            &sandbox,
            PAYOUTS,
            Some("b-1"),
            &payonify_payout(500, "zwg", "781111111")
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn scripted_recipients_fail_with_failure_codes_and_give_the_money_back() {
    let sandbox = sandbox().await;
    let cases = [
        (
            "771110001",
            "insufficient_funds",
            "The payout could not be completed because of insufficient funds.",
        ),
        (
            "771110002",
            "account_not_found",
            "No EcoCash account exists for this mobile number.",
        ),
        (
            "771110003",
            "account_blocked",
            "The EcoCash account for this mobile number is blocked.",
        ),
        (
            "771110005",
            "declined",
            "The payout was declined by the mobile money provider.",
        ),
    ];
    for (number, code, message) in cases {
        let (status, body) = payonify_post(
            &sandbox,
            PAYOUTS,
            None,
            &payonify_payout(1000, "usd", number),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let settled = final_payout(&sandbox, body["id"].as_str().unwrap()).await;
        assert_eq!(settled["status"], "failed");
        assert_eq!(settled["failure_code"], code);
        assert_eq!(settled["failure_message"], message);
    }
    assert_eq!(
        sandbox.balance(ProviderId::PAYONIFY, Currency::USD),
        Some(usd("10000"))
    );
    let (_, body) = payonify_post(
        &sandbox,
        PAYOUTS,
        None,
        &payonify_payout(1000, "usd", "771110004"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, still) = payonify_get(
        &sandbox,
        &format!("{PAYOUTS}/{}", body["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(still["status"], "pending");
}

#[tokio::test]
async fn the_scripted_amount_is_a_500_that_is_not_kept_under_its_key() {
    let sandbox = sandbox().await;
    let body = payonify_payout(66666, "usd", "771111111");
    let (status, answer) = payonify_post(&sandbox, PAYOUTS, Some("boom"), &body).await;
    assert_eq!(status, 500);
    assert_eq!(answer["type"], "api_error");
    assert!(sandbox.ledger(ProviderId::PAYONIFY).is_empty());
    let (status, _) = payonify_post(
        &sandbox,
        PAYOUTS,
        Some("boom"),
        &payonify_payout(1000, "usd", "771111111"),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn payouts_are_listed_newest_first_with_cursors_and_filters() {
    let sandbox = sandbox().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        let currency = if i == 2 { "zwg" } else { "usd" };
        let (status, body) = payonify_post(
            &sandbox,
            PAYOUTS,
            None,
            &payonify_payout(100 + i, currency, "771111111"),
        )
        .await;
        assert_eq!(status, 200);
        ids.push(body["id"].as_str().unwrap().to_owned());
    }
    ids.reverse(); // newest first
    let page_ids = |page: &Value| -> Vec<String> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["id"].as_str().unwrap().to_owned())
            .collect()
    };

    let (status, first) = payonify_get(&sandbox, "/v1/payouts?limit=2").await;
    assert_eq!(status, 200);
    assert_eq!(first["object"], "list");
    assert_eq!(page_ids(&first), ids[0..2]);
    assert_eq!(
        first["paging"],
        json!({"has_previous_page": false, "has_next_page": true, "start_cursor": ids[0], "end_cursor": ids[1], "page_size": 2})
    );
    let (_, second) =
        payonify_get(&sandbox, &format!("/v1/payouts?limit=2&after={}", ids[1])).await;
    assert_eq!(page_ids(&second), ids[2..4]);
    assert_eq!(second["paging"]["has_previous_page"], true);
    let (_, third) = payonify_get(&sandbox, &format!("/v1/payouts?limit=2&after={}", ids[3])).await;
    assert_eq!(page_ids(&third), ids[4..5]);
    assert_eq!(third["paging"]["has_next_page"], false);
    let (_, back) = payonify_get(&sandbox, &format!("/v1/payouts?last=2&before={}", ids[4])).await;
    assert_eq!(page_ids(&back), ids[2..4]);
    assert_eq!(back["paging"]["has_previous_page"], true);

    let (_, zwg) = payonify_get(&sandbox, "/v1/payouts?currency=zwg").await;
    assert_eq!(page_ids(&zwg), ids[2..3]);
    // The day the sandbox stamped them (not "now": midnight may pass during the test).
    let today = sandbox.ledger(ProviderId::PAYONIFY)[0]
        .created_at
        .date_naive();
    let (_, dated) = payonify_get(
        &sandbox,
        &format!("/v1/payouts?start_date={today}&end_date={today}&limit=100"),
    )
    .await;
    assert_eq!(page_ids(&dated).len(), 5);
    let (_, none) = payonify_get(&sandbox, "/v1/payouts?end_date=2000-01-01").await;
    assert_eq!(none["data"], json!([]));
    assert_eq!(none["paging"]["start_cursor"], Value::Null);

    let (status, body) = payonify_get(&sandbox, "/v1/payouts?limit=101").await;
    assert_eq!(
        (status, body),
        (
            400,
            payonify_invalid(
                "parameter_invalid",
                "Invalid limit: it must be an integer from 1 to 100.",
                "limit"
            )
        )
    );
    let (status, body) = payonify_get(&sandbox, "/v1/payouts?status=done").await;
    assert_eq!(
        (status, body),
        (
            400,
            payonify_invalid(
                "parameter_invalid",
                "Invalid status: it must be one of pending, paid, failed.",
                "status"
            )
        )
    );
}
