//! The whole server: each provider's router under its prefix, wrapped in the request log and the
//! fault injector.

use std::sync::Arc;

use axum::Router;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;

use super::ctx::ProviderCtx;
use super::kind::ProviderKind;
use super::state::Shared;
use super::{control, inject, jpay, mtn_momo, payonify, record, vesicash};

pub(crate) fn router(shared: &Arc<Shared>) -> Router {
    let mut app = Router::new();
    for kind in ProviderKind::ALL {
        app = app.nest(kind.prefix(), provider_router(shared, kind));
    }
    app.nest(control::PREFIX, control::router(Arc::clone(shared)))
        .fallback(|| async {
            (
                StatusCode::NOT_FOUND,
                "not a sandbox route: providers live under /vesicash, /jpay/api/v1, /payonify and \
                 /mtn_momo, the control endpoints under /_sandbox",
            )
        })
}

/// One provider's routes relative to its base URL, wrapped in the request log and the fault
/// injector: nested under its prefix on the main port, or served alone on a port of its own.
pub(crate) fn provider_router(shared: &Arc<Shared>, kind: ProviderKind) -> Router {
    let inner = match kind {
        ProviderKind::Vesicash => vesicash::router(Arc::clone(shared)),
        ProviderKind::Jpay => jpay::router(Arc::clone(shared)),
        ProviderKind::Payonify => payonify::router(Arc::clone(shared)),
        ProviderKind::MtnMomo => mtn_momo::router(Arc::clone(shared)),
    };
    let ctx = ProviderCtx {
        shared: Arc::clone(shared),
        kind,
    };
    inner
        .layer(from_fn_with_state(ctx.clone(), inject::apply))
        .layer(from_fn_with_state(ctx, record::record))
}
