//! `GET /v1/payouts/{id}` and `GET /v1/payouts?limit&first&after&last&before&status&currency&
//! start_date&end_date`: newest first, cursor-paged.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use chrono::NaiveDate;
use serde::Serialize;

use super::auth::authorize;
use super::wire::{INVALID_REQUEST, PayoutObject, error, invalid, payout_object, word};
use crate::model::ProviderId;
use crate::sandbox::ledger::LedgerEntry;
use crate::sandbox::respond::{Reply, finish, json};
use crate::sandbox::state::Shared;

const DEFAULT_LIMIT: usize = 10;

#[derive(Serialize)]
struct List {
    object: &'static str,
    data: Vec<PayoutObject>,
    paging: Paging,
}

#[derive(Serialize)]
struct Paging {
    has_previous_page: bool,
    has_next_page: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
    page_size: usize,
}

pub(crate) async fn retrieve(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    finish(retrieve_reply(&shared, &headers, &id))
}

fn retrieve_reply(shared: &Shared, headers: &HeaderMap, id: &str) -> Reply {
    authorize(headers)?;
    let inner = shared.lock();
    let entry = inner.ledger.get(ProviderId::PAYONIFY, id).ok_or_else(|| {
        error(
            StatusCode::NOT_FOUND,
            INVALID_REQUEST,
            Some("resource_missing"),
            &format!("No such payout: '{id}'"),
            Some("id"),
        )
    })?;
    Ok(json(StatusCode::OK, &payout_object(entry)))
}

pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    finish(list_reply(&shared, &headers, &query))
}

fn count(query: &HashMap<String, String>, name: &str) -> Result<Option<usize>, Response> {
    match query.get(name) {
        None => Ok(None),
        Some(text) => text
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .map(Some)
            .ok_or_else(|| {
                invalid(
                    name,
                    &format!("Invalid {name}: it must be an integer from 1 to 100."),
                )
            }),
    }
}

fn date(query: &HashMap<String, String>, name: &str) -> Result<Option<NaiveDate>, Response> {
    match query.get(name) {
        None => Ok(None),
        Some(text) => NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
            .map(Some)
            .map_err(|_| invalid(name, &format!("Invalid {name}: use the form YYYY-MM-DD."))),
    }
}

/// The position of a cursor (a payout id) in the newest-first list of every payout.
fn cursor(
    query: &HashMap<String, String>,
    name: &str,
    all: &[&LedgerEntry],
) -> Result<Option<usize>, Response> {
    match query.get(name) {
        None => Ok(None),
        Some(id) => all
            .iter()
            .position(|e| &e.id == id)
            .map(Some)
            .ok_or_else(|| {
                invalid(
                    name,
                    &format!("Invalid {name}: no payout has the id '{id}'."),
                )
            }),
    }
}

fn list_reply(shared: &Shared, headers: &HeaderMap, query: &HashMap<String, String>) -> Reply {
    authorize(headers)?;
    let limit = count(query, "limit")?;
    let first = count(query, "first")?;
    let last = count(query, "last")?;
    let status = query.get("status").map(String::as_str);
    if let Some(s) = status
        && !matches!(s, "pending" | "paid" | "failed")
    {
        return Err(invalid(
            "status",
            "Invalid status: it must be one of pending, paid, failed.",
        ));
    }
    let currency = query.get("currency").map(String::as_str);
    if let Some(c) = currency
        && !matches!(c, "usd" | "zwg")
    {
        return Err(invalid(
            "currency",
            "Invalid currency: it must be one of usd, zwg.",
        ));
    }
    let start = date(query, "start_date")?;
    let end = date(query, "end_date")?;

    let inner = shared.lock();
    let mut every: Vec<&LedgerEntry> = inner.ledger.entries(ProviderId::PAYONIFY).collect();
    every.reverse();
    let after = cursor(query, "after", &every)?;
    let before = cursor(query, "before", &every)?;
    // Positions in `every` of the payouts the filters keep, newest first.
    let kept: Vec<usize> = every
        .iter()
        .enumerate()
        .filter(|(_, e)| status.is_none_or(|s| word(&e.status) == s))
        .filter(|(_, e)| {
            currency.is_none_or(|c| e.amount.currency().code().eq_ignore_ascii_case(c))
        })
        .filter(|(_, e)| {
            let day = e.created_at.date_naive();
            start.is_none_or(|s| day >= s) && end.is_none_or(|d| day <= d)
        })
        .map(|(i, _)| i)
        .collect();
    let (from, to, page_size) = if before.is_some() || last.is_some() {
        // Backward: the `last` payouts just newer than `before`.
        let size = last.or(limit).unwrap_or(DEFAULT_LIMIT);
        let end = before.map_or(kept.len(), |b| kept.partition_point(|&i| i < b));
        (end.saturating_sub(size), end, size)
    } else {
        let size = first.or(limit).unwrap_or(DEFAULT_LIMIT);
        let start = after.map_or(0, |a| kept.partition_point(|&i| i <= a));
        (start, (start + size).min(kept.len()), size)
    };
    let page: Vec<&LedgerEntry> = kept[from..to].iter().map(|&i| every[i]).collect();
    let list = List {
        object: "list",
        paging: Paging {
            has_previous_page: from > 0,
            has_next_page: to < kept.len(),
            start_cursor: page.first().map(|e| e.id.clone()),
            end_cursor: page.last().map(|e| e.id.clone()),
            page_size,
        },
        data: page.into_iter().map(payout_object).collect(),
    };
    Ok(json(StatusCode::OK, &list))
}
