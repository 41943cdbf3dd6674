//! The fault matrix: every provider, every money-moving operation, every fault kind the sandbox
//! injects, on a schedule randomized from a fixed seed. Checked from the sandbox's ledger and
//! request log: at most one payout per merchant reference; every ambiguous outcome surfaces as
//! `OutcomeUnknown` and resolves once the faults clear; no refused request (4xx other than
//! 408/409/429, JPay's one repeat after a 401 aside) is re-sent; requests stay within 1.2 × the
//! no-fault baseline plus the retries the policy allows.
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
    let (v, j, p) = tokio::join!(
        matrix(Prov::Vesicash, runs, seed),
        matrix(Prov::Jpay, runs, seed),
        matrix(Prov::Payonify, runs, seed),
    );
    let all: Vec<Figures> = vec![v, j, p];
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
        assert_eq!(f.failures.len(), 0, "{}: {} failures (seed {seed:#x})", f.provider, f.failures.len());
        assert_eq!(f.unresolved.len(), 0, "{}: unresolved unknown outcomes", f.provider);
        assert_eq!(f.max_per_reference, 1, "{}: payouts per reference", f.provider);
        assert_eq!(f.refused_then_resent, 0, "{}", f.provider);
        assert!(
            f.requests as f64 <= f.budget(),
            "{}: {} requests over the budget {:.0}",
            f.provider,
            f.requests,
            f.budget()
        );
        assert!(f.unknown > 0, "{}: the schedule produced no ambiguous outcome", f.provider);
    }
}
