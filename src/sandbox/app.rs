//! The whole server: each provider's router under its prefix, wrapped in the request log and the
//! fault injector.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;

use super::ctx::ProviderCtx;
use super::simulator::Simulator;
use super::state::Shared;
use super::{inject, record};

/// Serves `simulators`, each under its prefix.
pub(crate) fn router(shared: &Arc<Shared>, simulators: &[&'static dyn Simulator]) -> Router {
    let mut app = Router::new();
    for &sim in simulators {
        let inner = sim.router(Arc::clone(shared));
        let ctx = ProviderCtx {
            shared: Arc::clone(shared),
            sim,
        };
        let wrapped = inner
            .layer(from_fn_with_state(ctx.clone(), inject::apply))
            .layer(from_fn_with_state(ctx, record::record));
        app = app.nest(sim.prefix(), wrapped);
    }
    let mut prefixes: Vec<&str> = simulators.iter().map(|s| s.prefix()).collect();
    let last = prefixes.pop().unwrap_or_default();
    let message = if prefixes.is_empty() {
        format!("not a sandbox route: providers live under {last}")
    } else {
        format!(
            "not a sandbox route: providers live under {} and {last}",
            prefixes.join(", ")
        )
    };
    app.fallback(|| async move { (StatusCode::NOT_FOUND, message) })
}
