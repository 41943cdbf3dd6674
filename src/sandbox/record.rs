//! The outermost middleware of each provider: logs every request with the merchant reference it
//! names and the status it got — also a request whose client gave up before the answer (a fault
//! holding the answer back past the client's timeout), logged with no status.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

use super::ctx::ProviderCtx;
use super::fault_mark::{Applied, FaultSlot};
use super::log::RequestRecord;
use super::reference::RequestReference;

/// The largest request body read (the providers' own limits are far lower).
const MAX_REQUEST_BYTES: usize = 2 * 1024 * 1024;

/// Logs its record when dropped: with the answer's status once there is one, else with none
/// (the client went away first and hyper cancelled the handler).
struct Pending {
    ctx: ProviderCtx,
    record: Option<RequestRecord>,
    slot: FaultSlot,
}

impl Drop for Pending {
    fn drop(&mut self) {
        if let Some(mut record) = self.record.take() {
            if record.fault.is_none() {
                record.fault = self.slot.get();
            }
            self.ctx.shared.lock().log_request(record);
        }
    }
}

pub(crate) async fn record(State(ctx): State<ProviderCtx>, req: Request, next: Next) -> Response {
    let query = req.uri().query().map(str::to_owned);
    let mut record = RequestRecord {
        provider: ctx.sim.id(),
        method: req.method().as_str().to_owned(),
        path: req.uri().path().to_owned(),
        query,
        reference: None,
        status: None,
        fault: None,
        received_at: Utc::now(),
    };
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REQUEST_BYTES).await else {
        return (
            StatusCode::PAYLOAD_TOO_LARGE,
            "sandbox: request body too large",
        )
            .into_response();
    };
    record.reference = ctx
        .sim
        .reference(&parts.headers, record.query.as_deref(), &bytes);
    let slot = FaultSlot::default();
    parts
        .extensions
        .insert(RequestReference(record.reference.clone()));
    parts.extensions.insert(slot.clone());
    let mut pending = Pending {
        ctx,
        record: Some(record),
        slot,
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let applied = response.extensions().get::<Applied>().cloned();
    if let Some(record) = pending.record.as_mut() {
        record.status = match &applied {
            Some(a) if a.dropped => None,
            _ => Some(response.status().as_u16()),
        };
        record.fault = applied.map(|a| a.fault);
    }
    drop(pending);
    response
}
