//! Quick start: payouts, webhooks and refunds through every provider, offline.
//!
//! Starts the embedded sandbox (`disburse::sandbox`, an in-process simulator of Vesicash, JPay,
//! Payonify, MTN MoMo and M-Pesa Daraja) and an in-process webhook receiver, then:
//!
//! 1. one payout through each provider, its webhook received and verified with
//!    `parse_webhook`, and its final status awaited with `await_final` (polling `get_payout` with backoff);
//! 2. a partial refund on Vesicash, and a second refund refused for exceeding what is left;
//! 3. a payout to a scripted number (ending `0001`) that fails with insufficient funds;
//! 4. a short table of what happened, and the validators refusing bad input.
//!
//! Run: `cargo run --example quickstart`. No network, no environment variables; it finishes in
//! seconds and exits non-zero if any step did not behave as documented. When a provider's
//! credentials are in the environment (its `from_env()` succeeds), that provider's payout goes to
//! its real sandbox instead, and the steps that need the simulator are skipped for it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::routing::post;
use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::mpesa_daraja::{DarajaClient, DarajaConfig};
use disburse::providers::mtn_momo::{MtnMomoClient, MtnMomoConfig, TargetEnvironment};
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{VesicashClient, VesicashConfig};
use disburse::sandbox::Sandbox;
use disburse::settle::Wait;
use disburse::{
    CallbackUrl, Country, Currency, Destination, Error, FailureReason, Money, Msisdn, Payout,
    PayoutProvider, PayoutRequest, ProviderId, Reference, RefundRequest, RejectCode, Status,
    WebhookEvent, WebhookRequest,
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// One webhook delivery as the receiver got it.
#[derive(Clone)]
struct Delivery {
    provider: String,
    url: String,
    headers: HeaderMap,
    body: Bytes,
}

#[derive(Clone)]
struct Inbox {
    base: String,
    deliveries: Arc<Mutex<Vec<Delivery>>>,
}

/// The receiver keeps every delivery and answers 200; verification happens below, with the
/// provider client, so that each step can report it.
async fn receive(
    State(inbox): State<Inbox>,
    Path(provider): Path<String>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let delivery = Delivery {
        provider,
        url: format!("{}{uri}", inbox.base),
        headers,
        body,
    };
    if let Ok(mut all) = inbox.deliveries.lock() {
        all.push(delivery);
    }
    StatusCode::OK
}

async fn start_receiver() -> Result<Inbox, BoxError> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr: SocketAddr = listener.local_addr()?;
    let inbox = Inbox {
        base: format!("http://{addr}"),
        deliveries: Arc::new(Mutex::new(Vec::new())),
    };
    let app = Router::new()
        .route("/webhooks/{provider}", post(receive))
        .with_state(inbox.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(inbox)
}

/// Waits for a delivery from `provider` that verifies and concerns `payout`.
async fn await_webhook(
    inbox: &Inbox,
    provider: &dyn PayoutProvider,
    route: &str,
    payout: &Payout,
    reference: &Reference,
    deadline: Duration,
) -> Result<WebhookEvent, String> {
    let until = Instant::now() + deadline;
    let mut last_error = None;
    loop {
        let deliveries: Vec<Delivery> = inbox
            .deliveries
            .lock()
            .map(|all| {
                all.iter()
                    .filter(|d| d.provider == route)
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for d in &deliveries {
            let request = WebhookRequest::post(&d.url, &d.headers, &d.body);
            match provider.parse_webhook(&request) {
                Ok(event)
                    if event.provider_reference.as_deref() == Some(payout.id.as_str())
                        || event.reference.as_deref() == Some(reference.as_str()) =>
                {
                    return Ok(event);
                }
                Ok(_) => {}
                Err(e) => last_error = Some(e.to_string()),
            }
        }
        if Instant::now() >= until {
            return Err(last_error.unwrap_or_else(|| "no webhook before the deadline".into()));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

struct Report {
    rows: Vec<(String, String, String, bool)>,
}

/// The call behind a step, as a merchant's code makes it.
fn code_of(step: &str) -> &'static str {
    match step {
        s if s.starts_with("payout created") => "client.create_payout(&request)",
        s if s.starts_with("webhook received") => "client.parse_webhook(&WebhookRequest { .. })",
        s if s.starts_with("final status") => "client.await_final(&payout, Wait::default())",
        s if s.starts_with("partial refund") => "client.create_refund(&RefundRequest { .. })",
        s if s.starts_with("refund 70") => "client.create_refund(..) → Err(Error::Rejected { .. })",
        s if s.starts_with("refuse a landline") => "Msisdn::parse_with_default(..)",
        s if s.starts_with("refuse UGX") => "Money::parse(\"1.5\", Currency::UGX)",
        s if s.starts_with("refuse an http") => "CallbackUrl::parse(\"http://…\")",
        _ => "",
    }
}

impl Report {
    fn record(&mut self, step: &str, provider: &str, outcome: String, ok: bool) {
        self.rows.push((step.into(), provider.into(), outcome, ok));
    }

    fn failures(&self) -> usize {
        self.rows.iter().filter(|r| !r.3).count()
    }
}

fn short(status: &Status) -> String {
    match status {
        Status::Pending => "pending".into(),
        Status::Succeeded => "succeeded".into(),
        Status::Failed { reason, detail } => format!(
            "failed: {reason:?}{}",
            detail
                .as_ref()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        ),
        Status::Unknown(word) => format!("unknown: {word}"),
        other => format!("{other:?}"),
    }
}

/// A provider client and whether it talks to the embedded sandbox.
struct Target {
    client: Arc<dyn PayoutProvider>,
    simulated: bool,
}

fn pick(
    name: &str,
    real: Result<Arc<dyn PayoutProvider>, Error>,
    sandbox: Result<Arc<dyn PayoutProvider>, Error>,
) -> Result<Target, Error> {
    match real {
        Ok(client) => {
            println!("{name}: credentials found in the environment → the provider's real sandbox");
            Ok(Target {
                client,
                simulated: false,
            })
        }
        Err(_) => {
            println!("{name}: no credentials in the environment → the embedded sandbox");
            Ok(Target {
                client: sandbox?,
                simulated: true,
            })
        }
    }
}

/// One payout, its webhook and its final status.
async fn payout_step(
    report: &mut Report,
    inbox: &Inbox,
    target: &Target,
    route: &str,
    request: PayoutRequest,
    expected: &Status,
) {
    let name = route;
    let provider = target.client.as_ref();
    let payout = match provider.create_payout(&request).await {
        Ok(p) => {
            report.record(
                "payout created",
                name,
                format!("{} {}", p.id, short(&p.status)),
                true,
            );
            p
        }
        Err(e) => {
            report.record("payout created", name, e.to_string(), false);
            return;
        }
    };
    if target.simulated {
        match await_webhook(
            inbox,
            provider,
            route,
            &payout,
            &request.reference,
            Duration::from_secs(10),
        )
        .await
        {
            Ok(event) => report.record(
                "webhook received and verified",
                name,
                short(&event.status),
                &event.status == expected,
            ),
            Err(e) => report.record("webhook received and verified", name, e, false),
        }
    } else {
        report.record(
            "webhook (skipped: real sandbox)",
            name,
            "a real provider cannot reach a loopback receiver".into(),
            true,
        );
    }
    let deadline = if target.simulated { 10 } else { 60 };
    let wait = Wait::new()
        .timeout(Duration::from_secs(deadline))
        .first_delay(Duration::from_millis(50))
        .max_delay(Duration::from_secs(2));
    match provider.await_final(&payout, &wait).await {
        Ok(outcome) => {
            let status = &outcome.payout().status;
            let ok = status == expected || (!target.simulated && outcome.is_final());
            report.record("final status (await_final)", name, short(status), ok);
        }
        Err(e) => report.record("final status (await_final)", name, e.to_string(), false),
    }
}

fn reference(text: &str) -> Result<Reference, Error> {
    // Unique per run, so that a real sandbox never sees a reused reference.
    let stamp = chrono::Utc::now().timestamp_millis();
    Reference::new(format!("{text}-{stamp}"))
}

#[tokio::main]
async fn main() -> Result<(), BoxError> {
    let started = Instant::now();
    let sandbox = Sandbox::builder()
        .settle_after(Duration::from_millis(200))
        .start()
        .await?;
    let inbox = start_receiver().await?;
    println!(
        "sandbox on {}, webhook receiver on {}",
        sandbox.base_url(),
        inbox.base
    );
    // Payonify has no per-request callback URL: the sandbox's "dashboard" setting is the one.
    sandbox.set_webhook_url(
        ProviderId::PAYONIFY,
        Some(&format!("{}/webhooks/payonify", inbox.base)),
    );

    let vesicash = pick(
        "Vesicash",
        VesicashConfig::from_env()
            .and_then(VesicashClient::new)
            .map(|c| Arc::new(c) as Arc<dyn PayoutProvider>),
        sandbox
            .vesicash_client()
            .map(|c| Arc::new(c) as Arc<dyn PayoutProvider>),
    )?;
    let jpay = pick(
        "JPay",
        JpayConfig::from_env()
            .and_then(JpayClient::new)
            .map(|c| Arc::new(c) as Arc<dyn PayoutProvider>),
        sandbox
            .jpay_client()
            .map(|c| Arc::new(c) as Arc<dyn PayoutProvider>),
    )?;
    let payonify = pick(
        "Payonify",
        PayonifyConfig::from_env()
            .and_then(PayonifyClient::new)
            .map(|c| Arc::new(c) as Arc<dyn PayoutProvider>),
        sandbox
            .payonify_client()
            .map(|c| Arc::new(c) as Arc<dyn PayoutProvider>),
    )?;
    // MTN MoMo Uganda in the embedded sandbox (which serves every target environment).
    let mtn = pick(
        "MTN MoMo",
        MtnMomoConfig::from_env()
            .and_then(MtnMomoClient::new)
            .map(|c| Arc::new(c) as Arc<dyn PayoutProvider>),
        MtnMomoClient::new(
            sandbox
                .mtn_momo_config()
                .with_target(TargetEnvironment::Uganda),
        )
        .map(|c| Arc::new(c) as Arc<dyn PayoutProvider>),
    )?;
    let hook = |route: &str| CallbackUrl::parse(&format!("{}/webhooks/{route}", inbox.base));
    // M-Pesa Daraja reports results only by callback, to the ResultURL of its configuration:
    // here the receiver, whose deliveries `parse_webhook` reads (and records in the client, so
    // that `await_final`, which polls `get_payout`, finds the result).
    let daraja_hook = hook("mpesa_daraja")?;
    let daraja = pick(
        "M-Pesa Daraja",
        DarajaConfig::from_env()
            .and_then(DarajaClient::new)
            .map(|c| Arc::new(c) as Arc<dyn PayoutProvider>),
        DarajaClient::new(sandbox.mpesa_daraja_config(daraja_hook.clone(), daraja_hook))
            .map(|c| Arc::new(c) as Arc<dyn PayoutProvider>),
    )?;
    println!();

    let mut report = Report { rows: Vec::new() };

    // 1. One payout through each provider.
    let zambia = Msisdn::parse("260999993000")?;
    let request = PayoutRequest::new(
        reference("qs-vesicash")?,
        Money::parse("150.00", Currency::ZMW)?,
        Destination::mobile(zambia.clone()),
    )
    .with_narration("quickstart")
    .with_callback_url(hook("vesicash")?);
    payout_step(
        &mut report,
        &inbox,
        &vesicash,
        "vesicash",
        request,
        &Status::Succeeded,
    )
    .await;

    let kenya = Msisdn::parse_with_default("0712 345 678", Country::Kenya)?;
    let request = PayoutRequest::new(
        reference("qs-jpay")?,
        Money::parse("1500.00", Currency::KES)?,
        Destination::mobile(kenya),
    )
    .with_narration("quickstart")
    // The adapter appends its callback token to this URL; parse_webhook checks it.
    .with_callback_url(hook("jpay")?);
    payout_step(
        &mut report,
        &inbox,
        &jpay,
        "jpay",
        request,
        &Status::Succeeded,
    )
    .await;

    let zimbabwe = Msisdn::parse_with_default("0771 111 111", Country::Zimbabwe)?;
    let request = PayoutRequest::new(
        reference("qs-payonify")?,
        Money::parse("25.00", Currency::USD)?,
        Destination::mobile(zimbabwe),
    )
    .with_narration("quickstart");
    payout_step(
        &mut report,
        &inbox,
        &payonify,
        "payonify",
        request,
        &Status::Succeeded,
    )
    .await;

    // MTN's own sandbox pays EUR to its test numbers; a market pays its currency.
    let (number, amount) = if mtn.client.capabilities().currencies == [Currency::EUR] {
        ("+46733123999", Money::parse("5.00", Currency::EUR)?)
    } else {
        ("+256772123456", Money::parse("5000", Currency::UGX)?)
    };
    let request = PayoutRequest::new(
        reference("qs-mtn")?,
        amount,
        Destination::mobile(Msisdn::parse(number)?),
    )
    .with_narration("quickstart")
    // The adapter appends its callback token to this URL; parse_webhook checks it.
    .with_callback_url(hook("mtn_momo")?);
    payout_step(
        &mut report,
        &inbox,
        &mtn,
        "mtn_momo",
        request,
        &Status::Succeeded,
    )
    .await;

    // Daraja pays whole shillings to a Safaricom number; its result names the payout by the
    // merchant reference (the TransactionID is M-Pesa's receipt, not the payout's id).
    let request = PayoutRequest::new(
        reference("qs-daraja")?,
        Money::parse("150", Currency::KES)?,
        Destination::mobile(Msisdn::parse("+254708374149")?),
    )
    .with_narration("quickstart");
    payout_step(
        &mut report,
        &inbox,
        &daraja,
        "mpesa_daraja",
        request,
        &Status::Succeeded,
    )
    .await;

    // 2. Refunds on Vesicash: a partial one, then one above what is left.
    if vesicash.simulated {
        let payment = sandbox.vesicash_create_payment(Money::parse("100.00", Currency::ZMW)?);
        let partial = RefundRequest::new(
            reference("qs-refund-1")?,
            payment.clone(),
            Money::parse("40.00", Currency::ZMW)?,
            Destination::mobile(zambia.clone()),
        )
        .with_reason("partial refund");
        match vesicash.client.create_refund(&partial).await {
            Ok(refund) => report.record(
                "partial refund 40 of 100",
                "vesicash",
                format!("{} {}", refund.id, short(&refund.status)),
                true,
            ),
            Err(e) => report.record("partial refund 40 of 100", "vesicash", e.to_string(), false),
        }
        let too_much = RefundRequest::new(
            reference("qs-refund-2")?,
            payment,
            Money::parse("70.00", Currency::ZMW)?,
            Destination::mobile(zambia),
        );
        match vesicash.client.create_refund(&too_much).await {
            Err(Error::Rejected {
                code: RejectCode::RefundExceedsRefundableBalance,
                message,
                ..
            }) => report.record(
                "refund 70 of the 60 left: refused",
                "vesicash",
                format!("RefundExceedsRefundableBalance: {message}"),
                true,
            ),
            Err(e) => report.record(
                "refund 70 of the 60 left: refused",
                "vesicash",
                e.to_string(),
                false,
            ),
            Ok(refund) => report.record(
                "refund 70 of the 60 left: refused",
                "vesicash",
                format!("accepted?! {}", refund.id),
                false,
            ),
        }
    } else {
        report.record(
            "refunds (skipped: real sandbox)",
            "vesicash",
            "needs a payment made in the simulator".into(),
            true,
        );
    }

    // 3. A scripted failure: a recipient ending in 0001 fails with insufficient funds.
    if jpay.simulated {
        let scripted = Msisdn::parse("+254712340001")?;
        let request = PayoutRequest::new(
            reference("qs-fail")?,
            Money::parse("10.00", Currency::KES)?,
            Destination::mobile(scripted),
        )
        .with_callback_url(hook("jpay")?);
        payout_step(
            &mut report,
            &inbox,
            &jpay,
            "jpay",
            request,
            &Status::failed(
                FailureReason::InsufficientFunds,
                Some("The balance is insufficient for the transaction.".into()),
            ),
        )
        .await;
    } else {
        report.record(
            "scripted failure (skipped: real sandbox)",
            "jpay",
            "scripted numbers exist only in the simulator".into(),
            true,
        );
    }

    // 4. The validators refuse bad input before anything is sent.
    for (what, result) in [
        (
            "refuse a landline",
            Msisdn::parse_with_default("+254 20 123 4567", Country::Kenya)
                .map(|_| ())
                .map_err(Error::from),
        ),
        (
            "refuse UGX 1.5 (UGX has no minor unit)",
            Money::parse("1.5", Currency::UGX)
                .map(|_| ())
                .map_err(Error::from),
        ),
        (
            "refuse an http callback URL",
            CallbackUrl::parse("http://merchant.example/hook").map(|_| ()),
        ),
    ] {
        match result {
            Err(e) => report.record(what, "core", e.to_string(), true),
            Ok(()) => report.record(what, "core", "accepted?!".into(), false),
        }
    }

    println!("\nWhat happened (the code behind each step is in examples/quickstart.rs)");
    println!("| step | provider | the call | outcome | as documented |");
    println!("|---|---|---|---|---|");
    for (step, provider, outcome, ok) in &report.rows {
        println!(
            "| {step} | {provider} | `{}` | {outcome} | {} |",
            code_of(step),
            if *ok { "yes" } else { "NO" }
        );
    }
    println!(
        "\n{} steps, {} not as documented, {} webhooks delivered by the sandbox, {:.1?}",
        report.rows.len(),
        report.failures(),
        sandbox.webhooks().len(),
        started.elapsed()
    );
    println!(
        "\nWhere to go next:\n\
         - many payouts from a CSV, resumable, settled with --wait: `cargo run --features cli,sandbox --bin disburse -- --help`\n\
         - the simulator as a server for any language: `cargo run --features sandbox --bin disburse-sandbox` (docs/SANDBOX.md)\n\
         - one request routed to whichever provider fits: `cargo run --example route_by_country`\n\
         - webhooks into your own HTTP endpoint: `cargo run --example webhook_receiver`\n\
         - an outcome that is unknown, and how to reconcile it: the README's \"Quick start\" and \"Errors\"\n\
         - the API reference: `cargo doc --all-features --open`"
    );
    sandbox.shutdown().await;
    if report.failures() > 0 {
        std::process::exit(1);
    }
    Ok(())
}
