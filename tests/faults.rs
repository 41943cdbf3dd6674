//! The fault matrix: every provider, every money-moving operation, every fault kind the sandbox
//! injects, on a schedule randomized from a fixed seed. Checked from the sandbox's ledger and
//! request log: at most one payout per merchant reference; every ambiguous outcome surfaces as
//! `OutcomeUnknown` and resolves once the faults clear; no refused request (4xx other than
//! 408/409/429, JPay's one repeat after a 401 aside) is re-sent; requests stay within 1.2 × the
//! no-fault baseline plus the retries the policy allows.
//!
//! M-Pesa Daraja is keyed (a reused `OriginatorConversationID` is refused, HTTP 500
//! `500.002.1001`) and answers status queries only by callback: the suite's receiver hands every
//! delivery to the Daraja clients' `parse_webhook`, where `find_payout` waits for it.
//!
//! `DISBURSE_FAULT_PROVIDERS=jpay,mtn_momo` runs only those providers (`mpesa_daraja` too).
//!
//! `cargo test --test faults` runs a quick subset (45 runs per provider, every operation × fault
//! kind at least once for the two-operation providers); `DISBURSE_FAULT_RUNS=full` runs 1,000
//! per provider, and `DISBURSE_FAULT_RUNS=<n>` any number. `DISBURSE_FAULT_SEED` replaces the
//! fixed seed.
#![cfg(feature = "sandbox")]

mod faults_support;

use faults_support::schedule::{DEFAULT_SEED, Prov};
use faults_support::{Figures, matrix, report};

const QUICK_RUNS: usize = 45;
const FULL_RUNS: usize = 1000;

fn runs() -> usize {
    match std::env::var("DISBURSE_FAULT_RUNS").as_deref() {
        Ok("full") => FULL_RUNS,
        Ok(n) => n.parse().unwrap_or(QUICK_RUNS),
        Err(_) => QUICK_RUNS,
    }
}

/// `DISBURSE_FAULT_PROVIDERS` (names, comma-separated, any case: `vesicash,mtn momo`) limits
/// the run to those providers; all of them otherwise.
fn providers() -> Vec<Prov> {
    let Ok(names) = std::env::var("DISBURSE_FAULT_PROVIDERS") else {
        return Prov::ALL.to_vec();
    };
    let wanted: Vec<String> = names
        .split(',')
        .map(normalized)
        .filter(|n| !n.is_empty())
        .collect();
    let chosen: Vec<Prov> = Prov::ALL
        .into_iter()
        .filter(|p| wanted.contains(&normalized(p.name())))
        .collect();
    assert!(
        !chosen.is_empty(),
        "DISBURSE_FAULT_PROVIDERS={names:?} names no provider"
    );
    chosen
}

/// A provider name without case, spaces, `_` or `-`: `mpesa_daraja` is `M-Pesa Daraja`.
fn normalized(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn seed() -> u64 {
    std::env::var("DISBURSE_FAULT_SEED")
        .ok()
        .and_then(|s| {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => s.parse().ok(),
            }
        })
        .unwrap_or(DEFAULT_SEED)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix_never_pays_twice_and_resolves_every_unknown_outcome() {
    let (runs, seed) = (runs(), seed());
    println!("fault matrix: {runs} runs per provider, seed {seed:#x}");
    let chosen = providers();
    let all: Vec<Figures> =
        futures_util::future::join_all(chosen.iter().map(|provider| matrix(*provider, runs, seed)))
            .await;
    println!("{}", report(seed, &all));
    for f in &all {
        for failure in f.failures.iter().take(20) {
            println!("{}: FAIL {failure}", f.provider);
        }
        for unresolved in f.unresolved.iter().take(20) {
            println!("{}: UNRESOLVED {unresolved}", f.provider);
        }
    }
    for f in &all {
        assert_eq!(
            f.failures.len(),
            0,
            "{}: {} failures (seed {seed:#x})",
            f.provider,
            f.failures.len()
        );
        assert_eq!(
            f.unresolved.len(),
            0,
            "{}: unresolved unknown outcomes",
            f.provider
        );
        assert_eq!(
            f.max_per_reference, 1,
            "{}: payouts per reference",
            f.provider
        );
        assert_eq!(f.refused_then_resent, 0, "{}", f.provider);
        assert!(
            f.requests as f64 <= f.budget(),
            "{}: {} requests over the budget {:.0}",
            f.provider,
            f.requests,
            f.budget()
        );
        assert!(
            f.unknown > 0,
            "{}: the schedule produced no ambiguous outcome",
            f.provider
        );
    }
}

mod regressions {
    //! Found by the matrix: a keyed create whose first attempt was processed (answer lost) and
    //! whose retries were then refused or throttled was reported as that refusal, though a
    //! payout existed.

    use std::time::Duration;

    use disburse::providers::payonify::PayonifyClient;
    use disburse::sandbox::{Fault, Route, Sandbox, sandbox_http_config};
    use disburse::{
        Ambiguity, Currency, Destination, Error, Money, Msisdn, PayoutProvider, PayoutRequest,
        ProviderId, Reference,
    };

    async fn sandbox() -> Sandbox {
        Sandbox::builder()
            .settle_after(Duration::ZERO)
            .start()
            .await
            .expect("sandbox")
    }

    fn payonify_payout(reference: &str) -> PayoutRequest {
        PayoutRequest::new(
            Reference::new(reference).expect("reference"),
            Money::parse("10.00", Currency::USD).expect("amount"),
            Destination::mobile(Msisdn::parse("+263771234599").expect("number")),
        )
    }

    fn posts(sandbox: &Sandbox, reference: &str) -> usize {
        sandbox
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.reference.as_deref() == Some(reference))
            .count()
    }

    #[tokio::test]
    async fn a_refusal_after_a_lost_answer_is_outcome_unknown_not_rejected() {
        let sandbox = sandbox().await;
        let client = sandbox.payonify_client().expect("client");
        let route = Route::post("/v1/payouts").for_reference("reg-400");
        sandbox.inject(
            ProviderId::PAYONIFY,
            route.clone(),
            Fault::CommitThenDrop,
            1,
        );
        sandbox.inject(ProviderId::PAYONIFY, route, Fault::Status(400), 1);
        let err = client
            .create_payout(&payonify_payout("reg-400"))
            .await
            .expect_err("the retry is refused");
        let Error::OutcomeUnknown {
            reference: Some(r),
            cause: Ambiguity::ConnectionLost,
            source: Some(source),
            ..
        } = &err
        else {
            panic!("expected OutcomeUnknown(ConnectionLost), got {err:?}");
        };
        assert_eq!(r.as_str(), "reg-400");
        assert!(
            matches!(
                source.downcast_ref::<Error>(),
                Some(Error::Rejected { status: 400, .. })
            ),
            "{source:?}"
        );
        assert_eq!(posts(&sandbox, "reg-400"), 2, "the 400 is not re-sent");
        assert_eq!(
            sandbox
                .payouts_for_reference(ProviderId::PAYONIFY, "reg-400")
                .len(),
            1
        );
    }

    #[tokio::test]
    async fn throttled_retries_after_a_timeout_are_outcome_unknown_not_rate_limited() {
        let sandbox = sandbox().await;
        let client = PayonifyClient::new(
            sandbox
                .payonify_config()
                .with_http(sandbox_http_config().with_timeout(Duration::from_secs(2))),
        )
        .expect("client");
        let route = Route::post("/v1/payouts").for_reference("reg-429");
        // Far past this client's 2 s timeout: the sandbox shares this test's thread, and a
        // stall longer than the gap between the two timers would let the answer win.
        sandbox.inject(
            ProviderId::PAYONIFY,
            route.clone(),
            Fault::CommitThenDelay(Duration::from_secs(30)),
            1,
        );
        sandbox.inject(
            ProviderId::PAYONIFY,
            route,
            Fault::TooManyRequests {
                retry_after: Duration::ZERO,
            },
            2,
        );
        let err = client
            .create_payout(&payonify_payout("reg-429"))
            .await
            .expect_err("throttled to the end");
        assert!(
            matches!(&err, Error::OutcomeUnknown { cause: Ambiguity::Timeout, reference: Some(r), .. } if r.as_str() == "reg-429"),
            "{err:?}"
        );
        assert_eq!(
            sandbox
                .payouts_for_reference(ProviderId::PAYONIFY, "reg-429")
                .len(),
            1
        );
        let found = client
            .find_payout(&Reference::new("reg-429").expect("reference"))
            .await
            .expect("lookup")
            .expect("found");
        assert_eq!(
            found.id,
            sandbox.payouts_for_reference(ProviderId::PAYONIFY, "reg-429")[0].id
        );
    }

    #[tokio::test]
    async fn jpay_still_resolves_its_duplicate_answer_after_a_lost_answer() {
        let sandbox = sandbox().await;
        let client = sandbox.jpay_client().expect("client");
        let route = Route::post("/payments/payouts/initiate").for_reference("reg-dup");
        sandbox.inject(ProviderId::JPAY, route, Fault::CommitThenDrop, 1);
        let request = PayoutRequest::new(
            Reference::new("reg-dup").expect("reference"),
            Money::parse("150.00", Currency::KES).expect("amount"),
            Destination::mobile(Msisdn::parse("+254712345699").expect("number")),
        )
        .with_callback_url(
            disburse::CallbackUrl::parse("https://merchant.example/hooks/jpay").expect("url"),
        );
        let payout = client.create_payout(&request).await.expect("resolved");
        let held = sandbox.payouts_for_reference(ProviderId::JPAY, "reg-dup");
        assert_eq!(held.len(), 1);
        assert_eq!(payout.id, held[0].id);
        assert_eq!(posts(&sandbox, "reg-dup"), 2);
    }
}
