//! Query parameters this crate adds to a callback URL and reads back from the URL a provider
//! called: the mechanism behind the per-payout callback tokens of providers that sign nothing
//! (JPay, M-Pesa Daraja). What the token signs is each adapter's business; writing and reading
//! the parameters is done here, once.

use std::borrow::Cow;

use crate::error::Error;
use crate::model::CallbackUrl;
use crate::webhook::WebhookError;

/// `url` with `params` appended to its query, in order; the merchant's own parameters are kept
/// byte for byte, except earlier ones with one of these names, which are replaced.
pub(crate) fn with_params(url: &CallbackUrl, params: &[(&str, &str)]) -> Result<String, Error> {
    let added_len: usize = params.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    if url.as_url().query().is_none() && url.as_url().fragment().is_none() {
        // The common case, without re-parsing: appending `?a=1&b=2` to a URL that has no query
        // or fragment gives exactly what `set_query` would, and keeps scheme and host. The
        // values are this crate's own (hex, references): nothing needs escaping.
        let mut out = String::with_capacity(url.as_str().len() + added_len);
        out.push_str(url.as_str());
        for (i, (name, value)) in params.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(name);
            out.push('=');
            out.push_str(value);
        }
        return Ok(out);
    }
    let mut parsed = url.as_url().clone();
    let kept: Vec<&str> = parsed
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|pair| {
            let name = pair.split('=').next().unwrap_or("");
            !pair.is_empty() && !params.iter().any(|(n, _)| *n == name)
        })
        .collect();
    let mut query = kept.join("&");
    for (name, value) in params {
        if !query.is_empty() {
            query.push('&');
        }
        query.push_str(name);
        query.push('=');
        query.push_str(value);
    }
    parsed.set_query(Some(&query));
    // Revalidate: the result must still be a callback URL.
    CallbackUrl::try_from(parsed).map(|u| u.to_string())
}

/// The value of the query parameter `name` in `url` (absolute, or a path with its query), or
/// `None` when it is absent; borrowed from the URL unless it was percent-encoded. A parameter
/// that appears twice is [`WebhookError::MalformedHeader`]: which one the caller meant is unknown.
pub(crate) fn query_param<'a>(
    url: &'a str,
    name: &str,
) -> Result<Option<Cow<'a, str>>, WebhookError> {
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split_once('#').map_or(query, |(q, _)| q);
    let duplicate =
        || WebhookError::MalformedHeader(format!("query parameter {name} appears more than once"));
    let mut found = None;
    if !query.bytes().any(|b| b == b'%' || b == b'+') {
        // Nothing is encoded: the pairs are the text itself (what form decoding would give).
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if key == name {
                if found.is_some() {
                    return Err(duplicate());
                }
                found = Some(Cow::Borrowed(value));
            }
        }
        return Ok(found);
    }
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if key == name {
            if found.is_some() {
                return Err(duplicate());
            }
            found = Some(value);
        }
    }
    Ok(found)
}

/// Like [`query_param`], with an absent parameter as [`WebhookError::MissingSignature`].
pub(crate) fn required_param<'a>(url: &'a str, name: &str) -> Result<Cow<'a, str>, WebhookError> {
    query_param(url, name)?
        .ok_or_else(|| WebhookError::MissingSignature(format!("query parameter {name}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_params_are_appended_and_earlier_ones_replaced() {
        let url = CallbackUrl::parse("https://shop.example/hook").unwrap();
        assert_eq!(
            with_params(&url, &[("a", "1"), ("b", "2")]).unwrap(),
            "https://shop.example/hook?a=1&b=2"
        );
        let url = CallbackUrl::parse("https://shop.example/hook?b=old&keep=x%20y").unwrap();
        assert_eq!(
            with_params(&url, &[("a", "1"), ("b", "2")]).unwrap(),
            "https://shop.example/hook?keep=x%20y&a=1&b=2"
        );
    }

    #[test]
    fn params_are_read_once_and_twice_is_an_error() {
        assert_eq!(
            query_param("/h?a=1&b=2", "b").unwrap().as_deref(),
            Some("2")
        );
        assert_eq!(query_param("/h?a=1", "b").unwrap(), None);
        assert!(matches!(
            query_param("/h?b=1&b=2", "b"),
            Err(WebhookError::MalformedHeader(_))
        ));
        assert_eq!(
            required_param("/h?a=1", "b"),
            Err(WebhookError::MissingSignature("query parameter b".into()))
        );
    }
}
