//! `POST /mpesa/transactionstatus/v1/query` and `POST /mpesa/accountbalance/v1/query`: each is
//! acknowledged at once and answered by a `Result` POSTed to its own `ResultURL`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use reqwest::Method;
use serde_json::Value;

use super::auth::authorize;
use super::b2c::{conversation_id, initiator_valid, object, text, url};
use super::types::{MPESA_DARAJA_CREDENTIALS, MpesaDarajaDetails};
use super::wire::{self, invalid};
use crate::model::ProviderId;
use crate::money::Currency;
use crate::sandbox::deliver::{Outgoing, Signing, deliver};
use crate::sandbox::respond::{Reply, finish, json};
use crate::sandbox::state::{Inner, Shared};

pub(crate) async fn transaction_status(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(status(&shared, &headers, &body))
}

pub(crate) async fn account_balance(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    finish(balance(&shared, &headers, &body))
}

/// The fields both queries share; the `ResultURL`.
fn common(req: &serde_json::Map<String, Value>, command: &str) -> Result<(bool, String), Response> {
    let initiator = text(req, "Initiator")?;
    let credential = text(req, "SecurityCredential")?;
    if text(req, "CommandID")? != command {
        return Err(invalid("CommandID"));
    }
    if text(req, "PartyA")? != MPESA_DARAJA_CREDENTIALS.shortcode {
        return Err(invalid("PartyA"));
    }
    if text(req, "IdentifierType")? != "4" {
        return Err(invalid("IdentifierType"));
    }
    url(req, "QueueTimeOutURL")?;
    let result_url = url(req, "ResultURL")?;
    Ok((initiator_valid(&initiator, &credential), result_url))
}

/// The query's own `OriginatorConversationID` (Daraja's `NNNNN-NNNNNNNN-N` form) and
/// `ConversationID`.
fn query_ids(inner: &mut Inner) -> (String, String) {
    let originator = format!(
        "{}-{}-1",
        inner.random_from(b"0123456789", 5),
        inner.random_from(b"0123456789", 8)
    );
    (originator, conversation_id(inner))
}

/// The `2001` result of a query whose initiator is not the sandbox's.
fn initiator_refused(ids: (&str, &str)) -> Value {
    serde_json::json!({"Result": {
        "ResultType": 0,
        "ResultCode": 2001,
        "ResultDesc": "The initiator information is invalid.",
        "OriginatorConversationID": ids.0,
        "ConversationID": ids.1,
        "TransactionID": "OA90000000",
    }})
}

fn status(shared: &Arc<Shared>, headers: &HeaderMap, body: &[u8]) -> Reply {
    authorize(shared, headers)?;
    let req = object(body)?;
    let (initiator_ok, result_url) = common(&req, "TransactionStatusQuery")?;
    let original = text(&req, "OriginalConversationID").ok();
    let receipt = text(&req, "TransactionID").ok();
    if original.is_none() && receipt.is_none() {
        return Err(invalid("OriginalConversationID"));
    }
    let mut inner = shared.lock();
    let ids = query_ids(&mut inner);
    let ids_ref = (ids.0.as_str(), ids.1.as_str());
    let found = inner
        .ledger
        .entries(ProviderId::MPESA_DARAJA)
        .find(|e| {
            e.details.get::<MpesaDarajaDetails>().is_some_and(|d| {
                original.as_deref() == Some(d.originator_conversation_id.as_str())
                    || receipt.as_deref() == Some(d.transaction_id.as_str())
            })
        })
        .cloned();
    let result = match (&found, initiator_ok) {
        (_, false) => initiator_refused(ids_ref),
        (None, true) => wire::status_not_found(ids_ref),
        (Some(entry), true) => {
            let details = entry
                .details
                .get::<MpesaDarajaDetails>()
                .ok_or_else(|| invalid("OriginalConversationID"))?;
            wire::status_found(
                entry,
                &details.originator_conversation_id,
                &details.conversation_id,
                &details.transaction_id,
                ids_ref,
            )
        }
    };
    drop(inner);
    send(
        shared,
        "status_result",
        found.map(|e| e.id),
        result_url,
        &result,
    );
    Ok(json(StatusCode::OK, &wire::ack(&ids.1, &ids.0)))
}

fn balance(shared: &Arc<Shared>, headers: &HeaderMap, body: &[u8]) -> Reply {
    authorize(shared, headers)?;
    let req = object(body)?;
    let (initiator_ok, result_url) = common(&req, "AccountBalance")?;
    let mut inner = shared.lock();
    let ids = query_ids(&mut inner);
    let utility = inner
        .ledger
        .balance(ProviderId::MPESA_DARAJA, Currency::KES)
        .round_dp(2);
    drop(inner);
    let ids_ref = (ids.0.as_str(), ids.1.as_str());
    let result = if initiator_ok {
        wire::balance_result(&format!("{utility:.2}"), ids_ref)
    } else {
        initiator_refused(ids_ref)
    };
    send(shared, "balance_result", None, result_url, &result);
    Ok(json(StatusCode::OK, &wire::ack(&ids.1, &ids.0)))
}

/// Delivers a query's result in the background, unsigned, like every Daraja callback.
fn send(shared: &Arc<Shared>, event: &str, entry: Option<String>, url: String, result: &Value) {
    let Ok(body) = serde_json::to_vec(result) else {
        return;
    };
    let outgoing = Outgoing {
        provider: ProviderId::MPESA_DARAJA,
        event: event.to_owned(),
        entry_id: entry.unwrap_or_default(),
        url,
        body,
        signing: Signing::None,
        method: Method::POST,
    };
    shared.spawn(deliver(Arc::clone(shared), outgoing));
}
