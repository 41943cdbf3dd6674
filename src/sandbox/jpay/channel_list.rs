//! `GET /channels?type=&active_only=&page=&page_size=`: the channel table, paginated.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;

use super::channels::CHANNELS;
use super::page::paginate;
use super::token::authorize;
use crate::sandbox::respond::{Reply, finish, json};
use crate::sandbox::state::Shared;

#[derive(Serialize)]
struct ChannelJson {
    code: u32,
    name: &'static str,
    #[serde(rename = "type")]
    kind: &'static str,
    type_display: &'static str,
    is_active: bool,
}

/// `GET /channels?type=&active_only=&page=&page_size=`.
pub(crate) async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    finish(list_reply(&shared, &headers, &query))
}

fn list_reply(shared: &Shared, headers: &HeaderMap, query: &HashMap<String, String>) -> Reply {
    authorize(shared, headers)?;
    let kind = query.get("type").map(String::as_str);
    let active_only = matches!(
        query.get("active_only").map(String::as_str),
        Some("true" | "True" | "1")
    );
    let all: Vec<ChannelJson> = CHANNELS
        .iter()
        .filter(|c| kind.is_none_or(|k| k == c.type_code()))
        .filter(|c| !active_only || c.active)
        .map(|c| ChannelJson {
            code: c.code,
            name: c.name,
            kind: c.type_code(),
            type_display: c.type_display(),
            is_active: c.active,
        })
        .collect();
    let page = paginate(all, query)?;
    Ok(json(axum::http::StatusCode::OK, &page))
}
