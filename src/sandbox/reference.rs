//! The merchant reference a request names, as each simulated provider reads it: what the request
//! log records and what [`Route::for_reference`](super::Route::for_reference) matches.

use axum::http::HeaderMap;
use serde_json::Value;

use super::kind::ProviderKind;
use super::respond::header;

/// The reference of one request, put in the request's extensions by the request log for the
/// fault injector.
#[derive(Debug, Clone)]
pub(crate) struct RequestReference(pub(crate) Option<String>);

/// JPay `ref_no` (body, else the list query), Payonify `Idempotency-Key`, Vesicash `reason`
/// (else `narration`), MTN MoMo `externalId`: the same field the ledger keeps as [`LedgerEntry::reference`](super::LedgerEntry::reference).
pub(crate) fn of_request(
    kind: ProviderKind,
    headers: &HeaderMap,
    query: Option<&str>,
    body: &[u8],
) -> Option<String> {
    let field = |name: &str| -> Option<String> {
        let json: Value = serde_json::from_slice(body).ok()?;
        json.get(name)?.as_str().map(str::to_owned)
    };
    match kind {
        ProviderKind::Vesicash => field("reason").or_else(|| field("narration")),
        ProviderKind::Jpay => field("ref_no").or_else(|| {
            url::form_urlencoded::parse(query?.as_bytes())
                .find(|(name, _)| name == "ref_no")
                .map(|(_, value)| value.into_owned())
        }),
        ProviderKind::Payonify => header(headers, "idempotency-key").map(str::to_owned),
        ProviderKind::MtnMomo => field("externalId"),
    }
}
