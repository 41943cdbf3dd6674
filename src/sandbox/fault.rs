//! Fault injection: what can go wrong on the wire, per provider and route, for the next N requests
//! (or every one until cleared).

use std::time::Duration;

use crate::model::ProviderId;

/// One thing that goes wrong on the wire. The [module docs](crate::sandbox#fault-injection) say
/// for each whether the request is committed to the ledger.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Waits this long before handling the request; the answer is normal.
    Latency(Duration),
    /// Answers this status (500, 502, 503, 504, …) with the provider's error body; nothing is
    /// committed.
    Status(u16),
    /// Answers 429 with the provider's rate-limit body and `Retry-After` in whole seconds
    /// (rounded up); nothing is committed.
    TooManyRequests {
        /// The wait announced in `Retry-After`.
        retry_after: Duration,
    },
    /// Handles the request (a payout is committed), then closes the connection without sending
    /// a byte of the answer.
    CommitThenDrop,
    /// Handles the request (a payout is committed), then holds the answer back this long.
    CommitThenDelay(Duration),
    /// Handles the request (a payout is committed), then answers with the same status and a
    /// `Content-Type: application/json` body that is not JSON.
    MalformedJson,
    /// Handles the request (a payout is committed), then sends the status, a `Content-Length`
    /// of the full answer and only half of its bytes before closing the connection.
    TruncatedBody,
    /// Answers 502 with an HTML page, as a gateway in front of the provider would; nothing is
    /// committed.
    HtmlErrorPage,
    /// Handles the request (a payout is committed), sends the status and headers at once, then
    /// trickles the body in small pieces spread over this long. Longer than the client's timeout,
    /// the client gives up mid-body (an ambiguous outcome); shorter, the answer is normal, late.
    SlowBody(Duration),
}

impl Fault {
    /// Whether the provider handles (and commits) the request before the fault shows.
    pub fn commits(&self) -> bool {
        matches!(
            self,
            Fault::Latency(_)
                | Fault::CommitThenDrop
                | Fault::CommitThenDelay(_)
                | Fault::MalformedJson
                | Fault::TruncatedBody
                | Fault::SlowBody(_)
        )
    }
}

/// Which requests of a provider a fault applies to: a method (or any) and a path pattern relative
/// to the provider's base URL, where a `{name}` segment matches any one segment.
///
/// ```
/// use disburse::sandbox::Route;
/// assert!(Route::post("/v1/payouts").matches("POST", "/v1/payouts"));
/// assert!(Route::get("/payments/payouts/{id}").matches("GET", "/payments/payouts/PAYOUT-1-ABC123"));
/// assert!(Route::any().matches("GET", "/channels"));
/// assert!(!Route::post("/v1/payouts").matches("GET", "/v1/payouts"));
/// ```
///
/// [`Route::for_reference`] narrows a route to the requests that name one merchant reference
/// ([`RequestRecord::reference`](super::RequestRecord::reference)), so concurrent tests can each
/// fault their own payouts on one sandbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    method: Option<String>,
    pattern: Option<String>,
    reference: Option<String>,
}

impl Route {
    /// Every request to the provider.
    pub fn any() -> Route {
        Route {
            method: None,
            pattern: None,
            reference: None,
        }
    }

    /// `GET` requests to `pattern`.
    pub fn get(pattern: &str) -> Route {
        Route::new("GET", pattern)
    }

    /// `POST` requests to `pattern`.
    pub fn post(pattern: &str) -> Route {
        Route::new("POST", pattern)
    }

    /// Requests with `method` (any case) to `pattern`.
    pub fn new(method: &str, pattern: &str) -> Route {
        Route {
            method: Some(method.to_ascii_uppercase()),
            pattern: Some(pattern.to_owned()),
            reference: None,
        }
    }

    /// Only the requests that name the merchant `reference` (JPay `ref_no`, Payonify
    /// `Idempotency-Key`, Vesicash `reason` else `narration`; see
    /// [`RequestRecord::reference`](super::RequestRecord::reference)).
    ///
    /// ```
    /// use disburse::sandbox::Route;
    /// let route = Route::post("/v1/payouts").for_reference("order-7");
    /// assert!(route.matches_request("POST", "/v1/payouts", Some("order-7")));
    /// assert!(!route.matches_request("POST", "/v1/payouts", Some("order-8")));
    /// assert!(!route.matches_request("POST", "/v1/payouts", None));
    /// ```
    #[must_use]
    pub fn for_reference(mut self, reference: &str) -> Route {
        self.reference = Some(reference.to_owned());
        self
    }

    /// Whether a request with `method` to `path` naming `reference` is one of these: the method
    /// and path as in [`Route::matches`], and the reference when the route names one.
    pub fn matches_request(&self, method: &str, path: &str, reference: Option<&str>) -> bool {
        let reference_ok = match &self.reference {
            Some(want) => reference == Some(want.as_str()),
            None => true,
        };
        reference_ok && self.matches(method, path)
    }

    /// Whether a request with `method` to `path` (relative to the provider's base URL, no query)
    /// is one of these, leaving aside any [`Route::for_reference`] filter.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        if let Some(m) = &self.method
            && !m.eq_ignore_ascii_case(method)
        {
            return false;
        }
        let Some(pattern) = &self.pattern else {
            return true;
        };
        let mut want = pattern.trim_end_matches('/').split('/');
        let mut have = path.trim_end_matches('/').split('/');
        loop {
            match (want.next(), have.next()) {
                (None, None) => return true,
                (Some(w), Some(h)) if w.starts_with('{') && w.ends_with('}') && !h.is_empty() => {}
                (Some(w), Some(h)) if w == h => {}
                _ => return false,
            }
        }
    }
}

#[derive(Debug)]
struct Injection {
    provider: ProviderId,
    route: Route,
    fault: Fault,
    /// How many more requests it fires for; `None`: every matching request until cleared.
    remaining: Option<u32>,
}

/// The faults waiting to fire, in the order they were injected.
#[derive(Debug, Default)]
pub(crate) struct FaultTable {
    pending: Vec<Injection>,
}

impl FaultTable {
    pub(crate) fn add(&mut self, provider: ProviderId, route: Route, fault: Fault, times: u32) {
        if times > 0 {
            self.pending.push(Injection {
                provider,
                route,
                fault,
                remaining: Some(times),
            });
        }
    }

    /// Like [`add`](Self::add), for every matching request until the table is cleared.
    pub(crate) fn add_always(&mut self, provider: ProviderId, route: Route, fault: Fault) {
        self.pending.push(Injection {
            provider,
            route,
            fault,
            remaining: None,
        });
    }

    pub(crate) fn clear(&mut self) {
        self.pending.clear();
    }

    /// The fault for this request, if one is waiting (the oldest matching injection), counting it
    /// as used.
    pub(crate) fn take(
        &mut self,
        provider: ProviderId,
        method: &str,
        path: &str,
        reference: Option<&str>,
    ) -> Option<Fault> {
        let index = self.pending.iter().position(|i| {
            i.provider == provider && i.route.matches_request(method, path, reference)
        })?;
        let injection = &mut self.pending[index];
        let fault = injection.fault.clone();
        if let Some(remaining) = injection.remaining.as_mut() {
            *remaining -= 1;
            if *remaining == 0 {
                self.pending.remove(index);
            }
        }
        Some(fault)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injections_fire_the_given_number_of_times_in_order() {
        let mut table = FaultTable::default();
        table.add(ProviderId::JPAY, Route::post("/a"), Fault::Status(503), 2);
        table.add(ProviderId::JPAY, Route::any(), Fault::HtmlErrorPage, 1);
        assert_eq!(table.take(ProviderId::PAYONIFY, "POST", "/a", None), None);
        assert_eq!(
            table.take(ProviderId::JPAY, "POST", "/a", None),
            Some(Fault::Status(503))
        );
        assert_eq!(
            table.take(ProviderId::JPAY, "GET", "/a", None),
            Some(Fault::HtmlErrorPage)
        );
        assert_eq!(
            table.take(ProviderId::JPAY, "POST", "/a", None),
            Some(Fault::Status(503))
        );
        assert_eq!(table.take(ProviderId::JPAY, "POST", "/a", None), None);
    }

    #[test]
    fn an_injection_for_always_fires_until_cleared_and_shadows_later_ones() {
        let mut table = FaultTable::default();
        let slow = Fault::Latency(Duration::from_millis(3));
        table.add_always(ProviderId::JPAY, Route::post("/a"), slow.clone());
        table.add(ProviderId::JPAY, Route::post("/a"), Fault::Status(503), 1);
        for _ in 0..1000 {
            assert_eq!(
                table.take(ProviderId::JPAY, "POST", "/a", None),
                Some(slow.clone())
            );
        }
        assert_eq!(table.take(ProviderId::JPAY, "GET", "/a", None), None);
        table.clear();
        assert_eq!(table.take(ProviderId::JPAY, "POST", "/a", None), None);
    }

    #[test]
    fn a_reference_scoped_injection_fires_only_for_its_reference() {
        let mut table = FaultTable::default();
        let route = Route::post("/a").for_reference("ref-1");
        table.add(ProviderId::JPAY, route, Fault::CommitThenDrop, 1);
        assert_eq!(table.take(ProviderId::JPAY, "POST", "/a", None), None);
        assert_eq!(
            table.take(ProviderId::JPAY, "POST", "/a", Some("ref-2")),
            None
        );
        assert_eq!(
            table.take(ProviderId::JPAY, "POST", "/a", Some("ref-1")),
            Some(Fault::CommitThenDrop)
        );
        assert_eq!(
            table.take(ProviderId::JPAY, "POST", "/a", Some("ref-1")),
            None
        );
    }

    #[test]
    fn patterns_match_one_segment_per_placeholder() {
        let r = Route::get("/v1/payment/{reference}");
        assert!(r.matches("get", "/v1/payment/PY_1"));
        assert!(!r.matches("GET", "/v1/payment/payout/status/PY_1"));
        assert!(!r.matches("GET", "/v1/payment/"));
    }
}
