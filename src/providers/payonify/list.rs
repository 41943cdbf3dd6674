//! Listing payouts: one page at a time, every page as a stream, and the search by merchant
//! reference that reconciles an unknown outcome.

use std::collections::VecDeque;

use chrono::{DateTime, Days, NaiveDate, Utc};
use futures_util::stream::{self, Stream};

use crate::error::Error;
use crate::http::Call;
use crate::model::{Payout, ProviderId, Reference};
use crate::money::Currency;
use crate::raw::RawJson;

use super::wire::{WireList, WirePayout};
use super::{PayonifyClient, wire_currency};

/// The largest page Payonify serves.
pub const MAX_PAGE_SIZE: u32 = 100;

/// A status to filter a listing by (Payonify's words).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusFilter {
    /// `pending`.
    Pending,
    /// `paid`.
    Paid,
    /// `failed`.
    Failed,
}

impl StatusFilter {
    fn as_wire(self) -> &'static str {
        match self {
            StatusFilter::Pending => "pending",
            StatusFilter::Paid => "paid",
            StatusFilter::Failed => "failed",
        }
    }
}

/// What to list: page size, filters and the cursor to continue after.
///
/// Checked when a page is requested: `limit` 1–100, currency USD or ZWG, `start_date` not after
/// `end_date`.
#[non_exhaustive]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListParams {
    /// Payouts per page (Payonify's default is 10).
    pub limit: Option<u32>,
    /// Only payouts in this status.
    pub status: Option<StatusFilter>,
    /// Only payouts in this currency.
    pub currency: Option<Currency>,
    /// Only payouts created on or after this day.
    pub start_date: Option<NaiveDate>,
    /// Only payouts created on or before this day.
    pub end_date: Option<NaiveDate>,
    /// The page after this cursor (a previous page's [`Page::end_cursor`]).
    pub after: Option<String>,
}

impl ListParams {
    /// No filters, Payonify's default page size, from the newest payout.
    pub fn new() -> ListParams {
        ListParams::default()
    }

    /// The `GET /v1/payouts` call for these parameters, or why they are refused.
    fn to_call(&self) -> Result<Call, Error> {
        let mut call = Call::get("list_payouts", "/v1/payouts");
        if let Some(limit) = self.limit {
            if !(1..=MAX_PAGE_SIZE).contains(&limit) {
                return Err(Error::invalid(
                    "limit",
                    format!("must be between 1 and {MAX_PAGE_SIZE}, got {limit}"),
                ));
            }
            call = call.query("limit", limit.to_string());
        }
        if let Some(status) = self.status {
            call = call.query("status", status.as_wire());
        }
        if let Some(currency) = self.currency {
            call = call.query("currency", wire_currency(currency, "currency")?);
        }
        if let (Some(start), Some(end)) = (self.start_date, self.end_date)
            && start > end
        {
            return Err(Error::invalid(
                "start_date",
                format!("{start} is after end_date {end}"),
            ));
        }
        if let Some(start) = self.start_date {
            call = call.query("start_date", start.format("%Y-%m-%d").to_string());
        }
        if let Some(end) = self.end_date {
            call = call.query("end_date", end.format("%Y-%m-%d").to_string());
        }
        if let Some(after) = &self.after {
            if after.is_empty() {
                return Err(Error::invalid("after", "must not be empty"));
            }
            call = call.query("after", after.clone());
        }
        Ok(call)
    }
}

crate::config::setters! { ListParams {
    /// Sets the page size (1–100).
    limit(limit: u32) => limit = Some(limit);
    /// Filters by status.
    status(status: StatusFilter) => status = Some(status);
    /// Filters by currency (USD or ZWG).
    currency(currency: Currency) => currency = Some(currency);
    /// Only payouts created on or after `date`.
    start_date(date: NaiveDate) => start_date = Some(date);
    /// Only payouts created on or before `date`.
    end_date(date: NaiveDate) => end_date = Some(date);
    /// Continues after `cursor`.
    after(cursor: impl Into<String>) => after = Some(cursor.into());
}}

/// One page of payouts, newest first.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// The payouts on this page.
    pub data: Vec<Payout>,
    /// Whether a further page exists.
    pub has_next_page: bool,
    /// The cursor to pass as [`ListParams::after`] for the next page.
    pub end_cursor: Option<String>,
}

impl PayonifyClient {
    /// One page of payouts (`GET /v1/payouts`), newest first.
    pub async fn list_payouts(&self, params: &ListParams) -> Result<Page, Error> {
        let call = params.to_call()?;
        let reply = self.http().send(self.hooks(), &call).await?;
        list_page(&call, reply.status, &reply.body)
    }

    /// Every payout matching `params`, page after page (following `paging.end_cursor` as
    /// `after`), each exactly once, newest first. One request per page, made when the previous
    /// page is used up.
    ///
    /// The stream ends with an error, rather than silently, when a page says there is more but
    /// gives no new cursor: a search that stopped early could hide a payout.
    pub fn list_stream(
        &self,
        params: ListParams,
    ) -> impl Stream<Item = Result<Payout, Error>> + Send + 'static {
        let state = StreamState {
            client: self.clone(),
            params,
            buffer: VecDeque::new(),
            done: false,
        };
        stream::try_unfold(state, |mut state| async move {
            loop {
                if let Some(payout) = state.buffer.pop_front() {
                    return Ok(Some((payout, state)));
                }
                if state.done {
                    return Ok(None);
                }
                let page = state.client.list_payouts(&state.params).await?;
                state.buffer.extend(page.data);
                match (page.has_next_page, page.end_cursor) {
                    (false, _) => state.done = true,
                    (true, Some(cursor))
                        if !cursor.is_empty() && Some(&cursor) != state.params.after.as_ref() =>
                    {
                        state.params.after = Some(cursor);
                    }
                    (true, cursor) => {
                        return Err(paging_error(format!(
                            "has_next_page is true but end_cursor is {cursor:?}, after {:?}",
                            state.params.after
                        )));
                    }
                }
            }
        })
    }

    /// Scans payouts newest-first, created from `today − find_window_days` on, for the first
    /// whose metadata carries `reference`.
    pub(super) async fn find_by_reference(
        &self,
        reference: &Reference,
    ) -> Result<Option<Payout>, Error> {
        use futures_util::TryStreamExt as _;

        let now = self.clock().now_unix();
        let today = DateTime::<Utc>::from_timestamp(now, 0)
            .map(|t| t.date_naive())
            .ok_or_else(|| Error::config("the clock is outside the representable range"))?;
        let start = today
            .checked_sub_days(Days::new(u64::from(self.find_window_days())))
            .unwrap_or(NaiveDate::MIN);
        let params = ListParams::new().limit(MAX_PAGE_SIZE).start_date(start);
        let stream = self.list_stream(params);
        let mut stream = std::pin::pin!(stream);
        while let Some(payout) = stream.try_next().await? {
            if payout.reference.as_ref() == Some(reference) {
                return Ok(Some(payout));
            }
        }
        Ok(None)
    }
}

struct StreamState {
    client: PayonifyClient,
    params: ListParams,
    buffer: VecDeque<Payout>,
    done: bool,
}

/// The page in a 2xx answer to the list `call`. The adapter and `crate::internals` (the fuzzers)
/// both read pages through this.
pub(crate) fn list_page(
    call: &Call,
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<Page, Error> {
    let decoded = crate::http::decode_reply::<WireList>(ProviderId::PAYONIFY, call, status, body)?;
    let status = decoded.status.as_u16();
    let list = decoded.value;
    let data = list
        .data
        .into_iter()
        .map(|raw| decode_payout(raw, status))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page {
        data,
        has_next_page: list.paging.has_next_page,
        end_cursor: list.paging.end_cursor,
    })
}

fn decode_payout(raw: serde_json::Value, status: u16) -> Result<Payout, Error> {
    match serde_json::from_value::<WirePayout>(raw.clone()) {
        Ok(wire) => Ok(wire.into_payout(RawJson::from(&raw))),
        Err(e) => Err(Error::Decode {
            provider: ProviderId::PAYONIFY,
            status,
            snippet: crate::http::snippet(raw.to_string().as_bytes()),
            source: Box::new(e),
        }),
    }
}

fn paging_error(message: String) -> Error {
    Error::Decode {
        provider: ProviderId::PAYONIFY,
        status: 200,
        snippet: String::new(),
        source: message.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_is_checked_before_sending() {
        for bad in [0, 101] {
            let err = ListParams::new().limit(bad).to_call().err();
            assert!(
                matches!(&err, Some(Error::InvalidRequest { field: "limit", reason, .. })
                    if reason == &format!("must be between 1 and 100, got {bad}")),
                "{err:?}"
            );
        }
        for good in [1, 100] {
            assert!(ListParams::new().limit(good).to_call().is_ok());
        }
    }

    #[test]
    fn currency_and_dates_are_checked() {
        let err = ListParams::new().currency(Currency::KES).to_call().err();
        assert!(matches!(
            err,
            Some(Error::InvalidRequest {
                field: "currency",
                ..
            })
        ));
        let day = |d| NaiveDate::from_ymd_opt(2024, 6, d);
        let (Some(early), Some(late)) = (day(1), day(2)) else {
            panic!("valid dates")
        };
        let err = ListParams::new()
            .start_date(late)
            .end_date(early)
            .to_call()
            .err();
        assert!(matches!(
            err,
            Some(Error::InvalidRequest {
                field: "start_date",
                ..
            })
        ));
        assert!(ListParams::new().after("").to_call().is_err());
    }
}
