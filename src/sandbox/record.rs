//! The outermost middleware of each provider: logs every request with the status it got.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use chrono::Utc;

use super::ctx::ProviderCtx;
use super::inject::Applied;
use super::log::RequestRecord;

pub(crate) async fn record(State(ctx): State<ProviderCtx>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let received_at = Utc::now();
    let response = next.run(req).await;
    let applied = response.extensions().get::<Applied>().cloned();
    let status = match &applied {
        Some(a) if a.dropped => None,
        _ => Some(response.status().as_u16()),
    };
    ctx.shared.lock().log_request(RequestRecord {
        provider: ctx.kind.id(),
        method,
        path,
        query,
        status,
        fault: applied.map(|a| a.fault),
        received_at,
    });
    response
}
