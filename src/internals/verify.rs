//! Webhook verification alone: the adapter's own signature check of a delivery, without reading
//! the payload into a [`WebhookEvent`](crate::WebhookEvent) (which `parse_webhook` does after).

use crate::providers::jpay::JpayClient;
use crate::providers::payonify::PayonifyClient;
use crate::providers::vesicash::VesicashClient;
use crate::webhook::{WebhookError, WebhookRequest};

/// Vesicash: the signature header (and timestamp, in the timestamped scheme) against the body.
pub fn vesicash(
    client: &VesicashClient,
    delivery: &WebhookRequest<'_>,
) -> Result<(), WebhookError> {
    client.verify_webhook(delivery)
}

/// JPay: the URL's callback token against `ref_no`. JPay signs nothing itself; the token covers
/// the `ref_no`, which `parse_webhook` reads from the body *before* this check, so here the
/// caller passes it.
pub fn jpay(client: &JpayClient, url: &str, ref_no: &str) -> Result<(), WebhookError> {
    client.verify_callback_token(url, ref_no)
}

/// Payonify: the `Payonify-Signature` header over `"{t}.{body}"`, then the timestamp window.
pub fn payonify(
    client: &PayonifyClient,
    delivery: &WebhookRequest<'_>,
) -> Result<(), WebhookError> {
    client.verify_webhook(delivery)
}
