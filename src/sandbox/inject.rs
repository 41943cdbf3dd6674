//! The middleware that applies an injected [`Fault`] to a request.

use std::io;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE, RETRY_AFTER, TRANSFER_ENCODING};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::ctx::ProviderCtx;
use super::fault::Fault;
use super::fault_mark::{Applied, FaultSlot};
use super::reference::RequestReference;

/// How long a truncated answer waits between its partial body and the broken connection, so the
/// partial bytes are flushed first.
const TRUNCATE_PAUSE: Duration = Duration::from_millis(50);

const HTML_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

pub(crate) async fn apply(State(ctx): State<ProviderCtx>, req: Request, next: Next) -> Response {
    let reference = req
        .extensions()
        .get::<RequestReference>()
        .and_then(|r| r.0.clone());
    let fault = ctx.shared.lock().faults.take(
        ctx.sim.id(),
        req.method().as_str(),
        req.uri().path(),
        reference.as_deref(),
    );
    let Some(fault) = fault else {
        return next.run(req).await;
    };
    if let Some(slot) = req.extensions().get::<FaultSlot>() {
        slot.set(&fault);
    }
    let mut dropped = false;
    let mut response = match &fault {
        Fault::Latency(wait) => {
            tokio::time::sleep(*wait).await;
            next.run(req).await
        }
        Fault::Status(code) => {
            let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            ctx.sim.status_error(status, None)
        }
        Fault::TooManyRequests { retry_after } => {
            let secs = retry_after
                .as_secs()
                .saturating_add(u64::from(retry_after.subsec_nanos() > 0));
            let mut response = ctx
                .sim
                .status_error(StatusCode::TOO_MANY_REQUESTS, Some(secs));
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(secs));
            response
        }
        Fault::CommitThenDrop => {
            drop(next.run(req).await);
            dropped = true;
            dropped_connection()
        }
        Fault::CommitThenDelay(wait) => {
            let response = next.run(req).await;
            tokio::time::sleep(*wait).await;
            response
        }
        Fault::MalformedJson => malformed(next.run(req).await).await,
        Fault::TruncatedBody => truncated(next.run(req).await).await,
        Fault::SlowBody(over) => slow(next.run(req).await, *over).await,
        Fault::HtmlErrorPage => (
            StatusCode::BAD_GATEWAY,
            [(CONTENT_TYPE, "text/html")],
            HTML_502,
        )
            .into_response(),
    };
    response.extensions_mut().insert(Applied { fault, dropped });
    response
}

/// An answer whose body fails at once: hyper then closes the connection before flushing the
/// head, so the client sees the connection close with no answer at all.
fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, io::Error>(io::Error::new(
            io::ErrorKind::ConnectionAborted,
            "sandbox fault: connection dropped",
        ))
    });
    Response::new(Body::from_stream(failing))
}

async fn body_bytes(response: Response) -> (axum::http::response::Parts, Bytes) {
    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    (parts, bytes)
}

/// The same status and headers with the first half of the body: a complete HTTP answer whose
/// JSON does not parse.
async fn malformed(response: Response) -> Response {
    let (mut parts, bytes) = body_bytes(response).await;
    let cut = bytes.len() / 2;
    let body = if cut == 0 {
        Bytes::from_static(b"{")
    } else {
        bytes.slice(..cut)
    };
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, Body::from(body))
}

/// How many pieces a slow body is cut into.
const SLOW_PIECES: u32 = 8;

/// The same status and headers at once, then the body in [`SLOW_PIECES`] pieces, one after each
/// equal share of `over`.
async fn slow(response: Response, over: Duration) -> Response {
    let (mut parts, bytes) = body_bytes(response).await;
    parts.headers.remove(TRANSFER_ENCODING);
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let piece = bytes.len().div_ceil(SLOW_PIECES as usize).max(1);
    let pause = over / SLOW_PIECES;
    let stream = futures_util::stream::unfold(0usize, move |start| {
        let bytes = bytes.clone();
        async move {
            if start >= bytes.len() {
                return None;
            }
            tokio::time::sleep(pause).await;
            let end = (start + piece).min(bytes.len());
            Some((Ok::<Bytes, io::Error>(bytes.slice(start..end)), end))
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}

/// The same status and headers, a `Content-Length` of the whole body, half of it, then a broken
/// connection.
async fn truncated(response: Response) -> Response {
    let (mut parts, bytes) = body_bytes(response).await;
    let declared = bytes.len().max(1);
    let head = bytes.slice(..bytes.len() / 2);
    parts.headers.remove(TRANSFER_ENCODING);
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(declared));
    let stream = futures_util::stream::unfold(0u8, move |step| {
        let head = head.clone();
        async move {
            match step {
                0 => Some((Ok(head), 1)),
                1 => {
                    tokio::time::sleep(TRUNCATE_PAUSE).await;
                    Some((
                        Err(io::Error::new(
                            io::ErrorKind::ConnectionAborted,
                            "sandbox fault: body truncated",
                        )),
                        2,
                    ))
                }
                _ => None,
            }
        }
    });
    Response::from_parts(parts, Body::from_stream(stream))
}
