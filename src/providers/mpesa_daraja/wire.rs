//! Daraja's wire format: private request and answer structs, and its error bodies mapped to the
//! crate's errors.

use std::fmt;

use reqwest::StatusCode;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

use super::PROVIDER;
use crate::error::{AuthFailure, Error, Refusal, RejectCode};

/// `POST /mpesa/b2c/v3/paymentrequest`. PascalCase keys, spelled as Daraja spells them.
#[derive(Debug, Serialize)]
pub(crate) struct B2cRequest<'a> {
    #[serde(rename = "OriginatorConversationID")]
    pub originator_conversation_id: &'a str,
    #[serde(rename = "InitiatorName")]
    pub initiator_name: &'a str,
    #[serde(rename = "SecurityCredential")]
    pub security_credential: &'a str,
    #[serde(rename = "CommandID")]
    pub command_id: &'a str,
    /// Whole shillings as a numeric string, as the documented sample writes it.
    #[serde(rename = "Amount")]
    pub amount: String,
    #[serde(rename = "PartyA")]
    pub party_a: &'a str,
    #[serde(rename = "PartyB")]
    pub party_b: String,
    #[serde(rename = "Remarks")]
    pub remarks: &'a str,
    #[serde(rename = "QueueTimeOutURL")]
    pub queue_timeout_url: String,
    #[serde(rename = "ResultURL")]
    pub result_url: String,
    /// The v3 spelling (sic, double "s"): see the module docs' decisions.
    #[serde(rename = "Occassion", skip_serializing_if = "Option::is_none")]
    pub occasion: Option<&'a str>,
}

/// `POST /mpesa/transactionstatus/v1/query`.
#[derive(Debug, Serialize)]
pub(crate) struct StatusQuery<'a> {
    #[serde(rename = "Initiator")]
    pub initiator: &'a str,
    #[serde(rename = "SecurityCredential")]
    pub security_credential: &'a str,
    #[serde(rename = "CommandID")]
    pub command_id: &'static str,
    #[serde(rename = "OriginalConversationID")]
    pub original_conversation_id: &'a str,
    #[serde(rename = "PartyA")]
    pub party_a: &'a str,
    #[serde(rename = "IdentifierType")]
    pub identifier_type: &'static str,
    #[serde(rename = "ResultURL")]
    pub result_url: String,
    #[serde(rename = "QueueTimeOutURL")]
    pub queue_timeout_url: String,
    #[serde(rename = "Remarks")]
    pub remarks: &'static str,
    #[serde(rename = "Occasion")]
    pub occasion: &'a str,
}

/// `POST /mpesa/accountbalance/v1/query`.
#[derive(Debug, Serialize)]
pub(crate) struct BalanceQuery<'a> {
    #[serde(rename = "Initiator")]
    pub initiator: &'a str,
    #[serde(rename = "SecurityCredential")]
    pub security_credential: &'a str,
    #[serde(rename = "CommandID")]
    pub command_id: &'static str,
    #[serde(rename = "PartyA")]
    pub party_a: &'a str,
    #[serde(rename = "IdentifierType")]
    pub identifier_type: &'static str,
    #[serde(rename = "Remarks")]
    pub remarks: &'static str,
    #[serde(rename = "QueueTimeOutURL")]
    pub queue_timeout_url: String,
    #[serde(rename = "ResultURL")]
    pub result_url: String,
}

/// The synchronous acknowledgement of B2C, Transaction Status and Account Balance.
#[derive(Debug, Deserialize)]
pub(crate) struct Ack {
    #[serde(rename = "ConversationID", default)]
    pub conversation_id: Option<String>,
    #[serde(rename = "ResponseCode")]
    pub response_code: Code,
    #[serde(rename = "ResponseDescription", default)]
    pub response_description: Option<String>,
}

/// `GET /oauth/v1/generate` → `{access_token, expires_in}`.
#[derive(Deserialize)]
pub(crate) struct TokenAnswer {
    pub access_token: String,
    pub expires_in: Code,
}

/// A code Daraja writes as a JSON string or a number (`ResponseCode`, `ResultCode`,
/// `expires_in`), kept as its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Code(pub String);

impl Code {
    pub fn as_str(&self) -> &str {
        self.0.trim()
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Code, D::Error> {
        struct CodeVisitor;
        impl Visitor<'_> for CodeVisitor {
            type Value = Code;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or an integer")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Code, E> {
                Ok(Code(v.to_owned()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Code, E> {
                Ok(Code(v.to_string()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Code, E> {
                Ok(Code(v.to_string()))
            }
        }
        d.deserialize_any(CodeVisitor)
    }
}

/// `{requestId, errorCode, errorMessage}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ErrorBody {
    #[serde(default)]
    pub error_code: Option<String>,
    #[serde(default)]
    pub error_message: Option<String>,
}

/// The error code and message of an error body, or a snippet when it is not one.
pub(crate) fn error_text(body: &[u8]) -> (Option<String>, String) {
    match serde_json::from_slice::<ErrorBody>(body) {
        Ok(e) if e.error_code.is_some() || e.error_message.is_some() => (
            e.error_code.map(|c| c.trim().to_owned()),
            crate::redact::mask_digit_runs(&e.error_message.unwrap_or_default()),
        ),
        _ => (None, crate::http::snippet(body)),
    }
}

/// The error codes that say the access token was refused. Daraja's pages disagree on the number
/// (`404.001.03` on B2C and Reversal, `401.002.01` on Account Balance, `400.003.01` on
/// Transaction Status); any of them, or a 401, renews the token once.
pub(crate) const TOKEN_REFUSED_CODES: [&str; 3] = ["404.001.03", "401.002.01", "400.003.01"];

/// The duplicate `OriginatorConversationID` refusal (HTTP 500).
pub(crate) const DUPLICATE_CODE: &str = "500.002.1001";

/// Whether a non-2xx answer refuses the access token.
pub(crate) fn token_refused(status: StatusCode, body: &[u8]) -> bool {
    if status == StatusCode::UNAUTHORIZED {
        return true;
    }
    let (code, _) = error_text(body);
    code.is_some_and(|c| TOKEN_REFUSED_CODES.contains(&c.as_str()))
}

/// A non-2xx answer as the crate's error. Daraja's `errorCode` is read first (its HTTP status
/// says little: 500 carries both "duplicate" and real failures); otherwise the shared status
/// table ([`Error::from_status`]) decides.
pub(crate) fn map_error(status: StatusCode, body: &[u8]) -> Error {
    let (code, message) = error_text(body);
    let http = status.as_u16();
    let auth =
        |kind: AuthFailure, message: String| Error::auth(PROVIDER, Some(http), kind, message);
    let reject = match code.as_deref() {
        Some(c) if TOKEN_REFUSED_CODES.contains(&c) => {
            return auth(AuthFailure::TokenExpired, message);
        }
        Some("404.001.04" | "400.008.01" | "400.008.02") => {
            return auth(AuthFailure::InvalidCredentials, message);
        }
        Some("500.003.02" | "500.003.03") => {
            return Error::RateLimited {
                provider: PROVIDER,
                retry_after: None,
                message: format!("{}: {message}", code.unwrap_or_default()),
            };
        }
        Some(DUPLICATE_CODE) => {
            // A refusal, whatever its HTTP 500 says: nothing was processed.
            return Error::Rejected {
                provider: PROVIDER,
                status: http,
                code: RejectCode::DuplicateReference,
                provider_code: code,
                message,
                param: None,
            };
        }
        Some(c)
            if c.starts_with("400.002.02") && message.to_ascii_lowercase().contains("phone") =>
        {
            RejectCode::InvalidRecipient
        }
        Some(c) if c.starts_with("404.") => RejectCode::NotFound,
        _ if http == 404 => RejectCode::NotFound,
        _ => RejectCode::InvalidRequest,
    };
    Error::from_status(
        PROVIDER,
        http,
        reject,
        Refusal::new(message).with_provider_code(code),
    )
}
