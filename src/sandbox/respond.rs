//! Small helpers every provider's handlers use to read headers and write JSON answers.

use axum::body::Bytes;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// A handler's result: the answer, or the error answer that ended it early.
pub(crate) type Reply = Result<Response, Response>;

/// The answer either way.
pub(crate) fn finish(reply: Reply) -> Response {
    reply.unwrap_or_else(|e| e)
}

/// `body` serialized as JSON with `status`.
pub(crate) fn json<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => raw_json(status, Bytes::from(bytes)),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            "sandbox: could not encode JSON",
        )
            .into_response(),
    }
}

/// JSON bytes as they are, with `status`.
pub(crate) fn raw_json(status: StatusCode, bytes: Bytes) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], bytes).into_response()
}

/// The value of a header, if present and text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Whether `text` is an absolute http(s) URL with a host: what a callback URL must be.
pub(crate) fn is_callback_url(text: &str) -> bool {
    url::Url::parse(text)
        .map(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .unwrap_or(false)
}

/// The string field `name` of a JSON object body, if the body is one and the field a string.
pub(crate) fn body_field(body: &[u8], name: &str) -> Option<String> {
    let json: serde_json::Value = serde_json::from_slice(body).ok()?;
    json.get(name)?.as_str().map(str::to_owned)
}
