//! `GET /v1/countries` and `GET /v1/banks`: the reference data a payout names by id.

use std::collections::HashMap;

use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde::Serialize;

use super::auth::authorize;
use super::wire::{COUNTRY_NOT_FOUND, error, success};
use crate::money::Currency;
use crate::phone::Country;
use crate::sandbox::respond::{Reply, finish};

/// A country Vesicash pays out in.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CountryRow {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) country: Country,
    pub(crate) currency: Currency,
}

pub(crate) const COUNTRIES: &[CountryRow] = &[
    CountryRow {
        id: "1",
        name: "Nigeria",
        country: Country::Nigeria,
        currency: Currency::NGN,
    },
    CountryRow {
        id: "2",
        name: "Ghana",
        country: Country::Ghana,
        currency: Currency::GHS,
    },
    CountryRow {
        id: "3",
        name: "Kenya",
        country: Country::Kenya,
        currency: Currency::KES,
    },
    CountryRow {
        id: "4",
        name: "Zambia",
        country: Country::Zambia,
        currency: Currency::ZMW,
    },
    CountryRow {
        id: "5",
        name: "Uganda",
        country: Country::Uganda,
        currency: Currency::UGX,
    },
    CountryRow {
        id: "6",
        name: "Tanzania",
        country: Country::Tanzania,
        currency: Currency::TZS,
    },
    CountryRow {
        id: "7",
        name: "Rwanda",
        country: Country::Rwanda,
        currency: Currency::RWF,
    },
];

/// A bank a payout can go to.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BankRow {
    pub(crate) id: &'static str,
    pub(crate) name: &'static str,
    pub(crate) code: &'static str,
    pub(crate) country_id: &'static str,
}

pub(crate) const BANKS: &[BankRow] = &[
    BankRow {
        id: "101",
        name: "Access Bank",
        code: "044",
        country_id: "1",
    },
    BankRow {
        id: "102",
        name: "Guaranty Trust Bank",
        code: "058",
        country_id: "1",
    },
    BankRow {
        id: "103",
        name: "Zenith Bank",
        code: "057",
        country_id: "1",
    },
    BankRow {
        id: "201",
        name: "GCB Bank",
        code: "040100",
        country_id: "2",
    },
    BankRow {
        id: "202",
        name: "Ecobank Ghana",
        code: "130100",
        country_id: "2",
    },
    BankRow {
        id: "301",
        name: "KCB Bank",
        code: "01",
        country_id: "3",
    },
    BankRow {
        id: "302",
        name: "Equity Bank",
        code: "68",
        country_id: "3",
    },
    BankRow {
        id: "401",
        name: "Zanaco",
        code: "010",
        country_id: "4",
    },
    BankRow {
        id: "402",
        name: "Stanbic Bank Zambia",
        code: "040",
        country_id: "4",
    },
];

pub(crate) fn country(id: &str) -> Option<&'static CountryRow> {
    COUNTRIES.iter().find(|c| c.id == id)
}

pub(crate) fn bank(id: &str, country_id: &str) -> Option<&'static BankRow> {
    BANKS
        .iter()
        .find(|b| b.id == id && b.country_id == country_id)
}

#[derive(Serialize)]
struct CountryJson {
    id: &'static str,
    name: &'static str,
    country_code: &'static str,
    currency_code: &'static str,
}

#[derive(Serialize)]
struct BankJson {
    id: &'static str,
    name: &'static str,
    code: &'static str,
    country_id: &'static str,
}

/// `GET /v1/countries`: the public key is enough.
pub(crate) async fn countries(headers: HeaderMap) -> Response {
    finish(authorize(&headers, false).map(|()| {
        let data: Vec<CountryJson> = COUNTRIES
            .iter()
            .map(|c| CountryJson {
                id: c.id,
                name: c.name,
                country_code: c.country.iso_alpha2(),
                currency_code: c.currency.code(),
            })
            .collect();
        success("countries retrieved successfully", data)
    }))
}

/// `GET /v1/banks?country_id=…` (`country=` also accepted: the docs' revisions disagree); all
/// banks without a filter.
pub(crate) async fn banks(
    headers: HeaderMap,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    finish(banks_reply(&headers, &query))
}

fn banks_reply(headers: &HeaderMap, query: &HashMap<String, String>) -> Reply {
    authorize(headers, false)?;
    let filter = query.get("country_id").or_else(|| query.get("country"));
    if let Some(id) = filter
        && country(id).is_none()
    {
        return Err(error(StatusCode::BAD_REQUEST, COUNTRY_NOT_FOUND));
    }
    let data: Vec<BankJson> = BANKS
        .iter()
        .filter(|b| filter.is_none_or(|id| b.country_id == id))
        .map(|b| BankJson {
            id: b.id,
            name: b.name,
            code: b.code,
            country_id: b.country_id,
        })
        .collect();
    Ok(success("banks retrieved successfully", data))
}
