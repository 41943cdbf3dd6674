//! The fingerprint of a payout request: what must not change under a reference between runs.

use sha2::{Digest, Sha256};

use crate::model::{Destination, PayoutRequest};

/// A hash of what a payout moves: amount, currency and destination (32 lowercase hex digits).
///
/// Two requests that pay the same amount of the same currency to the same place have the same
/// fingerprint whatever their narration, callback or metadata; `150` and `150.00` are the same
/// amount. A reference stored with a different fingerprint is refused
/// ([`Error::ReferenceConflict`](crate::Error::ReferenceConflict)) instead of paying something
/// else under an old key.
pub fn fingerprint(request: &PayoutRequest) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"disburse-payout-v1\n");
    hasher.update(request.amount.amount().normalize().to_string().as_bytes());
    hasher.update(b"\n");
    hasher.update(request.amount.currency().code().as_bytes());
    hasher.update(b"\n");
    match &request.destination {
        Destination::MobileWallet { msisdn, network } => {
            hasher.update(b"mobile\n");
            hasher.update(msisdn.e164().as_bytes());
            hasher.update(b"\n");
            hasher.update(network.map(|n| n.name()).unwrap_or("-").as_bytes());
        }
        Destination::BankAccount(account) => {
            hasher.update(b"bank\n");
            hasher.update(account.country().iso_alpha2().as_bytes());
            hasher.update(b"\n");
            hasher.update(account.bank_code().as_bytes());
            hasher.update(b"\n");
            hasher.update(account.account_number().as_bytes());
        }
    }
    let digest = hasher.finalize();
    hex::encode(&digest[..16])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Reference;
    use crate::money::{Currency, Money};
    use crate::phone::{Country, Msisdn};

    fn request(amount: &str, number: &str) -> PayoutRequest {
        PayoutRequest::new(
            Reference::new("r-1").expect("reference"),
            Money::parse(amount, Currency::KES).expect("amount"),
            Destination::mobile(Msisdn::parse(number).expect("number")),
        )
    }

    #[test]
    fn same_money_same_place_same_fingerprint() {
        let a = request("150", "+254712345678");
        let b = request("150.00", "254712345678").with_narration("other words");
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a).len(), 32);
    }

    #[test]
    fn amount_currency_or_destination_change_it() {
        let base = fingerprint(&request("150", "+254712345678"));
        assert_ne!(base, fingerprint(&request("150.01", "+254712345678")));
        assert_ne!(base, fingerprint(&request("150", "+254712345679")));
        let mut usd = request("150", "+254712345678");
        usd.amount = Money::parse("150", Currency::USD).expect("amount");
        assert_ne!(base, fingerprint(&usd));
        let mut bank = request("150", "+254712345678");
        bank.destination = Destination::bank(Country::Kenya, "01", "712345678").expect("bank");
        assert_ne!(base, fingerprint(&bank));
    }
}
