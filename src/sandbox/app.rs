//! The whole server: each provider's router under its prefix, wrapped in the request log and the
//! fault injector.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;

use super::ctx::ProviderCtx;
use super::simulator::Simulator;
use super::state::Shared;
use super::{control, inject, record};

/// Serves `simulators`, each under its prefix.
pub(crate) fn router(shared: &Arc<Shared>, simulators: &[&'static dyn Simulator]) -> Router {
    let mut app = Router::new();
    for &sim in simulators {
        app = app.nest(sim.prefix(), provider_router(shared, sim));
    }
    let prefixes: Vec<&str> = simulators.iter().map(|s| s.prefix()).collect();
    let message = format!(
        "not a sandbox route: providers live under {}, the control endpoints under {}",
        prefixes.join(", "),
        control::PREFIX
    );
    app.nest(control::PREFIX, control::router(Arc::clone(shared)))
        .fallback(|| async move { (StatusCode::NOT_FOUND, message) })
}

/// One provider's routes relative to its base URL, wrapped in the request log and the fault
/// injector: nested under its prefix on the main port, or served alone on a port of its own.
pub(crate) fn provider_router(shared: &Arc<Shared>, sim: &'static dyn Simulator) -> Router {
    let inner = sim.router(Arc::clone(shared));
    let ctx = ProviderCtx {
        shared: Arc::clone(shared),
        sim,
    };
    inner
        .layer(from_fn_with_state(ctx.clone(), inject::apply))
        .layer(from_fn_with_state(ctx, record::record))
}
