//! The README's sandbox test, word for word, so it runs as well as compiles (the README's
//! doctest only compiles it). `the_readme_block_is_this_file` keeps the two the same.
#![cfg(feature = "sandbox")]

use disburse::sandbox::Sandbox;
use disburse::settle::{Awaited, Wait};
use disburse::{CallbackUrl, Country, Currency, Destination, FailureReason, Money, Msisdn};
use disburse::{PayoutProvider, PayoutRequest, ProviderId, Reference, Status};
use std::time::Duration;

#[tokio::test]
async fn salary_payouts_settle_as_documented() -> Result<(), Box<dyn std::error::Error>> {
    // Zero settle delay: payouts become final as soon as they are created.
    let sandbox = Sandbox::builder()
        .settle_after(Duration::ZERO)
        .start()
        .await?;
    let jpay = sandbox.jpay_client()?; // the real adapter, pointed at the simulator

    let paid = PayoutRequest::new(
        Reference::new("salary-0042")?,
        Money::parse("1500.00", Currency::KES)?,
        Destination::mobile(Msisdn::parse_with_default("0712345678", Country::Kenya)?),
    )
    .with_callback_url(CallbackUrl::parse("http://127.0.0.1:9/hooks/jpay")?);
    let payout = jpay.create_payout(&paid).await?;

    // Scripted outcome: a recipient ending in 0001 fails with insufficient funds.
    let refused = PayoutRequest::new(
        Reference::new("salary-0043")?,
        Money::parse("10.00", Currency::KES)?,
        Destination::mobile(Msisdn::parse("+254712340001")?),
    )
    .with_callback_url(CallbackUrl::parse("http://127.0.0.1:9/hooks/jpay")?);
    let failing = jpay.create_payout(&refused).await?;

    // Settlement runs in the background: wait for each final status (polls with backoff; no
    // fixed sleep, so a slow CI machine does not fail the test).
    let wait = Wait::new()
        .first_delay(Duration::from_millis(10))
        .timeout(Duration::from_secs(30));
    let settled = jpay.await_final(&payout, &wait).await?;
    assert!(matches!(&settled, Awaited::Final(p) if p.status == Status::Succeeded));
    let settled = jpay.await_final(&failing, &wait).await?;
    assert!(matches!(
        &settled,
        Awaited::Final(p) if matches!(p.status, Status::Failed { reason: FailureReason::InsufficientFunds, .. })
    ));
    // Inspect the simulator's ledger: one payout per reference, never two.
    assert_eq!(
        sandbox
            .payouts_for_reference(ProviderId::JPAY, "salary-0042")
            .len(),
        1
    );
    Ok(())
}

/// The README's block and this file's code are the same text.
#[test]
fn the_readme_block_is_this_file() {
    let readme = include_str!("../README.md");
    let this = include_str!("readme_sandbox_test.rs");
    let start = "use disburse::sandbox::Sandbox;\nuse disburse::settle::";
    let block = &readme[readme.find(start).expect("the README's block")..];
    let block = &block[..block.find("```").expect("its end")];
    assert!(
        this.contains(block),
        "README.md's sandbox test and this file differ"
    );
}
