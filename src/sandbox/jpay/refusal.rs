//! The documented 403 refusals of a payout, which depend on the merchant's account rather than
//! the request: a test switches one on with [`Sandbox::jpay_refuse`](crate::sandbox::Sandbox::jpay_refuse).

use axum::http::StatusCode;
use axum::response::Response;

use super::wire::detail;

/// Why JPay refuses every payout of the account with 403.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JpayRefusal {
    /// "Your merchant profile is not approved. Please ensure your profile has been verified
    /// before initiating payouts."
    MerchantNotApproved,
    /// "App is not active"
    AppInactive,
    /// "App does not have payouts product enabled"
    PayoutsNotEnabled,
    /// "Access denied: IP address not allowed"
    IpNotAllowed,
}

impl JpayRefusal {
    /// The documented message, word for word.
    pub const fn message(self) -> &'static str {
        match self {
            JpayRefusal::MerchantNotApproved => {
                "Your merchant profile is not approved. Please ensure your profile has been \
                 verified before initiating payouts."
            }
            JpayRefusal::AppInactive => "App is not active",
            JpayRefusal::PayoutsNotEnabled => "App does not have payouts product enabled",
            JpayRefusal::IpNotAllowed => "Access denied: IP address not allowed",
        }
    }

    pub(crate) fn response(self) -> Response {
        detail(StatusCode::FORBIDDEN, self.message())
    }
}

/// The refusal switched on, if any: JPay's own state in the sandbox.
#[derive(Debug, Default)]
pub(crate) struct Refusing(pub(crate) Option<JpayRefusal>);
