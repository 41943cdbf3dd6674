//! Webhook deliveries as the `http` crate's types, which hyper, axum, reqwest and actix's
//! `http` 1 adapters share: a web framework hands its request over as it is, with no glue.
//!
//! Only the path and query of the URI are read (JPay's callback token is a query parameter), so
//! the origin-form URI a server receives (`/webhooks/jpay?disburse_token=…`) is enough.

use ::http::{HeaderMap, Method, Request, Uri};

use crate::webhook::WebhookRequest;

impl<'a> WebhookRequest<'a> {
    /// The delivery a server received as an `http::Request` (axum's and
    /// hyper's request type; `B` is the raw body, such as [`Bytes`](crate::Bytes)).
    ///
    /// ```
    /// use disburse::http_types::Request;
    /// use disburse::{Bytes, WebhookRequest};
    ///
    /// let request = Request::post("/webhooks/jpay?disburse_token=abc")
    ///     .body(Bytes::from_static(b"{}"))
    ///     .unwrap();
    /// let delivery = WebhookRequest::from_http(&request);
    /// assert_eq!(delivery.url, "/webhooks/jpay?disburse_token=abc");
    /// assert_eq!(delivery.method, "POST");
    /// ```
    pub fn from_http<B: AsRef<[u8]>>(request: &'a Request<B>) -> WebhookRequest<'a> {
        WebhookRequest::from_parts(
            request.method(),
            request.uri(),
            request.headers(),
            request.body().as_ref(),
        )
    }

    /// The delivery from its parts, as a framework's extractors give them.
    pub fn from_parts(
        method: &'a Method,
        uri: &'a Uri,
        headers: &'a HeaderMap,
        body: &'a [u8],
    ) -> WebhookRequest<'a> {
        WebhookRequest {
            method: method.as_str(),
            url: uri_text(uri),
            headers,
            body,
        }
    }
}

/// The URI's path and query, borrowed (`/` when it has neither, as `*`).
fn uri_text(uri: &Uri) -> &str {
    uri.path_and_query().map_or("/", |pq| pq.as_str())
}
