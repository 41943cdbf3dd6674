//! What `Debug`, error snippets and logs show of personal data: masked phone and account numbers,
//! URL query values withheld.
//!
//! The data itself is never changed (a record's `raw` JSON stays whole for audit, requests go out
//! byte for byte); only its rendering for humans goes through here.
//!
//! | rendering | rule | example |
//! |---|---|---|
//! | a run of 12+ digits | first 4 and last 3 kept | `254712345678` → `2547*****678` |
//! | a run of 6–11 digits | last 3 kept | `0712345678` → `*******678` |
//! | shorter runs | kept (amounts, dates, HTTP statuses) | `150.00`, `2024-04-12` |
//! | a URL's query | every value withheld | `https://x/h?token=ab12` → `https://x/h?token=**` |
//! | an account number | last 4 kept (last 2 when shorter than 8) | `62049173385` → `*******3385` |

use std::fmt;

/// What a secret field's `Debug` shows, whatever it holds: `** redacted **`. Every config and
/// client renders its credentials through this one value.
pub(crate) const SECRET: Secret = Secret;

/// The same as text (`Debug` shows it quoted), where a rendering has always shown it so.
pub(crate) const SECRET_TEXT: &str = "** redacted **";

/// A secret in a `Debug` rendering (see [`SECRET`]).
#[derive(Clone, Copy)]
pub(crate) struct Secret;

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("** redacted **")
    }
}

/// Gives a config or client the one redacting `Debug` every adapter uses: its name, then each
/// `name: value` in order, where `value` is written with the type's value bound to the closure
/// argument and may use [`SECRET`] (a credential), [`url`] (a callback URL, its query withheld)
/// and [`Url`]; a trailing `..` marks the rendering non-exhaustive.
///
/// ```ignore
/// crate::redact::redacted_debug! { JpayConfig, |c| {
///     app_key: SECRET, app_code: c.app_code,
///     notification_url: url(c.notification_url.as_ref().map(CallbackUrl::as_str)),
/// }}
/// ```
macro_rules! redacted_debug {
    ($ty:ident, |$c:ident| { $($name:ident: $value:expr),* $(,)? }) => {
        $crate::redact::redacted_debug!(@impl $ty, $c, finish, $($name: $value),*);
    };
    ($ty:ident, |$c:ident| { $($name:ident: $value:expr,)* .. }) => {
        $crate::redact::redacted_debug!(@impl $ty, $c, finish_non_exhaustive, $($name: $value),*);
    };
    (@impl $ty:ident, $c:ident, $finish:ident, $($name:ident: $value:expr),*) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                #[allow(unused_imports)]
                use $crate::redact::{SECRET, SECRET_TEXT, Url, url};
                #[allow(unused_variables)]
                let $c = self;
                f.debug_struct(::std::stringify!($ty))
                    $(.field(::std::stringify!($name), &$value))*
                    .$finish()
            }
        }
    };
}

pub(crate) use redacted_debug;

/// An optional URL as `Debug` shows it: its query values withheld.
pub(crate) fn url(url: Option<&str>) -> Option<Url<'_>> {
    url.map(Url)
}

/// A digit run at least this long is masked.
const MIN_RUN: usize = 6;
/// A run at least this long keeps its first 4 digits too (a calling code and a first digit).
const KEEP_HEAD_FROM: usize = 12;

/// Masks every run of 6 or more ASCII digits (see the module table).
pub(crate) fn mask_digit_runs(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let run = &chars[start..i];
        if run.len() < MIN_RUN {
            out.extend(run);
            continue;
        }
        let head = if run.len() >= KEEP_HEAD_FROM { 4 } else { 0 };
        out.extend(&run[..head]);
        out.extend(std::iter::repeat_n('*', run.len() - head - 3));
        out.extend(&run[run.len() - 3..]);
    }
    out
}

/// An account number with all but its last 4 characters hidden (all but 2 when it is shorter
/// than 8), so a log can still tell two accounts apart.
pub(crate) fn mask_account(account: &str) -> String {
    let chars: Vec<char> = account.chars().collect();
    let keep = if chars.len() >= 8 { 4 } else { 2 }.min(chars.len());
    let mut out: String = std::iter::repeat_n('*', chars.len() - keep).collect();
    out.extend(&chars[chars.len() - keep..]);
    out
}

/// A URL with every query value replaced by `**` and the fragment dropped; anything that is not
/// an `http(s)` URL comes back unchanged.
pub(crate) fn redact_url_query(text: &str) -> String {
    let is_url = ["http://", "https://"].iter().any(|scheme| {
        text.get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    });
    let Some((base, query)) = text
        .split_once('?')
        .filter(|_| is_url || text.starts_with('/'))
    else {
        return text.to_owned();
    };
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let pairs: Vec<String> = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) => format!("{name}=**"),
            None => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", pairs.join("&"))
}

/// One text value of a provider's JSON as `Debug` shows it: URL queries withheld, long digit
/// runs masked.
fn redact_text(text: &str) -> String {
    mask_digit_runs(&redact_url_query(text))
}

fn redact_value(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::String(s) => Value::String(redact_text(s)),
        Value::Array(items) => Value::Array(items.iter().map(redact_value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), redact_value(v)))
                .collect(),
        ),
        // Numbers stay: amounts and timestamps are numbers, phone numbers are strings in every
        // provider's JSON.
        other => other.clone(),
    }
}

/// `Debug` of a provider's raw JSON: the compact JSON with every string value redacted (see the
/// module table). Numbers, booleans and keys are shown as they are.
pub(crate) struct RedactedJson<'a>(pub(crate) &'a serde_json::Value);

impl fmt::Debug for RedactedJson<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", redact_value(self.0))
    }
}

/// `Debug` of an account number: [`mask_account`] in quotes.
pub(crate) struct Account<'a>(pub(crate) &'a str);

impl fmt::Debug for Account<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", mask_account(self.0))
    }
}

/// `Debug` of a URL: [`redact_url_query`] in quotes.
pub(crate) struct Url<'a>(pub(crate) &'a str);

impl fmt::Debug for Url<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", redact_url_query(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digit_runs_are_masked_by_length() {
        assert_eq!(mask_digit_runs("+254712345678"), "+2547*****678");
        assert_eq!(mask_digit_runs("+263771234567"), "+2637*****567");
        assert_eq!(mask_digit_runs("0712345678"), "*******678");
        assert_eq!(mask_digit_runs("771234567"), "******567");
        assert_eq!(mask_digit_runs("acct 62049173385."), "acct ********385.");
        assert_eq!(mask_digit_runs("123456"), "***456");
        assert_eq!(
            mask_digit_runs("KES 15000.00 on 2024-04-12, HTTP 502"),
            "KES 15000.00 on 2024-04-12, HTTP 502"
        );
    }

    #[test]
    fn account_numbers_keep_their_last_four() {
        assert_eq!(mask_account("62049173385"), "*******3385");
        assert_eq!(mask_account("AB123456"), "****3456");
        assert_eq!(mask_account("123456"), "****56");
        assert_eq!(mask_account("1"), "1");
        assert_eq!(mask_account(""), "");
    }

    #[test]
    fn url_queries_are_withheld() {
        assert_eq!(
            redact_url_query("http://127.0.0.1:9/hook?order=42&disburse_token=ab12cd#frag"),
            "http://127.0.0.1:9/hook?order=**&disburse_token=**"
        );
        assert_eq!(
            redact_url_query("/hook?disburse_token=ab12"),
            "/hook?disburse_token=**"
        );
        assert_eq!(
            redact_url_query("https://x.example/h"),
            "https://x.example/h"
        );
        assert_eq!(redact_url_query("what? no"), "what? no");
    }

    #[test]
    fn raw_json_debug_masks_strings_and_keeps_numbers() {
        let raw = serde_json::json!({
            "payto": "+254712345678",
            "amount": "1500.00",
            "created": 1712932245,
            "callback_url": "http://127.0.0.1:9/h?disburse_token=ab12",
            "beneficiary": {"account": "0712345678", "kyc": null},
            "items": ["771234567", true]
        });
        assert_eq!(
            format!("{:?}", RedactedJson(&raw)),
            r#"{"amount":"1500.00","beneficiary":{"account":"*******678","kyc":null},"callback_url":"http://127.0.0.1:9/h?disburse_token=**","created":1712932245,"items":["******567",true],"payto":"+2547*****678"}"#
        );
    }
}
