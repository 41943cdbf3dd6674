//! The `serde` feature: `Serialize`/`Deserialize` for the model, in the JSON shapes the crate
//! documents (see the crate docs, "The `serde` feature").
//!
//! Every impl goes through a private mirror type and, when deserializing, through the public
//! constructor of the type ([`Money::parse`], [`Reference::new`], [`Msisdn::parse`],
//! [`Destination::bank`], [`CallbackUrl::parse`]): what a constructor refuses, deserializing
//! refuses, with the constructor's error text. Amounts are decimal strings, never JSON numbers,
//! in both directions.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::model::{
    CallbackUrl, Destination, FailureReason, Payout, PayoutRequest, ProviderId, Reference, Refund,
    RefundRequest, Status,
};
use crate::money::{Currency, Money};
use crate::phone::{Country, Msisdn, Network};
use crate::raw::RawJson;
use crate::webhook::{EventObject, WebhookEvent};

// ---------------------------------------------------------------------------------------------
// Money: {"amount": "1000.50", "currency": "KES"}
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct MoneyOut {
    amount: String,
    currency: Currency,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyIn {
    amount: DecimalText,
    currency: Currency,
}

/// A decimal amount written as a JSON string; a JSON number (float or integer) is refused.
struct DecimalText(String);

impl<'de> Deserialize<'de> for DecimalText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl de::Visitor<'_> for Visitor {
            type Value = DecimalText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a decimal amount as a JSON string (\"1000.50\"), never a number")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DecimalText, E> {
                Ok(DecimalText(v.to_owned()))
            }
        }
        d.deserialize_str(Visitor)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        MoneyOut {
            amount: self.amount().to_string(),
            currency: self.currency(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let MoneyIn { amount, currency } = MoneyIn::deserialize(d)?;
        Money::parse(&amount.0, currency).map_err(de::Error::custom)
    }
}

// ---------------------------------------------------------------------------------------------
// Status and FailureReason
// ---------------------------------------------------------------------------------------------

/// `"insufficient_funds"`, …, or `{"other": "the provider's words"}`.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ReasonWire {
    InsufficientFunds,
    InvalidRecipient,
    RecipientBlocked,
    LimitExceeded,
    Declined,
    ProviderTimeout,
    Other(String),
}

impl From<&FailureReason> for ReasonWire {
    fn from(reason: &FailureReason) -> Self {
        match reason {
            FailureReason::InsufficientFunds => ReasonWire::InsufficientFunds,
            FailureReason::InvalidRecipient => ReasonWire::InvalidRecipient,
            FailureReason::RecipientBlocked => ReasonWire::RecipientBlocked,
            FailureReason::LimitExceeded => ReasonWire::LimitExceeded,
            FailureReason::Declined => ReasonWire::Declined,
            FailureReason::ProviderTimeout => ReasonWire::ProviderTimeout,
            FailureReason::Other(text) => ReasonWire::Other(text.clone()),
        }
    }
}

impl From<ReasonWire> for FailureReason {
    fn from(reason: ReasonWire) -> Self {
        match reason {
            ReasonWire::InsufficientFunds => FailureReason::InsufficientFunds,
            ReasonWire::InvalidRecipient => FailureReason::InvalidRecipient,
            ReasonWire::RecipientBlocked => FailureReason::RecipientBlocked,
            ReasonWire::LimitExceeded => FailureReason::LimitExceeded,
            ReasonWire::Declined => FailureReason::Declined,
            ReasonWire::ProviderTimeout => FailureReason::ProviderTimeout,
            ReasonWire::Other(text) => FailureReason::Other(text),
        }
    }
}

impl Serialize for FailureReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ReasonWire::from(self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for FailureReason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        ReasonWire::deserialize(d).map(FailureReason::from)
    }
}

/// `{"status": "pending"}`, `{"status": "failed", "reason": …, "detail": …}`,
/// `{"status": "unknown", "word": "in_transit"}`.
#[derive(Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
enum StatusWire {
    Pending,
    Succeeded,
    Failed {
        reason: FailureReason,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<String>,
    },
    Unknown {
        word: String,
    },
}

impl Serialize for Status {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let wire = match self {
            Status::Pending => StatusWire::Pending,
            Status::Succeeded => StatusWire::Succeeded,
            Status::Failed { reason, detail } => StatusWire::Failed {
                reason: reason.clone(),
                detail: detail.clone(),
            },
            Status::Unknown(word) => StatusWire::Unknown { word: word.clone() },
        };
        wire.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Status {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match StatusWire::deserialize(d)? {
            StatusWire::Pending => Status::Pending,
            StatusWire::Succeeded => Status::Succeeded,
            StatusWire::Failed { reason, detail } => Status::Failed { reason, detail },
            StatusWire::Unknown { word } => Status::Unknown(word),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Small values: provider id, raw JSON, country, network, callback URL, event object
// ---------------------------------------------------------------------------------------------

impl Serialize for ProviderId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ProviderId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        provider_id(&name).map_err(de::Error::custom)
    }
}

/// The most distinct custom provider names one process interns (each is kept for its life).
const MAX_CUSTOM_PROVIDERS: usize = 64;

/// The three built-in providers by name; any other well-formed name is interned once (a
/// `ProviderId` holds a `&'static str`), up to [`MAX_CUSTOM_PROVIDERS`] names.
fn provider_id(name: &str) -> Result<ProviderId, String> {
    for known in [ProviderId::VESICASH, ProviderId::JPAY, ProviderId::PAYONIFY] {
        if known.as_str() == name {
            return Ok(known);
        }
    }
    let well_formed = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    if !well_formed {
        return Err(format!(
            "{:?} is not a provider name (1-32 of a-z, 0-9, '_', '-')",
            name.chars().take(40).collect::<String>()
        ));
    }
    static CUSTOM: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut custom = CUSTOM
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(interned) = custom.iter().find(|c| **c == name) {
        return Ok(ProviderId::custom(interned));
    }
    if custom.len() >= MAX_CUSTOM_PROVIDERS {
        return Err(format!(
            "more than {MAX_CUSTOM_PROVIDERS} distinct provider names; {name:?} refused"
        ));
    }
    let interned: &'static str = Box::leak(name.to_owned().into_boxed_str());
    custom.push(interned);
    Ok(ProviderId::custom(interned))
}

impl Serialize for RawJson {
    /// The provider's JSON embedded as it is (JSON serializers only), or `null` when nothing was
    /// kept.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.as_str() {
            Some(text) => {
                let raw =
                    RawValue::from_string(text.to_owned()).map_err(serde::ser::Error::custom)?;
                raw.serialize(s)
            }
            None => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for RawJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Option::<Box<RawValue>>::deserialize(d)?;
        Ok(match raw {
            Some(raw) if raw.get() != "null" => RawJson::from_decoded_text(raw.get()),
            _ => RawJson::empty(),
        })
    }
}

impl Serialize for Country {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.iso_alpha2())
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Country::from_iso_alpha2(&code)
            .ok_or_else(|| de::Error::custom(format!("{code:?} is not a country this crate knows")))
    }
}

/// Networks by lower-case name (`"safaricom"`, `"netone"`).
const NETWORKS: [Network; 6] = [
    Network::Safaricom,
    Network::Airtel,
    Network::Telkom,
    Network::Econet,
    Network::NetOne,
    Network::Telecel,
];

impl Serialize for Network {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name().to_ascii_lowercase())
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        NETWORKS
            .into_iter()
            .find(|n| n.name().eq_ignore_ascii_case(&name))
            .ok_or_else(|| de::Error::custom(format!("{name:?} is not a network this crate knows")))
    }
}

impl Serialize for CallbackUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CallbackUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        CallbackUrl::parse(&text).map_err(de::Error::custom)
    }
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum ObjectWire {
    Payout,
    Refund,
}

impl Serialize for EventObject {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            EventObject::Payout => ObjectWire::Payout,
            EventObject::Refund => ObjectWire::Refund,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for EventObject {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match ObjectWire::deserialize(d)? {
            ObjectWire::Payout => EventObject::Payout,
            ObjectWire::Refund => EventObject::Refund,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Destination: {"type": "mobile_wallet", "msisdn": "+254…", "network"?: "safaricom"} or
// {"type": "bank_account", "country": "KE", "bank_code": "68", "account_number": "…"}
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum DestinationWire {
    MobileWallet {
        msisdn: Msisdn,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        network: Option<Network>,
    },
    BankAccount {
        country: Country,
        bank_code: String,
        account_number: String,
    },
}

impl Serialize for Destination {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let wire = match self {
            Destination::MobileWallet { msisdn, network } => DestinationWire::MobileWallet {
                msisdn: msisdn.clone(),
                network: *network,
            },
            Destination::BankAccount(account) => DestinationWire::BankAccount {
                country: account.country(),
                bank_code: account.bank_code().to_owned(),
                account_number: account.account_number().to_owned(),
            },
        };
        wire.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Destination {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match DestinationWire::deserialize(d)? {
            DestinationWire::MobileWallet {
                msisdn,
                network: None,
            } => Ok(Destination::mobile(msisdn)),
            DestinationWire::MobileWallet {
                msisdn,
                network: Some(network),
            } => Ok(Destination::mobile_on(msisdn, network)),
            DestinationWire::BankAccount {
                country,
                bank_code,
                account_number,
            } => Destination::bank(country, bank_code, account_number).map_err(de::Error::custom),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

#[derive(Serialize, Deserialize)]
struct PayoutRequestWire {
    reference: Reference,
    amount: Money,
    destination: Destination,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    narration: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    callback_url: Option<CallbackUrl>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    channel: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<String, String>,
}

impl Serialize for PayoutRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PayoutRequestWire {
            reference: self.reference.clone(),
            amount: self.amount,
            destination: self.destination.clone(),
            narration: self.narration.clone(),
            callback_url: self.callback_url.clone(),
            channel: self.channel.clone(),
            metadata: self.metadata.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for PayoutRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = PayoutRequestWire::deserialize(d)?;
        let mut request = PayoutRequest::new(wire.reference, wire.amount, wire.destination);
        request.narration = wire.narration;
        request.callback_url = wire.callback_url;
        request.channel = wire.channel;
        request.metadata = wire.metadata;
        Ok(request)
    }
}

#[derive(Serialize, Deserialize)]
struct RefundRequestWire {
    reference: Reference,
    payment_reference: String,
    amount: Money,
    destination: Destination,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    callback_url: Option<CallbackUrl>,
}

impl Serialize for RefundRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RefundRequestWire {
            reference: self.reference.clone(),
            payment_reference: self.payment_reference.clone(),
            amount: self.amount,
            destination: self.destination.clone(),
            reason: self.reason.clone(),
            callback_url: self.callback_url.clone(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for RefundRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = RefundRequestWire::deserialize(d)?;
        let mut request = RefundRequest::new(
            wire.reference,
            wire.payment_reference,
            wire.amount,
            wire.destination,
        );
        request.reason = wire.reason;
        request.callback_url = wire.callback_url;
        Ok(request)
    }
}

// ---------------------------------------------------------------------------------------------
// Records
// ---------------------------------------------------------------------------------------------

#[derive(Serialize)]
struct PayoutOut<'a> {
    provider: ProviderId,
    id: &'a str,
    provider_reference: &'a Option<String>,
    reference: &'a Option<Reference>,
    amount: &'a Option<Money>,
    status: &'a Status,
    created_at: &'a Option<DateTime<Utc>>,
    raw: &'a RawJson,
}

#[derive(Deserialize)]
struct PayoutIn {
    provider: ProviderId,
    id: String,
    #[serde(default)]
    provider_reference: Option<String>,
    #[serde(default)]
    reference: Option<Reference>,
    #[serde(default)]
    amount: Option<Money>,
    status: Status,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    raw: RawJson,
}

impl Serialize for Payout {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        PayoutOut {
            provider: self.provider,
            id: &self.id,
            provider_reference: &self.provider_reference,
            reference: &self.reference,
            amount: &self.amount,
            status: &self.status,
            created_at: &self.created_at,
            raw: &self.raw,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Payout {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = PayoutIn::deserialize(d)?;
        let mut payout = Payout::new(wire.provider, wire.id, wire.status);
        payout.provider_reference = wire.provider_reference;
        payout.reference = wire.reference;
        payout.amount = wire.amount;
        payout.created_at = wire.created_at;
        payout.raw = wire.raw;
        Ok(payout)
    }
}

#[derive(Serialize)]
struct RefundOut<'a> {
    provider: ProviderId,
    id: &'a str,
    reference: &'a Option<Reference>,
    payment_reference: &'a Option<String>,
    amount: &'a Option<Money>,
    status: &'a Status,
    created_at: &'a Option<DateTime<Utc>>,
    raw: &'a RawJson,
}

#[derive(Deserialize)]
struct RefundIn {
    provider: ProviderId,
    id: String,
    #[serde(default)]
    reference: Option<Reference>,
    #[serde(default)]
    payment_reference: Option<String>,
    #[serde(default)]
    amount: Option<Money>,
    status: Status,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    raw: RawJson,
}

impl Serialize for Refund {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        RefundOut {
            provider: self.provider,
            id: &self.id,
            reference: &self.reference,
            payment_reference: &self.payment_reference,
            amount: &self.amount,
            status: &self.status,
            created_at: &self.created_at,
            raw: &self.raw,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Refund {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = RefundIn::deserialize(d)?;
        let mut refund = Refund::new(wire.provider, wire.id, wire.status);
        refund.reference = wire.reference;
        refund.payment_reference = wire.payment_reference;
        refund.amount = wire.amount;
        refund.created_at = wire.created_at;
        refund.raw = wire.raw;
        Ok(refund)
    }
}

#[derive(Serialize)]
struct EventOut<'a> {
    provider: ProviderId,
    event_id: &'a Option<String>,
    object: EventObject,
    provider_reference: &'a Option<String>,
    reference: &'a Option<String>,
    amount: &'a Option<Money>,
    status: &'a Status,
    raw: &'a RawJson,
}

#[derive(Deserialize)]
struct EventIn {
    provider: ProviderId,
    #[serde(default)]
    event_id: Option<String>,
    object: EventObject,
    #[serde(default)]
    provider_reference: Option<String>,
    #[serde(default)]
    reference: Option<String>,
    #[serde(default)]
    amount: Option<Money>,
    status: Status,
    #[serde(default)]
    raw: RawJson,
}

impl Serialize for WebhookEvent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        EventOut {
            provider: self.provider,
            event_id: &self.event_id,
            object: self.object,
            provider_reference: &self.provider_reference,
            reference: &self.reference,
            amount: &self.amount,
            status: &self.status,
            raw: &self.raw,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for WebhookEvent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = EventIn::deserialize(d)?;
        let mut event = WebhookEvent::new(wire.provider, wire.object, wire.status);
        event.event_id = wire.event_id;
        event.provider_reference = wire.provider_reference;
        event.reference = wire.reference;
        event.amount = wire.amount;
        event.raw = wire.raw;
        Ok(event)
    }
}
