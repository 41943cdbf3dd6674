//! The simulated JPay through raw HTTP: tokens and their expiry, payouts, the documented
//! `{"detail": …}` messages word for word, duplicate `ref_no`, scripted outcomes, paging.
#![cfg(feature = "sandbox")]

mod sandbox_support;

use std::time::Duration;

use disburse::sandbox::{EntryStatus, JPAY_CREDENTIALS, Sandbox};
use disburse::{Currency, Money, ProviderId};
use sandbox_support::*;
use serde_json::{Value, json};

const INITIATE: &str = "/payments/payouts/initiate";

/// The docs' example request, byte for byte.
const DOCS_EXAMPLE: &str = r#"{
"payto": "+254712345678",
"amount": "1000.00",
"ref_no": "PAYOUT-2024-001",
"callback_url": "https://yourdomain.com/webhook",
"category": "other",
"narration": "Commission Payment #456",
"channel": 63902,
"app_code": 12345
}"#;

async fn final_payout(sandbox: &Sandbox, token: &str, id: &str) -> Value {
    eventually("a final JPay status", || async {
        let (status, body) = jpay_get(sandbox, token, &format!("/payments/payouts/{id}")).await;
        assert_eq!(status, 200, "{body}");
        (body["status"] != "pending").then_some(body)
    })
    .await
}

#[tokio::test]
async fn the_app_token_call_returns_the_documented_fields() {
    let sandbox = sandbox().await;
    let (status, body) = answer(
        client()
            .post(format!("{}/auth/app/token", sandbox.base_url_jpay()))
            .body(format!(
                r#"{{"app_key": "{}", "app_secret": "{}"}}"#,
                JPAY_CREDENTIALS.app_key, JPAY_CREDENTIALS.app_secret
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["access", "app_code", "merchant_id", "products", "refresh"]
    );
    assert_eq!(body["app_code"], 12345);
    assert_eq!(body["merchant_id"], "MCH-SANDBOX-0001");
    assert_eq!(body["products"], json!(["payouts", "collections"]));

    let (status, body) = answer(
        client()
            .post(format!("{}/auth/app/token", sandbox.base_url_jpay()))
            .body(format!(
                r#"{{"app_key": "{}", "app_secret": "nope"}}"#,
                JPAY_CREDENTIALS.app_key
            ))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (401, jpay_detail("Invalid app credentials"))
    );
}

#[tokio::test]
async fn error_invalid_or_expired_token() {
    let sandbox = sandbox().await;
    let (status, body) = answer(
        client()
            .get(format!("{}/wallets/balance", sandbox.base_url_jpay()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body),
        (401, jpay_detail("Invalid or expired token"))
    );
    let (status, body) = jpay_get(&sandbox, "jpay_at_forged", "/wallets/balance").await;
    assert_eq!(
        (status, body),
        (401, jpay_detail("Invalid or expired token"))
    );
}

#[tokio::test]
async fn an_expired_token_is_401_until_refreshed() {
    let sandbox = sandbox().await;
    let (access, refresh) = jpay_token(&sandbox).await;
    assert_eq!(jpay_get(&sandbox, &access, "/wallets/balance").await.0, 200);

    sandbox.expire_jpay_tokens();
    let (status, body) = jpay_get(&sandbox, &access, "/wallets/balance").await;
    assert_eq!(
        (status, body),
        (401, jpay_detail("Invalid or expired token"))
    );

    let (status, body) = jpay_post(
        &sandbox,
        "",
        "/auth/refresh",
        &format!(r#"{{"refresh": "{refresh}"}}"#),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let keys: Vec<&String> = body.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["access", "refresh"]);
    let renewed = body["access"].as_str().unwrap();
    assert_ne!(renewed, access);
    assert_eq!(jpay_get(&sandbox, renewed, "/wallets/balance").await.0, 200);

    sandbox.expire_jpay_refresh_tokens();
    let (status, body) = jpay_post(
        &sandbox,
        "",
        "/auth/refresh",
        &format!(r#"{{"refresh": "{refresh}"}}"#),
    )
    .await;
    assert_eq!(
        (status, body),
        (401, jpay_detail("Invalid or expired token"))
    );
}

#[tokio::test]
async fn access_tokens_expire_after_the_configured_lifetime() {
    let lifetime = Duration::from_secs(1);
    let sandbox = Sandbox::builder()
        .settle_after(Duration::ZERO)
        .jpay_token_lifetime(lifetime)
        .start()
        .await
        .unwrap();
    let asked = tokio::time::Instant::now();
    let (access, _) = jpay_token(&sandbox).await;
    let answered = tokio::time::Instant::now();
    let status = jpay_get(&sandbox, &access, "/wallets/balance").await.0;
    // The token was issued between `asked` and `answered`: it is certainly alive while less than
    // its lifetime has passed since `asked` (a stalled machine may not get there in time), and
    // certainly dead once its lifetime has passed since `answered`.
    if asked.elapsed() < lifetime {
        assert_eq!(status, 200);
    }
    tokio::time::sleep_until(answered + lifetime + Duration::from_millis(50)).await;
    assert_eq!(jpay_get(&sandbox, &access, "/wallets/balance").await.0, 401);
}

#[tokio::test]
async fn the_docs_example_payout_is_pending_then_completed_and_debits_the_wallet() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let (status, body) = jpay_post(&sandbox, &token, INITIATE, DOCS_EXAMPLE).await;
    assert_eq!(status, 200, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    assert!(
        id.starts_with("PAYOUT-2024-001-") && id.len() == "PAYOUT-2024-001-ABC123".len(),
        "{id}"
    );
    let created_at = body["created_at"].as_str().unwrap().to_owned();
    assert!(
        chrono::NaiveDateTime::parse_from_str(&created_at, "%d/%m/%Y %H:%M:%S").is_ok(),
        "{created_at}"
    );
    assert_eq!(
        body,
        json!({
            "id": id, "payto": "+254712345678", "amount": "1000.00", "ref_no": "PAYOUT-2024-001",
            "status": "pending", "category": "other", "channel": 63902, "channel_name": "M-Pesa",
            "channel_type": "Mobile Money", "created_at": created_at,
        })
    );
    let (_, balance) = jpay_get(&sandbox, &token, "/wallets/balance").await;
    assert_eq!(
        balance,
        json!({"collection_wallet_balance": "250000.00", "payout_wallet_balance": "999000.00", "total_balance": "1249000.00"})
    );

    let settled = final_payout(&sandbox, &token, &id).await;
    assert_eq!(settled["status"], "completed");
    assert_eq!(settled["result_code"], 0);
    assert_eq!(
        settled["result_description"],
        "The service request is processed successfully"
    );
    assert_eq!(settled["narration"], "Commission Payment #456");
    assert!(settled["trans_id"].as_str().unwrap().starts_with('Q'));
    let entries = sandbox.payouts_for_reference(ProviderId::JPAY, "PAYOUT-2024-001");
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].status, EntryStatus::Succeeded);
}

#[tokio::test]
async fn the_channel_is_inferred_from_the_carrier_and_banks_need_one() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let (status, body) = jpay_post(
        &sandbox,
        &token,
        INITIATE,
        &jpay_payout("+254733123456", "10.00", "AIRTEL-1"),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["channel"].clone(), body["channel_name"].clone()),
        (json!(63903), json!("Airtel Money"))
    );

    let bank = r#"{"payto": "1234567890", "amount": "10.00", "ref_no": "BANK-1", "callback_url": "https://yourdomain.com/webhook", "channel": 7}"#;
    let (status, body) = jpay_post(&sandbox, &token, INITIATE, bank).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["channel_name"], "NCBA Bank");
    assert_eq!(body["channel_type"], "Bank");
    assert_eq!(body["category"], "other");
}

#[tokio::test]
async fn error_invalid_phone_number() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    for payto in [
        "+2547123",
        "+255712345678",
        "0712345678x",
        "+254 712 345 678",
        "",
    ] {
        let (status, body) = jpay_post(
            &sandbox,
            &token,
            INITIATE,
            &jpay_payout(payto, "10.00", "P-1"),
        )
        .await;
        assert_eq!(
            (status, body),
            (400, jpay_detail("Invalid phone number")),
            "payto {payto:?}"
        );
    }
    let mobile_channel_digits = r#"{"payto": "254712345678", "amount": "10.00", "ref_no": "P-2", "callback_url": "https://x.example/cb", "channel": 63902}"#;
    let (status, body) = jpay_post(&sandbox, &token, INITIATE, mobile_channel_digits).await;
    assert_eq!((status, body), (400, jpay_detail("Invalid phone number")));
    assert!(sandbox.ledger(ProviderId::JPAY).is_empty());
}

#[tokio::test]
async fn error_invalid_amount() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    for amount in [
        "1000",
        "1000.5",
        "1000.000",
        "0.99",
        "1000000.00",
        "-1.00",
        "1e3",
        "abc",
    ] {
        let (status, body) = jpay_post(
            &sandbox,
            &token,
            INITIATE,
            &jpay_payout("+254712345678", amount, "A-1"),
        )
        .await;
        assert_eq!(
            (status, body),
            (400, jpay_detail("Invalid amount")),
            "amount {amount}"
        );
    }
    let number = r#"{"payto": "+254712345678", "amount": 1000.00, "ref_no": "A-2", "callback_url": "https://x.example/cb"}"#;
    let (status, body) = jpay_post(&sandbox, &token, INITIATE, number).await;
    assert_eq!((status, body), (400, jpay_detail("Invalid amount")));
    let (status, _) = jpay_post(
        &sandbox,
        &token,
        INITIATE,
        &jpay_payout("+254712345678", "999999.99", "A-3"),
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn error_insufficient_balance_in_payout_wallet() {
    let sandbox = sandbox().await;
    sandbox.set_balance(
        ProviderId::JPAY,
        Money::parse("99.99", Currency::KES).unwrap(),
    );
    let (token, _) = jpay_token(&sandbox).await;
    let (status, body) = jpay_post(
        &sandbox,
        &token,
        INITIATE,
        &jpay_payout("+254712345678", "100.00", "B-1"),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, jpay_detail("Insufficient balance in payout wallet"))
    );
    let (_, balance) = jpay_get(&sandbox, &token, "/wallets/balance").await;
    assert_eq!(balance["payout_wallet_balance"], "99.99");
}

#[tokio::test]
async fn error_invalid_channel_code() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let with_channel = |channel: &str| {
        format!(
            r#"{{"payto": "+254712345678", "amount": "10.00", "ref_no": "C-1", "callback_url": "https://x.example/cb", "channel": {channel}}}"#
        )
    };
    for (channel, shown) in [("99999", "99999"), ("70", "70"), ("\"abc\"", "abc")] {
        let (status, body) = jpay_post(&sandbox, &token, INITIATE, &with_channel(channel)).await;
        assert_eq!(
            (status, body),
            (400, jpay_detail(&format!("Invalid channel code: {shown}"))),
            "channel {channel}"
        );
    }
}

#[tokio::test]
async fn error_channel_is_required_for_bank_account_payouts() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let (status, body) = jpay_post(
        &sandbox,
        &token,
        INITIATE,
        &jpay_payout("1234567890", "10.00", "D-1"),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            jpay_detail("Channel is required for bank account payouts")
        )
    );
}

#[tokio::test]
async fn error_app_not_found() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let body = jpay_payout("+254712345678", "10.00", "E-1").replace("12345", "54321");
    let (status, answer) = jpay_post(&sandbox, &token, INITIATE, &body).await;
    assert_eq!((status, answer), (404, jpay_detail("App not found")));
}

#[tokio::test]
async fn a_reused_ref_no_is_refused_and_the_ledger_keeps_one() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let body = jpay_payout("+254712345678", "10.00", "DUP-1");
    assert_eq!(jpay_post(&sandbox, &token, INITIATE, &body).await.0, 200);
    let (status, answer) = jpay_post(&sandbox, &token, INITIATE, &body).await;
    assert_eq!(
        (status, answer),
        (
            400,
            jpay_detail("Duplicate ref_no: a payout with ref_no DUP-1 already exists")
        )
    );
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::JPAY, "DUP-1")
            .len(),
        1
    );
}

#[tokio::test]
async fn undocumented_failures_use_the_sandbox_words() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let cases = [
        ("{", "JSON parse error"),
        (
            r#"{"payto": "+254712345678", "amount": "10.00", "callback_url": "https://x.example/cb"}"#,
            "ref_no is required",
        ),
        (
            &*jpay_payout("+254712345678", "10.00", &"R".repeat(51)),
            "ref_no must be at most 50 characters",
        ),
        (
            r#"{"payto": "+254712345678", "amount": "10.00", "ref_no": "U-1"}"#,
            "callback_url is required",
        ),
        (
            r#"{"payto": "+254712345678", "amount": "10.00", "ref_no": "U-1", "callback_url": "webhook"}"#,
            "Invalid callback_url",
        ),
        (
            r#"{"payto": "+254712345678", "amount": "10.00", "ref_no": "U-1", "callback_url": "https://x.example/cb", "category": "charity"}"#,
            "Invalid category: charity",
        ),
        (
            &*format!(
                r#"{{"payto": "+254712345678", "amount": "10.00", "ref_no": "U-1", "callback_url": "https://x.example/cb", "narration": "{}"}}"#,
                "n".repeat(201)
            ),
            "Narration must be at most 200 characters",
        ),
        (
            r#"{"payto": "12-34", "amount": "10.00", "ref_no": "U-1", "callback_url": "https://x.example/cb", "channel": 1}"#,
            "Invalid account number",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = jpay_post(&sandbox, &token, INITIATE, body).await;
        assert_eq!((status, answer), (400, jpay_detail(message)), "{body}");
    }
    let (status, answer) = jpay_get(&sandbox, &token, "/payments/payouts/NOPE").await;
    assert_eq!((status, answer), (404, jpay_detail("Payout not found")));
}

#[tokio::test]
async fn scripted_recipients_fail_with_result_codes_and_refund_the_wallet() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let cases = [
        (
            "+254712340001",
            1,
            "The balance is insufficient for the transaction.",
        ),
        (
            "+254712340002",
            2040,
            "The recipient account was not found.",
        ),
        ("+254712340003", 2041, "The recipient account is blocked."),
        (
            "+254712340005",
            2042,
            "The transaction was declined by the recipient's provider.",
        ),
    ];
    for (i, (payto, code, description)) in cases.into_iter().enumerate() {
        let (status, body) = jpay_post(
            &sandbox,
            &token,
            INITIATE,
            &jpay_payout(payto, "100.00", &format!("S-{i}")),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let settled = final_payout(&sandbox, &token, body["id"].as_str().unwrap()).await;
        assert_eq!(settled["status"], "failed");
        assert_eq!(settled["result_code"], code);
        assert_eq!(settled["result_description"], description);
        assert_eq!(settled["trans_id"], "");
    }
    let (_, balance) = jpay_get(&sandbox, &token, "/wallets/balance").await;
    assert_eq!(balance["payout_wallet_balance"], "1000000.00");

    let (_, body) = jpay_post(
        &sandbox,
        &token,
        INITIATE,
        &jpay_payout("+254712340004", "100.00", "S-P"),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_, still) = jpay_get(
        &sandbox,
        &token,
        &format!("/payments/payouts/{}", body["id"].as_str().unwrap()),
    )
    .await;
    assert_eq!(still["status"], "pending");
    assert_eq!(still["result_code"], Value::Null);
}

#[tokio::test]
async fn the_scripted_amount_is_a_500_that_records_nothing() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let (status, body) = jpay_post(
        &sandbox,
        &token,
        INITIATE,
        &jpay_payout("+254712345678", "666.66", "X-1"),
    )
    .await;
    assert_eq!((status, body), (500, jpay_detail("Internal server error")));
    assert!(sandbox.ledger(ProviderId::JPAY).is_empty());
    assert_eq!(
        jpay_post(
            &sandbox,
            &token,
            INITIATE,
            &jpay_payout("+254712345678", "10.00", "X-1")
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn payouts_are_listed_newest_first_in_pages_and_by_ref_no() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    for i in 1..=5 {
        let (status, _) = jpay_post(
            &sandbox,
            &token,
            INITIATE,
            &jpay_payout("+254712345678", "10.00", &format!("L-{i}")),
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, page) = jpay_get(&sandbox, &token, "/payments/payouts?page=1&page_size=2").await;
    assert_eq!(status, 200);
    assert_eq!(
        page["pagination"],
        json!({"page": 1, "page_size": 2, "total": 5, "pages": 3})
    );
    let refs: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["ref_no"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["L-5", "L-4"]);
    let (_, last) = jpay_get(&sandbox, &token, "/payments/payouts?page=3&page_size=2").await;
    assert_eq!(last["items"].as_array().unwrap().len(), 1);
    assert_eq!(last["items"][0]["ref_no"], "L-1");
    let (_, past) = jpay_get(&sandbox, &token, "/payments/payouts?page=4&page_size=2").await;
    assert_eq!(past["items"], json!([]));
    let (_, one) = jpay_get(&sandbox, &token, "/payments/payouts?ref_no=L-3").await;
    assert_eq!(one["pagination"]["total"], 1);
    assert_eq!(one["items"][0]["ref_no"], "L-3");
    let (status, bad) = jpay_get(&sandbox, &token, "/payments/payouts?page=0").await;
    assert_eq!((status, bad), (400, jpay_detail("Invalid page.")));
}

#[tokio::test]
async fn channels_are_paged_and_filtered() {
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let (status, page) = jpay_get(&sandbox, &token, "/channels?type=mobile_money").await;
    assert_eq!(status, 200);
    assert_eq!(
        page["items"][0],
        json!({"code": 63902, "name": "M-Pesa", "type": "mobile_money", "type_display": "Mobile Money", "is_active": true})
    );
    assert_eq!(
        page["pagination"],
        json!({"page": 1, "page_size": 20, "total": 3, "pages": 1})
    );
    let (_, banks) = jpay_get(
        &sandbox,
        &token,
        "/channels?type=bank&active_only=true&page_size=2&page=2",
    )
    .await;
    assert_eq!(
        banks["pagination"],
        json!({"page": 2, "page_size": 2, "total": 5, "pages": 3})
    );
    let (_, all_banks) = jpay_get(&sandbox, &token, "/channels?type=bank").await;
    assert_eq!(all_banks["pagination"]["total"], 6);
}

#[tokio::test]
async fn error_the_documented_403_refusals() {
    use disburse::sandbox::JpayRefusal;
    let sandbox = sandbox().await;
    let (token, _) = jpay_token(&sandbox).await;
    let cases = [
        (
            JpayRefusal::MerchantNotApproved,
            "Your merchant profile is not approved. Please ensure your profile has been verified before initiating payouts.",
        ),
        (JpayRefusal::AppInactive, "App is not active"),
        (
            JpayRefusal::PayoutsNotEnabled,
            "App does not have payouts product enabled",
        ),
        (
            JpayRefusal::IpNotAllowed,
            "Access denied: IP address not allowed",
        ),
    ];
    for (refusal, message) in cases {
        sandbox.jpay_refuse(Some(refusal));
        let (status, body) = jpay_post(
            &sandbox,
            &token,
            INITIATE,
            &jpay_payout("+254712345678", "10.00", "F-1"),
        )
        .await;
        assert_eq!((status, body), (403, jpay_detail(message)), "{refusal:?}");
    }
    assert!(sandbox.ledger(ProviderId::JPAY).is_empty());
    sandbox.jpay_refuse(None);
    assert_eq!(
        jpay_post(
            &sandbox,
            &token,
            INITIATE,
            &jpay_payout("+254712345678", "10.00", "F-1")
        )
        .await
        .0,
        200
    );
}
