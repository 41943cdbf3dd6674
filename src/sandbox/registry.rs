//! The one place that names every simulated provider: the shared sandbox serves what is listed
//! here and knows nothing else about them. A new provider's simulator is its folder plus one line.

use rust_decimal::Decimal;

use super::ledger::Ledger;
use super::simulator::Simulator;
use super::{jpay, mpesa_daraja, mtn_momo, payonify, vesicash};
use crate::model::ProviderId;

/// Every simulated provider, in the order they are served.
pub(crate) const SIMULATORS: &[&dyn Simulator] = &[
    &vesicash::types::Vesicash,
    &jpay::types::Jpay,
    &payonify::types::Payonify,
    &mtn_momo::types::MtnMomo,
    &mpesa_daraja::types::MpesaDaraja,
];

/// The simulator of `provider`; `None` for a provider the sandbox does not simulate.
pub(crate) fn by_id(provider: ProviderId) -> Option<&'static dyn Simulator> {
    SIMULATORS.iter().copied().find(|sim| sim.id() == provider)
}

/// The simulator whose provider id is `name` (`vesicash`, `jpay`, …).
pub(crate) fn by_name(name: &str) -> Option<&'static dyn Simulator> {
    SIMULATORS
        .iter()
        .copied()
        .find(|sim| sim.id().as_str() == name)
}

/// Every simulated provider's id, comma-separated, for messages.
pub(crate) fn names() -> String {
    let names: Vec<&str> = SIMULATORS.iter().map(|sim| sim.id().as_str()).collect();
    names.join(", ")
}

/// A ledger holding every simulator's opening balances and nothing else.
pub(crate) fn opening_ledger() -> Ledger {
    Ledger::new(SIMULATORS.iter().flat_map(|sim| {
        sim.opening_balances()
            .iter()
            .map(|&(currency, amount)| (sim.id(), currency, Decimal::from(amount)))
    }))
}
