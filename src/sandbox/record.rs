//! The outermost middleware of each provider: logs every request with the merchant reference it
//! names and the status it got.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::ctx::ProviderCtx;
use super::inject::Applied;
use super::log::RequestRecord;
use super::reference::{self, RequestReference};

/// The largest request body read (the providers' own limits are far lower).
const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

pub(crate) async fn record(State(ctx): State<ProviderCtx>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_owned();
    let path = req.uri().path().to_owned();
    let query = req.uri().query().map(str::to_owned);
    let received_at = Utc::now();
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "sandbox: request body too large").into_response();
    };
    let reference = reference::of_request(ctx.kind, &parts.headers, query.as_deref(), &bytes);
    parts
        .extensions
        .insert(RequestReference(reference.clone()));
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
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
        reference,
        status,
        fault: applied.map(|a| a.fault),
        received_at,
    });
    response
}
