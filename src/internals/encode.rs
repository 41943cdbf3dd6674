//! Request encoding: each function runs exactly what the adapter's `create_payout` runs between
//! receiving the [`PayoutRequest`] and handing the request to the HTTP path (the checks made
//! before sending, the body serialized once by [`Call::post_json`], and the headers the adapter
//! adds), and returns that request; its body bytes are [`Call::body`]. Only the network look-ups
//! are replaced by the value they would produce (Vesicash's `country_id`, JPay's `app_code`).

use crate::error::Error;
use crate::http::Call;
use crate::model::PayoutRequest;
use crate::providers::jpay::JpayClient;
use crate::providers::payonify;
use crate::providers::vesicash::VesicashClient;

/// Vesicash: `POST /v1/payment/payout/process` for `request`, with `country_id` standing for
/// the entry of the (cached) countries list.
pub fn vesicash_payout(
    client: &VesicashClient,
    request: &PayoutRequest,
    country_id: &str,
) -> Result<Call, Error> {
    client.encoded_payout(request, country_id)
}

/// JPay: `POST /payments/payouts/initiate` for `request` (its callback URL signed with the
/// client's callback secret), with `app_code` standing for the configured or token-given code.
pub fn jpay_payout(
    client: &JpayClient,
    request: &PayoutRequest,
    app_code: u64,
) -> Result<Call, Error> {
    client.encoded_payout(request, app_code)
}

/// Payonify: `POST /v1/payouts` for `request` (the `Idempotency-Key` header is set too).
pub fn payonify_payout(request: &PayoutRequest) -> Result<Call, Error> {
    payonify::payout_call(request)
}
