//! A payout request as the store keeps it: JSON text with the amount as a decimal string, so
//! any worker can send an item another one took from its input.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::model::{CallbackUrl, Destination, PayoutRequest, Reference};
use crate::money::{Currency, Money};
use crate::phone::{Country, Msisdn, Network};

/// The stored form of a [`PayoutRequest`] (the reference is its own column).
#[derive(Serialize, Deserialize)]
struct Stored<'a> {
    /// The amount in major units, as a decimal string (never a float).
    amount: String,
    currency: &'a str,
    #[serde(flatten)]
    destination: StoredDestination,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    narration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    callback_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum StoredDestination {
    Mobile {
        msisdn: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        network: Option<String>,
    },
    Bank {
        country: String,
        bank_code: String,
        account_number: String,
    },
}

/// The request as stored JSON text.
pub(crate) fn encode(request: &PayoutRequest) -> String {
    let destination = match &request.destination {
        Destination::MobileWallet { msisdn, network } => StoredDestination::Mobile {
            msisdn: msisdn.e164(),
            network: network.map(|n| n.name().to_owned()),
        },
        Destination::BankAccount(account) => StoredDestination::Bank {
            country: account.country().iso_alpha2().to_owned(),
            bank_code: account.bank_code().to_owned(),
            account_number: account.account_number().to_owned(),
        },
    };
    let stored = Stored {
        amount: request.amount.amount().to_string(),
        currency: request.amount.currency().code(),
        destination,
        narration: request.narration.clone(),
        callback_url: request.callback_url.as_ref().map(|u| u.as_str().to_owned()),
        channel: request.channel.clone(),
        metadata: request.metadata.clone(),
    };
    // Strings and maps of strings only: serializing cannot fail.
    serde_json::to_string(&stored).unwrap_or_default()
}

/// The request read back from its stored JSON text; an error names what does not parse.
pub(crate) fn decode(reference: &Reference, text: &str) -> Result<PayoutRequest, Error> {
    let bad = |what: &str| Error::store(format!("stored request of {reference}: {what}"));
    let stored: Stored<'_> = serde_json::from_str(text).map_err(|e| bad(&e.to_string()))?;
    let currency = Currency::from_code(stored.currency).ok_or_else(|| bad("unknown currency"))?;
    let amount = Money::parse(&stored.amount, currency).map_err(|e| bad(&e.to_string()))?;
    let destination = match stored.destination {
        StoredDestination::Mobile { msisdn, network } => {
            let msisdn = Msisdn::parse(&msisdn).map_err(|e| bad(&e.to_string()))?;
            match network {
                None => Destination::mobile(msisdn),
                Some(name) => Destination::mobile_on(
                    msisdn,
                    Network::from_name(&name).ok_or_else(|| bad("unknown network"))?,
                ),
            }
        }
        StoredDestination::Bank {
            country,
            bank_code,
            account_number,
        } => Destination::bank(
            Country::from_iso_alpha2(&country).ok_or_else(|| bad("unknown country"))?,
            bank_code,
            account_number,
        )?,
    };
    let mut request = PayoutRequest::new(reference.clone(), amount, destination);
    request.narration = stored.narration;
    request.callback_url = stored
        .callback_url
        .map(|u| CallbackUrl::parse(&u))
        .transpose()?;
    request.channel = stored.channel;
    request.metadata = stored.metadata;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_reads_back_as_it_was_written() {
        let mobile = PayoutRequest::new(
            Reference::new("r-1").expect("reference"),
            Money::parse("150.50", Currency::KES).expect("amount"),
            Destination::mobile_on(
                Msisdn::parse("+254712345678").expect("number"),
                Network::Airtel,
            ),
        )
        .with_narration("n")
        .with_callback_url(CallbackUrl::parse("https://example.com/cb").expect("url"))
        .with_channel("63902")
        .with_metadata("k", "v");
        let text = encode(&mobile);
        assert_eq!(
            text,
            r#"{"amount":"150.50","currency":"KES","kind":"mobile","msisdn":"+254712345678","network":"Airtel","narration":"n","callback_url":"https://example.com/cb","channel":"63902","metadata":{"k":"v"}}"#
        );
        assert_eq!(decode(&mobile.reference, &text).expect("decodes"), mobile);

        let bank = PayoutRequest::new(
            Reference::new("r-2").expect("reference"),
            Money::parse("10", Currency::NGN).expect("amount"),
            Destination::bank(Country::Nigeria, "058", "0123456789").expect("bank"),
        );
        assert_eq!(
            decode(&bank.reference, &encode(&bank)).expect("decodes"),
            bank
        );
    }

    #[test]
    fn a_stored_request_that_does_not_parse_is_a_store_error() {
        let reference = Reference::new("r-3").expect("reference");
        let err = decode(
            &reference,
            r#"{"amount":"1.5","currency":"UGX","kind":"mobile","msisdn":"+256712345678"}"#,
        )
        .expect_err("UGX has no minor unit");
        assert!(
            matches!(&err, Error::Store { message, .. } if message.starts_with("stored request of r-3: ")),
            "{err:?}"
        );
    }
}
