//! `GET /payments/payouts/{id}` and `GET /payments/payouts?ref_no=&status=&page=&page_size=`
//! (newest first).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::page::paginate;
use super::token::authorize;
use super::wire::{PAYOUT_NOT_FOUND, detail, payout_detail_json, word};
use crate::model::ProviderId;
use crate::sandbox::respond::{Reply, finish, json};
use crate::sandbox::state::Shared;

pub(crate) async fn get(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(get_reply(&shared, &headers, &id))
}

fn get_reply(shared: &Shared, headers: &HeaderMap, id: &str) -> Reply {
    authorize(shared, headers)?;
    let inner = shared.lock();
    let entry = inner
        .ledger
        .get(ProviderId::JPAY, id)
        .ok_or_else(|| detail(StatusCode::NOT_FOUND, PAYOUT_NOT_FOUND))?;
    Ok(json(StatusCode::OK, &payout_detail_json(entry)))
}

pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    finish(list_reply(&shared, &headers, &query))
}

fn list_reply(shared: &Shared, headers: &HeaderMap, query: &HashMap<String, String>) -> Reply {
    authorize(shared, headers)?;
    let ref_no = query.get("ref_no").filter(|r| !r.is_empty());
    let status = query.get("status").filter(|s| !s.is_empty());
    let inner = shared.lock();
    let mut all: Vec<_> = inner
        .ledger
        .entries(ProviderId::JPAY)
        .filter(|e| ref_no.is_none_or(|r| e.reference.as_ref() == Some(r)))
        .filter(|e| status.is_none_or(|s| word(&e.status) == s))
        .map(payout_detail_json)
        .collect();
    all.reverse();
    let page = paginate(all, query)?;
    Ok(json(StatusCode::OK, &page))
}
