//! `GET /channels`: the payment channels a payout can use.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use serde::Serialize;
use std::sync::Arc;

use super::token::authorize;
use super::wire::paginate;
use crate::phone::Network;
use crate::sandbox::respond::{Reply, finish, json};
use crate::sandbox::state::Shared;

/// A channel: M-Pesa, Airtel Money, T-Kash or a bank.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Channel {
    pub(crate) code: u32,
    pub(crate) name: &'static str,
    pub(crate) bank: bool,
    pub(crate) active: bool,
}

impl Channel {
    pub(crate) fn type_code(&self) -> &'static str {
        if self.bank { "bank" } else { "mobile_money" }
    }

    pub(crate) fn type_display(&self) -> &'static str {
        if self.bank { "Bank" } else { "Mobile Money" }
    }
}

pub(crate) const MPESA: u32 = 63902;
pub(crate) const AIRTEL_MONEY: u32 = 63903;
pub(crate) const TKASH: u32 = 63907;

pub(crate) const CHANNELS: &[Channel] = &[
    Channel {
        code: MPESA,
        name: "M-Pesa",
        bank: false,
        active: true,
    },
    Channel {
        code: AIRTEL_MONEY,
        name: "Airtel Money",
        bank: false,
        active: true,
    },
    Channel {
        code: TKASH,
        name: "T-Kash",
        bank: false,
        active: true,
    },
    Channel {
        code: 1,
        name: "KCB Bank",
        bank: true,
        active: true,
    },
    Channel {
        code: 3,
        name: "Absa Bank Kenya",
        bank: true,
        active: true,
    },
    Channel {
        code: 7,
        name: "NCBA Bank",
        bank: true,
        active: true,
    },
    Channel {
        code: 11,
        name: "Co-operative Bank",
        bank: true,
        active: true,
    },
    Channel {
        code: 68,
        name: "Equity Bank",
        bank: true,
        active: true,
    },
    Channel {
        code: 70,
        name: "Family Bank",
        bank: true,
        active: false,
    },
];

pub(crate) fn channel(code: u32) -> Option<&'static Channel> {
    CHANNELS.iter().find(|c| c.code == code)
}

/// The mobile channel JPay infers from the carrier (M-Pesa when the carrier is unknown).
pub(crate) fn inferred(network: Option<Network>) -> u32 {
    match network {
        Some(Network::Airtel) => AIRTEL_MONEY,
        Some(Network::Telkom) => TKASH,
        _ => MPESA,
    }
}

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
