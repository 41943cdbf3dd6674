//! The endpoints each simulated provider serves, as data: one constant per provider builds its
//! router and is what [`routes`](crate::sandbox::routes) reports.

use std::sync::Arc;

use axum::Router;
use axum::routing::{MethodFilter, MethodRouter};

use crate::sandbox::state::Shared;

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

/// A simulator's routes: each endpoint of `routes` served, under its method, by the handler
/// `handler` names for its operation. The simulator adds its not-found answer and its state.
pub(crate) fn router<O>(
    routes: &[(Endpoint, O)],
    handler: impl Fn(&O, MethodFilter) -> MethodRouter<Arc<Shared>>,
) -> Router<Arc<Shared>> {
    routes.iter().fold(Router::new(), |router, (endpoint, op)| {
        router.route(endpoint.path, handler(op, endpoint.filter()))
    })
}

/// The endpoints of a simulator's `routes`.
pub(crate) fn endpoints<O>(routes: &[(Endpoint, O)]) -> Vec<Endpoint> {
    routes.iter().map(|(endpoint, _)| *endpoint).collect()
}
