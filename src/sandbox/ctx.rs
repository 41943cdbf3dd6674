//! The state a provider's middleware gets: the shared state and which provider it serves.

use std::sync::Arc;

use super::simulator::Simulator;
use super::state::Shared;

#[derive(Debug, Clone)]
pub(crate) struct ProviderCtx {
    pub(crate) shared: Arc<Shared>,
    pub(crate) sim: &'static dyn Simulator,
}
