//! Secret and PII hygiene: a full sandbox run over all three providers, with every tracing event
//! (TRACE, `log` records included) and the `Debug`, `{:#?}` and `Display` of every client,
//! config, request, record, webhook request and error captured, then scanned for keys, secrets,
//! tokens, full phone numbers (every form) and full account numbers.
#![cfg(feature = "sandbox")]

mod e2e_support;
mod hygiene_support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use disburse::batch::{BatchOutcome, BatchRunner};
use disburse::sandbox::{
    Fault, JPAY_CREDENTIALS, MTN_MOMO_CREDENTIALS, PAYONIFY_CREDENTIALS, Route, Sandbox,
    VESICASH_CREDENTIALS,
};
use disburse::settle::{Awaited, Wait};
use disburse::store::Store;
use disburse::{
    Ambiguity, AuthFailure, CallbackUrl, Country, Currency, Destination, Error, Money, Msisdn,
    PayoutProvider, PayoutRequest, ProviderId, RefundRequest, WebhookRequest,
};
use e2e_support::{Receiver, reference, sandbox, wait_until};
use futures_util::StreamExt as _;
use hygiene_support::{Capture, Needles, Outputs, assert_clean, global_capture, report, scan};
use secrecy::SecretString;

const VESICASH_PAYOUT: &str = "/v1/payment/payout/process";
const VESICASH_STATUS: &str = "/v1/payment/{reference}";
const JPAY_PAYOUT: &str = "/payments/payouts/initiate";
const JPAY_PAYOUT_BY_ID: &str = "/payments/payouts/{id}";
const JPAY_LIST: &str = "/payments/payouts";
const JPAY_TOKEN: &str = "/auth/app/token";
const PAYONIFY_PAYOUT: &str = "/v1/payouts";
const PAYONIFY_PAYOUT_BY_ID: &str = "/v1/payouts/{id}";
const PAYONIFY_VALIDATE: &str = "/v1/payouts/validate";

/// Webhooks the run causes: Vesicash (mobile, bank, refund, 4 scripted, 2 committed under a
/// fault), JPay (mobile, bank, refund, 4 scripted, the renewed one, 2 under a fault), Payonify
/// (mobile, 4 scripted, 2 under a fault). Scripted `…0004` stays pending and sends none.
const WEBHOOKS: [usize; 3] = [9, 10, 7];

/// Secrets configured on clients that must be refused; they are secrets all the same.
const WRONG_VESICASH_SECRET: &str = "v_wrong_sk_0f1e2d3c4b5a";
const WRONG_JPAY_SECRET: &str = "jpay_wrong_app_secret_77aa";
const WRONG_PAYONIFY_SECRET: &str = "sk_test_wrong_9Zy8Xw7Vu6";
const WRONG_MTN_MOMO_KEY: &str = "mtn_wrong_api_key_5e5e5e";

fn money(text: &str, currency: Currency) -> Money {
    Money::parse(text, currency).expect("amount")
}

fn phone(text: &str) -> Msisdn {
    Msisdn::parse(text).expect("mobile number")
}

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

/// Everything the run handled that must not be shown.
struct Run {
    out: Outputs,
    needles: Needles,
    /// Merchant references of JPay payouts: their callback tokens are secrets.
    jpay_references: Vec<String>,
    /// Strings whose webhook must arrive before deliveries are parsed.
    awaited: Vec<String>,
}

impl Run {
    fn new() -> Run {
        let mut needles = Needles::default();
        needles.add("Vesicash secret key", VESICASH_CREDENTIALS.secret_key);
        needles.add("Vesicash public key", VESICASH_CREDENTIALS.public_key);
        needles.add(
            "Vesicash webhook secret",
            VESICASH_CREDENTIALS.webhook_secret,
        );
        needles.add("JPay app key", JPAY_CREDENTIALS.app_key);
        needles.add("JPay app (consumer) secret", JPAY_CREDENTIALS.app_secret);
        needles.add("JPay callback secret", JPAY_CREDENTIALS.callback_secret);
        needles.add(
            "Payonify publishable key",
            PAYONIFY_CREDENTIALS.publishable_key,
        );
        needles.add("Payonify secret key", PAYONIFY_CREDENTIALS.secret_key);
        needles.add(
            "Payonify webhook secret",
            PAYONIFY_CREDENTIALS.webhook_secret,
        );
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            PAYONIFY_CREDENTIALS.publishable_key, PAYONIFY_CREDENTIALS.secret_key
        ));
        needles.add("Payonify Basic-auth value", basic);
        // Every token the sandbox issues starts so (checked in `sandbox_token_prefixes_...`).
        needles.add("JPay access token", "jpay_at_");
        needles.add("JPay refresh token", "jpay_rt_");
        needles.add(
            "MTN MoMo subscription key",
            MTN_MOMO_CREDENTIALS.subscription_key,
        );
        needles.add("MTN MoMo API user", MTN_MOMO_CREDENTIALS.api_user);
        needles.add("MTN MoMo API key", MTN_MOMO_CREDENTIALS.api_key);
        needles.add(
            "MTN MoMo callback secret",
            MTN_MOMO_CREDENTIALS.callback_secret,
        );
        let mtn_basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            MTN_MOMO_CREDENTIALS.api_user, MTN_MOMO_CREDENTIALS.api_key
        ));
        needles.add("MTN MoMo Basic-auth value", mtn_basic);
        // Every MTN token the sandbox issues starts with this JWT header.
        needles.add(
            "MTN MoMo access token",
            "eyJ0eXAiOiJKV1QiLCJhbGciOiJSMjU2In0.",
        );
        needles.add("wrong MTN MoMo API key", WRONG_MTN_MOMO_KEY);
        needles.add("wrong Vesicash secret key", WRONG_VESICASH_SECRET);
        needles.add("wrong JPay app secret", WRONG_JPAY_SECRET);
        needles.add("wrong Payonify secret key", WRONG_PAYONIFY_SECRET);
        Run {
            out: Outputs::default(),
            needles,
            jpay_references: Vec::new(),
            awaited: Vec::new(),
        }
    }

    fn wallet(&mut self, number: &str) -> Destination {
        let msisdn = phone(number);
        self.needles.add_phone(&msisdn);
        let destination = Destination::mobile(msisdn);
        self.out.debug("destination", &destination);
        destination
    }

    fn account(&mut self, country: Country, bank: &str, account: &str) -> Destination {
        self.needles
            .add(format!("account number {account}"), account);
        let destination = Destination::bank(country, bank, account).expect("bank destination");
        self.out.debug("destination", &destination);
        destination
    }
}

#[test]
fn the_scanner_names_the_needle_and_the_line() {
    let mut needles = Needles::default();
    needles.add("Payonify secret key", PAYONIFY_CREDENTIALS.secret_key);
    needles.add_phone(&phone("+254712345678"));
    let text = format!(
        "clean line\nkey={}\nnational 0712345678 here\nmasked +2547*****678 only",
        PAYONIFY_CREDENTIALS.secret_key
    );
    let found = scan(&needles, "planted", &text);
    let summary: Vec<(String, usize)> = found
        .iter()
        .map(|f| (f.needle.clone(), f.line_number))
        .collect();
    assert_eq!(
        summary,
        vec![
            (
                format!(
                    "Payonify secret key ({:?})",
                    PAYONIFY_CREDENTIALS.secret_key
                ),
                2
            ),
            (
                "phone +254712345678 (national 0…) (\"0712345678\")".into(),
                3
            ),
            (
                "phone +254712345678 (national number) (\"712345678\")".into(),
                3
            ),
        ]
    );
    assert_eq!(
        found[1].to_string(),
        "phone +254712345678 (national 0…) (\"0712345678\") found in planted line 3: \
         national 0712345678 here"
    );
    let message = report(&found).expect("findings are reported");
    assert!(
        message.starts_with("3 secret or personal value(s) found in output:\n"),
        "{message}"
    );
    assert_eq!(message.lines().count(), 4);
    assert_eq!(report(&[]), None);
}

#[test]
fn a_planted_needle_in_a_tracing_event_is_caught() {
    // A capture of its own on this thread only: the global buffer stays clean.
    let capture = Capture::default();
    tracing::subscriber::with_default(capture.subscriber(), || {
        tracing::trace!(
            authorization = %format!("Bearer jpay_at_{}", "0".repeat(40)),
            payto = "+263771234567",
            "planted"
        );
    });
    let mut needles = Needles::default();
    needles.add("JPay access token", "jpay_at_");
    needles.add_phone(&phone("+263771234567"));
    let found: BTreeSet<String> = scan(&needles, "tracing", &capture.text())
        .into_iter()
        .map(|f| f.needle)
        .collect();
    assert_eq!(
        found,
        BTreeSet::from([
            "JPay access token (\"jpay_at_\")".to_owned(),
            "phone +263771234567 (E.164) (\"+263771234567\")".to_owned(),
            "phone +263771234567 (digits) (\"263771234567\")".to_owned(),
            "phone +263771234567 (national number) (\"771234567\")".to_owned(),
        ])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sandbox_token_prefixes_are_what_the_scanner_looks_for() {
    let sandbox = sandbox().await;
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{}{JPAY_TOKEN}", sandbox.base_url_jpay()))
        .json(&serde_json::json!({
            "app_key": JPAY_CREDENTIALS.app_key,
            "app_secret": JPAY_CREDENTIALS.app_secret,
        }))
        .send()
        .await
        .expect("token call")
        .json()
        .await
        .expect("token JSON");
    let access = answer["access"].as_str().expect("access");
    let refresh = answer["refresh"].as_str().expect("refresh");
    assert!(
        access.starts_with("jpay_at_") && access.len() == 48,
        "{access}"
    );
    assert!(
        refresh.starts_with("jpay_rt_") && refresh.len() == 48,
        "{refresh}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sandbox_run_shows_no_secret_and_no_full_number() {
    let capture = global_capture();
    let sandbox = sandbox().await;
    let receiver = Receiver::start().await;
    sandbox.set_webhook_url(ProviderId::PAYONIFY, Some(&receiver.url("/hooks/payonify")));
    let mut run = Run::new();

    vesicash(&sandbox, &receiver, &mut run).await;
    jpay(&sandbox, &receiver, &mut run).await;
    payonify(&sandbox, &mut run).await;
    mtn_momo(&sandbox, &mut run).await;
    webhooks(&sandbox, &receiver, &mut run).await;
    settle_and_batch(&sandbox, &mut run).await;

    // The callback token of every JPay payout is a secret too.
    let jpay = sandbox.jpay_client().expect("client");
    let hook = receiver.callback("/hooks/jpay");
    for reference_text in &run.jpay_references {
        let url = jpay
            .signed_callback_url(&hook, &reference(reference_text))
            .expect("signed URL");
        let token = url.rsplit_once("disburse_token=").expect("token").1;
        run.needles
            .add(format!("JPay callback token of {reference_text}"), token);
    }

    // The run did what it claims: the token was renewed after a 401, and numbers were rendered
    // (masked) in Debug output.
    let requests = sandbox.requests();
    let expired = requests
        .iter()
        .filter(|r| r.path == JPAY_PAYOUT && r.status == Some(401))
        .count();
    assert_eq!(expired, 1, "one payout met the expired token");
    let tracing_text = capture.text();
    assert!(
        tracing_text.contains("credentials renewed after a refusal; repeating once"),
        "the renewal is traced"
    );
    assert!(
        tracing_text.contains("disburse.http"),
        "HTTP spans are traced"
    );
    assert!(tracing_text.contains("TRACE") || tracing_text.contains("DEBUG"));

    let tracing_lines = tracing_text.lines().count();
    run.out.text("tracing", tracing_text);
    let findings = run.out.scan(&run.needles);
    eprintln!(
        "hygiene: {} outputs ({} tracing lines), {} needles, {} requests to the sandbox, \
         {} webhooks, {} findings",
        run.out.len(),
        tracing_lines,
        run.needles.len(),
        requests.len(),
        sandbox.webhooks().len(),
        findings.len()
    );
    assert_clean(&findings);
    for masked in [
        "+2609*****456",
        "+2547*****678",
        "+2637*****567",
        "*******3385",
    ] {
        assert!(
            run.out.contains(masked),
            "{masked} is shown masked somewhere"
        );
    }
    sandbox.shutdown().await;
}

async fn mtn_momo(sandbox: &Sandbox, run: &mut Run) {
    let eur = |t: &str| money(t, Currency::EUR);
    let config = sandbox.mtn_momo_config();
    run.out.debug("mtn config", &config);
    let client = sandbox.mtn_momo_client().expect("client");
    run.out.debug("mtn client (cold)", &client);
    let send = async |run: &mut Run, reference_text: &str, amount: &str, number: &str| {
        let destination = run.wallet(number);
        let request = PayoutRequest::new(reference(reference_text), eur(amount), destination)
            .with_narration("Salary June");
        run.out.debug("mtn payout request", &request);
        let payout = client.create_payout(&request).await;
        run.out.result("mtn payout", &payout);
        payout
    };
    let payout = send(run, "hyg-m-1", "15.00", "+46733123999")
        .await
        .expect("mtn payout");
    run.out.debug("mtn client (warm)", &client);
    run.out
        .result("mtn get_payout", &client.get_payout(&payout.id).await);
    let found = client.find_payout(&reference("hyg-m-1")).await;
    assert!(
        matches!(&found, Ok(Some(p)) if p.id == payout.id),
        "{found:?}"
    );
    run.out.result("mtn find_payout", &found);
    run.out.result("mtn balance", &client.balance().await);
    let holder = run.wallet("+46733123998");
    run.out.result(
        "mtn validate_recipient",
        &client.validate_recipient(&holder).await,
    );
    for number in ["+46733123457", "+46733123453", "+46733123455"] {
        let reference_text = format!("hyg-m-{}", &number[9..]);
        send(run, &reference_text, "5.00", number)
            .await
            .expect("scripted payouts are accepted");
    }
    let err = send(run, "hyg-m-666", "666.66", "+46733123997")
        .await
        .expect_err("HTTP 500");
    assert!(err.is_outcome_unknown(), "{err:?}");
    run.out.error("mtn 666.66", &err);
    let err = send(run, "hyg-m-refused", "5.00", "+46733123458")
        .await
        .expect_err("NOT_ALLOWED");
    run.out.error("mtn not allowed", &err);

    let payment = sandbox.mtn_momo_create_payment(eur("30.00"));
    let refund = RefundRequest::new(
        reference("hyg-m-refund"),
        payment,
        eur("10.00"),
        run.wallet("+46733123996"),
    );
    run.out.debug("mtn refund request", &refund);
    let refund = client.create_refund(&refund).await;
    run.out.result("mtn refund", &refund);
    refund.expect("mtn refund");

    // The token expires: the next payout meets a 401, renews and repeats once.
    sandbox.expire_mtn_momo_tokens();
    send(run, "hyg-m-renewed", "6.00", "+46733123999")
        .await
        .expect("renewed");

    let mut wrong = sandbox.mtn_momo_config();
    wrong.api_key = secret(WRONG_MTN_MOMO_KEY);
    run.out.debug("mtn wrong config", &wrong);
    let wrong = disburse::providers::mtn_momo::MtnMomoClient::new(wrong).expect("client");
    let request = PayoutRequest::new(
        reference("hyg-m-auth"),
        eur("5.00"),
        Destination::mobile(phone("+46733123999")),
    );
    let err = wrong.create_payout(&request).await.expect_err("wrong key");
    assert!(
        matches!(
            &err,
            Error::Auth {
                kind: AuthFailure::InvalidCredentials,
                ..
            }
        ),
        "{err:?}"
    );
    run.out.error("mtn wrong key", &err);

    for (reference_text, fault) in [
        ("hyg-m-drop", Fault::CommitThenDrop),
        ("hyg-m-html", Fault::HtmlErrorPage),
    ] {
        sandbox.inject(
            ProviderId::MTN_MOMO,
            Route::post("/disbursement/v1_0/transfer"),
            fault,
            1,
        );
        let result = send(run, reference_text, "7.00", "+46733123999").await;
        run.out.result("mtn payout fault", &result);
    }
    sandbox.inject(
        ProviderId::MTN_MOMO,
        Route::get("/disbursement/v1_0/transfer/{id}"),
        Fault::MalformedJson,
        1,
    );
    let err = client.get_payout(&payout.id).await;
    run.out.result("mtn status decode", &err);
    sandbox.clear_faults();
}

/// `await_final` polling a payout that stays pending (its span around each poll), and a batch of
/// three payouts on an in-memory SQLite store (one span per item).
async fn settle_and_batch(sandbox: &Sandbox, run: &mut Run) {
    let client = sandbox.payonify_client().expect("client");
    let pending = run.wallet("+263771230004"); // scripted: stays pending
    let payout = client
        .create_payout(&PayoutRequest::new(
            reference("hyg-settle-pending"),
            money("10.00", Currency::USD),
            pending,
        ))
        .await
        .expect("payonify payout");
    let wait = Wait::new()
        .first_delay(Duration::from_millis(5))
        .timeout(Duration::from_millis(200));
    let awaited = client.await_final(&payout, &wait).await;
    assert!(
        matches!(&awaited, Ok(Awaited::DeadlineReached(p)) if p.id == payout.id),
        "{awaited:?}"
    );
    run.out.result("await_final pending", &awaited);

    let requests: Vec<PayoutRequest> = ["+263771234561", "+263771234562", "+263771234563"]
        .iter()
        .enumerate()
        .map(|(i, number)| {
            PayoutRequest::new(
                reference(&format!("hyg-batch-{i}")),
                money("2.50", Currency::USD),
                run.wallet(number),
            )
        })
        .collect();
    let store = Arc::new(Store::open("sqlite::memory:").await.expect("store"));
    let provider: Arc<dyn PayoutProvider> = Arc::new(client);
    let runner = BatchRunner::new(provider, store).batch("hygiene");
    let items: Vec<_> = runner.run_iter(requests).collect().await;
    assert_eq!(items.len(), 3);
    for item in &items {
        assert!(
            matches!(item.outcome, BatchOutcome::Sent(_)),
            "{:?}",
            item.outcome
        );
        run.out.debug("batch item", item);
    }
}

async fn vesicash(sandbox: &Sandbox, receiver: &Receiver, run: &mut Run) {
    let zmw = |t: &str| money(t, Currency::ZMW);
    let config = sandbox.vesicash_config();
    run.out.debug("vesicash config", &config);
    let client = sandbox.vesicash_client().expect("client");
    run.out.debug("vesicash client", &client);
    let hook = receiver.callback("/hooks/vesicash");

    let mobile = run.wallet("+260977123456");
    let request = PayoutRequest::new(reference("hyg-v-mobile"), zmw("150.00"), mobile.clone())
        .with_callback_url(hook.clone())
        .with_narration("Winnings");
    run.out.debug("vesicash payout request", &request);
    let payout = client.create_payout(&request).await;
    run.out.result("vesicash payout", &payout);
    let payout = payout.expect("vesicash mobile payout");
    let mobile_payout_id = payout.id.clone();
    run.awaited.push(payout.id.clone());
    run.out
        .result("vesicash get_payout", &client.get_payout(&payout.id).await);
    let find = client.find_payout(&reference("hyg-v-mobile")).await;
    assert!(matches!(find, Err(Error::Unsupported { .. })), "{find:?}");
    run.out.result("vesicash find_payout", &find);

    let bank = run.account(Country::Zambia, "401", "62049173385");
    let request = PayoutRequest::new(reference("hyg-v-bank"), zmw("220.00"), bank)
        .with_callback_url(hook.clone());
    run.out.debug("vesicash bank payout request", &request);
    let payout = client.create_payout(&request).await;
    run.out.result("vesicash bank payout", &payout);
    run.awaited.push(payout.expect("vesicash bank payout").id);

    let payment = sandbox.vesicash_create_payment(zmw("500.00"));
    let refund = RefundRequest::new(reference("hyg-v-refund"), payment, zmw("40.00"), mobile)
        .with_reason("returned")
        .with_callback_url(hook.clone());
    run.out.debug("vesicash refund request", &refund);
    let refund = client.create_refund(&refund).await;
    run.out.result("vesicash refund", &refund);
    run.awaited.push(refund.expect("vesicash refund").id);

    for ending in ["0001", "0002", "0003", "0004", "0005"] {
        let destination = run.wallet(&format!("+26097712{ending}"));
        let request = PayoutRequest::new(
            reference(&format!("hyg-v-{ending}")),
            zmw("10.00"),
            destination,
        )
        .with_callback_url(hook.clone());
        let payout = client.create_payout(&request).await;
        run.out.result("vesicash scripted payout", &payout);
        let payout = payout.expect("scripted payouts are accepted");
        if ending != "0004" {
            run.awaited.push(payout.id);
        }
    }

    let destination = run.wallet("+260977123457");
    let request = PayoutRequest::new(reference("hyg-v-666"), zmw("666.66"), destination.clone())
        .with_callback_url(hook.clone());
    let err = client.create_payout(&request).await.expect_err("HTTP 500");
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                cause: Ambiguity::ServerError { status: 500 },
                ..
            }
        ),
        "{err:?}"
    );
    run.out.error("vesicash 666.66", &err);

    let mut wrong = sandbox.vesicash_config();
    wrong.secret_key = secret(WRONG_VESICASH_SECRET);
    run.out.debug("vesicash wrong config", &wrong);
    let wrong = disburse::providers::vesicash::VesicashClient::new(wrong).expect("client");
    let request = PayoutRequest::new(reference("hyg-v-auth"), zmw("10.00"), destination.clone())
        .with_callback_url(hook.clone());
    let err = wrong.create_payout(&request).await.expect_err("wrong key");
    assert!(matches!(&err, Error::Auth { .. }), "{err:?}");
    run.out.error("vesicash wrong key", &err);

    // Faults: a half JSON body to a payout (outcome unknown with a decode cause), to a status read
    // (a decode error with a snippet), a dropped connection and a gateway's HTML page.
    let faults = [
        ("hyg-v-malformed", Fault::MalformedJson),
        ("hyg-v-drop", Fault::CommitThenDrop),
        ("hyg-v-html", Fault::HtmlErrorPage),
    ];
    for (reference_text, fault) in faults {
        sandbox.inject(ProviderId::VESICASH, Route::post(VESICASH_PAYOUT), fault, 1);
        let request =
            PayoutRequest::new(reference(reference_text), zmw("12.00"), destination.clone())
                .with_callback_url(hook.clone());
        let err = client.create_payout(&request).await.expect_err("fault");
        assert!(err.is_outcome_unknown(), "{err:?}");
        run.out.error("vesicash payout fault", &err);
    }
    sandbox.inject(
        ProviderId::VESICASH,
        Route::get(VESICASH_STATUS),
        Fault::MalformedJson,
        1,
    );
    let err = client.get_payout(&mobile_payout_id).await;
    let err = err.expect_err("malformed status");
    assert!(
        matches!(&err, Error::Decode { snippet, .. } if !snippet.is_empty()),
        "{err:?}"
    );
    run.out.error("vesicash status decode", &err);
    sandbox.clear_faults();
}

async fn jpay(sandbox: &Sandbox, receiver: &Receiver, run: &mut Run) {
    let kes = |t: &str| money(t, Currency::KES);
    let config = sandbox.jpay_config();
    run.out.debug("jpay config", &config);
    let client = sandbox.jpay_client().expect("client");
    run.out.debug("jpay client (cold)", &client);
    let hook = receiver.callback("/hooks/jpay");

    let send =
        async |run: &mut Run, reference_text: &str, amount: &str, destination: Destination| {
            run.jpay_references.push(reference_text.to_owned());
            let request = PayoutRequest::new(reference(reference_text), kes(amount), destination)
                .with_callback_url(hook.clone());
            run.out.debug("jpay payout request", &request);
            let payout = client.create_payout(&request).await;
            run.out.result("jpay payout", &payout);
            payout
        };

    let mobile = run.wallet("+254712345678");
    let payout = send(run, "hyg-j-mobile", "150.00", mobile.clone())
        .await
        .expect("jpay payout");
    run.out.debug("jpay client (warm)", &client);
    run.awaited.push("hyg-j-mobile".into());
    run.out
        .result("jpay get_payout", &client.get_payout(&payout.id).await);
    let found = client.find_payout(&reference("hyg-j-mobile")).await;
    assert!(
        matches!(&found, Ok(Some(p)) if p.id == payout.id),
        "{found:?}"
    );
    run.out.result("jpay find_payout", &found);
    run.out.result("jpay balance", &client.balance().await);

    let bank = run.account(Country::Kenya, "1", "1100223344556");
    send(run, "hyg-j-bank", "250.00", bank)
        .await
        .expect("jpay bank payout");
    run.awaited.push("hyg-j-bank".into());

    run.jpay_references.push("hyg-j-refund".into());
    let refund = RefundRequest::new(
        reference("hyg-j-refund"),
        payout.id.clone(),
        kes("50.00"),
        mobile.clone(),
    )
    .with_reason("returned")
    .with_callback_url(hook.clone());
    run.out.debug("jpay refund request", &refund);
    let refund = client.create_refund(&refund).await;
    run.out.result("jpay refund", &refund);
    refund.expect("jpay refund");
    run.awaited.push("hyg-j-refund".into());

    for ending in ["0001", "0002", "0003", "0004", "0005"] {
        let destination = run.wallet(&format!("+25471234{ending}"));
        let reference_text = format!("hyg-j-{ending}");
        send(run, &reference_text, "10.00", destination)
            .await
            .expect("accepted");
        if ending != "0004" {
            run.awaited.push(reference_text);
        }
    }

    let other = run.wallet("+254712345679");
    let err = send(run, "hyg-j-666", "666.66", other.clone())
        .await
        .expect_err("HTTP 500");
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                cause: Ambiguity::ServerError { status: 500 },
                ..
            }
        ),
        "{err:?}"
    );

    // The token expires: the next payout meets a 401, renews and repeats once.
    sandbox.expire_jpay_tokens();
    send(run, "hyg-j-renewed", "11.00", other.clone())
        .await
        .expect("renewed");
    run.awaited.push("hyg-j-renewed".into());

    let mut wrong = sandbox.jpay_config();
    wrong.app_secret = secret(WRONG_JPAY_SECRET);
    run.out.debug("jpay wrong config", &wrong);
    let wrong = disburse::providers::jpay::JpayClient::new(wrong).expect("client");
    let request = PayoutRequest::new(reference("hyg-j-auth"), kes("10.00"), other.clone())
        .with_callback_url(hook.clone());
    let err = wrong
        .create_payout(&request)
        .await
        .expect_err("wrong secret");
    assert!(
        matches!(
            &err,
            Error::Auth {
                kind: AuthFailure::InvalidCredentials,
                ..
            }
        ),
        "{err:?}"
    );
    run.out.error("jpay wrong secret", &err);

    // A half token answer on a cold client: the error withholds the body.
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_TOKEN),
        Fault::MalformedJson,
        1,
    );
    let cold = sandbox.jpay_client().expect("client");
    let err = cold.balance().await.expect_err("half token answer");
    assert!(matches!(&err, Error::Decode { .. }), "{err:?}");
    run.out.error("jpay token decode", &err);

    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_PAYOUT),
        Fault::MalformedJson,
        1,
    );
    let err = send(run, "hyg-j-malformed", "12.00", other.clone())
        .await
        .expect_err("fault");
    assert!(
        matches!(
            &err,
            Error::OutcomeUnknown {
                cause: Ambiguity::UndecodableResponse { .. },
                ..
            }
        ),
        "{err:?}"
    );
    sandbox.inject(
        ProviderId::JPAY,
        Route::post(JPAY_PAYOUT),
        Fault::CommitThenDrop,
        3,
    );
    let err = send(run, "hyg-j-drop", "13.00", other.clone())
        .await
        .expect_err("fault");
    assert!(err.is_outcome_unknown(), "{err:?}");

    sandbox.inject(
        ProviderId::JPAY,
        Route::get(JPAY_PAYOUT_BY_ID),
        Fault::MalformedJson,
        1,
    );
    let err = client
        .get_payout(&payout.id)
        .await
        .expect_err("malformed read");
    assert!(
        matches!(&err, Error::Decode { snippet, .. } if !snippet.is_empty()),
        "{err:?}"
    );
    run.out.error("jpay get decode", &err);
    sandbox.inject(
        ProviderId::JPAY,
        Route::get(JPAY_LIST),
        Fault::MalformedJson,
        1,
    );
    let err = client
        .find_payout(&reference("hyg-j-mobile"))
        .await
        .expect_err("malformed list");
    assert!(
        matches!(&err, Error::Decode { snippet, .. } if !snippet.is_empty()),
        "{err:?}"
    );
    run.out.error("jpay list decode", &err);
    sandbox.clear_faults();
}

async fn payonify(sandbox: &Sandbox, run: &mut Run) {
    let usd = |t: &str| money(t, Currency::USD);
    let config = sandbox.payonify_config();
    run.out.debug("payonify config", &config);
    let client = sandbox.payonify_client().expect("client");
    run.out.debug("payonify client", &client);

    let mobile = run.wallet("+263771234567");
    run.out.result(
        "payonify validate",
        &client.validate_recipient(&mobile).await,
    );
    let invalid = run.wallet("+263771230002");
    run.out.result(
        "payonify validate invalid",
        &client.validate_recipient(&invalid).await,
    );

    let request = PayoutRequest::new(reference("hyg-p-mobile"), usd("10.00"), mobile.clone())
        .with_narration("Winnings");
    run.out.debug("payonify payout request", &request);
    let payout = client.create_payout(&request).await;
    run.out.result("payonify payout", &payout);
    let payout = payout.expect("payonify payout");
    run.awaited.push(payout.id.clone());
    run.out
        .result("payonify get_payout", &client.get_payout(&payout.id).await);
    let found = client.find_payout(&reference("hyg-p-mobile")).await;
    assert!(
        matches!(&found, Ok(Some(p)) if p.id == payout.id),
        "{found:?}"
    );
    run.out.result("payonify find_payout", &found);

    let bank = run.account(Country::Zimbabwe, "CBZ", "4417200398811");
    let err = client
        .create_payout(&PayoutRequest::new(
            reference("hyg-p-bank"),
            usd("10.00"),
            bank.clone(),
        ))
        .await
        .expect_err("no bank payouts");
    run.out.error("payonify bank payout", &err);
    let refund = RefundRequest::new(
        reference("hyg-p-refund"),
        payout.id.clone(),
        usd("1.00"),
        mobile.clone(),
    );
    let err = client.create_refund(&refund).await.expect_err("no refunds");
    assert!(matches!(&err, Error::Unsupported { .. }), "{err:?}");
    run.out.error("payonify refund", &err);

    for ending in ["0001", "0002", "0003", "0004", "0005"] {
        let destination = run.wallet(&format!("+26377123{ending}"));
        let request = PayoutRequest::new(
            reference(&format!("hyg-p-{ending}")),
            usd("10.00"),
            destination,
        );
        let payout = client.create_payout(&request).await;
        run.out.result("payonify scripted payout", &payout);
        let payout = payout.expect("accepted");
        if ending != "0004" {
            run.awaited.push(payout.id);
        }
    }

    let other = run.wallet("+263771234568");
    let err = client
        .create_payout(&PayoutRequest::new(
            reference("hyg-p-666"),
            usd("666.66"),
            other.clone(),
        ))
        .await
        .expect_err("HTTP 500");
    assert!(err.is_outcome_unknown(), "{err:?}");
    run.out.error("payonify 666.66", &err);

    let mut wrong = sandbox.payonify_config();
    wrong.secret_key = secret(WRONG_PAYONIFY_SECRET);
    run.out.debug("payonify wrong config", &wrong);
    let wrong = disburse::providers::payonify::PayonifyClient::new(wrong).expect("client");
    let err = wrong
        .create_payout(&PayoutRequest::new(
            reference("hyg-p-auth"),
            usd("10.00"),
            other.clone(),
        ))
        .await
        .expect_err("wrong key");
    assert!(matches!(&err, Error::Auth { .. }), "{err:?}");
    run.out.error("payonify wrong key", &err);

    for (reference_text, fault) in [
        ("hyg-p-malformed", Fault::MalformedJson),
        ("hyg-p-truncated", Fault::TruncatedBody),
        ("hyg-p-html", Fault::HtmlErrorPage),
    ] {
        sandbox.inject(ProviderId::PAYONIFY, Route::post(PAYONIFY_PAYOUT), fault, 3);
        let err = client
            .create_payout(&PayoutRequest::new(
                reference(reference_text),
                usd("12.00"),
                other.clone(),
            ))
            .await
            .expect_err("fault");
        assert!(err.is_outcome_unknown(), "{err:?}");
        run.out.error("payonify payout fault", &err);
        sandbox.clear_faults();
    }
    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::get(PAYONIFY_PAYOUT_BY_ID),
        Fault::MalformedJson,
        1,
    );
    let err = client
        .get_payout(&payout.id)
        .await
        .expect_err("malformed read");
    assert!(
        matches!(&err, Error::Decode { snippet, .. } if !snippet.is_empty()),
        "{err:?}"
    );
    run.out.error("payonify get decode", &err);
    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::post(PAYONIFY_VALIDATE),
        Fault::MalformedJson,
        1,
    );
    let err = client
        .validate_recipient(&mobile)
        .await
        .expect_err("malformed validate");
    assert!(
        matches!(&err, Error::Decode { snippet, .. } if !snippet.is_empty()),
        "{err:?}"
    );
    run.out.error("payonify validate decode", &err);
    sandbox.clear_faults();
}

/// Waits for every awaited webhook, then parses every delivery the receiver got (and a damaged
/// copy of each), recording the request, the event and the errors.
async fn webhooks(sandbox: &Sandbox, receiver: &Receiver, run: &mut Run) {
    for needle in run.awaited.clone() {
        receiver.wait_for(&needle).await;
    }
    // Payouts committed under a fault settle too: 2 more per provider (Payonify's HTML page and
    // Vesicash's are not committed). 9 Vesicash, 10 JPay, 7 Payonify in all.
    wait_until("all 26 webhooks delivered", || async {
        (sandbox.webhooks().len() >= WEBHOOKS.iter().sum::<usize>()).then_some(())
    })
    .await;
    let vesicash = sandbox.vesicash_client().expect("client");
    let jpay = sandbox.jpay_client().expect("client");
    let payonify = sandbox.payonify_client().expect("client");
    let deliveries = receiver.deliveries();
    let mut parsed = [0usize; 3];
    for delivery in &deliveries {
        let request = delivery.request();
        run.out.debug("webhook request", &request);
        let (index, provider): (usize, &dyn PayoutProvider) =
            if request.url.contains("/hooks/vesicash") {
                (0, &vesicash)
            } else if request.url.contains("/hooks/jpay") {
                (1, &jpay)
            } else {
                (2, &payonify)
            };
        let event = provider.parse_webhook(&request);
        run.out.result("webhook event", &event);
        event.expect("a genuine delivery verifies");
        parsed[index] += 1;
        if index == 1 {
            let confirmed = jpay.parse_webhook_confirmed(&request).await;
            run.out.result("jpay confirmed event", &confirmed);
        }
        let mut body = delivery.body.to_vec();
        body.push(b' ');
        let damaged = WebhookRequest::post(request.url, request.headers, &body);
        let err = provider.parse_webhook(&damaged);
        run.out.result("damaged webhook", &err);
        let url = request.url.split('?').next().unwrap_or_default().to_owned();
        let unsigned = WebhookRequest::post(&url, request.headers, request.body);
        if index == 1 {
            let err = provider.parse_webhook(&unsigned).expect_err("no token");
            run.out.error("jpay callback without token", &err);
        }
    }
    eprintln!("hygiene: webhooks parsed (vesicash, jpay, payonify): {parsed:?}");
    assert_eq!(parsed, WEBHOOKS);
    assert_eq!(sandbox.webhooks().len(), WEBHOOKS.iter().sum::<usize>());
    let callback = CallbackUrl::parse(&receiver.url("/hooks/x")).expect("url");
    run.out.debug("callback url", &callback);
}

#[test]
fn destination_debug_masks_the_phone_and_the_account_number() {
    let wallet = Destination::mobile(phone("+254712345678"));
    assert_eq!(
        format!("{wallet:?}"),
        "MobileWallet { msisdn: Msisdn(+2547*****678), network: None }"
    );
    let bank = Destination::bank(Country::Kenya, "1", "62049173385").expect("bank");
    assert_eq!(
        format!("{bank:?}"),
        r#"BankAccount { country: Kenya, bank_code: "1", account_number: "*******3385" }"#
    );
    let short = Destination::bank(Country::Kenya, "1", "123456").expect("bank");
    assert!(format!("{short:?}").contains(r#"account_number: "****56""#));
}

#[test]
fn record_debug_redacts_raw_and_keeps_it_whole() {
    let raw = serde_json::json!({
        "payto": "+254712345678",
        "amount": "150.00",
        "callback_url": "http://127.0.0.1:9/hooks/jpay?disburse_token=0a1b2c3d",
        "beneficiary": {"account": "0712345678"},
    });
    let mut payout = disburse::Payout::new(ProviderId::JPAY, "PAYOUT-1", disburse::Status::Pending);
    payout.raw = raw.clone().into();
    assert_eq!(
        format!("{payout:?}"),
        "Payout { provider: jpay, id: \"PAYOUT-1\", provider_reference: None, reference: None, \
         amount: None, status: Pending, created_at: None, raw: {\"amount\":\"150.00\",\
         \"beneficiary\":{\"account\":\"*******678\"},\"callback_url\":\
         \"http://127.0.0.1:9/hooks/jpay?disburse_token=**\",\"payto\":\"+2547*****678\"} }"
    );
    assert_eq!(payout.raw, raw, "the data itself is untouched");

    let mut refund =
        disburse::Refund::new(ProviderId::VESICASH, "RF_1", disburse::Status::Succeeded);
    refund.raw = serde_json::json!({"momo_phone_number": "260977123456"}).into();
    assert_eq!(
        format!("{refund:?}"),
        "Refund { provider: vesicash, id: \"RF_1\", reference: None, payment_reference: None, \
         amount: None, status: Succeeded, created_at: None, \
         raw: {\"momo_phone_number\":\"2609*****456\"} }"
    );

    let mut event = disburse::WebhookEvent::new(
        ProviderId::PAYONIFY,
        disburse::EventObject::Payout,
        disburse::Status::Succeeded,
    );
    event.raw = serde_json::json!({"data": {"object": {"mobile_number": "771234567"}}}).into();
    assert_eq!(
        format!("{event:?}"),
        "WebhookEvent { provider: payonify, event_id: None, object: Payout, \
         provider_reference: None, reference: None, amount: None, status: Succeeded, \
         raw: {\"data\":{\"object\":{\"mobile_number\":\"******567\"}}} }"
    );

    let check = disburse::RecipientCheck::new(
        true,
        serde_json::json!({"valid": true, "recipient": {"mobile_number": "771234567"}}).into(),
    );
    assert_eq!(
        format!("{check:?}"),
        "RecipientCheck { valid: true, name: None, account_status: None, \
         raw: {\"recipient\":{\"mobile_number\":\"******567\"},\"valid\":true} }"
    );
}

#[test]
fn webhook_request_debug_withholds_the_token_the_headers_and_the_body() {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "payonify-signature",
        reqwest::header::HeaderValue::from_static("t=1712932245,v1=00ff"),
    );
    let body = br#"{"data":{"beneficiary":{"account":"+254712345678"}}}"#;
    let request = WebhookRequest::post(
        "http://127.0.0.1:9/hooks/jpay?order=42&disburse_token=0a1b2c3d",
        &headers,
        body,
    );
    assert_eq!(
        format!("{request:?}"),
        "WebhookRequest { method: \"POST\", url: \"http://127.0.0.1:9/hooks/jpay?order=**&disburse_token=**\", \
         header_names: [\"payonify-signature\"], body_bytes: 52 }"
    );
}
