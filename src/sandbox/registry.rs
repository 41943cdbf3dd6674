//! The one place that names every simulated provider: the shared sandbox serves what is listed
//! here and knows nothing else about them. A new provider's simulator is its folder plus one line.

use super::simulator::Simulator;
use super::{jpay, mpesa_daraja, mtn_momo, payonify, vesicash};

/// Every simulated provider, in the order they are served.
pub(crate) const SIMULATORS: &[&dyn Simulator] = &[
    &vesicash::types::Vesicash,
    &jpay::types::Jpay,
    &payonify::types::Payonify,
    &mtn_momo::types::MtnMomo,
    &mpesa_daraja::types::MpesaDaraja,
];
