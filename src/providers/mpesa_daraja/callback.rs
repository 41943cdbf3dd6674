//! Daraja's unsigned callbacks: the per-request token in the callback URL, and the `Result`
//! envelope read into an event and a [`ResultBook`](super::results::ResultBook) entry.
//!
//! Every `ResultURL` and `QueueTimeOutURL` this client sends carries three query parameters:
//! [`REF_PARAM`] (the merchant reference, or a balance query's nonce), [`FOR_PARAM`] (what the
//! callback answers: `payout`, `status`, `balance`, each with a `_timeout` twin) and
//! [`TOKEN_PARAM`] = hex(HMAC-SHA256(callback secret, `"{for}:{ref}"`)). A callback whose token
//! does not verify, that names another payout than its body, or that is about another shortcode's
//! payout, is refused.

use std::str::FromStr as _;

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::PROVIDER;
use super::result_code;
use super::results::{Entry, Key};
use super::validate::originator_conversation_id;
use super::wire::Code;
use crate::error::Error;
use crate::model::{Balance, CallbackUrl, FailureReason, Reference, Status};
use crate::money::{Currency, Money};
use crate::raw::RawJson;
use crate::webhook::{
    EventObject, HmacSigner, HmacVerifier, SignatureEncoding, WebhookError, WebhookEvent,
    WebhookRequest,
};

/// The query parameter naming the payout (merchant reference) or the balance query.
pub const REF_PARAM: &str = "disburse_ref";
/// The query parameter naming what the callback answers.
pub const FOR_PARAM: &str = "disburse_for";
/// The query parameter carrying the token.
pub const TOKEN_PARAM: &str = "disburse_token";

/// What a callback answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Payout,
    PayoutTimeout,
    Status,
    StatusTimeout,
    Balance,
    BalanceTimeout,
}

impl Purpose {
    const ALL: [Purpose; 6] = [
        Purpose::Payout,
        Purpose::PayoutTimeout,
        Purpose::Status,
        Purpose::StatusTimeout,
        Purpose::Balance,
        Purpose::BalanceTimeout,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::Payout => "payout",
            Purpose::PayoutTimeout => "payout_timeout",
            Purpose::Status => "status",
            Purpose::StatusTimeout => "status_timeout",
            Purpose::Balance => "balance",
            Purpose::BalanceTimeout => "balance_timeout",
        }
    }

    fn timeout(self) -> Purpose {
        match self {
            Purpose::Payout | Purpose::PayoutTimeout => Purpose::PayoutTimeout,
            Purpose::Status | Purpose::StatusTimeout => Purpose::StatusTimeout,
            Purpose::Balance | Purpose::BalanceTimeout => Purpose::BalanceTimeout,
        }
    }
}

/// The `ResultURL` and `QueueTimeOutURL` of one request.
pub(crate) fn urls(
    signer: &HmacSigner,
    result_url: &CallbackUrl,
    timeout_url: &CallbackUrl,
    purpose: Purpose,
    subject: &str,
) -> Result<(String, String), Error> {
    let one = |url: &CallbackUrl, purpose: Purpose| {
        let token = token_for(signer, purpose, subject);
        crate::url_token::with_params(
            url,
            &[
                (REF_PARAM, subject),
                (FOR_PARAM, purpose.as_str()),
                (TOKEN_PARAM, &token),
            ],
        )
    };
    Ok((
        one(result_url, purpose)?,
        one(timeout_url, purpose.timeout())?,
    ))
}

/// hex(HMAC-SHA256(secret, "{for}:{ref}")).
pub(crate) fn token_for(signer: &HmacSigner, purpose: Purpose, subject: &str) -> String {
    signer.sign(
        format!("{}:{subject}", purpose.as_str()).as_bytes(),
        SignatureEncoding::Hex,
    )
}

/// The purpose and subject of the URL Daraja called, once its token verified.
fn authenticate(verifier: &HmacVerifier, url: &str) -> Result<(Purpose, String), WebhookError> {
    use crate::url_token::required_param;
    let subject = required_param(url, REF_PARAM)?;
    let purpose = required_param(url, FOR_PARAM)?;
    let token = required_param(url, TOKEN_PARAM)?;
    let message = format!("{purpose}:{subject}");
    verifier.verify(
        message.as_bytes(),
        &[token.as_ref()],
        SignatureEncoding::Hex,
    )?;
    let purpose = Purpose::ALL
        .into_iter()
        .find(|p| p.as_str() == purpose)
        .ok_or_else(|| WebhookError::InvalidBody(format!("unknown {FOR_PARAM} {purpose:?}")))?;
    Ok((purpose, subject.into_owned()))
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "Result")]
    result: ResultWire,
}

#[derive(Deserialize)]
struct ResultWire {
    #[serde(rename = "ResultType", default)]
    result_type: Option<Code>,
    #[serde(rename = "ResultCode")]
    result_code: Code,
    #[serde(rename = "ResultDesc", default)]
    result_desc: Option<String>,
    #[serde(rename = "OriginatorConversationID", default)]
    originator_conversation_id: Option<String>,
    #[serde(rename = "ConversationID", default)]
    conversation_id: Option<String>,
    #[serde(rename = "TransactionID", default)]
    transaction_id: Option<String>,
    #[serde(rename = "ResultParameters", default)]
    result_parameters: Option<Parameters>,
}

/// `ResultParameter` is an array in the samples; a single object is read too. Kept raw until
/// read (serde's untagged enums cannot hold the raw values of amounts).
#[derive(Deserialize)]
struct Parameters {
    #[serde(rename = "ResultParameter", default)]
    result_parameter: Option<Box<RawValue>>,
}

#[derive(Deserialize)]
struct Parameter {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Value", default)]
    value: Option<Box<RawValue>>,
}

impl ResultWire {
    /// The value of parameter `key` as text (a string's content, a number's digits exactly).
    fn param(&self, key: &str) -> Option<String> {
        let params = self.result_parameters.as_ref()?.result_parameter.as_ref()?;
        let text = params.get().trim_start();
        let list: Vec<Parameter> = if text.starts_with('[') {
            serde_json::from_str(text).ok()?
        } else {
            vec![serde_json::from_str(text).ok()?]
        };
        let raw = list.iter().find(|p| p.key.trim() == key)?.value.as_ref()?;
        let text = raw.get().trim();
        let value = if text.starts_with('"') {
            serde_json::from_str::<String>(text).ok()?
        } else {
            text.to_owned()
        };
        let value = value.trim().to_owned();
        (!value.is_empty() && value != "null").then_some(value)
    }

    fn kes(&self, key: &str) -> Option<Money> {
        let amount = Decimal::from_str(&self.param(key)?).ok()?;
        Money::new(amount, Currency::KES).ok()
    }
}

fn non_empty(text: Option<&String>) -> Option<String> {
    text.map(|t| t.trim())
        .filter(|t| !t.is_empty() && !t.bytes().all(|b| b == b'0'))
        .map(str::to_owned)
}

/// An authenticated callback: the event it reports (or why it reports none), and what to record.
pub(crate) struct Parsed {
    pub event: Result<WebhookEvent, WebhookError>,
    pub record: Option<(Key, Entry)>,
}

/// Reads, authenticates and normalizes one callback: the event, and what to record.
pub(crate) fn parse(
    verifier: &HmacVerifier,
    shortcode: &str,
    delivery: &WebhookRequest<'_>,
) -> Result<Parsed, WebhookError> {
    let (purpose, subject) = authenticate(verifier, delivery.url)?;
    let raw = || {
        crate::http::decode_json::<serde_json::Value>(PROVIDER, 200, delivery.body)
            .map(|(_, raw)| raw)
            .unwrap_or_default()
    };
    let reference = |subject: &str| {
        Reference::new(subject)
            .map_err(|_| WebhookError::InvalidBody(format!("{REF_PARAM} is not a reference")))
    };
    match purpose {
        Purpose::PayoutTimeout | Purpose::StatusTimeout | Purpose::BalanceTimeout => {
            // The payload of a queue timeout is not documented: whatever it holds, the request
            // timed out in Daraja's queue and its outcome is unknown until a status query.
            let mut event = WebhookEvent::new(
                PROVIDER,
                EventObject::Payout,
                Status::Unknown("queue timeout: outcome unknown until a status query".into()),
            );
            if purpose == Purpose::BalanceTimeout {
                return Ok(Parsed {
                    event: Err(WebhookError::UnhandledEvent(
                        "an Account Balance queue timeout".into(),
                    )),
                    record: None,
                });
            }
            event.reference = Some(reference(&subject)?.as_str().to_owned());
            event.raw = raw();
            Ok(Parsed {
                event: Ok(event),
                record: None,
            })
        }
        Purpose::Payout => {
            let reference = reference(&subject)?;
            let (wire, raw) = decode(delivery.body)?;
            let expected = originator_conversation_id(shortcode, &reference);
            let got = wire.originator_conversation_id.as_deref().map(str::trim);
            if got != Some(expected.as_str()) {
                return Err(WebhookError::InvalidBody(format!(
                    "the result's OriginatorConversationID {got:?} is not this payout's"
                )));
            }
            let status = if wire.result_type.as_ref().is_some_and(|t| t.as_str() == "1") {
                Status::Pending
            } else {
                result_code::status(wire.result_code.as_str(), wire.result_desc.as_deref())
            };
            let entry = Entry {
                status: status.clone(),
                conversation_id: non_empty(wire.conversation_id.as_ref()),
                transaction_id: non_empty(wire.transaction_id.as_ref()),
                amount: wire.kes("TransactionAmount"),
                balance: None,
                not_found: false,
                raw: raw.clone(),
            };
            let event = WebhookEvent {
                provider: PROVIDER,
                event_id: Some(event_id(&wire, "result")),
                object: EventObject::Payout,
                provider_reference: entry.transaction_id.clone(),
                reference: Some(reference.as_str().to_owned()),
                amount: entry.amount,
                status,
                raw,
            };
            Ok(Parsed {
                event: Ok(event),
                record: Some((Key::Payout(reference.as_str().to_owned()), entry)),
            })
        }
        Purpose::Status => {
            let reference = reference(&subject)?;
            let (wire, raw) = decode(delivery.body)?;
            let expected = originator_conversation_id(shortcode, &reference);
            if let Some(named) = wire.param("OriginatorConversationID")
                && named != expected
            {
                return Err(WebhookError::InvalidBody(format!(
                    "the status result is about {named:?}, not this payout"
                )));
            }
            let (status, not_found) = status_answer(&wire);
            let entry = Entry {
                status: status.clone(),
                conversation_id: wire.param("ConversationID"),
                transaction_id: wire.param("ReceiptNo"),
                amount: wire.kes("Amount"),
                balance: None,
                not_found,
                raw: raw.clone(),
            };
            let event = WebhookEvent {
                provider: PROVIDER,
                event_id: Some(event_id(&wire, "status")),
                object: EventObject::Payout,
                provider_reference: entry.transaction_id.clone(),
                reference: Some(reference.as_str().to_owned()),
                amount: entry.amount,
                status,
                raw,
            };
            Ok(Parsed {
                event: Ok(event),
                record: Some((Key::Status(reference.as_str().to_owned()), entry)),
            })
        }
        Purpose::Balance => {
            let (wire, raw) = decode(delivery.body)?;
            let balance = if wire.result_code.as_str() == "0" {
                wire.param("AccountBalance")
                    .as_deref()
                    .and_then(parse_account_balance)
            } else {
                None
            };
            let entry = Entry {
                status: if balance.is_some() {
                    Status::Succeeded
                } else {
                    result_code::status(wire.result_code.as_str(), wire.result_desc.as_deref())
                },
                conversation_id: non_empty(wire.conversation_id.as_ref()),
                transaction_id: None,
                amount: None,
                balance,
                not_found: false,
                raw,
            };
            Ok(Parsed {
                event: Err(WebhookError::UnhandledEvent(format!(
                    "an Account Balance result (recorded for query {subject})"
                ))),
                record: Some((Key::Balance(subject), entry)),
            })
        }
    }
}

/// `{ConversationID}:{what}:{ResultCode}`: the same delivery again has the same id.
fn event_id(wire: &ResultWire, what: &str) -> String {
    format!(
        "{}:{what}:{}",
        wire.conversation_id.as_deref().unwrap_or("-").trim(),
        wire.result_code.as_str()
    )
}

fn decode(body: &[u8]) -> Result<(ResultWire, RawJson), WebhookError> {
    crate::http::decode_json::<Envelope>(PROVIDER, 200, body)
        .map(|(envelope, raw)| (envelope.result, raw))
        .map_err(|e| {
            WebhookError::InvalidBody(match e {
                Error::Decode { source, .. } => source.to_string(),
                other => other.to_string(),
            })
        })
}

/// What a Transaction Status result says of the payout, and whether it says "not found".
///
/// `ResultCode 0` with `TransactionStatus` `Completed` is paid; `Declined`, `Cancelled`,
/// `Expired` failed; anything else (`Initiated`, `Authorized`, `Pending Authorized`) pending.
/// Any other `ResultCode` is read as "no such transaction" (see the module docs' decisions).
fn status_answer(wire: &ResultWire) -> (Status, bool) {
    if wire.result_code.as_str() != "0" {
        return (
            Status::Unknown(format!(
                "status query result code {}",
                wire.result_code.as_str()
            )),
            true,
        );
    }
    let word = wire.param("TransactionStatus").unwrap_or_default();
    let status = match word.to_ascii_lowercase().as_str() {
        "completed" => Status::Succeeded,
        "declined" | "cancelled" | "canceled" | "expired" => Status::failed(
            FailureReason::Declined,
            Some(format!("TransactionStatus: {word}")),
        ),
        "initiated" | "authorized" | "pending authorized" | "pending" => Status::Pending,
        _ => Status::Unknown(format!("TransactionStatus {word:?}")),
    };
    (status, false)
}

/// `Name|KES|available|uncleared|reserved|…` accounts joined by `&`: the Utility Account's
/// available funds are the payout balance; the total is the sum of every account's available.
pub(crate) fn parse_account_balance(text: &str) -> Option<Balance> {
    let mut utility = None;
    let mut total = Decimal::ZERO;
    for account in text.split('&').filter(|a| !a.trim().is_empty()) {
        let fields: Vec<&str> = account.split('|').map(str::trim).collect();
        let (name, currency, available) = (fields.first()?, fields.get(1)?, fields.get(2)?);
        if !currency.eq_ignore_ascii_case("KES") {
            return None;
        }
        let available = Decimal::from_str(available).ok()?;
        total += available;
        if name.eq_ignore_ascii_case("Utility Account") {
            utility = Some(available);
        }
    }
    let mut balance = Balance::new(Money::new(utility?, Currency::KES).ok()?);
    balance.total = Money::new(total, Currency::KES).ok();
    Some(balance)
}
