//! `disburse reconcile --batch NAME`: resolves the batch's unknown outcomes with
//! [`PayoutProvider::reconcile`](disburse::PayoutProvider::reconcile) (found: recorded as
//! reconciled; not found: recorded not sent, so the next run sends it; cannot tell: left for an
//! operator) and lists what needs an operator, with what the operator needs. Nothing is sent.

use std::process::ExitCode;

use disburse::reconcile::{Evidence, Reconciliation};
use disburse::store::{
    Claim, ItemRecord, ItemState, NewItem, PayoutStore, Store, StoredItem, WorkerId,
};
use disburse::{Destination, Error};

use crate::args::{ProviderName, ReconcileArgs};
use crate::exit;
use crate::output::with_cause;
use crate::target::Targets;

/// One unknown item in words: where it is, what it moves and to whom (masked), and why.
pub fn describe(item: &StoredItem) -> String {
    let request = &item.request;
    let recipient = match &request.destination {
        Destination::MobileWallet { msisdn, .. } => msisdn.masked(),
        other => format!("{other:?}"),
    };
    format!(
        "{} {} (batch {}, row {}): {} to {recipient}, {} attempt(s): {}",
        item.provider,
        request.reference,
        item.batch,
        item.index,
        request.amount,
        item.attempts,
        item.record.detail.as_deref().unwrap_or("")
    )
}

pub async fn run(args: ReconcileArgs) -> Result<ExitCode, Error> {
    let url = match &args.store {
        Some(url) => url.clone(),
        None => crate::store_url::default_store()?,
    };
    let store = Store::open(&url).await?;
    let unknown = store.items(&args.batch, Some(ItemState::Unknown)).await?;
    if unknown.is_empty() {
        println!("batch {}: no unknown outcomes", args.batch);
        return Ok(ExitCode::SUCCESS);
    }
    let mut names: Vec<ProviderName> = unknown
        .iter()
        .filter_map(|i| ProviderName::parse(&i.provider))
        .collect();
    names.sort();
    names.dedup();
    let targets = Targets::connect(&names, args.sandbox).await?;
    let worker = WorkerId::generate();
    store.register_worker(&worker).await?;
    let (mut found, mut not_found, mut operator) = (0, 0, Vec::new());
    for item in &unknown {
        let Some(provider) = targets.by_id(&item.provider) else {
            continue;
        };
        let request = &item.request;
        // Take the item, so that no batch run acts on it meanwhile.
        let claim = store
            .claim(
                &worker,
                NewItem {
                    provider: provider.id(),
                    batch: &item.batch,
                    index: item.index,
                    request,
                    fingerprint: &item.fingerprint,
                },
            )
            .await?;
        if claim != Claim::Reconcile {
            continue;
        }
        // No request for it left before its first claim: the provider's records are searched, and
        // an operator told to look, from then on.
        let evidence = Evidence::new(item.claimed_at);
        let (record, line) = match provider.reconcile(request, &evidence).await {
            Ok(Reconciliation::Found(payout)) => {
                found += 1;
                (
                    ItemRecord::from_payout(ItemState::Reconciled, &payout),
                    None,
                )
            }
            Ok(Reconciliation::NotFound) => {
                not_found += 1;
                let mut record = ItemRecord::new(ItemState::NotSent);
                record.detail = Some(
                    "reconciled: the provider has no such payout; the next run sends it".into(),
                );
                (record, None)
            }
            Ok(Reconciliation::CannotTell(why)) => {
                let mut record = ItemRecord::new(ItemState::Unknown);
                record.detail = Some(why.to_string());
                (record, Some(why.to_string()))
            }
            Ok(_) => (
                ItemRecord::new(ItemState::Unknown),
                Some("an answer this CLI does not know".to_owned()),
            ),
            Err(e) => {
                let why = format!("the provider could not be asked: {}", with_cause(&e));
                let mut record = ItemRecord::new(ItemState::Unknown);
                record.detail = item.record.detail.clone();
                (record, Some(why))
            }
        };
        store
            .record_outcome(&worker, provider.id(), &request.reference, &record)
            .await?;
        if let Some(why) = line {
            operator.push(format!("{}\n    {why}", describe(item)));
        }
    }
    let _ = store.retire_worker(&worker).await;
    println!(
        "batch {}: {} unknown; found {found} (recorded as paid), not found {not_found} (the next \
         run sends them), needs an operator {}",
        args.batch,
        unknown.len(),
        operator.len()
    );
    if !operator.is_empty() {
        println!("needs an operator (do not send these references again until settled):");
        for line in &operator {
            println!("  {line}");
        }
        return Ok(ExitCode::from(exit::UNKNOWN));
    }
    Ok(ExitCode::from(if not_found > 0 {
        exit::PENDING
    } else {
        exit::OK
    }))
}
