//! `disburse status --batch NAME`: asks the providers for every payout of a batch that is not
//! final yet, records their answers in the store, and prints the batch.

use std::collections::BTreeSet;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;

use disburse::Error;
use disburse::store::{ItemState, Store};

use crate::args::ProviderName;
use crate::exit::Tally;
use crate::follow::{Follow, follow};
use crate::results::Entry;
use crate::target::Targets;

/// Polls per second per provider.
const RATE: u32 = 5;

pub async fn run(batch: &str, store: Option<&str>, sandbox: bool) -> Result<ExitCode, Error> {
    let url = match store {
        Some(url) => url.to_owned(),
        None => crate::store_url::default_store()?,
    };
    let store = Store::open(&url).await?;
    let items = store.items(batch, None).await?;
    if items.is_empty() {
        return Err(Error::config(format!(
            "{}: no batch named {batch:?}",
            store.name()
        )));
    }
    let names: BTreeSet<ProviderName> = items
        .iter()
        .filter_map(|i| ProviderName::parse(&i.provider))
        .collect();
    let names: Vec<ProviderName> = names.into_iter().collect();
    let targets = Targets::connect(&names, sandbox).await?;
    let mut entries: Vec<Entry> = items
        .iter()
        .map(|item| Entry {
            line: item.index,
            reference: item.request.reference.as_str().to_owned(),
            provider: ProviderName::parse(&item.provider),
            outcome: item.record.state.as_str(),
            payout_id: item.record.payout_id.clone().unwrap_or_default(),
            status: item.record.status.clone().unwrap_or_default(),
            detail: item.record.detail.clone().unwrap_or_default(),
        })
        .collect();
    let how = Follow {
        deadline: None,
        rate: RATE,
        concurrency: 8,
    };
    follow(
        &targets,
        &store,
        &mut entries,
        &how,
        &AtomicBool::new(false),
    )
    .await;
    println!("provider,index,reference,state,payout_id,status,detail");
    let mut tally = Tally::default();
    for entry in &entries {
        println!(
            "{},{},{},{},{},{},{:?}",
            entry
                .provider
                .map(|p| p.id().to_string())
                .unwrap_or_default(),
            entry.line,
            entry.reference,
            entry.outcome,
            entry.payout_id,
            entry.status,
            entry.detail
        );
        match ItemState::parse(entry.outcome) {
            Some(ItemState::Unknown | ItemState::InFlight) => tally.unknown += 1,
            Some(ItemState::Failed) => tally.failed += 1,
            _ if entry.status == "failed" => tally.failed += 1,
            _ if entry.is_open() || entry.payout_id.is_empty() => tally.pending += 1,
            _ => {}
        }
    }
    println!(
        "batch {batch}: {} payouts; failed {}, unknown {}, not final {}",
        entries.len(),
        tally.failed,
        tally.unknown,
        tally.pending
    );
    Ok(tally.code())
}
