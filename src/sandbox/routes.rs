//! The endpoints each simulated provider serves, as data: one constant per provider builds its
//! router and is what [`routes`](crate::sandbox::routes) reports.

use axum::routing::MethodFilter;

/// One endpoint: a method and a path relative to the provider's base URL (`{name}` is a path
/// parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    /// `GET` or `POST`.
    pub method: &'static str,
    /// The path, e.g. `/v1/payouts/{id}`.
    pub path: &'static str,
}

impl Endpoint {
    pub(crate) const fn get(path: &'static str) -> Endpoint {
        Endpoint {
            method: "GET",
            path,
        }
    }

    pub(crate) const fn post(path: &'static str) -> Endpoint {
        Endpoint {
            method: "POST",
            path,
        }
    }

    pub(crate) fn filter(&self) -> MethodFilter {
        if self.method == "POST" {
            MethodFilter::POST
        } else {
            MethodFilter::GET
        }
    }
}
