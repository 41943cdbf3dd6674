//! [`RawJson`]: a provider's JSON kept as the text it sent, parsed only when read.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

/// A provider's JSON as it was received, kept for audit on every [`Payout`](crate::Payout),
/// [`Refund`](crate::Refund), [`RecipientCheck`](crate::RecipientCheck) and
/// [`WebhookEvent`](crate::WebhookEvent): the exact text of the answer (or of the part of it
/// that describes one record, such as one item of a list page), parsed into a
/// [`serde_json::Value`] only when you ask for one.
///
/// Keeping the text costs one copy of the bytes, where a parsed tree costs a second parse of
/// every answer and an allocation per field, on every payout, whether anyone reads it or not. The
/// text is also what an audit log wants: the provider's own field order and number spelling
/// (`"amount": 1000.10` stays `1000.10`, where a `Value` would print `1000.1`).
///
/// ```
/// use disburse::RawJson;
///
/// let raw = RawJson::from(serde_json::json!({"status": "SUCCESS", "amount": 150}));
/// assert_eq!(raw.as_str(), Some(r#"{"amount":150,"status":"SUCCESS"}"#));
/// assert_eq!(raw.to_value()?["status"], "SUCCESS");
/// assert_eq!(raw, serde_json::json!({"amount": 150, "status": "SUCCESS"}));
/// assert!(RawJson::default().is_empty());
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// Equality between two `RawJson`s is equality of their text; against a [`serde_json::Value`]
/// it is equality of the parsed JSON. `Debug` shows the JSON redacted (phone and account numbers
/// masked, URL query values withheld); the text itself is unchanged.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct RawJson {
    /// `None` when nothing was kept (a record built by hand).
    text: Option<Arc<str>>,
}

impl RawJson {
    /// Nothing kept: what a record built by hand starts with.
    pub fn empty() -> RawJson {
        RawJson::default()
    }

    /// Text an adapter has already decoded as JSON (into its typed answer), kept as it is.
    pub(crate) fn from_decoded_text(text: &str) -> RawJson {
        RawJson {
            text: Some(Arc::from(text)),
        }
    }

    /// True when nothing was kept.
    pub fn is_empty(&self) -> bool {
        self.text.is_none()
    }

    /// The JSON text as the provider sent it; `None` when nothing was kept.
    pub fn as_str(&self) -> Option<&str> {
        self.text.as_deref()
    }

    /// The JSON parsed into a [`serde_json::Value`] ([`Value::Null`] when nothing was kept).
    ///
    /// The text was decoded once already, so this fails only on what a `Value` cannot hold and
    /// the adapter never read: a number beyond `f64`'s range in a field the crate ignores.
    pub fn to_value(&self) -> Result<Value, serde_json::Error> {
        match &self.text {
            Some(text) => serde_json::from_str(text),
            None => Ok(Value::Null),
        }
    }
}

impl From<Value> for RawJson {
    /// The compact text of `value` (`Value::Null` keeps nothing, as [`RawJson::empty`]).
    fn from(value: Value) -> RawJson {
        RawJson::from(&value)
    }
}

impl From<&Value> for RawJson {
    fn from(value: &Value) -> RawJson {
        match value {
            Value::Null => RawJson::empty(),
            value => RawJson {
                text: Some(Arc::from(value.to_string())),
            },
        }
    }
}

impl PartialEq<Value> for RawJson {
    /// Whether the text parses to `other` (nothing kept equals `Value::Null`).
    fn eq(&self, other: &Value) -> bool {
        self.to_value().is_ok_and(|value| value == *other)
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.text, self.to_value()) {
            (None, _) => f.write_str("null"),
            (Some(_), Ok(value)) => fmt::Debug::fmt(&crate::redact::RedactedJson(&value), f),
            // Never the text itself: it may hold a phone number.
            (Some(text), Err(_)) => write!(f, "<{} bytes of JSON a Value cannot hold>", text.len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_kept_exactly_and_parsed_on_demand() {
        let text = "{ \"amount\": 1000.10, \"b\": 1, \"a\": [true] }\n";
        let raw = RawJson::from_decoded_text(text);
        assert_eq!(raw.as_str(), Some(text));
        assert_eq!(
            raw.to_value().expect("parses"),
            serde_json::json!({"a": [true], "amount": 1000.1, "b": 1})
        );
        assert_eq!(
            raw,
            serde_json::json!({"a": [true], "amount": 1000.1, "b": 1})
        );
        assert_ne!(raw, serde_json::json!({"a": [true]}));
        assert_ne!(raw, RawJson::from_decoded_text("{\"b\":1}"));
    }

    #[test]
    fn nothing_kept_is_null() {
        let empty = RawJson::empty();
        assert!(empty.is_empty());
        assert_eq!(empty.as_str(), None);
        assert_eq!(empty.to_value().expect("null"), Value::Null);
        assert_eq!(empty, Value::Null);
        assert_eq!(RawJson::from(Value::Null), empty);
        assert_eq!(format!("{empty:?}"), "null");
    }

    #[test]
    fn debug_is_redacted_even_when_the_text_cannot_be_a_value() {
        let raw = RawJson::from_decoded_text(r#"{"msisdn":"+254712345678","n":1}"#);
        assert_eq!(format!("{raw:?}"), r#"{"msisdn":"+2547*****678","n":1}"#);
        let huge = RawJson::from_decoded_text(r#"{"msisdn":"+254712345678","n":1e999}"#);
        assert!(huge.to_value().is_err());
        assert_eq!(
            format!("{huge:?}"),
            "<36 bytes of JSON a Value cannot hold>"
        );
    }
}
