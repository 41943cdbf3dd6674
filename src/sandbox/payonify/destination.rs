//! The `destination` object shared by validate and create:
//! `{"mobile_money": {"ecocash": {"mobile_number": "771111111"}}}`.

use axum::response::Response;
use serde_json::Value;

use super::wire::{PARAM_MOBILE_NUMBER, invalid, missing};

use crate::phone::{Country, Msisdn, Network};

pub(crate) const INVALID_NUMBER: &str = "Invalid mobile_number: it must be an Econet (EcoCash) \
number such as 771111111 (077, 078 or 079).";

/// The EcoCash number's 9-digit national form. `0771111111`, `263771111111` and
/// `+263771111111` are accepted too.
pub(crate) fn ecocash_number(body: &Value) -> Result<String, Response> {
    let destination = match body.get("destination") {
        None | Some(Value::Null) => return Err(missing("destination")),
        Some(d) => d,
    };
    unsupported(destination)?;
    let number = destination
        .get("mobile_money")
        .and_then(|m| m.get("ecocash"))
        .and_then(|e| e.get("mobile_number"))
        .filter(|n| !n.is_null())
        .ok_or_else(|| missing(PARAM_MOBILE_NUMBER))?;
    number
        .as_str()
        .and_then(|n| Msisdn::parse_with_default(n, Country::Zimbabwe).ok())
        .filter(|m| m.country() == Some(Country::Zimbabwe) && m.network() == Some(Network::Econet))
        .map(|m| m.national_number().to_owned())
        .ok_or_else(|| invalid(PARAM_MOBILE_NUMBER, INVALID_NUMBER))
}

/// The message for a destination Payonify does not pay out to yet (its docs: "Currently,
/// EcoCash mobile money is the available destination, with more options (e.g., OneMoney, bank
/// transfer) coming soon").
pub(crate) fn unsupported_message(name: &str) -> String {
    format!(
        "Unsupported destination: {name} payouts are not available yet. EcoCash mobile money \
         is the only supported destination."
    )
}

/// Refuses a destination other than EcoCash mobile money (OneMoney, a bank) as unsupported,
/// naming it, rather than as a missing EcoCash number.
fn unsupported(destination: &Value) -> Result<(), Response> {
    let Some(object) = destination.as_object() else {
        return Ok(());
    };
    for (kind, inner) in object {
        if kind != "mobile_money" {
            return Err(invalid(
                &format!("destination[{kind}]"),
                &unsupported_message(kind),
            ));
        }
        let Some(brands) = inner.as_object() else {
            continue;
        };
        if let Some(brand) = brands.keys().find(|b| b.as_str() != "ecocash") {
            let name = if brand == "onemoney" {
                "OneMoney"
            } else {
                brand
            };
            return Err(invalid(
                &format!("destination[mobile_money][{brand}]"),
                &unsupported_message(name),
            ));
        }
    }
    Ok(())
}
